// Endpoints through the official svix SDK: create (generated and given secret), event-type and channel
// filters, get, list, patch, upsert, delete, secret, headers, stats and recover.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { ApiException } from 'svix';
import { startHookd, waitFor } from './lib/hookd.mjs';
import { startReceiver } from './lib/receiver.mjs';

let hookd;
let svix;
let receiver;
const APP = 'ep-tenant';
before(async () => {
  hookd = await startHookd();
  svix = hookd.svix;
  receiver = await startReceiver();
  await svix.application.create({ name: 'Endpoint tests', uid: APP });
  for (const name of ['invoice.paid', 'invoice.voided', 'user.created']) {
    await svix.eventType.create({ name, description: name });
  }
});
after(async () => {
  await hookd?.stop();
  await receiver?.close();
});

// Creates an endpoint through the SDK and tells the receiver its secret, so its deliveries are verified.
async function createEndpoint(name, body) {
  const ep = await svix.endpoint.create(APP, { url: receiver.url(name), ...body });
  receiver.trustSecret(name, (await svix.endpoint.getSecret(APP, ep.id)).key);
  return ep;
}

const isApi = (code) => (e) => e instanceof ApiException && e.code === code && typeof e.body === 'object';

test('create without a secret generates whsec_ + 24 random bytes; GET secret returns it', async () => {
  const ep = await createEndpoint('gen', { description: 'generated' });
  assert.match(ep.id, /^ep_[0-9A-Za-z]{27}$/);
  assert.equal(ep.url, receiver.url('gen'));
  assert.equal(ep.description, 'generated');
  assert.equal(ep.disabled, false);
  assert.equal(ep.eventTypes ?? null, null, 'no filter: all event types');
  const { key } = await svix.endpoint.getSecret(APP, ep.id);
  assert.match(key, /^whsec_[A-Za-z0-9+/]{32}$/);
  assert.equal(Buffer.from(key.slice(6), 'base64').length, 24);
  const other = await createEndpoint('gen2', {});
  assert.notEqual((await svix.endpoint.getSecret(APP, other.id)).key, key, 'secrets are random');
});

test('create with a given secret keeps it; a malformed secret is a 422 ApiException', async () => {
  const secret = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
  const ep = await createEndpoint('given', { secret, uid: 'given-ep' });
  assert.equal(ep.uid, 'given-ep');
  assert.equal((await svix.endpoint.getSecret(APP, 'given-ep')).key, secret);
  await assert.rejects(createEndpoint('bad', { secret: 'whsec_short' }), isApi(422));
});

test('eventTypes and channels filter deliveries; filterTypes is accepted as an alias', async () => {
  const typed = await createEndpoint('typed', { eventTypes: ['invoice.paid'] });
  assert.deepEqual(typed.eventTypes, ['invoice.paid']);
  const chan = await createEndpoint('chan', { channels: ['eu'] });
  assert.deepEqual(chan.channels, ['eu']);
  const alias = await hookd.api('POST', `/api/v1/app/${APP}/endpoint`, { url: receiver.url('alias'), filterTypes: ['user.created'] });
  assert.equal(alias.status, 201);
  assert.deepEqual(alias.json.eventTypes, ['user.created']);
  await assert.rejects(createEndpoint('x', { eventTypes: ['no.such.type'] }), isApi(422));
  receiver.trustSecret('alias', (await svix.endpoint.getSecret(APP, alias.json.id)).key);

  await svix.message.create(APP, { eventType: 'invoice.voided', payload: { n: 1 } });
  await svix.message.create(APP, { eventType: 'invoice.paid', payload: { n: 2 }, channels: ['us'] });
  await svix.message.create(APP, { eventType: 'user.created', payload: { n: 3 }, channels: ['eu'] });
  await receiver.waitForCount('typed', 1);
  await receiver.waitForCount('chan', 1);
  await receiver.waitForCount('alias', 1);
  // Give stray deliveries a moment to arrive, then check nothing else came.
  await new Promise((r) => setTimeout(r, 500));
  assert.deepEqual(receiver.to('typed').map((d) => JSON.parse(d.body).n), [2]);
  assert.deepEqual(receiver.to('chan').map((d) => JSON.parse(d.body).n), [3]);
  assert.deepEqual(receiver.to('alias').map((d) => JSON.parse(d.body).n), [3]);
});

test('get by id and uid, and list with pagination', async () => {
  const ep = await createEndpoint('getme', { uid: 'getme', metadata: { team: 'billing' } });
  const byId = await svix.endpoint.get(APP, ep.id);
  const byUid = await svix.endpoint.get(APP, 'getme');
  assert.equal(byId.id, ep.id);
  assert.equal(byUid.id, ep.id);
  assert.deepEqual(byUid.metadata, { team: 'billing' });
  const seen = [];
  let iterator;
  for (let guard = 0; guard < 50; guard++) {
    const page = await svix.endpoint.list(APP, { limit: 2, iterator });
    seen.push(...page.data.map((e) => e.id));
    if (page.done) break;
    iterator = page.iterator;
  }
  assert.ok(seen.includes(ep.id));
  assert.equal(new Set(seen).size, seen.length);
  const all = await svix.endpoint.list(APP, { limit: 250 });
  assert.equal(all.data.length, seen.length);
  await assert.rejects(svix.endpoint.get(APP, 'ep_nope'), isApi(404));
});

test('patch changes only the named fields; upsert replaces or creates', async () => {
  const ep = await createEndpoint('patchme', {
    description: 'before', eventTypes: ['invoice.paid'], channels: ['eu'],
  });
  const patched = await svix.endpoint.patch(APP, ep.id, { description: 'after', disabled: true });
  assert.equal(patched.description, 'after');
  assert.equal(patched.disabled, true);
  assert.deepEqual(patched.eventTypes, ['invoice.paid'], 'unnamed fields keep their value');
  assert.deepEqual(patched.channels, ['eu']);
  assert.equal(patched.url, receiver.url('patchme'));

  receiver.trustSecret('patchme2', (await svix.endpoint.getSecret(APP, ep.id)).key);
  const replaced = await svix.endpoint.upsert(APP, ep.id, { url: receiver.url('patchme2') });
  assert.equal(replaced.id, ep.id);
  assert.equal(replaced.url, receiver.url('patchme2'));
  assert.equal(replaced.eventTypes ?? null, null, 'PUT replaces: filters it does not name are cleared');
  assert.equal(replaced.disabled, false, 'PUT without disabled re-enables, as in Svix (EndpointIn default)');
  assert.deepEqual(replaced.metadata, {});

  const createdRaw = await hookd.api('PUT', `/api/v1/app/${APP}/endpoint/upserted-ep`, { url: receiver.url('upserted') });
  assert.equal(createdRaw.status, 201);
  assert.equal(createdRaw.json.uid, 'upserted-ep');
  receiver.trustSecret('upserted', (await svix.endpoint.getSecret(APP, 'upserted-ep')).key);
  const viaSdk = await svix.endpoint.upsert(APP, 'upserted-ep', { url: receiver.url('upserted'), description: 'd' });
  assert.equal(viaSdk.id, createdRaw.json.id);
  assert.equal(viaSdk.description, 'd');
});

test('delete removes the endpoint', async () => {
  const ep = await createEndpoint('deleteme', {});
  assert.equal(await svix.endpoint.delete(APP, ep.id), undefined);
  await assert.rejects(svix.endpoint.get(APP, ep.id), isApi(404));
});

test('headers: set, get (sensitive ones withheld), patch; custom headers reach the receiver', async () => {
  const ep = await createEndpoint('headers', { eventTypes: ['user.created'] });
  await svix.endpoint.setHeaders(APP, ep.id, { headers: { 'X-Team': 'billing', Authorization: 'Bearer s3cr3t', 'X-Old': '1' } });
  let out = await svix.endpoint.getHeaders(APP, ep.id);
  assert.deepEqual(out.headers, { 'X-Team': 'billing', 'X-Old': '1' });
  assert.deepEqual(out.sensitive, ['Authorization']);

  await svix.endpoint.patchHeaders(APP, ep.id, { headers: { 'X-New': 'yes', 'X-Old': null }, deleteHeaders: ['X-Team'] });
  out = await svix.endpoint.getHeaders(APP, ep.id);
  assert.deepEqual(out.headers, { 'X-New': 'yes' });
  assert.deepEqual(out.sensitive, ['Authorization']);

  await assert.rejects(svix.endpoint.setHeaders(APP, ep.id, { headers: { 'webhook-id': 'forged' } }), isApi(422));

  await svix.message.create(APP, { eventType: 'user.created', payload: { h: 1 } });
  const [d] = await receiver.waitForCount('headers', 1);
  assert.equal(d.headers['x-new'], 'yes');
  assert.equal(d.headers.authorization, 'Bearer s3cr3t', 'sensitive headers are withheld from GET, not from deliveries');
  assert.equal(d.headers['x-old'], undefined);
  assert.equal(d.headers['x-team'], undefined);
  assert.equal(d.headers['content-type'], 'application/json');
});

test('stats count successes and failures; recover resends failed messages since a time', async () => {
  const since = new Date(Date.now() - 1000);
  const ep = await createEndpoint('flaky', { eventTypes: ['invoice.voided'] });
  let healthy = false;
  receiver.respond = (d) => (d.path === '/flaky' && !healthy ? { status: 500, body: 'down' } : { status: 200, body: 'ok' });
  try {
    const m1 = await svix.message.create(APP, { eventType: 'invoice.voided', payload: { r: 1 } });
    const m2 = await svix.message.create(APP, { eventType: 'invoice.voided', payload: { r: 2 } });
    // Retry schedule 1s,1s: three attempts each, then the message fails for this endpoint.
    await waitFor('both messages failed', async () => (await svix.endpoint.getStats(APP, ep.id)).fail === 2, 15000, 200);
    const stats = await svix.endpoint.getStats(APP, ep.id);
    assert.deepEqual(stats, { success: 0, pending: 0, sending: 0, fail: 2, canceled: 0 });
    assert.equal(receiver.to('flaky').length, 6, '3 attempts per message');
    const windowed = await svix.endpoint.getStats(APP, ep.id, { since: new Date(Date.now() + 3600_000) });
    assert.equal(windowed.fail, 0, 'since in the future counts nothing');

    healthy = true;
    const task = await svix.endpoint.recover(APP, ep.id, { since });
    assert.match(task.id, /^qtask_/);
    assert.equal(task.task, 'endpoint.recover');
    assert.ok(['running', 'finished'].includes(task.status));
    const after = await receiver.waitForCount('flaky', 8, 10000);
    const ok = after.slice(6).map((d) => JSON.parse(d.body).r).sort();
    assert.deepEqual(ok, [1, 2]);
    await waitFor('stats show 2 successes', async () => (await svix.endpoint.getStats(APP, ep.id)).success === 2, 10000, 100);
    for (const m of [m1, m2]) {
      const attempts = await svix.messageAttempt.listByMsg(APP, m.id, { status: 0, endpointId: ep.id });
      assert.equal(attempts.data.length, 1, 'one successful attempt after recovery');
    }
  } finally {
    receiver.respond = () => ({ status: 200, body: 'ok' });
  }
});

test('every delivery in this file verified with both standardwebhooks and svix', () => {
  assert.ok(receiver.deliveries.length > 0);
  assert.deepEqual(receiver.unverified().map((d) => d.path), []);
});
