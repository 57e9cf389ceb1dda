// Message bytes in SQLite mode: small messages live in the database's `spool` table, written in
// the same WAL as their queue row, so accepting one costs a single fsync (the WAL sync that the
// acceptor awaits through Store.durable()); messages larger than SPOOL_INLINE_MAX_BYTES stream to
// fsynced files (FileSpool), so memory stays bounded. Postfix's one-fsync-per-message budget is the
// model: the file spool alone needed three (file, rename, folder) plus the WAL's.
// Trust level: handles message bytes (PHI); never logs them.
import { Readable } from 'node:stream';
import type { Kysely } from 'kysely';
import type { Database } from './schema.js';
import type { Spool } from './types.js';
import { GroupCommit } from './group-commit.js';
import { checkSpoolKey, type FileSpool } from './spool-fs.js';

/** Largest message kept inline in the database; larger ones go to spool files. */
export const SPOOL_INLINE_MAX_BYTES = 256 * 1024;

const toBuffer = (c: unknown): Buffer => (Buffer.isBuffer(c) ? c : Buffer.from(c as string));

export class HybridSpool implements Spool {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly files: FileSpool,
    private readonly inlineMax = SPOOL_INLINE_MAX_BYTES,
  ) {}

  async write(key: string, body: Readable | Buffer): Promise<{ size: number }> {
    checkSpoolKey(key);
    if (Buffer.isBuffer(body)) return body.length <= this.inlineMax ? this.putInline(key, body) : this.files.write(key, body);
    const head: Buffer[] = [];
    let len = 0;
    const it = body[Symbol.asyncIterator]();
    for (;;) {
      const r = await it.next();
      if (r.done) break;
      const b = toBuffer(r.value);
      head.push(b);
      len += b.length;
      if (len > this.inlineMax) {
        // Too large to keep inline: hand what we have plus the rest of the stream to the files.
        async function* rest(): AsyncGenerator<Buffer> {
          yield* head;
          for (;;) {
            const n = await it.next();
            if (n.done) return;
            yield toBuffer(n.value);
          }
        }
        return this.files.write(key, Readable.from(rest()));
      }
    }
    return this.putInline(key, Buffer.concat(head, len));
  }

  /** Concurrent small writes share a transaction (see group-commit.ts). */
  private readonly inlineWrites = new GroupCommit<{ key: string; data: Buffer }, { size: number }>(async (items) => {
    const now = Date.now();
    await this.db.transaction().execute(async (trx) => {
      for (const { key, data } of items) {
        await trx
          .insertInto('spool')
          .values({ key, part: 0, data, created_at: now })
          .onConflict((oc) => oc.columns(['key', 'part']).doUpdateSet({ data, created_at: now }))
          .execute();
      }
    });
    return items.map((i) => ({ size: i.data.length }));
  });

  private putInline(key: string, data: Buffer): Promise<{ size: number }> {
    return this.inlineWrites.submit({ key, data });
  }

  private async inline(key: string): Promise<Buffer | null> {
    const row = await this.db.selectFrom('spool').select('data').where('key', '=', key).where('part', '=', 0).executeTakeFirst();
    return row ? Buffer.from(row.data) : null;
  }

  async read(key: string): Promise<Buffer> {
    checkSpoolKey(key);
    return (await this.inline(key)) ?? this.files.read(key);
  }

  readStream(key: string): Readable {
    const self = this;
    async function* gen(): AsyncGenerator<Buffer> {
      checkSpoolKey(key);
      const data = await self.inline(key);
      if (data) yield data;
      else for await (const c of self.files.readStream(key)) yield toBuffer(c);
    }
    return Readable.from(gen(), { objectMode: false });
  }

  async remove(key: string): Promise<void> {
    checkSpoolKey(key);
    const res = await this.db.deleteFrom('spool').where('key', '=', key).executeTakeFirst();
    if (Number(res.numDeletedRows) === 0) await this.files.remove(key);
  }
}
