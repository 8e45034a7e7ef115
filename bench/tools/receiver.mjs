// Benchmark receiver: answers every request 200 "ok" and records, per path, the time from the send
// timestamp embedded in the body ("bench_t=<process.hrtime ns>;", written by loadgen.mjs) to the arrival
// of the request. process.hrtime is CLOCK_MONOTONIC, shared by every process on the machine.
//   node receiver.mjs --port P [--stuck-port Q]
// GET /stats?prefix=/hook&reset=1 -> {count, p50_ms, p99_ms, p999_ms, max_ms, untimed} over the paths that
// start with the prefix. --stuck-port also opens a server that accepts connections and never answers.
import http from 'node:http';
import net from 'node:net';

const args = Object.fromEntries(process.argv.slice(2).reduce((acc, a, i, all) => {
  if (a.startsWith('--')) acc.push([a.slice(2), all[i + 1]]);
  return acc;
}, []));
const kMaxSamples = 5_000_000;  // bounded memory: about 40 MB of doubles per path at most
const samples = new Map();      // path -> {values: Float64Array, n, untimed}
const marker = Buffer.from('bench_t=');

function bucket(path) {
  let b = samples.get(path);
  if (!b) samples.set(path, b = { values: new Float64Array(1024), n: 0, untimed: 0 });
  return b;
}

function record(path, body, arrived) {
  const b = bucket(path);
  const at = body.indexOf(marker);
  if (at < 0) { b.untimed++; return; }
  const end = body.indexOf(59 /* ; */, at + marker.length);
  const sent = BigInt(body.subarray(at + marker.length, end).toString());
  if (b.n === b.values.length) {
    if (b.n >= kMaxSamples) return;
    const grown = new Float64Array(Math.min(b.values.length * 2, kMaxSamples));
    grown.set(b.values);
    b.values = grown;
  }
  b.values[b.n++] = Number(arrived - sent) / 1e6;
}

function stats(prefix, reset) {
  const parts = [...samples.entries()].filter(([p]) => p.startsWith(prefix));
  const n = parts.reduce((s, [, b]) => s + b.n, 0);
  const all = new Float64Array(n);
  let at = 0, untimed = 0;
  for (const [, b] of parts) { all.set(b.values.subarray(0, b.n), at); at += b.n; untimed += b.untimed; }
  all.sort();
  const q = (p) => (n ? all[Math.min(n - 1, Math.floor(p * n))] : null);
  if (reset) for (const [p] of parts) samples.delete(p);
  return { count: n, untimed, p50_ms: q(0.5), p99_ms: q(0.99), p999_ms: q(0.999), max_ms: n ? all[n - 1] : null };
}

const server = http.createServer((req, res) => {
  if (req.method === 'GET' && req.url.startsWith('/stats')) {
    const u = new URL(req.url, 'http://x');
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(stats(u.searchParams.get('prefix') ?? '/', u.searchParams.get('reset') === '1')));
    return;
  }
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const arrived = process.hrtime.bigint();
    record(req.url, chunks.length === 1 ? chunks[0] : Buffer.concat(chunks), arrived);
    res.writeHead(200, { 'content-type': 'text/plain', 'content-length': 2 });
    res.end('ok');
  });
});
server.keepAliveTimeout = 120_000;
server.headersTimeout = 130_000;
server.listen(Number(args.port), '127.0.0.1', () => console.log(`receiver on ${server.address().port}`));

if (args['stuck-port']) {
  // Accepts, reads and never answers: a receiver that hangs until the sender's timeout.
  const sockets = new Set();
  const stuck = net.createServer((s) => { sockets.add(s); s.on('data', () => {}); s.on('close', () => sockets.delete(s)); s.on('error', () => {}); });
  stuck.listen(Number(args['stuck-port']), '127.0.0.1', () => console.log(`stuck on ${stuck.address().port}`));
}
process.on('SIGTERM', () => process.exit(0));
