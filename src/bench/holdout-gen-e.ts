// A fifth generated hold-out corpus for the PHI scorer (first-contact probe E): about 300 synthetic
// outbound e-mails over the dev corpus's 28 kinds in its proportions, written without reading the
// other generators' templates. Every sentence, header label, column name, identifier format and
// vocabulary item (names, drugs, diagnoses, tests, procedures, codes, domains) was chosen to be absent
// from the dev corpus, the other generators and the bundled lexicon when it was written.
// Trust level: developer tool; everything is synthetic, every domain is under .example or .test.
import { prng } from '../smime/fuzz-enveloped.js';
import { type HoldoutLabel, type HoldoutMessage, HOLDOUT_KINDS, type Rand, pick, int, digits, pad, planKinds, another } from './holdout-common.js';

/** This generator's names for the shared shapes (holdout-common.ts). */
export type HoldoutELabel = HoldoutLabel;
export type HoldoutEMessage = HoldoutMessage;
export const HOLDOUT_E_KINDS = HOLDOUT_KINDS;





// ---- vocabulary -------------------------------------------------------------------------------

const GIVEN = ['Thaddeus', 'Wilhelmina', 'Imogen', 'Ezekiel', 'Juniper', 'Seraphina', 'Bettina', 'Saoirse', 'Yolanda',
  'Zbigniew', 'Prudence', 'Lucinda', 'Horatio', 'Everett', 'Magnolia', 'Percival', 'Rosamund', 'Alistair', 'Dagny',
  'Emeric', 'Gideon', 'Hyacinth', 'Ludmiła', 'Søren', 'Inès'];
const FAMILY = ['Vanterpool', 'Ravensworth', 'Yarborough', 'Eberhardt', 'Mbeki', 'Haraldsen', 'Iwasaki', 'Sokolova',
  'Quackenbush', 'Pettigrew', 'Ormsby', 'Nettleton', 'Marchbanks', 'Loxley', 'Kittredge', 'Jessup', 'Gwynne',
  'Fotheringham', 'Esterházy', 'Drummond', 'Culpepper', 'Ashcombe', 'Summerfield', 'Rutherford', 'Øvergaard'];

interface Org { name: string; short: string; domain: string; city: string; st: string; zip: string; area: string }
const ORGS: Org[] = [
  { name: 'Lindenhall Community Clinic', short: 'Lindenhall', domain: 'lindenhall-health.example', city: 'Duluth', st: 'MN', zip: '558', area: '218' },
  { name: 'Quarry Brook Medical Group', short: 'Quarry Brook', domain: 'quarrybrook-med.test', city: 'Billings', st: 'MT', zip: '591', area: '406' },
  { name: 'Kestrel Valley Hospital', short: 'Kestrel Valley', domain: 'kestrel-valley.example', city: 'Cheyenne', st: 'WY', zip: '820', area: '307' },
  { name: 'Harrowgate Internal Medicine', short: 'Harrowgate', domain: 'harrowgate-im.test', city: 'Burlington', st: 'VT', zip: '054', area: '802' },
  { name: 'Fenwick Heart and Lung Associates', short: 'Fenwick', domain: 'fenwick-hla.example', city: 'Bangor', st: 'ME', zip: '044', area: '207' },
];
const LAB = { name: 'Tamarack Clinical Laboratory', domain: 'tamarack-labs.test' };
const IMAGING = { name: 'Saltmarsh Diagnostic Imaging', domain: 'saltmarsh-imaging.example' };
const PATH = { name: 'Kestrel Valley Anatomic Pathology', domain: 'kestrel-valley.example' };
const PAYERS = [
  { name: 'Osprey Mutual Health Plan', domain: 'osprey-mutual.example', pre: 'OMH' },
  { name: 'Granite Shield Assurance', domain: 'graniteshield.test', pre: 'GSA' },
];
const PHARMACY = { name: 'Bellwether Apothecary', domain: 'bellwether-rx.test' };
const WEBMAIL = ['fernpost.example', 'marigold-mail.test', 'inkwell.example'];

interface Dx { code: string; name: string; lay: string }
const DX: Dx[] = [
  { code: 'D59.5', name: 'Paroxysmal nocturnal hemoglobinuria', lay: 'paroxysmal nocturnal hemoglobinuria' },
  { code: 'D47.3', name: 'Essential (hemorrhagic) thrombocythemia', lay: 'essential thrombocythemia' },
  { code: 'I45.6', name: 'Pre-excitation syndrome', lay: 'Wolff-Parkinson-White pattern' },
  { code: 'D58.0', name: 'Hereditary spherocytosis', lay: 'hereditary spherocytosis' },
  { code: 'L10.0', name: 'Pemphigus vulgaris', lay: 'pemphigus vulgaris' },
  { code: 'C84.00', name: 'Mycosis fungoides, unspecified site', lay: 'mycosis fungoides' },
  { code: 'C88.0', name: 'Waldenstrom macroglobulinemia', lay: 'Waldenstrom macroglobulinemia' },
  { code: 'E80.1', name: 'Porphyria cutanea tarda', lay: 'porphyria cutanea tarda' },
  { code: 'E75.22', name: 'Gaucher disease', lay: 'Gaucher disease' },
  { code: 'E75.21', name: 'Fabry (-Anderson) disease', lay: 'Fabry disease' },
  { code: 'Q87.40', name: 'Marfan syndrome, unspecified', lay: 'Marfan syndrome' },
  { code: 'Q79.60', name: 'Ehlers-Danlos syndrome, unspecified', lay: 'Ehlers-Danlos syndrome' },
  { code: 'Q85.01', name: 'Neurofibromatosis, type 1', lay: 'neurofibromatosis type 1' },
  { code: 'G60.0', name: 'Hereditary motor and sensory neuropathy', lay: 'Charcot-Marie-Tooth disease' },
  { code: 'G95.0', name: 'Syringomyelia and syringobulbia', lay: 'syringomyelia' },
  { code: 'M43.16', name: 'Spondylolisthesis, lumbar region', lay: 'lumbar spondylolisthesis' },
  { code: 'B39.9', name: 'Histoplasmosis, unspecified', lay: 'histoplasmosis' },
  { code: 'B38.9', name: 'Coccidioidomycosis, unspecified', lay: 'valley fever (coccidioidomycosis)' },
  { code: 'A23.9', name: 'Brucellosis, unspecified', lay: 'brucellosis' },
  { code: 'A28.1', name: 'Cat-scratch disease', lay: 'cat-scratch disease' },
  { code: 'B44.9', name: 'Aspergillosis, unspecified', lay: 'aspergillosis' },
  { code: 'C45.0', name: 'Mesothelioma of pleura', lay: 'pleural mesothelioma' },
  { code: 'C22.1', name: 'Intrahepatic bile duct carcinoma', lay: 'cholangiocarcinoma' },
  { code: 'Q25.1', name: 'Coarctation of aorta', lay: 'aortic coarctation' },
  { code: 'I31.1', name: 'Chronic constrictive pericarditis', lay: 'constrictive pericarditis' },
  { code: 'I49.5', name: 'Sick sinus syndrome', lay: 'sick sinus syndrome' },
  { code: 'I72.4', name: 'Aneurysm of artery of lower extremity', lay: 'popliteal artery aneurysm' },
  { code: 'M94.1', name: 'Relapsing polychondritis', lay: 'relapsing polychondritis' },
  { code: 'H15.009', name: 'Unspecified scleritis, unspecified eye', lay: 'scleritis' },
  { code: 'J67.9', name: 'Hypersensitivity pneumonitis due to unspecified organic dust', lay: 'hypersensitivity pneumonitis' },
  { code: 'E88.01', name: 'Alpha-1-antitrypsin deficiency', lay: 'alpha-1-antitrypsin deficiency' },
  { code: 'J33.9', name: 'Nasal polyp, unspecified', lay: 'nasal polyps' },
];

interface Drug { name: string; form: string; sig: string }
const DRUGS: Drug[] = [
  { name: 'fidaxomicin', form: '200 mg tab', sig: 'one tab by mouth twice a day x10 days' },
  { name: 'colesevelam', form: '625 mg tab', sig: 'three tabs with the evening meal' },
  { name: 'icosapent ethyl', form: '1 g cap', sig: 'two caps with food twice a day' },
  { name: 'tolvaptan', form: '15 mg tab', sig: 'one tab every morning' },
  { name: 'levomilnacipran ER', form: '40 mg cap', sig: 'one cap each morning' },
  { name: 'ubrogepant', form: '50 mg tab', sig: 'one tab at migraine onset, may repeat once' },
  { name: 'brivaracetam', form: '50 mg tab', sig: 'one tab every 12 hours' },
  { name: 'cenobamate', form: '100 mg tab', sig: 'one tab at bedtime' },
  { name: 'perampanel', form: '4 mg tab', sig: 'one tab nightly' },
  { name: 'dalfampridine ER', form: '10 mg tab', sig: 'one tab q12h' },
  { name: 'teriflunomide', form: '14 mg tab', sig: 'one tab daily' },
  { name: 'siponimod', form: '2 mg tab', sig: 'one tab daily' },
  { name: 'deucravacitinib', form: '6 mg tab', sig: 'one tab daily' },
  { name: 'nintedanib', form: '150 mg cap', sig: 'one cap q12h with food' },
  { name: 'riociguat', form: '1.5 mg tab', sig: 'one tab three times daily' },
  { name: 'macitentan', form: '10 mg tab', sig: 'one tab daily' },
  { name: 'selexipag', form: '200 mcg tab', sig: 'one tab twice daily' },
  { name: 'nateglinide', form: '120 mg tab', sig: 'one tab before meals' },
  { name: 'abaloparatide', form: '80 mcg pen', sig: 'inject 80 mcg subcutaneously daily' },
  { name: 'lanthanum carbonate', form: '1000 mg chewable', sig: 'chew one with each meal' },
  { name: 'ferric citrate', form: '210 mg tab', sig: 'two tabs with meals' },
  { name: 'patiromer', form: '8.4 g packet', sig: 'one packet in water daily' },
  { name: 'droxidopa', form: '100 mg cap', sig: 'one cap three times a day' },
  { name: 'obeticholic acid', form: '5 mg tab', sig: 'one tab daily' },
  { name: 'prucalopride', form: '2 mg tab', sig: 'one tab daily' },
  { name: 'baloxavir', form: '40 mg tab', sig: 'two tabs once' },
  { name: 'omadacycline', form: '150 mg tab', sig: 'two tabs daily on an empty stomach' },
  { name: 'tedizolid', form: '200 mg tab', sig: 'one tab daily x6 days' },
  { name: 'darolutamide', form: '300 mg tab', sig: 'two tabs twice daily with food' },
  { name: 'zanubrutinib', form: '80 mg cap', sig: 'two caps twice daily' },
  { name: 'avatrombopag', form: '20 mg tab', sig: 'one tab daily with food' },
  { name: 'deferasirox', form: '360 mg tab', sig: 'three tabs daily' },
  { name: 'anagrelide', form: '0.5 mg cap', sig: 'one cap four times a day' },
];

interface Test { name: string; unit: string; ref: string; lo: number; hi: number; dec: number }
const TESTS: Test[] = [
  { name: 'Anti-Mullerian hormone', unit: 'ng/mL', ref: '1.0-3.5', lo: 0.1, hi: 6, dec: 2 },
  { name: 'Aldolase', unit: 'U/L', ref: '<8.1', lo: 3, hi: 19, dec: 1 },
  { name: 'Galactomannan antigen index', unit: 'index', ref: '<0.50', lo: 0.1, hi: 2.4, dec: 2 },
  { name: 'C-peptide, fasting', unit: 'ng/mL', ref: '1.1-4.4', lo: 0.2, hi: 7, dec: 1 },
  { name: 'Angiotensin-converting enzyme', unit: 'U/L', ref: '9-67', lo: 20, hi: 140, dec: 0 },
  { name: 'Plasma free metanephrines', unit: 'pg/mL', ref: '<57', lo: 20, hi: 210, dec: 0 },
  { name: 'Insulin-like growth factor 1', unit: 'ng/mL', ref: '90-250', lo: 40, hi: 520, dec: 0 },
  { name: 'Ionized calcium', unit: 'mmol/L', ref: '1.12-1.32', lo: 0.95, hi: 1.5, dec: 2 },
  { name: 'Serum osmolality', unit: 'mOsm/kg', ref: '275-295', lo: 255, hi: 320, dec: 0 },
  { name: 'Anti-Xa activity (LMWH)', unit: 'IU/mL', ref: '0.5-1.0', lo: 0.1, hi: 1.6, dec: 2 },
  { name: 'Smooth muscle antibody titer', unit: '', ref: '<1:20', lo: 0, hi: 0, dec: 0 },
];

interface Proc { cpt: string; text: string }
const PROCS: Proc[] = [
  { cpt: '32555', text: 'pleural drainage by needle, image guided' },
  { cpt: '49083', text: 'abdominal fluid tap with imaging guidance' },
  { cpt: '62323', text: 'interlaminar lumbar steroid injection under imaging' },
  { cpt: '20550', text: 'tendon sheath injection' },
  { cpt: '27447', text: 'knee joint replacement, total' },
  { cpt: '23472', text: 'shoulder joint replacement, total' },
  { cpt: '33208', text: 'dual-chamber pacemaker placement' },
  { cpt: '93458', text: 'left heart catheter study with coronary imaging' },
  { cpt: '31624', text: 'airway scope with lavage' },
  { cpt: '43235', text: 'diagnostic scope of esophagus, stomach and duodenum' },
  { cpt: '55700', text: 'needle sampling of the prostate' },
  { cpt: '58558', text: 'hysteroscope with endometrial sampling' },
  { cpt: '11042', text: 'debridement down to subcutaneous tissue' },
];
const EM: Proc[] = [
  { cpt: '99223', text: 'first inpatient day, high complexity' },
  { cpt: '99239', text: 'hospital release day, over 30 minutes' },
  { cpt: '99308', text: 'nursing facility follow-up, low complexity' },
  { cpt: '99406', text: 'tobacco quit counseling 3-10 min' },
  { cpt: '99497', text: 'advance directive discussion, first 30 min' },
  { cpt: '93000', text: 'twelve-lead tracing with read' },
  { cpt: '85610', text: 'clotting time (prothrombin)' },
  { cpt: '86803', text: 'hepatitis C antibody screen' },
  { cpt: '87086', text: 'quantitative urine culture' },
  { cpt: 'J0897', text: 'denosumab injection, 1 mg' },
  { cpt: 'G0008', text: 'influenza vaccine administration' },
];
const IMAGING_STUDIES = [
  { cpt: '73222', study: 'MR right shoulder joint, with contrast', finding: 'Full-thickness tear of the supraspinatus tendon with 14 mm retraction; moderate acromioclavicular arthropathy.', opinion: 'Full-thickness supraspinatus tear, retracted.' },
  { cpt: '76705', study: 'Limited ultrasound of the abdomen (RUQ)', finding: 'Gallbladder wall 5 mm with pericholecystic fluid and a 12 mm impacted stone at the neck; sonographic Murphy sign present.', opinion: 'Findings compatible with acute calculous cholecystitis.' },
  { cpt: '71275', study: 'CT pulmonary angiogram', finding: 'No filling defect in the pulmonary arterial tree. Upper-lobe predominant centrilobular ground-glass nodules and mosaic attenuation.', opinion: 'Pattern suggests subacute hypersensitivity pneumonitis; no embolus.' },
  { cpt: '72158', study: 'MR lumbar spine without and with contrast', finding: 'Grade 2 anterolisthesis of L4 on L5 with bilateral pars defects and severe foraminal narrowing at L4-5.', opinion: 'Isthmic anterolisthesis L4-L5, grade 2.' },
  { cpt: '93880', study: 'Duplex scan of extracranial arteries, bilateral', finding: 'Right ICA peak systolic velocity 265 cm/s with heterogeneous plaque; left ICA velocities normal.', opinion: '70-99% stenosis of the right internal carotid artery.' },
];
const PATH_CASES = [
  { site: 'Skin, left flank, 4 mm punch', micro: 'Atypical lymphocytes with epidermotropism and Pautrier microabscesses; CD4:CD8 ratio greater than 6:1.', dx: 'Cutaneous T-cell lymphoma, patch stage, consistent with mycosis fungoides.' },
  { site: 'Pleura, right, VATS biopsy', micro: 'Infiltrative epithelioid cells positive for calretinin and WT-1, negative for claudin-4.', dx: 'Malignant pleural mesothelioma, epithelioid type.' },
  { site: 'Liver, segment 6, core biopsy', micro: 'Gland-forming carcinoma in desmoplastic stroma; CK7 positive, CK20 negative.', dx: 'Intrahepatic cholangiocarcinoma, moderately differentiated.' },
  { site: 'Nasal cavity, left, polypectomy', micro: 'Edematous stroma with abundant eosinophils; no dysplasia, no fungal hyphae.', dx: 'Inflammatory sinonasal polyp with eosinophilia; negative for neoplasm.' },
  { site: 'Bone marrow, posterior iliac crest, aspirate and core', micro: 'Lymphoplasmacytic infiltrate occupying 40% of cellularity; MYD88 L265P detected.', dx: 'Lymphoplasmacytic lymphoma (Waldenstrom macroglobulinemia).' },
];

// ---- identifiers --------------------------------------------------------------------------------

const MBI_ALPHA = 'ACDEFGHJKMNPQRTUVWXY';
function luhnOk(s: string): boolean {
  let sum = 0;
  for (let i = 0; i < s.length; i++) {
    let d = Number(s[s.length - 1 - i]);
    if (i % 2 === 1) { d *= 2; if (d > 9) d -= 9; }
    sum += d;
  }
  return sum % 10 === 0;
}
function npi(r: Rand): string {
  const base = String(int(r, 1, 2)) + digits(r, 8);
  for (let c = 0; c < 10; c++) if (luhnOk('80840' + base + c)) return base + c;
  return base + '0';
}
/** LOINC-style code with its mod-10 check digit. */
function loinc(r: Rand): string {
  const body = String(int(r, 1000, 99999));
  for (let c = 0; c < 10; c++) if (luhnOk(body + c)) return `${body}-${c}`;
  return `${body}-0`;
}
function mbi(r: Rand, dashed: boolean): string {
  const a = () => pick(r, MBI_ALPHA.split(''));
  const n = () => String(int(r, 0, 9));
  const an = () => (r() < 0.5 ? a() : n());
  const s = String(int(r, 1, 9)) + a() + an() + n() + a() + an() + n() + a() + a() + n() + n();
  return dashed ? `${s.slice(0, 4)}-${s.slice(4, 7)}-${s.slice(7)}` : s;
}
const mrn = (r: Rand) => pick(r, [() => `KV-${digits(r, 7)}`, () => `Q${digits(r, 5)}/${digits(r, 2)}`, () => `LHC${digits(r, 6)}`, () => `${digits(r, 4)}.${digits(r, 4)}`])();
const memberId = (r: Rand, pre: string) => pick(r, [() => `${pre}-${digits(r, 4)}-${digits(r, 5)}`, () => `${pre}${digits(r, 3)}X${digits(r, 6)}`])();
const claimNo = (r: Rand) => `CLM-${int(r, 24, 25)}-${digits(r, 7)}-${digits(r, 2)}`;
const ndc = (r: Rand) => `${digits(r, 5)}-${digits(r, 4)}-${digits(r, 2)}`;
function ssn(r: Rand): string {
  const area = r() < 0.6 ? pick(r, [int(r, 1, 665), int(r, 667, 899)]) : pick(r, [0, int(r, 900, 999)]);
  const g = int(r, 1, 99), s = int(r, 1, 9999);
  const fmt = pick(r, ['dash', 'space', 'dot', 'plain']);
  const p = [pad(area, 3), pad(g), pad(s, 4)];
  return fmt === 'dash' ? p.join('-') : fmt === 'space' ? p.join(' ') : fmt === 'dot' ? p.join('.') : p.join('');
}
function phone(r: Rand, area: string): string {
  const line = r() < 0.5 ? `01${digits(r, 2)}` : digits(r, 4);
  const ex = r() < 0.5 ? '555' : String(int(r, 201, 989));
  return pick(r, [`+1 ${area} ${ex} ${line}`, `${area}/${ex}-${line}`, `(${area})${ex}-${line}`, `${area} ${ex} ${line}`]);
}

interface D { y: number; m: number; d: number }
const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];
const date = (r: Rand, y0: number, y1: number): D => ({ y: int(r, y0, y1), m: int(r, 1, 12), d: int(r, 1, 28) });
const addDays = (x: D, n: number): D => { const t = new Date(Date.UTC(x.y, x.m - 1, x.d + n)); return { y: t.getUTCFullYear(), m: t.getUTCMonth() + 1, d: t.getUTCDate() }; };
function fmtDate(r: Rand, x: D): string {
  return pick(r, [
    `${MONTHS[x.m - 1]!.slice(0, 3)}-${pad(x.d)}-${x.y}`,
    `${x.d} ${MONTHS[x.m - 1]} ${x.y}`,
    `${x.y}${pad(x.m)}${pad(x.d)}`,
    `${pad(x.m)}.${pad(x.d)}.${x.y}`,
    `${MONTHS[x.m - 1]} ${x.d}, ${x.y}`,
  ]);
}

interface Person { first: string; last: string; full: string; email: string }
function person(r: Rand): Person {
  const first = pick(r, GIVEN), last = pick(r, FAMILY);
  const ascii = (s: string) => s.normalize('NFD').replace(/[\u0300-\u036f]/g, '').replace(/ł/g, 'l').replace(/ø/gi, 'o').toLowerCase();
  return { first, last, full: `${first} ${last}`, email: `${ascii(first)}.${ascii(last)}${int(r, 1, 99)}@${pick(r, WEBMAIL)}` };
}
interface Staff extends Person { cred: string; org: Org; addr: string }
function staff(r: Rand, org: Org, creds: string[]): Staff {
  const p = person(r);
  const ascii = p.email.split('@')[0]!.replace(/\d+$/, '');
  return { ...p, cred: pick(r, creds), org, addr: `${ascii}@${org.domain}` };
}
const street = (r: Rand, o: Org) => `${int(r, 12, 9870)} ${pick(r, ['Tamarind', 'Quillback', 'Heronsgate', 'Larkspur', 'Millrace', 'Foundry'])} ${pick(r, ['Way', 'Row', 'Terrace', 'Crossing', 'Hollow'])}, ${o.city}, ${o.st} ${o.zip}${digits(r, 2)}`;

// ---- MIME assembly ------------------------------------------------------------------------------

interface Att { name: string; type: string; body: Buffer | string }
interface Draft {
  from: string; to: string; cc?: string; subject: string; text: string;
  /** 'auto' = choose; 'plain' | 'html' | 'alt' force the body form */
  form?: 'plain' | 'html' | 'alt';
  atts?: Att[];
  /** an e-mail attached as message/rfc822 */
  inner?: Draft;
  reply?: boolean;
}

let seq = 0;
const addr = (name: string, email: string) => {
  const needs = /[^\x20-\x7e]/.test(name);
  return `${needs ? `=?utf-8?B?${Buffer.from(name).toString('base64')}?=` : `"${name}"`} <${email}>`;
};
const hdrSubject = (s: string) => (/[^\x20-\x7e]/.test(s) ? `=?utf-8?Q?${[...Buffer.from(s)].map((b) => (b > 0x20 && b < 0x7f && b !== 0x3d && b !== 0x3f && b !== 0x5f ? String.fromCharCode(b) : b === 0x20 ? '_' : '=' + b.toString(16).toUpperCase().padStart(2, '0'))).join('')}?=` : s);

function qp(buf: Buffer): string {
  const out: string[] = [];
  for (const line of buf.toString('binary').split('\n')) {
    let cur = '';
    const bytes = line.replace(/\r$/, '');
    for (let i = 0; i < bytes.length; i++) {
      const c = bytes.charCodeAt(i);
      let t = (c >= 33 && c <= 126 && c !== 61) || (c === 32 && i < bytes.length - 1) ? bytes[i]! : '=' + c.toString(16).toUpperCase().padStart(2, '0');
      if (cur.length + t.length > 75) { out.push(cur + '='); cur = ''; }
      cur += t;
      t = '';
    }
    out.push(cur);
  }
  return out.join('\r\n');
}
const b64 = (buf: Buffer) => buf.toString('base64').replace(/.{76}/g, '$&\r\n');
function leaf(r: Rand, type: string, text: string, extra = ''): string {
  const charset = /[^\x00-\x7f]/.test(text) ? pick(r, ['utf-8', 'iso-8859-1']) : pick(r, ['us-ascii', 'utf-8']);
  const buf = charset === 'iso-8859-1' && ![...text].some((c) => c.charCodeAt(0) > 255) ? Buffer.from(text, 'latin1') : Buffer.from(text, 'utf8');
  const cs = buf.length === Buffer.byteLength(text, 'utf8') && charset === 'iso-8859-1' ? 'utf-8' : charset;
  const enc = /[^\x00-\x7f]/.test(text) ? pick(r, ['quoted-printable', 'base64']) : pick(r, ['7bit', 'quoted-printable', 'base64']);
  const body = enc === 'base64' ? b64(buf) : enc === 'quoted-printable' ? qp(buf) : text.replace(/\r?\n/g, '\r\n');
  return `Content-Type: ${type}; charset=${cs}${extra}\r\nContent-Transfer-Encoding: ${enc}\r\n\r\n${body}`;
}
const escHtml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
function toHtml(text: string): string {
  const blocks = text.split(/\n{2,}/).map((b) => {
    const lines = b.split('\n');
    if (lines.every((l) => l.startsWith('>'))) return `<blockquote style="border-left:3px solid #99a;margin-left:6px;padding-left:8px">${toHtml(lines.map((l) => l.replace(/^> ?/, '')).join('\n'))}</blockquote>`;
    if (lines.length > 1 && lines.every((l) => l.includes(' | '))) {
      return '<table cellspacing="0" cellpadding="4" style="border:1px solid #bbb">' + lines.map((l, i) => `<tr>${l.split(' | ').map((c) => (i === 0 ? `<th align="left">${escHtml(c)}</th>` : `<td>${escHtml(c)}</td>`)).join('')}</tr>`).join('') + '</table>';
    }
    return `<div style="margin:0 0 10px 0">${lines.map(escHtml).join('<br/>')}</div>`;
  });
  return blocks.join('\n');
}
const htmlDoc = (text: string) => `<!DOCTYPE html><html><body style="font-family:Verdana,Geneva,sans-serif;font-size:10pt;color:#222">\n${toHtml(text)}\n</body></html>\n`;

function pdf(lines: string[]): Buffer {
  const esc = (s: string) => [...s].map((ch) => (ch === '(' || ch === ')' || ch === '\\' ? '\\' + ch : ch.charCodeAt(0) > 126 ? (ch.charCodeAt(0) < 256 ? '\\' + ch.charCodeAt(0).toString(8) : '?') : ch)).join('');
  const content = `BT\n/F1 9 Tf\n11 TL\n60 760 Td\n${lines.map((l) => `(${esc(l)}) Tj T*`).join('\n')}\nET\n`;
  const objs = [
    '<< /Type /Catalog /Pages 2 0 R >>',
    '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
    '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>',
    '<< /Type /Font /Subtype /Type1 /BaseFont /Courier /Encoding /WinAnsiEncoding >>',
    `<< /Length ${Buffer.byteLength(content, 'latin1')} >>\nstream\n${content}endstream`,
  ];
  let out = '%PDF-1.4\n';
  const offs: number[] = [];
  objs.forEach((o, i) => { offs.push(Buffer.byteLength(out, 'latin1')); out += `${i + 1} 0 obj\n${o}\nendobj\n`; });
  const x = Buffer.byteLength(out, 'latin1');
  out += `xref\n0 ${objs.length + 1}\n0000000000 65535 f \n${offs.map((o) => `${String(o).padStart(10, '0')} 00000 n \n`).join('')}trailer\n<< /Size ${objs.length + 1} /Root 1 0 R >>\nstartxref\n${x}\n%%EOF\n`;
  return Buffer.from(out, 'latin1');
}

function bodyPart(r: Rand, d: Draft): string {
  const form = d.form ?? pick(r, ['plain', 'plain', 'html', 'alt', 'alt']);
  if (form === 'plain') return leaf(r, 'text/plain', d.text);
  if (form === 'html') return leaf(r, 'text/html', htmlDoc(d.text));
  const b = `=_alt_${seq}_${digits(r, 6)}`;
  return `Content-Type: multipart/alternative; boundary="${b}"\r\n\r\n--${b}\r\n${leaf(r, 'text/plain', d.text)}\r\n--${b}\r\n${leaf(r, 'text/html', htmlDoc(d.text))}\r\n--${b}--\r\n`;
}

function message(r: Rand, d: Draft, when: D): string {
  seq++;
  const hh = int(r, 6, 19), mm = int(r, 0, 59);
  const wd = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'][new Date(Date.UTC(when.y, when.m - 1, when.d)).getUTCDay()];
  const head = [
    `From: ${d.from}`, `To: ${d.to}`, ...(d.cc ? [`Cc: ${d.cc}`] : []), `Subject: ${hdrSubject(d.subject)}`,
    `Date: ${wd}, ${when.d} ${MONTHS[when.m - 1]!.slice(0, 3)} ${when.y} ${pad(hh)}:${pad(mm)}:${pad(int(r, 0, 59))} ${pick(r, ['-0500', '-0600', '-0700'])}`,
    `Message-ID: <e${seq}.${digits(r, 8)}@mailer.${pick(r, ORGS).domain}>`,
    ...(d.reply ? [`In-Reply-To: <q${digits(r, 9)}@${pick(r, WEBMAIL)}>`, `References: <q${digits(r, 9)}@${pick(r, WEBMAIL)}>`] : []),
    'MIME-Version: 1.0',
  ];
  const atts: string[] = [];
  for (const a of d.atts ?? []) {
    const buf = typeof a.body === 'string' ? Buffer.from(a.body, 'utf8') : a.body;
    const enc = a.type === 'application/pdf' ? 'base64' : pick(r, ['base64', 'quoted-printable', '7bit']);
    const safe7 = enc === '7bit' && ![...buf].some((x) => x > 127);
    const e = enc === '7bit' && !safe7 ? 'base64' : enc;
    const payload = e === 'base64' ? b64(buf) : e === 'quoted-printable' ? qp(buf) : buf.toString('latin1').replace(/\r?\n/g, '\r\n');
    const cs = a.type.startsWith('text/') ? '; charset=utf-8' : '';
    atts.push(`Content-Type: ${a.type}${cs}; name="${a.name}"\r\nContent-Disposition: attachment; filename="${a.name}"\r\nContent-Transfer-Encoding: ${e}\r\n\r\n${payload}`);
  }
  if (d.inner) atts.push(`Content-Type: message/rfc822\r\nContent-Disposition: attachment; filename="${pick(r, ['earlier-thread.eml', 'forwarded.eml', 'msg.eml'])}"\r\n\r\n${message(r, d.inner, addDays(when, -int(r, 0, 4)))}`);
  if (!atts.length) return head.join('\r\n') + '\r\n' + bodyPart(r, d);
  const b = `=_mix_${seq}_${digits(r, 6)}`;
  return head.join('\r\n') + `\r\nContent-Type: multipart/mixed; boundary="${b}"\r\n\r\nThis is a multi-part message in MIME format.\r\n--${b}\r\n${bodyPart(r, d)}\r\n` + atts.map((a) => `--${b}\r\n${a}\r\n`).join('') + `--${b}--\r\n`;
}

// ---- per-message context ------------------------------------------------------------------------

interface Ctx {
  r: Rand; org: Org; other: Org; pt: Person; dob: D; dos: D; dx: Dx; dx2: Dx; drug: Drug; drug2: Drug; test: Test; test2: Test;
  proc: Proc; em: Proc; doc: Staff; doc2: Staff; clerk: Staff; payer: typeof PAYERS[number]; age: number; he: string; his: string;
}
const sig = (s: Staff, role: string) => `${s.full}${s.cred ? ', ' + s.cred : ''}\n${role}\n${s.org.name}\n`;
const signoff = (r: Rand, s: Staff, role: string) => `${pick(r, ['Regards,', 'With thanks,', 'Cheers,', 'Warmly,', 'Respectfully,'])}\n${sig(s, role)}tel ${phone(r, s.org.area)}`;
const from = (s: Staff) => addr(s.full, s.addr);
const ptAddr = (p: Person) => addr(p.full, p.email);
const val = (r: Rand, t: Test) => (t.hi === 0 ? pick(r, ['1:80', '1:160', '1:320']) : (t.lo + r() * (t.hi - t.lo)).toFixed(t.dec));
const flag = (t: Test, v: string) => {
  const n = Number(v);
  if (Number.isNaN(n)) return 'ABN';
  const m = /^<(.+)$/.exec(t.ref);
  if (m) return n >= Number(m[1]) ? 'HIGH' : '';
  const [lo, hi] = t.ref.split('-').map(Number);
  return n < lo! ? 'LOW' : n > hi! ? 'HIGH' : '';
};
const csv = (rows: string[][]) => rows.map((row) => row.map((c) => (/[",]/.test(c) ? `"${c.replace(/"/g, '""')}"` : c)).join(',')).join('\r\n') + '\r\n';
const money = (r: Rand, lo: number, hi: number) => (lo + r() * (hi - lo)).toFixed(2);
const footer = (r: Rand, o: Org) => pick(r, [
  '',
  `\n\n${o.name} notice: this transmission may include protected health information covered by HIPAA. If it reached you by mistake, tell the sender and erase it.`,
  '\n\nPRIVACY: Intended only for the addressee. Misdirected? Reply to let us know and remove all copies. (HIPAA/PHI safeguards apply.)',
]);

type Writer = (c: Ctx) => Draft;

const W: Record<string, Writer> = {
  referral_letter: (c) => {
    const { r } = c;
    const v = int(r, 0, 2);
    const spec = pick(r, ['hematology', 'rheumatology', 'cardiac electrophysiology', 'pulmonary', 'medical genetics', 'infectious disease']);
    if (v === 0) {
      return { from: from(c.doc), to: from(c.doc2), subject: `${c.pt.last} — asking for a ${spec} opinion`, text:
        `${c.doc2.first},\n\nWould your ${spec} team be willing to take on ${c.pt.full}? ${c.he === 'he' ? 'He' : 'She'} is ${c.age} and was born ${fmtDate(r, c.dob)}; our chart ID is ${mrn(r)}.\n\nWorking impression: ${c.dx.name} [${c.dx.code}], with ${c.dx2.lay} in the background.\n\n${c.he === 'he' ? 'His' : 'Her'} current regimen is ${c.drug.name} ${c.drug.form} and ${c.drug2.name} ${c.drug2.form}. I have not been able to settle the symptoms on this combination.\n\nI can send the last three clinic notes on request.\n\n${signoff(r, c.doc, 'Primary care')}${footer(r, c.org)}` };
    }
    const form = [
      `CONSULTATION REQUEST — ${c.org.name}`, '',
      `Requested service: ${spec}`, `Urgency: ${pick(r, ['routine', 'soon (2-4 weeks)', 'expedited'])}`, '',
      `Individual: ${c.pt.last.toUpperCase()}, ${c.pt.first}`, `Birth date: ${fmtDate(r, c.dob)}`, `Record no.: ${mrn(r)}`,
      `Home: ${street(r, c.org)}`, `Contact no.: ${phone(r, c.org.area)}`, `Coverage: ${c.payer.name}, subscriber no. ${memberId(r, c.payer.pre)}`, '',
      `Problem prompting request: ${c.dx.lay} (${c.dx.code})`, `Medicines on file: ${c.drug.name} ${c.drug.form}; ${c.drug2.name} ${c.drug2.form}`,
      `Question for consultant: confirm the diagnosis and advise on next steps.`,
    ];
    if (v === 1) return { from: from(c.doc), to: from(c.doc2), subject: `Consult request: ${c.pt.full}`, text: `${form.join('\n')}\n\n${signoff(r, c.doc, 'Referring clinician')}` };
    return { from: from(c.clerk), to: from(c.doc2), subject: pick(r, ['New consult packet', `Consult request from ${c.org.short}`]), text: `Good afternoon,\n\nThe signed consult request for ${c.pt.full} is attached; please contact us to book.\n\n${signoff(r, c.clerk, 'Referral desk')}`,
      atts: [{ name: `consult_${c.pt.last.toLowerCase().replace(/[^a-z]/g, '')}.pdf`, type: 'application/pdf', body: pdf(form) }] };
  },

  discharge_summary: (c) => {
    const { r } = c;
    const adm = c.dos, dc = addDays(c.dos, int(r, 2, 9));
    const kv = 'Kestrel Valley Hospital';
    const lines = [
      'INPATIENT EPISODE SUMMARY', `${c.pt.full}   Hospital no. ${mrn(r)}   Born ${fmtDate(r, c.dob)}`,
      `Arrived ${fmtDate(r, adm)}; went home ${fmtDate(r, dc)}`, '',
      'Reason for stay:', `  ${c.dx.name} (${c.dx.code})`, 'Other active problems:', `  ${c.dx2.name} (${c.dx2.code})`, '',
      'What was done:', `  ${c.proc.text}`, '',
      'Medicines on leaving:', `  ${c.drug.name} ${c.drug.form} — ${c.drug.sig}`, `  ${c.drug2.name} ${c.drug2.form} — ${c.drug2.sig}`, '',
      'Aftercare:', `  Clinic review within ${int(r, 5, 14)} days; repeat ${c.test.name.toLowerCase()} before that visit.`,
    ];
    const v = int(r, 0, 2);
    if (v === 0) return { from: from(c.doc), to: from(c.doc2), subject: `Transition of care — ${c.pt.last}, ${c.pt.first}`, text: `${c.doc2.first},\n\nYour shared patient has left ${kv}. Summary follows.\n\n${lines.join('\n')}\n\n${signoff(r, c.doc, 'Hospitalist service')}${footer(r, c.org)}` };
    if (v === 1) return { from: from(c.doc), to: from(c.doc2), subject: pick(r, [`Episode summary attached (${c.pt.last})`, 'Hospital stay summary']), text: `Hello ${c.doc2.first},\n\n${c.pt.full} went home from ${kv} on ${fmtDate(r, dc)}. The episode summary is in the attached PDF.\n\n${signoff(r, c.doc, 'Hospitalist service')}`, atts: [{ name: 'episode_summary.pdf', type: 'application/pdf', body: pdf(lines) }] };
    const inner: Draft = { from: from(c.doc), to: from(c.clerk), subject: `Episode summary ${c.pt.last}`, text: `${lines.join('\n')}\n\n${signoff(r, c.doc, 'Hospitalist service')}` };
    return { from: from(c.clerk), to: from(c.doc2), subject: 'Fwd: Episode summary', text: `Passing along the hospital team's note below.\n\n${c.clerk.first}`, inner };
  },

  lab_result: (c) => {
    const { r } = c;
    const spec = `TCL${digits(r, 8)}`;
    const tests = [c.test, c.test2];
    const rows = tests.map((t) => { const v = val(r, t); return [t.name, loinc(r), v, t.unit, t.ref, flag(t, v)]; });
    const v = int(r, 0, 2);
    const who = `${c.pt.full} (birthdate ${fmtDate(r, c.dob)}, chart ${mrn(r)})`;
    const lab = { ...c.doc, full: 'Results Office', addr: `results@${LAB.domain}` };
    if (v === 0) {
      return { from: addr(LAB.name, `results@${LAB.domain}`), to: from(c.doc), subject: pick(r, [`Specimen ${spec} finalized`, `Critical callback documented - ${c.pt.last}`]), text:
        `To the ordering office:\n\nSpecimen ${spec} for ${who}, drawn ${fmtDate(r, c.dos)}, has been finalized.\n\nAnalyte | LOINC | Value | Units | Interval | Status\n${rows.map((x) => x.join(' | ')).join('\n')}\n\nOut-of-interval values were phoned to the office nurse.\n\n${LAB.name} client services` };
    }
    if (v === 1) {
      return { from: addr(LAB.name, lab.addr), to: from(c.doc), subject: `Result file ${spec}`, text: `Attached is the result extract for specimen ${spec}.\n\n${LAB.name}`,
        atts: [{ name: `${spec}.csv`, type: 'text/csv', body: csv([['subject_name', 'birth_date', 'chart_id', 'analyte', 'loinc', 'value', 'unit', 'interval', 'status'], ...rows.map((x) => [c.pt.full, fmtDate(r, c.dob), mrn(r), x[0]!, x[1]!, x[2]!, x[3]!, x[4]!, x[5]!])]) }] };
    }
    return { from: from(c.doc), to: from(c.doc2), subject: `${c.pt.first} ${c.pt.last[0]}. — ${c.test.name} back`, text: `${c.doc2.first},\n\nFYI the ${c.test.name.toLowerCase()} on ${c.pt.full} came back at ${rows[0]![2]}${c.test.unit ? " " + c.test.unit : ""} (interval ${c.test.ref}). Given the ${c.dx.lay}, I'd hold the ${c.drug.name} until we talk.\n\n${c.doc.first}` };
  },

  pathology_report: (c) => {
    const { r } = c;
    const k = pick(r, PATH_CASES);
    const acc = `SP/${c.dos.y % 100}/${digits(r, 6)}`;
    const rep = [`HISTOPATHOLOGY — ${PATH.name}`, `Accession ${acc}`, `Subject: ${c.pt.last}, ${c.pt.first}   Record no. ${mrn(r)}   Born ${fmtDate(r, c.dob)}`, `Obtained ${fmtDate(r, c.dos)}`, '',
      `Tissue submitted: ${k.site}`, `Microscopic: ${k.micro}`, '', `Final interpretation: ${k.dx}`, '', `Signed out by ${c.doc2.full}, MD`];
    const v = int(r, 0, 2);
    if (v === 0) return { from: from(c.doc2), to: from(c.doc), subject: `Histopathology ${acc}`, text: `${c.doc.first},\n\nFinal read below.\n\n${rep.join('\n')}\n\n${c.doc2.first}` };
    if (v === 1) return { from: from(c.doc2), to: from(c.doc), subject: `Signed out: ${acc} (${c.pt.last})`, text: `The signed histopathology report is attached as text.\n\n${signoff(r, c.doc2, 'Anatomic pathology')}`, atts: [{ name: `${acc.replace(/\//g, '-')}.txt`, type: 'text/plain', body: rep.join('\n') + '\n' }] };
    return { from: from(c.doc2), to: from(c.doc), subject: `Tissue result for ${c.pt.full}`, text: `Result attached.\n\n${c.doc2.full}`, atts: [{ name: 'histo.pdf', type: 'application/pdf', body: pdf(rep) }] };
  },

  radiology_report: (c) => {
    const { r } = c;
    const s = pick(r, IMAGING_STUDIES);
    const acc = `RAD-${digits(r, 7)}`;
    const rep = [`${IMAGING.name.toUpperCase()}`, `Study: ${s.study} (CPT ${s.cpt})`, `Name: ${c.pt.full}   Birth date: ${fmtDate(r, c.dob)}   Chart: ${mrn(r)}`, `Performed: ${fmtDate(r, c.dos)}   Accession: ${acc}`, '',
      'Technique: standard institutional protocol.', `Observations: ${s.finding}`, '', `Opinion: ${s.opinion}`, '', `Interpreting physician: ${c.doc2.full}, MD`];
    const v = int(r, 0, 2);
    if (v === 0) return { from: addr(IMAGING.name, `reads@${IMAGING.domain}`), to: from(c.doc), subject: `Read complete: ${acc}`, text: rep.join('\n') };
    if (v === 1) return { from: addr(IMAGING.name, `reads@${IMAGING.domain}`), to: from(c.doc), subject: `Imaging for ${c.pt.last}, ${c.pt.first}`, text: `Dear Dr. ${c.doc.last},\n\nThe interpretation for your patient is attached.\n\n${IMAGING.name}`, atts: [{ name: `${acc}.pdf`, type: 'application/pdf', body: pdf(rep) }] };
    return { from: from(c.doc), to: from(c.doc2), subject: `Re: ${s.study}`, text: `${c.doc2.first}, can you look at this one with me? ${c.pt.full}'s ${s.study.toLowerCase()} says: "${s.opinion}" I'm inclined to send ${c.he === 'he' ? 'him' : 'her'} to surgery.\n\n${c.doc.first}` };
  },

  claim_billing: (c) => {
    const { r } = c;
    const claim = claimNo(r), mid = memberId(r, c.payer.pre);
    const lines = [c.proc, c.em].map((p) => [fmtDate(r, c.dos), p.cpt, p.text, money(r, 80, 3200)]);
    const v = int(r, 0, 2);
    if (v === 0) {
      return { from: from(c.clerk), to: addr(`${c.payer.name} Appeals`, `appeals@${c.payer.domain}`), subject: `Reconsideration request, claim ref ${claim}`, text:
        `To the appeals unit:\n\nWe ask that you reconsider the denial of the services below.\n\nInsured: ${c.pt.full}\nBorn: ${fmtDate(r, c.dob)}\nSubscriber no.: ${mid}\nClaim ref: ${claim}\nRendering clinician NPI: ${npi(r)}\nPrimary ICD-10-CM: ${c.dx.code} ${c.dx.name}\n\nSvc date | HCPCS/CPT | Narrative | Amount\n${lines.map((l) => l.join(' | ')).join('\n')}\n\nThe records support medical necessity; chart excerpts are available.\n\n${signoff(r, c.clerk, 'Revenue cycle')}${footer(r, c.org)}` };
    }
    if (v === 1) {
      return { from: addr(`${c.org.name} Billing`, `statements@${c.org.domain}`), to: ptAddr(c.pt), subject: `Your statement from ${c.org.short}`, text:
        `Dear ${c.pt.first} ${c.pt.last},\n\nHere is your statement. Guarantor account ${digits(r, 3)}-${digits(r, 6)}.\n\nVisit on ${fmtDate(r, c.dos)} — ${c.proc.text} (${c.proc.cpt}) for ${c.dx.lay}\nCharged $${lines[0]![3]}; insurance paid $${money(r, 20, 60)}; you owe $${money(r, 15, 300)}\n\nPay online or call ${phone(r, c.org.area)}.\n\n${c.org.name} Patient Financial Services` };
    }
    return { from: from(c.clerk), to: addr(`${c.payer.name} Provider Relations`, `prov@${c.payer.domain}`), subject: `Corrected lines for ${claim}`, text: `Corrected service lines are in the attached file.\n\n${signoff(r, c.clerk, 'Revenue cycle')}`,
      atts: [{ name: `corrected_${claim}.csv`, type: 'text/csv', body: csv([['insured', 'birth', 'subscriber_no', 'claim_ref', 'svc_date', 'code', 'narrative', 'amount', 'icd10cm'], ...lines.map((l) => [c.pt.full, fmtDate(r, c.dob), mid, claim, l[0]!, l[1]!, l[2]!, l[3]!, c.dx.code])]) }] };
  },

  remittance_advice: (c) => {
    const { r } = c;
    const eft = `TRN*1*${digits(r, 10)}`;
    const n = int(r, 1, 4);
    const rows = Array.from({ length: n }, () => { const p = person(r); const pr = pick(r, [...PROCS, ...EM]); const ch = money(r, 90, 2400); return [`${p.last}, ${p.first}`, memberId(r, c.payer.pre), `PCN${digits(r, 9)}`, fmtDate(r, addDays(c.dos, -int(r, 5, 60))), pr.cpt, ch, (Number(ch) * 0.6).toFixed(2), pick(r, ['', 'CO-45 exceeds fee schedule', 'PR-2 coinsurance', 'CO-97 bundled'])]; });
    const head = ['Subscriber', 'Plan ID', 'Payer ctl no.', 'Svc date', 'Proc', 'Charged', 'Paid', 'Reason'];
    const v = int(r, 0, 1);
    const intro = `${c.payer.name} payment summary\nTrace ${eft}   Payee NPI ${npi(r)}   Issued ${fmtDate(r, c.dos)}`;
    if (v === 0) return { from: addr(c.payer.name, `era@${c.payer.domain}`), to: from(c.clerk), subject: `Payment summary ${eft.slice(6)}`, text: `${intro}\n\n${head.join(' | ')}\n${rows.map((x) => x.join(' | ')).join('\n')}\n\nDirect questions to provider relations.` };
    return { from: addr(c.payer.name, `era@${c.payer.domain}`), to: from(c.clerk), subject: `Remit ready — ${c.org.short}`, text: `${intro}\n\nLine detail attached.`, atts: [{ name: `remit_${eft.slice(6)}.csv`, type: 'text/csv', body: csv([head, ...rows]) }] };
  },

  rx_refill_request: (c) => {
    const { r } = c;
    const v = int(r, 0, 2);
    if (v === 0) {
      return { from: addr(PHARMACY.name, `renewals@${PHARMACY.domain}`), to: from(c.doc), subject: `Renewal needed: ${c.drug.name} for ${c.pt.last.toUpperCase()}`, text:
        `RENEWAL REQUEST — ${PHARMACY.name}\n\nCustomer: ${c.pt.full}\nBirthdate: ${fmtDate(r, c.dob)}\nCallback: ${phone(r, c.org.area)}\nProduct: ${c.drug.name} ${c.drug.form} (NDC ${ndc(r)})\nDirections: ${c.drug.sig}\nLast dispensed: ${fmtDate(r, c.dos)}\nPrescription no.: RX-${digits(r, 2)}-${digits(r, 6)}\nPrescriber NPI: ${npi(r)}\n\nReply AUTHORIZE or DECLINE.` };
    }
    if (v === 1) {
      return { from: ptAddr(c.pt), to: from(c.doc), subject: `running low on ${c.drug.name}`, text:
        `Hi Dr. ${c.doc.last},\n\nI'm down to my last few ${c.drug.name} and the pharmacy says I need a new script. I've been taking it for the ${c.dx.lay} like you said. My birthday is ${fmtDate(r, c.dob)} if you need it to find me.\n\nCould you send it to ${PHARMACY.name}?\n\nThank you!\n${c.pt.first}` };
    }
    return { from: from(c.clerk), to: from(c.doc), subject: `Med renewal — ${c.pt.full}`, text: `${c.doc.first},\n\n${c.pt.full} (record no. ${mrn(r)}) phoned for more ${c.drug.name} ${c.drug.form}. Last office visit ${fmtDate(r, c.dos)} for ${c.dx.lay}. Okay to renew x90 days with 1 refill?\n\n${c.clerk.first}, ${c.clerk.cred}` };
  },

  prior_authorization: (c) => {
    const { r } = c;
    const ref = `UM${c.dos.y}-${digits(r, 5)}`;
    const v = int(r, 0, 1);
    if (v === 0) {
      return { from: from(c.clerk), to: addr(`${c.payer.name} Utilization Review`, `ur@${c.payer.domain}`), subject: `Coverage review request — ${c.drug.name}`, text:
        `Coverage review request\n\nEnrollee: ${c.pt.full}\nBirth date: ${fmtDate(r, c.dob)}\nPlan identifier: ${memberId(r, c.payer.pre)}\nRequested item: ${c.drug.name} ${c.drug.form}, ${c.drug.sig}\nICD-10-CM: ${c.dx.code} (${c.dx.name})\nOrdering clinician NPI: ${npi(r)}\n\nClinical rationale: failed ${c.drug2.name} after ${int(r, 3, 12)} weeks; ${c.test.name.toLowerCase()} ${val(r, c.test)} ${c.test.unit}.\n\n${signoff(r, c.clerk, 'Authorization coordinator')}` };
    }
    const outcome = pick(r, ['APPROVED through ' + fmtDate(r, addDays(c.dos, 180)), 'NOT APPROVED — criteria for first-line therapy not met', 'MORE INFORMATION NEEDED']);
    return { from: addr(`${c.payer.name} Utilization Review`, `ur@${c.payer.domain}`), to: from(c.clerk), subject: `Review outcome ${ref}`, text:
      `Utilization review outcome — reference ${ref}\n\nBeneficiary: ${c.pt.last}, ${c.pt.first}\nMedicare no. (MBI): ${mbi(r, r() < 0.5)}\nBirth date: ${fmtDate(r, c.dob)}\nService reviewed: ${c.proc.text} (${c.proc.cpt})\nCondition submitted: ${c.dx.code}\n\nOutcome: ${outcome}\n\nPeer-to-peer discussion may be requested within 14 days.` };
  },

  appointment_followup: (c) => {
    const { r } = c;
    const when = addDays(c.dos, int(r, 7, 40));
    const v = int(r, 0, 1);
    if (v === 0) {
      return { from: addr(`${c.org.short} Front Desk`, `desk@${c.org.domain}`), to: ptAddr(c.pt), subject: `We've saved you a spot on ${MONTHS[when.m - 1]} ${when.d}`, text:
        `Hello ${c.pt.first},\n\nWe've set aside ${pick(r, ['8:15', '10:40', '1:20', '3:05'])} on ${MONTHS[when.m - 1]} ${when.d} with Dr. ${c.doc.last} to go over how your ${c.dx.lay} is doing since the last check.\n\nPlease arrive early and bring your ${c.drug.name} bottle.\n\nNeed a different time? Call ${phone(r, c.org.area)}.\n\n${c.org.name}` };
    }
    return { from: from(c.doc), to: from(c.clerk), subject: `Please book ${c.pt.last}`, text: `${c.clerk.first} — please book ${c.pt.full} (born ${fmtDate(r, c.dob)}) for a recheck of the ${c.dx.lay} in about ${int(r, 2, 6)} weeks, 30-minute slot.\n\nThanks,\n${c.doc.first}` };
  },

  care_coordination_thread: (c) => {
    const { r } = c;
    const sw = c.doc2;
    const first = `${c.doc.first},\n\nChecking in about ${c.pt.full}. The ${c.dx.lay} flared again last week and the ${c.drug.name} copay is the sticking point — ${c.he} told our team ${c.he} stopped it ${int(r, 5, 20)} days ago. Can your office look at ${c.drug2.name} instead?\n\n${sw.first}`;
    const second = `${sw.first},\n\nYes, I'll switch to ${c.drug2.name} and have the nurse call ${c.he === 'he' ? 'him' : 'her'}. Please keep the home visits going.\n\n${c.doc.first}`;
    const v = int(r, 0, 2);
    if (v === 0) {
      return { from: from(sw), to: from(c.doc), subject: `Re: ${c.pt.first} ${c.pt.last} — plan`, reply: true, text: `Thanks, that works.\n\n${sw.first}\n\n${c.doc.full} wrote on ${fmtDate(r, c.dos)}:\n${second.split('\n').map((l) => '> ' + l).join('\n')}\n>\n> ${sw.full} wrote:\n${first.split('\n').map((l) => '>> ' + l).join('\n')}` };
    }
    if (v === 1) {
      return { from: from(c.doc), to: from(c.clerk), subject: 'Fwd: thread for the huddle', text: `For Thursday's huddle — thread attached.\n\n${c.doc.first}`, inner: { from: from(sw), to: from(c.doc), subject: `Re: ${c.pt.last}`, text: `${second}\n\n--- earlier ---\n${first}` } };
    }
    return { from: from(sw), to: from(c.doc), cc: from(c.clerk), subject: `Coordination: ${c.pt.last} (${c.dx.code})`, text: first, form: 'html' };
  },

  patient_result_reply: (c) => {
    const { r } = c;
    const v = val(r, c.test);
    const q = `Dr. ${c.doc.last}, the portal shows my ${c.test.name.toLowerCase()} is ${v} and it's in red. Does this change anything for my ${c.dx.lay}?\n${c.pt.first}`;
    const ans = `${c.pt.first},\n\n${pick(r, ['Good question.', 'Thanks for reaching out.', 'I looked this over this morning.'])} Your ${c.test.name.toLowerCase()} of ${v}${c.test.unit ? " " + c.test.unit : ""} is ${pick(r, ['a little off', 'outside the usual range', 'not where I want it'])}; with your ${c.dx.lay} I'd like to ${pick(r, ['repeat it in a month', 'add a second test', 'adjust the dose'])} and keep the ${c.drug.name} for now.\n\n${pick(r, ['Take care,', 'Best,', 'Talk soon,'])}\nDr. ${c.doc.last}`;
    return { from: from(c.doc), to: ptAddr(c.pt), reply: true, subject: pick(r, ['Re: result question', 'Re: my test in the portal', 'RE: is this bad?']), text: `${ans}\n\n${fmtDate(r, c.dos)}, ${c.pt.full} <${c.pt.email}>:\n${q.split('\n').map((l) => '> ' + l).join('\n')}` };
  },

  patient_list_csv: (c) => {
    const { r } = c;
    const n = int(r, 5, 12);
    const rows = Array.from({ length: n }, () => { const p = person(r); const d = r() < 0.7 ? c.dx : pick(r, DX); return [p.last, p.first, fmtDate(r, date(r, 1940, 2005)), mrn(r), d.name, fmtDate(r, addDays(c.dos, -int(r, 30, 400))), r() < 0.4 ? mbi(r, r() < 0.5) : memberId(r, c.payer.pre)]; });
    return { from: from(c.clerk), to: from(c.doc), subject: pick(r, [`Registry pull — ${c.dx.lay}`, 'Panel overdue for recall', 'Outreach worksheet']), text: `${c.doc.first},\n\nThe registry pull for our ${c.dx.lay} panel is attached (${n} rows). Please mark who should be recalled.\n\n${signoff(r, c.clerk, 'Population health')}`,
      atts: [{ name: pick(r, ['registry_pull.csv', 'recall_worksheet.csv']), type: 'text/csv', body: csv([['Last', 'First', 'Birthdate', 'Chart ID', 'Problem', 'Last seen', 'Plan/MBI'], ...rows]) }] };
  },

  attachment_only_phi: (c) => {
    const { r } = c;
    const v = int(r, 0, 3);
    const cover = pick(r, ['Here is the file from this morning.', 'As discussed.', 'Sending over what you asked for.', 'Please see attached.']);
    const base: Draft = { from: from(c.clerk), to: from(c.doc2), subject: pick(r, ['document', 'As requested', 'file for you', 'scan']), text: `${cover}\n\n${c.clerk.first}` };
    const note = [`CLINIC NOTE — ${c.org.name}`, `${c.pt.full} | born ${fmtDate(r, c.dob)} | record ${mrn(r)}`, `Seen ${fmtDate(r, c.dos)}`, '',
      `Why here: recheck of ${c.dx.lay}.`, `Assessment: ${c.dx.name} (${c.dx.code}).`, `Plan: continue ${c.drug.name} ${c.drug.form}; order ${c.test.name.toLowerCase()}.`];
    if (v === 0) return { ...base, atts: [{ name: 'scan0041.pdf', type: 'application/pdf', body: pdf(note) }] };
    if (v === 1) return { ...base, atts: [{ name: 'note.txt', type: 'text/plain', body: note.join('\n') + '\n' }] };
    if (v === 2) return { ...base, atts: [{ name: 'export.csv', type: 'text/csv', body: csv([['Last', 'First', 'Birthdate', 'Chart ID', 'Problem'], [c.pt.last, c.pt.first, fmtDate(r, c.dob), mrn(r), c.dx.name], (() => { const p = person(r); return [p.last, p.first, fmtDate(r, date(r, 1940, 2005)), mrn(r), c.dx2.name]; })()]) }] };
    return { ...base, inner: { from: from(c.doc), to: from(c.clerk), subject: 'note', text: note.join('\n') } };
  },

  // ---- clean hard negatives ----
  health_newsletter: (c) => {
    const { r } = c;
    const d1 = c.dx, d2 = c.dx2;
    return { from: addr(`${c.org.short} Wellness Bulletin`, `bulletin@${c.org.domain}`), to: addr('Bulletin subscribers', `subscribers@${c.org.domain}`), subject: pick(r, [`Wellness Bulletin: spotlight on ${d1.lay}`, `${MONTHS[c.dos.m - 1]} Wellness Bulletin`]), form: pick(r, ['html', 'alt'] as const), text:
      `${c.org.name} Wellness Bulletin\n\nSpotlight: living well with ${d1.lay}\nMany people with ${d1.lay} lead full, active lives. Specialists sometimes recommend medicines such as ${c.drug.name}, and a ${c.test.name.toLowerCase()} may be used to track progress. Talk with your own clinician about what is right for you.\n\nDid you know? ${d2.lay[0]!.toUpperCase() + d2.lay.slice(1)} is rare — fewer than ${int(r, 2, 40)} in 100,000 people — but early recognition matters.\n\nThis bulletin is general information, not medical advice. Manage your subscription at https://www.${c.org.domain}/bulletin.` };
  },
  aggregate_statistics: (c) => {
    const { r } = c;
    const rows = Array.from({ length: int(r, 3, 6) }, () => { const d = pick(r, DX); return [d.code, d.name, String(int(r, 4, 900)), `${(r() * 20).toFixed(1)}%`, pick(r, ORGS).short]; });
    const head = ['Code', 'Label', 'Encounters', 'Readmit within 30d', 'Campus'];
    if (r() < 0.5) return { from: from(c.clerk), to: from(c.doc), subject: `Service line census, ${MONTHS[c.dos.m - 1]}`, text: `Colleagues,\n\nThis month's census by diagnosis group (counts only, no individual records):\n\n${head.join(' | ')}\n${rows.map((x) => x.join(' | ')).join('\n')}\n\n${signoff(r, c.clerk, 'Decision support')}` };
    return { from: from(c.clerk), to: from(c.doc), subject: 'Census extract (aggregate)', text: `Aggregate census extract attached; cells under 11 are suppressed.\n\n${c.clerk.full}`, atts: [{ name: 'census_aggregate.csv', type: 'text/csv', body: csv([head, ...rows]) }] };
  },
  pharma_device_sales: (c) => {
    const { r } = c;
    const brand = pick(r, ['Quelvora', 'Trenzadin', 'Ostravyx', 'Palumeq']);
    const dev = pick(r, ['the Corvanta wearable loop recorder', 'the Halcyra home spirometer']);
    const v = int(r, 0, 1);
    const rep = staff(r, { ...c.other, name: 'Brightfield Therapeutics', domain: 'brightfield-tx.example' }, ['']);
    if (v === 0) return { from: from(rep), to: from(c.doc), subject: `${brand} — access program update`, text: `Dr. ${c.doc.last},\n\nQuick note on ${brand} (${c.drug.name}) for adults with ${c.dx.lay}: our patient access program now covers the first 90 days. The prescriber number (NPI) we have listed for you is ${npi(r)} — reply if that is out of date.\n\nI'd welcome fifteen minutes at your next team lunch.\n\n${rep.full}\nKey Account Lead, Brightfield Therapeutics` };
    return { from: from(rep), to: from(c.doc), subject: `Demo: ${dev}`, text: `Hello Dr. ${c.doc.last},\n\nWe'd like to show ${dev} to your clinic. Summary sheet attached.\n\n${rep.full}`, atts: [{ name: 'product_sheet.pdf', type: 'application/pdf', body: pdf([`Product overview: ${dev}`, 'Indicated for adults under clinician supervision.', 'Accuracy: 97% agreement with the reference method (n=612).', 'Order line: 1-800-555-0199']) }] };
  },
  conference_cme: (c) => {
    const { r } = c;
    const s1 = person(r), s2 = person(r);
    const vign = r() < 0.4 ? `\nTeaching case: a ${int(r, 25, 80)}-year-old ${pick(r, ['man', 'woman'])} (details altered; no identifiers) presenting with ${c.dx.lay}.\n` : '';
    return { from: addr(`${c.org.short} Grand Rounds`, `grandrounds@${c.org.domain}`), to: addr('Medical staff', `medstaff@${c.org.domain}`), subject: pick(r, [`Grand Rounds: new thinking in ${c.dx.lay}`, `Symposium seats open — ${c.dx.lay}`]), text:
      `Grand Rounds — ${fmtDate(r, addDays(c.dos, 20))}, 7:30 am, Pavilion B lecture hall\n\nSpeakers: ${s1.full}, MD, PhD and ${s2.full}, PharmD\nTopic: diagnosis and current management of ${c.dx.lay}, including the role of ${c.drug.name}.\n${vign}\nAccreditation: up to 1.0 ANCC contact hour and 1.0 AMA PRA Category 1 Credit.\nRSVP: https://${c.org.domain}/rounds` };
  },
  research_abstract: (c) => {
    const { r } = c;
    const au = Array.from({ length: int(r, 3, 6) }, () => { const p = person(r); return `${p.last} ${p.first[0]}`; }).join(', ');
    return { from: addr('Northern Journal of Clinical Investigation', `digest@njci-journal.example`), to: from(c.doc), subject: pick(r, ['Journal digest: this week', `Online first: ${c.drug.name} in ${c.dx.lay}`]), text:
      `Online first\n\n${c.drug.name[0]!.toUpperCase() + c.drug.name.slice(1)} versus usual care in ${c.dx.lay}: a multicentre cohort\n${au}\n\nObjective: to compare outcomes with ${c.drug.name} and usual care.\nDesign: prospective cohort, ${int(r, 8, 60)} centres.\nParticipants: ${int(r, 300, 9000)} adults (median age ${int(r, 40, 70)}).\nFindings: the event rate was ${(r() * 20).toFixed(1)}% versus ${(r() * 20).toFixed(1)}% (rate ratio ${(0.5 + r() * 0.5).toFixed(2)}).\nInterpretation: ${c.drug.name} was associated with fewer events.\n\nFull text: https://njci-journal.example/a/${digits(r, 6)}` };
  },
  operations_notice: (c) => {
    const { r } = c;
    const v = int(r, 0, 3);
    const texts = [
      `Heads-up: the scheduling system will be offline ${fmtDate(r, c.dos)} from 23:00 to 02:00 for a database upgrade. Use the paper downtime packets in each unit.\n\nInformation Services`,
      `Garage C level 2 will be resurfaced next week. Staff parkers please use the overflow lot on Millrace Way; shuttles run every 10 minutes.\n\nFacilities Management`,
      `Reminder: the annual privacy and information-security module is due by ${fmtDate(r, addDays(c.dos, 30))}. It takes about 25 minutes and covers PHI handling, phishing and device locking.\n\nCompliance Office`,
      `Your catering order for the Tuesday board meeting is confirmed: 24 boxed lunches (6 vegetarian), fruit platter and coffee service at 11:45.\n\nOrchard Lane Catering`,
    ];
    return { from: addr(`${c.org.short} Announcements`, `announce@${c.org.domain}`), to: addr('All staff', `allstaff@${c.org.domain}`), subject: ['Planned downtime', 'Garage C resurfacing', 'Privacy module due', 'Catering confirmation'][v]!, text: texts[v]! };
  },
  staff_schedule: (c) => {
    const { r } = c;
    const rows = Array.from({ length: int(r, 5, 10) }, (_, i) => { const s = person(r); return [fmtDate(r, addDays(c.dos, i)), `${s.full}, ${pick(r, ['MD', 'DO', 'NP', 'CRNA'])}`, `pager ${digits(r, 4)}`, pick(r, ['nights', 'days', 'backup'])]; });
    const head = ['Day', 'Clinician on call', 'Contact', 'Coverage'];
    if (r() < 0.5) return { from: from(c.clerk), to: addr('Hospitalist group', `hospitalists@${c.org.domain}`), subject: 'On-call rota, next block', text: `Team,\n\nNext block's rota:\n\n${head.join(' | ')}\n${rows.map((x) => x.join(' | ')).join('\n')}\n\nSwaps through me please.\n\n${c.clerk.first}` };
    return { from: from(c.clerk), to: addr('Hospitalist group', `hospitalists@${c.org.domain}`), subject: 'Rota attached', text: 'Rota for the coming block is attached.', atts: [{ name: 'rota.csv', type: 'text/csv', body: csv([head, ...rows]) }] };
  },
  guideline_discussion: (c) => {
    const { r } = c;
    const a = `${c.doc2.first},\n\nHave you read the updated society statement on ${c.dx.lay}? It now puts ${c.drug.name} ahead of ${c.drug2.name} for most adults. Our order set still has it the other way round.\n\n${c.doc.first}`;
    const b = `I did. The evidence for the change is one trial of about ${int(r, 300, 2000)} people; I'd wait for the second before rewriting the order set, but let's put it on the P&T agenda.\n\n${c.doc2.first}`;
    return { from: from(c.doc2), to: from(c.doc), subject: `Re: new statement on ${c.dx.lay}`, reply: true, text: `${b}\n\nOn ${fmtDate(r, c.dos)}, ${c.doc.full} wrote:\n${a.split('\n').map((l) => '> ' + l).join('\n')}` };
  },
  job_posting: (c) => {
    const { r } = c;
    return { from: addr(`${c.org.short} Talent Acquisition`, `careers@${c.org.domain}`), to: addr('Nursing community', `nursing-list@${c.org.domain}`), subject: pick(r, ['Position open: Clinical Nurse II, Infusion Center', 'We are growing: float pool RNs wanted']), text:
      `${c.org.name} is recruiting registered nurses for our infusion center and float pool.\n\nWhat you bring: active RN license, two years of acute care, chemotherapy/biotherapy credential preferred.\nWhat we offer: 4x10 schedules, student-loan support, relocation up to $${int(r, 3, 9)},000.\n\nApply: https://${c.org.domain}/careers/${digits(r, 5)}` };
  },
  general_business: (c) => {
    const { r } = c;
    const v = int(r, 0, 1);
    if (v === 0) return { from: from(c.clerk), to: addr('Value analysis committee', `vac@${c.org.domain}`), subject: 'Value analysis committee — minutes', text: `Minutes, value analysis committee\n\nPresent: ${person(r).full}, ${person(r).full}, ${person(r).full}\n1. Suture contract renewal approved.\n2. Trial of single-use scopes deferred to next quarter.\n3. Budget variance: supplies ${int(r, 2, 9)}% over plan.\n\nNext meeting in four weeks.` };
    return { from: from(c.clerk), to: from(c.doc), subject: 'Budget variance, Q3', text: `${c.doc.first},\n\nQ3 operating budget: salaries on plan, purchased services $${int(r, 20, 90)},${digits(r, 3)} over. Please send a short explanation by Friday.\n\n${c.clerk.full}` };
  },

  // ---- pii_only ----
  payroll_hr: (c) => {
    const { r } = c;
    const e = person(r);
    return { from: addr(`${c.org.short} Payroll`, `payroll@${c.org.domain}`), to: from(c.clerk), subject: pick(r, ['Withholding correction', 'Garnishment set-up', 'Deposit reversal']), text:
      `${c.clerk.first},\n\nPlease correct the withholding record below before the next cycle.\n\nWorker: ${e.full}\nWorker no.: W-${digits(r, 6)}\nTax ID (SSN): ${ssn(r)}\nRouting: ${digits(r, 9)}   Acct: ${digits(r, int(r, 8, 12))}\nAdjustment: $${money(r, 40, 900)}\n\nPayroll Services` };
  },
  staff_directory: (c) => {
    const { r } = c;
    const rows = Array.from({ length: int(r, 5, 10) }, () => { const p = person(r); return [p.full, pick(r, ['RN', 'Tech', 'Clerk', 'PCA']), phone(r, c.org.area), street(r, c.org), p.email]; });
    return { from: from(c.clerk), to: addr('Unit team', `unit@${c.org.domain}`), subject: 'Phone chain (home numbers)', text: `Here is the updated phone chain for weather closures. Keep it private.\n\n${c.clerk.first}`, atts: [{ name: 'phone_chain.csv', type: 'text/csv', body: csv([['Team member', 'Title', 'Mobile', 'Residence', 'Home email'], ...rows]) }] };
  },
  new_hire_paperwork: (c) => {
    const { r } = c;
    const e = person(r);
    return { from: from(c.clerk), to: addr('Badge office', `badges@${c.org.domain}`), subject: `Pre-employment packet: ${e.full}`, text:
      `Pre-employment packet complete.\n\nGiven name: ${e.first}\nSurname: ${e.last}\nBirth date: ${fmtDate(r, date(r, 1965, 2003))}\nSocial Security no.: ${ssn(r)}\nResidence: ${street(r, c.org)}\nMobile: ${phone(r, c.org.area)}\nPersonal e-mail: ${e.email}\nStart: ${fmtDate(r, addDays(c.dos, 14))}\n\n${c.clerk.full}, Human Resources` };
  },
  vendor_tax_form: (c) => {
    const { r } = c;
    const e = person(r);
    return { from: from(c.clerk), to: addr('Accounts payable', `ap@${c.org.domain}`), subject: `1099-NEC prep — ${e.last}`, text:
      `For year-end 1099-NEC:\n\nPayee: ${e.full} (sole proprietor, ${pick(r, ['translation services', 'photography', 'landscaping'])})\nTaxpayer ID (SSN): ${ssn(r)}\nMailing address: ${street(r, c.org)}\nPhone: ${phone(r, c.org.area)}\nE-mail: ${e.email}\nNonemployee compensation: $${money(r, 900, 40000)}\n\n${c.clerk.first}` };
  },
};

/**
 * About `total` labelled messages over HOLDOUT_E_KINDS in the dev proportions, deterministic for a
 * seed: the same seed gives the same bytes.
 */
export function generateHoldoutE(seed = 41, total = 300): HoldoutEMessage[] {
  const r = prng(seed ^ 0xe5e5);
  seq = 0;
  const plan = planKinds(r, total);
  return plan.map(([label, kind], i) => {
    const org = pick(r, ORGS);
    const other = another(r, ORGS, org);
    const dx = pick(r, DX);
    const dx2 = another(r, DX, dx);
    const drug = pick(r, DRUGS);
    const drug2 = another(r, DRUGS, drug);
    const test = pick(r, TESTS);
    const test2 = another(r, TESTS, test);
    const dob = date(r, 1936, 2007);
    const he = pick(r, ['he', 'she']);
    const c: Ctx = {
      r, org, other, pt: person(r), dob, dos: date(r, 2025, 2025), dx, dx2, drug, drug2, test, test2, proc: pick(r, PROCS), em: pick(r, EM),
      doc: staff(r, org, ['MD', 'DO', 'NP']), doc2: staff(r, other, ['MD', 'DO', 'LCSW', 'RN']), clerk: staff(r, org, ['CCS', 'RHIA', 'LPN']),
      payer: pick(r, PAYERS), age: 2025 - dob.y, he, his: he === 'he' ? 'his' : 'her',
    };
    const raw = Buffer.from(message(r, W[kind]!(c), c.dos), 'utf8');
    return { file: `e${String(i + 1).padStart(4, '0')}.eml`, label, kind, raw };
  });
}
