// Issue 9: process and disk faults. Each test states what was lost (must be 0) and how many duplicates.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { setupTenant, startHookd, startReceiver, waitFor } from './lib/harness.mjs';

function tally(receiver, acknowledged) {
  const counts = new Map();
  for (const r of receiver.requests) counts.set(r.headers['webhook-id'], (counts.get(r.headers['webhook-id']) ?? 0) + 1);
  const lost = [...acknowledged].filter((id) => !counts.has(id)).length;
  const duplicates = [...counts.values()].reduce((sum, c) => sum + c - 1, 0);
  return { lost, duplicates };
}

test('kill -9 under load, five times in a row: nothing acknowledged is lost', { timeout: 300000 }, async () => {
  const receiver = await startReceiver();
  const args = ['--retry-schedule', '100ms,100ms,100ms', '--request-timeout', '5s'];
  let h = await startHookd({ args });
  const dataDir = h.dir;
  const acknowledged = new Set();
  try {
    await h.api('POST', '/api/v1/event-type', { name: 'crash.loop', description: 'load' });
    await setupTenant(h, { uid: 'loop', endpoints: [{ url: receiver.url }] });
    for (let round = 0; round < 5; round++) {
      let killed = false;
      let n = 0;
      const start = acknowledged.size;
      const worker = async () => {
        while (!killed && n < 1500) {
          const i = n++;
          try {
            const r = await h.api('POST', '/api/v1/app/loop/msg', { eventType: 'crash.loop', payload: { round, i } });
            if (r.status === 202) acknowledged.add(r.json.id);
          } catch { /* died with the process: not acknowledged */ }
        }
      };
      const workers = Array.from({ length: 32 }, worker);
      await waitFor(() => acknowledged.size - start >= 400, { timeoutMs: 60000, what: `round ${round} load` });
      h.child.kill('SIGKILL');
      killed = true;
      await h.exited;
      await Promise.all(workers);
      h = await startHookd({ args, dataDir });
    }
    await waitFor(() => tally(receiver, acknowledged).lost === 0, { timeoutMs: 120000, intervalMs: 250, what: 'every acknowledged message' });
    const { lost, duplicates } = tally(receiver, acknowledged);
    console.log(`five kill -9 rounds: acknowledged ${acknowledged.size}, lost ${lost}, duplicates ${duplicates}`);
    assert.equal(lost, 0);
  } finally {
    await h.stop().catch(() => {});
    h.cleanup();
    await receiver.close();
  }
});

test('disk full during ingest: 503, nothing accepted is lost, service resumes when space returns', { timeout: 180000 }, async () => {
  const mountPoint = mkdtempSync(path.join(tmpdir(), 'hookd-full-'));
  // A small tmpfs holds the store. Needs root (tests run as root on CI and in `make test`).
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=6m', 'tmpfs', mountPoint]);
  const dataDir = path.join(mountPoint, 'data');
  mkdirSync(dataDir);
  const receiver = await startReceiver();
  let h;
  try {
    h = await startHookd({ dataDir, args: ['--retry-schedule', '200ms'] });
    await h.api('POST', '/api/v1/event-type', { name: 'disk.fill', description: 'fill' });
    await setupTenant(h, { uid: 'full', endpoints: [{ url: receiver.url }] });
    const acknowledged = new Set();
    const statuses = new Map();
    const blob = 'x'.repeat(16 * 1024);
    for (let i = 0; i < 2000 && !statuses.get(503); i++) {
      const r = await h.api('POST', '/api/v1/app/full/msg', { eventType: 'disk.fill', payload: { i, blob } });
      statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
      if (r.status === 202) acknowledged.add(r.json.id);
      else assert.equal(r.status, 503, r.text);
    }
    assert.ok(statuses.get(503) >= 1, `the disk filled: ${JSON.stringify([...statuses])}`);
    const refused = await h.api('POST', '/api/v1/app/full/msg', { eventType: 'disk.fill', payload: { blob } });
    assert.equal(refused.status, 503);
    assert.equal(refused.json.code, 'store_unavailable');

    execFileSync('mount', ['-o', 'remount,size=64m', mountPoint]);
    const resumed = await waitFor(async () => {
      const r = await h.api('POST', '/api/v1/app/full/msg', { eventType: 'disk.fill', payload: { after: true } });
      if (r.status === 202) acknowledged.add(r.json.id);
      return r.status === 202;
    }, { timeoutMs: 20000, intervalMs: 200, what: 'ingest to resume' });
    assert.ok(resumed);
    await waitFor(() => tally(receiver, acknowledged).lost === 0, { timeoutMs: 60000, intervalMs: 250, what: 'every acknowledged message' });
    const { lost, duplicates } = tally(receiver, acknowledged);
    console.log(`disk full: acknowledged ${acknowledged.size}, refused ${statuses.get(503)}, lost ${lost}, duplicates ${duplicates}`);
    assert.equal(lost, 0);
    assert.equal(h.child.exitCode, null, 'hookd kept running');
  } finally {
    if (h) { await h.stop().catch(() => {}); }
    await receiver.close();
    execFileSync('umount', [mountPoint]);
    rmSync(mountPoint, { recursive: true, force: true });
  }
});
