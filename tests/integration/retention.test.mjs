// Retention (issue 5 point 3): 50,000 expired messages and their attempts are pruned in small batches
// while live traffic flows, on SQLite and on PostgreSQL; deliveries keep their latency meanwhile.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setupTenant, startHookd, startReceiver, waitFor } from './lib/harness.mjs';
import { startPgCluster } from './lib/pg.mjs';

const OLD = 50000;
const DAY = 86400000;

const metric = async (h, name) => Number((await (await fetch(`${h.url}/metrics`)).text())
  .split('\n').find((l) => l.startsWith(name + ' '))?.split(' ')[1] ?? NaN);

// Rows as hookd writes them, created 100 days ago; ids sort before every live id (ids follow time).
function oldRowsSql({ appId, endpointId, series, no, pad }) {
  const t = Date.now() - 100 * DAY;
  const big = 'x'.repeat(400);
  return `
INSERT INTO messages (id, app_id, event_id, event_type, payload, channels, created_at)
  SELECT 'msg_0old' || ${pad('i')}, '${appId}', NULL, 'retention.test', '{"old":' || i || ',"pad":"${big}"}', NULL, ${t}
  FROM ${series};
INSERT INTO deliveries (msg_id, endpoint_id, app_id, status, attempt_count, next_attempt_at, manual, created_at)
  SELECT 'msg_0old' || ${pad('i')}, '${endpointId}', '${appId}', 2, 1, ${t}, ${no}, ${t}
  FROM ${series};
INSERT INTO attempts (id, app_id, msg_id, endpoint_id, url, attempted_at, status, response_status_code,
  response_body, response_headers, request_headers, request_body, duration_ms, error, error_detail, trigger_type)
  SELECT 'atmpt_0old' || ${pad('i')}, '${appId}', 'msg_0old' || ${pad('i')}, '${endpointId}', 'http://127.0.0.1/',
    ${t}, 0, 200, '${big}', '{}', '{}', NULL, 5, 'none', '', 0
  FROM ${series};`;
}

const backends = {
  sqlite: {
    storeFor: () => undefined,
    load(h, ids) {
      const series = `(WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ${OLD}) SELECT i FROM n)`;
      const sql = oldRowsSql({ ...ids, series, no: '0', pad: (c) => `printf('%020d', ${c})` });
      execFileSync('sqlite3', [path.join(h.dir, 'hookd.db')], { input: `.timeout 30000\nBEGIN;\n${sql}\nCOMMIT;\n` });
    },
  },
  postgres: {
    storeFor: (pg) => pg.createDatabase(),
    load(h, ids, store) {
      const sql = oldRowsSql({ ...ids, series: `generate_series(1, ${OLD}) AS g(i)`, no: 'false',
        pad: (c) => `lpad(${c}::text, 20, '0')` });
      execFileSync('psql', [store, '-q', '-v', 'ON_ERROR_STOP=1'], { input: sql });
    },
  },
};

describe('retention', () => {
  let pg;
  before(() => { pg = startPgCluster(); });
  after(() => { pg.stop(); });

  for (const [name, backend] of Object.entries(backends)) {
    test(`${name}: 50,000 expired messages are pruned in batches while deliveries keep flowing`, { timeout: 300000 }, async () => {
      const receiver = await startReceiver();
      const store = backend.storeFor(pg);
      let h = await startHookd({ store, args: ['--retention-payload', 'off', '--retention-attempts', 'off'] });
      try {
        await h.api('POST', '/api/v1/event-type', { name: 'retention.test', description: 'retention' });
        const { app, endpoints: [ep] } = await setupTenant(h, { uid: 'kept', endpoints: [{ url: receiver.url }] });
        await h.stop();
        backend.load(h, { appId: app.id, endpointId: ep.id }, store);
        h = await startHookd({ store, dataDir: h.dir, args: ['--retention-payload', '30d', '--retention-attempts', '30d',
          '--retention-interval', '1s'] });

        // Live traffic during the prune: one message every 25 ms, latency from the POST to the receiver.
        const sentAt = new Map();
        const during = [];  // messages sent while the prune was under way
        let sending = true;
        const producer = (async () => {
          for (let i = 0; sending && i < 4000; i++) {
            const cleared = await metric(h, 'hookd_retention_payloads_cleared_total');
            const t = Date.now();
            const r = await h.api('POST', '/api/v1/app/kept/msg', { eventType: 'retention.test', payload: { live: i } });
            assert.equal(r.status, 202, r.text);
            sentAt.set(r.json.id, t);
            if (cleared > 0 && cleared < OLD) during.push(r.json.id);
            await new Promise((res) => setTimeout(res, 25));
          }
        })();
        await waitFor(async () => (await metric(h, 'hookd_retention_payloads_cleared_total')) >= OLD
          && (await metric(h, 'hookd_retention_attempts_deleted_total')) >= OLD,
        { timeoutMs: 240000, intervalMs: 200, what: 'the prune to finish' });
        const pruneSeenDoneAt = Date.now();
        sending = false;
        await producer;
        const received = () => new Map(receiver.requests.map((r) => [r.headers['webhook-id'], r.at]));
        await waitFor(() => { const got = received(); return [...sentAt.keys()].every((id) => got.has(id)); },
          { timeoutMs: 60000, what: 'every live message delivered' });
        const got = received();
        const latencies = during.map((id) => got.get(id) - sentAt.get(id)).sort((a, b) => a - b);
        const pct = (p) => latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * p))];
        const batches = await metric(h, 'hookd_retention_batches_total');
        console.log(`${name}: pruned ${OLD} payloads and attempts in ${batches} batches; ${latencies.length} live ` +
          `deliveries meanwhile, latency p50 ${pct(0.5)} ms, p99 ${pct(0.99)} ms, max ${latencies.at(-1)} ms`);
        assert.ok(latencies.length >= 10, `only ${latencies.length} deliveries overlapped the prune`);
        // A stall would show as deliveries waiting for the prune to end; small batches keep them flowing, so
        // most messages sent during the prune arrive before it ends (an order, not a time bound: a slow
        // machine slows both).
        const beforeEnd = during.filter((id) => got.get(id) < pruneSeenDoneAt).length;
        assert.ok(beforeEnd * 2 >= during.length,
          `only ${beforeEnd} of ${during.length} deliveries sent during the prune arrived before it ended`);

        // Svix semantics: the expired payload reads as {}, the message itself stays; its attempts are gone.
        const oldMsg = await h.api('GET', `/api/v1/app/kept/msg/msg_0old${'1'.padStart(20, '0')}`);
        assert.equal(oldMsg.status, 200, oldMsg.text);
        assert.deepEqual(oldMsg.json.payload, {});
        assert.equal(oldMsg.json.eventType, 'retention.test');
        const attempts = await h.api('GET', `/api/v1/app/kept/attempt/msg/msg_0old${'1'.padStart(20, '0')}`);
        assert.equal(attempts.status, 200, attempts.text);
        assert.equal(attempts.json.data.length, 0);
        // Live messages keep their payload and attempts.
        const liveId = [...sentAt.keys()].at(-1);
        const live = await h.api('GET', `/api/v1/app/kept/msg/${liveId}`);
        assert.equal(typeof live.json.payload.live, 'number');
        const liveAttempts = await h.api('GET', `/api/v1/app/kept/attempt/msg/${liveId}`);
        assert.equal(liveAttempts.json.data.length, 1);
      } finally {
        await h.stop().catch(() => {});
        h.cleanup();
        await receiver.close();
      }
    });
  }
});
