// The third generated hold-out corpus (src/bench/holdout-gen-c.ts: about 300 messages over the dev
// corpus's 28 kinds in US healthcare style, written independently of the other two generators, with
// drugs, diagnoses, tests, procedures, names and codes that were absent from the lexicon when it was
// written) meets the targets on its default seed: recall >= 0.98 and precision >= 0.95 for PHI
// (pii_only counted as negatives); other seeds stay close. Deterministic: a failure reproduces byte for byte.
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { evaluateMessages } from '../../src/bench/eval-phi.js';
import { HOLDOUT_C_KINDS, generateHoldoutC } from '../../src/bench/holdout-gen-c.js';
import { scoreMessage } from '../../src/policy/index.js';

const digest = (ms: ReturnType<typeof generateHoldoutC>) => {
  const h = createHash('sha256');
  for (const m of ms) h.update(`${m.file} ${m.label} ${m.kind}\n`).update(m.raw);
  return h.digest('hex');
};

describe('PHI scorer on the third generated hold-out corpus (C)', () => {
  const corpus = generateHoldoutC();

  it('is deterministic: the same seed gives the same bytes, another seed other messages', () => {
    expect(digest(generateHoldoutC())).toBe(digest(corpus));
    expect(digest(generateHoldoutC(22))).not.toBe(digest(corpus));
  });

  it('covers all 28 kinds in the dev proportions (about 300 messages)', () => {
    expect(new Set(corpus.map((m) => m.kind)).size).toBe(28);
    expect(corpus.length).toBeGreaterThanOrEqual(290);
    for (const [label, kind] of HOLDOUT_C_KINDS) expect(corpus.find((m) => m.kind === kind)?.label, kind).toBe(label);
  });

  it('meets the recall and precision targets on seed 21; seeds 1-3 stay above recall 0.96', () => {
    const r = evaluateMessages(corpus);
    expect(r.recall).toBeGreaterThanOrEqual(0.98);
    expect(r.precision).toBeGreaterThanOrEqual(0.95);
    for (const seed of [1, 2, 3]) {
      const s = evaluateMessages(generateHoldoutC(seed));
      expect(s.recall, `seed ${seed}`).toBeGreaterThanOrEqual(0.96);
      expect(s.precision, `seed ${seed}`).toBeGreaterThanOrEqual(0.95);
    }
  });

  it('reasons carry no raw identifiers (masked samples only)', () => {
    const identifiers = new Set(['mrn', 'member-id', 'mbi', 'account-number', 'dob', 'date-of-service', 'phone', 'npi', 'bank-account', 'employee-id', 'reference-number']);
    for (const m of corpus.slice(0, 150)) {
      for (const reason of scoreMessage(m.raw).reasons) {
        for (const full of reason.samples) {
          const sample = full.replace(/ in (?:attachment|forwarded message).*$/, '');
          if (identifiers.has(reason.category)) expect(sample, reason.category).not.toMatch(/\d{3,}/);
          if (reason.category === 'ssn' || reason.category === 'tax-id') expect(sample).not.toMatch(/\d{5,}/);
          // health words found by their context are lower-case words, never a name
          if (reason.category === 'medication' || reason.category === 'diagnosis' || reason.category === 'test') expect(sample).not.toMatch(/\d{4,}/);
        }
      }
    }
  });
});
