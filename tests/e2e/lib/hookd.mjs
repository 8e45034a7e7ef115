// Test harness for the end-to-end suite: a real hookd process on an ephemeral port with a throw-away data
// directory, an SDK client whose every request is recorded (for the route-coverage test), and a loopback
// receiver that records and verifies every delivery.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { Svix } from 'svix';
import { routeOf } from './routes.mjs';

export const HOOKD_BIN = process.env.HOOKD_BIN ?? path.resolve(import.meta.dirname, '../../../build/hookd');

// Every request any client of this process sent: {method, path, status, route}. Written to a file per test
// file so that the coverage test (which runs last) can see what the whole suite touched.
const requestLog = [];
export function recordedRequests() {
  return requestLog;
}

// The node test runner starts each test file as a child of one runner process: its pid names the run.
export function routeLogDir() {
  return process.env.HOOKD_ROUTE_LOG_DIR ?? path.join(tmpdir(), `hookd-e2e-routes-${process.ppid}`);
}

process.on('exit', () => {
  const file = path.basename(process.argv[1] ?? 'unknown');
  if (!file.endsWith('.test.mjs') || file.startsWith('zz-')) return;
  mkdirSync(routeLogDir(), { recursive: true });
  writeFileSync(path.join(routeLogDir(), `${file}.json`), JSON.stringify(requestLog));
});

// fetch that records what it sent and what came back; passed to the SDK as its `fetch` option.
export async function recordingFetch(input, init = {}) {
  const url = new URL(input instanceof Request ? input.url : String(input));
  const method = (init.method ?? (input instanceof Request ? input.method : 'GET')).toUpperCase();
  const response = await fetch(input, init);
  const entry = { method, path: url.pathname, status: response.status, route: routeOf(method, url.pathname) };
  // The SDK JSON.parses every 4xx body: note any that would make it throw a SyntaxError instead.
  if (response.status >= 400 && response.status < 500) {
    const text = await response.clone().text();
    try {
      JSON.parse(text);
      entry.jsonBody = true;
    } catch {
      entry.jsonBody = false;
      entry.body = text.slice(0, 200);
    }
  }
  requestLog.push(entry);
  return response;
}

export function deadline(ms, what) {
  const end = Date.now() + ms;
  return {
    check() {
      if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    },
  };
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// Polls `probe` until it returns a truthy value; fails the test after `ms`.
export async function waitFor(what, probe, ms = 10000, every = 50) {
  const d = deadline(ms, what);
  for (;;) {
    const value = await probe();
    if (value) return value;
    d.check();
    await sleep(every);
  }
}

/**
 * Starts hookd. Options: extraArgs (array), retrySchedule, requestTimeout.
 * Returns {url, token, svix, dataDir, api(method, path, body?, headers?), logs(), stop()}.
 */
export async function startHookd(options = {}) {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'hookd-e2e-'));
  const token = `testsk_${randomBytes(12).toString('hex')}`;
  const args = [
    'serve',
    '--listen', '127.0.0.1:0',
    '--data-dir', dataDir,
    '--admin-token', token,
    '--allow-private-targets',
    '--retry-schedule', options.retrySchedule ?? '1s,1s',
    '--request-timeout', options.requestTimeout ?? '2s',
    '--sync', 'normal',
    ...(options.extraArgs ?? []),
  ];
  const child = spawn(HOOKD_BIN, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const url = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`hookd did not start in 15 s:\n${output}`)), 15000);
    const onData = (chunk) => {
      output += chunk;
      const m = /hookd listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(output);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', (c) => (output += c));
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`hookd exited with ${code} before listening:\n${output}`));
    });
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(new Error(`cannot start ${HOOKD_BIN} (set HOOKD_BIN): ${e.message}`));
    });
  });
  child.removeAllListeners('exit');
  const exited = new Promise((r) => child.on('exit', r));
  const svix = new Svix(token, { serverUrl: url, fetch: recordingFetch });

  // Raw HTTP for what the SDK has no method for, and for asserting exact status codes and bodies.
  async function api(method, p, body, headers = {}) {
    const init = { method, headers: { authorization: `Bearer ${token}`, ...headers } };
    if (body !== undefined) {
      init.body = typeof body === 'string' ? body : JSON.stringify(body);
      init.headers['content-type'] = 'application/json';
    }
    const res = await recordingFetch(url + p, init);
    const text = await res.text();
    let json;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = undefined;
    }
    return { status: res.status, headers: res.headers, text, json };
  }

  return {
    url,
    token,
    svix,
    dataDir,
    api,
    logs: () => output,
    async stop() {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        const killer = setTimeout(() => child.kill('SIGKILL'), 5000);
        await exited;
        clearTimeout(killer);
      }
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
