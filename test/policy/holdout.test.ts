// About a hundred hand-written messages in wordings, names, drugs and identifier formats unlike the dev
// corpus (a small hold-out written for this test): PHI must be caught, look-alikes must not.
import { describe, expect, it } from 'vitest';
import { scoreMessage } from '../../src/policy/index.js';

const mk = (subject: string, body: string, extra: { from?: string; to?: string; type?: string } = {}) => Buffer.from([
  `From: ${extra.from ?? 'Staff <staff@org.example>'}`, `To: ${extra.to ?? 'Partner <p@partner.example>'}`, `Subject: ${subject}`,
  'MIME-Version: 1.0', `Content-Type: ${extra.type ?? 'text/plain'}; charset=utf-8`, '', body].join('\r\n'));

const cases: Array<[string, string, string, { from?: string; to?: string; type?: string }?]> = [
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

  ['phi', 'RE: pending auth', 'Auth #PA-55102 approved for Delacroix, Remy. CPT 27447 total knee arthroplasty, right. Valid 7/1-9/30.'],
  ['phi', 'Transfer', 'Accepting transfer: 72M, Ingvar Holm, MR 00918273, NSTEMI, heparin gtt, to CCU bed 4.'],
  ['phi', 'discharge', '<p>Discharge summary</p><table><tr><td>Patient</td><td>Anika Sharma</td></tr><tr><td>Admit</td><td>06/02/2024</td></tr><tr><td>Dx</td><td>Acute pancreatitis</td></tr></table>', { type: 'text/html' }],
  ['phi', 'Labs', 'Results for Chidi Okeke: hemoglobin 7.1 g/dL (low), ferritin 4 ng/mL. Recommend iron infusion. His PCP is Dr. Lamb.'],
  ['phi', 'claims list', 'Claim 4410022 | Nakamura, Ren | DOS 03/14/2024 | 99214 | $182.00\nClaim 4410023 | Ortiz, Lucia | DOS 03/15/2024 | 93000 | $54.00'],
  ['phi', 'Quick question re your mom', 'Hi Dana, I reviewed your mother Evelyn Price\'s MRI - the meningioma is stable. We can recheck in a year.', { to: 'Dana Price <dana.p@mail.example>' }],
  ['phi', 'Patient portal message', 'From patient Gustavo Reyes: "I ran out of my sertraline and have been feeling really depressed. Can you send a refill?"'],
  ['phi', 'no show', 'Lena Fischer (DOB 02/29/1988) did not show for her prenatal visit at 32 weeks. Please outreach.'],
  ['phi', 'Wound care', 'Home health update on Mr. Abernathy: stage 3 pressure injury on sacrum improving; continue silver alginate dressings.'],
  ['phi', 'results', 'Dear Ms. Kowalczyk,\nYour biopsy showed no cancer. The polyp was benign.\nSincerely, Dr. Yoon', { to: 'Irena Kowalczyk <ik@mail.example>' }],
  // clean
  ['clean', 'Grand Rounds', 'Dr. Helen Zhou presents: Novel anticoagulants in atrial fibrillation. Thursday noon, Auditorium B. Lunch provided.'],
  ['clean', 'Fwd: abstract', 'Outcomes of early mobilization after hip fracture surgery in 412 older adults. Patel R, Nguyen T, Okafor C. J Geriatr Med. 2024;12:44-51.'],
  ['clean', 'Sales', 'Dr. Morales, NPI 1234567893, thank you for your interest in Glucotrax CGM sensors for your diabetes patients. A rep will call you at 555-301-4411.'],
  ['clean', 'On-call', 'On call this weekend: Sat - Dr. Rivera (cardiology) 555-2101; Sun - Dr. Chen (nephrology) 555-2102. Page via operator.'],
  ['clean', 'Stats Q2', 'Q2 ED visits: 4,210. Top diagnoses: chest pain (412), UTI (388), asthma exacerbation (201). Average LOS 3.2 h.'],
  ['clean', 'Policy update', 'Per policy, PHI may only be emailed encrypted. Patient names, MRNs and DOBs must never appear in subject lines.'],
  ['clean', 'Job: RN ICU', 'Seeking RN for ICU nights. Experience with ventilators, sepsis protocols, CRRT preferred. Apply by 7/30. Contact Jane Holt, recruiter, 555-0110.'],
  ['clean', 'Benefits enrollment', 'Hi Marcus, open enrollment ends Friday. Review your medical, dental and vision plans and your HSA contribution.', { to: 'Marcus Webb <mwebb@org.example>' }],
  ['clean', 'Education', 'Patient handout draft: What is hypertension? High blood pressure often has no symptoms. Take your medicine every day, even if you feel fine.'],
  ['clean', 'Condolences', 'The team is saddened by the passing of our colleague Dr. Samuel Ortiz. A memorial will be held Saturday.'],

  ['phi', 'FW: ortho consult', 'Forwarding for scheduling. Beatrix Hollander, 58 yo F, s/p fall with distal radius fracture, needs ORIF this week. Ins: Aetna, member W228190345.'],
  ['phi', 'sick note', 'To whom it may concern: Ferhat Aydin was seen in our clinic on 4/18/2024 for acute bronchitis and may return to work on 4/22.'],
  ['phi', 'Cardiac rehab referral', 'Referral: Winifred Osei, DOB 9/9/1949, s/p CABG x3 on 5/30. Please enroll in phase II cardiac rehab. Ph (555) 842-1190.'],
  ['phi', 'thank you', 'Thank you for seeing my patient Elias Varga. His hep C viral load is now undetectable after 12 weeks of Epclusa.'],
  ['phi', 'Re: my test', 'Thanks doctor. So the nodule on my thyroid is not cancer? Do I still need the ultrasound in 6 months?\n\nBest,\nSunita Menon', { from: 'Sunita Menon <smenon@mail.example>' }],
  ['phi', 'Dialysis schedule change', 'Mr. Oyelaran will move to the MWF 2nd shift for hemodialysis starting Monday; his access is a left arm AV fistula.'],
  ['phi', 'lab critical', 'CRITICAL: K+ 6.8 mmol/L on specimen 24-118823 for patient ROSSI, GIULIA (MRN 7781203). Called to RN at 14:05.'],
  ['phi', 'attached', 'Please find the records request attached. Patient: Tobias Grunwald. Records: office notes 2022-2024, colonoscopy report, pathology.'],
  ['phi', 'Medication list', 'Current meds for Mrs. Ines Carvalho: levothyroxine 88 mcg daily, alendronate 70 mg weekly, vitamin D3 2000 IU.'],
  ['phi', 'appointment', 'Hi Kenji, your MRI of the left knee is scheduled for Tuesday, June 11 at 7:30 AM. No metal objects, please.', { to: 'Kenji Mori <kmori@mail.example>' }],
  ['clean', 'Journal club', 'This week: SGLT2 inhibitors and heart failure outcomes (EMPEROR-Preserved). Presenter: Dr. Farah Haddad. Pizza provided.'],
  ['clean', 'Pharmacy newsletter', 'Drug shortage update: amoxicillin suspension and albuterol inhalers remain limited. Consider alternatives per formulary.'],
  ['clean', 'Fwd: CE credit', 'Your certificate for "Managing COPD in Primary Care" (1.5 CE hours) is attached. Thank you for attending, Rosa!', { to: 'Rosa Lind <rlind@clinic.example>' }],
  ['clean', 'Quality metrics', 'Diabetes A1c control rate improved to 71% (goal 70%). Colorectal screening 64%. Hypertension control 68%.'],
  ['clean', 'Facilities', 'The MRI suite will be closed for maintenance Saturday 6am-2pm. Radiology will reschedule affected appointments.'],
  ['clean', 'Research recruitment', 'Now enrolling adults 40-75 with type 2 diabetes for a 12-week study of a new oral medication. Compensation provided. Call 555-777-1234.'],
  ['clean', 'Staff schedule', 'Week of 6/3: Mon Dr. Patel (clinic), Tue Dr. Gomez (procedures: colonoscopy), Wed Nurse practitioner Kim Tran (diabetes education).'],
  ['clean', 'Vendor invoice', 'Invoice #88123 for 40 cases of nitrile gloves and 10 cases of alcohol swabs. Net 30. Account 55120 (Supply Chain).'],
  ['clean', 'Reply: protocol', 'Agree with starting DOACs over warfarin for most patients with nonvalvular AF unless eGFR < 15 or mechanical valve. - Ben'],
  ['clean', 'Welcome', 'Please welcome Dr. Ngozi Eze, our new gastroenterologist, who specializes in inflammatory bowel disease and advanced endoscopy.'],

  ['phi', 'census', 'Bed 12 - Abernathy, Clyde - CHF exacerbation - on Lasix drip\nBed 14 - Moreau, Sylvie - COPD - BiPAP overnight\nBed 15 - Tran, Bao - post-op day 2 lap chole'],
  ['phi', 'Re: Jorge', 'Jorge Castillo called again about his back pain; he wants a stronger pain medication than tramadol. Can you call him?'],
  ['phi', 'death certificate', 'Please complete the death certificate for Harriet Quinn, date of death 6/9/2024, cause: metastatic pancreatic adenocarcinoma.'],
  ['phi', 'Prior auth denied', 'The request for Humira for member Octavia Lane (ID 883300112) was denied; step therapy with methotrexate required first.'],
  ['phi', 'school form', 'Student: Milo Andersen, grade 3. Diagnosis: type 1 diabetes. Insulin via pump; check blood glucose before lunch.'],
  ['phi', 'Hospice', 'Family meeting for Mr. Desmond Achebe tomorrow 2pm re transition to hospice; prognosis weeks given progression of ALS.'],
  ['phi', 'tele visit', 'Video visit with Priya Venkatesan today: reports panic attacks 3x/week, started sertraline 25 mg, follow up 4 weeks.'],
  ['phi', 'allergy alert', 'FYI allergy update for Konstantin Petrov (MRN K-220918): anaphylaxis to penicillin; add to chart.'],
  ['phi', 'lab req', 'Please draw CBC, CMP and lipid panel for Aiyana Blackfeather, DOB 1983-11-02, fasting. Dx Z00.00.'],
  ['phi', 'your prescription', 'Hello Fatima,\nYour prescription for amoxicillin 500 mg is ready for pickup at our pharmacy.\nThe Pharmacy Team', { to: 'Fatima Zahra <fz@mail.example>' }],
  ['clean', 'Ms. Rivera presents', 'Nurse educator Ms. Carmen Rivera will present updated sepsis screening and fall prevention protocols at the nursing forum.'],
  ['clean', 'Re: Sarah Kim', 'Sarah Kim accepted the charge nurse position on 5 North. Her start date is July 1. Please update the schedule.'],
  ['clean', 'Coding tip', 'Reminder: for type 2 diabetes with hyperglycemia use E11.65; for CKD stage 3a use N18.31. Link to the cheat sheet.'],
  ['clean', 'Lunch and learn', 'Lunch and learn sponsored by Novo: obesity pharmacotherapy with semaglutide. RSVP to Tom Baker by Friday.'],
  ['clean', 'Donation', 'Thanks to the Hernandez family for donating 200 teddy bears to the pediatric oncology unit in memory of their son.'],
  ['clean', 'Parking', 'Employees with a medical exemption for parking should submit form P-12 to security by 6/30.'],
  ['clean', 'Stats', 'Hospital-acquired pressure injuries fell to 0.8 per 1,000 patient days; CAUTI 0.4; CLABSI 0.2.'],
  ['clean', 'Mentor program', 'Hi Grace, thanks for mentoring our new residents. Topics this month: heart failure, COPD, and diabetic ketoacidosis.', { to: 'Grace Obi <gobi@clinic.example>' }],
  ['clean', 'Survey', 'Patient satisfaction (HCAHPS) top-box scores: communication with nurses 82%, pain management 71%.'],
  ['clean', 'Ethics consult policy', 'An ethics consult may be requested by any clinician, patient or family member. Call the ethics pager 555-0199.'],

  ['phi', 'callback', 'Please call the patient back at (555) 201-7788 about her biopsy results; she is anxious.'],
  ['phi', 'EOB', 'Explanation of Benefits for Nadia Petrenko. Service: MRI brain 01/12/2024. Billed $2,400, plan paid $1,900, you owe $500.'],
  ['phi', 'WC claim', 'Workers comp claim WC-2024-00871: employee Dmitri Orlov injured his right shoulder lifting boxes; rotator cuff tear confirmed on MRI.'],
  ['phi', 'Initials + DOB', 'Specimen for J.R., DOB 05/17/1990, positive for chlamydia. Treat with doxycycline 100 mg BID x7d.'],
  ['phi', 'nursing home', 'Resident Elsie Marchetti fell last night, no fracture on x-ray, added to fall-risk protocol; family notified.'],
  ['phi', 'dental', 'Patient Hiroshi Tanaka is scheduled for extraction of tooth #30 and bone graft on 7/9; premedicate with amoxicillin.'],
  ['phi', 'reply', 'Yes, Mrs. Delgado can stop the metoprolol before her stress test on Friday.'],
  ['phi', 'genetics', 'Genetic test for Leah Goldberg: BRCA1 pathogenic variant detected. Genetic counseling appointment recommended.'],
  ['phi', 'mental health', 'Session note: client Jordan Pierce discussed worsening depression and passive suicidal thoughts; safety plan reviewed.'],
  ['clean', 'press', 'Mercy Regional opens a new stroke center; neurologist Dr. Paul Stein says rapid thrombectomy saves lives.'],
  ['clean', 'Training', 'HIPAA training is due 9/30. Modules cover PHI, minimum necessary, and breach reporting. Questions: privacy@org.example'],
  ['clean', 'Supply', 'We are out of insulin syringes and glucometer strips on 3 West; please reorder (cost center 4410, PO 99812).'],
  ['clean', 'CME vignette', 'Case: a 45-year-old woman presents with fatigue and weight gain; TSH 9.8. Question: start levothyroxine?'],
  ['clean', 'Intro', 'Hi Beth, meet Carlos Mendes, our new diabetes educator. Carlos will run the insulin pump classes.', { to: 'Beth Young <by@clinic.example>' }],
  ['clean', 'Survey results', 'Of 212 patients with asthma surveyed, 38% reported using their inhaler incorrectly. Full report attached.'],
  ['clean', 'Guideline', 'For adults with LDL >= 190, start high-intensity statin (atorvastatin 40-80 mg or rosuvastatin 20-40 mg).'],
  ['clean', 'Obit', 'We remember Dr. Evelyn Hart, who practiced pediatrics for 40 years and championed childhood vaccination.'],
  ['clean', 'Award', 'Congratulations to Nurse Ana Silva, RN, winner of the DAISY award for compassionate care on the oncology unit.'],
  ['clean', 'Meeting', 'Agenda: 1) flu vaccine clinic logistics 2) COVID booster supply 3) measles exposure protocol review.'],

  ['phi', 'Transition of care', 'TRANSITION RECORD\nPatient: Rosalind Achebe    Record no.: RX-0091822\nAdmitted 02/03/2025, discharged 02/07/2025\nPrincipal problem: community-acquired pneumonia\nDischarge meds: cefpodoxime 200 mg BID x5d; continue tiotropium.\nFollow-up with PCP in 1 week.'],
  ['phi', 'Imaging results available', 'Study: CT chest with contrast\nPerformed: 01/22/2025\nPatient: Haldor Sveinsson, 71\nFindings: 9 mm spiculated nodule right upper lobe.\nImpression: suspicious for malignancy; recommend PET-CT.'],
  ['phi', 'Statement', 'Statement for account 0047712093\nGuarantor: Mele Fonoti\nDate of service 11/02/2024 - office visit, level 4 (99214); venipuncture (36415)\nInsurance paid $88.12. Balance due $40.00.'],
  ['phi', 'Specialist referral', 'Referring provider: Dr. Ana Ruiz\nReferred patient: Tevita Havili (born 1975-08-30)\nReason: refractory atrial fibrillation despite flecainide; please evaluate for ablation.'],
  ['phi', 'Path', 'SURGICAL PATHOLOGY - Accession SP25-00412\nName: NGATA, AROHA   DOB 07/07/1969\nSpecimen: breast, left, core biopsy\nDiagnosis: invasive lobular carcinoma, grade 2; ER positive.'],
  ['phi', 'Refill', 'Pharmacy fax: renewal requested for Oyelaran, Folake, DOB 12-01-1958: atorvastatin 40 mg #90, last fill 01/03/2025. Prescriber please sign.'],
  ['phi', 'PA determination', 'Determination: APPROVED\nMember: Ilse Brandt  Member ID: HZX-220913-01\nDrug: adalimumab 40 mg/0.4 mL every 14 days\nDiagnosis: Crohn disease of small intestine (K50.00)\nValid through 08/31/2025.'],
  ['phi', 'Your visit', 'Hello Mateus,\nThanks for coming in today. As we discussed, your gout flare should improve with colchicine; avoid alcohol and recheck uric acid in 4 weeks.\nDr. Lin', { to: 'Mateus Cardoso <mcardoso@mail.example>' }],
  ['phi', 'fyi', 'Forwarding the thread below.\n\n> On Jan 3, Dr. Park wrote:\n> Priya Nair is doing better on the new inhaler, but her asthma still\n> wakes her at night twice a week. Consider adding montelukast.'],
  ['phi', 'Outreach', 'Patients overdue for A1c:\nOkonkwo, Chidi - last A1c 9.4% (08/2024)\nLindqvist, Astrid - last A1c 8.8% (07/2024)\nSalgado, Beatriz - last A1c 10.1% (06/2024)'],
  ['clean', 'Coding audit', 'Audit findings: 14% of E/M visits were overcoded (99215 vs 99214). No patient-level data included; see summary table.'],
  ['clean', 'Formulary', 'Effective 3/1 the formulary prefers apixaban over rivaroxaban; NDC 0003-0893-21 remains covered. Questions to pharmacy@org.example.'],
  ['clean', 'Nurse residency', 'Welcome to the nurse residency cohort! Sessions cover sepsis, stroke alerts, insulin safety and falls. Contact Maya Ross at 555-201-6600.'],
  ['clean', 'Research', 'Abstract: In 2,314 adults with CKD stage 3-4, dapagliflozin reduced eGFR decline (HR 0.61). Authors: Haddad F, Lee M, Osei K.'],
  ['clean', 'Newsletter', 'This month: 5 tips to manage your blood pressure. Cut salt, move daily, take your medication as prescribed. Unsubscribe anytime.'],
  ['clean', 'IT change', 'Change ticket CHG0041220: EHR upgrade Saturday 22:00. Lab results interface and e-prescribing will be down for 2 hours.'],
  ['clean', 'Budget', 'FY25 budget: pharmacy spend up 8% driven by GLP-1 agonists and biologics; oncology infusion volumes +12%.'],
  ['clean', 'On-call roster', 'Cardiology on call: Mon Dr. Reyes 555-0101, Tue Dr. Kim 555-0102. Stroke team pager 555-0199.'],
  ['clean', 'Payroll', 'Correction for employee Sione Taufa (Emp ID 44120): SSN 512-44-1290, direct deposit account 000123456789, routing 021000021.'],
  ['clean', 'Vendor W-9', 'Contractor: Liv Andersen, 88 Fjord Rd, Duluth MN 55802, TIN 123-45-6788. Please process the 1099.'],

  ['clean', 'Speaker bios', 'Speakers: Maria Gonzalez, MD, cardiologist, on heart failure; John Peters, PharmD, on anticoagulation; Lisa Wong, RN, on diabetes education.'],
  ['clean', 'Re: Dr. Patel question', 'Dr. Patel asked whether we should screen all adults over 45 for diabetes with A1c. I think yes, per USPSTF.'],
  ['clean', 'Thanks!', 'Thank you Kevin Brooks for covering the ICU last night; the sepsis huddle went smoothly.'],
  ['clean', 'New hire', 'Please welcome Aisha Bello, our new clinical pharmacist for the anticoagulation clinic. Aisha joins us from Boston.'],
  ['clean', 'Committee', 'Minutes: Present - Ms. Grant, Mr. Liu, Dr. Shah. Discussed hand hygiene rates, C. diff rates and the new stroke protocol.'],
  ['clean', 'Article', 'Great NEJM piece by Eric Topol on AI in radiology and early detection of lung cancer. Worth a read.'],
  ['clean', 'Training', 'Reminder: BLS recertification for Jenna Moore, Tom Reilly and Paul Hsu is due before 8/1.'],
  ['clean', 'Trial', 'Dr. Hannah Berg is PI for the new trial of semaglutide in heart failure with preserved EF. Referrals welcome.'],
  ['clean', 'Newsletter story', 'Meet Carlos: after his heart attack, cardiac rehab helped him return to hiking. Read his story on our blog. Unsubscribe here.'],
  ['clean', 'Nurse week', 'Happy Nurses Week! Special thanks to Grace Lee, RN, who led the falls reduction project on 4 North.'],
  ['clean', 'Re: schedule', 'Sam Ortiz will cover clinic Tuesday; he can see diabetes and hypertension follow-ups only.'],
  ['clean', 'Grant', 'Our grant on opioid use disorder treatment in rural clinics was funded! Thanks to Dana Whitfield and the team.'],
];

describe('hand-written hold-out', () => {
  for (const [label, subject, body, extra] of cases) {
    it(`${label}: ${subject}`, () => {
      const d = scoreMessage(mk(subject, body, extra));
      expect(d.phi, JSON.stringify(d.reasons.map((r) => `${r.category}x${r.count}`))).toBe(label === 'phi');
    });
  }
});

describe('known misses (documented; these assert the current wrong answer and fail when fixed)', () => {
  it.fails('phi: a newborn named only as "Baby boy Ortiz", born without a year, NICU', () => {
    const d = scoreMessage(mk('Re: Baby Ortiz', 'Baby boy Ortiz, born 6/1 at 34 weeks, in NICU for respiratory distress; mom Valeria Ortiz at bedside.'));
    expect(d.phi).toBe(true);
  });
});
