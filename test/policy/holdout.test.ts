// Twenty hand-written messages in wordings, names, drugs and identifier formats unlike the dev
// corpus (a small hold-out written for this test): PHI must be caught, look-alikes must not.
import { describe, expect, it } from 'vitest';
import { scoreMessage } from '../../src/policy/index.js';

const mk = (subject: string, body: string, extra: { from?: string; to?: string } = {}) => Buffer.from([
  `From: ${extra.from ?? 'Staff <staff@org.example>'}`, `To: ${extra.to ?? 'Partner <p@partner.example>'}`, `Subject: ${subject}`,
  'MIME-Version: 1.0', 'Content-Type: text/plain; charset=utf-8', '', body].join('\r\n'));

const cases: Array<[string, string, string, { from?: string; to?: string }?]> = [
  // PHI
  ['phi', 'Consult request', 'Could cardiology see Ms. Odalys Ferrer this week? Echo showed EF 35%, new LBBB. She is on carvedilol 6.25 mg bid. Thanks.'],
  ['phi', 'Fw: imaging', 'Name: Haruto Sato\nD.O.B.: 14 Mar 1961\nExam: MRI lumbar spine w/o contrast\nImpression: L4-L5 disc extrusion with severe foraminal stenosis.'],
  ['phi', 'statement question', 'Hello, I got a bill for my colonoscopy on 5/2 and my insurance says it should be covered as preventive. Account 7730019923. Can you resubmit? Thanks, Priyanka Rao', { from: 'Priyanka Rao <prao88@mail.example>' }],
  ['phi', 'hospital follow-up', 'Dear Mr. Boateng,\n\nThank you for choosing our hospital. Following your admission for pneumonia, please schedule a follow-up within 7 days and continue azithromycin as prescribed.', { to: 'Kwame Boateng <kboateng@mail.example>' }],
  ['phi', 'eligibility', 'Subscriber: Lindqvist, Astrid\nSubscriber ID: ZKP-448-19-221\nRequested service: physical therapy, 12 visits, knee osteoarthritis.'],
  ['phi', 'pharmacy callback', 'Pt Rosalind Achterberg called, asking about her warfarin dose; INR 3.8 yesterday. Please call her back at 414-555-0199.'],
  ['phi', 'ER note', 'Chief complaint: abdominal pain. 34 y/o F. Patient name: Mireille Dubois. Hx of endometriosis. CT abd/pelvis ordered.'],
  ['phi', 'question', 'Hi Dr. K,\nMy blood sugar has been over 300 since I started prednisone. Should I take more insulin?\n- Tomas', { from: 'Tomas Lindgren <tl@mail.example>' }],
  ['phi', 'vaccine record', 'Immunization record for Zainab Yusuf (DOB 2019-07-04): MMR dose 2 and varicella given 6/3/2024 at Eastside Pediatrics.'],
  ['phi', 'behavioral health referral', 'Referring Jonah Whitfield, 16, for evaluation of suicidal ideation and self-harm; currently taking fluoxetine 20 mg. Mother Carla can be reached at (555) 201-7788.'],
  // clean
  ['clean', 'Re: Holiday Party', 'Reminder about the party Friday. Also the diabetes education classes start Monday.'],
  ['clean', 'New formulary', 'P&T approved semaglutide and tirzepatide for type 2 diabetes; prior authorization required. Contact pharmacy at 555-201-3000.'],
  ['clean', 'Case of the week', 'Mr. X, a 61-year-old man with ischemic cardiomyopathy, presents with syncope. What is the next step? Answer: ICD evaluation.'],
  ['clean', 'Volunteer spotlight', 'Please welcome Margaret Olsen, who has volunteered at the oncology infusion center for 10 years! Margaret says she loves chatting with patients.'],
  ['clean', 'IT ticket 448812', 'Ticket #448812: EHR printing issue on 4 West. Case number 00918273. Call the help desk at 555-123-4567.'],
  ['clean', 'Board minutes', 'The board reviewed readmission rates for heart failure (19.2%) and sepsis mortality. Dr. Amara Okoye, CMO, presented the quality dashboard.'],
  ['clean', 'Recall notice', 'FDA recall: metformin ER 500 mg, NDC 12345-678-90, lot 22A14. Check your inventory; no patient action needed unless dispensed.'],
  ['clean', 'Payroll', 'Dear Jordan Reyes, your W-2 is ready. SSN on file ends in 4321. Health insurance deductions: medical and dental.', { to: 'Jordan Reyes <jreyes@org.example>' }],
  ['clean', 'Webinar', 'Hi Sam,\nJoin our webinar on hypertension management: new ACC/AHA blood pressure targets, lisinopril vs amlodipine. Register now.', { to: 'Sam Park <sam@clinic.example>' }],
  ['clean', 'Staff health fair', 'Flu shots for employees on Tuesday in the cafeteria; bring your badge. Questions: call Employee Health at x4400.'],
];

describe('hand-written hold-out', () => {
  for (const [label, subject, body, extra] of cases) {
    it(`${label}: ${subject}`, () => {
      const d = scoreMessage(mk(subject, body, extra));
      expect(d.phi, JSON.stringify(d.reasons.map((r) => `${r.category}x${r.count}`))).toBe(label === 'phi');
    });
  }
});
