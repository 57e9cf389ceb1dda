// Health words and identifier formats the lists do not spell out: drug stems, head nouns after an
// eponym or a rare word, salt words after a chemical name, shorthand written with '/', lab values
// with flags and wider units, titers, LOINC codes on a result line, and identifier label forms.
import { describe, expect, it } from 'vitest';
import { bundledLexicon } from '../../src/policy/lexicon.js';
import { detectCodes, detectIdentifiers } from '../../src/policy/detectors.js';

const terms = (text: string) => bundledLexicon().match(text).map((h) => ({ cat: h.info.category, text: text.slice(h.start, h.end) }));
const cats = (text: string) => terms(text).map((t) => t.cat);
const codes = (text: string) => detectCodes(text).map((f) => [f.category, f.value]);
const ids = (text: string) => detectIdentifiers(text, { mrnPatterns: [], memberIdPatterns: [] }).map((f) => [f.category, f.value]);

describe('drug-name stems outside the lists', () => {
  it.each(['fingolimod', 'brivaracetam', 'perampanel', 'cenobamate', 'teriflunomide', 'avatrombopag', 'tedizolid', 'colesevelam', 'prucalopride', 'anagrelide', 'carbidopa', 'idelalisib', 'daprodustat', 'levomilnacipran', 'dalfampridine', 'fenfluramine'])(
    '%s reads as a medication',
    (w) => expect(cats(`she takes ${w} daily`)).toContain('medication'),
  );
  it('enzymes are tests; a checked stem skips everyday words', () => {
    expect(cats('the fecal elastase was low')).toContain('test');
    expect(cats('a new transferase assay')).toContain('test');
    expect(cats('started etanercept')).toContain('medication');
    expect(cats('the concept and the intercept of the database release')).toEqual([]);
  });
});

describe('head nouns', () => {
  it('an eponym before disease/syndrome is a diagnosis; the chain of a hyphenated eponym too', () => {
    expect(terms('how your Marfan syndrome is doing')).toEqual([{ cat: 'diagnosis', text: 'Marfan syndrome' }]);
    expect(terms('a recheck of the Charcot-Marie-Tooth disease')).toEqual([{ cat: 'diagnosis', text: 'Charcot-Marie-Tooth disease' }]);
    expect(terms("known Addison's disease")).toEqual([{ cat: 'diagnosis', text: "Addison's disease" }]);
  });
  it('a common word, a sentence start or an organization name is not one', () => {
    expect(cats('The disease burden in this region. This Syndrome is rare. Some disorder in the files.')).toEqual([]);
    expect(cats('a gift to the Kawasaki Disease Foundation')).toEqual([]);
  });
  it('deficiency after a rare word or an abbreviation; not after an everyday word', () => {
    expect(cats('given your alpha-1 antitrypsin deficiency')).toContain('diagnosis');
    expect(cats('known G6PD deficiency')).toContain('diagnosis');
    expect(cats('a deficiency in the audit, a budget deficiency')).toEqual([]);
    expect(terms('for my exocrine pancreatic insufficiency')).toEqual([{ cat: 'diagnosis', text: 'pancreatic insufficiency' }]);
  });
  it('a salt word after a rare chemical name is a medication; alone it is nothing', () => {
    expect(terms('down to my last few lanthanum carbonate, thanks')).toEqual([{ cat: 'medication', text: 'lanthanum carbonate' }]);
    expect(cats('the carbonate rock and the chloride level of the pool')).not.toContain('medication');
  });
});

describe('shorthand and lay words', () => {
  it('f/u and s/p only as written', () => {
    expect(cats('f/u in 2 weeks, s/p appendectomy')).toEqual(['clinical', 'clinical', 'procedure']);
    expect(cats("Dr. Smith's P.A. will call; F U N day")).toEqual([]);
  });
  it('insulin-like growth factor 1 is a test, not insulin', () => {
    expect(terms('the insulin-like growth factor 1 came back high')).toEqual([{ cat: 'test', text: 'insulin-like growth factor 1' }]);
  });
});

describe('lab values, titers and LOINC on a result line', () => {
  it('wider units and abnormal flags between number and unit', () => {
    expect(codes('Osmolality 312 H mOsm/kg')).toContainEqual(['lab-value', '312 H mOsm/kg']);
    expect(codes('renin activity 4.2 nmol/hr/mL')).toContainEqual(['lab-value', '4.2 nmol/hr/mL']);
    expect(codes('your fecal elastase was 96 mcg/g')).toContainEqual(['lab-value', '96 mcg/g']);
    expect(codes('tTG IgA 48 RU/mL')).toContainEqual(['lab-value', '48 RU/mL']);
  });
  it('a titer needs an antibody/titer word before it and is not a time', () => {
    expect(codes('smooth muscle antibody of 1:80 is outside the range')).toContainEqual(['lab-value', '1:80']);
    expect(codes('the antibody meeting is at 1:40 pm')).toEqual([]);
    expect(codes('lunch at 1:40 in room 2')).toEqual([]);
  });
  it('a check-digit-valid LOINC code counts on a line with a lab value, not elsewhere', () => {
    expect(codes('Sodium  2951-2  148 H mmol/L')).toContainEqual(['loinc', '2951-2']);
    expect(codes('part 2951-2 shipped')).toEqual([]);
    expect(codes('Sodium  2951-3  148 mmol/L').some(([c]) => c === 'loinc')).toBe(false);
  });
  it('a five-digit code in parentheses is a CPT code on a statement line with a date and an amount', () => {
    expect(codes('Visit on 20250716 - airway scope (31624) for cough\nCharged $1019.06')).toContainEqual(['cpt', '31624']);
    expect(codes('Order (31624) shipped to 12 Elm St')).toEqual([]);
    expect(codes('Service date: 2025/12/09\nDescription: nerve transposition (64718)\nCharges: $10362.00')).toContainEqual(['cpt', '64718']);
    expect(codes('Order date: 2025/12/09\nItem (64718)\nShipped by courier')).toEqual([]);
  });
});

describe('identifier formats', () => {
  it("an MRN value may hold '/' between digits; a date after the label is not one", () => {
    expect(ids('(MRN# K04/32784) is being discharged')).toContainEqual(['mrn', 'K04/32784']);
    expect(ids('MRN: 03/12/2024').some(([c]) => c === 'mrn')).toBe(false);
  });
  it("'chart' before an MRN-shaped value", () => {
    expect(ids('see chart KV-1234567 for details')).toContainEqual(['mrn', 'KV-1234567']);
    expect(ids('see chart 2024 summary').some(([c]) => c === 'mrn')).toBe(false);
  });
  it('an insurer name between the label and the member ID', () => {
    expect(ids('Insurance: Blue Ridge Health XQJ-298-75263-04')).toContainEqual(['member-id', 'XQJ-298-75263-04']);
    expect(ids('insurance: pending review 2024').some(([c]) => c === 'member-id')).toBe(false);
  });
  it("'Enc #' is an encounter number", () => {
    expect(ids('Enc # V46923144')).toContainEqual(['account-number', 'V46923144']);
    expect(ids('enclosed 12345678').some(([c]) => c === 'account-number')).toBe(false);
  });
  it('a YYYYMMDD date of service; a lower-case word before it is not an account number', () => {
    const f = ids('Visit on 20250716, thanks');
    expect(f).toContainEqual(['date-of-service', '20250716']);
    expect(f.some(([c]) => c === 'account-number')).toBe(false);
  });
});
