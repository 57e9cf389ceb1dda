// Message bytes in PostgreSQL (cluster mode): table `spool(key, part, data bytea)`, one row per
// part of at most SPOOL_PART_BYTES, all parts of one key written in one transaction. Nodes on
// different machines then share nothing but the database, and a committed transaction is the
// durability point (PostgreSQL fsyncs its WAL at commit with the default synchronous_commit=on).
// Parts keep memory bounded while streaming a large message in. Trust level: handles message bytes
// (PHI); never logs them.
import { Readable } from 'node:stream';
import type { Kysely } from 'kysely';
import type { Database } from './schema.js';
import type { Spool } from './types.js';
import { checkSpoolKey } from './spool-fs.js';

export const SPOOL_PART_BYTES = 1024 * 1024;

export class PgSpool implements Spool {
  constructor(private readonly db: Kysely<Database>) {}

  async write(key: string, body: Readable | Buffer): Promise<{ size: number }> {
    checkSpoolKey(key);
    return this.db.transaction().execute(async (trx) => {
      await trx.deleteFrom('spool').where('key', '=', key).execute();
      let part = 0;
      let size = 0;
      let pending: Buffer[] = [];
      let pendingLen = 0;
      const flush = async (all: boolean): Promise<void> => {
        while (pendingLen >= SPOOL_PART_BYTES || (all && pendingLen > 0)) {
          const joined = Buffer.concat(pending, pendingLen);
          const data = joined.subarray(0, Math.min(SPOOL_PART_BYTES, joined.length));
          const rest = joined.subarray(data.length);
          await trx.insertInto('spool').values({ key, part: part++, data }).execute();
          pending = rest.length > 0 ? [rest] : [];
          pendingLen = rest.length;
        }
      };
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
      if (part === 0) await trx.insertInto('spool').values({ key, part: 0, data: Buffer.alloc(0) }).execute();
      return { size };
    });
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
