// Issue 8, point 3: /metrics moves as the server works. Ingest counters by outcome, the store's group commits, the oldest pending age
// (deliveries waiting behind a receiver that never answers), the per-endpoint failure state (an endpoint on a
// closed port), the attempt latency histogram, and deliveries started by source (claimed, or handed over as
// written).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setupTenant, startHookd, startReceiver, waitFor } from './lib/harness.mjs';

const scrape = async (h) => (await fetch(`${h.url}/metrics`)).text();
const sample = (text, series) => {
  const line = text.split('\n').find((l) => l.startsWith(series + ' '));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
};
const ingest = (outcome) => `hookd_ingest_requests_total{outcome="${outcome}"}`;

test('metrics: ingest outcomes, oldest pending age, failing endpoints and attempt latencies move', { timeout: 120000 }, async () => {
  const hang = await startReceiver(() => 'hang');
  const closed = await startReceiver();
  const closedUrl = closed.url;
  await closed.close();  // nothing listens there any more: connections are refused
  const h = await startHookd({ args: ['--catalog', 'booking-platform', '--request-timeout', '10s', '--retry-schedule', '1h'] });
  try {
    const before = await scrape(h);
    assert.equal(sample(before, 'hookd_oldest_pending_age_seconds'), 0);
    assert.equal(sample(before, 'hookd_endpoints_failing'), 0);
    assert.equal(sample(before, ingest('accepted')), 0);

    await setupTenant(h, { uid: 'slow', endpoints: [{ url: `${hang.url}/slow` }] });
    const { app: downApp, endpoints: [down] } = await setupTenant(h, { uid: 'down', endpoints: [{ url: `${closedUrl}/down` }] });
    const booking = (n) => ({ eventType: 'booking.created', payload: { n } });
    // 70 messages to a receiver that never answers: 64 go out (the per-endpoint limit), 6 wait, overdue.
    for (let i = 0; i < 70; i++) assert.equal((await h.api('POST', '/api/v1/app/slow/msg', booking(i))).status, 202);
    assert.equal((await h.api('POST', '/api/v1/app/down/msg', { ...booking(1), eventId: 'e1' })).status, 202);
    assert.equal((await h.api('POST', '/api/v1/app/down/msg', { ...booking(1), eventId: 'e1' })).status, 409);
    assert.equal((await h.api('POST', '/api/v1/app/down/msg', { eventType: 'no.such.type', payload: {} })).status, 422);
    assert.equal((await h.api('POST', '/api/v1/app/nope/msg', booking(2))).status, 404);
    assert.equal((await h.api('POST', '/api/v1/app/down/msg', booking(3), { authorization: 'Bearer wrong' })).status, 401);
    assert.equal((await h.api('GET', '/api/v1/app/down/msg')).status, 200);  // not an ingest request

    const failingSeries = `hookd_endpoint_failing_seconds{app="${downApp.id}",endpoint="${down.id}"}`;
    const m = await waitFor(async () => {
      const text = await scrape(h);
      return sample(text, failingSeries) !== undefined && sample(text, 'hookd_oldest_pending_age_seconds') >= 1 ? text : null;
    }, { timeoutMs: 30000, what: 'a failing endpoint and an overdue pending delivery' });
    assert.equal(sample(m, ingest('accepted')), 71);
    assert.equal(sample(m, ingest('duplicate')), 1);
    assert.equal(sample(m, ingest('invalid')), 1);
    assert.equal(sample(m, ingest('not_found')), 1);
    assert.equal(sample(m, ingest('unauthorized')), 1);
    assert.equal(sample(m, 'hookd_endpoints_failing'), 1);  // the hanging endpoint has no failed attempt yet
    assert.ok(sample(m, failingSeries) >= 0);
    assert.ok(sample(m, 'hookd_attempt_duration_seconds_count') >= 1);
    assert.ok(sample(m, 'hookd_delivery_attempts_total{outcome="fail",error="connect"}') >= 1);
    assert.ok(sample(m, 'hookd_deliveries{status="sending"}') >= 1);
    // Each new delivery was handed to the dispatcher as written while its endpoint had a free slot (the 64,
    // and the down endpoint's one); the 6 beyond the slow endpoint's limit wait in the queue for a claim.
    assert.equal(sample(m, 'hookd_deliveries_started_total{source="handoff"}'), 65);
    assert.equal(sample(m, 'hookd_deliveries_started_total{source="claim"}'), 0);
    assert.ok(sample(m, 'hookd_deliveries{status="pending"}') >= 2);  // overdue ones, and the retry in an hour
    // The SQLite writer's group commits: every message above (and each endpoint, attempt and claim) was a job
    // of a committed transaction, and a transaction holds at least one job.
    const commits = sample(m, 'hookd_store_commits_total');
    assert.ok(commits >= 1);
    assert.ok(sample(m, 'hookd_store_committed_jobs_total') >= Math.max(commits, 71));
    assert.ok(sample(m, 'hookd_store_queued_jobs') >= 0);
    // Each message's group waited for a durable COMMIT, timed in the histogram (buckets cumulative).
    const durable = sample(m, 'hookd_store_durable_commit_seconds_count');
    assert.ok(durable >= 1 && durable <= commits);
    assert.equal(sample(m, 'hookd_store_durable_commit_seconds_bucket{le="+Inf"}'), durable);
    assert.ok(sample(m, 'hookd_store_durable_commit_seconds_bucket{le="0.00025"}') <= sample(m, 'hookd_store_durable_commit_seconds_bucket{le="0.25"}'));
    assert.ok(sample(m, 'hookd_store_durable_commit_seconds_sum') > 0);

    // The age keeps growing while the deliveries wait.
    const age = sample(m, 'hookd_oldest_pending_age_seconds');
    await new Promise((r) => setTimeout(r, 1100));
    assert.ok(sample(await scrape(h), 'hookd_oldest_pending_age_seconds') >= age + 1);
  } finally {
    await hang.close();  // first, so the graceful stop does not wait for the hanging requests
    await h.stop();
    h.cleanup();
  }
});
