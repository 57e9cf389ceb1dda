// Cache of idle SMTP connections per destination (address, port and TLS policy), so consecutive
// messages to one next hop reuse a session (RSET, pipelined with the next MAIL) instead of paying
// connect + greeting + EHLO + TLS again. Bounded per destination and in total; idle connections
// close after a short time and never keep the process alive.
// Trust level: holds sockets to untrusted servers; a connection with unread bytes is never reused.
import type { SmtpConnection } from './connection.js';

export interface PoolOptions {
  /** Idle connections are closed after this long (Postfix: 2 s). */
  idleMs: number;
  /** Messages per connection before it is closed. */
  maxUses: number;
  /** Oldest a connection may be when it is reused. */
  maxAgeMs: number;
  maxIdlePerDestination: number;
  maxIdleTotal: number;
}

export const DEFAULT_POOL: PoolOptions = {
  idleMs: 2_000,
  maxUses: 100,
  maxAgeMs: 300_000,
  maxIdlePerDestination: 32,
  maxIdleTotal: 256,
};

export class ConnectionCache {
  private readonly idle = new Map<string, SmtpConnection[]>();
  private idleCount = 0;
  closed = false;

  constructor(private readonly opts: PoolOptions) {}

  /** A clean idle connection for `key` (socket re-ref'd), or undefined. */
  take(key: string): SmtpConnection | undefined {
    const list = this.idle.get(key);
    while (list && list.length > 0) {
      const c = list.pop()!;
      this.idleCount--;
      if (c.idleTimer) clearTimeout(c.idleTimer);
      c.idleTimer = null;
      c.poolOff?.();
      c.poolOff = null;
      if (c.clean && Date.now() - c.createdAt < this.opts.maxAgeMs) {
        c.socket.ref();
        if (list.length === 0) this.idle.delete(key);
        return c;
      }
      c.fail(new Error('stale'));
    }
    this.idle.delete(key);
    return undefined;
  }

  /** Keep `conn` for reuse if it is clean and within limits, else QUIT it. */
  release(conn: SmtpConnection): void {
    const list = this.idle.get(conn.key) ?? [];
    if (
      this.closed ||
      !conn.clean ||
      conn.uses >= this.opts.maxUses ||
      Date.now() - conn.createdAt >= this.opts.maxAgeMs ||
      list.length >= this.opts.maxIdlePerDestination ||
      this.idleCount >= this.opts.maxIdleTotal
    ) {
      void conn.quit();
      return;
    }
    list.push(conn);
    this.idle.set(conn.key, list);
    this.idleCount++;
    // An idle connection must not keep the process alive.
    conn.socket.unref();
    conn.idleTimer = setTimeout(() => {
      const l = this.idle.get(conn.key);
      const i = l?.indexOf(conn) ?? -1;
      if (l && i >= 0) {
        l.splice(i, 1);
        this.idleCount--;
        if (l.length === 0) this.idle.delete(conn.key);
      }
      void conn.quit();
    }, this.opts.idleMs);
    conn.idleTimer.unref();
    // Remove from the cache as soon as the server closes it.
    conn.poolOff = conn.onFailure(() => {
      conn.poolOff?.();
      conn.poolOff = null;
      const l = this.idle.get(conn.key);
      const i = l?.indexOf(conn) ?? -1;
      if (l && i >= 0) {
        l.splice(i, 1);
        this.idleCount--;
        if (conn.idleTimer) clearTimeout(conn.idleTimer);
        if (l.length === 0) this.idle.delete(conn.key);
      }
    });
  }

  /** Number of cached idle connections (for tests and metrics). */
  get size(): number {
    return this.idleCount;
  }

  /** QUIT every cached connection; later releases QUIT at once. */
  async close(): Promise<void> {
    this.closed = true;
    const all = [...this.idle.values()].flat();
    this.idle.clear();
    this.idleCount = 0;
    await Promise.all(
      all.map((c) => {
        if (c.idleTimer) clearTimeout(c.idleTimer);
        return c.quit();
      }),
    );
  }
}
