// clamd client: PING, VERSION and INSTREAM over a unix socket or TCP, with timeouts and a size cap.
// Thin I/O shell around pure reply parsers (parseScanReply, parseVersion). Trust level: sends
// message plaintext to the configured daemon (which must be local or on a trusted network);
// reads untrusted-length replies from it (capped). Never logs content.
//
// Hand-written rather than an npm package: the protocol is four commands and a length-prefixed
// framing (clamd(8) "INSTREAM"), and the npm clients we looked at (clamscan, clamdjs) either wrap
// the clamscan binary, buffer whole files, or map daemon errors and oversize streams to "clean".
// Here every failure is a ClamdError, so the caller can only fail closed.
//
// Protocol (z-prefixed commands are NUL-terminated, and so are their replies):
//   zPING\0 -> PONG\0        zVERSION\0 -> "ClamAV 1.4.6/27000/Fri Nov 27 18:21:48 2026\0"
//   zINSTREAM\0 then chunks <uint32 big-endian length><bytes>..., then <0,0,0,0>
//     -> "stream: OK\0" | "stream: <Name> FOUND\0" | "<text> ERROR\0"
// clamd stops reading and answers "INSTREAM size limit exceeded. ERROR" once a stream passes its
// StreamMaxLength; the client also knows that limit (`streamMaxLength`) and refuses to start
// sending anything larger, so an oversize message is an error, never a partial "OK".
import net from 'node:net';

export type ClamdAddress = { kind: 'unix'; path: string } | { kind: 'tcp'; host: string; port: number };

export type ClamdErrorCode =
  | 'unreachable' // connect failed (ENOENT, ECONNREFUSED, ...)
  | 'timeout' // no complete reply within timeoutMs
  | 'too-large' // the stream is larger than the daemon accepts
  | 'daemon-error' // clamd answered "... ERROR"
  | 'protocol' // the reply could not be understood
  | 'aborted'; // the caller's AbortSignal fired

export class ClamdError extends Error {
  readonly code: ClamdErrorCode;
  constructor(code: ClamdErrorCode, message: string) {
    super(message);
    this.name = 'ClamdError';
    this.code = code;
  }
}

export type ScanResult = { infected: false } | { infected: true; threats: string[] };

export interface ClamdVersion {
  /** e.g. "ClamAV 1.4.6". */
  engine: string;
  /** Signature database version (daily), when clamd reports one. */
  dbVersion?: number;
  /** Signature database build time, when clamd reports one. */
  dbDate?: Date;
}

/** Named limits of the client, with defaults. */
export interface ClamdClientOptions {
  address: ClamdAddress;
  /** Whole exchange (connect to final reply), per command. Default 30 s. */
  timeoutMs?: number;
  /** Largest stream the daemon accepts (its StreamMaxLength). Default 25 MiB, clamd's default. */
  streamMaxLength?: number;
  /** INSTREAM chunk size. Default 64 KiB. */
  chunkBytes?: number;
  /** For tests: how to open the socket. */
  connect?: (address: ClamdAddress) => net.Socket;
}

export const CLAMD_DEFAULTS = Object.freeze({
  timeoutMs: 30_000,
  streamMaxLength: 25 * 1024 * 1024,
  chunkBytes: 64 * 1024,
  /** Longest reply we read; real replies are under 1 KB. */
  maxReplyBytes: 64 * 1024,
});

export interface ClamdClient {
  readonly address: ClamdAddress;
  readonly streamMaxLength: number;
  ping(signal?: AbortSignal): Promise<void>;
  version(signal?: AbortSignal): Promise<ClamdVersion>;
  /** Scans bytes (a Buffer, or chunks as they arrive). Throws ClamdError on anything but a verdict. */
  scan(data: Buffer | Iterable<Uint8Array> | AsyncIterable<Uint8Array>, signal?: AbortSignal): Promise<ScanResult>;
}

/**
 * "PATH_OR_HOST:PORT": anything containing '/' is a unix socket path (relative paths resolve
 * against `baseDir` by the caller); otherwise host:port or [v6]:port.
 */
export function parseClamdAddress(value: string): ClamdAddress | null {
  if (value.includes('/')) return { kind: 'unix', path: value };
  const m = /^\[([0-9a-fA-F:.]+)\]:(\d{1,5})$/.exec(value) ?? /^([A-Za-z0-9.-]+):(\d{1,5})$/.exec(value);
  if (!m) return null;
  const port = Number(m[2]);
  if (port < 1 || port > 65535) return null;
  return { kind: 'tcp', host: m[1]!, port };
}

export function formatClamdAddress(a: ClamdAddress): string {
  return a.kind === 'unix' ? a.path : a.host.includes(':') ? `[${a.host}]:${a.port}` : `${a.host}:${a.port}`;
}

/**
 * Parses one INSTREAM reply record (without its NUL). Throws ClamdError for ERROR replies and for
 * anything unrecognised: an unknown reply is never "clean".
 */
export function parseScanReply(records: string[]): ScanResult {
  const threats: string[] = [];
  let ok = false;
  if (records.length === 0) throw new ClamdError('protocol', 'clamd closed the connection without a reply');
  for (const raw of records) {
    const r = raw.trim();
    if (/size limit exceeded/i.test(r)) throw new ClamdError('too-large', 'clamd: stream exceeds its StreamMaxLength');
    if (/ ERROR$/.test(r)) throw new ClamdError('daemon-error', `clamd: ${r.slice(0, 200)}`);
    const found = /^(?:stream|[^:]*):\s+(.+)\s+FOUND$/.exec(r);
    if (found) {
      threats.push(found[1]!.trim());
      continue;
    }
    if (/^(?:stream|[^:]*):\s+OK$/.test(r)) {
      ok = true;
      continue;
    }
    throw new ClamdError('protocol', `unexpected clamd reply: ${JSON.stringify(r.slice(0, 120))}`);
  }
  if (threats.length) return { infected: true, threats };
  if (ok) return { infected: false };
  throw new ClamdError('protocol', 'clamd reply has no verdict');
}

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];

/**
 * Parses the VERSION reply: "ClamAV 1.0.3/27000/Mon Nov 28 09:31:02 2022" (engine/db version/db
 * build time in ctime(3) form, in the daemon's local time zone, which we take to be ours: an error
 * of hours at most, against alarm thresholds of days), or just "ClamAV 1.4.6" when no official
 * daily database is loaded.
 */
export function parseVersion(reply: string): ClamdVersion {
  const s = reply.replace(/\0+$/, '').trim();
  const parts = s.split('/');
  if (!/^ClamAV \S+$/.test(parts[0] ?? '')) throw new ClamdError('protocol', `unexpected VERSION reply: ${JSON.stringify(s.slice(0, 120))}`);
  const out: ClamdVersion = { engine: parts[0]! };
  if (parts.length >= 2 && /^\d+$/.test(parts[1]!)) out.dbVersion = Number(parts[1]);
  if (parts.length >= 3) {
    const m = /^\w{3}\s+(\w{3})\s+(\d{1,2})\s+(\d{2}):(\d{2}):(\d{2})\s+(\d{4})$/.exec(parts.slice(2).join('/').trim());
    const mon = m ? MONTHS.indexOf(m[1]!.toLowerCase()) : -1;
    if (m && mon >= 0) {
      const d = new Date(Number(m[6]), mon, Number(m[2]), Number(m[3]), Number(m[4]), Number(m[5]));
      if (!Number.isNaN(d.getTime())) out.dbDate = d;
    }
  }
  return out;
}

function defaultConnect(a: ClamdAddress): net.Socket {
  return a.kind === 'unix' ? net.connect({ path: a.path }) : net.connect({ host: a.host, port: a.port });
}

export function createClamdClient(opts: ClamdClientOptions): ClamdClient {
  const timeoutMs = opts.timeoutMs ?? CLAMD_DEFAULTS.timeoutMs;
  const streamMaxLength = opts.streamMaxLength ?? CLAMD_DEFAULTS.streamMaxLength;
  const chunkBytes = opts.chunkBytes ?? CLAMD_DEFAULTS.chunkBytes;
  const open = opts.connect ?? defaultConnect;
  for (const [k, v] of [['timeoutMs', timeoutMs], ['streamMaxLength', streamMaxLength], ['chunkBytes', chunkBytes]] as const) {
    if (!Number.isInteger(v) || v < 1) throw new RangeError(`clamd client: ${k} must be a positive integer, got ${v}`);
  }

  /**
   * One exchange on a fresh connection: `send` writes the request (it may await drain), the reply
   * is every NUL-terminated record until the daemon closes the connection.
   */
  function exchange(send: (sock: net.Socket, failed: () => boolean) => Promise<void>, signal?: AbortSignal): Promise<string[]> {
    return new Promise<string[]>((resolve, reject) => {
      let settled = false;
      let connected = false;
      const chunks: Buffer[] = [];
      let size = 0;
      const sock = open(opts.address);
      const finish = (err: ClamdError | null, records?: string[]) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        sock.destroy();
        if (err) reject(err);
        else resolve(records!);
      };
      const onAbort = () => finish(new ClamdError('aborted', 'clamd request aborted'));
      if (signal?.aborted) return onAbort();
      signal?.addEventListener('abort', onAbort, { once: true });
      const timer = setTimeout(() => finish(new ClamdError('timeout', `clamd did not answer within ${timeoutMs} ms`)), timeoutMs);
      const replyRecords = () => {
        const text = Buffer.concat(chunks).toString('latin1');
        return text.split('\0').map((r) => r.trim()).filter((r) => r.length > 0);
      };
      sock.on('data', (d: Buffer) => {
        size += d.length;
        if (size > CLAMD_DEFAULTS.maxReplyBytes) return finish(new ClamdError('protocol', 'clamd reply too long'));
        chunks.push(d);
      });
      sock.on('error', (e: NodeJS.ErrnoException) => {
        // After connecting, a write error (EPIPE/ECONNRESET) usually means clamd refused the stream
        // and already said why; use that reply if it is there.
        const got = replyRecords();
        if (connected && got.length) return finish(null, got);
        finish(new ClamdError(connected ? 'protocol' : 'unreachable', `clamd ${connected ? 'connection failed' : 'unreachable'} (${e.code ?? 'error'})`));
      });
      sock.on('close', () => finish(null, replyRecords()));
      sock.once('connect', () => {
        connected = true;
        send(sock, () => settled).catch((e: unknown) => finish(e instanceof ClamdError ? e : new ClamdError('protocol', 'clamd write failed')));
      });
    });
  }

  const write = (sock: net.Socket, buf: Uint8Array) =>
    new Promise<void>((resolve, reject) => {
      if (sock.destroyed) return reject(new ClamdError('protocol', 'clamd connection closed while sending'));
      if (sock.write(buf)) return resolve();
      const onDrain = () => {
        sock.off('close', onClose);
        resolve();
      };
      const onClose = () => {
        sock.off('drain', onDrain);
        reject(new ClamdError('protocol', 'clamd connection closed while sending'));
      };
      sock.once('drain', onDrain);
      sock.once('close', onClose);
    });

  async function simple(cmd: string, signal?: AbortSignal): Promise<string> {
    const records = await exchange(async (sock) => {
      sock.end(`z${cmd}\0`);
    }, signal);
    if (records.length === 0) throw new ClamdError('protocol', `clamd closed the connection without answering ${cmd}`);
    return records[0]!;
  }

  return {
    address: opts.address,
    streamMaxLength,
    async ping(signal) {
      const r = await simple('PING', signal);
      if (r !== 'PONG') throw new ClamdError('protocol', `unexpected PING reply: ${JSON.stringify(r.slice(0, 60))}`);
    },
    async version(signal) {
      return parseVersion(await simple('VERSION', signal));
    },
    async scan(data, signal) {
      if (Buffer.isBuffer(data) && data.length > streamMaxLength) {
        throw new ClamdError('too-large', `message of ${data.length} bytes exceeds the scanner's StreamMaxLength (${streamMaxLength} bytes)`);
      }
      const records = await exchange(async (sock, failed) => {
        await write(sock, Buffer.from('zINSTREAM\0', 'latin1'));
        let total = 0;
        const source: Iterable<Uint8Array> | AsyncIterable<Uint8Array> = Buffer.isBuffer(data) ? [data] : data;
        for await (const piece of source) {
          for (let off = 0; off < piece.length; off += chunkBytes) {
            if (failed()) return;
            const chunk = piece.subarray(off, Math.min(piece.length, off + chunkBytes));
            total += chunk.length;
            if (total > streamMaxLength) {
              throw new ClamdError('too-large', `stream exceeds the scanner's StreamMaxLength (${streamMaxLength} bytes)`);
            }
            const len = Buffer.allocUnsafe(4);
            len.writeUInt32BE(chunk.length, 0);
            await write(sock, len);
            await write(sock, chunk);
          }
        }
        if (failed()) return;
        sock.end(Buffer.alloc(4)); // zero-length chunk: end of stream
      }, signal);
      return parseScanReply(records);
    },
  };
}
