// Applications through the official svix SDK: create, get-or-create, get by id and uid, pagination over 300
// applications in both directions, upsert, patch, delete.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { ApiException } from 'svix';
import { startHookd } from './lib/hookd.mjs';

let hookd;
let svix;
before(async () => {
  hookd = await startHookd();
  svix = hookd.svix;
});
after(async () => {
  await hookd?.stop();
});

test('create returns ApplicationOut with id, uid, metadata and RFC 3339 times', async () => {
  const t0 = Date.now();
  const app = await svix.application.create({ name: 'Acme', uid: 'acme', metadata: { plan: 'gold' }, throttleRate: 50 });
  assert.match(app.id, /^app_[0-9A-Za-z]{27}$/);
  assert.equal(app.uid, 'acme');
  assert.equal(app.name, 'Acme');
  assert.equal(app.throttleRate, 50);
  assert.deepEqual(app.metadata, { plan: 'gold' });
  assert.ok(app.createdAt instanceof Date && !Number.isNaN(app.createdAt.getTime()));
  assert.ok(Math.abs(app.createdAt.getTime() - t0) < 60_000, 'createdAt is now');
  assert.equal(app.updatedAt.getTime(), app.createdAt.getTime());
});

test('getOrCreate returns the existing application for a known uid and creates an unknown one', async () => {
  const first = await svix.application.getOrCreate({ name: 'Globex', uid: 'globex' });
  const again = await svix.application.getOrCreate({ name: 'Another name', uid: 'globex' });
  assert.equal(again.id, first.id);
  assert.equal(again.name, 'Globex', 'the existing application is returned unchanged');
  const raw = await hookd.api('POST', '/api/v1/app?get_if_exists=true', { name: 'Globex', uid: 'globex' });
  assert.equal(raw.status, 200, 'an existing application answers 200');
  const fresh = await hookd.api('POST', '/api/v1/app?get_if_exists=true', { name: 'Initech', uid: 'initech' });
  assert.equal(fresh.status, 201, 'a new one answers 201');
});

test('a second create with the same uid is a 409 ApiException', async () => {
  await svix.application.create({ name: 'Dup', uid: 'dup-app' });
  await assert.rejects(svix.application.create({ name: 'Dup', uid: 'dup-app' }), (e) => {
    assert.ok(e instanceof ApiException);
    assert.equal(e.code, 409);
    assert.equal(typeof e.body.code, 'string');
    return true;
  });
});

test('get by id and by uid return the same application', async () => {
  const app = await svix.application.create({ name: 'Hooli', uid: 'hooli' });
  const byId = await svix.application.get(app.id);
  const byUid = await svix.application.get('hooli');
  assert.equal(byId.id, app.id);
  assert.equal(byUid.id, app.id);
  assert.equal(byUid.name, 'Hooli');
});

test('list paginates over 300 applications: each seen exactly once forwards and backwards', async () => {
  const created = new Set();
  for (let batch = 0; batch < 300; batch += 25) {
    const apps = await Promise.all(
      Array.from({ length: 25 }, (_, i) => svix.application.create({ name: `page ${batch + i}`, uid: `page-${batch + i}` })),
    );
    for (const a of apps) created.add(a.id);
  }
  assert.equal(created.size, 300);

  // Forwards, with a limit that does not divide the total.
  const forward = [];
  const pages = [];
  let iterator;
  for (let guard = 0; guard < 100; guard++) {
    const page = await svix.application.list({ limit: 47, iterator });
    assert.ok(page.data.length <= 47);
    forward.push(...page.data.map((a) => a.id));
    pages.push(page);
    if (page.done) break;
    assert.ok(page.iterator, 'a page that is not done has an iterator');
    iterator = page.iterator;
  }
  assert.ok(pages.at(-1).done, 'the walk ended on done');
  const ours = forward.filter((id) => created.has(id));
  assert.equal(ours.length, 300, 'every created application listed');
  assert.equal(new Set(forward).size, forward.length, 'no application listed twice');
  const sorted = [...forward].sort();
  assert.deepEqual(forward, sorted, 'ids are listed in ascending (time-sortable) order');

  // Backwards from the last page via prevIterator.
  const backward = [...pages.at(-1).data.map((a) => a.id)];
  let prev = pages.at(-1).prevIterator;
  for (let guard = 0; guard < 100 && prev; guard++) {
    assert.ok(prev.startsWith('-'), 'prevIterator pages backwards');
    const page = await svix.application.list({ limit: 47, iterator: prev });
    backward.unshift(...page.data.map((a) => a.id));
    if (page.done) break;
    prev = page.prevIterator;
  }
  assert.deepEqual(backward, forward, 'walking back yields the same applications in the same order');

  // The default limit is 50 and more than 250 is refused (422, parsed by the SDK).
  assert.equal((await svix.application.list()).data.length, 50);
  await assert.rejects(svix.application.list({ limit: 251 }), (e) => e instanceof ApiException && e.code === 422);
});

test('upsert (PUT) creates with the path uid (201), then replaces (200)', async () => {
  const created = await hookd.api('PUT', '/api/v1/app/umbrella', { name: 'Umbrella' });
  assert.equal(created.status, 201);
  assert.equal(created.json.uid, 'umbrella');
  const updated = await svix.application.upsert('umbrella', { name: 'Umbrella Corp', metadata: { a: 'b' } });
  assert.equal(updated.id, created.json.id);
  assert.equal(updated.name, 'Umbrella Corp');
  assert.deepEqual(updated.metadata, { a: 'b' });
  const viaSdk = await svix.application.upsert('soylent', { name: 'Soylent' });
  assert.equal((await svix.application.get('soylent')).id, viaSdk.id);
});

test('patch changes only the fields it names', async () => {
  const app = await svix.application.create({ name: 'Wonka', uid: 'wonka', metadata: { k: 'v' } });
  const patched = await svix.application.patch('wonka', { name: 'Wonka Industries' });
  assert.equal(patched.id, app.id);
  assert.equal(patched.name, 'Wonka Industries');
  assert.equal(patched.uid, 'wonka');
  assert.deepEqual(patched.metadata, { k: 'v' });
  assert.ok(patched.updatedAt.getTime() >= app.updatedAt.getTime());
  const renamed = await svix.application.patch(app.id, { uid: 'wonka-2' });
  assert.equal(renamed.uid, 'wonka-2');
  assert.equal((await svix.application.get('wonka-2')).id, app.id);
});

test('delete removes the application: later gets are 404 ApiExceptions', async () => {
  const app = await svix.application.create({ name: 'Gone', uid: 'gone' });
  const result = await svix.application.delete(app.id);
  assert.equal(result, undefined);
  await assert.rejects(svix.application.get(app.id), (e) => e instanceof ApiException && e.code === 404);
  await assert.rejects(svix.application.get('gone'), (e) => e instanceof ApiException && e.code === 404);
  await assert.rejects(svix.application.delete(app.id), (e) => e instanceof ApiException && e.code === 404);
});
