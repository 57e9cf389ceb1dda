// The multipart/alternative de-duplication compares texts up to whitespace runs in place; it must
// agree exactly with the normalise-and-compare definition (JavaScript \s, trimmed), including
// Unicode spaces and line terminators.
import { describe, expect, it } from 'vitest';
import { sameAlternativeText, sameUpToSpaceRuns } from '../../src/policy/extract.js';

const norm = (s: string) => s.replace(/\s+/g, ' ').trim();
const ALPHABET = ['a', 'b', 'x', ' ', '\t', '\r\n', '\n', '\u00a0', '\u2003', '\u2028', '\ufeff', '\u200b', 'é', '.'];

function prng(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('sameUpToSpaceRuns', () => {
  it('agrees with replace(/\\s+/g, " ").trim() equality', () => {
    expect(sameUpToSpaceRuns('  Hello\r\n  world ', 'Hello world')).toBe(true);
    expect(sameUpToSpaceRuns('x y', 'x ')).toBe(false);
    expect(sameUpToSpaceRuns('x y', 'xy')).toBe(false);
    expect(sameUpToSpaceRuns('', '\u00a0\t')).toBe(true);
    const r = prng(7);
    const gen = () => Array.from({ length: Math.floor(r() * 8) }, () => ALPHABET[Math.floor(r() * ALPHABET.length)]).join('');
    for (let i = 0; i < 20000; i++) {
      const a = gen();
      const b = r() < 0.5 ? gen() : a.replace(/\s+/g, () => ALPHABET[3 + Math.floor(r() * 8)]!);
      expect(sameUpToSpaceRuns(a, b), JSON.stringify([a, b])).toBe(norm(a) === norm(b));
    }
  });
});

describe('sameAlternativeText', () => {
  // the definition: white space runs, reply quotation marks at line starts and table pipes aside
  const unmark = (s: string) => s.replace(/^[ \t]*>[> \t]*/gm, '').replaceAll('|', ' ');
  const reference = (a: string, b: string) =>
    sameUpToSpaceRuns(a, b) ? 1 : !/^[ \t]*>/m.test(a) && !/^[ \t]*>/m.test(b) && !a.includes('|') && !b.includes('|') ? 0 : sameUpToSpaceRuns(unmark(a), unmark(b)) ? 2 : 0;
  const PIECES = ['>', '> ', '>>', ' ', '\t', '\n', '\r', '\u2028', 'a', 'b', 'x y', '|', ' | ', '\n> '];

  it('agrees with the regular-expression definition', () => {
    const r = prng(11);
    const gen = () => Array.from({ length: Math.floor(r() * 12) }, () => PIECES[Math.floor(r() * PIECES.length)]).join('');
    for (let i = 0; i < 20000; i++) {
      const a = gen();
      const b = r() < 0.5 ? gen() : unmark(a).replace(/ +/g, () => (r() < 0.5 ? ' ' : '\n'));
      expect(sameAlternativeText(a, b), JSON.stringify([a, b])).toBe(reference(a, b));
    }
  });
});
