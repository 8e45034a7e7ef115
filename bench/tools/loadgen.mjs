// Rate-limited (open-loop) load generator: POSTs `--body-file` to `--url` at a fixed `--rate` per second for
// `--seconds`, over keep-alive connections, whatever the answers' latency (wrk in Debian is not wrk2). The
// body's "bench_t=<digits>;" marker is replaced at send time by process.hrtime in ns (CLOCK_MONOTONIC),
// which receiver.mjs reads back: the latency includes time spent waiting for a free connection.
//   node loadgen.mjs --url URL --body-file F --rate 5000 --seconds 30 [--token T] [--connections 128]
// Prints one JSON line: sent, ok, failed, achieved rate, answer latency percentiles, worst scheduling lag.
import http from 'node:http';
import fs from 'node:fs';

const args = Object.fromEntries(process.argv.slice(2).reduce((acc, a, i, all) => {
  if (a.startsWith('--')) acc.push([a.slice(2), all[i + 1]]);
  return acc;
}, []));
const url = new URL(args.url);
const rate = Number(args.rate ?? 1000);
const seconds = Number(args.seconds ?? 10);
const connections = Number(args.connections ?? 128);
const template = fs.readFileSync(args['body-file'], 'utf8');
const markerAt = template.indexOf('bench_t=');
if (markerAt < 0) throw new Error('body has no bench_t= marker');
const head = template.slice(0, markerAt + 'bench_t='.length);
const tail = template.slice(template.indexOf(';', markerAt));
const agent = new http.Agent({ keepAlive: true, maxSockets: connections });
const headers = { 'content-type': 'application/json' };
if (args.token) headers.authorization = `Bearer ${args.token}`;

const total = Math.round(rate * seconds);
const answerMs = new Float64Array(total);
let sent = 0, ok = 0, failed = 0, done = 0, worstLagMs = 0;
const statuses = {};
const start = process.hrtime.bigint();

function send() {
  const t = process.hrtime.bigint();
  const body = head + t.toString() + tail;
  const req = http.request({ agent, host: url.hostname, port: url.port, path: url.pathname + url.search, method: 'POST',
    headers: { ...headers, 'content-length': Buffer.byteLength(body) } }, (res) => {
    res.resume();
    res.on('end', () => {
      const i = ok + failed;
      answerMs[i] = Number(process.hrtime.bigint() - t) / 1e6;
      statuses[res.statusCode] = (statuses[res.statusCode] ?? 0) + 1;
      if (res.statusCode >= 200 && res.statusCode < 300) ok++; else failed++;
      finish();
    });
  });
  req.setTimeout(30_000, () => req.destroy(new Error('timeout')));
  req.on('error', () => { failed++; finish(); });
  req.end(body);
  sent++;
}

function finish() {
  if (++done === total) report();
}

function report() {
  const elapsed = Number(process.hrtime.bigint() - start) / 1e9;
  const a = answerMs.subarray(0, done).sort();
  const q = (p) => (a.length ? a[Math.min(a.length - 1, Math.floor(p * a.length))] : null);
  console.log(JSON.stringify({ sent, ok, failed, statuses, seconds: elapsed, rate_target: rate,
    rate_achieved: ok / Math.max(elapsed, seconds), answer_p50_ms: q(0.5), answer_p99_ms: q(0.99), worst_lag_ms: worstLagMs }));
  agent.destroy();
  process.exit(0);
}

// Every millisecond, send what the schedule says is due by now (bursts of rate/1000 on average).
const timer = setInterval(() => {
  const elapsedMs = Number(process.hrtime.bigint() - start) / 1e6;
  const due = Math.min(total, Math.floor((elapsedMs / 1000) * rate));
  if (due - sent > rate / 100) worstLagMs = Math.max(worstLagMs, ((due - sent) / rate) * 1000);
  while (sent < due) send();
  if (sent >= total) clearInterval(timer);
}, 1);
// Bounded: give up on answers still missing 60 s after the last send.
setTimeout(() => { if (done < total) { failed += total - done; done = total; report(); } }, (seconds + 60) * 1000).unref();
