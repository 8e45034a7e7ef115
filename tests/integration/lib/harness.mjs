// Test harness: real hookd processes on loopback and real HTTP receivers. Every wait has a deadline.
import { spawn } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startPgCluster } from './pg.mjs';

export const HOOKD_BIN = process.env.HOOKD_BIN ?? path.resolve('build/hookd');
export const ADMIN_TOKEN = 'test-admin-token';

export async function waitFor(predicate, { timeoutMs = 10000, intervalMs = 25, what = 'condition' } = {}) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const value = await predicate();
    if (value) return value;
    await new Promise((r) => setTimeout(r, intervalMs));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}

// Nodes sharing a PostgreSQL store need one key for endpoint secrets (docs/RELIABILITY.md, "Secrets at
// rest"); SQLite nodes make their own in the data dir.
export const TEST_PG_SECRET_KEY = Buffer.alloc(32, 7).toString('base64');
const storeKey = (store) => (store && !process.env.HOOKD_SECRET_KEY ? { HOOKD_SECRET_KEY: TEST_PG_SECRET_KEY } : {});

// HOOKD_TEST_STORE=postgres: a hookd started without an explicit store gets a fresh database on one throwaway
// cluster per test process (a restart on the same dataDir finds its database again), so the core suites run
// unchanged against PostgreSQL (scripts/test-all.sh).
export const TEST_STORE = process.env.HOOKD_TEST_STORE === 'postgres' ? 'postgres' : 'sqlite';
let testCluster = null;
const databaseOfDir = new Map();
function defaultStore(dir) {
  if (TEST_STORE !== 'postgres') return undefined;
  if (!testCluster) {
    testCluster = startPgCluster();
    process.on('exit', () => { try { testCluster.stop(); } catch { /* already gone */ } });
  }
  if (!databaseOfDir.has(dir)) databaseOfDir.set(dir, testCluster.createDatabase());
  return databaseOfDir.get(dir);
}

// Starts `hookd serve` on a free port. `dataDir` may be reused to restart on the same store.
// `env`: extra environment for the process (e.g. LD_PRELOAD of libfaketime).
export async function startHookd({ args = [], dataDir, allowPrivate = true, store, nodeId, env = {} } = {}) {
  const dir = dataDir ?? mkdtempSync(path.join(tmpdir(), 'hookd-it-'));
  store ??= defaultStore(dir);
  const child = spawn(HOOKD_BIN, ['serve', '--listen', '127.0.0.1:0', '--data-dir', dir,
    '--admin-token', ADMIN_TOKEN, ...(allowPrivate ? ['--allow-private-targets'] : []), '--log-level', 'warn',
    ...(store ? ['--store', store] : []), ...(nodeId ? ['--node-id', nodeId] : []), ...args],
  { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ASAN_OPTIONS: 'detect_leaks=0', ...storeKey(store), ...env } });
  let out = '';
  let err = '';
  child.stdout.on('data', (d) => { out += d; });
  child.stderr.on('data', (d) => { err += d; });
  const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  const url = await Promise.race([
    waitFor(() => out.match(/listening on (https?:\/\/[0-9.:]+)/)?.[1], { timeoutMs: 30000, what: 'hookd to listen' }),
    exited.then((e) => { throw new Error(`hookd exited early (${JSON.stringify(e)}): ${err}`); }),
  ]);
  const api = async (method, route, body, headers = {}) => {
    const res = await fetch(url + route, {
      method,
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json', ...headers },
      body: body === undefined ? undefined : (typeof body === 'string' ? body : JSON.stringify(body)),
    });
    const text = await res.text();
    let json = null;
    try { json = text ? JSON.parse(text) : null; } catch { /* not JSON: the test decides */ }
    return { status: res.status, json, text, headers: res.headers };
  };
  return {
    url, dir, child, api, stderr: () => err, exited,
    async stop(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return Promise.race([exited, new Promise((_, rej) => setTimeout(() => rej(new Error('hookd did not stop')), 60000))]);
    },
    cleanup() { rmSync(dir, { recursive: true, force: true }); },
  };
}

// A receiver that records every request and answers with `respond(request, index)`:
// a {status, body, headers} object, or 'hang' to never answer.
// A receiver on 127.0.0.1 that records every request and answers with `respond(record, index)` ('hang' never
// answers). With `tls: { key, cert }` (PEM file paths) it speaks HTTPS; `connections()` counts the connections
// it accepted (TLS ones once their handshake is done).
export async function startReceiver(respond = () => ({ status: 200, body: 'ok' }), { tls } = {}) {
  const requests = [];
  const sockets = new Set();
  let connections = 0;
  const handler = (req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const record = { method: req.method, url: req.url, headers: req.headers, body: Buffer.concat(chunks).toString('utf8'), at: Date.now() };
      requests.push(record);
      const answer = respond(record, requests.length - 1);
      if (answer === 'hang') return;
      res.writeHead(answer.status ?? 200, answer.headers ?? {});
      res.end(answer.body ?? '');
    });
  };
  const server = tls
    ? https.createServer({ key: readFileSync(tls.key), cert: readFileSync(tls.cert) }, handler)
    : http.createServer(handler);
  server.on('connection', (s) => { sockets.add(s); s.on('close', () => sockets.delete(s)); });
  server.on(tls ? 'secureConnection' : 'connection', () => { connections += 1; });
  server.on('tlsClientError', () => {});  // a client refusing our certificate is what some tests want
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address();
  return {
    url: `${tls ? 'https' : 'http'}://127.0.0.1:${port}`, port, requests,
    connections: () => connections,
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise((r) => server.close(r));
    },
  };
}

// Standard Webhooks verification, written from the spec (the e2e suite also checks with the npm libraries).
export function verifySignature(secret, headers, body) {
  const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
  const signed = `${headers['webhook-id']}.${headers['webhook-timestamp']}.${body}`;
  const expected = createHmac('sha256', key).update(signed).digest('base64');
  return headers['webhook-signature'].split(' ').some((entry) => entry === `v1,${expected}`);
}

export async function setupTenant(h, { uid = 'uuid-tenant', endpoints = [] } = {}) {
  const app = await h.api('POST', '/api/v1/app', { name: `Tenant ${uid}`, uid });
  if (app.status !== 201) throw new Error(`app create: ${app.status} ${app.text}`);
  const created = [];
  for (const e of endpoints) {
    const res = await h.api('POST', `/api/v1/app/${uid}/endpoint`, e);
    if (res.status !== 201) throw new Error(`endpoint create: ${res.status} ${res.text}`);
    const secret = await h.api('GET', `/api/v1/app/${uid}/endpoint/${res.json.id}/secret`);
    created.push({ ...res.json, secret: secret.json.key });
  }
  return { app: app.json, endpoints: created };
}
