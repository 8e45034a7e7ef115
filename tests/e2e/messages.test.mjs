// Messages and idempotency through the official svix SDK: create with eventId, duplicate eventId (409), get by
// id and by eventId, list filtered by event_types, channel, before, after and with_content=false.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { ApiException } from 'svix';
import { startHookd, sleep } from './lib/hookd.mjs';

let hookd;
let svix;
const APP = 'msg-tenant';
before(async () => {
  hookd = await startHookd();
  svix = hookd.svix;
  await svix.application.create({ name: 'Message tests', uid: APP });
  for (const name of ['order.created', 'order.paid', 'order.refunded']) {
    await svix.eventType.create({ name, description: name });
  }
});
after(async () => {
  await hookd?.stop();
});

test('create with eventId returns MessageOut; a duplicate eventId is a 409 ApiException', async () => {
  const t0 = Date.now();
  const msg = await svix.message.create(APP, {
    eventType: 'order.created', eventId: 'evt-0001', payload: { order: 'A-1', total: 12.5 }, channels: ['eu'],
  });
  assert.match(msg.id, /^msg_[0-9A-Za-z]{27}$/);
  assert.equal(msg.eventId, 'evt-0001');
  assert.equal(msg.eventType, 'order.created');
  assert.deepEqual(msg.channels, ['eu']);
  assert.ok(Math.abs(msg.timestamp.getTime() - t0) < 60_000);
  await assert.rejects(
    svix.message.create(APP, { eventType: 'order.created', eventId: 'evt-0001', payload: { order: 'A-1' } }),
    (e) => e instanceof ApiException && e.code === 409 && typeof e.body.detail === 'string',
  );
});

test('get by id and by eventId; with_content=false returns an empty payload', async () => {
  const msg = await svix.message.create(APP, { eventType: 'order.paid', eventId: 'evt-get', payload: { order: 'B-2', paid: true } });
  const byId = await svix.message.get(APP, msg.id, { withContent: true });
  const byEventId = await svix.message.get(APP, 'evt-get', { withContent: true });
  assert.equal(byId.id, msg.id);
  assert.equal(byEventId.id, msg.id);
  assert.deepEqual(byId.payload, { order: 'B-2', paid: true });
  assert.deepEqual(byEventId.payload, { order: 'B-2', paid: true });
  const bare = await svix.message.get(APP, msg.id, { withContent: false });
  assert.deepEqual(bare.payload, {});
  assert.equal(bare.eventType, 'order.paid');
  await assert.rejects(svix.message.get(APP, 'evt-missing'), (e) => e instanceof ApiException && e.code === 404);
});

test('the application field creates the application on the fly', async () => {
  const msg = await svix.message.create('fly-tenant', {
    eventType: 'order.created', payload: { x: 1 }, application: { name: 'Created by a message', uid: 'fly-tenant' },
  });
  assert.match(msg.id, /^msg_/);
  const app = await svix.application.get('fly-tenant');
  assert.equal(app.name, 'Created by a message');
  await assert.rejects(svix.message.create('nobody', { eventType: 'order.created', payload: {} }),
    (e) => e instanceof ApiException && e.code === 404);
});

test('list filters by event_types, channel, before, after; with_content=false strips payloads', async () => {
  const app = 'list-tenant';
  await svix.application.create({ name: 'List', uid: app });
  const first = [];
  first.push(await svix.message.create(app, { eventType: 'order.created', payload: { i: 1 }, channels: ['eu'] }));
  first.push(await svix.message.create(app, { eventType: 'order.paid', payload: { i: 2 }, channels: ['us'] }));
  // Times in lists are compared at the server's resolution: leave a clear gap between the two batches.
  await sleep(1100);
  const cut = new Date();
  await sleep(1100);
  const second = [];
  second.push(await svix.message.create(app, { eventType: 'order.refunded', payload: { i: 3 }, channels: ['eu'] }));
  second.push(await svix.message.create(app, { eventType: 'order.paid', payload: { i: 4 } }));

  const ids = (list) => list.data.map((m) => m.id).sort();
  const all = await svix.message.list(app, { withContent: true, limit: 250 });
  assert.deepEqual(ids(all), [...first, ...second].map((m) => m.id).sort());
  assert.deepEqual(all.data.map((m) => m.payload.i).sort(), [1, 2, 3, 4]);
  // Newest first.
  const times = all.data.map((m) => m.timestamp.getTime());
  assert.deepEqual(times, [...times].sort((a, b) => b - a), 'messages are listed newest first');

  const byTypes = await svix.message.list(app, { eventTypes: ['order.paid', 'order.refunded'] });
  assert.deepEqual(ids(byTypes), [first[1], ...second].map((m) => m.id).sort());
  const byChannel = await svix.message.list(app, { channel: 'eu' });
  assert.deepEqual(ids(byChannel), [first[0], second[0]].map((m) => m.id).sort());
  const before_ = await svix.message.list(app, { before: cut });
  assert.deepEqual(ids(before_), first.map((m) => m.id).sort());
  const after_ = await svix.message.list(app, { after: cut });
  assert.deepEqual(ids(after_), second.map((m) => m.id).sort());
  const combined = await svix.message.list(app, { after: cut, eventTypes: ['order.paid'] });
  assert.deepEqual(ids(combined), [second[1].id]);

  const bare = await svix.message.list(app, { withContent: false });
  assert.equal(bare.data.length, 4);
  for (const m of bare.data) assert.deepEqual(m.payload, {});

  // Pagination over messages: every one once.
  const seen = [];
  let iterator;
  for (let guard = 0; guard < 10; guard++) {
    const page = await svix.message.list(app, { limit: 3, iterator });
    seen.push(...page.data.map((m) => m.id));
    if (page.done) break;
    iterator = page.iterator;
  }
  assert.deepEqual([...seen].sort(), ids(all));
});

test('idempotency: the same idempotency-key twice returns the same response and creates one message', async () => {
  const app = 'idem-tenant';
  await svix.application.create({ name: 'Idempotency', uid: app });
  const key = `idem-${Date.now()}`;
  const a = await svix.message.create(app, { eventType: 'order.created', payload: { n: 1 } }, { idempotencyKey: key });
  const b = await svix.message.create(app, { eventType: 'order.created', payload: { n: 1 } }, { idempotencyKey: key });
  assert.equal(b.id, a.id);
  assert.equal(b.timestamp.getTime(), a.timestamp.getTime());
  const listed = await svix.message.list(app, { limit: 250 });
  assert.equal(listed.data.length, 1, 'one message created');

  // Byte-identical answers on the wire, including for a different body with the same key.
  const raw1 = await hookd.api('POST', `/api/v1/app/${app}/msg`, { eventType: 'order.paid', payload: { n: 2 } }, { 'idempotency-key': 'raw-key' });
  const raw2 = await hookd.api('POST', `/api/v1/app/${app}/msg`, { eventType: 'order.paid', payload: { n: 2 } }, { 'idempotency-key': 'raw-key' });
  assert.equal(raw1.status, 202);
  assert.equal(raw2.status, raw1.status);
  assert.equal(raw2.text, raw1.text);
  assert.equal((await svix.message.list(app, { limit: 250 })).data.length, 2);

  // Concurrent duplicates: still one message.
  const same = await Promise.all(Array.from({ length: 5 }, () =>
    svix.message.create(app, { eventType: 'order.refunded', payload: { n: 3 } }, { idempotencyKey: 'concurrent-key' })));
  assert.equal(new Set(same.map((m) => m.id)).size, 1);
  assert.equal((await svix.message.list(app, { limit: 250 })).data.length, 3);

  // Without a key the SDK adds a fresh auto_ key per call: two creates are two messages.
  await svix.message.create(app, { eventType: 'order.created', payload: { n: 4 } });
  await svix.message.create(app, { eventType: 'order.created', payload: { n: 4 } });
  assert.equal((await svix.message.list(app, { limit: 250 })).data.length, 5);
});

test('idempotency also covers application creation', async () => {
  const a = await svix.application.create({ name: 'Idem app' }, { idempotencyKey: 'app-key' });
  const b = await svix.application.create({ name: 'Idem app' }, { idempotencyKey: 'app-key' });
  assert.equal(a.id, b.id);
});
