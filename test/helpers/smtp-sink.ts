// Test-only: a real SMTP server on a real loopback socket that stands in for a next hop (internal
// mail server, MX, smarthost) and records what it receives. Trust level: test harness.
//
// It is hand-written here, independent of src/smtp and src/delivery, so it can catch their bugs:
// commands must end in CRLF, only <CRLF>.<CRLF> ends DATA, and `data` holds the exact bytes of the
// message after un-dot-stuffing (the CRLF before the final '.' belongs to the message).
//
// Usage:
//   const sink = await startSmtpSink();                 // port 0: a free port is picked
//   ... deliver to sink.host:sink.port ...
//   await sink.waitFor(1);                              // rejects after timeoutMs (default 10 s)
//   expect(sink.messages[0].data.equals(body)).toBe(true);
//   await sink.close();
// Options:
//   tls: true       offer STARTTLS with a self-signed P-256 certificate (SAN DNS:sink.test,
//                   DNS:localhost, IP:127.0.0.1; its PEM is `sink.certPem`, usable as a CA to verify).
//   replyTo(phase, arg)   return a reply line to override the normal one, e.g. '451 4.3.0 try later'
//                   or '550 5.1.1 no'; return '' to send nothing at all (the client must time out);
//                   undefined keeps the normal reply. Phases and their arg:
//                     'connect' client IP (the greeting) · 'ehlo' the EHLO/HELO name (EHLO only)
//                     'mail' sender · 'rcpt' recipient · 'data' message bytes as latin1 (final reply).
//                   A message whose final reply is overridden with a non-2xx is not recorded.
//   address, port   listen elsewhere than 127.0.0.1:0 (MX tests put sinks on 127.0.0.2/3 with one port)
//   extensions      EHLO keywords to advertise (default PIPELINING, SIZE 52428800, 8BITMIME,
//                   SMTPUTF8, ENHANCEDSTATUSCODES, DSN; STARTTLS is added when tls is on).
// Counters: `connections` (TCP connections accepted), `commands` (every command line, in order).
// setDown(true) closes the listener so connections are refused and drops open ones; setDown(false)
// listens on the same port again. Await both.
import net from 'node:net';
import tls from 'node:tls';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export type SinkPhase = 'connect' | 'ehlo' | 'mail' | 'rcpt' | 'data';

export interface SinkOptions {
  tls?: boolean;
  replyTo?: (phase: SinkPhase, arg: string) => string | undefined;
  extensions?: string[];
  /** Loopback address to listen on (default 127.0.0.1; e.g. 127.0.0.2 for a second "MX host"). */
  address?: string;
  /** Port to listen on (default 0: any free port). Used to put several MX sinks on one port. */
  port?: number;
}

export interface SinkMessage {
  sender: string;
  recipients: string[];
  /** Exact message bytes after un-dot-stuffing. */
  data: Buffer;
  tls: boolean;
  /** Parameters given on MAIL FROM (e.g. ['SIZE=123', 'BODY=8BITMIME']). */
  mailParams: string[];
  /** 1-based number of the TCP connection that carried it. */
  connection: number;
}

export interface SmtpSink {
  port: number;
  /** The listening address: '127.0.0.1' unless `address` was given. */
  host: string;
  messages: SinkMessage[];
  readonly connections: number;
  commands: string[];
  /** PEM of the STARTTLS certificate (only with tls: true). */
  certPem?: string;
  waitFor(n: number, timeoutMs?: number): Promise<void>;
  setDown(down: boolean): Promise<void>;
  close(): Promise<void>;
}

const MAX_LINE = 65536;
const DEFAULT_EXTENSIONS = ['PIPELINING', 'SIZE 52428800', '8BITMIME', 'SMTPUTF8', 'ENHANCEDSTATUSCODES', 'DSN'];

let certPromise: Promise<{ key: string; cert: string }> | null = null;
/** One self-signed certificate per test process, made with the openssl CLI. */
function sinkCertificate(): Promise<{ key: string; cert: string }> {
  certPromise ??= (async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sink-cert-'));
    try {
      await new Promise<void>((resolve, reject) =>
        execFile(
          'openssl',
          ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '2',
            '-keyout', join(dir, 'k.pem'), '-out', join(dir, 'c.pem'), '-subj', '/CN=sink.test',
            '-addext', 'subjectAltName=DNS:sink.test,DNS:localhost,IP:127.0.0.1'],
          { timeout: 30_000 },
          (err) => (err ? reject(err) : resolve()),
        ),
      );
      return { key: await readFile(join(dir, 'k.pem'), 'utf8'), cert: await readFile(join(dir, 'c.pem'), 'utf8') };
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  })();
  return certPromise;
}

/** Remove one leading '.' from every line (RFC 5321 4.5.2). */
function unstuff(raw: Buffer): Buffer {
  const out: Buffer[] = [];
  let start = 0;
  while (start < raw.length) {
    let nl = raw.indexOf('\r\n', start);
    nl = nl < 0 ? raw.length : nl + 2;
    out.push(raw[start] === 0x2e ? raw.subarray(start + 1, nl) : raw.subarray(start, nl));
    start = nl;
  }
  return Buffer.concat(out);
}

const END = Buffer.from('\r\n.\r\n');

export async function startSmtpSink(opts: SinkOptions = {}): Promise<SmtpSink> {
  const cert = opts.tls ? await sinkCertificate() : undefined;
  const secureContext = cert ? tls.createSecureContext({ key: cert.key, cert: cert.cert }) : undefined;
  const messages: SinkMessage[] = [];
  const commands: string[] = [];
  const sockets = new Set<net.Socket>();
  let connections = 0;
  let waiters: Array<() => void> = [];

  const reply = (phase: SinkPhase, arg: string, normal: string): string | null => {
    const o = opts.replyTo?.(phase, arg);
    if (o === '') return null;
    return o ?? normal;
  };

  function session(raw: net.Socket): void {
    const connNo = ++connections;
    sockets.add(raw);
    let sock: net.Socket = raw;
    let secure = false;
    let buf: Buffer = Buffer.alloc(0);
    let inData = false;
    let greeted = false;
    let sender: string | null = null;
    let mailParams: string[] = [];
    let rcpts: string[] = [];
    let closed = false;

    const send = (line: string | null) => {
      if (line !== null && !closed) sock.write(line + '\r\n');
    };
    const reset = () => {
      sender = null;
      mailParams = [];
      rcpts = [];
    };
    const ehloLines = () => {
      const ext = [...(opts.extensions ?? DEFAULT_EXTENSIONS)];
      if (secureContext && !secure) ext.push('STARTTLS');
      return ['sink.test', ...ext].map((l, i, a) => `250${i === a.length - 1 ? ' ' : '-'}${l}`).join('\r\n');
    };

    // DATA: chunks kept as received; only the last 4 bytes are re-scanned with each new chunk, so
    // a long message costs O(n). The stream is viewed as CRLF + data so a lone '.' first line ends it.
    let dataChunks: Buffer[] = [];
    let vLen = 2;
    let tail = Buffer.from('\r\n');
    const feedData = (c: Buffer): Buffer | null => {
      const combined = Buffer.concat([tail, c]);
      const idx = combined.indexOf(END);
      if (idx < 0) {
        dataChunks.push(c);
        vLen += c.length;
        tail = combined.subarray(Math.max(0, combined.length - 4));
        return null;
      }
      const posV = vLen - tail.length + idx;
      const all = Buffer.concat([...dataChunks, c]);
      const raw = all.subarray(0, posV); // the CRLF before '.' belongs to the message
      const rest = all.subarray(posV + 3);
      dataChunks = [];
      vLen = 2;
      tail = Buffer.from('\r\n');
      inData = false;
      const data = unstuff(raw);
      const r = reply('data', data.toString('latin1'), '250 2.0.0 Ok: queued');
      if (r === null || r.startsWith('2')) {
        messages.push({ sender: sender!, recipients: rcpts, data, tls: secure, mailParams, connection: connNo });
        const ws = waiters;
        waiters = [];
        ws.forEach((w) => w());
      }
      send(r);
      reset();
      return rest;
    };

    const onData = (chunk: Buffer) => {
      let c: Buffer | null = chunk;
      while (c && c.length > 0) {
        if (inData) {
          c = feedData(c);
          continue;
        }
        buf = buf.length ? Buffer.concat([buf, c]) : c;
        c = null;
        for (;;) {
          const nl = buf.indexOf('\r\n');
          if (nl < 0) {
            if (buf.length > MAX_LINE) {
              send('500 5.5.6 Line too long');
              sock.destroy();
            }
            break;
          }
          const line = buf.subarray(0, nl).toString('utf8');
          buf = buf.subarray(nl + 2);
          commands.push(line);
          if (command(line) === 'starttls') return;
          if (inData) {
            c = buf;
            buf = Buffer.alloc(0);
            break;
          }
        }
      }
    };

    const command = (line: string): string | void => {
      const verb = line.split(' ', 1)[0]!.toUpperCase();
      const rest = line.slice(verb.length).trim();
      switch (verb) {
        case 'EHLO': {
          greeted = true;
          reset();
          const r = reply('ehlo', rest, ehloLines());
          return send(r);
        }
        case 'HELO':
          greeted = true;
          reset();
          return send('250 sink.test');
        case 'STARTTLS': {
          if (!secureContext || secure) return send('502 5.5.1 Not available');
          send('220 2.0.0 Ready to start TLS');
          // Anything the client pipelined after STARTTLS is discarded (RFC 3207 5).
          buf = Buffer.alloc(0);
          raw.off('data', onData);
          const t = new tls.TLSSocket(raw, { isServer: true, secureContext });
          sock = t;
          secure = true;
          greeted = false;
          reset();
          t.on('data', onData);
          t.on('error', () => t.destroy());
          return 'starttls';
        }
        case 'MAIL': {
          if (!greeted) return send('503 5.5.1 Send EHLO first');
          if (sender !== null) return send('503 5.5.1 Nested MAIL');
          const m = /^FROM:<([^>]*)>(.*)$/i.exec(rest);
          if (!m) return send('501 5.5.4 Syntax');
          const r = reply('mail', m[1]!, '250 2.1.0 Ok');
          if (r !== null && r.startsWith('2')) {
            sender = m[1]!;
            mailParams = m[2]!.trim().split(/\s+/).filter(Boolean);
          }
          return send(r);
        }
        case 'RCPT': {
          if (sender === null) return send('503 5.5.1 Need MAIL');
          const m = /^TO:<([^>]+)>(.*)$/i.exec(rest);
          if (!m) return send('501 5.5.4 Syntax');
          const r = reply('rcpt', m[1]!, '250 2.1.5 Ok');
          if (r !== null && r.startsWith('2')) rcpts.push(m[1]!);
          return send(r);
        }
        case 'DATA':
          if (sender === null) return send('503 5.5.1 Need MAIL');
          if (rcpts.length === 0) return send('554 5.5.1 No valid recipients');
          inData = true;
          return send('354 End data with <CR><LF>.<CR><LF>');
        case 'RSET':
          reset();
          return send('250 2.0.0 Ok');
        case 'NOOP':
          return send('250 2.0.0 Ok');
        case 'QUIT':
          send('221 2.0.0 Bye');
          closed = true;
          sock.end();
          return;
        default:
          return send('502 5.5.2 Command not recognized');
      }
    };

    raw.on('data', onData);
    raw.on('error', () => raw.destroy());
    raw.on('close', () => {
      closed = true;
      sockets.delete(raw);
    });
    send(reply('connect', raw.remoteAddress ?? '', '220 sink.test ESMTP'));
  }

  const server = net.createServer(session);
  const listen = (port: number) =>
    new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  const host = opts.address ?? '127.0.0.1';
  await listen(opts.port ?? 0);
  const port = (server.address() as net.AddressInfo).port;
  let down = false;

  return {
    port,
    host,
    messages,
    commands,
    get connections() {
      return connections;
    },
    certPem: cert?.cert,
    waitFor(n: number, timeoutMs = 10_000) {
      return new Promise<void>((resolve, reject) => {
        const check = () => {
          if (messages.length >= n) {
            clearTimeout(t);
            resolve();
            return true;
          }
          return false;
        };
        const t = setTimeout(() => {
          waiters = waiters.filter((w) => w !== poll);
          reject(new Error(`smtp-sink: ${messages.length} of ${n} messages after ${timeoutMs} ms`));
        }, timeoutMs);
        const poll = () => {
          if (!check()) waiters.push(poll);
        };
        poll();
      });
    },
    async setDown(d: boolean) {
      if (d === down) return;
      down = d;
      if (d) {
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        for (const s of sockets) s.destroy();
        await closed;
      } else {
        await listen(port);
      }
    },
    async close() {
      for (const s of sockets) s.destroy();
      if (!down) await new Promise<void>((resolve) => server.close(() => resolve()));
      down = true;
    },
  };
}
