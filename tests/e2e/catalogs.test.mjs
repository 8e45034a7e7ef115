// Catalogs checked with Ajv (a validator nobody here wrote): every schema compiles under JSON Schema 2020-12
// with formats, every example validates, mutated examples fail naming the path; and a hookd started with
// --validation strict refuses the same mutated payloads on POST /api/v1/events with 422, storing nothing.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import Ajv2020 from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { startHookd } from './lib/hookd.mjs';
import { mutations } from './lib/mutate.mjs';

const CATALOG_DIR = path.resolve(import.meta.dirname, '../../catalogs');
const catalogs = readdirSync(CATALOG_DIR)
  .filter((f) => f.endsWith('.json'))
  .map((f) => ({ file: f, ...JSON.parse(readFileSync(path.join(CATALOG_DIR, f), 'utf8')) }));

// Each event schema stands alone with the catalog's shared $defs attached (what hookd stores per type).
function standalone(catalog, schema) {
  return { $schema: 'https://json-schema.org/draft/2020-12/schema', ...schema, $defs: { ...(catalog.$defs ?? {}), ...(schema.$defs ?? {}) } };
}

function newAjv() {
  const ajv = new Ajv2020({ strict: true, allErrors: true, strictRequired: false });
  addFormats(ajv);
  return ajv;
}

test('there are catalogs, each with event types', () => {
  assert.ok(catalogs.length >= 3, `catalogs found: ${catalogs.map((c) => c.file)}`);
  for (const c of catalogs) assert.ok(c.eventTypes.length > 0, `${c.file} has event types`);
});

for (const catalog of catalogs) {
  test(`${catalog.file}: every schema compiles with Ajv 2020 and every example validates`, () => {
    const ajv = newAjv();
    let examples = 0;
    for (const et of catalog.eventTypes) {
      const validate = ajv.compile(standalone(catalog, et.schema));
      assert.ok(Array.isArray(et.examples) && et.examples.length > 0, `${et.name} has examples`);
      for (const ex of et.examples) {
        const ok = validate(ex);
        assert.ok(ok, `${et.name}: ${ajv.errorsText(validate.errors)}`);
        examples++;
      }
    }
    assert.ok(examples >= catalog.eventTypes.length);
  });

  test(`${catalog.file}: mutated examples fail, naming the path`, () => {
    const ajv = newAjv();
    const kinds = new Map();
    for (const et of catalog.eventTypes) {
      const schema = standalone(catalog, et.schema);
      const validate = ajv.compile(schema);
      for (const m of mutations(et.examples[0], schema, schema)) {
        const ok = validate(m.payload);
        assert.equal(ok, false, `${et.name}: ${m.kind} at ${m.pointer} must fail`);
        const named = validate.errors.some((e) =>
          m.kind === 'missing required'
            ? e.instancePath === m.expectPath && e.params.missingProperty === m.missing
            : e.instancePath === m.expectPath);
        assert.ok(named, `${et.name}: ${m.kind} at ${m.pointer}; errors: ${ajv.errorsText(validate.errors)}`);
        kinds.set(m.kind, (kinds.get(m.kind) ?? 0) + 1);
      }
    }
    assert.ok(kinds.get('missing required') > 0 && kinds.get('wrong type') > 0, `mutations tried: ${[...kinds]}`);
    if (catalog.file === 'booking-platform.json') {
      assert.equal(kinds.get('missing required'), catalog.eventTypes.length);
      assert.ok(kinds.get('bad date') > 0);
    }
  });
}

test('hookd --validation strict --catalog booking-platform: mutated payloads get 422 and nothing is stored', async (t) => {
  const booking = catalogs.find((c) => c.name === 'booking-platform');
  assert.ok(booking, 'booking-platform catalog present');
  const hookd = await startHookd({ extraArgs: ['--validation', 'strict', '--catalog', 'booking-platform'] });
  t.after(() => hookd.stop());
  const { svix } = hookd;
  await svix.application.create({ name: 'Salon', uid: 'salon-1' });

  // The catalog's types are in the API, with their schema.
  const types = (await svix.eventType.list({ limit: 250, withContent: true })).data.map((x) => x.name);
  for (const et of booking.eventTypes) assert.ok(types.includes(et.name), `${et.name} loaded`);

  let refused = 0;
  for (const et of booking.eventTypes) {
    const schema = standalone(booking, et.schema);
    const ms = mutations(et.examples[0], schema, schema, '/data');
    assert.ok(ms.length > 0, `${et.name}: a mutation inside data`);
    for (const m of ms) {
      const res = await hookd.api('POST', '/api/v1/events', { type: et.name, tenant_id: 'salon-1', data: m.payload.data });
      assert.equal(res.status, 422, `${et.name} ${m.kind} at ${m.pointer}: ${res.text}`);
      assert.ok(res.json && res.json.detail !== undefined, 'a JSON 422 body');
      const field = m.kind === 'missing required' ? m.missing : m.pointer.split('/').at(-1);
      assert.ok(res.text.includes(field), `the 422 names ${field}: ${res.text}`);
      refused++;
    }
  }
  assert.ok(refused >= booking.eventTypes.length * 2);
  assert.equal((await svix.message.list('salon-1', { limit: 250 })).data.length, 0, 'nothing stored');

  // Control: the unmutated examples are accepted and stored, so the 422s came from validation.
  for (const et of booking.eventTypes) {
    const res = await hookd.api('POST', '/api/v1/events', { type: et.name, tenant_id: 'salon-1', data: et.examples[0].data });
    assert.equal(res.status, 202, `${et.name} example accepted: ${res.text}`);
  }
  assert.equal((await svix.message.list('salon-1', { limit: 250 })).data.length, booking.eventTypes.length);
});
