// Acceptance: on the labelled dev corpus (../shared/corpus/phi-dev) the PHI decision reaches
// recall >= 0.98 and precision >= 0.95 (pii_only counted as negatives), no clean kind is flagged
// wholesale, and identifiers-alone messages are reported as pii.
import { describe, expect, it } from 'vitest';
import { resolve } from 'node:path';
import { evaluate } from '../../src/bench/eval-phi.js';

describe('PHI scorer on the dev corpus', () => {
  const r = evaluate(resolve(process.cwd(), '../shared/corpus/phi-dev'));

  it('meets the recall and precision targets', () => {
    expect(r.tp + r.fp + r.fn + r.tn).toBe(400);
    expect(r.recall).toBeGreaterThanOrEqual(0.98);
    expect(r.precision).toBeGreaterThanOrEqual(0.95);
  });

  it('meets the targets on every fold (no fold carries the average)', () => {
    for (const f of r.folds) {
      expect(f.recall).toBeGreaterThanOrEqual(0.9);
      expect(f.precision).toBeGreaterThanOrEqual(0.9);
    }
  });

  it('every PHI kind is mostly caught and every clean kind mostly passes', () => {
    for (const [kind, k] of r.perKind) {
      if (k.label === 'phi') expect(k.positive / k.n, kind).toBeGreaterThanOrEqual(0.9);
      else expect(k.positive / k.n, kind).toBeLessThanOrEqual(0.1);
    }
  });

  it('pii_only messages are not PHI and are mostly reported as pii', () => {
    const c = r.pii.get('pii_only')!;
    expect(c.phi).toBeLessThanOrEqual(2);
    expect(c.pii).toBeGreaterThanOrEqual(30);
  });
});
