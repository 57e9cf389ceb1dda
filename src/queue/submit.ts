// Messages the gateway writes itself (hold notices, PKCS#12 emails, pending-certificate requests,
// portal notifications, review DSNs) enter the queue exactly like received mail: spooled, inserted,
// audited and made durable before `submit` resolves. They carry `params.origin` (a name such as
// 'pkcs12' or 'hold-notice'), which the SMTP listeners never set, so later stages can recognize them
// (e.g. the outbound protection stage never encrypts a PKCS#12 email to the certificate it carries).
// Trust level: gateway-internal; sees the bytes it is handed.
import { Readable } from 'node:stream';
import { createAcceptor, newQueueId, type AcceptorOptions } from './ingest.js';
import type { Direction, Envelope } from './types.js';

export interface LocalMessage {
  direction: Direction;
  /** Envelope sender ('' for none, like DSNs: no bounce loops). */
  sender: string;
  recipients: string[];
  /** Complete RFC 5322 message, CRLF line endings. */
  body: Buffer;
  /** What produced it, e.g. 'pkcs12', 'issue-notice', 'hold-notice', 'pending-request', 'portal-notice'. */
  origin: string;
}

export interface LocalSubmitter {
  /** Queues the message durably; resolves to its queue id. Throws (an SmtpReply) if it could not be stored. */
  submit(m: LocalMessage): Promise<string>;
}

/** The origin of a message the gateway generated itself, or undefined for received mail. */
export const gatewayOrigin = (env: Pick<Envelope, 'params'>): string | undefined => env.params?.origin;

export function createLocalSubmitter(opts: Omit<AcceptorOptions, 'idGen'>): LocalSubmitter {
  return {
    async submit(m) {
      let id = '';
      const acceptor = createAcceptor({ ...opts, idGen: () => (id = newQueueId(opts.clock.now())) });
      await acceptor.accept(
        {
          direction: m.direction,
          sender: m.sender,
          recipients: m.recipients,
          clientIp: '127.0.0.1',
          clientHelo: opts.hostname,
          tls: true,
          params: { origin: m.origin },
          receivedAt: opts.clock.now(),
        },
        Readable.from([m.body]),
      );
      return id;
    },
  };
}
