// Issue 7: blocking ("wait") delivery. The call answers when every subscribed endpoint has succeeded or failed
// its first attempt, or when the bound is reached, with each endpoint's outcome; retries go on afterwards.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setupTenant, startHookd, startReceiver, waitFor } from './lib/harness.mjs';

test('wait returns the outcomes of three endpoints (success, fail, timeout) within the bound', { timeout: 60000 }, async () => {
  const h = await startHookd({ args: ['--catalog', 'booking-platform', '--request-timeout', '10s', '--retry-schedule', '300ms'] });
  const ok = await startReceiver(() => ({ status: 200, body: 'ok' }));
  const bad = await startReceiver(() => ({ status: 500, body: 'refused' }));
  const slow = await startReceiver(() => 'hang');
  try {
    const { endpoints } = await setupTenant(h, { uid: 'waiting', endpoints: [{ url: ok.url }, { url: bad.url }, { url: slow.url }] });
    const started = Date.now();
    const res = await h.api('POST', '/api/v1/app/waiting/msg?wait=2', { eventType: 'booking.completed', payload: { a: 25.00 } });
    const elapsed = Date.now() - started;
    assert.equal(res.status, 202, res.text);
    assert.ok(elapsed >= 1900 && elapsed < 8000, `answered after ${elapsed} ms (bound 2 s; the hanging endpoint times out at 10 s)`);
    const byId = Object.fromEntries(res.json.outcomes.map((o) => [o.endpointId, o]));
    assert.deepEqual(byId[endpoints[0].id], { endpointId: endpoints[0].id, status: 'success', responseStatusCode: 200, error: null });
    assert.deepEqual(byId[endpoints[1].id], { endpointId: endpoints[1].id, status: 'fail', responseStatusCode: 500, error: 'http_status' });
    assert.equal(byId[endpoints[2].id].status, 'pending');
    assert.equal(res.json.eventType, 'booking.completed');
    // The message was stored before any attempt, and the failed endpoint is retried afterwards as usual.
    assert.equal((await h.api('GET', `/api/v1/app/waiting/msg/${res.json.id}`)).status, 200);
    await waitFor(() => bad.requests.length >= 2, { what: 'the retry after the wait' });
    // The native API waits too; all endpoints answering quickly gives an early answer.
    const quick = await startReceiver();
    try {
      await h.api('DELETE', `/api/v1/app/waiting/endpoint/${endpoints[2].id}`);
      await h.api('DELETE', `/api/v1/app/waiting/endpoint/${endpoints[1].id}`);
      const t0 = Date.now();
      const native = await h.api('POST', '/api/v1/events?wait=5', { type: 'booking.no_show', tenant_id: 'waiting', data: { booking: { id: 1 } } });
      assert.equal(native.status, 202, native.text);
      assert.ok(Date.now() - t0 < 3000, 'answered as soon as the endpoint answered');
      assert.deepEqual(native.json.outcomes.map((o) => o.status), ['success']);
    } finally { await quick.close(); }
    const invalid = await h.api('POST', '/api/v1/app/waiting/msg?wait=600', { eventType: 'booking.completed', payload: {} });
    assert.equal(invalid.status, 422);
  } finally {
    await h.stop(); h.cleanup();
    await Promise.all([ok.close(), bad.close(), slow.close()]);
  }
});
