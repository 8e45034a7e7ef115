// Bad input gets a clear JSON error with the right status, and changes nothing already accepted.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { setupTenant, startHookd } from './lib/harness.mjs';

describe('bad input', () => {
  let h;
  before(async () => {
    h = await startHookd({ args: ['--catalog', 'booking-platform', '--max-body', '4096'] });
    await setupTenant(h, { uid: 'acme', endpoints: [{ url: 'http://127.0.0.1:9/x' }] });
  });
  after(async () => { await h.stop(); h.cleanup(); });

  const cases = [
    ['no token', 'GET', '/api/v1/app', undefined, { authorization: '' }, 401, 'authentication_failed'],
    ['wrong token', 'GET', '/api/v1/app', undefined, { authorization: 'Bearer nope' }, 401, 'authentication_failed'],
    ['malformed JSON', 'POST', '/api/v1/app', '{"name": ', {}, 400, 'invalid_json'],
    ['wrong type', 'POST', '/api/v1/app', { name: 42 }, {}, 422, 'validation'],
    ['unknown route', 'GET', '/api/v1/nothing-here', undefined, {}, 404, 'not_found'],
    ['wrong method', 'DELETE', '/api/v1/event-type', undefined, {}, 405, 'method_not_allowed'],
    ['oversize body', 'POST', '/api/v1/app', { name: 'x'.repeat(5000) }, {}, 413, 'payload_too_large'],
    ['invalid URL', 'POST', '/api/v1/app/acme/endpoint', { url: 'not a url' }, {}, 422, 'validation'],
    ['ftp URL', 'POST', '/api/v1/app/acme/endpoint', { url: 'ftp://example.com/' }, {}, 422, 'validation'],
    ['unknown tenant', 'POST', '/api/v1/events', { type: 'booking.created', tenant_id: 'ghost', data: {} }, {}, 404, 'tenant_not_found'],
    ['unknown event type', 'POST', '/api/v1/app/acme/msg', { eventType: 'no.such.type', payload: {} }, {}, 422, 'validation'],
    ['payload not an object', 'POST', '/api/v1/app/acme/msg', { eventType: 'booking.created', payload: [1] }, {}, 422, 'validation'],
    ['bad uid', 'POST', '/api/v1/app', { name: 'a', uid: 'has space' }, {}, 422, 'validation'],
    ['limit too large', 'GET', '/api/v1/app?limit=1000', undefined, {}, 422, 'validation'],
    ['unknown filter type', 'POST', '/api/v1/app/acme/endpoint', { url: 'https://example.com/', filterTypes: ['nope.nope'] }, {}, 422, 'validation'],
    ['bad time', 'GET', '/api/v1/app/acme/msg?before=yesterday', undefined, {}, 422, 'validation'],
  ];
  for (const [name, method, route, body, headers, status, code] of cases) {
    test(name, async () => {
      const res = await h.api(method, route, body, headers);
      assert.equal(res.status, status, res.text);
      assert.ok(res.json, `JSON body: ${res.text}`);
      assert.equal(res.json.code, code);
      assert.ok(res.json.detail, 'has a detail');
    });
  }

  test('private, loopback and metadata targets are refused at creation unless allowed', async () => {
    const strict = await startHookd({ allowPrivate: false });
    try {
      await setupTenant(strict, { uid: 'x' });
      for (const url of ['http://127.0.0.1:8080/', 'http://10.1.2.3/', 'http://169.254.169.254/latest/meta-data',
        'http://[::1]/', 'http://[::ffff:192.168.0.1]/', 'http://[fd00:ec2::254]/']) {
        const res = await strict.api('POST', '/api/v1/app/x/endpoint', { url });
        assert.equal(res.status, 422, `${url}: ${res.text}`);
        assert.match(JSON.stringify(res.json.detail), /refused/);
      }
      const ok = await strict.api('POST', '/api/v1/app/x/endpoint', { url: 'https://example.com/hook' });
      assert.equal(ok.status, 201, ok.text);
    } finally { await strict.stop(); strict.cleanup(); }
  });

  test('headers over 16 KiB get 431 and JSON deeper than 64 levels is refused', async () => {
    const big = await fetch(`${h.url}/api/v1/app`, { headers: { authorization: 'Bearer test-admin-token', 'x-big': 'y'.repeat(20000) } });
    assert.equal(big.status, 431);
    assert.equal((await big.json()).code, 'headers_too_large');
    const deep = '{"name":"x","metadata":' + '{"a":'.repeat(70) + '1' + '}'.repeat(70) + '}';
    const res = await h.api('POST', '/api/v1/app', deep);
    assert.equal(res.status, 400, res.text);
    assert.equal(res.json.code, 'invalid_json');
  });

  test('nothing accepted is lost or altered by bad requests', async () => {
    const before = await h.api('GET', '/api/v1/app/acme/endpoint');
    await h.api('PATCH', `/api/v1/app/acme/endpoint/${before.json.data[0].id}`, { url: 'javascript:alert(1)' });
    await h.api('PUT', `/api/v1/app/acme/endpoint/${before.json.data[0].id}`, '{broken');
    const afterList = await h.api('GET', '/api/v1/app/acme/endpoint');
    assert.deepEqual(afterList.json, before.json);
  });
});

describe('catalog import over the API', () => {
  test('imports a catalog once, keeps operator edits unless asked to overwrite, refuses an invalid one', async () => {
    const { readFileSync } = await import('node:fs');
    const wink = readFileSync(new URL('../../catalogs/wink.json', import.meta.url), 'utf8');
    const count = JSON.parse(wink).eventTypes.length;
    const h = await startHookd();
    try {
      const first = await h.api('POST', '/api/v1/event-type/import', wink);
      assert.equal(first.status, 200, first.text);
      assert.deepEqual([first.json.eventTypes, first.json.imported], [count, count]);
      const patched = await h.api('PATCH', '/api/v1/event-type/account.create', { description: 'edited by the operator' });
      assert.equal(patched.status, 200);
      const again = await h.api('POST', '/api/v1/event-type/import', wink);
      assert.equal(again.json.imported, 0);
      assert.equal((await h.api('GET', '/api/v1/event-type/account.create')).json.description, 'edited by the operator');
      const forced = await h.api('POST', '/api/v1/event-type/import?overwrite=true', wink);
      assert.equal(forced.json.imported, count);
      assert.notEqual((await h.api('GET', '/api/v1/event-type/account.create')).json.description, 'edited by the operator');
      const type = (await h.api('GET', '/api/v1/event-type/account.task.tax_id.complete')).json;
      assert.ok(type.groupName && type.schemas['1'] && type.examples.length > 0);
      const broken = await h.api('POST', '/api/v1/event-type/import', '{"name":"x","eventTypes":[{"name":"bad name"}]}');
      assert.equal(broken.status, 422, broken.text);
    } finally { await h.stop(); h.cleanup(); }
  });
});
