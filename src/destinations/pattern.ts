// Destination registry, pure core: pattern normalization, kinds, dates and the specificity rule
// used by classify(). No I/O. Trust level: parses operator input (CLI, CSV, later the web
// console); every check fails closed with an error naming the field.
import { domainToASCII } from 'node:url';

export const DESTINATION_KINDS = ['healthcare', 'business-associate', 'patient'] as const;
export type DestinationKind = (typeof DESTINATION_KINDS)[number];

/** Longest address we accept (RFC 5321 path limit minus the angle brackets). */
export const MAX_ADDRESS_LENGTH = 254;
/** Longest local part (RFC 5321 4.5.3.1.1). */
export const MAX_LOCAL_PART_LENGTH = 64;
/** Longest domain name (RFC 1035). */
export const MAX_DOMAIN_LENGTH = 253;
/** Longest notes text. */
export const MAX_NOTES_LENGTH = 1000;

/** A bad value in operator input; `field` names it (pattern, kind, notes, effective_from ...). */
export class DestinationError extends Error {
  constructor(readonly field: string, message: string) {
    super(`${field}: ${message}`);
    this.name = 'DestinationError';
  }
}

/**
 * `domain`: matches that domain only. `subdomains`: written `.partner.example`, matches
 * partner.example and every name below it. `address`: one mailbox.
 */
export type PatternType = 'address' | 'domain' | 'subdomains';

export interface NormalizedPattern {
  pattern: string;
  type: PatternType;
}

const LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;
// Dot-atom local part (RFC 5322 atext); quoted local parts are refused: no partner needs them
// and they make matching ambiguous.
const LOCAL = /^[a-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[a-z0-9!#$%&'*+/=?^_`{|}~-]+)*$/;

function normalizeDomain(raw: string, field: string): string {
  let d = raw.trim().toLowerCase();
  if (d.endsWith('.')) d = d.slice(0, -1);
  if (d === '') throw new DestinationError(field, 'empty domain');
  // Internationalized names are stored in their ASCII (A-label) form, the form SMTP peers use.
  if (/[^\x00-\x7f]/.test(d)) {
    const ascii = domainToASCII(d);
    if (!ascii) throw new DestinationError(field, `"${raw}" is not a valid domain name`);
    d = ascii;
  }
  if (d.length > MAX_DOMAIN_LENGTH) throw new DestinationError(field, `domain longer than ${MAX_DOMAIN_LENGTH} characters`);
  const labels = d.split('.');
  // A single label (a TLD like "com", or "localhost") would open a whole namespace: refused.
  if (labels.length < 2) throw new DestinationError(field, `"${raw}" needs at least two labels (e.g. partner.example)`);
  for (const l of labels) if (!LABEL.test(l)) throw new DestinationError(field, `"${raw}" is not a valid domain name (label "${l}")`);
  if (/^\d+$/.test(labels[labels.length - 1]!)) throw new DestinationError(field, `"${raw}" looks like an IP address, not a domain`);
  return d;
}

/** Validate and normalize a registry pattern: lowercase, A-label domain, no trailing dot. */
export function normalizePattern(raw: string, field = 'pattern'): NormalizedPattern {
  if (typeof raw !== 'string') throw new DestinationError(field, 'must be text');
  const s = raw.trim();
  if (s === '') throw new DestinationError(field, 'is empty');
  if (s.length > MAX_ADDRESS_LENGTH + 1) throw new DestinationError(field, `longer than ${MAX_ADDRESS_LENGTH} characters`);
  if (/[\s<>,;"]/.test(s)) throw new DestinationError(field, `"${raw}" contains a space or one of < > , ; "`);
  if (s.includes('@')) {
    const at = s.lastIndexOf('@');
    const local = s.slice(0, at).toLowerCase();
    if (local === '' || s.indexOf('@') !== at) throw new DestinationError(field, `"${raw}" is not a valid address`);
    if (local.length > MAX_LOCAL_PART_LENGTH || !LOCAL.test(local)) throw new DestinationError(field, `"${raw}" has an invalid local part`);
    const domain = normalizeDomain(s.slice(at + 1), field);
    const pattern = `${local}@${domain}`;
    if (pattern.length > MAX_ADDRESS_LENGTH) throw new DestinationError(field, `longer than ${MAX_ADDRESS_LENGTH} characters`);
    return { pattern, type: 'address' };
  }
  if (s.startsWith('.')) return { pattern: `.${normalizeDomain(s.slice(1), field)}`, type: 'subdomains' };
  return { pattern: normalizeDomain(s, field), type: 'domain' };
}

export function parseKind(raw: string, field = 'kind'): DestinationKind {
  const k = (raw ?? '').trim().toLowerCase();
  if (!(DESTINATION_KINDS as readonly string[]).includes(k)) {
    throw new DestinationError(field, `"${raw}" is not one of ${DESTINATION_KINDS.join(', ')}`);
  }
  return k as DestinationKind;
}

export function parseNotes(raw: string | undefined, field = 'notes'): string {
  const n = (raw ?? '').trim();
  if (n.length > MAX_NOTES_LENGTH) throw new DestinationError(field, `longer than ${MAX_NOTES_LENGTH} characters`);
  if (/[\x00-\x08\x0b-\x1f\x7f]/.test(n)) throw new DestinationError(field, 'contains control characters');
  return n;
}

/** YYYY-MM-DD (UTC) to epoch ms of that day's start; empty → null. */
export function parseDay(raw: string | undefined, field: string): number | null {
  const s = (raw ?? '').trim();
  if (s === '') return null;
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(s);
  if (!m) throw new DestinationError(field, `"${raw}" is not a date in YYYY-MM-DD form`);
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const t = Date.UTC(y, mo - 1, d);
  const back = new Date(t);
  if (back.getUTCFullYear() !== y || back.getUTCMonth() !== mo - 1 || back.getUTCDate() !== d) {
    throw new DestinationError(field, `"${raw}" is not a calendar date`);
  }
  return t;
}

const DAY_MS = 86_400_000;

/**
 * Effective window from the operator's inclusive days: `from` starts at 00:00 UTC of its day,
 * `until` ends at the end of its day (stored as the next day's 00:00, exclusive).
 */
export function effectiveWindow(from: string | undefined, until: string | undefined): { from: number | null; until: number | null } {
  const f = parseDay(from, 'effective_from');
  const u0 = parseDay(until, 'effective_until');
  const u = u0 === null ? null : u0 + DAY_MS;
  if (f !== null && u !== null && u <= f) throw new DestinationError('effective_until', 'is before effective_from');
  return { from: f, until: u };
}

export function parseFlag(raw: string | undefined, field: string): boolean {
  const s = (raw ?? '').trim().toLowerCase();
  if (s === '' || s === '0' || s === 'false' || s === 'no') return false;
  if (s === '1' || s === 'true' || s === 'yes') return true;
  throw new DestinationError(field, `"${raw}" is not 0/1 (or true/false, yes/no)`);
}

/** Whether an entry's effective window contains `at` (from inclusive, until exclusive). */
export function isActive(e: { effectiveFrom: Date | null; effectiveUntil: Date | null }, at: Date): boolean {
  const t = at.getTime();
  if (e.effectiveFrom && t < e.effectiveFrom.getTime()) return false;
  if (e.effectiveUntil && t >= e.effectiveUntil.getTime()) return false;
  return true;
}

/**
 * Every pattern that could match `address`, most specific first: the address itself, its exact
 * domain, then `.domain`, `.parent` ... up to the two-label registrable suffix.
 */
export function candidatePatterns(address: string): string[] {
  const { pattern, type } = normalizePattern(address, 'address');
  if (type !== 'address') throw new DestinationError('address', `"${address}" is not an address`);
  const domain = pattern.slice(pattern.lastIndexOf('@') + 1);
  const out = [pattern, domain];
  const labels = domain.split('.');
  for (let i = 0; i <= labels.length - 2; i++) out.push(`.${labels.slice(i).join('.')}`);
  return out;
}

/** Choose the most specific active entry: the earliest pattern in candidatePatterns order. */
export function pickMostSpecific<E extends { pattern: string; effectiveFrom: Date | null; effectiveUntil: Date | null }>(
  candidates: string[],
  entries: E[],
  at: Date,
): E | null {
  const byPattern = new Map(entries.map((e) => [e.pattern, e]));
  for (const p of candidates) {
    const e = byPattern.get(p);
    if (e && isActive(e, at)) return e;
  }
  return null;
}
