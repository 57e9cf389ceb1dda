// Test helper: a fresh store on a real SQLite file in a temp folder, or on a uniquely named
// PostgreSQL database at 127.0.0.1:5432 (created here, dropped by `cleanup`).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { openStore, type OpenedStore, type OpenStoreOptions } from '../../src/store/open.js';

export const PG_ADMIN_URL = process.env.SEALGATE_TEST_PG ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export interface Backend {
  kind: 'sqlite' | 'postgres';
  /** Options to open (another) store on the same database. */
  options: OpenStoreOptions;
  open(extra?: Partial<OpenStoreOptions>): Promise<OpenedStore>;
  cleanup(): Promise<void>;
}

async function adminQuery(text: string): Promise<void> {
  const c = new pg.Client({ connectionString: PG_ADMIN_URL });
  await c.connect();
  try {
    await c.query(text);
  } finally {
    await c.end();
  }
}

export async function makeBackend(kind: 'sqlite' | 'postgres', label: string): Promise<Backend> {
  const dir = await mkdtemp(join(tmpdir(), `sealgate-${label}-`));
  let dbName: string | null = null;
  let options: OpenStoreOptions;
  if (kind === 'sqlite') {
    options = { database: { kind: 'sqlite', file: join(dir, 'sealgate.db') }, spoolDir: join(dir, 'spool') };
  } else {
    dbName = `sealgate_t_${label.replace(/[^a-z0-9]/gi, '_').toLowerCase()}_${randomBytes(4).toString('hex')}`;
    await adminQuery(`CREATE DATABASE ${dbName}`);
    const url = new URL(PG_ADMIN_URL);
    url.pathname = `/${dbName}`;
    options = { database: { kind: 'postgres', url: url.toString() }, spoolDir: join(dir, 'spool') };
  }
  const opened: OpenedStore[] = [];
  return {
    kind,
    options,
    async open(extra = {}) {
      const s = await openStore({ ...options, ...extra });
      opened.push(s);
      return s;
    },
    async cleanup() {
      for (const s of opened) await s.close().catch(() => {});
      if (dbName) await adminQuery(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
      await rm(dir, { recursive: true, force: true });
    },
  };
}
