// Deterministic generator of a second labelled PHI corpus ("generated hold-out"): about 300 synthetic
// outbound e-mails over the same 28 kinds as ../shared/corpus/phi-dev, in its proportions, but
// written with other wording, other vocabularies (names, drugs, diagnoses, ICD-10-CM/CPT/HCPCS
// codes, NDCs, LOINC, lab tests), other identifier formats and other domains (.example/.test).
// Used by `node dist/bench/eval-phi.js --holdout` and test/policy/holdout-generated.test.ts to
// estimate how the scorer generalises. Everything is invented; no real person is described.
// Trust level: developer tool; pure (seed in, messages out), no I/O.
import { prng } from '../smime/fuzz-enveloped.js';
import { type HoldoutLabel, type HoldoutMessage, HOLDOUT_KINDS, type Rand, pick, int, digits, pad, planKinds } from './holdout-common.js';

export { type HoldoutLabel, type HoldoutMessage, HOLDOUT_KINDS };




// ---------------------------------------------------------------------------------------------
// Vocabularies (chosen to be absent from the dev corpus)

const FIRST_F = ['Adaeze', 'Aino', 'Sigríður', 'Thảo', 'Marisol', 'Yerlan', 'Wanjiru', 'Ifeoma', 'Radka', 'Eleni',
  'Kalani', 'Noor', 'Bích', 'Ngaio', 'Zsófia', 'Oyelaran', 'Maricel', 'Svetlana', 'Chiamaka', 'Ilse', 'Hyun-joo',
  'Leilani', 'Dagný', 'Tsehay', 'Rukhsana', 'Paulína', 'Ainhoa', 'Mfon', 'Ximena', 'Ebba'];
const FIRST_M = ['Chukwuemeka', 'Wojciech', 'Tesfaye', 'Emre', 'Joris', 'Karthik', 'Bolat', 'Rangi', 'Jiří', 'Ólafur',
  'Teodoro', 'Nnamdi', 'Dmitri', 'Bogdan', 'Anselm', 'Haoyu', 'Kofi', 'Rafiq', 'Ezequiel', 'Tuan', 'Ilkka',
  'Benedek', 'Obinna', 'Sione', 'Lachlan', 'Vikram', 'Gunnar', 'Matteo', 'Kaito', 'Yusuf'];
const LAST = ['Okonkwo', 'Virtanen', 'Jónsdóttir', 'Kowalczyk', 'Bekele', 'Yıldız', 'Van der Berg', 'Subramanian',
  'Ngata', 'Papadakis', 'Dimaculangan', 'Al-Harbi', 'Nakashima', 'Horváth', 'Kariuki', 'Azevedo', 'Lindqvist',
  'Ferreira-Lopes', 'Oyelowo', 'Tuiasosopo', 'Dvořák', 'Mahlangu', 'Quispe', 'Fitzgibbon', 'Abernethy', 'Ishikawa',
  'Szabó', 'Halvorsen', 'Achebe', 'Rautio', 'Kapoor', 'Mensah', 'Zielinski', 'Dragomir', 'Baptiste', 'Oyarzún',
  'Whitcombe', 'Thorsen', 'Kealoha', 'Babatunde', 'Castellanos', 'Morozova', 'Petrakis', 'Lungu', 'Nwosu',
  'Esposito', 'Grünewald', 'Tran Van', 'Soto-Mayor', 'MacAulay'];
const STAFF_LAST = ['Whitlock', 'Adeyemi', 'Ramaswamy', 'Koskinen', 'Delacourt', 'Brennan-Shaw', 'Oduya', 'Sandoval',
  'Haugland', 'Tremblay', 'Mwangi', 'Falkenberg', 'Ivanova', 'Carrington', 'Pellegrino', 'Yamauchi', 'Osei',
  'Lindahl', 'Rosales', 'Kwiatkowski'];
const STAFF_FIRST = ['Harriet', 'Olumide', 'Folasade', 'Jussi', 'Colette', 'Declan', 'Amina', 'Rodrigo', 'Ingvild',
  'Étienne', 'Njeri', 'Fredrik', 'Katya', 'Rowan', 'Giulia', 'Kenji', 'Kwabena', 'Solveig', 'Paloma', 'Tadeusz'];
const CREDS = ['MD', 'DO', 'NP', 'PA-C', 'MD, FACP', 'DNP, APRN', 'MD, PhD'];

interface Org { name: string; domain: string; phone: string; city: string }
const CLINICS: Org[] = [
  { name: 'Saltmarsh Community Health', domain: 'saltmarsh-health.example', phone: '(843) 555-0142', city: 'Beaufort, SC' },
  { name: 'Tamarack Orthopedic Associates', domain: 'tamarack-ortho.example', phone: '218.555.0177', city: 'Duluth, MN' },
  { name: 'Ferncastle General Hospital', domain: 'ferncastle-hospital.example', phone: '(503) 555-0120', city: 'Salem, OR' },
  { name: 'Kestrel Valley Internal Medicine', domain: 'kestrelvalley-im.test', phone: '505-555-0163', city: 'Las Cruces, NM' },
  { name: 'Ironwood Heart & Vascular', domain: 'ironwood-hv.example', phone: '(602) 555-0188', city: 'Mesa, AZ' },
  { name: 'Pinecrest Women\'s Health', domain: 'pinecrest-wh.test', phone: '802 555 0131', city: 'Rutland, VT' },
  { name: 'Oxbow Rheumatology', domain: 'oxbow-rheum.example', phone: '(319) 555-0115', city: 'Iowa City, IA' },
  { name: 'Larkspur Pediatrics', domain: 'larkspur-peds.test', phone: '208-555-0194', city: 'Boise, ID' },
];
const LABS: Org[] = [
  { name: 'Quillon Diagnostic Laboratories', domain: 'quillon-dx.test', phone: '1-888-555-0106', city: 'Omaha, NE' },
  { name: 'Basalt Pathology Partners', domain: 'basalt-path.example', phone: '(775) 555-0152', city: 'Reno, NV' },
];
const IMAGING: Org = { name: 'Wrenfield Imaging Center', domain: 'wrenfield-imaging.example', phone: '(414) 555-0173', city: 'Milwaukee, WI' };
const PAYERS: Org[] = [
  { name: 'Cobaltshield Health Plan', domain: 'cobaltshield.test', phone: '1-800-555-0129', city: 'Hartford, CT' },
  { name: 'Prairie Mutual Benefit Trust', domain: 'prairiemutual.test', phone: '1-877-555-0148', city: 'Topeka, KS' },
];
const PHARMACY: Org = { name: 'Bayleaf Community Pharmacy', domain: 'bayleaf-rx.test', phone: '(207) 555-0185', city: 'Bangor, ME' };
const PATIENT_DOMAINS = ['fastpost.test', 'inboxly.example', 'kiwimail.test', 'letterbox.example'];

interface Drug { name: string; dose: string; sig: string }
const DRUGS: Drug[] = [
  { name: 'edoxaban', dose: '5 mg', sig: 'one tablet twice daily' },
  { name: 'empagliflozin', dose: '10 mg', sig: 'once each morning' },
  { name: 'levetiracetam', dose: '500 mg', sig: 'twice a day' },
  { name: 'spironolactone', dose: '25 mg', sig: 'daily' },
  { name: 'vortioxetine', dose: '10 mg', sig: 'every morning' },
  { name: 'zafirlukast', dose: '20 mg', sig: 'at bedtime' },
  { name: 'allopurinol', dose: '300 mg', sig: 'once daily' },
  { name: 'silodosin', dose: '8 mg', sig: 'with dinner' },
  { name: 'hydroxychloroquine', dose: '200 mg', sig: 'twice daily with food' },
  { name: 'quetiapine', dose: '50 mg', sig: 'at bedtime' },
  { name: 'ezetimibe', dose: '10 mg', sig: 'daily' },
  { name: 'nitrofurantoin', dose: '100 mg', sig: 'every 12 hours for 5 days' },
  { name: 'clopidogrel', dose: '75 mg', sig: 'daily' },
  { name: 'mirtazapine', dose: '15 mg', sig: 'nightly' },
  { name: 'rivastigmine', dose: '4.6 mg/24 h patch', sig: 'one patch daily' },
  { name: 'carbidopa-levodopa', dose: '25-100 mg', sig: 'three times daily' },
  { name: 'sumatriptan', dose: '50 mg', sig: 'at migraine onset, may repeat once' },
  { name: 'mesalamine', dose: '1.2 g', sig: 'four tablets once daily' },
  { name: 'enoxaparin', dose: '40 mg', sig: 'subcutaneously once daily' },
  { name: 'doxycycline', dose: '100 mg', sig: 'twice daily for 10 days' },
  { name: 'topiramate', dose: '25 mg', sig: 'twice daily' },
  { name: 'pioglitazone', dose: '30 mg', sig: 'once daily' },
  { name: 'budesonide-formoterol', dose: '160-4.5 mcg', sig: 'two puffs twice daily' },
  { name: 'ondansetron', dose: '4 mg', sig: 'every 8 hours as needed for nausea' },
];
const BIOLOGICS = ['ustekinumab', 'dupilumab', 'infliximab', 'secukinumab', 'tocilizumab', 'denosumab'];

interface Dx { code: string; text: string; lay: string }
const DX: Dx[] = [
  { code: 'N18.4', text: 'chronic kidney disease, stage 4', lay: 'advanced kidney disease' },
  { code: 'J47.9', text: 'bronchiectasis', lay: 'chronic lung infections' },
  { code: 'K52.831', text: 'collagenous colitis', lay: 'chronic diarrhea' },
  { code: 'L71.9', text: 'rosacea', lay: 'facial flushing' },
  { code: 'G35', text: 'multiple sclerosis', lay: 'MS' },
  { code: 'I42.1', text: 'obstructive hypertrophic cardiomyopathy', lay: 'thickened heart muscle' },
  { code: 'G45.9', text: 'transient ischemic attack', lay: 'mini-stroke' },
  { code: 'N35.919', text: 'urethral stricture', lay: 'narrowed urethra' },
  { code: 'M88.9', text: 'Paget disease of bone', lay: 'bone pain' },
  { code: 'M35.3', text: 'polymyalgia rheumatica', lay: 'shoulder and hip stiffness' },
  { code: 'E11.42', text: 'type 2 diabetes with peripheral neuropathy', lay: 'diabetes with nerve damage' },
  { code: 'F42.2', text: 'obsessive-compulsive disorder', lay: 'intrusive thoughts' },
  { code: 'F43.10', text: 'post-traumatic stress disorder', lay: 'PTSD' },
  { code: 'K57.32', text: 'diverticulitis of the colon', lay: 'diverticulitis' },
  { code: 'M75.01', text: 'adhesive capsulitis of the right shoulder', lay: 'frozen shoulder' },
  { code: 'O14.03', text: 'preeclampsia, third trimester', lay: 'blood pressure in pregnancy' },
  { code: 'A04.72', text: 'Clostridioides difficile colitis', lay: 'C. diff infection' },
  { code: 'D86.0', text: 'pulmonary sarcoidosis', lay: 'sarcoidosis' },
  { code: 'K70.30', text: 'alcoholic cirrhosis of the liver', lay: 'cirrhosis' },
  { code: 'N31.9', text: 'neurogenic bladder', lay: 'bladder control problems' },
  { code: 'L73.2', text: 'hidradenitis suppurativa', lay: 'hidradenitis' },
  { code: 'G20.A1', text: 'Parkinson disease', lay: 'Parkinson\'s' },
  { code: 'M45.9', text: 'ankylosing spondylitis', lay: 'spine stiffness' },
  { code: 'E05.00', text: 'Graves disease (thyrotoxicosis)', lay: 'overactive thyroid' },
  { code: 'B02.9', text: 'herpes zoster', lay: 'shingles' },
  { code: 'H25.11', text: 'nuclear cataract, right eye', lay: 'cataract' },
  { code: 'C73', text: 'papillary thyroid carcinoma', lay: 'thyroid cancer' },
  { code: 'D51.0', text: 'pernicious anemia', lay: 'B12 deficiency' },
];

interface Cpt { code: string; text: string }
const CPT: Cpt[] = [
  { code: '93306', text: 'transthoracic echo, complete with Doppler' },
  { code: '45385', text: 'colonoscopy with snare removal of polyp' },
  { code: '43239', text: 'upper endoscopy with biopsy' },
  { code: '71260', text: 'CT chest with contrast' },
  { code: '70553', text: 'MRI brain without and with contrast' },
  { code: '29881', text: 'knee arthroscopy with meniscectomy' },
  { code: '66984', text: 'cataract removal with lens implant' },
  { code: '95810', text: 'attended overnight sleep study' },
  { code: '47562', text: 'laparoscopic cholecystectomy' },
  { code: '90837', text: 'psychotherapy, 60 minutes' },
  { code: '96413', text: 'chemotherapy infusion, first hour' },
  { code: '64483', text: 'transforaminal epidural steroid injection, lumbar' },
  { code: '92134', text: 'retinal OCT imaging' },
  { code: '99205', text: 'new patient office visit, high complexity' },
  { code: '52000', text: 'cystourethroscopy' },
];
const HCPCS: Cpt[] = [
  { code: 'J1745', text: 'infliximab, 10 mg' }, { code: 'E0601', text: 'CPAP device' },
  { code: 'A4253', text: 'glucose test strips, per 50' }, { code: 'G0439', text: 'annual wellness visit, subsequent' },
];

interface Lab { name: string; unit: string; lo: number; hi: number; loinc: string; dp: number }
const LABTESTS: Lab[] = [
  { name: 'Ferritin', unit: 'ng/mL', lo: 30, hi: 400, loinc: '2276-4', dp: 0 },
  { name: 'Magnesium', unit: 'mg/dL', lo: 1.7, hi: 2.4, loinc: '19123-9', dp: 1 },
  { name: 'Lipase', unit: 'U/L', lo: 13, hi: 60, loinc: '3040-3', dp: 0 },
  { name: 'Troponin I, high sensitivity', unit: 'ng/L', lo: 0, hi: 34, loinc: '89579-7', dp: 0 },
  { name: 'NT-proBNP', unit: 'pg/mL', lo: 0, hi: 125, loinc: '33762-6', dp: 0 },
  { name: 'D-dimer', unit: 'mg/L FEU', lo: 0, hi: 0.5, loinc: '48065-7', dp: 2 },
  { name: 'C-reactive protein', unit: 'mg/L', lo: 0, hi: 10, loinc: '1988-5', dp: 1 },
  { name: 'Vitamin B12', unit: 'pg/mL', lo: 232, hi: 1245, loinc: '2132-9', dp: 0 },
  { name: 'Uric acid', unit: 'mg/dL', lo: 3.5, hi: 7.2, loinc: '3084-1', dp: 1 },
  { name: 'Prealbumin', unit: 'mg/dL', lo: 15, hi: 36, loinc: '14338-8', dp: 0 },
  { name: 'Sedimentation rate', unit: 'mm/h', lo: 0, hi: 20, loinc: '4537-7', dp: 0 },
  { name: 'Alkaline phosphatase', unit: 'U/L', lo: 44, hi: 147, loinc: '6768-6', dp: 0 },
  { name: 'Total bilirubin', unit: 'mg/dL', lo: 0.1, hi: 1.2, loinc: '1975-2', dp: 1 },
  { name: 'Calcium', unit: 'mg/dL', lo: 8.6, hi: 10.3, loinc: '17861-6', dp: 1 },
  { name: 'Free T4', unit: 'ng/dL', lo: 0.8, hi: 1.8, loinc: '3024-7', dp: 2 },
  { name: 'Haptoglobin', unit: 'mg/dL', lo: 30, hi: 200, loinc: '4542-7', dp: 0 },
];

interface Exam { name: string; findings: string[]; impression: string[] }
const EXAMS: Exam[] = [
  { name: 'CT abdomen and pelvis with IV contrast', findings: ['Wall thickening of the sigmoid colon with surrounding fat stranding and a 2 cm phlegmon.', 'A 6 mm nonobstructing calculus in the lower pole of the left kidney.', 'No free air.'], impression: ['Acute sigmoid diverticulitis with small phlegmon, no drainable abscess.', 'Left nephrolithiasis, nonobstructing.'] },
  { name: 'MRI lumbar spine without contrast', findings: ['Broad-based disc bulge at L4-5 with moderate narrowing of both lateral recesses.', 'Facet arthropathy at L5-S1.'], impression: ['Moderate L4-5 spinal stenosis.', 'Degenerative facet changes at L5-S1.'] },
  { name: 'Chest radiograph, two views', findings: ['Spiculated 2.1 cm nodule in the right upper lobe.', 'Right hilar adenopathy. Heart size normal.'], impression: ['Suspicious right upper lobe mass; CT chest recommended.'] },
  { name: 'Renal ultrasound', findings: ['Right kidney 9.1 cm, left 8.8 cm with increased cortical echogenicity.', 'No hydronephrosis.'], impression: ['Small echogenic kidneys consistent with chronic medical renal disease.'] },
  { name: 'Diagnostic mammogram, left', findings: ['Scattered fibroglandular density.', 'New 9 mm irregular mass in the left breast, upper outer quadrant.'], impression: ['BI-RADS 0: incomplete, additional imaging with diagnostic views and ultrasound recommended.'] },
  { name: 'Venous duplex, left lower extremity', findings: ['Noncompressible left popliteal and posterior tibial veins with echogenic thrombus.'], impression: ['Acute deep venous thrombosis of the left popliteal vein.'] },
  { name: 'DEXA bone density', findings: ['Lumbar spine T-score -2.8.', 'Left femoral neck T-score -2.3.'], impression: ['Low bone mass (osteopenia) at the hip; fracture risk assessment advised.'] },
];

interface Path { specimen: string; gross: string; micro: string; dx: string }
const PATHS: Path[] = [
  { specimen: 'Skin, left forearm, shave biopsy', gross: 'Tan-pink shave of skin, 0.7 x 0.5 x 0.2 cm.', micro: 'Atypical keratinocytes extend into the superficial dermis.', dx: 'Squamous cell carcinoma, well differentiated; deep margin involved.' },
  { specimen: 'Colon, sigmoid, polypectomy', gross: 'Two fragments of polypoid tissue, aggregate 1.1 cm.', micro: 'Crowded glands with villous architecture and low-grade dysplasia.', dx: 'Tubulovillous adenoma; no high-grade dysplasia.' },
  { specimen: 'Thyroid, right lobe, lobectomy', gross: 'Right lobe 4.2 cm with a 1.3 cm firm white nodule.', micro: 'Papillae with nuclear clearing and grooves.', dx: 'Papillary thyroid carcinoma, classic type, 1.3 cm, margins negative.' },
  { specimen: 'Kidney, left, partial nephrectomy', gross: 'Wedge of renal parenchyma with a 3.1 cm golden-yellow mass.', micro: 'Nests of cells with clear cytoplasm and a delicate vascular network.', dx: 'Clear cell renal cell carcinoma, 3.1 cm, margins negative.' },
  { specimen: 'Lymph node, left axillary, excisional biopsy', gross: 'Firm node 2.4 cm with a nodular cut surface.', micro: 'Fibrous bands enclosing nodules with large lacunar cells.', dx: 'Classic Hodgkin lymphoma, nodular sclerosis type.' },
  { specimen: 'Duodenum, second portion, biopsy', gross: 'Four tan fragments up to 0.3 cm.', micro: 'Villous blunting with increased intraepithelial lymphocytes.', dx: 'Marked villous atrophy (Marsh 3b), consistent with celiac disease.' },
];

// ---------------------------------------------------------------------------------------------
// Small helpers

const MON = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const MONTH = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];
const DAY = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];

interface Ymd { y: number; m: number; d: number }
const ymd = (r: Rand, y0: number, y1: number): Ymd => ({ y: int(r, y0, y1), m: int(r, 1, 12), d: int(r, 1, 28) });
function fmtDate(r: Rand, t: Ymd): string {
  switch (int(r, 0, 5)) {
    case 0: return `${pad(t.m)}/${pad(t.d)}/${t.y}`;
    case 1: return `${t.y}-${pad(t.m)}-${pad(t.d)}`;
    case 2: return `${t.d}-${MON[t.m - 1]}-${t.y}`;
    case 3: return `${MONTH[t.m - 1]} ${t.d}, ${t.y}`;
    case 4: return `${t.d} ${MONTH[t.m - 1]} ${t.y}`;
    default: return `${t.m}.${t.d}.${t.y}`;
  }
}
function fmtPhone(r: Rand, patient = true): string {
  const a = pick(r, ['262', '319', '406', '573', '616', '702', '724', '808', '929', '971']);
  const ex = patient && r() < 0.5 ? `555-01${digits(r, 2)}` : `${int(r, 201, 989)}-${digits(r, 4)}`;
  const [p, q] = ex.split('-') as [string, string];
  switch (int(r, 0, 4)) {
    case 0: return `(${a}) ${p}-${q}`;
    case 1: return `${a}.${p}.${q}`;
    case 2: return `+1 ${a} ${p} ${q}`;
    case 3: return `1-${a}-${p}-${q}`;
    default: return `${a}/${p}-${q}`;
  }
}
const STREETS = ['Quarry Hill Rd', 'Birchwood Terrace', 'Old Mill Lane', 'Kittiwake Way', 'Sumac Court', 'Tallgrass Pkwy', 'Heron Bluff Dr', 'Cinder Ave'];
const CITIES = ['Pocatello, ID 83201', 'Keene, NH 03431', 'Bismarck, ND 58501', 'Hilo, HI 96720', 'Muncie, IN 47303', 'Grand Junction, CO 81501', 'Dothan, AL 36301', 'Yakima, WA 98901'];
const fmtAddress = (r: Rand): string => `${int(r, 12, 9870)} ${pick(r, STREETS)}${r() < 0.3 ? `, Unit ${int(r, 1, 40)}${pick(r, ['', 'B', 'C'])}` : ''}, ${pick(r, CITIES)}`;

/** MRN in one of several styles, with its label. */
function mrn(r: Rand): string {
  switch (int(r, 0, 6)) {
    case 0: return `Med Rec #: ${digits(r, 4)}-${digits(r, 4)}`;
    case 1: return `Chart No. ${pick(r, ['HX', 'KV', 'TQ'])}${digits(r, 6)}`;
    case 2: return `Hosp # ${digits(r, 7)}`;
    case 3: return `Patient ID: PT-${digits(r, 7)}`;
    case 4: return `Unit No. ${digits(r, 2)} ${digits(r, 2)} ${digits(r, 3)}`;
    case 5: return `Medical Record Number ${pick(r, ['F', 'W'])}${digits(r, 8)}`;
    default: return `MRN ${digits(r, 3)}.${digits(r, 3)}.${digits(r, 2)}`;
  }
}
function memberId(r: Rand): string {
  switch (int(r, 0, 4)) {
    case 0: return `Subscriber No. ${pick(r, ['QHX', 'CSH', 'PMB'])}${digits(r, 9)}`;
    case 1: return `Member # ${pick(r, ['Y', 'K'])}${digits(r, 3)}-${digits(r, 4)}-${digits(r, 2)}`;
    case 2: return `Enrollee ID ${digits(r, 11)}`;
    case 3: return `ID card no. ${pick(r, ['ZR', 'NQ'])}${digits(r, 7)}${pick(r, ['01', '02'])}`;
    default: return `Beneficiary ID ${pick(r, ['MCD', 'TX'])}${digits(r, 8)}`;
  }
}
function mbi(r: Rand): string {
  const A = 'ACDEFGHJKMNPQRTUVWXY';
  const N = '0123456789';
  const AN = A + N;
  const c = (set: string) => set[Math.floor(r() * set.length)]!;
  const s = `${c('123456789')}${c(A)}${c(AN)}${c(N)}${c(A)}${c(AN)}${c(N)}${c(A)}${c(A)}${c(N)}${c(N)}`;
  return r() < 0.5 ? s : `${s.slice(0, 4)}-${s.slice(4, 7)}-${s.slice(7)}`;
}
/** NPI with a valid Luhn check digit over 80840 + the first nine digits. */
function npi(r: Rand): string {
  const base = pick(r, ['1', '2']) + digits(r, 8);
  const full = '80840' + base;
  let sum = 0;
  for (let i = full.length - 1, dbl = true; i >= 0; i--, dbl = !dbl) {
    let d = Number(full[i]);
    if (dbl) { d *= 2; if (d > 9) d -= 9; }
    sum += d;
  }
  return base + String((10 - (sum % 10)) % 10);
}
function ssn(r: Rand): string {
  const area = r() < 0.6 ? int(r, 101, 665) : int(r, 900, 999);
  const g = pad(int(r, 1, 99));
  const s = pad(int(r, 1, 9999), 4);
  switch (int(r, 0, 2)) {
    case 0: return `${area}-${g}-${s}`;
    case 1: return `${area} ${g} ${s}`;
    default: return `${area}-${g}-${s}`;
  }
}
const age = (t: Ymd): number => 2025 - t.y;

interface Person { first: string; last: string; female: boolean }
function person(r: Rand): Person {
  const female = r() < 0.5;
  return { first: pick(r, female ? FIRST_F : FIRST_M), last: pick(r, LAST), female };
}
const full = (p: Person): string => `${p.first} ${p.last}`;
const inverted = (p: Person): string => `${p.last}, ${p.first}`;
interface Staff { first: string; last: string; cred: string }
const staff = (r: Rand): Staff => ({ first: pick(r, STAFF_FIRST), last: pick(r, STAFF_LAST), cred: pick(r, CREDS) });
const sname = (s: Staff): string => `${s.first} ${s.last}`;
const email = (s: { first: string; last: string }, domain: string): string =>
  `${s.first[0]!.toLowerCase()}.${s.last.toLowerCase().normalize('NFD').replace(/[^a-z]/g, '')}@${domain}`;
const he = (p: Person): string => (p.female ? 'she' : 'he');
const his = (p: Person): string => (p.female ? 'her' : 'his');

// ---------------------------------------------------------------------------------------------
// MIME assembly

interface Attachment { filename: string; type: string; data: Buffer; rfc822?: boolean }
interface Draft {
  from: string; to: string; cc?: string; subject: string;
  /** Body text; lines with ' | ' become an HTML table in HTML renderings. */
  body: string;
  quoted?: { who: string; when: string; text: string };
  attachments?: Attachment[];
  bulk?: boolean;
  inReplyTo?: boolean;
}

const FOOTERS = [
  'PRIVILEGED & CONFIDENTIAL: the contents of this e-mail may include protected health information (PHI) covered by HIPAA. If you are not the addressee, please delete it and tell the sender.',
  'This communication is intended solely for its addressee and may contain PHI protected under HIPAA and 42 CFR Part 2. Unauthorized review, use or forwarding is prohibited.',
  'Notice: messages leaving this organization are scanned for PHI in accordance with our HIPAA security program. Reply STOP-SECURE to opt out of encrypted delivery notices.',
  'If this message reached you in error, it may contain health information protected by federal (HIPAA) and state privacy laws. Please notify the sender and destroy every copy.',
];

function qp(s: string): string {
  const bytes = Buffer.from(s, 'utf8');
  return qpBytes(bytes);
}
function qpBytes(bytes: Buffer): string {
  const lines: string[] = [];
  let line = '';
  const push = (tok: string) => {
    if (line.length + tok.length > 75) { lines.push(line + '='); line = ''; }
    line += tok;
  };
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i]!;
    if (b === 13 && bytes[i + 1] === 10) { lines.push(line); line = ''; i++; continue; }
    if (b === 10) { lines.push(line); line = ''; continue; }
    const next = bytes[i + 1];
    const eol = next === undefined || next === 13 || next === 10;
    if ((b >= 33 && b <= 126 && b !== 61) || (b === 32 && !eol)) push(String.fromCharCode(b));
    else push('=' + b.toString(16).toUpperCase().padStart(2, '0'));
  }
  lines.push(line);
  return lines.join('\r\n');
}
const b64 = (buf: Buffer): string => buf.toString('base64').replace(/.{76}/g, '$&\r\n');
const crlf = (s: string): string => s.replace(/\r?\n/g, '\r\n');
const isAscii = (s: string): boolean => /^[\x00-\x7f]*$/.test(s);
const isLatin1 = (s: string): boolean => /^[\x00-\xff]*$/.test(s);

/** RFC 2047 encoded word for a display name when needed. */
function headerName(r: Rand, name: string): string {
  if (isAscii(name)) return /[,.]/.test(name) ? `"${name}"` : name;
  if (r() < 0.5) return `=?UTF-8?B?${Buffer.from(name, 'utf8').toString('base64')}?=`;
  const q = [...Buffer.from(name, 'utf8')].map((b) => (b >= 33 && b <= 126 && b !== 61 && b !== 63 && b !== 95 && b !== 44 ? String.fromCharCode(b) : b === 32 ? '_' : '=' + b.toString(16).toUpperCase().padStart(2, '0'))).join('');
  return `=?utf-8?Q?${q}?=`;
}
function addr(r: Rand, name: string, mail: string): string {
  return `${headerName(r, name)} <${mail}>`;
}
function subjectHeader(r: Rand, s: string): string {
  if (isAscii(s)) return s;
  return `=?UTF-8?B?${Buffer.from(s, 'utf8').toString('base64')}?=`;
}

function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
function toHtml(text: string): string {
  const out: string[] = ['<html><head><title></title></head>',
    '<body><div style="font-family:Segoe UI,Helvetica,sans-serif;font-size:10.5pt;color:#222">'];
  const blocks = text.split(/\n\s*\n/);
  for (const blk of blocks) {
    const lines = blk.split('\n');
    if (lines.length > 1 && lines.every((l) => l.includes(' | '))) {
      out.push('<table cellspacing="0" cellpadding="4" style="border:1px solid #999">');
      lines.forEach((l, i) => {
        const tag = i === 0 ? 'th' : 'td';
        out.push('<tr>' + l.split(' | ').map((c) => `<${tag}>${escapeHtml(c.trim())}</${tag}>`).join('') + '</tr>');
      });
      out.push('</table>');
    } else if (lines.every((l) => l.startsWith('>'))) {
      out.push('<blockquote style="border-left:2px solid #ccc;padding-left:8px">' + lines.map((l) => escapeHtml(l.replace(/^>\s?/, ''))).join('<br>\n') + '</blockquote>');
    } else {
      out.push('<p>' + lines.map(escapeHtml).join('<br>\n') + '</p>');
    }
  }
  out.push('</div></body></html>');
  return out.join('\n');
}

function textPart(r: Rand, type: 'plain' | 'html', content: string): string {
  let charset = 'utf-8';
  let bytes = Buffer.from(content, 'utf8');
  if (isLatin1(content) && !isAscii(content) && r() < 0.35) { charset = 'iso-8859-1'; bytes = Buffer.from(content, 'latin1'); }
  else if (isAscii(content) && r() < 0.3) charset = 'us-ascii';
  const x = r();
  const maxLine = Math.max(...content.split('\n').map((l) => l.length));
  let cte: string;
  let payload: string;
  if (isAscii(content) && maxLine < 900 && x < 0.3) { cte = '7bit'; payload = crlf(content); }
  else if (x < 0.7) { cte = 'quoted-printable'; payload = qpBytes(bytes); }
  else { cte = 'base64'; payload = b64(bytes); }
  const ctype = type === 'html' && charset === 'us-ascii' ? 'utf-8' : charset;
  return `Content-Type: text/${type}; charset="${ctype}"\r\nContent-Transfer-Encoding: ${cte}\r\n\r\n${payload}\r\n`;
}

function boundary(r: Rand): string {
  return `=_sg${digits(r, 6)}.${Math.floor(r() * 0xffffff).toString(16)}`;
}

function renderBody(r: Rand, text: string, forceHtml = false): string {
  const mode = forceHtml ? 'html' : pick(r, ['plain', 'plain', 'html', 'alt', 'alt'] as const);
  if (mode === 'plain') return textPart(r, 'plain', text);
  if (mode === 'html') return textPart(r, 'html', toHtml(text));
  const b = boundary(r);
  return `Content-Type: multipart/alternative; boundary="${b}"\r\n\r\n--${b}\r\n${textPart(r, 'plain', text)}--${b}\r\n${textPart(r, 'html', toHtml(text))}--${b}--\r\n`;
}

let msgSeq = 0;
function dateHeader(r: Rand): string {
  const t = ymd(r, 2025, 2025);
  const dow = DAY[new Date(Date.UTC(t.y, t.m - 1, t.d)).getUTCDay()]!;
  return `${dow}, ${pad(t.d)} ${MON[t.m - 1]} ${t.y} ${pad(int(r, 7, 18))}:${pad(int(r, 0, 59))}:${pad(int(r, 0, 59))} ${pick(r, ['-0500', '-0600', '-0700', '-0800'])}`;
}

function assemble(r: Rand, d: Draft): Buffer {
  let text = d.body;
  if (d.quoted) text += `\n\n${d.quoted.when}, ${d.quoted.who} wrote:\n` + d.quoted.text.split('\n').map((l) => '> ' + l).join('\n');
  if (r() < 0.7) text += '\n\n' + pick(r, FOOTERS);
  const dom = /@([^>]+)>?$/.exec(d.from)?.[1] ?? 'sender.example';
  const head = [`From: ${d.from}`, `To: ${d.to}`];
  if (d.cc) head.push(`Cc: ${d.cc}`);
  head.push(`Subject: ${subjectHeader(r, d.subject)}`, `Date: ${dateHeader(r)}`, `Message-ID: <${digits(r, 10)}.${++msgSeq}@${dom}>`);
  if (d.inReplyTo || d.quoted) head.push(`In-Reply-To: <${digits(r, 12)}@${dom}>`);
  if (d.bulk && r() < 0.6) head.push(`List-Unsubscribe: <https://lists.${dom}/u/${digits(r, 8)}>`);
  head.push('MIME-Version: 1.0');
  const atts = d.attachments ?? [];
  if (atts.length === 0) return Buffer.from(head.join('\r\n') + '\r\n' + renderBody(r, text), 'utf8');
  const b = boundary(r);
  const parts = [renderBody(r, text)];
  for (const a of atts) {
    if (a.rfc822) {
      parts.push(`Content-Type: message/rfc822\r\nContent-Disposition: attachment; filename="${a.filename}"\r\n\r\n${a.data.toString('utf8')}\r\n`);
    } else if (a.type.startsWith('text/') && r() < 0.5 && isAscii(a.data.toString('latin1'))) {
      parts.push(`Content-Type: ${a.type}; charset="utf-8"; name="${a.filename}"\r\nContent-Transfer-Encoding: quoted-printable\r\nContent-Disposition: attachment; filename="${a.filename}"\r\n\r\n${qpBytes(a.data)}\r\n`);
    } else {
      const cs = a.type.startsWith('text/') ? '; charset="utf-8"' : '';
      parts.push(`Content-Type: ${a.type}${cs}; name="${a.filename}"\r\nContent-Transfer-Encoding: base64\r\nContent-Disposition: attachment; filename="${a.filename}"\r\n\r\n${b64(a.data)}\r\n`);
    }
  }
  return Buffer.from(head.join('\r\n') + `\r\nContent-Type: multipart/mixed; boundary="${b}"\r\n\r\nThis is a multi-part message in MIME format.\r\n\r\n` + parts.map((p) => `--${b}\r\n${p}`).join('') + `--${b}--\r\n`, 'utf8');
}

/** A minimal valid PDF 1.4 with one page and an uncompressed Helvetica/WinAnsi text stream. */
export function makePdf(lines: string[], title = 'Document'): Buffer {
  const esc = (s: string) => [...s].map((ch) => {
    const c = ch.charCodeAt(0);
    if (ch === '(' || ch === ')' || ch === '\\') return '\\' + ch;
    if (c > 126 && c < 256) return '\\' + c.toString(8).padStart(3, '0');
    if (c > 255) return '?';
    return ch;
  }).join('');
  const content = ['BT', '/F1 10 Tf', '12 TL', '60 740 Td', `(${esc(title)}) Tj`, 'T*', ...lines.flatMap((l) => [`(${esc(l)}) Tj`, 'T*']), 'ET'].join('\n');
  const objs = [
    '<< /Type /Catalog /Pages 2 0 R >>',
    '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
    '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>',
    '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>',
    `<< /Length ${Buffer.byteLength(content, 'latin1')} >>\nstream\n${content}\nendstream`,
  ];
  let out = '%PDF-1.4\n%\xe2\xe3\xcf\xd3\n';
  const offs: number[] = [];
  objs.forEach((o, i) => { offs.push(Buffer.byteLength(out, 'latin1')); out += `${i + 1} 0 obj\n${o}\nendobj\n`; });
  const xref = Buffer.byteLength(out, 'latin1');
  out += `xref\n0 ${objs.length + 1}\n0000000000 65535 f \n` + offs.map((o) => `${String(o).padStart(10, '0')} 00000 n \n`).join('');
  out += `trailer\n<< /Size ${objs.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return Buffer.from(out, 'latin1');
}
const csv = (name: string, rows: string[][]): Attachment => ({
  filename: name, type: 'text/csv',
  data: Buffer.from(rows.map((row) => row.map((c) => (/[",]/.test(c) ? `"${c.replace(/"/g, '""')}"` : c)).join(',')).join('\r\n') + '\r\n', 'utf8'),
});
const txt = (name: string, text: string): Attachment => ({ filename: name, type: 'text/plain', data: Buffer.from(crlf(text), 'utf8') });
const pdf = (name: string, title: string, lines: string[]): Attachment => ({ filename: name, type: 'application/pdf', data: makePdf(lines, title) });
function forward(r: Rand, name: string, from: string, to: string, subject: string, body: string): Attachment {
  const raw = `From: ${from}\r\nTo: ${to}\r\nSubject: ${subjectHeader(r, subject)}\r\nDate: ${dateHeader(r)}\r\nMIME-Version: 1.0\r\n${textPart(r, 'plain', body)}`;
  return { filename: name, type: 'message/rfc822', data: Buffer.from(raw, 'utf8'), rfc822: true };
}

// ---------------------------------------------------------------------------------------------
// Message context shared by the kind writers

interface Ctx {
  r: Rand;
  pt: Person; dob: Ymd; dos: Ymd;
  doc: Staff; doc2: Staff; clerk: Staff;
  clinic: Org; other: Org;
  dx: Dx; dx2: Dx; drug: Drug; drug2: Drug; cpt: Cpt;
}
const docName = (s: Staff): string => (s.cred ? `${sname(s)}, ${s.cred}` : sname(s));
const sig = (c: Ctx, s: Staff, org: Org, role?: string): string =>
  `${pick(c.r, ['Thanks,', 'Regards,', 'With thanks,', 'Best,', 'Kind regards,'])}\n${docName(s)}${role ? `\n${role}` : ''}\n${org.name}\n${pick(c.r, ['Tel', 'Office', 'Direct'])}: ${org.phone}`;
const staffFrom = (c: Ctx, s: Staff, org: Org): string => addr(c.r, docName(s), email(s, org.domain));
const plainFrom = (c: Ctx, s: Staff, org: Org): string => addr(c.r, sname(s), email(s, org.domain));
const patientAddr = (c: Ctx): string => addr(c.r, full(c.pt), `${c.pt.first.normalize('NFD').replace(/[^A-Za-z]/g, '').toLowerCase()}${int(c.r, 10, 99)}@${pick(c.r, PATIENT_DOMAINS)}`);
const dobText = (c: Ctx): string => {
  const d = fmtDate(c.r, c.dob);
  return pick(c.r, [`DOB ${d}`, `D.O.B. ${d}`, `date of birth ${d}`, `born ${d}`, `Birthdate: ${d}`, `b. ${d}`]);
};

type Writer = (c: Ctx) => Draft;

// ----- PHI kinds -------------------------------------------------------------------------------

const referral: Writer = (c) => {
  const r = c.r;
  const v = int(r, 0, 3);
  const to = staffFrom(c, c.doc2, c.other);
  const from = staffFrom(c, c.doc, c.clinic);
  const id = mrn(r);
  if (v === 0) return {
    from, to, subject: `Consult request - ${c.pt.last}`,
    body: `Dr. ${c.doc2.last},\n\nI'd be grateful if your team could evaluate ${full(c.pt)} (${dobText(c)}; ${id}). ${he(c.pt)[0]!.toUpperCase() + he(c.pt).slice(1)} has ${c.dx.text} (${c.dx.code}) that has not settled despite ${c.drug.name} ${c.drug.dose} ${c.drug.sig}. Over the last two months ${he(c.pt)} also developed ${c.dx2.lay}.\n\nPertinent history: ${c.dx2.text}; no known drug allergies. Insurance: ${memberId(r)}.\n\nThe visit note and medication list are attached.\n\n${sig(c, c.doc, c.clinic)}`,
    attachments: r() < 0.5 ? [pdf(`consult_${c.pt.last.replace(/\W/g, '')}.pdf`, 'SPECIALTY CONSULT REQUEST', [`Patient: ${full(c.pt)}`, `${dobText(c)}`, id, `Home phone ${fmtPhone(r)}`, `Reason: ${c.dx.text} (${c.dx.code})`, `Current therapy: ${c.drug.name} ${c.drug.dose}, ${c.drug2.name} ${c.drug2.dose}`, `Requested by ${docName(c.doc)}`])] : undefined,
  };
  if (v === 1) return {
    from, to, subject: 'New referral for your clinic',
    body: `Hello,\n\nReferring: ${inverted(c.pt)}\n${id}\nAge ${age(c.dob)}, ${c.pt.female ? 'female' : 'male'}\nPhone: ${fmtPhone(r)}\nConcern: ${c.dx.lay}; working diagnosis ${c.dx.text}.\nTried so far: ${c.drug.name}, then ${c.drug2.name} (stopped for side effects).\nWhat I am asking: confirm the diagnosis and advise on next-line therapy.\n\nPlease contact our referral coordinator with the appointment time.\n\n${sig(c, c.doc, c.clinic)}`,
  };
  if (v === 2) return {
    from, to, subject: `Referral: ${c.dx.lay} (${c.pt.first[0]}. ${c.pt.last})`,
    body: `Hi ${c.doc2.first},\n\nSending over a ${age(c.dob)} year old ${c.pt.female ? 'woman' : 'man'}, ${full(c.pt)}, whom I've followed for ${int(r, 2, 11)} years. Recent workup points to ${c.dx.text}. I started ${c.drug.name} ${c.drug.dose} last month. Would value your opinion on whether ${he(c.pt)} needs a procedure.\n\n${id} / ${dobText(c)}\n\n${sig(c, c.doc, c.clinic)}`,
  };
  return {
    from, to, subject: 'Referral packet',
    body: `Good afternoon,\n\nPlease find the referral packet attached for a patient of ours who needs evaluation this month. Let me know if anything is missing.\n\n${sig(c, c.clerk, c.clinic, 'Referral Coordinator')}`,
    attachments: [pdf('referral_packet.pdf', 'REFERRAL - ' + c.clinic.name.toUpperCase(), [`Patient name: ${full(c.pt)}`, dobText(c), id, `Address: ${fmtAddress(r)}`, `Primary dx: ${c.dx.text} ${c.dx.code}`, `Secondary: ${c.dx2.text} ${c.dx2.code}`, `Medications: ${c.drug.name} ${c.drug.dose} ${c.drug.sig}`, `Referring clinician: ${docName(c.doc)}`])],
  };
};

const discharge: Writer = (c) => {
  const r = c.r;
  const adm = c.dos;
  const dis: Ymd = { ...adm, d: Math.min(28, adm.d + int(r, 2, 6)) };
  const course = `${full(c.pt)} was admitted ${fmtDate(r, adm)} with ${c.dx.text}. ${he(c.pt)[0]!.toUpperCase() + he(c.pt).slice(1)} improved on ${c.drug.name} and was discharged home ${fmtDate(r, dis)}.`;
  const lines = [`Patient: ${full(c.pt)}`, mrn(r), dobText(c), `Admitted: ${fmtDate(r, adm)}   Discharged: ${fmtDate(r, dis)}`, `Principal diagnosis: ${c.dx.text} (${c.dx.code})`, `Secondary: ${c.dx2.text}`, `Hospital course: ${course}`, `Discharge medications: ${c.drug.name} ${c.drug.dose} ${c.drug.sig}; ${c.drug2.name} ${c.drug2.dose} ${c.drug2.sig}`, `Follow-up: primary care within 7 days; repeat labs in 1 week.`];
  const v = int(r, 0, 2);
  const from = staffFrom(c, c.doc, c.other);
  const to = staffFrom(c, c.doc2, c.clinic);
  if (v === 0) return { from, to, subject: `Transition of care - ${c.pt.last}, ${c.pt.first}`, body: `Dear colleague,\n\nYour patient was discharged from ${c.other.name} today. Summary below.\n\n${lines.join('\n')}\n\n${sig(c, c.doc, c.other, 'Hospitalist Service')}` };
  if (v === 1) return { from, to, subject: 'Hospital discharge paperwork', body: `Attached is the after-hospital summary for ${full(c.pt)}, who stayed with us for ${c.dx.lay}. Please arrange follow-up.\n\n${sig(c, c.doc, c.other)}`, attachments: [pdf('after_visit_summary.pdf', 'HOSPITAL DISCHARGE SUMMARY', lines)] };
  return { from, to, subject: 'FYI: your patient went home', body: `Hello Dr. ${c.doc2.last},\n\nQuick heads-up that ${inverted(c.pt)} (${mrn(r)}) left the hospital ${fmtDate(r, dis)} after treatment for ${c.dx.text}. New this stay: ${c.drug2.name} ${c.drug2.dose}. Full summary in the attached text file.\n\n${sig(c, c.doc, c.other)}`, attachments: [txt('summary.txt', lines.join('\n'))] };
};

function labTable(c: Ctx, n: number, withLoinc: boolean): string[] {
  const r = c.r;
  const rows: string[] = [];
  const used = new Set<string>();
  for (let i = 0; i < n; i++) {
    const t = pick(r, LABTESTS);
    if (used.has(t.name)) continue;
    used.add(t.name);
    const hi = r() < 0.5;
    const val = hi ? t.hi * (1.2 + r()) : t.lo + (t.hi - t.lo) * r();
    const flag = hi ? 'HIGH' : '';
    rows.push([t.name, withLoinc ? t.loinc : '', val.toFixed(t.dp), t.unit, `${t.lo}-${t.hi}`, flag].filter((x, j) => withLoinc || j !== 1).join(' | '));
  }
  return rows;
}
const labResult: Writer = (c) => {
  const r = c.r;
  const lab = pick(r, LABS);
  const acc = `Accession No. ${pick(r, ['Q', 'BP'])}${pad(int(r, 24, 25))}-${digits(r, 6)}`;
  const withLoinc = r() < 0.4;
  const head = withLoinc ? 'Analyte | LOINC | Value | Units | Range | Flag' : 'Analyte | Value | Units | Range | Flag';
  const table = [head, ...labTable(c, 5, withLoinc)].join('\n');
  const v = int(r, 0, 2);
  const from = plainFrom(c, c.clerk, lab);
  const to = staffFrom(c, c.doc, c.clinic);
  if (v === 0) return { from, to, subject: `Critical value notification - ${c.pt.last}`, body: `Reporting for ${full(c.pt)}, ${dobText(c)}\n${acc}\nCollected: ${fmtDate(r, c.dos)}\n\n${table}\n\nResults were phoned to the ordering office at ${c.clinic.phone}.\n\n${sig(c, c.clerk, lab, 'Client Services')}` };
  if (v === 1) return { from, to, subject: 'Results ready', body: `Ordering provider: ${docName(c.doc)}\nPatient: ${inverted(c.pt)}   Sex: ${c.pt.female ? 'F' : 'M'}   ${mrn(r)}\n${acc}\n\n${table}\n\nComment: specimen slightly hemolyzed; potassium not reported.\n\n${sig(c, c.clerk, lab)}`, bulk: false };
  return { from, to, subject: `Final report ${acc.split(' ').pop()}`, body: `The final report is attached.\n\n${sig(c, c.clerk, lab)}`, attachments: [pdf('final_report.pdf', lab.name.toUpperCase(), [`Patient: ${full(c.pt)}`, dobText(c), acc, `Collected ${fmtDate(r, c.dos)}`, ...table.split('\n').map((l) => l.replace(/ \| /g, '   '))])] };
};

const pathology: Writer = (c) => {
  const r = c.r;
  const p = pick(r, PATHS);
  const lab = LABS[1]!;
  const acc = `Case ${pick(r, ['SP', 'BX'])}${pad(int(r, 24, 25))}-${int(r, 1000, 29999)}`;
  const report = [`Patient: ${inverted(c.pt)}`, dobText(c), mrn(r), `Surgical pathology ${acc}`, `Procedure date: ${fmtDate(r, c.dos)}`, `Specimen: ${p.specimen}`, `Gross description: ${p.gross}`, `Microscopic: ${p.micro}`, `FINAL DIAGNOSIS: ${p.dx}`, `Signed out by ${docName(c.doc2)}`];
  const v = int(r, 0, 2);
  const from = staffFrom(c, c.doc2, lab);
  const to = staffFrom(c, c.doc, c.clinic);
  if (v === 0) return { from, to, subject: `Path report ${acc}`, body: report.join('\n') + `\n\n${sig(c, c.doc2, lab, 'Anatomic Pathology')}` };
  if (v === 1) return { from, to, subject: 'Surgical pathology - please review', body: `Dr. ${c.doc.last}, the diagnosis on ${full(c.pt)} is ready: ${p.dx} Full report attached; I'd suggest a tumor board discussion if margins are a concern.\n\n${sig(c, c.doc2, lab)}`, attachments: [pdf('surg_path.pdf', 'SURGICAL PATHOLOGY REPORT', report)] };
  return { from, to, subject: `Addendum ${acc}`, body: `Addendum to the report for ${c.pt.first} ${c.pt.last} (${dobText(c)}): immunostains performed; they support the original diagnosis of ${p.dx.toLowerCase()}\n\n${sig(c, c.doc2, lab)}` };
};

const radiology: Writer = (c) => {
  const r = c.r;
  const e = pick(r, EXAMS);
  const lines = [`EXAM: ${e.name}`, `PATIENT: ${full(c.pt)}    ${mrn(r)}    ${dobText(c)}`, `DATE OF EXAM: ${fmtDate(r, c.dos)}`, `INDICATION: ${c.dx.lay}`, 'FINDINGS:', ...e.findings, 'IMPRESSION:', ...e.impression.map((x, i) => `${i + 1}. ${x}`), `Read by ${docName(c.doc2)}`];
  const v = int(r, 0, 2);
  const from = staffFrom(c, c.doc2, IMAGING);
  const to = staffFrom(c, c.doc, c.clinic);
  if (v === 0) return { from, to, subject: `Imaging result: ${e.name}`, body: lines.join('\n') + `\n\n${sig(c, c.doc2, IMAGING)}` };
  if (v === 1) return { from, to, subject: 'Significant finding - callback requested', body: `Dr. ${c.doc.last},\n\nYour patient ${full(c.pt)} had a ${e.name.toLowerCase()} this morning. Key result: ${e.impression[0]} Please call the reading room at ${IMAGING.phone} to confirm receipt.\n\n${sig(c, c.doc2, IMAGING)}` };
  return { from, to, subject: 'Report attached', body: `Report enclosed for the study done ${fmtDate(r, c.dos)}.\n\n${sig(c, c.doc2, IMAGING)}`, attachments: [pdf('imaging_report.pdf', IMAGING.name.toUpperCase(), lines)] };
};

const claim: Writer = (c) => {
  const r = c.r;
  const payer = pick(r, PAYERS);
  const cl = `Claim ${pick(r, ['#', 'No.', 'ref'])} ${digits(r, 4)}${pick(r, ['A', 'X'])}${digits(r, 6)}`;
  const amount = `${int(r, 180, 4200)}.${digits(r, 2)}`;
  const codes = r() < 0.5 ? pick(r, HCPCS) : c.cpt;
  const v = int(r, 0, 2);
  const from = plainFrom(c, c.clerk, c.clinic);
  const to = addr(r, `${payer.name} Appeals`, `appeals@${payer.domain}`);
  if (v === 0) return { from, to, subject: `Appeal - ${cl}`, body: `To the reconsideration unit:\n\nWe request review of the denial of ${cl} for ${full(c.pt)} (${memberId(r)}), date of service ${fmtDate(r, c.dos)}. The service billed was CPT ${codes.code} (${codes.text}) for ${c.dx.text}, ICD-10 ${c.dx.code}. Documentation of medical necessity is attached.\n\nBilled amount: $${amount}\n\n${sig(c, c.clerk, c.clinic, 'Revenue Cycle')}`, attachments: r() < 0.5 ? [pdf('appeal_notes.pdf', 'OFFICE NOTE', [`${full(c.pt)}  ${dobText(c)}`, `Assessment: ${c.dx.text}`, `Plan: ${codes.text}`])] : undefined };
  if (v === 1) return { from, to: patientAddr(c), subject: 'Your statement from ' + c.clinic.name, body: `Hello ${c.pt.first},\n\nYour balance after insurance for the visit on ${fmtDate(r, c.dos)} is $${(Number(amount) / 5).toFixed(2)}.\nGuarantor account: ${digits(r, 8)}\nService: ${codes.text} (CPT ${codes.code})\nDiagnosis billed: ${c.dx.code}\n\nPay online or call billing at ${c.clinic.phone}.\n\n${c.clinic.name} Billing Office` };
  return { from, to, subject: `Corrected claim resubmission`, body: `Line | Patient | ${pick(r, ['Member #', 'Subscriber ID'])} | DOS | Code | Dx | Charge\n1 | ${inverted(c.pt)} | ${memberId(r).split(' ').pop()} | ${fmtDate(r, c.dos)} | ${codes.code} | ${c.dx.code} | ${amount}\n\nResubmitting with modifier 25 added; original ${cl}.\n\n${sig(c, c.clerk, c.clinic)}` };
};

const remittance: Writer = (c) => {
  const r = c.r;
  const payer = pick(r, PAYERS);
  const rows: string[] = [];
  const n = int(r, 2, 5);
  for (let i = 0; i < n; i++) {
    const p = person(r);
    const code = pick(r, CPT);
    const billed = int(r, 90, 900);
    const paid = Math.round(billed * (0.4 + r() * 0.5));
    rows.push([inverted(p), `${pick(r, ['CSH', 'PMB'])}${digits(r, 9)}`, `${digits(r, 14)}`, fmtDate(r, ymd(r, 2025, 2025)), code.code, String(billed), String(paid), pick(r, ['PR-1 deductible', 'CO-45 contractual', 'PR-2 coinsurance', 'CO-97 bundled'])].join(' | '));
  }
  const table = ['Patient | Subscriber | Claim # | Service date | Proc | Billed | Paid | Adjustment', ...rows].join('\n');
  const v = int(r, 0, 1);
  const from = addr(r, `${payer.name} Provider Payments`, `payments@${payer.domain}`);
  const to = plainFrom(c, c.clerk, c.clinic);
  if (v === 0) return { from, to, subject: `Payment advice ${digits(r, 8)}`, body: `Payee: ${c.clinic.name}\nPayee NPI ${npi(r)}\nCheck/EFT trace ${digits(r, 10)}\n\n${table}\n\nThis advice reflects claims adjudicated this cycle.` };
  return { from, to, subject: 'Explanation of payment (835 summary)', body: `Your explanation of payment is attached as a spreadsheet.`, attachments: [csv('eop_summary.csv', table.split('\n').map((l) => l.split(' | ')))] };
};

const rxRefill: Writer = (c) => {
  const r = c.r;
  const rx = `Rx ${pick(r, ['#', 'No.'])} ${digits(r, 7)}`;
  const v = int(r, 0, 2);
  const from = addr(r, `${PHARMACY.name}`, `refills@${PHARMACY.domain}`);
  const to = staffFrom(c, c.doc, c.clinic);
  const ndc = `NDC ${digits(r, 5)}-${digits(r, 4)}-${digits(r, 2)}`;
  if (v === 0) return { from, to, subject: `Renewal authorization needed`, body: `Prescriber: ${docName(c.doc)}\nPatient: ${full(c.pt)}\n${dobText(c)}\nMedication: ${c.drug.name} ${c.drug.dose}, ${c.drug.sig}\n${ndc}\nQty 90, last filled ${fmtDate(r, c.dos)}, 0 refills remaining\n${rx}\n\nPlease approve or deny. Patient phone ${fmtPhone(r)}.\n\n${PHARMACY.name}\n${PHARMACY.phone}` };
  if (v === 1) return { from: patientAddr(c), to, subject: 'need my medicine renewed', body: `Hi, this is ${full(c.pt)}. I'm nearly out of my ${c.drug.name} (${c.drug.dose}) that Dr. ${c.doc.last} put me on for my ${c.dx.lay}. Could you send it to ${PHARMACY.name}? My birthday is ${fmtDate(r, c.dob)} if you need it.\n\nThank you,\n${c.pt.first}` };
  return { from: plainFrom(c, c.clerk, c.clinic), to, subject: `Refill queue: ${c.pt.last}`, body: `${docName(c.doc)} - ${inverted(c.pt)} (${mrn(r)}) is asking for ${c.drug2.name} ${c.drug2.dose}. Last office visit was ${fmtDate(r, c.dos)} for ${c.dx.text}; last ${pick(r, LABTESTS).name.toLowerCase()} was normal. OK to send 3 months?\n\n${c.clerk.first}, front desk` };
};

const priorAuth: Writer = (c) => {
  const r = c.r;
  const payer = pick(r, PAYERS);
  const bio = pick(r, BIOLOGICS);
  const auth = `${pick(r, ['Authorization', 'Auth ref', 'PA case'])} ${pick(r, ['UM', 'PA'])}-${digits(r, 8)}`;
  const v = int(r, 0, 2);
  if (v === 0) return { from: plainFrom(c, c.clerk, c.clinic), to: addr(r, `${payer.name} Utilization Review`, `um@${payer.domain}`), subject: `Pre-certification request ${bio}`, body: `Member: ${full(c.pt)}\n${memberId(r)}\n${dobText(c)}\nRequested: ${bio}, induction and maintenance\nDiagnosis: ${c.dx.text} (${c.dx.code})\nPrior therapies tried and failed: ${c.drug.name}, ${c.drug2.name}\nPrescriber: ${docName(c.doc)}, NPI ${npi(r)}\n\nChart notes attached.\n\n${sig(c, c.clerk, c.clinic)}`, attachments: [pdf('chart_notes.pdf', 'CLINIC NOTE', [`${full(c.pt)}`, `Assessment: ${c.dx.text}, inadequate response to ${c.drug.name}`, `Plan: start ${bio}`])] };
  if (v === 1) return { from: addr(r, `${payer.name}`, `noreply-um@${payer.domain}`), to: staffFrom(c, c.doc, c.clinic), subject: `Determination for ${auth}`, body: `Decision: ${pick(r, ['APPROVED', 'DENIED - step therapy not met', 'PARTIALLY APPROVED'])}\nMember name: ${inverted(c.pt)}\n${memberId(r)}\nService: CPT ${c.cpt.code} ${c.cpt.text}\nDiagnosis on request: ${c.dx.code}\nValid ${fmtDate(r, c.dos)} through 90 days\n${auth}\n\nYou may request a peer-to-peer review within 14 days.` };
  return { from: staffFrom(c, c.doc, c.clinic), to: addr(r, 'Medicare Advantage Review', `review@${payer.domain}`), subject: 'Urgent PA', body: `Requesting expedited approval for ${c.cpt.text} for my patient ${full(c.pt)}, Medicare ID ${mbi(r)}. ${he(c.pt)[0]!.toUpperCase() + he(c.pt).slice(1)} has ${c.dx.text} and waiting the standard 14 days risks deterioration.\n\n${sig(c, c.doc, c.clinic)}` };
};

const appointment: Writer = (c) => {
  const r = c.r;
  const when = `${pick(r, DAY.slice(1, 6))} ${fmtDate(r, c.dos)} at ${int(r, 8, 4 + 12) % 12 || 12}:${pick(r, ['00', '15', '30', '45'])}`;
  const v = int(r, 0, 3);
  if (v === 0) return { from: plainFrom(c, c.clerk, c.clinic), to: patientAddr(c), subject: 'Your upcoming visit', body: `Dear ${c.pt.first} ${c.pt.last},\n\nThis confirms your return visit with ${docName(c.doc)} on ${when} to review your ${c.dx.lay}. Please bring your ${c.drug.name} bottle and a list of any side effects.\n\nTo reschedule call ${c.clinic.phone}.\n\n${c.clinic.name}` };
  if (v === 1) return { from: plainFrom(c, c.clerk, c.clinic), to: staffFrom(c, c.doc, c.clinic), subject: `Follow-up scheduling: ${c.pt.last}`, body: `${c.doc.first}, I booked ${full(c.pt)} (${mrn(r)}) for a 6-week recheck of ${his(c.pt)} ${c.dx.text} on ${when}. ${he(c.pt)[0]!.toUpperCase() + he(c.pt).slice(1)} asked whether to keep taking ${c.drug2.name} until then.\n\n${c.clerk.first}` };
  if (v === 2) return { from: plainFrom(c, c.clerk, c.clinic), to: patientAddr(c), subject: 'Reminder from ' + c.clinic.name, body: `Hi ${c.pt.first},\n\nWe have you down for ${when} for your post-op check after the ${c.cpt.text}. Keep the dressing dry and continue the ${c.drug.name} until we see you.\n\nSee you soon,\n${c.clinic.name} scheduling` };
  return { from: plainFrom(c, c.clerk, c.clinic), to: addr(r, 'Transport Desk', `rides@${c.clinic.domain}`), subject: 'Ride needed', body: `Please arrange transport for ${full(c.pt)}, ${fmtAddress(r)}, phone ${fmtPhone(r)}, for ${his(c.pt)} ${c.dx.lay} follow-up on ${when}. Uses a wheelchair after the ${c.dx2.lay}.\n\nThanks, ${c.clerk.first}` };
};

const coordination: Writer = (c) => {
  const r = c.r;
  const nurse = staff(r);
  const v = int(r, 0, 2);
  const when = `On ${pick(r, DAY.slice(1, 6))}, ${MON[c.dos.m - 1]} ${c.dos.d}`;
  if (v === 0) return {
    from: staffFrom(c, c.doc, c.clinic), to: plainFrom(c, nurse, c.other), subject: `RE: ${c.pt.first} ${c.pt.last} - home health`,
    body: `Agree with restarting home nursing. Let's also get a weight check twice a week given ${his(c.pt)} ${c.dx.lay}. I'll adjust the ${c.drug.name} once we see the numbers.\n\n${c.doc.first}`,
    quoted: { who: sname(nurse), when, text: `Dr. ${c.doc.last}, ${full(c.pt)} (${dobText(c)}) missed two doses of ${c.drug.name} last week and was short of breath at our visit. Family asks if home nursing can resume. ${mrn(r)}.\n\n${nurse.first}, RN Care Manager` },
  };
  if (v === 1) return {
    from: plainFrom(c, nurse, c.clinic), to: staffFrom(c, c.doc2, c.other), cc: staffFrom(c, c.doc, c.clinic), subject: `Shared patient - ${c.pt.last}`,
    body: `Hello both,\n\nCoordinating care for ${inverted(c.pt)}, ${age(c.dob)}${c.pt.female ? 'F' : 'M'}, who is followed by both of your teams for ${c.dx.text} and ${c.dx2.text}. Current plan from the case conference:\n- continue ${c.drug.name} ${c.drug.dose}\n- social work to assess caregiver support\n- repeat ${pick(r, LABTESTS).name.toLowerCase()} in two weeks\n\nHome phone on file: ${fmtPhone(r)}.\n\n${nurse.first} ${nurse.last}, Care Coordination`,
  };
  return {
    from: staffFrom(c, c.doc2, c.other), to: staffFrom(c, c.doc, c.clinic), subject: 'Re: question about our mutual patient',
    body: `Thanks for the update. From our side the ${c.dx.lay} looks stable, so I'm fine holding the ${c.drug2.name}.\n\n${c.doc2.first}`,
    quoted: { who: docName(c.doc), when, text: `Quick question on ${c.pt.first} ${c.pt.last} - ${he(c.pt)} was admitted last weekend for ${c.dx.text} and the ${c.drug2.name} was paused. Should we restart at discharge?` },
  };
};

const patientReply: Writer = (c) => {
  const r = c.r;
  const t = pick(r, LABTESTS);
  const val = (t.hi * 1.4).toFixed(t.dp);
  const v = int(r, 0, 2);
  const to = patientAddr(c);
  const from = staffFrom(c, c.doc, c.clinic);
  if (v === 0) return { from, to, subject: 'Re: my blood work', inReplyTo: true, body: `Hi ${c.pt.first},\n\nYour ${t.name.toLowerCase()} came back at ${val} ${t.unit}, a bit above where we want it. Given your ${c.dx.lay}, I'd like to add ${c.drug.name} ${c.drug.dose} ${c.drug.sig} and recheck in a month.\n\n${docName(c.doc)}`, quoted: { who: full(c.pt), when: `On ${MON[c.dos.m - 1]} ${c.dos.d}`, text: `Dr. ${c.doc.last}, I saw my results were posted but I can't tell what they mean. Is something wrong?\n${c.pt.first}` } };
  if (v === 1) return { from, to, subject: 'Your scan', body: `Dear ${c.pt.first},\n\nGood news: the imaging we did for your ${c.dx.lay} shows no change from last year. You can keep the current dose of ${c.drug2.name}. Call us at ${c.clinic.phone} with any questions.\n\nWarmly,\n${docName(c.doc)}` };
  return { from, to, subject: 'Re: biopsy?', inReplyTo: true, body: `${c.pt.first}, the pathology confirmed ${c.dx.text}. I know this is a lot to take in - I've asked our nurse navigator to call you tomorrow to set up the next steps.\n\n${c.doc.first} ${c.doc.last}`, quoted: { who: full(c.pt), when: 'Yesterday', text: 'Any word on the biopsy? Waiting is hard.' } };
};

const patientList: Writer = (c) => {
  const r = c.r;
  const cols = pick(r, [
    ['Last', 'First', 'DOB', 'Chart', 'Problem', 'ICD10'],
    ['patient_name', 'birth_date', 'phone', 'condition', 'next_due'],
    ['Name', 'Hosp #', 'Primary Dx', 'Medication', 'PCP'],
  ]);
  const rows: string[][] = [cols];
  const n = int(r, 4, 9);
  for (let i = 0; i < n; i++) {
    const p = person(r);
    const d = pick(r, DX);
    const b = fmtDate(r, ymd(r, 1940, 2005));
    if (cols.length === 6) rows.push([p.last, p.first, b, digits(r, 7), d.text, d.code]);
    else if (cols[0] === 'patient_name') rows.push([full(p), b, fmtPhone(r), d.lay, fmtDate(r, ymd(r, 2025, 2025))]);
    else rows.push([inverted(p), digits(r, 7), d.text, pick(r, DRUGS).name, `Dr. ${pick(r, STAFF_LAST)}`]);
  }
  const v = int(r, 0, 1);
  return {
    from: plainFrom(c, c.clerk, c.clinic), to: plainFrom(c, staff(r), c.clinic),
    subject: v === 0 ? 'Outreach list for this month' : 'Registry export',
    body: v === 0 ? `Here is the list for phone outreach. Please log calls in the tracker.\n\n${c.clerk.first}` : `Export from the population health registry attached, as requested for the panel review.\n\n${sig(c, c.clerk, c.clinic, 'Quality Analyst')}`,
    attachments: [csv(v === 0 ? 'outreach.csv' : 'registry_export.csv', rows)],
  };
};

const attachmentOnly: Writer = (c) => {
  const r = c.r;
  const v = int(r, 0, 3);
  const body = pick(r, ['Please see attached.', 'Forwarding as discussed.', 'Attached for your records.', 'As requested - let me know if you need anything else.', 'See the enclosed file.']) + `\n\n${c.clerk.first} ${c.clerk.last}\n${c.clinic.name}`;
  const from = plainFrom(c, c.clerk, c.clinic);
  const to = plainFrom(c, staff(r), c.other);
  const subject = pick(r, ['Documents', 'Requested records', 'FW: file', 'Scan', 'Paperwork']);
  if (v === 0) return { from, to, subject, body, attachments: [pdf('scan0041.pdf', 'CLINIC VISIT NOTE', [`Patient: ${full(c.pt)}  ${dobText(c)}`, mrn(r), `Visit: ${fmtDate(r, c.dos)}`, `Assessment: ${c.dx.text} (${c.dx.code})`, `Plan: continue ${c.drug.name} ${c.drug.dose}; add ${c.drug2.name}`])] };
  if (v === 1) return { from, to, subject, body, attachments: [txt('notes.txt', `${inverted(c.pt)}\n${mrn(r)}\nSeen ${fmtDate(r, c.dos)}. ${he(c.pt)[0]!.toUpperCase() + he(c.pt).slice(1)} reports worsening ${c.dx.lay}. Exam consistent with ${c.dx.text}. Started ${c.drug.name}.`)] };
  if (v === 2) return { from, to, subject, body, attachments: [forward(r, 'original.eml', addr(r, full(c.pt), `${c.pt.first.normalize('NFD').replace(/[^A-Za-z]/g, '').toLowerCase()}@${pick(r, PATIENT_DOMAINS)}`), email(c.doc, c.clinic.domain), 'question about my treatment', `Dr. ${c.doc.last},\n\nSince starting ${c.drug.name} for my ${c.dx.lay} I have had dizziness every morning. Should I stop it? My ${dobText(c)}.\n\n${full(c.pt)}`)] };
  return { from, to, subject, body, attachments: [csv('export.csv', [['member_name', 'member_id', 'dos', 'dx', 'cpt'], [full(c.pt), memberId(r).split(' ').pop()!, fmtDate(r, c.dos), c.dx.code, c.cpt.code]])] };
};

// ----- clean kinds -----------------------------------------------------------------------------

const newsletter: Writer = (c) => {
  const r = c.r;
  const a = pick(r, DX);
  const b = pick(r, DX);
  const author = staff(r);
  const v = int(r, 0, 2);
  const from = addr(r, `${c.clinic.name} Wellness`, `news@${c.clinic.domain}`);
  if (v === 0) return { from, to: 'subscribers@lists.' + c.clinic.domain, bulk: true, subject: `Healthy Living: ${MONTH[c.dos.m - 1]} issue`, body: `IN THIS ISSUE\n\n1. Living well with ${a.lay}\nSmall daily habits - steady sleep, walking after meals, and knowing your numbers - make a real difference. Ask your clinician whether ${pick(r, DRUGS).name} or another option fits your situation.\n\n2. Understanding ${b.text}\n${author.first} ${author.last}, ${author.cred}, explains warning signs and when to seek care.\n\n3. Free blood pressure checks every Saturday in the lobby.\n\nYou are receiving this because you subscribed. Unsubscribe or manage preferences online.` };
  if (v === 1) return { from, to: 'community@lists.' + c.clinic.domain, bulk: true, subject: 'Ask the pharmacist', body: `Q: Can I take ${pick(r, DRUGS).name} with grapefruit juice?\nA: Some medicines interact with grapefruit. Your pharmacist can check your specific list. People with ${a.lay} should review every new supplement too.\n\nQ: How should I store insulin pens?\nA: Unopened pens belong in the refrigerator; the pen in use can stay at room temperature for the time on the label.\n\nTo stop receiving these tips, click unsubscribe.` };
  return { from, to: 'patients@lists.' + c.clinic.domain, bulk: true, subject: `${MONTH[c.dos.m - 1]} is awareness month for ${b.lay}`, body: `Did you know that ${b.lay} is often missed in its early stages? Screening is simple. Our ${pick(r, ['family medicine', 'internal medicine'])} team will hold free education sessions; registration at the front desk.\n\nA recipe for the season: lentil and spinach soup (low sodium).\n\nUnsubscribe: reply REMOVE.` };
};

const aggregate: Writer = (c) => {
  const r = c.r;
  const rows = ['ICD-10 | Description | Encounters | 30-day readmit', ...[0, 1, 2, 3, 4].map(() => { const d = pick(r, DX); return `${d.code} | ${d.text} | ${int(r, 40, 2400)} | ${(r() * 20).toFixed(1)}%`; })];
  const v = int(r, 0, 2);
  const from = plainFrom(c, staff(r), c.other);
  const to = plainFrom(c, staff(r), c.other);
  if (v === 0) return { from, to, subject: 'Service line volumes, fiscal Q2', body: `Team,\n\nAggregate counts below (no patient-level data). Readmissions fell in most groups.\n\n${rows.join('\n')}\n\nMedian length of stay 3.9 days; case mix index 1.62.\n\n${sig(c, staff(r), c.other, 'Decision Support')}` };
  if (v === 1) return { from, to, subject: 'De-identified registry summary', body: `Attached is the de-identified summary requested by the research council. Cells under 11 are suppressed.\n\n${sig(c, staff(r), c.other)}`, attachments: [csv('registry_summary.csv', rows.map((l) => l.split(' | ')))] };
  return { from, to, subject: 'Infection prevention monthly', body: `Hand hygiene compliance: 91%.\nC. difficile (A04.72) hospital-onset cases: ${int(r, 0, 6)}, rate ${(r() * 5).toFixed(2)} per 10,000 patient days.\nCentral line infections: ${int(r, 0, 3)}.\nCatheter-associated UTI: ${int(r, 0, 4)}.\n\nUnit-level breakdown at the quality meeting.\n\n${sig(c, staff(r), c.other, 'Infection Prevention')}` };
};

const pharmaSales: Writer = (c) => {
  const r = c.r;
  const rep = staff(r);
  const d = pick(r, DRUGS);
  const v = int(r, 0, 2);
  const to = staffFrom(c, c.doc, c.clinic);
  const from = addr(r, `${rep.first} ${rep.last}`, email(rep, pick(r, ['hcp.veltrana-bio.example', 'solvane-medical.test'])));
  if (v === 0) return { from, to, subject: `Samples and savings cards for ${d.name}`, body: `Dr. ${c.doc.last},\n\nThanks for meeting last week. As promised, our records show your NPI as ${npi(r)}; samples of ${d.name} ${d.dose} can ship to the office on request. Adult patients with ${pick(r, DX).text} may qualify for the co-pay program.\n\nFull prescribing information is attached.\n\n${rep.first} ${rep.last}\nTerritory Manager, Veltrana Bio\n${fmtPhone(r, false)}` };
  if (v === 1) return { from, to, subject: 'New wearable monitor - product demo', body: `Hello Dr. ${c.doc.last},\n\nOur new ambulatory ECG patch detects atrial arrhythmia over 14 days with no leads. I'd love to set up a 20-minute lunch demo for your cardiology group.\n\nBest,\n${rep.first} ${rep.last}, Solvane Medical\nCell ${fmtPhone(r, false)}` };
  return { from, to, subject: `Formulary update: ${d.name} now preferred`, body: `Dear prescriber (NPI ${npi(r)}),\n\nEffective next quarter, ${d.name} moves to preferred status on several regional plans. No prior authorization is needed for ${pick(r, DX).lay} in adults.\n\nThis message is promotional. Unsubscribe from rep e-mails anytime.`, bulk: true };
};

const cme: Writer = (c) => {
  const r = c.r;
  const s1 = staff(r);
  const s2 = staff(r);
  const d = pick(r, DX);
  const v = int(r, 0, 2);
  const from = addr(r, 'Continuing Education Office', `cme@${c.other.domain}`);
  if (v === 0) return { from, to: 'allstaff@' + c.other.domain, bulk: true, subject: `Thursday teaching conference: ${d.text}`, body: `Join us Thursday at 7:30 in the Beacon Auditorium.\n\nSpeakers:\n${s1.first} ${s1.last}, ${s1.cred} - "What's new in managing ${d.text}"\n${s2.first} ${s2.last}, ${s2.cred} - "Case-based review"\n\nTeaching case: a 58-year-old woman presents with fatigue and ${d.lay}; labs show low ${pick(r, LABTESTS).name.toLowerCase()}. What is the next step?\n\n1.0 AMA PRA Category 1 Credit. Register at the CME portal.` };
  if (v === 1) return { from, to: 'members@lists.' + c.other.domain, bulk: true, subject: 'Regional symposium - call for attendees', body: `The Fall Cardiometabolic Symposium features keynote speaker ${s1.first} ${s1.last}, ${s1.cred}, on SGLT2 inhibitors such as ${pick(r, ['empagliflozin', 'ertugliflozin'])} in ${pick(r, DX).text}.\nPanel moderated by ${s2.first} ${s2.last}.\n\nEarly registration $${int(r, 95, 250)}. Unsubscribe.` };
  return { from, to: 'residents@' + c.other.domain, subject: 'M&M conference next week', body: `Residents, morbidity and mortality conference moves to Tuesday. Dr. ${s1.last} will present a de-identified case: 70-year-old man, ${d.text}, complication after ${pick(r, CPT).text}. Please review the attached reading on ${pick(r, DRUGS).name} dosing.\n\n${s2.first} ${s2.last}, Chief Resident` };
};

const research: Writer = (c) => {
  const r = c.r;
  const authors = [0, 1, 2, 3].map(() => `${pick(r, STAFF_LAST)} ${pick(r, STAFF_FIRST)[0]}`).join(', ');
  const d = pick(r, DX);
  const drug = pick(r, DRUGS);
  const n = int(r, 120, 4800);
  const from = addr(r, 'Journal Alerts', `alerts@${pick(r, ['clinrev-journal.test', 'medline-digest.example'])}`);
  const v = int(r, 0, 1);
  const abs = `${drug.name[0]!.toUpperCase() + drug.name.slice(1)} versus usual care in adults with ${d.text}: a randomized trial\n${authors}\n\nBackground: Evidence for ${drug.name} in ${d.text} is limited.\nMethods: We enrolled ${n} participants at 14 centers.\nResults: The primary outcome occurred in ${(r() * 20).toFixed(1)}% vs ${(r() * 25).toFixed(1)}% (hazard ratio 0.${int(r, 61, 94)}; 95% CI 0.${int(r, 50, 60)}-0.${int(r, 95, 99)}).\nConclusions: ${drug.name} reduced events.`;
  if (v === 0) return { from, to: plainFrom(c, c.doc, c.clinic), bulk: true, subject: 'Your weekly table of contents', body: `New in your subject areas:\n\n${abs}\n\nManage alerts | Unsubscribe` };
  return { from: staffFrom(c, c.doc2, c.other), to: staffFrom(c, c.doc, c.clinic), subject: 'Abstract for journal club', body: `${c.doc.first}, could you lead journal club on this one?\n\n${abs}\n\n${c.doc2.first}` };
};

const opsNotice: Writer = (c) => {
  const r = c.r;
  const v = int(r, 0, 4);
  const from = addr(r, pick(r, ['IT Service Desk', 'Facilities Management', 'Compliance Office', 'Human Resources', 'Food & Nutrition Services']), `notices@${c.other.domain}`);
  const to = 'all-employees@' + c.other.domain;
  const tk = `Ticket INC${digits(r, 7)}`;
  if (v === 0) return { from, to, subject: 'Planned EHR downtime Sunday 02:00-04:00', body: `The electronic health record will be unavailable for an upgrade. Use downtime forms for orders and medication administration; the downtime report cabinet is in each unit's med room.\n\nReference: ${tk}. Questions: ext. 4-HELP.` };
  if (v === 1) return { from, to, subject: 'Annual privacy and HIPAA training due', body: `Reminder: annual privacy training must be completed by the 30th. The module covers minimum necessary access, secure e-mail, and how to report a suspected breach of patient information.\n\nCompliance hotline ${fmtPhone(r, false)}.` };
  if (v === 2) return { from, to, subject: 'Parking garage B resurfacing', body: `Garage B levels 2-3 close Monday through Wednesday. Staff should park in Lot F; shuttle runs every 10 minutes. Patients and visitors are unaffected.\n\nFacilities, ext. 5501` };
  if (v === 3) return { from, to, subject: 'Cafeteria menu and heart-healthy options', body: `This week: grilled salmon, quinoa bowls, and a low-sodium soup of the day. Diabetes-friendly dessert options are labeled. The coffee cart moves to the atrium on Friday.` };
  return { from, to, subject: 'Benefits open enrollment', body: `Open enrollment runs through the 15th. Compare medical, dental and vision plans and the flexible spending account. Flu shots are free for employees at Employee Health, Building C.\n\nHR Service Center ${fmtPhone(r, false)}` };
};

const schedule: Writer = (c) => {
  const r = c.r;
  const rows = ['Date | Day shift | Night shift | Backup', ...[0, 1, 2, 3, 4].map((i) => `${MON[c.dos.m - 1]} ${c.dos.d + i} | ${sname(staff(r))}, RN | ${sname(staff(r))}, RN | ${sname(staff(r))}`)];
  const unit = pick(r, ['Oncology 6 West', 'Cardiac Step-Down', 'Neuro ICU', 'Labor & Delivery', 'Dialysis Unit']);
  const v = int(r, 0, 1);
  const mgr = staff(r);
  if (v === 0) return { from: plainFrom(c, mgr, c.other), to: `${unit.toLowerCase().replace(/\W+/g, '-')}@${c.other.domain}`, subject: `${unit} schedule, next week`, body: `Hi team,\n\nPosted schedule below. Swaps need manager approval by Thursday.\n\n${rows.join('\n')}\n\n${mgr.first} ${mgr.last}, Nurse Manager` };
  return { from: plainFrom(c, mgr, c.other), to: 'hospitalists@' + c.other.domain, subject: 'On-call physicians - holiday weekend', body: `Attending on call: ${sname(staff(r))}, MD (pager 4471)\nNocturnist: ${sname(staff(r))}, DO\nCardiology backup: ${sname(staff(r))}, MD\nAnesthesia: ${sname(staff(r))}, CRNA\n\nPlease update the switchboard if you trade.\n\n${mgr.first}` };
};

const guideline: Writer = (c) => {
  const r = c.r;
  const d = pick(r, DX);
  const drug = pick(r, DRUGS);
  const v = int(r, 0, 1);
  if (v === 0) return {
    from: staffFrom(c, c.doc, c.clinic), to: staffFrom(c, c.doc2, c.other), subject: `Re: updated ${d.lay} recommendations`,
    body: `I read the new society statement as favoring ${drug.name} earlier, before adding a second agent, for most adults with ${d.text}. Renal dosing tables haven't changed. Shall we update our order set?\n\n${c.doc.first}`,
    quoted: { who: docName(c.doc2), when: 'On Monday', text: `Has anyone looked at the revised guidance? The threshold for starting therapy dropped, and they now recommend checking ${pick(r, LABTESTS).name.toLowerCase()} every 3 months.` },
  };
  return { from: staffFrom(c, c.doc2, c.other), to: `pt-committee@${c.other.domain}`, subject: 'Protocol question: perioperative anticoagulation', body: `Colleagues,\n\nOur current protocol says to hold edoxaban 48 hours before high-bleeding-risk procedures such as ${pick(r, CPT).text}. For patients with creatinine clearance under 30 some centers hold longer. I suggest we adopt 72 hours in that group. Comments before Friday?\n\n${docName(c.doc2)}` };
};

const job: Writer = (c) => {
  const r = c.r;
  const rec = staff(r);
  const unit = pick(r, ['Medical-Surgical', 'Cardiac Telemetry', 'Pediatric Oncology', 'Behavioral Health', 'Perioperative Services']);
  return {
    from: addr(r, `${rec.first} ${rec.last}`, email(rec, pick(r, ['talent.ferncastle-hospital.example', 'rnconnect-jobs.test']))), to: 'nursing-candidates@lists.rnconnect-jobs.test', bulk: r() < 0.5,
    subject: `Now hiring: RN, ${unit} (${pick(r, ['nights', 'days', '12-hr rotating'])})`,
    body: `${c.other.name} is hiring registered nurses for ${unit}.\n\nRequirements: active state RN license, BLS and ACLS, one year of acute care experience preferred. Experience with insulin drips, telemetry, or chemotherapy administration is a plus.\n\nPay range $${int(r, 38, 45)}-$${int(r, 52, 64)}/hour plus shift differential; sign-on bonus.\n\nApply online or contact ${rec.first} ${rec.last}, Nurse Recruiter, ${fmtPhone(r, false)}.`,
  };
};

const business: Writer = (c) => {
  const r = c.r;
  const people = [0, 1, 2, 3].map(() => sname(staff(r)));
  const v = int(r, 0, 1);
  if (v === 0) return { from: plainFrom(c, c.clerk, c.other), to: 'leadership@' + c.other.domain, subject: 'Minutes - capital planning committee', body: `Present: ${people.join(', ')}\n\n1. Replacement of the 1.5T MRI scanner approved for FY26 ($1.9M).\n2. Pharmacy automation cabinets: vendor shortlist of three.\n3. Budget variance: supplies 4% over plan, driven by infusion pumps.\n4. Next meeting in four weeks.\n\nRespectfully submitted,\n${c.clerk.first} ${c.clerk.last}` };
  return { from: plainFrom(c, c.clerk, c.other), to: 'managers@' + c.other.domain, subject: 'Budget kickoff', body: `Managers,\n\nBudget templates for next fiscal year are due in three weeks. Include staffing (FTEs), supplies, and any new service lines such as the planned sleep medicine clinic. ${people[0]} will hold office hours Tuesdays.\n\n${c.clerk.first}` };
};

// ----- pii_only kinds --------------------------------------------------------------------------

const payroll: Writer = (c) => {
  const r = c.r;
  const emp = person(r);
  const v = int(r, 0, 1);
  const from = addr(r, 'Payroll Services', `payroll@${c.other.domain}`);
  if (v === 0) return { from, to: plainFrom(c, staff(r), c.other), subject: 'Direct deposit correction', body: `Please correct the direct deposit for ${full(emp)}, Employee No. E${digits(r, 6)}, SSN ${ssn(r)}.\nOld account: routing ${digits(r, 9)}, account ${digits(r, 10)}\nNew account: routing ${digits(r, 9)}, account ${digits(r, 11)}\nEffective pay date ${fmtDate(r, c.dos)}.\n\nThanks,\nPayroll` };
  return { from, to: plainFrom(c, staff(r), c.other), subject: 'Off-cycle check', body: `Employee | Emp ID | SSN | Gross | Reason\n${inverted(emp)} | ${digits(r, 6)} | ${ssn(r)} | ${int(r, 300, 3000)}.00 | missed shift differential\n${inverted(person(r))} | ${digits(r, 6)} | ${ssn(r)} | ${int(r, 300, 3000)}.00 | retro pay increase\n\nPlease approve by noon.` };
};

const directory: Writer = (c) => {
  const r = c.r;
  const rows = [['Name', 'Role', 'Cell', 'Home address']];
  for (let i = 0; i < int(r, 4, 7); i++) { const s = staff(r); rows.push([sname(s), pick(r, ['Charge RN', 'Unit Clerk', 'Respiratory Therapist', 'Pharmacist', 'Supervisor']), fmtPhone(r), fmtAddress(r)]); }
  const v = int(r, 0, 1);
  const mgr = staff(r);
  if (v === 0) return { from: plainFrom(c, mgr, c.other), to: 'nightshift@' + c.other.domain, subject: 'Emergency contact cascade (updated)', body: `Updated call tree for weather emergencies attached. Please keep it private - personal numbers and addresses.\n\n${mgr.first}`, attachments: [csv('contact_cascade.csv', rows)] };
  return { from: plainFrom(c, mgr, c.other), to: 'nightshift@' + c.other.domain, subject: 'Snow plan contacts', body: `If the roads close, call in this order:\n\n${rows.map((x) => x.join(' | ')).join('\n')}\n\n${mgr.first} ${mgr.last}` };
};

const newHire: Writer = (c) => {
  const r = c.r;
  const h = person(r);
  const b = ymd(r, 1965, 2002);
  const v = int(r, 0, 1);
  const from = addr(r, 'Talent Onboarding', `onboarding@${c.other.domain}`);
  const lines = [`Name: ${full(h)}`, `Date of birth: ${fmtDate(r, b)}`, `SSN: ${ssn(r)}`, `Home address: ${fmtAddress(r)}`, `Mobile: ${fmtPhone(r)}`, `Position: ${pick(r, ['Patient Access Representative', 'Staff Nurse', 'Sterile Processing Tech', 'Medical Assistant'])}`, `Start date: ${fmtDate(r, c.dos)}`, `Emergency contact: ${full(person(r))}, ${fmtPhone(r)}`];
  if (v === 0) return { from, to: plainFrom(c, staff(r), c.other), subject: `New hire setup - ${h.last}`, body: `Please create badge and payroll records:\n\n${lines.join('\n')}\n\nI-9 verified in person.` };
  return { from, to: plainFrom(c, staff(r), c.other), subject: 'Onboarding packet', body: 'Completed onboarding form attached.', attachments: [pdf('onboarding_form.pdf', 'EMPLOYEE INFORMATION FORM', lines)] };
};

const vendorTax: Writer = (c) => {
  const r = c.r;
  const h = person(r);
  const v = int(r, 0, 1);
  const from = addr(r, 'Accounts Payable', `ap@${c.other.domain}`);
  if (v === 0) return { from, to: plainFrom(c, staff(r), c.other), subject: 'W-9 received - contractor setup', body: `Vendor setup for an individual contractor (medical interpreter):\nLegal name: ${full(h)}\nTaxpayer ID (SSN): ${ssn(r)}\nMailing address: ${fmtAddress(r)}\nBusiness type: sole proprietor\nPayment terms net 30.\n\nAP` };
  return { from, to: plainFrom(c, staff(r), c.other), subject: '1099-NEC corrections', body: `Recipient | TIN | Box 1 amount\n${full(h)} | ${ssn(r)} | $${int(r, 2000, 60000)}.00\n${full(person(r))} | ${ssn(r)} | $${int(r, 2000, 60000)}.00\n\nCorrected forms go out Friday.` };
};

const WRITERS: Record<string, Writer> = {
  referral_letter: referral, discharge_summary: discharge, lab_result: labResult, pathology_report: pathology,
  radiology_report: radiology, claim_billing: claim, remittance_advice: remittance, rx_refill_request: rxRefill,
  prior_authorization: priorAuth, appointment_followup: appointment, care_coordination_thread: coordination,
  patient_result_reply: patientReply, patient_list_csv: patientList, attachment_only_phi: attachmentOnly,
  health_newsletter: newsletter, aggregate_statistics: aggregate, pharma_device_sales: pharmaSales,
  conference_cme: cme, research_abstract: research, operations_notice: opsNotice, staff_schedule: schedule,
  guideline_discussion: guideline, job_posting: job, general_business: business,
  payroll_hr: payroll, staff_directory: directory, new_hire_paperwork: newHire, vendor_tax_form: vendorTax,
};

/**
 * The generated hold-out corpus: `total` messages (default about 300) over all 28 kinds in the dev
 * corpus proportions, shuffled. Same seed, same bytes.
 */
export function generateHoldout(seed = 14, total = 300): HoldoutMessage[] {
  const r = prng(seed);
  msgSeq = 0;
  const plan = planKinds(r, total);
  return plan.map(([label, kind], i) => {
    const clinic = pick(r, CLINICS);
    let other = pick(r, CLINICS);
    if (other === clinic) other = CLINICS[(CLINICS.indexOf(clinic) + 1) % CLINICS.length]!;
    const dx = pick(r, DX);
    let dx2 = pick(r, DX);
    if (dx2 === dx) dx2 = DX[(DX.indexOf(dx) + 1) % DX.length]!;
    const drug = pick(r, DRUGS);
    let drug2 = pick(r, DRUGS);
    if (drug2 === drug) drug2 = DRUGS[(DRUGS.indexOf(drug) + 1) % DRUGS.length]!;
    const c: Ctx = { r, pt: person(r), dob: ymd(r, 1938, 2012), dos: ymd(r, 2025, 2025), doc: staff(r), doc2: staff(r), clerk: { ...staff(r), cred: pick(r, ['', '', 'CPC', 'RHIT', 'CMA']) }, clinic, other, dx, dx2, drug, drug2, cpt: pick(r, CPT) };
    const draft = WRITERS[kind]!(c);
    return { file: `h${String(i + 1).padStart(4, '0')}.eml`, label, kind, raw: assemble(r, draft) };
  });
}
