// Soak: a mixed load with faults against one real hookd on loopback, for a chosen time, then a drain and a
// report (accepted, delivered, lost, duplicates, latency, peak RSS). `runSoak` is used by
// tests/integration/soak.test.mjs (a short run); `node tests/soak/soak.mjs --minutes N` (or scripts/soak.sh)
// runs a long one and exits non-zero if anything was lost or badly signed.
//
// Tenants and receivers (each endpoint has its own receiver):
//   every tenant: `fast` (200 at once: the latency figures), `flaky` (30 % of requests answer 500/503),
//   `throttled` (the first attempt of a message answers 429 with retry-after: 1), `resets` (20 % of requests
//   have their connection reset), `slow` (answers after 0.3-3 s, under the request timeout);
//   tenant soak-c also has `hang`, subscribed to soak.hang only, which accepts and never answers.
// Faults from outside: hookd is killed with SIGKILL every `killEverySeconds` and restarted on the same
// store; an endpoint secret is rotated every `rotateEverySeconds` (signatures are checked against every
// secret the endpoint ever had: a request no secret verifies is a "bad signature").
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { startFaultReceiver } from '../integration/lib/fault_receiver.mjs';
import { HOOKD_BIN, setupTenant, startHookd, verifySignature, waitFor } from '../integration/lib/harness.mjs';

const TENANTS = ['soak-a', 'soak-b', 'soak-c'];
const KINDS = ['fast', 'flaky', 'throttled', 'resets', 'slow'];
// Long enough that a 30 % failure rate never exhausts it (0.3^16), short enough to drain in a minute.
const RETRY_SCHEDULE = '500ms,1s,1s,2s,2s,3s,3s,5s,5s,5s,5s,5s,5s,5s,5s';

function behaviour(kind) {
  switch (kind) {
    case 'fast': return () => ({ status: 200 });
    case 'flaky': return () => (Math.random() < 0.3 ? { status: Math.random() < 0.5 ? 500 : 503 } : { status: 200 });
    case 'throttled': return (r) => (r.nth === 0 ? { status: 429, headers: { 'retry-after': '1' } } : { status: 200 });
    case 'resets': return () => (Math.random() < 0.2 ? 'reset' : { status: 200 });
    case 'slow': return () => ({ status: 200, delayMs: 300 + Math.floor(Math.random() * 2700) });
    case 'hang': return () => 'hang';
    default: throw new Error(kind);
  }
}

function percentile(sorted, p) {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

function peakRssKiB(pid) {
  try {
    const m = readFileSync(`/proc/${pid}/status`, 'utf8').match(/VmHWM:\s+(\d+) kB/);
    return m ? Number(m[1]) : 0;
  } catch { return 0; }
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export async function runSoak({
  seconds = 60, rate = 40, producers = 8, killEverySeconds = 60, rotateEverySeconds = 15,
  drainSeconds = 180, requestTimeout = '5s', env = {}, log = console.log,
} = {}) {
  const started = Date.now();
  const receivers = []; // { tenant, kind, receiver, endpoint, secrets: [] }
  const args = ['--retry-schedule', RETRY_SCHEDULE, '--request-timeout', requestTimeout];
  let h = await startHookd({ args, env });
  const dataDir = h.dir;
  const stats = { accepted: 0, refused: 0, unreachable: 0, kills: 0, rotations: 0, badSignatures: 0, peakRssKiB: 0 };
  const unverified = []; // { entry, headers, body }: checked again at the end against every secret
  const sentAt = new Map(); // msg id -> when its create call was sent (latency start)
  const expected = new Map(); // receiver entry -> Set of msg ids it must get
  let stopping = false;
  const tasks = [];
  try {
    await h.api('POST', '/api/v1/event-type', { name: 'soak.order', description: 'soak load' });
    await h.api('POST', '/api/v1/event-type', { name: 'soak.hang', description: 'soak load for the never-answering receiver' });
    for (const tenant of TENANTS) {
      const kinds = tenant === 'soak-c' ? [...KINDS, 'hang'] : KINDS;
      const entries = [];
      for (const kind of kinds) {
        const entry = { tenant, kind, secrets: [] };
        const behave = behaviour(kind);
        entry.receiver = await startFaultReceiver((r) => {
          if (!entry.secrets.some((s) => verifySignature(s, r.headers, r.body))) unverified.push({ entry, headers: r.headers, body: r.body });
          return behave(r);
        });
        entries.push(entry);
      }
      const { endpoints } = await setupTenant(h, {
        uid: tenant,
        endpoints: entries.map((e) => ({ url: e.receiver.url, ...(e.kind === 'hang' ? { filterTypes: ['soak.hang'] } : { filterTypes: ['soak.order'] }) })),
      });
      entries.forEach((e, i) => { e.endpoint = endpoints[i]; e.secrets.push(endpoints[i].secret); expected.set(e, new Set()); });
      receivers.push(...entries);
    }

    // Producers: `rate` messages per second in all, spread over tenants; about 5 % of soak-c's are soak.hang.
    const deadline = started + seconds * 1000;
    const interval = (producers * 1000) / rate;
    const producer = async (p) => {
      let n = 0;
      let next = Date.now() + (p * interval) / producers;
      while (!stopping && Date.now() < deadline) {
        const wait = next - Date.now();
        if (wait > 0) await sleep(wait);
        next += interval;
        const tenant = TENANTS[(p + n) % TENANTS.length];
        const type = tenant === 'soak-c' && Math.random() < 0.05 ? 'soak.hang' : 'soak.order';
        n++;
        const t0 = Date.now();
        try {
          const r = await h.api('POST', `/api/v1/app/${tenant}/msg`, { eventType: type, payload: { p, n, at: t0 } });
          if (r.status !== 202) { stats.refused++; continue; }
          stats.accepted++;
          sentAt.set(r.json.id, t0);
          for (const e of receivers) {
            if (e.tenant === tenant && (e.kind === 'hang') === (type === 'soak.hang')) expected.get(e).add(r.json.id);
          }
        } catch { stats.unreachable++; } // hookd was down (being killed): not accepted, nothing to deliver
      }
    };
    tasks.push(...Array.from({ length: producers }, (_, p) => producer(p)));

    // Faults from outside, and peak RSS sampling; every loop ends with the load.
    tasks.push((async () => {
      while (Date.now() + killEverySeconds * 1000 < deadline) {
        await sleep(killEverySeconds * 1000);
        stats.peakRssKiB = Math.max(stats.peakRssKiB, peakRssKiB(h.child.pid));
        h.child.kill('SIGKILL');
        await h.exited;
        stats.kills++;
        h = await startHookd({ args, env, dataDir });
      }
    })());
    tasks.push((async () => {
      let i = 0;
      while (Date.now() + rotateEverySeconds * 1000 < deadline) {
        await sleep(rotateEverySeconds * 1000);
        const e = receivers.filter((x) => x.kind !== 'hang')[i++ % (receivers.length - 1)];
        try {
          const r = await h.api('POST', `/api/v1/app/${e.tenant}/endpoint/${e.endpoint.id}/secret/rotate`, {});
          const s = await h.api('GET', `/api/v1/app/${e.tenant}/endpoint/${e.endpoint.id}/secret`);
          if (r.status < 300 && s.status === 200) { e.secrets.push(s.json.key); stats.rotations++; }
        } catch { /* hookd was being restarted: try the next one later */ }
      }
    })());
    tasks.push((async () => {
      while (Date.now() < deadline) {
        stats.peakRssKiB = Math.max(stats.peakRssKiB, peakRssKiB(h.child.pid));
        await sleep(1000);
      }
    })());
    await Promise.all(tasks);
    log(`soak: load done after ${Math.round((Date.now() - started) / 1000)} s; draining`);

    // Drain: every accepted message at every receiver that must get it (the never-answering one excepted).
    const lostPairs = () => receivers.filter((e) => e.kind !== 'hang')
      .reduce((sum, e) => sum + e.receiver.missing(expected.get(e)).length, 0);
    const drainStart = Date.now();
    await waitFor(() => {
      stats.peakRssKiB = Math.max(stats.peakRssKiB, peakRssKiB(h.child.pid));
      return lostPairs() === 0;
    }, { timeoutMs: drainSeconds * 1000, intervalMs: 500, what: 'the drain' }).catch(() => {});
    const drainMs = Date.now() - drainStart;
    await sleep(2000); // late repeats count as duplicates

    // Signatures that did not verify when they arrived: a secret rotated meanwhile may verify them now.
    for (const u of unverified) {
      if (!u.entry.secrets.some((s) => verifySignature(s, u.headers, u.body))) stats.badSignatures++;
    }
    const latencies = [];
    for (const e of receivers.filter((x) => x.kind === 'fast')) {
      for (const id of expected.get(e)) {
        const at = e.receiver.firstDeliveredAt.get(id);
        if (at !== undefined) latencies.push(at - sentAt.get(id));
      }
    }
    latencies.sort((a, b) => a - b);
    const hang = receivers.find((e) => e.kind === 'hang');
    const report = {
      seconds, rate, binary: HOOKD_BIN,
      accepted: stats.accepted,
      refusedOrUnreachable: stats.refused + stats.unreachable,
      deliveriesExpected: receivers.filter((e) => e.kind !== 'hang').reduce((s, e) => s + expected.get(e).size, 0),
      delivered: 0, // below: expected deliveries that arrived
      lost: lostPairs(),
      duplicates: receivers.reduce((s, e) => s + e.receiver.duplicates(), 0),
      duplicatesByKind: Object.fromEntries(KINDS.map((k) => [k, receivers.filter((e) => e.kind === k).reduce((s, e) => s + e.receiver.duplicates(), 0)])),
      requestsByKind: Object.fromEntries([...KINDS, 'hang'].map((k) => [k, receivers.filter((e) => e.kind === k).reduce((s, e) => s + e.receiver.total(), 0)])),
      hangMessages: expected.get(hang).size,
      badSignatures: stats.badSignatures,
      kills: stats.kills,
      rotations: stats.rotations,
      latencyHealthyMs: { p50: percentile(latencies, 50), p99: percentile(latencies, 99), max: latencies.at(-1) ?? null, samples: latencies.length },
      drainMs,
      peakRssMiB: Math.round(stats.peakRssKiB / 102.4) / 10,
    };
    report.delivered = report.deliveriesExpected - report.lost;
    return report;
  } finally {
    stopping = true;
    await Promise.allSettled(tasks);
    await h.stop().catch(() => {});
    h.cleanup();
    for (const e of receivers) await e.receiver.close();
  }
}

function parseArgs(argv) {
  const o = {};
  for (let i = 0; i < argv.length; i++) {
    const [flag, value] = [argv[i], argv[i + 1]];
    const num = () => { i++; const n = Number(value); if (!Number.isFinite(n) || n <= 0) throw new Error(`${flag} needs a positive number`); return n; };
    if (flag === '--minutes') o.seconds = num() * 60;
    else if (flag === '--seconds') o.seconds = num();
    else if (flag === '--rate') o.rate = num();
    else if (flag === '--kill-every') o.killEverySeconds = num();
    else if (flag === '--rotate-every') o.rotateEverySeconds = num();
    else if (flag === '--drain') o.drainSeconds = num();
    else throw new Error(`unknown flag ${flag} (--minutes N | --seconds N, --rate MSG_PER_S, --kill-every S, --rotate-every S, --drain S)`);
  }
  return o;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const options = parseArgs(process.argv.slice(2));
  const report = await runSoak(options);
  console.log(JSON.stringify(report, null, 2));
  const ok = report.lost === 0 && report.badSignatures === 0;
  console.log(ok ? 'soak: OK (nothing lost, every signature verified)' : 'soak: FAILED');
  process.exit(ok ? 0 : 1);
}
