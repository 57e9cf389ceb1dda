// One SMTP server session: the per-connection state machine (greeting, EHLO, STARTTLS, AUTH,
// MAIL/RCPT/DATA, limits, timeouts). The socket, the TLS upgrade, the clock and the message
// acceptor are injected; the only network I/O here is reading and writing that socket.
// Trust level: network-facing, unauthenticated peer; holds no keys (the TLS context is the server's).
//
// Hand-written (see parser.ts for why not nodemailer's smtp-server). Every reply sent comes from
// the Replies catalog; any unexpected exception becomes Replies.localError (451 4.3.0) and its
// text never reaches the client.
//
// Input is processed strictly in order by one loop (`run`), so pipelined commands (RFC 2920) are
// answered in order and replies are batched into one write per batch of input. While the loop
// waits for something slow (the acceptor, authentication, the acceptor reading the body) the socket
// is paused, so a client can never make us buffer more than one received chunk.
import type { Duplex } from 'node:stream';
import { Readable } from 'node:stream';
import type { Limits } from '../config/limits.js';
import type { Direction, Envelope, MessageAcceptor } from '../queue/types.js';
import { DataReader } from './data.js';
import { LineSplitter, domainOf, parseCommand, type Command, type MailParams } from './parser.js';
import { Replies, SmtpReply } from './reply.js';

/** Structural subset of pino's logger. Log objects carry ids, addresses' counts, codes: never content. */
export interface SmtpLogger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

/** Injected time source (tests use short real timers or a fake). */
export interface Clock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => {
    const t = setTimeout(fn, ms);
    t.unref?.();
    return t;
  },
  clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
};

export interface SessionOptions {
  role: Direction;
  hostname: string;
  limits: Limits;
  /** Wraps the plain socket in a server-side TLS socket that emits 'secure'; absent = no STARTTLS. */
  upgradeTls?: (plain: Duplex) => Duplex;
  isLocalDomain(domain: string): boolean;
  isAllowedClient(ip: string): boolean;
  authenticate?(user: string, pass: string): Promise<boolean>;
  acceptor: MessageAcceptor;
  logger: SmtpLogger;
  clock: Clock;
}

interface Transaction {
  sender: string;
  params: MailParams;
  recipients: string[];
  rcptAttempted: boolean;
}

interface DataState {
  reader: DataReader;
  body: Readable;
  result: Promise<SmtpReply>;
  /** The acceptor finished (or failed) before we ended the body. */
  settledEarly: SmtpReply | null;
  bodyEnded: boolean;
  bodyFailed: boolean;
  drain: (() => void) | null;
}

type Phase = 'command' | 'data' | 'auth' | 'tls' | 'closed';

/** How long a closing session waits for the client to hang up before dropping it. */
const LINGER_MS = 2000;
/** Body bytes buffered ahead of the acceptor before we pause the client. */
const BODY_HIGH_WATER = 256 * 1024;

export class SmtpSession {
  readonly closed: Promise<void>;
  private resolveClosed!: () => void;

  private socket: Duplex;
  private readonly plain: Duplex;
  private readonly splitter: LineSplitter;
  private readonly inbox: Buffer[] = [];
  private out: string[] = [];
  private phase: Phase = 'command';
  private running = false;
  private paused = false;
  private draining = false; // graceful shutdown requested
  private ended = false; // the client sent FIN

  private helo: string | null = null;
  private tls = false;
  private authUser: string | undefined;
  private auth: { mech: 'PLAIN' | 'LOGIN'; user?: string } | null = null;
  private tx: Transaction | null = null;
  private data: DataState | null = null;
  private errors = 0;

  private idleTimer: unknown = null;
  private sessionTimer: unknown = null;
  private lingerTimer: unknown = null;

  constructor(
    socket: Duplex,
    readonly clientIp: string,
    private readonly opts: SessionOptions,
  ) {
    this.socket = socket;
    this.plain = socket;
    this.splitter = new LineSplitter(opts.limits.commandLineLength);
    this.closed = new Promise((r) => (this.resolveClosed = r));
  }

  /** Send the greeting and start reading. */
  start(): void {
    const s = this.plain;
    s.on('data', this.onData);
    s.on('error', this.onError);
    s.on('close', this.onClose);
    s.on('end', this.onEnd);
    this.sessionTimer = this.opts.clock.setTimeout(() => this.timeout(Replies.sessionTimeout), this.opts.limits.sessionTimeout * 1000);
    this.armIdle();
    this.send(new SmtpReply(220, '', `${this.opts.hostname} ESMTP ready`));
    this.flush();
  }

  /** Graceful shutdown: an idle session gets 421 now; one inside DATA finishes its message first. */
  shutdown(): void {
    if (this.phase === 'closed') return;
    this.draining = true;
    if (!this.running && (this.phase === 'command' || this.phase === 'auth')) this.close(Replies.shuttingDown);
  }

  /** Drop the connection now (end of a grace period). */
  abort(): void {
    if (this.phase === 'closed') {
      this.socket.destroy();
      this.plain.destroy();
      return;
    }
    this.close(Replies.shuttingDown);
    this.socket.destroy();
    this.plain.destroy();
  }

  // ---- socket events -------------------------------------------------------------------------

  private readonly onData = (chunk: Buffer): void => {
    if (this.phase === 'closed') return;
    this.armIdle();
    this.inbox.push(chunk);
    if (this.inbox.length > 4) this.pause();
    this.kick();
  };

  private readonly onError = (err: Error): void => {
    this.opts.logger.debug({ clientIp: this.clientIp, code: (err as { code?: string }).code }, 'smtp socket error');
  };

  private readonly onEnd = (): void => {
    // The client finished sending (it may still read): answer what it sent, then close. A message
    // left unfinished is abandoned (the acceptor discards it).
    this.ended = true;
    if (this.phase === 'tls') this.close(null);
    else this.kick();
  };

  private readonly onClose = (): void => {
    if (this.phase !== 'closed') this.close(null);
    this.clearTimers();
    this.resolveClosed();
  };

  private pause(): void {
    if (!this.paused) {
      this.paused = true;
      this.socket.pause();
    }
  }

  private resume(): void {
    if (this.paused && this.phase !== 'closed' && this.phase !== 'tls') {
      this.paused = false;
      this.socket.resume();
    }
  }

  private armIdle(): void {
    const c = this.opts.clock;
    if (this.idleTimer !== null) c.clearTimeout(this.idleTimer);
    this.idleTimer = c.setTimeout(() => this.timeout(Replies.idleTimeout), this.opts.limits.idleTimeout * 1000);
  }

  private stopIdle(): void {
    if (this.idleTimer !== null) this.opts.clock.clearTimeout(this.idleTimer);
    this.idleTimer = null;
  }

  private clearTimers(): void {
    const c = this.opts.clock;
    this.stopIdle();
    if (this.sessionTimer !== null) c.clearTimeout(this.sessionTimer);
    this.sessionTimer = null;
  }

  private timeout(reply: SmtpReply): void {
    if (this.phase === 'closed') return;
    // The idle timer is stopped while we (not the client) are the slow side.
    this.opts.logger.info({ clientIp: this.clientIp, code: reply.code }, 'smtp session timed out');
    this.close(reply);
  }

  // ---- output --------------------------------------------------------------------------------

  private send(reply: SmtpReply): void {
    this.out.push(reply.toWire());
  }

  private flush(): void {
    if (this.out.length === 0) return;
    const text = this.out.length === 1 ? this.out[0]! : this.out.join('');
    this.out = [];
    if (!this.socket.destroyed && this.socket.writable) this.socket.write(text);
  }

  /** Send `reply` (if any), end the connection and stop reading. */
  private close(reply: SmtpReply | null): void {
    if (this.phase === 'closed') return;
    const inHandshake = this.phase === 'tls';
    this.phase = 'closed';
    this.clearTimers();
    this.inbox.length = 0;
    this.splitter.discard();
    this.failBody();
    if (inHandshake) {
      // No reply can be sent inside an unfinished TLS handshake: just drop the connection.
      this.socket.destroy();
      this.plain.destroy();
      return;
    }
    if (reply) this.send(reply);
    this.flush();
    if (!this.socket.destroyed) this.socket.end();
    this.lingerTimer = this.opts.clock.setTimeout(() => {
      this.socket.destroy();
      this.plain.destroy();
    }, LINGER_MS);
    void this.closed.then(() => {
      if (this.lingerTimer !== null) this.opts.clock.clearTimeout(this.lingerTimer);
    });
  }

  /** A command-phase reply; 5xx replies count against the error budget (not 552: a size refusal). */
  private reply(r: SmtpReply): void {
    if (r.code >= 500 && r.code !== 552) {
      this.errors++;
      if (this.errors > this.opts.limits.errorBudget) {
        this.opts.logger.info({ clientIp: this.clientIp, errors: this.errors }, 'smtp error budget exhausted');
        this.close(Replies.tooManyErrors);
        return;
      }
    }
    this.send(r);
  }

  // ---- the input loop ------------------------------------------------------------------------

  private kick(): void {
    if (this.running || this.phase === 'closed' || this.phase === 'tls') return;
    this.running = true;
    this.run().catch((err: unknown) => {
      // Defensive: run() handles its own errors; this only guards against a bug there.
      this.opts.logger.error({ clientIp: this.clientIp, err: String((err as Error)?.name) }, 'smtp session loop failed');
      this.close(Replies.localError);
    });
  }

  /** Process buffered input in order until more input is needed. */
  private async run(): Promise<void> {
    try {
      await this.loop();
    } finally {
      this.running = false;
    }
    // Input that arrived while the loop was finishing must not wait for the next packet.
    if ((this.inbox.length > 0 || this.ended) && this.phase !== 'closed' && this.phase !== 'tls') this.kick();
  }

  private async loop(): Promise<void> {
    for (;;) {
      if (this.phase === 'closed' || this.phase === 'tls') return;
      if (this.socket.writableNeedDrain) {
        // The client pipelines faster than it reads our replies: stop reading until it catches up
        // (replies never pile up in memory; the idle timer ends a client that never reads).
        this.flush();
        this.pause();
        await new Promise<void>((resolve) => {
          const done = () => {
            this.socket.off('drain', done);
            this.socket.off('close', done);
            resolve();
          };
          this.socket.on('drain', done);
          this.socket.on('close', done);
        });
        continue;
      }
      if (this.phase === 'data') {
        const chunk = this.inbox.shift();
        if (chunk === undefined) {
          if (this.ended) return this.close(null);
          break;
        }
        const wait = this.dataChunk(chunk);
        if (wait) await this.waitFor(wait);
        continue;
      }
      if (this.draining) {
        this.close(Replies.shuttingDown);
        return;
      }
      const ev = this.splitter.next();
      if (ev === null) {
        const chunk = this.inbox.shift();
        if (chunk === undefined) {
          if (this.ended) return this.close(null);
          break;
        }
        this.splitter.feed(chunk);
        continue;
      }
      let wait: Promise<void> | void = undefined;
      try {
        if (ev.kind !== 'line' && this.phase === 'auth') {
          this.phase = 'command';
          this.auth = null;
        }
        if (ev.kind === 'tooLong') wait = this.reply(Replies.lineTooLong);
        else if (ev.kind === 'bare') wait = this.reply(Replies.bareLineEndingCommand);
        else if (this.phase === 'auth') wait = this.authLine(ev.line);
        else wait = this.command(ev.line);
      } catch (err) {
        this.internalError(err);
      }
      if (wait) await this.waitFor(wait);
    }
    this.flush();
    this.resume();
  }

  /** Flush replies, pause input and stop the idle clock while we do something slow. */
  private async waitFor(p: Promise<void>): Promise<void> {
    this.flush();
    this.pause();
    this.stopIdle();
    try {
      await p;
    } catch (err) {
      this.internalError(err);
    }
    if (this.phase !== 'closed') this.armIdle();
  }

  private internalError(err: unknown): void {
    if (this.phase === 'closed') return;
    this.opts.logger.error({ clientIp: this.clientIp, err: err instanceof Error ? err.name : typeof err }, 'smtp internal error');
    if (this.data) {
      this.failBody();
      this.data = null;
      this.tx = null;
      this.phase = 'command';
    }
    this.send(SmtpReply.from(err));
  }

  // ---- commands ------------------------------------------------------------------------------

  private command(line: Buffer): Promise<void> | void {
    const cmd = parseCommand(line, this.tx?.params.smtputf8 ?? false);
    if (cmd instanceof SmtpReply) return this.reply(cmd);
    return this.dispatch(cmd);
  }

  private dispatch(cmd: Command): Promise<void> | void {
    switch (cmd.verb) {
      case 'EHLO':
      case 'HELO':
        return this.ehlo(cmd.verb, cmd.domain);
      case 'MAIL':
        return this.mail(cmd.address, cmd.params);
      case 'RCPT':
        return this.rcpt(cmd.address, cmd.params);
      case 'DATA':
        return this.startData();
      case 'RSET':
        this.tx = null;
        return this.reply(Replies.resetOk);
      case 'NOOP':
        return this.reply(Replies.noopOk);
      case 'QUIT':
        return this.close(Replies.bye);
      case 'VRFY':
        return this.reply(cmd.arg === '' ? Replies.paramSyntax : Replies.vrfy);
      case 'EXPN':
        return this.reply(Replies.expnRefused);
      case 'HELP':
        return this.reply(Replies.help);
      case 'STARTTLS':
        return this.startTls();
      case 'AUTH':
        return this.startAuth(cmd.mechanism, cmd.initial);
    }
  }

  private ehlo(verb: 'EHLO' | 'HELO', domain: string): void {
    this.helo = domain;
    this.tx = null;
    // RFC 2034 §3: the EHLO/HELO response carries no enhanced status code (keywords must parse).
    if (verb === 'HELO') return this.reply(new SmtpReply(250, '', this.opts.hostname));
    const lines = [
      this.opts.hostname,
      'PIPELINING',
      `SIZE ${this.opts.limits.messageSize}`,
      '8BITMIME',
      'ENHANCEDSTATUSCODES',
    ];
    if (this.opts.upgradeTls && !this.tls) lines.push('STARTTLS');
    if (this.opts.authenticate && this.tls) lines.push('AUTH PLAIN LOGIN');
    lines.push('SMTPUTF8', 'DSN');
    this.reply(new SmtpReply(250, '', lines.join('\n')));
  }

  private mayRelay(): boolean {
    return this.opts.role === 'inbound' || this.authUser !== undefined || this.opts.isAllowedClient(this.clientIp);
  }

  private mail(sender: string, params: MailParams): void {
    if (this.helo === null) return this.reply(Replies.needHelo);
    if (this.tx !== null) return this.reply(Replies.badSequence);
    // Outbound listener: a client outside smtp.outbound.clients that has not authenticated is refused
    // here, at MAIL (it may still EHLO, STARTTLS and AUTH first).
    if (!this.mayRelay()) return this.reply(Replies.clientNotAllowed);
    if (params.size !== undefined && params.size > this.opts.limits.messageSize) return this.reply(Replies.sizeExceeded);
    this.tx = { sender, params, recipients: [], rcptAttempted: false };
    this.reply(Replies.senderOk);
  }

  private rcpt(address: string, _params: unknown): void {
    const tx = this.tx;
    if (tx === null) return this.reply(this.helo === null ? Replies.needHelo : Replies.needMail);
    tx.rcptAttempted = true;
    if (tx.recipients.length >= this.opts.limits.recipientsPerMessage) return this.reply(Replies.tooManyRecipients);
    if (this.opts.role === 'inbound') {
      const domain = domainOf(address);
      // A bare "postmaster" (no domain) is always ours (RFC 5321 §4.5.1).
      if (domain !== '' && !this.opts.isLocalDomain(domain.toLowerCase())) return this.reply(Replies.relayDenied);
    } else if (!this.mayRelay()) {
      return this.reply(Replies.clientNotAllowed);
    }
    if (!tx.recipients.includes(address)) tx.recipients.push(address);
    this.reply(Replies.recipientOk);
  }

  // ---- STARTTLS ------------------------------------------------------------------------------

  private startTls(): Promise<void> | void {
    const upgrade = this.opts.upgradeTls;
    if (!upgrade) return this.reply(Replies.tlsUnavailable);
    if (this.tls) return this.reply(Replies.badSequence);
    if (this.helo === null) return this.reply(Replies.needHelo);
    this.send(Replies.readyTls);
    this.flush();
    // Anything the client sent after STARTTLS in plaintext is discarded, never executed after the
    // handshake (STARTTLS command injection, CVE-2011-0411 class).
    this.splitter.discard();
    this.inbox.length = 0;
    this.phase = 'tls';
    this.plain.off('data', this.onData);
    this.plain.pause();
    let secure: Duplex;
    try {
      secure = upgrade(this.plain);
    } catch (err) {
      this.internalError(err);
      this.close(null);
      return;
    }
    this.socket = secure;
    secure.on('error', this.onError);
    secure.on('secure', () => {
      if (this.phase !== 'tls') return;
      // RFC 3207 §4.2: forget everything learned before TLS; the client starts over with EHLO.
      this.tls = true;
      this.helo = null;
      this.tx = null;
      this.authUser = undefined;
      this.phase = 'command';
      this.paused = false;
      secure.on('data', this.onData);
      secure.on('end', this.onEnd);
      this.armIdle();
    });
    secure.on('close', () => {
      if (this.phase === 'tls') this.close(null);
    });
  }

  // ---- AUTH (RFC 4954), only over TLS ----------------------------------------------------------

  private startAuth(mechanism: string, initial: string | undefined): Promise<void> | void {
    if (!this.opts.authenticate) return this.reply(Replies.notImplemented);
    if (!this.tls) return this.reply(Replies.mustStartTls);
    if (this.helo === null) return this.reply(Replies.needHelo);
    if (this.authUser !== undefined || this.tx !== null) return this.reply(Replies.badSequence);
    if (mechanism === 'PLAIN') {
      this.auth = { mech: 'PLAIN' };
      if (initial === undefined) {
        this.phase = 'auth';
        return this.send(new SmtpReply(334, '', ''));
      }
      return this.authLine(Buffer.from(initial, 'latin1'));
    }
    if (mechanism === 'LOGIN') {
      this.auth = { mech: 'LOGIN' };
      this.phase = 'auth';
      if (initial === undefined) return this.send(new SmtpReply(334, '', 'VXNlcm5hbWU6'));
      return this.authLine(Buffer.from(initial, 'latin1'));
    }
    return this.reply(Replies.authMechanism);
  }

  private authLine(line: Buffer): Promise<void> | void {
    const auth = this.auth;
    this.phase = 'command';
    if (auth === null) return this.reply(Replies.badSequence);
    const text = line.toString('latin1');
    if (text === '*') {
      this.auth = null;
      return this.reply(Replies.authCancelled);
    }
    if (!/^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/.test(text) && text !== '=') {
      this.auth = null;
      return this.reply(Replies.authBadResponse);
    }
    const decoded = text === '=' ? '' : Buffer.from(text, 'base64').toString('utf8');
    if (auth.mech === 'LOGIN' && auth.user === undefined) {
      auth.user = decoded;
      this.phase = 'auth';
      return this.send(new SmtpReply(334, '', 'UGFzc3dvcmQ6'));
    }
    let user: string;
    let pass: string;
    if (auth.mech === 'PLAIN') {
      const parts = decoded.split('\0');
      if (parts.length !== 3 || (parts[0] !== '' && parts[0] !== parts[1])) {
        this.auth = null;
        return this.reply(Replies.authFailed);
      }
      user = parts[1]!;
      pass = parts[2]!;
    } else {
      user = auth.user ?? '';
      pass = decoded;
    }
    this.auth = null;
    return this.checkCredentials(user, pass);
  }

  private async checkCredentials(user: string, pass: string): Promise<void> {
    let ok = false;
    try {
      ok = user !== '' && (await this.opts.authenticate!(user, pass)) === true;
    } catch {
      this.reply(Replies.localError);
      return;
    }
    if (this.phase === 'closed') return;
    if (ok) {
      this.authUser = user;
      this.opts.logger.info({ clientIp: this.clientIp }, 'smtp client authenticated');
      this.reply(Replies.authOk);
    } else {
      this.reply(Replies.authFailed);
    }
  }

  // ---- DATA ----------------------------------------------------------------------------------

  private startData(): void {
    const tx = this.tx;
    if (this.helo === null) return this.reply(Replies.needHelo);
    if (tx === null) return this.reply(Replies.needMail);
    if (tx.recipients.length === 0) return this.reply(tx.rcptAttempted ? Replies.noValidRecipients : Replies.needRcpt);
    const limits = this.opts.limits;
    const reader = new DataReader({
      textLineLength: limits.textLineLength,
      headerSize: limits.headerSize,
      messageSize: limits.messageSize,
      mimeDepth: limits.mimeDepth,
      hopCount: limits.hopCount,
    });
    const state: DataState = {
      reader,
      body: null as unknown as Readable,
      result: null as unknown as Promise<SmtpReply>,
      settledEarly: null,
      bodyEnded: false,
      bodyFailed: false,
      drain: null,
    };
    state.body = new Readable({
      highWaterMark: BODY_HIGH_WATER,
      read: () => {
        const d = state.drain;
        state.drain = null;
        d?.();
      },
    });
    // The acceptor sees the error through its own listeners; this one keeps an unobserved
    // stream error from becoming an uncaught exception.
    state.body.on('error', () => {});
    const params: Record<string, string> = {};
    const p = tx.params;
    if (p.size !== undefined) params.SIZE = String(p.size);
    if (p.body) params.BODY = p.body;
    if (p.smtputf8) params.SMTPUTF8 = '';
    if (p.ret) params.RET = p.ret;
    if (p.envid) params.ENVID = p.envid;
    const envelope: Envelope = {
      direction: this.opts.role,
      sender: tx.sender,
      recipients: [...tx.recipients],
      clientIp: this.clientIp,
      clientHelo: this.helo,
      tls: this.tls,
      ...(this.authUser !== undefined ? { authUser: this.authUser } : {}),
      params,
      receivedAt: new Date(this.opts.clock.now()),
    };
    state.result = Promise.resolve()
      .then(() => this.opts.acceptor.accept(envelope, state.body))
      .then(
        (r) => (r instanceof SmtpReply ? r : Replies.localError),
        (err: unknown) => SmtpReply.from(err),
      )
      .then((r) => {
        if (!state.bodyEnded) {
          // The acceptor answered before it had the whole message: it cannot have stored it, so a
          // positive answer here is a bug and is treated as a local error (fail closed).
          state.settledEarly = r.positive ? Replies.localError : r;
          this.failBody(state);
        }
        return r;
      });
    this.data = state;
    this.phase = 'data';
    this.send(Replies.startData);
    // Pipelined bytes after DATA belong to the message.
    const rest = this.splitter.takeRest();
    if (rest.length > 0) this.inbox.unshift(rest);
  }

  /** Feed one chunk of DATA; returns a promise when we must wait (backpressure or end of data). */
  private dataChunk(chunk: Buffer): Promise<void> | void {
    const state = this.data!;
    const res = state.reader.feed(chunk);
    if (state.reader.error !== null) this.failBody(state);
    let wait = false;
    if (!state.bodyFailed) {
      for (const c of res.chunks) if (!state.body.push(c)) wait = true;
    }
    if (res.done) {
      if (res.rest.length > 0) this.inbox.unshift(res.rest);
      return this.finishData(state);
    }
    if (wait && !state.bodyFailed) {
      return new Promise<void>((resolve) => {
        state.drain = resolve;
        // The acceptor may fail instead of reading on: stop waiting then.
        void state.result.then(() => {
          state.drain = null;
          resolve();
        });
      });
    }
  }

  private async finishData(state: DataState): Promise<void> {
    const readerError = state.reader.error;
    if (readerError === null && !state.bodyFailed) {
      state.bodyEnded = true;
      state.body.push(null);
    } else {
      this.failBody(state);
    }
    const accepted = await state.result;
    this.data = null;
    this.tx = null;
    if (this.phase === 'closed') return;
    this.phase = 'command';
    const reply = readerError ?? state.settledEarly ?? accepted;
    // The queue id (from the acceptor's 250) ties this line to the queue's log lines for the message.
    const txn = reply.code === 250 ? /queued as (\S+)/.exec(reply.text)?.[1] : undefined;
    this.opts.logger.info(
      { ...(txn ? { txn } : {}), clientIp: this.clientIp, direction: this.opts.role, size: state.reader.bytes, code: reply.code, enhanced: reply.enhanced },
      'smtp message',
    );
    this.send(reply);
    if (readerError === Replies.bareLineEnding || readerError === Replies.nulInData) {
      // Bare CR/LF or NUL in DATA means a broken or hostile client (SMTP smuggling). Like Postfix's
      // smtpd_forbid_bare_newline, we do not trust anything else it sent: close (RFC 5321 §7.8).
      this.close(Replies.closingAfterBadData);
      return;
    }
    if (this.draining) this.close(Replies.shuttingDown);
  }

  /** Abort the acceptor's body stream so it discards what it stored. */
  private failBody(state: DataState | null = this.data): void {
    if (state === null || state.bodyFailed || state.bodyEnded) return;
    state.bodyFailed = true;
    state.body.destroy(new Error('message refused'));
  }
}
