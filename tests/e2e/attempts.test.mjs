// Delivery attempts through the official svix SDK: list by message and by endpoint with status and
// status_code_class filters, get one, and manual resend (202 {}, triggerType 1).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { ApiException } from 'svix';
import { startHookd, waitFor } from './lib/hookd.mjs';
import { startReceiver } from './lib/receiver.mjs';

let hookd;
let svix;
let receiver;
const APP = 'attempt-tenant';
const ep = {};
let msgA;
let msgB;

// /ok answers 200, /down 503 (retried, then failed), /reject 400.
const answers = { '/ok': { status: 200, body: 'accepted' }, '/down': { status: 503, body: 'unavailable' }, '/reject': { status: 400, body: 'bad' } };

before(async () => {
  hookd = await startHookd();
  svix = hookd.svix;
  receiver = await startReceiver();
  receiver.respond = (d) => answers[d.path] ?? { status: 200 };
  await svix.application.create({ name: 'Attempt tests', uid: APP });
  await svix.eventType.create({ name: 'ticket.opened', description: 'opened' });
  await svix.eventType.create({ name: 'ticket.closed', description: 'closed' });
  for (const name of ['ok', 'down', 'reject']) {
    ep[name] = await svix.endpoint.create(APP, { url: receiver.url(name), uid: `${name}-ep` });
    receiver.trustSecret(name, (await svix.endpoint.getSecret(APP, ep[name].id)).key);
  }
  msgA = await svix.message.create(APP, { eventType: 'ticket.opened', eventId: 'ticket-a', payload: { t: 'a' } });
  msgB = await svix.message.create(APP, { eventType: 'ticket.closed', payload: { t: 'b' } });
  // Schedule 1s,1s: every message ends failed on /down after 3 attempts; /reject fails the same way.
  await waitFor('all attempts finished', async () => {
    const down = await svix.messageAttempt.listByEndpoint(APP, ep.down.id, { status: 2 });
    const rej = await svix.messageAttempt.listByEndpoint(APP, ep.reject.id, { status: 2 });
    return down.data.length === 6 && rej.data.length === 6;
  }, 20000, 200);
});
after(async () => {
  await hookd?.stop();
  await receiver?.close();
});

const isApi = (code) => (e) => e instanceof ApiException && e.code === code && typeof e.body === 'object';

test('list by message: all endpoints, and filtered by status, status_code_class and endpoint_id', async () => {
  const all = await svix.messageAttempt.listByMsg(APP, msgA.id);
  assert.equal(all.data.length, 7, '1 success + 3 + 3 failures');
  for (const a of all.data) {
    assert.match(a.id, /^atmpt_[0-9A-Za-z]{27}$/);
    assert.equal(a.msgId, msgA.id);
    assert.equal(a.triggerType, 0, 'scheduled');
    assert.ok(a.timestamp instanceof Date && !Number.isNaN(a.timestamp.getTime()));
  }
  const ok = await svix.messageAttempt.listByMsg(APP, msgA.id, { status: 0 });
  assert.deepEqual(ok.data.map((a) => [a.endpointId, a.responseStatusCode, a.statusText]), [[ep.ok.id, 200, 'success']]);
  assert.equal(ok.data[0].response, 'accepted');
  assert.equal(ok.data[0].url, receiver.url('ok'));
  const failed = await svix.messageAttempt.listByMsg(APP, msgA.id, { status: 2 });
  assert.equal(failed.data.length, 6);
  assert.ok(failed.data.every((a) => a.statusText === 'fail'));
  const c5 = await svix.messageAttempt.listByMsg(APP, msgA.id, { statusCodeClass: 500 });
  assert.deepEqual(new Set(c5.data.map((a) => a.responseStatusCode)), new Set([503]));
  assert.equal(c5.data.length, 3);
  const c4 = await svix.messageAttempt.listByMsg(APP, msgA.id, { statusCodeClass: 400 });
  assert.deepEqual(c4.data.map((a) => a.endpointId), [ep.reject.id, ep.reject.id, ep.reject.id]);
  assert.equal(c4.data[0].response, 'bad');
  const c2 = await svix.messageAttempt.listByMsg(APP, msgA.id, { statusCodeClass: 200 });
  assert.equal(c2.data.length, 1);
  const oneEp = await svix.messageAttempt.listByMsg(APP, 'ticket-a', { endpointId: ep.down.id });
  assert.equal(oneEp.data.length, 3, 'message addressed by eventId, filtered to one endpoint');
  assert.ok(oneEp.data.every((a) => a.endpointId === ep.down.id));
});

test('list by endpoint: filtered by status, status_code_class and event_types; pagination', async () => {
  const down = await svix.messageAttempt.listByEndpoint(APP, ep.down.id);
  assert.equal(down.data.length, 6);
  assert.deepEqual(new Set(down.data.map((a) => a.msgId)), new Set([msgA.id, msgB.id]));
  assert.equal((await svix.messageAttempt.listByEndpoint(APP, ep.down.id, { status: 0 })).data.length, 0);
  assert.equal((await svix.messageAttempt.listByEndpoint(APP, 'ok-ep', { status: 0 })).data.length, 2);
  assert.equal((await svix.messageAttempt.listByEndpoint(APP, ep.ok.id, { statusCodeClass: 500 })).data.length, 0);
  assert.equal((await svix.messageAttempt.listByEndpoint(APP, ep.reject.id, { statusCodeClass: 400 })).data.length, 6);
  const closed = await svix.messageAttempt.listByEndpoint(APP, ep.down.id, { eventTypes: ['ticket.closed'] });
  assert.equal(closed.data.length, 3);
  assert.ok(closed.data.every((a) => a.msgId === msgB.id));
  const seen = [];
  let iterator;
  for (let guard = 0; guard < 10; guard++) {
    const page = await svix.messageAttempt.listByEndpoint(APP, ep.down.id, { limit: 4, iterator });
    seen.push(...page.data.map((a) => a.id));
    if (page.done) break;
    iterator = page.iterator;
  }
  assert.deepEqual([...seen].sort(), down.data.map((a) => a.id).sort());
  await assert.rejects(svix.messageAttempt.listByEndpoint(APP, ep.ok.id, { status: 9 }), isApi(422));
});

test('get one attempt by message and attempt id', async () => {
  const [first] = (await svix.messageAttempt.listByMsg(APP, msgB.id, { status: 0 })).data;
  const got = await svix.messageAttempt.get(APP, msgB.id, first.id);
  assert.equal(got.id, first.id);
  assert.equal(got.msgId, msgB.id);
  assert.equal(got.endpointId, ep.ok.id);
  assert.equal(got.responseStatusCode, 200);
  assert.equal(got.status, 0);
  assert.equal(typeof got.responseDurationMs, 'number');
  await assert.rejects(svix.messageAttempt.get(APP, msgA.id, first.id), isApi(404), 'attempt of another message');
});

test('resend answers 202 {} and delivers again with triggerType 1 (manual), same webhook-id', async () => {
  const raw = await hookd.api('POST', `/api/v1/app/${APP}/msg/${msgA.id}/endpoint/${ep.ok.id}/resend`);
  assert.equal(raw.status, 202);
  assert.deepEqual(raw.json, {});
  const viaSdk = await svix.messageAttempt.resend(APP, 'ticket-a', 'ok-ep');
  assert.deepEqual(viaSdk, {});
  const manual = await waitFor('two manual attempts', async () => {
    const list = await svix.messageAttempt.listByMsg(APP, msgA.id, { endpointId: ep.ok.id });
    const m = list.data.filter((a) => a.triggerType === 1);
    return m.length === 2 ? m : null;
  });
  assert.ok(manual.every((a) => a.status === 0 && a.responseStatusCode === 200));
  const got = await svix.messageAttempt.get(APP, msgA.id, manual[0].id);
  assert.equal(got.triggerType, 1);
  const deliveries = receiver.to('ok').filter((d) => d.headers['webhook-id'] === msgA.id);
  assert.equal(deliveries.length, 3, 'original + 2 resends, all with the message id');
  assert.equal(new Set(deliveries.map((d) => d.body.toString())).size, 1, 'same body each time');

  // A resend to a failing endpoint is one manual attempt, not retried.
  await svix.messageAttempt.resend(APP, msgB.id, ep.down.id);
  await waitFor('manual attempt on /down', async () =>
    (await svix.messageAttempt.listByMsg(APP, msgB.id, { endpointId: ep.down.id })).data.some((a) => a.triggerType === 1));
  await new Promise((r) => setTimeout(r, 2500));
  const downManual = (await svix.messageAttempt.listByMsg(APP, msgB.id, { endpointId: ep.down.id })).data.filter((a) => a.triggerType === 1);
  assert.equal(downManual.length, 1, 'manual attempts are not retried');

  await assert.rejects(svix.messageAttempt.resend(APP, 'msg_unknown', ep.ok.id), isApi(404));
});

test('every delivery in this file verified with both standardwebhooks and svix', () => {
  assert.ok(receiver.deliveries.length >= 15);
  assert.deepEqual(receiver.unverified().map((d) => d.path), []);
});
