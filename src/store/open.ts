// Opens the one Store of a gateway process: SQLite (better-sqlite3, single node, bytes in fsynced
// spool files) or PostgreSQL (pg, cluster-capable, bytes in the `spool` table). Runs the
// migrations before returning, so callers always see the newest schema. Trust level: full
// database rights; opened once at start-up.
import { mkdir, open, stat, type FileHandle } from 'node:fs/promises';
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
import { HybridSpool } from './spool-hybrid.js';
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

/** Prepared statements kept per SQLite connection (kysely would otherwise re-prepare every query). */
export const SQLITE_STATEMENT_CACHE = 256;

/**
 * better-sqlite3 with a bounded prepared-statement cache. Kysely calls `prepare(sql)` for every
 * query; preparing costs more than running our small statements. Statements are only used through
 * all()/run() (synchronous), so sharing one per SQL text is safe.
 */
function cachingSqlite(sqlite: BetterSqlite3.Database) {
  const cache = new Map<string, BetterSqlite3.Statement>();
  return {
    prepare(sql: string) {
      let st = cache.get(sql);
      if (st) {
        cache.delete(sql);
        cache.set(sql, st);
        return st;
      }
      st = sqlite.prepare(sql);
      cache.set(sql, st);
      if (cache.size > SQLITE_STATEMENT_CACHE) cache.delete(cache.keys().next().value!);
      return st;
    },
    close() {
      cache.clear();
      sqlite.close();
    },
  };
}

/**
 * fsync of the SQLite WAL from our own descriptor, in libuv's thread pool. With journal_mode=WAL
 * and synchronous=NORMAL, a commit has written its frames to the WAL file but not synced them;
 * syncing that file afterwards makes every earlier commit durable, exactly what synchronous=FULL
 * does inside the commit, but without blocking the event loop for the duration of the fsync.
 * Concurrent callers share one fsync when they arrive while none is pending.
 */
function walSyncer(dbFile: string) {
  const walFile = `${dbFile}-wal`;
  let fh: FileHandle | null = null;
  let pending: Promise<void> | null = null;
  let queued: Promise<void> | null = null;
  const syncOnce = async () => {
    // SQLite keeps the WAL file (same inode) while our connection is open, so one descriptor
    // opened on first use serves for the life of the store.
    if (!fh) {
      const st = await stat(walFile).catch(() => null);
      if (!st) return; // no WAL yet: nothing has been committed to it
      fh = await open(walFile, 'r');
    }
    await fh.sync();
  };
  return {
    sync(): Promise<void> {
      // A sync that started before our commit may not cover it: join the next one instead.
      if (!pending) {
        pending = syncOnce().finally(() => (pending = null));
        return pending;
      }
      queued ??= pending.catch(() => {}).then(() => {
        queued = null;
        pending = syncOnce().finally(() => (pending = null));
        return pending;
      });
      return queued;
    },
    async close() {
      await fh?.close().catch(() => {});
      fh = null;
    },
  };
}

export async function openStore(opts: OpenStoreOptions): Promise<OpenedStore> {
  const log = opts.logger ?? silentLogger;
  const kind: DbKind = opts.database.kind;
  let db: Kysely<Database>;
  let wal: ReturnType<typeof walSyncer> | null = null;
  if (opts.database.kind === 'sqlite') {
    const file = opts.database.file;
    await mkdir(dirname(file), { recursive: true });
    const sqlite = new BetterSqlite3(file);
    try {
      // WAL: readers never block the writer. synchronous=NORMAL: a commit survives a process crash
      // (kill -9) at once; durability against power loss comes from durable() below, which the
      // acceptor awaits before its 250, so the 250-after-fsync promise holds without a
      // synchronous fsync inside every commit (which would stall the event loop).
      sqlite.pragma('journal_mode = WAL');
      sqlite.pragma('synchronous = NORMAL');
      sqlite.pragma(`busy_timeout = ${SQLITE_BUSY_TIMEOUT_MS}`);
      sqlite.pragma('foreign_keys = ON');
    } catch (err) {
      sqlite.close();
      throw err;
    }
    db = new Kysely<Database>({ dialect: new SqliteDialect({ database: cachingSqlite(sqlite) as never }) });
    wal = walSyncer(file);
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

  let spool: HybridSpool | PgSpool;
  if (kind === 'sqlite') spool = new HybridSpool(db, new FileSpool(opts.spoolDir));
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
    async durable(): Promise<void> {
      if (wal) await wal.sync();
    },
    async close(): Promise<void> {
      await db.destroy();
      await wal?.close();
    },
  };
}
