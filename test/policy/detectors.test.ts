// Identifier and code validators, one behaviour each: SSN ranges, NPI Luhn with the 80840 prefix,
// Medicare MBI character classes, ICD-10-CM structure, LOINC check digit, and masking that never
// lets a raw identifier out of the engine.
import { describe, expect, it } from 'vitest';
import { isValidIcd10, isValidLoinc, isValidMbi, isValidNpi, isValidSsn, luhnCheckDigit, maskValue, scoreMessage } from '../../src/policy/index.js';
import { makeMessage, plain } from './helpers.js';

describe('SSN validity', () => {
  it('accepts issued ranges', () => {
    for (const s of ['123456789', '001010001', '665999999', '899991234', '219099999']) expect(isValidSsn(s), s).toBe(true);
  });
  it('rejects area 000, 666 and 900-999, group 00, serial 0000', () => {
    for (const s of ['000123456', '666123456', '900123456', '987654321', '999999999', '123004567', '123450000', '12345678', 'abcdefghi']) {
      expect(isValidSsn(s), s).toBe(false);
    }
  });
  it('an invalid-area SSN in a message is not reported as an SSN', () => {
    const d = scoreMessage(makeMessage({ parts: [plain('Payroll fix. SSN: 912-34-5678 and SSN 123-45-6789.')] }));
    const ssn = d.reasons.find((r) => r.category === 'ssn');
    expect(ssn?.count).toBe(1);
    expect(ssn?.samples[0]).toContain('***-**-6789');
  });
});

describe('NPI Luhn check (80840 prefix)', () => {
  it('accepts the CMS example and computed numbers', () => {
    expect(isValidNpi('1234567893')).toBe(true);
    for (const base of ['123456789', '245319481', '199999999']) {
      const npi = base + String(luhnCheckDigit('80840' + base));
      expect(isValidNpi(npi), npi).toBe(true);
    }
  });
  it('rejects a wrong check digit, a wrong first digit, and wrong lengths', () => {
    expect(isValidNpi('1234567890')).toBe(false);
    expect(isValidNpi('3234567893')).toBe(false);
    expect(isValidNpi('123456789')).toBe(false);
    expect(isValidNpi('12345678931')).toBe(false);
  });
});

describe('Medicare MBI format', () => {
  it('accepts the CMS example, plain and dashed', () => {
    expect(isValidMbi('1EG4TE5MK73')).toBe(true);
    expect(isValidMbi('1EG4-TE5-MK73')).toBe(true);
  });
  it('rejects excluded letters (S L O I B Z), a leading 0, letters where digits belong, bad dashes', () => {
    for (const s of ['1SG4TE5MK73', '1EL4TE5MK73', '1EG4TO5MK73', '1EG4TE5MI73', '1EG4TE5BK73', '1EG4TE5MZ73', '0EG4TE5MK73', '1EGATE5MK73', '1EG4-TE5MK73', '1EG4TE5MK7']) {
      expect(isValidMbi(s), s).toBe(false);
    }
  });
});

describe('ICD-10-CM structure', () => {
  it('accepts category, subcategory and 7-character codes', () => {
    for (const c of ['E11', 'E11.9', 'F32.A', 'I10', 'S72.001A', 'T36.0X1A', 'Z95.1', 'C4A.9', 'U07.1', 'M1A.00X0']) expect(isValidIcd10(c), c).toBe(true);
  });
  it('rejects malformed codes', () => {
    for (const c of ['E1.9', '11.9', 'EE1.9', 'E11.', 'E11.12345', 'e11.9', 'U99.1', 'E1C']) expect(isValidIcd10(c), c).toBe(false);
  });
  it('a dotted code is health evidence; an undotted one needs context', () => {
    const withCode = scoreMessage(makeMessage({ parts: [plain('Quarterly counts: E11.9 412, I10 388.')] }));
    expect(withCode.reasons.find((r) => r.category === 'icd10')?.count).toBe(1);
    const ctx = scoreMessage(makeMessage({ parts: [plain('Diagnosis code I10 was the most common.')] }));
    expect(ctx.reasons.find((r) => r.category === 'icd10')?.count).toBe(1);
    const none = scoreMessage(makeMessage({ parts: [plain('Take vitamin B12 and meet in room A10.')] }));
    expect(none.reasons.find((r) => r.category === 'icd10')).toBeUndefined();
  });
});

describe('LOINC check digit', () => {
  it('accepts real codes and rejects a wrong check digit', () => {
    for (const c of ['2345-7', '718-7', '4548-4', '2160-0']) expect(isValidLoinc(c), c).toBe(true);
    for (const c of ['2345-8', '718-1', '4548', 'x-1']) expect(isValidLoinc(c), c).toBe(false);
  });
});

describe('masking', () => {
  it('keeps at most the last 4 SSN digits and the last 2 of other numbers', () => {
    expect(maskValue('ssn', '219-09-9999')).toBe('***-**-9999');
    expect(maskValue('mrn', 'A5522357')).not.toContain('5522357');
    expect(maskValue('mrn', 'A5522357').endsWith('57')).toBe(true);
    expect(maskValue('dob', '07/31/2004')).toBe('**/**/****');
    expect(maskValue('name-in-clinical-context', 'Jane Roe')).toBe('J. R.');
    expect(maskValue('email', 'jane.roe@mailbox.example')).toBe('***@***.example');
  });

  it('no raw identifier, and no run of 5+ of its digits, appears anywhere in a decision', () => {
    const ids = {
      ssn: '219-09-9999', mrn: '88412345', mbi: '1EG4-TE5-MK73', phone: '(608) 555-0142', dob: '03/14/1961',
      member: 'XQZ448812907', claim: '77120045511', email: 'jane.roe@mailbox.example', street: '4411 Maple Street',
    };
    const msg = makeMessage({
      subject: 'Jane Roe, DOB 03/14/1961',
      parts: [plain(
        `Patient: Jane Roe\nDOB: ${ids.dob}\nSSN: ${ids.ssn}\nMRN: ${ids.mrn}\nMBI ${ids.mbi}\nPhone: ${ids.phone}\n` +
        `Member ID: ${ids.member}\nClaim #: ${ids.claim}\nE-mail: ${ids.email}\nAddress: ${ids.street}, Madison, WI 53703\n` +
        'Diagnosis: type 2 diabetes mellitus (E11.9); metformin 500 mg twice daily.\n', 'quoted-printable')],
    });
    const d = scoreMessage(msg);
    expect(d.phi).toBe(true);
    const json = JSON.stringify(d);
    for (const v of Object.values(ids)) {
      expect(json).not.toContain(v);
      const digits = v.replace(/\D/g, '');
      for (let i = 0; i + 5 <= digits.length; i++) expect(json, `${v} leaked`).not.toContain(digits.slice(i, i + 5));
    }
    expect(json).not.toContain('Jane');
    expect(json).not.toContain('Roe');
    expect(json).not.toContain('Maple');
    const cats = new Set(d.reasons.map((r) => r.category));
    for (const c of ['ssn', 'mrn', 'mbi', 'dob', 'phone', 'member-id', 'account-number', 'email', 'address', 'name-in-clinical-context', 'diagnosis', 'icd10', 'medication']) {
      expect(cats.has(c), c).toBe(true);
    }
  });
});
