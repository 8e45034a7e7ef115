// Signatures checked by clients nobody here wrote: every delivery verified with standardwebhooks' and svix's
// Webhook.verify; secret rotation with a grace period; Ed25519 (whsk_) endpoints verified with node:crypto.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { Webhook as StdWebhook } from 'standardwebhooks';
import { Webhook as SvixWebhook } from 'svix';
import { startHookd, waitFor, sleep } from './lib/hookd.mjs';
import { startReceiver, verifyWith, verifyEd25519 } from './lib/receiver.mjs';

let hookd;
let svix;
let receiver;
const APP = 'sig-tenant';
before(async () => {
  hookd = await startHookd();
  svix = hookd.svix;
  receiver = await startReceiver();
  await svix.application.create({ name: 'Signature tests', uid: APP });
  await svix.eventType.create({ name: 'doc.signed', description: 'signed' });
});
after(async () => {
  await hookd?.stop();
  await receiver?.close();
});

// The dispatcher caches endpoint rows for 2 s (kCacheTtl in src/delivery/dispatcher.cpp), so a rotation
// reaches deliveries within that much time; the tests below wait it out before judging a delivery.
const PROPAGATION_MS = 2500;

const newSecret = () => `whsec_${crypto.randomBytes(24).toString('base64')}`;
const entries = (d) => d.headers['webhook-signature'].split(' ');

// Sends one message to the endpoint named `name` and returns its delivery.
async function deliverOne(name, endpointId, n) {
  const before_ = receiver.to(name).length;
  const msg = await svix.message.create(APP, { eventType: 'doc.signed', payload: { n, text: 'naïve – ünïcode ✓', nested: { a: [1, 2.5, null] } } });
  const list = await receiver.waitForCount(name, before_ + 1);
  const d = list.at(-1);
  assert.equal(d.headers['webhook-id'], msg.id);
  return d;
}

test('deliveries carry webhook-* and svix-* headers and verify with both libraries', async () => {
  const secret = newSecret();
  const ep = await svix.endpoint.create(APP, { url: receiver.url('plain'), secret });
  receiver.trustSecret('plain', secret);
  const d = await deliverOne('plain', ep.id, 1);
  for (const h of ['id', 'timestamp', 'signature']) {
    assert.ok(d.headers[`webhook-${h}`], `webhook-${h} present`);
    assert.equal(d.headers[`svix-${h}`], d.headers[`webhook-${h}`], `svix-${h} equals webhook-${h}`);
  }
  assert.match(d.headers['webhook-timestamp'], /^\d+$/);
  assert.ok(Math.abs(Number(d.headers['webhook-timestamp']) - Date.now() / 1000) < 30);
  assert.deepEqual(entries(d).map((e) => e.split(',')[0]), ['v1']);
  assert.match(entries(d)[0], /^v1,[A-Za-z0-9+/]{43}=$/, 'canonical padded base64');
  const body = d.body.toString();
  assert.deepEqual(new StdWebhook(secret).verify(body, d.headers), JSON.parse(body));
  new SvixWebhook(secret).verify(body, d.headers);
  // The verifiers are real: a changed body, another secret or a stale timestamp all fail.
  assert.throws(() => new StdWebhook(secret).verify(body.replace('1', '2'), d.headers));
  assert.throws(() => new SvixWebhook(secret).verify(body.replace('1', '2'), d.headers));
  assert.throws(() => new StdWebhook(newSecret()).verify(body, d.headers));
  const stale = { ...d.headers, 'webhook-timestamp': String(Number(d.headers['webhook-timestamp']) - 600) };
  delete stale['svix-timestamp'];
  assert.throws(() => new StdWebhook(secret).verify(body, stale), /too old/);
  // Only the svix-* headers: the svix library still verifies (it prefers them).
  const svixOnly = Object.fromEntries(Object.entries(d.headers).filter(([k]) => !k.startsWith('webhook-')));
  new SvixWebhook(secret).verify(body, svixOnly);
});

test('rotation: during the grace period both secrets verify; after it only the new one', async () => {
  const oldSecret = newSecret();
  const ep = await svix.endpoint.create(APP, { url: receiver.url('rotating'), secret: oldSecret });
  receiver.trustSecret('rotating', oldSecret);
  const d0 = await deliverOne('rotating', ep.id, 10);
  assert.equal(entries(d0).length, 1);

  const nextSecret = newSecret();
  receiver.trustSecret('rotating', nextSecret);
  const grace = 8;
  await svix.endpoint.rotateSecret(APP, ep.id, { key: nextSecret, gracePeriodSeconds: grace });
  const rotatedAt = Date.now();
  assert.equal((await svix.endpoint.getSecret(APP, ep.id)).key, nextSecret, 'GET secret returns the new key');

  // Right after the rotation the old secret keeps verifying (whatever the propagation delay).
  const dEarly = await deliverOne('rotating', ep.id, 11);
  assert.ok(verifyWith(oldSecret, dEarly).std && verifyWith(oldSecret, dEarly).svix);

  await sleep(PROPAGATION_MS);
  const d1 = await deliverOne('rotating', ep.id, 12);
  assert.ok(Date.now() - rotatedAt < grace * 1000, 'delivered within the grace period');
  assert.equal(entries(d1).length, 2, 'one v1 entry per valid key');
  for (const s of [oldSecret, nextSecret]) {
    const r = verifyWith(s, d1);
    assert.ok(r.std && r.svix, `both libraries verify with ${s === oldSecret ? 'the old' : 'the new'} secret: ${JSON.stringify(r)}`);
  }

  await sleep(grace * 1000 - (Date.now() - rotatedAt) + PROPAGATION_MS);
  const d2 = await deliverOne('rotating', ep.id, 13);
  assert.equal(entries(d2).length, 1, 'the expired key no longer signs');
  const withNew = verifyWith(nextSecret, d2);
  assert.ok(withNew.std && withNew.svix);
  const withOld = verifyWith(oldSecret, d2);
  assert.ok(!withOld.std && !withOld.svix, 'the old secret fails with both libraries after the grace period');
});

test('rotation with gracePeriodSeconds 0 and a generated key: only the new secret verifies', async () => {
  const ep = await svix.endpoint.create(APP, { url: receiver.url('instant') });
  const oldSecret = (await svix.endpoint.getSecret(APP, ep.id)).key;
  receiver.trustSecret('instant', oldSecret);
  await deliverOne('instant', ep.id, 20);
  await svix.endpoint.rotateSecret(APP, ep.id, { gracePeriodSeconds: 0 });
  const fresh = (await svix.endpoint.getSecret(APP, ep.id)).key;
  assert.match(fresh, /^whsec_/);
  assert.notEqual(fresh, oldSecret);
  receiver.trustSecret('instant', fresh);
  await sleep(PROPAGATION_MS);
  const d = await deliverOne('instant', ep.id, 21);
  assert.ok(verifyWith(fresh, d).std && verifyWith(fresh, d).svix);
  const old = verifyWith(oldSecret, d);
  assert.ok(!old.std && !old.svix);
});

test('a rotation applies to the very next delivery', async () => {
  const ep = await svix.endpoint.create(APP, { url: receiver.url('next') });
  receiver.trustSecret('next', (await svix.endpoint.getSecret(APP, ep.id)).key);
  await deliverOne('next', ep.id, 50);  // warms the dispatcher's view of the endpoint
  const fresh = newSecret();
  receiver.trustSecret('next', fresh);
  await svix.endpoint.rotateSecret(APP, ep.id, { key: fresh, gracePeriodSeconds: 0 });
  const d = await deliverOne('next', ep.id, 51);
  assert.ok(verifyWith(fresh, d).std, 'the first delivery after the rotation verifies with the new secret');
});

test('default rotation keeps the old key for 24 h: both verify', async () => {
  const ep = await svix.endpoint.create(APP, { url: receiver.url('default-grace') });
  const oldSecret = (await svix.endpoint.getSecret(APP, ep.id)).key;
  receiver.trustSecret('default-grace', oldSecret);
  await svix.endpoint.rotateSecret(APP, ep.id);
  const fresh = (await svix.endpoint.getSecret(APP, ep.id)).key;
  receiver.trustSecret('default-grace', fresh);
  const d = await deliverOne('default-grace', ep.id, 30);
  for (const s of [oldSecret, fresh]) assert.ok(verifyWith(s, d).std && verifyWith(s, d).svix);
});

test('asymmetric: secret "whsk_" generates an Ed25519 key; deliveries carry v1a, verified with node:crypto', async () => {
  const ep = await svix.endpoint.create(APP, { url: receiver.url('ed25519'), secret: 'whsk_' });
  const sdkSecret = await svix.endpoint.getSecret(APP, ep.id);
  assert.match(sdkSecret.key, /^whsk_/);
  // The SDK's EndpointSecretOut has only `key`; the public key is read from the raw answer.
  const raw = await hookd.api('GET', `/api/v1/app/${APP}/endpoint/${ep.id}/secret`);
  assert.equal(raw.status, 200);
  const { key, publicKey } = raw.json;
  assert.equal(key, sdkSecret.key);
  assert.match(publicKey, /^whpk_/);
  const keyBytes = Buffer.from(key.slice(5), 'base64');
  assert.equal(keyBytes.length, 64, 'whsk_ is seed || public key');
  assert.deepEqual(keyBytes.subarray(32), Buffer.from(publicKey.slice(5), 'base64'));
  receiver.trustPublicKey('ed25519', publicKey);

  const d = await deliverOne('ed25519', ep.id, 40);
  const sig = d.headers['webhook-signature'];
  const v1a = entries(d).filter((e) => e.startsWith('v1a,'));
  assert.equal(v1a.length, 1, `one v1a entry in "${sig}"`);
  assert.equal(Buffer.from(v1a[0].slice(4), 'base64').length, 64);
  const id = d.headers['webhook-id'];
  const ts = d.headers['webhook-timestamp'];
  const body = d.body.toString('utf8');
  assert.ok(verifyEd25519(publicKey, id, ts, body, sig), 'node:crypto verifies the v1a signature');
  assert.ok(!verifyEd25519(publicKey, id, ts, body + ' ', sig), 'and rejects a changed body');
  // Seed-derived check: the private half signs to the same public key.
  const priv = crypto.createPrivateKey({ key: Buffer.concat([Buffer.from('302e020100300506032b657004220420', 'hex'), keyBytes.subarray(0, 32)]), format: 'der', type: 'pkcs8' });
  const pubFromSeed = crypto.createPublicKey(priv).export({ format: 'jwk' }).x;
  assert.equal(pubFromSeed, keyBytes.subarray(32).toString('base64url'));
  // No symmetric entry: HMAC verifiers have nothing to check.
  assert.throws(() => new StdWebhook(`whsec_${keyBytes.subarray(0, 32).toString('base64')}`).verify(body, d.headers));
});

test('every delivery in this file verified (both libraries, or Ed25519 with node:crypto)', () => {
  assert.ok(receiver.deliveries.length >= 9);
  assert.deepEqual(receiver.unverified().map((d) => d.path), []);
});
