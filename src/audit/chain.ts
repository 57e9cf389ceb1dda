// The audit trail core: an append-only, hash-chained log of what happened to messages and who
// changed what. Each record's hash is SHA-256 over a canonical serialization of all its fields,
// including the previous record's hash; `audit_head` holds the newest seq and hash and is updated
// in the same transaction as the insert, so removing the newest rows is detected as well.
// Trust level: records metadata only (ids, addresses, sizes, verdicts); never message content or
// key material. The chain is unkeyed: it proves the log is internally consistent, so someone who
// can rewrite every row and the head can forge it; anchoring the head elsewhere is the answer to
// that, and is out of scope here.
import { GroupCommit } from '../store/group-commit.js';
import { createHash } from 'node:crypto';
import type { Kysely, Selectable } from 'kysely';
import type { AuditEvent, AuditLog, AuditRecord, AuditVerifyResult } from '../store/types.js';
import type { AuditTable, Database, DbKind } from '../store/schema.js';

/** prev_hash of the first audit record (and the head of an empty chain). */
export const AUDIT_GENESIS = '0'.repeat(64);
const FORMAT = 'sealgate-audit-v1';
/** Records read per page while verifying, so memory stays bounded for long chains. */
const VERIFY_PAGE = 1000;

/**
 * JSON with object keys sorted at every level, so the same data always gives the same text.
 * Values JSON cannot represent (undefined, functions) are dropped, Dates become ISO strings, and
 * non-finite numbers become null, as JSON.stringify would do.
 */
export function canonicalJson(value: unknown): string {
  const norm = (v: unknown): unknown => {
    if (v === null || typeof v !== 'object') {
      if (typeof v === 'number' && !Number.isFinite(v)) return null;
      if (typeof v === 'bigint') return v.toString();
      return v;
    }
    if (v instanceof Date) return v.toISOString();
    if (Buffer.isBuffer(v)) throw new Error('audit data must be metadata, not bytes');
    if (Array.isArray(v)) return v.map((x) => (x === undefined || typeof x === 'function' ? null : norm(x)));
    // Null prototype: a key named "__proto__" stays an ordinary field instead of vanishing.
    const out: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
    for (const k of Object.keys(v as object).sort()) {
      const x = (v as Record<string, unknown>)[k];
      if (x === undefined || typeof x === 'function') continue;
      out[k] = norm(x);
    }
    return out;
  };
  return JSON.stringify(norm(value ?? {}));
}

/** The fields a record's hash covers, in their fixed order. `data` is the stored canonical text. */
export interface HashedFields {
  seq: number;
  at: number;
  type: string;
  actor: string;
  messageId: string | null;
  data: string;
  prevHash: string;
}

export function canonicalRecord(f: HashedFields): string {
  return JSON.stringify([FORMAT, f.seq, f.at, f.type, f.actor, f.messageId, f.data, f.prevHash]);
}

export function recordHash(f: HashedFields): string {
  return createHash('sha256').update(canonicalRecord(f), 'utf8').digest('hex');
}

export interface ChainRow extends HashedFields {
  hash: string;
}

/**
 * Pure checker: feed rows in the order they are stored (ascending seq) and then the head.
 * Reports edited records (hash mismatch), gaps (deleted), links that do not match the previous
 * record (inserted, deleted or reordered), and a head that does not match the newest record.
 */
export class ChainVerifier {
  private prevSeq = 0;
  private prevHash = AUDIT_GENESIS;
  records = 0;
  readonly problems: string[] = [];

  push(r: ChainRow): void {
    this.records++;
    if (r.seq !== this.prevSeq + 1) {
      if (r.seq <= this.prevSeq) this.problems.push(`seq ${r.seq}: out of order after seq ${this.prevSeq}`);
      else if (r.seq === this.prevSeq + 2) this.problems.push(`seq ${this.prevSeq + 1}: missing (deleted)`);
      else this.problems.push(`seq ${this.prevSeq + 1}..${r.seq - 1}: missing (deleted)`);
    }
    if (recordHash(r) !== r.hash) this.problems.push(`seq ${r.seq}: hash does not match contents (record edited)`);
    if (r.prevHash !== this.prevHash) {
      this.problems.push(`seq ${r.seq}: prev_hash does not match the record before it (inserted, deleted or reordered)`);
    }
    this.prevSeq = r.seq;
    this.prevHash = r.hash;
  }

  finish(head: { seq: number; hash: string } | null): AuditVerifyResult {
    if (!head) this.problems.push('audit_head: missing');
    else if (head.seq !== this.prevSeq || head.hash !== this.prevHash) {
      if (head.seq > this.prevSeq) this.problems.push(`seq ${this.prevSeq + 1}..${head.seq}: missing (newest records deleted)`);
      else this.problems.push(`audit_head: records seq ${this.prevSeq} but head says seq ${head.seq} (head or newest record altered)`);
    }
    return { ok: this.problems.length === 0, records: this.records, problems: this.problems };
  }
}

const n = (v: number | string): number => (typeof v === 'number' ? v : Number(v));

function toRecord(r: Selectable<AuditTable>): AuditRecord {
  let data: Record<string, unknown> = {};
  try {
    data = JSON.parse(r.data) as Record<string, unknown>;
  } catch {
    data = { unparsable: true };
  }
  return {
    seq: n(r.seq),
    at: new Date(n(r.at)),
    type: r.type,
    actor: r.actor,
    messageId: r.message_id,
    data,
    prevHash: r.prev_hash,
    hash: r.hash,
  };
}

function toChainRow(r: Selectable<AuditTable>): ChainRow {
  return {
    seq: n(r.seq),
    at: n(r.at),
    type: r.type,
    actor: r.actor,
    messageId: r.message_id,
    data: r.data,
    prevHash: r.prev_hash,
    hash: r.hash,
  };
}

/** Most audit records written in one group commit. */
export const AUDIT_GROUP_MAX = 256;

export class KyselyAuditLog implements AuditLog {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly kind: DbKind,
    private readonly clock: { now(): Date } = { now: () => new Date() },
  ) {}

  /** Appends arriving together share one transaction, chained in arrival order. */
  private readonly appends = new GroupCommit<{ event: AuditEvent; data: string }, AuditRecord>((items) => this.commitBatch(items), AUDIT_GROUP_MAX);

  /**
   * Appends one record. Appends that arrive together are group-committed: one transaction takes the
   * head once, chains the records in arrival order and moves the head once. Each caller's promise
   * resolves only after the transaction holding its record committed (or rejects if it failed).
   */
  append(event: AuditEvent): Promise<AuditRecord> {
    if (!event.type || !event.actor) return Promise.reject(new Error('audit event needs a type and an actor'));
    let data: string;
    try {
      data = canonicalJson(event.data ?? {});
    } catch (err) {
      return Promise.reject(err);
    }
    return this.appends.submit({ event, data });
  }

  private commitBatch(items: Array<{ event: AuditEvent; data: string }>): Promise<AuditRecord[]> {
    return this.db.transaction().execute(async (trx) => {
      // Serialize appenders. PostgreSQL: row lock on the head (SELECT … FOR UPDATE), so two
      // processes take turns. SQLite: start with a write so the transaction holds the write lock
      // from its first statement (a read-then-write transaction could fail with SQLITE_BUSY
      // instead of waiting when another process appends at the same moment).
      let headQ = trx.selectFrom('audit_head').select(['seq', 'hash']).where('id', '=', 1);
      if (this.kind === 'postgres') headQ = headQ.forUpdate();
      else await trx.updateTable('audit_head').set({ id: 1 }).where('id', '=', 1).execute();
      const head = await headQ.executeTakeFirst();
      if (!head) throw new Error('audit_head row missing: refusing to start a new chain');
      let seq = n(head.seq);
      let prevHash = head.hash;
      const at = this.clock.now().getTime();
      const records: AuditRecord[] = [];
      const rows = items.map(({ event, data }) => {
        const fields: HashedFields = {
          seq: ++seq,
          at,
          type: event.type,
          actor: event.actor,
          messageId: event.messageId ?? null,
          data,
          prevHash,
        };
        const hash = recordHash(fields);
        prevHash = hash;
        records.push({
          seq: fields.seq,
          at: new Date(fields.at),
          type: fields.type,
          actor: fields.actor,
          messageId: fields.messageId,
          data: JSON.parse(data) as Record<string, unknown>,
          prevHash: fields.prevHash,
          hash,
        });
        return { seq: fields.seq, at: fields.at, type: fields.type, actor: fields.actor, message_id: fields.messageId, data, prev_hash: fields.prevHash, hash };
      });
      await trx.insertInto('audit').values(rows).execute();
      await trx.updateTable('audit_head').set({ seq, hash: prevHash }).where('id', '=', 1).execute();
      return records;
    });
  }

  async list(filter: { messageId?: string; type?: string; limit?: number; afterSeq?: number } = {}): Promise<AuditRecord[]> {
    let q = this.db.selectFrom('audit').selectAll().orderBy('seq');
    if (filter.messageId !== undefined) q = q.where('message_id', '=', filter.messageId);
    if (filter.type !== undefined) q = q.where('type', '=', filter.type);
    if (filter.afterSeq !== undefined) q = q.where('seq', '>', filter.afterSeq);
    if (filter.limit !== undefined) q = q.limit(Math.max(1, Math.floor(filter.limit)));
    return (await q.execute()).map(toRecord);
  }

  async verify(): Promise<AuditVerifyResult> {
    // One snapshot for the head and every page (REPEATABLE READ on PostgreSQL; an SQLite read
    // transaction in WAL mode), so concurrent appends neither show up half-way nor look like damage.
    let tx = this.db.transaction();
    if (this.kind === 'postgres') tx = tx.setIsolationLevel('repeatable read');
    return tx.execute(async (trx) => {
      const v = new ChainVerifier();
      const headRow = await trx.selectFrom('audit_head').select(['seq', 'hash']).where('id', '=', 1).executeTakeFirst();
      let after: number | null = null;
      for (;;) {
        let q = trx.selectFrom('audit').selectAll().orderBy('seq').limit(VERIFY_PAGE);
        if (after !== null) q = q.where('seq', '>', after);
        const rows = await q.execute();
        for (const row of rows) v.push(toChainRow(row));
        if (rows.length < VERIFY_PAGE) break;
        after = n(rows[rows.length - 1]!.seq);
      }
      return v.finish(headRow ? { seq: n(headRow.seq), hash: headRow.hash } : null);
    });
  }
}
