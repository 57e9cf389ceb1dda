// `sealgate partner add|list|remove|import` through the real built CLI (npx tsc -p tsconfig.json
// first) against a gateway made by `sealgate init` (SQLite): what an administrator types and sees.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cleanup, sealgate, setupGateway, type GatewaySetup } from '../helpers/gateway.js';

let gw: GatewaySetup;
const HEADER = 'pattern,kind,notes,effective_from,effective_until,tls_required';

beforeAll(async () => {
  gw = await setupGateway({ internalPort: 9 });
}, 120_000);

afterAll(() => {
  if (gw) cleanup(gw.dir);
});

const listJson = () => {
  const r = sealgate(['partner', 'list', '--json', '--config', gw.config]);
  expect(r.status, r.stderr).toBe(0);
  return r.stdout.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l));
};

describe('sealgate partner', () => {
  test('add, list (text and JSON), remove', () => {
    let r = sealgate(['partner', 'add', 'Partner.Example', '--kind', 'healthcare', '--notes', 'Main lab', '--from', '2026-01-01', '--until', '2026-12-31', '--tls-required', '--config', gw.config]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toBe('added partner.example (healthcare)\n');
    r = sealgate(['partner', 'add', 'ba@vendor.example', '--kind', 'business-associate', '--config', gw.config]);
    expect(r.status, r.stderr).toBe(0);

    r = sealgate(['partner', 'list', '--config', gw.config]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain('partner.example  healthcare  2026-01-01..2026-12-31  tls-required  # Main lab');
    expect(r.stdout).toContain('ba@vendor.example  business-associate');
    expect(r.stdout).toContain('2 destination(s)');

    const rows = listJson();
    expect(rows.map((x) => x.pattern)).toEqual(['ba@vendor.example', 'partner.example']);
    expect(rows[1]).toMatchObject({ kind: 'healthcare', notes: 'Main lab', effectiveFrom: '2026-01-01', effectiveUntil: '2026-12-31', tlsRequired: true });
    expect(rows[1].createdBy).toMatch(/^cli/);

    r = sealgate(['partner', 'remove', 'BA@Vendor.example.', '--config', gw.config]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toBe('removed ba@vendor.example\n');
    r = sealgate(['partner', 'remove', 'ba@vendor.example', '--config', gw.config]);
    expect(r.status).toBe(1);
    expect(r.stderr).toBe('sealgate: partner remove: ba@vendor.example is not registered\n');
    expect(listJson().map((x) => x.pattern)).toEqual(['partner.example']);

    // The audit trail recorded each change and its chain still verifies.
    r = sealgate(['audit', 'verify', '--config', gw.config]);
    expect(r.status, r.stderr).toBe(0);
  }, 60_000);

  test('bad values are refused with a message naming the field; exit 1', () => {
    const cases: Array<[string[], RegExp]> = [
      [['add', 'com', '--kind', 'healthcare'], /^sealgate: partner add: pattern: "com" needs at least two labels/],
      [['add', 'x.example', '--kind', 'insurer'], /^sealgate: partner add: kind: "insurer" is not one of healthcare, business-associate, patient/],
      [['add', 'x.example', '--kind', 'patient', '--until', 'tomorrow'], /^sealgate: partner add: effective_until: "tomorrow" is not a date in YYYY-MM-DD form/],
      [['add', 'partner.example', '--kind', 'patient'], /^sealgate: partner add: pattern: "partner.example" is already registered/],
    ];
    for (const [args, msg] of cases) {
      const r = sealgate(['partner', ...args, '--config', gw.config]);
      expect(r.status, args.join(' ')).toBe(1);
      expect(r.stderr).toMatch(msg);
    }
    expect(listJson().map((x) => x.pattern)).toEqual(['partner.example']);
  }, 60_000);

  test('a missing or broken config exits 2 naming the file', () => {
    const r = sealgate(['partner', 'list', '--config', join(gw.dir, 'nope.yaml')]);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('nope.yaml');
  });

  test('import: every bad row named by line and field, nothing imported; then a good file', () => {
    const bad = join(gw.dir, 'bad.csv');
    writeFileSync(bad, [HEADER, 'one.example,healthcare,,,,', 'two.example,dentist,,,,', '"three.example",patient,"a, b",2026-02-30,,', 'four.example,patient,,,,2'].join('\r\n') + '\r\n');
    let r = sealgate(['partner', 'import', bad, '--config', gw.config]);
    expect(r.status).toBe(1);
    expect(r.stderr.split('\n').filter(Boolean)).toEqual([
      `sealgate: partner import: ${bad}: line 3: kind: "dentist" is not one of healthcare, business-associate, patient`,
      `sealgate: partner import: ${bad}: line 4: effective_from: "2026-02-30" is not a calendar date`,
      `sealgate: partner import: ${bad}: line 5: tls_required: "2" is not 0/1 (or true/false, yes/no)`,
      `sealgate: partner import: ${bad}: 3 problem(s); nothing imported`,
    ]);
    expect(listJson().map((x) => x.pattern)).toEqual(['partner.example']);

    const good = join(gw.dir, 'good.csv');
    writeFileSync(good, `${HEADER}\none.example,healthcare,"Clinic ""One""",,,1\n.two.example,business-associate,,,2026-06-30,\n`);
    r = sealgate(['partner', 'import', good, '--config', gw.config]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toBe(`imported 2 destination(s) from ${good}\n`);
    const rows = listJson();
    expect(rows.map((x) => x.pattern)).toEqual(['.two.example', 'one.example', 'partner.example']);
    expect(rows[1]).toMatchObject({ notes: 'Clinic "One"', tlsRequired: true });
    expect(rows[0]).toMatchObject({ effectiveUntil: '2026-06-30', effectiveFrom: null });

    r = sealgate(['partner', 'import', join(gw.dir, 'missing.csv'), '--config', gw.config]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/missing\.csv: cannot read \(ENOENT\)/);
  }, 60_000);
});
