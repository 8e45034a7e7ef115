// Issue 3, point 4: `hookd demo` drives a real hookd in strict validation mode. Every event must be accepted
// (strict mode answers 422 to an invalid payload), and the messages hookd stored must replay as a consistent
// salon history: payments for bookings that exist, refunds of payments made, orders moving forward only.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { test } from 'node:test';
import { ADMIN_TOKEN, HOOKD_BIN, startHookd } from './lib/harness.mjs';

// Runs `hookd <args>` to completion (bounded), collecting its output.
function runHookd(args, { timeoutMs = 90000 } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(HOOKD_BIN, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ASAN_OPTIONS: 'detect_leaks=0' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`hookd ${args[0]} timed out: ${stderr}`)); }, timeoutMs);
    child.on('exit', (code) => { clearTimeout(timer); resolve({ code, stdout, stderr }); });
  });
}

function summary(stderr) {
  const m = stderr.match(/(\d+) events: (\d+) accepted, (\d+) duplicates, (\d+) rejected, (\d+) failed/);
  assert.ok(m, `no summary in: ${stderr}`);
  const [events, accepted, duplicates, rejected, failed] = m.slice(1).map(Number);
  return { events, accepted, duplicates, rejected, failed };
}

// Every message of a tenant, oldest first (message ids sort in creation order).
async function allMessages(h, app) {
  const out = [];
  let iterator = '';
  for (let page = 0; page < 100; page++) {
    const res = await h.api('GET', `/api/v1/app/${app}/msg?limit=250${iterator ? `&iterator=${iterator}` : ''}`);
    assert.equal(res.status, 200, res.text);
    out.push(...res.json.data);
    if (res.json.done || res.json.data.length === 0) break;
    iterator = res.json.iterator;
  }
  return out.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

const cents = (x) => Math.round(x * 100);

// The salon's rules, checked from the stored envelopes alone; returns the violations.
function replay(envelopes) {
  const problems = [];
  const customers = new Map();
  const bookings = new Map(); // id -> {total, state, payment: {id, amount} | null}
  const refundsDue = new Map(); // booking id -> payment
  const orders = new Map();
  const openBooking = (ref, what) => {
    const b = bookings.get(ref.id);
    if (!b) problems.push(`${what}: booking ${ref.id} was never created`);
    else if (b.state !== 'confirmada') problems.push(`${what}: booking ${ref.id} is already ${b.state}`);
    else return b;
    return null;
  };
  for (const env of envelopes) {
    const { type, data } = env;
    const what = `${type} ${env.id}`;
    switch (type) {
      case 'customer.created':
        customers.set(data.customer.id, { nombre: data.customer.nombre, email: data.customer.email, telefono: data.customer.telefono });
        break;
      case 'customer.updated': {
        const c = customers.get(data.customer.id);
        if (!c) { problems.push(`${what}: unknown customer`); break; }
        for (const [field, change] of Object.entries(data.changes)) {
          if (change.old !== c[field]) problems.push(`${what}: changes.${field}.old ${change.old} is not ${c[field]}`);
          c[field] = change.new;
        }
        break;
      }
      case 'booking.created': {
        const b = data.booking;
        if (!customers.has(b.cliente.id)) problems.push(`${what}: unknown customer ${b.cliente.id}`);
        const sum = b.servicios.reduce((s, x) => s + cents(x.precio), 0);
        if (sum !== cents(b.total)) problems.push(`${what}: total ${b.total} is not the sum of the prices`);
        bookings.set(b.id, { total: cents(b.total), state: 'confirmada', payment: null });
        break;
      }
      case 'booking.updated': openBooking(data.booking, what); break;
      case 'payment.completed': {
        const b = openBooking(data.booking, what);
        if (!b) break;
        if (b.payment) problems.push(`${what}: booking ${data.booking.id} paid twice`);
        if (cents(data.payment.amount) !== b.total) problems.push(`${what}: amount ${data.payment.amount} is not the booking total`);
        b.payment = { id: data.payment.id, amount: cents(data.payment.amount) };
        break;
      }
      case 'payment.failed': {
        const b = openBooking(data.booking, what);
        if (b?.payment) problems.push(`${what}: payment attempt on a paid booking`);
        break;
      }
      case 'booking.cancelled': {
        const b = openBooking(data.booking, what);
        if (!b) break;
        if (data.refund.applicable !== (b.payment !== null)) problems.push(`${what}: refund.applicable is not whether it was paid`);
        if (b.payment) refundsDue.set(data.booking.id, b.payment);
        b.state = 'cancelada';
        break;
      }
      case 'payment.refunded': {
        const p = refundsDue.get(data.booking.id);
        if (!p) { problems.push(`${what}: booking ${data.booking.id} has no refund due`); break; }
        if (data.original_payment.id !== p.id) problems.push(`${what}: original payment ${data.original_payment.id} is not ${p.id}`);
        if (cents(data.refund.amount) > p.amount) problems.push(`${what}: refund larger than the payment`);
        refundsDue.delete(data.booking.id);
        break;
      }
      case 'booking.no_show': {
        const b = openBooking(data.booking, what);
        if (b) b.state = 'no_show';
        break;
      }
      case 'booking.completed': {
        const b = openBooking(data.booking, what);
        if (!b) break;
        if (!b.payment) problems.push(`${what}: completed without payment`);
        b.state = 'completada';
        break;
      }
      case 'order.created': orders.set(data.order.id, 'pending'); break;
      case 'order.shipped':
        if (orders.get(data.order.id) !== 'pending') problems.push(`${what}: order ${data.order.id} is ${orders.get(data.order.id)}`);
        orders.set(data.order.id, 'shipped');
        break;
      case 'order.delivered':
        if (orders.get(data.order.id) !== 'shipped') problems.push(`${what}: order ${data.order.id} is ${orders.get(data.order.id)}`);
        orders.set(data.order.id, 'delivered');
        break;
      default: problems.push(`${what}: not a booking-platform event`);
    }
  }
  return problems;
}

test('hookd demo: 60 simulated seconds in strict mode are all accepted and replay consistently', { timeout: 300000 }, async () => {
  const h = await startHookd({ args: ['--catalog', 'booking-platform', '--validation', 'strict'] });
  try {
    const args = ['demo', '--url', h.url, '--token', ADMIN_TOKEN, '--duration', '60', '--fast', '--seed', '7', '--tenants', 't1',
      '--start', '2024-01-20T10:00:00Z'];
    const demo = await runHookd(args);
    assert.equal(demo.code, 0, demo.stderr);
    const s = summary(demo.stderr);
    assert.equal(s.rejected, 0, demo.stderr);
    assert.equal(s.failed, 0);
    assert.equal(s.duplicates, 0);
    assert.equal(s.accepted, s.events);
    assert.ok(s.events > 200, `about 5 events a second for 60 s, got ${s.events}`); // default rate 5

    // The strict mode is real: an invalid booking.created is refused, so "0 rejected" means all were valid.
    const bad = await h.api('POST', '/api/v1/events', { type: 'booking.created', tenant_id: 't1', data: { booking: { id: 1 } } });
    assert.equal(bad.status, 422, bad.text);

    const messages = await allMessages(h, 't1');
    assert.equal(messages.length, s.events);
    const envelopes = messages.map((m) => m.payload);
    for (const [i, env] of envelopes.entries()) {
      assert.equal(env.tenant_id, 't1');
      assert.equal(env.id, messages[i].eventId);
      assert.equal(env.type, messages[i].eventType);
    }
    const types = new Set(envelopes.map((e) => e.type));
    for (const t of ['customer.created', 'booking.created', 'payment.completed', 'booking.completed', 'order.created']) {
      assert.ok(types.has(t), `no ${t} in ${[...types]}`);
    }
    // At least: each payment.completed references a booking.created seen earlier.
    const created = new Set();
    for (const env of envelopes) {
      if (env.type === 'booking.created') created.add(env.data.booking.id);
      if (env.type === 'payment.completed') assert.ok(created.has(env.data.booking.id), `payment before booking ${env.data.booking.id}`);
    }
    assert.deepEqual(replay(envelopes), []);

    // Same seed and start, same stream: the dry run (no server needed) prints the events hookd stored, in order.
    const dry = await runHookd(['demo', '--dry-run', '--duration', '60', '--fast', '--seed', '7', '--tenants', 't1',
      '--start', '2024-01-20T10:00:00Z']);
    assert.equal(dry.code, 0, dry.stderr);
    const printed = dry.stdout.trim().split('\n').map((l) => JSON.parse(l));
    assert.deepEqual(printed.map((e) => e.id), envelopes.map((e) => e.id));
    assert.deepEqual(printed.map((e) => e.data), envelopes.map((e) => e.data));

    // Sending the same seed again stores nothing new: event ids are idempotency keys.
    const again = await runHookd(args);
    assert.equal(again.code, 0, again.stderr);
    const s2 = summary(again.stderr);
    assert.equal(s2.duplicates, s.events);
    assert.equal((await allMessages(h, 't1')).length, s.events);
  } finally {
    await h.stop(); h.cleanup();
  }
});

test('hookd demo: creates missing tenants and spreads events over them', { timeout: 120000 }, async () => {
  const h = await startHookd({ args: ['--catalog', 'booking-platform', '--validation', 'strict'] });
  try {
    const pre = await h.api('POST', '/api/v1/app', { name: 'Existing salon', uid: 'salon-b' });
    assert.equal(pre.status, 201, pre.text);
    const demo = await runHookd(['demo', '--url', h.url, '--token', ADMIN_TOKEN, '--duration', '20', '--rate', '10', '--fast', '--seed', '3', '--tenants', 'salon-a,salon-b']);
    assert.equal(demo.code, 0, demo.stderr);
    const s = summary(demo.stderr);
    assert.equal(s.rejected, 0);
    const a = await allMessages(h, 'salon-a');
    const b = await allMessages(h, 'salon-b');
    assert.ok(a.length > 0 && b.length > 0, `${a.length} and ${b.length}`);
    assert.equal(a.length + b.length, s.events);
    assert.equal((await h.api('GET', '/api/v1/app/salon-b')).json.name, 'Existing salon'); // not clobbered
    assert.deepEqual(replay(a.map((m) => m.payload)), []);
    assert.deepEqual(replay(b.map((m) => m.payload)), []);
  } finally {
    await h.stop(); h.cleanup();
  }
});

test('hookd demo: no server means a non-zero exit, not a hang', { timeout: 60000 }, async () => {
  const demo = await runHookd(['demo', '--url', 'http://127.0.0.1:9', '--token', 'x', '--duration', '5', '--fast', '--seed', '1'], { timeoutMs: 45000 });
  assert.notEqual(demo.code, 0);
  assert.match(demo.stderr, /127\.0\.0\.1:9/);
});
