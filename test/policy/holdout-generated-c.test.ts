// The third generated hold-out corpus (src/bench/holdout-gen-c.ts: about 300 messages over the dev
// corpus's 28 kinds in US healthcare style, written independently of the other two generators, with
// drugs, diagnoses, tests, procedures, names and codes that were absent from the lexicon when it was
// written) meets the targets on its default seed: recall >= 0.98 and precision >= 0.95 for PHI
// (pii_only counted as negatives); other seeds stay close. Deterministic: a failure reproduces byte for byte.
import { describe, expect, it } from 'vitest';
import { generatedHoldoutTests } from './holdout-suite.js';
import { evaluateMessages } from '../../src/bench/eval-phi.js';
import { generateHoldoutC } from '../../src/bench/holdout-gen-c.js';
import { scoreMessage } from '../../src/policy/index.js';

describe('PHI scorer on the third generated hold-out corpus (C)', () => {
  const corpus = generateHoldoutC();

  generatedHoldoutTests(generateHoldoutC, corpus, 22, { recall: 0.98, precision: 0.95, seedRecall: 0.96 });

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
