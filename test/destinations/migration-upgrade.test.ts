// An existing gateway database (made before 0003_destinations) gains the destinations table the
// next time the store opens, keeping its data.
import { afterAll, expect, test } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore } from '../../src/store/index.js';
import { migrateDownTo } from '../../src/store/migrations.js';
import { DestinationRegistry } from '../../src/destinations/index.js';

const dir = mkdtempSync(join(tmpdir(), 'sg-dest-up-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test('reopening a pre-0003 SQLite database applies 0003_destinations and keeps existing rows', async () => {
  const opts = { database: { kind: 'sqlite' as const, file: join(dir, 'db.sqlite') }, spoolDir: join(dir, 'spool') };
  let store = await openStore(opts);
  await store.setSetting('marker', 'kept');
  // Make it look like a database from before this migration existed.
  // (later migrations are rolled back too: migrations apply in order)
  await migrateDownTo(store.db, 'sqlite', '0002_pki');
  await store.close();

  store = await openStore(opts);
  try {
    expect(await store.getSetting('marker')).toBe('kept');
    const reg = new DestinationRegistry(store);
    await reg.add({ pattern: 'partner.example', kind: 'healthcare' }, 'test');
    expect((await reg.classify('a@partner.example', new Date()))?.kind).toBe('healthcare');
  } finally {
    await store.close();
  }
});
