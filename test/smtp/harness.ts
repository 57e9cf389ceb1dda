// Test-only harness: starts a real SMTP listener on 127.0.0.1 port 0 with an in-memory acceptor
// that stands in for the durable queue (it answers 250 only after it has read the whole body,
// and stores nothing when the body stream fails). Trust level: test harness.
import type { Readable } from 'node:stream';
import { defaultLimits, type Limits } from '../../src/config/limits.js';
import type { Envelope, MessageAcceptor } from '../../src/queue/types.js';
import { Replies, type SmtpReply } from '../../src/smtp/reply.js';
import { createSmtpListener, type SmtpListener, type SmtpListenerOptions } from '../../src/smtp/server.js';
import { SmtpTestClient } from './client.js';

export interface Stored {
  envelope: Envelope;
  data: Buffer;
}

export class MemoryAcceptor implements MessageAcceptor {
  readonly messages: Stored[] = [];
  attempts = 0;
  aborted = 0;

  async accept(envelope: Envelope, body: Readable): Promise<SmtpReply> {
    this.attempts++;
    const chunks: Buffer[] = [];
    try {
      for await (const c of body) chunks.push(c as Buffer);
    } catch {
      this.aborted++;
      throw new Error('body stream failed: /var/spool/secret-path disk detail');
    }
    this.messages.push({ envelope, data: Buffer.concat(chunks) });
    return Replies.queued(`T${this.messages.length}`);
  }
}

export const silent = { debug() {}, info() {}, warn() {}, error() {} };

export interface Harness {
  port: number;
  /** The in-memory acceptor (unused when `acceptor` was overridden). */
  store: MemoryAcceptor;
  listener: SmtpListener;
  connect(): Promise<SmtpTestClient>;
  /** Connect, read the banner and send EHLO. */
  session(helo?: string): Promise<SmtpTestClient>;
  close(): Promise<void>;
}

export async function startHarness(
  over: Partial<Omit<SmtpListenerOptions, 'limits'>> & { limits?: Partial<Limits> } = {},
): Promise<Harness> {
  const store = new MemoryAcceptor();
  const { limits: limitOver, ...rest } = over;
  const limits = { ...defaultLimits(), ...limitOver };
  const listener = createSmtpListener({
    role: 'inbound',
    hostname: 'mx.sealgate.test',
    limits,
    isLocalDomain: (d) => d === 'hospital.example' || d === 'clinic.example',
    isAllowedClient: () => false,
    acceptor: store,
    logger: silent,
    gracePeriodMs: 2000,
    ...rest,
  });
  const { port } = await listener.listen('127.0.0.1', 0);
  const clients: SmtpTestClient[] = [];
  const connect = async () => {
    const c = await SmtpTestClient.connect(port);
    clients.push(c);
    return c;
  };
  return {
    port,
    store,
    listener,
    connect,
    async session(helo = 'client.example') {
      const c = await connect();
      const banner = await c.reply();
      if (banner.code !== 220) throw new Error(`banner ${banner.raw}`);
      const e = await c.cmd(`EHLO ${helo}`);
      if (e.code !== 250) throw new Error(`EHLO ${e.raw}`);
      return c;
    },
    async close() {
      for (const c of clients) c.destroy();
      await listener.close(false);
    },
  };
}

/** MAIL, RCPT, DATA for one message; returns the reply to the end of data. */
export async function sendMessage(c: SmtpTestClient, from: string, to: string[], raw: Buffer | string): Promise<{ code: number; enhanced: string; raw: string }> {
  const m = await c.cmd(`MAIL FROM:<${from}>`);
  if (m.code !== 250) return m;
  for (const r of to) {
    const rr = await c.cmd(`RCPT TO:<${r}>`);
    if (rr.code !== 250) return rr;
  }
  const d = await c.cmd('DATA');
  if (d.code !== 354) return d;
  c.send(raw);
  return c.reply();
}
