// Delivery vocabulary: what the queue manager asks of a delivery agent. Pure types.
import type { Direction } from '../queue/types.js';

export interface DeliveryRequest {
  messageId: string;
  direction: Direction;
  sender: string;
  recipients: string[];
  body: Buffer;
  /** SMTP parameters to pass on where the next hop supports them (BODY, ENVID, RET, SMTPUTF8). */
  params?: Record<string, string>;
  /** Only over TLS 1.2+ with a verified server certificate; otherwise 'deferred', never plaintext. */
  requireTls?: boolean;
}

export interface RecipientResult {
  address: string;
  status: 'delivered' | 'deferred' | 'failed';
  /** The next hop's reply (e.g. '550 5.1.1 No such user') or our own description of a failure. */
  reply: string;
  /** Host that gave the reply, for DSN Remote-MTA. */
  remoteHost?: string;
}

/** Never throws: connection errors and timeouts come back as 'deferred' results. */
export interface DeliveryAgent {
  deliver(req: DeliveryRequest, signal?: AbortSignal): Promise<RecipientResult[]>;
}
