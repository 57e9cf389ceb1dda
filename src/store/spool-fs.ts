// Message bytes as files (SQLite mode). Layout: spoolDir/AB/CD/KEY where AB and CD are the first
// two bytes of SHA-256(KEY) in hex, so no folder grows past a few thousand entries whatever the id
// scheme. Commit protocol (the Postfix way): write to a temporary name in the same folder,
// fsync(file), rename to the final name, fsync(folder). `write` resolves only after all four, so a
// name that exists is complete and durable; a crash leaves at most a `.tmp-*` file that readers
// never see. Trust level: handles message bytes (PHI); never logs them.
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, readFile, rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import type { Spool } from './types.js';

const KEY_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/** Spool keys become file names: refuse anything that could escape the folder. */
export function checkSpoolKey(key: string): string {
  if (!KEY_RE.test(key)) throw new Error('invalid spool key');
  return key;
}

async function fsyncPath(path: string): Promise<void> {
  const fh = await open(path, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

export class FileSpool implements Spool {
  /** Folders already known to exist durably (created and parent fsynced). */
  private readonly known = new Set<string>();

  constructor(private readonly dir: string) {}

  private folder(key: string): { l1: string; l2: string } {
    const h = createHash('sha256').update(checkSpoolKey(key)).digest('hex');
    const l1 = join(this.dir, h.slice(0, 2));
    return { l1, l2: join(l1, h.slice(2, 4)) };
  }

  pathOf(key: string): string {
    return join(this.folder(key).l2, key);
  }

  private async ensureFolder(l1: string, l2: string): Promise<void> {
    if (this.known.has(l2)) return;
    // A new folder entry is itself directory data: fsync each parent so the file's path survives.
    const created1 = await mkdir(l1, { recursive: true });
    if (created1 !== undefined) await fsyncPath(this.dir);
    const created2 = await mkdir(l2, { recursive: true });
    if (created2 !== undefined) await fsyncPath(l1);
    this.known.add(l2);
  }

  async write(key: string, body: Readable | Buffer): Promise<{ size: number }> {
    const { l1, l2 } = this.folder(key);
    await this.ensureFolder(l1, l2);
    const final = join(l2, key);
    const tmp = join(l2, `.tmp-${key}-${randomBytes(6).toString('hex')}`);
    const fh = await open(tmp, 'wx', 0o600);
    let size = 0;
    let renamed = false;
    try {
      try {
        if (Buffer.isBuffer(body)) {
          await fh.writeFile(body);
          size = body.length;
        } else {
          // Streamed chunk by chunk: at most one chunk of the message is in memory here.
          for await (const chunk of body) {
            const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string);
            let off = 0;
            while (off < buf.length) {
              const { bytesWritten } = await fh.write(buf, off, buf.length - off);
              off += bytesWritten;
            }
            size += buf.length;
          }
        }
        await fh.sync();
      } finally {
        await fh.close();
      }
      await rename(tmp, final);
      renamed = true;
      await fsyncPath(l2);
    } catch (err) {
      if (!renamed) await unlink(tmp).catch(() => {});
      else await unlink(final).catch(() => {});
      throw err;
    }
    return { size };
  }

  async read(key: string): Promise<Buffer> {
    return readFile(this.pathOf(key));
  }

  readStream(key: string): Readable {
    return createReadStream(this.pathOf(key));
  }

  async remove(key: string): Promise<void> {
    try {
      await unlink(this.pathOf(key));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
  }
}
