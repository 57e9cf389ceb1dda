// The fifth generated hold-out corpus (src/bench/holdout-gen-e.ts), written as a first-contact
// probe by an author who read no other generator's templates (first contact and the fixes that
// followed: docs/policy.md). Deterministic and complete; after the session-5 fixes the scorer keeps
// the floors below on it (tuned on it, so these guard against regressions rather than measure
// generalisation).
import { describe } from 'vitest';
import { generateHoldoutE } from '../../src/bench/holdout-gen-e.js';
import { generatedHoldoutTests } from './holdout-suite.js';

describe('PHI scorer on generated hold-out corpus E', () => {
  generatedHoldoutTests(generateHoldoutE, generateHoldoutE(), 42, { recall: 0.97, precision: 0.95, seedRecall: 0.95 });
});
