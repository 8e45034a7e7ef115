// Shared pieces of the portal tests: a hookd server, a local webhook receiver, the API, and Chromium.
import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import { mkdtempSync, mkdirSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const adminToken = 'portal-e2e-admin-token';
export const shotsDir = join(repoRoot, 'test-output', 'portal');

/** Polls `fn` until it returns a truthy value; fails after `timeoutMs` (every wait is bounded). */
export async function waitFor(fn, { timeoutMs = 15000, intervalMs = 100, what = 'condition' } = {}) {
  const deadline = Date.now() + timeoutMs;
  let last;
  while (Date.now() < deadline) {
    try {
      last = await fn();
      if (last) return last;
    } catch (e) {
      last = e;
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
  throw new Error(`timed out waiting for ${what} (last: ${last instanceof Error ? last.message : JSON.stringify(last)})`);
}

export async function startHookd({ retrySchedule = '1h' } = {}) {
  const bin = process.env.HOOKD_BIN || join(repoRoot, 'build', 'hookd');
  const portalDir = join(repoRoot, 'web', 'dist');
  if (!existsSync(bin)) throw new Error(`hookd binary not found at ${bin} (set HOOKD_BIN)`);
  if (!existsSync(join(portalDir, 'index.html'))) throw new Error(`portal not built: run npm run build in web/`);
  const dataDir = mkdtempSync(join(tmpdir(), 'hookd-portal-e2e-'));
  const args = [
    'serve', '--listen', '127.0.0.1:0', '--data-dir', dataDir, '--admin-token', adminToken,
    '--allow-private-targets', '--catalog', 'booking-platform', '--catalog', 'wink', '--catalog', 'buq',
    '--portal-dir', portalDir, '--retry-schedule', retrySchedule,
  ];
  const child = spawn(bin, args, { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const base = await new Promise((resolveBase, reject) => {
    const timer = setTimeout(() => reject(new Error(`hookd did not start in 20s:\n${output}`)), 20000);
    const onData = (chunk) => {
      output += chunk.toString();
      const m = /hookd listening on (http:\/\/[0-9.]+:\d+)/.exec(output);
      if (m) {
        clearTimeout(timer);
        resolveBase(m[1]);
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`hookd exited with ${code}:\n${output}`));
    });
  });
  return {
    base,
    log: () => output,
    async stop() {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        await Promise.race([
          new Promise((r) => child.once('exit', r)),
          new Promise((r) => setTimeout(r, 5000)),
        ]);
        if (child.exitCode === null) child.kill('SIGKILL');
      }
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** A webhook receiver on 127.0.0.1 that answers 200 with a recognisable body, or 500 when told to fail. */
export async function startReceiver() {
  const state = { fail: false, requests: [] };
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      const n = state.requests.push({ headers: req.headers, body, failed: state.fail });
      if (state.fail) {
        res.writeHead(500, { 'content-type': 'text/plain', 'x-receiver': 'failing' });
        res.end(`receiver failing on request ${n}`);
      } else {
        res.writeHead(200, { 'content-type': 'application/json', 'x-receiver': 'happy' });
        res.end(JSON.stringify({ receivedBy: 'e2e-receiver', request: n }));
      }
    });
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address();
  return {
    url: `http://127.0.0.1:${port}/hooks`,
    state,
    close: () => new Promise((r) => server.close(r)),
  };
}

export function apiClient(base) {
  return async function api(method, path, token, body) {
    const res = await fetch(base + path, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    const text = await res.text();
    let json = null;
    try {
      json = text ? JSON.parse(text) : null;
    } catch {
      json = text;
    }
    return { status: res.status, body: json };
  };
}

export async function launchBrowser() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_BIN || '/usr/bin/chromium',
    args: [
      '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
    ],
  });
}

export async function screenshot(page, name) {
  mkdirSync(shotsDir, { recursive: true });
  await page.screenshot({ path: join(shotsDir, `${name}.png`), fullPage: true });
}
