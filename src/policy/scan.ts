// Keyword-anchored regex evaluation for the policy engine's detectors. Trust level: pure.
// Why: label-driven patterns ("MRN: ...", "Member ID ...") written as global case-insensitive
// regexes with long alternations run slowly in V8 (no literal pre-scan with /i). Instead the
// lower-cased text is scanned once per keyword set with a case-sensitive literal alternation
// (which V8 scans fast), and the full pattern runs as a sticky regex only at those positions.
// Same matches, a fraction of the cost on multi-megabyte attachments.

const cache = new WeakMap<readonly string[], RegExp>();

function keywordRe(keywords: readonly string[]): RegExp {
  let re = cache.get(keywords);
  if (!re) {
    const alts = [...keywords].sort((a, b) => b.length - a.length).map((k) => k.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&'));
    re = new RegExp(`(?<![a-z0-9\\u00c0-\\u024f])(?:${alts.join('|')})`, 'g');
    cache.set(keywords, re);
  }
  return re;
}

/** Positions (ascending) where a keyword starts at a word boundary in `lower`. */
export function keywordPositions(lower: string, keywords: readonly string[]): number[] {
  const re = keywordRe(keywords);
  const out: number[] = [];
  re.lastIndex = 0;
  let m: RegExpExecArray | null;
  while ((m = re.exec(lower))) out.push(m.index);
  return out;
}

/** True if any keyword occurs at a word boundary. */
export function hasKeyword(lower: string, keywords: readonly string[]): boolean {
  const re = keywordRe(keywords);
  re.lastIndex = 0;
  return re.test(lower);
}

/**
 * Run a sticky regex (flag y) at each keyword position of `text`; matches never overlap.
 * `lower` must be text.toLowerCase() with the same length.
 */
export function execAtKeywords(re: RegExp, text: string, lower: string, keywords: readonly string[], cb: (m: RegExpExecArray) => void): void {
  let after = 0;
  const kre = keywordRe(keywords);
  kre.lastIndex = 0;
  let k: RegExpExecArray | null;
  while ((k = kre.exec(lower))) {
    const p = k.index;
    if (p < after) continue;
    re.lastIndex = p;
    const m = re.exec(text);
    if (!m) continue;
    after = m.index + Math.max(1, m[0].length);
    if (kre.lastIndex < after) kre.lastIndex = after;
    cb(m);
  }
}

/** Lower-case with offsets preserved (U+0130 is the one character whose lower case is longer). */
export function lowerSameLength(text: string): string {
  return (text.includes('\u0130') ? text.replace(/\u0130/g, 'I') : text).toLowerCase();
}
