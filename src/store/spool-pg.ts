// Message bytes in PostgreSQL (cluster mode): table `spool(key, part, data bytea, created_at)`,
// one row per part of at most SPOOL_PART_BYTES. Nodes on different machines then share nothing but
// the database, and a commit is the durability point (PostgreSQL fsyncs its WAL at commit with the
// default synchronous_commit=on). Parts keep memory bounded while streaming a large message in.
//
// Commit protocol, like write-then-rename on a file system: parts are inserted one statement at a
// time under a temporary key that no reader ever asks for ("tmp:KEY:RANDOM"; ':' cannot occur in
// a real key), then one short transaction replaces KEY with them. No database connection is held
// while waiting for a slow client's bytes, so slow senders cannot exhaust the pool. A crash leaves
// only temporary parts, which `sweepTemporary` removes. Trust level: handles message bytes (PHI);
// never logs them.
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import type { Kysely } from 'kysely';
import type { Database } from './schema.js';
import type { Spool } from './types.js';
import { checkSpoolKey } from './spool-fs.js';

export const SPOOL_PART_BYTES = 1024 * 1024;
/** Temporary parts older than this are left over from a crash (no DATA phase lasts this long). */
export const SPOOL_TEMP_MAX_AGE_MS = 24 * 3600 * 1000;

export class PgSpool implements Spool {
  constructor(private readonly db: Kysely<Database>) {}

  async write(key: string, body: Readable | Buffer): Promise<{ size: number }> {
    checkSpoolKey(key);
    const tmp = `tmp:${key}:${randomBytes(8).toString('hex')}`;
    const now = Date.now();
    let part = 0;
    let size = 0;
    let pending: Buffer[] = [];
    let pendingLen = 0;
    const put = (data: Buffer) => this.db.insertInto('spool').values({ key: tmp, part: part++, data, created_at: now }).execute();
    const flush = async (all: boolean): Promise<void> => {
      while (pendingLen >= SPOOL_PART_BYTES || (all && pendingLen > 0)) {
        const joined = Buffer.concat(pending, pendingLen);
        const data = joined.subarray(0, Math.min(SPOOL_PART_BYTES, joined.length));
        const rest = joined.subarray(data.length);
        await put(data);
        pending = rest.length > 0 ? [rest] : [];
        pendingLen = rest.length;
      }
    };
    try {
      const chunks: AsyncIterable<unknown> | Iterable<Buffer> = Buffer.isBuffer(body) ? [body] : body;
      for await (const chunk of chunks) {
        const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string);
        pending.push(buf);
        pendingLen += buf.length;
        size += buf.length;
        await flush(false);
      }
      await flush(true);
      // An empty body still gets one row so `read` can tell it from a missing key.
      if (part === 0) await put(Buffer.alloc(0));
      await this.db.transaction().execute(async (trx) => {
        await trx.deleteFrom('spool').where('key', '=', key).execute();
        await trx.updateTable('spool').set({ key }).where('key', '=', tmp).execute();
      });
    } catch (err) {
      await this.db.deleteFrom('spool').where('key', '=', tmp).execute().catch(() => {});
      throw err;
    }
    return { size };
  }

  /** Remove temporary parts a crashed writer left behind. Returns how many rows went. */
  async sweepTemporary(now: Date = new Date()): Promise<number> {
    const res = await this.db
      .deleteFrom('spool')
      .where('key', 'like', 'tmp:%')
      .where('created_at', '<', now.getTime() - SPOOL_TEMP_MAX_AGE_MS)
      .executeTakeFirst();
    return Number(res.numDeletedRows);
  }

  async read(key: string): Promise<Buffer> {
    checkSpoolKey(key);
    const rows = await this.db.selectFrom('spool').select('data').where('key', '=', key).orderBy('part').execute();
    if (rows.length === 0) throw Object.assign(new Error('spool object not found'), { code: 'ENOENT' });
    return Buffer.concat(rows.map((r) => r.data));
  }

  readStream(key: string): Readable {
    const db = this.db;
    async function* parts(): AsyncGenerator<Buffer> {
      checkSpoolKey(key);
      for (let part = 0; ; part++) {
        const row = await db.selectFrom('spool').select('data').where('key', '=', key).where('part', '=', part).executeTakeFirst();
        if (!row) {
          if (part === 0) throw Object.assign(new Error('spool object not found'), { code: 'ENOENT' });
          return;
        }
        yield row.data;
      }
    }
    return Readable.from(parts(), { objectMode: false });
  }

  async remove(key: string): Promise<void> {
    checkSpoolKey(key);
    await this.db.deleteFrom('spool').where('key', '=', key).execute();
  }
}
