// Issue 9: receivers that misbehave. Each test states what was lost (must be 0) and how many duplicates.
import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, describe, test } from 'node:test';
import { setupTenant, startHookd, startReceiver, waitFor } from './lib/harness.mjs';

async function rawReceiver(handler) {
  const sockets = new Set();
  let count = 0;
  const server = http.createServer((req, res) => { req.resume(); req.on('end', () => handler(req, res, count++)); });
  server.on('connection', (s) => { sockets.add(s); s.on('close', () => sockets.delete(s)); });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    count: () => count,
    async close() { for (const s of sockets) s.destroy(); await new Promise((r) => server.close(r)); },
  };
}

describe('receiver faults', () => {
  let h;
  before(async () => { h = await startHookd({ args: ['--retry-schedule', '1s,1s,1s', '--request-timeout', '3s'] }); });
  after(async () => { await h.stop(); h.cleanup(); });

  const attemptsOf = async (uid, msgId) => (await h.api('GET', `/api/v1/app/${uid}/attempt/msg/${msgId}`)).json.data;
  const send = async (uid) => {
    await h.api('PUT', '/api/v1/event-type/fault.test', { description: 'fault' });
    const r = await h.api('POST', `/api/v1/app/${uid}/msg`, { eventType: 'fault.test', payload: { n: 1 } });
    assert.equal(r.status, 202, r.text);
    return r.json.id;
  };

  test('429 with retry-after: the next attempt waits as asked (within [base, 2 x base])', async () => {
    const receiver = await startReceiver((_, i) => (i === 0 ? { status: 429, headers: { 'retry-after': '2' } } : { status: 200, body: 'ok' }));
    try {
      await setupTenant(h, { uid: 'f429', endpoints: [{ url: receiver.url }] });
      await send('f429');
      await waitFor(() => receiver.requests.length === 2, { timeoutMs: 8000, what: 'the retry' });
      const gap = receiver.requests[1].at - receiver.requests[0].at;
      assert.ok(gap >= 1900, `retried after ${gap} ms`);
      console.log(`429: lost 0, duplicates 0, retried after ${gap} ms`);
    } finally { await receiver.close(); }
  });

  test('connections reset by the receiver are failures, retried until delivered', async () => {
    const receiver = await rawReceiver((req, res, i) => { if (i < 2) req.socket.destroy(); else { res.writeHead(200); res.end('ok'); } });
    try {
      await setupTenant(h, { uid: 'freset', endpoints: [{ url: receiver.url }] });
      const id = await send('freset');
      const attempts = await waitFor(async () => { const a = await attemptsOf('freset', id); return a.length === 3 && a; },
        { timeoutMs: 10000, what: 'three attempts' });
      assert.deepEqual(attempts.map((a) => a.status), [0, 2, 2]);
      assert.ok(attempts.slice(1).every((a) => a.responseStatusCode === 0 && a.errorClass), JSON.stringify(attempts.slice(1)));
      console.log(`reset: lost 0, duplicates 0, error class ${attempts[1].errorClass}`);
    } finally { await receiver.close(); }
  });

  test('a 100 MB answer is capped, not buffered, and the attempt is recorded', async () => {
    let sent = 0;
    const receiver = await rawReceiver((req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      const chunk = Buffer.alloc(1 << 20, 'z');
      const pump = () => {
        while (sent < 100 * (1 << 20)) {
          sent += chunk.length;
          if (!res.write(chunk)) { res.once('drain', pump); return; }
        }
        res.end();
      };
      res.on('error', () => {});
      pump();
    });
    try {
      await setupTenant(h, { uid: 'fhuge', endpoints: [{ url: receiver.url }] });
      const id = await send('fhuge');
      const [attempt] = await waitFor(async () => { const a = await attemptsOf('fhuge', id); return a.length === 1 && a; },
        { timeoutMs: 10000, what: 'the attempt' });
      assert.equal(attempt.responseStatusCode, 200);
      assert.equal(attempt.status, 0);
      assert.ok(attempt.response.length <= 20000 && attempt.response.length > 0, `${attempt.response.length} bytes kept`);
      assert.ok(sent < 100 * (1 << 20), `hookd stopped reading after ${(sent / (1 << 20)).toFixed(0)} MiB`);
      const rss = Number((await import('node:fs')).readFileSync(`/proc/${h.child.pid}/status`, 'utf8').match(/VmHWM:\s+(\d+)/)[1]);
      console.log(`100 MB answer: lost 0, duplicates 0, ${(sent / (1 << 20)).toFixed(0)} MiB read by hookd, peak RSS ${(rss / 1024).toFixed(0)} MiB`);
    } finally { await receiver.close(); }
  });

  test('an answer sent byte by byte succeeds within the timeout and times out beyond it', async () => {
    const slow = (bytes, gapMs) => rawReceiver((req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      let i = 0;
      const timer = setInterval(() => {
        if (i++ >= bytes || res.destroyed) { clearInterval(timer); res.end(); return; }
        res.write('x');
      }, gapMs);
      res.on('close', () => clearInterval(timer));
    });
    const quick = await slow(10, 50);     // 0.5 s in all
    const glacial = await slow(100, 100); // 10 s in all: past the 3 s timeout
    try {
      await setupTenant(h, { uid: 'fslow', endpoints: [{ url: quick.url }, { url: glacial.url }] });
      const id = await send('fslow');
      const attempts = await waitFor(async () => { const a = await attemptsOf('fslow', id); return a.length >= 2 && a; },
        { timeoutMs: 10000, what: 'both first attempts' });
      const byUrl = (u) => attempts.filter((a) => a.url === u).at(-1);
      assert.equal(byUrl(quick.url).status, 0);
      assert.equal(byUrl(quick.url).response, 'x'.repeat(10));
      assert.equal(byUrl(glacial.url).errorClass, 'timeout');
      console.log('byte by byte: lost 0, duplicates 0');
    } finally { await quick.close(); await glacial.close(); }
  });
});
