// Destination registry, I/O shell: the `destinations` table (migration 0003_destinations) over
// the Store's kysely handle. Validation and matching live in pattern.ts/csv.ts (pure); this file
// only reads, writes and audits. Trust level: operator-facing (CLI, later web console); every
// change is recorded in the audit trail with its actor (metadata only: pattern, kind, dates).
import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { DestinationsDatabase, DestinationsTable } from '../store/schema.js';
import type { AuditLog } from '../store/types.js';
import { formatProblem, parseImport, type RowProblem } from './csv.js';
import {
  DestinationError,
  type DestinationKind,
  candidatePatterns,
  effectiveWindow,
  normalizePattern,
  parseKind,
  parseNotes,
  pickMostSpecific,
} from './pattern.js';

export interface Destination {
  id: string;
  pattern: string;
  kind: DestinationKind;
  notes: string;
  effectiveFrom: Date | null;
  /** Exclusive end (the day after the operator's inclusive "until" day). */
  effectiveUntil: Date | null;
  tlsRequired: boolean;
  createdAt: Date;
  createdBy: string;
}

export interface DestinationInput {
  pattern: string;
  kind: string;
  notes?: string;
  /** YYYY-MM-DD, inclusive. */
  from?: string;
  /** YYYY-MM-DD, inclusive. */
  until?: string;
  tlsRequired?: boolean;
}

/** The import was refused; nothing was written. */
export class DestinationImportError extends Error {
  constructor(readonly problems: RowProblem[]) {
    super(`import refused, nothing imported: ${problems.length} problem(s)\n${problems.map(formatProblem).join('\n')}`);
    this.name = 'DestinationImportError';
  }
}

export interface RegistryStore {
  db: Kysely<any>;
  audit: AuditLog;
}

type Row = { [K in keyof DestinationsTable]: unknown };

function toDate(v: unknown): Date | null {
  return v === null || v === undefined ? null : new Date(Number(v));
}

function fromRow(r: Row): Destination {
  return {
    id: String(r.id),
    pattern: String(r.pattern),
    kind: r.kind as DestinationKind,
    notes: String(r.notes ?? ''),
    effectiveFrom: toDate(r.effective_from),
    effectiveUntil: toDate(r.effective_until),
    tlsRequired: Number(r.tls_required) === 1,
    createdAt: new Date(Number(r.created_at)),
    createdBy: String(r.created_by),
  };
}

function auditData(d: { pattern: string; kind: string; effectiveFrom: number | null; effectiveUntil: number | null; tlsRequired: boolean }) {
  return { pattern: d.pattern, kind: d.kind, effectiveFrom: d.effectiveFrom, effectiveUntil: d.effectiveUntil, tlsRequired: d.tlsRequired };
}

export class DestinationRegistry {
  private readonly db: Kysely<DestinationsDatabase>;
  private readonly now: () => Date;

  constructor(private readonly store: RegistryStore, opts: { clock?: { now(): Date } } = {}) {
    this.db = store.db as Kysely<DestinationsDatabase>;
    this.now = () => (opts.clock ? opts.clock.now() : new Date());
  }

  /** Validate and add one entry. Throws DestinationError naming the field (pattern taken → field pattern). */
  async add(input: DestinationInput, actor: string): Promise<Destination> {
    const { pattern } = normalizePattern(input.pattern);
    const kind = parseKind(input.kind);
    const notes = parseNotes(input.notes);
    const win = effectiveWindow(input.from, input.until);
    const tlsRequired = input.tlsRequired === true;
    const row = {
      id: randomUUID(),
      pattern,
      kind,
      notes,
      effective_from: win.from,
      effective_until: win.until,
      tls_required: tlsRequired ? 1 : 0,
      created_at: this.now().getTime(),
      created_by: actor,
    };
    const inserted = await this.db.insertInto('destinations').values(row).onConflict((oc) => oc.column('pattern').doNothing()).executeTakeFirst();
    if (Number(inserted.numInsertedOrUpdatedRows ?? 0n) !== 1) throw new DestinationError('pattern', `"${pattern}" is already registered`);
    await this.store.audit.append({ type: 'destination-added', actor, data: auditData({ pattern, kind, effectiveFrom: win.from, effectiveUntil: win.until, tlsRequired }) });
    return fromRow(row);
  }

  /** Remove the entry with this pattern (normalized first). False if there was none. */
  async remove(rawPattern: string, actor: string): Promise<boolean> {
    const { pattern } = normalizePattern(rawPattern);
    const r = await this.db.deleteFrom('destinations').where('pattern', '=', pattern).executeTakeFirst();
    if (Number(r.numDeletedRows) === 0) return false;
    await this.store.audit.append({ type: 'destination-removed', actor, data: { pattern } });
    return true;
  }

  async get(rawPattern: string): Promise<Destination | null> {
    const { pattern } = normalizePattern(rawPattern);
    const r = await this.db.selectFrom('destinations').selectAll().where('pattern', '=', pattern).executeTakeFirst();
    return r ? fromRow(r as Row) : null;
  }

  /** Every entry, ordered by pattern. */
  async list(): Promise<Destination[]> {
    const rows = await this.db.selectFrom('destinations').selectAll().orderBy('pattern').execute();
    return rows.map((r) => fromRow(r as Row));
  }

  /**
   * Import a CSV file's text. All or nothing: any bad row (or a pattern already registered)
   * throws DestinationImportError listing every problem by line and field; nothing is written.
   */
  async importCsv(text: string, actor: string): Promise<Destination[]> {
    const { rows, problems } = parseImport(text);
    if (problems.length) throw new DestinationImportError(problems);
    const at = this.now().getTime();
    const values = rows.map((r) => ({
      id: randomUUID(),
      pattern: r.pattern,
      kind: r.kind,
      notes: r.notes,
      effective_from: r.effectiveFrom,
      effective_until: r.effectiveUntil,
      tls_required: r.tlsRequired ? 1 : 0,
      created_at: at,
      created_by: actor,
    }));
    await this.db.transaction().execute(async (trx) => {
      const clash: RowProblem[] = [];
      // Checked inside the transaction; the unique constraint still guards a concurrent writer.
      for (let i = 0; i < rows.length; i += 500) {
        const chunk = rows.slice(i, i + 500);
        const existing = await trx.selectFrom('destinations').select('pattern').where('pattern', 'in', chunk.map((r) => r.pattern)).execute();
        const taken = new Set(existing.map((e) => e.pattern));
        for (const r of chunk) if (taken.has(r.pattern)) clash.push({ line: r.line, field: 'pattern', message: `"${r.pattern}" is already registered` });
      }
      if (clash.length) throw new DestinationImportError(clash);
      for (let i = 0; i < values.length; i += 200) await trx.insertInto('destinations').values(values.slice(i, i + 200)).execute();
    });
    await this.store.audit.append({ type: 'destination-imported', actor, data: { count: rows.length, entries: rows.map((r) => auditData(r)) } });
    return values.map((v) => fromRow(v));
  }

  /**
   * The most specific entry active at `at` for `address`: the address itself, else its exact
   * domain, else the closest `.parent` entry. Null when nothing matches (not an allowed
   * destination). Throws DestinationError (field address) for a malformed address.
   */
  async classify(address: string, at: Date): Promise<Destination | null> {
    const candidates = candidatePatterns(address);
    const rows = await this.db.selectFrom('destinations').selectAll().where('pattern', 'in', candidates).execute();
    return pickMostSpecific(candidates, rows.map((r) => fromRow(r as Row)), at);
  }
}
