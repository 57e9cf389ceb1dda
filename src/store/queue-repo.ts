// The queue repository over kysely: message rows, per-recipient status and leases. Same SQL on
// SQLite and PostgreSQL except where marked. Trust level: holds envelope metadata (addresses),
// never message bytes.
//
// Leases: `claim` marks due rows active and leased to one owner until a deadline. On PostgreSQL the
// candidate rows are picked with `FOR UPDATE SKIP LOCKED` inside `UPDATE … WHERE id IN (…)
// RETURNING`, and the outer UPDATE repeats the "due" condition, so a row another process claimed
// and committed in the meantime is re-checked against its new version and skipped. SQLite has one
// writer at a time, so the same statement inside a transaction is already exclusive.
import { sql, type Expression, type ExpressionBuilder, type Kysely, type Selectable, type SqlBool, type Transaction } from 'kysely';
import type { Direction, MessageState, RecipientStatus } from '../queue/types.js';
import type { MessagePatch, NewMessage, QueuedMessage, QueuedRecipient, QueueRepository, ReviewRecord } from './types.js';
import { GroupCommit } from './group-commit.js';
import type { Database, DbKind, MessagesTable, RecipientsTable } from './schema.js';

const num = (v: number | string): number => (typeof v === 'number' ? v : Number(v));
const date = (v: number | string | null): Date | null => (v === null ? null : new Date(num(v)));

/** The review column (JSON); a damaged value reads as no review (a held message stays held). */
function parseReview(v: string | null | undefined): ReviewRecord | null {
  if (!v) return null;
  try {
    const r = JSON.parse(v) as { kind?: unknown; by?: unknown; at?: unknown; reason?: unknown };
    if ((r.kind !== 'approve' && r.kind !== 'reject') || typeof r.by !== 'string' || typeof r.at !== 'number') return null;
    return { kind: r.kind, by: r.by, at: new Date(r.at), ...(typeof r.reason === 'string' ? { reason: r.reason } : {}) };
  } catch {
    return null;
  }
}

const reviewJson = (r: ReviewRecord | null): string | null =>
  r ? JSON.stringify({ kind: r.kind, by: r.by, at: r.at.getTime(), ...(r.reason !== undefined ? { reason: r.reason } : {}) }) : null;

function rowToMessage(m: Selectable<MessagesTable>, rcpts: Selectable<RecipientsTable>[]): QueuedMessage {
  let params: Record<string, string> = {};
  try {
    const parsed: unknown = JSON.parse(m.params);
    if (parsed && typeof parsed === 'object') params = parsed as Record<string, string>;
  } catch {
    // A damaged params column must not make the message unreadable; delivery works without it.
  }
  return {
    id: m.id,
    direction: m.direction as Direction,
    state: m.state as MessageState,
    sender: m.sender,
    clientIp: m.client_ip,
    clientHelo: m.client_helo,
    tls: m.tls === 1,
    authUser: m.auth_user,
    params,
    size: num(m.size),
    spoolKey: m.spool_key,
    processedKey: m.processed_key,
    receivedAt: new Date(num(m.received_at)),
    attempts: m.attempts,
    nextAttempt: date(m.next_attempt),
    lastError: m.last_error,
    expiresAt: new Date(num(m.expires_at)),
    holdReason: m.hold_reason,
    leaseOwner: m.lease_owner,
    leaseUntil: date(m.lease_until),
    review: parseReview(m.review),
    recipients: rcpts
      .sort((a, b) => a.idx - b.idx)
      .map(
        (r): QueuedRecipient => ({
          address: r.address,
          status: r.status as RecipientStatus,
          variant: r.variant,
          lastReply: r.last_reply,
          doneAt: date(r.done_at),
        }),
      ),
  };
}

/** Rows that may be claimed at `now`: new, due for retry, or active under an expired lease. */
function due(now: number) {
  return (eb: ExpressionBuilder<Database, 'messages'>): Expression<SqlBool> =>
    eb.or([
      eb('state', '=', 'incoming'),
      eb.and([eb('state', '=', 'deferred'), eb.or([eb('next_attempt', 'is', null), eb('next_attempt', '<=', now)])]),
      eb.and([eb('state', '=', 'active'), eb.or([eb('lease_until', 'is', null), eb('lease_until', '<', now)])]),
    ]);
}

export class KyselyQueueRepository implements QueueRepository {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly kind: DbKind,
  ) {}

  /** Concurrent inserts share a transaction (see group-commit.ts). */
  private readonly inserts = new GroupCommit<NewMessage, void>((msgs) => this.insertBatch(msgs));

  async insert(msg: NewMessage): Promise<void> {
    if (msg.recipients.length === 0) throw new Error('message has no recipients');
    return this.inserts.submit(msg);
  }

  private async insertBatch(msgs: NewMessage[]): Promise<void[]> {
    await this.db.transaction().execute(async (trx) => {
      await trx
        .insertInto('messages')
        .values(
          msgs.map((msg) => ({
            id: msg.id,
            direction: msg.direction,
            state: 'incoming',
            sender: msg.sender,
            client_ip: msg.clientIp,
            client_helo: msg.clientHelo,
            tls: msg.tls ? 1 : 0,
            auth_user: msg.authUser,
            params: JSON.stringify(msg.params ?? {}),
            size: msg.size,
            spool_key: msg.spoolKey,
            processed_key: null,
            received_at: msg.receivedAt.getTime(),
            attempts: 0,
            next_attempt: null,
            last_error: null,
            expires_at: msg.expiresAt.getTime(),
            hold_reason: null,
            lease_owner: null,
            lease_until: null,
            updated_at: msg.receivedAt.getTime(),
          })),
        )
        .execute();
      await trx
        .insertInto('recipients')
        .values(
          msgs.flatMap((msg) =>
            // Duplicate RCPTs of one address are one recipient (one delivery, one status).
            [...new Set(msg.recipients)].map((address, idx) => ({
              message_id: msg.id,
              idx,
              address,
              status: 'pending',
              variant: null,
              last_reply: null,
              done_at: null,
            })),
          ),
        )
        .execute();
    });
    return msgs.map(() => undefined);
  }

  async claim(owner: string, now: Date, leaseMs: number, limit: number): Promise<QueuedMessage[]> {
    if (limit < 1) return [];
    const t = now.getTime();
    return this.db.transaction().execute(async (trx) => {
      let candidates = trx
        .selectFrom('messages')
        .select('id')
        .where(due(t))
        .orderBy(sql`coalesce(next_attempt, received_at)`)
        .limit(limit);
      // Dialect difference: SQLite has no row locks (and rejects the syntax); its single writer
      // makes the statement exclusive anyway.
      if (this.kind === 'postgres') candidates = candidates.forUpdate().skipLocked();
      // SQLite: pick the ids first, then update by primary key (planning the update around an
      // IN-subquery made it walk the state indexes again for every claim).
      let ids: string[] | null = null;
      if (this.kind === 'sqlite') {
        ids = (await candidates.execute()).map((r) => r.id);
        if (ids.length === 0) return [];
      }
      const rows = await trx
        .updateTable('messages')
        .set({ state: 'active', lease_owner: owner, lease_until: t + leaseMs, updated_at: t })
        .where('id', 'in', ids ?? candidates)
        .where(due(t))
        .returningAll()
        .execute();
      if (rows.length === 0) return [];
      const rcpts = await trx
        .selectFrom('recipients')
        .selectAll()
        .where(
          'message_id',
          'in',
          rows.map((r) => r.id),
        )
        .execute();
      return rows
        .sort((a, b) => num(a.next_attempt ?? a.received_at) - num(b.next_attempt ?? b.received_at))
        .map((r) => rowToMessage(r, rcpts.filter((x) => x.message_id === r.id)));
    });
  }

  async renewLease(id: string, owner: string, until: Date): Promise<boolean> {
    const res = await this.db
      .updateTable('messages')
      .set({ lease_until: until.getTime() })
      .where('id', '=', id)
      .where('lease_owner', '=', owner)
      .where('state', '=', 'active')
      .executeTakeFirst();
    return Number(res.numUpdatedRows) > 0;
  }

  /** Concurrent updates (delivery results of many messages) share a transaction. */
  private readonly updates = new GroupCommit<{ id: string; owner: string | null; patch: MessagePatch }, boolean>((items) =>
    this.db.transaction().execute(async (trx) => {
      const out: boolean[] = [];
      for (const u of items) out.push(await this.applyUpdate(trx, u.id, u.owner, u.patch));
      return out;
    }),
  );

  update(id: string, owner: string | null, patch: MessagePatch): Promise<boolean> {
    return this.updates.submit({ id, owner, patch });
  }

  private async applyUpdate(trx: Transaction<Database>, id: string, owner: string | null, patch: MessagePatch): Promise<boolean> {
    const set: Partial<Record<keyof MessagesTable, unknown>> = { updated_at: Date.now() };
    if (patch.state !== undefined) set.state = patch.state;
    if (patch.processedKey !== undefined) set.processed_key = patch.processedKey;
    if (patch.attempts !== undefined) set.attempts = patch.attempts;
    if (patch.nextAttempt !== undefined) set.next_attempt = patch.nextAttempt?.getTime() ?? null;
    if (patch.lastError !== undefined) set.last_error = patch.lastError;
    if (patch.holdReason !== undefined) set.hold_reason = patch.holdReason;
    if (patch.review !== undefined) set.review = reviewJson(patch.review);
    if (patch.releaseLease) {
      set.lease_owner = null;
      set.lease_until = null;
    }
    let q = trx.updateTable('messages').set(set as never).where('id', '=', id);
    if (owner !== null) q = q.where('lease_owner', '=', owner);
    const res = await q.executeTakeFirst();
    if (Number(res.numUpdatedRows) === 0) return false;
    for (const r of patch.recipients ?? []) {
      const rs: Partial<Record<keyof RecipientsTable, unknown>> = {};
      if (r.status !== undefined) rs.status = r.status;
      if (r.variant !== undefined) rs.variant = r.variant;
      if (r.lastReply !== undefined) rs.last_reply = r.lastReply;
      if (r.doneAt !== undefined) rs.done_at = r.doneAt?.getTime() ?? null;
      if (Object.keys(rs).length === 0) continue;
      await trx
        .updateTable('recipients')
        .set(rs as never)
        .where('message_id', '=', id)
        .where('address', '=', r.address)
        .execute();
    }
    return true;
  }

  async get(id: string): Promise<QueuedMessage | null> {
    const m = await this.db.selectFrom('messages').selectAll().where('id', '=', id).executeTakeFirst();
    if (!m) return null;
    const rcpts = await this.db.selectFrom('recipients').selectAll().where('message_id', '=', id).execute();
    return rowToMessage(m, rcpts);
  }

  async list(filter: { states?: MessageState[]; limit?: number; direction?: Direction } = {}): Promise<QueuedMessage[]> {
    let q = this.db.selectFrom('messages').selectAll().orderBy('received_at').orderBy('id');
    if (filter.states && filter.states.length > 0) q = q.where('state', 'in', filter.states);
    if (filter.direction) q = q.where('direction', '=', filter.direction);
    if (filter.limit !== undefined) q = q.limit(Math.max(1, Math.floor(filter.limit)));
    const rows = await q.execute();
    if (rows.length === 0) return [];
    const byId = new Map<string, Selectable<RecipientsTable>[]>();
    // Chunked so a long list never exceeds the bound-parameter limit (SQLite: 32766).
    for (let i = 0; i < rows.length; i += 500) {
      const ids = rows.slice(i, i + 500).map((r) => r.id);
      const rcpts = await this.db.selectFrom('recipients').selectAll().where('message_id', 'in', ids).execute();
      for (const r of rcpts) {
        const l = byId.get(r.message_id) ?? [];
        l.push(r);
        byId.set(r.message_id, l);
      }
    }
    return rows.map((r) => rowToMessage(r, byId.get(r.id) ?? []));
  }

  async remove(id: string): Promise<boolean> {
    return this.db.transaction().execute(async (trx) => {
      await trx.deleteFrom('recipients').where('message_id', '=', id).execute();
      const res = await trx.deleteFrom('messages').where('id', '=', id).executeTakeFirst();
      return Number(res.numDeletedRows) > 0;
    });
  }
}
