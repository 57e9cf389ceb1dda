// SMTP listener: accepts TCP connections, enforces the per-client and total connection limits,
// wraps STARTTLS, and runs one SmtpSession per connection. Thin I/O shell around session.ts.
// Trust level: network-facing; holds the TLS private key in memory (as a secure context only).
//
// Hand-written instead of nodemailer's smtp-server: see the header of parser.ts (raw-stream limits,
// bare CR/LF rejection against SMTP smuggling, draining, and full control of replies).
import net from 'node:net';
import tls from 'node:tls';
import type { Duplex } from 'node:stream';
import type { Limits } from '../config/limits.js';
import type { Direction, MessageAcceptor } from '../queue/types.js';
import { Replies } from './reply.js';
import { SmtpSession, systemClock, type Clock, type SmtpLogger } from './session.js';

export interface SmtpListenerOptions {
  role: Direction;
  /** Name for the banner and EHLO; never a software name or version. */
  hostname: string;
  limits: Limits;
  /** STARTTLS material; absent = STARTTLS not offered. minVersion defaults to TLSv1.2. */
  tls?: { key: Buffer; cert: Buffer; minVersion?: 'TLSv1.2' | 'TLSv1.3' };
  isLocalDomain(domain: string): boolean;
  /** Outbound role: clients that may relay without authenticating (see clientAllowList). */
  isAllowedClient(ip: string): boolean;
  /** Enables AUTH PLAIN/LOGIN (offered only after STARTTLS). */
  authenticate?(user: string, pass: string): Promise<boolean>;
  acceptor: MessageAcceptor;
  logger: SmtpLogger;
  /** Milliseconds since the epoch; only used for Envelope.receivedAt. */
  now?: () => number;
  /** Injected timers (tests); defaults to the system clock. */
  clock?: Clock;
  /** Graceful close: how long in-flight DATA may run before it is cut off. Default 30 s. */
  gracePeriodMs?: number;
}

export interface SmtpListener {
  listen(host: string, port: number): Promise<{ port: number }>;
  close(graceful: boolean): Promise<void>;
  connections(): number;
}

/** "::ffff:1.2.3.4" -> "1.2.3.4", so limits and allow lists see one form per IPv4 client. */
export function normalizeIp(ip: string | undefined): string {
  if (!ip) return '';
  const m = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  return m ? m[1]! : ip;
}

/** An allow-list predicate over CIDRs ("10.0.0.0/8", "::1/128", or a bare address), via net.BlockList. */
export function clientAllowList(cidrs: readonly string[]): (ip: string) => boolean {
  const list = new net.BlockList();
  for (const c of cidrs) {
    const [addr, prefix] = c.trim().split('/');
    const family = net.isIPv6(addr ?? '') ? 'ipv6' : net.isIPv4(addr ?? '') ? 'ipv4' : null;
    if (family === null) throw new Error(`invalid CIDR: ${JSON.stringify(c)}`);
    const max = family === 'ipv4' ? 32 : 128;
    const bits = prefix === undefined ? max : Number(prefix);
    if (!/^\d{1,3}$/.test(prefix ?? String(max)) || bits > max) throw new Error(`invalid CIDR: ${JSON.stringify(c)}`);
    list.addSubnet(addr!, bits, family);
  }
  return (ip: string) => {
    const a = normalizeIp(ip);
    const family = net.isIPv6(a) ? 'ipv6' : net.isIPv4(a) ? 'ipv4' : null;
    return family !== null && list.check(a, family);
  };
}

export function createSmtpListener(opts: SmtpListenerOptions): SmtpListener {
  const limits = opts.limits;
  const baseClock = opts.clock ?? systemClock;
  const clock: Clock = opts.now ? { ...baseClock, now: opts.now } : baseClock;
  const sessions = new Set<SmtpSession>();
  const perClient = new Map<string, number>();
  let closing: Promise<void> | null = null;

  let upgradeTls: ((plain: Duplex) => Duplex) | undefined;
  if (opts.tls) {
    const secureContext = tls.createSecureContext({
      key: opts.tls.key,
      cert: opts.tls.cert,
      minVersion: opts.tls.minVersion ?? 'TLSv1.2',
    });
    upgradeTls = (plain) => new tls.TLSSocket(plain as net.Socket, { isServer: true, secureContext });
  }

  // allowHalfOpen: a client may send its last commands and FIN at once; it still gets the replies.
  const server = net.createServer({ noDelay: true, allowHalfOpen: true }, (socket) => {
    const ip = normalizeIp(socket.remoteAddress);
    socket.on('error', () => {});
    const refuse = (reply: typeof Replies.tooManyConnections, why: string) => {
      opts.logger.info({ clientIp: ip, role: opts.role }, why);
      socket.end(reply.toWire());
      const t = setTimeout(() => socket.destroy(), 2000);
      t.unref();
      socket.on('close', () => clearTimeout(t));
    };
    if (closing) return refuse(Replies.shuttingDown, 'smtp connection refused: shutting down');
    if (sessions.size >= limits.connectionsTotal) return refuse(Replies.tooManyConnections, 'smtp connection refused: listener full');
    const mine = perClient.get(ip) ?? 0;
    if (mine >= limits.connectionsPerClient) {
      return refuse(Replies.tooManyConnectionsFromYou, 'smtp connection refused: too many from client');
    }
    perClient.set(ip, mine + 1);
    const session = new SmtpSession(socket, ip, {
      role: opts.role,
      hostname: opts.hostname,
      limits,
      ...(upgradeTls ? { upgradeTls } : {}),
      isLocalDomain: opts.isLocalDomain,
      isAllowedClient: opts.isAllowedClient,
      ...(opts.authenticate ? { authenticate: opts.authenticate } : {}),
      acceptor: opts.acceptor,
      logger: opts.logger,
      clock,
    });
    sessions.add(session);
    const opened = Date.now();
    opts.logger.debug({ clientIp: ip, role: opts.role }, 'smtp connection opened');
    void session.closed.then(() => {
      opts.logger.debug({ clientIp: ip, role: opts.role, ms: Date.now() - opened }, 'smtp connection closed');
      sessions.delete(session);
      const left = (perClient.get(ip) ?? 1) - 1;
      if (left <= 0) perClient.delete(ip);
      else perClient.set(ip, left);
    });
    session.start();
  });
  server.on('error', (err) => opts.logger.error({ code: (err as { code?: string }).code }, 'smtp listener error'));

  return {
    listen(host, port) {
      return new Promise((resolve, reject) => {
        const onError = (err: Error) => reject(err);
        server.once('error', onError);
        server.listen(port, host, () => {
          server.off('error', onError);
          const addr = server.address();
          resolve({ port: typeof addr === 'object' && addr ? addr.port : port });
        });
      });
    },

    close(graceful) {
      closing ??= (async () => {
        const stopped = new Promise<void>((r) => server.close(() => r()));
        if (!graceful) {
          for (const s of sessions) s.abort();
        } else {
          for (const s of sessions) s.shutdown();
          const all = Promise.all([...sessions].map((s) => s.closed));
          let timer: ReturnType<typeof setTimeout> | undefined;
          const grace = new Promise<void>((r) => {
            timer = setTimeout(r, opts.gracePeriodMs ?? 30_000);
          });
          await Promise.race([all, grace]);
          if (timer) clearTimeout(timer);
          for (const s of sessions) s.abort();
        }
        await Promise.all([...sessions].map((s) => s.closed));
        await stopped;
      })();
      return closing;
    },

    connections() {
      return sessions.size;
    },
  };
}
