// A loopback webhook receiver: records every request (headers and raw body) and verifies each delivery with
// both official verifiers (standardwebhooks and svix) against the secrets the test registered for its path.
import http from 'node:http';
import crypto from 'node:crypto';
import { Webhook as StdWebhook } from 'standardwebhooks';
import { Webhook as SvixWebhook } from 'svix';
import { waitFor } from './hookd.mjs';

// Verifies a v1a (Ed25519) entry with node:crypto against a whpk_ public key.
export function verifyEd25519(publicKey, id, ts, body, signatureHeader) {
  const raw = Buffer.from(publicKey.replace(/^whpk_/, ''), 'base64');
  if (raw.length !== 32) throw new Error(`public key is ${raw.length} bytes, not 32`);
  const key = crypto.createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: raw.toString('base64url') }, format: 'jwk' });
  const entries = signatureHeader.split(' ').filter((e) => e.startsWith('v1a,'));
  return entries.some((e) => crypto.verify(null, Buffer.from(`${id}.${ts}.${body}`), key, Buffer.from(e.slice(4), 'base64')));
}

// Result of checking one delivery against one whsec_ secret with both libraries.
export function verifyWith(secret, delivery) {
  const body = delivery.body.toString('utf8');
  const out = { std: false, svix: false, stdError: null, svixError: null };
  try {
    const parsed = new StdWebhook(secret).verify(body, delivery.headers);
    out.std = JSON.stringify(parsed) === JSON.stringify(JSON.parse(body));
  } catch (e) {
    out.stdError = e.message;
  }
  try {
    new SvixWebhook(secret).verify(body, delivery.headers);
    out.svix = true;
  } catch (e) {
    out.svixError = e.message;
  }
  return out;
}

/**
 * Starts a receiver on 127.0.0.1:0. `respond(delivery)` (settable per test via receiver.respond) returns
 * {status, body?, delayMs?}; the default answers 200.
 */
export async function startReceiver() {
  const deliveries = [];
  // path -> {secrets: [whsec_…], publicKeys: [whpk_…]}
  const keys = new Map();
  const state = { respond: () => ({ status: 200, body: 'ok' }) };
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', async () => {
      const delivery = {
        method: req.method,
        path: req.url,
        headers: { ...req.headers },
        body: Buffer.concat(chunks),
        receivedAt: Date.now(),
        checks: [],
      };
      // Verify on arrival: the timestamp tolerance is relative to now.
      const k = keys.get(req.url) ?? { secrets: [], publicKeys: [] };
      for (const secret of k.secrets) delivery.checks.push({ secret, ...verifyWith(secret, delivery) });
      for (const publicKey of k.publicKeys) {
        let ok = false;
        try {
          ok = verifyEd25519(publicKey, req.headers['webhook-id'], req.headers['webhook-timestamp'],
            delivery.body.toString('utf8'), req.headers['webhook-signature'] ?? '');
        } catch {
          ok = false;
        }
        delivery.checks.push({ publicKey, ed25519: ok });
      }
      deliveries.push(delivery);
      const answer = await state.respond(delivery);
      if (answer.delayMs) await new Promise((r) => setTimeout(r, answer.delayMs));
      res.writeHead(answer.status, { 'content-type': 'text/plain' });
      res.end(answer.body ?? '');
    });
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const base = `http://127.0.0.1:${server.address().port}`;
  return {
    base,
    deliveries,
    set respond(fn) {
      state.respond = fn;
    },
    // A fresh path on this receiver, with the secrets deliveries to it are checked against.
    url(name) {
      return `${base}/${name}`;
    },
    trustSecret(name, secret) {
      const k = keys.get(`/${name}`) ?? { secrets: [], publicKeys: [] };
      if (!k.secrets.includes(secret)) k.secrets.push(secret);
      keys.set(`/${name}`, k);
    },
    trustPublicKey(name, publicKey) {
      const k = keys.get(`/${name}`) ?? { secrets: [], publicKeys: [] };
      k.publicKeys.push(publicKey);
      keys.set(`/${name}`, k);
    },
    to(name) {
      return deliveries.filter((d) => d.path === `/${name}`);
    },
    async waitForCount(name, n, ms = 10000) {
      return waitFor(`${n} deliveries to /${name}`, () => (this.to(name).length >= n ? this.to(name) : null), ms);
    },
    // Every delivery must have verified with both libraries (or Ed25519) against at least one trusted key.
    unverified() {
      return deliveries.filter((d) => !d.checks.some((c) => (c.std && c.svix) || c.ed25519));
    },
    close: () => new Promise((r) => { server.closeAllConnections?.(); server.close(r); }),
  };
}
