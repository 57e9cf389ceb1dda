// A second, independent generator of a labelled PHI corpus ("hold-out B"): about 300 synthetic
// outbound e-mails over the 28 kinds of ../shared/corpus/phi-dev in its proportions. Written by
// another author than src/bench/holdout-gen.ts and without reading its templates: other registers
// (clinician shorthand, long formal letters, patients writing in lower case with typos, Outlook
// "From:/Sent:" blocks, '>' chains), other countries' conventions (UK/Canadian/Australian spelling,
// day-first dates, NHS / provincial / Medicare numbers, non-US phone formats), other structures
// (HTML tables, TSV and odd CSV headers, FlateDecode PDFs with TJ arrays, message/rfc822 forwards,
// windows-1252 / iso-8859-1 text) and other vocabularies (names, drugs, diagnoses, ICD-10-CM, CPT
// and HCPCS codes, LOINC, identifier labels, domains). Each message is labelled as it is written.
// Everything is invented; every domain is under .example or .test.
// Used by `node dist/bench/eval-phi.js --holdout-b [SEED]` and test/policy/holdout-generated-b.test.ts.
// Trust level: developer tool; pure (seed in, messages out), no I/O.
import { deflateSync } from 'node:zlib';
import { prng } from '../smime/fuzz-enveloped.js';
import { type HoldoutLabel, type HoldoutMessage, HOLDOUT_KINDS, type Rand, pick, int, digits, chance, planKinds } from './holdout-common.js';

/** This generator's names for the shared shapes (holdout-common.ts). */
export type HoldoutBLabel = HoldoutLabel;
export type HoldoutBMessage = HoldoutMessage;
export const HOLDOUT_B_KINDS = HOLDOUT_KINDS;





// ---------------------------------------------------------------------------------------------
// Vocabularies (each checked absent from the dev corpus and from the first generator)

const GIVEN_F = ['Tamsin', 'Oonagh', 'Manaia', 'Fenella', 'Bronwyn', 'Anahera', 'Kirra', 'Mirela', 'Ludmila', 'Liesel',
  'Ottilie', 'Perpetua', 'Morag', 'Iolanthe', 'Seren', 'Nizhoni', 'Itzel', 'Xochitl', 'Yaretzi', 'Fidelma', 'Quynh',
  'Phuong', 'Hina', 'Branwen', 'Tuppence'];
const GIVEN_M = ['Hamish', 'Callum', 'Tavita', 'Jarrah', 'Radomir', 'Zdenek', 'Bartosz', 'Kasimir', 'Euan', 'Gethin',
  'Rhodri', 'Dilwyn', 'Aneurin', 'Tadeo', 'Cormac', 'Senan', 'Lorcan', 'Ignatius', 'Peregrine', 'Wiremu'];
const FAMILY = ['Penhaligon', 'Trewartha', 'Llewellyn-Price', 'Cadwaladr', 'Abercrombie', 'Paewai', 'Rangihuna',
  'Wirihana', 'Wróblewski', 'Przybylski', 'Hrabal', 'Novotná', 'van Rensburg', 'du Plessis', 'Ogundipe', 'Onyekachi',
  'Chikwanha', 'Mutasa', 'Bangura', 'Koroma', 'Tremayne', 'Haverfield', 'Blackwood', 'Gilchrist', 'Macfarlane',
  'Bjornstad', 'Kristiansen', 'Oyediran', 'Coutinho', 'Brandão', 'Valderrama', 'Zamudio', 'Kaczmarek', 'Sokolowski',
  "O'Halloran", 'Featherstone', 'Nakamura-Oakes', 'Ibarra'];
const STAFF_GIVEN = ['Rosalind', 'Barnaby', 'Clementine', 'Ptolemy', 'Marguerite', 'Ambrose', 'Henrietta', 'Lucius',
  'Philippa', 'Crispin', 'Winifred', 'Jethro', 'Araminta', 'Cuthbert', 'Beatrix', 'Leopold'];
const STAFF_FAMILY = ['Ashdown', 'Bellweather', 'Copperfield', 'Dunmore', 'Elphinstone', 'Fairbairn', 'Grimshaw',
  'Hollingworth', 'Inglethorpe', 'Jessop', 'Kilbride', 'Lockhart', 'Mountjoy', 'Nettleship', 'Ormerod', 'Pargeter'];

interface Dx { code: string; name: string; lay: string }
const DX: Dx[] = [
  { code: 'A69.20', name: 'Lyme disease', lay: 'the tick-bite infection' },
  { code: 'C18.7', name: 'adenocarcinoma of the sigmoid colon', lay: 'bowel cancer' },
  { code: 'C43.59', name: 'melanoma of the trunk', lay: 'the skin cancer on your back' },
  { code: 'C64.1', name: 'renal cell carcinoma of the right kidney', lay: 'the kidney tumour' },
  { code: 'C90.00', name: 'multiple myeloma', lay: 'the myeloma' },
  { code: 'D05.11', name: 'ductal carcinoma in situ', lay: 'the early breast cancer' },
  { code: 'D69.6', name: 'thrombocytopenia', lay: 'low platelets' },
  { code: 'E21.0', name: 'primary hyperparathyroidism', lay: 'the overactive parathyroid' },
  { code: 'E22.0', name: 'acromegaly', lay: 'the growth hormone problem' },
  { code: 'E27.1', name: "Addison's disease", lay: 'the adrenal problem' },
  { code: 'E66.01', name: 'morbid obesity', lay: 'your weight' },
  { code: 'E83.110', name: 'hereditary haemochromatosis', lay: 'iron overload' },
  { code: 'E84.0', name: 'cystic fibrosis', lay: 'the CF' },
  { code: 'E87.1', name: 'hyponatraemia', lay: 'low sodium' },
  { code: 'F50.00', name: 'anorexia nervosa', lay: 'the eating disorder' },
  { code: 'G12.21', name: 'motor neurone disease', lay: 'MND' },
  { code: 'G47.33', name: 'obstructive sleep apnoea', lay: 'the sleep apnoea' },
  { code: 'G56.01', name: 'carpal tunnel syndrome', lay: 'the tingling in your right hand' },
  { code: 'G70.00', name: 'myasthenia gravis', lay: 'the muscle weakness' },
  { code: 'H25.9', name: 'age-related cataract', lay: 'the cloudy lens' },
  { code: 'H40.9', name: 'glaucoma', lay: 'raised eye pressure' },
  { code: 'H66.90', name: 'otitis media', lay: 'the ear infection' },
  { code: 'H81.10', name: 'benign paroxysmal positional vertigo', lay: 'the dizzy spells' },
  { code: 'I35.0', name: 'aortic stenosis', lay: 'the narrowed heart valve' },
  { code: 'I50.22', name: 'chronic systolic heart failure', lay: 'the weak heart pump' },
  { code: 'I73.9', name: 'peripheral arterial disease', lay: 'poor circulation in your legs' },
  { code: 'J02.0', name: 'streptococcal pharyngitis', lay: 'strep throat' },
  { code: 'K40.90', name: 'inguinal hernia', lay: 'the groin lump' },
  { code: 'K57.30', name: 'diverticular disease', lay: 'the pouches in your bowel' },
  { code: 'K90.0', name: 'coeliac disease', lay: 'gluten intolerance' },
  { code: 'L89.152', name: 'sacral pressure ulcer', lay: 'the pressure sore' },
  { code: 'M32.9', name: 'systemic lupus erythematosus', lay: 'lupus' },
  { code: 'M54.16', name: 'lumbar radiculopathy', lay: 'sciatica' },
  { code: 'M75.41', name: 'impingement syndrome of the right shoulder', lay: 'the shoulder pain' },
  { code: 'M79.7', name: 'fibromyalgia', lay: 'the widespread pain' },
  { code: 'N81.10', name: 'cystocele', lay: 'the prolapse' },
  { code: 'N95.1', name: 'menopausal and female climacteric states', lay: 'hot flushes' },
  { code: 'R56.9', name: 'unspecified convulsions', lay: 'the fits' },
  { code: 'S52.501A', name: 'fracture of the right radius', lay: 'the broken wrist' },
  { code: 'T81.4XXA', name: 'post-operative wound infection', lay: 'the infected wound' },
];

interface Drug { name: string; dose: string; sig: string }
const DRUGS: Drug[] = [
  { name: 'aciclovir', dose: '400 mg', sig: 'five times daily' }, { name: 'alendronic acid', dose: '70 mg', sig: 'once weekly' },
  { name: 'beclometasone', dose: '100 mcg', sig: '2 puffs bd' }, { name: 'bendroflumethiazide', dose: '2.5 mg', sig: 'mane' },
  { name: 'betahistine', dose: '16 mg', sig: 'tds' }, { name: 'cabergoline', dose: '0.5 mg', sig: 'twice weekly' },
  { name: 'carbimazole', dose: '20 mg', sig: 'od' }, { name: 'cefalexin', dose: '500 mg', sig: 'qid x 7 days' },
  { name: 'chlortalidone', dose: '25 mg', sig: 'daily' }, { name: 'co-amoxiclav', dose: '625 mg', sig: 'tds' },
  { name: 'co-careldopa', dose: '25/100 mg', sig: 'tds' }, { name: 'co-codamol', dose: '30/500', sig: 'qds prn' },
  { name: 'dapsone', dose: '50 mg', sig: 'daily' }, { name: 'desmopressin', dose: '0.2 mg', sig: 'nocte' },
  { name: 'entacapone', dose: '200 mg', sig: 'with each levodopa dose' }, { name: 'ferrous fumarate', dose: '210 mg', sig: 'bd' },
  { name: 'flucloxacillin', dose: '500 mg', sig: 'qds' }, { name: 'gliclazide', dose: '80 mg', sig: 'bd' },
  { name: 'hydroxocobalamin', dose: '1 mg IM', sig: 'every 3 months' }, { name: 'isosorbide mononitrate', dose: '60 mg MR', sig: 'mane' },
  { name: 'ivabradine', dose: '5 mg', sig: 'bd' }, { name: 'lercanidipine', dose: '10 mg', sig: 'od' },
  { name: 'lithium carbonate', dose: '400 mg', sig: 'nocte' }, { name: 'mebeverine', dose: '135 mg', sig: 'tds before meals' },
  { name: 'mesalazine', dose: '1.2 g', sig: 'bd' }, { name: 'nicorandil', dose: '10 mg', sig: 'bd' },
  { name: 'tinzaparin', dose: '10,000 units', sig: 'sc od' }, { name: 'torasemide', dose: '10 mg', sig: 'mane' },
  { name: 'valaciclovir', dose: '500 mg', sig: 'bd' },
];

const CPT: Array<[string, string]> = [
  ['99204', 'new patient office visit, moderate'], ['74177', 'CT abdomen and pelvis with contrast'],
  ['76856', 'pelvic ultrasound, complete'], ['11102', 'tangential skin biopsy'], ['17110', 'destruction of benign lesions'],
  ['88342', 'immunohistochemistry, first antibody'], ['80061', 'lipid panel'], ['84443', 'thyroid stimulating hormone'],
  ['82306', 'vitamin D, 25-hydroxy'], ['96372', 'therapeutic injection, SC/IM'], ['97140', 'manual therapy'],
  ['90834', 'psychotherapy, 45 minutes'], ['94010', 'spirometry'], ['93880', 'duplex scan, extracranial arteries'],
  ['78452', 'myocardial perfusion imaging, multiple studies'], ['92014', 'eye exam, established patient'],
  ['64721', 'carpal tunnel release'], ['29826', 'shoulder arthroscopy, decompression'], ['49505', 'inguinal hernia repair'],
  ['19083', 'breast biopsy with ultrasound guidance'], ['93350', 'stress echocardiogram'], ['95886', 'needle EMG, each extremity'],
  ['92083', 'visual field examination'], ['J3301', 'triamcinolone acetonide, 10 mg'], ['J0585', 'onabotulinumtoxinA, 1 unit'],
  ['E0470', 'bi-level respiratory device'], ['L3908', 'wrist hand orthosis, prefabricated'], ['G0121', 'colorectal screening colonoscopy'],
];

interface Lab { analyte: string; loinc: string; unit: string; lo: number; hi: number; dp: number }
const LABS: Lab[] = [
  { analyte: 'Haemoglobin', loinc: '718-7', unit: 'g/L', lo: 85, hi: 165, dp: 0 },
  { analyte: 'White cell count', loinc: '6690-2', unit: 'x10^9/L', lo: 2.1, hi: 17, dp: 1 },
  { analyte: 'Platelets', loinc: '777-3', unit: 'x10^9/L', lo: 40, hi: 480, dp: 0 },
  { analyte: 'Sodium', loinc: '2951-2', unit: 'mmol/L', lo: 121, hi: 146, dp: 0 },
  { analyte: 'Potassium', loinc: '2823-3', unit: 'mmol/L', lo: 3.1, hi: 6.2, dp: 1 },
  { analyte: 'TSH', loinc: '3016-3', unit: 'mU/L', lo: 0.01, hi: 12, dp: 2 },
  { analyte: 'ALT', loinc: '1742-6', unit: 'U/L', lo: 12, hi: 190, dp: 0 },
  { analyte: 'Total cholesterol', loinc: '2093-3', unit: 'mmol/L', lo: 3.2, hi: 8.1, dp: 1 },
  { analyte: 'HDL cholesterol', loinc: '2085-9', unit: 'mmol/L', lo: 0.7, hi: 2.2, dp: 1 },
  { analyte: 'Triglycerides', loinc: '2571-8', unit: 'mmol/L', lo: 0.6, hi: 4.8, dp: 1 },
  { analyte: 'eGFR', loinc: '62238-1', unit: 'mL/min/1.73m2', lo: 18, hi: 95, dp: 0 },
  { analyte: 'Vitamin D (25-OH)', loinc: '1989-3', unit: 'nmol/L', lo: 14, hi: 110, dp: 0 },
  { analyte: 'INR', loinc: '6301-6', unit: '', lo: 0.9, hi: 4.6, dp: 1 },
  { analyte: 'PSA', loinc: '2857-1', unit: 'ug/L', lo: 0.4, hi: 14, dp: 1 },
  { analyte: 'Urea', loinc: '3094-0', unit: 'mmol/L', lo: 2.8, hi: 19, dp: 1 },
  { analyte: 'Albumin', loinc: '1751-7', unit: 'g/L', lo: 24, hi: 48, dp: 0 },
  { analyte: 'GGT', loinc: '2324-2', unit: 'U/L', lo: 9, hi: 310, dp: 0 },
  { analyte: 'Troponin I', loinc: '10839-9', unit: 'ng/L', lo: 2, hi: 900, dp: 0 },
  { analyte: 'HbA1c (IFCC)', loinc: '59261-8', unit: 'mmol/mol', lo: 34, hi: 98, dp: 0 },
];

interface Org { name: string; domain: string; short: string }
const ORGS: Org[] = [
  { name: 'Tregaron Health Partnership', domain: 'tregaron-health.example', short: 'Tregaron' },
  { name: 'Kestrelvale Community Hospital', domain: 'kestrelvale.test', short: 'Kestrelvale' },
  { name: 'Northmoor Family Practice', domain: 'northmoor-fp.example', short: 'Northmoor' },
  { name: 'Bayside Orthopaedic Group', domain: 'bayside-ortho.test', short: 'Bayside' },
  { name: 'Hollyhurst Pathology Services', domain: 'hollyhurst-path.example', short: 'Hollyhurst' },
  { name: 'Ridgecrest Diagnostic Imaging', domain: 'ridgecrest-imaging.test', short: 'Ridgecrest' },
  { name: 'Marrowbone Street Surgery', domain: 'marrowbone-surgery.example', short: 'Marrowbone' },
  { name: 'Fernhill Medical Centre', domain: 'fernhill-mc.test', short: 'Fernhill' },
  { name: 'Quarrybank Regional Health', domain: 'quarrybank-rh.example', short: 'Quarrybank' },
  { name: 'Harbourview Specialist Clinics', domain: 'harbourview-clinics.test', short: 'Harbourview' },
];
const PHARMACY: Org = { name: 'Pinegate Pharmacy', domain: 'pinegate-rx.example', short: 'Pinegate' };
const PAYERS: Org[] = [
  { name: 'Coastline Mutual Health', domain: 'coastline-mutual.test', short: 'Coastline' },
  { name: 'Tidewater Benefit Plans', domain: 'tidewater-benefits.example', short: 'Tidewater' },
];
const VENDOR_DOMAINS = ['larchmont-pharma.test', 'quillon-devices.example', 'osprey-therapeutics.test'];
const PATIENT_MAIL = ['posteo.example', 'fastmail.test', 'inbox.example', 'homemail.test'];

// ---------------------------------------------------------------------------------------------
// Identifiers, dates, phones

type Loc = 'us' | 'uk' | 'ca' | 'au';
interface Ymd { y: number; m: number; d: number }
const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];
const p2 = (n: number) => String(n).padStart(2, '0');
const ymd = (r: Rand, y0: number, y1: number): Ymd => ({ y: int(r, y0, y1), m: int(r, 1, 12), d: int(r, 1, 28) });
const ordinal = (n: number) => `${n}${n % 10 === 1 && n !== 11 ? 'st' : n % 10 === 2 && n !== 12 ? 'nd' : n % 10 === 3 && n !== 13 ? 'rd' : 'th'}`;

function date(r: Rand, loc: Loc, x: Ymd): string {
  const mon = MONTHS[x.m - 1]!;
  if (loc === 'us') return pick(r, [`${p2(x.m)}/${p2(x.d)}/${x.y}`, `${x.m}/${x.d}/${x.y}`, `${mon} ${x.d}, ${x.y}`, `${mon.slice(0, 3)}-${p2(x.d)}-${x.y}`]);
  if (loc === 'ca') return pick(r, [`${x.y}-${p2(x.m)}-${p2(x.d)}`, `${x.d} ${mon} ${x.y}`, `${mon.slice(0, 3)} ${x.d}, ${x.y}`]);
  return pick(r, [`${p2(x.d)}/${p2(x.m)}/${x.y}`, `${x.d} ${mon} ${x.y}`, `${p2(x.d)}.${p2(x.m)}.${x.y}`, `${x.d}-${mon.slice(0, 3)}-${x.y}`, `${ordinal(x.d)} ${mon} ${x.y}`]);
}

function phone(r: Rand, loc: Loc): string {
  switch (loc) {
    case 'uk': return pick(r, [`020 7946 0${digits(r, 3)}`, `07700 900${digits(r, 3)}`, `+44 (0)161 496 0${digits(r, 3)}`, `0117 496 0${digits(r, 3)}`]);
    case 'au': return pick(r, [`(02) 5550 ${digits(r, 4)}`, `0491 570 ${digits(r, 3)}`, `+61 3 5550 ${digits(r, 4)}`]);
    case 'ca': return pick(r, [`(416) 555-01${digits(r, 2)}`, `604.555.01${digits(r, 2)}`, `+1 613 555 01${digits(r, 2)}`]);
    default: return pick(r, [`(312) 555-01${digits(r, 2)}`, `555.01${digits(r, 2)}`.replace(/^/, `${int(r, 201, 989)}.`), `+1 (720) 555-01${digits(r, 2)}`, `415-555-01${digits(r, 2)}`]);
  }
}

function luhnDigit(s: string): number {
  let sum = 0;
  for (let i = s.length - 1, dbl = true; i >= 0; i--, dbl = !dbl) {
    let v = s.charCodeAt(i) - 48;
    if (dbl) { v *= 2; if (v > 9) v -= 9; }
    sum += v;
  }
  return (10 - (sum % 10)) % 10;
}
const npi = (r: Rand) => { const b = String(int(r, 1, 2)) + digits(r, 8); return b + luhnDigit('80840' + b); };
const VALID_LOINC = LABS.filter((l) => { const [n, c] = l.loinc.split('-'); return luhnDigit(n!) === Number(c); });

function nhsNumber(r: Rand): string {
  for (;;) {
    const d = digits(r, 9);
    let s = 0;
    for (let i = 0; i < 9; i++) s += (d.charCodeAt(i) - 48) * (10 - i);
    const c = 11 - (s % 11);
    if (c === 10) continue;
    const all = d + (c === 11 ? '0' : String(c));
    return `${all.slice(0, 3)} ${all.slice(3, 6)} ${all.slice(6)}`;
  }
}

const ssn = (r: Rand) => `${p2(int(r, 10, 99)).padStart(3, String(int(r, 1, 7)))}-${p2(int(r, 1, 99))}-${String(int(r, 1, 9999)).padStart(4, '0')}`;

/** A patient identifier as a "label value" pair, in one of the local conventions. */
function patientId(r: Rand, loc: Loc): [string, string] {
  switch (loc) {
    case 'uk': return pick(r, [['NHS No.', nhsNumber(r)], ['NHS number', nhsNumber(r)], ['Hospital No.', `K${digits(r, 7)}`], ['Hosp no', `RX${digits(r, 6)}`]]);
    case 'ca': return pick(r, [['Health Card No.', `${digits(r, 4)}-${digits(r, 3)}-${digits(r, 3)}-${pick(r, ['AB', 'KT', 'ZM'])}`], ['PHN', `9${digits(r, 3)} ${digits(r, 3)} ${digits(r, 3)}`], ['Chart No.', `C-${digits(r, 6)}`]]);
    case 'au': return pick(r, [['Medicare No.', `${int(r, 2, 6)}${digits(r, 3)} ${digits(r, 5)} ${int(r, 1, 9)}`], ['URN', digits(r, 7)], ['UR No.', `${digits(r, 3)}-${digits(r, 3)}`]]);
    default: return pick(r, [['Hospital No.', `H${digits(r, 8)}`], ['MRN', `${digits(r, 3)}-${digits(r, 2)}-${digits(r, 2)}`], ['Encounter #', digits(r, 9)], ['Visit ID', `V${digits(r, 2)}-${digits(r, 6)}`], ['Pt acct', `PA${digits(r, 7)}`]]);
  }
}

// ---------------------------------------------------------------------------------------------
// People and context

interface Person { given: string; family: string; female: boolean; email: string }
interface Staff { given: string; family: string; cred: string; role: string; email: string }

function person(r: Rand): Person {
  const female = chance(r, 0.5);
  const given = pick(r, female ? GIVEN_F : GIVEN_M);
  const family = pick(r, FAMILY);
  const local = pick(r, [`${given}.${family}`, `${given[0]}${family}${int(r, 1, 99)}`, `${given}${int(r, 60, 99)}`]).toLowerCase().normalize('NFD').replace(/[^a-z0-9.]/g, '');
  return { given, family, female, email: `${local}@${pick(r, PATIENT_MAIL)}` };
}

function staff(r: Rand, org: Org, role?: [string, string]): Staff {
  const given = pick(r, STAFF_GIVEN);
  const family = pick(r, STAFF_FAMILY);
  const [cred, title] = role ?? pick(r, [['MD', 'Consultant'], ['MBBS FRACP', 'Consultant Physician'], ['DO', 'Attending'], ['NP', 'Nurse Practitioner'], ['MRCGP', 'GP'], ['RN', 'Clinical Nurse Specialist'], ['PA-C', 'Physician Assistant']] as Array<[string, string]>);
  return { given, family, cred, role: title, email: `${given[0]!.toLowerCase()}.${family.toLowerCase()}@${org.domain}` };
}

interface Ctx {
  r: Rand; loc: Loc; pt: Person; dob: Ymd; dos: Ymd; dos2: Ymd; org: Org; other: Org;
  doc: Staff; doc2: Staff; clerk: Staff; dx: Dx; dx2: Dx; drug: Drug; drug2: Drug; cpt: [string, string]; age: number;
}

const full = (p: { given: string; family: string }) => `${p.given} ${p.family}`;
const drName = (s: Staff) => (/MD|DO|MBBS|MRCGP/.test(s.cred) ? `Dr ${s.family}` : `${s.given} ${s.family}`);
const sign = (s: Staff, org: Org) => `${s.given} ${s.family}, ${s.cred}\n${s.role}, ${org.name}`;
const honor = (c: Ctx) => (c.pt.female ? pick(c.r, ['Mrs', 'Ms', 'Miss']) : 'Mr');
const spell = (c: Ctx, uk: string, us: string) => (c.loc === 'us' ? us : uk);
const labValue = (r: Rand, l: Lab) => (l.lo + r() * (l.hi - l.lo)).toFixed(l.dp);

// ---------------------------------------------------------------------------------------------
// Message model and MIME assembly

interface Addr { name: string; email: string }
interface Attachment { filename: string; type: string; data: Buffer | string; rfc822?: boolean }
interface Draft {
  from: Addr; to: Addr[]; cc?: Addr[]; subject: string;
  text: string; html?: string; attachments?: Attachment[];
  reply?: boolean; bulk?: boolean;
}

const addr = (s: Staff | Person, org?: Org): Addr => ({ name: full(s), email: s.email ?? `x@${org?.domain}` });

const WIN1252: Record<string, number> = { '€': 0x80, '‚': 0x82, '„': 0x84, '…': 0x85, '‘': 0x91, '’': 0x92, '“': 0x93, '”': 0x94, '•': 0x95, '–': 0x96, '—': 0x97, '™': 0x99 };

function encodeCharset(text: string, charset: string): Buffer | undefined {
  const out: number[] = [];
  for (const ch of text) {
    const cp = ch.codePointAt(0)!;
    if (cp < 0x80 || (cp >= 0xa0 && cp <= 0xff)) out.push(cp);
    else if (charset === 'windows-1252' && WIN1252[ch] !== undefined) out.push(WIN1252[ch]!);
    else return undefined;
  }
  return Buffer.from(out);
}

function qp(buf: Buffer): string {
  const lines: string[] = [];
  let line = '';
  for (let i = 0; i < buf.length; i++) {
    const b = buf[i]!;
    if (b === 0x0d) continue;
    if (b === 0x0a) { lines.push(line.replace(/[ \t]$/, (m) => `=${m.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`)); line = ''; continue; }
    const tok = (b >= 33 && b <= 126 && b !== 61) || b === 32 || b === 9 ? String.fromCharCode(b) : `=${b.toString(16).toUpperCase().padStart(2, '0')}`;
    if (line.length + tok.length > 75) { lines.push(line + '='); line = ''; }
    line += tok;
  }
  lines.push(line);
  return lines.join('\r\n');
}

const b64 = (buf: Buffer) => buf.toString('base64').replace(/.{1,76}/g, '$&\r\n').trimEnd();
const crlf = (s: string) => s.replace(/\r?\n/g, '\r\n');

function encodeWord(r: Rand, s: string): string {
  if (/^[\x20-\x7e]*$/.test(s)) return s;
  if (chance(r, 0.5)) return `=?utf-8?B?${Buffer.from(s, 'utf8').toString('base64')}?=`;
  const latin = encodeCharset(s, 'iso-8859-1');
  const [cs, bytes] = latin ? ['iso-8859-1', latin] : ['utf-8', Buffer.from(s, 'utf8')];
  let q = '';
  for (const b of bytes) q += b === 32 ? '_' : (b >= 48 && b <= 57) || (b >= 65 && b <= 90) || (b >= 97 && b <= 122) ? String.fromCharCode(b) : `=${b.toString(16).toUpperCase().padStart(2, '0')}`;
  return `=?${cs}?Q?${q}?=`;
}

const fmtAddr = (r: Rand, a: Addr) => (/[^\x20-\x7e]/.test(a.name) || !/[",.]/.test(a.name) ? `${encodeWord(r, a.name)} <${a.email}>` : `"${a.name}" <${a.email}>`);

let boundarySeq = 0;
const boundary = (r: Rand) => `----=_Part_${++boundarySeq}_${digits(r, 8)}.${digits(r, 6)}`;

/** One text part: content headers and encoded body, charset and transfer encoding chosen here. */
function textPart(r: Rand, type: string, text: string): string {
  let charset = pick(r, ['utf-8', 'utf-8', 'iso-8859-1', 'windows-1252', 'us-ascii']);
  let bytes = charset === 'utf-8' ? Buffer.from(text, 'utf8') : encodeCharset(text, charset);
  if (!bytes || (charset === 'us-ascii' && /[^\x00-\x7f]/.test(text))) { charset = 'utf-8'; bytes = Buffer.from(text, 'utf8'); }
  const ascii = bytes.every((b) => b < 0x80);
  const longLine = text.split('\n').some((l) => l.length > 900);
  const enc = pick(r, ascii && !longLine ? ['7bit', 'quoted-printable', 'base64'] : ['quoted-printable', 'base64', charset === 'utf-8' ? 'base64' : '8bit']);
  const body = enc === 'base64' ? b64(bytes) : enc === 'quoted-printable' ? qp(bytes) : crlf(bytes.toString('latin1'));
  return `Content-Type: ${type}; charset="${charset}"\r\nContent-Transfer-Encoding: ${enc}\r\n\r\n${body}`;
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const htmlOf = (text: string) => `<html><body style="font-family:Calibri,sans-serif">${text.split(/\n{2,}/).map((p) => `<p>${esc(p).replace(/\n/g, '<br>')}</p>`).join('\n')}</body></html>`;
const textOfHtml = (html: string) => html.replace(/<(br|\/p|\/tr|\/h\d)[^>]*>/gi, '\n').replace(/<\/t[dh]>/gi, '\t').replace(/<[^>]+>/g, '').replace(/&nbsp;/g, ' ').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&').replace(/\n{3,}/g, '\n\n').trim();

function attachmentPart(r: Rand, a: Attachment): string {
  if (a.rfc822) {
    const raw = typeof a.data === 'string' ? a.data : a.data.toString('latin1');
    return `Content-Type: message/rfc822${chance(r, 0.5) ? `; name="${a.filename}"` : ''}\r\nContent-Disposition: ${pick(r, ['attachment', 'inline'])}; filename="${a.filename}"\r\n\r\n${raw}`;
  }
  if (typeof a.data === 'string' && a.type.startsWith('text/')) {
    const inner = textPart(r, a.type, a.data);
    return inner.replace(/\r\n\r\n/, `\r\nContent-Disposition: attachment; filename="${a.filename}"\r\n\r\n`);
  }
  const buf = typeof a.data === 'string' ? Buffer.from(a.data, 'utf8') : a.data;
  return `Content-Type: ${a.type}; name="${a.filename}"\r\nContent-Transfer-Encoding: base64\r\nContent-Disposition: attachment; filename="${a.filename}"\r\n\r\n${b64(buf)}`;
}

let msgSeq = 0;
function rfcDate(r: Rand): string {
  const d = new Date(Date.UTC(2025, int(r, 0, 10), int(r, 1, 28), int(r, 6, 19), int(r, 0, 59), int(r, 0, 59)));
  const off = pick(r, ['+0000', '+0100', '-0500', '-0800', '+1000', '+1100', '-0400']);
  return d.toUTCString().replace('GMT', off).replace(/^(\w+), 0?/, '$1, ');
}

function assemble(r: Rand, d: Draft): string {
  const h: string[] = [];
  h.push(`From: ${fmtAddr(r, d.from)}`);
  h.push(`To: ${d.to.map((a) => fmtAddr(r, a)).join(', ')}`);
  if (d.cc?.length) h.push(`Cc: ${d.cc.map((a) => fmtAddr(r, a)).join(', ')}`);
  h.push(`Subject: ${encodeWord(r, d.subject)}`);
  h.push(`Date: ${rfcDate(r)}`);
  const dom = d.from.email.split('@')[1];
  h.push(`Message-ID: <${digits(r, 10)}.${++msgSeq}.hb@${dom}>`);
  if (d.reply) h.push(`In-Reply-To: <${digits(r, 12)}@${d.to[0]!.email.split('@')[1]}>`);
  if (d.bulk) h.push(`List-Unsubscribe: <mailto:leave-${digits(r, 6)}@${dom}>`);
  if (chance(r, 0.2)) h.push(`X-Mailer: ${pick(r, ['Microsoft Outlook 16.0', 'Apple Mail (2.3774)', 'Thunderbird 115.8'])}`);
  h.push('MIME-Version: 1.0');
  const html = d.html ?? (chance(r, 0.4) ? htmlOf(d.text) : undefined);
  let body: string;
  if (html && d.html && chance(r, 0.35)) body = textPart(r, 'text/html', html);
  else if (html) {
    const b = boundary(r);
    body = `Content-Type: multipart/alternative; boundary="${b}"\r\n\r\n--${b}\r\n${textPart(r, 'text/plain', d.text)}\r\n--${b}\r\n${textPart(r, 'text/html', html)}\r\n--${b}--`;
  } else body = textPart(r, 'text/plain', d.text);
  if (d.attachments?.length) {
    const b = boundary(r);
    body = `Content-Type: multipart/mixed; boundary="${b}"\r\n\r\nThis is a multi-part message in MIME format.\r\n--${b}\r\n${body}\r\n${d.attachments.map((a) => `--${b}\r\n${attachmentPart(r, a)}\r\n`).join('')}--${b}--`;
  }
  return `${h.join('\r\n')}\r\n${body}\r\n`;
}

/** A small PDF with a text layer: Helvetica, WinAnsi, one page per 50 lines, sometimes FlateDecode and TJ arrays. */
export function pdfB(r: Rand, lines: string[]): Buffer {
  const flate = chance(r, 0.6);
  const kern = chance(r, 0.5);
  const pesc = (s: string) => s.replace(/[\\()]/g, '\\$&');
  const pages: string[] = [];
  for (let i = 0; i < lines.length; i += 50) {
    const ops: string[] = ['BT', '/F1 10 Tf', '13 TL', '56 780 Td'];
    for (const l of lines.slice(i, i + 50)) {
      const lat = encodeCharset(l, 'windows-1252') ? l : l.normalize('NFD').replace(/[^\x00-\x7f]/g, '');
      if (kern && lat.length > 6) {
        // split words and put kerning between pieces; a large gap stands for the word space
        const words = lat.split(' ');
        ops.push(`[${words.map((w) => (w.length > 4 ? `(${pesc(w.slice(0, 2))}) -12 (${pesc(w.slice(2))})` : `(${pesc(w)})`)).join(' -278 ')}] TJ T*`);
      } else ops.push(`(${pesc(lat)}) Tj T*`);
    }
    ops.push('ET');
    pages.push(ops.join('\n'));
  }
  const objs: string[] = [];
  const bin: Array<Buffer | undefined> = [];
  const kids = pages.map((_, i) => `${4 + 2 * i} 0 R`).join(' ');
  objs.push('<< /Type /Catalog /Pages 2 0 R >>');
  objs.push(`<< /Type /Pages /Kids [${kids}] /Count ${pages.length} >>`);
  objs.push('<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>');
  for (const [i, p] of pages.entries()) {
    objs.push(`<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 3 0 R >> >> /Contents ${5 + 2 * i} 0 R >>`);
    const data = Buffer.from(p, 'latin1');
    const stream = flate ? deflateSync(data) : data;
    bin[objs.length] = stream;
    objs.push(`<< /Length ${stream.length}${flate ? ' /Filter /FlateDecode' : ''} >>`);
  }
  const chunks: Buffer[] = [Buffer.from('%PDF-1.5\n%\xe2\xe3\xcf\xd3\n', 'latin1')];
  let off = chunks[0]!.length;
  const xref: number[] = [];
  objs.forEach((o, i) => {
    xref.push(off);
    const s = bin[i] ? Buffer.concat([Buffer.from(`${i + 1} 0 obj\n${o}\nstream\n`, 'latin1'), bin[i]!, Buffer.from('\nendstream\nendobj\n', 'latin1')]) : Buffer.from(`${i + 1} 0 obj\n${o}\nendobj\n`, 'latin1');
    chunks.push(s);
    off += s.length;
  });
  chunks.push(Buffer.from(`xref\n0 ${objs.length + 1}\n0000000000 65535 f \n${xref.map((x) => `${String(x).padStart(10, '0')} 00000 n \n`).join('')}trailer\n<< /Size ${objs.length + 1} /Root 1 0 R >>\nstartxref\n${off}\n%%EOF\n`, 'latin1'));
  return Buffer.concat(chunks);
}

const csvCell = (s: string) => (/[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);
const csv = (rows: string[][], sep = ',') => rows.map((row) => row.map((c) => (sep === ',' ? csvCell(c) : c)).join(sep)).join('\r\n') + '\r\n';
const htmlTable = (rows: string[][], attrs = 'border="1" cellpadding="4"') => `<table ${attrs}>${rows.map((row, i) => `<tr>${row.map((c) => (i === 0 ? `<th>${esc(c)}</th>` : `<td>${esc(c)}</td>`)).join('')}</tr>`).join('\n')}</table>`;

/** Outlook-style header block above a forwarded or replied message. */
const outlookBlock = (c: Ctx, from: Addr, to: Addr, subject: string) =>
  `\n\n________________________________\nFrom: ${from.name} <${from.email}>\nSent: ${pick(c.r, ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday'])}, ${date(c.r, c.loc === 'us' ? 'us' : 'uk', c.dos)} ${int(c.r, 7, 17)}:${p2(int(c.r, 0, 59))}\nTo: ${to.name} <${to.email}>\nSubject: ${subject}\n\n`;
const quote = (s: string) => s.split('\n').map((l) => (l.startsWith('>') ? `>${l}` : `> ${l}`)).join('\n');

const pname = (c: Ctx) => pick(c.r, [full(c.pt), `${c.pt.family}, ${c.pt.given}`, `${c.pt.family.toUpperCase()}, ${c.pt.given}`, `${honor(c)} ${c.pt.given[0]}. ${c.pt.family}`]);

// ---------------------------------------------------------------------------------------------
// PHI writers

function referral(c: Ctx): Draft {
  const { r } = c;
  const [lab, id] = patientId(r, c.loc);
  const v = int(r, 0, 2);
  const from = addr(c.doc, c.org);
  const to = [addr(c.doc2, c.other)];
  if (v === 0) {
    const text = `Dear ${drName(c.doc2)},\n\nRe: ${honor(c)} ${full(c.pt)}   D.O.B. ${date(r, c.loc, c.dob)}   ${lab} ${id}\n${pick(r, ['Flat 2', '14', '7a', 'Rose Cottage,'])} ${pick(r, ['Wellfield Road', 'Gorse Lane', 'Tannery Close'])}, ${pick(r, ['Penarth', 'Kendal', 'Truro'])}\n\nI would be grateful if you could see this ${c.age}-year-old ${c.pt.female ? 'lady' : 'gentleman'} who has a three-month history of worsening symptoms which I believe represent ${c.dx.name}. ${c.pt.female ? 'She' : 'He'} has tried ${c.drug.name} ${c.drug.dose} ${c.drug.sig} without much benefit and is keen to discuss further options.\n\nPast medical history: ${c.dx2.name}.\nCurrent medication: ${c.drug.name}, ${c.drug2.name}.\nAllergies: nil known.\n\nMany thanks for your help with ${c.pt.female ? 'her' : 'his'} ongoing care.\n\nYours sincerely,\n\n${sign(c.doc, c.org)}`;
    return { from, to, subject: `Referral - ${c.pt.family}`, text };
  }
  if (v === 1) {
    const text = `${c.doc2.given} - quick one. sending over ${c.pt.given} ${c.pt.family} (${lab} ${id}), ${c.age}${c.pt.female ? 'F' : 'M'}, ? ${c.dx.name}. ${c.drug.name} since ${date(r, c.loc, c.dos)}, no better. can your team see within 2/52? imaging ordered (${c.cpt[0]}).\n\nthx\n${c.doc.given}`;
    return { from, to, subject: pick(r, ['pt for you', 'urgent-ish referral', 'can you see this one']), text };
  }
  const lines = [`${c.org.name.toUpperCase()} - REFERRAL FORM`, '', `Patient name: ${c.pt.family}, ${c.pt.given}`, `Date of birth: ${date(r, c.loc, c.dob)}`, `${lab}: ${id}`, `Tel: ${phone(r, c.loc)}`, '', `Referred to: ${c.other.name}`, `Reason for referral: ${c.dx.name} (${c.dx.code})`, `Relevant history: ${c.dx2.name}; on ${c.drug.name} ${c.drug.dose}`, `Urgency: ${pick(r, ['routine', 'soon', 'two-week wait'])}`, '', `Referrer: ${full(c.doc)}, ${c.doc.cred}`];
  return { from, to, subject: 'Referral form attached', text: `Hello,\n\nPlease find our referral attached. Happy to discuss.\n\nKind regards\n${c.doc.given}`, attachments: [{ filename: `referral_${digits(r, 4)}.pdf`, type: 'application/pdf', data: pdfB(r, lines) }] };
}

function discharge(c: Ctx): Draft {
  const { r } = c;
  const [lab, id] = patientId(r, c.loc);
  const v = int(r, 0, 2);
  const adm = date(r, c.loc, c.dos);
  const dis = date(r, c.loc, c.dos2);
  const core = `Patient: ${full(c.pt)}\n${lab}: ${id}\nDate of birth: ${date(r, c.loc, c.dob)}\nAdmitted: ${adm}    Discharged: ${dis}\nWard: ${pick(r, ['Larch', 'Heron', '7B', 'Acute Medical Unit'])}\n\nPrincipal diagnosis: ${c.dx.name}\nSecondary: ${c.dx2.name}\n\nHospital course: admitted via the emergency department with ${c.dx.lay}. Treated with ${c.drug.name} and supportive care; improved steadily and mobilising independently by day ${int(r, 2, 6)}.\n\nMedications on discharge:\n- ${c.drug.name} ${c.drug.dose} ${c.drug.sig}\n- ${c.drug2.name} ${c.drug2.dose} ${c.drug2.sig}\n\nFollow-up: ${pick(r, ['GP review in 1 week', 'outpatient clinic in 6 weeks', 'bloods in 5 days with the practice nurse'])}.`;
  if (v === 0) {
    const fwd = outlookBlock(c, addr(c.doc2, c.other), addr(c.doc, c.org), `Discharge summary - ${c.pt.family}`);
    return { from: addr(c.doc, c.org), to: [{ name: `${c.other.short} Community Nursing`, email: `community.nursing@${c.other.domain}` }], subject: `FW: Discharge summary - ${c.pt.family}`, text: `FYI - for your caseload, pls arrange a home visit.\n${c.doc.given}${fwd}${core}\n\n${sign(c.doc2, c.other)}` };
  }
  if (v === 1) {
    const rows = [['Medicine', 'Dose', 'Frequency', 'Status'], [c.drug.name, c.drug.dose, c.drug.sig, 'NEW'], [c.drug2.name, c.drug2.dose, c.drug2.sig, 'Continued']];
    const html = `<html><body><h3>Transfer of care - ${esc(c.org.name)}</h3><p><b>${esc(full(c.pt))}</b> &middot; ${esc(lab)} ${esc(id)} &middot; DOB ${esc(date(r, c.loc, c.dob))}</p><p>Admitted ${esc(adm)}, discharged ${esc(dis)} with ${esc(c.dx.name)}.</p>${htmlTable(rows)}<p>Please review renal function and blood pressure in one week.</p></body></html>`;
    return { from: addr(c.doc, c.org), to: [addr(c.doc2, c.other)], subject: 'Transfer of care summary', text: textOfHtml(html), html };
  }
  return { from: addr(c.doc, c.org), to: [addr(c.doc2, c.other)], subject: `${spell(c, 'Discharge letter', 'Discharge summary')} ${dis}`, text: `Dear colleague,\n\nYour patient was discharged from our care today. Summary below.\n\n${core}\n\nYours faithfully,\n${sign(c.doc, c.org)}` };
}

function labResult(c: Ctx): Draft {
  const { r } = c;
  const [lab, id] = patientId(r, c.loc);
  const tests = Array.from(new Set([pick(r, VALID_LOINC), pick(r, VALID_LOINC), pick(r, VALID_LOINC), pick(r, VALID_LOINC)]));
  const v = int(r, 0, 2);
  if (v === 0) {
    const rows = [['Test', 'LOINC', 'Result', 'Units', 'Flag'], ...tests.map((t) => [t.analyte, t.loinc, labValue(r, t), t.unit, pick(r, ['', 'H', 'L', ''])])];
    const html = `<html><body><p>Results for <b>${esc(c.pt.family.toUpperCase())}, ${esc(c.pt.given)}</b> (${esc(lab)} ${esc(id)}), collected ${esc(date(r, c.loc, c.dos))}.</p>${htmlTable(rows)}<p>Reported by ${esc(c.org.name)}. Clinical note: ${esc(c.dx.name)} under review.</p></body></html>`;
    return { from: { name: `${c.org.short} Lab Reporting`, email: `results@${c.org.domain}` }, to: [addr(c.doc, c.other)], subject: 'Cumulative report', text: textOfHtml(html), html };
  }
  if (v === 1) {
    const rows = [['Surname', 'Forename', 'D.O.B', 'Test', 'Value', 'Units', 'Ref range'], ...tests.map((t) => [c.pt.family, c.pt.given, date(r, c.loc, c.dob), t.analyte, labValue(r, t), t.unit, `${t.lo}-${t.hi}`])];
    return { from: addr(c.clerk, c.org), to: [addr(c.doc, c.other)], subject: 'bloods as requested', text: `Hi ${c.doc.given},\n\nThe bloods you asked about are in the attached file.\n\n${c.clerk.given}`, attachments: [{ filename: 'bloods.tsv', type: 'text/tab-separated-values', data: csv(rows, '\t') }] };
  }
  const t = tests[0]!;
  return { from: addr(c.doc, c.org), to: [addr(c.doc2, c.org)], subject: `${t.analyte} ${labValue(r, t)}`, text: `${pick(r, ['FYI', 'Heads up'])} - ${c.pt.given} ${c.pt.family}, ${lab} ${id}: ${t.analyte.toLowerCase()} ${labValue(r, t)} ${t.unit} this morning (was ${labValue(r, t)} on ${date(r, c.loc, c.dos2)}). on ${c.drug.name}. pls repeat today and ring me.\n\n${c.doc.given}` };
}

function pathology(c: Ctx): Draft {
  const { r } = c;
  const caseNo = `${pick(r, ['S', 'HP', 'SP'])}${String(c.dos.y).slice(2)}-${digits(r, 5)}`;
  const lines = [`${c.org.name} - Histopathology`, `Case No.: ${caseNo}`, `Patient: ${c.pt.family}, ${c.pt.given}   DOB: ${date(r, c.loc, c.dob)}`, `Requesting clinician: ${full(c.doc2)}`, `Date received: ${date(r, c.loc, c.dos)}`, '', 'SPECIMEN', pick(r, ['Skin ellipse, left upper back', 'Sigmoid colon, segmental resection', 'Right kidney, radical nephrectomy', 'Breast, right, core biopsies x3']), '', 'MICROSCOPY', pick(r, ['Sections show an infiltrating lesion with atypical cells, brisk mitoses and focal necrosis.', 'There is a proliferation of atypical cells arranged in nests; margins are clear by 4 mm.']), '', 'CONCLUSION', `${c.dx.name} (${c.dx.code}).`, `Reported by ${full(c.doc)}, ${c.doc.cred}`];
  if (chance(r, 0.5)) return { from: addr(c.doc, c.org), to: [addr(c.doc2, c.other)], subject: `Histology ${caseNo}`, text: lines.join('\n') };
  return { from: { name: 'Cellular Pathology', email: `histo@${c.org.domain}` }, to: [addr(c.doc2, c.other)], subject: `Report available: case ${caseNo}`, text: 'Final report attached. Contact the department with any queries.', attachments: [{ filename: `${caseNo}.pdf`, type: 'application/pdf', data: pdfB(r, lines) }] };
}

function radiology(c: Ctx): Draft {
  const { r } = c;
  const [lab, id] = patientId(r, c.loc);
  const exam = pick(r, [['MRI lumbar spine', '72148'], ['CT abdomen and pelvis with contrast', '74177'], ['Ultrasound pelvis', '76856'], ['Carotid duplex', '93880'], ['X-ray right wrist, 3 views', '73110']]);
  const text = `${c.org.name} - Imaging Report\n\nName: ${pname(c)}\n${lab}: ${id}\nDOB: ${date(r, c.loc, c.dob)}\nExam date: ${date(r, c.loc, c.dos)}\nExamination: ${exam[0]} (CPT ${exam[1]})\nClinical details: ${pick(r, ['query', '?', 'r/o'])} ${c.dx.name}\n\nFINDINGS:\n${pick(r, ['No acute fracture. Mild degenerative change at L4/5 with a broad-based disc bulge contacting the traversing nerve root.', 'Multiple small calcified foci in the left kidney; no hydronephrosis. Liver, spleen and pancreas unremarkable.', 'There is 50-69% stenosis of the right internal carotid artery. Left side within normal limits.', 'Undisplaced fracture of the distal radius with slight dorsal angulation.'])}\n\nIMPRESSION:\nAppearances in keeping with ${c.dx.name}. Clinical correlation advised.\n\n${full(c.doc)}, ${c.doc.cred}, ${pick(r, ['Consultant Radiologist', 'Radiologist'])}`;
  return { from: addr(c.doc, c.org), to: [addr(c.doc2, c.other)], subject: pick(r, [`Imaging report ${exam[0]}`, 'Report - verified', `RE: ${c.pt.family} scan`]), text };
}

function claim(c: Ctx): Draft {
  const { r } = c;
  const payer = pick(r, PAYERS);
  const policy = `${pick(r, ['CMH', 'TBP', 'XQ'])}${digits(r, 9)}`;
  const group = `G-${digits(r, 5)}`;
  const claimNo = `${digits(r, 4)}${pick(r, ['A', 'B', 'K'])}${digits(r, 6)}`;
  const v = int(r, 0, 1);
  if (v === 0) {
    const text = `${payer.name}\nAttn: Appeals Unit\n\nRE: Request for reconsideration\nClaim #: ${claimNo}\nPatient: ${full(c.pt)}\nPolicy #: ${policy}   Group #: ${group}\nDate(s) of service: ${date(r, 'us', c.dos)}\n\nTo whom it may concern,\n\nWe are writing to appeal the denial of the above claim for ${c.cpt[1]} (CPT ${c.cpt[0]}). The service was medically necessary for the treatment of ${c.dx.name} (ICD-10-CM ${c.dx.code}); conservative management with ${c.drug.name} had failed. Clinic notes and the operative report are enclosed.\n\nSincerely,\n${full(c.clerk)}\nBilling Office, ${c.org.name}\n${phone(r, 'us')}`;
    return { from: addr(c.clerk, c.org), to: [{ name: 'Appeals', email: `appeals@${payer.domain}` }], subject: `Appeal - claim ${claimNo}`, text };
  }
  const rows = [['Statement Date', 'Guarantor', 'Patient', 'Policy #', 'Svc Date', 'Code', 'Description', 'Dx', 'Charge', 'Balance'], [date(r, 'us', c.dos2), full(c.pt), full(c.pt), policy, date(r, 'us', c.dos), c.cpt[0], c.cpt[1], c.dx.code, `${int(r, 90, 2400)}.00`, `${int(r, 10, 400)}.00`]];
  return { from: addr(c.clerk, c.org), to: [{ name: full(c.pt), email: c.pt.email }], subject: `Your statement from ${c.org.short}`, text: `Dear ${c.pt.given},\n\nYour latest statement is attached. The balance shown is your share after ${payer.name} processed the claim.\n\nQuestions? Call ${phone(r, 'us')}.\n\n${c.org.name} Patient Accounts`, attachments: [{ filename: 'statement.csv', type: 'text/csv', data: csv(rows) }] };
}

function remittance(c: Ctx): Draft {
  const { r } = c;
  const payer = pick(r, PAYERS);
  const n = int(r, 2, 5);
  const rows = [['PATIENT NAME', 'SUBSCRIBER NO', 'SVC DATE', 'PROC', 'CHG', 'ALLOWED', 'PAID', 'GRP/RC']];
  for (let i = 0; i < n; i++) {
    const p = person(r);
    const code = pick(r, CPT);
    rows.push([`${p.family.toUpperCase()} ${p.given.toUpperCase()}`, `${pick(r, ['W', 'K', 'Y'])}${digits(r, 10)}`, `${p2(int(r, 1, 12))}${p2(int(r, 1, 28))}25`, code[0], `${int(r, 80, 900)}.00`, `${int(r, 40, 80)}.00`, `${int(r, 20, 40)}.00`, pick(r, ['CO-45', 'PR-1', 'PR-2', 'CO-97'])]);
  }
  const intro = `${payer.name} - Provider Remittance\nPayee: ${c.org.name}   Payee NPI: ${npi(r)}\nCheck/EFT: ${digits(r, 10)}   Issued: ${date(r, 'us', c.dos)}\n`;
  if (chance(r, 0.5)) {
    const html = `<html><body><pre>${esc(intro)}</pre>${htmlTable(rows)}</body></html>`;
    return { from: { name: `${payer.short} Remit`, email: `remit@${payer.domain}` }, to: [addr(c.clerk, c.org)], subject: 'Remittance advice', text: textOfHtml(html), html };
  }
  return { from: { name: `${payer.short} Remit`, email: `remit@${payer.domain}` }, to: [addr(c.clerk, c.org)], subject: `835 detail ${digits(r, 6)}`, text: intro, attachments: [{ filename: 'remit.txt', type: 'text/plain', data: rows.map((x) => x.join('\t')).join('\n') }] };
}

function refill(c: Ctx): Draft {
  const { r } = c;
  const v = int(r, 0, 2);
  if (v === 0) {
    const text = `hi dr ${c.doc.family.toLowerCase()}\n\ncan u pls send a new script for my ${c.drug.name} to the pharmacy, ive only got ${int(r, 2, 5)} left and the ${c.dx.lay} is playing up again without it. same dose as before (${c.drug.dose}).\n\nthanks so much\n${c.pt.given.toLowerCase()} ${c.pt.family}\ndob ${date(r, c.loc, c.dob)}`;
    return { from: addr(c.pt), to: [addr(c.doc, c.org)], subject: pick(r, ['repeat prescription', 'refill pls', 'meds']), text };
  }
  const rx = `${pick(r, ['RX', 'Rx#', 'Script No.'])} ${digits(r, 7)}`;
  const text = `${PHARMACY.name} - Renewal Request\n\nPatient: ${full(c.pt)}\nDOB: ${date(r, c.loc, c.dob)}\nPhone: ${phone(r, c.loc)}\n${rx}\nMedication: ${c.drug.name} ${c.drug.dose}\nDirections: ${c.drug.sig}\nLast filled: ${date(r, c.loc, c.dos)}   Refills remaining: 0\nPrescriber: ${full(c.doc)}${c.loc === 'us' ? `   NPI ${npi(r)}` : ''}\n\nPlease authorise and return. Approve [ ]  Deny [ ]  Needs appointment [ ]`;
  if (v === 1) return { from: { name: PHARMACY.name, email: `renewals@${PHARMACY.domain}` }, to: [addr(c.doc, c.org)], subject: 'Renewal request', text };
  return { from: { name: PHARMACY.name, email: `renewals@${PHARMACY.domain}` }, to: [addr(c.doc, c.org)], subject: 'Fax to email: 1 page', text: 'You have received a fax. See attachment.', attachments: [{ filename: 'fax0001.pdf', type: 'application/pdf', data: pdfB(r, text.split('\n')) }] };
}

function priorAuth(c: Ctx): Draft {
  const { r } = c;
  const payer = pick(r, PAYERS);
  const member = `${pick(r, ['M', 'TW'])}${digits(r, 8)}-0${int(r, 1, 4)}`;
  const v = int(r, 0, 1);
  if (v === 0) {
    const text = `PRIOR AUTHORISATION REQUEST\n\nMember name: ${full(c.pt)}\nMember No.: ${member}\nGroup #: ${digits(r, 6)}\nRxBIN: ${digits(r, 6)}   PCN: ${pick(r, ['ADV', 'MEDDPRIME', 'CTRX'])}\nDOB: ${date(r, 'us', c.dob)}\n\nDrug requested: ${c.drug.name} ${c.drug.dose}, ${c.drug.sig}\nDiagnosis: ${c.dx.code} ${c.dx.name}\nPrevious therapy: ${c.drug2.name} x ${int(r, 3, 12)} months - inadequate response\n\nPrescriber: ${full(c.doc)}, ${c.doc.cred}  NPI ${npi(r)}\nSignature on file`;
    return { from: addr(c.doc, c.org), to: [{ name: `${payer.short} Pharmacy PA`, email: `pa@${payer.domain}` }], subject: 'PA request', text };
  }
  const decision = pick(r, ['approved', 'not approved']);
  const text = `Dear ${drName(c.doc)},\n\nWe have reviewed the request for ${c.cpt[1]} (${c.cpt[0]}) for your patient ${full(c.pt)} (member ${member}). The request has been ${decision}${decision === 'approved' ? ` for dates ${date(r, 'us', c.dos)} to ${date(r, 'us', c.dos2)}` : ' because the clinical criteria for ' + c.dx.name + ' were not met'}.\n\nAuthorisation ref: ${pick(r, ['AUTH', 'PA'])}-${digits(r, 8)}\n\n${payer.name} Utilisation Management`;
  return { from: { name: `${payer.short} UM`, email: `um@${payer.domain}` }, to: [addr(c.doc, c.org)], subject: `Determination: ${decision}`, text };
}

function appointment(c: Ctx): Draft {
  const { r } = c;
  const v = int(r, 0, 2);
  const when = `${date(r, c.loc, c.dos)} at ${int(r, 8, 16)}:${pick(r, ['00', '15', '30', '45'])}`;
  if (v === 0) {
    const text = `Dear ${honor(c)} ${c.pt.family},\n\nWe are writing to confirm your follow-up appointment in the ${pick(r, ['Eye Clinic', 'Rheumatology Clinic', 'Vascular Clinic', 'Endocrine Clinic'])} on ${when} with ${drName(c.doc)}, to review your ${c.dx.name} and your response to ${c.drug.name}.\n\nPlease bring a list of your current medicines. If you cannot attend, ring ${phone(r, c.loc)}.\n\n${c.org.name} Outpatients`;
    return { from: { name: `${c.org.short} Outpatients`, email: `outpatients@${c.org.domain}` }, to: [addr(c.pt)], subject: 'Your appointment', text };
  }
  if (v === 1) {
    const text = `Hi ${c.pt.given},\n\nJust a reminder you're booked in ${when} for the check on ${c.dx.lay} after we changed the ${c.drug.name} dose. Fasting not required.\n\nSee you then,\n${c.clerk.given} (reception)`;
    return { from: addr(c.clerk, c.org), to: [addr(c.pt)], subject: 'see you next week', text };
  }
  return { from: addr(c.doc, c.org), to: [addr(c.clerk, c.org)], subject: 'book f/u', text: `pls book ${c.pt.given} ${c.pt.family} (DOB ${date(r, c.loc, c.dob)}) a 20 min f/u in 3/12 re ${c.dx.name}. ${c.drug.name} started today.\n${c.doc.given}` };
}

function careThread(c: Ctx): Draft {
  const { r } = c;
  const sw = staff(r, c.other, ['MSW', 'Social Worker']);
  const [lab, id] = patientId(r, c.loc);
  const m1 = `${c.doc2.given},\n\n${c.pt.given} ${c.pt.family} (${lab} ${id}) is medically fit but lives alone and has had two falls since the ${c.dx.name} diagnosis. Can we set up a package of care before the weekend? ${c.pt.female ? 'Her' : 'His'} daughter is on ${phone(r, c.loc)}.\n\n${c.doc.given}`;
  const m2 = `Thanks - I spoke to the family. They're worried about ${c.pt.female ? 'her' : 'him'} managing the ${c.drug.name} doses. Could pharmacy do a blister pack?\n\n${sw.given}`;
  const m3 = `Yes, blister pack requested, and district nurses will visit ${pick(r, ['Tuesday', 'Friday', 'daily for a week'])} to check ${c.dx.lay}. I'll update the plan.`;
  if (chance(r, 0.5)) {
    const text = `${m3}\n\n${c.doc.given}\n\nOn ${date(r, 'uk', c.dos)}, ${full(sw)} wrote:\n${quote(m2 + '\n\nOn ' + date(r, 'uk', c.dos) + ', ' + full(c.doc) + ' wrote:\n' + quote(m1))}`;
    return { from: addr(c.doc, c.org), to: [addr(sw, c.other)], cc: [addr(c.doc2, c.other)], subject: `Re: Re: ${c.pt.given} - home support`, text, reply: true };
  }
  const text = `${m3}\n\n${c.doc.given}${outlookBlock(c, addr(sw, c.other), addr(c.doc, c.org), 'RE: home support')}${m2}${outlookBlock(c, addr(c.doc, c.org), addr(sw, c.other), 'home support')}${m1}`;
  return { from: addr(c.doc, c.org), to: [addr(sw, c.other)], subject: 'RE: home support', text, reply: true };
}

function patientReply(c: Ctx): Draft {
  const { r } = c;
  const t = pick(r, VALID_LOINC);
  const val = labValue(r, t);
  const q = pick(r, [`hi, got a text saying my results are back. is everything ok?? been really tired lately. ${c.pt.given.toLowerCase()}`, `Hello Doctor, I saw on the portal my ${t.analyte} is ${val}. Should I be worried? Thanks, ${c.pt.given}`, `sorry to bother u again - did the scan show anything? still getting ${c.dx.lay}`]);
  const ans = pick(r, [
    `Hi ${c.pt.given},\n\nThanks for your message. Your ${t.analyte.toLowerCase()} came back at ${val} ${t.unit}, which fits with the ${c.dx.name} we talked about. I'd like you to start ${c.drug.name} ${c.drug.dose} ${c.drug.sig}; the prescription is at the pharmacy.`,
    `Dear ${c.pt.given},\n\nThe results are back and they confirm ${c.dx.lay} - the medical name is ${c.dx.name}. It is very treatable. Let's meet next week to go through the options, including ${c.drug.name}.`,
    `${c.pt.given} - the scan did show ${c.dx.name}, which explains the symptoms. Nothing urgent, but I've referred you on and we'll keep you on the ${c.drug.name} in the meantime.`,
  ]);
  return { from: addr(c.doc, c.org), to: [addr(c.pt)], subject: `Re: ${pick(r, ['results', 'my bloods', 'question', 'scan'])}`, text: `${ans}\n\nBest wishes,\n${drName(c.doc)}\n\nOn ${date(r, c.loc, c.dos)} ${c.pt.email} wrote:\n${quote(q)}`, reply: true };
}

function patientList(c: Ctx): Draft {
  const { r } = c;
  const n = int(r, 4, 9);
  const v = int(r, 0, 2);
  const head = pick(r, [['Pt Surname', 'Given Name', 'Hosp No', 'Admitted', 'Problem', 'Ward'], ['client_name', 'birth_dt', 'case_no', 'primary_problem', 'med'], ['Resident', 'Room', 'DOB', 'Condition', 'Current Rx']]);
  const rows = [head];
  for (let i = 0; i < n; i++) {
    const p = person(r);
    const dx = pick(r, DX);
    const dr = pick(r, DRUGS);
    const d = date(r, c.loc, ymd(r, 1930, 2010));
    if (head[0] === 'Pt Surname') rows.push([p.family, p.given, `K${digits(r, 7)}`, date(r, c.loc, ymd(r, 2025, 2025)), dx.name, pick(r, ['Heron', 'Larch', '7B'])]);
    else if (head[0] === 'client_name') rows.push([`${p.given} ${p.family}`, d, `CN-${digits(r, 5)}`, dx.code, dr.name]);
    else rows.push([`${p.family}, ${p.given}`, String(int(r, 1, 40)), d, dx.name, `${dr.name} ${dr.dose}`]);
  }
  const fn = pick(r, ['handover.csv', 'caseload_export.csv', 'residents.tsv']);
  const sep = fn.endsWith('.tsv') ? '\t' : pick(r, [',', ';']);
  if (v === 2) {
    const html = `<html><body><p>Current list below.</p>${htmlTable(rows)}</body></html>`;
    return { from: addr(c.doc, c.org), to: [addr(c.doc2, c.org)], subject: pick(r, ['list for tomorrow', 'handover']), text: textOfHtml(html), html };
  }
  return { from: addr(c.doc, c.org), to: [addr(c.doc2, c.org)], subject: pick(r, ['caseload', 'updated list', 'handover']), text: `Updated list attached.\n\n${c.doc.given}`, attachments: [{ filename: fn, type: fn.endsWith('.tsv') ? 'text/tab-separated-values' : 'text/csv', data: csv(rows, sep) }] };
}

function attachmentOnly(c: Ctx): Draft {
  const { r } = c;
  const v = int(r, 0, 4);
  const body = pick(r, ['Please see attached as discussed.', 'Attached. Let me know if anything is missing.', 'As requested.', 'See enclosed - thanks.', 'FYI']);
  const base = { from: addr(c.clerk, c.org), to: [addr(c.doc2, c.other)], subject: pick(r, ['documents', 'as discussed', 'paperwork', 'Scan from MFD']), text: `${body}\n\n${c.clerk.given}` };
  const inner = pick(r, [referral, discharge, pathology, radiology, priorAuth])(c);
  // a draft whose PHI is already in an attachment of its own: forward that attachment
  if (inner.attachments?.length) return { ...base, attachments: inner.attachments };
  if (v === 0) {
    const raw = assemble(r, inner);
    return { ...base, attachments: [{ filename: 'forwarded.eml', type: 'message/rfc822', data: raw, rfc822: true }] };
  }
  if (v === 1) {
    const lines = inner.text.split('\n');
    return { ...base, attachments: [{ filename: `${pick(r, ['scan', 'doc', 'letter'])}_${digits(r, 5)}.pdf`, type: 'application/pdf', data: pdfB(r, lines) }] };
  }
  if (v === 2) {
    const [lab, id] = patientId(r, c.loc);
    const rows = [['Name', lab, 'Date of birth', 'Diagnosis', 'Medication'], [full(c.pt), id, date(r, c.loc, c.dob), c.dx.name, `${c.drug.name} ${c.drug.dose}`]];
    return { ...base, attachments: [{ filename: 'details.tsv', type: 'text/tab-separated-values', data: csv(rows, '\t') }] };
  }
  if (v === 3) return { ...base, attachments: [{ filename: 'note.txt', type: 'text/plain', data: inner.text }] };
  return { ...base, attachments: [{ filename: 'summary.html', type: 'text/html', data: inner.html ?? htmlOf(inner.text) }] };
}

// ---------------------------------------------------------------------------------------------
// Clean writers (hard negatives)

function newsletter(c: Ctx): Draft {
  const { r } = c;
  const dx = c.dx;
  const author = `${pick(r, STAFF_GIVEN)} ${pick(r, FAMILY)}`;
  const text = pick(r, [
    `${c.org.short.toUpperCase()} WELLBEING BULLETIN - ${MONTHS[c.dos.m - 1]} edition\n\nMy story: living with ${dx.name}\nby ${author}\n\nWhen I was first told I had ${dx.name} I felt completely lost. My GP explained that many people manage it well with ${c.drug.name}, and three years on I walk my dog every morning. If you have been diagnosed recently, please know you're not alone - our peer support group meets on the first Tuesday of every month.\n\nAsk the pharmacist: can I take ${c.drug2.name} with food? Generally yes - but always read the leaflet and check with your own pharmacist.\n\nFlu ${spell(c, 'jabs', 'shots')} are available now for everyone over 65.\n\nTo stop receiving this newsletter, unsubscribe here.`,
    `Five things to know about ${dx.name}\n\n1. It is more common than you might think.\n2. Early symptoms can be vague - ${dx.lay} is often the first sign.\n3. Treatment may include ${c.drug.name}; your clinician will explain the benefits and side effects.\n4. Keeping active helps.\n5. Ask your ${spell(c, 'GP', 'doctor')} if you are worried.\n\nOur ${pick(r, ['paediatric', 'family health', 'seniors'])} team answers readers' questions every month - write to ${`askus@${c.org.domain}`}.\n\nYou are receiving this because you subscribed. Unsubscribe | Update preferences`,
  ]);
  return { from: { name: `${c.org.short} Health News`, email: `news@${c.org.domain}` }, to: [{ name: 'Subscribers', email: `subscribers@${c.org.domain}` }], subject: pick(r, [`Living well with ${dx.name}`, 'Your monthly health bulletin', 'Spring newsletter']), text, bulk: chance(r, 0.6) };
}

function aggregate(c: Ctx): Draft {
  const { r } = c;
  const dxs = Array.from(new Set([pick(r, DX), pick(r, DX), pick(r, DX), pick(r, DX), pick(r, DX)]));
  const rows = [['ICD-10', 'Description', 'Episodes', 'Median LOS (days)', '30-day readmit %'], ...dxs.map((d) => [d.code, d.name, String(int(r, 5, 400)), String(int(r, 1, 9)), (r() * 20).toFixed(1)])];
  rows.push(['', 'Small numbers (<5) suppressed', '', '', '']);
  const intro = `Quarter ${int(r, 1, 4)} activity by primary diagnosis, all sites. Counts are episodes, not patients; no individual-level data included.`;
  if (chance(r, 0.5)) {
    const html = `<html><body><p>${esc(intro)}</p>${htmlTable(rows)}<p>Source: ${esc(c.org.name)} information team.</p></body></html>`;
    return { from: addr(c.clerk, c.org), to: [{ name: 'Clinical Governance', email: `governance@${c.org.domain}` }], subject: 'Q activity dashboard', text: textOfHtml(html), html };
  }
  return { from: addr(c.clerk, c.org), to: [{ name: 'Directorate leads', email: `leads@${c.org.domain}` }], subject: 'Readmission figures', text: `${intro}\n\nCPT volume for ${c.cpt[0]} (${c.cpt[1]}) rose ${int(r, 3, 30)}% year on year.\n\n${c.clerk.given}`, attachments: [{ filename: 'readmissions_by_dx.csv', type: 'text/csv', data: csv(rows) }] };
}

function pharmaSales(c: Ctx): Draft {
  const { r } = c;
  const rep = staff(r, { name: 'Larchmont', domain: pick(r, VENDOR_DOMAINS), short: 'L' }, ['', 'Medical Science Liaison']);
  const text = `Dear ${drName(c.doc)},\n\nAs one of the leading prescribers in your area (NPI ${npi(r)}), we wanted you to be among the first to hear that once-daily ${c.drug.name} ${c.drug.dose} is now available in a new formulation for adults with ${c.dx.name}. In the pivotal trial, ${int(r, 40, 70)}% of patients achieved the primary endpoint versus ${int(r, 10, 35)}% on placebo. The most common side effects were nausea and headache.\n\nI'd welcome 10 minutes to drop off samples and the prescribing information.\n\n${full(rep)}\n${rep.role}\n${phone(r, c.loc)}\n\nPlease see full Prescribing Information. To opt out of promotional e-mail, reply STOP.`;
  return { from: { name: full(rep), email: rep.email }, to: [addr(c.doc, c.org)], subject: pick(r, [`New: ${c.drug.name} once daily`, 'Samples available', 'Formulary update for your practice']), text };
}

function cme(c: Ctx): Draft {
  const { r } = c;
  const sp1 = staff(r, c.other, ['MBBS FRCP', 'Consultant']);
  const sp2 = staff(r, c.other, ['PhD', 'Senior Lecturer']);
  const text = `${c.other.name} - Grand Rounds & CME\n\n"${c.dx.name[0]!.toUpperCase() + c.dx.name.slice(1)}: what's new in ${c.dos.y}"\n${date(r, c.loc, c.dos)}, 12:30-14:00, Lecture Theatre 2 and online\n\nSpeakers\n${full(sp1)} is a consultant physician with a special interest in ${c.dx.name}. ${sp1.given} trained in ${pick(r, ['Edinburgh', 'Dunedin', 'Halifax'])} and leads the regional service.\n${full(sp2)}, PhD, researches outcomes of ${c.drug.name} in older adults.\n\nCase for discussion: a ${int(r, 40, 85)}-year-old ${pick(r, ['woman', 'man'])} presents with ${c.dx.lay}. What would you do next?\n\nThis activity is approved for 1.5 CPD credits. Register at https://${c.other.domain}/cme`;
  return { from: { name: `${c.other.short} Education`, email: `education@${c.other.domain}` }, to: [{ name: 'All medical staff', email: `medstaff@${c.org.domain}` }], subject: `Grand Rounds: ${c.dx.name}`, text, bulk: chance(r, 0.5) };
}

function research(c: Ctx): Draft {
  const { r } = c;
  const authors = Array.from({ length: int(r, 3, 6) }, () => `${pick(r, STAFF_FAMILY)} ${pick(r, STAFF_GIVEN)[0]}${pick(r, ['', 'J', 'M'])}`).join(', ');
  const n = int(r, 80, 4000);
  const text = `Journal of ${pick(r, ['Clinical Outcomes', 'Primary Care Research', 'Internal Medicine Reports'])} - New issue alert\n\n${c.drug.name[0]!.toUpperCase() + c.drug.name.slice(1)} versus usual care in ${c.dx.name}: a pragmatic randomised trial\n${authors}\n\nBackground: Evidence for ${c.drug.name} in ${c.dx.name} is limited.\nMethods: We randomised ${n} adults (mean age ${int(r, 45, 75)} years, ${int(r, 30, 70)}% women) across ${int(r, 4, 30)} sites.\nResults: The primary outcome occurred in ${(r() * 20).toFixed(1)}% vs ${(r() * 20).toFixed(1)}% (HR 0.${int(r, 55, 95)}, 95% CI 0.${int(r, 40, 60)}-0.${int(r, 90, 99)}; p=0.0${int(r, 1, 4)}).\nConclusions: ${c.drug.name} reduced events without excess adverse effects.\n\nRead the full article. Manage your alerts.`;
  return { from: { name: 'Journal Alerts', email: `alerts@journals.test` }, to: [addr(c.doc, c.org)], subject: 'New issue: table of contents', text, bulk: true };
}

function opsNotice(c: Ctx): Draft {
  const { r } = c;
  const text = pick(r, [
    `All staff,\n\nThe electronic patient record will be unavailable on ${date(r, c.loc, c.dos)} from 22:00 to 02:00 for an upgrade. Downtime forms are in the blue folders on each ward, including the Dialysis Unit and the Fracture Clinic. Contact the IT service desk on ext. ${digits(r, 4)}.\n\n${full(c.clerk)}\nIT Service Management`,
    `Reminder: staff ${spell(c, 'flu jabs', 'flu shots')} are running in the Atrium this week. No appointment needed; bring your ID badge. Occupational Health.`,
    `The car park barrier on the north side is being replaced. Please use the Haematology entrance until ${date(r, c.loc, c.dos)}. Estates & Facilities`,
    `Information governance refresher: all staff must complete the annual data security module by ${date(r, c.loc, c.dos)}. Remember never to send patient identifiable information to personal e-mail addresses.\n\nIG Team`,
    `Catering: the staff restaurant will close early on Friday for the paediatric ward fundraiser bake-off. Gluten-free options available.`,
  ]);
  return { from: addr(c.clerk, c.org), to: [{ name: 'All Staff', email: `allstaff@${c.org.domain}` }], subject: pick(r, ['Planned downtime', 'Staff notice', 'Reminder', 'Facilities update']), text };
}

function schedule(c: Ctx): Draft {
  const { r } = c;
  const days = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'];
  const rows = [['Day', 'Ward', 'Early', 'Late', 'Night', 'Bleep'], ...days.map((d) => [d, pick(r, ['Oncology Ward', 'Dialysis Unit', 'Stroke Unit', 'Maternity']), `${pick(r, STAFF_GIVEN)} ${pick(r, STAFF_FAMILY)}`, `${pick(r, STAFF_GIVEN)} ${pick(r, STAFF_FAMILY)}`, `${pick(r, STAFF_GIVEN)} ${pick(r, STAFF_FAMILY)}`, digits(r, 4)])];
  if (chance(r, 0.5)) {
    const html = `<html><body><p>Rota for w/c ${esc(date(r, c.loc, c.dos))}. Swaps via the rota coordinator only.</p>${htmlTable(rows)}</body></html>`;
    return { from: addr(c.clerk, c.org), to: [{ name: 'Nursing team', email: `nursing@${c.org.domain}` }], subject: 'Rota', text: textOfHtml(html), html };
  }
  return { from: addr(c.clerk, c.org), to: [{ name: 'Registrars', email: `registrars@${c.org.domain}` }], subject: 'On-call rota', text: `Attached: on-call rota. ${full(c.doc)} covers the ${pick(r, ['cardiology', 'renal', 'respiratory'])} take on ${date(r, c.loc, c.dos)}.`, attachments: [{ filename: 'rota.csv', type: 'text/csv', data: csv(rows) }] };
}

function guideline(c: Ctx): Draft {
  const { r } = c;
  const m1 = `Playing devil's advocate: take a hypothetical ${int(r, 60, 85)}-year-old with ${c.dx.name} and an eGFR of ${int(r, 25, 45)}. The new guidance says start ${c.drug.name}, but I'm not convinced the evidence covers frail patients. Thoughts before the committee meets?`;
  const m2 = `I'd still follow the guideline but check renal function at 2 weeks. The trial excluded most over-80s, so shared decision-making matters. ${c.drug2.name} is a reasonable alternative.`;
  return { from: addr(c.doc2, c.org), to: [addr(c.doc, c.org)], subject: `Re: ${c.dx.name} guideline`, text: `${m2}\n\n${c.doc2.given}\n\nOn ${date(r, c.loc, c.dos)}, ${full(c.doc)} wrote:\n${quote(m1)}`, reply: true };
}

function job(c: Ctx): Draft {
  const { r } = c;
  const title = pick(r, [spell(c, 'Paediatric Staff Nurse (Band 5)', 'Pediatric RN'), 'Clinical Nurse Specialist - Diabetes', 'Theatre Nurse', 'Haemodialysis Nurse']);
  const text = `Vacancy: ${title}\n${c.org.name}\n\nWe are looking for a compassionate nurse to join our team. You will care for patients with ${c.dx.name} and other long-term conditions, administer medicines including ${c.drug.name}, and support families.\n\nEssential: registration, 1 year post-qualification experience. Salary ${spell(c, '£29,970-£36,483', '$72,000-$94,000')}.\n\nInformal enquiries to ${full(c.clerk)}, ${phone(r, c.loc)}. Closing date ${date(r, c.loc, c.dos)}.`;
  return { from: { name: `${c.org.short} Recruitment`, email: `jobs@${c.org.domain}` }, to: [{ name: 'Job alerts', email: `jobalerts@${c.org.domain}` }], subject: `Now hiring: ${title}`, text, bulk: chance(r, 0.4) };
}

function business(c: Ctx): Draft {
  const { r } = c;
  const people = Array.from({ length: 4 }, () => `${pick(r, STAFF_GIVEN)} ${pick(r, STAFF_FAMILY)}`);
  const text = `Minutes - ${pick(r, ['Medicines Management Committee', 'Quality & Safety Group', 'Capital Planning Board'])}\n${date(r, c.loc, c.dos)}\n\nPresent: ${people.join(', ')}\nApologies: ${full(c.doc)}\n\n1. Minutes of the last meeting approved.\n2. Formulary: ${c.drug.name} added for ${c.dx.name} (specialist initiation only). Budget impact ${spell(c, '£', '$')}${int(r, 10, 90)}k.\n3. Sepsis audit: compliance with the 1-hour bundle ${int(r, 70, 95)}%.\n4. AOB: new scanner delivery delayed.\n\nActions: ${people[0]} to circulate the revised policy.`;
  return { from: addr(c.clerk, c.org), to: [{ name: 'Committee', email: `committee@${c.org.domain}` }], subject: 'Draft minutes', text };
}

// ---------------------------------------------------------------------------------------------
// PII-only writers

function payroll(c: Ctx): Draft {
  const { r } = c;
  const emp = person(r);
  const uk = c.loc === 'uk';
  const lines = [`Employee: ${full(emp)}`, `Employee No.: E${digits(r, 6)}`, uk ? `NI number: ${pick(r, ['QQ', 'JG', 'AB'])} ${digits(r, 2)} ${digits(r, 2)} ${digits(r, 2)} ${pick(r, ['A', 'C', 'D'])}` : `SSN: ${ssn(r)}`, uk ? `Sort code: ${digits(r, 2)}-${digits(r, 2)}-${digits(r, 2)}  Account: ${digits(r, 8)}` : `Routing: ${digits(r, 9)}  Account: ${digits(r, 10)}`, `Issue: ${pick(r, ['overtime for weekend shifts missing', 'pension contribution deducted twice', 'wrong tax code applied', 'mileage claim not paid'])}`, `Adjustment: ${uk ? '£' : '$'}${int(r, 40, 900)}.${digits(r, 2)} in the next run`];
  if (chance(r, 0.5)) return { from: addr(c.clerk, c.org), to: [{ name: 'Payroll', email: `payroll@${c.org.domain}` }], subject: 'Pay query', text: `Hi team,\n\nCould you correct the following please:\n\n${lines.join('\n')}\n\nThanks,\n${c.clerk.given}` };
  const rows = [['Emp No', 'Name', uk ? 'NINO' : 'SSN', 'Element', 'Amount', 'Comment'], ...Array.from({ length: int(r, 2, 5) }, () => { const p = person(r); return [`E${digits(r, 6)}`, full(p), uk ? `JG${digits(r, 6)}C` : ssn(r), pick(r, ['Overtime', 'Backpay', 'Allowance']), `${int(r, 40, 900)}.00`, pick(r, ['missed in March', 'rate change', 'late timesheet'])]; })];
  return { from: addr(c.clerk, c.org), to: [{ name: 'Payroll', email: `payroll@${c.org.domain}` }], subject: 'Corrections for next run', text: 'Corrections attached.', attachments: [{ filename: 'corrections.csv', type: 'text/csv', data: csv(rows) }] };
}

function directory(c: Ctx): Draft {
  const { r } = c;
  const rows = [['Name', 'Role', 'Mobile', 'Home address'], ...Array.from({ length: int(r, 4, 8) }, () => { const p = person(r); return [full(p), pick(r, ['Ward manager', 'Charge nurse', 'Porter lead', 'Pharmacist']), phone(r, c.loc), `${int(r, 1, 200)} ${pick(r, ['Birch Grove', 'Mill Lane', 'Station Road', 'Kingfisher Way'])}, ${pick(r, ['Hexham', 'Ballarat', 'Guelph', 'Bend, OR 97701'])}`]; })];
  if (chance(r, 0.5)) {
    const html = `<html><body><p>Snow-day call tree. Please keep private - personal numbers.</p>${htmlTable(rows)}</body></html>`;
    return { from: addr(c.clerk, c.org), to: [{ name: 'Managers', email: `managers@${c.org.domain}` }], subject: 'Call tree', text: textOfHtml(html), html };
  }
  return { from: addr(c.clerk, c.org), to: [{ name: 'Managers', email: `managers@${c.org.domain}` }], subject: 'Emergency contact cascade', text: 'Updated cascade attached. Do not forward outside the team.', attachments: [{ filename: 'cascade.csv', type: 'text/csv', data: csv(rows) }] };
}

function newHire(c: Ctx): Draft {
  const { r } = c;
  const p = person(r);
  const text = `New starter details - please set up on HR system\n\nFull name: ${full(p)}\nDate of birth: ${date(r, c.loc, ymd(r, 1965, 2002))}\n${c.loc === 'uk' ? `National Insurance No.: QQ${digits(r, 6)}B` : c.loc === 'ca' ? `SIN: ${digits(r, 3)} ${digits(r, 3)} ${digits(r, 3)}` : `SSN: ${ssn(r)}`}\nHome address: ${int(r, 1, 300)} ${pick(r, ['Alder Street', 'Quayside', 'Orchard Rise'])}\nPersonal e-mail: ${p.email}\nMobile: ${phone(r, c.loc)}\nStart date: ${date(r, c.loc, c.dos)}\nPosition: ${pick(r, ['Medical Secretary', 'Healthcare Assistant', 'Finance Officer'])}, ${pick(r, ['Cardiology', 'Outpatients', 'Finance'])}\nEmergency contact: ${pick(r, GIVEN_F)} ${p.family} (${pick(r, ['spouse', 'mother', 'partner'])}) ${phone(r, c.loc)}\n\n${full(c.clerk)}, People Services`;
  return { from: addr(c.clerk, c.org), to: [{ name: 'HR Onboarding', email: `onboarding@${c.org.domain}` }], subject: `New starter: ${p.family}`, text };
}

function vendorTax(c: Ctx): Draft {
  const { r } = c;
  const p = person(r);
  const lines = [`Form W-9 (Rev. March 2024) - summary`, `Name: ${full(p)}`, `Business name: ${p.family} ${pick(r, ['Interpreting', 'Consulting', 'Transcription'])} LLC`, 'Federal tax classification: Individual/sole proprietor', `Address: ${int(r, 10, 9000)} ${pick(r, ['Larkspur Ave', 'Hemlock Dr'])}, ${pick(r, ['Tacoma, WA 98403', 'Boise, ID 83702'])}`, `Taxpayer Identification Number (SSN): ${ssn(r)}`, `Signed: ${date(r, 'us', c.dos)}`];
  if (chance(r, 0.5)) return { from: addr(c.clerk, c.org), to: [{ name: 'Accounts Payable', email: `ap@${c.org.domain}` }], subject: 'W-9 for new contractor', text: `Hi AP,\n\n${lines.join('\n')}\n\nPlease add to vendor master before the 1099 run.\n\n${c.clerk.given}` };
  return { from: addr(c.clerk, c.org), to: [{ name: 'Accounts Payable', email: `ap@${c.org.domain}` }], subject: '1099-NEC prep', text: 'Contractor form attached.', attachments: [{ filename: 'w9.pdf', type: 'application/pdf', data: pdfB(r, lines) }] };
}

const WRITERS: Record<string, (c: Ctx) => Draft> = {
  referral_letter: referral, discharge_summary: discharge, lab_result: labResult, pathology_report: pathology,
  radiology_report: radiology, claim_billing: claim, remittance_advice: remittance, rx_refill_request: refill,
  prior_authorization: priorAuth, appointment_followup: appointment, care_coordination_thread: careThread,
  patient_result_reply: patientReply, patient_list_csv: patientList, attachment_only_phi: attachmentOnly,
  health_newsletter: newsletter, aggregate_statistics: aggregate, pharma_device_sales: pharmaSales,
  conference_cme: cme, research_abstract: research, operations_notice: opsNotice, staff_schedule: schedule,
  guideline_discussion: guideline, job_posting: job, general_business: business,
  payroll_hr: payroll, staff_directory: directory, new_hire_paperwork: newHire, vendor_tax_form: vendorTax,
};

/**
 * Hold-out B: `total` messages (default about 300) over all 28 kinds in the dev proportions,
 * shuffled. The same seed gives the same bytes.
 */
export function generateHoldoutB(seed = 7, total = 300): HoldoutBMessage[] {
  const r = prng(seed ^ 0x5eb1);
  msgSeq = 0;
  boundarySeq = 0;
  const plan = planKinds(r, total);
  return plan.map(([label, kind], i) => {
    const loc = pick(r, ['us', 'us', 'us', 'us', 'uk', 'uk', 'ca', 'au'] as Loc[]);
    const org = pick(r, ORGS);
    let other = pick(r, ORGS);
    if (other === org) other = ORGS[(ORGS.indexOf(org) + 1) % ORGS.length]!;
    const dx = pick(r, DX);
    let dx2 = pick(r, DX);
    if (dx2 === dx) dx2 = DX[(DX.indexOf(dx) + 1) % DX.length]!;
    const drug = pick(r, DRUGS);
    let drug2 = pick(r, DRUGS);
    if (drug2 === drug) drug2 = DRUGS[(DRUGS.indexOf(drug) + 1) % DRUGS.length]!;
    const dob = ymd(r, 1934, 2012);
    const c: Ctx = {
      r, loc, pt: person(r), dob, dos: ymd(r, 2025, 2025), dos2: ymd(r, 2025, 2025), org, other,
      doc: staff(r, org), doc2: staff(r, other), clerk: staff(r, org, pick(r, [['', 'Medical Secretary'], ['CPC', 'Coder'], ['', 'Administrator']] as Array<[string, string]>)),
      dx, dx2, drug, drug2, cpt: pick(r, CPT), age: 2025 - dob.y,
    };
    const draft = WRITERS[kind]!(c);
    return { file: `b${String(i + 1).padStart(4, '0')}.eml`, label, kind, raw: Buffer.from(assemble(r, draft), 'latin1') };
  });
}
