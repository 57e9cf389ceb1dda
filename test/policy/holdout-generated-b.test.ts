// The second generated hold-out corpus (src/bench/holdout-gen-b.ts: about 300 messages over the dev
// corpus's 28 kinds, written independently of the first generator, with other registers, countries'
// conventions, structures and vocabularies) meets the targets: recall >= 0.98 and precision >= 0.95
// for PHI (pii_only counted as negatives), over four seeds pooled. The generator is deterministic, so
// a failure here is reproducible byte for byte.
import { describe, expect, it } from 'vitest';
import { generatedHoldoutTests } from './holdout-suite.js';
import { evaluateMessages } from '../../src/bench/eval-phi.js';
import { generateHoldoutB } from '../../src/bench/holdout-gen-b.js';
import { scoreMessage } from '../../src/policy/index.js';

describe('PHI scorer on the second generated hold-out corpus (B)', () => {
  const corpus = generateHoldoutB();

  generatedHoldoutTests(generateHoldoutB, corpus, 8);

  it('meets the recall and precision targets over seeds 7, 1, 2 and 3 pooled', () => {
    let tp = 0, fp = 0, fn = 0;
    for (const seed of [7, 1, 2, 3]) {
      const r = evaluateMessages(seed === 7 ? corpus : generateHoldoutB(seed));
      tp += r.tp; fp += r.fp; fn += r.fn;
      // no single seed falls far below the targets
      expect(r.recall, `seed ${seed}`).toBeGreaterThanOrEqual(0.96);
      expect(r.precision, `seed ${seed}`).toBeGreaterThanOrEqual(0.95);
    }
    expect(tp / (tp + fn)).toBeGreaterThanOrEqual(0.98);
    expect(tp / (tp + fp)).toBeGreaterThanOrEqual(0.95);
  });

  it('reasons carry no raw identifiers (masked samples only)', () => {
    const identifiers = new Set(['mrn', 'member-id', 'mbi', 'account-number', 'dob', 'date-of-service', 'phone', 'npi', 'bank-account', 'employee-id', 'reference-number']);
    for (const m of corpus.slice(0, 150)) {
      for (const reason of scoreMessage(m.raw).reasons) {
        // the location ("in attachment HP25-14135.pdf") repeats the sender's file name, which can
        // itself carry a number (a known gap, docs/policy.md); the masked value is checked here
        for (const full of reason.samples) {
          const sample = full.replace(/ in (?:attachment|forwarded message).*$/, '');
          if (identifiers.has(reason.category)) expect(sample, reason.category).not.toMatch(/\d{3,}/);
          if (reason.category === 'ssn' || reason.category === 'tax-id') expect(sample).not.toMatch(/\d{5,}/);
        }
      }
    }
  });
});
