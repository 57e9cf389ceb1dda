// The registry on both real databases: migration 0003_destinations applies, add/list/remove/
// import/classify behave the same on SQLite and PostgreSQL, and every change is audited.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { openStore, type OpenedStore } from '../../src/store/index.js';
import { DestinationError, DestinationImportError, DestinationRegistry } from '../../src/destinations/index.js';

const DB = `sg_dest_${process.pid}_${Date.now()}`;
const ADMIN = 'postgres://postgres@127.0.0.1:5432/postgres';
const HEADER = 'pattern,kind,notes,effective_from,effective_until,tls_required';

async function admin(sql: string) {
  const c = new pg.Client({ connectionString: ADMIN });
  await c.connect();
  try {
    await c.query(sql);
  } finally {
    await c.end();
  }
}

const dir = mkdtempSync(join(tmpdir(), 'sg-dest-'));
const stores: Record<string, OpenedStore> = {};

beforeAll(async () => {
  await admin(`CREATE DATABASE ${DB}`);
  stores.sqlite = await openStore({ database: { kind: 'sqlite', file: join(dir, 'db.sqlite') }, spoolDir: join(dir, 'spool') });
  stores.postgres = await openStore({ database: { kind: 'postgres', url: `postgres://postgres@127.0.0.1:5432/${DB}` }, spoolDir: join(dir, 'spool-pg') });
}, 60_000);

afterAll(async () => {
  for (const s of Object.values(stores)) await s.close();
  await admin(`DROP DATABASE IF EXISTS ${DB} WITH (FORCE)`);
  rmSync(dir, { recursive: true, force: true });
});

describe.each(['sqlite', 'postgres'])('destination registry on %s', (kind) => {
  const at = new Date(Date.UTC(2026, 5, 15));
  let reg: DestinationRegistry;
  beforeAll(() => {
    reg = new DestinationRegistry(stores[kind]!, { clock: { now: () => at } });
  });

  test('add, classify by specificity, remove; each change audited with its actor', async () => {
    await reg.add({ pattern: '.Partner.Example', kind: 'business-associate' }, 'cli:alice');
    await reg.add({ pattern: 'lab.partner.example', kind: 'healthcare', tlsRequired: true, notes: 'reference lab' }, 'cli:alice');
    await reg.add({ pattern: 'Pat@Lab.Partner.Example', kind: 'patient', from: '2026-06-01', until: '2026-06-30' }, 'cli:bob');

    expect((await reg.classify('pat@lab.partner.example', at))?.kind).toBe('patient');
    const lab = await reg.classify('someone@LAB.partner.example', at);
    expect(lab).toMatchObject({ pattern: 'lab.partner.example', kind: 'healthcare', tlsRequired: true, notes: 'reference lab', createdBy: 'cli:alice' });
    expect((await reg.classify('x@partner.example', at))?.kind).toBe('business-associate');
    expect((await reg.classify('x@deep.sub.partner.example', at))?.pattern).toBe('.partner.example');
    expect(await reg.classify('x@elsewhere.example', at)).toBeNull();
    // Outside the patient entry's window the lab's domain entry applies.
    expect((await reg.classify('pat@lab.partner.example', new Date(Date.UTC(2026, 6, 1))))?.kind).toBe('healthcare');

    expect((await reg.list()).map((d) => d.pattern)).toEqual(['.partner.example', 'lab.partner.example', 'pat@lab.partner.example']);

    expect(await reg.remove('LAB.partner.example', 'cli:carol')).toBe(true);
    expect(await reg.remove('lab.partner.example', 'cli:carol')).toBe(false);
    expect((await reg.classify('someone@lab.partner.example', at))?.pattern).toBe('.partner.example');

    const audit = await stores[kind]!.audit.list({});
    const mine = audit.filter((r) => r.type.startsWith('destination-'));
    expect(mine.map((r) => [r.type, r.actor, r.data.pattern])).toEqual([
      ['destination-added', 'cli:alice', '.partner.example'],
      ['destination-added', 'cli:alice', 'lab.partner.example'],
      ['destination-added', 'cli:bob', 'pat@lab.partner.example'],
      ['destination-removed', 'cli:carol', 'lab.partner.example'],
    ]);
    expect(JSON.stringify(mine)).not.toContain('reference lab'); // notes stay out of the audit trail
    expect((await stores[kind]!.audit.verify()).ok).toBe(true);
  });

  test('bad input and duplicates are refused, naming the field', async () => {
    await expect(reg.add({ pattern: '.partner.example', kind: 'healthcare' }, 'cli:a')).rejects.toThrow(/^pattern: ".partner.example" is already registered/);
    await expect(reg.add({ pattern: 'new.example', kind: 'vendor' }, 'cli:a')).rejects.toThrow(DestinationError);
    await expect(reg.add({ pattern: 'new.example', kind: 'vendor' }, 'cli:a')).rejects.toThrow(/^kind: /);
    await expect(reg.add({ pattern: 'new.example', kind: 'patient', from: '2026/01/01' }, 'cli:a')).rejects.toThrow(/^effective_from: /);
    expect(await reg.get('new.example')).toBeNull();
  });

  test('import is all or nothing; a clash with an existing entry is reported by line', async () => {
    const before = (await reg.list()).length;
    const bad = `${HEADER}\nimp1.example,healthcare,,,,\nimp2.example,bogus,,,,\n`;
    const err = await reg.importCsv(bad, 'cli:a').catch((e) => e);
    expect(err).toBeInstanceOf(DestinationImportError);
    expect((err as DestinationImportError).problems).toEqual([{ line: 3, field: 'kind', message: '"bogus" is not one of healthcare, business-associate, patient' }]);

    const clash = `${HEADER}\nimp1.example,healthcare,,,,\n.PARTNER.example,healthcare,,,,\n`;
    const err2 = await reg.importCsv(clash, 'cli:a').catch((e) => e);
    expect((err2 as DestinationImportError).problems).toEqual([{ line: 3, field: 'pattern', message: '".partner.example" is already registered' }]);
    expect((await reg.list()).length).toBe(before);

    const good = `${HEADER}\nimp1.example,healthcare,"a ""quoted"", note",2026-01-01,,1\nba@imp2.example,business-associate,,,,0\n`;
    const added = await reg.importCsv(good, 'cli:importer');
    expect(added.map((d) => d.pattern)).toEqual(['imp1.example', 'ba@imp2.example']);
    expect(await reg.get('imp1.example')).toMatchObject({ notes: 'a "quoted", note', tlsRequired: true, effectiveFrom: new Date(Date.UTC(2026, 0, 1)), effectiveUntil: null });
    expect((await reg.classify('ba@imp2.example', at))?.kind).toBe('business-associate');
    const rec = (await stores[kind]!.audit.list({ type: 'destination-imported' })).at(-1)!;
    expect(rec.actor).toBe('cli:importer');
    expect(rec.data.count).toBe(2);
  });

  test('the unique constraint on pattern holds in the database itself', async () => {
    const row = { id: 'dup', pattern: 'imp1.example', kind: 'healthcare', notes: '', effective_from: null, effective_until: null, tls_required: 0, created_at: 1, created_by: 'x' };
    await expect((stores[kind]!.db as any).insertInto('destinations').values(row).execute()).rejects.toThrow();
  });
});
