// The fifth generated hold-out corpus (src/bench/holdout-gen-e.ts: about 300 messages over the dev
// corpus's 28 kinds, templates and vocabulary written to be disjoint from the dev corpus, the other
// generators and the lexicon) is a first-contact probe: this file checks only that it is
// deterministic and complete. No accuracy target is asserted yet.
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { HOLDOUT_E_KINDS, generateHoldoutE } from '../../src/bench/holdout-gen-e.js';

const digest = (ms: ReturnType<typeof generateHoldoutE>) => {
  const h = createHash('sha256');
  for (const m of ms) h.update(`${m.file} ${m.label} ${m.kind}\n`).update(m.raw);
  return h.digest('hex');
};

describe('generated hold-out corpus E', () => {
  const corpus = generateHoldoutE();

  it('is deterministic: the same seed gives the same bytes, another seed other messages', () => {
    expect(digest(generateHoldoutE())).toBe(digest(corpus));
    expect(digest(generateHoldoutE(42))).not.toBe(digest(corpus));
  });

  it('covers all 28 kinds in the dev proportions (about 300 messages)', () => {
    expect(new Set(corpus.map((m) => m.kind)).size).toBe(28);
    expect(corpus.length).toBeGreaterThanOrEqual(290);
    for (const [label, kind] of HOLDOUT_E_KINDS) expect(corpus.find((m) => m.kind === kind)?.label, kind).toBe(label);
  });
});
