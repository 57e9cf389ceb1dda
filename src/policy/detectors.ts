// Pattern detectors for the policy engine: personal identifiers (SSN, MRN, DOB, dates of service,
// phone, e-mail, address, member IDs, Medicare MBI, NPI, account/claim/accession/Rx numbers, names
// in clinical context) and health codes (ICD-10-CM, CPT/HCPCS in context, NDC, LOINC). Validation
// rules (SSN ranges, NPI Luhn with the 80840 prefix, MBI character classes, LOINC mod-10, ICD-10
// structure) are separate exported functions so they can be tested on their own.
// Trust level: pure functions over untrusted text. Raw matches stay inside the engine; only masked
// forms (mask.ts) leave it.
import { bundledLexicon } from './lexicon.js';
import { type TriggerFamily, type Triggers, digitRuns, newTriggers, execAtCandidates, execAtTriggers, isJsSpace, lowerSameLength, positions, registerTriggers } from './scan.js';

export type IdCategory =
  | 'ssn' | 'mrn' | 'dob' | 'date-of-service' | 'phone' | 'email' | 'address' | 'member-id' | 'mbi' | 'npi'
  | 'account-number' | 'reference-number' | 'name-in-clinical-context' | 'name-near-health' | 'patient-contact' | 'tax-id' | 'person-name' | 'bank-account' | 'employee-id';

export type CodeCategory = 'icd10' | 'cpt' | 'hcpcs' | 'ndc' | 'loinc' | 'lab-value' | 'dosage';

export interface Finding {
  category: IdCategory | CodeCategory;
  start: number;
  end: number;
  /** The matched identifier or code (never leaves the engine unmasked). */
  value: string;
}

// ---------------------------------------------------------------- validators

/** SSN validity (SSA rules): area not 000, 666 or 900-999; group not 00; serial not 0000. */
export function isValidSsn(digits: string): boolean {
  if (!/^\d{9}$/.test(digits)) return false;
  const area = Number(digits.slice(0, 3));
  const group = Number(digits.slice(3, 5));
  const serial = Number(digits.slice(5));
  if (area === 0 || area === 666 || area >= 900) return false;
  if (group === 0 || serial === 0) return false;
  return true;
}

/** Luhn check digit for a digit string (the digit that would be appended). */
export function luhnCheckDigit(base: string): number {
  let sum = 0;
  let dbl = true; // the rightmost digit of the base is doubled
  for (let i = base.length - 1; i >= 0; i--) {
    let d = base.charCodeAt(i) - 48;
    if (dbl) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    dbl = !dbl;
  }
  return (10 - (sum % 10)) % 10;
}

/** NPI: 10 digits starting 1 or 2, Luhn check digit computed over "80840" + the first 9 digits. */
export function isValidNpi(s: string): boolean {
  if (!/^[12]\d{9}$/.test(s)) return false;
  return luhnCheckDigit('80840' + s.slice(0, 9)) === Number(s[9]);
}

/** LOINC code "NNNNN-C": C is the mod-10 (Luhn) check digit of the number part. */
export function isValidLoinc(s: string): boolean {
  const m = /^(\d{1,7})-(\d)$/.exec(s);
  if (!m) return false;
  return luhnCheckDigit(m[1]!) === Number(m[2]);
}

// MBI letters exclude S, L, O, I, B, Z
const MBI_A = '[AC-HJKMNP-RT-Y]';
const MBI_AN = '[AC-HJKMNP-RT-Y0-9]';
const MBI_RE = new RegExp(`^[1-9]${MBI_A}${MBI_AN}[0-9]${MBI_A}${MBI_AN}[0-9]${MBI_A}${MBI_A}[0-9][0-9]$`);

/** Medicare Beneficiary Identifier (CMS format), with or without the two display dashes. */
export function isValidMbi(s: string): boolean {
  const t = /^.{4}-.{3}-.{4}$/.test(s) ? s.replace(/-/g, '') : s;
  return MBI_RE.test(t);
}

/**
 * ICD-10-CM structure: letter (not U), digit, digit or A/B, then optionally "." and 1-4 characters
 * (digits, letters, the X placeholder); 7-character codes carry an extension letter.
 */
export function isValidIcd10(s: string): boolean {
  const m = /^([A-TV-Z]|U(?=0))(\d)([0-9AB])(?:\.([0-9A-Z]{1,4}))?$/.exec(s);
  if (!m) return false;
  const ext = m[4];
  if (ext !== undefined && !/^[0-9X][0-9A-Z]{0,3}$/.test(ext) && !/^[A-Z0-9]{1,4}$/.test(ext)) return false;
  return true;
}

// ---------------------------------------------------------------- shared pieces

const MONTH = '(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|Sep(?:t(?:ember)?)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)';
const WEEKDAY = '(?:(?:Mon|Tues?|Wed(?:nes)?|Thu(?:rs)?|Fri|Sat(?:ur)?|Sun)(?:day)?\\.?,?\\s+)?';
export const DATE_SRC =
  `(?:\\d{1,2}[/.-]\\d{1,2}[/.-](?:\\d{4}|\\d{2})(?!\\d)|\\d{4}[-/.]\\d{1,2}[-/.]\\d{1,2}(?!\\d)|${WEEKDAY}${MONTH}\\.?\\s+\\d{1,2}(?:st|nd|rd|th)?,?\\s+\\d{4}|\\d{1,2}[ -]${MONTH}\\.?[ -]\\d{2,4}|${MONTH}[ -]\\d{1,2}[ -]\\d{4})`;

const SEP = '\\s*(?:#|No\\.?|Number|Num\\.?|ID|Ref(?:erence)?\\.?(?:\\s*(?:#|No\\.?))?)?\\s*[:#.]?\\s*';
// letters, digits and hyphens; also dotted ("123.456.78") and spaced digit groups ("85 11 744")
const VALUE = '([A-Z0-9](?:[A-Z0-9-]|\\.(?=\\d)| (?=\\d{2,}(?![A-Z0-9-]))){2,24}[A-Z0-9])';
// a record number may also hold '/' between digits ("MRN# K04/32784"); dates are refused after the match
const MRN_VALUE = '([A-Z0-9](?:[A-Z0-9-]|\\.(?=\\d)|(?<=\\d)/(?=\\d)| (?=\\d{2,}(?![A-Z0-9-]))){2,24}[A-Z0-9])';
/** A value that is a date ("03/12/2024", "2024/03/12"), not a record number. */
const DATE_VALUE = /^(?:\d{1,2}\/\d{1,2}\/\d{2,4}|\d{4}\/\d{1,2}\/\d{1,2})$/;
/** An 8-character or longer member ID after an insurer's name: a short prefix, then a digit. */
const PAYER_VALUE = '([A-Z0-9]{1,4}-?\\d[A-Z0-9-]{5,22}[A-Z0-9])(?![A-Za-z0-9])';

function hasDigits(v: string, n: number): boolean {
  let c = 0;
  for (let i = 0; i < v.length; i++) if (v.charCodeAt(i) >= 48 && v.charCodeAt(i) <= 57) c++;
  return c >= n;
}

interface LabelledSpec {
  category: IdCategory;
  /** Sticky, case-insensitive; evaluated only where a keyword starts (scan.ts). */
  re: RegExp;
  keywords: string[];
  minDigits: number;
  family?: TriggerFamily;
  /** Distinguishes a second pattern of the same category in the trigger registry. */
  tag?: string;
}

const LABELLED: LabelledSpec[] = [
  {
    category: 'mrn',
    re: new RegExp(`\\b(?:MRN|MR#|MR\\s*(?:No\\.?|Number)|MR(?=\\s*[:#]?\\s*\\d)|Med(?:ical)?\\.?\\s*Rec(?:ord)?s?\\.?(?:\\s*(?:No\\.?|Number|#|ID))?|(?:Health\\s*)?Record\\s*(?:No\\.?|Number|#)|Chart(?:\\s*(?:No\\.?|Number|#|ID)|(?=\\s*[:#])|(?=\\s+(?:[A-Z]{1,4}-?\\d{4,}|\\d{6,})\\b))|Patient\\s*(?:ID|No\\.?|Number|#|Identifier)|Pt\\.?\\s*(?:ID|#|No\\.?)|Hosp(?:ital)?\\.?\\s*(?:No\\.?|Number|#)|Unit\\s*(?:No\\.?|Number)|Unit\\s*Record\\s*(?:No\\.?|Number|#)?|(?:NHS|CHI|IHI)\\s*(?:No\\.?|Number|#)?|(?:Personal\\s*)?Health\\s*(?:Card|Insurance)\\s*(?:No\\.?|Number|#)|PHN|ULI|URN|UR\\s*(?:No\\.?|Number|#)|(?:Resident|Client)\\s*(?:ID|No\\.?|Number|#)|EMPI|EMR\\s*(?:No\\.?|Number|#|ID)?|EHR\\s*(?:No\\.?|Number|#|ID)|Enterprise\\s*ID)${SEP}${MRN_VALUE}`, 'iy'),
    keywords: ['mrn', 'mr', 'med', 'medical', 'record', 'health', 'chart', 'patient', 'pt', 'hosp', 'hospital', 'unit', 'resident', 'client', 'empi', 'emr', 'ehr', 'enterprise', 'nhs', 'chi', 'ihi', 'personal', 'phn', 'uli', 'urn', 'ur'],
    minDigits: 4,
  },
  {
    category: 'member-id',
    re: new RegExp(`\\b(?:(?:Member|Subscriber|Policy(?:holder)?|Insurance|Insured|Health\\s*Plan|Plan|Beneficiary|Medicaid|Medicare|Enrollee|Group|Coverage|Cardholder|Recipient)\\s*(?:ID|No\\.?|Number|#|Identifier)|ID\\s*Card\\s*(?:No\\.?|Number|#)?|HICN|MBI|Medicare\\s*(?=[:#])|Member(?=\\s+[A-Z]{0,4}-?\\d{3,}[-A-Z\\d]*\\d\\b))\\s*[:#.]?\\s*${VALUE}`, 'iy'),
    keywords: ['member', 'subscriber', 'policy', 'insurance', 'insured', 'health', 'plan', 'beneficiary', 'medicaid', 'medicare', 'id', 'hicn', 'mbi', 'enrollee', 'group', 'coverage', 'cardholder', 'recipient'],
    minDigits: 3,
  },
  {
    // "Insurance: Blue Ridge Health XQJ-298-75263-04": the insurer's name (up to four capitalised
    // words), then the member ID (case-sensitive, so "insurance: pending approval 2024" is not one)
    category: 'member-id',
    re: new RegExp(`\\b(?:Insurance|INSURANCE|Ins\\.?|INS|Coverage|COVERAGE|Payer|PAYER|Payor|PAYOR|Carrier|CARRIER)\\s*:\\s*(?:(?:[A-Z][A-Za-z.-]{0,11}|of|and|the)\\s+){1,4}${PAYER_VALUE}`, 'y'),
    keywords: ['insurance', 'ins', 'coverage', 'payer', 'payor', 'carrier'],
    minDigits: 4,
    tag: 'payer',
  },
  {
    category: 'account-number',
    re: new RegExp(`\\b(?:(?:Patient|Hospital|Guarantor|Billing)\\s*)?(?:Account|Acct|Claim|Accession|Rx|Prescription|Authori[sz]ation|Auth|Prior\\s*Auth(?:ori[sz]ation)?|PA|Encounter|Visit|Specimen|Referral|ICN|DCN|FIN|CSN|HAR|Episode|Admission|Pharmacy\\s*Order|Enc(?=\\.?\\s*(?:#|No\\.?|:)))\\b\\.?${SEP}${VALUE}`, 'iy'),
    keywords: ['patient', 'hospital', 'guarantor', 'billing', 'account', 'acct', 'claim', 'accession', 'rx', 'prescription', 'authorization', 'authorisation', 'auth', 'prior', 'pa', 'encounter', 'visit', 'specimen', 'referral', 'icn', 'dcn', 'fin', 'csn', 'har', 'episode', 'admission', 'pharmacy', 'enc'],
    minDigits: 4,
  },
  {
    // case / ticket / payment references: identify a transaction, only weakly a person
    category: 'reference-number',
    re: new RegExp(`\\b(?:Case|Check|Cheque|EFT|Trace|Statement|Ticket|Confirmation|Reference|Ref)\\b${SEP}${VALUE}`, 'iy'),
    keywords: ['case', 'check', 'cheque', 'eft', 'trace', 'statement', 'ticket', 'confirmation', 'reference', 'ref'],
    minDigits: 4,
  },
  {
    category: 'bank-account',
    re: new RegExp(`\\b(?:Bank|Checking|Savings|Deposit|Direct\\s*Deposit|Routing|ABA|IBAN)\\s*(?:Account|Acct)?${SEP}${VALUE}`, 'iy'),
    keywords: ['bank', 'checking', 'savings', 'deposit', 'direct', 'routing', 'aba', 'iban'],
    minDigits: 4,
  },
  {
    category: 'employee-id',
    re: new RegExp(`\\b(?:Employee|Emp\\.?|Staff|Badge|Personnel|Payroll)\\s*(?:ID|No\\.?|Number|#)\\s*[:#.]?\\s*${VALUE}`, 'iy'),
    keywords: ['employee', 'emp', 'staff', 'badge', 'personnel', 'payroll'],
    minDigits: 3,
  },
];

for (const spec of LABELLED) spec.family = registerTriggers(`id:${spec.category}${spec.tag ? ':' + spec.tag : ''}`, spec.keywords);

const DOB_RE = new RegExp(`\\b(?:DOB|D\\.O\\.B\\.?|Date\\s+of\\s+Birth|Birth\\s*-?date|Born(?:\\s+on)?|Birthday|B/D|b\\.(?=\\s?\\d))\\s*[:#-]?\\s*\\(?\\s*(?:is\\s+|of\\s+)?(${DATE_SRC}|(?:19|20)\\d{6}(?!\\d))`, 'iy');
const DOB_FAMILY = registerTriggers('dob', ['dob', 'd.o.b', 'date of birth', 'birth', 'birthdate', 'birthday', 'born', 'b/d', 'b']);
const DOS_RE = new RegExp(
  `\\b(?:Date\\s+of\\s+(?:Service|Visit|Exam|Surgery|Procedure|Admission|Discharge|Injury|Encounter|Collection)|DOS|Service\\s+Dates?|Visit\\s+Date|Admi(?:ssion|t)\\s+Date|Admitted(?:\\s+on)?|Discharge(?:d)?(?:\\s+(?:on|date))?|Encounter\\s+Date|Collect(?:ion|ed)(?:\\s+(?:on|date))?|Date\\s+Collected|Procedure\\s+Date|Exam\\s+Date|Study\\s+Date|Surgery\\s+Date|Seen(?:\\s+\\w+){0,4}\\s+on|visit(?:\\s+\\w+){0,4}\\s+on|appointment(?:\\s+\\w+){0,3}\\s+(?:on|is|for)|scheduled\\s+(?:for|on)|Received|Reported|Performed(?:\\s+on)?)\\s*[:#-]?\\s*(?:on\\s+)?(${DATE_SRC}|(?:19|20)\\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\\d|3[01])(?!\\d))`,
  'iy',
);
const DOS_FAMILY = registerTriggers('dos', ['date', 'dos', 'service', 'visit', 'admission', 'admit', 'admitted', 'discharge', 'discharged', 'encounter', 'collection', 'collected', 'procedure', 'exam', 'study', 'surgery', 'seen', 'appointment', 'scheduled', 'received', 'reported', 'performed']);
const SSN_RE = /(?<![\d-])(\d{3})([- .]?)(\d{2})\2(\d{4})(?![\d-])/g;
const SSN_LABEL = /\b(?:SSN|SS#|S\.S\.N\.?|Social\s+Security(?:\s+(?:No\.?|Number|#))?|SocSec|TIN|ITIN|Taxpayer\s+ID)(?:\s*\([^)]{1,12}\))?\s*[:#]?\s*$/i;
const PHONE_RE = /(?<![\d-])(?:\+?1[-. ]?)?(?:\(\d{3}\)\s?|\d{3}[-. ])\d{3}[-. ]\d{4}(?![\d-])/g;
const EMAIL_RE = /[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63})*\.[A-Za-z]{2,}/y;
const STREET_RE = /\b\d{1,6}\s+(?:[NSEW]\.?\s+)?(?:[A-Z][A-Za-z'-]+\.?\s+){1,3}(?:St|Street|Ave|Avenue|Rd|Road|Blvd|Boulevard|Dr|Drive|Ln|Lane|Ct|Court|Way|Pl|Place|Ter|Terrace|Pkwy|Parkway|Cir|Circle|Hwy|Highway|Trail|Trl|Sq|Square|Loop|Row|Run|Pike|Crescent|Close|Path|Plaza|Alley)\b\.?(?:,?\s+(?:Apt|Unit|Suite|Ste|#)\.?\s*[A-Z0-9-]+)?/g;
const POBOX_RE = /\bP\.?\s?O\.?\s+Box\s+\d{1,6}\b/giy;
/** "P.O. Box" starts with the token "p" or "po". */
const POBOX_FAMILY = registerTriggers('pobox', ['p', 'po']);
// ", ST 12345" (state and ZIP after a city): starts with a literal so the scan is fast
const CITY_ZIP_RE = /, ?[A-Z]{2} \d{5}(?:-\d{4})?\b/g;
const MBI_SCAN = new RegExp(`\\b[1-9]${MBI_A}${MBI_AN}[0-9]-?${MBI_A}${MBI_AN}[0-9]-?${MBI_A}${MBI_A}[0-9]{2}\\b`, 'g');
const NPI_SCAN = /(?<![\d-])[12]\d{9}(?![\d-])/g;
const ICD_SCAN = /\b(?:[A-TV-Z]|U(?=0))\d[0-9AB](?:\.[0-9A-Z]{1,4})?\b/g;
const ICD_CONTEXT = /\b(?:ICD|dx|diag|diagnos[ei]s|code[ds]?|coded)\b[^\n]{0,40}$/i;
// lines that name CPT/HCPCS, or billing lines (claims, dates of service, charges) where 5-digit
// codes are procedure codes
// (white space inside a phrase never crosses a line: the pattern is run over the whole part)
const CPT_LINE = /\b(?:CPT|HCPCS|procedure[^\S\n]+codes?|proc(?:edure)?[^\S\n]*code|E\/M|service[^\S\n]+code|billing[^\S\n]+code|claims?|DOS|billed|charges?)\b/gi;
/** Lines after a line naming CPT/HCPCS (or billing) that are still read for codes. */
const CPT_CONTEXT_CHARS = 4000;
const CPT_FAMILY = registerTriggers('cpt', ['cpt', 'hcpcs', 'procedure code', 'proc code', 'proc. code', 'e/m', 'service code', 'billing code', 'claim', 'claims', 'dos', 'billed', 'charge', 'charges']);
/** "LOINC" in a text: before a code (LOINC_SCAN here) or heading a table column (score.ts). */
export const LOINC_FAMILY = registerTriggers('loinc', ['loinc']);
const CPT_SCAN = /(?<![\d$.,-])(?:\d{5}|\d{4}[FTU])(?![\d.]|,\d|-\d)/g;
const HCPCS_SCAN = /\b[A-CEGHJ-MP-V]\d{4}\b/g;
const NDC_SCAN = /(?<![\d-])(?:\d{4}-\d{4}-\d{2}|\d{5}-\d{3}-\d{2}|\d{5}-\d{4}-\d{1,2})(?![\d-])/g;
const LOINC_SCAN = /\bLOINC\b[^\n]{0,30}?(\d{1,7}-\d)\b/gi;
// a value may carry an abnormal flag between number and unit ("148 H mmol/L", "0.2 * x10^9/L")
const LAB_VALUE = /\b\d{1,5}(?:\.\d{1,3})?(?:\s(?:HH|LL|H|L|ABN|A|\*)(?=\s))?\s?(?:mg\/dL|mmol\/L|mIU\/L|mIU\/mL|uIU\/mL|µIU\/mL|ng\/mL|ng\/dL|pg\/mL|g\/dL|g\/L|U\/L|IU\/L|mEq\/L|mmHg|mm Hg|cells\/uL|cells\/µL|x10\^?\d\/[uµ]?L|K\/uL|M\/uL|fL|mL\/min(?:\/1\.73\s?m2)?|mg\/g|µg\/dL|mcg\/dL|ug\/dL|nmol\/L|pmol\/L|µmol\/L|umol\/L|bpm|beats\/min|mOsm\/kg|mOsm\/L|nmol\/hr?\/mL|mcg\/g|µg\/g|ug\/g|RU\/mL|AU\/mL|U\/mL|IU\/mL|kU\/L|ng\/L|mg\/L|mcg\/L|µg\/L|ug\/L|mmol\/mol)(?![\w/])/g;
const DOSAGE = /\b\d{1,5}(?:\.\d{1,3})?\s?(?:(?:mg|mcg|µg|g|mL|units?|IU|mEq)\b|%)(?:\s*(?:\/|per)\s*(?:day|dose|kg|hr|hour|mL|actuation|spray|puff))?(?:\s+(?:tablet|tab|capsule|cap|daily|once|twice|BID|TID|QID|QHS|PRN|PO|IV|IM|SC|subcut|at bedtime|every))?/gi;

// Sticky twins of the numeric patterns, run only where a digit run of the right shape starts
// (scan.ts digitRuns / execAtCandidates): each candidate rule below is a necessary condition for a
// match of the pattern to start there, so the matches are those of the global pattern.
const sticky = (re: RegExp) => new RegExp(re.source, re.flags.replace('g', '') + 'y');
const SSN_AT = sticky(SSN_RE);
const MBI_AT = sticky(MBI_SCAN);
const NPI_AT = sticky(NPI_SCAN);
const PHONE_AT = sticky(PHONE_RE);
const STREET_AT = sticky(STREET_RE);
const ICD_AT = sticky(ICD_SCAN);
const NDC_AT = sticky(NDC_SCAN);
const LAB_AT = sticky(LAB_VALUE);
const DOSAGE_AT = sticky(DOSAGE);
const CITY_ZIP_AT = sticky(CITY_ZIP_RE);

const isDigit = (c: number) => c >= 48 && c <= 57;
const isUpperAscii = (c: number) => c >= 65 && c <= 90;

/** ASCII characters that can start a unit, as bits: LAB_UNIT lab units (case-sensitive), DOSE_UNIT doses and '%' (any case). */
const LAB_UNIT = 1;
const DOSE_UNIT = 2;
const UNIT_START = new Uint8Array(128);
for (const ch of 'muUnpgIcxKMfb') UNIT_START[ch.charCodeAt(0)]! |= LAB_UNIT;
for (const ch of 'mMgGuUiI%') UNIT_START[ch.charCodeAt(0)]! |= DOSE_UNIT;

/** The units c can start (LAB_UNIT | DOSE_UNIT bits): any non-ASCII character can (µ and its case variants). */
function unitStart(c: number): number {
  return c >= 128 ? LAB_UNIT | DOSE_UNIT : UNIT_START[c]!;
}

/**
 * After a number's integer digits ending at e: an optional decimal part of one to three digits,
 * an optional white-space character, then a character that can start a unit. A necessary
 * condition for the value patterns, so most numbers (dates, phones, counts) never run them.
 * Returns the LAB_UNIT / DOSE_UNIT bits of the units that can follow (both read in one pass).
 */
function unitFollows(text: string, e: number): number {
  const n = text.length;
  const q = e;
  let bits = 0;
  if (q < n && text.charCodeAt(q) === 46) {
    let r = q + 1;
    while (r < n && r - q <= 3 && isDigit(text.charCodeAt(r))) r++;
    if (r > q + 1 && !(r < n && isDigit(text.charCodeAt(r)))) bits = unitOrSpaceUnit(text, r);
  }
  return bits | unitOrSpaceUnit(text, q);
}

// (character reads are bounds-checked in place rather than through a shared helper: V8 keeps type
// feedback per call site, and one helper read by every caller's strings got the slow generic path)
function unitOrSpaceUnit(text: string, q: number): number {
  const n = text.length;
  const c = q < n ? text.charCodeAt(q) : 0;
  if (!isJsSpace(c)) return unitStart(c) | unitU(text, q, c);
  const d = q + 1 < n ? text.charCodeAt(q + 1) : 0;
  return unitStart(d) | unitU(text, q + 1, d) | (d === 72 || d === 76 || d === 65 || d === 42 ? flaggedUnit(text, q + 1) : 0);
}

/** LAB_UNIT for "AU/", "RU/", "kU/" (arbitrary, relative and kilo units) at q, whose character is c: not "10 AM". */
function unitU(text: string, q: number, c: number): number {
  return (c === 65 || c === 82 || c === 107) && q + 1 < text.length && text.charCodeAt(q + 1) === 85 ? LAB_UNIT : 0;
}

/** H, L, A, B, N, '*': the letters of an abnormal flag (H, L, HH, LL, A, ABN, *). */
function isFlagChar(c: number): boolean {
  return c === 72 || c === 76 || c === 65 || c === 66 || c === 78 || c === 42;
}

/** LAB_UNIT if text[f...] is a flag of one to three characters, one white space, then a lab unit's first character. */
function flaggedUnit(text: string, f: number): number {
  const n = text.length;
  let q = f;
  while (q < n && q - f < 3 && isFlagChar(text.charCodeAt(q))) q++;
  if (q >= n || !isJsSpace(text.charCodeAt(q))) return 0;
  const u = q + 1 < n ? text.charCodeAt(q + 1) : 0;
  return (unitStart(u) | unitU(text, q + 1, u)) & LAB_UNIT;
}

/**
 * Non-blank characters from a label keyword to the first digit of its value, at most: the longest
 * label with its separator ("Guarantor Prior Authorization Number:", 34) and the 23 characters a
 * value (26 at most, with 3 or more digits) can have before its first digit, with a margin.
 */
const LABEL_DIGIT_REACH = 64;

/**
 * The keyword positions of a labelled pattern (LABELLED) whose value can have digits: a value
 * without digits is never reported (minDigits), so the label pattern, a long case-insensitive
 * alternation, is not run where the text has no digit soon after the keyword, or has a character
 * no label, separator or value is made of before it ("patient, who ...", "patient's").
 */
function labelsNearDigits(text: string, runs: readonly number[], at: readonly number[]): readonly number[] {
  if (at.length === 0) return at;
  let out: number[] | undefined;
  let k = 0; // runs are ascending: first run ending after p
  for (let i = 0; i < at.length; i++) {
    const p = at[i]!;
    while (k < runs.length && runs[k + 1]! <= p) k += 2;
    const ok = k < runs.length && reachesDigit(text, p, Math.max(p, runs[k]!));
    if (ok && out !== undefined) out.push(p);
    else if (!ok && out === undefined) out = at.slice(0, i) as number[];
  }
  return out ?? at;
}

/**
 * text[p, d) (d: a digit) can lie inside one match of a labelled pattern: only ASCII letters and
 * digits, '-', '.', '#', ':' and white space (what labels, separators and values are made of; the
 * patterns are case-insensitive without the u flag, so no other letter matches), and at most
 * LABEL_DIGIT_REACH of them not blank.
 */
function reachesDigit(text: string, p: number, d: number): boolean {
  let nonBlank = 0;
  for (let i = p; i < d; i++) {
    const c = text.charCodeAt(i);
    if (isJsSpace(c)) continue;
    if (++nonBlank > LABEL_DIGIT_REACH) return false;
    const letter = (c | 0x20) >= 97 && (c | 0x20) <= 122;
    if (!(letter || (c >= 48 && c <= 57) || c === 45 || c === 46 || c === 35 || c === 58)) return false;
  }
  return true;
}

/** Where each identifier pattern can start (ascending); see the rule beside each list. */
interface IdStarts {
  ssn: number[];
  mbi: number[];
  npi: number[];
  phone: number[];
  street: number[];
  zip: number[];
}

/**
 * One walk over the digit runs with plain character tests (a callback per run and pattern cost
 * more than the regexes they were saving).
 */
function idStarts(text: string, runs: readonly number[]): IdStarts {
  const r: IdStarts = { ssn: [], mbi: [], npi: [], phone: [], street: [], zip: [] };
  const n = text.length;
  for (let k = 0; k < runs.length; k += 2) {
    const s = runs[k]!;
    const e = runs[k + 1]!;
    const len = e - s;
    const first = text.charCodeAt(s);
    const next = e < n ? text.charCodeAt(e) : 0;
    const before = s > 0 ? text.charCodeAt(s - 1) : 0;
    // SSN: nine digits, or three, a separator, the next run two digits, the same separator, and
    // the run after it four digits ("123-45-6789")
    if (len === 9) r.ssn.push(s);
    else if (len === 3 && (next === 45 || next === 32 || next === 46) && k + 5 < runs.length && runs[k + 2] === e + 1 && runs[k + 3]! - runs[k + 2]! === 2 &&
      text.charCodeAt(runs[k + 3]!) === next && runs[k + 4] === runs[k + 3]! + 1 && runs[k + 5]! - runs[k + 4]! === 4) r.ssn.push(s);
    // MBI: one digit 1-9, then a capital letter
    if (len === 1 && first !== 48 && isUpperAscii(next)) r.mbi.push(s);
    // NPI: ten digits starting 1 or 2
    if (len === 10 && (first === 49 || first === 50)) r.npi.push(s);
    // phone: "+1" or "1" as a country code (alone before a separator or '(', or glued to the
    // area code: "1555-"), "(555)" or "555-" / "555." / "555 "
    const sepNext = next === 45 || next === 46 || next === 32;
    if (first === 49 && (len === 1 ? sepNext || next === 40 : len === 4 && sepNext)) {
      if (before === 43) r.phone.push(s - 1);
      r.phone.push(s);
    } else if (len === 3) {
      if (before === 40 && next === 41) r.phone.push(s - 1);
      else if (sepNext) r.phone.push(s);
    }
    // street: a house number of at most six digits, white space, a capital letter
    if (len <= 6 && isJsSpace(next)) {
      let q = e + 1;
      while (q < n && isJsSpace(text.charCodeAt(q))) q++;
      if (q < n && isUpperAscii(text.charCodeAt(q))) r.street.push(s);
    }
    // ", ST 12345" / ",ST 12345": five digits after a space, the comma five or four characters before
    if (len === 5 && before === 32) {
      if (s >= 5 && text.charCodeAt(s - 5) === 44) r.zip.push(s - 5);
      if (s >= 4 && text.charCodeAt(s - 4) === 44) r.zip.push(s - 4);
    }
  }
  return r;
}

/** Where each health-code pattern can start (ascending). */
interface CodeStarts {
  icd: number[];
  ndc: number[];
  lab: number[];
  dose: number[];
  /** Some run could be a CPT code (five digits, or four and F/T/U) or a HCPCS code (a capital and four digits). */
  cpt: boolean;
  /** Five digits in parentheses, "(31624)": a procedure code on a billing line (cptInParens). */
  paren: number[];
  /** "1:" before a dilution (titers, "1:80"): the start of the "1". */
  titer: number[];
}

/** Dilutions a titer is reported at (1:10 ... 1:10240). */
const TITERS = new Set(['5', '10', '16', '20', '32', '40', '64', '80', '128', '160', '256', '320', '512', '640', '1280', '2560', '5120', '10240']);
/** Words that make "1:80" a titer rather than a time or a ratio (read on the line, before the value). */
const TITER_CONTEXT = /\b(?:titers?|titres?|antibod(?:y|ies)|ANA|ANCA|dilution|IgG|IgM|IgA|screen|reactive|positive)\b/i;

/** The digit at s is "1" and not part of a larger number or ratio ("11:80", "2.1:80", "1:1:80"). */
function first1(text: string, s: number): boolean {
  if (text.charCodeAt(s) !== 49) return false;
  const b = s > 0 ? text.charCodeAt(s - 1) : 0;
  return !(isDigit(b) || b === 46 || b === 58 || b === 44);
}

/** Longest line the line-context rules read (LOINC on a result line, CPT on a statement line, titers). */
const LINE_CONTEXT_MAX = 400;

/**
 * The line around i as [start, end), looked for at most LINE_CONTEXT_MAX characters either way so
 * a long unbroken text costs no more per value; a longer line comes back longer than the limit.
 */
function lineAround(text: string, i: number): [number, number] {
  let ls = i;
  const lo = Math.max(0, i - LINE_CONTEXT_MAX - 1);
  while (ls > lo && text.charCodeAt(ls - 1) !== 10) ls--;
  if (ls === lo && lo > 0) ls = lo - 1; // not found: too long
  let le = i;
  const hi = Math.min(text.length, i + LINE_CONTEXT_MAX + 1);
  while (le < hi && text.charCodeAt(le) !== 10) le++;
  return [Math.max(0, ls), le];
}

/** A billing item: a date of service (any DATE_SRC form or YYYYMMDD) on its line or the one before, a dollar amount on it or the next. */
const MONEY = /\$\s?\d/;
const LINE_DATE = new RegExp(`${DATE_SRC}|(?<!\\d)(?:19|20)\\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\\d|3[01])(?!\\d)`, 'i');
/** A LOINC-shaped code ("2951-2") on a line that also reports a lab value. */
const LOINC_ON_LINE = /(?<![\d./-])(\d{3,7}-\d)(?![\d./-])/g;

/**
 * Five digits that no CPT code has: below 00100, or 02000-09999 (category I codes run 00100-01999
 * for anaesthesia, then from 10004: "07700 900123" is a phone number).
 */
function outsideCptRange(v: string): boolean {
  return Number(v) < 100 || /^0[2-9]/.test(v);
}

function codeStarts(text: string, runs: readonly number[]): CodeStarts {
  const r: CodeStarts = { icd: [], ndc: [], lab: [], dose: [], cpt: false, paren: [], titer: [] };
  const n = text.length;
  for (let k = 0; k < runs.length; k += 2) {
    const s = runs[k]!;
    const e = runs[k + 1]!;
    const len = e - s;
    // ICD-10: a capital letter glued to the digits
    const before = s > 0 ? text.charCodeAt(s - 1) : 0;
    const next = e < n ? text.charCodeAt(e) : 0;
    if (isUpperAscii(before)) r.icd.push(s - 1);
    // NDC: four or five digits, then '-'
    if ((len === 4 || len === 5) && next === 45) r.ndc.push(s);
    if (!r.cpt) {
      const b = before;
      const nx = next;
      r.cpt = (len === 5 && b !== 36 && b !== 46 && b !== 44 && b !== 45) || (len === 4 && (nx === 70 || nx === 84 || nx === 85 || isUpperAscii(b)));
    }
    if (len === 5 && before === 40 && next === 41) r.paren.push(s);
    // "1:80": the run "1", a colon, the next run a dilution, then no further ":NN" (a time "1:20:30")
    if (len === 1 && first1(text, s) && next === 58 && k + 3 < runs.length && runs[k + 2] === e + 1 &&
      TITERS.has(text.slice(runs[k + 2]!, runs[k + 3]!)) && text.charCodeAt(runs[k + 3]!) !== 58 && text.charCodeAt(runs[k + 3]!) !== 46) r.titer.push(s);
    // lab values and doses: at most five digits, then (a decimal part and) a unit
    if (len <= 5) {
      const units = unitFollows(text, e);
      if ((units & LAB_UNIT) !== 0) r.lab.push(s);
      if ((units & DOSE_UNIT) !== 0) r.dose.push(s);
    }
  }
  return r;
}

/**
 * The stretches of a part read for CPT/HCPCS codes, as [start, end) at line boundaries: each line
 * naming CPT/HCPCS or billing, and the lines starting within CPT_CONTEXT_CHARS after its end.
 */
function cptRegions(text: string, everywhere: boolean): Array<[number, number]> {
  const n = text.length;
  if (everywhere) return [[0, n]];
  const regions: Array<[number, number]> = [];
  CPT_LINE.lastIndex = 0;
  let m: RegExpExecArray | null;
  while ((m = CPT_LINE.exec(text))) {
    const ls = text.lastIndexOf('\n', m.index - 1) + 1;
    let nl = text.indexOf('\n', m.index);
    if (nl < 0) nl = n;
    const reach = nl + CPT_CONTEXT_CHARS;
    let end = reach >= n ? n : text.indexOf('\n', reach);
    if (end < 0) end = n;
    const last = regions[regions.length - 1];
    if (last && ls <= last[1] + 1) last[1] = Math.max(last[1], end);
    else regions.push([ls, end]);
    if (nl >= n) break;
    CPT_LINE.lastIndex = nl + 1;
  }
  return regions;
}

/**
 * CPT and HCPCS codes in text[a, b) (whole lines), pushed line by line as a per-line scan would:
 * the patterns match within one line and treat a newline like the end of the text.
 */
function cptCodes(text: string, a: number, b: number, out: Finding[]): void {
  const cpt: Array<[number, Finding]> = [];
  const hcpcs: Array<[number, Finding]> = [];
  let m: RegExpExecArray | null;
  CPT_SCAN.lastIndex = a;
  while ((m = CPT_SCAN.exec(text)) && m.index < b) {
    const v = m[0];
    const ls = text.lastIndexOf('\n', m.index - 1) + 1;
    const before = text.slice(Math.max(ls, m.index - 4), m.index);
    if (/[A-Z]{2}\s$/.test(before) && !/(?:CPT|PCS|DOS)\s$/.test(before)) continue; // "OK 74148" is a ZIP code
    if (/^\d{5}$/.test(v) && outsideCptRange(v)) continue;
    cpt.push([ls, { category: 'cpt', start: m.index, end: m.index + v.length, value: v }]);
  }
  HCPCS_SCAN.lastIndex = a;
  while ((m = HCPCS_SCAN.exec(text)) && m.index < b) {
    hcpcs.push([text.lastIndexOf('\n', m.index - 1) + 1, { category: 'hcpcs', start: m.index, end: m.index + 5, value: m[0] }]);
  }
  // a line's CPT codes come before its HCPCS codes
  let i = 0;
  let j = 0;
  while (i < cpt.length || j < hcpcs.length) {
    if (j >= hcpcs.length || (i < cpt.length && cpt[i]![0] <= hcpcs[j]![0])) out.push(cpt[i++]![1]);
    else out.push(hcpcs[j++]![1]);
  }
}

// ---------------------------------------------------------------- detectors

export interface DetectOptions {
  /** Organization MRN patterns (already compiled, global flag). */
  mrnPatterns: RegExp[];
  /** Organization member-ID patterns (global flag). */
  memberIdPatterns: RegExp[];
}

function push(out: Finding[], category: Finding['category'], start: number, end: number, value: string): void {
  out.push({ category, start, end, value });
}

/** Identifier detectors (not names: see names.ts). */
/** [A-Za-z0-9._%+-]: a character of an e-mail local part as EMAIL_RE reads it. */
function isLocalPartChar(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 46 || c === 95 || c === 37 || c === 43 || c === 45;
}

/** Claimed ranges kept as a list before switching to a bitmap. */
const CLAIMED_LIST_MAX = 32;

/** Trigger positions for a text when the caller has not already scanned it. */
export function scanTriggers(text: string): Triggers {
  const trig = newTriggers();
  bundledLexicon().match(text, lowerSameLength(text), trig);
  return trig;
}

export function detectIdentifiers(text: string, opt: DetectOptions, trig: Triggers = scanTriggers(text), runs: readonly number[] = digitRuns(text)): Finding[] {
  const out: Finding[] = [];
  // every built-in identifier has a digit (labelled values, dates, numbers) or an '@' (e-mail):
  // a part with neither, most subject lines, is done unless the organization has its own patterns
  if (runs.length === 0 && opt.mrnPatterns.length === 0 && opt.memberIdPatterns.length === 0 && !text.includes('@')) return out;
  let m: RegExpExecArray | null;
  // claimed character ranges (an MRN is not also a phone number): a short list while there are
  // few, then a bitmap so the overlap test stays O(match length) on large texts with many
  const claimed: number[] = [];
  let mark: Uint8Array | undefined;
  const taken = {
    push([s, e]: [number, number]) {
      if (e <= s) return; // an empty range claims nothing (as in the bitmap)
      if (mark) mark.fill(1, s, e);
      else if (claimed.length < CLAIMED_LIST_MAX * 2) claimed.push(s, e);
      else {
        mark = new Uint8Array(text.length + 1);
        for (let k = 0; k < claimed.length; k += 2) mark.fill(1, claimed[k], claimed[k + 1]);
        mark.fill(1, s, e);
      }
    },
  };
  const overlaps = (s: number, e: number) => {
    if (mark) {
      for (let i = s; i < e; i++) if (mark[i]) return true;
      return false;
    }
    // ranges [a, b) and [s, e) share a character
    for (let k = 0; k < claimed.length; k += 2) if (claimed[k]! < e && s < claimed[k + 1]!) return true;
    return false;
  };

  for (const spec of LABELLED) {
    execAtCandidates(spec.re, text, labelsNearDigits(text, runs, positions(trig, spec.family!)), (mm) => {
      const v = mm[1]!;
      if (!hasDigits(v, spec.minDigits)) return;
      if (DATE_VALUE.test(v) || (spec.tag === 'payer' && /^\d{4}-\d{2}-\d{2}$/.test(v))) return;
      // "Visit on 20250716": a lower-case word before a spaced number is prose, not a value
      if (/^[a-z]{1,4} \d/.test(v)) return;
      // "Bank account" is a bank account, not a patient account
      if (spec.category === 'account-number' && /\b(?:bank|checking|savings|routing|deposit)\s*$/i.test(text.slice(Math.max(0, mm.index - 20), mm.index))) return;
      const s = mm.index + mm[0].length - v.length;
      if (overlaps(s, s + v.length)) return;
      // a Medicare ID in MBI format is reported as an MBI whatever its label says
      let cat: Finding['category'] = spec.category === 'member-id' && isValidMbi(v) ? 'mbi' : spec.category;
      // a short bare "Account 55120" is more often a ledger or cost-center account than a
      // patient's; patient/hospital/guarantor accounts and long numbers stay account numbers
      if (cat === 'account-number' && /^(?:account|acct)\b/i.test(mm[0]) && !hasDigits(v, 7)) cat = 'reference-number';
      push(out, cat, s, s + v.length, v);
      taken.push([s, s + v.length]);
    });
  }
  // Organization-configured patterns: every non-empty match not already claimed by a labelled field.
  for (let k = 0; k < 2; k++) {
    const cat = k === 0 ? 'mrn' : 'member-id';
    for (const re of k === 0 ? opt.mrnPatterns : opt.memberIdPatterns) {
      re.lastIndex = 0;
      while ((m = re.exec(text))) {
        if (m[0].length === 0) {
          re.lastIndex++;
          continue;
        }
        if (overlaps(m.index, m.index + m[0].length)) continue;
        push(out, cat, m.index, m.index + m[0].length, m[0]);
        taken.push([m.index, m.index + m[0].length]);
      }
    }
  }

  execAtTriggers(DOB_RE, text, trig, DOB_FAMILY, (mm) => {
    const v = mm[1]!;
    const s = mm.index + mm[0].length - v.length;
    push(out, 'dob', s, s + v.length, v);
    taken.push([s, s + v.length]);
  });
  execAtTriggers(DOS_RE, text, trig, DOS_FAMILY, (mm) => {
    const v = mm[1]!;
    const s = mm.index + mm[0].length - v.length;
    if (overlaps(s, s + v.length)) return;
    push(out, 'date-of-service', s, s + v.length, v);
  });
  // every pattern below needs an ASCII digit: a part without one (most subject lines) skips them
  const digits = runs.length > 0;
  // "123-45-6789" or a labelled "123456789"
  const at = idStarts(text, runs);
  execAtCandidates(SSN_AT, text, at.ssn, (m) => {
    const digits = m[1]! + m[3]! + m[4]!;
    const labelled = SSN_LABEL.test(text.slice(Math.max(0, m.index - 30), m.index));
    if (!m[2] && !labelled) return; // a bare 9-digit number needs a label
    if (m[2] === '.' && !labelled) return;
    if (!isValidSsn(digits)) {
      // never issued as an SSN, but a labelled tax/ID number is still someone's personal data
      if (labelled && !overlaps(m.index, m.index + m[0].length)) push(out, 'tax-id', m.index, m.index + m[0].length, m[0]);
      return;
    }
    if (overlaps(m.index, m.index + m[0].length)) return;
    push(out, 'ssn', m.index, m.index + m[0].length, m[0]);
    taken.push([m.index, m.index + m[0].length]);
  });
  // an MBI starts with one digit 1-9 followed by a letter
  execAtCandidates(MBI_AT, text, at.mbi, (m) => {
    if (!isValidMbi(m[0])) return;
    if (overlaps(m.index, m.index + m[0].length)) return;
    push(out, 'mbi', m.index, m.index + m[0].length, m[0]);
    taken.push([m.index, m.index + m[0].length]);
  });
  execAtCandidates(NPI_AT, text, at.npi, (m) => {
    if (!isValidNpi(m[0]) || overlaps(m.index, m.index + m[0].length)) return;
    push(out, 'npi', m.index, m.index + m[0].length, m[0]);
    taken.push([m.index, m.index + m[0].length]);
  });
  execAtCandidates(PHONE_AT, text, at.phone, (m) => {
    if (overlaps(m.index, m.index + m[0].length)) return;
    push(out, 'phone', m.index, m.index + m[0].length, m[0]);
  });
  // e-mail: find each '@' and grow the address around it (a global regex backtracks at every char)
  for (let at = text.indexOf('@'); at >= 0; at = text.indexOf('@', at + 1)) {
    let s = at;
    while (s > 0 && s > at - 64 && isLocalPartChar(text.charCodeAt(s - 1))) s--;
    if (s === at) continue;
    EMAIL_RE.lastIndex = s;
    const mm = EMAIL_RE.exec(text);
    if (mm && mm.index === s) push(out, 'email', s, s + mm[0].length, mm[0]);
  }
  // a house number: at most six digits, then white space
  execAtCandidates(STREET_AT, text, at.street, (mm) => push(out, 'address', mm.index, mm.index + mm[0].length, mm[0]));
  if (digits) execAtTriggers(POBOX_RE, text, trig, POBOX_FAMILY, (mm) => push(out, 'address', mm.index, mm.index + mm[0].length, mm[0]));
  // ", ST 12345": five digits after a space, the comma four or five characters before them
  execAtCandidates(CITY_ZIP_AT, text, at.zip, (mm) => push(out, 'address', mm.index, mm.index + mm[0].length, mm[0]));
  return out;
}

/** Health-code detectors: ICD-10-CM, CPT/HCPCS (in context), NDC, LOINC, lab values, dosages. */
export function detectCodes(text: string, tabularCodeColumns = false, trig: Triggers = scanTriggers(text), runs: readonly number[] = digitRuns(text)): Finding[] {
  const out: Finding[] = [];
  // every code pattern has a digit
  if (runs.length === 0) return out;
  let m: RegExpExecArray | null;
  // every code pattern needs an ASCII digit: a part without one (most subject lines) skips them
  const digits = runs.length > 0;
  // an ICD-10 code is a capital letter glued to a digit run
  const at = codeStarts(text, runs);
  execAtCandidates(ICD_AT, text, at.icd, (m) => {
    const code = m[0];
    if (!isValidIcd10(code)) return;
    const dotted = code.includes('.');
    if (!dotted && !tabularCodeColumns && !ICD_CONTEXT.test(text.slice(Math.max(0, m.index - 60), m.index))) return;
    // "vitamin B12", "Suite A100"-like uses
    if (/(?:vitamin|suite|room|ste|unit|bldg|building|floor|model|version|rev|flight|gate)\.?\s*$/i.test(text.slice(Math.max(0, m.index - 12), m.index))) return;
    push(out, 'icd10', m.index, m.index + code.length, code);
  });
  // CPT/HCPCS: 5-character codes on a line that names CPT/HCPCS, or within the lines after such a
  // header line (tables), or anywhere in a table with a code column.
  if (digits && at.cpt && (tabularCodeColumns || positions(trig, CPT_FAMILY).length > 0)) {
    for (const [a, b] of cptRegions(text, tabularCodeColumns)) cptCodes(text, a, b, out);
  }
  execAtCandidates(NDC_AT, text, at.ndc, (mm) => push(out, 'ndc', mm.index, mm.index + mm[0].length, mm[0]));
  LOINC_SCAN.lastIndex = 0;
  while (digits && positions(trig, LOINC_FAMILY).length > 0 && (m = LOINC_SCAN.exec(text))) {
    const v = m[1]!;
    if (!isValidLoinc(v)) continue;
    const s = m.index + m[0].length - v.length;
    push(out, 'loinc', s, s + v.length, v);
  }
  // a number glued to a word or a decimal point ("A12 mg", "1.250 mg" mid-number) is not a value
  const standalone = (i: number) => {
    if (i === 0) return true;
    const c = text.charCodeAt(i - 1); // not [\w.]
    return !((c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95 || c === 46);
  };
  // a value is a number of at most five digits (then a decimal part, a unit)
  let labLine = -1;
  execAtCandidates(LAB_AT, text, at.lab, (mm) => {
    if (!standalone(mm.index)) return;
    push(out, 'lab-value', mm.index, mm.index + mm[0].length, mm[0]);
    // a result row often names its LOINC code: a check-digit-valid code on the same line counts
    const [ls, le] = lineAround(text, mm.index);
    if (ls === labLine || le - ls > LINE_CONTEXT_MAX) return;
    labLine = ls;
    const dash = text.indexOf('-', ls);
    if (dash < 0 || dash >= le) return;
    LOINC_ON_LINE.lastIndex = ls;
    let lm: RegExpExecArray | null;
    while ((lm = LOINC_ON_LINE.exec(text)) && lm.index < le) {
      const v = lm[1]!;
      if (isValidLoinc(v) && !out.some((f) => f.category === 'loinc' && f.start === lm!.index)) push(out, 'loinc', lm.index, lm.index + v.length, v);
    }
  });
  // titers: "1:80" with an antibody, titer or screen word earlier on the line, not a time ("1:40 pm")
  for (const s of at.titer) {
    const [ls] = lineAround(text, s);
    const colon = text.indexOf(':', s);
    let e = colon + 1;
    while (e < text.length && isDigit(text.charCodeAt(e))) e++;
    if (/^\s?[ap]\.?m\b/i.test(text.slice(e, e + 5))) continue;
    if (!TITER_CONTEXT.test(text.slice(Math.max(ls, s - 60), s))) continue;
    push(out, 'lab-value', s, e, text.slice(s, e));
  }
  // "(31624)" on a line with a date of service and a dollar amount: a CPT code on a statement
  for (const s of at.paren) {
    const v = text.slice(s, s + 5);
    if (outsideCptRange(v) || out.some((f) => f.category === 'cpt' && f.start === s)) continue;
    const [ls, le] = lineAround(text, s);
    if (le - ls > LINE_CONTEXT_MAX) continue;
    // a statement item: the date on its line or the line before ("Service date: ..." above
    // "Description: ... (64718)"), the amount on its line or the next ("Charges: $120.00")
    const [ps] = ls > 0 ? lineAround(text, ls - 1) : [ls, ls];
    const [, ne] = le < text.length ? lineAround(text, le + 1) : [le, le];
    if (LINE_DATE.test(text.slice(Math.max(ps, ls - LINE_CONTEXT_MAX), le)) && MONEY.test(text.slice(ls, Math.min(ne, le + LINE_CONTEXT_MAX)))) push(out, 'cpt', s, s + 5, v);
  }
  execAtCandidates(DOSAGE_AT, text, at.dose, (mm) => {
    if (!standalone(mm.index)) return;
    if (mm[0].endsWith('%') && !/\b(?:A1c|HbA1c|saturation|SpO2|O2|EF|ejection)\b/i.test(text.slice(Math.max(0, mm.index - 30), mm.index))) return;
    push(out, 'dosage', mm.index, mm.index + mm[0].length, mm[0]);
  });
  return out;
}

/**
 * HL7 v2 messages pasted or attached as text: PID-3 (patient identifier list), PID-5 (patient
 * name, LAST^FIRST), PID-7 (date of birth) are identifiers; OBX segments with a value are results.
 * Segments are recognised by their 3-letter id at a line start followed by "|".
 */
export function detectHl7(text: string): Finding[] {
  const out: Finding[] = [];
  if (!text.includes('PID|') && !text.includes('OBX|')) return out;
  let lineStart = 0;
  while (lineStart < text.length) {
    let nl = text.indexOf('\n', lineStart);
    if (nl < 0) nl = text.length;
    const seg = text.slice(lineStart, Math.min(nl, lineStart + 4000)).replace(/\r$/, '');
    if (seg.startsWith('PID|') || seg.startsWith('OBX|')) {
      const fields = seg.split('|');
      const offsetOf = (i: number) => lineStart + fields.slice(0, i).reduce((n, f) => n + f.length + 1, 0);
      if (seg.startsWith('PID|')) {
        const id = (fields[3] ?? '').split('^')[0] ?? '';
        if (hasDigits(id, 4)) push(out, 'mrn', offsetOf(3), offsetOf(3) + id.length, id);
        const name = fields[5] ?? '';
        if (/^\p{L}[\p{L}' -]*\^\p{L}/u.test(name)) {
          const v = name.split('^').slice(0, 2).reverse().join(' ');
          push(out, 'name-in-clinical-context', offsetOf(5), offsetOf(5) + name.length, v);
        }
        const dob = fields[7] ?? '';
        if (/^(19|20)\d{6}/.test(dob)) push(out, 'dob', offsetOf(7), offsetOf(7) + dob.length, dob);
      } else if (fields[5] && /\d/.test(fields[5])) {
        push(out, 'lab-value', offsetOf(5), offsetOf(5) + fields[5].length, fields[5]);
      }
    }
    lineStart = nl + 1;
  }
  return out;
}

/**
 * The numeric patterns with the candidate rule of each, for the property test that candidates
 * give the same matches as the global pattern over the whole text (test/policy/candidates.test.ts).
 */
export function numericPatterns(): Array<{ name: string; global: RegExp; sticky: RegExp; starts: (text: string, runs: readonly number[]) => number[] }> {
  const id = (k: keyof IdStarts) => (t: string, r: readonly number[]) => idStarts(t, r)[k];
  const code = (k: 'icd' | 'ndc' | 'lab' | 'dose') => (t: string, r: readonly number[]) => codeStarts(t, r)[k];
  return [
    { name: 'ssn', global: SSN_RE, sticky: SSN_AT, starts: id('ssn') },
    { name: 'mbi', global: MBI_SCAN, sticky: MBI_AT, starts: id('mbi') },
    { name: 'npi', global: NPI_SCAN, sticky: NPI_AT, starts: id('npi') },
    { name: 'phone', global: PHONE_RE, sticky: PHONE_AT, starts: id('phone') },
    { name: 'street', global: STREET_RE, sticky: STREET_AT, starts: id('street') },
    { name: 'zip', global: CITY_ZIP_RE, sticky: CITY_ZIP_AT, starts: id('zip') },
    { name: 'icd', global: ICD_SCAN, sticky: ICD_AT, starts: code('icd') },
    { name: 'ndc', global: NDC_SCAN, sticky: NDC_AT, starts: code('ndc') },
    { name: 'lab', global: LAB_VALUE, sticky: LAB_AT, starts: code('lab') },
    { name: 'dose', global: DOSAGE, sticky: DOSAGE_AT, starts: code('dose') },
  ];
}

/** The CPT/HCPCS gate and the patterns it stands for, for the same property test. */
export function cptGate(): { possible: (text: string, runs: readonly number[]) => boolean; patterns: RegExp[] } {
  return { possible: (t, r) => codeStarts(t, r).cpt, patterns: [CPT_SCAN, HCPCS_SCAN] };
}

/** The labelled patterns and the digit gate in front of them, for the property test (candidates.test.ts). */
export function labelGate(): { gate: typeof labelsNearDigits; specs: Array<{ re: RegExp; family: TriggerFamily; minDigits: number }> } {
  return { gate: labelsNearDigits, specs: LABELLED.map((s) => ({ re: s.re, family: s.family!, minDigits: s.minDigits })) };
}
