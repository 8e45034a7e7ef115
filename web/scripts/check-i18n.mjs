#!/usr/bin/env node
// Fails the build when a language misses a key (or has one English lacks), a text is empty, the
// {placeholders} differ from English, or the source uses a key English does not define.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const langs = ['en', 'es', 'fr', 'ar', 'et'];
const tables = Object.fromEntries(
  langs.map((l) => [l, JSON.parse(readFileSync(join(root, 'src', 'i18n', `${l}.json`), 'utf8'))]),
);
const problems = [];
const placeholders = (s) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort().join(',');
const en = tables.en;

for (const l of langs) {
  for (const key of Object.keys(en)) {
    const text = tables[l][key];
    if (typeof text !== 'string') problems.push(`${l}: missing key ${key}`);
    else if (!text.trim()) problems.push(`${l}: empty text for ${key}`);
    else if (placeholders(text) !== placeholders(en[key])) problems.push(`${l}: placeholders of ${key} differ from en`);
  }
  for (const key of Object.keys(tables[l])) if (!(key in en)) problems.push(`${l}: key ${key} is not in en`);
}

function sources(dir) {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) return sources(p);
    return p.endsWith('.ts') ? [p] : [];
  });
}
const used = new Set();
for (const file of sources(join(root, 'src'))) {
  const text = readFileSync(file, 'utf8');
  for (const m of text.matchAll(/\bt\(\s*'([A-Za-z0-9_.]+)'/g)) used.add(m[1]);
  for (const m of text.matchAll(/\bkey: '([A-Za-z0-9_.]+)'/g)) used.add(m[1]);
  for (const m of text.matchAll(/'(attempts\.trigger\w+)'/g)) used.add(m[1]);
}
for (const key of used) if (!(key in en)) problems.push(`source uses ${key}, which en does not define`);

if (problems.length) {
  console.error(`i18n check failed:\n  ${problems.join('\n  ')}`);
  process.exit(1);
}
console.log(`i18n check: ${Object.keys(en).length} keys in ${langs.length} languages, ${used.size} used in the source`);
