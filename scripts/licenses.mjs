#!/usr/bin/env node
// Lists every installed npm package the gateway ships with (production dependency tree) and its
// license, and fails if one is not on the Apache-2.0-compatible allow-list. Used by the tests and
// to regenerate the table in docs/THIRD-PARTY.md (`node scripts/licenses.mjs --markdown`).
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const ALLOWED = new Set(['MIT', 'ISC', 'BSD-2-Clause', 'BSD-3-Clause', 'Apache-2.0', '0BSD', 'BlueOak-1.0.0', 'CC0-1.0', 'Unlicense', 'MIT-0', 'Python-2.0', 'LGPL-3.0-or-later', 'LGPL-3.0', 'LGPL-3.0+']);
const tree = JSON.parse(execFileSync('npm', ['ls', '--omit=dev', '--all', '--json', '--long'], { encoding: 'utf8', maxBuffer: 64 << 20 }));
const seen = new Map();
(function walk(deps) {
  for (const [name, d] of Object.entries(deps ?? {})) {
    if (!d.path || seen.has(`${name}@${d.version}`)) continue;
    let license = 'UNKNOWN';
    try {
      const pj = JSON.parse(readFileSync(join(d.path, 'package.json'), 'utf8'));
      license = typeof pj.license === 'string' ? pj.license : pj.license?.type ?? (pj.licenses?.map((l) => l.type).join(' OR ') || 'UNKNOWN');
    } catch {}
    seen.set(`${name}@${d.version}`, { name, version: d.version, license });
    walk(d.dependencies);
  }
})(tree.dependencies);
const ok = (lic) => lic.replace(/[()]/g, '').split(/\s+OR\s+/).some((l) => ALLOWED.has(l.trim()));
const rows = [...seen.values()].sort((a, b) => a.name.localeCompare(b.name));
const bad = rows.filter((r) => !ok(r.license));
if (process.argv.includes('--markdown')) {
  console.log('| package | version | license |\n|---|---|---|');
  for (const r of rows) console.log(`| ${r.name} | ${r.version} | ${r.license} |`);
} else {
  console.log(`${rows.length} production packages; ${bad.length} with a license outside the allow-list`);
}
for (const r of bad) console.error(`not allowed: ${r.name}@${r.version} (${r.license})`);
process.exit(bad.length ? 1 : 0);
