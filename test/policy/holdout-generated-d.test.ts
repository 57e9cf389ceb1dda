// The fourth generated hold-out corpus (src/bench/holdout-gen-d.ts: about 300 messages over the dev
// corpus's 28 kinds, written independently of the other three generators as a first-contact probe)
// is deterministic and covers every kind. No accuracy assertion yet: its first-contact numbers are
// recorded in the commit message; `node dist/bench/eval-phi.js --holdout-d [SEED]` prints them.
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { HOLDOUT_D_KINDS, generateHoldoutD } from '../../src/bench/holdout-gen-d.js';

const digest = (ms: ReturnType<typeof generateHoldoutD>) => {
  const h = createHash('sha256');
  for (const m of ms) h.update(`${m.file} ${m.label} ${m.kind}\n`).update(m.raw);
  return h.digest('hex');
};

describe('the fourth generated hold-out corpus (D)', () => {
  const corpus = generateHoldoutD();

  it('is deterministic: the same seed gives the same bytes, another seed other messages', () => {
    expect(digest(generateHoldoutD())).toBe(digest(corpus));
    expect(digest(generateHoldoutD(32))).not.toBe(digest(corpus));
  });

  it('covers all 28 kinds with their dev labels (about 300 messages)', () => {
    expect(new Set(corpus.map((m) => m.kind)).size).toBe(28);
    expect(corpus.length).toBeGreaterThanOrEqual(290);
    for (const [label, kind] of HOLDOUT_D_KINDS) expect(corpus.find((m) => m.kind === kind)?.label, kind).toBe(label);
  });
});
