// Event types through the official svix SDK: create, duplicate (409 event_type_exists), list, get, patch,
// upsert, archive (DELETE) and expunge.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { ApiException } from 'svix';
import { startHookd } from './lib/hookd.mjs';

let hookd;
let svix;
before(async () => {
  hookd = await startHookd();
  svix = hookd.svix;
});
after(async () => {
  await hookd?.stop();
});

const schema = {
  1: {
    type: 'object',
    required: ['invoice_id'],
    properties: { invoice_id: { type: 'string' }, amount: { type: 'integer' } },
  },
};

test('create returns EventTypeOut with schemas and times', async () => {
  const t = await svix.eventType.create({
    name: 'invoice.paid', description: 'An invoice was paid', schemas: schema, groupName: 'billing',
  });
  assert.equal(t.name, 'invoice.paid');
  assert.equal(t.description, 'An invoice was paid');
  assert.equal(t.archived, false);
  assert.equal(t.deprecated, false);
  assert.equal(t.groupName, 'billing');
  assert.deepEqual(t.schemas, schema);
  assert.ok(t.createdAt instanceof Date && !Number.isNaN(t.createdAt.getTime()));
});

test('a duplicate create is a 409 ApiException with code event_type_exists', async () => {
  await svix.eventType.create({ name: 'user.created', description: 'first' });
  let caught;
  try {
    await svix.eventType.create({ name: 'user.created', description: 'second' });
  } catch (e) {
    caught = e;
  }
  assert.ok(caught instanceof ApiException, `expected ApiException, got ${caught}`);
  assert.equal(caught.code, 409);
  assert.equal(caught.body.code, 'event_type_exists');
  assert.equal(typeof caught.body.detail, 'string');
  assert.equal((await svix.eventType.get('user.created')).description, 'first', 'the first one is unchanged');
});

test('an invalid name is a 422 ApiException with a validation detail', async () => {
  await assert.rejects(svix.eventType.create({ name: 'bad name!', description: 'x' }), (e) => {
    assert.ok(e instanceof ApiException);
    assert.equal(e.code, 422);
    assert.ok(Array.isArray(e.body.detail) && e.body.detail[0].loc.includes('name'));
    return true;
  });
});

test('list returns every type once, paginated, and get returns one', async () => {
  for (let i = 0; i < 7; i++) await svix.eventType.create({ name: `bulk.type${i}`, description: `t${i}` });
  const names = [];
  let iterator;
  for (let guard = 0; guard < 20; guard++) {
    const page = await svix.eventType.list({ limit: 3, iterator });
    names.push(...page.data.map((t) => t.name));
    if (page.done) break;
    iterator = page.iterator;
  }
  assert.equal(new Set(names).size, names.length);
  for (const n of ['invoice.paid', 'user.created', ...Array.from({ length: 7 }, (_, i) => `bulk.type${i}`)]) {
    assert.ok(names.includes(n), `${n} listed`);
  }
  const one = await svix.eventType.get('bulk.type3');
  assert.equal(one.description, 't3');
  await assert.rejects(svix.eventType.get('no.such'), (e) => e instanceof ApiException && e.code === 404);
});

test('patch changes the named fields and keeps the rest', async () => {
  const patched = await svix.eventType.patch('invoice.paid', { description: 'Paid in full', deprecated: true });
  assert.equal(patched.description, 'Paid in full');
  assert.equal(patched.deprecated, true);
  assert.deepEqual(patched.schemas, schema, 'schemas kept');
  assert.equal(patched.groupName, 'billing');
  await assert.rejects(svix.eventType.patch('no.such', { description: 'x' }), (e) => e instanceof ApiException && e.code === 404);
});

test('upsert (PUT) creates an unknown type (201) and updates a known one', async () => {
  const created = await hookd.api('PUT', '/api/v1/event-type/order.shipped', { description: 'shipped' });
  assert.equal(created.status, 201);
  assert.equal(created.json.name, 'order.shipped');
  const updated = await svix.eventType.upsert('order.shipped', { description: 'Order shipped' });
  assert.equal(updated.name, 'order.shipped');
  assert.equal(updated.description, 'Order shipped');
});

test('DELETE archives by default: hidden from list unless include_archived, still readable', async () => {
  await svix.eventType.create({ name: 'legacy.event', description: 'old' });
  assert.equal(await svix.eventType.delete('legacy.event'), undefined);
  const got = await svix.eventType.get('legacy.event');
  assert.equal(got.archived, true);
  const visible = (await svix.eventType.list({ limit: 250 })).data.map((t) => t.name);
  assert.ok(!visible.includes('legacy.event'));
  const all = (await svix.eventType.list({ limit: 250, includeArchived: true })).data.map((t) => t.name);
  assert.ok(all.includes('legacy.event'));
});

test('create on an archived type unarchives it (the SDK documents create as create-or-unarchive)', async () => {
  await svix.eventType.create({ name: 'phoenix.event', description: 'first life' });
  await svix.eventType.delete('phoenix.event');
  const back = await svix.eventType.create({ name: 'phoenix.event', description: 'second life' });
  assert.equal(back.archived, false);
  assert.equal((await svix.eventType.get('phoenix.event')).archived, false);
});

test('DELETE with expunge=true removes the type for good', async () => {
  await svix.eventType.create({ name: 'doomed.event', description: 'gone soon' });
  await svix.eventType.delete('doomed.event', { expunge: true });
  await assert.rejects(svix.eventType.get('doomed.event'), (e) => e instanceof ApiException && e.code === 404);
  const all = (await svix.eventType.list({ limit: 250, includeArchived: true })).data.map((t) => t.name);
  assert.ok(!all.includes('doomed.event'));
  // The name is free again.
  const again = await svix.eventType.create({ name: 'doomed.event', description: 'reborn' });
  assert.equal(again.description, 'reborn');
});
