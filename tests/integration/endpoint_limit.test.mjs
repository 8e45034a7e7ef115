// Issue 5: per-endpoint concurrency limits hold across nodes. Three nodes on one PostgreSQL, an endpoint
// limited to 4 requests in flight, a receiver that answers slowly and records how many requests it had open.
import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, describe, test } from 'node:test';
import { setupTenant, startHookd, waitFor } from './lib/harness.mjs';
import { startPgCluster } from './lib/pg.mjs';

async function slowReceiver(delayMs) {
  const state = { open: 0, maxOpen: 0, ids: [] };
  const server = http.createServer((req, res) => {
    state.open++;
    state.maxOpen = Math.max(state.maxOpen, state.open);
    req.resume();
    req.on('end', () => setTimeout(() => {
      state.ids.push(req.headers['webhook-id']);
      state.open--;
      res.end('ok');
    }, delayMs));
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${server.address().port}`, state, close: () => new Promise((r) => { server.closeAllConnections(); server.close(r); }) };
}

describe('per-endpoint limit across nodes', () => {
  let pg;
  before(() => { pg = startPgCluster(); });
  after(() => { pg.stop(); });

  test('three nodes never have more than --endpoint-concurrency requests open to one endpoint', { timeout: 180000 }, async () => {
    const LIMIT = 4;
    const COUNT = 90;
    const receiver = await slowReceiver(200);
    const store = pg.createDatabase();
    const args = ['--endpoint-concurrency', String(LIMIT), '--request-timeout', '30s'];
    const nodes = [];
    for (const id of ['l1', 'l2', 'l3']) nodes.push(await startHookd({ store, nodeId: id, args }));
    try {
      await nodes[0].api('POST', '/api/v1/event-type', { name: 'limit.test', description: 'slow endpoint' });
      await setupTenant(nodes[0], { uid: 'limited', endpoints: [{ url: receiver.url }] });
      const ids = [];
      // Spread over the three nodes, in parallel, so every node has due work for the endpoint at once.
      await Promise.all(Array.from({ length: COUNT }, async (_, i) => {
        const r = await nodes[i % 3].api('POST', '/api/v1/app/limited/msg', { eventType: 'limit.test', payload: { i } });
        assert.equal(r.status, 202, r.text);
        ids.push(r.json.id);
      }));
      await waitFor(() => ids.every((id) => receiver.state.ids.includes(id)),
        { timeoutMs: 120000, intervalMs: 100, what: 'every message delivered' });
      console.log(`endpoint limit ${LIMIT} over three nodes: ${COUNT} messages, at most ${receiver.state.maxOpen} requests open`);
      assert.ok(receiver.state.maxOpen <= LIMIT, `${receiver.state.maxOpen} requests were open at once`);
      assert.ok(receiver.state.maxOpen >= 2, 'the endpoint was never sent requests concurrently');
    } finally {
      for (const h of nodes) { await h.stop().catch(() => {}); h.cleanup(); }
      await receiver.close();
    }
  });
});
