// What every generated hold-out test checks (src/bench/holdout-gen*.ts): the generator is
// deterministic and covers the dev corpus's 28 kinds with their labels, and, once the scorer has
// been tuned on it, PHI recall and precision stay at the given floors on the default seed and on
// seeds 1-3 (pii_only counted as negatives). Each test file adds what is particular to its corpus.
import { createHash } from 'node:crypto';
import { expect, it } from 'vitest';
import { evaluateMessages } from '../../src/bench/eval-phi.js';
import type { HoldoutMessage } from '../../src/bench/holdout-common.js';
import { HOLDOUT_KINDS } from '../../src/bench/holdout-common.js';

export const digest = (ms: readonly HoldoutMessage[]): string => {
  const h = createHash('sha256');
  for (const m of ms) h.update(`${m.file} ${m.label} ${m.kind}\n`).update(m.raw);
  return h.digest('hex');
};

export interface Floors {
  /** Recall and precision on the default seed. */
  recall: number;
  precision: number;
  /** Recall on each of seeds 1, 2 and 3 (precision: the same floor as the default seed). */
  seedRecall: number;
}

/** The shared tests, inside the caller's describe(); `corpus` is generate() with its default seed. */
export function generatedHoldoutTests(generate: (seed?: number) => HoldoutMessage[], corpus: HoldoutMessage[], otherSeed: number, floors?: Floors): void {
  it('is deterministic: the same seed gives the same bytes, another seed other messages', () => {
    expect(digest(generate())).toBe(digest(corpus));
    expect(digest(generate(otherSeed))).not.toBe(digest(corpus));
  });

  it('covers all 28 kinds in the dev proportions (about 300 messages)', () => {
    expect(new Set(corpus.map((m) => m.kind)).size).toBe(28);
    expect(corpus.length).toBeGreaterThanOrEqual(290);
    for (const [label, kind] of HOLDOUT_KINDS) expect(corpus.find((m) => m.kind === kind)?.label, kind).toBe(label);
  });

  if (!floors) return;
  it(`keeps recall >= ${floors.recall} and precision >= ${floors.precision} (seeds 1-3: recall >= ${floors.seedRecall})`, () => {
    const r = evaluateMessages(corpus);
    expect(r.recall).toBeGreaterThanOrEqual(floors.recall);
    expect(r.precision).toBeGreaterThanOrEqual(floors.precision);
    for (const seed of [1, 2, 3]) {
      const s = evaluateMessages(generate(seed));
      expect(s.recall, `seed ${seed}`).toBeGreaterThanOrEqual(floors.seedRecall);
      expect(s.precision, `seed ${seed}`).toBeGreaterThanOrEqual(floors.precision);
    }
  });
}
