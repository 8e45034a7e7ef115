// fsync probe: writes 4 KB and fdatasyncs it every INTERVAL ms in a file of its own under DIR, for SECONDS,
// and prints each sync that took over SLOW ms with its wall-clock time, then a summary. Run beside a
// scenario, it tells whether hookd's slow commits were the disk's (the probe stalls at the same moments,
// though it shares nothing with hookd but the file system) or hookd's own.
//   node bench/tools/fsync_probe.mjs DIR [SECONDS=60] [INTERVAL=20] [SLOW=10]
import fs from 'node:fs';
import path from 'node:path';

const [dir, seconds = '60', interval = '20', slow = '10'] = process.argv.slice(2);
if (!dir) {
  console.error('usage: fsync_probe.mjs DIR [SECONDS] [INTERVAL_MS] [SLOW_MS]');
  process.exit(2);
}
const file = path.join(dir, `fsync-probe-${process.pid}`);
const fd = fs.openSync(file, 'w');
const block = Buffer.alloc(4096, 0x61);
const end = Date.now() + Number(seconds) * 1000;
const times = [];
let offset = 0;
const tick = () => {
  const t0 = process.hrtime.bigint();
  fs.writeSync(fd, block, 0, block.length, offset);
  offset = (offset + block.length) % (1 << 20);  // 1 MiB, rewritten in a ring: no growth
  fs.fdatasyncSync(fd);
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  times.push(ms);
  if (ms > Number(slow)) console.log(`${new Date().toISOString().slice(11, 23)} fdatasync ${ms.toFixed(1)} ms`);
  if (Date.now() < end) setTimeout(tick, Number(interval));
  else finish();
};
const finish = () => {
  fs.closeSync(fd);
  fs.unlinkSync(file);
  times.sort((a, b) => a - b);
  const q = (p) => times[Math.min(times.length - 1, Math.floor(p * times.length))].toFixed(2);
  const over = times.filter((t) => t > Number(slow)).length;
  console.log(`${times.length} syncs: p50 ${q(0.5)} ms, p99 ${q(0.99)} ms, max ${q(1)} ms, ${over} over ${slow} ms`);
};
tick();
