// A throwaway PostgreSQL cluster for integration tests (scripts/pg-cluster.sh: initdb as an unprivileged user,
// a free loopback port), and a fresh database per test.
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const script = path.resolve(new URL('../../../scripts/pg-cluster.sh', import.meta.url).pathname);
let counter = 0;

export function startPgCluster() {
  const dir = mkdtempSync(path.join(tmpdir(), 'hookd-it-pg-'));
  const url = execFileSync(script, ['start', dir], { encoding: 'utf8', env: { ...process.env, HOOKD_PG_OPTIONS: '-c fsync=off' } }).trim();
  return {
    url,
    createDatabase() {
      const name = `hookd_it_${process.pid}_${++counter}`;
      execFileSync('psql', [url, '-q', '-c', `CREATE DATABASE ${name}`]);
      return url.replace(/\/postgres$/, `/${name}`);
    },
    stop() { execFileSync(script, ['stop', dir]); },
  };
}
