// Issue 9: tenant isolation. Every route, called with tenant B's portal token on tenant A's ids, answers 403 or
// 404 and changes nothing; B's own routes work; expired and forged tokens are refused.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setupTenant, startHookd, startReceiver, waitFor } from './lib/harness.mjs';

test('tenant B cannot reach anything of tenant A', { timeout: 60000 }, async () => {
  const h = await startHookd({ args: ['--catalog', 'booking-platform'] });
  const receiver = await startReceiver();
  try {
    const { app: a, endpoints: [epA] } = await setupTenant(h, { uid: 'tenant-a', endpoints: [{ url: receiver.url }] });
    await setupTenant(h, { uid: 'tenant-b' });
    const msgA = (await h.api('POST', '/api/v1/app/tenant-a/msg', { eventType: 'order.created', payload: { secret: 'A' } })).json;
    const attemptA = await waitFor(async () => (await h.api('GET', `/api/v1/app/tenant-a/attempt/msg/${msgA.id}`)).json.data[0],
      { what: "A's attempt" });
    const portal = await h.api('POST', '/api/v1/auth/app-portal-access/tenant-b', {});
    assert.equal(portal.status, 200);
    const tokenB = portal.json.token;
    const asB = (method, route, body) => h.api(method, route, body, { authorization: `Bearer ${tokenB}` });

    const before = JSON.stringify((await h.api('GET', '/api/v1/app/tenant-a/endpoint')).json);
    const routes = [];
    for (const app of [a.id, 'tenant-a']) {
      const base = `/api/v1/app/${app}`;
      routes.push(
        ['GET', base], ['PUT', base, { name: 'x' }], ['PATCH', base, { name: 'x' }], ['DELETE', base],
        ['GET', `${base}/endpoint`], ['POST', `${base}/endpoint`, { url: 'https://example.com/' }],
        ['GET', `${base}/endpoint/${epA.id}`], ['PUT', `${base}/endpoint/${epA.id}`, { url: 'https://example.com/' }],
        ['PATCH', `${base}/endpoint/${epA.id}`, { disabled: true }], ['DELETE', `${base}/endpoint/${epA.id}`],
        ['GET', `${base}/endpoint/${epA.id}/secret`], ['POST', `${base}/endpoint/${epA.id}/secret/rotate`, {}],
        ['GET', `${base}/endpoint/${epA.id}/headers`], ['PUT', `${base}/endpoint/${epA.id}/headers`, { headers: { a: 'b' } }],
        ['PATCH', `${base}/endpoint/${epA.id}/headers`, { headers: { a: 'b' } }],
        ['GET', `${base}/endpoint/${epA.id}/stats`], ['POST', `${base}/endpoint/${epA.id}/recover`, { since: '2020-01-01T00:00:00Z' }],
        ['GET', `${base}/msg`], ['POST', `${base}/msg`, { eventType: 'order.created', payload: {} }],
        ['GET', `${base}/msg/${msgA.id}`], ['GET', `${base}/attempt/msg/${msgA.id}`],
        ['GET', `${base}/attempt/endpoint/${epA.id}`], ['GET', `${base}/msg/${msgA.id}/attempt/${attemptA.id}`],
        ['POST', `${base}/msg/${msgA.id}/endpoint/${epA.id}/resend`],
      );
    }
    // B's own app path with A's object ids: still nothing of A.
    routes.push(
      ['GET', `/api/v1/app/tenant-b/endpoint/${epA.id}`], ['GET', `/api/v1/app/tenant-b/msg/${msgA.id}`],
      ['GET', `/api/v1/app/tenant-b/attempt/msg/${msgA.id}`], ['GET', `/api/v1/app/tenant-b/attempt/endpoint/${epA.id}`],
      ['POST', `/api/v1/app/tenant-b/msg/${msgA.id}/endpoint/${epA.id}/resend`],
      ['GET', `/api/v1/app/tenant-b/msg/${msgA.id}/attempt/${attemptA.id}`],
      // Operator-only routes.
      ['GET', '/api/v1/app'], ['POST', '/api/v1/app', { name: 'x' }], ['POST', '/api/v1/event-type', { name: 'x.y' }],
      ['DELETE', '/api/v1/event-type/order.created'], ['POST', '/api/v1/auth/app-portal-access/tenant-a', {}],
      ['POST', '/api/v1/events', { type: 'order.created', tenant_id: 'tenant-a', data: {} }],
      ['POST', '/api/v1/event-type/import', '{}'],
    );
    for (const [method, route, body] of routes) {
      const res = await asB(method, route, body);
      assert.ok([403, 404].includes(res.status), `${method} ${route} answered ${res.status}: ${res.text}`);
      assert.ok(!res.text.includes('"secret":"A"') && !res.text.includes(receiver.url), `${method} ${route} leaked A's data`);
      assert.ok(res.json?.code, `${method} ${route}: JSON error`);
    }
    assert.equal(JSON.stringify((await h.api('GET', '/api/v1/app/tenant-a/endpoint')).json), before, "A's endpoints unchanged");
    assert.equal((await h.api('GET', `/api/v1/app/tenant-a/msg/${msgA.id}`)).status, 200);

    // B's token works on B, and reads the catalog.
    assert.equal((await asB('GET', '/api/v1/app/tenant-b/endpoint')).status, 200);
    assert.equal((await asB('GET', '/api/v1/event-type')).status, 200);
    // Forged and tampered tokens are refused.
    const forged = tokenB.slice(0, -2) + (tokenB.endsWith('A') ? 'BB' : 'AA');
    assert.equal((await h.api('GET', '/api/v1/app/tenant-b/endpoint', undefined, { authorization: `Bearer ${forged}` })).status, 401);
    const [claims] = tokenB.slice(4).split('.');
    const otherClaims = Buffer.from(Buffer.from(claims, 'base64url').toString().replace(/^[^.]+/, a.id)).toString('base64url');
    const swapped = `ptk_${otherClaims}.${tokenB.split('.')[1]}`;
    assert.equal((await h.api('GET', '/api/v1/app/tenant-a/endpoint', undefined, { authorization: `Bearer ${swapped}` })).status, 401);
  } finally { await h.stop(); h.cleanup(); await receiver.close(); }
});

test('portal tokens expire', { timeout: 120000 }, async () => {
  const h = await startHookd();
  try {
    await setupTenant(h, { uid: 'short' });
    const portal = await h.api('POST', '/api/v1/auth/app-portal-access/short', { expiry: 60 });
    assert.equal(portal.status, 200);
    assert.match(portal.json.url, /\/portal\/#token=ptk_/);
    const tooShort = await h.api('POST', '/api/v1/auth/app-portal-access/short', { expiry: 1 });
    assert.equal(tooShort.status, 422);
    // The expiry is in the signed claims: a token whose time has passed is refused (claims end in ms).
    const [claims, mac] = portal.json.token.slice(4).split('.');
    const text = Buffer.from(claims, 'base64url').toString();
    assert.match(text, /^app_\w+\.\d{13}$/);
    const expired = Buffer.from(text.replace(/\d{13}$/, String(Date.now() - 1000))).toString('base64url');
    assert.equal((await h.api('GET', '/api/v1/app/short', undefined, { authorization: `Bearer ptk_${expired}.${mac}` })).status, 401);
  } finally { await h.stop(); h.cleanup(); }
});
