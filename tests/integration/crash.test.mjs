// Crash safety: with thousands of messages in flight, kill -9 hookd and start it again on the same store.
// Every message whose create call was answered 2xx must be delivered at least once.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setupTenant, startHookd, startReceiver, waitFor } from './lib/harness.mjs';

const TOTAL = 6000;
const CONCURRENCY = 64;

test(`kill -9 under a load of ${TOTAL} messages loses nothing that was acknowledged`, { timeout: 240000 }, async () => {
  // A slow receiver keeps a backlog of deliveries pending and in flight when the process dies.
  const receiver = await startReceiver(() => ({ status: 200, body: 'ok' }));
  const args = ['--retry-schedule', '100ms,100ms,100ms,100ms,100ms', '--request-timeout', '5s'];
  let h = await startHookd({ args });
  const dataDir = h.dir;
  try {
    await h.api('POST', '/api/v1/event-type', { name: 'load.test', description: 'load' });
    await setupTenant(h, { uid: 'crash-tenant', endpoints: [{ url: receiver.url }] });
    const acknowledged = new Set();
    let next = 0;
    let killed = false;
    let refused = 0;
    const worker = async () => {
      while (next < TOTAL && !killed) {
        const n = next++;
        try {
          const r = await h.api('POST', '/api/v1/app/crash-tenant/msg',
            { eventType: 'load.test', eventId: `load-${n}`, payload: { n, pad: 'x'.repeat(200) } });
          if (r.status === 202) acknowledged.add(r.json.id);
        } catch { refused++; }  // the connection died with the process: not acknowledged
      }
    };
    const workers = Array.from({ length: CONCURRENCY }, worker);
    await waitFor(() => acknowledged.size >= TOTAL * 0.6, { timeoutMs: 120000, what: 'most messages to be accepted' });
    const deliveredBeforeKill = new Set(receiver.requests.map((r) => r.headers['webhook-id'])).size;
    h.child.kill('SIGKILL');
    killed = true;
    await h.exited;
    await Promise.all(workers);
    console.log(`killed with ${acknowledged.size} acknowledged, ${deliveredBeforeKill} delivered, ${refused} refused in flight`);

    h = await startHookd({ args, dataDir });
    await waitFor(() => {
      const seen = new Set(receiver.requests.map((r) => r.headers['webhook-id']));
      for (const id of acknowledged) if (!seen.has(id)) return false;
      return true;
    }, { timeoutMs: 150000, intervalMs: 250, what: 'every acknowledged message to be delivered' });
    const counts = new Map();
    for (const r of receiver.requests) counts.set(r.headers['webhook-id'], (counts.get(r.headers['webhook-id']) ?? 0) + 1);
    const duplicates = [...counts.values()].reduce((sum, c) => sum + (c - 1), 0);
    const lost = [...acknowledged].filter((id) => !counts.has(id)).length;
    console.log(`acknowledged ${acknowledged.size}, delivered ${counts.size}, lost ${lost}, duplicates ${duplicates}`);
    assert.equal(lost, 0);
    assert.ok(acknowledged.size >= TOTAL * 0.6);
  } finally {
    await h.stop().catch(() => {});
    h.cleanup();
    await receiver.close();
  }
});
