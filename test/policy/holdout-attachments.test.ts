// Hold-out with attachments (PDF, CSV, DOCX, XLSX, zip, forwarded message), written for this test in
// wordings unlike the dev corpus: PHI only in an attachment is caught; staff and aggregate
// attachments are not PHI.
import { describe, expect, it } from 'vitest';
import { scoreMessage } from '../../src/policy/index.js';
import { type PartSpec, makeDocx, makeMessage, makePdf, makeXlsx, makeZip, plain } from './helpers.js';

const att = (type: string, body: Buffer | string, filename: string, encoding: PartSpec['encoding'] = 'base64'): PartSpec => ({ type, body, filename, encoding });

const cases: Array<[string, string, PartSpec[]]> = [
  ['phi', 'files', [plain('See attached, thanks.'), att('application/pdf', makePdf(['CONSULT NOTE', 'Name: Oskar Lindahl   Age: 67', 'Assessment: Parkinson disease, progressing; increase carbidopa-levodopa.'], true), 'consult.pdf')]],
  ['phi', 'roster', [plain('Roster attached.'), att('text/csv', 'Resident,Room,Allergies,Diet\r\n"Baptiste, Yves",104,sulfa,renal\r\n"Kowal, Edyta",106,none,diabetic\r\n', 'roster.csv', '7bit')]],
  ['phi', 'letter', [plain('Draft letter for review.'), att('application/vnd.openxmlformats-officedocument.wordprocessingml.document', makeDocx(['Dear Mr. Adeyemi,', 'Your recent echocardiogram showed moderate mitral regurgitation. We recommend follow-up in six months.']), 'letter.docx')]],
  ['phi', 'export', [plain('Export for the registry.'), att('application/vnd.openxmlformats-officedocument.spreadsheetml.sheet', makeXlsx([['MRN', 'Name', 'Diagnosis'], ['00331122', 'Ilse Brandt', 'Multiple sclerosis'], ['00331123', 'Cyrus Parvizi', 'Epilepsy']]), 'registry.xlsx')]],
  ['phi', 'zip', [plain('Zipped.'), att('application/zip', makeZip([{ name: 'notes/note1.txt', data: 'Pt: Lorna McBride\nHx: COPD, home O2 2L\nPlan: pulmonary rehab referral' }]), 'notes.zip')]],
  ['phi', 'fwd', [plain('FYI below.'), { type: 'message/rfc822', body: makeMessage({ subject: 'Re: my mother', parts: [plain('My mother, Agnieszka Wolna (born 03/02/1941), was just diagnosed with macular degeneration. What should we do next?')] }) }]],
  ['clean', 'slides', [plain('Slides from today.'), att('application/pdf', makePdf(['Heart Failure Update 2024', 'Speaker: Dr. Aisha Rahman, MD', 'GDMT: ARNI, beta blocker, MRA, SGLT2 inhibitor', 'Case: 70-year-old woman with HFrEF'], true), 'slides.pdf')]],
  ['clean', 'schedule', [plain('Schedule attached.'), att('text/csv', 'Name,Role,Shift,Unit\r\nJoan Pike,RN,Night,Oncology\r\nMarco Ruiz,CNA,Day,Cardiac Step-Down\r\n', 'schedule.csv', '7bit')]],
  ['clean', 'stats', [plain('Attached.'), att('application/vnd.openxmlformats-officedocument.spreadsheetml.sheet', makeXlsx([['Diagnosis', 'ICD-10', 'Count'], ['Type 2 diabetes', 'E11.9', '1204'], ['Hypertension', 'I10', '2210']]), 'stats.xlsx')]],
  ['clean', 'contacts', [plain('Updated phone list.'), att('text/csv', 'Name,Cell,Home address\r\nRuth Ames,555-201-3344,12 Birch Lane Springfield IL\r\nOmar Said,555-201-9911,88 Cedar Ave Springfield IL\r\n', 'phones.csv', '7bit')]],
];

describe('hand-written hold-out with attachments', () => {
  for (const [label, subject, parts] of cases) {
    it(`${label}: ${subject}`, () => {
      const d = scoreMessage(makeMessage({ subject, parts }));
      expect(d.phi, JSON.stringify(d.reasons.map((r) => `${r.category}x${r.count}`))).toBe(label === 'phi');
    });
  }
});
