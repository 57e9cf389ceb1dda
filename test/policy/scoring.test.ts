// What the decision means, on hand-written messages unlike the dev corpus: health information
// linked to an identifiable person is PHI; health vocabulary alone, identifiers alone (pii),
// de-identified vignettes and confidentiality footers are not; organizations can tune it.
import { describe, expect, it } from 'vitest';
import { type PolicyConfig, scoreMessage } from '../../src/policy/index.js';
import { makeMessage, makeZip, plain } from './helpers.js';

const FOOTER = '\n\nCONFIDENTIALITY: this e-mail may contain protected health information (PHI) covered by HIPAA. If you are not the intended recipient, notify the sender and delete it.';

describe('linked health information is PHI', () => {
  it('a diagnosis and an MRN in the same note', () => {
    const d = scoreMessage(makeMessage({ parts: [plain('Re: Abdul Karimi (MRN 00417732)\n\nSeen today for worsening ulcerative colitis; starting mesalamine 1.2 g daily.')] }));
    expect(d.phi).toBe(true);
    expect(d.score).toBeGreaterThanOrEqual(d.threshold);
    expect(d.reasons.map((r) => r.category)).toEqual(expect.arrayContaining(['mrn', 'diagnosis', 'medication']));
  });

  it('a spreadsheet row with a name and a diagnosis', () => {
    const csv = 'Name,Date of Birth,Condition\r\n"Okafor, Grace",1958-02-11,Chronic obstructive pulmonary disease\r\n"Lind, Petter",1949-09-30,Atrial fibrillation\r\n';
    const d = scoreMessage(makeMessage({ subject: 'list', parts: [plain('Attached.'), { type: 'text/csv', body: csv, filename: 'outreach.csv' }] }));
    expect(d.phi).toBe(true);
    expect(d.reasons.find((r) => r.category === 'diagnosis')?.where).toContain('attachment outreach.csv');
  });

  it('a letter to the patient about their own results', () => {
    const d = scoreMessage(makeMessage({
      from: 'Dr. Amara Osei <aosei@clinic.example>',
      to: 'Lucia Ferreira <lucia.f@webmail.example>',
      subject: 'Your recent tests',
      parts: [plain('Dear Lucia,\n\nYour thyroid stimulating hormone was 8.2 mIU/L, which suggests hypothyroidism. I have sent a prescription for levothyroxine 50 mcg to your pharmacy.\n\nDr. Osei')],
    }));
    expect(d.phi).toBe(true);
  });

  it('PHI only inside a zipped attachment', () => {
    const zip = makeZip([{ name: 'notes/visit.txt', data: 'Patient: Tomasz Nowak\nDOB: 4/2/1971\nAssessment: major depressive disorder, sertraline 100 mg.' }]);
    const d = scoreMessage(makeMessage({ subject: 'files', parts: [plain('See attached.'), { type: 'application/zip', body: zip, encoding: 'base64', filename: 'export.zip' }] }));
    expect(d.phi).toBe(true);
    expect(d.reasons.find((r) => r.category === 'dob')?.where).toEqual(['attachment export.zip/notes/visit.txt']);
  });
});

describe('not PHI', () => {
  it('health vocabulary alone (a guideline discussion)', () => {
    const d = scoreMessage(makeMessage({ parts: [plain('Team, the new guidance lowers the blood pressure target for patients with chronic kidney disease and type 2 diabetes. ACE inhibitors or ARBs remain first line; SGLT2 inhibitors are added when eGFR allows. Discuss at Thursday huddle.' + FOOTER)] }));
    expect(d.phi).toBe(false);
    expect(d.pii).toBe(false);
  });

  it('aggregate statistics with ICD-10 codes', () => {
    const csv = 'icd10,description,encounters\r\nE11.9,Type 2 diabetes mellitus without complications,1204\r\nI10,Essential hypertension,2210\r\nJ45.909,Unspecified asthma,388\r\n';
    const d = scoreMessage(makeMessage({ parts: [plain('Q3 counts attached.'), { type: 'text/csv', body: csv, filename: 'q3.csv' }] }));
    expect(d.phi).toBe(false);
  });

  it('a de-identified teaching case with a speaker name', () => {
    const d = scoreMessage(makeMessage({ parts: [plain('Grand rounds Friday: Priya Natarajan, MD presents a 67-year-old man with new-onset heart failure and atrial fibrillation; discussion of anticoagulation choices.')] }));
    expect(d.phi).toBe(false);
  });

  it('identifiers alone are pii, not PHI', () => {
    const d = scoreMessage(makeMessage({ parts: [plain('Payroll correction for Hana Sato, Employee ID 40021: SSN 512-44-1290, direct deposit routing 021000021, account 000123456789. DOB 01/09/1990.')] }));
    expect(d.phi).toBe(false);
    expect(d.pii).toBe(true);
    expect(d.reasons.map((r) => r.category)).toEqual(expect.arrayContaining(['ssn', 'dob']));
  });

  it('a confidentiality footer that mentions PHI and HIPAA adds nothing', () => {
    const a = scoreMessage(makeMessage({ parts: [plain('Lunch is in the atrium at noon.')] }));
    const b = scoreMessage(makeMessage({ parts: [plain('Lunch is in the atrium at noon.' + FOOTER)] }));
    expect(b.score).toBe(a.score);
    expect(b.phi).toBe(false);
  });

  it('a prescriber NPI in sales mail is not a patient identifier', () => {
    const d = scoreMessage(makeMessage({ parts: [plain('Dr. Chen (NPI 1234567893): samples of our new inhaler for asthma and COPD are available; savings cards attached.')] }));
    expect(d.phi).toBe(false);
    expect(d.reasons.find((r) => r.category === 'npi')?.count).toBe(1);
  });
});

describe('organization configuration', () => {
  it('custom MRN patterns, extra terms and the threshold apply', () => {
    const msg = makeMessage({ parts: [plain('Folder EHX-0098812: needs Zorblax titration per clinic protocol.')] });
    const base = scoreMessage(msg);
    expect(base.reasons.find((r) => r.category === 'mrn')).toBeUndefined();
    const cfg: PolicyConfig = { mrnPatterns: ['\\bEHX-\\d{7}\\b'], terms: [{ term: 'zorblax', category: 'medication', weight: 3 }, { term: 'titration', category: 'clinical', weight: 2 }] };
    const tuned = scoreMessage(msg, cfg);
    expect(tuned.reasons.find((r) => r.category === 'mrn')?.count).toBe(1);
    expect(tuned.reasons.find((r) => r.category === 'medication')?.samples[0]).toContain("'zorblax'");
    expect(tuned.score).toBeGreaterThan(base.score);
    const strict = scoreMessage(msg, { ...cfg, threshold: 99 });
    expect(strict.threshold).toBe(99);
    expect(strict.phi).toBe(strict.score >= 99);
  });

  it('invalid configuration is refused with the key named', () => {
    const raw = makeMessage({ parts: [plain('x')] });
    expect(() => scoreMessage(raw, { threshold: 0 })).toThrow(/policy\.threshold/);
    expect(() => scoreMessage(raw, { mrnPatterns: ['(['] })).toThrow(/policy\.mrnPatterns\[0\]/);
    expect(() => scoreMessage(raw, { identifierWeights: { nonsense: 1 } })).toThrow(/identifierWeights\.nonsense/);
  });
});

describe('structured clinical formats', () => {
  it('an HL7 v2 result pasted into a message: PID name, MRN and DOB link to OBX results', () => {
    const hl7 = [
      'MSH|^~\\&|LAB|NORTH|EHR|CLINIC|202406011200||ORU^R01|123|P|2.5.1',
      'PID|1||448812^^^NORTH^MR||Varga^Ildiko||19640212|F',
      'OBR|1||5531|24323-8^Comprehensive metabolic panel^LN',
      'OBX|1|NM|2345-7^Glucose^LN||212|mg/dL|70-99|H|||F',
      'OBX|2|NM|2160-0^Creatinine^LN||1.9|mg/dL|0.6-1.2|H|||F',
    ].join('\r\n');
    const d = scoreMessage(makeMessage({ subject: 'interface test', parts: [plain('Raw message below.'), { type: 'text/plain', body: hl7, filename: 'oru.hl7' }] }));
    expect(d.phi).toBe(true);
    expect(d.reasons.map((r) => r.category)).toEqual(expect.arrayContaining(['mrn', 'dob', 'name-in-clinical-context', 'lab-value']));
    expect(JSON.stringify(d)).not.toContain('Varga');
  });

  it('a spreadsheet with snake_case headers (first_name, last_name, dx)', () => {
    const csv = 'first_name,last_name,dx\r\nAroha,Ngata,gestational diabetes\r\nBeatriz,Salgado,preeclampsia\r\n';
    const d = scoreMessage(makeMessage({ subject: 'export', parts: [plain('Attached.'), { type: 'text/csv', body: csv, filename: 'ob.csv' }] }));
    expect(d.phi).toBe(true);
  });

  it('a "Re:" subject that only looks like a name does not make a guideline thread PHI', () => {
    const d = scoreMessage(makeMessage({ subject: 'Re: Holiday Party', parts: [plain('Also: the new sepsis bundle requires lactate within one hour and broad-spectrum antibiotics such as piperacillin tazobactam; heart failure patients need careful fluid dosing.')] }));
    expect(d.phi).toBe(false);
  });
});

describe('table headers in many spellings give rows a patient and health data', () => {
  const headers: string[][] = [
    ['pt_name', 'med_rec_num', 'diag'], ['Patient Name', 'MRN', 'Primary Dx'], ['Beneficiary', 'MBI', 'Condition'],
    ['member_name', 'member_no', 'problem'], ['LastName', 'FirstName', 'Diagnosis'], ['Name', 'DOB', 'Reason for visit'],
    ['Client', 'Client ID', 'Presenting problem'], ['Patient', 'Acct', 'Procedure'], ['pat_last', 'pat_first', 'icd10_desc'],
    ['Full Name', 'Date of Birth', 'Medications'], ['Resident Name', 'Room', 'Allergies'],
  ];
  for (const h of headers) {
    it(h.join(','), () => {
      const row = h.map((c, i) => (/first/i.test(c) ? 'Grace' : /last/i.test(c) ? 'Okafor' : /dob|birth/i.test(c) ? '02/11/1958' : /mbi/i.test(c) ? '1EG4TE5MK73' : i === 2 ? 'chronic obstructive pulmonary disease' : i === 0 ? '"Okafor, Grace"' : '00412233'));
      const csv = `${h.join(',')}\r\n${row.join(',')}\r\n`;
      const d = scoreMessage(makeMessage({ subject: 'export', parts: [plain('Attached.'), { type: 'text/csv', body: csv, filename: 'x.csv', encoding: '7bit' }] }));
      expect(d.phi).toBe(true);
    });
  }

  it('a staff phone list is pii with a person-name column, not PHI', () => {
    const csv = 'Name,Cell,Home address\r\nRuth Ames,555-201-3344,12 Birch Lane\r\nOmar Said,555-201-9911,88 Cedar Ave\r\n';
    const d = scoreMessage(makeMessage({ subject: 'phones', parts: [plain('Updated list.'), { type: 'text/csv', body: csv, filename: 'phones.csv', encoding: '7bit' }] }));
    expect(d.phi).toBe(false);
    expect(d.pii).toBe(true);
    expect(d.reasons.find((r) => r.category === 'person-name')?.samples[0]).toContain("column 'name' of 2 row(s)");
  });
});

describe('HTML tables', () => {
  it('every row of an HTML table is a row (the blank lines between <tr> rows do not end it)', () => {
    const html = '<p>Census for tonight:</p><table><tr><th>Patient</th><th>Diagnosis</th></tr>' +
      '<tr><td>Grace Okafor</td><td>none</td></tr><tr><td>Tomas Lindqvist</td><td>decompensated heart failure</td></tr></table>';
    const d = scoreMessage(makeMessage({ subject: 'census', parts: [{ type: 'text/html', body: html, encoding: '7bit' }] }));
    expect(d.reasons.find((r) => r.category === 'name-in-clinical-context')?.samples[0]).toContain("column 'patient' of 2 row(s)");
    // the second row links a person to a diagnosis
    expect(d.phi).toBe(true);
  });
});

describe('patient as correspondent without a display name', () => {
  it('"Hi Anna" to <anna.allen73@...> about "your A1c" is PHI; the same words to a list address are not', () => {
    const mk = (to: string) => Buffer.from(`From: Clinic <c@clinic.example>\r\nTo: ${to}\r\nSubject: results\r\n\r\nHi Anna,\r\nYour A1c was 8.1%, so we will increase your metformin.\r\n`);
    expect(scoreMessage(mk('<anna.allen73@mail.example>')).phi).toBe(true);
    expect(scoreMessage(mk('<subscribers@list.example>')).phi).toBe(false);
  });
});

describe('pii without PHI', () => {
  it('a W-9 with a labelled TIN outside the issued SSN ranges is pii (tax-id), not an SSN, not PHI', () => {
    const d = scoreMessage(makeMessage({ parts: [plain('Contractor W-9\nName: Liv Andersen\nTIN (SSN): 000 66 7990\nAddress: 88 Fjord Road, Duluth, MN 55802')] }));
    expect(d.phi).toBe(false);
    expect(d.pii).toBe(true);
    expect(d.reasons.find((r) => r.category === 'ssn')).toBeUndefined();
    expect(d.reasons.find((r) => r.category === 'tax-id')?.samples[0]).toContain('***-**-7990');
    expect(d.reasons.find((r) => r.category === 'person-name')).toBeDefined();
  });
});

describe('results sent to one person without a greeting', () => {
  const mk = (to: string, body: string) => Buffer.from(`From: Clinic <c@clinic.example>\r\nTo: ${to}\r\nSubject: results\r\n\r\n${body}\r\n`);
  it('"your A1c ... your atorvastatin" to one personal address is PHI; the address is masked', () => {
    const d = scoreMessage(mk('<k.m88@mail.example>', 'Your A1c came back at 8.4%. Your cholesterol is also high, so we will start your atorvastatin 20 mg.'));
    expect(d.phi).toBe(true);
    expect(d.reasons.find((r) => r.category === 'patient-contact')?.samples[0]).toBe('patient contact ***@***.example in body');
  });
  it('"your patient" to a colleague, and general advice, are not', () => {
    expect(scoreMessage(mk('Dr. Lee <lee@partner.example>', 'Your patient has diabetes; your A1c target question: 7% is fine.')).phi).toBe(false);
    expect(scoreMessage(mk('<k.m88@mail.example>', 'Check your blood pressure and your cholesterol each year. Ask your doctor about statins.')).phi).toBe(false);
  });
});

describe('ledger accounts are not patient accounts', () => {
  it('"Charge to Account 55120" in a drug-budget note is not PHI', () => {
    const d = scoreMessage(makeMessage({ parts: [plain('FY25 pharmacy budget: insulin glargine, semaglutide and adalimumab spend up 9% for diabetes and rheumatoid arthritis. Charge to Account 55120.')] }));
    expect(d.phi).toBe(false);
    expect(d.reasons.find((r) => r.category === 'account-number')).toBeUndefined();
  });
});

describe('aggregate tables are not records about people', () => {
  it('a "Patient Population" column of groups with diagnoses is not PHI', () => {
    const csv = 'Patient Population,Diagnosis,Count\r\nAdults,Type 2 diabetes,1204\r\nChildren,Asthma,388\r\n';
    const d = scoreMessage(makeMessage({ subject: 'stats', parts: [plain('Attached.'), { type: 'text/csv', body: csv, filename: 's.csv', encoding: '7bit' }] }));
    expect(d.phi).toBe(false);
  });
});

describe('mail to clinicians about "your patients"', () => {
  it('a greeted sales rep note about "your patients with obesity" is not PHI', () => {
    const raw = Buffer.from('From: Rep <rep@pharma.example>\r\nTo: Sarah Lee <slee@clinic.example>\r\nSubject: samples\r\n\r\nHi Sarah,\r\nYour patients with obesity or type 2 diabetes may benefit from semaglutide. I can drop off samples Tuesday.\r\n');
    expect(scoreMessage(raw).phi).toBe(false);
  });
});

describe('greeted colleagues are not patients', () => {
  const mk = (body: string) => Buffer.from(`From: Ed <ed@hosp.example>\r\nTo: Sarah Lee <slee@clinic.example>\r\nSubject: hi\r\n\r\nHi Sarah,\r\n${body}\r\n`);
  for (const body of [
    'Your CME certificate for the diabetes management course is attached.',
    'Thanks for your presentation on heart failure yesterday, it was great.',
    'Your schedule next week includes the asthma clinic on Tuesday.',
    'Your flu shot is available at employee health this week.',
    'Your article on sepsis outcomes was accepted!',
  ]) {
    it(body, () => expect(scoreMessage(mk(body)).phi).toBe(false));
  }
  it('but "Your A1c was 8.2% so we will increase your metformin" is PHI', () => {
    expect(scoreMessage(mk('Your A1c was 8.2% so we will increase your metformin.')).phi).toBe(true);
  });
});
