// Who runs while whom waits: reads `perf sched timehist` output (stdin) and prints, over the window in which
// hookd's threads ran, each task's run time and scheduling delay, and how long each combination of hookd's
// threads and nginx ran at the same time (sampled every 50 µs). A drain whose writer runs alone a third of
// the time is a chain of waits, not a saturated machine.
//   perf sched record -a -o sched.data -- sleep 6   (while hookd drains)
//   perf sched timehist -i sched.data 2>/dev/null | node bench/tools/sched_timeline.mjs
import { readFileSync } from 'node:fs';

const line = /^\s*([\d.]+)\s+\[(\d+)\]\s+(.+?)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)\s*$/;
const runs = [];  // [start s, end s, task name, scheduling delay s]; a line is printed when its task stops
let cpus = 1;
for (const text of readFileSync(0, 'utf8').split('\n')) {
  const m = line.exec(text);
  if (!m) continue;
  cpus = Math.max(cpus, Number(m[2]) + 1);
  const end = Number(m[1]);
  const run = Number(m[6]) / 1000;
  runs.push([end - run, end, m[3].replace(/\[.*$/, ''), Number(m[5]) / 1000]);
}
const hookd = runs.filter((r) => r[2].startsWith('hookd'));
if (hookd.length === 0) {
  console.error('no hookd thread in the input');
  process.exit(1);
}
const t0 = Math.min(...hookd.map((r) => r[0]));
const t1 = Math.max(...hookd.map((r) => r[1]));
const span = t1 - t0;
console.log(`window ${span.toFixed(3)} s`);

const group = (name) => (name === '<idle>' ? 'idle' : name.replace(/^(node|kworker).*/, '$1'));
const busy = new Map();
for (const [a, b, name, delay] of runs) {
  const s = Math.max(a, t0), e = Math.min(b, t1);
  if (e <= s) continue;
  const g = busy.get(group(name)) ?? { run: 0, delay: 0 };
  g.run += e - s;
  g.delay += delay;
  busy.set(group(name), g);
}
for (const [name, g] of [...busy].sort((x, y) => y[1].run - x[1].run).slice(0, 8)) {
  console.log(`${name.padEnd(16)} run ${g.run.toFixed(3)} s (${(g.run / span / cpus * 100).toFixed(1)} % of ${cpus} cores)` +
              `, scheduling delay ${g.delay.toFixed(3)} s`);
}

const step = 50e-6;
const slots = Array.from({ length: Math.floor(span / step) }, () => new Set());
for (const [a, b, name] of runs) {
  if (!name.startsWith('hookd') && !name.startsWith('nginx')) continue;
  const from = Math.max(0, Math.floor((a - t0) / step)), to = Math.min(slots.length, Math.floor((b - t0) / step));
  for (let i = from; i < to; ++i) slots[i].add(name.replace('hookd-', ''));
}
const together = new Map();
for (const s of slots) {
  const key = [...s].sort().join('+') || '(none)';
  together.set(key, (together.get(key) ?? 0) + 1);
}
console.log('running at the same time (hookd threads, nginx):');
for (const [key, n] of [...together].sort((x, y) => y[1] - x[1]).slice(0, 12)) {
  console.log(`  ${key.padEnd(36)} ${(n * step).toFixed(3)} s  ${(n / slots.length * 100).toFixed(1)} %`);
}
