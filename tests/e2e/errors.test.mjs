// Every 4xx the SDK can meet is JSON it parses into its typed ApiException (never a SyntaxError); plus health
// and portal access, the two remaining routes of the reference table.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { ApiException, Svix } from 'svix';
import { startHookd, recordingFetch } from './lib/hookd.mjs';
import { startReceiver } from './lib/receiver.mjs';

let hookd;
let svix;
let receiver;
const APP = 'err-tenant';
let endpoint;
let message;
before(async () => {
  hookd = await startHookd();
  svix = hookd.svix;
  receiver = await startReceiver();
  await svix.application.create({ name: 'Errors', uid: APP });
  await svix.eventType.create({ name: 'thing.happened', description: 'x' });
  endpoint = await svix.endpoint.create(APP, { url: receiver.url('err'), eventTypes: ['thing.happened'] });
  receiver.trustSecret('err', (await svix.endpoint.getSecret(APP, endpoint.id)).key);
  message = await svix.message.create(APP, { eventType: 'thing.happened', eventId: 'thing-1', payload: { a: 1 } });
});
after(async () => {
  await hookd?.stop();
  await receiver?.close();
});

// Runs `call`, which must fail with an ApiException of `status` whose body is parsed JSON.
async function expectApiError(status, call, check = () => {}) {
  let error;
  try {
    await call();
  } catch (e) {
    error = e;
  }
  assert.ok(error, `expected HTTP ${status}, the call succeeded`);
  assert.ok(!(error instanceof SyntaxError), `SyntaxError: the ${status} body was not JSON`);
  assert.ok(error instanceof ApiException, `expected ApiException, got ${error?.constructor?.name}: ${error?.message}`);
  assert.equal(error.code, status);
  assert.equal(typeof error.body, 'object');
  assert.notEqual(error.body, null);
  if (status === 422) {
    assert.ok(Array.isArray(error.body.detail), '422 detail is a list');
    for (const d of error.body.detail) {
      assert.ok(Array.isArray(d.loc) && typeof d.msg === 'string' && typeof d.type === 'string', JSON.stringify(d));
    }
  } else {
    assert.equal(typeof error.body.code, 'string');
    assert.equal(typeof error.body.detail, 'string');
  }
  check(error.body);
  return error;
}

test('401: a wrong token', async () => {
  const stranger = new Svix('not-the-token', { serverUrl: hookd.url, fetch: recordingFetch });
  await expectApiError(401, () => stranger.application.list(), (b) => assert.equal(b.code, 'authentication_failed'));
  await expectApiError(401, () => stranger.message.create(APP, { eventType: 'thing.happened', payload: {} }));
  const noAuth = await fetch(`${hookd.url}/api/v1/app`);
  assert.equal(noAuth.status, 401);
  assert.equal((await noAuth.json()).code, 'authentication_failed');
});

test('404: unknown application, endpoint, message, attempt and event type', async () => {
  await expectApiError(404, () => svix.application.get('no-such-app'), (b) => assert.equal(b.code, 'not_found'));
  await expectApiError(404, () => svix.endpoint.get(APP, 'no-such-ep'));
  await expectApiError(404, () => svix.endpoint.getSecret(APP, 'no-such-ep'));
  await expectApiError(404, () => svix.message.get(APP, 'no-such-msg'));
  await expectApiError(404, () => svix.messageAttempt.listByMsg(APP, 'no-such-msg'));
  await expectApiError(404, () => svix.messageAttempt.get(APP, message.id, 'atmpt_nope'));
  await expectApiError(404, () => svix.eventType.get('no.such.type'));
  await expectApiError(404, () => svix.eventType.delete('no.such.type'));
  await expectApiError(404, () => svix.endpoint.list('no-such-app'));
});

test('409: duplicate application uid, duplicate eventId, duplicate event type', async () => {
  await expectApiError(409, () => svix.application.create({ name: 'again', uid: APP }));
  await expectApiError(409, () => svix.message.create(APP, { eventType: 'thing.happened', eventId: 'thing-1', payload: {} }));
  await expectApiError(409, () => svix.eventType.create({ name: 'thing.happened', description: 'x' }),
    (b) => assert.equal(b.code, 'event_type_exists'));
});

test('422: validation errors name the field', async () => {
  const locOf = (b) => b.detail.flatMap((d) => d.loc);
  await expectApiError(422, () => svix.application.list({ limit: 251 }));
  await expectApiError(422, () => svix.application.create({ uid: 'no-name' }), (b) => assert.ok(locOf(b).includes('name')));
  await expectApiError(422, () => svix.application.create({ name: 'x', uid: 'bad uid!' }), (b) => assert.ok(locOf(b).includes('uid')));
  await expectApiError(422, () => svix.endpoint.create(APP, { url: 'not a url' }), (b) => assert.ok(locOf(b).includes('url')));
  await expectApiError(422, () => svix.endpoint.create(APP, { url: 'ftp://127.0.0.1/x' }));
  await expectApiError(422, () => svix.message.create(APP, { eventType: 'thing.happened', payload: [1, 2] }),
    (b) => assert.ok(locOf(b).includes('payload')));
  await expectApiError(422, () => svix.message.create(APP, { eventType: 'bad type!', payload: {} }));
  await expectApiError(422, () => svix.endpoint.rotateSecret(APP, endpoint.id, { gracePeriodSeconds: 10 * 86400 }));
  await expectApiError(422, () => svix.endpoint.recover(APP, endpoint.id, { since: 'yesterday' }));
  await expectApiError(422, () => svix.messageAttempt.listByEndpoint(APP, endpoint.id, { statusCodeClass: 999 }));
  await expectApiError(422, () => svix.message.list(APP, { before: 'not-a-time' }));
});

test('413: a payload over the body limit', async () => {
  const big = { blob: 'x'.repeat(1_200_000) };
  await expectApiError(413, () => svix.message.create(APP, { eventType: 'thing.happened', payload: big }),
    (b) => assert.equal(b.code, 'payload_too_large'));
});

test('400, 404 and 405 outside the SDK are JSON too', async () => {
  const malformed = await hookd.api('POST', '/api/v1/app', '{"name": ');
  // A body that is not JSON is a 400, as Svix answers it (the SDK never sends one).
  assert.equal(malformed.status, 400);
  assert.equal(malformed.json?.code, 'invalid_json');
  const unknown = await hookd.api('GET', '/api/v1/nothing-here');
  assert.equal(unknown.status, 404);
  assert.equal(typeof unknown.json?.code, 'string');
  const method = await hookd.api('DELETE', '/api/v1/app');
  assert.equal(method.status, 405);
  assert.equal(typeof method.json?.code, 'string');
});

test('health answers without a token; the SDK health call resolves', async () => {
  assert.equal(await svix.health.get(), undefined);
  const res = await fetch(`${hookd.url}/api/v1/health`);
  assert.ok([200, 204].includes(res.status));
});

test('app portal access returns a url and token that reach only that application', async () => {
  const access = await svix.authentication.appPortalAccess(APP, {});
  assert.equal(typeof access.url, 'string');
  assert.equal(typeof access.token, 'string');
  assert.ok(access.url.includes(access.token));
  const tenant = new Svix(access.token, { serverUrl: hookd.url, fetch: recordingFetch });
  const eps = await tenant.endpoint.list(APP);
  assert.deepEqual(eps.data.map((e) => e.id), [endpoint.id]);
  await svix.application.create({ name: 'Other', uid: 'other-tenant' });
  await expectApiError(404, () => tenant.endpoint.list('other-tenant'));
  await expectApiError(403, () => tenant.application.list());
  await expectApiError(404, () => svix.authentication.appPortalAccess('no-such-app', {}));
});

test('every delivery in this file verified with both libraries', () => {
  assert.deepEqual(receiver.unverified().map((d) => d.path), []);
});
