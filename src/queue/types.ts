// Queue vocabulary shared by the SMTP listeners (which hand messages over), the queue manager and
// the delivery agents. Pure types.
import type { Readable } from 'node:stream';
import type { SmtpReply } from '../smtp/reply.js';

export type Direction = 'inbound' | 'outbound';

export type MessageState = 'incoming' | 'active' | 'deferred' | 'hold' | 'delivered' | 'bounced';

export type RecipientStatus = 'pending' | 'delivered' | 'deferred' | 'failed';

/** What the SMTP session learned about a transaction. Addresses are as given (no angle brackets). */
export interface Envelope {
  direction: Direction;
  /** '' is the null reverse-path (bounces). */
  sender: string;
  recipients: string[];
  clientIp: string;
  clientHelo: string;
  tls: boolean;
  authUser?: string;
  /** SMTP-level parameters worth keeping (e.g. BODY=8BITMIME, SIZE, ENVID, RET). */
  params?: Record<string, string>;
  receivedAt: Date;
}

/**
 * The one component that decides when a message is safe: the SMTP listener streams DATA into it and
 * sends its reply. It must resolve to a 250 reply ONLY after the bytes and envelope are durably
 * stored (file fsynced and database row committed). If `body` errors (client gone, limit exceeded),
 * the acceptor must discard what it wrote and reject.
 */
export interface MessageAcceptor {
  accept(envelope: Envelope, body: Readable): Promise<SmtpReply>;
}
