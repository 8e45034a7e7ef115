// Issue 9: the wall clock jumps (+2 h, -2 h) while messages are pending, failing and retrying, and in flight.
// hookd runs under libfaketime with a timestamp file that the test rewrites; the monotonic clock is left
// alone, as in a real NTP step. Each test states what was lost (must be 0) and how many duplicates.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { startFaultReceiver } from './lib/fault_receiver.mjs';
import { setupTenant, startHookd, waitFor } from './lib/harness.mjs';

const FAKETIME_LIB = ['/usr/lib/x86_64-linux-gnu/faketime/libfaketimeMT.so.1', '/usr/lib/aarch64-linux-gnu/faketime/libfaketimeMT.so.1',
  '/usr/lib/faketime/libfaketimeMT.so.1', '/usr/local/lib/faketime/libfaketimeMT.so.1'].find((p) => existsSync(p));
const skip = FAKETIME_LIB ? false : 'libfaketime is not installed (scripts/setup.sh installs the Debian package libfaketime)';

const RETRY_MS = 8000; // first retry 8 s after a failure (±20 % jitter)
const SLOW_MS = 6000; // the slow receiver answers after 6 s: in flight when the clock jumps

// Makes the faked wall clock of a running hookd jump: libfaketime re-reads the file on every call.
function fakeClock() {
  const dir = mkdtempSync(path.join(tmpdir(), 'hookd-clock-'));
  const file = path.join(dir, 'faketime');
  const set = (offset) => { writeFileSync(`${file}.tmp`, `${offset}\n`); renameSync(`${file}.tmp`, file); };
  set('+0');
  return {
    set,
    env: {
      LD_PRELOAD: FAKETIME_LIB,
      FAKETIME_TIMESTAMP_FILE: file,
      FAKETIME_NO_CACHE: '1',
      FAKETIME_DONT_FAKE_MONOTONIC: '1', // a clock step moves the wall clock only
      ASAN_OPTIONS: 'detect_leaks=0:verify_asan_link_order=0', // the preload comes before the ASan runtime
    },
    cleanup() { rmSync(dir, { recursive: true, force: true }); },
  };
}

async function jumpScenario(offset, label) {
  const clock = fakeClock();
  const healthy = await startFaultReceiver(() => ({ status: 200 }));
  const flaky = await startFaultReceiver((r) => (r.nth === 0 ? { status: 500 } : { status: 200 }));
  const slow = await startFaultReceiver(() => ({ status: 200, delayMs: SLOW_MS }));
  const receivers = { healthy, flaky, slow };
  const h = await startHookd({ env: clock.env, args: ['--retry-schedule', `${RETRY_MS}ms,${RETRY_MS}ms,${RETRY_MS}ms`, '--request-timeout', '20s'] });
  try {
    // The preload really is in effect: hookd's clock follows the file.
    await h.api('POST', '/api/v1/event-type', { name: 'clock.jump', description: 'jump' });
    await setupTenant(h, { uid: 'clock', endpoints: Object.values(receivers).map((r) => ({ url: r.url })) });
    const accepted = [];
    const send = async (n, phase) => {
      for (let i = 0; i < n; i++) {
        const r = await h.api('POST', '/api/v1/app/clock/msg', { eventType: 'clock.jump', payload: { phase, i } });
        assert.equal(r.status, 202, r.text);
        accepted.push(r.json.id);
      }
    };
    await send(30, 'before');
    // Before the jump: every message failed once at `flaky` (a retry is pending) and is in flight at `slow`.
    await waitFor(() => flaky.seen.size === 30 && slow.seen.size === 30 && healthy.delivered.size === 30,
      { timeoutMs: 20000, what: 'first attempts' });
    assert.equal(flaky.delivered.size, 0, 'the jump must come before the first retry (the machine is too slow?)');
    assert.equal(slow.delivered.size, 0, 'the jump must come while slow requests are in flight');

    clock.set(offset);
    const jumpedAt = Date.now();
    await send(20, 'after'); // written on the new timeline
    // The preload is in effect: requests signed after the jump carry hookd's jumped clock.
    const expected = Math.floor(Date.now() / 1000) + Number(offset);
    const signedAfter = await waitFor(() => [...healthy.seen.keys()].length > 30 && healthy.lastHeaders,
      { timeoutMs: 20000, what: 'a request sent after the jump' });
    const stamp = Number(signedAfter['webhook-timestamp']);
    assert.ok(Math.abs(stamp - expected) < 120, `hookd's clock did not jump: webhook-timestamp ${stamp}, expected about ${expected}`);

    // Due retries run (early, after a forward jump) and are not stalled by the jump's length after a backward one.
    const budget = RETRY_MS * 1.2 + SLOW_MS + 15000;
    await waitFor(() => Object.values(receivers).every((r) => r.missing(accepted).length === 0),
      { timeoutMs: budget, intervalMs: 100, what: `every message at every receiver after the ${label} jump` }).catch(() => {});
    const retriesDoneMs = Math.max(...[...flaky.firstDeliveredAt.values()]) - jumpedAt;
    // Let anything that would arrive twice (a re-claimed in-flight request) arrive.
    await new Promise((r) => setTimeout(r, 3000));
    const lost = Object.fromEntries(Object.entries(receivers).map(([k, r]) => [k, r.missing(accepted).length]));
    const duplicates = Object.fromEntries(Object.entries(receivers).map(([k, r]) => [k, r.duplicates()]));
    console.log(`clock ${label}: accepted ${accepted.length} messages x 3 endpoints, lost ${JSON.stringify(lost)}, ` +
      `duplicates ${JSON.stringify(duplicates)}, last pending retry delivered ${retriesDoneMs} ms after the jump`);
    for (const [k, n] of Object.entries(lost)) assert.equal(n, 0, `${k}: ${n} messages lost`);
    // On one node, a request in flight when the clock jumps is never sent a second time.
    for (const [k, n] of Object.entries(duplicates)) assert.equal(n, 0, `${k}: ${n} duplicates`);
    assert.ok(retriesDoneMs < RETRY_MS * 1.2 + 5000, `retries waited ${retriesDoneMs} ms after the jump`);
  } finally {
    await h.stop().catch(() => {});
    h.cleanup();
    clock.cleanup();
    for (const r of Object.values(receivers)) await r.close();
  }
}

test('wall clock jumps back 2 h: pending retries are not stalled, in-flight requests are not repeated', { skip, timeout: 120000 }, async () => {
  await jumpScenario('-7200', 'back 2 h');
});

test('wall clock jumps forward 2 h: due retries run early, leases of requests in flight are not stolen', { skip, timeout: 120000 }, async () => {
  await jumpScenario('+7200', 'forward 2 h');
});
