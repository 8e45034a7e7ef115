// Issue 8: the benchmark harness keeps working. bench_loadgen and bench_receiver (bench/tools/*.cpp, built
// into build/ by `make build`) agree on what was sent and received, the receiver's never-answering port
// never answers, and bench/scenarios/latency.sh runs end to end against hookd at a low rate. No timing is
// asserted: only that the figures exist and add up.
import assert from 'node:assert/strict';
import { spawn, execFile } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { HOOKD_BIN } from './lib/harness.mjs';

const run = promisify(execFile);
const root = path.resolve(import.meta.dirname, '../..');
const LOADGEN = process.env.LOADGEN_BIN ?? path.join(root, 'build/bench_loadgen');
const RECEIVER = process.env.RECEIVER_BIN ?? path.join(root, 'build/bench_receiver');

// Starts bench_receiver on free ports (port 0) and reads the ports it printed.
async function startBenchReceiver() {
  const child = spawn(RECEIVER, ['--port', '0', '--stuck-port', '0'], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  const ports = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`bench_receiver did not start: ${out}`)), 10000);
    child.stdout.on('data', (chunk) => {
      out += chunk;
      const receiver = out.match(/receiver on (\d+)/);
      const stuck = out.match(/stuck on (\d+)/);
      if (receiver && stuck) {
        clearTimeout(timer);
        resolve({ port: Number(receiver[1]), stuck: Number(stuck[1]) });
      }
    });
    child.on('exit', (code) => reject(new Error(`bench_receiver exited (${code}): ${out}`)));
  });
  const stats = async (prefix, reset = false) =>
    (await fetch(`http://127.0.0.1:${ports.port}/stats?prefix=${prefix}${reset ? '&reset=1' : ''}`)).json();
  return { ...ports, stats, stop: () => child.kill('SIGTERM') };
}

test('bench_loadgen and bench_receiver count the same requests, and the stuck port never answers', { timeout: 60000 }, async () => {
  for (const bin of [LOADGEN, RECEIVER]) assert.ok(fs.existsSync(bin), `${bin} is built by make build`);
  const receiver = await startBenchReceiver();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hookd-bench-tools-'));
  try {
    const body = path.join(dir, 'body.json');
    fs.writeFileSync(body, JSON.stringify({ eventType: 'x', payload: { note: 'bench_t=0;' } }));
    const { stdout } = await run(LOADGEN, ['--url', `http://127.0.0.1:${receiver.port}/direct/a`, '--body-file', body,
      '--rate', '400', '--seconds', '1', '--connections', '8']);
    const load = JSON.parse(stdout);
    assert.equal(load.sent, 400);
    assert.equal(load.ok, 400);
    assert.equal(load.failed, 0);
    assert.deepEqual(load.statuses, { 200: 400 });
    assert.ok(load.answer_p50_ms > 0 && load.answer_p50_ms <= load.answer_p99_ms, stdout);

    // A body without the marker is answered and counted apart; the prefix covers every path under it.
    const plain = await fetch(`http://127.0.0.1:${receiver.port}/direct/b`, { method: 'POST', body: 'no marker' });
    assert.equal(plain.status, 200);
    assert.equal(await plain.text(), 'ok');
    const s = await receiver.stats('/direct/');
    assert.equal(s.count, 400, JSON.stringify(s));
    assert.equal(s.untimed, 1);
    assert.ok(s.p50_ms > 0 && s.p50_ms <= s.p99_ms && s.p99_ms <= s.p999_ms && s.p999_ms <= s.max_ms, JSON.stringify(s));
    // When the slowest hundredth (400 - 396) were sent, by second of the 1 s run.
    assert.equal(s.slow_seconds.reduce((n, [second, count]) => {
      assert.ok(second === 0 || second === 1, JSON.stringify(s.slow_seconds));
      return n + count;
    }, 0), 4, JSON.stringify(s.slow_seconds));
    assert.equal((await receiver.stats('/direct/', true)).count, 400);
    assert.deepEqual(await receiver.stats('/direct/'),
      { count: 0, untimed: 0, p50_ms: null, p99_ms: null, p999_ms: null, max_ms: null, slow_seconds: [] });

    // The stuck port reads the request and never answers (the connection stays open, silent).
    const socket = net.connect(receiver.stuck, '127.0.0.1');
    let answered = '';
    socket.on('data', (d) => { answered += d; });
    await new Promise((resolve) => socket.once('connect', resolve));
    socket.write('POST /never HTTP/1.1\r\nhost: x\r\ncontent-length: 2\r\n\r\nhi');
    await new Promise((resolve) => setTimeout(resolve, 500));
    assert.equal(answered, '');
    assert.equal(socket.destroyed, false);
    socket.destroy();
  } finally {
    receiver.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('bench/scenarios/latency.sh runs end to end against hookd and reports every figure', { timeout: 120000 }, async () => {
  const env = { ...process.env, HOOKD_BIN, LOADGEN_BIN: LOADGEN, RECEIVER_BIN: RECEIVER, LATENCY_RATE: '200',
    BENCH_SECONDS: '2', LATENCY_WARMUP: '1' };
  const { stdout } = await run('bash', [path.join(root, 'bench/scenarios/latency.sh')], { env, cwd: root });
  const value = (label) => {
    const line = stdout.split('\n').find((l) => l.startsWith(`| ${label} |`));
    assert.ok(line, `no row "${label}" in:\n${stdout}`);
    return line.split('|')[2].trim();
  };
  assert.ok(Number(value('load generator: achieved rate to hookd (202s)').split(' ')[0]) > 0);
  for (const q of ['p50', 'p99', 'p999']) {
    const v = Number(value(`hookd create -> receiver ${q}`).replace(' ms', ''));
    assert.ok(Number.isFinite(v) && v > 0, `${q}: ${v}`);
  }
  const [received] = value('  deliveries received / max').split(' / ');
  assert.equal(Number(received), 400, stdout);  // 200 messages/s for 2 s, each delivered once
});

test('bench/scenarios/pg_delivery.sh drains a preloaded backlog from a throwaway PostgreSQL store', { timeout: 180000 }, async () => {
  const env = { ...process.env, HOOKD_BIN, PRELOAD_BIN: path.join(root, 'build/bench_preload'),
    PG_DELIVERY_DELIVERIES: '300', DELIVERY_FANOUTS: '1 3', BENCH_SECONDS: '1' };
  const { stdout } = await run('bash', [path.join(root, 'bench/scenarios/pg_delivery.sh')], { env, cwd: root });
  for (const fanout of [1, 3]) {
    const line = stdout.split('\n').find((l) => l.startsWith(`| hookd delivery on PostgreSQL, fan-out ${fanout} (`));
    assert.ok(line, `no drain row for fan-out ${fanout} in:\n${stdout}`);
    assert.match(line, /\(300 recorded in /, line);
    assert.ok(Number(line.split('|')[2].trim().split(' ')[0]) > 0, line);
  }
});
