// Opens the one Store of a gateway process: SQLite (better-sqlite3, single node, bytes in fsynced
// spool files) or PostgreSQL (pg, cluster-capable, bytes in the `spool` table). Runs the
// migrations before returning, so callers always see the newest schema. Trust level: full
// database rights; opened once at start-up.
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { Kysely, PostgresDialect, SqliteDialect } from 'kysely';
import pg from 'pg';
import { KyselyAuditLog } from '../audit/chain.js';
import { silentLogger, type Logger } from '../queue/logger.js';
import { migrateToLatest } from './migrations.js';
import { KyselyQueueRepository } from './queue-repo.js';
import type { Database, DbKind } from './schema.js';
import { FileSpool } from './spool-fs.js';
import { PgSpool } from './spool-pg.js';
import type { Store } from './types.js';

/** How long an SQLite statement waits for another writer before failing with SQLITE_BUSY. */
export const SQLITE_BUSY_TIMEOUT_MS = 10_000;
/** Connections per process to PostgreSQL. */
export const PG_POOL_SIZE = 10;

export type DatabaseOption = { kind: 'sqlite'; file: string } | { kind: 'postgres'; url: string };

export interface OpenStoreOptions {
  database: DatabaseOption;
  /** Folder for spool files (SQLite mode). Created if missing. Unused with PostgreSQL. */
  spoolDir: string;
  logger?: Logger;
  /** Clock for audit timestamps (tests inject one). */
  clock?: { now(): Date };
}

export interface OpenedStore extends Store {
  readonly kind: DbKind;
  /** The kysely handle, for tests and tools that inspect tables directly. */
  readonly db: Kysely<Database>;
}

export async function openStore(opts: OpenStoreOptions): Promise<OpenedStore> {
  const log = opts.logger ?? silentLogger;
  const kind: DbKind = opts.database.kind;
  let db: Kysely<Database>;
  if (opts.database.kind === 'sqlite') {
    const file = opts.database.file;
    await mkdir(dirname(file), { recursive: true });
    const sqlite = new BetterSqlite3(file);
    try {
      // WAL: readers never block the writer. synchronous=FULL: a commit is fsynced before it
      // returns, which the 250-after-fsync promise depends on.
      sqlite.pragma('journal_mode = WAL');
      sqlite.pragma('synchronous = FULL');
      sqlite.pragma(`busy_timeout = ${SQLITE_BUSY_TIMEOUT_MS}`);
      sqlite.pragma('foreign_keys = ON');
    } catch (err) {
      sqlite.close();
      throw err;
    }
    db = new Kysely<Database>({ dialect: new SqliteDialect({ database: sqlite }) });
  } else {
    const pool = new pg.Pool({ connectionString: opts.database.url, max: PG_POOL_SIZE });
    // An idle client losing its connection must not crash the process; the next query reconnects.
    pool.on('error', (err) => log.warn({ err: err.message }, 'postgres pool client error'));
    db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  }

  try {
    const applied = await migrateToLatest(db, kind);
    if (applied.length > 0) log.info({ migrations: applied, kind }, 'database schema migrated');
  } catch (err) {
    await db.destroy().catch(() => {});
    throw err;
  }
  if (kind === 'sqlite') await mkdir(opts.spoolDir, { recursive: true, mode: 0o700 });

  let spool: FileSpool | PgSpool;
  if (kind === 'sqlite') spool = new FileSpool(opts.spoolDir);
  else {
    spool = new PgSpool(db);
    const swept = await spool.sweepTemporary().catch(() => 0);
    if (swept > 0) log.info({ rows: swept }, 'removed spool parts left by an interrupted write');
  }
  return {
    kind,
    db,
    queue: new KyselyQueueRepository(db, kind),
    spool,
    audit: new KyselyAuditLog(db, kind, opts.clock),
    async getSetting(key: string): Promise<string | null> {
      const row = await db.selectFrom('settings').select('value').where('key', '=', key).executeTakeFirst();
      return row?.value ?? null;
    },
    async setSetting(key: string, value: string): Promise<void> {
      await db
        .insertInto('settings')
        .values({ key, value })
        .onConflict((oc) => oc.column('key').doUpdateSet({ value }))
        .execute();
    },
    async close(): Promise<void> {
      await db.destroy();
    },
  };
}
