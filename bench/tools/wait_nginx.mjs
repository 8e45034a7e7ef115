// Waits until nginx has answered `--count` requests more than `--from` (its stub_status counter), polling
// over one kept-alive connection every `--every` ms (default 10), for at most `--timeout` s. Exits 0 once
// the count is reached, 1 at the timeout.
// Why not curl in a shell loop: a curl, an awk, a date and a sleep every 50 ms took about 12 % of the
// machine's CPU during a drain (perf, fan-out 10), CPU that hookd and nginx were competing for.
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

while (Date.now() < deadline) {
  if (await requests() >= target) process.exit(0);
  await new Promise((resolve) => setTimeout(resolve, every));
}
process.exit(1);
