// The scorer's fast paths give exactly what the plain forms give: the numeric detectors run their
// patterns only at candidate positions derived from digit runs, the lexicon pass records digit
// runs, and 'Last, First' names are tried only before ", ". Random texts built from the pieces
// these patterns care about (digits, separators, capitals, unit words, commas) must give the same
// matches both ways.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { cptGate, labelGate, numericPatterns } from '../../src/policy/detectors.js';
import { bundledLexicon } from '../../src/policy/lexicon.js';
import { codeUnits, digitRuns, execAtCandidates, flatString, lowerSameLength, newTriggers, positions } from '../../src/policy/scan.js';
import { lastFirstPattern } from '../../src/policy/score.js';

const PIECES = [
  '0', '1', '2', '5', '9', '12', '123', '555', '1234', '12345', '123456789', '1234567890', '2024', '.', '-', ' ', '  ', '\n', '\t', ',', ', ', '(', ')', '+', '/',
  'mg', 'mL', 'mg/dL', 'mmol/L', 'µg', 'MG', 'units', '%', 'bpm', 'x10', 'K/uL', 'A', 'B', 'E', 'U', 'Z', 'a', 'Main', 'St', 'Street', 'N', 'Ave', 'Box', 'P.O.',
  'WA', 'CA', 'Apt', 'Smith', 'John', 'O’Brien', 'Zoë', 'É', 'vitamin', 'diabetes mellitus', 'type 2 diabetes', 'A1c', 'ICD', 'dx', '1EG4-TE5-MK73', '0002-3227-30', 'İ',
];

const text = fc.array(fc.constantFrom(...PIECES), { maxLength: 60 }).map((a) => a.join(''));

function globalMatches(re: RegExp, t: string): string[] {
  const g = new RegExp(re.source, re.flags.replace('y', '').includes('g') ? re.flags.replace('y', '') : re.flags.replace('y', '') + 'g');
  const out: string[] = [];
  let m: RegExpExecArray | null;
  while ((m = g.exec(t))) out.push(`${m.index}:${m[0]}`);
  return out;
}

describe('candidate positions', () => {
  for (const p of numericPatterns()) {
    it(`${p.name}: the same matches as the global pattern`, () => {
      fc.assert(
        fc.property(text, (t) => {
          const got: string[] = [];
          execAtCandidates(p.sticky, t, p.starts(t, digitRuns(t)), (m) => got.push(`${m.index}:${m[0]}`));
          expect(got).toEqual(globalMatches(p.global, t));
        }),
        { numRuns: 3000, seed: 11 },
      );
    });
  }

  it("'Last, First' names: the same matches as the global pattern", () => {
    const { sticky, starts } = lastFirstPattern();
    const names = fc.array(fc.constantFrom('Smith', 'John', 'O’Brien', "D'Arcy", 'Zoë', 'Émile', 'Ngũ', '𝐀bc', '😀', 'Lee-Ann', ', ', ',\t', ',', ' ', '.', 'x', 'MRN', '\n', '-', "'"), { maxLength: 40 }).map((a) => a.join(''));
    fc.assert(
      fc.property(names, (t) => {
        const got: string[] = [];
        execAtCandidates(sticky, t, starts(t), (m) => got.push(`${m.index}:${m[0]}`));
        expect(got).toEqual(globalMatches(sticky, t));
      }),
      { numRuns: 5000, seed: 13 },
    );
  });

  it('no CPT/HCPCS code where the gate says none can be', () => {
    const { possible, patterns } = cptGate();
    const withCodes = fc.array(fc.constantFrom(...PIECES, '99213', '1234F', 'J1100', 'G0008', '$12345', '.12345', 'CPT ', 'A12345'), { maxLength: 60 }).map((a) => a.join(''));
    fc.assert(
      fc.property(withCodes, (t) => {
        if (possible(t, digitRuns(t))) return;
        for (const re of patterns) expect(globalMatches(re, t)).toEqual([]);
      }),
      { numRuns: 5000, seed: 14 },
    );
  });

  it('the lexicon pass records the same digit runs as digitRuns', () => {
    const lex = bundledLexicon();
    fc.assert(
      fc.property(text, (t) => {
        const runs: number[] = [];
        lex.match(t, lowerSameLength(t), newTriggers(), runs);
        expect(runs).toEqual(digitRuns(t));
      }),
      { numRuns: 3000, seed: 12 },
    );
  });
});

describe('labelled identifiers', () => {
  // label words, value-like runs, blanks and filler words, so values sit near and far from labels
  const LABEL_PIECES = ['MRN', 'MR#', 'Medical Record Number', 'Patient', 'Account', 'Guarantor', 'Prior Authorization', 'Number', 'No.', '#', ':', ' ', '  ', '\n', '\t', '\u00a0',
    'Member ID', 'Policyholder Identifier', 'Claim', 'Ref', 'Confirmation', 'Direct Deposit', 'Badge', 'ID', 'A', 'AB-', 'XK', '12', '123', '4567', '0012345', 'W0644322001',
    'lorem', 'ipsum dolor sit amet consectetur', 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', '-', '.', 'the patient account was closed', ',', "'s", '(', ')', '/', 'é', 'ſ', 'K'];
  const labelled = fc.array(fc.constantFrom(...LABEL_PIECES), { maxLength: 40 }).map((a) => a.join(''));

  it('the digit gate keeps every keyword whose match has a value with enough digits', () => {
    const { gate, specs } = labelGate();
    const lex = bundledLexicon();
    fc.assert(
      fc.property(labelled, (t) => {
        const trig = newTriggers();
        const runs: number[] = [];
        lex.match(t, lowerSameLength(t), trig, runs);
        for (const spec of specs) {
          const at = positions(trig, spec.family);
          const kept = (cands: readonly number[]) => {
            const out: string[] = [];
            execAtCandidates(spec.re, t, cands, (m) => {
              if ((m[1]!.match(/[0-9]/g)?.length ?? 0) >= spec.minDigits) out.push(`${m.index}:${m[0]}`);
            });
            return out;
          };
          expect(kept(gate(t, runs, at))).toEqual(kept(at));
        }
      }),
      { numRuns: 4000, seed: 16 },
    );
  });
});

describe('flatString', () => {
  it('gives back the same UTF-16 code units, lone surrogates and NULs included', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 200 }), fc.string({ unit: 'grapheme', maxLength: 50 }), (a, b) => {
        // sliced and concatenated inputs, the representations it exists to remove
        for (const s of [a, b, a + b, (a + b).slice(1), `${b}\ud800${a}\u0000`]) {
          const f = flatString(s);
          expect(f.length).toBe(s.length);
          expect(f === s).toBe(true);
        }
      }),
      { numRuns: 2000, seed: 15 },
    );
  });
});

describe('codeUnits', () => {
  it('gives each UTF-16 code unit of the string, also after a longer or a very long string', () => {
    const check = (s: string) => {
      const u = codeUnits(s);
      expect(u.length).toBe(s.length);
      for (let i = 0; i < s.length; i++) if (u[i] !== s.charCodeAt(i)) expect(`${i}: ${u[i]}`).toBe(`${i}: ${s.charCodeAt(i)}`);
    };
    fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 300 }), (s) => check(s)), { numRuns: 2000, seed: 17 });
    check('x'.repeat(70_000) + '\ud83d\ude00é');
    check('y\u0130'.repeat(600_000)); // over the length kept in the reused array
    check('short again');
  });
});
