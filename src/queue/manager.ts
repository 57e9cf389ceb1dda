// The queue manager: claims due messages (leases, so several nodes can share one database), runs
// the pipeline once per message, hands the result to the delivery agents, and records what
// happened: per-recipient status, retries with exponential backoff, expiry, and RFC 3464 DSNs to
// the sender. It never talks to the network itself (the agents do) and never accepts mail from
// clients (ingest does). Trust level: sees message bytes (passes them between spool, pipeline and
// agents); logs ids, states and counts only.
//
// Rules kept here:
// - Never a DSN for a message whose sender is '' (the null reverse-path): that is how DSN loops
//   are prevented. DSNs themselves are queued with sender ''.
// - A pipeline that throws is a temp-fail, never "deliver".
// - If variants do not cover every recipient, the message is held, never sent as the main body
//   (a per-recipient encrypted variant missing must not mean "send the plaintext").
// - Crash safety is at-least-once: a DSN is queued before the original is marked bounced, so a
//   crash in between can give a duplicate DSN, never a missing one.
import type { Limits } from '../config/limits.js';
import type { DeliveryAgent, RecipientResult } from '../delivery/types.js';
import type { StageMessage, Variant } from '../pipeline/stage.js';
import type { AuditEvent, AuditLog, MessagePatch, QueuedMessage, QueuedRecipient, Store } from '../store/types.js';
import { newQueueId } from './ingest.js';
import { errInfo, silentLogger, type Logger } from './logger.js';
import type { Direction, MessageState } from './types.js';

/** The result of running the pipeline stages over one message. */
export type PipelineOutcome =
  | { kind: 'deliver'; body?: Buffer; variants?: Variant[] }
  | { kind: 'hold'; reason: string }
  | { kind: 'reject'; reason: string }
  | { kind: 'tempfail'; reason: string };

/** Runs the stages for the message's direction. The envelope lists the recipients still pending. */
export type PipelineFn = (msg: StageMessage) => Promise<PipelineOutcome>;

/** Until the real stages exist: deliver the message as received. */
export const passThroughPipeline: PipelineFn = async () => ({ kind: 'deliver' });

/** Builds an RFC 3464 multipart/report DSN (src/delivery/dsn.ts implements it). */
export interface BounceBuilder {
  build(orig: QueuedMessage, origHeaders: Buffer, failed: RecipientResult[], reason: 'failed' | 'expired' | 'rejected'): Buffer;
}

export interface QueueManagerOptions {
  store: Store;
  /** This node's lease owner name (unique per process in a cluster). */
  owner: string;
  limits: Limits;
  clock: { now(): Date };
  pipeline?: PipelineFn;
  delivery: { inbound: DeliveryAgent; outbound: DeliveryAgent };
  bounce: BounceBuilder;
  /** Whether a domain is one of ours: decides the direction a DSN travels. */
  isLocalDomain: (domain: string) => boolean;
  /** Defaults to store.audit. */
  audit?: AuditLog;
  logger?: Logger;
  /** How often to look for due work when nobody kicks. Default 1000 ms. */
  pollIntervalMs?: number;
  /** How long `stop` lets in-flight deliveries finish before aborting them. Default 30 s. */
  stopGraceMs?: number;
  /**
   * At start, put messages left 'active' back in the queue at once: 'own' = leased to this owner
   * name (a restarted node with a stable name), 'all' = every active message (single-node SQLite,
   * where nothing else can hold a lease). Others are taken over when their lease expires.
   * Default: 'all' when the store says it is SQLite (single node), else 'own'.
   */
  recoverOnStart?: 'own' | 'all' | 'none';
  /** Host name for DSN envelopes (the DSN's "client HELO"). */
  hostname?: string;
  /**
   * Keep message bytes after a message is delivered or bounced. Default false: the bytes (PHI)
   * are removed once nothing needs them; the row (metadata) stays for `queue list` and reports.
   */
  retainBodies?: boolean;
  random?: () => number;
  idGen?: () => string;
}

export interface QueueManager {
  start(): void;
  /** Stop claiming; let in-flight work finish (up to stopGraceMs), else abort and re-queue it. */
  stop(): Promise<void>;
  /** Look for due work now. */
  kick(): void;
  /** One claim-and-process round, awaited (tests and tools). Returns how many messages it took. */
  runOnce(): Promise<number>;
}

/** Retry delay after `attempt` failed attempts (1-based): retryBase doubling up to retryMax, ±10%. */
export function retryDelayMs(attempt: number, limits: Pick<Limits, 'retryBase' | 'retryMax'>, random: () => number = Math.random): number {
  const exp = Math.min(Math.max(attempt - 1, 0), 40);
  const base = Math.min(limits.retryBase * 1000 * 2 ** exp, limits.retryMax * 1000);
  const jittered = base * (0.9 + 0.2 * random());
  return Math.max(1000, Math.round(Math.min(jittered, limits.retryMax * 1000)));
}

/** The header section of a message (up to the first empty line), at most `max` bytes. */
export function headerSection(msg: Buffer, max: number): Buffer {
  const end = msg.indexOf('\r\n\r\n');
  const cut = end < 0 ? msg.length : end + 2;
  return msg.subarray(0, Math.min(cut, max));
}

/** Defaults of the manager's own timings (the queue limits proper live in config/limits.ts). */
export const QUEUE_DEFAULTS = {
  /** Look for due work this often when nobody kicks. */
  pollIntervalMs: 1000,
  /** How long stop() lets in-flight deliveries run before aborting them. */
  stopGraceMs: 30_000,
  /** After aborting, how long to wait before releasing leases by force. */
  abortWaitMs: 5000,
  /** Lease renewal never more often than this. */
  minRenewMs: 1000,
} as const;

const OPEN: ReadonlySet<string> = new Set(['pending', 'deferred']);

/**
 * Spool key of a pipeline variant. A variant that may travel only over verified TLS (the 'tls'
 * protection method) says so in its key, so the requirement survives retries and restarts with
 * the recipient row (which stores the key) and needs no schema change.
 */
export const variantKey = (id: string, i: number, requireTls: boolean): string => `${id}.v${i}${requireTls ? '.tls' : ''}`;
export const variantRequiresTls = (key: string): boolean => /\.v\d+\.tls$/.test(key);

export function createQueueManager(opts: QueueManagerOptions): QueueManager {
  const { store, owner, limits, clock } = opts;
  const audit = opts.audit ?? store.audit;
  const log = opts.logger ?? silentLogger;
  const pipeline = opts.pipeline ?? passThroughPipeline;
  const pollMs = opts.pollIntervalMs ?? QUEUE_DEFAULTS.pollIntervalMs;
  const graceMs = opts.stopGraceMs ?? QUEUE_DEFAULTS.stopGraceMs;
  const leaseMs = limits.leaseTime * 1000;
  const random = opts.random ?? Math.random;
  const idGen = opts.idGen ?? (() => newQueueId(clock.now()));
  const hostname = opts.hostname ?? 'localhost';

  let running = false;
  let loopDone: Promise<void> | null = null;
  let wakeUp: (() => void) | null = null;
  const inflight = new Map<string, { ctl: AbortController; done: Promise<void>; msg: QueuedMessage }>();

  /** A kick that came while the loop was busy (claiming): the loop must not sleep past it. */
  let kickedWhileBusy = false;
  const kick = (): void => {
    const w = wakeUp;
    wakeUp = null;
    if (w) w();
    else kickedWhileBusy = true;
  };

  async function record(ev: AuditEvent): Promise<void> {
    try {
      await audit.append(ev);
    } catch (err) {
      // The delivery already happened; it cannot be undone. Make the gap loud instead.
      log.error({ txn: ev.messageId, type: ev.type, ...errInfo(err) }, 'audit append failed');
    }
  }

  function requeueState(m: QueuedMessage): MessageState {
    return m.processedKey === null ? 'incoming' : 'deferred';
  }

  /** Queue a DSN for `failed` recipients of `orig`; null when none is due (null sender). */
  async function sendDsn(orig: QueuedMessage, failed: RecipientResult[], reason: 'failed' | 'expired' | 'rejected'): Promise<string | null> {
    if (failed.length === 0) return null;
    if (orig.sender === '') {
      log.info({ txn: orig.id, rcpts: failed.length, reason }, 'no DSN for a null-sender message');
      return null;
    }
    let headers: Buffer = Buffer.alloc(0);
    try {
      headers = headerSection(await store.spool.read(orig.spoolKey), limits.headerSize);
    } catch (err) {
      log.warn({ txn: orig.id, ...errInfo(err) }, 'original headers unreadable for DSN');
    }
    const bytes = opts.bounce.build(orig, headers, failed, reason);
    const id = idGen();
    const now = clock.now();
    const { size } = await store.spool.write(id, bytes);
    const domain = orig.sender.slice(orig.sender.lastIndexOf('@') + 1).toLowerCase();
    const direction: Direction = opts.isLocalDomain(domain) ? 'inbound' : 'outbound';
    try {
      await store.queue.insert({
        id,
        direction,
        sender: '',
        clientIp: '127.0.0.1',
        clientHelo: hostname,
        tls: false,
        authUser: null,
        params: {},
        size,
        spoolKey: id,
        receivedAt: now,
        expiresAt: new Date(now.getTime() + limits.messageLifetime * 1000),
        recipients: [orig.sender],
      });
    } catch (err) {
      await store.spool.remove(id).catch(() => {});
      throw err;
    }
    await record({
      type: 'dsn-sent',
      actor: 'system',
      messageId: orig.id,
      data: { dsnId: id, to: orig.sender, direction, reason, recipients: failed.map((f) => f.address) },
    });
    log.info({ txn: orig.id, dsn: id, reason, rcpts: failed.length }, 'DSN queued');
    setImmediate(kick);
    return id;
  }

  /**
   * Defer the open recipients, or, once the message has expired, bounce them with one DSN. If the
   * DSN cannot be queued, the message stays deferred so the DSN is tried again next round.
   */
  async function deferOrExpire(m: QueuedMessage, reason: string, extra: MessagePatch, open: string[], stopping: boolean): Promise<void> {
    const now = clock.now();
    if (now.getTime() >= m.expiresAt.getTime() && open.length > 0) {
      const expired: RecipientResult[] = open.map((address) => {
        const prev = m.recipients.find((r) => r.address === address);
        return { address, status: 'failed', reply: prev?.lastReply ?? reason };
      });
      let dsnId: string | null = null;
      let dsnQueued = true;
      try {
        dsnId = await sendDsn(m, expired, 'expired');
      } catch (err) {
        log.error({ txn: m.id, ...errInfo(err) }, 'could not queue the expiry DSN; retrying later');
        dsnQueued = false;
      }
      if (dsnQueued) {
        const ok = await store.queue.update(m.id, owner, {
          ...extra,
          state: 'bounced',
          lastError: reason,
          nextAttempt: null,
          recipients: [
            ...(extra.recipients ?? []).filter((r) => !open.includes(r.address)),
            ...expired.map((e) => ({ address: e.address, status: 'failed' as const, lastReply: e.reply, doneAt: now })),
          ],
          releaseLease: true,
        });
        if (!ok) return lostLease(m);
        await purge(m, extra);
        await record({ type: 'bounced', actor: 'system', messageId: m.id, data: { reason: 'expired', recipients: open, dsnId, lastError: reason } });
        log.info({ txn: m.id, rcpts: open.length }, 'message expired');
        return;
      }
    }
    const attempts = extra.attempts ?? m.attempts;
    const next = stopping ? now : new Date(now.getTime() + retryDelayMs(Math.max(attempts, 1), limits, random));
    const ok = await store.queue.update(m.id, owner, {
      ...extra,
      state: extra.state ?? 'deferred',
      lastError: reason,
      nextAttempt: next,
      releaseLease: true,
    });
    if (!ok) return lostLease(m);
    await record({
      type: 'deferred',
      actor: 'system',
      messageId: m.id,
      data: { recipients: open, reason, attempts, nextAttempt: next.toISOString() },
    });
    log.info({ txn: m.id, rcpts: open.length, attempts, next: next.toISOString() }, 'message deferred');
  }

  /** Remove the spooled bytes of a message that reached a final state. */
  async function purge(m: QueuedMessage, carry: MessagePatch = {}): Promise<void> {
    if (opts.retainBodies) return;
    const keys = new Set<string>([m.spoolKey]);
    for (const k of [m.processedKey, carry.processedKey, ...m.recipients.map((r) => r.variant), ...(carry.recipients ?? []).map((r) => r.variant)]) {
      if (k) keys.add(k);
    }
    for (const k of keys) {
      // A leftover object is only garbage (its row says final); never worth failing over.
      await store.spool.remove(k).catch((err) => log.warn({ txn: m.id, ...errInfo(err) }, 'spool cleanup failed'));
    }
  }

  function lostLease(m: QueuedMessage): void {
    log.warn({ txn: m.id, owner }, 'lease lost; another node owns the message now');
  }

  /**
   * Run the pipeline once; returns the message ready for delivery plus the changes to record with
   * the delivery result (processed key, variants), or null when the message is settled. Those
   * changes are written together with the first delivery result, saving a commit per message; if
   * the node dies before that, the pipeline simply runs again.
   */
  async function runPipeline(m: QueuedMessage): Promise<{ msg: QueuedMessage; carry: MessagePatch } | null> {
    const open = m.recipients.filter((r) => OPEN.has(r.status)).map((r) => r.address);
    let body: Buffer;
    try {
      body = await store.spool.read(m.spoolKey);
    } catch (err) {
      log.error({ txn: m.id, ...errInfo(err) }, 'spooled message unreadable');
      await deferOrExpire(m, 'local error: spooled message unreadable', {}, open, false);
      return null;
    }
    let outcome: PipelineOutcome;
    // A privacy officer rejected this held message: return it to the sender (DSN with the reason).
    if (m.review?.kind === 'reject') outcome = { kind: 'reject', reason: `rejected by privacy review${m.review.reason ? `: ${m.review.reason}` : ''}` };
    else try {
      outcome = await pipeline({
        id: m.id,
        envelope: {
          direction: m.direction,
          sender: m.sender,
          recipients: open,
          clientIp: m.clientIp,
          clientHelo: m.clientHelo,
          tls: m.tls,
          ...(m.authUser ? { authUser: m.authUser } : {}),
          params: m.params,
          receivedAt: m.receivedAt,
        },
        body,
        // Approved after review (queue release --approve): the stages protect it and add a reviewSig.
        ...(m.review?.kind === 'approve' ? { review: { approvedBy: m.review.by, at: m.review.at, ...(m.review.reason ? { reason: m.review.reason } : {}) } } : {}),
      });
      if (!outcome || !['deliver', 'hold', 'reject', 'tempfail'].includes(outcome.kind)) {
        outcome = { kind: 'tempfail', reason: 'pipeline returned no valid outcome' };
      }
    } catch (err) {
      log.error({ txn: m.id, ...errInfo(err) }, 'pipeline failed');
      outcome = { kind: 'tempfail', reason: 'pipeline failed' };
    }

    if (outcome.kind === 'deliver' && outcome.variants) {
      const covered = new Set(outcome.variants.flatMap((v) => v.recipients));
      const missing = open.filter((a) => !covered.has(a));
      if (missing.length > 0) outcome = { kind: 'hold', reason: `pipeline variants do not cover ${missing.length} recipient(s)` };
    }

    switch (outcome.kind) {
      case 'deliver': {
        let processedKey = m.spoolKey;
        if (outcome.body) {
          processedKey = `${m.id}.p`;
          await store.spool.write(processedKey, outcome.body);
        }
        const variantOf = new Map<string, string>();
        for (const [i, v] of (outcome.variants ?? []).entries()) {
          const key = variantKey(m.id, i, v.requireTls === true);
          await store.spool.write(key, v.body);
          for (const a of v.recipients) if (!variantOf.has(a)) variantOf.set(a, key);
        }
        const rpatch = open.filter((a) => variantOf.has(a)).map((address) => ({ address, variant: variantOf.get(address)! }));
        return {
          msg: {
            ...m,
            processedKey,
            recipients: m.recipients.map((r): QueuedRecipient => (variantOf.has(r.address) ? { ...r, variant: variantOf.get(r.address)! } : r)),
          },
          carry: { processedKey, recipients: rpatch },
        };
      }
      case 'hold': {
        const ok = await store.queue.update(m.id, owner, { state: 'hold', holdReason: outcome.reason, releaseLease: true });
        if (!ok) return (lostLease(m), null);
        await record({ type: 'held', actor: 'system', messageId: m.id, data: { reason: outcome.reason } });
        log.info({ txn: m.id }, 'message held');
        return null;
      }
      case 'reject': {
        const now = clock.now();
        const failed: RecipientResult[] = open.map((address) => ({ address, status: 'failed', reply: `550 5.7.1 ${outcome.reason}` }));
        const dsnId = await sendDsn(m, failed, 'rejected');
        const ok = await store.queue.update(m.id, owner, {
          state: 'bounced',
          lastError: outcome.reason,
          nextAttempt: null,
          recipients: failed.map((f) => ({ address: f.address, status: 'failed', lastReply: f.reply, doneAt: now })),
          releaseLease: true,
        });
        if (!ok) return (lostLease(m), null);
        await purge(m);
        await record({ type: 'bounced', actor: 'system', messageId: m.id, data: { reason: 'rejected', verdict: outcome.reason, recipients: open, dsnId } });
        return null;
      }
      case 'tempfail':
        await deferOrExpire(m, outcome.reason, { attempts: m.attempts + 1 }, open, false);
        return null;
    }
  }

  /** Recipient patches merged per address (carried variant + this attempt's status). */
  function mergeRecipients(a: MessagePatch['recipients'] = [], b: MessagePatch['recipients'] = []): NonNullable<MessagePatch['recipients']> {
    const by = new Map<string, NonNullable<MessagePatch['recipients']>[number]>();
    for (const r of [...a, ...b]) by.set(r.address, { ...(by.get(r.address) ?? {}), ...r });
    return [...by.values()];
  }

  async function deliver(m: QueuedMessage, signal: AbortSignal, carry: MessagePatch = {}): Promise<void> {
    const open = m.recipients.filter((r) => OPEN.has(r.status));
    if (open.length === 0) {
      const failedAny = m.recipients.some((r) => r.status === 'failed');
      const ok = await store.queue.update(m.id, owner, { ...carry, state: failedAny ? 'bounced' : 'delivered', nextAttempt: null, releaseLease: true });
      if (!ok) lostLease(m);
      else await purge(m, carry);
      return;
    }
    const groups = new Map<string, string[]>();
    for (const r of open) {
      const key = r.variant ?? m.processedKey ?? m.spoolKey;
      groups.set(key, [...(groups.get(key) ?? []), r.address]);
    }
    const agent = opts.delivery[m.direction];
    const results: RecipientResult[] = [];
    for (const [key, recipients] of groups) {
      let got: RecipientResult[];
      try {
        const body = await store.spool.read(key);
        const requireTls = variantRequiresTls(key) ? { requireTls: true } : {};
        got = await agent.deliver({ messageId: m.id, direction: m.direction, sender: m.sender, recipients, body, params: m.params, ...requireTls }, signal);
      } catch (err) {
        log.error({ txn: m.id, ...errInfo(err) }, 'delivery attempt failed locally');
        got = [];
      }
      for (const address of recipients) {
        // A recipient the agent did not report on is not delivered: retry it (fail closed).
        const r = got.find((x) => x.address === address && ['delivered', 'deferred', 'failed'].includes(x.status));
        results.push(r ?? { address, status: 'deferred', reply: '451 4.3.0 local error during delivery' });
      }
    }

    const now = clock.now();
    const attempts = m.attempts + 1;
    const delivered = results.filter((r) => r.status === 'delivered');
    const failed = results.filter((r) => r.status === 'failed');
    const deferred = results.filter((r) => r.status === 'deferred');
    const rpatch: NonNullable<MessagePatch['recipients']> = results.map((r) => ({
      address: r.address,
      status: r.status,
      lastReply: r.reply.slice(0, 500),
      doneAt: r.status === 'deferred' ? null : now,
    }));

    if (delivered.length > 0) {
      await record({
        type: 'delivered',
        actor: 'system',
        messageId: m.id,
        data: { recipients: delivered.map((d) => d.address), replies: delivered.map((d) => d.reply.slice(0, 200)), remoteHosts: [...new Set(delivered.map((d) => d.remoteHost ?? ''))].filter(Boolean) },
      });
      log.info({ txn: m.id, rcpts: delivered.length }, 'delivered');
    }
    let dsnId: string | null = null;
    if (failed.length > 0) {
      try {
        dsnId = await sendDsn(m, failed, 'failed');
      } catch (err) {
        // No DSN could be queued: do not mark these recipients failed (the sender would never
        // learn); keep them deferred so the next round tries them, and the DSN, again. The
        // delivered ones are still recorded below, so they are not delivered twice.
        log.error({ txn: m.id, ...errInfo(err) }, 'could not queue a DSN; keeping failed recipients for retry');
        for (const f of failed) {
          f.status = 'deferred';
          const p = rpatch.find((r) => r.address === f.address);
          if (p) {
            p.status = 'deferred';
            p.doneAt = null;
          }
        }
        deferred.push(...failed.splice(0));
      }
    }
    if (failed.length > 0) {
      await record({
        type: 'bounced',
        actor: 'system',
        messageId: m.id,
        data: { reason: 'failed', recipients: failed.map((f) => f.address), replies: failed.map((f) => f.reply.slice(0, 200)), dsnId },
      });
    }

    if (deferred.length > 0) {
      const stopping = signal.aborted;
      await deferOrExpire(
        { ...m, recipients: m.recipients.map((r) => ({ ...r, lastReply: results.find((x) => x.address === r.address)?.reply ?? r.lastReply })) },
        deferred[0]!.reply.slice(0, 500),
        { ...carry, attempts, recipients: mergeRecipients(carry.recipients, rpatch) },
        deferred.map((d) => d.address),
        stopping,
      );
      return;
    }
    const failedAny = failed.length > 0 || m.recipients.some((r) => r.status === 'failed');
    const ok = await store.queue.update(m.id, owner, {
      ...carry,
      state: failedAny ? 'bounced' : 'delivered',
      attempts,
      nextAttempt: null,
      lastError: failedAny ? (failed[0]?.reply.slice(0, 500) ?? m.lastError) : null,
      recipients: mergeRecipients(carry.recipients, rpatch),
      releaseLease: true,
    });
    if (!ok) lostLease(m);
    else await purge(m, carry);
  }

  async function processOne(m: QueuedMessage, ctl: AbortController): Promise<void> {
    // Keep the lease while we work: renew at a third of its length; if it is lost, stop.
    const renew = setInterval(() => {
      store.queue
        .renewLease(m.id, owner, new Date(clock.now().getTime() + leaseMs))
        .then((ok) => {
          if (!ok) {
            lostLease(m);
            ctl.abort();
          }
        })
        .catch((err) => log.warn({ txn: m.id, ...errInfo(err) }, 'lease renewal failed'));
    }, Math.max(QUEUE_DEFAULTS.minRenewMs, Math.floor(leaseMs / 3)));
    try {
      // A rejection after review takes the pipeline path, which returns the message to its sender.
      if (m.processedKey === null || m.review?.kind === 'reject') {
        const ready = await runPipeline(m);
        if (ready) await deliver(ready.msg, ctl.signal, ready.carry);
      } else {
        await deliver(m, ctl.signal);
      }
    } catch (err) {
      // Storage trouble mid-way: put the message back for a later retry rather than leave it
      // active until its lease expires.
      log.error({ txn: m.id, ...errInfo(err) }, 'queue processing failed; re-queuing');
      const next = new Date(clock.now().getTime() + retryDelayMs(1, limits, random));
      await store.queue
        .update(m.id, owner, { state: requeueState(m), nextAttempt: next, lastError: 'local error in processing', releaseLease: true })
        .catch(() => {});
    } finally {
      clearInterval(renew);
    }
  }

  function launch(m: QueuedMessage): Promise<void> {
    const ctl = new AbortController();
    const done = processOne(m, ctl).finally(() => {
      inflight.delete(m.id);
      kick();
    });
    inflight.set(m.id, { ctl, done, msg: m });
    return done;
  }

  /** Claims up to the free delivery slots; `full` when it got all it asked for (more may be due). */
  async function claimBatch(): Promise<QueuedMessage[] & { full?: boolean }> {
    const free = limits.deliveryConcurrency - inflight.size;
    if (free <= 0) return [];
    const claimed: QueuedMessage[] & { full?: boolean } = await store.queue.claim(owner, clock.now(), leaseMs, free);
    claimed.full = claimed.length === free;
    return claimed;
  }

  async function recover(mode: 'own' | 'all'): Promise<void> {
    const active = await store.queue.list({ states: ['active'] });
    const now = clock.now();
    for (const m of active) {
      if (mode === 'own' && m.leaseOwner !== owner) continue;
      if (inflight.has(m.id)) continue;
      const ok = await store.queue.update(m.id, null, { state: requeueState(m), nextAttempt: now, releaseLease: true });
      if (ok) log.info({ txn: m.id }, 're-queued work left active by a previous run');
    }
  }

  async function loop(): Promise<void> {
    const mode = opts.recoverOnStart ?? ((store as { kind?: string }).kind === 'sqlite' ? 'all' : 'own');
    if (mode !== 'none') {
      await recover(mode).catch((err) => log.error({ ...errInfo(err) }, 'start-up recovery failed'));
    }
    while (running) {
      let claimed: QueuedMessage[] & { full?: boolean } = [];
      kickedWhileBusy = false;
      try {
        claimed = await claimBatch();
      } catch (err) {
        log.error({ ...errInfo(err) }, 'claiming work failed');
      }
      if (!running) {
        // stop() came while we were claiming: hand these straight back.
        for (const m of claimed) {
          await store.queue.update(m.id, owner, { state: requeueState(m), nextAttempt: clock.now(), releaseLease: true }).catch(() => {});
        }
        break;
      }
      for (const m of claimed) void launch(m);
      // A full batch means more may be due: claim again once slots free up (a finishing delivery
      // kicks); otherwise sleep until kicked or the poll interval passes.
      if ((claimed.full || kickedWhileBusy) && inflight.size < limits.deliveryConcurrency) continue;
      await new Promise<void>((resolve) => {
        const t = setTimeout(() => {
          wakeUp = null;
          resolve();
        }, pollMs);
        wakeUp = () => {
          clearTimeout(t);
          resolve();
        };
      });
      // Let the kicks of a burst (many sessions finishing together) arrive, then claim them in one
      // query rather than one query each.
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
  }

  return {
    start(): void {
      if (running) return;
      running = true;
      loopDone = loop();
    },
    kick,
    async runOnce(): Promise<number> {
      const claimed = await claimBatch();
      await Promise.all(claimed.map((m) => launch(m)));
      return claimed.length;
    },
    async stop(): Promise<void> {
      running = false;
      kick();
      await loopDone;
      loopDone = null;
      const all = (): Promise<unknown> => Promise.allSettled([...inflight.values()].map((f) => f.done));
      if (inflight.size === 0) return;
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([all(), new Promise((r) => (timer = setTimeout(r, graceMs)))]);
      clearTimeout(timer);
      if (inflight.size === 0) return;
      // Out of patience: abort the rest; their agents return 'deferred' and the messages are
      // re-queued due now. Whatever still has not finished a moment later is released by force.
      log.warn({ inflight: inflight.size }, 'stopping: aborting in-flight deliveries');
      for (const f of inflight.values()) f.ctl.abort();
      await Promise.race([all(), new Promise((r) => (timer = setTimeout(r, QUEUE_DEFAULTS.abortWaitMs)))]);
      clearTimeout(timer);
      for (const f of inflight.values()) {
        await store.queue
          .update(f.msg.id, owner, { state: requeueState(f.msg), nextAttempt: clock.now(), releaseLease: true })
          .catch(() => {});
      }
    },
  };
}
