// The portal end to end: a tenant opens its link, creates an endpoint with `booking.*` picked by group,
// sends test events, sees deliveries and a failure, resends, switches to Arabic; another tenant sees none
// of it; the operator lists tenants and the catalog. Screenshots go to test-output/portal/.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  adminToken, apiClient, launchBrowser, screenshot, startHookd, startReceiver, waitFor,
} from './harness.mjs';

let hookd;
let receiver;
let browser;
let api;
let tenantA;
let tenantB;
let linkA;
let linkB;
let endpointA;
let page;

before(async () => {
  // No automatic retries: a failed delivery stays failed until the test resends or recovers it by hand.
  hookd = await startHookd({ retrySchedule: '' });
  receiver = await startReceiver();
  api = apiClient(hookd.base);
  const a = await api('POST', '/api/v1/app', adminToken, { name: 'Acme Bookings', uid: 'acme' });
  const b = await api('POST', '/api/v1/app', adminToken, { name: 'Globex Travel', uid: 'globex' });
  assert.equal(a.status, 201, JSON.stringify(a.body));
  assert.equal(b.status, 201, JSON.stringify(b.body));
  tenantA = a.body;
  tenantB = b.body;
  const accessA = await api('POST', `/api/v1/auth/app-portal-access/${tenantA.id}`, adminToken, {});
  const accessB = await api('POST', `/api/v1/auth/app-portal-access/${tenantB.id}`, adminToken, {});
  assert.equal(accessA.status, 200);
  assert.match(accessA.body.token, /^ptk_/);
  // The link as the server formats it, pointed at this test's server (its public URL is a default).
  linkA = `${hookd.base}/portal/#token=${encodeURIComponent(accessA.body.token)}`;
  linkB = `${hookd.base}/portal/#token=${encodeURIComponent(accessB.body.token)}`;
  assert.match(accessA.body.url, /\/portal\/#token=ptk_/);
  browser = await launchBrowser();
  const context = await browser.newContext({ locale: 'en-US', viewport: { width: 1200, height: 900 } });
  page = await context.newPage();
  page.on('pageerror', (e) => console.error('page error:', e.message));
});

after(async () => {
  await browser?.close();
  await receiver?.close();
  await hookd?.stop();
});

test('/ redirects to the portal, which serves its index for unknown paths', async () => {
  const res = await fetch(`${hookd.base}/`, { redirect: 'manual' });
  assert.equal(res.status, 302);
  assert.equal(res.headers.get('location'), '/portal/');
  const deep = await fetch(`${hookd.base}/portal/some/deep/link`);
  assert.equal(deep.status, 200);
  assert.match(await deep.text(), /<div id="app">/);
});

test('a tenant opens its link and sees an empty endpoint list', async () => {
  await page.goto(linkA);
  await page.getByRole('heading', { name: 'Endpoints', level: 1 }).waitFor();
  await page.getByText('No endpoints yet').waitFor();
  assert.equal(await page.locator('.brand .app-name').innerText(), 'Acme Bookings');
  // The token leaves the address bar once read.
  assert.ok(!page.url().includes('ptk_'), page.url());
  await screenshot(page, '01-endpoints-empty');
});

test('creates an endpoint with booking.* picked by group', async () => {
  await page.getByRole('link', { name: 'Add endpoint' }).first().click();
  await page.getByLabel('Endpoint URL').fill(receiver.url);
  await page.getByLabel('Description').fill('Bookings to our CRM');
  // A group whose events do not share its name as prefix is stored as explicit names, not a wildcard.
  await page.getByLabel('Search events').fill('managing_entity');
  const profile = page.locator('fieldset[data-group="managing_entity.profile"]');
  await profile.getByLabel('All of managing_entity.profile').check();
  const summary = await page.locator('#events-summary').innerText();
  assert.match(summary, /^8 selected: .*managing_entity\.name\.updated/);
  assert.ok(!summary.includes('*'), summary);
  await profile.getByLabel('All of managing_entity.profile').uncheck();
  await page.locator('#events-summary').getByText('No event picked').waitFor();
  await page.getByLabel('Search events').fill('booking');
  const group = page.locator('fieldset[data-group="booking"]');
  await group.getByLabel('All of booking').check();
  await page.locator('#events-summary').getByText('booking.*').waitFor();
  // Every event of the group is shown as included, and one can inspect an example payload.
  const created = group.locator('input[value="booking.created"]');
  assert.equal(await created.isChecked(), true);
  assert.equal(await created.isDisabled(), true);
  await group.getByText('Schema and example of booking.created').click();
  await screenshot(page, '02-endpoint-create');
  await page.getByRole('button', { name: 'Create endpoint' }).click();
  await page.locator('h1.endpoint-url').getByText(receiver.url).waitFor();

  const list = await api('GET', `/api/v1/app/${tenantA.id}/endpoint`, adminToken);
  assert.equal(list.body.data.length, 1);
  endpointA = list.body.data[0];
  assert.deepEqual(endpointA.filterTypes, ['booking.*']);
  assert.equal(endpointA.url, receiver.url);
  assert.equal(endpointA.description, 'Bookings to our CRM');
});

async function sendTestAndOpen() {
  await page.getByLabel('Event type', { exact: true }).selectOption('booking.created');
  await page.getByRole('button', { name: 'Send example' }).click();
  await page.getByText('This endpoint will receive it.').waitFor();
  await page.getByRole('link', { name: 'View in the log' }).click();
  await page.getByRole('heading', { name: /^Message msg_/ }).waitFor();
}

test('sends a test booking.created and sees it delivered with the receiver response', async () => {
  await screenshot(page, '03-endpoint-detail');
  await sendTestAndOpen();
  const ok = page.locator('article.attempt[data-status="0"]');
  await ok.first().waitFor({ timeout: 15000 });
  await ok.first().locator('.response-body').getByText('e2e-receiver').waitFor();
  assert.match(await ok.first().innerText(), /HTTP 200/);
  assert.equal(receiver.state.requests.length, 1);
  assert.equal(JSON.parse(receiver.state.requests[0].body).type ?? 'booking.created', 'booking.created');
  await screenshot(page, '04-message-delivered');
});

test('the receiver fails: the failure shows; it succeeds again: a resend shows success', async () => {
  receiver.state.fail = true;
  await page.goto(`${hookd.base}/portal/#/endpoints/${endpointA.id}`);
  await page.locator('h1.endpoint-url').waitFor();
  await sendTestAndOpen();
  const failed = page.locator('article.attempt[data-status="2"]');
  await failed.first().waitFor({ timeout: 15000 });
  assert.match(await failed.first().innerText(), /HTTP 500/);
  await failed.first().getByText('receiver failing').waitFor();
  await screenshot(page, '05-message-failed');

  receiver.state.fail = false;
  const before = receiver.state.requests.length;
  await failed.first().getByRole('button', { name: `Resend to ${receiver.url}` }).click();
  await page.getByText(`Sent again to ${receiver.url}.`).waitFor();
  const ok = page.locator('article.attempt[data-status="0"]');
  await ok.first().waitFor({ timeout: 15000 });
  await ok.first().getByText('Manual').waitFor();
  assert.equal(receiver.state.requests.length, before + 1);
  assert.equal(receiver.state.requests.at(-1).failed, false);
  await screenshot(page, '06-message-resent');
});

test('the message log lists both messages newest first and filters by status', async () => {
  await page.getByRole('link', { name: 'Message log' }).first().click();
  const rows = page.locator('tr.message-row');
  await waitFor(async () => (await rows.count()) === 2, { what: 'two messages in the log' });
  await waitFor(async () => (await page.locator('tr.message-row .badge[data-status="0"]').count()) === 2, {
    what: 'both messages delivered',
  });
  const ids = await rows.evaluateAll((trs) => trs.map((tr) => tr.dataset.msg));
  const msgs = await api('GET', `/api/v1/app/${tenantA.id}/msg`, adminToken);
  assert.deepEqual(ids, msgs.body.data.map((m) => m.id));
  await screenshot(page, '07-message-log');

  await page.getByLabel('Status', { exact: true }).selectOption('2');
  await page.getByRole('button', { name: 'Apply filters' }).click();
  await page.getByText('No messages match.').waitFor();
  await page.getByLabel('Status', { exact: true }).selectOption('0');
  await page.getByRole('button', { name: 'Apply filters' }).click();
  await waitFor(async () => (await rows.count()) === 2, { what: 'two delivered messages' });
});

test('the endpoint page charts successes and failures, and recovers the failed message', async () => {
  // A third message fails for good (no retries in this server).
  receiver.state.fail = true;
  const sent = await api('POST', `/api/v1/app/${tenantA.id}/msg`, adminToken, {
    eventType: 'booking.cancelled',
    payload: { id: 'bk_3', status: 'cancelled' },
  });
  assert.equal(sent.status, 202, JSON.stringify(sent.body));
  await waitFor(async () => {
    const a = await api('GET', `/api/v1/app/${tenantA.id}/attempt/msg/${sent.body.id}`, adminToken);
    return a.body.data.some((x) => x.status === 2);
  }, { what: 'the third message to fail' });
  receiver.state.fail = false;
  // What the server counts (per delivery, all time): the chart's 24 hours hold all of it.
  const stats = (await api('GET', `/api/v1/app/${tenantA.id}/endpoint/${endpointA.id}/stats`, adminToken)).body;
  assert.ok(stats.success >= 2 && stats.fail >= 1, JSON.stringify(stats));

  await page.goto(`${hookd.base}/portal/#/endpoints/${endpointA.id}`);
  const chart = page.locator('figure.chart');
  await chart.waitFor();
  await chart.getByText(`Successes: ${stats.success}`).waitFor();
  await chart.getByText(`Failures: ${stats.fail}`).waitFor();
  // Everything happened in the last of the 12 buckets.
  const heights = await chart.locator('rect.bar-fail').evaluateAll((rs) => rs.map((r) => Number(r.getAttribute('height'))));
  assert.equal(heights.length, 12);
  assert.ok(heights.slice(0, 11).every((h) => h === 0) && heights[11] > 0, JSON.stringify(heights));
  await page.getByRole('button', { name: 'Reveal secret' }).click();
  const secret = await page.locator('#secret-value').innerText();
  const api1 = await api('GET', `/api/v1/app/${tenantA.id}/endpoint/${endpointA.id}/secret`, adminToken);
  assert.equal(secret, api1.body.key);
  await screenshot(page, '08-endpoint-stats');

  const before = receiver.state.requests.length;
  await page.getByRole('button', { name: 'Recover', exact: true }).click();
  const done = page.getByText(/^\d+ failed messages will be sent again\.$/);
  await done.waitFor();
  const count = Number((await done.innerText()).split(' ')[0]);
  assert.equal(count, stats.fail);
  await waitFor(() => receiver.state.requests.length === before + count, { what: 'the recovered deliveries' });
  const bodies = receiver.state.requests.slice(before).map((r) => r.body);
  assert.ok(bodies.some((b) => b.includes('bk_3')), bodies.join('\n'));
});

test('switching to Arabic lays the page out right to left, and the choice is remembered', async () => {
  await page.getByLabel('Language').selectOption('ar');
  await waitFor(() => page.evaluate(() => document.documentElement.dir === 'rtl'), { what: 'dir=rtl' });
  assert.equal(await page.evaluate(() => document.documentElement.lang), 'ar');
  await page.getByRole('heading', { name: 'عمليات التسليم عبر الزمن' }).waitFor();
  // Texts shown before the switch (the recover notice) are translated too.
  await page.getByText('ستُعاد محاولة إرسال').waitFor();
  assert.ok(!(await page.locator('main').innerText()).includes('will be sent again'));
  await screenshot(page, '09-endpoint-arabic');
  await page.reload();
  await page.getByRole('heading', { name: 'عمليات التسليم عبر الزمن' }).waitFor();
  assert.equal(await page.evaluate(() => document.documentElement.dir), 'rtl');
  await page.getByLabel('اللغة').selectOption('en');
  await waitFor(() => page.evaluate(() => document.documentElement.dir === 'ltr'), { what: 'dir=ltr' });
});

test('at phone width the endpoint list fits the screen', async () => {
  const phone = await browser.newContext({ locale: 'en-US', viewport: { width: 375, height: 800 } });
  const p = await phone.newPage();
  await p.goto(linkA);
  await p.locator('a.endpoint-link').getByText(receiver.url).waitFor();
  const overflow = await p.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `page is ${overflow}px wider than the screen`);
  await screenshot(p, '10-endpoints-phone');
  await phone.close();
});

test("a second tenant's link sees none of the first tenant's endpoints", async () => {
  const other = await browser.newContext({ locale: 'en-US' });
  const p = await other.newPage();
  await p.goto(linkB);
  await p.getByText('No endpoints yet').waitFor();
  assert.equal(await p.locator('.brand .app-name').innerText(), 'Globex Travel');
  assert.ok(!(await p.content()).includes(receiver.url));
  // Even the first tenant's endpoint address shows only an error.
  await p.goto(`${hookd.base}/portal/#/endpoints/${endpointA.id}`);
  await p.getByRole('alert').waitFor();
  assert.ok(!(await p.content()).includes(receiver.url));
  await other.close();

  const tokenB = decodeURIComponent(linkB.split('#token=')[1]);
  for (const path of [
    `/api/v1/app/${tenantA.id}/endpoint`,
    `/api/v1/app/${tenantA.id}/endpoint/${endpointA.id}`,
    `/api/v1/app/${tenantA.uid}/msg`,
  ]) {
    const res = await api('GET', path, tokenB);
    assert.equal(res.status, 404, `${path}: ${JSON.stringify(res.body)}`);
  }
  const own = await api('GET', `/api/v1/app/${tenantB.id}/endpoint`, tokenB);
  assert.equal(own.status, 200);
  assert.equal(own.body.data.length, 0);
});

test('the operator signs in, lists tenants and the catalog, and opens a tenant portal', async () => {
  const op = await browser.newContext({ locale: 'en-US', viewport: { width: 1200, height: 900 } });
  const p = await op.newPage();
  await p.goto(`${hookd.base}/portal/`);
  await p.getByLabel('Admin token').fill('wrong-token');
  await p.getByRole('button', { name: 'Sign in' }).click();
  await p.getByRole('alert').getByText('invalid token').waitFor();
  await p.getByLabel('Admin token').fill(adminToken);
  await p.getByRole('button', { name: 'Sign in' }).click();
  await p.getByRole('heading', { name: 'Tenants' }).waitFor();
  await p.getByRole('cell', { name: 'Acme Bookings', exact: true }).waitFor();
  await p.getByRole('cell', { name: 'Globex Travel', exact: true }).waitFor();
  await screenshot(p, '11-operator-tenants');
  await p.getByRole('link', { name: 'Event catalog' }).click();
  await p.getByRole('heading', { name: 'booking', exact: true }).waitFor();
  await p.getByText('booking.created', { exact: true }).first().waitFor();
  await screenshot(p, '12-operator-catalog');
  await p.getByRole('link', { name: 'Tenants' }).click();
  await p.getByRole('button', { name: 'Open the portal of Acme Bookings' }).click();
  await p.locator('a.endpoint-link').getByText(receiver.url).waitFor();
  await p.getByRole('button', { name: 'Back to operator view' }).click();
  await p.getByRole('cell', { name: 'Globex Travel', exact: true }).waitFor();
  await op.close();
});
