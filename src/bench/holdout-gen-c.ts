// A third, independent generator of a labelled PHI corpus ("hold-out C"): about 300 synthetic
// outbound e-mails over the 28 kinds of ../shared/corpus/phi-dev in its proportions, in the style
// of US healthcare mail: EHR / patient-portal / payer / pharmacy / lab / radiology / pathology
// notifications, prior-authorization determinations, ERAs with CARC/RARC codes, claim appeals,
// referral letters, discharge summaries, patient replies, care-coordination threads with
// Outlook-style quoted history, rosters as CSV/TSV, attachment-only messages (PDF, TXT, CSV,
// message/rfc822), HTML-only and multipart/alternative bodies, quoted-printable and base64,
// utf-8 / iso-8859-1 / windows-1252. Written without reading the templates of holdout-gen.ts or
// holdout-gen-b.ts; its names, drugs, diagnoses, tests, procedures, ICD-10-CM / CPT / HCPCS codes,
// identifier formats and domains were checked absent from the dev corpus, the other generators and
// the lexicon when it was written. Each message is labelled as it is written.
// Everything is invented; every domain is under .example or .test.
// Used by `node dist/bench/eval-phi.js --holdout-c [SEED]` and test/policy/holdout-generated-c.test.ts.
// Trust level: developer tool; pure (seed in, messages out), no I/O.
import { prng } from '../smime/fuzz-enveloped.js';
import { type HoldoutLabel, type HoldoutMessage, HOLDOUT_KINDS, type Rand, pick, int, digits, chance, planKinds, another } from './holdout-common.js';
import { makePdf } from './holdout-gen.js';

/** This generator's names for the shared shapes (holdout-common.ts). */
export type HoldoutCLabel = HoldoutLabel;
export type HoldoutCMessage = HoldoutMessage;
export const HOLDOUT_C_KINDS = HOLDOUT_KINDS;





// ---- vocabularies (own lists) ----
const FIRST = ['Oriel', 'Thandiwe', 'Bastian', 'Eero', 'Leocadia', 'Dashiell', 'Yesenia', 'Tobiah', 'Ferdinand', 'Casimir',
  'Jedidiah', 'Hollis', 'Winnifred', 'Cornelius', 'Delphine', 'Osvaldo', 'Rhiannon', 'Lysander', 'Imelda', 'Evander',
  'Guadalupe', 'Zuleika', 'Bartholomew', 'Dorotea', 'Ulises', 'Birgitta', 'Wendell', 'Priyamvada', 'Maelle', 'Tobías'];
const LAST = ['Quarterman', 'Vandersloot', 'Brightwater', 'Dunleavy', 'Ekwueme', 'Gallardo', 'Hollingsworth', 'Jaworski',
  'Kettleborough', 'Mbatha', 'Nakagawa', "O'Shaughnessy", 'Quintanilla', 'Rasmussen', 'Szymanski', 'Thistlewood',
  'Underhill', 'Villanueva', 'Cheruiyot', 'Haverford', 'Jorgensen', 'Nwachukwu', 'Ostrowski', 'Rautenberg', 'Valdivia',
  'Wojcik', 'Xiong', 'Okonjo-Brand', 'Peñaloza', 'Åkerlund'];
const STAFF_FIRST = ['Marcy', 'Devin', 'Anjali', 'Roderick', 'Shauna', 'Terrence', 'Gwendolyn', 'Ibrahim', 'Colette', 'Nikhil'];
const STAFF_LAST = ['Faircloth', 'Bellweather', 'Ostergaard', 'Pruneda', 'Kilbride', 'Amsel', 'Treadwell', 'Sokolov', 'Mayhew', 'Gorski'];

interface Dx { name: string; code: string; lay: string }
const DX: Dx[] = [
  { name: 'eosinophilic esophagitis', code: 'K20.0', lay: 'food getting stuck when you swallow' },
  { name: 'pyoderma gangrenosum', code: 'L88', lay: 'the ulcer on your shin' },
  { name: 'idiopathic intracranial hypertension', code: 'G93.2', lay: 'pressure behind your eyes' },
  { name: 'wild-type transthyretin amyloid cardiomyopathy', code: 'E85.82', lay: 'the stiff heart muscle' },
  { name: 'primary biliary cholangitis', code: 'K74.3', lay: 'the bile duct problem in your liver' },
  { name: 'tardive dyskinesia', code: 'G24.01', lay: 'the lip and tongue movements' },
  { name: 'lupus nephritis', code: 'M32.14', lay: 'the lupus affecting your kidneys' },
  { name: 'generalized pustular psoriasis', code: 'L40.1', lay: 'the pustules on your trunk' },
  { name: 'prurigo nodularis', code: 'L28.1', lay: 'the itchy bumps on your arms' },
  { name: 'uterine leiomyoma', code: 'D25.9', lay: 'the fibroid' },
  { name: 'avascular necrosis of the right femoral head', code: 'M87.051', lay: 'the hip bone losing its blood supply' },
  { name: "Dupuytren's contracture", code: 'M72.0', lay: 'the cord pulling your ring finger down' },
  { name: 'keratoconus', code: 'H18.603', lay: 'the thinning of your corneas' },
  { name: 'central serous chorioretinopathy', code: 'H35.711', lay: 'the fluid under your retina' },
  { name: 'pilonidal cyst', code: 'L05.91', lay: 'the cyst at the base of your spine' },
  { name: 'vestibular neuritis', code: 'H81.21', lay: 'the inner-ear inflammation behind your dizziness' },
  { name: 'lichen sclerosus', code: 'L90.0', lay: 'the skin condition we biopsied' },
  { name: 'alopecia areata', code: 'L63.9', lay: 'the patchy hair loss' },
  { name: 'primary focal axillary hyperhidrosis', code: 'L74.510', lay: 'the underarm sweating' },
  { name: "Peyronie's disease", code: 'N48.6', lay: 'the curvature' },
  { name: 'chondrocalcinosis of the right knee', code: 'M11.261', lay: 'the crystal arthritis in your knee' },
  { name: 'pituitary microadenoma', code: 'D35.2', lay: 'the small growth on your pituitary' },
  { name: 'Wilson disease', code: 'E83.01', lay: 'the copper buildup' },
  { name: 'systemic mastocytosis', code: 'D47.02', lay: 'the mast cell condition' },
  { name: 'immune thrombocytopenia', code: 'D69.3', lay: 'your low platelet count' },
  { name: "adult-onset Still's disease", code: 'M06.1', lay: 'the fevers and joint pain' },
  { name: 'varicocele', code: 'I86.1', lay: 'the swollen vein' },
];
interface Drug { name: string; dose: string }
const DRUGS: Drug[] = [
  { name: 'tafamidis', dose: '61 mg capsule daily' }, { name: 'mavacamten', dose: '5 mg capsule daily' },
  { name: 'finerenone', dose: '20 mg tablet daily' }, { name: 'zuranolone', dose: '50 mg nightly x 14 days' },
  { name: 'fezolinetant', dose: '45 mg tablet daily' }, { name: 'vibegron', dose: '75 mg tablet daily' },
  { name: 'avacopan', dose: '30 mg twice daily' }, { name: 'voclosporin', dose: '23.7 mg twice daily' },
  { name: 'tapinarof 1% cream', dose: 'apply once daily' }, { name: 'opicapone', dose: '50 mg at bedtime' },
  { name: 'lumateperone', dose: '42 mg capsule daily' }, { name: 'pimavanserin', dose: '34 mg capsule daily' },
  { name: 'daridorexant', dose: '50 mg at bedtime' }, { name: 'atogepant', dose: '60 mg tablet daily' },
  { name: 'rimegepant', dose: '75 mg ODT as needed' }, { name: 'ensifentrine', dose: '3 mg nebulized twice daily' },
  { name: 'istradefylline', dose: '20 mg tablet daily' }, { name: 'elagolix', dose: '150 mg tablet daily' },
  { name: 'relugolix', dose: '40 mg combination tablet daily' }, { name: 'sotagliflozin', dose: '200 mg tablet daily' },
  { name: 'vericiguat', dose: '2.5 mg tablet daily' }, { name: 'bempedoic acid', dose: '180 mg tablet daily' },
  { name: 'valbenazine', dose: '40 mg capsule daily' }, { name: 'deutetrabenazine', dose: '6 mg twice daily' },
  { name: 'safinamide', dose: '50 mg tablet daily' }, { name: 'trospium', dose: '20 mg twice daily' },
  { name: 'lemborexant', dose: '5 mg at bedtime' }, { name: 'abrocitinib', dose: '100 mg tablet daily' },
];
const TESTS = [
  { name: 'fecal calprotectin', value: () => '412 mcg/g (ref <50)', flag: 'H' },
  { name: 'serum ceruloplasmin', value: () => '9 mg/dL (ref 20-35)', flag: 'L' },
  { name: 'methylmalonic acid', value: () => '0.91 umol/L (ref 0.00-0.40)', flag: 'H' },
  { name: 'baseline serum tryptase', value: () => '38.6 ng/mL (ref <11.5)', flag: 'H' },
  { name: 'chromogranin A', value: () => '244 ng/mL (ref <93)', flag: 'H' },
  { name: 'aldosterone/renin ratio', value: () => '41 (ref <20)', flag: 'H' },
  { name: 'cystatin C', value: () => '1.84 mg/L (ref 0.53-0.95)', flag: 'H' },
  { name: 'fructosamine', value: () => '338 umol/L (ref 200-285)', flag: 'H' },
  { name: 'beta-2 microglobulin', value: () => '3.9 mg/L (ref 0.8-2.2)', flag: 'H' },
  { name: 'anti-PLA2R antibody', value: () => '96 RU/mL (ref <14)', flag: 'H' },
  { name: 'tissue transglutaminase IgA', value: () => '3 U/mL (ref <15)', flag: '' },
  { name: 'complement C3', value: () => '61 mg/dL (ref 90-180)', flag: 'L' },
];
const PROCS = [
  { name: 'peroral endoscopic myotomy', cpt: '43497' }, { name: 'endobronchial ultrasound with needle sampling', cpt: '31652' },
  { name: 'genicular nerve radiofrequency ablation', cpt: '64624' }, { name: 'hysteroscopic myomectomy', cpt: '58561' },
  { name: 'sacral nerve stimulator trial', cpt: '64561' }, { name: 'balloon dilation of the maxillary sinus', cpt: '31295' },
  { name: 'cardiac MRI with contrast', cpt: '75561' }, { name: 'bone density study', cpt: '77080' },
  { name: 'tilt-table study', cpt: '93660' }, { name: 'videonystagmography', cpt: '92540' },
  { name: 'transcatheter edge-to-edge mitral repair', cpt: '33418' }, { name: 'ultrasound-guided knee arthrocentesis', cpt: '20611' },
];
const HCPCS = ['J1302', 'J3241', 'E0486', 'L1833'];
const CARC = [['45', 'Charge exceeds fee schedule'], ['16', 'Claim lacks information needed for adjudication'], ['197', 'Precertification/authorization absent'], ['2', 'Coinsurance amount'], ['3', 'Co-payment amount']];
const RARC = ['N30', 'M127', 'N386', 'MA130'];

interface Org { name: string; domain: string; city: string; st: string; zip: string }
const ORGS: Org[] = [
  { name: 'Lakeshore Health Partners', domain: 'lakeshorehealth.example', city: 'Racine', st: 'WI', zip: '53403' },
  { name: 'Bluestem Medical Group', domain: 'bluestem-med.test', city: 'Salina', st: 'KS', zip: '67401' },
  { name: 'Corvalis Regional Hospital', domain: 'corvalis-regional.example', city: 'Corvallis', st: 'OR', zip: '97330' },
  { name: 'Kestrel Valley Clinic', domain: 'kestrel-health.test', city: 'Bozeman', st: 'MT', zip: '59715' },
  { name: 'Harbor Ridge Specialty Care', domain: 'harborridge-care.example', city: 'Mobile', st: 'AL', zip: '36604' },
  { name: 'Sagebrush Family Medicine', domain: 'sagebrushfm.test', city: 'Elko', st: 'NV', zip: '89801' },
];
const PAYERS = [
  { name: 'Meridian Crest Health Plan', domain: 'meridiancrest-plan.example' },
  { name: 'Northfork Mutual Benefits', domain: 'northfork-benefits.test' },
  { name: 'Copperline Medicare Advantage', domain: 'copperline-ma.example' },
];
const LABS = [{ name: 'Cobalt Path Diagnostics', domain: 'cobaltpath-dx.example' }, { name: 'Sagebrush Reference Lab', domain: 'sagebrush-lab.test' }];
const PHARM = [{ name: 'Harborview Rx', domain: 'harborview-rx.example' }, { name: 'Tamarack Specialty Pharmacy', domain: 'tamarack-sprx.test' }];
const MAILHOSTS = ['quillmail.example', 'postbox-net.test', 'yarrowmail.example'];
const SPECIALTY = ['gastroenterology', 'rheumatology', 'neuro-ophthalmology', 'cardiology', 'dermatology', 'hepatology', 'urology', 'orthopedics', 'otolaryngology'];

// ---- identifiers ----
const MBI_L = 'ACDEFGHJKMNPQRTUVWXY';
function mbi(r: Rand): string {
  const L = () => pick(r, [...MBI_L]);
  const A = () => (chance(r, 0.5) ? L() : String(int(r, 0, 9)));
  const s = `${int(r, 1, 9)}${L()}${A()}${int(r, 0, 9)}${L()}${A()}${int(r, 0, 9)}${L()}${L()}${int(r, 0, 9)}${int(r, 0, 9)}`;
  return chance(r, 0.5) ? `${s.slice(0, 4)}-${s.slice(4, 7)}-${s.slice(7)}` : s;
}
function luhnNpi(r: Rand): string {
  const base = `${pick(r, ['1', '2'])}${digits(r, 8)}`;
  const s = '80840' + base;
  let sum = 0;
  for (let i = 0; i < s.length; i++) {
    let d = Number(s[s.length - 1 - i]);
    if (i % 2 === 0) { d *= 2; if (d > 9) d -= 9; }
    sum += d;
  }
  return base + String((10 - (sum % 10)) % 10);
}
function loinc(r: Rand): string {
  const n = String(int(r, 10000, 99999));
  // mod-10 (Luhn) check digit over the number
  let sum = 0;
  for (let i = 0; i < n.length; i++) {
    let d = Number(n[n.length - 1 - i]);
    if (i % 2 === 0) { d *= 2; if (d > 9) d -= 9; }
    sum += d;
  }
  return `${n}-${(10 - (sum % 10)) % 10}`;
}
const ndc = (r: Rand) => `${digits(r, 5)}-${digits(r, 4)}-${digits(r, 2)}`;
const mrn = (r: Rand) => pick(r, [() => `H${digits(r, 3)}-${digits(r, 4)}`, () => `${digits(r, 2)}.${digits(r, 3)}.${digits(r, 3)}`, () => `KV${digits(r, 8)}`, () => `000${digits(r, 6)}`])();
const MRN_LABEL = ['MRN', 'Med Rec #', 'Medical Record Number', 'MRN/EHR ID', 'Pt MRN'];
const memberId = (r: Rand) => pick(r, [() => `MCQ${digits(r, 9)}`, () => `NFB-${digits(r, 4)}-${digits(r, 5)}`, () => `W${digits(r, 10)}`, () => `${digits(r, 3)}X${digits(r, 6)}01`])();
const MEMBER_LABEL = ['Member ID', 'Subscriber ID', 'Member #', 'ID No.', 'Cardholder ID'];
const claimNo = (r: Rand) => pick(r, [() => `${digits(r, 4)}${int(r, 100, 365)}${digits(r, 6)}`, () => `CLM-${digits(r, 2)}-${digits(r, 7)}`, () => `E${digits(r, 12)}`])();
const acctNo = (r: Rand) => pick(r, [() => `GA${digits(r, 7)}`, () => `${digits(r, 3)}-${digits(r, 6)}`, () => `HB${digits(r, 9)}`])();
const phone = (r: Rand) => pick(r, [() => `(${int(r, 201, 989)}) 555-01${digits(r, 2)}`, () => `${int(r, 201, 989)}.${int(r, 200, 899)}.${digits(r, 4)}`, () => `+1 ${int(r, 201, 989)} ${int(r, 200, 899)} ${digits(r, 4)}`, () => `${int(r, 201, 989)}-555-01${digits(r, 2)}`])();
function ssn(r: Rand): string {
  const area = chance(r, 0.6) ? int(r, 1, 899) : pick(r, [0, int(r, 900, 999)]);
  const a = String(area === 666 ? 667 : area).padStart(3, '0');
  const s = `${a}-${String(int(r, 1, 99)).padStart(2, '0')}-${String(int(r, 1, 9999)).padStart(4, '0')}`;
  return pick(r, [s, s, s.replace(/-/g, ' '), s.replace(/-/g, '')]);
}
const STREETS = ['Quillan Ct', 'Marsh Hawk Rd', 'Ebberly Ave', 'Sorrel Bend Dr', 'Tansy Ln', 'Ridgefold Way', 'Old Cannery Rd'];
const address = (r: Rand) => `${int(r, 12, 9899)} ${pick(r, STREETS)}${chance(r, 0.3) ? `, Unit ${int(r, 1, 40)}` : ''}, ${pick(r, ORGS).city}, ${pick(r, ORGS).st} ${digits(r, 5)}`;

const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];
interface D { y: number; m: number; d: number }
const date = (r: Rand, y0: number, y1: number): D => ({ y: int(r, y0, y1), m: int(r, 1, 12), d: int(r, 1, 28) });
const p2 = (n: number) => String(n).padStart(2, '0');
function fmt(r: Rand, x: D): string {
  return pick(r, [
    () => `${p2(x.m)}/${p2(x.d)}/${x.y}`, () => `${x.m}/${x.d}/${x.y}`, () => `${x.y}-${p2(x.m)}-${p2(x.d)}`,
    () => `${MONTHS[x.m - 1]} ${x.d}, ${x.y}`, () => `${p2(x.d)}-${MONTHS[x.m - 1]!.slice(0, 3)}-${x.y}`, () => `${p2(x.m)}-${p2(x.d)}-${x.y}`,
  ])();
}

interface Person { first: string; last: string; full: string; email: string }
function person(r: Rand): Person {
  const first = pick(r, FIRST);
  const last = pick(r, LAST);
  const mi = chance(r, 0.3) ? ` ${String.fromCharCode(65 + int(r, 0, 25))}.` : '';
  const plain = (s: string) => s.normalize('NFD').replace(/[^A-Za-z]/g, '').toLowerCase();
  return { first, last, full: `${first}${mi} ${last}`, email: `${plain(first)}.${plain(last)}${int(r, 1, 99)}@${pick(r, MAILHOSTS)}` };
}
interface Staff { first: string; last: string; full: string; email: string; cred: string }
function staff(r: Rand, org: Org, creds = ['MD', 'DO', 'NP', 'PA-C', 'RN', 'MSN, RN', 'FNP-BC']): Staff {
  const first = pick(r, STAFF_FIRST);
  const last = pick(r, STAFF_LAST);
  return { first, last, full: `${first} ${last}`, email: `${first[0]!.toLowerCase()}${last.toLowerCase()}@${org.domain}`, cred: pick(r, creds) };
}

// ---- MIME assembly ----
interface Att { filename: string; type: string; data: Buffer; rfc822?: boolean }
interface Draft {
  from: string; to: string; cc?: string; subject: string;
  text: string; html?: string | boolean; htmlOnly?: boolean;
  atts?: Att[]; replyTo?: boolean; bulk?: boolean;
}
let seq = 0;
const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const crlf = (s: string) => s.replace(/\r?\n/g, '\r\n');

function qp(buf: Buffer): string {
  const lines: string[] = [];
  let line = '';
  const flush = (soft: boolean) => { lines.push(line + (soft ? '=' : '')); line = ''; };
  for (let i = 0; i < buf.length; i++) {
    const c = buf[i]!;
    if (c === 13 && buf[i + 1] === 10) { flush(false); i++; continue; }
    let t = (c >= 33 && c <= 126 && c !== 61) || c === 32 ? String.fromCharCode(c) : '=' + c.toString(16).toUpperCase().padStart(2, '0');
    if (c === 32 && (buf[i + 1] === 13 || i + 1 === buf.length)) t = '=20';
    if (line.length + t.length > 75) flush(true);
    line += t;
  }
  lines.push(line);
  return lines.join('\r\n');
}
const b64 = (buf: Buffer) => buf.toString('base64').replace(/.{76}/g, '$&\r\n');
function encodeText(charset: string, s: string): Buffer {
  if (charset === 'utf-8') return Buffer.from(s, 'utf8');
  // iso-8859-1 / windows-1252: map the few characters we use
  const out: number[] = [];
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (c < 256) out.push(c);
    else if (charset === 'windows-1252' && ch === '\u2019') out.push(0x92);
    else if (charset === 'windows-1252' && ch === '\u2013') out.push(0x96);
    else out.push(63);
  }
  return Buffer.from(out);
}
function textPart(r: Rand, subtype: 'plain' | 'html', body: string): string {
  const charset = pick(r, ['utf-8', 'utf-8', 'iso-8859-1', 'windows-1252', 'us-ascii']);
  const cs = charset === 'us-ascii' && /[^\x00-\x7f]/.test(body) ? 'utf-8' : charset;
  const buf = encodeText(cs, crlf(body));
  const cte = /[^\x00-\x7f]/.test(buf.toString('latin1')) ? pick(r, ['quoted-printable', 'base64']) : pick(r, ['7bit', 'quoted-printable', 'base64']);
  const enc = cte === 'base64' ? b64(buf) : cte === 'quoted-printable' ? qp(buf) : buf.toString('latin1');
  return `Content-Type: text/${subtype}; charset="${cs}"\r\nContent-Transfer-Encoding: ${cte}\r\n\r\n${enc}\r\n`;
}
function toHtml(text: string): string {
  const paras = text.split(/\n{2,}/).map((p) => `<p>${esc(p).replace(/\n/g, '<br>\n')}</p>`);
  return `<html><head><meta http-equiv="Content-Type" content="text/html"></head><body style="font-family:Segoe UI,Arial;font-size:10.5pt">\n${paras.join('\n')}\n</body></html>`;
}
function subjectHeader(r: Rand, s: string): string {
  if (/[^\x00-\x7f]/.test(s) || chance(r, 0.1)) return `=?utf-8?B?${Buffer.from(s, 'utf8').toString('base64')}?=`;
  return s;
}
const DAYS = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri'];
const dateHeader = (r: Rand) => `${pick(r, DAYS)}, ${int(r, 1, 28)} ${pick(r, ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct'])} 2025 ${p2(int(r, 6, 19))}:${p2(int(r, 0, 59))}:${p2(int(r, 0, 59))} ${pick(r, ['-0500', '-0600', '-0700', '-0400'])}`;
function attPart(r: Rand, a: Att): string {
  if (a.rfc822) return `Content-Type: message/rfc822\r\nContent-Disposition: attachment; filename="${a.filename}"\r\n\r\n${a.data.toString('utf8')}\r\n`;
  const textual = a.type.startsWith('text/');
  const cte = textual ? pick(r, ['base64', 'quoted-printable', '7bit']) : 'base64';
  const enc = cte === 'base64' ? b64(a.data) : cte === 'quoted-printable' ? qp(a.data) : a.data.toString('latin1');
  return `Content-Type: ${a.type}${textual ? '; charset="utf-8"' : ''}; name="${a.filename}"\r\nContent-Transfer-Encoding: ${cte}\r\nContent-Disposition: attachment; filename="${a.filename}"\r\n\r\n${enc}\r\n`;
}
function assemble(r: Rand, d: Draft): Buffer {
  seq++;
  const host = d.from.replace(/.*@/, '').replace(/>.*/, '');
  const head = [`From: ${d.from}`, `To: ${d.to}`];
  if (d.cc) head.push(`Cc: ${d.cc}`);
  head.push(`Subject: ${subjectHeader(r, d.subject)}`, `Date: ${dateHeader(r)}`, `Message-ID: <c${seq}.${digits(r, 8)}@${host}>`, 'MIME-Version: 1.0');
  if (d.replyTo) head.push(`In-Reply-To: <prev${seq}@${host}>`, `References: <prev${seq}@${host}>`);
  if (d.bulk) head.push(`List-Unsubscribe: <mailto:leave@${host}>`);
  const html = d.html === true ? toHtml(d.text) : typeof d.html === 'string' ? d.html : undefined;
  let body: string;
  const mode = d.htmlOnly ? 'html' : html ? pick(r, ['alt', 'alt', 'html']) : 'plain';
  if (mode === 'plain') body = textPart(r, 'plain', d.text);
  else if (mode === 'html') body = textPart(r, 'html', html ?? toHtml(d.text));
  else {
    const b = `----=_Alt_${digits(r, 10)}`;
    body = `Content-Type: multipart/alternative; boundary="${b}"\r\n\r\n--${b}\r\n${textPart(r, 'plain', d.text)}--${b}\r\n${textPart(r, 'html', html!)}--${b}--\r\n`;
  }
  if (!d.atts?.length) return Buffer.from(head.join('\r\n') + '\r\n' + body, 'latin1');
  const b = `----=_Mix_${digits(r, 12)}`;
  const parts = [body, ...d.atts.map((a) => attPart(r, a))];
  return Buffer.from(head.join('\r\n') + `\r\nContent-Type: multipart/mixed; boundary="${b}"\r\n\r\n` + parts.map((p) => `--${b}\r\n${p}`).join('') + `--${b}--\r\n`, 'latin1');
}
const csvAtt = (name: string, rows: string[][], sep = ','): Att => ({
  filename: name, type: sep === '\t' ? 'text/tab-separated-values' : 'text/csv',
  data: Buffer.from(rows.map((row) => row.map((c) => (sep === ',' && /[",]/.test(c) ? `"${c.replace(/"/g, '""')}"` : c)).join(sep)).join('\r\n') + '\r\n', 'utf8'),
});
const txtAtt = (name: string, text: string): Att => ({ filename: name, type: 'text/plain', data: Buffer.from(crlf(text), 'utf8') });
const pdfAtt = (name: string, title: string, lines: string[]): Att => ({ filename: name, type: 'application/pdf', data: makePdf(lines, title) });
function fwdAtt(r: Rand, name: string, from: string, to: string, subject: string, body: string): Att {
  const raw = `From: ${from}\r\nTo: ${to}\r\nSubject: ${subjectHeader(r, subject)}\r\nDate: ${dateHeader(r)}\r\nMIME-Version: 1.0\r\n${textPart(r, 'plain', body)}`;
  return { filename: name, type: 'message/rfc822', data: Buffer.from(raw, 'latin1'), rfc822: true };
}
const addr = (name: string, email: string) => `${/[^\x00-\x7f]/.test(name) ? `=?utf-8?Q?${[...Buffer.from(name, 'utf8')].map((c) => (c > 127 || c === 32 || c === 61 || c === 63 ? '=' + c.toString(16).toUpperCase() : String.fromCharCode(c))).join('')}?=` : `"${name}"`} <${email}>`;
const sig = (s: Staff, org: Org, r: Rand) => `${s.full}, ${s.cred}\n${org.name}\n${phone(r)}`;
const FOOTER = ['', '', '\n\nCONFIDENTIALITY NOTICE: This e-mail may contain protected health information (PHI) under HIPAA. If you received it in error, notify the sender and delete it.', '\n\nThis message is intended only for the addressee and may contain privileged information protected by federal and state privacy law.'];

// ---- per-message context ----
interface Ctx {
  r: Rand; org: Org; other: Org; pt: Person; dob: D; dos: D; dx: Dx; dx2: Dx; drug: Drug; drug2: Drug;
  test: typeof TESTS[number]; test2: typeof TESTS[number]; proc: typeof PROCS[number]; doc: Staff; doc2: Staff; clerk: Staff;
  payer: typeof PAYERS[number]; age: number; sex: string;
}
type Writer = (c: Ctx) => Draft;
const f = (c: Ctx) => pick(c.r, FOOTER);
const from = (s: Staff) => addr(`${s.full}, ${s.cred}`, s.email);
const pron = (c: Ctx) => (c.sex === 'F' ? ['She', 'her'] : ['He', 'his']);

// ---------- PHI writers ----------
const referral: Writer = (c) => {
  const { r } = c;
  const spec = pick(r, SPECIALTY);
  const [He, his] = pron(c);
  const v = int(r, 0, 2);
  if (v === 0) return {
    from: from(c.doc), to: addr(`${c.doc2.full}, ${c.doc2.cred}`, c.doc2.email), subject: `Referral - ${c.pt.last}, ${c.pt.first} - ${spec}`, html: true,
    text: `Dr. ${c.doc2.last},\n\nI would appreciate your seeing ${c.pt.full} (DOB ${fmt(r, c.dob)}, ${pick(r, MRN_LABEL)} ${mrn(r)}) in ${spec} consultation. ${He} is a ${c.age}-year-old with ${c.dx.name} that has progressed despite ${c.drug.name}. Most recent ${c.test.name} was ${c.test.value()}.\n\nInsurance: ${c.payer.name}, ${pick(r, MEMBER_LABEL)} ${memberId(r)}. Best number for the patient is ${phone(r)}.\n\nThank you,\n${sig(c.doc, c.org, r)}${f(c)}`,
  };
  if (v === 1) return {
    from: addr(`${c.org.name} Referrals`, `referrals@${c.org.domain}`), to: addr(`${c.other.name} Intake`, `intake@${c.other.domain}`), subject: `Outgoing referral ${digits(r, 7)} (${spec})`,
    text: `OUTGOING REFERRAL\nReferral ID: ${digits(r, 7)}\nPatient: ${c.pt.last.toUpperCase()}, ${c.pt.first.toUpperCase()}   Sex: ${c.sex}   DOB: ${fmt(r, c.dob)}\nPlan: ${c.payer.name}   ${pick(r, MEMBER_LABEL)}: ${memberId(r)}\nReferring provider: ${c.doc.full}, ${c.doc.cred} (NPI ${luhnNpi(r)})\nReferred to: ${spec}, ${c.other.name}\nDiagnosis: ${c.dx.code} ${c.dx.name}\nReason: evaluate for ${c.proc.name}; current med ${c.drug.name} ${c.drug.dose}\nVisits authorized: ${int(r, 1, 6)}\n${f(c)}`,
  };
  return {
    from: from(c.doc), to: addr(`${c.other.name} Scheduling`, `scheduling@${c.other.domain}`), subject: `New patient referral for ${c.pt.full}`,
    text: `Hello,\n\nPlease schedule ${c.pt.first} ${c.pt.last} with your ${spec} team. The referral letter and last two office notes are attached. ${his[0]!.toUpperCase() + his.slice(1)} chief concern is ${c.dx.lay}.\n\nThanks,\n${c.doc.full}`,
    atts: [pdfAtt('referral_letter.pdf', `${c.org.name} - Referral`, [`Patient: ${c.pt.full}`, `Date of birth: ${fmt(r, c.dob)}`, `${pick(r, MRN_LABEL)}: ${mrn(r)}`, `Diagnosis: ${c.dx.name} (${c.dx.code})`, `Medications: ${c.drug.name} ${c.drug.dose}; ${c.drug2.name}`, `Request: ${spec} consultation`])],
  };
};
const discharge: Writer = (c) => {
  const { r } = c;
  const adm = fmt(r, c.dos);
  const body = `DISCHARGE SUMMARY\n${c.org.name}\n\nPatient: ${c.pt.full}\n${pick(r, MRN_LABEL)}: ${mrn(r)}   DOB: ${fmt(r, c.dob)}\nAdmission date: ${adm}   Discharge date: ${fmt(r, c.dos)}\nAttending: ${c.doc.full}, ${c.doc.cred}\n\nPrincipal diagnosis: ${c.dx.name} (${c.dx.code})\nSecondary: ${c.dx2.name}\n\nHospital course: Admitted for ${c.dx.lay}; started on ${c.drug.name}. ${c.test.name} on day 2 was ${c.test.value()}. Underwent ${c.proc.name} without complication.\n\nDischarge medications:\n- ${c.drug.name} ${c.drug.dose}\n- ${c.drug2.name} ${c.drug2.dose}\n\nFollow-up: PCP within 7 days; ${pick(r, SPECIALTY)} in 3 weeks.`;
  const v = int(r, 0, 2);
  if (v === 0) return { from: from(c.doc), to: addr(`${c.doc2.full}, ${c.doc2.cred}`, c.doc2.email), subject: `Transition of care: ${c.pt.last} discharged ${adm}`, text: body + f(c), html: true };
  if (v === 1) return { from: addr('HIM Department', `him@${c.org.domain}`), to: addr(`${c.other.name} Records`, `records@${c.other.domain}`), subject: 'Discharge summary for your patient', text: `Attached is the discharge summary for ${c.pt.full}, seen by your practice, discharged from ${c.org.name}.\n\nHealth Information Management${f(c)}`, atts: [pdfAtt('dc_summary.pdf', 'Discharge Summary', body.split('\n'))] };
  return { from: from(c.doc), to: addr(`${c.doc2.full}`, c.doc2.email), subject: `TOC summary - ${c.pt.full}`, text: body, htmlOnly: true, html: toHtml(body) };
};
const labResult: Writer = (c) => {
  const { r } = c;
  const lab = pick(r, LABS);
  const acc = `${pick(r, ['SL', 'CP', 'A'])}${digits(r, 2)}-${digits(r, 6)}`;
  const v = int(r, 0, 3);
  if (v === 0) return {
    from: addr(`${lab.name} Results`, `results@${lab.domain}`), to: from(c.doc), subject: `Final result: ${c.pt.last}, ${c.pt.first}`, html: true,
    text: `RESULT NOTIFICATION - FINAL\nPatient: ${c.pt.last}, ${c.pt.first}   DOB ${fmt(r, c.dob)}\nAccession: ${acc}   Collected: ${fmt(r, c.dos)}\nOrdering: ${c.doc.full}, ${c.doc.cred}\n\n${c.test.name}: ${c.test.value()} ${c.test.flag}\n${c.test2.name}: ${c.test2.value()} ${c.test2.flag}\nLOINC ${loinc(r)}\n${f(c)}`,
  };
  if (v === 1) return {
    from: addr(`${lab.name}`, `noreply@${lab.domain}`), to: from(c.doc), subject: `Results batch ${digits(r, 5)}`,
    text: `${c.doc.full}, results from today's run are attached.\n\n${lab.name} client services`,
    atts: [csvAtt('results.csv', [['Patient Name', 'DOB', 'Accession', 'Test', 'Result', 'Flag'], [c.pt.full, fmt(r, c.dob), acc, c.test.name, c.test.value(), c.test.flag], [person(r).full, fmt(r, date(r, 1940, 2000)), `${acc.slice(0, 4)}${digits(r, 6)}`, c.test2.name, c.test2.value(), c.test2.flag]])],
  };
  if (v === 2) return {
    from: addr(`${lab.name} Client Services`, `clientservices@${lab.domain}`), to: from(c.doc), subject: 'Specimen issue - recollection needed',
    text: `Hello,\n\nThe ${c.test.name} specimen for ${c.pt.full} (DOB ${fmt(r, c.dob)}) collected ${fmt(r, c.dos)} was hemolyzed and could not be run. Please have the patient return for a redraw; the order remains open under accession ${acc}.\n\n${lab.name} Client Services\n${phone(r)}`,
  };
  return {
    from: from(c.doc), to: addr(`${c.clerk.full}`, c.clerk.email), subject: `Abnormal ${c.test.name} - please call`,
    text: `${c.clerk.first},\n\n${c.pt.full}'s ${c.test.name} came back at ${c.test.value()}. Can you call ${pron(c)[1] === 'her' ? 'her' : 'him'} at ${phone(r)} and get ${pron(c)[1] === 'her' ? 'her' : 'him'} in this week? ${pick(r, MRN_LABEL)} ${mrn(r)}.\n\n${c.doc.first}`,
  };
};
const pathology: Writer = (c) => {
  const { r } = c;
  const lines = [`SURGICAL PATHOLOGY REPORT`, `Patient: ${c.pt.full}   DOB: ${fmt(r, c.dob)}`, `${pick(r, MRN_LABEL)}: ${mrn(r)}   Accession: SP-${digits(r, 2)}-${digits(r, 5)}`, `Received: ${fmt(r, c.dos)}`, 'SPECIMEN: skin, left forearm, punch biopsy',
    `GROSS: a 4 mm tan punch, bisected and entirely submitted`, `MICROSCOPIC: dense dermal neutrophilic infiltrate with undermining ulceration`, `FINAL DIAGNOSIS: findings consistent with ${c.dx.name}; no malignancy identified`, `Electronically signed: ${c.doc2.full}, ${c.doc2.cred}`];
  const v = int(r, 0, 2);
  if (v === 0) return { from: addr(`${c.other.name} Pathology`, `pathology@${c.other.domain}`), to: from(c.doc), subject: `Surgical pathology final - ${c.pt.last}`, text: lines.join('\n') + f(c) };
  if (v === 1) return { from: addr(`${c.other.name} Pathology`, `pathology@${c.other.domain}`), to: from(c.doc), subject: 'Pathology report available', text: `Dr. ${c.doc.last},\n\nThe final report is attached.\n\nAnatomic Pathology`, atts: [pdfAtt('path_report.pdf', 'Pathology', lines)] };
  return { from: from(c.doc2), to: from(c.doc), subject: `Biopsy - ${c.pt.first} ${c.pt.last}`, text: `${c.doc.first}, the biopsy on ${c.pt.full} (${c.age}${c.sex}) you sent last week shows ${c.dx.name}. Margins are clear. Full report to follow in the chart.\n\n${c.doc2.full}, ${c.doc2.cred}`, html: true };
};
const radiology: Writer = (c) => {
  const { r } = c;
  const exam = pick(r, ['MRI BRAIN AND ORBITS WITHOUT AND WITH CONTRAST', 'CT ABDOMEN/PELVIS WITH CONTRAST', 'MRI RIGHT HIP WITHOUT CONTRAST', 'XR BILATERAL KNEES 3 VIEWS', 'ECHOCARDIOGRAM COMPLETE']);
  const rep = `EXAM: ${exam}\nPatient: ${c.pt.last}, ${c.pt.first}   DOB: ${fmt(r, c.dob)}   ${pick(r, MRN_LABEL)}: ${mrn(r)}\nDate of exam: ${fmt(r, c.dos)}\nHISTORY: ${c.dx.lay}; known ${c.dx.name}\nFINDINGS: ${pick(r, ['Flattening of the posterior globes and partially empty sella.', 'Subchondral crescent lucency without collapse.', 'Biventricular wall thickening with a granular sparkling myocardium.', 'Mild joint space narrowing with meniscal calcification.'])}\nIMPRESSION: Findings compatible with ${c.dx.name}.\nRead by: ${c.doc2.full}, ${c.doc2.cred}`;
  const v = int(r, 0, 2);
  if (v === 0) return { from: addr(`${c.other.name} Imaging`, `imaging@${c.other.domain}`), to: from(c.doc), subject: `Imaging report: ${c.pt.last}, ${c.pt.first}`, text: rep + f(c), html: true };
  if (v === 1) return { from: addr(`${c.other.name} Imaging`, `imaging@${c.other.domain}`), to: from(c.doc), subject: 'Critical result notification', text: `Critical finding called to the ordering office for patient ${c.pt.full} at ${p2(int(r, 7, 18))}:${p2(int(r, 0, 59))}.\n\n${rep}` };
  return { from: addr(`${c.other.name} Imaging`, `imaging@${c.other.domain}`), to: from(c.doc), subject: 'Report attached', text: `Please find the report attached.`, atts: [txtAtt('report.txt', rep)] };
};
const claim: Writer = (c) => {
  const { r } = c;
  const cn = claimNo(r);
  const v = int(r, 0, 2);
  if (v === 0) return {
    from: addr(`${c.clerk.full}`, c.clerk.email), to: addr(`${c.payer.name} Appeals`, `appeals@${c.payer.domain}`), subject: `First-level appeal, claim ${cn}`,
    text: `To the Appeals Unit:\n\nWe request reconsideration of the denial of claim ${cn} for ${c.pt.full}, ${pick(r, MEMBER_LABEL)} ${memberId(r)}, date of service ${fmt(r, c.dos)}. The service (CPT ${c.proc.cpt}, ${c.proc.name}) was medically necessary for ${c.dx.name} (ICD-10 ${c.dx.code}) after failure of ${c.drug.name}. Records are enclosed.\n\nSincerely,\n${c.clerk.full}, Revenue Cycle\n${c.org.name}${f(c)}`,
  };
  if (v === 1) return {
    from: addr(`${c.org.name} Billing`, `billing@${c.org.domain}`), to: addr(c.pt.full, c.pt.email), subject: `Your statement from ${c.org.name}`, html: true,
    text: `Dear ${c.pt.first} ${c.pt.last},\n\nGuarantor account ${acctNo(r)}\nService date ${fmt(r, c.dos)}: ${c.proc.name} (${c.proc.cpt})   charges $${int(r, 400, 9000)}.00\nInsurance paid $${int(r, 100, 900)}.00   Your balance $${int(r, 20, 400)}.${digits(r, 2)}\nDiagnosis on claim: ${c.dx.code}\n\nPay online or call ${phone(r)}.`,
  };
  return {
    from: addr(`${c.clerk.full}`, c.clerk.email), to: addr(`${c.payer.name} Provider Services`, `providers@${c.payer.domain}`), subject: `Corrected claim - ${c.pt.last}`,
    text: `Corrected claim (frequency 7) replacing ${cn}.\n\nMember: ${c.pt.full}   DOB ${fmt(r, c.dob)}\n${pick(r, MEMBER_LABEL)}: ${memberId(r)}\nLine 1: ${pick(r, HCPCS)} x1  Dx ${c.dx.code}\nLine 2: ${c.proc.cpt}  Dx ${c.dx.code}\nRendering NPI ${luhnNpi(r)}\n\n${c.clerk.full}`,
  };
};
const remittance: Writer = (c) => {
  const { r } = c;
  const rows: string[][] = [];
  const n = int(r, 3, 6);
  for (let i = 0; i < n; i++) {
    const p = i === 0 ? c.pt : person(r);
    const carc = pick(r, CARC);
    rows.push([`${p.last.toUpperCase()}, ${p.first.toUpperCase()}`, memberId(r), claimNo(r), fmt(r, date(r, 2025, 2025)), pick(r, PROCS).cpt, `${int(r, 100, 3000)}.00`, `${int(r, 50, 900)}.00`, `CO-${carc[0]}`, pick(r, RARC)]);
  }
  const hdr = ['Patient', 'Member ID', 'Payer Claim #', 'Service Date', pick(r, ['CPT/HCPCS', 'Proc Code', 'Svc Code']), 'Billed', 'Paid', 'Adj Reason', 'Remark'];
  const v = int(r, 0, 1);
  if (v === 0) return {
    from: addr(`${c.payer.name} EDI`, `era@${c.payer.domain}`), to: addr(`${c.org.name} Billing`, `billing@${c.org.domain}`), subject: `ERA / 835 summary - check ${digits(r, 8)}`,
    text: `Electronic remittance summary. Payment by EFT trace ${digits(r, 10)}, total $${int(r, 1000, 20000)}.${digits(r, 2)}. Claim detail attached.\n\nCARC/RARC definitions: ${CARC.map((x) => `${x[0]} ${x[1]}`).join('; ')}`,
    atts: [csvAtt('remit_detail.csv', [hdr, ...rows])],
  };
  const html = `<html><body><p>Remittance advice, EFT ${digits(r, 10)}</p><table border="1"><tr>${hdr.map((h) => `<th>${h}</th>`).join('')}</tr>${rows.map((row) => `<tr>${row.map((x) => `<td>${esc(x)}</td>`).join('')}</tr>`).join('')}</table></body></html>`;
  return { from: addr(`${c.payer.name} EDI`, `era@${c.payer.domain}`), to: addr(`${c.org.name} Billing`, `billing@${c.org.domain}`), subject: 'Remittance advice', text: '', htmlOnly: true, html };
};
const refill: Writer = (c) => {
  const { r } = c;
  const ph = pick(r, PHARM);
  const v = int(r, 0, 2);
  if (v === 0) return {
    from: addr(`${ph.name}`, `erx@${ph.domain}`), to: from(c.doc), subject: `Refill request: ${c.pt.last}, ${c.pt.first}`,
    text: `RENEWAL REQUEST\nPatient: ${c.pt.full}   DOB: ${fmt(r, c.dob)}\nPhone: ${phone(r)}\nMedication: ${c.drug.name} ${c.drug.dose}\nNDC: ${ndc(r)}   Qty: 30   Last fill: ${fmt(r, c.dos)}\nRx #${digits(r, 7)}\nPrescriber: ${c.doc.full} NPI ${luhnNpi(r)}\nPlease approve or deny.`,
  };
  if (v === 1) return {
    from: addr(c.pt.full, c.pt.email), to: addr(`${c.org.name} Patient Messages`, `portal@${c.org.domain}`), subject: 'refill please',
    text: `Hi, I'm almost out of my ${c.drug.name} and the pharmacy says the prescription has no refills left. Could Dr. ${c.doc.last} send a new one to ${ph.name}? My birthday is ${fmt(r, c.dob)}.\n\nThank you,\n${c.pt.first} ${c.pt.last}`,
  };
  return {
    from: from(c.clerk), to: from(c.doc), subject: `Med renewal pending`, html: true,
    text: `Dr. ${c.doc.last}, ${c.pt.full} called asking for ${c.drug.name} to be renewed before ${pron(c)[1]} trip. Last visit ${fmt(r, c.dos)} for ${c.dx.name}. ${pick(r, MRN_LABEL)} ${mrn(r)}.\n\n${c.clerk.full}`,
  };
};
const priorAuth: Writer = (c) => {
  const { r } = c;
  const auth = `${pick(r, ['PA', 'UM', 'AUT'])}${digits(r, 9)}`;
  const what = chance(r, 0.5) ? c.proc.name : c.drug.name;
  const v = int(r, 0, 3);
  const decision = pick(r, ['APPROVED', 'DENIED', 'PARTIALLY APPROVED']);
  if (v === 0) return {
    from: addr(`${c.payer.name} Utilization Management`, `um@${c.payer.domain}`), to: addr(`${c.org.name} Authorizations`, `auth@${c.org.domain}`), subject: `Determination ${auth}: ${decision}`,
    text: `Prior authorization determination\nMember: ${c.pt.full}   ${pick(r, MEMBER_LABEL)}: ${memberId(r)}\nDOB: ${fmt(r, c.dob)}\nService requested: ${c.proc.name}\nRequesting provider: ${c.doc.full}\nDecision: ${decision}\nValid ${fmt(r, c.dos)} through ${fmt(r, date(r, 2025, 2025))}\n${decision === 'DENIED' ? 'Reason: documentation does not show a trial of conservative therapy.' : ''}${f(c)}`,
  };
  if (v === 1) return {
    from: addr(`${c.payer.name} Pharmacy Benefit`, `pharmacy-pa@${c.payer.domain}`), to: from(c.doc), subject: `Coverage review outcome for your patient`, html: true,
    text: `Dear ${c.doc.full}:\n\nWe have completed our review of the request for ${c.drug.name} for ${c.pt.full} (${pick(r, MEMBER_LABEL)} ${memberId(r)}). The request is ${decision.toLowerCase()} for the diagnosis ${c.dx.code} through ${fmt(r, date(r, 2025, 2026))}. Reference ${auth}.\n\nClinical Pharmacy Team`,
  };
  if (v === 2) return {
    from: from(c.clerk), to: addr(`${c.payer.name} UM intake`, `um@${c.payer.domain}`), subject: `Urgent PA request - ${c.pt.last}`,
    text: `Requesting expedited review of ${what} for ${c.pt.full}, DOB ${fmt(r, c.dob)}, ${pick(r, MEMBER_LABEL)} ${memberId(r)}. Diagnosis: ${c.dx.name}. Clinical notes and the ${c.test.name} result are attached.\n\n${c.clerk.full}\n${c.org.name} Prior Auth Desk`,
    atts: [pdfAtt('clinicals.pdf', 'Clinical summary', [`${c.pt.full}`, `Dx ${c.dx.code}`, `${c.test.name}: ${c.test.value()}`, `Failed: ${c.drug2.name}`])],
  };
  return {
    from: addr(`${c.payer.name}`, `notices@${c.payer.domain}`), to: addr(`${c.org.name} Scheduling`, `scheduling@${c.org.domain}`), subject: `Auth ${decision.toLowerCase()} - ref ${auth}`,
    text: `${c.pt.first} ${c.pt.last} (member ${memberId(r)}): ${pick(r, ['the', 'your request for'])} ${c.proc.name} at ${c.org.name} on ${fmt(r, c.dos)} has been ${decision.toLowerCase()}. ${int(r, 1, 2)} unit(s).`,
  };
};
const appointment: Writer = (c) => {
  const { r } = c;
  const when = `${fmt(r, c.dos)} at ${int(r, 8, 11)}:${pick(r, ['00', '15', '30', '45'])} AM`;
  const v = int(r, 0, 2);
  if (v === 0) return {
    from: addr(`${c.org.name}`, `appointments@${c.org.domain}`), to: addr(c.pt.full, c.pt.email), subject: 'Upcoming appointment reminder', html: true,
    text: `Hello ${c.pt.first},\n\nThis is a reminder of your follow-up for ${c.dx.name} with ${c.doc.full}, ${c.doc.cred} on ${when}. Please bring your ${c.drug.name} and a list of any side effects.\n\nReply C to confirm or call ${phone(r)} to reschedule.`,
  };
  if (v === 1) return {
    from: from(c.doc), to: addr(c.pt.full, c.pt.email), subject: `Scheduling after your ${c.proc.name}`,
    text: `Hi ${c.pt.first},\n\nWe need to see you about six weeks after the ${c.proc.name} to check how things are healing. I have held ${when} for you. Let me know if that doesn't work.\n\n${c.doc.full}`,
  };
  return {
    from: from(c.clerk), to: from(c.doc), subject: `No-show ${c.pt.last}`,
    text: `${c.pt.full} (DOB ${fmt(r, c.dob)}) missed the ${c.dx.name} recheck this morning. Second no-show this quarter. Do you want us to send a letter?\n\n${c.clerk.first}`,
  };
};
function outlookQuote(s: { name: string; email: string }, to: string, subject: string, when: string, body: string): string {
  return `\n\n________________________________\nFrom: ${s.name} <${s.email}>\nSent: ${when}\nTo: ${to}\nSubject: ${subject}\n\n${body}`;
}
const careThread: Writer = (c) => {
  const { r } = c;
  const v = int(r, 0, 2);
  const subj = pick(r, [`${c.pt.last} - home health start`, 'Discharge planning for bed 12', `Post-op plan ${c.pt.last}`]);
  const first = `Hi team, ${c.pt.full} (${pick(r, MRN_LABEL)} ${mrn(r)}) is going home tomorrow with ${c.dx.name}. ${pron(c)[0]} will need home nursing twice weekly and labs including ${c.test.name} in one week. ${c.drug.name} was started here.`;
  if (v === 0) return {
    from: from(c.doc2), to: from(c.doc), cc: addr(c.clerk.full, c.clerk.email), subject: `RE: ${subj}`, replyTo: true,
    text: `Agency accepted. First visit Thursday.\n\n${c.doc2.full}${outlookQuote({ name: c.doc.full, email: c.doc.email }, c.doc2.full, subj, `${pick(r, DAYS)}day, ${MONTHS[c.dos.m - 1]} ${c.dos.d}, 2025 3:12 PM`, first)}`,
  };
  if (v === 1) return {
    from: from(c.doc), to: from(c.doc2), subject: `RE: ${subj}`, replyTo: true, html: true,
    text: `Sounds good - I'll put in the order.\n\nOn ${fmt(r, c.dos)}, ${c.doc2.full} wrote:\n> ${first.replace(/\. /g, '.\n> ')}\n> Thanks, ${c.doc2.first}`,
  };
  return {
    from: from(c.clerk), to: from(c.doc), subject: `FW: ${subj}`,
    text: `Forwarding the case manager's note below.\n\n${c.clerk.first}${outlookQuote({ name: c.doc2.full, email: c.doc2.email }, c.clerk.full, subj, `${MONTHS[c.dos.m - 1]} ${c.dos.d}, 2025`, `Patient ${c.pt.first} ${c.pt.last}, DOB ${fmt(r, c.dob)}, being followed for ${c.dx.name}. Family asks about skilled nursing; insurance ${c.payer.name} ${memberId(r)}.`)}`,
  };
};
const resultReply: Writer = (c) => {
  const { r } = c;
  const v = int(r, 0, 2);
  const greet = pick(r, ['Hi', 'Hello', 'Dear']);
  if (v === 0) return {
    from: from(c.doc), to: addr(c.pt.full, c.pt.email), subject: 'RE: test results?', replyTo: true,
    text: `${greet} ${c.pt.first},\n\nYour ${c.test.name} came back at ${c.test.value()}, which fits with ${c.dx.name}. I'd like to start ${c.drug.name}. We can talk it through at your visit.\n\n${c.doc.full}, ${c.doc.cred}\n\n> When will my results be back?\n> ${c.pt.first}`,
  };
  if (v === 1) return {
    from: from(c.doc), to: addr(c.pt.full, c.pt.email), subject: 'Biopsy result', html: true,
    text: `${greet} ${c.pt.first},\n\nThe biopsy confirmed ${c.dx.name}. It is not cancer. The treatment I recommend is ${c.drug.name}; the pharmacy will call you.\n\n${c.doc.full}`,
  };
  return {
    from: from(c.doc), to: addr(c.pt.full, c.pt.email), subject: 'Following up', replyTo: true,
    text: `${greet} ${c.pt.first} -\n\nThe scan showed ${c.dx.lay}, as we suspected. Nothing urgent. Keep taking the ${c.drug.name} and we will recheck in three months.\n\n${c.doc.first}\n\n-----Original Message-----\nFrom: ${c.pt.full} <${c.pt.email}>\nSubject: scan\n\nDid the scan show anything?`,
  };
};
const patientList: Writer = (c) => {
  const { r } = c;
  const v = int(r, 0, 2);
  const n = int(r, 5, 9);
  const rows: string[][] = [];
  for (let i = 0; i < n; i++) {
    const p = i === 0 ? c.pt : person(r);
    const d = pick(r, DX);
    rows.push([v === 1 ? `${p.last}, ${p.first}` : p.full, fmt(r, date(r, 1940, 2010)), mrn(r), v === 2 ? d.code : d.name, fmt(r, date(r, 2025, 2025))]);
  }
  const hdr = v === 0 ? ['Patient Name', 'DOB', 'MRN', 'Problem', 'Next Visit'] : v === 1 ? ['PT_NAME', 'BIRTH_DATE', 'MED_REC_NO', 'ACTIVE_DX', 'APPT_DT'] : ['Name', 'Birthdate', 'Chart', 'ICD10', 'Due'];
  const sep = v === 1 ? '\t' : ',';
  return {
    from: from(c.clerk), to: from(c.doc), subject: pick(r, ['Panel list for outreach', 'Registry export', 'Tomorrow\'s clinic list']),
    text: `Here is the list you asked for.\n\n${c.clerk.first}`, atts: [csvAtt(v === 1 ? 'registry.tsv' : 'panel.csv', [hdr, ...rows], sep)],
  };
};
const attachmentOnly: Writer = (c) => {
  const { r } = c;
  const body = pick(r, ['Please see attached.', 'Attached as discussed.', 'Sending the file over - let me know if it does not open.', 'FYI, see attachment.']);
  const v = int(r, 0, 3);
  let att: Att;
  if (v === 0) att = pdfAtt('document.pdf', 'Visit Note', [`Patient: ${c.pt.full}`, `DOB: ${fmt(r, c.dob)}`, `Assessment: ${c.dx.name} (${c.dx.code})`, `Plan: continue ${c.drug.name} ${c.drug.dose}`]);
  else if (v === 1) att = txtAtt('note.txt', `Encounter ${fmt(r, c.dos)}\n${c.pt.last}, ${c.pt.first}  ${pick(r, MRN_LABEL)} ${mrn(r)}\nSubjective: ${c.dx.lay}\nA/P: ${c.dx.name}; ordered ${c.test.name}`);
  else if (v === 2) att = csvAtt('export.csv', [['Member', 'Member ID', 'Condition', 'Drug'], [c.pt.full, memberId(r), c.dx.name, c.drug.name], [person(r).full, memberId(r), c.dx2.name, c.drug2.name]]);
  else att = fwdAtt(r, 'message.eml', addr(c.doc2.full, c.doc2.email), addr(c.doc.full, c.doc.email), 'consult', `${c.doc.first},\n\nSaw ${c.pt.full} today (DOB ${fmt(r, c.dob)}). Agree with ${c.dx.name}; I started ${c.drug.name}.\n\n${c.doc2.full}, ${c.doc2.cred}`);
  return { from: from(c.clerk), to: from(c.doc), subject: pick(r, ['Documents', 'File', 'As requested', 'Scan']), text: body, atts: [att] };
};

// ---------- clean writers ----------
const newsletter: Writer = (c) => {
  const { r } = c;
  const d = c.dx;
  return {
    from: addr(`${c.org.name} Community Health`, `news@${c.org.domain}`), to: 'subscribers@lists.' + c.org.domain, subject: pick(r, [`Understanding ${d.name}`, 'Your health this month', 'Wellness Notes - new treatments']), bulk: true, html: true,
    text: `This month: what to know about ${d.name}.\n\nMany people live for years with ${d.lay} before a diagnosis. Newer treatments such as ${c.drug.name} and ${c.drug2.name} have changed the outlook, and a simple ${c.test.name} test can help your doctor decide.\n\n${pick(r, ['One reader, a retired teacher in her sixties, told us that learning the name of her condition was a relief.', 'Ask your clinician whether screening is right for you.'])}\n\nUnsubscribe at any time.`,
  };
};
const aggregate: Writer = (c) => {
  const { r } = c;
  const rows = DX.slice(int(r, 0, 10), int(r, 14, 26)).map((d) => [d.code, d.name, String(int(r, 3, 300)), `${int(r, 1, 40)}.${int(r, 0, 9)}%`]);
  const v = int(r, 0, 1);
  if (v === 0) return { from: from(c.clerk), to: addr('Quality Committee', `quality@${c.org.domain}`), subject: 'Q3 encounter counts by diagnosis', text: `Attached are de-identified encounter counts by primary diagnosis for Q3. No patient-level data.\n\n${c.clerk.full}`, atts: [csvAtt('q3_counts.csv', [['ICD-10', 'Description', 'Encounters', '30-day readmit'], ...rows])] };
  return { from: from(c.clerk), to: addr('Leadership', `leaders@${c.org.domain}`), subject: 'Dashboard: procedure volumes', text: `Volumes this quarter:\n${PROCS.slice(0, 6).map((p) => `${p.cpt}  ${p.name}: ${int(r, 4, 90)} cases, median LOS ${int(r, 0, 4)} d`).join('\n')}\n\nAll counts under 11 are suppressed per policy.`, html: true };
};
const pharma: Writer = (c) => {
  const { r } = c;
  const rep = person(r);
  return {
    from: addr(`${rep.full}`, `${rep.first.toLowerCase()}@${pick(r, ['veltrix-pharma.example', 'ondera-bio.test'])}`), to: from(c.doc), subject: `${c.drug.name[0]!.toUpperCase()}${c.drug.name.slice(1)}: new data for your practice`, html: true,
    text: `Dr. ${c.doc.last},\n\nOur records list you (NPI ${luhnNpi(r)}) as a prescriber in ${pick(r, SPECIALTY)}. The phase 3 results for ${c.drug.name} in ${c.dx.name} are now in the label, and samples are available. Patients with ${c.dx2.name} were excluded from the trial.\n\nI'd welcome 10 minutes at your office.\n\n${rep.full}\nTerritory Manager\n${phone(r)}`,
  };
};
const cme: Writer = (c) => {
  const { r } = c;
  const s1 = staff(r, c.other, ['MD', 'MD, PhD', 'DO']);
  return {
    from: addr(`${c.other.name} CME`, `cme@${c.other.domain}`), to: 'medstaff@' + c.org.domain, subject: `Grand Rounds: ${c.dx.name}`, html: true, bulk: chance(r, 0.5),
    text: `Grand Rounds - ${pick(r, DAYS)}day 7:30 AM, Auditorium B\n\n"${c.dx.name[0]!.toUpperCase()}${c.dx.name.slice(1)}: from ${c.test.name} to ${c.drug.name}"\nSpeaker: ${s1.full}, ${s1.cred}, Associate Professor of Medicine\n\nCase: A ${int(r, 30, 80)}-year-old ${pick(r, ['woman', 'man'])} presents with ${c.dx.lay}. What is the next step?\n\n1.0 AMA PRA Category 1 Credit. Register at the CME office.`,
  };
};
const research: Writer = (c) => {
  const { r } = c;
  const authors = Array.from({ length: int(r, 3, 6) }, () => { const p = person(r); return `${p.last} ${p.first[0]}`; }).join(', ');
  return {
    from: addr('Journal Alerts', `alerts@${pick(r, ['clinjournal.example', 'medpress.test'])}`), to: from(c.doc), subject: `New in ${pick(r, SPECIALTY)}: ${c.drug.name} trial`, bulk: true, html: true,
    text: `${c.drug.name[0]!.toUpperCase()}${c.drug.name.slice(1)} versus placebo in ${c.dx.name}: a randomized trial\n${authors}\n\nBackground: Treatment options for ${c.dx.name} are limited. Methods: ${int(r, 120, 900)} adults were randomized 1:1. Results: ${c.test.name} improved by ${int(r, 10, 60)}% (p<0.001). Adverse events included headache. Conclusions: ${c.drug.name} was effective.\n\nRead the full text.`,
  };
};
const opsNotice: Writer = (c) => {
  const { r } = c;
  const v = int(r, 0, 3);
  const texts = [
    `The EHR will be unavailable Sunday 01:00-05:00 for an upgrade. Use downtime forms; the downtime viewer holds a read-only copy of medication lists and problem lists. Questions: IT service desk ${phone(r)}.`,
    `Annual HIPAA privacy and security training is due by the end of the month. Remember: never e-mail PHI without [secure] in the subject.`,
    `The cafeteria will close early Friday for the staff appreciation lunch. Gluten-free and diabetic-friendly options will be labelled.`,
    `Parking garage level 2 will be closed for resurfacing. Infusion center patients may use valet at no cost.`,
  ];
  return { from: addr(pick(r, ['IT Service Desk', 'Compliance Office', 'Facilities', 'Food Services']), `notices@${c.org.domain}`), to: 'allstaff@' + c.org.domain, subject: pick(r, ['Reminder', 'Planned downtime', 'Notice to all staff', 'Action required']), text: `${texts[v]}\n\n${c.clerk.full}`, html: chance(r, 0.5) };
};
const schedule: Writer = (c) => {
  const { r } = c;
  const rows = ['Endoscopy', 'Infusion', 'Mohs suite', 'Cath lab', 'Sleep lab', 'Clinic A'].map((u) => [u, staff(r, c.org).full, staff(r, c.org).full, pick(r, ['07:00-15:30', '11:00-19:30', 'on call'])]);
  return { from: from(c.clerk), to: 'nursing@' + c.org.domain, subject: 'Staffing grid next week', text: `Staffing for next week below. Swaps need manager approval.\n\n${rows.map((x) => x.join(' | ')).join('\n')}\n\n${c.clerk.full}`, atts: chance(r, 0.4) ? [csvAtt('grid.csv', [['Unit', 'Charge', 'Float', 'Shift'], ...rows])] : undefined };
};
const guideline: Writer = (c) => {
  const { r } = c;
  return {
    from: from(c.doc2), to: from(c.doc), subject: `RE: ${c.dx.name} - updated guidance`, replyTo: true,
    text: `I read the new consensus statement differently. For a patient with ${c.dx.name} who has failed ${c.drug2.name}, they now favor ${c.drug.name} before considering ${c.proc.name}. If the ${c.test.name} is normal, I would not repeat it.\n\n${c.doc2.first}\n\n> Do we still require a ${c.test.name} before starting ${c.drug.name}?\n> ${c.doc.first}`,
  };
};
const job: Writer = (c) => {
  const { r } = c;
  return {
    from: addr(`${c.org.name} Talent`, `careers@${c.org.domain}`), to: 'jobs-list@' + c.org.domain, subject: `Now hiring: RN, ${pick(r, ['infusion', 'GI lab', 'cardiac step-down'])}`, bulk: true, html: true,
    text: `${c.org.name} seeks a registered nurse for our ${pick(r, SPECIALTY)} service. Experience with ${c.drug.name} infusions and patients with ${c.dx.name} preferred. BLS required. Sign-on bonus $${int(r, 5, 15)},000. Contact the recruiter, ${c.clerk.full}, at ${phone(r)}.`,
  };
};
const business: Writer = (c) => {
  const { r } = c;
  const att = Array.from({ length: int(r, 4, 7) }, () => staff(r, c.org).full).join(', ');
  return {
    from: from(c.clerk), to: 'committee@' + c.org.domain, subject: pick(r, ['P&T Committee minutes', 'Budget meeting notes', 'Value analysis minutes']),
    text: `Minutes\nAttendees: ${att}\n\n1. Formulary: ${c.drug.name} added for ${c.dx.name}, restricted to specialists.\n2. Capital budget: ${c.proc.name} equipment deferred to FY26.\n3. Next meeting in four weeks.\n\n${c.clerk.full}`, html: chance(r, 0.5),
  };
};

// ---------- pii_only writers ----------
const payroll: Writer = (c) => {
  const { r } = c;
  const e = person(r);
  return {
    from: addr('Payroll', `payroll@${c.org.domain}`), to: addr(c.clerk.full, c.clerk.email), subject: 'Direct deposit correction',
    text: `Please correct the direct deposit for ${e.full}, Employee ID ${digits(r, 6)}, SSN ${ssn(r)}.\nNew routing ${digits(r, 9)}, account ${digits(r, 10)} (checking).\nRetro pay for the ${fmt(r, date(r, 2025, 2025))} period will follow.\n\nPayroll Services`,
  };
};
const directory: Writer = (c) => {
  const { r } = c;
  const rows = Array.from({ length: int(r, 4, 8) }, () => { const p = person(r); return [p.full, pick(r, ['RN', 'LPN', 'Tech', 'Unit Clerk']), phone(r), address(r)]; });
  return { from: from(c.clerk), to: 'unit@' + c.org.domain, subject: 'Emergency call tree', text: 'Updated call tree attached. Keep it off shared drives.', atts: [csvAtt('call_tree.csv', [['Name', 'Role', 'Cell', 'Home address'], ...rows])] };
};
const newHire: Writer = (c) => {
  const { r } = c;
  const p = person(r);
  return {
    from: addr('Human Resources', `hr@${c.org.domain}`), to: addr(c.clerk.full, c.clerk.email), subject: 'New hire setup',
    text: `New hire starting ${fmt(r, date(r, 2025, 2025))}:\nName: ${p.full}\nDate of birth: ${fmt(r, date(r, 1965, 2003))}\nSSN: ${ssn(r)}\nHome address: ${address(r)}\nPersonal phone: ${phone(r)}\nPosition: Patient Access Representative\n\nPlease create the badge and network account.`,
  };
};
const vendorTax: Writer = (c) => {
  const { r } = c;
  const p = person(r);
  return {
    from: addr('Accounts Payable', `ap@${c.org.domain}`), to: addr(c.clerk.full, c.clerk.email), subject: 'W-9 received / 1099 setup',
    text: `W-9 on file for independent contractor (interpreter services):\nName: ${p.full}\nTaxpayer ID (SSN): ${ssn(r)}\nAddress: ${address(r)}\n2024 1099-NEC box 1: $${int(r, 2000, 40000)}.00`,
  };
};

const WRITERS: Record<string, Writer> = {
  referral_letter: referral, discharge_summary: discharge, lab_result: labResult, pathology_report: pathology,
  radiology_report: radiology, claim_billing: claim, remittance_advice: remittance, rx_refill_request: refill,
  prior_authorization: priorAuth, appointment_followup: appointment, care_coordination_thread: careThread,
  patient_result_reply: resultReply, patient_list_csv: patientList, attachment_only_phi: attachmentOnly,
  health_newsletter: newsletter, aggregate_statistics: aggregate, pharma_device_sales: pharma, conference_cme: cme,
  research_abstract: research, operations_notice: opsNotice, staff_schedule: schedule, guideline_discussion: guideline,
  job_posting: job, general_business: business, payroll_hr: payroll, staff_directory: directory,
  new_hire_paperwork: newHire, vendor_tax_form: vendorTax,
};

/**
 * Hold-out C: `total` messages (default about 300) over all 28 kinds in the dev proportions,
 * shuffled. The same seed gives the same bytes.
 */
export function generateHoldoutC(seed = 21, total = 300): HoldoutCMessage[] {
  const r = prng(seed ^ 0xc3c3);
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
    const dob = date(r, 1938, 2008);
    const c: Ctx = {
      r, org, other, pt: person(r), dob, dos: date(r, 2025, 2025), dx, dx2, drug, drug2, test, test2, proc: pick(r, PROCS),
      doc: staff(r, org, ['MD', 'DO', 'NP', 'PA-C']), doc2: staff(r, other, ['MD', 'DO', 'NP', 'RN, CCM']), clerk: staff(r, org, ['CPC', 'RHIT', 'MA']),
      payer: pick(r, PAYERS), age: 2025 - dob.y, sex: pick(r, ['F', 'M']),
    };
    return { file: `c${String(i + 1).padStart(4, '0')}.eml`, label, kind, raw: assemble(r, WRITERS[kind]!(c)) };
  });
}
