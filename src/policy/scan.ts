// Keyword triggers for the policy engine's detectors. Trust level: pure.
// Why: label-driven patterns ("MRN: ...", "Member ID ...", "Dear ...", "his/her ...") written as
// global case-insensitive regexes make V8 try every alternative at every character, one full pass
// per pattern family — far too slow for a 10 MB attachment. Instead each family registers its
// keywords here; the lexicon's single token pass (lexicon.ts) looks every token up in one
// TriggerIndex and records where each family's keywords start. Detectors then run their full
// pattern as a sticky regex only at those positions. One pass over the text, same matches.
// Also here: the text representations the character loops of the scorer read (flatString,
// codeUnits) and the candidate-position helpers (digitRuns, execAtCandidates).

/**
 * The same string as a flat sequential string. Texts built by slicing, concatenating and decoding
 * come in a dozen V8 string representations (sliced, cons, thin, external, one- or two-byte);
 * once a property access has seen more than four of them it goes megamorphic, and every
 * charCodeAt, indexOf and slice of the character loops downstream then takes the generic path
 * (seen with --log-ic: 14 representations of unit texts, nearly every string access in the scorer
 * megamorphic). A round trip through a UTF-16 buffer (native, about 2 ns a character here) leaves
 * only the sequential one- and two-byte forms. Every UTF-16 code unit, lone surrogates included,
 * is kept. Texts of FLAT_MAX characters or more are returned as they are: Node makes an external
 * two-byte string of a decoded buffer that large, which reads slower than what it replaced
 * (measured: the 10 MB attachment benchmark at half speed).
 */
export function flatString(s: string): string {
  return s.length < FLAT_MAX ? utf16Bytes(s).toString('utf16le', 0, 2 * s.length) : s;
}

/** Half a megabyte as UTF-16: below the size (about a megabyte) from which Node decodes to an external string. */
const FLAT_MAX = 256 * 1024;

/**
 * The UTF-16 code units of s, in a typed array that is reused: valid until the next call of this
 * or flatString. A character loop reads a Uint16Array at about 1.3 ns a character here, and
 * charCodeAt at about 3 (each call dispatches on the string's representation). The units are
 * written as UTF-16LE, the typed array's order on a little-endian machine; elsewhere they are
 * copied one by one.
 */
export function codeUnits(s: string): Uint16Array {
  if (!LITTLE_ENDIAN) {
    const units = new Uint16Array(s.length);
    for (let i = 0; i < s.length; i++) units[i] = s.charCodeAt(i);
    return units;
  }
  const b = utf16Bytes(s);
  return new Uint16Array(b.buffer, b.byteOffset, s.length);
}

/**
 * s written as UTF-16LE into the first 2 * s.length bytes of a buffer that is reused (half the
 * time of a new Buffer per text) and grows for ordinary parts; a very long text gets a buffer of
 * its own, not kept afterwards. Its bytes are aligned for a Uint16Array view.
 */
function utf16Bytes(s: string): Buffer {
  const n = 2 * s.length;
  let bytes = utf16Scratch;
  if (n > bytes.length) {
    bytes = Buffer.from(new Uint16Array(n > UTF16_SCRATCH_MAX ? s.length : Math.max(s.length, bytes.length)).buffer);
    if (n <= UTF16_SCRATCH_MAX) utf16Scratch = bytes;
  }
  bytes.write(s, 0, 'utf16le');
  return bytes;
}

/** Most bytes the reused buffer is kept at (2 MB: a text of a million characters). */
const UTF16_SCRATCH_MAX = 1 << 21;
let utf16Scratch = Buffer.from(new Uint16Array(32 * 1024).buffer);
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Lower-case with offsets preserved (U+0130 is the one character whose lower case is longer). */
export function lowerSameLength(text: string): string {
  return (text.includes('\u0130') ? text.replace(/\u0130/g, 'I') : text).toLowerCase();
}

/** A family of trigger keywords: its number, in the order of registration. */
export type TriggerFamily = number;

/** Family number -> its keywords. */
const registry: Array<readonly string[]> = [];
let index: TriggerIndex | undefined;

/**
 * Register a family of keywords (lower case; only the first word of each is the trigger). The name
 * only says at the call site what the family is for; the family is known by the number returned.
 */
export function registerTriggers(_name: string, keywords: readonly string[]): TriggerFamily {
  registry.push([...keywords]);
  index = undefined;
  return registry.length - 1;
}

/**
 * Family number -> ascending token-start positions of its keywords in one text (no list for a
 * family without any). An array by number rather than a Map by name: the token pass adds to it and
 * every detector reads it for each part of every message.
 */
export type Triggers = Array<number[] | undefined>;

/** An empty Triggers for one text. */
export function newTriggers(): Triggers {
  return new Array<number[] | undefined>(registry.length);
}

export class TriggerIndex {
  /** first token -> families */
  readonly byToken = new Map<string, TriggerFamily[]>();
  /** pre-filter over the trigger tokens (see filterKey), one bit per slot */
  readonly filter = newFilter();

  /**
   * The same map as an open-addressing table by tokenHash, so the token pass looks a token up with
   * the hash it has already computed, without copying the token out of the text.
   */
  private readonly slotHash: Int32Array;
  private readonly slotToken: string[];
  private readonly slotFamilies: Array<TriggerFamily[] | undefined>;
  private readonly mask: number;

  constructor(families: ReadonlyArray<readonly string[]>) {
    for (let family = 0; family < families.length; family++) {
      for (const k of families[family]!) {
        const first = /[a-z0-9\u00c0-\u024f]+/.exec(k)?.[0];
        if (!first) continue;
        const list = this.byToken.get(first) ?? [];
        if (!list.includes(family)) list.push(family);
        this.byToken.set(first, list);
        setFilter(this.filter, filterKey(first, 0, first.length));
      }
    }
    let slots = 16;
    while (slots < this.byToken.size * 2) slots *= 2;
    this.mask = slots - 1;
    this.slotHash = new Int32Array(slots);
    this.slotToken = new Array<string>(slots).fill('');
    this.slotFamilies = new Array<TriggerFamily[] | undefined>(slots).fill(undefined);
    for (const [tok, fams] of this.byToken) {
      const h = tokenHash(tok, 0, tok.length);
      let slot = h & this.mask;
      while (this.slotFamilies[slot] !== undefined) slot = (slot + 1) & this.mask;
      this.slotHash[slot] = h;
      this.slotToken[slot] = tok;
      this.slotFamilies[slot] = fams;
    }
  }

  /** Families of the token lower[s, e) whose tokenHash is h (undefined if it is no trigger). */
  lookup(lower: string, s: number, e: number, h: number): TriggerFamily[] | undefined {
    for (let slot = h & this.mask; ; slot = (slot + 1) & this.mask) {
      const fams = this.slotFamilies[slot];
      if (fams === undefined) return undefined;
      if (this.slotHash[slot] === h) {
        const tok = this.slotToken[slot]!;
        if (tok.length === e - s && lower.startsWith(tok, s)) return fams;
      }
    }
  }
}

export function triggerIndex(): TriggerIndex {
  return (index ??= new TriggerIndex(registry));
}

/** Slots of the token pre-filters. */
export const FILTER_SIZE = 1 << 16;

/**
 * A token pre-filter: one bit per slot (8 KB). Bits rather than bytes because it is read once per
 * token of every text: at a byte per slot the filters filled 128 KB and were evicted from the CPU
 * caches by the detectors running between two parts, costing a cache miss per word.
 */
export function newFilter(): Uint32Array {
  return new Uint32Array(FILTER_SIZE >>> 5);
}

export function setFilter(bits: Uint32Array, key: number): void {
  bits[key >>> 5]! |= 1 << (key & 31);
}

export function inFilter(bits: Uint32Array, key: number): boolean {
  return (bits[key >>> 5]! & (1 << (key & 31))) !== 0;
}

/**
 * Pre-filter slot of a token: FNV-1a over its characters, folded to FILTER_SIZE. Text tokens whose
 * slot is empty are skipped without allocating a substring (most words of a large text).
 */
export function filterKey(s: string, start: number, end: number): number {
  const h = tokenHash(s, start, end);
  return (h ^ (h >>> 20)) & (FILTER_SIZE - 1);
}

export const FNV_OFFSET = 0x811c9dc5;
export const FNV_PRIME = 0x01000193;

/** FNV-1a (32-bit, signed as Math.imul returns it) of s[start, end). */
export function tokenHash(s: string, start: number, end: number): number {
  let h = FNV_OFFSET;
  for (let i = start; i < end; i++) h = Math.imul(h ^ s.charCodeAt(i), FNV_PRIME);
  return h;
}

// Not frozen: a frozen array has its own elements kind, and a for-of over both kinds (most
// families' lists are plain arrays) fell back to the generic iterator, allocating at every step.
// The readonly type keeps it empty.
const NO_POSITIONS: readonly number[] = [];

export function positions(trig: Triggers, family: TriggerFamily): readonly number[] {
  return trig[family] ?? NO_POSITIONS;
}

/**
 * Run a sticky regex (flag y) at each trigger position of a family; matches never overlap.
 */
export function execAtTriggers(re: RegExp, text: string, trig: Triggers, family: TriggerFamily, cb: (m: RegExpExecArray) => void): void {
  execAtCandidates(re, text, positions(trig, family), cb);
}

/** JavaScript's \s (what trim() and /\s/ treat as white space), by character code. */
export function isJsSpace(c: number): boolean {
  if (c <= 32) return c === 32 || (c >= 9 && c <= 13);
  if (c < 0xa0) return false;
  return c === 0xa0 || c === 0x1680 || (c >= 0x2000 && c <= 0x200a) || c === 0x2028 || c === 0x2029 || c === 0x202f || c === 0x205f || c === 0x3000 || c === 0xfeff;
}

/**
 * The runs of ASCII digits in a text as [start0, end0, start1, end1, ...]. Every numeric detector
 * (SSN, phone, NPI, NDC, MBI, ICD-10, lab values, doses, street numbers, ages) can only match where
 * a digit run of a particular shape starts; listing the runs once lets each one run its sticky
 * pattern at those few places instead of a global regex over the whole text per detector.
 */
export function digitRuns(text: string): number[] {
  const runs: number[] = [];
  const n = text.length;
  // the regex engine finds the next digit (a native scan, several times faster than a loop over
  // every character in JavaScript); only the digits of each run are walked here
  DIGIT.lastIndex = 0;
  while (DIGIT.test(text)) {
    const s = DIGIT.lastIndex - 1;
    let e = s + 1;
    while (e < n && text.charCodeAt(e) >= 48 && text.charCodeAt(e) <= 57) e++;
    runs.push(s, e);
    DIGIT.lastIndex = e;
  }
  return runs;
}

const DIGIT = /[0-9]/g;

/**
 * Run a sticky regex (flag y) at ascending candidate positions: the same matches as the global
 * form of the pattern from position 0, provided every position where a match can start is a
 * candidate (matches never overlap: a candidate inside the previous match is skipped).
 */
export function execAtCandidates(re: RegExp, text: string, cands: readonly number[], cb: (m: RegExpExecArray) => void): void {
  let after = 0;
  for (let i = 0; i < cands.length; i++) {
    const p = cands[i]!;
    if (p < after) continue;
    re.lastIndex = p;
    const m = re.exec(text);
    if (!m) continue;
    after = m.index + Math.max(1, m[0].length);
    cb(m);
  }
}

/**
 * The character code at i, or 0 outside the string. Hot loops read one character past a run or
 * before a start; charCodeAt out of range returns NaN, and V8 then deoptimizes the function and
 * recompiles it with a slower character access (measured: the digit-run candidate walks ran 3x
 * slower). Callers treat code 0 as "no special character". For cold paths only: in hot loops write
 * the bound check in place, because V8 keeps type feedback per call site and this one helper,
 * called with every kind of string, gets the generic charCodeAt.
 */
export function codeAt(s: string, i: number): number {
  return i >= 0 && i < s.length ? s.charCodeAt(i) : 0;
}
