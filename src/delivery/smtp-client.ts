// The outgoing SMTP client: one transaction (MAIL, RCPT..., DATA) to one next-hop address, with
// opportunistic or required STARTTLS, PIPELINING, and a cache of idle connections per destination.
// Trust level: network-facing towards servers we do not trust; handles message bytes (never logs
// them) and never sends a message in the clear when TLS is required.
//
// Why hand-written instead of nodemailer's SMTP transport:
//  - byte-exact data: the body (possibly signed) goes out exactly as stored, only dot-stuffed; no
//    re-encoding, no line folding, no header rewriting;
//  - per-recipient results: every RCPT reply is kept and mapped to 'delivered' / 'deferred' /
//    'failed', and the final DATA reply maps to every accepted recipient;
//  - connection reuse across messages with RSET (pipelined with the next MAIL), which matters for
//    relay throughput; and fail-closed TLS policy decided by the caller per destination.
// Protocol parsing lives in reply-parser.ts (pure) and dot-stuffing in dot-stuff.ts (pure).
import net from 'node:net';
import tls from 'node:tls';
import { createHash } from 'node:crypto';
import type { RecipientResult } from './types.js';
import { ReplySyntaxError, formatReply, parseEhlo, type Reply } from './reply-parser.js';
import { SmtpConnection, type Destination } from './connection.js';
import { ConnectionCache, DEFAULT_POOL, type PoolOptions } from './connection-cache.js';
import { dotStuff } from './dot-stuff.js';

/** TLS that must succeed: no STARTTLS offered or a failed handshake means 'deferred', never plaintext. */
export interface RequireTlsOptions {
  /** Verify the certificate chain (against `ca`, or the system store) and the name `servername`. */
  verify: boolean;
  ca?: Buffer[];
  servername: string;
}

export type { Destination } from './connection.js';

export interface Transaction {
  sender: string;
  recipients: string[];
  body: Buffer;
  /** BODY, SMTPUTF8, ENVID, RET: passed on where the server supports them. */
  params?: Record<string, string>;
}

export interface SendOptions {
  /** Whole attempt, connect to final reply (limits.deliveryTimeout in ms). */
  timeoutMs: number;
  /** TCP connect (default min(30 s, timeoutMs)). */
  connectTimeoutMs?: number;
  /** Required TLS; when absent TLS is opportunistic (used if offered, certificate not checked). */
  requireTls?: RequireTlsOptions;
  /** Set false to never issue STARTTLS (only without requireTls). Default true. */
  opportunisticTls?: boolean;
  signal?: AbortSignal;
}

/** A RecipientResult plus facts the queue may record. */
export interface DeliveryOutcome extends RecipientResult {
  /** Whether the session that produced this result was encrypted (false when no session). */
  tls: boolean;
}

export interface TransactionOutcome {
  results: DeliveryOutcome[];
  /**
   * Addresses whose failure was at session level before anything was decided for them (connect,
   * greeting, EHLO, TLS, MAIL 4xx, connection lost before DATA): another MX host may be tried.
   */
  retryElsewhere: string[];
  tls: boolean;
}

export { DEFAULT_POOL, type PoolOptions } from './connection-cache.js';

const CONNECT_TIMEOUT_MAX_MS = 30_000;

export interface ClientStats {
  connectionsOpened: number;
  connectionsReused: number;
  transactions: number;
  /** Opportunistic STARTTLS handshakes that failed, after which we delivered in plaintext. */
  tlsFallbacks: number;
}

/** A failure of the session, with the SMTP-style reply text we report for it. */
class SessionError extends Error {
  constructor(
    readonly reply: string,
    /** True when the recipient may be tried at another host. */
    readonly retryable: boolean,
  ) {
    super(reply);
    this.name = 'SessionError';
  }
}

/** Our own reasons to end a session, recognised by describeError. */
function coded(code: 'ETIMEDOUT' | 'ABORT_ERR', message: string): Error {
  return Object.assign(new Error(message), { code });
}

/** Connection died before the first reply on a reused connection: reconnect and redo, safely. */
class StaleConnection extends Error {}

/** The TLS handshake failed in opportunistic mode: reconnect without STARTTLS (RFC 3207 4.1). */
class TlsFallback extends Error {}

const caKeys = new WeakMap<Buffer[], string>();
function caKey(ca: Buffer[] | undefined): string {
  if (!ca) return 'system';
  let k = caKeys.get(ca);
  if (!k) {
    const h = createHash('sha256');
    for (const c of ca) h.update(c).update('\0');
    k = h.digest('hex').slice(0, 32);
    caKeys.set(ca, k);
  }
  return k;
}

function label(dest: Destination): string {
  const name = dest.name && dest.name !== dest.host ? `${dest.name}[${dest.host}]` : dest.host;
  return `${name}:${dest.port}`;
}

function statusOf(code: number): RecipientResult['status'] {
  return code < 400 ? 'delivered' : code < 500 ? 'deferred' : 'failed';
}

// Control characters, or '<' '>' would let an address inject commands or parameters.
// eslint-disable-next-line no-control-regex
const BAD_ADDRESS = /[\u0000-\u001f\u007f<>]/;
function addressOk(a: string): boolean {
  if (a.length > 512 || BAD_ADDRESS.test(a)) return false;
  if (a.includes(' ')) return /^".*"@[^\s"]+$/.test(a);
  return true;
}
// esmtp-keyword and esmtp-value (RFC 5321 4.1.2): no spaces, '=' or control characters.
const PARAM_KEY = /^[A-Za-z0-9][A-Za-z0-9-]{0,63}$/;
const PARAM_VALUE = /^[\x21-\x3c\x3e-\x7e]{1,500}$/;
// eslint-disable-next-line no-control-regex
const NON_ASCII = /[^\u0000-\u007f]/;

/**
 * SMTP client with a connection cache. `send` never throws: every problem becomes a per-recipient
 * 'deferred' or 'failed' result.
 */
export class SmtpClient {
  private readonly cache: ConnectionCache;
  readonly stats: ClientStats = { connectionsOpened: 0, connectionsReused: 0, transactions: 0, tlsFallbacks: 0 };

  constructor(
    private readonly opts: { hostname: string; pool?: Partial<PoolOptions> },
  ) {
    if (!/^[A-Za-z0-9.-]{1,253}$/.test(opts.hostname) && !/^\[[0-9A-Fa-f.:IPv]+\]$/.test(opts.hostname)) {
      throw new Error(`invalid EHLO hostname: ${JSON.stringify(opts.hostname)}`);
    }
    this.cache = new ConnectionCache({ ...DEFAULT_POOL, ...opts.pool });
  }

  async send(dest: Destination, tx: Transaction, so: SendOptions): Promise<TransactionOutcome> {
    this.stats.transactions++;
    const where = label(dest);
    const all = (reply: string, status: RecipientResult['status'], tlsUsed = false, retry = false): TransactionOutcome => ({
      results: tx.recipients.map((address) => ({ address, status, reply, remoteHost: dest.name ?? dest.host, tls: tlsUsed })),
      retryElsewhere: retry ? [...tx.recipients] : [],
      tls: tlsUsed,
    });
    if (this.cache.closed) return all('451 4.3.2 Delivery agent is shutting down', 'deferred');
    if (so.signal?.aborted) return all('451 4.3.2 Delivery interrupted', 'deferred');
    if (!addressOk(tx.sender)) return all('501 5.1.7 Bad sender address syntax', 'failed');

    // A cached connection is reused only under the same TLS policy (name and trust anchors too).
    const policy = so.requireTls
      ? `req:${so.requireTls.verify ? 1 : 0}:${so.requireTls.servername}:${caKey(so.requireTls.ca)}`
      : so.opportunisticTls === false
        ? 'plain'
        : 'opp';
    const key = `${dest.host}:${dest.port}|${policy}`;
    let conn: SmtpConnection | undefined;
    let noStartTls = so.opportunisticTls === false && !so.requireTls;

    // One deadline for the attempt: connect to final reply.
    let failCurrent: ((e: Error) => void) | null = null;
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      failCurrent?.(coded('ETIMEDOUT', 'timeout'));
    }, so.timeoutMs);
    const onAbort = () => failCurrent?.(coded('ABORT_ERR', 'aborted'));
    so.signal?.addEventListener('abort', onAbort, { once: true });

    try {
      for (let attempt = 0; ; attempt++) {
        conn = attempt === 0 ? this.cache.take(key) : undefined;
        const reused = conn !== undefined;
        try {
          if (!conn) {
            conn = await this.open(dest, key, so, noStartTls, (f) => (failCurrent = f), () => timedOut);
          } else {
            this.stats.connectionsReused++;
            const c = conn;
            failCurrent = (e) => c.fail(e);
          }
          if (so.signal?.aborted) conn.fail(coded('ABORT_ERR', 'aborted'));
          const outcome = await this.transact(conn, tx, reused, where, dest);
          conn.uses++;
          this.cache.release(conn);
          conn = undefined;
          return outcome;
        } catch (e) {
          if (e instanceof StaleConnection && attempt === 0) {
            conn?.fail(new Error('stale'));
            continue;
          }
          if (e instanceof TlsFallback && !noStartTls && attempt < 2) {
            noStartTls = true;
            this.stats.tlsFallbacks++;
            continue;
          }
          throw e;
        }
      }
    } catch (e) {
      conn?.fail(e instanceof Error ? e : new Error(String(e)));
      if (e instanceof SessionError) return all(e.reply, statusOf(Number(e.reply.slice(0, 3))), false, e.retryable);
      return all(describeError(e, where), 'deferred', false, true);
    } finally {
      clearTimeout(timer);
      so.signal?.removeEventListener('abort', onAbort);
    }
  }

  /** Connect, greeting, EHLO/HELO, STARTTLS. Throws SessionError / TlsFallback / socket errors. */
  private async open(
    dest: Destination,
    key: string,
    so: SendOptions,
    noStartTls: boolean,
    setFail: (f: (e: Error) => void) => void,
    timedOut: () => boolean,
  ): Promise<SmtpConnection> {
    const where = label(dest);
    const socket = net.connect({ host: dest.host, port: dest.port });
    socket.setNoDelay(true);
    const conn = new SmtpConnection(dest, key, socket);
    setFail((e) => conn.fail(e));
    this.stats.connectionsOpened++;

    // Connect phase has its own, shorter limit (so the next MX gets its turn).
    const connectMs = Math.min(so.connectTimeoutMs ?? CONNECT_TIMEOUT_MAX_MS, so.timeoutMs);
    await new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => {
        off();
        const e = new SessionError(`451 4.4.1 Connection timed out to ${where}`, true);
        conn.fail(e);
        reject(e);
      }, connectMs);
      const onConnect = () => {
        clearTimeout(t);
        off();
        resolve();
      };
      const off = conn.onFailure((e) => {
        clearTimeout(t);
        socket.off('connect', onConnect);
        reject(e);
      });
      socket.once('connect', onConnect);
    }).catch((e: unknown) => {
      if (e instanceof SessionError || timedOut()) throw e;
      throw new SessionError(describeError(e, where), true);
    });

    const greeting = await conn.read();
    if (greeting.code !== 220) throw await this.refuse(conn, greeting);

    await this.hello(conn);

    const offered = conn.ext.has('STARTTLS');
    const req = so.requireTls;
    if (req && !offered) {
      await conn.quit();
      throw new SessionError(`451 4.7.10 TLS required but STARTTLS not offered by ${where}`, true);
    }
    if (offered && (req || !noStartTls)) {
      const r = await conn.command('STARTTLS');
      if (r.code !== 220) {
        if (req) {
          await conn.quit();
          throw new SessionError(`451 4.7.10 TLS required but STARTTLS refused by ${where}: ${formatReply(r)}`, true);
        }
        if (r.code === 421) throw await this.refuse(conn, r);
        return conn; // opportunistic: carry on in plaintext, as the server asked
      }
      if (!conn.parser.empty || conn.queued > 0) {
        // Anything after the 220 and before the handshake is an injection attempt.
        conn.fail(new Error('data after STARTTLS'));
        throw new SessionError(`451 4.5.0 Protocol error from ${where}: data after STARTTLS reply`, true);
      }
      await this.upgrade(conn, dest, req, setFail).catch((e: unknown) => {
        if (timedOut() || so.signal?.aborted) throw e;
        const code = (e as { code?: string }).code ?? 'handshake failed';
        if (req) throw new SessionError(`451 4.7.5 TLS handshake with ${where} failed: ${code}`, true);
        throw new TlsFallback(code);
      });
      await this.hello(conn);
    }
    return conn;
  }

  private async hello(conn: SmtpConnection): Promise<void> {
    const ehlo = await conn.command(`EHLO ${this.opts.hostname}`);
    if (ehlo.code === 250) {
      conn.ext = parseEhlo(ehlo);
      return;
    }
    if (ehlo.code === 421 || ehlo.code < 500) throw await this.refuse(conn, ehlo);
    // Server does not speak ESMTP: plain HELO, no extensions.
    const helo = await conn.command(`HELO ${this.opts.hostname}`);
    if (helo.code !== 250) throw await this.refuse(conn, helo);
    conn.ext = new Map();
  }

  private async upgrade(
    conn: SmtpConnection,
    dest: Destination,
    req: RequireTlsOptions | undefined,
    setFail: (f: (e: Error) => void) => void,
  ): Promise<void> {
    const plain = conn.socket;
    conn.detach(plain);
    const servername = req?.servername ?? dest.name ?? dest.host;
    const secure = tls.connect({
      socket: plain,
      // SNI must be a name, never an IP literal (RFC 6066 3).
      servername: net.isIP(servername) ? undefined : servername,
      rejectUnauthorized: req?.verify ?? false,
      ca: req?.verify ? req.ca : undefined,
      minVersion: 'TLSv1.2',
    });
    conn.socket = secure;
    conn.attach(secure);
    setFail((e) => conn.fail(e));
    await new Promise<void>((resolve, reject) => {
      const off = conn.onFailure(reject);
      secure.once('secureConnect', () => {
        off();
        resolve();
      });
    });
    conn.tls = true;
  }

  /** A refusal reply ends the session: QUIT politely and report the reply (another host may do). */
  private async refuse(conn: SmtpConnection, r: Reply): Promise<SessionError> {
    if (r.code !== 421) await conn.quit();
    else conn.fail(new Error('421'));
    return new SessionError(formatReply(r), true);
  }

  /** MAIL, RCPT..., DATA, body, final reply. On a reused connection an RSET goes first. */
  private async transact(conn: SmtpConnection, tx: Transaction, reused: boolean, where: string, dest: Destination): Promise<TransactionOutcome> {
    const remoteHost = dest.name ?? dest.host;
    const usedTls = conn.tls;
    const results = new Map<string, DeliveryOutcome>();
    const set = (address: string, reply: string, status = statusOf(Number(reply.slice(0, 3)))) =>
      results.set(address, { address, status, reply, remoteHost, tls: usedTls });
    const outcome = (retryElsewhere: string[] = []): TransactionOutcome => ({
      results: tx.recipients.map((a) => results.get(a)!),
      retryElsewhere,
      tls: usedTls,
    });

    const rcpts: string[] = [];
    for (const a of tx.recipients) {
      if (addressOk(a) && a.length > 0) rcpts.push(a);
      else set(a, '501 5.1.3 Bad recipient address syntax', 'failed');
    }
    if (rcpts.length === 0) return outcome();

    const ext = conn.ext;
    const params = tx.params ?? {};
    const mailParams: string[] = [];
    const size = ext.get('SIZE');
    if (size !== undefined) {
      const max = Number(size);
      if (Number.isFinite(max) && max > 0 && tx.body.length > max) {
        for (const a of rcpts) set(a, `552 5.3.4 Message size exceeds limit of ${where}`, 'failed');
        return outcome();
      }
      mailParams.push(`SIZE=${tx.body.length}`);
    }
    if (params.BODY?.toUpperCase() === '8BITMIME' && ext.has('8BITMIME')) mailParams.push('BODY=8BITMIME');
    const needsUtf8 = NON_ASCII.test(tx.sender) || rcpts.some((a) => NON_ASCII.test(a));
    if (needsUtf8 || params.SMTPUTF8 !== undefined) {
      if (ext.has('SMTPUTF8')) mailParams.push('SMTPUTF8');
      else if (needsUtf8) {
        for (const a of rcpts) set(a, `550 5.6.7 Non-ASCII address and ${where} does not support SMTPUTF8`, 'failed');
        return outcome();
      }
    }
    if (ext.has('DSN')) {
      for (const k of ['ENVID', 'RET']) {
        const v = params[k];
        if (v !== undefined && PARAM_KEY.test(k) && PARAM_VALUE.test(v)) mailParams.push(`${k}=${v}`);
      }
    }
    const mailCmd = `MAIL FROM:<${tx.sender}>${mailParams.map((p) => ' ' + p).join('')}\r\n`;
    const rcptCmds = rcpts.map((a) => `RCPT TO:<${a}>\r\n`);
    const pipelining = ext.has('PIPELINING');

    conn.gotReply = false;
    // Errors before the first reply on a reused connection mean it went stale: redo on a new one.
    const stale = (e: unknown): never => {
      if (reused && !conn.gotReply) throw new StaleConnection();
      throw e;
    };

    let mailR: Reply;
    const rcptRs: Reply[] = [];
    let dataR: Reply | null = null;
    try {
      if (pipelining) {
        conn.write((reused ? 'RSET\r\n' : '') + mailCmd + rcptCmds.join('') + 'DATA\r\n');
        if (reused) {
          const r = await conn.read().catch(stale);
          if (r.code !== 250) throw new SessionError(formatReply(r), true);
        }
        mailR = await conn.read().catch(stale);
        if (mailR.code === 250) {
          for (let i = 0; i < rcptCmds.length; i++) rcptRs.push(await conn.read());
          dataR = await conn.read();
        } else {
          // The server answers the pipelined RCPTs and DATA with errors; read them so the
          // connection stays in sync, but they do not describe the recipients. If it hangs up
          // instead (e.g. after a 421), the MAIL reply still decides.
          try {
            for (let i = 0; i <= rcptCmds.length; i++) await conn.read();
          } catch (e) {
            conn.fail(e instanceof Error ? e : new Error(String(e)));
          }
        }
      } else {
        if (reused) {
          const r = await conn.command('RSET').catch(stale);
          if (r.code !== 250) throw new SessionError(formatReply(r), true);
        }
        conn.write(mailCmd);
        mailR = await conn.read().catch(stale);
        if (mailR.code === 250) {
          for (const c of rcptCmds) {
            conn.write(c);
            const r = await conn.read();
            rcptRs.push(r);
            if (r.code === 421) break;
          }
          if (rcptRs.some((r) => r.code === 250 || r.code === 251)) dataR = await conn.command('DATA');
        }
      }
    } catch (e) {
      if (e instanceof StaleConnection || e instanceof SessionError) throw e;
      // Connection lost or timed out before DATA: nothing was delivered; undecided recipients may
      // go to another host.
      const pending = rcpts.filter((a, i) => {
        const r = rcptRs[i];
        if (r && r.code >= 500) {
          set(a, formatReply(r));
          return false;
        }
        return true;
      });
      const reply = describeError(e, where);
      for (const a of pending) set(a, reply, 'deferred');
      conn.fail(e instanceof Error ? e : new Error(String(e)));
      return outcome(pending);
    }

    if (mailR.code !== 250) {
      const reply = formatReply(mailR);
      for (const a of rcpts) set(a, reply);
      if (mailR.code === 421) conn.fail(new Error('421'));
      // A temporary refusal of the sender is a session problem: another MX may accept.
      return outcome(mailR.code < 500 ? [...rcpts] : []);
    }

    const accepted: string[] = [];
    rcpts.forEach((a, i) => {
      const r = rcptRs[i];
      if (!r) {
        set(a, '451 4.4.2 Connection closed by remote before RCPT reply', 'deferred');
      } else if (r.code === 250 || r.code === 251) {
        accepted.push(a);
      } else {
        set(a, formatReply(r), r.code < 400 ? 'deferred' : undefined);
      }
    });

    if (accepted.length === 0) {
      if (dataR && dataR.code === 354) {
        // Broken server invited data with no recipient: send an empty message end and ignore it.
        conn.write('.\r\n');
        await conn.read().catch(() => undefined);
      }
      return outcome();
    }
    if (!dataR || dataR.code !== 354) {
      const reply = dataR ? formatReply(dataR) : '451 4.4.2 No reply to DATA';
      for (const a of accepted) set(a, reply, dataR && dataR.code >= 500 ? 'failed' : 'deferred');
      if (dataR?.code === 421) conn.fail(new Error('421'));
      return outcome();
    }

    try {
      await conn.writeBody(dotStuff(tx.body));
      const fin = await conn.read();
      const reply = formatReply(fin);
      for (const a of accepted) set(a, reply, statusOf(fin.code));
      if (fin.code === 421) conn.fail(new Error('421'));
    } catch (e) {
      // The body may or may not have arrived: defer (a retry may duplicate, never lose).
      const reply = describeError(e, where);
      for (const a of accepted) set(a, reply, 'deferred');
      conn.fail(e instanceof Error ? e : new Error(String(e)));
    }
    return outcome();
  }


  /** Number of cached idle connections (for tests and metrics). */
  get idleConnections(): number {
    return this.cache.size;
  }

  /** QUIT every cached connection; later sends return 'deferred'. */
  close(): Promise<void> {
    return this.cache.close();
  }
}

function describeError(e: unknown, where: string): string {
  if (e instanceof SessionError) return e.reply;
  if (e instanceof ReplySyntaxError) return `451 4.5.0 Protocol error from ${where}: ${e.message}`;
  const code = (e as { code?: string }).code;
  switch (code) {
    case 'ECONNREFUSED':
      return `451 4.4.1 Connection refused by ${where}`;
    case 'ECONNRESET':
      return `451 4.4.2 Connection reset by ${where}`;
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return `451 4.4.1 No route to ${where}`;
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `451 4.4.3 Cannot resolve ${where}`;
    case 'ETIMEDOUT':
      return `451 4.4.2 Timed out talking to ${where}`;
    case 'ABORT_ERR':
      return '451 4.3.2 Delivery interrupted';
    default:
      return `451 4.4.2 Connection lost to ${where}`;
  }
}
