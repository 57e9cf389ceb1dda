// Test-only: a tiny authoritative DNS server on 127.0.0.1, UDP and TCP on the same random port, so
// MX (and later SRV, CERT, TXT...) lookups can be pointed at it with `dns.servers`. Trust level: test
// harness. Hand-written on node:dgram/node:net with a small wire-format encoder (RFC 1035) so it has
// no dependency and answers exactly what the test says, including null MX and truncation.
//
// Usage:
//   const dns = await startDnsServer([
//     { name: 'example.test', type: 'MX', data: { preference: 10, exchange: 'mx1.example.test' } },
//     { name: 'mx1.example.test', type: 'A', ttl: 60, data: '127.0.0.1' },
//     { name: 'nullmx.test', type: 'MX', data: { preference: 0, exchange: '.' } },   // RFC 7505
//   ]);
//   resolver.setServers([dns.address]);        // '127.0.0.1:PORT'
//   dns.set([...]);  dns.fail('broken.test');  dns.queries  // [{ name, type }] in arrival order
//   await dns.close();
// Answers: records of the asked type (following CNAMEs up to 8 deep); NOERROR with no answers when
// the name exists with other types; NXDOMAIN when the name is unknown; SERVFAIL for failed names.
// Data by type: A/AAAA address string; MX { preference, exchange }; CNAME/NS/PTR name; TXT string
// or string[]; SRV { priority, weight, port, target }; CERT { certType, keyTag, algorithm, cert };
// SOA { mname, rname, serial, refresh, retry, expire, minimum }; any type (name or number): Buffer.
// UDP answers larger than 512 bytes (or the client's EDNS size) are truncated (TC) so the client
// retries over TCP, as real resolvers do.
import dgram from 'node:dgram';
import net from 'node:net';

export type DnsType = 'A' | 'AAAA' | 'MX' | 'TXT' | 'CNAME' | 'NS' | 'PTR' | 'SRV' | 'CERT' | 'SOA';

export interface DnsRecord {
  name: string;
  type: DnsType | number;
  /** Seconds; default 300. */
  ttl?: number;
  data:
    | string
    | string[]
    | Buffer
    | { preference: number; exchange: string }
    | { priority: number; weight: number; port: number; target: string }
    | { certType: number; keyTag: number; algorithm: number; cert: Buffer }
    | { mname: string; rname: string; serial: number; refresh: number; retry: number; expire: number; minimum: number };
}

export interface DnsServer {
  address: string;
  port: number;
  /** Every question received, in order (type is numeric: 15 = MX, 1 = A, 28 = AAAA...). */
  queries: Array<{ name: string; type: number; tcp: boolean }>;
  set(records: DnsRecord[]): void;
  /** Answer SERVFAIL for these names (empty call clears). */
  fail(...names: string[]): void;
  close(): Promise<void>;
}

const TYPES: Record<DnsType, number> = { A: 1, NS: 2, CNAME: 5, SOA: 6, PTR: 12, MX: 15, TXT: 16, AAAA: 28, SRV: 33, CERT: 37 };
const CNAME = 5;
const OPT = 41;

const norm = (n: string) => n.toLowerCase().replace(/\.$/, '');

function encodeName(name: string): Buffer {
  const n = norm(name);
  if (n === '') return Buffer.from([0]);
  const parts: Buffer[] = [];
  for (const label of n.split('.')) {
    const b = Buffer.from(label, 'utf8');
    if (b.length < 1 || b.length > 63) throw new Error(`dns-server: bad label in ${name}`);
    parts.push(Buffer.from([b.length]), b);
  }
  parts.push(Buffer.from([0]));
  return Buffer.concat(parts);
}

function ipv6(s: string): Buffer {
  const [head, tail] = s.includes('::') ? s.split('::') : [s, undefined];
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = tail === undefined ? h : [...h, ...Array(8 - h.length - t.length).fill('0'), ...t];
  if (groups.length !== 8) throw new Error(`dns-server: bad IPv6 ${s}`);
  const b = Buffer.alloc(16);
  groups.forEach((g, i) => b.writeUInt16BE(parseInt(g, 16), i * 2));
  return b;
}

function u16(n: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(n);
  return b;
}

function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n >>> 0);
  return b;
}

function typeCode(t: DnsType | number): number {
  return typeof t === 'number' ? t : TYPES[t];
}

function encodeData(r: DnsRecord): Buffer {
  const d = r.data as never as Record<string, unknown> & string & string[] & Buffer;
  if (Buffer.isBuffer(r.data)) return r.data;
  switch (r.type) {
    case 'A':
      return Buffer.from(String(r.data).split('.').map(Number));
    case 'AAAA':
      return ipv6(String(r.data));
    case 'MX':
      return Buffer.concat([u16(d.preference as number), encodeName(d.exchange as string)]);
    case 'CNAME':
    case 'NS':
    case 'PTR':
      return encodeName(String(r.data));
    case 'TXT': {
      const strings = Array.isArray(r.data) ? r.data : [String(r.data)];
      return Buffer.concat(
        strings.flatMap((s) => {
          const b = Buffer.from(s, 'utf8');
          const out: Buffer[] = [];
          for (let i = 0; i < b.length || i === 0; i += 255) {
            const part = b.subarray(i, i + 255);
            out.push(Buffer.from([part.length]), part);
          }
          return out;
        }),
      );
    }
    case 'SRV':
      return Buffer.concat([u16(d.priority as number), u16(d.weight as number), u16(d.port as number), encodeName(d.target as string)]);
    case 'CERT':
      return Buffer.concat([u16(d.certType as number), u16(d.keyTag as number), Buffer.from([d.algorithm as number]), d.cert as Buffer]);
    case 'SOA':
      return Buffer.concat([
        encodeName(d.mname as string),
        encodeName(d.rname as string),
        ...(['serial', 'refresh', 'retry', 'expire', 'minimum'] as const).map((k) => u32(d[k] as number)),
      ]);
    default:
      throw new Error(`dns-server: data for type ${r.type} must be a Buffer`);
  }
}

function encodeRecord(r: DnsRecord): Buffer {
  const rdata = encodeData(r);
  return Buffer.concat([encodeName(r.name), u16(typeCode(r.type)), u16(1), u32(r.ttl ?? 300), u16(rdata.length), rdata]);
}

interface Question {
  id: number;
  flags: number;
  name: string;
  type: number;
  /** Raw question section, echoed back. */
  raw: Buffer;
  udpSize: number;
}

function readName(msg: Buffer, off: number): { name: string; end: number } {
  const labels: string[] = [];
  let end = -1;
  for (let jumps = 0; jumps < 32; jumps++) {
    const len = msg[off];
    if (len === undefined) throw new Error('truncated');
    if (len === 0) return { name: labels.join('.'), end: end < 0 ? off + 1 : end };
    if ((len & 0xc0) === 0xc0) {
      if (end < 0) end = off + 2;
      off = ((len & 0x3f) << 8) | msg[off + 1]!;
      continue;
    }
    labels.push(msg.toString('utf8', off + 1, off + 1 + len));
    off += 1 + len;
  }
  throw new Error('name too long');
}

function parseQuery(msg: Buffer): Question | null {
  if (msg.length < 12) return null;
  const id = msg.readUInt16BE(0);
  const flags = msg.readUInt16BE(2);
  if (flags & 0x8000 || msg.readUInt16BE(4) !== 1) return null;
  const { name, end } = readName(msg, 12);
  const type = msg.readUInt16BE(end);
  const qEnd = end + 4;
  let udpSize = 512;
  // Look for an EDNS OPT record in the additional section (RFC 6891).
  const an = msg.readUInt16BE(6) + msg.readUInt16BE(8);
  const ar = msg.readUInt16BE(10);
  if (an === 0 && ar > 0) {
    try {
      const rr = readName(msg, qEnd);
      if (msg.readUInt16BE(rr.end) === OPT) udpSize = Math.max(512, msg.readUInt16BE(rr.end + 2));
    } catch {
      /* ignore a malformed OPT */
    }
  }
  return { id, flags, name, type, raw: msg.subarray(12, qEnd), udpSize };
}

export async function startDnsServer(initial: DnsRecord[]): Promise<DnsServer> {
  let records = initial.slice();
  // Validate now: a bad record should fail the test at set-up, not produce a silent wrong answer.
  records.forEach(encodeRecord);
  const failing = new Set<string>();
  const queries: Array<{ name: string; type: number; tcp: boolean }> = [];

  function answer(q: Question, maxSize: number, tcp: boolean): Buffer {
    queries.push({ name: q.name, type: q.type, tcp });
    const name = norm(q.name);
    let rcode = 0;
    const answers: Buffer[] = [];
    if (failing.has(name)) rcode = 2;
    else {
      let target = name;
      for (let depth = 0; depth < 8; depth++) {
        const here = records.filter((r) => norm(r.name) === target);
        const exact = here.filter((r) => typeCode(r.type) === q.type);
        if (exact.length > 0) {
          answers.push(...exact.map(encodeRecord));
          break;
        }
        const cname = here.find((r) => typeCode(r.type) === CNAME);
        if (cname && q.type !== CNAME) {
          answers.push(encodeRecord(cname));
          target = norm(String(cname.data));
          continue;
        }
        if (here.length === 0 && answers.length === 0 && !records.some((r) => norm(r.name).endsWith('.' + target))) rcode = 3;
        break;
      }
    }
    // QR, opcode from the query, AA, RD copied, RA.
    const flags = 0x8000 | (q.flags & 0x7800) | 0x0400 | (q.flags & 0x0100) | 0x0080 | rcode;
    const header = Buffer.alloc(12);
    header.writeUInt16BE(q.id, 0);
    header.writeUInt16BE(flags, 2);
    header.writeUInt16BE(1, 4);
    header.writeUInt16BE(answers.length, 6);
    const full = Buffer.concat([header, q.raw, ...answers]);
    if (full.length <= maxSize) return full;
    header.writeUInt16BE(flags | 0x0200, 2); // TC: ask the client to retry over TCP
    header.writeUInt16BE(0, 6);
    return Buffer.concat([header, q.raw]);
  }

  const tcpSockets = new Set<net.Socket>();
  const tcp = net.createServer((sock) => {
    tcpSockets.add(sock);
    let buf = Buffer.alloc(0);
    sock.on('data', (chunk) => {
      buf = Buffer.concat([buf, chunk]);
      while (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
        const msg = buf.subarray(2, 2 + buf.readUInt16BE(0));
        buf = buf.subarray(2 + msg.length);
        let q: Question | null = null;
        try {
          q = parseQuery(msg);
        } catch {
          q = null;
        }
        if (!q) {
          sock.destroy();
          return;
        }
        const out = answer(q, 65535, true);
        sock.write(Buffer.concat([u16(out.length), out]));
      }
    });
    sock.on('error', () => sock.destroy());
    sock.on('close', () => tcpSockets.delete(sock));
  });

  // UDP and TCP on the same port: pick the UDP port, then try TCP on it (retry if taken).
  let port = 0;
  let udp!: dgram.Socket;
  for (let attempt = 0; ; attempt++) {
    const u = dgram.createSocket('udp4');
    udp = u;
    u.on('message', (msg, rinfo) => {
      let q: Question | null = null;
      try {
        q = parseQuery(msg);
      } catch {
        q = null;
      }
      if (q) u.send(answer(q, q.udpSize, false), rinfo.port, rinfo.address);
    });
    await new Promise<void>((resolve, reject) => {
      udp.once('error', reject);
      udp.bind(0, '127.0.0.1', () => {
        udp.off('error', reject);
        resolve();
      });
    });
    port = udp.address().port;
    const ok = await new Promise<boolean>((resolve) => {
      tcp.once('error', () => resolve(false));
      tcp.listen(port, '127.0.0.1', () => resolve(true));
    });
    if (ok) break;
    if (attempt >= 10) throw new Error('dns-server: no port free for both UDP and TCP');
    await new Promise<void>((resolve) => udp.close(() => resolve()));
  }

  return {
    address: `127.0.0.1:${port}`,
    port,
    queries,
    set(next: DnsRecord[]) {
      next.forEach(encodeRecord);
      records = next.slice();
    },
    fail(...names: string[]) {
      failing.clear();
      for (const n of names) failing.add(norm(n));
    },
    async close() {
      for (const s of tcpSockets) s.destroy();
      await Promise.all([
        new Promise<void>((resolve) => udp.close(() => resolve())),
        new Promise<void>((resolve) => tcp.close(() => resolve())),
      ]);
    },
  };
}
