// hookd serving its API over TLS (--tls-cert/--tls-key): a local CA and a server certificate for 127.0.0.1 are
// made with the openssl CLI; clients that trust the CA get answers, plain HTTP and untrusting clients do not,
// and a client that connects and never finishes the handshake is dropped without holding anyone else up.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { makeCa, makeServerCert } from './lib/certs.mjs';
import { ADMIN_TOKEN, HOOKD_BIN, startHookd } from './lib/harness.mjs';

// One request with Node's https (or http) module; resolves {status, json, socket facts} or rejects.
function request(mod, url, { method = 'GET', body, ca, agent } = {}) {
  return new Promise((resolve, reject) => {
    const req = mod.request(url, {
      method, ca, agent, timeout: 10000,
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
    }, (res) => {
      const protocol = res.socket?.getProtocol?.();  // read now: the socket is detached by 'end'
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let json = null;
        try { json = JSON.parse(text); } catch { /* the test decides */ }
        resolve({ status: res.statusCode, text, json, protocol });
      });
    });
    req.on('timeout', () => req.destroy(new Error('client timeout')));
    req.on('error', reject);
    req.end(body === undefined ? undefined : JSON.stringify(body));
  });
}

// Resolves with how long the server took to close a socket that only sends `prefix` and then stalls.
function stalledClient(port, prefix) {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const socket = net.connect(port, '127.0.0.1', () => { if (prefix) socket.write(prefix); });
    socket.on('error', () => {});
    socket.on('close', () => resolve(Date.now() - started));
    setTimeout(() => { socket.destroy(); reject(new Error('server never dropped the stalled client')); }, 15000);
  });
}

describe('TLS', () => {
  let dir;
  let ca;
  let otherCa;
  let server;
  let h;
  before(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'hookd-tls-'));
    ca = makeCa(dir, 'ca');
    otherCa = makeCa(dir, 'other-ca');
    server = makeServerCert(dir, ca);
    h = await startHookd({ args: ['--tls-cert', server.cert, '--tls-key', server.key, '--tls-handshake-timeout', '3s'] });
  });
  after(async () => {
    if (h) { await h.stop(); h.cleanup(); }
    rmSync(dir, { recursive: true, force: true });
  });

  test('prints an https URL and serves the API to a client that trusts the CA', async () => {
    assert.match(h.url, /^https:\/\/127\.0\.0\.1:\d+$/);
    const caPem = readFileSync(ca.cert);
    const agent = new https.Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const health = await request(https, `${h.url}/api/v1/health`, { ca: caPem, agent });
      assert.equal(health.status, 200, health.text);
      assert.equal(health.json.status, 'ok');
      assert.match(health.protocol, /^TLSv1\.[23]$/);
      const created = await request(https, `${h.url}/api/v1/app`, { method: 'POST', body: { name: 'Over TLS', uid: 'tls-app' }, ca: caPem, agent });
      assert.equal(created.status, 201, created.text);
      const read = await request(https, `${h.url}/api/v1/app/tls-app`, { ca: caPem, agent });
      assert.equal(read.status, 200, read.text);
      assert.equal(read.json.name, 'Over TLS');
      // Same limits and errors as plain HTTP.
      const missing = await request(https, `${h.url}/api/v1/nothing-here`, { ca: caPem, agent });
      assert.equal(missing.status, 404);
      assert.equal(missing.json.code, 'not_found');
      const big = await request(https, `${h.url}/api/v1/app`, { method: 'POST', body: { name: 'x'.repeat((1 << 20) + 1000) }, ca: caPem, agent: false });
      assert.equal(big.status, 413, big.text);
      assert.equal(big.json.code, 'payload_too_large');
      // Portal links use the https address.
      const portal = await request(https, `${h.url}/api/v1/auth/app-portal-access/tls-app`, { method: 'POST', body: {}, ca: caPem, agent });
      assert.equal(portal.status, 200, portal.text);
      assert.ok(portal.json.url.startsWith(`${h.url}/portal/`), portal.json.url);
    } finally { agent.destroy(); }
  });

  test('TLS 1.2 is accepted, TLS 1.1 is refused', async () => {
    const caPem = readFileSync(ca.cert);
    const tls12 = await request(https, `${h.url}/api/v1/health`, { ca: caPem, agent: new https.Agent({ maxVersion: 'TLSv1.2' }) });
    assert.equal(tls12.status, 200);
    assert.equal(tls12.protocol, 'TLSv1.2');
    // The openssl client offers TLS 1.1 only (security level 0 so that the client side allows it).
    const port = new URL(h.url).port;
    const r = spawnSync('openssl', ['s_client', '-connect', `127.0.0.1:${port}`, '-tls1_1', '-cipher', 'DEFAULT@SECLEVEL=0'],
      { input: '', encoding: 'utf8', timeout: 15000 });
    assert.notEqual(r.status, 0, r.stdout);
    // s_client prints the version it tried even when the handshake failed: what matters is that no cipher
    // was agreed ("Cipher is (NONE)").
    assert.doesNotMatch(r.stdout, /Cipher is (?!\(NONE\))/);
  });

  test('a plain HTTP request to the TLS port fails', async () => {
    const plainUrl = h.url.replace(/^https:/, 'http:');
    await assert.rejects(request(http, `${plainUrl}/api/v1/health`), (err) => {
      assert.match(String(err.code ?? err.message), /ECONNRESET|socket hang up|HPE_|EPIPE/);
      return true;
    });
  });

  test('a client that does not trust the CA fails verification', async () => {
    await assert.rejects(request(https, `${h.url}/api/v1/health`, { ca: readFileSync(otherCa.cert), agent: false }),
      (err) => {
        assert.match(err.code, /UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT|SELF_SIGNED|CERT_/);
        return true;
      });
  });

  test('stalled handshakes are dropped after the timeout and do not block other clients', async () => {
    const caPem = readFileSync(ca.cert);
    const port = Number(new URL(h.url).port);
    // 40 clients connect: half send nothing, half send the first bytes of a ClientHello and stop.
    const stalledAt = Date.now();
    const stalled = [];
    for (let i = 0; i < 40; i++) stalled.push(stalledClient(port, i % 2 ? Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00, 0x01]) : null));
    await new Promise((r) => setTimeout(r, 100));
    for (let i = 0; i < 5; i++) {
      const res = await request(https, `${h.url}/api/v1/app`, { ca: caPem, agent: false });
      assert.equal(res.status, 200, res.text);
    }
    // Blocked behind the stalled handshakes, these requests would end only once those were dropped (3 s).
    const servedAfter = Date.now() - stalledAt;
    const closedAfter = await Promise.all(stalled);
    assert.ok(servedAfter < Math.min(...closedAfter),
      `5 requests took ${servedAfter} ms; the first stalled client was dropped after ${Math.min(...closedAfter)} ms`);
    for (const ms of closedAfter) {
      assert.ok(ms >= 2500 && ms < 15000, `stalled client dropped after ${ms} ms (timeout 3 s)`);
    }
    const res = await request(https, `${h.url}/api/v1/health`, { ca: caPem, agent: false });
    assert.equal(res.status, 200);
  });

  test('bad TLS flags or files stop hookd at start with a clear error', () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'hookd-tls-bad-'));
    try {
      const run = (extra) => spawnSync(HOOKD_BIN, ['serve', '--listen', '127.0.0.1:0', '--data-dir', dataDir,
        '--admin-token', ADMIN_TOKEN, ...extra], {
        encoding: 'utf8', timeout: 30000, env: { ...process.env, ASAN_OPTIONS: 'detect_leaks=0' },
      });
      const garbage = path.join(dir, 'garbage.pem');
      writeFileSync(garbage, 'not a certificate\n');
      const cases = [
        [['--tls-cert', server.cert], /--tls-key/],
        [['--tls-key', server.key], /--tls-cert/],
        [['--tls-cert', path.join(dir, 'missing.pem'), '--tls-key', server.key], /cannot read TLS certificate file .*missing\.pem/],
        [['--tls-cert', garbage, '--tls-key', server.key], /TLS certificate .*garbage\.pem/],
        [['--tls-cert', server.cert, '--tls-key', garbage], /TLS key .*garbage\.pem/],
        [['--tls-cert', server.cert, '--tls-key', otherCa.key], /TLS key .*other-ca\.key/],
      ];
      for (const [extra, message] of cases) {
        const r = run(extra);
        assert.notEqual(r.status, 0, `${extra.join(' ')} should fail: ${r.stdout}`);
        assert.ok(r.status !== null, `${extra.join(' ')} did not exit: ${r.signal}`);
        assert.match(r.stderr + r.stdout, message, extra.join(' '));
        assert.doesNotMatch(r.stdout, /listening on/);
      }
    } finally { rmSync(dataDir, { recursive: true, force: true }); }
  });
});
