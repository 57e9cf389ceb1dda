// A minimal DNS client for record types node:dns cannot ask for (CERT, type 37, RFC 4398): one
// question, UDP with EDNS0 first, TCP when the answer is truncated (RFC 1035 4.2, RFC 7766). Pure
// encoder/decoder plus a thin socket shell. Trust level: reads answers from the configured
// resolvers; malformed answers are errors, never partial data.
import dgram from 'node:dgram';
import net from 'node:net';
import { randomBytes } from 'node:crypto';
import { getServers } from 'node:dns';

export const TYPE_CERT = 37;
/** Largest TCP answer accepted. */
export const DNS_TCP_MAX_BYTES = 65_535;
const EDNS_UDP_SIZE = 4096;

export class DnsQueryError extends Error {}

export interface Answer {
  type: number;
  data: Buffer;
}

/** Wire-format name from labels (a label may contain '.', e.g. an e-mail local part, RFC 4398 §3). */
export function encodeLabels(labels: string[]): Buffer {
  const parts: Buffer[] = [];
  for (const l of labels) {
    const b = Buffer.from(l, 'utf8');
    if (b.length < 1 || b.length > 63) throw new DnsQueryError(`DNS label of ${b.length} bytes`);
    parts.push(Buffer.from([b.length]), b);
  }
  parts.push(Buffer.from([0]));
  const out = Buffer.concat(parts);
  if (out.length > 255) throw new DnsQueryError('DNS name longer than 255 bytes');
  return out;
}

export function encodeQuery(id: number, labels: string[], type: number): Buffer {
  const header = Buffer.alloc(12);
  header.writeUInt16BE(id, 0);
  header.writeUInt16BE(0x0100, 2); // RD
  header.writeUInt16BE(1, 4); // QDCOUNT
  header.writeUInt16BE(1, 10); // ARCOUNT (OPT)
  const q = Buffer.alloc(4);
  q.writeUInt16BE(type, 0);
  q.writeUInt16BE(1, 2); // IN
  const opt = Buffer.from([0, 0, 41, EDNS_UDP_SIZE >> 8, EDNS_UDP_SIZE & 0xff, 0, 0, 0, 0, 0, 0]);
  return Buffer.concat([header, encodeLabels(labels), q, opt]);
}

function skipName(b: Buffer, off: number): number {
  for (let i = 0; i < 128; i++) {
    if (off >= b.length) throw new DnsQueryError('truncated name');
    const len = b[off]!;
    if (len === 0) return off + 1;
    if ((len & 0xc0) === 0xc0) return off + 2;
    off += 1 + len;
  }
  throw new DnsQueryError('name too long');
}

export interface Decoded {
  id: number;
  truncated: boolean;
  rcode: number;
  answers: Answer[];
}

export function decodeResponse(b: Buffer): Decoded {
  if (b.length < 12) throw new DnsQueryError('short DNS answer');
  const flags = b.readUInt16BE(2);
  const qd = b.readUInt16BE(4);
  const an = b.readUInt16BE(6);
  let off = 12;
  for (let i = 0; i < qd; i++) off = skipName(b, off) + 4;
  const answers: Answer[] = [];
  for (let i = 0; i < an; i++) {
    off = skipName(b, off);
    if (off + 10 > b.length) throw new DnsQueryError('truncated record');
    const type = b.readUInt16BE(off);
    const rdlen = b.readUInt16BE(off + 8);
    off += 10;
    if (off + rdlen > b.length) throw new DnsQueryError('truncated record data');
    answers.push({ type, data: b.subarray(off, off + rdlen) });
    off += rdlen;
  }
  return { id: b.readUInt16BE(0), truncated: (flags & 0x0200) !== 0, rcode: flags & 0x0f, answers };
}

function parseServer(s: string): { host: string; port: number } {
  const m = /^\[([^\]]+)\]:(\d+)$/.exec(s) ?? /^([^:]+):(\d+)$/.exec(s);
  return m ? { host: m[1]!, port: Number(m[2]) } : { host: s, port: 53 };
}

/** Settles an exchange once: removes the abort hook and closes the socket first. */
function settler(signal: AbortSignal, close: () => void, resolve: (b: Buffer) => void, reject: (e: Error) => void) {
  let settled = false;
  const done = (err?: Error, msg?: Buffer) => {
    if (settled) return;
    settled = true;
    signal.removeEventListener('abort', onAbort);
    close();
    if (err) reject(err);
    else resolve(msg!);
  };
  const onAbort = () => done(new DnsQueryError('aborted'));
  signal.addEventListener('abort', onAbort, { once: true });
  return done;
}

function udpExchange(server: { host: string; port: number }, query: Buffer, signal: AbortSignal): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const sock = dgram.createSocket(net.isIPv6(server.host) ? 'udp6' : 'udp4');
    const done = settler(signal, () => sock.close(), resolve, reject);
    sock.on('error', (e) => done(e));
    sock.on('message', (msg) => {
      if (msg.length >= 2 && msg.readUInt16BE(0) === query.readUInt16BE(0)) done(undefined, msg);
    });
    sock.send(query, server.port, server.host);
  });
}

function tcpExchange(server: { host: string; port: number }, query: Buffer, signal: AbortSignal): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const sock = net.connect(server.port, server.host);
    let buf = Buffer.alloc(0);
    const done = settler(signal, () => sock.destroy(), resolve, reject);
    sock.on('error', (e) => done(e));
    sock.on('connect', () => {
      const len = Buffer.alloc(2);
      len.writeUInt16BE(query.length);
      sock.write(Buffer.concat([len, query]));
    });
    sock.on('data', (d) => {
      buf = Buffer.concat([buf, d]);
      if (buf.length > DNS_TCP_MAX_BYTES + 2) return done(new DnsQueryError('DNS answer too large'));
      if (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) done(undefined, buf.subarray(2, 2 + buf.readUInt16BE(0)));
    });
    sock.on('end', () => done(new DnsQueryError('DNS server closed the connection')));
  });
}

/**
 * Records of `type` at the name `labels`, from the first server that answers. NXDOMAIN and "no
 * data" give []; SERVFAIL, REFUSED and the like throw (the caller records a source error).
 */
export async function queryRecords(labels: string[], type: number, servers: string[], signal: AbortSignal): Promise<Buffer[]> {
  const list = servers.length ? servers : getServers();
  let last: Error = new DnsQueryError('no DNS servers configured');
  for (const s of list) {
    const server = parseServer(s);
    const query = encodeQuery(randomBytes(2).readUInt16BE(0), labels, type);
    try {
      let r = decodeResponse(await udpExchange(server, query, signal));
      if (r.truncated) r = decodeResponse(await tcpExchange(server, query, signal));
      if (r.id !== query.readUInt16BE(0)) throw new DnsQueryError(`DNS answer from ${s} does not match the query`);
      if (r.rcode === 3) return [];
      if (r.rcode !== 0) throw new DnsQueryError(`DNS rcode ${r.rcode} from ${s}`);
      return r.answers.filter((a) => a.type === type).map((a) => a.data);
    } catch (e) {
      if (signal.aborted) throw e;
      last = e as Error;
    }
  }
  throw last;
}
