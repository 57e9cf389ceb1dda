// The name passes of the scorer take shortcuts that must give exactly what the plain forms give:
// tokens split by character code, masking by character code, findings merged in order, and
// '$'-anchored name patterns run on a shorter tail of the text. Random texts built from the pieces
// these patterns care about must give the same results both ways.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { maskValue } from '../../src/policy/mask.js';
import { byStart, namePassGates, nameSplit } from '../../src/policy/score.js';

const PIECES = [
  'Jane', 'Roe', 'O’Brien', "D'Arcy", 'Zoë', 'Élodie', 'İ', '𝒜', 'Smith-Jones', 'K.', 'a', 'of', 'MD', ' ', '  ', '\t', '\n', ',', ', ', '.', '-', '\u00a0', '\u2003',
  '(', ')', '1', '12', '555', '123-45-6789', '@', 'x@y.org', '#', 'é', 'ß', '9',
];
const text = fc.array(fc.constantFrom(...PIECES), { maxLength: 24 }).map((a) => a.join(''));

/** maskValue as it was written with regular expressions (the reference). */
function tailRef(v: string, keep: number): string {
  const chars = v.replace(/[^A-Za-z0-9]/g, '');
  if (chars.length <= keep * 2) return '*'.repeat(Math.max(3, chars.length));
  return '*'.repeat(Math.min(8, chars.length - keep)) + chars.slice(-keep);
}
function maskRef(category: string, value: string): string {
  switch (category) {
    case 'ssn':
    case 'tax-id':
      return `***-**-${value.replace(/\D/g, '').slice(-4)}`;
    case 'patient-contact':
      return value.includes('@') ? maskRef('email', value) : maskRef('phone', value);
    case 'dob':
    case 'date-of-service':
      return '**/**/****';
    case 'email': {
      const at = value.lastIndexOf('@');
      const domain = at >= 0 ? value.slice(at + 1) : '';
      const tld = domain.split('.').pop() ?? '';
      return `***@***.${tld.replace(/[^A-Za-z]/g, '').slice(0, 10)}`;
    }
    case 'phone':
      return `(***) ***-**${value.replace(/\D/g, '').slice(-2)}`;
    case 'address':
      return '[street address]';
    case 'name-in-clinical-context':
    case 'name-near-health': {
      const initials = value
        .split(/[\s,]+/)
        .filter((t) => /^\p{L}/u.test(t))
        .slice(0, 3)
        .map((t) => `${t[0]!.toUpperCase()}.`);
      return initials.length ? initials.join(' ') : '[name]';
    }
    case 'npi':
    case 'mrn':
    case 'member-id':
    case 'mbi':
    case 'account-number':
    case 'reference-number':
    case 'bank-account':
    case 'employee-id':
      return tailRef(value, 2);
    default:
      return tailRef(value, 0);
  }
}
const CATS = ['ssn', 'tax-id', 'patient-contact', 'dob', 'email', 'phone', 'address', 'name-in-clinical-context', 'name-near-health', 'mrn', 'member-id', 'npi', 'other'];

describe('name pass shortcuts', () => {
  it('nameSplit is split(/[\\s,]+/).filter(Boolean)', () => {
    fc.assert(fc.property(text, (t) => {
      expect(nameSplit(t)).toEqual(t.split(/[\s,]+/).filter(Boolean));
    }), { numRuns: 3000, seed: 5 });
  });
  it('maskValue gives what the regex form gives', () => {
    fc.assert(
      fc.property(fc.constantFrom(...CATS), text, (c, v) => {
        expect(maskValue(c, v)).toBe(maskRef(c, v));
      }),
      { numRuns: 5000, seed: 6 },
    );
  });
  it('byStart is a stable sort of the concatenation', () => {
    const list = fc.array(fc.record({ start: fc.integer({ min: 0, max: 20 }), id: fc.nat() }), { maxLength: 40 });
    fc.assert(
      fc.property(list, list, fc.boolean(), (a, b, sortA) => {
        const aa = sortA ? [...a].sort((x, y) => x.start - y.start) : a;
        expect(byStart(aa, b)).toEqual([...aa, ...b].sort((x, y) => x.start - y.start));
      }),
      { numRuns: 3000, seed: 7 },
    );
  });
});

const NAME_PIECES = [
  'Jane', 'Roe', 'O’Brien', "D'Arcy", 'Zoë', 'Élodie', 'Smith-Jones', 'K.', 'J.', 'a', 'an', 'of', 'MD', 'Dr', 'Dr.', 'Prof', 'Nurse', 'Clinic', 'center',
  'patient', 'Patient', 'call him', 'his cell', 'pt', 'PT', ' ', ' ', ' ', '  ', '\t', '\n', ',', ', ', '.', '-', '\u00a0', '(', '1', '54', '𝒜', 'İ', 'M.D.', 'PharmD', 'Jr',
];
const nameText = fc.array(fc.constantFrom(...NAME_PIECES), { maxLength: 40 }).map((a) => a.join(''));
const g = namePassGates();

describe('name pass gates', () => {
  it('nameAtEnd is NAME_AT_END on the slice', () => {
    fc.assert(
      fc.property(nameText, fc.nat(), fc.nat(), (t, a, b) => {
        const lo = a % (t.length + 1);
        const end = lo + (b % (t.length - lo + 1));
        const ref = g.NAME_AT_END.exec(t.slice(lo, end));
        expect(g.nameAtEnd(t, lo, end)).toEqual(ref ? { index: lo + ref.index, v: ref[1] } : null);
      }),
      { numRuns: 20000, seed: 8 },
    );
  });
  it('context gates never reject what the patterns accept', () => {
    fc.assert(
      fc.property(nameText, fc.nat(), (t, a) => {
        const at = a % (t.length + 1);
        if (g.CREDENTIAL_AFTER.test(t.slice(at, at + 12))) expect(g.credentialAfterPossible(t, at)).toBe(true);
        if (g.TITLE_BEFORE.test(t.slice(Math.max(0, at - 12), at))) expect(g.titleBeforePossible(t, at)).toBe(true);
        const next = /^\s+(\p{L}+)/u.exec(t.slice(at, at + 30))?.[1];
        expect(g.orgWordAfter(t, at)).toBe(next !== undefined && g.ORG_WORDS.has(next.normalize('NFD').replace(/[\u0300-\u036f]/g, '').toLowerCase()));
        expect(g.patientContactBefore(t, at)).toBe(g.PATIENT_CONTACT_BEFORE.test(t.slice(Math.max(0, at - 60), at)));
      }),
      { numRuns: 20000, seed: 9 },
    );
  });
});
