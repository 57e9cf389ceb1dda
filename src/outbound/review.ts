// Privacy-officer review of messages the policy stage held: list them with the decision that held
// them, approve (the message goes out protected with a reviewSig) or reject (the sender gets a DSN
// with the reason). The operations behind `sealgate queue release ID --approve`, `sealgate queue
// reject ID --reason TEXT` and the web console. Each is audited with its actor by the queue admin
// (src/queue/admin.ts); the queue manager carries the review into the pipeline (StageMessage.review)
// or returns the message (reject). Trust level: operator actions; sees envelopes and decisions
// (scores, masked reasons), never message content.
import { createQueueAdmin } from '../queue/admin.js';
import type { QueuedMessage, Store } from '../store/types.js';

export interface ReviewContext {
  store: Store;
  /** Who is acting, e.g. 'cli:alice' or 'web:alice'. */
  actor: string;
  clock?: { now(): Date };
}

export type ReviewResult = { ok: true } | { ok: false; error: string };

/** Longest review reason kept (it goes into the DSN and the audit trail). */
export const MAX_REVIEW_REASON = 500;

export interface HeldForReview {
  message: QueuedMessage;
  /** The audit data of the last policy decision for it (action, score, masked reasons, why, notAllowed), if any. */
  decision: Record<string, unknown> | null;
}

function cleanReason(reason: string | undefined): string | undefined {
  // eslint-disable-next-line no-control-regex
  const r = reason?.replace(/[\u0000-\u001f\u007f]+/g, ' ').trim();
  return r ? r.slice(0, MAX_REVIEW_REASON) : undefined;
}

const notHeld = (id: string): ReviewResult => ({ ok: false, error: `message ${id} not found or not held` });

/** Release a held message after review: it is queued again and goes out protected, with a reviewSig. */
export async function approveHeld(c: ReviewContext, id: string, reason?: string): Promise<ReviewResult> {
  const admin = createQueueAdmin(c.store, { actor: c.actor, ...(c.clock ? { clock: c.clock } : {}) });
  const why = cleanReason(reason);
  return (await admin.release(id, why, { approve: true })) ? { ok: true } : notHeld(id);
}

/** Reject a held message after review: the sender gets a DSN with `reason` (required). */
export async function rejectHeld(c: ReviewContext, id: string, reason: string): Promise<ReviewResult> {
  const why = cleanReason(reason);
  if (!why) return { ok: false, error: 'a reason is required to reject a message' };
  const admin = createQueueAdmin(c.store, { actor: c.actor, ...(c.clock ? { clock: c.clock } : {}) });
  return (await admin.reject(id, why)) ? { ok: true } : notHeld(id);
}

/** Held messages with the policy decision that held them (newest decision per message). */
export async function listHeld(store: Store, limit = 500): Promise<HeldForReview[]> {
  const held = await store.queue.list({ states: ['hold'], limit });
  const out: HeldForReview[] = [];
  for (const message of held) {
    const ds = await store.audit.list({ messageId: message.id, type: 'policy-decision' });
    out.push({ message, decision: ds.length ? (ds[ds.length - 1]!.data as Record<string, unknown>) : null });
  }
  return out;
}
