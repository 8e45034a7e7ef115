// Route coverage, derived from the requests the suite really sent: every route of the reference's routes table
// (../shared/reference/svix-api.md) must have been answered with a 2xx at least once, and no 4xx body the
// suite met may be non-JSON. Runs last (the runner takes files in name order); run alone, it runs the suite.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, existsSync, rmSync, mkdtempSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { routeLogDir } from './lib/hookd.mjs';
import { REFERENCE_ROUTES, NATIVE_ROUTES } from './lib/routes.mjs';

const HERE = import.meta.dirname;
const REFERENCE = process.env.HOOKD_REFERENCE ?? path.resolve(HERE, '../../../shared/reference/svix-api.md');
const suiteFiles = readdirSync(HERE).filter((f) => f.endsWith('.test.mjs') && !f.startsWith('zz-')).sort();

// The request logs of this run; when some file did not run in this runner, run the missing ones now.
function loadLogs() {
  let dir = routeLogDir();
  const have = existsSync(dir) ? readdirSync(dir) : [];
  const missing = suiteFiles.filter((f) => !have.includes(`${f}.json`));
  if (missing.length > 0) {
    dir = mkdtempSync(path.join(tmpdir(), 'hookd-e2e-routes-'));
    // NODE_TEST_CONTEXT would make the nested runner report to us instead of running the files normally.
    const { NODE_TEST_CONTEXT, ...env } = process.env;
    const run = spawnSync(process.execPath, ['--test', '--test-concurrency=1', ...missing.map((f) => path.join(HERE, f))], {
      env: { ...env, HOOKD_ROUTE_LOG_DIR: dir }, encoding: 'utf8', timeout: 300_000,
    });
    if (run.status !== 0) throw new Error(`suite run for coverage failed:\n${run.stdout.slice(-3000)}`);
    for (const f of have) if (!missing.includes(f)) rmSync(path.join(routeLogDir(), f), { force: true });
  }
  const logs = suiteFiles.map((f) => ({ file: f, requests: JSON.parse(readFileSync(path.join(dir, `${f}.json`), 'utf8')) }));
  rmSync(dir, { recursive: true, force: true });
  return logs;
}

test('the route list matches the reference routes table', { skip: !existsSync(REFERENCE) && 'reference not found' }, () => {
  const text = readFileSync(REFERENCE, 'utf8');
  const table = text.slice(text.indexOf('## Routes'), text.indexOf('## Shapes'));
  assert.ok(table.length > 100, 'routes table found');
  // Every backticked path in the table (…/x means under the endpoint path), without query strings.
  const mentioned = [...table.matchAll(/`((?:\/api\/v1|…)[^`?\s]*)/g)].map((m) =>
    m[1].replace(/^…\/endpoint\/\{ep\}/, '/api/v1/app/{app}/endpoint/{ep}').replace(/^…\/(secret|headers|stats|recover)/, '/api/v1/app/{app}/endpoint/{ep}/$1'));
  const templates = new Set(REFERENCE_ROUTES.map(([, t]) => t));
  for (const p of mentioned) assert.ok(templates.has(p), `reference path ${p} is in REFERENCE_ROUTES`);
  const rows = table.split('\n').filter((line) => line.startsWith('|'));
  for (const [method, t] of REFERENCE_ROUTES) {
    const tail = t.split('/endpoint/{ep}/')[1]?.split('/')[0];
    const row = rows.find((line) =>
      (line.includes(`\`${t}`) || (tail && line.includes(`…/${tail}`))) &&
      (line.includes(method) || line.includes('get/upsert/patch/delete')));
    assert.ok(row, `${method} ${t} has a row naming its method`);
  }
});

test('the suite touched every route of the reference table with a 2xx answer', (t) => {
  const logs = loadLogs();
  const all = logs.flatMap((l) => l.requests.map((r) => ({ ...r, file: l.file })));
  assert.ok(all.length > 500, `requests recorded: ${all.length}`);

  const ok = new Map();
  for (const r of all) if (r.route && r.status >= 200 && r.status < 300) ok.set(r.route, (ok.get(r.route) ?? 0) + 1);
  const lines = [...REFERENCE_ROUTES, ...NATIVE_ROUTES].map(([m, p]) => `${String(ok.get(`${m} ${p}`) ?? 0).padStart(5)}  ${m} ${p}`);
  t.diagnostic('2xx answers per route:');
  for (const line of lines) t.diagnostic(line);
  const missing = REFERENCE_ROUTES.filter(([m, p]) => !ok.has(`${m} ${p}`)).map(([m, p]) => `${m} ${p}`);
  assert.deepEqual(missing, [], 'routes never answered with 2xx');

  // Requests that matched no known route must have been deliberate probes answered 404/405.
  const strays = all.filter((r) => !r.route && ![404, 405].includes(r.status));
  assert.deepEqual(strays, []);

  const notJson = all.filter((r) => r.status >= 400 && r.status < 500 && r.jsonBody === false);
  assert.deepEqual(notJson, [], '4xx answers whose body is not JSON');
  const fourxx = all.filter((r) => r.status >= 400 && r.status < 500);
  t.diagnostic(`4xx answers met: ${fourxx.length} (${[...new Set(fourxx.map((r) => r.status))].sort().join(', ')}), all JSON`);
});
