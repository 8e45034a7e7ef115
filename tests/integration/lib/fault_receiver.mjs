// A receiver for fault tests and the soak: each request gets an action chosen by `behave`, and every request
// is recorded by its webhook-id, so a test can count what was lost and what arrived twice.
// Actions: { status, headers, body, delayMs } | 'hang' (never answers) | 'reset' (destroys the connection).
import http from 'node:http';

export async function startFaultReceiver(behave = () => ({ status: 200 })) {
  const sockets = new Set();
  const seen = new Map(); // webhook-id -> requests received
  const delivered = new Map(); // webhook-id -> times answered 2xx (the body was fully sent back)
  const firstDeliveredAt = new Map(); // webhook-id -> Date.now() of the first 2xx
  const pending = new Set(); // timers of delayed answers, cleared on close
  let total = 0;
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const id = req.headers['webhook-id'] ?? '';
      const nth = seen.get(id) ?? 0;
      seen.set(id, nth + 1);
      total++;
      const record = { id, nth, headers: req.headers, body: Buffer.concat(chunks).toString('utf8'), at: Date.now() };
      receiver.lastHeaders = req.headers;
      const action = behave(record);
      if (action === 'hang') return;
      if (action === 'reset') { req.socket.destroy(); return; }
      const answer = () => {
        const status = action.status ?? 200;
        res.writeHead(status, action.headers ?? {});
        res.end(action.body ?? '', () => {
          if (status >= 200 && status < 300) {
            delivered.set(id, (delivered.get(id) ?? 0) + 1);
            if (!firstDeliveredAt.has(id)) firstDeliveredAt.set(id, Date.now());
          }
        });
      };
      if (action.delayMs) {
        const timer = setTimeout(() => { pending.delete(timer); answer(); }, action.delayMs);
        pending.add(timer);
      } else {
        answer();
      }
    });
  });
  server.on('connection', (s) => { sockets.add(s); s.on('close', () => sockets.delete(s)); });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const receiver = {
    url: `http://127.0.0.1:${server.address().port}`,
    seen, delivered, firstDeliveredAt,
    lastHeaders: null, // of the latest request
    total: () => total,
    // Extra 2xx answers for the same message: what at-least-once cost.
    duplicates() { let d = 0; for (const n of delivered.values()) d += n - 1; return d; },
    missing(ids) { return [...ids].filter((id) => !delivered.has(id)); },
    async close() {
      for (const t of pending) clearTimeout(t);
      for (const s of sockets) s.destroy();
      await new Promise((r) => server.close(r));
    },
  };
  return receiver;
}
