// Endpoint secrets at rest, with a real hookd: no file of the data directory holds a signing secret or a
// form auth_secret in clear; restarts keep deliveries verifiable; a wrong key is refused at start; the key
// rotation procedure of docs/RELIABILITY.md ("Secrets at rest") works end to end.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { HOOKD_BIN, setupTenant, startHookd, startReceiver, verifySignature, waitFor } from './lib/harness.mjs';

const newKey = () => randomBytes(32).toString('base64');
const onPostgres = process.env.HOOKD_TEST_STORE === 'postgres';  // PostgreSQL: see unit/secrets_at_rest_test

// Starts hookd with `vars` added to (or, when undefined, removed from) its environment. The harness passes
// process.env to the process it spawns before its first await, so the change is undone at once.
function startWith(vars, options = {}) {
  const saved = {};
  for (const [k, v] of Object.entries(vars)) {
    saved[k] = process.env[k];
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  try {
    return startHookd(options);
  } finally {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}
const noKeys = { HOOKD_SECRET_KEY: undefined, HOOKD_SECRET_KEY_OLD: undefined };

// Every byte of every file under `dir` (database, WAL, shared memory, key file…).
function dirBytes(dir) {
  const parts = [];
  for (const name of readdirSync(dir)) {
    const p = path.join(dir, name);
    const st = statSync(p);
    if (st.isDirectory()) parts.push(dirBytes(p));
    else if (st.isFile()) parts.push(readFileSync(p).toString('latin1'));
  }
  return parts.join('\n');
}

// The secret and its base64 key part: what a leak would show.
const needlesOf = (secrets) => secrets.flatMap((s) => [s, s.replace(/^whsec_/, '')]);

function assertNoClearText(dir, secrets, when) {
  const bytes = dirBytes(dir);
  for (const n of needlesOf(secrets)) assert.equal(bytes.includes(n), false, `${n} found in clear in ${dir} (${when})`);
  assert.ok(bytes.includes('enc:v1:'), `sealed values expected in ${dir} (${when})`);
}

// Starts hookd and expects it to refuse to start; returns its stderr.
async function expectRefusal(vars, options) {
  try {
    const h = await startWith({ ...noKeys, ...vars }, options);
    await h.stop();
  } catch (e) {
    return String(e.message);
  }
  assert.fail('hookd started although it should have refused');
}

async function sendAndVerify(h, receiver, uid, n, secret) {
  const before = receiver.requests.length;
  const sent = await h.api('POST', `/api/v1/app/${uid}/msg`, { eventType: 'order.paid', payload: { n } });
  assert.equal(sent.status, 202, sent.text);
  await waitFor(() => receiver.requests.slice(before).find((r) => r.headers['webhook-id'] === sent.json.id),
    { timeoutMs: 20000, what: `delivery of message ${n}` });
  const got = receiver.requests.slice(before).find((r) => r.headers['webhook-id'] === sent.json.id);
  assert.ok(verifySignature(secret, got.headers, got.body), `message ${n} must verify with the endpoint's secret`);
  return got;
}

test('no secret in clear in the data dir; restart keeps deliveries verifiable; a wrong key is refused',
  { timeout: 180000, skip: onPostgres && 'SQLite data dir' }, async () => {
    const receiver = await startReceiver();
    let h = await startWith(noKeys, { args: ['--retry-schedule', '200ms'] });
    const dir = h.dir;
    try {
      // The key file is made on first start: 32 bytes, readable by its owner only.
      const keyFile = path.join(dir, 'secret.key');
      assert.equal(statSync(keyFile).size, 32);
      assert.equal(statSync(keyFile).mode & 0o777, 0o600);

      await h.api('POST', '/api/v1/event-type', { name: 'order.paid', description: 'paid' });
      const authSecret = `form-pw-${randomBytes(9).toString('hex')}`;
      const { endpoints } = await setupTenant(h, {
        uid: 'sealed',
        endpoints: [{ url: receiver.url, bodyFormat: 'form', authId: 'shop-1', authSecret }],
      });
      const first = endpoints[0].secret;
      const got = await sendAndVerify(h, receiver, 'sealed', 1, first);
      assert.ok(got.body.includes(`auth_secret=${authSecret}`), 'the receiver gets the auth_secret');

      // Rotation keeps the old secret for its grace period: both are stored, both sealed.
      const rotate = await h.api('POST', `/api/v1/app/sealed/endpoint/${endpoints[0].id}/secret/rotate`, {});
      assert.equal(rotate.status, 204, rotate.text);
      const second = (await h.api('GET', `/api/v1/app/sealed/endpoint/${endpoints[0].id}/secret`)).json.key;
      assert.notEqual(second, first);
      await sendAndVerify(h, receiver, 'sealed', 2, second);

      const secrets = [first, second, authSecret];
      assertNoClearText(dir, secrets, 'while running');
      await h.stop();
      assertNoClearText(dir, secrets, 'after stop');

      // Same data dir, same key file: deliveries still verify.
      h = await startWith(noKeys, { dataDir: dir, args: ['--retry-schedule', '200ms'] });
      await sendAndVerify(h, receiver, 'sealed', 3, second);
      assert.equal((await h.api('GET', `/api/v1/app/sealed/endpoint/${endpoints[0].id}/secret`)).json.key, second);
      await h.stop();

      // Another key: hookd refuses to start, naming the key id it lacks.
      const refusal = await expectRefusal({ HOOKD_SECRET_KEY: newKey() }, { dataDir: dir });
      assert.match(refusal, /cannot decrypt endpoint secrets/);
      assert.match(refusal, /key id [0-9a-f]{8} not in keyring/);

      // A key file others can read is refused too.
      chmodSync(keyFile, 0o644);
      assert.match(await expectRefusal({}, { dataDir: dir }), /secret\.key: permissions 644/);
      chmodSync(keyFile, 0o600);
    } finally {
      await h.stop().catch(() => {});
      h.cleanup();
      await receiver.close();
    }
  });

test('key rotation: old key as old, new key as current, rekey, then the new key alone',
  { timeout: 180000, skip: onPostgres && 'SQLite data dir' }, async () => {
  const receiver = await startReceiver();
  const keyA = newKey();
  const keyB = newKey();
  let h = await startWith({ ...noKeys, HOOKD_SECRET_KEY: keyA });
  const dir = h.dir;
  try {
    await h.api('POST', '/api/v1/event-type', { name: 'order.paid', description: 'paid' });
    const { endpoints } = await setupTenant(h, { uid: 'rotating', endpoints: [{ url: receiver.url }, { url: receiver.url }] });
    const secret = endpoints[0].secret;
    await h.stop();

    // With only the new key, the old rows do not open.
    assert.match(await expectRefusal({ HOOKD_SECRET_KEY: keyB }, { dataDir: dir }), /not in keyring/);

    // Rekey with the new key current and the old one accepted for reading.
    const rekey = spawnSync(HOOKD_BIN, ['secrets', 'rekey', '--data-dir', dir], {
      env: { ...process.env, ASAN_OPTIONS: 'detect_leaks=0', HOOKD_SECRET_KEY: keyB, HOOKD_SECRET_KEY_OLD: keyA },
      encoding: 'utf8',
      timeout: 60000,
    });
    assert.equal(rekey.status, 0, rekey.stderr);
    assert.match(rekey.stdout, /resealed 2 endpoint\(s\)/);

    // The old key is no longer needed: the new key alone serves, deliveries verify, nothing is in clear.
    h = await startWith({ ...noKeys, HOOKD_SECRET_KEY: keyB }, { dataDir: dir });
    await sendAndVerify(h, receiver, 'rotating', 1, secret);
    assertNoClearText(dir, endpoints.map((e) => e.secret), 'after rotation');
    await h.stop();

    // And the old key alone is refused: every row moved to the new key.
    assert.match(await expectRefusal({ HOOKD_SECRET_KEY: keyA }, { dataDir: dir }), /not in keyring/);
  } finally {
    await h.stop().catch(() => {});
    h.cleanup();
    await receiver.close();
  }
});
