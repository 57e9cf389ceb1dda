// Ingest: the one component that decides when a message is safe. The SMTP listeners stream DATA
// into `accept`; it prepends our Received header, streams the bytes into the spool (durable on
// return), commits the message row and its recipients in one transaction, records `received` in
// the audit trail, and only then answers 250. Anything short of that is undone and answered with
// a temporary failure, so a client never sees 250 for a message we could lose. Trust level:
// network-facing data (untrusted bytes pass through, never parsed here, never logged).
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import type { Limits } from '../config/limits.js';
import { Replies, SmtpReply } from '../smtp/reply.js';
import type { AuditLog, Store } from '../store/types.js';
import { errInfo, silentLogger, type Logger } from './logger.js';
import { receivedHeader } from './received.js';
import type { Envelope, MessageAcceptor } from './types.js';

/**
 * Queue ids: 10 characters of time (base 36 milliseconds, so ids sort roughly by arrival) and 16
 * of randomness. Upper-case letters and digits only, so an id is always a safe spool key.
 */
export function newQueueId(now: Date = new Date()): string {
  const t = now.getTime().toString(36).toUpperCase().padStart(10, '0');
  return t + randomBytes(10).toString('hex').toUpperCase().slice(0, 16);
}

export interface AcceptorOptions {
  store: Store;
  hostname: string;
  limits: Limits;
  clock: { now(): Date };
  audit: AuditLog;
  logger?: Logger;
  idGen?: () => string;
  /** Called after a message is committed (the gateway wires the queue manager's `kick`). */
  onAccepted?: (id: string) => void;
}

/** Wait until a stream has ended or failed, discarding data; bounded by the listener's limits. */
function drain(body: Readable): Promise<void> {
  if (body.readableEnded || body.destroyed) return Promise.resolve();
  return new Promise((resolve) => {
    const done = (): void => {
      body.off('end', done).off('error', done).off('close', done);
      resolve();
    };
    body.on('end', done).on('error', done).on('close', done);
    body.resume();
  });
}

export function createAcceptor(opts: AcceptorOptions): MessageAcceptor {
  const log = opts.logger ?? silentLogger;
  const idGen = opts.idGen ?? (() => newQueueId(opts.clock.now()));
  const { store, audit } = opts;

  return {
    async accept(envelope: Envelope, body: Readable): Promise<SmtpReply> {
      if (envelope.recipients.length === 0) {
        await drain(body);
        throw Replies.noValidRecipients;
      }
      const id = idGen();
      const trace = Buffer.from(receivedHeader(envelope, opts.hostname, id), 'latin1');

      // Errors from the client's stream are told apart from storage errors: the former carry the
      // listener's reply (e.g. 552 5.3.4), the latter become 452 4.3.1.
      let bodyError: unknown = null;
      async function* withTrace(): AsyncGenerator<Buffer> {
        yield trace;
        try {
          // destroyOnReturn false: if storage fails first, the listener's stream stays usable and is
          // drained below, so the client still gets exactly one reply after its final dot.
          for await (const chunk of body.iterator({ destroyOnReturn: false })) {
            yield Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string);
          }
        } catch (err) {
          bodyError = err ?? new Error('body stream failed');
          throw bodyError;
        }
      }

      let size: number;
      try {
        ({ size } = await store.spool.write(id, Readable.from(withTrace())));
      } catch (err) {
        await store.spool.remove(id).catch(() => {});
        if (bodyError !== null) {
          log.info({ txn: id, client: envelope.clientIp, reply: SmtpReply.from(bodyError).code }, 'message data aborted');
          throw SmtpReply.from(bodyError);
        }
        log.error({ txn: id, ...errInfo(err) }, 'spool write failed');
        await drain(body);
        throw Replies.storageError;
      }
      if (size > opts.limits.messageSize + trace.length) {
        // The listener enforces the size limit; this is a second line of defence, not the first.
        await store.spool.remove(id).catch(() => {});
        throw Replies.sizeExceeded;
      }

      const now = opts.clock.now();
      try {
        await store.queue.insert({
          id,
          direction: envelope.direction,
          sender: envelope.sender,
          clientIp: envelope.clientIp,
          clientHelo: envelope.clientHelo,
          tls: envelope.tls,
          authUser: envelope.authUser ?? null,
          params: envelope.params ?? {},
          size,
          spoolKey: id,
          receivedAt: envelope.receivedAt,
          expiresAt: new Date(now.getTime() + opts.limits.messageLifetime * 1000),
          recipients: envelope.recipients,
        });
      } catch (err) {
        log.error({ txn: id, ...errInfo(err) }, 'queue insert failed');
        await store.spool.remove(id).catch(() => {});
        throw Replies.storageError;
      }

      try {
        await audit.append({
          type: 'received',
          actor: `smtp:${envelope.clientIp}`,
          messageId: id,
          data: {
            direction: envelope.direction,
            sender: envelope.sender,
            recipients: [...new Set(envelope.recipients)],
            size,
            clientIp: envelope.clientIp,
            tls: envelope.tls,
            ...(envelope.authUser ? { authUser: envelope.authUser } : {}),
          },
        });
      } catch (err) {
        // Fail closed: a message the audit trail does not know about is not accepted. Undo it; if
        // even that fails, the message stays queued (answering 4xx then risks one duplicate,
        // which is better than a loss).
        log.error({ txn: id, ...errInfo(err) }, 'audit append failed; undoing accept');
        const removed = await store.queue.remove(id).catch(() => false);
        if (removed) await store.spool.remove(id).catch(() => {});
        throw Replies.storageError;
      }

      try {
        // The row and its audit record are committed; make them durable before the 250.
        await store.durable();
      } catch (err) {
        // The message may still be queued and delivered (a possible duplicate if the client
        // retries), but we never promise what we could not make durable.
        log.error({ txn: id, ...errInfo(err) }, 'database sync failed');
        throw Replies.storageError;
      }

      log.info({ txn: id, direction: envelope.direction, rcpts: envelope.recipients.length, size }, 'message queued');
      try {
        opts.onAccepted?.(id);
      } catch {
        // A wake-up hook failing must not turn a committed message into an error reply.
      }
      return Replies.queued(id);
    },
  };
}
