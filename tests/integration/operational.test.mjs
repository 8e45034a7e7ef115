// Issue 4, point 4: operational webhooks at a configured URL, signed like any delivery.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setupTenant, startHookd, startReceiver, verifySignature, waitFor } from './lib/harness.mjs';

const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';

test('the operator hears of endpoint changes, failing, exhausted and recovered messages, and disabled endpoints', { timeout: 60000 }, async () => {
  const operator = await startReceiver();
  const flaky = await startReceiver((_, i) => ({ status: i === 0 ? 503 : 200, body: 'ok' }));
  const broken = await startReceiver(() => ({ status: 500 }));
  const gone = await startReceiver(() => ({ status: 410 }));
  const h = await startHookd({ args: ['--retry-schedule', '100ms,100ms,100ms,100ms', '--operational-webhook-url', operator.url,
    '--operational-webhook-secret', SECRET] });
  const seen = (type) => operator.requests.map((r) => JSON.parse(r.body)).filter((b) => b.type === type);
  try {
    await h.api('PUT', '/api/v1/event-type/ops.test', { description: 'x' });
    const { endpoints: [ep] } = await setupTenant(h, { uid: 'ops', endpoints: [{ url: broken.url }] });
    await waitFor(() => seen('endpoint.created').length === 1, { what: 'endpoint.created' });
    assert.equal(seen('endpoint.created')[0].data.endpointId, ep.id);
    assert.equal(seen('endpoint.created')[0].data.appUid, 'ops');
    await h.api('PATCH', `/api/v1/app/ops/endpoint/${ep.id}`, { description: 'changed' });
    await waitFor(() => seen('endpoint.updated').length === 1, { what: 'endpoint.updated' });

    const msg = (await h.api('POST', '/api/v1/app/ops/msg', { eventType: 'ops.test', eventId: 'e-1', payload: {} })).json;
    await waitFor(() => seen('message.attempt.exhausted').length === 1, { what: 'message.attempt.exhausted' });
    assert.equal(seen('message.attempt.failing').length, 1, 'failing is sent once, at the 4th failure');
    const exhausted = seen('message.attempt.exhausted')[0].data;
    assert.deepEqual([exhausted.msgId, exhausted.msgEventId, exhausted.endpointId], [msg.id, 'e-1', ep.id]);
    assert.equal(exhausted.lastAttempt.responseStatusCode, 500);

    const { endpoints: [flakyEp, goneEp] } = await setupTenant(h, { uid: 'ops2', endpoints: [{ url: flaky.url }, { url: gone.url }] });
    await h.api('POST', '/api/v1/app/ops2/msg', { eventType: 'ops.test', payload: {} });
    await waitFor(() => seen('message.attempt.recovered').length === 1 && seen('endpoint.disabled').length === 1,
      { what: 'recovered and disabled' });
    assert.equal(seen('message.attempt.recovered')[0].data.endpointId, flakyEp.id);
    assert.equal(seen('endpoint.disabled')[0].data.endpointId, goneEp.id);
    await h.api('DELETE', `/api/v1/app/ops2/endpoint/${flakyEp.id}`);
    await waitFor(() => seen('endpoint.deleted').length === 1, { what: 'endpoint.deleted' });
    for (const r of operator.requests) assert.ok(verifySignature(SECRET, r.headers, r.body), 'signed with the operator secret');
  } finally {
    await h.stop(); h.cleanup();
    await Promise.all([operator.close(), flaky.close(), broken.close(), gone.close()]);
  }
});
