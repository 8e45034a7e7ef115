// Deliveries over HTTPS: hookd verifies the receiver's certificate against the system roots plus --ca-file,
// keeps the TLS connection alive across deliveries, and records a receiver it cannot verify as a tls failure
// without sending it anything.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { makeCa, makeServerCert } from './lib/certs.mjs';
import { setupTenant, startHookd, startReceiver, verifySignature, waitFor } from './lib/harness.mjs';

describe('outbound TLS', () => {
  let dir;
  let trusted;
  let untrusted;
  let h;
  before(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'hookd-outbound-tls-'));
    const ca = makeCa(dir, 'ca');
    const otherCa = makeCa(dir, 'other-ca');
    trusted = await startReceiver(undefined, { tls: makeServerCert(dir, ca, 'trusted') });
    untrusted = await startReceiver(undefined, { tls: makeServerCert(dir, otherCa, 'untrusted') });
    h = await startHookd({ args: ['--catalog', 'booking-platform', '--ca-file', ca.cert, '--retry-schedule', '5s', '--request-timeout', '3s'] });
  });
  after(async () => {
    if (h) { await h.stop(); h.cleanup(); }
    await trusted?.close();
    await untrusted?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('a receiver whose certificate chains to --ca-file gets signed deliveries on one kept-alive connection', async () => {
    const { endpoints: [ep] } = await setupTenant(h, { uid: 'tls-tenant', endpoints: [{ url: `${trusted.url}/hook` }] });
    for (let i = 1; i <= 5; i += 1) {
      const res = await h.api('POST', '/api/v1/app/tls-tenant/msg', { eventType: 'order.created', payload: { n: i } });
      assert.equal(res.status, 202, res.text);
      await waitFor(() => trusted.requests.length === i, { what: `delivery ${i}` });
    }
    for (const req of trusted.requests) assert.ok(verifySignature(ep.secret, req.headers, req.body), 'signature verifies');
    assert.deepEqual(trusted.requests.map((r) => JSON.parse(r.body).n), [1, 2, 3, 4, 5]);
    assert.equal(trusted.connections(), 1, 'one TLS handshake for five deliveries');
  });

  test('a receiver that cannot be verified is recorded as tls and receives nothing', async () => {
    await setupTenant(h, { uid: 'untrusted-tenant', endpoints: [{ url: `${untrusted.url}/hook` }] });
    const msg = await h.api('POST', '/api/v1/app/untrusted-tenant/msg', { eventType: 'order.created', payload: {} });
    const attempt = await waitFor(async () => {
      const r = await h.api('GET', `/api/v1/app/untrusted-tenant/attempt/msg/${msg.json.id}`);
      return r.json.data.at(-1);
    }, { what: 'the failed attempt' });
    assert.equal(attempt.errorClass, 'tls');
    assert.equal(attempt.responseStatusCode, 0);
    assert.match(attempt.errorDetail, /certificate/i);
    assert.equal(untrusted.requests.length, 0);
  });
});
