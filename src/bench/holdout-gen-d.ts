// A fourth, independent generator of a labelled PHI corpus ("hold-out D"): about 300 synthetic
// outbound e-mails over the 28 kinds of ../shared/corpus/phi-dev in its proportions, written as a
// US hospital's staff would send them: Epic / Cerner in-basket and document notifications, fax
// cover sheets, payer determination letters, ERAs, portal replies, referral letters, threads whose
// PHI sits only in quoted history, only in the subject, or only in an attachment (CSV, TXT, PDF
// text layer, HTML, message/rfc822). Written from the README and the exports of the other
// generators only (not their templates). Its names, drugs, diagnoses, tests, procedures,
// ICD-10-CM / CPT / HCPCS codes, identifier formats and domains were checked absent from the dev
// corpus, the other generators and the lexicon when it was written. Each message is labelled as it
// is written, by the README's definitions. Everything is invented; every domain is .example/.test.
// Used by `node dist/bench/eval-phi.js --holdout-d [SEED]` and test/policy/holdout-generated-d.test.ts.
// Trust level: developer tool; pure (seed in, messages out), no I/O.
import { prng } from '../smime/fuzz-enveloped.js';
import { type HoldoutLabel, type HoldoutMessage, HOLDOUT_KINDS, type Rand, pick, int, digits, chance, pad, planKinds, another } from './holdout-common.js';
import { makePdf } from './holdout-gen.js';

/** This generator's names for the shared shapes (holdout-common.ts). */
export type HoldoutDLabel = HoldoutLabel;
export type HoldoutDMessage = HoldoutMessage;
export const HOLDOUT_D_KINDS = HOLDOUT_KINDS;





// ---- vocabularies (own lists) ----
const FIRST = ['Anselm', 'Brisa', 'Calloway', 'Dagny', 'Emrys', 'Fenna', 'Henrike', 'Isolde', 'Jovan', 'Kasimira',
  'Mireille', 'Nevin', 'Oona', 'Percival', 'Quillon', 'Sigrun', 'Tamsin', 'Ugo', 'Verity', 'Wystan', 'Xanthe',
  'Yannick', 'Zinnia', 'Ottilie', 'Lazlo', 'Thaddeus', 'Maëlys', 'Joaquín', 'Radomir', 'Solveig'];
const LAST = ['Achterberg', 'Blanchflower', 'Coldiron', 'Drummond-Hay', 'Eikenberry', 'Goldthwaite', 'Hasselbeck',
  'Juarez-Pinto', 'Kowalczyk', 'Lindqvist', 'Marchetti', 'Oyelaran', 'Pemberton-Ruiz', 'Quackenbush', 'Reinholt',
  'Stavropoulos', 'Umberger', 'Vanterpool', 'Whitcombe', 'Yarborough', 'Zielinski', 'Brennagh', 'Castellanos',
  'Dufresne', 'Ferreira-Lowe', 'Grünewald', 'Halvorsen', 'Ibekwe', 'Montgomery-Asante', 'Tolliver'];
const STAFF_FIRST = ['Corinne', 'Desmond', 'Harriet', 'Ignatius', 'Lorna', 'Mateo', 'Priscilla', 'Reuben', 'Sabine', 'Vikram', 'Winona', 'Ezra'];
const STAFF_LAST = ['Applegarth', 'Bramwell', 'Cotterill', 'Danforth', 'Espinosa', 'Fairbairn', 'Gethin', 'Holloway', 'Ingersoll', 'Ketteridge', 'Mukherjee', 'Pendergast'];

interface Dx { name: string; code: string }
const DX: Dx[] = [
  { name: 'Friedreich ataxia', code: 'G11.11' }, { name: 'Morton neuroma, left foot', code: 'G57.60' },
  { name: 'SIADH', code: 'E22.2' }, { name: 'small intestinal bacterial overgrowth', code: 'K63.8219' },
  { name: 'costochondritis', code: 'M94.0' }, { name: 'pheochromocytoma of right adrenal', code: 'D35.01' },
  { name: 'microscopic colitis', code: 'K52.839' }, { name: 'exocrine pancreatic insufficiency', code: 'K86.81' },
  { name: 'nephrogenic diabetes insipidus', code: 'N25.1' }, { name: 'pulmonary arterial hypertension', code: 'I27.0' },
  { name: 'paroxysmal nocturnal hemoglobinuria', code: 'D59.5' }, { name: 'alpha-1 antitrypsin deficiency', code: 'E88.01' },
  { name: 'lateral epicondylitis, right elbow', code: 'M77.11' }, { name: 'cubital tunnel syndrome', code: 'G56.21' },
  { name: 'de Quervain tenosynovitis', code: 'M65.4' }, { name: 'hallux rigidus', code: 'M20.21' },
  { name: 'calcific tendinitis of the shoulder', code: 'M75.31' }, { name: 'cholesteatoma', code: 'H71.91' },
  { name: 'chalazion', code: 'H00.11' }, { name: 'pterygium', code: 'H11.001' }, { name: 'granuloma annulare', code: 'L92.0' },
  { name: 'morphea', code: 'L94.0' }, { name: 'keratoacanthoma', code: 'L85.8' }, { name: 'sialolithiasis', code: 'K11.5' },
  { name: 'porphyria cutanea tarda', code: 'E80.1' }, { name: 'eosinophilic granulomatosis with polyangiitis', code: 'M30.1' },
  { name: 'tinea versicolor', code: 'B36.0' }, { name: 'neovascular macular degeneration', code: 'H35.3211' },
  { name: 'X-linked hypophosphatemia', code: 'E83.31' }, { name: 'Dravet syndrome', code: 'G40.834' },
  { name: 'Gaucher disease', code: 'E75.22' }, { name: 'Fabry disease', code: 'E75.21' },
  { name: 'Achilles tendinosis', code: 'M76.61' }, { name: 'olecranon bursitis', code: 'M70.21' },
  { name: 'scaphoid fracture', code: 'S62.001A' }, { name: 'carcinoid tumor of the ileum', code: 'C7A.012' },
];
const DRUGS = ['omaveloxolone', 'sotatercept', 'iptacopan', 'crovalimab', 'pegcetacoplan', 'ravulizumab', 'etrasimod',
  'ozanimod', 'ritlecitinib', 'nemolizumab', 'tralokinumab', 'spesolimab', 'fenfluramine', 'ganaxolone', 'cenobamate',
  'stiripentol', 'eptinezumab', 'lecanemab', 'donanemab', 'tolvaptan', 'patiromer', 'daprodustat', 'vadadustat',
  'burosumab', 'faricimab', 'aflibercept', 'lotilaner', 'ospemifene', 'prasterone', 'setmelanotide', 'teplizumab'];
const HCPCS = [['J0174', 'lecanemab'], ['J0175', 'donanemab'], ['J0178', 'aflibercept'], ['J2777', 'faricimab'], ['J1303', 'ravulizumab'],
  ['J3032', 'eptinezumab'], ['J0584', 'burosumab'], ['J1747', 'spesolimab']] as const;
interface Test { name: string; unit: string; lo: number; hi: number }
const TESTS: Test[] = [
  { name: 'fecal elastase', unit: 'mcg/g', lo: 40, hi: 480 }, { name: 'plasma free metanephrines', unit: 'pg/mL', lo: 20, hi: 900 },
  { name: 'insulin-like growth factor 1', unit: 'ng/mL', lo: 60, hi: 420 }, { name: 'serum osmolality', unit: 'mOsm/kg', lo: 255, hi: 305 },
  { name: 'urine porphobilinogen', unit: 'mg/24 h', lo: 0, hi: 9 }, { name: 'alpha-galactosidase A activity', unit: 'nmol/hr/mL', lo: 1, hi: 30 },
  { name: 'glucocerebrosidase activity', unit: 'nmol/hr/mg', lo: 1, hi: 20 }, { name: '24-hour urine 5-HIAA', unit: 'mg/24 h', lo: 2, hi: 60 },
  { name: 'FGF23', unit: 'RU/mL', lo: 40, hi: 600 }, { name: 'thyroid stimulating immunoglobulin', unit: '%', lo: 50, hi: 400 },
  { name: 'ANCA panel (myeloperoxidase)', unit: 'AU/mL', lo: 1, hi: 140 }, { name: 'frataxin gene repeat analysis', unit: 'GAA repeats', lo: 60, hi: 1100 },
];
const PROCS = [
  { name: 'transcatheter aortic valve replacement', cpt: '33361' }, { name: 'septal myectomy', cpt: '33416' },
  { name: 'left atrial appendage closure', cpt: '33340' }, { name: 'stapedectomy', cpt: '69660' },
  { name: 'canal wall down mastoidectomy', cpt: '69502' }, { name: 'dacryocystorhinostomy', cpt: '68720' },
  { name: 'upper lid blepharoplasty', cpt: '15823' }, { name: 'pneumatic retinopexy', cpt: '67110' },
  { name: 'scleral buckle', cpt: '67107' }, { name: 'transbronchial cryobiopsy', cpt: '31628' },
  { name: 'ulnar nerve transposition', cpt: '64718' }, { name: 'first dorsal compartment release', cpt: '25000' },
  { name: 'collagenase cord injection', cpt: '20527' }, { name: 'pterygium excision with conjunctival autograft', cpt: '65426' },
  { name: 'chalazion excision', cpt: '67800' },
];
interface Org { name: string; dom: string; city: string }
const ORGS: Org[] = [
  { name: 'Cedarcrest Regional Medical Center', dom: 'cedarcrest-health.example', city: 'Fort Calder, WI' },
  { name: 'Tamarack Medical Group', dom: 'tamarack-medical.test', city: 'Ossining Falls, NY' },
  { name: 'Prairieview Clinic', dom: 'prairieview-clinic.example', city: 'Lone Elm, KS' },
  { name: 'Oak Hollow ENT Associates', dom: 'oakhollow-ent.test', city: 'Marlow Springs, NC' },
  { name: 'Silverlake Eye Institute', dom: 'silverlake-eye.example', city: 'Boone Ridge, OR' },
  { name: 'Ridgeline Heart & Vascular', dom: 'ridgeline-heart.test', city: 'Cold Brook, CO' },
  { name: 'Larkspur Dermatology', dom: 'larkspur-derm.example', city: 'Weyland, MN' },
  { name: 'St. Ambrose Community Hospital', dom: 'stambrose-hosp.test', city: 'Harlan Bay, ME' },
];
const PAYERS = [{ name: 'Beaconridge Health Plan', dom: 'beaconridge-plan.test' }, { name: 'UnityShield Medicare Advantage', dom: 'unityshield.example' },
  { name: 'Keystone Mutual Benefits', dom: 'keystone-mutual.test' }];
const PT_DOMAINS = ['letterbox.test', 'homemail.example', 'quickpost.test'];

// ---- identifiers ----
function luhnDigit(s: string): number {
  let sum = 0;
  for (let i = 0; i < s.length; i++) {
    let d = Number(s[s.length - 1 - i]);
    if (i % 2 === 0) { d *= 2; if (d > 9) d -= 9; }
    sum += d;
  }
  return (10 - (sum % 10)) % 10;
}
const npi = (r: Rand) => { const b = String(int(r, 1, 2)) + digits(r, 8); return b + luhnDigit('80840' + b); };
const loinc = (r: Rand) => { const b = String(int(r, 10, 99)) + digits(r, 3); return `${b}-${luhnDigit(b)}`; };
const MBI_A = 'ACDEFGHJKMNPQRTUVWXY';
const mbi = (r: Rand) => {
  const a = () => pick(r, [...MBI_A]);
  const n = () => String(int(r, 0, 9));
  const an = () => (chance(r, 0.5) ? a() : n());
  const s = `${int(r, 1, 9)}${a()}${an()}${n()}${a()}${an()}${n()}${a()}${a()}${n()}${n()}`;
  return chance(r, 0.5) ? s : `${s.slice(0, 4)}-${s.slice(4, 7)}-${s.slice(7)}`;
};
const mrn = (r: Rand) => pick(r, [
  () => `EMPI ${digits(r, 3)}.${digits(r, 3)}.${digits(r, 3)}`, () => `MRN# K${digits(r, 2)}/${digits(r, 5)}`,
  () => `Med Rec No. ${digits(r, 4)}-${digits(r, 4)}-${String.fromCharCode(65 + int(r, 0, 25))}`, () => `MR ${digits(r, 9)}`,
])();
const fin = (r: Rand) => pick(r, [() => `FIN ${digits(r, 10)}`, () => `CSN ${int(r, 3, 9)}${digits(r, 9)}`, () => `HAR ${digits(r, 11)}`, () => `Enc # V${digits(r, 8)}`])();
const memberId = (r: Rand) => pick(r, [() => `XQJ-${digits(r, 3)}-${digits(r, 5)}-0${int(r, 1, 4)}`, () => `${digits(r, 2)}M${digits(r, 9)}`, () => `UNS${digits(r, 8)}*0${int(r, 1, 3)}`])();
const claimNo = (r: Rand) => pick(r, [() => `ICN ${digits(r, 2)}-${digits(r, 3)}-${digits(r, 6)}-00`, () => `DCN ${digits(r, 4)}${String.fromCharCode(65 + int(r, 0, 25))}${digits(r, 7)}`])();
const authNo = (r: Rand) => `PA-${int(r, 24, 25)}W-${digits(r, 5)}`;
const ndc = (r: Rand) => `${int(r, 6, 7)}${digits(r, 4)}-${digits(r, 4)}-${digits(r, 2)}`;
const rxNo = (r: Rand) => `RX-${digits(r, 4)}-${digits(r, 4)}`;
const phone = (r: Rand) => {
  const a = pick(r, ['608', '319', '541', '802', '907', '406']);
  const l = chance(r, 0.5) ? `01${digits(r, 2)}` : digits(r, 4);
  const x = chance(r, 0.5) ? '555' : String(int(r, 201, 989));
  return pick(r, [`(${a}) ${x}-${l}`, `${a}.${x}.${l}`, `+1 ${a} ${x} ${l}`, `${a}/${x}-${l}`]);
};
const ssn = (r: Rand) => {
  const area = chance(r, 0.6) ? pad(pick(r, [int(r, 1, 665), int(r, 667, 899)]), 3) : pick(r, ['000', String(int(r, 900, 999))]);
  const s = [area, pad(int(r, 1, 99)), pad(int(r, 1, 9999), 4)];
  return pick(r, [s.join('-'), s.join(' '), s.join(''), `${s[0]}.${s[1]}.${s[2]}`]);
};
const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];
interface D { y: number; m: number; d: number }
const date = (r: Rand, y0: number, y1: number): D => ({ y: int(r, y0, y1), m: int(r, 1, 12), d: int(r, 1, 28) });
const fmtDate = (r: Rand, x: D) => pick(r, [
  `${x.m}-${MONTHS[x.m - 1]!.slice(0, 3)}-${x.y}`.replace(/^\d+-/, `${x.d}-`), `${pad(x.m)}.${pad(x.d)}.${x.y}`, `${x.y}/${pad(x.m)}/${pad(x.d)}`,
  `${MONTHS[x.m - 1]} ${x.d}, ${x.y}`, `${x.m}/${x.d}/${String(x.y).slice(2)}`,
]);
const dobLabel = (r: Rand) => pick(r, ['DOB', 'D.O.B.', 'Birthdate', 'born', 'Date of birth', 'DOB:']);

interface Person { first: string; last: string; full: string }
const person = (r: Rand): Person => { const first = pick(r, FIRST), last = pick(r, LAST); return { first, last, full: `${first} ${last}` }; };
interface Staff extends Person { email: string; cred: string }
const staff = (r: Rand, org: Org, creds: string[]): Staff => {
  const first = pick(r, STAFF_FIRST), last = pick(r, STAFF_LAST);
  return { first, last, full: `${first} ${last}`, cred: pick(r, creds), email: `${first[0]!.toLowerCase()}${last.toLowerCase()}@${org.dom}` };
};

// ---- MIME assembly ----
interface Att { name: string; type: string; data: string | Buffer }
interface Mail {
  from: string; to: string; cc?: string; subject: string; text: string;
  html?: string; htmlOnly?: boolean; atts?: Att[]; replyTo?: string;
}
let seq = 0;
const enc2047 = (s: string) => (/[^\x20-\x7e]/.test(s) ? `=?UTF-8?B?${Buffer.from(s, 'utf8').toString('base64')}?=` : s);
function addr(name: string, email: string): string {
  const n = /[^\x20-\x7e]/.test(name) ? enc2047(name) : /[,.]/.test(name) ? `"${name}"` : name;
  return `${n} <${email}>`;
}
function qp(buf: Buffer): string {
  const out: string[] = [];
  for (const line of buf.toString('latin1').split('\n')) {
    let cur = '';
    const l = line.replace(/\r$/, '');
    for (let i = 0; i < l.length; i++) {
      const c = l.charCodeAt(i);
      let t = c > 126 || c === 61 || (c < 32 && c !== 9) ? `=${c.toString(16).toUpperCase().padStart(2, '0')}` : l[i]!;
      if ((c === 32 || c === 9) && i === l.length - 1) t = `=${c.toString(16).toUpperCase().padStart(2, '0')}`;
      if (cur.length + t.length > 75) { out.push(cur + '='); cur = ''; }
      cur += t;
    }
    out.push(cur);
  }
  return out.join('\r\n');
}
const b64 = (buf: Buffer) => (buf.toString('base64').match(/.{1,76}/g) ?? ['']).join('\r\n');
function textPart(r: Rand, type: string, s: string): string {
  const latin = ![...s].some((ch) => ch.charCodeAt(0) > 255) && chance(r, 0.3);
  const charset = latin ? 'iso-8859-1' : 'utf-8';
  const buf = Buffer.from(s.replace(/\r?\n/g, '\n'), latin ? 'latin1' : 'utf8');
  const ascii = !/[^\x00-\x7e]/.test(s) && !s.split('\n').some((l) => l.length > 900);
  const cte = ascii && chance(r, 0.3) ? '7bit' : chance(r, 0.55) ? 'quoted-printable' : 'base64';
  const body = cte === '7bit' ? buf.toString('latin1').replace(/\n/g, '\r\n') : cte === 'base64' ? b64(buf) : qp(buf);
  return `Content-Type: ${type}; charset=${charset}\r\nContent-Transfer-Encoding: ${cte}\r\n\r\n${body}\r\n`;
}
const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const toHtml = (t: string) => `<html><body style="font-family:Calibri,Arial,sans-serif;font-size:11pt">${t.split(/\n\n+/).map((p) => `<p>${esc(p).replace(/\n/g, '<br>\n')}</p>`).join('\n')}</body></html>`;
function attPart(r: Rand, a: Att): string {
  if (a.type === 'message/rfc822') {
    return `Content-Type: message/rfc822; name="${a.name}"\r\nContent-Disposition: attachment; filename="${a.name}"\r\n\r\n${String(a.data)}\r\n`;
  }
  const buf = typeof a.data === 'string' ? Buffer.from(a.data.replace(/\r?\n/g, '\r\n'), 'utf8') : a.data;
  const textual = a.type.startsWith('text/');
  const cte = textual && chance(r, 0.4) ? 'quoted-printable' : 'base64';
  const ctype = textual ? `${a.type}; charset=utf-8; name="${a.name}"` : `${a.type}; name="${a.name}"`;
  return `Content-Type: ${ctype}\r\nContent-Disposition: attachment; filename="${a.name}"\r\nContent-Transfer-Encoding: ${cte}\r\n\r\n${cte === 'base64' ? b64(buf) : qp(buf)}\r\n`;
}
function assemble(r: Rand, m: Mail): Buffer {
  seq++;
  const bnd = (t: string) => `----=_Part_${t}_${seq}_${digits(r, 8)}`;
  const d = `${pick(r, ['Mon', 'Tue', 'Wed', 'Thu', 'Fri'])}, ${int(r, 1, 28)} ${pick(r, ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct'])} 2025 ${pad(int(r, 6, 19))}:${pad(int(r, 0, 59))}:${pad(int(r, 0, 59))} ${pick(r, ['-0500', '-0600', '-0700', '-0400'])}`;
  const head = [`From: ${m.from}`, `To: ${m.to}`, ...(m.cc ? [`Cc: ${m.cc}`] : []), `Subject: ${enc2047(m.subject)}`, `Date: ${d}`,
    `Message-ID: <${digits(r, 12)}.${seq}@mail.${m.from.replace(/.*@/, '').replace(/>.*/, '')}>`,
    ...(m.replyTo ? [`In-Reply-To: <${m.replyTo}>`, `References: <${m.replyTo}>`] : []), 'MIME-Version: 1.0'];
  const html = m.html ?? toHtml(m.text);
  const form = m.htmlOnly ? 'html' : m.html ? 'alt' : pick(r, ['plain', 'plain', 'html', 'alt', 'alt']);
  const bodyPart = form === 'plain' ? textPart(r, 'text/plain', m.text) : form === 'html' ? textPart(r, 'text/html', html)
    : (() => { const b = bnd('alt'); return `Content-Type: multipart/alternative; boundary="${b}"\r\n\r\n--${b}\r\n${textPart(r, 'text/plain', m.text)}--${b}\r\n${textPart(r, 'text/html', html)}--${b}--\r\n`; })();
  let top: string;
  if (m.atts?.length) {
    const b = bnd('mix');
    top = `Content-Type: multipart/mixed; boundary="${b}"\r\n\r\nThis is a multi-part message in MIME format.\r\n--${b}\r\n${bodyPart}${m.atts.map((a) => `--${b}\r\n${attPart(r, a)}`).join('')}--${b}--\r\n`;
  } else top = bodyPart;
  return Buffer.from(`${head.join('\r\n')}\r\n${top}`, 'utf8');
}
function rfc822(r: Rand, from: string, to: string, subject: string, text: string): string {
  return [`From: ${from}`, `To: ${to}`, `Subject: ${enc2047(subject)}`, `Date: Tue, ${int(r, 1, 28)} Jul 2025 09:${pad(int(r, 0, 59))}:00 -0500`,
    `Message-ID: <${digits(r, 10)}@fwd.example>`, 'MIME-Version: 1.0', 'Content-Type: text/plain; charset=utf-8', 'Content-Transfer-Encoding: 8bit', '', text.replace(/\n/g, '\r\n')].join('\r\n');
}
const quote = (who: string, when: string, t: string) => `\n\nOn ${when}, ${who} wrote:\n${t.split('\n').map((l) => `> ${l}`).join('\n')}`;
const outlookQuote = (from: string, to: string, subj: string, t: string) => `\n\n________________________________\nFrom: ${from}\nSent: Tuesday, July 15, 2025 4:12 PM\nTo: ${to}\nSubject: ${subj}\n\n${t}`;

// ---- per-message context ----
interface Ctx {
  r: Rand; org: Org; other: Org; pt: Person; pt2: Person; pt3: Person; dob: D; dos: D; dx: Dx; dx2: Dx; drug: string; drug2: string;
  test: Test; test2: Test; proc: (typeof PROCS)[number]; doc: Staff; doc2: Staff; clerk: Staff; payer: (typeof PAYERS)[number];
  age: number; sex: string;
}
const sig = (s: Staff, org: Org) => `${s.full}, ${s.cred}\n${org.name}\n${org.city}`;
const greet = (r: Rand, n: string) => pick(r, [`Dear ${n},`, `Hi ${n},`, `${n} -`, `Good morning ${n},`, `Hello ${n},`]);
const close = (r: Rand) => pick(r, ['Thanks,', 'Best regards,', 'Sincerely,', 'Respectfully,', 'Thank you,', 'Warmly,', '-']);
const footer = (r: Rand) => (chance(r, 0.45) ? pick(r, [
  '\n\nCONFIDENTIALITY NOTICE: This e-mail may contain protected health information (PHI) subject to HIPAA. If you received it in error, notify the sender and delete it.',
  '\n\nThe information in this message is intended only for the addressee and may be privileged under HIPAA. Unauthorized review or disclosure is prohibited.',
  '\n\n** This message was sent from an externally monitored mailbox. Do not forward PHI outside the organization without encryption. **',
]) : '');
const ptEmail = (c: Ctx) => `${c.pt.first.toLowerCase().normalize('NFD').replace(/[^a-z]/g, '')}.${c.pt.last.toLowerCase().normalize('NFD').replace(/[^a-z]/g, '')}${int(c.r, 1, 99)}@${pick(c.r, PT_DOMAINS)}`;
const mrs = (c: Ctx) => (c.sex === 'F' ? 'Ms.' : 'Mr.');
const val = (r: Rand, t: Test) => (t.hi - t.lo > 20 ? String(int(r, t.lo, t.hi)) : (t.lo + r() * (t.hi - t.lo)).toFixed(1));

type Writer = (c: Ctx) => Mail;
const W: Record<string, Writer> = {};

// ---------- PHI ----------
W.referral_letter = (c) => {
  const { r } = c;
  const v = int(r, 0, 3);
  const from = addr(`${c.doc.full}, ${c.doc.cred}`, c.doc.email), to = addr(c.doc2.full, c.doc2.email);
  if (v === 0) return { from, to, subject: pick(r, ['New consult request', `Referral: ${c.pt.last}`, 'Specialist referral - please review']),
    text: `${greet(r, `Dr. ${c.doc2.last}`)}\n\nI would be grateful if you could see ${mrs(c)} ${c.pt.full} (${dobLabel(r)} ${fmtDate(r, c.dob)}, ${mrn(r)}), a ${c.age}-year-old I follow for ${c.dx.name}. Over the last two months the symptoms have progressed despite a trial of ${c.drug}, and I think ${c.proc.name} may need to be considered.\n\nShe/he can be reached at ${phone(r)}. Recent notes and the ${c.test.name} result are in Care Everywhere.\n\n${close(r)}\n${sig(c.doc, c.org)}${footer(r)}` };
  if (v === 1) return { from: addr('Epic In Basket', `noreply-inbasket@${c.org.dom}`), to, subject: `Referral Order ${digits(r, 8)} - Action Required`,
    text: `REFERRAL NOTIFICATION\n\nPatient: ${c.pt.last.toUpperCase()}, ${c.pt.first.toUpperCase()}\n${dobLabel(r)} ${fmtDate(r, c.dob)}   ${mrn(r)}\nReferred by: ${c.doc.full}, ${c.doc.cred}\nReferred to: ${c.doc2.full} / ${c.other.name}\nReason for referral: ${c.dx.name} (${c.dx.code})\nRequested service: ${c.proc.name}\nPriority: ${pick(r, ['Routine', 'Urgent', 'STAT'])}\n\nPlease log in to accept or decline this referral.` };
  if (v === 2) return { from, to: addr(`${c.other.name} Intake`, `intake@${c.other.dom}`), subject: pick(r, ['FAX: referral packet (5 pages)', 'Faxed referral - cover sheet']),
    text: `FACSIMILE COVER SHEET\n\nTo: ${c.other.name} Scheduling      From: ${c.org.name}\nPages (incl. cover): ${int(r, 3, 9)}\nRe: ${c.pt.full} / ${fmtDate(r, c.dob)}\nDx: ${c.dx.code} ${c.dx.name}\nInsurance: ${c.payer.name} ${memberId(r)}\n\nComments: Please schedule new-patient evaluation. Records attached.\n\nThe documents accompanying this transmission contain confidential health information.` };
  return { from, to, subject: pick(r, ['Referral letter attached', 'Consult letter']),
    text: `${greet(r, `Dr. ${c.doc2.last}`)}\n\nPlease find attached my referral for ${mrs(c)} ${c.pt.last} regarding ${c.dx.name}. Happy to discuss.\n\n${close(r)}\n${c.doc.full}`,
    atts: [{ name: 'referral.pdf', type: 'application/pdf', data: makePdf([`${c.org.name} - Referral`, `Patient: ${c.pt.full}`, `DOB: ${fmtDate(r, c.dob)}`, `${mrn(r)}`, `Diagnosis: ${c.dx.name} ${c.dx.code}`, `Current medication: ${c.drug}`, `Request: ${c.proc.name}`], 'Referral') }] };
};
W.discharge_summary = (c) => {
  const { r } = c;
  const v = int(r, 0, 2);
  const adm = fmtDate(r, c.dos);
  const body = `DISCHARGE SUMMARY\nPatient: ${c.pt.full}   ${dobLabel(r)} ${fmtDate(r, c.dob)}\n${mrn(r)}   ${fin(r)}\nAdmitted: ${adm}   Discharged: ${fmtDate(r, { ...c.dos, d: Math.min(28, c.dos.d + 3) })}\nAttending: ${c.doc.full}, ${c.doc.cred}\n\nPrincipal diagnosis: ${c.dx.name} (${c.dx.code})\nSecondary: ${c.dx2.name}\nHospital course: Underwent ${c.proc.name} on hospital day 2 without complication. ${c.test.name} ${val(r, c.test)} ${c.test.unit} prior to discharge.\nDischarge medications: ${c.drug} as directed; ${c.drug2} (NEW).\nFollow-up: ${c.doc2.full} in 1-2 weeks.`;
  if (v === 0) return { from: addr(c.doc.full, c.doc.email), to: addr(c.doc2.full, c.doc2.email), subject: pick(r, ['Transition of care', 'D/C summary for your patient', 'Hospital discharge - TOC']),
    text: `${greet(r, c.doc2.first)}\n\nYour patient was discharged today; summary below for continuity.\n\n${body}\n\n${close(r)}\n${sig(c.doc, c.org)}${footer(r)}` };
  if (v === 1) return { from: addr('PowerChart Notification', `powerchart-noreply@${c.org.dom}`), to: addr(c.doc2.full, c.doc2.email), subject: 'A document is available for review',
    text: `A new clinical document has been routed to you.\n\nDocument type: Discharge Summary\nPatient: ${c.pt.last.toUpperCase()}, ${c.pt.first}\n${fin(r)}\nDischarge diagnosis: ${c.dx.name}\nSigned by: ${c.doc.full}, ${c.doc.cred}\n\nThis notification was generated automatically. Do not reply.` };
  return { from: addr(c.clerk.full, c.clerk.email), to: addr(c.doc2.full, c.doc2.email), subject: 'Records request fulfilled',
    text: `${greet(r, `Dr. ${c.doc2.last}`)}\n\nAs requested, the discharge summary is attached.\n\n${close(r)}\n${c.clerk.full}, HIM`,
    atts: [{ name: `DC_${c.pt.last}.txt`, type: 'text/plain', data: body }] };
};
W.lab_result = (c) => {
  const { r } = c;
  const v = int(r, 0, 2);
  const acc = `ACC ${int(r, 1, 9)}R-${digits(r, 7)}`;
  if (v === 0) return { from: addr(`${c.other.name} Reference Lab`, `results@${c.other.dom}`), to: addr(c.doc.full, c.doc.email), subject: pick(r, ['Critical value notification', 'ABNORMAL RESULT - callback logged', 'Result ready']),
    text: `Patient: ${c.pt.full}\n${dobLabel(r)} ${fmtDate(r, c.dob)}\n${acc}\nCollected: ${fmtDate(r, c.dos)}\n\nTest                              Result   Flag   Units        LOINC\n${c.test.name.padEnd(34)}${val(r, c.test).padEnd(9)}H      ${c.test.unit.padEnd(13)}${loinc(r)}\n${c.test2.name.padEnd(34)}${val(r, c.test2).padEnd(9)}       ${c.test2.unit.padEnd(13)}${loinc(r)}\n\nCallback to ${c.doc.full}'s office at ${pad(int(r, 8, 16))}:${pad(int(r, 0, 59))}; read-back confirmed.` };
  if (v === 1) return { from: addr(c.clerk.full, c.clerk.email), to: addr(c.doc.full, c.doc.email), subject: 'Outside labs',
    text: `Outside results came in for ${c.pt.full} (${mrn(r)}), spreadsheet attached. The ${c.test.name} looks off to me.\n\n${c.clerk.first}`,
    atts: [{ name: 'results.csv', type: 'text/csv', data: `patient,dob,collected,test,loinc,value,units\n"${c.pt.last}, ${c.pt.first}","${fmtDate(r, c.dob)}","${fmtDate(r, c.dos)}",${c.test.name},${loinc(r)},${val(r, c.test)},${c.test.unit}\n` }] };
  const html = `<html><body><table border="1" cellpadding="3"><tr><th colspan="4">${esc(c.other.name)} - Final Report</th></tr><tr><td>Name</td><td>${esc(c.pt.full)}</td><td>DOB</td><td>${fmtDate(r, c.dob)}</td></tr><tr><td>Accession</td><td>${acc}</td><td>Ordering</td><td>${esc(c.doc.full)}</td></tr><tr><td>${esc(c.test.name)}</td><td><b>${val(r, c.test)}</b></td><td>${esc(c.test.unit)}</td><td>ABN</td></tr></table><p>Clinical indication: ${esc(c.dx.name)}</p></body></html>`;
  return { from: addr('Lab Results', `lis@${c.other.dom}`), to: addr(c.doc.full, c.doc.email), subject: `Final report - ${acc}`, text: html.replace(/<[^>]+>/g, ' '), html, htmlOnly: true };
};
W.pathology_report = (c) => {
  const { r } = c;
  const sp = `S${int(r, 24, 25)}-${digits(r, 5)}`;
  const rep = `SURGICAL PATHOLOGY REPORT\nAccession: ${sp}\nPatient: ${c.pt.last}, ${c.pt.first}   ${dobLabel(r)} ${fmtDate(r, c.dob)}\n${mrn(r)}\nSubmitting physician: ${c.doc.full}\nDate of procedure: ${fmtDate(r, c.dos)}\n\nSPECIMEN: ${pick(r, ['Skin, left forearm, shave', 'Ileum, segmental resection', 'Right adrenal gland, adrenalectomy', 'Conjunctiva, right eye, excision', 'Submandibular gland duct, excision'])}\nGROSS: Received in formalin, ${int(r, 1, 4)}.${int(r, 0, 9)} cm tan-pink tissue.\nFINAL DIAGNOSIS: ${c.dx.name.toUpperCase()}. Margins ${pick(r, ['free of lesion', 'involved at the deep edge'])}.\nElectronically signed: ${c.doc2.full}, MD, Pathologist`;
  if (chance(r, 0.5)) return { from: addr('AP Reporting', `ap-reports@${c.other.dom}`), to: addr(c.doc.full, c.doc.email), subject: `Path report ${sp}`, text: rep + footer(r) };
  return { from: addr(c.doc2.full, c.doc2.email), to: addr(c.doc.full, c.doc.email), subject: 'Path result - your patient',
    text: `${greet(r, c.doc.first)}\n\nFinal on your ${c.pt.last} specimen is back, PDF attached. Call me if you want to talk about margins.\n\n${c.doc2.first}`,
    atts: [{ name: `${sp}.pdf`, type: 'application/pdf', data: makePdf(rep.split('\n'), 'Pathology') }] };
};
W.radiology_report = (c) => {
  const { r } = c;
  const ex = pick(r, ['MRI RIGHT ELBOW WITHOUT CONTRAST', 'CT CHEST HIGH RESOLUTION', 'CT TEMPORAL BONES WITHOUT CONTRAST', 'XR WRIST 4 VIEWS', 'US RIGHT SHOULDER', 'CT ABDOMEN/PELVIS WITH CONTRAST']);
  const rep = `EXAM: ${ex}\nPATIENT: ${c.pt.full.toUpperCase()}   ${dobLabel(r)} ${fmtDate(r, c.dob)}   ${mrn(r)}\nDATE OF SERVICE: ${fmtDate(r, c.dos)}\nCLINICAL HISTORY: ${c.dx.name}, ${pick(r, ['pain', 'follow-up', 'preoperative planning'])}.\nFINDINGS: ${pick(r, ['Soft tissue density in the attic with scutum erosion.', 'Thickening of the common extensor origin with partial-thickness tear.', 'Nondisplaced waist fracture line.', 'Hyperechoic focus in the supraspinatus tendon with posterior shadowing.', 'Enhancing 2.1 cm mural mass in the distal ileum with mesenteric desmoplasia.'])}\nIMPRESSION: Findings consistent with ${c.dx.name}.\nRead by: ${c.doc2.full}, MD`;
  const v = int(r, 0, 2);
  if (v === 0) return { from: addr('PACS Results', `pacs-noreply@${c.other.dom}`), to: addr(c.doc.full, c.doc.email), subject: pick(r, ['Imaging report finalized', `Result: ${ex}`]), text: rep };
  if (v === 1) return { from: addr(c.doc2.full, c.doc2.email), to: addr(c.doc.full, c.doc.email), subject: `Prelim read on ${c.pt.last}`,
    text: `${c.doc.first}, quick heads-up before it finalizes: ${ex.toLowerCase()} on ${c.pt.full} (${fmtDate(r, c.dob)}) shows what looks like ${c.dx.name}. Full report to follow.\n\n${c.doc2.first}` };
  return { from: addr(c.clerk.full, c.clerk.email), to: addr(c.doc.full, c.doc.email), subject: 'Outside imaging report', text: `Report received from ${c.other.name}; attached.\n\n${c.clerk.full}`,
    atts: [{ name: 'report.html', type: 'text/html', data: toHtml(rep) }] };
};
W.claim_billing = (c) => {
  const { r } = c;
  const v = int(r, 0, 2);
  const cl = claimNo(r);
  if (v === 0) return { from: addr(c.clerk.full, c.clerk.email), to: addr(`${c.payer.name} Appeals`, `appeals@${c.payer.dom}`), subject: `Level 1 appeal - ${cl}`,
    text: `To the Appeals Unit:\n\nWe request reconsideration of the denial for ${cl}.\n\nMember: ${c.pt.full}\nMember ID: ${memberId(r)}\n${dobLabel(r)} ${fmtDate(r, c.dob)}\nDate of service: ${fmtDate(r, c.dos)}\nCPT ${c.proc.cpt} - ${c.proc.name}\nICD-10-CM ${c.dx.code}\nRendering NPI: ${npi(r)}\n\nThe procedure was medically necessary given failure of conservative management (${c.drug} x 12 weeks). Operative note enclosed.\n\n${close(r)}\n${c.clerk.full}, ${c.clerk.cred}\nPatient Financial Services, ${c.org.name}` };
  if (v === 1) return { from: addr(`${c.org.name} Billing`, `billing@${c.org.dom}`), to: addr(c.pt.full, ptEmail(c)), subject: pick(r, ['Your statement is ready', 'Balance due notice']),
    text: `${greet(r, c.pt.first)}\n\nA new statement is available for guarantor account ${digits(r, 9)}.\n\nService date: ${fmtDate(r, c.dos)}\nDescription: ${c.proc.name} (${c.proc.cpt})\nCharges: $${int(r, 900, 24000)}.00\nInsurance paid: $${int(r, 100, 800)}.00\nYou owe: $${int(r, 40, 900)}.00\n\nPay online or call ${phone(r)}.` };
  const h = pick(r, HCPCS);
  return { from: addr(c.clerk.full, c.clerk.email), to: addr(`Coding Review`, `coding@${c.org.dom}`), subject: 'Corrected claim - modifier issue',
    text: `${c.pt.last}, ${c.pt.first} / ${memberId(r)} / DOS ${fmtDate(r, c.dos)}\nLine 1: ${h[0]} x ${int(r, 1, 10)} units (${h[1]}) - dx ${c.dx.code}\nLine 2: 96365 infusion, initial hour\nResubmitting as frequency code 7 against ${cl}.\n\n${c.clerk.first}` };
};
W.remittance_advice = (c) => {
  const { r } = c;
  const rows = [c.pt, c.pt2, c.pt3].map((p) => { const pr = pick(r, PROCS); const billed = int(r, 200, 9000); return `${p.last.toUpperCase()}, ${p.first.toUpperCase()}  ${memberId(r)}  ${fmtDate(r, c.dos)}  ${pr.cpt}  ${billed}.00  ${int(r, 0, billed)}.00  ${pick(r, ['CO-45', 'PR-1', 'CO-97', 'PR-2', 'CO-16 N290'])}`; });
  if (chance(r, 0.5)) return { from: addr(`${c.payer.name} EDI`, `era@${c.payer.dom}`), to: addr(c.clerk.full, c.clerk.email), subject: `835 remittance - check/EFT ${digits(r, 9)}`,
    text: `ELECTRONIC REMITTANCE ADVICE\nPayee: ${c.org.name}  NPI ${npi(r)}\nTrace: ${digits(r, 10)}\n\nPATIENT  MEMBER ID  DOS  PROC  BILLED  PAID  ADJ\n${rows.join('\n')}\n\nCARC/RARC descriptions available in the provider portal.` };
  return { from: addr(c.clerk.full, c.clerk.email), to: addr('PFS Posting Team', `posting@${c.org.dom}`), subject: 'ERA detail to post',
    text: `Posting detail attached for today's EFT.\n\n${c.clerk.first}`,
    atts: [{ name: 'era_detail.csv', type: 'text/csv', data: `patient,member_id,dos,cpt,dx,billed,paid,adj\n${[c.pt, c.pt2].map((p) => `"${p.full}",${memberId(r)},"${fmtDate(r, c.dos)}",${pick(r, PROCS).cpt},${pick(r, DX).code},${int(r, 200, 900)},${int(r, 0, 200)},CO-45`).join('\n')}\n` }] };
};
W.rx_refill_request = (c) => {
  const { r } = c;
  if (chance(r, 0.5)) return { from: addr('Corner Apothecary Pharmacy', `refills@corner-apothecary.test`), to: addr(c.doc.full, c.doc.email), subject: pick(r, ['Refill authorization request', 'RENEWAL REQUEST', 'Rx renewal needed']),
    text: `PRESCRIPTION RENEWAL REQUEST\n\nPatient: ${c.pt.full}\n${dobLabel(r)} ${fmtDate(r, c.dob)}\nPhone: ${phone(r)}\nDrug: ${c.drug} ${int(r, 1, 40) * 5} mg\nNDC: ${ndc(r)}\nSig: as directed\nLast fill: ${fmtDate(r, c.dos)}   ${rxNo(r)}\nPrescriber: ${c.doc.full}  NPI ${npi(r)}\n\n[ ] Approve  ___ refills    [ ] Deny    [ ] Needs appointment\nPlease fax back to ${phone(r)}.` };
  return { from: addr(c.pt.full, ptEmail(c)), to: addr(`${c.org.name} Nurse Line`, `nurseline@${c.org.dom}`), subject: pick(r, ['running low', 'need my prescription refilled please', 'Refill']),
    text: `Hello,\n\nI'm almost out of my ${c.drug} and the pharmacy says they need a new authorization from Dr. ${c.doc.last}. I take it for my ${c.dx.name}. My birthday is ${fmtDate(r, c.dob)} if you need it to look me up.\n\nThank you!\n${c.pt.first}` };
};
W.prior_authorization = (c) => {
  const { r } = c;
  const a = authNo(r);
  if (chance(r, 0.5)) return { from: addr(`${c.payer.name} Utilization Management`, `um@${c.payer.dom}`), to: addr(c.doc.full, c.doc.email), subject: pick(r, [`Determination notice ${a}`, 'Prior authorization decision']),
    text: `NOTICE OF ${pick(r, ['APPROVAL', 'ADVERSE DETERMINATION'])}\n\nReference: ${a}\nMember: ${c.pt.full}   MBI ${mbi(r)}\n${dobLabel(r)} ${fmtDate(r, c.dob)}\nRequested: ${c.drug} for ${c.dx.name} (${c.dx.code})\nRequesting provider: ${c.doc.full}, NPI ${npi(r)}\n\nRationale: ${pick(r, ['Criteria met per plan policy MP-204.', 'Documentation does not show a trial of a formulary alternative. You may request a peer-to-peer review within 14 days.'])}\n\n${c.payer.name} Clinical Review` };
  const h = pick(r, HCPCS);
  return { from: addr(c.clerk.full, c.clerk.email), to: addr(`${c.payer.name} PA Desk`, `pa-intake@${c.payer.dom}`), subject: 'PA request - urgent',
    text: `Please review the attached request.\n\nPatient ${c.pt.full}, member ${memberId(r)}, needs ${h[1]} (${h[0]}) for ${c.dx.name}. Clinicals attached.\n\n${c.clerk.full}\n${c.org.name}`,
    atts: [{ name: 'pa_form.pdf', type: 'application/pdf', data: makePdf(['PRIOR AUTHORIZATION REQUEST', `Patient: ${c.pt.full}  DOB ${fmtDate(r, c.dob)}`, `Diagnosis: ${c.dx.code}`, `Drug: ${h[1]} ${h[0]}`, `Prescriber NPI: ${npi(r)}`], 'PA') }] };
};
W.appointment_followup = (c) => {
  const { r } = c;
  const v = int(r, 0, 2);
  if (v === 0) return { from: addr(`${c.org.name} Scheduling`, `appointments@${c.org.dom}`), to: addr(c.pt.full, ptEmail(c)), subject: pick(r, ['Appointment reminder', 'Your upcoming visit', 'See you soon']),
    text: `${greet(r, c.pt.first)}\n\nThis is a reminder of your follow-up for ${c.dx.name} with ${c.doc.full}, ${c.doc.cred} on ${fmtDate(r, c.dos)} at ${int(r, 8, 11)}:${pick(r, ['00', '15', '30', '45'])} AM. Please bring your ${c.drug} and a list of questions. Arrive 15 minutes early.\n\nTo reschedule call ${phone(r)}.` };
  if (v === 1) return { from: addr(c.doc.full, c.doc.email), to: addr(c.clerk.full, c.clerk.email),
    subject: `${c.pt.full} ${fmtDate(r, c.dob)} - ${c.dx.name} f/u`, text: `${pick(r, ['Please get this one on my schedule in 4 weeks, thanks.', 'Needs a slot next month. Thx', 'Can you book her/him? 30 min.'])}\n\n${c.doc.first}` };
  return { from: addr(c.clerk.full, c.clerk.email), to: addr(c.pt.full, ptEmail(c)), subject: 'Post-op check',
    text: `Hi ${c.pt.first}, we have you down for your post-op visit after your ${c.proc.name} on ${fmtDate(r, c.dos)}. Reply to confirm!\n\n${c.clerk.first} at ${c.org.name}` };
};
W.care_coordination_thread = (c) => {
  const { r } = c;
  const hist = `${c.pt.full} (${mrn(r)}) is being discharged to home health tomorrow. Dx ${c.dx.name}; started ${c.drug}. Needs ${c.test.name} in a week and wound check.`;
  const v = int(r, 0, 2);
  if (v === 0) return { from: addr(c.doc2.full, c.doc2.email), to: addr(c.doc.full, c.doc.email), subject: `RE: ${pick(r, ['home health handoff', 'coordination', 'tomorrow'])}`, replyTo: `${digits(r, 9)}@${c.org.dom}`,
    text: `${pick(r, ['Got it, we will take it from here.', 'Works for us. Agency is aware.', 'Thanks - I will let the RN know.'])}\n\n${c.doc2.first}${quote(c.doc.full, `${pick(r, ['Mon', 'Tue', 'Wed'])}, Jul ${int(r, 1, 28)}, 2025 at ${int(r, 1, 12)}:${pad(int(r, 0, 59))} PM`, hist)}` };
  if (v === 1) return { from: addr(c.doc.full, c.doc.email), to: addr(c.doc2.full, c.doc2.email), cc: addr(c.clerk.full, c.clerk.email), subject: `RE: ${c.pt.last} - next steps`,
    text: `${greet(r, c.doc2.first)}\n\nAgree with holding ${c.drug} until the ${c.test.name} comes back. I'll see ${c.pt.first} Thursday and will call the family.\n\n${c.doc.first}${outlookQuote(c.doc2.full, c.doc.full, `${c.pt.last} - next steps`, `${c.dx.name} flare, ${dobLabel(r)} ${fmtDate(r, c.dob)}. Thoughts on the ${c.proc.name}?`)}` };
  return { from: addr(c.clerk.full, c.clerk.email), to: addr(c.doc2.full, c.doc2.email), subject: 'FW: handoff', text: `FYI see below / attached.\n\n${c.clerk.first}`,
    atts: [{ name: 'handoff.eml', type: 'message/rfc822', data: rfc822(r, addr(c.doc.full, c.doc.email), addr(c.clerk.full, c.clerk.email), 'handoff', hist) }] };
};
W.patient_result_reply = (c) => {
  const { r } = c;
  const t = `${greet(r, c.pt.first)}\n\n${pick(r, ['I reviewed your recent results.', 'Your labs from last week are back.', 'Following up on your test.'])} Your ${c.test.name} was ${val(r, c.test)} ${c.test.unit}, which ${pick(r, ['is a bit above where we want it', 'is within the expected range', 'has improved since spring'])}. Given your ${c.dx.name}, I'd like to ${pick(r, [`keep you on ${c.drug}`, `start ${c.drug}`, 'repeat it in 3 months'])}.\n\nLet me know if you have questions.\n\n${c.doc.full}, ${c.doc.cred}`;
  if (chance(r, 0.5)) return { from: addr(`${c.org.name} MyChart`, `mychart-noreply@${c.org.dom}`), to: addr(c.pt.full, ptEmail(c)), subject: 'You have a new message', text: `${t}\n\n-- This message was sent through the patient portal.` };
  return { from: addr(c.doc.full, c.doc.email), to: addr(c.pt.full, ptEmail(c)), subject: `RE: my results?`, replyTo: `${digits(r, 9)}@${pick(r, PT_DOMAINS)}`,
    text: `${t}${quote(c.pt.full, 'Fri, Aug 8, 2025', 'Hi doctor, did my blood work come back? Thanks')}` };
};
W.patient_list_csv = (c) => {
  const { r } = c;
  const ps = [c.pt, c.pt2, c.pt3, person(r), person(r)];
  const sep = chance(r, 0.3) ? '\t' : ',';
  const cell = (v: string) => (v.includes(sep) || v.includes('"') ? `"${v.replace(/"/g, '""')}"` : v); // RFC 4180 quoting
  const csv = [['Name', 'DOB', 'MRN', 'Dx', 'ICD10', 'Med'].join(sep), ...ps.map((p) => { const d = pick(r, DX); return [p.full, fmtDate(r, date(r, 1940, 2005)), mrn(r).replace(/[^0-9A-Z]/g, ''), d.name, d.code, pick(r, DRUGS)].map(cell).join(sep); })].join('\n');
  return { from: addr(c.clerk.full, c.clerk.email), to: addr(c.doc.full, c.doc.email), subject: pick(r, ['Huddle list', 'Panel outreach list', 'Tomorrow - pre-visit planning', 'Registry pull']),
    text: `${pick(r, ['Attached is the list for tomorrow.', 'Here is the pull you asked for.', 'List attached.'])}\n\n${c.clerk.first}`,
    atts: [{ name: sep === '\t' ? 'list.tsv' : 'list.csv', type: sep === '\t' ? 'text/tab-separated-values' : 'text/csv', data: csv + '\n' }] };
};
W.attachment_only_phi = (c) => {
  const { r } = c;
  const body = pick(r, ['Please see attached.', 'See attachment.', 'Attached as discussed.', 'FYI', 'Sending over the document you requested.', 'Scan from the front desk.']);
  const subj = pick(r, ['Documents', 'Scan', 'Requested file', 'as discussed', 'Fwd:', 'Attachment']);
  const content = [`Patient: ${c.pt.full}`, `${dobLabel(r)} ${fmtDate(r, c.dob)}`, mrn(r), `Assessment: ${c.dx.name} (${c.dx.code})`, `Plan: ${c.drug}; ${c.proc.name} scheduled ${fmtDate(r, c.dos)}`];
  const v = int(r, 0, 4);
  const atts: Att[] = v === 0 ? [{ name: 'scan0001.pdf', type: 'application/pdf', data: makePdf(content, 'Scan') }]
    : v === 1 ? [{ name: 'note.txt', type: 'text/plain', data: content.join('\n') }]
      : v === 2 ? [{ name: 'summary.htm', type: 'text/html', data: toHtml(content.join('\n')) }]
        : v === 3 ? [{ name: 'message.eml', type: 'message/rfc822', data: rfc822(r, addr(c.doc.full, c.doc.email), addr(c.doc2.full, c.doc2.email), 'patient update', content.join('\n')) }]
          : [{ name: 'export.csv', type: 'text/csv', data: `name,dob,diagnosis,code\n${c.pt.full},"${fmtDate(r, c.dob)}","${c.dx.name}",${c.dx.code}\n` }];
  return { from: addr(c.clerk.full, c.clerk.email), to: addr(c.doc2.full, c.doc2.email), subject: subj, text: `${body}\n\n${c.clerk.first}`, atts };
};

// ---------- clean ----------
W.health_newsletter = (c) => {
  const { r } = c;
  const dx = c.dx;
  return { from: addr(`${c.org.name} Community Health`, `newsletter@${c.org.dom}`), to: addr('Subscribers', `community@lists.${c.org.dom}`), subject: pick(r, [`Wellness Bulletin: ${dx.name}`, 'Your Health This Month', 'Healthy Living - Fall Edition']),
    text: `${pick(r, ['In this issue', 'This month', 'Spotlight'])}: ${dx.name}\n\n${dx.name} affects thousands of adults each year. Common signs include pain, swelling or fatigue, depending on the condition. Talk to your clinician about whether ${c.proc.name} or medicines such as ${c.drug} might be right for you.\n\nAsk the expert: ${c.doc.full}, ${c.doc.cred}, answers reader questions on the ${c.test.name} and what a result means.\n\nFree screening day: Saturday 9-1 in the main lobby. Call ${phone(r)} for details.\n\nUnsubscribe | Privacy policy${footer(r)}` };
};
W.aggregate_statistics = (c) => {
  const { r } = c;
  const rows = Array.from({ length: 5 }, () => { const d = pick(r, DX); return `${d.code.padEnd(10)}${d.name.padEnd(46)}${int(r, 3, 220)}`; });
  const t = `${pick(r, ['Q2', 'Q3', 'FY25'])} ${pick(r, ['readmissions by principal diagnosis', 'ED visits by ICD-10 (de-identified)', 'top diagnoses, all payers'])}\n\nICD-10    Description                                   Count\n${rows.join('\n')}\n\nCounts under 11 are suppressed per policy. No patient-level data included.`;
  if (chance(r, 0.4)) return { from: addr(c.clerk.full, c.clerk.email), to: addr('Quality Committee', `quality@${c.org.dom}`), subject: 'Dashboard extract', text: `Extract attached for Thursday.\n\n${c.clerk.first}`,
    atts: [{ name: 'dx_counts.csv', type: 'text/csv', data: `icd10,description,count,pct\n${Array.from({ length: 6 }, () => { const d = pick(r, DX); return `${d.code},"${d.name}",${int(r, 11, 400)},${(r() * 10).toFixed(1)}%`; }).join('\n')}\n` }] };
  return { from: addr(c.clerk.full, c.clerk.email), to: addr('Quality Committee', `quality@${c.org.dom}`), subject: pick(r, ['Quarterly numbers', 'Readmission data', 'Registry aggregate report']), text: `${t}\n\n${sig(c.clerk, c.org)}${footer(r)}` };
};
W.pharma_device_sales = (c) => {
  const { r } = c;
  return { from: addr(`${c.doc2.full}, Account Manager`, `${c.doc2.first.toLowerCase()}@${pick(r, ['halcyon-pharma.example', 'vireo-therapeutics.test', 'trellis-devices.example'])}`), to: addr(`Dr. ${c.doc.full}`, c.doc.email),
    subject: pick(r, [`${c.drug}: new indication`, 'Lunch-and-learn invitation', `Savings program for ${c.drug}`, 'Sample request confirmation']),
    text: `Dear Dr. ${c.doc.last},\n\nOur records show you as a prescriber (NPI ${npi(r)}) who treats patients with ${c.dx.name}. ${c.drug[0]!.toUpperCase()}${c.drug.slice(1)} is now approved for adults with ${c.dx.name} (${c.dx.code}), and the copay card covers eligible commercially insured patients.\n\nI'd welcome 15 minutes to review the data on ${c.test.name} endpoints. I can also bring lunch for your team.\n\nBest,\n${c.doc2.full}\nTerritory ${int(r, 100, 999)}\n\nPlease see full Prescribing Information, including Boxed Warning.` };
};
W.conference_cme = (c) => {
  const { r } = c;
  const vignette = chance(r, 0.5) ? `\n\nCase of the month: A ${int(r, 25, 80)}-year-old ${pick(r, ['woman', 'man'])} presents with ${pick(r, ['progressive gait instability', 'recurrent ear drainage', 'flushing and diarrhea', 'hyponatremia after surgery'])}. Workup reveals ${c.dx.name}. What would you do next? Discussion at the session.` : '';
  return { from: addr(`${c.other.name} CME Office`, `cme@${c.other.dom}`), to: addr('Medical Staff', `medstaff@lists.${c.org.dom}`), subject: pick(r, ['Grand Rounds this Friday', 'Save the date: Regional Symposium', 'CME webinar - register now']),
    text: `${pick(r, ['Grand Rounds', 'Annual Symposium', 'Evening Webinar'])}: "${pick(r, ['Updates in', 'Controversies in', 'A Practical Approach to'])} ${c.dx.name}"\n\nSpeakers: ${c.doc.full}, ${c.doc.cred} and ${c.doc2.full}, ${c.doc2.cred}\nWhen: ${fmtDate(r, c.dos)}, 7:30 AM\nWhere: Auditorium B and Zoom\n\nObjectives: review ${c.drug} and ${c.drug2} evidence; indications for ${c.proc.name} (CPT ${c.proc.cpt}).${vignette}\n\n1.0 AMA PRA Category 1 Credit(TM). Disclosures available at registration.` };
};
W.research_abstract = (c) => {
  const { r } = c;
  return { from: addr('Journal TOC Alerts', `alerts@${pick(r, ['jclinmed-press.example', 'annals-alerts.test'])}`), to: addr(c.doc.full, c.doc.email), subject: pick(r, ['New issue alert', 'Articles matching your saved search', 'Early view']),
    text: `${pick(r, ['Efficacy of', 'Outcomes after', 'Long-term safety of'])} ${c.drug} in adults with ${c.dx.name}: a ${pick(r, ['randomized trial', 'multicenter cohort', 'registry analysis'])}\n${c.doc2.full}, ${c.doc.full}, ${person(r).full}, et al.\n\nBackground: ${c.dx.name} (ICD-10 ${c.dx.code}) carries substantial morbidity. Methods: ${int(r, 80, 900)} patients (mean age ${int(r, 40, 70)}) were assigned to ${c.drug} or placebo. Results: ${c.test.name} fell by ${int(r, 10, 60)}% (p<0.01). Conclusions: ${c.drug} improved outcomes.\n\nRead the full text | Manage alerts` };
};
W.operations_notice = (c) => {
  const { r } = c;
  const v = int(r, 0, 3);
  const subj = [pick(r, ['Planned Epic downtime Sunday 0100-0500', 'Cerner Millennium upgrade - read-only window']), 'Annual HIPAA privacy training due', 'Garage C closure', 'Cafeteria menu & holiday hours'][v]!;
  const t = [
    `During the downtime, use downtime forms and the BCA read-only PCs on each unit. Results will be backloaded after go-live. Questions: IS Service Desk x4-${digits(r, 4)}.`,
    `All workforce members must complete the 2025 HIPAA Privacy & Security module by ${fmtDate(r, c.dos)}. Reminder: never send PHI to personal e-mail; use [secure] in the subject to encrypt.`,
    `Garage C will be closed for resurfacing on ${fmtDate(r, c.dos)}. Shuttle service from Lot F runs every 10 minutes.`,
    `Thursday: chili bar, roasted vegetables. The cafeteria closes at 7 PM on the holiday. Catering orders need 48 hours notice.`,
  ][v]!;
  return { from: addr(pick(r, ['Information Services', 'Compliance Office', 'Facilities Management', 'Food & Nutrition Services']), `announce@${c.org.dom}`), to: addr('All Staff', `allstaff@lists.${c.org.dom}`), subject: subj,
    text: `${t}\n\n${c.clerk.full}\n${c.org.name}${footer(r)}` };
};
W.staff_schedule = (c) => {
  const { r } = c;
  const names = Array.from({ length: 5 }, () => `${pick(r, STAFF_FIRST)} ${pick(r, STAFF_LAST)}, ${pick(r, ['RN', 'MD', 'NP', 'RT', 'CNA'])}`);
  return { from: addr(c.clerk.full, c.clerk.email), to: addr('4 West Staff', `4west@lists.${c.org.dom}`), subject: pick(r, ['On-call schedule - August', 'Weekend coverage', 'Updated OR block schedule', 'Holiday staffing grid']),
    text: `${pick(r, ['Team,', 'Hi all,', 'Good afternoon,'])}\n\n${names.map((n, i) => `${['Mon', 'Tue', 'Wed', 'Thu', 'Fri'][i]}: ${n} (pager ${digits(r, 4)})`).join('\n')}\n\nSwaps must be approved by the charge nurse. ${pick(r, ['Cath lab block moved to Tuesday.', 'Float pool covers nights.', ''])}\n\n${c.clerk.first}` };
};
W.guideline_discussion = (c) => {
  const { r } = c;
  return { from: addr(c.doc.full, c.doc.email), to: addr(c.doc2.full, c.doc2.email), cc: addr(`${c.org.name} P&T`, `pt-committee@${c.org.dom}`), subject: pick(r, [`RE: ${c.drug} criteria`, 'New society guideline', 'Formulary question']), replyTo: `${digits(r, 9)}@${c.org.dom}`,
    text: `${c.doc2.first},\n\nI read the new guidance on ${c.dx.name}. They now put ${c.drug} ahead of ${c.drug2} for most adults, and reserve ${c.proc.name} for refractory disease. I'm not sure the evidence supports checking ${c.test.name} every 3 months - seems like overkill outside a trial.\n\nShould we bring it to P&T?\n\n${c.doc.first}${quote(c.doc2.full, 'Wed, Jul 9, 2025', `Has anyone looked at the updated ${c.dx.name} recommendations? Wondering whether to change our order set.`)}` };
};
W.job_posting = (c) => {
  const { r } = c;
  return { from: addr(`${c.org.name} Talent Acquisition`, `careers@${c.org.dom}`), to: addr('Nursing Candidates', `candidates@lists.${pick(r, ['nursejobs-board.test', 'rn-careers.example'])}`), subject: pick(r, ['Now hiring: RN, Cardiac Step-Down', 'Sign-on bonus - Perioperative RN', 'Travel RN opportunity']),
    text: `${c.org.name} is seeking a ${pick(r, ['Registered Nurse', 'Charge Nurse', 'Clinical Nurse Specialist'])} for ${pick(r, ['our structural heart program', 'the ENT/ophthalmology surgery center', 'the infusion center'])}.\n\nRequirements: active RN license, BLS/ACLS, 2+ years acute care. Experience with patients undergoing ${c.proc.name} or receiving ${c.drug} infusions a plus.\n\nPay: $${int(r, 38, 62)}-${int(r, 63, 80)}/hr, $${int(r, 5, 20)},000 sign-on bonus. Contact recruiter ${c.clerk.full} at ${phone(r)}.\n\nEqual Opportunity Employer.` };
};
W.general_business = (c) => {
  const { r } = c;
  return { from: addr(c.clerk.full, c.clerk.email), to: addr('Operations Committee', `ops-committee@${c.org.dom}`), subject: pick(r, ['Minutes - Operations Committee', 'Budget review follow-up', 'Agenda for next meeting']),
    text: `Minutes\nPresent: ${c.doc.full}, ${c.doc2.full}, ${c.clerk.full}\n\n1. Capital budget: ${pick(r, ['approved new OR lights', 'deferred the MRI coil purchase'])} ($${int(r, 40, 900)}K).\n2. ${c.proc.name} volumes up ${int(r, 2, 30)}% year over year; service line growth on track.\n3. Patient experience scores: ${int(r, 70, 95)}th percentile.\n4. Next meeting ${fmtDate(r, c.dos)}.\n\n${c.clerk.first}` };
};

// ---------- pii_only ----------
W.payroll_hr = (c) => {
  const { r } = c;
  const e = person(r);
  return { from: addr('Payroll Services', `payroll@${c.org.dom}`), to: addr(c.clerk.full, c.clerk.email), subject: pick(r, ['Direct deposit correction', 'Payroll adjustment - retro pay', 'W-4 update']),
    text: `${greet(r, c.clerk.first)}\n\nPlease correct the following before Friday's run:\n\nEmployee: ${e.full}\nEmployee ID: ${pick(r, ['E', 'W', 'H'])}${digits(r, 6)}\nSSN: ${ssn(r)}\nRouting: 0${digits(r, 8)}  Account: ${digits(r, int(r, 8, 12))}\nRetro differential: $${int(r, 50, 900)}.${digits(r, 2)}\n\n${close(r)}\nPayroll${footer(r)}` };
};
W.staff_directory = (c) => {
  const { r } = c;
  const rows = Array.from({ length: 4 }, () => { const p = person(r); return `${p.full.padEnd(26)}${phone(r).padEnd(18)}${int(r, 10, 9999)} ${pick(r, ['Birch Ln', 'Quarry Rd', 'Wexford Ct', 'Harbor St'])}, ${c.org.city}`; });
  return { from: addr(c.clerk.full, c.clerk.email), to: addr('Unit Leadership', `leaders@${c.org.dom}`), subject: pick(r, ['Emergency call tree - updated', 'Snow emergency contact list', 'Personal contact roster']),
    text: `Updated call tree (personal cell / home address). Keep confidential.\n\n${rows.join('\n')}\n\n${c.clerk.first}` };
};
W.new_hire_paperwork = (c) => {
  const { r } = c;
  const e = person(r);
  const t = `New hire: ${e.full}\n${dobLabel(r)} ${fmtDate(r, date(r, 1970, 2002))}\nSSN ${ssn(r)}\nHome: ${int(r, 10, 9999)} ${pick(r, ['Linden Ave', 'Fox Hollow Rd'])}, ${c.org.city}\nStart date: ${fmtDate(r, c.dos)}\nPosition: ${pick(r, ['Unit Secretary', 'Patient Access Rep', 'Sterile Processing Tech'])}\nI-9 List A document verified.`;
  if (chance(r, 0.5)) return { from: addr(c.clerk.full, c.clerk.email), to: addr('HR Onboarding', `onboarding@${c.org.dom}`), subject: 'New hire packet', text: `${t}\n\n${c.clerk.first}` };
  return { from: addr(c.clerk.full, c.clerk.email), to: addr('HR Onboarding', `onboarding@${c.org.dom}`), subject: 'Onboarding form attached', text: `Form attached.\n\n${c.clerk.first}`,
    atts: [{ name: 'newhire.pdf', type: 'application/pdf', data: makePdf(t.split('\n'), 'New hire') }] };
};
W.vendor_tax_form = (c) => {
  const { r } = c;
  const e = person(r);
  return { from: addr('Accounts Payable', `ap@${c.org.dom}`), to: addr(c.clerk.full, c.clerk.email), subject: pick(r, ['W-9 on file', '1099-NEC correction', 'Vendor setup - sole proprietor']),
    text: `Vendor: ${e.full} (${pick(r, ['locum interpreter', 'IT contractor', 'courier'])})\nTaxpayer ID (SSN): ${ssn(r)}\nAddress: ${int(r, 10, 9999)} Kessler Rd, ${c.org.city}\n1099-NEC box 1: $${int(r, 2000, 60000)}.00\n\n${close(r)}\nAP` };
};

/**
 * Hold-out D: `total` messages (default about 300) over all 28 kinds in the dev proportions,
 * shuffled. The same seed gives the same bytes.
 */
export function generateHoldoutD(seed = 31, total = 300): HoldoutDMessage[] {
  const r = prng(seed ^ 0xd4d4);
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
    const dob = date(r, 1936, 2009);
    const c: Ctx = {
      r, org, other, pt: person(r), pt2: person(r), pt3: person(r), dob, dos: date(r, 2025, 2025), dx, dx2, drug, drug2, test, test2,
      proc: pick(r, PROCS), doc: staff(r, org, ['MD', 'DO', 'NP', 'PA-C']), doc2: staff(r, other, ['MD', 'DO', 'NP', 'RN, CCM']),
      clerk: staff(r, org, ['CPC', 'RHIA', 'MA', 'CCS']), payer: pick(r, PAYERS), age: 2025 - dob.y, sex: pick(r, ['F', 'M']),
    };
    return { file: `d${String(i + 1).padStart(4, '0')}.eml`, label, kind, raw: assemble(r, W[kind]!(c)) };
  });
}
