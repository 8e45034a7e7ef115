// Issue 3: payload validation on ingest, off / warn / strict, globally and per tenant.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { startHookd } from './lib/harness.mjs';

const catalog = JSON.parse(readFileSync(new URL('../../catalogs/booking-platform.json', import.meta.url)));
const example = catalog.eventTypes.find((t) => t.name === 'booking.created').examples[0];
const invalidData = structuredClone(example.data);
delete invalidData.booking.codigo;          // a required field
invalidData.booking.fecha = '25/01/2024';   // a bad date

const warnings = async (h) => Number((await (await fetch(`${h.url}/metrics`)).text())
  .match(/hookd_payload_validation_warnings_total (\d+)/)[1]);

test('strict rejects an invalid booking.created with 422 naming every path and stores nothing; warn accepts and counts', async () => {
  const h = await startHookd({ args: ['--catalog', 'booking-platform'] });  // server default: warn
  try {
    const strict = await h.api('POST', '/api/v1/app', { name: 'Strict salon', uid: 'strict', payloadValidation: 'strict' });
    assert.equal(strict.status, 201, strict.text);
    assert.equal(strict.json.payloadValidation, 'strict');
    await h.api('POST', '/api/v1/app', { name: 'Lenient salon', uid: 'lenient' });

    const rejected = await h.api('POST', '/api/v1/events', { type: 'booking.created', tenant_id: 'strict', data: invalidData });
    assert.equal(rejected.status, 422, rejected.text);
    const detail = JSON.stringify(rejected.json.detail);
    assert.match(detail, /\/data\/booking\/codigo/);
    assert.match(detail, /\/data\/booking\/fecha/);
    assert.equal((await h.api('GET', '/api/v1/app/strict/msg')).json.data.length, 0, 'nothing stored');

    const valid = await h.api('POST', '/api/v1/events', { type: 'booking.created', tenant_id: 'strict', data: example.data });
    assert.equal(valid.status, 202, valid.text);

    const before = await warnings(h);
    const accepted = await h.api('POST', '/api/v1/events', { type: 'booking.created', tenant_id: 'lenient', data: invalidData });
    assert.equal(accepted.status, 202, accepted.text);
    assert.equal(await warnings(h), before + 1, 'warn mode counts the invalid payload');

    // The tenant's switch can be turned off again (null: the server's default).
    const patched = await h.api('PATCH', '/api/v1/app/strict', { payloadValidation: null });
    assert.equal(patched.json.payloadValidation, null);
    assert.equal((await h.api('POST', '/api/v1/events', { type: 'booking.created', tenant_id: 'strict', data: invalidData })).status, 202);
    const bad = await h.api('PATCH', '/api/v1/app/strict', { payloadValidation: 'sometimes' });
    assert.equal(bad.status, 422);
  } finally { await h.stop(); h.cleanup(); }
});

test('the server-wide mode applies to tenants without their own', async () => {
  const h = await startHookd({ args: ['--catalog', 'booking-platform', '--validation', 'strict'] });
  try {
    await h.api('POST', '/api/v1/app', { name: 'A', uid: 'a' });
    await h.api('POST', '/api/v1/app', { name: 'B', uid: 'b', payloadValidation: 'off' });
    const svix = await h.api('POST', '/api/v1/app/a/msg', { eventType: 'booking.created', payload: { ...example, data: invalidData } });
    assert.equal(svix.status, 422, svix.text);
    const off = await h.api('POST', '/api/v1/events', { type: 'booking.created', tenant_id: 'b', data: invalidData });
    assert.equal(off.status, 202, off.text);
  } finally { await h.stop(); h.cleanup(); }
});

test('restarting with --catalog keeps operator edits unless --catalog-overwrite asks', async () => {
  let h = await startHookd({ args: ['--catalog', 'wink'] });
  const dataDir = h.dir;
  try {
    assert.equal((await h.api('PATCH', '/api/v1/event-type/account.create', { description: 'ours' })).status, 200);
    await h.stop();
    h = await startHookd({ dataDir, args: ['--catalog', 'wink'] });
    assert.equal((await h.api('GET', '/api/v1/event-type/account.create')).json.description, 'ours');
    const listed = await h.api('GET', '/api/v1/event-type?limit=250');
    assert.equal(listed.json.data.filter((t) => t.name === 'account.create').length, 1, 'no duplicate');
    await h.stop();
    h = await startHookd({ dataDir, args: ['--catalog', 'wink', '--catalog-overwrite'] });
    assert.notEqual((await h.api('GET', '/api/v1/event-type/account.create')).json.description, 'ours');
  } finally { await h.stop(); h.cleanup(); }
});
