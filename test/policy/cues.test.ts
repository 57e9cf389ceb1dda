// Words introduced by clinical cues: an unknown word after "follow-up for", "started", "history of"
// counts as a condition or drug only when it is not an everyday English word.
import { describe, expect, it } from 'vitest';
import { scoreMessage } from '../../src/policy/index.js';
import { isCommonEnglish } from '../../src/policy/english.js';

const mk = (subject: string, body: string) => Buffer.from([
  'From: Staff <staff@org.example>', 'To: Partner <p@partner.example>', `Subject: ${subject}`,
  'MIME-Version: 1.0', 'Content-Type: text/plain; charset=utf-8', '', body].join('\r\n'));

const HR = 'Employee: Dana Whitlock\nDOB: 04/12/1990\nSSN: 523-44-1290\nAddress: 14 Birch Lane, Dayton, OH 45402\n';

describe('clinical cues', () => {
  it('everyday words after a cue are not health information (pii_only stays pii_only)', () => {
    const d = scoreMessage(mk('New hire', `${HR}Dana started orientation Monday. Follow-up for paperwork on Friday; history of outages in building C.`));
    expect(d.phi, JSON.stringify(d.reasons)).toBe(false);
    expect(d.pii).toBe(true);
  });
  it('an unknown clinical word after the same cues links to the person', () => {
    const d = scoreMessage(mk('Clinic note', `Patient: Dana Whitlock\nDOB: 04/12/1990\nSeen today; follow-up for keratoconus in 3 months, started netarsudil drops.`));
    expect(d.phi, JSON.stringify(d.reasons)).toBe(true);
  });
  it('the word list knows everyday words and not drug names', () => {
    for (const w of ['paperwork', 'outages', 'orientation', 'mileage', 'colour']) expect(isCommonEnglish(w), w).toBe(true);
    for (const w of ['netarsudil', 'keratoconus', 'dyskinesia', 'lisinopril']) expect(isCommonEnglish(w), w).toBe(false);
  });
});
