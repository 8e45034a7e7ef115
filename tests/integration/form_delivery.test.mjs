// Issue 7: form-encoded deliveries, the verification ping and the "200 with a non-empty body" rule, against a
// receiver written the way document 002's users write theirs (standard form parser, checks auth_id/auth_secret,
// answers "ok").
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { setupTenant, startHookd, startReceiver, verifySignature, waitFor } from './lib/harness.mjs';

const buq = JSON.parse(readFileSync(new URL('../../catalogs/buq.json', import.meta.url)));
const example = (name) => buq.eventTypes.find((t) => t.name === name).examples[0];
const AUTH = { authId: 'cmp_client_4821', authSecret: 's3cr3t-7f9a2c' };

function buqReceiver() {
  return startReceiver((req) => {
    const form = new URLSearchParams(req.body);
    if (form.get('auth_id') !== AUTH.authId || form.get('auth_secret') !== AUTH.authSecret) return { status: 403, body: 'denied' };
    return { status: 200, body: 'ok' };
  });
}

describe('form deliveries (document 002)', () => {
  let h;
  before(async () => { h = await startHookd({ args: ['--catalog', 'buq', '--retry-schedule', '200ms'] }); });
  after(async () => { await h.stop(); h.cleanup(); });

  test('adduser, updateuser and addpurchase arrive as forms with every field, each after a ping', async () => {
    const receiver = await buqReceiver();
    try {
      const { endpoints: [ep] } = await setupTenant(h, { uid: 'gym', endpoints: [{ url: receiver.url, bodyFormat: 'form',
        successRule: '200-with-body', verificationPing: true, ...AUTH }] });
      const got = await h.api('GET', `/api/v1/app/gym/endpoint/${ep.id}`);
      assert.equal(got.json.bodyFormat, 'form');
      assert.equal(got.json.successRule, '200-with-body');
      assert.equal(got.json.verificationPing, true);
      assert.equal(got.json.authId, AUTH.authId);
      assert.ok(!JSON.stringify(got.json).includes(AUTH.authSecret), 'authSecret is never returned');
      for (const name of ['adduser', 'updateuser', 'addpurchase']) {
        const r = await h.api('POST', '/api/v1/app/gym/msg', { eventType: name, payload: example(name) });
        assert.equal(r.status, 202, r.text);
      }
      await waitFor(() => receiver.requests.length === 6, { what: 'three pings and three deliveries' });
      const isPing = (r) => new URLSearchParams(r.body).get('type') === 'permission';
      const deliveries = receiver.requests.filter((r) => !isPing(r));
      assert.equal(deliveries.length, 3);
      for (const delivery of deliveries) {
        // Its ping (same webhook-id) came first, with exactly the three fields of document 002.
        const ping = receiver.requests.find((r) => isPing(r) && r.headers['webhook-id'] === delivery.headers['webhook-id']);
        assert.ok(ping && ping.at <= delivery.at, 'a ping before the delivery');
        assert.equal(ping.headers['content-type'], 'application/x-www-form-urlencoded');
        assert.deepEqual([...new URLSearchParams(ping.body).keys()], ['type', 'auth_id', 'auth_secret']);
        const form = new URLSearchParams(delivery.body);
        const name = form.get('type');
        const sent = example(name);
        for (const [key, value] of Object.entries(sent)) assert.equal(form.get(key), String(value), `${name}.${key}`);
        assert.ok(verifySignature(ep.secret, delivery.headers, delivery.body), 'signature over the exact form bytes');
        if (name === 'addpurchase') {
          const lists = ['itemsId', 'itemType', 'itemQuantity', 'itemName', 'itemprice', 'itemSKU'].map((k) => form.get(k).split(','));
          assert.ok(lists.every((l) => l.length === lists[0].length && l.length > 1), 'item lists of equal length');
        }
      }
      assert.deepEqual(deliveries.map((r) => new URLSearchParams(r.body).get('type')).sort(),
        ['addpurchase', 'adduser', 'updateuser']);
    } finally { await receiver.close(); }
  });

  test('a refused ping is a verification_failed attempt and the delivery is not sent', async () => {
    const receiver = await startReceiver(() => ({ status: 403, body: 'no' }));
    try {
      await setupTenant(h, { uid: 'gym-refuses', endpoints: [{ url: receiver.url, bodyFormat: 'form', verificationPing: true, ...AUTH }] });
      const msg = await h.api('POST', '/api/v1/app/gym-refuses/msg', { eventType: 'adduser', payload: example('adduser') });
      const attempts = await waitFor(async () => {
        const r = await h.api('GET', `/api/v1/app/gym-refuses/attempt/msg/${msg.json.id}`);
        return r.json.data.length === 2 && r.json.data;  // the first try and its one retry
      }, { what: 'two failed attempts' });
      assert.ok(attempts.every((a) => a.errorClass === 'verification_failed' && a.responseStatusCode === 403));
      assert.ok(receiver.requests.every((r) => new URLSearchParams(r.body).get('type') === 'permission'), 'only pings were sent');
    } finally { await receiver.close(); }
  });

  test('200 with an empty body fails under the document rule and succeeds under the default rule', async () => {
    const receiver = await startReceiver(() => ({ status: 200, body: '' }));
    try {
      const { endpoints: [strict, lenient] } = await setupTenant(h, { uid: 'gym-empty', endpoints: [
        { url: `${receiver.url}/strict`, bodyFormat: 'form', successRule: '200-with-body', ...AUTH },
        { url: `${receiver.url}/lenient`, bodyFormat: 'form', ...AUTH }] });
      const msg = await h.api('POST', '/api/v1/app/gym-empty/msg', { eventType: 'updateuser', payload: example('updateuser') });
      const attempts = async (ep) => (await h.api('GET', `/api/v1/app/gym-empty/attempt/msg/${msg.json.id}?endpoint_id=${ep.id}`)).json.data;
      await waitFor(async () => (await attempts(strict)).length === 2 && (await attempts(lenient)).length === 1,
        { what: 'attempts on both endpoints' });
      assert.ok((await attempts(strict)).every((a) => a.status === 2 && a.errorClass === 'http_status'));
      assert.equal((await attempts(lenient))[0].status, 0);
    } finally { await receiver.close(); }
  });
});
