// One outgoing SMTP connection: socket (plain, then TLS after STARTTLS), in-order reply reading,
// back-pressured writes and a sticky failure state. No protocol decisions are made here.
// Trust level: network-facing towards servers we do not trust; replies go through the bounded,
// pure ReplyParser.
import type net from 'node:net';
import { ReplyParser, ReplySyntaxError, type Reply } from './reply-parser.js';

/** Where to connect. `host` is an IP address or a name for the OS resolver. */
export interface Destination {
  host: string;
  port: number;
  /** Name of the next hop (MX host name, smarthost name) for logs, SNI and Remote-MTA. */
  name?: string;
}

/** How long a polite QUIT waits for its reply before the socket is destroyed. */
export const QUIT_WAIT_MS = 1_000;

/**
 * One SMTP connection. Replies are read in order; any failure (timeout, abort, protocol error,
 * close) is sticky and rejects every pending and later read.
 */
export class SmtpConnection {
  socket: net.Socket;
  readonly parser = new ReplyParser();
  ext = new Map<string, string>();
  tls = false;
  uses = 0;
  readonly createdAt = Date.now();
  failure: Error | null = null;
  /** A reply has been read on this connection since it was (re)used. */
  gotReply = false;
  idleTimer: NodeJS.Timeout | null = null;
  /** Removes the cache's close listener when the connection leaves the cache. */
  poolOff: (() => void) | null = null;
  private replies: Reply[] = [];
  private waiters: Array<{ resolve: (r: Reply) => void; reject: (e: Error) => void }> = [];
  private failListeners = new Set<(e: Error) => void>();

  constructor(
    readonly dest: Destination,
    readonly key: string,
    socket: net.Socket,
  ) {
    this.socket = socket;
    this.attach(socket);
  }

  private readonly onData = (chunk: Buffer) => {
    let replies: Reply[];
    try {
      replies = this.parser.push(chunk);
    } catch (e) {
      this.fail(e instanceof ReplySyntaxError ? e : new ReplySyntaxError('unreadable'));
      return;
    }
    for (const r of replies) {
      const w = this.waiters.shift();
      if (w) w.resolve(r);
      else this.replies.push(r);
    }
  };
  private readonly onError = (e: Error) => this.fail(e);
  private readonly onClose = () => this.fail(new Error('connection closed'));

  attach(socket: net.Socket): void {
    socket.on('data', this.onData);
    socket.on('error', this.onError);
    socket.on('close', this.onClose);
  }

  detach(socket: net.Socket): void {
    socket.off('data', this.onData);
    socket.off('error', this.onError);
    socket.off('close', this.onClose);
  }

  /** Complete replies received but not read yet. */
  get queued(): number {
    return this.replies.length;
  }

  /** Unsolicited bytes while idle (e.g. a 421 before closing) make the connection unusable. */
  get clean(): boolean {
    return this.failure === null && this.replies.length === 0 && this.parser.empty && !this.socket.destroyed;
  }

  fail(e: Error): void {
    if (this.failure) return;
    this.failure = e;
    this.socket.destroy();
    for (const w of this.waiters.splice(0)) w.reject(e);
    for (const l of [...this.failListeners]) l(e);
  }

  read(): Promise<Reply> {
    const r = this.replies.shift();
    if (r) {
      this.gotReply = true;
      return Promise.resolve(r);
    }
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      this.waiters.push({
        resolve: (x) => {
          this.gotReply = true;
          resolve(x);
        },
        reject,
      });
    });
  }

  write(data: string | Buffer): void {
    if (this.failure) throw this.failure;
    this.socket.write(data);
  }

  async command(line: string): Promise<Reply> {
    this.write(line + '\r\n');
    return this.read();
  }

  /** Write the dot-stuffed body, honouring back-pressure. */
  async writeBody(parts: Buffer[]): Promise<void> {
    const s = this.socket;
    // Small bodies: one write. Large bodies: chunked so back-pressure is honoured.
    if (parts.length <= 8) {
      s.cork();
      let ok = true;
      for (const p of parts) ok = s.write(p) && ok;
      s.uncork();
      if (!ok) await this.drained();
      return;
    }
    for (const p of parts) {
      if (this.failure) throw this.failure;
      if (!s.write(p)) await this.drained();
    }
  }

  private drained(): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      const onFail = (e: Error) => {
        this.socket.off('drain', onDrain);
        reject(e);
      };
      const onDrain = () => {
        this.failListeners.delete(onFail);
        resolve();
      };
      this.failListeners.add(onFail);
      this.socket.once('drain', onDrain);
    });
  }

  onFailure(l: (e: Error) => void): () => void {
    this.failListeners.add(l);
    return () => this.failListeners.delete(l);
  }

  /** Polite close: QUIT, then destroy after the reply or a short wait. */
  quit(): Promise<void> {
    if (this.failure || this.socket.destroyed) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(t);
        this.fail(new Error('closed by us'));
        resolve();
      };
      // Keep the process alive for this bounded wait: the idle socket is unref'd, and a shutdown
      // awaiting quit() must not end with the event loop empty (exit 13).
      this.socket.ref();
      const t = setTimeout(done, QUIT_WAIT_MS);
      try {
        this.command('QUIT').then(done, done);
      } catch {
        done();
      }
    });
  }
}
