// Administrative queue operations behind `sealgate queue …` (and later the web console): list,
// show, retry, hold, release, delete. Each change is written to the audit trail with the actor.
// A message that a node is working on right now (active, lease still valid) is not changed under
// it: the operation reports false and can be repeated a moment later. Trust level: operator
// commands; sees envelopes, never message bytes.
import type { MessagePatch, QueuedMessage, Store } from '../store/types.js';
import type { Direction, MessageState } from './types.js';

export interface ReleaseOptions {
  /** Released after review (a later issue adds the reviewSig step through `onRelease`). */
  approve?: boolean;
}

export interface QueueAdminOptions {
  /** Who is acting, e.g. 'cli:root' or 'web:alice'. */
  actor: string;
  clock?: { now(): Date };
  /**
   * Called while releasing a held message, before it is queued again. May return extra changes
   * (e.g. a processed body key after a review signature); throwing aborts the release.
   */
  onRelease?: (msg: QueuedMessage, ctx: { approve: boolean; actor: string; reason?: string }) => Promise<MessagePatch | void>;
}

export interface QueueAdmin {
  list(filter?: { states?: MessageState[]; direction?: Direction; limit?: number }): Promise<QueuedMessage[]>;
  show(id: string): Promise<QueuedMessage | null>;
  /** incoming, deferred or hold → due now. */
  retry(id: string, reason?: string): Promise<boolean>;
  /** incoming or deferred (or active with an expired lease) → hold. */
  hold(id: string, reason?: string): Promise<boolean>;
  /** hold → queued again, due now. */
  release(id: string, reason?: string, opts?: ReleaseOptions): Promise<boolean>;
  /**
   * hold → queued again with a privacy-officer rejection: the queue manager returns it to the
   * sender with a DSN carrying `reason`, without running the pipeline.
   */
  reject(id: string, reason: string): Promise<boolean>;
  /** Delete the message and its spooled bytes. */
  remove(id: string, reason?: string): Promise<boolean>;
  /** Same as `remove` (the CLI verb). */
  delete(id: string, reason?: string): Promise<boolean>;
}

export function createQueueAdmin(store: Store, opts: QueueAdminOptions): QueueAdmin {
  const clock = opts.clock ?? { now: () => new Date() };
  const actor = opts.actor;

  const busy = (m: QueuedMessage): boolean =>
    m.state === 'active' && m.leaseUntil !== null && m.leaseUntil.getTime() > clock.now().getTime();
  /** Where a message goes when queued again: the pipeline has not run yet → incoming. */
  const queuedState = (m: QueuedMessage): MessageState => (m.processedKey === null ? 'incoming' : 'deferred');
  const note = (reason?: string): Record<string, string> => (reason ? { reason } : {});

  async function requeue(m: QueuedMessage, type: 'retried' | 'released' | 'review-rejected', reason: string | undefined, extra: MessagePatch, data: Record<string, unknown>): Promise<boolean> {
    const ok = await store.queue.update(m.id, null, {
      ...extra,
      state: extra.state ?? queuedState(m),
      nextAttempt: clock.now(),
      holdReason: null,
      releaseLease: true,
    });
    if (ok) await store.audit.append({ type, actor, messageId: m.id, data: { from: m.state, ...note(reason), ...data } });
    return ok;
  }

  const admin: QueueAdmin = {
    list: (filter) => store.queue.list(filter),
    show: (id) => store.queue.get(id),

    async retry(id, reason) {
      const m = await store.queue.get(id);
      // incoming is already due; accepting it keeps `retry` idempotent for scripts.
      if (!m || !['incoming', 'deferred', 'hold'].includes(m.state)) return false;
      return requeue(m, 'retried', reason, {}, {});
    },

    async hold(id, reason) {
      const m = await store.queue.get(id);
      if (!m || !['incoming', 'deferred', 'active'].includes(m.state) || busy(m)) return false;
      const why = reason ?? 'held by administrator';
      // releaseLease: a node that claimed it in the meantime loses the lease and leaves it alone.
      const ok = await store.queue.update(id, null, { state: 'hold', holdReason: why, releaseLease: true });
      if (ok) await store.audit.append({ type: 'held', actor, messageId: id, data: { from: m.state, reason: why } });
      return ok;
    },

    async release(id, reason, ropts = {}) {
      const m = await store.queue.get(id);
      if (!m || m.state !== 'hold') return false;
      const approve = ropts.approve === true;
      const extra = (await opts.onRelease?.(m, { approve, actor, ...(reason ? { reason } : {}) })) ?? {};
      // The approval travels with the message: the manager hands it to the stages (StageMessage.review).
      if (approve) extra.review = { kind: 'approve', by: actor, at: clock.now(), ...(reason ? { reason } : {}) };
      return requeue(m, 'released', reason, extra, { approve, holdReason: m.holdReason });
    },

    async reject(id, reason) {
      const m = await store.queue.get(id);
      if (!m || m.state !== 'hold') return false;
      const review = { kind: 'reject' as const, by: actor, at: clock.now(), reason };
      return requeue(m, 'review-rejected', reason, { review }, { holdReason: m.holdReason });
    },

    async remove(id, reason) {
      const m = await store.queue.get(id);
      if (!m || busy(m)) return false;
      const ok = await store.queue.remove(id);
      if (!ok) return false;
      // Bytes after the row: a crash in between leaves an orphan file, never a row without bytes.
      const keys = new Set([m.spoolKey, m.processedKey, ...m.recipients.map((r) => r.variant)].filter((k): k is string => !!k));
      for (const k of keys) await store.spool.remove(k).catch(() => {});
      await store.audit.append({
        type: 'deleted',
        actor,
        messageId: id,
        data: { from: m.state, sender: m.sender, recipients: m.recipients.map((r) => r.address), size: m.size, ...note(reason) },
      });
      return true;
    },
    delete: (id, reason) => admin.remove(id, reason),
  };
  return admin;
}
