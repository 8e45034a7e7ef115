// Waits until nginx has answered `--count` requests more than `--from` (its stub_status counter), polling
// over one kept-alive connection, for at most `--timeout` s. Exits 0 once the count is reached, 1 at the
// timeout. Polls come every `--every` ms (default 10) near the end, and further apart before it: a quarter
// of the time the rate seen so far needs for what is left, at most 100 ms.
// Why not curl in a shell loop: a curl, an awk, a date and a sleep every 50 ms took about 12 % of the
// machine's CPU during a drain (perf, fan-out 10), CPU that hookd and nginx were competing for. Why not a
// poll every 10 ms throughout: this process then used 9 % of one core over a 6 s drain (perf sched).
//   node wait_nginx.mjs --port P --from N --count C --timeout S [--every MS]
import http from 'node:http';

const args = Object.fromEntries(process.argv.slice(2).reduce((acc, a, i, all) => {
  if (a.startsWith('--')) acc.push([a.slice(2), all[i + 1]]);
  return acc;
}, []));
const port = Number(args.port);
const target = Number(args.from) + Number(args.count);
const every = Number(args.every ?? 10);
const deadline = Date.now() + Number(args.timeout) * 1000;
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });

function requests() {
  return new Promise((resolve) => {
    const req = http.get({ host: '127.0.0.1', port, path: '/nginx_status', agent }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => { text += chunk; });
      res.on('end', () => resolve(Number(text.split('\n')[2]?.trim().split(/\s+/)[2] ?? 0)));
    });
    req.on('error', () => resolve(0));
  });
}

const start = { t: Date.now(), n: await requests() };
while (Date.now() < deadline) {
  const n = await requests();
  if (n >= target) process.exit(0);
  const rate = (n - start.n) / Math.max(1, Date.now() - start.t);  // requests per ms
  const wait = rate > 0 ? Math.min(100, Math.max(every, (target - n) / rate / 4)) : every;
  await new Promise((resolve) => setTimeout(resolve, wait));
}
process.exit(1);
