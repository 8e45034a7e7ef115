// Issue 2 acceptance: envelope and signature, retries, timeout and connect errors, filters.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { after, before, describe, test } from 'node:test';
import { setupTenant, startHookd, startReceiver, verifySignature, waitFor } from './lib/harness.mjs';

const catalog = JSON.parse(readFileSync(new URL('../../catalogs/booking-platform.json', import.meta.url)));
const bookingCreated = catalog.eventTypes.find((t) => t.name === 'booking.created').examples[0];

async function freeClosedPort() {
  const server = net.createServer();
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address();
  await new Promise((r) => server.close(r));
  return port;
}

describe('delivery', () => {
  let h;
  before(async () => {
    h = await startHookd({ args: ['--catalog', 'booking-platform', '--retry-schedule', '200ms,200ms',
      '--request-timeout', '700ms'] });
  });
  after(async () => { await h.stop(); h.cleanup(); });

  test('a booking.created event arrives with the exact envelope and a signature that verifies', async () => {
    const receiver = await startReceiver();
    try {
      const { endpoints: [ep] } = await setupTenant(h, { uid: 'uuid-tenant', endpoints: [{ url: `${receiver.url}/hook` }] });
      const sent = { id: 'evt_abc123', type: 'booking.created', tenant_id: 'uuid-tenant', data: bookingCreated.data };
      // Send the amounts as the document writes them (25.00), which JSON.stringify would shorten.
      const raw = JSON.stringify(sent).replace(/"(precio|total)":25/g, '"$1":25.00');
      const res = await h.api('POST', '/api/v1/events', raw);
      assert.equal(res.status, 202, res.text);
      await waitFor(() => receiver.requests.length === 1, { what: 'the delivery' });
      const req = receiver.requests[0];
      assert.equal(req.headers['content-type'], 'application/json');
      const body = JSON.parse(req.body);
      assert.deepEqual(Object.keys(body), ['id', 'type', 'created', 'tenant_id', 'data']);
      assert.equal(body.id, 'evt_abc123');
      assert.equal(body.type, 'booking.created');
      assert.equal(body.tenant_id, 'uuid-tenant');
      assert.match(body.created, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
      assert.deepEqual(body.data, bookingCreated.data);
      // Amounts keep their lexemes: 25.00 stays 25.00 on the wire.
      assert.match(req.body, /"precio":25\.00/);
      assert.match(req.body, /"total":25\.00/);
      assert.equal(req.headers['webhook-id'], res.json.id);
      assert.equal(req.headers['svix-id'], res.json.id);
      assert.ok(Math.abs(Number(req.headers['webhook-timestamp']) - Date.now() / 1000) < 30);
      assert.ok(verifySignature(ep.secret, req.headers, req.body), 'signature verifies');
      assert.ok(!verifySignature(ep.secret, req.headers, req.body + ' '), 'a changed body does not verify');
      // The same event id again returns the first message and delivers nothing new.
      const again = await h.api('POST', '/api/v1/events', sent);
      assert.equal(again.status, 200);
      assert.equal(again.json.id, res.json.id);
    } finally { await receiver.close(); }
  });

  test('500 twice then 200 gives three attempts, all listed with their status codes', async () => {
    const receiver = await startReceiver((_, i) => ({ status: i < 2 ? 500 : 200, body: i < 2 ? 'boom' : 'ok' }));
    try {
      const { endpoints: [ep] } = await setupTenant(h, { uid: 'retry-tenant', endpoints: [{ url: receiver.url }] });
      const msg = await h.api('POST', '/api/v1/app/retry-tenant/msg', { eventType: 'payment.completed', payload: { n: 1 } });
      assert.equal(msg.status, 202, msg.text);
      await waitFor(() => receiver.requests.length === 3, { what: 'three attempts' });
      const attempts = await waitFor(async () => {
        const r = await h.api('GET', `/api/v1/app/retry-tenant/attempt/msg/${msg.json.id}`);
        return r.json.data.length === 3 && r.json.data;
      }, { what: 'three recorded attempts' });
      assert.deepEqual(attempts.map((a) => a.responseStatusCode), [200, 500, 500]);  // newest first
      assert.deepEqual(attempts.map((a) => a.status), [0, 2, 2]);
      assert.equal(attempts[1].response, 'boom');
      assert.ok(attempts.every((a) => a.endpointId === ep.id && a.triggerType === 0));
      const byEndpoint = await h.api('GET', `/api/v1/app/retry-tenant/attempt/endpoint/${ep.id}?status=2`);
      assert.equal(byEndpoint.json.data.length, 2);
      // The webhook-id is the same on every retry.
      assert.equal(new Set(receiver.requests.map((r) => r.headers['webhook-id'])).size, 1);
    } finally { await receiver.close(); }
  });

  test('a receiver that never answers is cut at the timeout and recorded as timeout', async () => {
    const receiver = await startReceiver(() => 'hang');
    try {
      await setupTenant(h, { uid: 'timeout-tenant', endpoints: [{ url: receiver.url }] });
      const msg = await h.api('POST', '/api/v1/app/timeout-tenant/msg', { eventType: 'order.created', payload: {} });
      const attempt = await waitFor(async () => {
        const r = await h.api('GET', `/api/v1/app/timeout-tenant/attempt/msg/${msg.json.id}`);
        return r.json.data.at(-1);
      }, { what: 'the timed-out attempt' });
      assert.equal(attempt.errorClass, 'timeout');
      assert.equal(attempt.responseStatusCode, 0);
      assert.equal(attempt.status, 2);
      assert.ok(attempt.responseDurationMs >= 600 && attempt.responseDurationMs < 5000, `${attempt.responseDurationMs} ms`);
    } finally { await receiver.close(); }
  });

  test('a dead port is recorded as connect', async () => {
    const port = await freeClosedPort();
    await setupTenant(h, { uid: 'dead-tenant', endpoints: [{ url: `http://127.0.0.1:${port}/` }] });
    const msg = await h.api('POST', '/api/v1/app/dead-tenant/msg', { eventType: 'order.created', payload: {} });
    const attempt = await waitFor(async () => {
      const r = await h.api('GET', `/api/v1/app/dead-tenant/attempt/msg/${msg.json.id}`);
      return r.json.data.at(-1);
    }, { what: 'the failed attempt' });
    assert.equal(attempt.errorClass, 'connect');
    assert.equal(attempt.responseStatusCode, 0);
  });

  test('an endpoint with a filter gets only its types; wildcards match below their prefix', async () => {
    const payments = await startReceiver();
    const exact = await startReceiver();
    const all = await startReceiver();
    try {
      await setupTenant(h, { uid: 'filter-tenant', endpoints: [
        { url: payments.url, filterTypes: ['payment.*'] },
        { url: exact.url, filterTypes: ['booking.created'] },
        { url: all.url },
      ] });
      for (const eventType of ['booking.created', 'payment.completed', 'payment.refunded', 'customer.created']) {
        const r = await h.api('POST', '/api/v1/app/filter-tenant/msg', { eventType, payload: { eventType } });
        assert.equal(r.status, 202, r.text);
      }
      await waitFor(() => all.requests.length === 4, { what: 'all four at the unfiltered endpoint' });
      await waitFor(() => payments.requests.length === 2 && exact.requests.length === 1, { what: 'filtered deliveries' });
      await new Promise((r) => setTimeout(r, 300));  // nothing more arrives
      assert.deepEqual(payments.requests.map((r) => JSON.parse(r.body).eventType).sort(), ['payment.completed', 'payment.refunded']);
      assert.deepEqual(exact.requests.map((r) => JSON.parse(r.body).eventType), ['booking.created']);
    } finally { await Promise.all([payments.close(), exact.close(), all.close()]); }
  });

  test('410 Gone disables the endpoint; a manual resend is one attempt, not retried', async () => {
    const receiver = await startReceiver(() => ({ status: 410 }));
    try {
      const { endpoints: [ep] } = await setupTenant(h, { uid: 'gone-tenant', endpoints: [{ url: receiver.url }] });
      const msg = await h.api('POST', '/api/v1/app/gone-tenant/msg', { eventType: 'order.created', payload: {} });
      await waitFor(async () => (await h.api('GET', `/api/v1/app/gone-tenant/endpoint/${ep.id}`)).json.disabled,
        { what: 'the endpoint to be disabled' });
      assert.equal(receiver.requests.length, 1, '410 is not retried');
      const resend = await h.api('POST', `/api/v1/app/gone-tenant/msg/${msg.json.id}/endpoint/${ep.id}/resend`);
      assert.equal(resend.status, 202);
      assert.deepEqual(resend.json, {});
      await waitFor(() => receiver.requests.length === 2, { what: 'the resend' });
      const attempts = await waitFor(async () => {
        const r = await h.api('GET', `/api/v1/app/gone-tenant/attempt/msg/${msg.json.id}`);
        return r.json.data.length === 2 && r.json.data;
      }, { what: 'two attempts' });
      assert.equal(attempts[0].triggerType, 1);
      await new Promise((r) => setTimeout(r, 600));
      assert.equal(receiver.requests.length, 2, 'the manual attempt is not retried');
    } finally { await receiver.close(); }
  });
});
