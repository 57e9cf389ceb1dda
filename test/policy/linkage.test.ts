// Linkage: when health information and a person in the same message are about each other. Each case
// names the wording that links them (or that must not): a bare past date after a name, "the <test>
// on <Name>", "checking in about <Name>", upper-case rows of a remittance, a lab table's columns, a
// bill sent to the patient, and the staff contexts (author bylines, opinions, HR paperwork) that
// stay negative. Synthetic names and addresses only.
import { describe, expect, it } from 'vitest';
import { scoreMessage } from '../../src/policy/index.js';
import { makeMessage, plain } from './helpers.js';

const colleagues = { from: 'Lena Ortiz <lortiz@northfield-clinic.example>', to: 'Marcus Bell <mbell@northfield-clinic.example>' };
const cats = (d: ReturnType<typeof scoreMessage>) => d.reasons.map((r) => r.category);

describe('a person linked to health information is PHI', () => {
  it('a name followed by a bare date long past reads as a birth date, also in the subject', () => {
    const d = scoreMessage(makeMessage({ ...colleagues, subject: 'Priya Raman 11/17/52 - ulcerative colitis and hypothyroidism f/u', parts: [plain('Please get this one on my schedule in 4 weeks, thanks.')] }));
    expect(d.phi).toBe(true);
    expect(cats(d)).toContain('dob');
  });

  it('"Name (date)" in a sentence with a finding', () => {
    const d = scoreMessage(makeMessage({ ...colleagues, subject: 'Prelim read', parts: [plain('Quick heads-up: the shoulder film on Calloway Umberger (09.15.1945) shows a rotator cuff tear and osteoarthritis. Full report to follow.')] }));
    expect(d.phi).toBe(true);
  });

  it('a recent date after a name is not a birth date', () => {
    const d = scoreMessage(makeMessage({ ...colleagues, subject: 'Rota', parts: [plain('Priya Raman 03/04/2025 will cover the front desk.')] }));
    expect(cats(d)).not.toContain('dob');
  });

  it('"the <test> on <Name> came back at <value>"', () => {
    const d = scoreMessage(makeMessage({ ...colleagues, subject: 'potassium back', parts: [plain('FYI the potassium on Prudence Eberhardt came back at 6.1 mmol/L (interval 3.5-5.1). Given the chronic kidney disease, I would hold the lisinopril until we talk.')] }));
    expect(d.phi).toBe(true);
    expect(cats(d)).toContain('name-in-clinical-context');
  });

  it('"Checking in about <Name>." followed by the health news', () => {
    const d = scoreMessage(makeMessage({ ...colleagues, subject: 'Coordination', parts: [plain('Marcus,\n\nChecking in about Alistair Haraldsen. The rheumatoid arthritis flared again last week and the methotrexate copay is the sticking point.\n\nLena')] }));
    expect(d.phi).toBe(true);
  });

  it('"please book <Name> (born ...) for a recheck of <condition>" is a care relationship', () => {
    const d = scoreMessage(makeMessage({ ...colleagues, subject: 'Please book', parts: [plain('Please book Alistair Summerfield (born September 3, 1976) for a recheck of the cholangiocarcinoma in about 5 weeks.')] }));
    expect(d.phi).toBe(true);
    expect(cats(d)).toContain('patient-relationship');
  });

  it('upper-case SURNAME, GIVEN rows of a space-aligned remittance under a PATIENT column', () => {
    const body = 'ELECTRONIC REMITTANCE ADVICE\n\nPATIENT  MEMBER ID  DOS  CPT  BILLED  PAID  ADJ\nIBEKWE, MAELYS  75M894206719  01/02/2025  99213  228.00  169.00  CO-45\nLINDQVIST, VERITY  UNS76683480  01/02/2025  20610  277.00  229.00  CO-45\n';
    const d = scoreMessage(makeMessage({ from: 'Plan EDI <era@plan.example>', to: colleagues.to, subject: '835 remittance', parts: [plain(body)] }));
    expect(d.phi).toBe(true);
    expect(cats(d)).toContain('name-in-clinical-context');
  });

  it('a lab table: values, flags and a valid LOINC under its columns, patient named above', () => {
    const body = 'Specimen for Lucinda Marchbanks (birthdate Apr-11-1966) has been finalized.\n\nAnalyte | LOINC | Value | Units | Interval | Status\nAngiotensin-converting enzyme | 70182-1 | 72 | U/L | 9-67 | HIGH\nAnti-Mullerian hormone | 26559-5 | 5.84 | ng/mL | 1.0-3.5 | HIGH\n';
    const d = scoreMessage(makeMessage({ from: 'Lab <results@lab.example>', to: colleagues.to, subject: 'Specimen finalized', parts: [plain(body)] }));
    expect(d.phi).toBe(true);
    expect(cats(d)).toContain('loinc');
  });

  it('a LOINC code with a wrong check digit in a LOINC column is not a code', () => {
    const body = 'Analyte | LOINC | Value | Units | Interval | Status\nAngiotensin-converting enzyme | 70182-4 | 72 | U/L | 9-67 | HIGH\n';
    const d = scoreMessage(makeMessage({ from: 'Lab <results@lab.example>', to: colleagues.to, subject: 'x', parts: [plain(body)] }));
    expect(cats(d)).not.toContain('loinc');
  });

  it('"D.O.B." on the line after a labelled name does not hide the name as a D.O. credential', () => {
    const d = scoreMessage(makeMessage({ from: 'Lab <results@lab.example>', to: colleagues.to, subject: 'Result', parts: [plain('Patient: Dagny Umberger\nD.O.B. July 18, 1937\n\nSerum sodium 121 mmol/L, consistent with hyponatremia.')] }));
    expect(cats(d)).toContain('name-in-clinical-context');
  });

  it('a statement greeting the sole personal recipient by name, for care', () => {
    const d = scoreMessage(makeMessage({
      from: 'Valley Hospital Billing <statements@valley-hosp.example>', to: 'Everett Iwasaki <everett.iwasaki51@webmail.example>', subject: 'Your statement',
      parts: [plain('Dear Everett Iwasaki,\n\nUpper endoscopy for scleritis (July).\nCharged $1019.06; insurance paid $24.18; balance due $88.35\n')],
    }));
    expect(d.phi).toBe(true);
  });
});

describe('staff, authors and paperwork stay negative', () => {
  it('an author byline ending in "et al." is not a list of patients', () => {
    const d = scoreMessage(makeMessage({
      from: 'Journal Alerts <alerts@journal.example>', to: colleagues.to, subject: 'New issue alert',
      parts: [plain('Efficacy of crovalimab in adults with ulcerative colitis: a registry analysis\nPriscilla Applegarth, Sabine Espinosa, Wystan Ferreira-Lowe, et al.\n\nBackground: ulcerative colitis (ICD-10 K51.90) carries substantial morbidity. Methods: 767 patients (mean age 42) were assigned to crovalimab or placebo.')],
    }));
    expect(d.phi).toBe(false);
  });

  it('opinions in the first person ("I read", "I\'m not sure") are not one\'s own care', () => {
    const d = scoreMessage(makeMessage({
      from: 'Tomas Berg <tberg@northfield-clinic.example>', to: colleagues.to, subject: 'new guidance',
      parts: [plain('I read the new guidance on sialolithiasis and hypothyroidism. I\'m not sure the evidence supports starting levothyroxine that early.\n\nTomas')],
    }));
    expect(d.phi).toBe(false);
  });

  it('an HR record with a name, a birth date and a "follow-up for paperwork" is not PHI', () => {
    const d = scoreMessage(makeMessage({
      from: 'HR Onboarding <hr@northfield-clinic.example>', to: colleagues.to, subject: 'New hire record',
      parts: [plain('New hire: Jane Roe 04/05/1988, start date 06/01/2025.\nPlease schedule Jane Roe for a follow-up for paperwork on Monday.\nDOB: 04/05/1988\n')],
    }));
    expect(d.phi).toBe(false);
  });

  it('a talk about a person\'s research is not about a patient', () => {
    const d = scoreMessage(makeMessage({
      ...colleagues, subject: 'Grand rounds',
      parts: [plain('Grand rounds this week is about Priya Raman and her research on ulcerative colitis and metformin. Lunch provided.')],
    }));
    expect(d.phi).toBe(false);
  });
});
