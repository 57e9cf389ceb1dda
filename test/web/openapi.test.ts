// docs/openapi.yaml documents every JSON API route the console registers (and nothing else), each
// with the roles allowed, matching src/web/auth.ts PERMISSIONS.
import { describe, expect, it } from 'vitest';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { ROOT } from '../helpers/gateway.js';

const WEB = join(ROOT, 'src', 'web');
const norm = (p: string) => p.replace(/\{[^}]+\}|:[a-z]+|\$\{[a-z]+\}/gi, '*');
const same = (a: string, b: string) => {
  const x = a.split('/');
  const y = b.split('/');
  return x.length === y.length && x.every((s, i) => s === y[i] || s === '*' || y[i] === '*');
};

describe('docs/openapi.yaml', () => {
  const doc = parse(readFileSync(join(ROOT, 'docs', 'openapi.yaml'), 'utf8')) as { paths: Record<string, Record<string, { 'x-roles'?: string[] }>> };
  const routes: Array<{ method: string; path: string }> = [];
  for (const f of readdirSync(WEB).filter((n) => n.endsWith('.ts'))) {
    for (const m of readFileSync(join(WEB, f), 'utf8').matchAll(/c\.(get|post)\([`'](\/api\/[^`']+)[`']/g)) routes.push({ method: m[1]!, path: norm(m[2]!) });
  }
  const documented = Object.entries(doc.paths).flatMap(([p, ops]) => Object.entries(ops).map(([method, op]) => ({ method, path: norm(p), roles: op['x-roles'] })));

  it('documents every API route the console registers', () => {
    expect(routes.length).toBeGreaterThan(15);
    for (const r of routes) expect(documented.some((d) => d.method === r.method && same(d.path, r.path)), `${r.method} ${r.path}`).toBe(true);
  });
  it('documents no route that does not exist, and names the roles of each', () => {
    for (const d of documented) {
      expect(routes.some((r) => r.method === d.method && same(d.path, r.path)), `${d.method} ${d.path}`).toBe(true);
      expect(d.roles?.length, `${d.method} ${d.path}`).toBeGreaterThan(0);
    }
  });
});
