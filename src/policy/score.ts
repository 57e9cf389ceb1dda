// The PHI scorer: message bytes in, decision out. Combines health evidence (lexicon terms, codes,
// lab values) with evidence of an identifiable individual (identifiers, names in clinical context,
// a correspondent addressed about "your" care) and scores their LINK: both must occur in the same
// scope (a table row, a text part, or — discounted — the same message). Health vocabulary alone or
// identifiers alone stay low; identifiers alone give the separate `pii` finding.
// Trust level: pure and deterministic over untrusted bytes; never logs; reasons carry only masked
// identifiers (mask.ts) and the health terms that were matched.
import { type CompiledPolicy, type PolicyConfig, PII_CATEGORIES, WEAK_ID_CATEGORIES, compilePolicy } from './config.js';
import { type Finding, LOINC_FAMILY, detectCodes, detectHl7, detectIdentifiers, isValidIcd10, isValidLoinc } from './detectors.js';
import { type Extraction, type TextUnit, extractText } from './extract.js';
import type { Lexicon, TermHit, TermInfo } from './lexicon.js';
import { maskValue } from './mask.js';
import { type TriggerFamily, type Triggers, codeAt, newTriggers, execAtCandidates, execAtTriggers, flatString, isJsSpace, lowerSameLength, positions, registerTriggers, tokenHash } from './scan.js';
import { isCommonEnglish } from './english.js';
import { bundledLexicon } from './lexicon.js';

export interface Reason {
  category: string;
  count: number;
  where: string[];
  samples: string[];
}

export interface PhiDecision {
  phi: boolean;
  pii: boolean;
  score: number;
  threshold: number;
  reasons: Reason[];
}

/** Health-code weights (codes are strong health evidence but identify no one). */
const CODE_WEIGHTS: Record<string, number> = {
  icd10: 2.5,
  cpt: 2.5,
  hcpcs: 2.5,
  ndc: 2,
  loinc: 1.5,
  'lab-value': 1,
  dosage: 1,
};
const CODE_CAP: Record<string, number> = { icd10: 5, cpt: 5, hcpcs: 5, ndc: 4, loinc: 3, 'lab-value': 3, dosage: 3 };
const TERM_CATEGORY_CAP = 6;
const PATIENT_RELATIONSHIP_WEIGHT = 1.5;
const WEAK_ID_CAP = 1;

// ---------------------------------------------------------------- text clean-up

const FOOTER_TOPIC = /\b(?:confidential(?:ity)?|privileged|HIPAA|protected health information|PHI|intended (?:solely )?(?:only )?for|intended recipient)\b/i;
const FOOTER_ACTION = /\b(?:error|intended|notify|delete|destroy|monitor(?:ing|ed)?|compliance|prohibited|unauthori[sz]ed|disclos\w*|dissemination|distribution|copying|review|retransmission|security)\b/i;

const FOOTER_FAMILY = registerTriggers('footer', ['confidential', 'confidentiality', 'privileged', 'hipaa', 'protected health information', 'phi', 'intended']);
const BULK_FAMILY = registerTriggers('bulk', ['unsubscribe', 'view', 'manage', 'you are receiving this', 'opt', 'mailing list']);
const BULK_AT = /(?:unsubscribe\b|view (?:this (?:e-?mail|message) )?in (?:your |a )?browser\b|manage (?:your )?(?:e-?mail )?(?:subscription|preferences)\b|you are receiving this\b|opt[ -]out\b|mailing list\b)/iy;

/**
 * Character ranges of confidentiality / HIPAA disclaimers (they are not PHI): a short paragraph
 * naming confidentiality and an action (notify, delete, monitoring...) is dropped whole; in a long
 * paragraph only such sentences are. `footerAt` are the footer-keyword positions.
 */
export function disclaimerRanges(text: string, footerAt: readonly number[]): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  let doneUntil = -1;
  for (const p of footerAt) {
    if (p < doneUntil) continue;
    const a = text.lastIndexOf('\n\n', p);
    const ps = a < 0 ? 0 : a + 2;
    const b = text.indexOf('\n\n', p);
    const pe = b < 0 ? text.length : b;
    doneUntil = pe;
    const para = text.slice(ps, pe);
    if (!FOOTER_TOPIC.test(para)) continue;
    if (para.length <= 500 && FOOTER_ACTION.test(para)) {
      out.push([ps, pe]);
      continue;
    }
    const re = /[^.!?]*(?:[.!?]+|$)/g;
    let m: RegExpExecArray | null;
    while ((m = re.exec(para)) && m[0].length > 0) {
      if (FOOTER_TOPIC.test(m[0]) && FOOTER_ACTION.test(m[0])) out.push([ps + m.index, ps + m.index + m[0].length]);
    }
  }
  return out;
}

/** The text with disclaimers removed (for callers that want to see what the scorer ignores). */
export function stripDisclaimers(text: string): string {
  const trig = newTriggers();
  bundledLexicon().match(text, lowerSameLength(text), trig);
  const ranges = disclaimerRanges(text, positions(trig, FOOTER_FAMILY));
  let out = '';
  let pos = 0;
  for (const [a, b] of ranges) {
    out += text.slice(pos, a);
    pos = b;
  }
  return out + text.slice(pos);
}

function inRanges(ranges: ReadonlyArray<[number, number]>, pos: number): boolean {
  // (indexed: destructuring for-of allocates per step where V8 does not optimise it away)
  for (let k = 0; k < ranges.length; k++) if (pos >= ranges[k]![0] && pos < ranges[k]![1]) return true;
  return false;
}

// ---------------------------------------------------------------- names

// at least two letters: "Mr. K" and initials in teaching cases do not identify anyone
// a hyphenated part may be lower case: "Hyun-joo", "Jean-baptiste"
const NAME_TOKEN = "\\p{Lu}[\\p{L}'’]+(?:-\\p{L}[\\p{L}'’]+)?";
const FULL_NAME = `${NAME_TOKEN}(?:\\s+\\p{Lu}\\.)?(?:[ \\t]+${NAME_TOKEN}){1,2}`;
const LAST_FIRST = `${NAME_TOKEN},[ \\t]*${NAME_TOKEN}(?:[ \\t]+\\p{Lu}\\.?)?`;
const HONORIFIC = '(?:Mr|Mrs|Ms|Miss|Mx)\\.?';
const LABELLED_NAME = new RegExp(
  `(?:\\b(?:[Pp]atient|PATIENT|Pt|PT|[Pp]atient [Nn]ame|PATIENT NAME|Pt\\.? [Nn]ame|[Nn]ame|NAME|[Mm]ember(?: [Nn]ame)?|MEMBER|[Ss]ubscriber(?: [Nn]ame)?|[Bb]eneficiary|[Ii]nsured|[Ee]nrollee|[Cc]lient|[Rr]esident|[Ss]tudent|[Cc]hild|[Ii]nfant|[Mm]inor|[Dd]ependent|[Dd]ecedent|[Rr]e|RE|[Rr]egarding|[Pp]atient [Ll]egal [Nn]ame)\\s*[:\\-]\\s*)(?:${HONORIFIC}\\s+)?(${LAST_FIRST}|${FULL_NAME}|\\p{Lu}{2,}(?:[ ,]+\\p{Lu}{2,}){1,2})`,
  'uy',
);
const LABELLED_NAME_FAMILY = registerTriggers('name-label', ['patient', 'pt', 'name', 'member', 'subscriber', 'beneficiary', 'insured', 'enrollee', 'client', 'resident', 'student', 'child', 'infant', 'minor', 'dependent', 'decedent', 're', 'regarding']);
const HONORIFIC_NAME = new RegExp(`\\b${HONORIFIC}\\s+(${NAME_TOKEN}(?:[ \\t]+${NAME_TOKEN})?)`, 'uy');
const HONORIFIC_FAMILY = registerTriggers('honorific', ['mr', 'mrs', 'ms', 'miss', 'mx']);
// "Jane Roe, a 54-year-old ...": find the age phrase first (fast), then the name just before it
const AGE_FAMILY = registerTriggers('age', ['year', 'years', 'yr', 'yrs', 'y', 'yo', 'month', 'months']);
const AGE_BEFORE = /,?\s+(?:is\s+)?(?:an?\s+)?\d{1,3}[- ]?$/;
const NAME_AT_END = new RegExp(`(${FULL_NAME})$`, 'u');
// "patient Jane Roe", and verbs of care with a person as object ("admitted Jane Roe", "referring
// Jane Roe", "saw Jane Roe")
const PATIENT_NAME = new RegExp(
  `\\b(?:[Pp]atient|[Pp]t\\.?|[Rr]esident|[Cc]lient|[Mm]ember|[Bb]eneficiary|[Rr]eferring|[Rr]eferral for|[Rr]efer(?:red)?|[Ss]eeing|[Ss]aw|[Ee]valuat(?:e|ed|ing)|[Aa]dmit(?:ted|ting)?|[Dd]ischarg(?:e|ed|ing)|[Tt]reat(?:ed|ing)?|[Ee]xamined)\\s+(${FULL_NAME})`,
  'uy',
);
const PATIENT_NAME_FAMILY = registerTriggers('patient-name', ['patient', 'pt', 'resident', 'client', 'member', 'beneficiary', 'referring', 'referral', 'refer', 'referred', 'seeing', 'saw', 'evaluate', 'evaluated', 'evaluating', 'admit', 'admitted', 'admitting', 'discharge', 'discharged', 'discharging', 'treat', 'treated', 'treating', 'examined']);
// "Jane Roe (DOB ...", "Jane Roe, MRN ...", "Jane Roe, 16," : a name right before an identifier or an age
const NAME_BEFORE_ID = new RegExp(`(${FULL_NAME})[ \\t]*[(,:\\-–]?[ \\t]*(?:DOB|D\\.O\\.B\\.?|[Dd]ate of [Bb]irth|[Bb]orn|MRN|MR#?|[Mm]ember(?: ID| #| No\\.?)?|[Pp]olicy(?: #| No\\.?| Number)?|[Ss]ubscriber(?: ID| #)?|[Aa]ge|ID|(?:NHS|CHI|IHI|PHN|URN|UR|[Hh]ealth [Cc]ard|[Hh]osp(?:ital)?|[Cc]hart|[Mm]edicare|[Uu]nit)(?: [Nn]o\.?| [Nn]umber| #)?)?[ \\t]*[:#]?[ \\t]*$`, 'u');
const PREP_FAMILY = registerTriggers('prep', ['for', 'with']);
const PREP_NAME = new RegExp(`(?:for|with)\\s+(?:(?:Mr|Mrs|Ms|Miss|Mx)\\.?\\s+)?(${FULL_NAME})`, 'uy');
/** Record and care nouns that, followed by "for/with/of NAME", make NAME the patient. */
const RECORD_NOUNS = new Set(
  ('results result report reports labs lab refill refills prescription prescriptions rx referral request records record chart certificate note notes ' +
    'orders order consult consultation appointment appointments visit visits session encounter evaluation exam examination authorization claim ' +
    'claims bill statement summary imaging biopsy scan mri ct x-ray xray ultrasound plan meds medications medication history follow-up followup ' +
    'admission discharge surgery procedure vaccine vaccination immunization screening test tests diagnosis prognosis care treatment therapy ' +
    'benefits eob explanation verification eligibility coverage').split(' '),
);
/** RECORD_NOUNS by tokenHash (kept to 30 bits, a small integer key), so a word is looked up without copying it out. */
const RECORD_NOUN_BY_HASH = new Map<number, string[]>();
for (const w of RECORD_NOUNS) {
  const h = tokenHash(w, 0, w.length) & 0x3fffffff;
  RECORD_NOUN_BY_HASH.set(h, [...(RECORD_NOUN_BY_HASH.get(h) ?? []), w]);
}

/** lower[s, e) is one of RECORD_NOUNS. */
function isRecordNoun(lower: string, s: number, e: number): boolean {
  const nouns = RECORD_NOUN_BY_HASH.get(tokenHash(lower, s, e) & 0x3fffffff);
  if (nouns === undefined) return false;
  for (let k = 0; k < nouns.length; k++) if (nouns[k]!.length === e - s && lower.startsWith(nouns[k]!, s)) return true;
  return false;
}

// "FYI the ionized calcium on Jane Roe came back ...", "checking in about Jane Roe", "please book
// Jane Roe for a recheck of ...": a person the sentence's health content
// is about (used only when that sentence holds a health term or a lab value)
// (the frequent "on" is not a trigger: it is looked for only right after a health term, "the
// ionized calcium on Jane Roe")
const ABOUT_FAMILY = registerTriggers('about-name', ['about', 'regarding', 'concerning', 'book', 'rebook', 'schedule', 'reschedule']);
// "... on Jane Roe came back at 0.91": a result reported about the person named before it
const RESULT_VERB_FAMILY = registerTriggers('result-verb', ['came', 'resulted', 'returned']);
/** Followed by one blank and then a capital letter (or any non-ASCII character): "on Jane", "about Mr. Roe". */
function capitalAfterBlank(text: string, q: number): boolean {
  if (q + 1 >= text.length || text.charCodeAt(q) !== 32) return false;
  const c = text.charCodeAt(q + 1);
  return c < 128 ? c >= 65 && c <= 90 : true;
}
const ABOUT_NAME = new RegExp(`([Oo]n|[Aa]bout|[Rr]egarding|[Cc]oncerning|[Bb]ook|[Rr]ebook|[Ss]chedule|[Rr]eschedule)[ \\t]+(?:(?:Mr|Mrs|Ms|Miss|Mx)\\.?[ \\t]+)?(${FULL_NAME})(?![\\p{L}@])`, 'uy');
const RESULT_REPORTED = /^[ \t]+(?:came back|resulted|returned|was|is|measured)[ \t]+(?:at[ \t]+|as[ \t]+)?[<>]?\d/;
/**
 * A bare date right after a name ("Jane Roe 11/17/02", "Jane Roe (09.15.1945)", "Jane Roe / 7/13/68")
 * is a birth date when it lies far enough in the past. The scorer is pure and has no clock, so the
 * cut-off is a named year: dates after it are read as visits or deadlines, not births.
 */
const LATEST_BARE_BIRTH_YEAR = 2015;
/** The separators allowed between a name and a bare birth date: blanks, '(', '/', ',', '-', '–'. */
function isNameDateSep(c: number): boolean {
  return c === 32 || c === 9 || c === 40 || c === 47 || c === 44 || c === 45 || c === 0x2013;
}
/** A month/day/year (or day/month/year) that can be a birth date (year at most LATEST_BARE_BIRTH_YEAR). */
function birthDateParts(a: number, b: number, yearText: string): boolean {
  const y0 = Number(yearText);
  const y = yearText.length === 2 ? (y0 > LATEST_BARE_BIRTH_YEAR % 100 ? 1900 + y0 : 2000 + y0) : y0;
  if (y < 1900 || y > LATEST_BARE_BIRTH_YEAR) return false;
  const mdy = a >= 1 && a <= 12 && b >= 1 && b <= 31;
  const dmy = b >= 1 && b <= 12 && a >= 1 && a <= 31;
  return mdy || dmy;
}
// an author byline of a paper: "Ana Ruiz, Ben Okafor, Chen Li, et al." or the names line right
// above "Background:" / "Methods:" / "Abstract": the people there wrote it, they are not patients
const PAPER_FAMILY = registerTriggers('paper', ['et', 'background', 'methods', 'method', 'abstract', 'objective', 'objectives', 'introduction', 'purpose', 'aims', 'aim', 'design']);
const ET_AL_END = /\bet\.? al\.?[ \t]*$/;
const PAPER_SECTION_START = /^[ \t]*(?:Background|Methods?|Abstract|Objectives?|Introduction|Purpose|Aims?|Design|Summary)\b[ \t]*[:.\-–]/;
/** The line holding `pos` is an author byline (see ET_AL_END and PAPER_SECTION_START). */
function onBylineLine(text: string, pos: number): boolean {
  const ls = text.lastIndexOf('\n', pos) + 1;
  let le = text.indexOf('\n', pos);
  if (le < 0) le = text.length;
  const line = text.slice(ls, le);
  if (ET_AL_END.test(line)) return true;
  // a comma list of names right above a paper section heading (a blank line between them allowed)
  if (line.indexOf(',') < 0) return false;
  let ns = le + 1;
  for (let k = 0; k < 2 && ns < text.length; k++) {
    let ne = text.indexOf('\n', ns);
    if (ne < 0) ne = text.length;
    if (!isBlank(text, ns, ne)) return PAPER_SECTION_START.test(text.slice(ns, Math.min(ne, ns + 40)));
    ns = ne + 1;
  }
  return false;
}
/**
 * "IBEKWE, MAELYS  75M894206719  01.02.2025 ...": an upper-case "SURNAME, GIVEN" opening a row of a
 * table whose columns are aligned with two or more blanks (or tabs), under a header naming a patient
 * or member column.
 */
const CAPS_LAST_FIRST_AT = /(\p{Lu}{2,}(?:[-'’]\p{Lu}{2,})?,[ \t]?\p{Lu}{2,}(?:[-'’]\p{Lu}{2,})?(?:[ \t]\p{Lu}\.?)?)(?=[ \t]{2,}|\t)/uy;
const ROW_HEADER_ROLE = /(?:^|[ \t])(?:PATIENT|Patient|MEMBER|Member|SUBSCRIBER|Subscriber|BENEFICIARY|Beneficiary|INSURED|Insured|CLAIMANT|Claimant|PT|NAME|Name)(?:[ \t]NAME|[ \t]Name)?(?=[ \t]{2,}|\t|$)/;
/** Bounds of the sentence holding [s, e): '.' ends one only before white space (so "1.45" does not). */
function sentenceBounds(text: string, s: number, e: number): [number, number] {
  const end = (i: number) => {
    const c = text.charCodeAt(i);
    return c === 10 || c === 33 || c === 63 || (c === 46 && (i + 1 >= text.length || isJsSpace(text.charCodeAt(i + 1))));
  };
  let a = s;
  while (a > 0 && s - a < 300 && !end(a - 1)) a--;
  let b = e;
  while (b < text.length && b - e < 300 && !end(b)) b++;
  return [a, b];
}
const LOINC_CELL = /(?<![\d.\/-])\d{3,5}-\d(?![\d\/-]|\.\d)/g;
/**
 * Valid LOINC codes (check digit) under a "LOINC" column of a table aligned with two or more blanks
 * or tabs: the header line has such gaps and "LOINC" stands alone as a cell. Reads the rows below
 * the header up to a blank line (at most 200 lines).
 */
function loincColumnCodes(text: string, at: number): string[] {
  const ls = text.lastIndexOf('\n', at - 1) + 1;
  let le = text.indexOf('\n', at);
  if (le < 0) le = text.length;
  const gapOrEdge = (i: number, dir: 1 | -1) => {
    const a = i + (dir === 1 ? 0 : -1);
    if (dir === 1 ? i >= le || text.charCodeAt(i) === 13 : i <= ls) return true;
    const c = text.charCodeAt(a);
    if (c === 9) return true;
    return c === 32 && (text.charCodeAt(a + dir) === 32 || text.charCodeAt(a + dir) === 9);
  };
  if (!gapOrEdge(at, -1) || !gapOrEdge(at + 5, 1)) return [];
  if (!/\S(?:[ \t]{2,}|\t)\S/.test(text.slice(ls, le))) return [];
  const out: string[] = [];
  let rs = le + 1;
  for (let k = 0; k < 200 && rs < text.length; k++) {
    let re = text.indexOf('\n', rs);
    if (re < 0) re = text.length;
    if (isBlank(text, rs, re)) break;
    const row = text.slice(rs, re);
    LOINC_CELL.lastIndex = 0;
    let m: RegExpExecArray | null;
    while ((m = LOINC_CELL.exec(row))) if (isValidLoinc(m[0])) out.push(m[0]);
    rs = re + 1;
  }
  return out;
}

const CARE_ACTIVE_FAMILY = registerTriggers('care-active', ['had', 'has', 'underwent', 'received', 'developed', 'reports', 'reported', 'presented', 'presents', 'denies', 'complains', 'tolerated', 'completed']);
const CARE_PASSIVE_FAMILY = registerTriggers('care-passive', ['seen', 'admitted', 'discharged', 'treated', 'evaluated', 'diagnosed', 'referred', 'examined', 'hospitalized', 'transferred', 'prescribed', 'scheduled']);
// the age is on the name's line and a human age: "(724)" on the next line is an area code
const SHORT_AGE_AT = /,[ \t](?:1[01]\d|\d{1,2}),|,[ \t](?:1[01]\d|\d{1,2})[ \t]?(?:yo[ \t]?)?[MF](?![A-Za-z0-9])|[ \t]\((?:1[01]\d|\d{1,2})[ \t]?(?:y|yo|y\/o|yrs?|years?|[MF])?\)/y;
const LAST_FIRST_AT = new RegExp(`(?<![\\p{L}.])(\\p{Lu}\\p{Ll}[\\p{L}'’-]+,[ \\t]\\p{Lu}\\p{Ll}[\\p{L}'’-]*)(?![\\p{L}])`, 'uy');
const LETTER = /\p{L}/u;
const UPPER = /\p{Lu}/u;

/** A character of [\p{L}'’-]; surrogate halves count (astral letters), which only adds candidates. */
function isNameChar(text: string, i: number): boolean {
  const c = text.charCodeAt(i);
  if (c < 128) return (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 39 || c === 45;
  return c === 0x2019 || (c >= 0xd800 && c <= 0xdfff) || LETTER.test(text[i]!);
}

/**
 * Where "Nakamura, Ren" can start: an upper-case letter (or a surrogate half) after a character
 * that is neither a letter nor '.', in the word right before a ", " or ",\t". Found from the
 * commas (a native search) instead of a Unicode regex tried at every character of the part.
 */
function lastFirstStarts(text: string): number[] {
  const out: number[] = [];
  for (let c = text.indexOf(','); c >= 0; c = text.indexOf(',', c + 1)) {
    const nx = codeAt(text, c + 1);
    if (nx !== 32 && nx !== 9) continue;
    let w = c;
    while (w > 0 && isNameChar(text, w - 1)) w--;
    for (let p = w; p <= c - 3; p++) {
      const u = text.charCodeAt(p);
      const upper = u < 128 ? u >= 65 && u <= 90 : (u >= 0xd800 && u <= 0xdfff) || UPPER.test(text[p]!);
      if (!upper) continue;
      const b = p > 0 ? text.charCodeAt(p - 1) : -1;
      // inside the word, a start needs a non-letter before it: ' ’ - (or a surrogate half, to be safe)
      if (b === 46 || (p > w && b !== 39 && b !== 45 && b !== 0x2019 && !(b >= 0xd800 && b <= 0xdfff))) continue;
      out.push(p);
    }
  }
  return out;
}
function healthAny0(terms: TermHit[]): boolean {
  return terms.some((t) => t.info.weight >= 1.5);
}
const CANDIDATE_NAME = new RegExp(`(?<![\\p{L}.@])(${FULL_NAME})(?![\\p{L}@])`, 'gu');
// ("D.O." but not "D.O.B.": a name on the line above a birth date is not an osteopath's)
const CREDENTIAL_AFTER = /^,?\s*\(?(?:MD|M\.D\.|DO|D\.O\.(?!B)|RN|NP|PA|PA-C|PharmD|DNP|PhD|MPH|MSc|MS|FACP|FACC|FAAP|APRN|CNM|LPN|BSN|MSN|CRNA|DPM|DDS|DMD|OD|LCSW|MBA|FNP|FNP-BC|RD|LMFT|PT|OT|CMA|DC|MBBS|FRCP|CNS|ANP|MHA|CPC|CCS|RHIA|RPh|CPhT|MA|Jr|Sr|Esq)\b/;
const CREDENTIAL_TOKEN = /^(?:MD|DO|RN|NP|PA|PA-C|PharmD|DNP|PhD|MPH|MSc|MS|FACP|FACC|FAAP|APRN|CNM|LPN|BSN|MSN|CRNA|DPM|DDS|DMD|OD|LCSW|MBA|FNP|FNP-BC|RD|LMFT|PT|OT|CMA|DC|MBBS|FRCP|CNS|ANP|MHA|CPC|CCS|RHIA|RPh|CPhT|MA|Jr|Sr|Esq|Dr|Mr|Mrs|Ms|Miss|Mx|Prof)\.?$/;
/** The start of a meeting roster line: the people on it are attendees, not patients. */
const ROSTER_LINE = /^[ \t>]*(?:present|attendees|attended|in attendance|members present|apologies|absent|excused|invited|guests|chair|minutes taken by|distribution|cc)\s*[:\-–]/i;
const STAFF_ROLE_BEFORE = /\b(?:present|attendees|attending|absent|excused|nurse|educator|manager|director|coordinator|chair|chief|colleague|our|welcome|congratulations\s+to|by|presenter|speaker|instructor|supervisor|administrator|officer|assistant|secretary|recruiter|volunteer|technician|therapist|pharmacist|physician|provider|staff|employee|team\s+member|president|dean|professor|contact)\s*[,:\-–]?\s*$/i;
const TITLE_BEFORE = /(?:\bDr|\bDoctor|\bProf|\bProfessor|\bNurse|\bPharmacist|\bDrs)\.?\s*$/;
const ORG_WORDS = new Set(
  'clinic hospital center centre health medical medicine pharmacy lab labs laboratory laboratories group associates university college institute foundation department dept street avenue road boulevard suite building campus unit services service care system systems network partners practice office plan insurance mutual company inc llc corp corporation county city state school society association council committee board team program project fund trust bank news newsletter journal review conference summit week day month year'.split(' '),
);
const NAME_STOP = new Set(
  ('the a an this that these those please dear hi hello hey thanks thank regards best sincerely kind warm good morning afternoon evening ' +
    'monday tuesday wednesday thursday friday saturday sunday january february march april may june july august september october november december ' +
    'jan feb mar apr jun jul aug sep sept oct nov dec today tomorrow yesterday ' +
    'new old next last first second third final follow up update reminder notice meeting agenda minutes schedule policy training staff all team ' +
    'question questions request requested response reply re fwd fw subject from to cc sent date attachment attached see call contact ' +
    'patient patients member members provider providers doctor nurse physician pharmacist practice primary urgent routine important action required ' +
    'we our you your i my he she they his her their it its us them is are was were be been will would should could can may might must ' +
    'and or but for with without of in on at by about as into over under after before between during per via ' +
    'total amount paid billed allowed balance payment due claim claims invoice account status report summary results result review ' +
    'north south east west northern southern eastern western central upper lower general regional community national american united ' +
    'chief director manager coordinator assistant associate senior junior lead head officer administrator specialist analyst ' +
    'medical clinical health care family internal emergency surgical surgery pediatric pediatrics behavioral mental public quality safety ' +
    'information privacy security compliance confidential confidentiality protected program services department office hours ' +
    'room suite floor building street avenue road boulevard box apt unit city state zip phone fax email e mail web site online portal ' +
    'yes no not none other others any each every some more most less least very just also only still well ok okay note notes ' +
    'medicare medicaid part plan plans group id number no mrn dob ssn npi icd cpt hcpcs rx dx ' +
    'description code codes units unit charge charges diagnosis diagnoses procedure procedures medication medications test tests lab labs ' +
    'alabama alaska arizona arkansas california colorado connecticut delaware florida georgia hawaii idaho illinois indiana iowa kansas kentucky louisiana maine maryland massachusetts michigan minnesota mississippi missouri montana nebraska nevada hampshire jersey mexico york carolina dakota ohio oklahoma oregon pennsylvania rhode island tennessee texas utah vermont virginia washington wisconsin wyoming canada ontario quebec usa ' +
    'healthcare professional professionals clinician clinicians physicians nurses patients families family adults children women men people everyone colleagues residents students prescribers prescribing full use indications important highlights overview guide instructions ' +
    'grand rounds webinar symposium workshop advances lecture series session summit forum course seminar management update spotlight focus case cases study trial').split(/\s+/),
);

/** Folded names (the same candidate names and correspondents recur within and across messages). */
const foldCache = new Map<string, string>();
const FOLD_CACHE_MAX = 50_000;

function foldName(s: string): string {
  let f = foldCache.get(s);
  if (f !== undefined) return f;
  f = /[^\x00-\x7f]/.test(s) ? s.normalize('NFD').replace(/[\u0300-\u036f]/g, '').toLowerCase() : s.toLowerCase();
  if (foldCache.size < FOLD_CACHE_MAX) foldCache.set(s, f);
  return f;
}

function nameTokens(s: string): readonly string[] {
  // letters that do not decompose (ð, ø, ł, ß) stay inside the token: "Sigríður" is one name
  return memo(tokenCache, s, () => foldName(s).split(/[^\p{L}'’-]+/u).filter((t) => t.length > 1));
}

/** Facts about one correspondent, by display name and mailbox (the same people write again and again). */
interface Correspondent {
  /** Name tokens, or the letters of the mailbox name when there is no display name. */
  tokens: readonly string[];
  /** The folded display name without a trailing ", MD"-style part ('' without a name). */
  folded: string;
  /** The display name carries a clinical credential (Dr., MD, RN ...). */
  clinician: boolean;
  /** The mailbox name looks like one person's, not a list or a department's. */
  personalMailbox: boolean;
}

const tokenCache = new Map<string, readonly string[]>();
/**
 * Address -> the display name last seen with it and the facts about the two (one lookup: an
 * address nearly always comes with the same name; another name recomputes and replaces it).
 */
const correspondentCache = new Map<string, { name: string; facts: Correspondent }>();
/** Bound of each memo table of the scorer (pure functions of a string, kept across messages). */
const MEMO_MAX = 50_000;

function memo<T>(cache: Map<string, T>, key: string, f: () => T): T {
  let v = cache.get(key);
  if (v === undefined) {
    v = f();
    if (cache.size < MEMO_MAX) cache.set(key, v);
  }
  return v;
}

function correspondent(name: string, address: string): Correspondent {
  const hit = correspondentCache.get(address);
  if (hit !== undefined && hit.name === name) return hit.facts;
  const local = address.split('@')[0] ?? '';
  const facts: Correspondent = {
    tokens: name ? nameTokens(name) : nameTokens(local.replace(/[._\-+0-9]+/g, ' ')),
    folded: name ? foldName(name.replace(/,.*$/, '').replace(/"/g, '').trim()) : '',
    clinician: name.split(/[\s,.()]+/).some((t) => CLINICIAN_CREDENTIALS.has(t.toLowerCase())),
    personalMailbox: local !== '' && !LIST_LOCAL_PART.test(local),
  };
  if (hit !== undefined || correspondentCache.size < MEMO_MAX) correspondentCache.set(address, { name, facts });
  return facts;
}

// ---------------------------------------------------------------- tables

interface TableInfo {
  delim: string;
  cols: string[];
  /** Each row's line; its cells are split out only when the rows are scored (scoreUnit, scope 1). */
  rows: Array<{ start: number; end: number }>;
}

function splitCells(line: string, delim: string): string[] {
  // without quotes a CSV line is its comma-separated pieces (no per-character copying)
  if (delim !== ',' || !line.includes('"')) {
    const cells = line.split(delim);
    for (let k = 0; k < cells.length; k++) cells[k] = cells[k]!.trim();
    return cells;
  }
  const cells: string[] = [];
  let cur = '';
  let q = false;
  // runs between quotes and commas are copied whole
  let run = 0;
  for (let i = 0; i < line.length; i++) {
    const ch = line.charCodeAt(i);
    if (ch === 34) {
      cur += line.slice(run, i);
      if (q && codeAt(line, i + 1) === 34) {
        cur += '"';
        i++;
      } else q = !q;
      run = i + 1;
    } else if (ch === 44 && !q) {
      cells.push((cur + line.slice(run, i)).trim());
      cur = '';
      run = i + 1;
    }
  }
  cells.push((cur + line.slice(run)).trim());
  return cells;
}

const CAMEL = /(\p{Ll})(\p{Lu})/gu;

/**
 * A header cell as words in lower case: "LastName" -> "last name" (a space between a lower-case
 * and an upper-case letter). ASCII cells, nearly all of them, are done by a character loop: the
 * Unicode regex replace was most of the table finder's time.
 */
function headerWords(c: string): string {
  let out = '';
  let from = 0;
  for (let i = 1; i < c.length; i++) {
    const b = c.charCodeAt(i);
    if (b >= 128 || c.charCodeAt(i - 1) >= 128) return c.replace(CAMEL, '$1 $2').toLowerCase();
    if (b >= 65 && b <= 90) {
      const a = c.charCodeAt(i - 1);
      if (a >= 97 && a <= 122) {
        out += c.slice(from, i) + ' ';
        from = i;
      }
    }
  }
  if (c.length > 0 && c.charCodeAt(0) >= 128) return c.replace(CAMEL, '$1 $2').toLowerCase();
  return (from === 0 ? c : out + c.slice(from)).toLowerCase();
}

const LETTER_FIRST = /^\p{L}/u;

/** At least two non-empty cells, each starting with a letter and at most 41 characters long. */
function headerShaped(cells: string[]): boolean {
  let filled = 0;
  for (const c of cells) {
    if (c.length === 0) continue;
    if (c.length > 41) return false;
    const f = c.charCodeAt(0);
    if (f < 128 ? !((f >= 65 && f <= 90) || (f >= 97 && f <= 122)) : !LETTER_FIRST.test(c)) return false;
    filled++;
  }
  return filled >= 2;
}

const HEADER_CELL = /^[\p{L}][\p{L}0-9 _./#()&'-]{0,40}$/u;

/** text[ls, le) ends in . ! or ? followed only by white space (/[.!?]\s*$/ on the line). */
function endsWithSentenceMark(text: string, ls: number, le: number): boolean {
  let i = le - 1;
  while (i >= ls && isJsSpace(text.charCodeAt(i))) i--;
  if (i < ls) return false;
  const c = text.charCodeAt(i);
  return c === 46 || c === 33 || c === 63;
}

/** Some comma-separated piece of text[ls, le) is over 30 characters once trimmed (no array per line). */
function hasLongPiece(text: string, ls: number, le: number): boolean {
  let a = ls;
  for (;;) {
    let b = text.indexOf(',', a);
    if (b < 0 || b > le) b = le;
    // a piece of at most 30 characters cannot be longer trimmed: only long ones are copied
    if (b - a > 30 && text.slice(a, b).trim().length > 30) return true;
    if (b === le) return false;
    a = b + 1;
  }
}

/**
 * Next position of `ch` at or after `from`, remembered between calls: the line loop below asks for
 * the next tab, pipe, comma or quote of every line, and one forward pointer per character keeps
 * that linear in the text (an indexOf per line would rescan to the end of a text without one).
 */
class NextOf {
  private at = -2;
  constructor(private readonly text: string, private readonly ch: string) {}
  from(pos: number): number {
    if (this.at !== -1 && this.at < pos) this.at = this.text.indexOf(this.ch, pos);
    return this.at < 0 ? Infinity : this.at;
  }
}

/** text[a, b) is white space only (`!text.slice(a, b).trim()`). */
function isBlank(text: string, a: number, b: number): boolean {
  for (let i = a; i < b; i++) if (!isJsSpace(text.charCodeAt(i))) return false;
  return true;
}

/** splitCells(text.slice(a, b), delim).length, counting delimiters unless quotes matter. */
function cellCount(text: string, a: number, b: number, delim: string): number {
  if (delim === ',') {
    const q = text.indexOf('"', a);
    if (q >= 0 && q < b) return splitCells(text.slice(a, b), delim).length;
  }
  let cells = 1;
  for (let t = text.indexOf(delim, a); t >= 0 && t < b; t = text.indexOf(delim, t + 1)) cells++;
  return cells;
}

/** The line at `at` is a row of a tab table of `cols` columns (two or more cells, at most one more or fewer). */
function tabRowAt(text: string, at: number, cols: number): boolean {
  let e = text.indexOf('\n', at);
  if (e < 0) e = text.length;
  const cells = cellCount(text, at, e, '\t');
  return cells >= 2 && Math.abs(cells - cols) <= 1;
}

const LETTERS3 = /\p{L}{3}/u;

/** /\p{L}{3}/u.test(s): three letters in a row (ASCII cells by character code). */
function threeLetters(s: string): boolean {
  let run = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 128) return LETTERS3.test(s);
    if ((c >= 65 && c <= 90) || (c >= 97 && c <= 122)) {
      if (++run === 3) return true;
    } else run = 0;
  }
  return false;
}

/** /\d/.test(s) (an ASCII digit). */
function hasDigit(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 48 && c <= 57) return true;
  }
  return false;
}

/** Maximum lines of one part searched for tables. */
const TABLE_MAX_LINES = 200_000;

/**
 * Find delimited tables (CSV, TSV, pipe tables in text or HTML) in a unit. Lines are walked by
 * position rather than split into an array: most parts have no table, and most of their lines are
 * rejected by a character test without being copied.
 */
function findTables(text: string, tabular: boolean): TableInfo[] {
  const tables: TableInfo[] = [];
  const n = text.length;
  const tab = new NextOf(text, '\t');
  const pipe = new NextOf(text, '|');
  const comma = new NextOf(text, ',');
  // semicolon-separated CSV (spreadsheets in locales with a decimal comma): attachments only
  const semi = tabular ? new NextOf(text, ';') : undefined;
  const quote = new NextOf(text, '"');
  const lineEnd = (ls: number) => {
    const e = text.indexOf('\n', ls);
    return e < 0 ? n : e;
  };
  let lineNo = 0;
  let ls = 0;
  // the same lines as text.split('\n'): a text ending in a newline has a last, empty line
  // a part too short to reach the line limit goes straight to the lines holding a tab, a pipe or a
  // comma (the only ones that can start a table)
  const direct = n < TABLE_MAX_LINES;
  while (ls <= n && lineNo < TABLE_MAX_LINES) {
    if (direct) {
      const p = Math.min(tab.from(ls), pipe.from(ls), comma.from(ls), semi ? semi.from(ls) : Infinity);
      if (p === Infinity) break;
      // back to the start of p's line (a loop: lastIndexOf is a runtime call, slower for these short distances)
      ls = p;
      while (ls > 0 && text.charCodeAt(ls - 1) !== 10) ls--;
    }
    const le = lineEnd(ls);
    const i = lineNo;
    const next = le + 1;
    if (le - ls > 2000) {
      ls = next;
      lineNo++;
      continue;
    }
    let delim = '';
    const p1 = pipe.from(ls);
    const c1 = comma.from(ls);
    if (tab.from(ls) < le) delim = '\t';
    else if (p1 < le && pipe.from(p1 + 1) < le) delim = '|';
    else if (tabular && c1 < le) delim = ',';
    else if (semi && semi.from(ls) < le) delim = ';';
    // CSV pasted into a message body: a header of 3+ short column names with a known role
    else if (c1 < le && comma.from(c1 + 1) < le && !endsWithSentenceMark(text, ls, le)) delim = ',';
    if (!delim) {
      ls = next;
      lineNo++;
      continue;
    }
    // prose with commas: a pasted-CSV header has no cell over 30 characters (checked below on the
    // split cells); without quotes the cells are the comma-separated pieces, so wrapped sentences
    // are rejected here without splitting them cell by cell
    if (delim === ',' && !tabular && !(quote.from(ls) < le) && hasLongPiece(text, ls, le)) {
      ls = next;
      lineNo++;
      continue;
    }
    const line = text.slice(ls, le);
    const raw = splitCells(line, delim);
    // most candidate lines are data rows: a cell starting with a digit or longer than a header
    // cell can be rejects the line before its cells are rewritten below (the rewrite never
    // changes a cell's first character's class and only makes it longer)
    if (!headerShaped(raw)) {
      ls = next;
      lineNo++;
      continue;
    }
    // "LastName" -> "last name", "pt_name" -> "pt name"
    const cols = raw.map(headerWords);
    const filled = cols.filter((c) => c.length > 0);
    if (filled.length < 2 || !filled.every((c) => HEADER_CELL.test(c)) ||
        (delim === ',' && !tabular && (filled.some((c) => c.length > 30) || !cols.some((c) => columnRole(c) !== undefined)))) {
      ls = next;
      lineNo++;
      continue;
    }
    const rows: TableInfo['rows'] = [];
    let j = i + 1;
    let rs = next;
    for (; j < TABLE_MAX_LINES && rs <= n; j++) {
      const re = lineEnd(rs);
      if (isBlank(text, rs, re)) {
        // an HTML table's rows come out with a blank line between them (<tr> and </tr> each end a
        // line): a tab table goes on after one when the next line is a row of it
        if (rows.length > 0 && !(delim === '\t' && tabRowAt(text, re + 1, cols.length))) break;
        rs = re + 1;
        continue;
      }
      const cells = cellCount(text, rs, re, delim);
      if (cells < 2 || Math.abs(cells - cols.length) > 1) break;
      rows.push({ start: rs, end: re });
      rs = re + 1;
    }
    if (rows.length > 0) {
      tables.push({ delim, cols, rows });
      // go on at the line that ended the table (it may start the next one)
      lineNo = j;
      ls = rs;
      continue;
    }
    ls = next;
    lineNo++;
  }
  return tables;
}

type ColRole = 'lab' | 'name' | 'mrn' | 'member-id' | 'mbi' | 'dob' | 'date-of-service' | 'account-number' | 'ssn' | 'phone' | 'email' | 'address' | 'health' | 'note' | 'code';

/** Header -> role (column headers recur across messages: "Patient Name", "DOB", "CPT"). */
const roleCache = new Map<string, ColRole | null>();
const ROLE_CACHE_MAX = 10_000;

function columnRole(header: string): ColRole | undefined {
  const hit = roleCache.get(header);
  if (hit !== undefined) return hit ?? undefined;
  const role = columnRoleOf(header);
  if (roleCache.size < ROLE_CACHE_MAX) roleCache.set(header, role ?? null);
  return role;
}

function columnRoleOf(header: string): ColRole | undefined {
  const h = header.replace(/[_\-.]+/g, ' ');
  if (/\b(?:ssn|social security)\b/.test(h)) return 'ssn';
  if (/\bmbi\b|medicare (?:id|number|beneficiary|no)/.test(h)) return 'mbi';
  if (/\b(?:mrn|med(?:ical)? ?rec(?:ord)?s?(?: ?(?:num|no|number|#|id))?|chart(?: ?(?:no|num|number|#|id))?|(?:patient|pt|pat) ?(?:id|no|num|number|#)|hosp(?:ital)? ?(?:no|num|number|#)|nhs ?(?:no|num|number)?|urn|ur ?(?:no|number)|phn|health ?card(?: ?(?:no|number|#))?|case ?(?:no|num|number|#)|emr|ehr|empi)\b/.test(h)) return 'mrn';
  if (/\b(?:dob|d o b|birth|birthdate|date of birth|born)\b/.test(h)) return 'dob';
  if (/\b(?:member|mbr|subscriber|subscr|policy|insurance|ins|plan|beneficiary|medicaid|insured)\b.*\b(?:id|no|num|number|#)\b|\b(?:member|mbr|subscriber) ?id\b/.test(h)) return 'member-id';
  if (/\b(?:account|acct|claim|icn|accession|acc|rx ?(?:#|no|num|number)|encounter|enc|visit ?(?:#|no|id|num)|auth(?:orization)?|fin|csn|har)\b/.test(h) && !/\b(?:bank|routing)\b/.test(h)) return 'account-number';
  if (/\b(?:dos|date of service|service date|svc date|visit date|admit|admission|discharge|collected|encounter date|appt|appointment)\b/.test(h)) return 'date-of-service';
  if (/\b(?:phone|cell|mobile|tel|telephone)\b/.test(h)) return 'phone';
  if (/\b(?:e ?mail)\b/.test(h)) return 'email';
  if (/\b(?:address|street|addr)\b/.test(h)) return 'address';
  if (/\b(?:cpt|hcpcs|icd|icd ?10|icd10|loinc|code|codes|proc(?:edure)? code)\b/.test(h) && !/\b(?:desc|description)\b/.test(h)) return 'code';
  if (/\b(?:dx|diag|diagnos[ie]s|conditions?|problems?|procedures?|proc|medications?|meds?|drugs?|rx|results?|tests?|labs?|indications?|allerg\w*|findings?|impressions?|complaint|symptoms?|treatment|therapy|vaccines?|immunizations?|analytes?|assays?|components?|observations?)\b/.test(h)) return 'health';
  // a lab table's value, units, reference interval and flag columns: a measured result (see the rows)
  if (/^(?:value|values|result value|units?|uom|(?:reference )?(?:interval|range)|ref(?:erence)?(?: range)?|flags?|abnormal(?: flag)?|status)$/.test(h)) return 'lab';
  // "Reason", "Description": health data in a visit list, pay or invoice notes elsewhere; only the
  // health words and codes in their cells count
  if (/\b(?:reason|reasons|desc|description)\b/.test(h)) return 'note';
  if (/\b(?:patient|pt|pat|name|beneficiary|subscriber|insured|member|mbr|last|first|client|resident|student|child|surname|forename|forenames|given)\b/.test(h) && !/\b(?:id|no|num|number|#|provider|physician|doctor|prescriber|staff|employee|author|speaker|presenter|facility|clinic|hospital|practice|plan|drug|file|user|vendor|company|count|counts|total|population|volume|visits|encounters|days|rate|percent|type|category|group|age|gender|sex|status|satisfaction|experience|education|safety|flow|portal|care|mix|panel)\b/.test(h)) return 'name';
  return undefined;
}

// ---------------------------------------------------------------- scoring

interface Evidence {
  /** health term or code key -> weight (distinct) */
  /** distinct health evidence (a TermInfo, or a string key for codes) -> weight */
  health: Map<unknown, { cat: string; weight: number }>;
  /** identifier category -> weight */
  ids: Map<string, number>;
}

function newEvidence(): Evidence {
  return { health: new Map(), ids: new Map() };
}

/** Scratch arrays of healthScore: categories and their capped sums (a handful per call). */
const scoreCats: string[] = [];
const scoreSums: number[] = [];

function healthScore(ev: Evidence): number {
  if (ev.health.size === 0) return 0;
  let k = 0;
  // (forEach: no iterator objects)
  ev.health.forEach(({ cat, weight }) => {
    const cap = CODE_CAP[cat] ?? TERM_CATEGORY_CAP;
    let i = 0;
    while (i < k && scoreCats[i] !== cat) i++;
    if (i === k) {
      scoreCats[k] = cat;
      scoreSums[k++] = Math.min(cap, weight);
    } else scoreSums[i] = Math.min(cap, scoreSums[i]! + weight);
  });
  // summed in first-seen order, as the per-category map did
  let s = 0;
  for (let i = 0; i < k; i++) s += scoreSums[i]!;
  return s;
}

function idScore(ev: Evidence, weights: Record<string, number>): number {
  let strong = 0;
  let weak = 0;
  // (forEach: a for-of over the entries allocated an array per entry)
  ev.ids.forEach((count, cat) => {
    const w = weights[cat] ?? 0;
    if (WEAK_ID_CATEGORIES.has(cat)) weak += w * Math.min(count, 2);
    else strong += w;
  });
  return strong + Math.min(WEAK_ID_CAP, weak);
}

/**
 * idScore of the identifiers that link across the parts of a message: weak contact data does not
 * (signatures are everywhere), nor does a name only near health words.
 */
function linkingIdScore(ev: Evidence, weights: Record<string, number>): number {
  let strong = 0;
  ev.ids.forEach((_count, cat) => {
    if (!WEAK_ID_CATEGORIES.has(cat) && cat !== 'name-near-health') strong += weights[cat] ?? 0;
  });
  return strong;
}

class ReasonBook {
  // `where` as an array: a category is found in one to three places, and a Set per category cost
  // more to make and fill than the includes() below
  private readonly map = new Map<string, { count: number; where: string[]; samples: string[] }>();

  /** Counts one more finding of `category` in `where`; the entry if it still keeps samples. */
  private count(category: string, where: string): { samples: string[] } | undefined {
    let r = this.map.get(category);
    if (!r) {
      r = { count: 0, where: [], samples: [] };
      this.map.set(category, r);
    }
    r.count++;
    if (!r.where.includes(where)) r.where.push(where);
    return r.samples.length < 3 ? r : undefined;
  }

  private static sample(r: { samples: string[] }, s: string): void {
    if (!r.samples.includes(s)) r.samples.push(s);
  }

  /** `sample` may be a function: masking is then done only while samples are still kept. */
  add(category: string, where: string, sample: string | (() => string)): void {
    const r = this.count(category, where);
    if (r) ReasonBook.sample(r, `${typeof sample === 'function' ? sample() : sample} in ${where}`);
  }

  /** As add, with the sample `${label} ${maskValue(maskCat, value)}` built only while samples are still kept. */
  addMasked(category: string, where: string, label: string, maskCat: string, value: string): void {
    const r = this.count(category, where);
    if (r) ReasonBook.sample(r, `${label} ${maskValue(maskCat, value)} in ${where}`);
  }

  list(order: (cat: string) => number): Reason[] {
    // by rank, then count, both descending; ties keep the order of first finding. Inserted in
    // order as they come (a dozen categories: cheaper than sorting with a comparator)
    const out: Reason[] = [];
    const ranks: number[] = [];
    this.map.forEach((r, category) => {
      const rank = order(category);
      let j = out.length;
      while (j > 0 && (ranks[j - 1]! < rank || (ranks[j - 1] === rank && out[j - 1]!.count < r.count))) {
        out[j] = out[j - 1]!;
        ranks[j] = ranks[j - 1]!;
        j--;
      }
      out[j] = { category, count: r.count, where: r.where, samples: r.samples };
      ranks[j] = rank;
    });
    return out;
  }
}

const ID_LABEL: Record<string, string> = {
  ssn: 'SSN', mrn: 'MRN', dob: 'DOB', 'date-of-service': 'date of service', phone: 'phone', email: 'e-mail',
  address: 'address', 'member-id': 'member ID', mbi: 'MBI', npi: 'NPI', 'account-number': 'account/claim no.', 'reference-number': 'reference no.',
  'name-in-clinical-context': 'name', 'name-near-health': 'name', 'patient-contact': 'patient contact', 'tax-id': 'SSN/TIN (not an issued SSN)', 'bank-account': 'bank account', 'employee-id': 'employee ID',
};

interface UnitResult {
  unitEv: Evidence;
  best: number; // best linked value in a scope inside the unit (0..1)
  hasPii: boolean;
}

interface ScoreCtx {
  pol: CompiledPolicy;
  reasons: ReasonBook;
  ex: Extraction;
  recipientNames: Array<readonly string[]>;
  senderNames: Array<readonly string[]>;
  correspondentNames: Set<string>;
  bulk: boolean;
  /** The From display name carries a clinical credential (Dr., MD, RN ...): not a patient. */
  senderIsClinician: boolean;
  /** The single personal-looking To address when there is exactly one recipient, else ''. */
  soleRecipient: string;
  /** A To/Cc display name carries a clinical credential. */
  recipientIsClinician: boolean;
  /** '@' and the From address's domain ('' without one). */
  senderDomain: string;
  /** The From mailbox looks like one person's (not a list, department or no-reply address). */
  senderPersonal: boolean;
  /** Some part scanned with this one has a health term or a health code (a birth date can link to it). */
  groupHealth: boolean;
}

function link(h: number, p: number, pol: CompiledPolicy): number {
  return Math.min(1, h / pol.healthSaturation) * Math.min(1, p / pol.identifierSaturation);
}

function addHealthHit(ev: Evidence, key: unknown, cat: string, weight: number): void {
  const prev = ev.health.get(key);
  if (!prev || prev.weight < weight) ev.health.set(key, { cat, weight });
}

function addId(ev: Evidence, cat: string): void {
  ev.ids.set(cat, (ev.ids.get(cat) ?? 0) + 1);
}

/** Per lexicon: name token -> whether it may be part of a person's name (see nameTokenOk). */
const nameTokenCache = new WeakMap<Lexicon, Map<string, boolean>>();

/** The checks of one candidate-name token; they depend only on the token and the lexicon. */
function nameTokenOk(t: string, lexicon: Lexicon): boolean {
  let cache = nameTokenCache.get(lexicon);
  if (!cache) nameTokenCache.set(lexicon, (cache = new Map()));
  const hit = cache.get(t);
  if (hit !== undefined) return hit;
  const ok = nameTokenCheck(t, lexicon);
  if (cache.size < 50_000) cache.set(t, ok);
  return ok;
}

function nameTokenCheck(t: string, lexicon: Lexicon): boolean {
  if (CREDENTIAL_TOKEN.test(t)) return false; // "Martinez, PharmD"
  const f = foldName(t).replace(/[.'’]/g, '');
  if (f.length < 2 && !/^\p{Lu}\.?$/u.test(t)) return false;
  if (NAME_STOP.has(f) || ORG_WORDS.has(f) || lexicon.vocabulary.has(f)) return false;
  if (!/\p{Ll}/u.test(t) && t.length > 1 && !/^\p{Lu}\.?$/u.test(t)) return false; // ALL CAPS words are headings
  return true;
}

/** JavaScript's \s or ',' (the separators of /[\s,]+/). */
function isSpaceOrComma(c: number): boolean {
  return c === 44 || isJsSpace(c);
}

/**
 * The runs of blanks (' ', '\t') in v, and where the last one starts and ends: what
 * `v.split(/([ \t]+)/)` tells (a split by a regular expression is V8's slow generic path).
 */
function blankRuns(v: string): { count: number; lastStart: number; lastEnd: number } {
  let count = 0;
  let lastStart = -1;
  let lastEnd = 0;
  for (let i = 0; i < v.length; ) {
    const c = v.charCodeAt(i);
    if (c !== 32 && c !== 9) {
      i++;
      continue;
    }
    count++;
    lastStart = i;
    while (i < v.length && (v.charCodeAt(i) === 32 || v.charCodeAt(i) === 9)) i++;
    lastEnd = i;
  }
  return { count, lastStart, lastEnd };
}

/** The tokens of `s.split(/[\s,]+/).filter(Boolean)`, by character code. */
export function nameSplit(s: string): string[] {
  const out: string[] = [];
  const n = s.length;
  let i = 0;
  while (i < n) {
    while (i < n && isSpaceOrComma(s.charCodeAt(i))) i++;
    if (i >= n) break;
    const a = i;
    while (i < n && !isSpaceOrComma(s.charCodeAt(i))) i++;
    out.push(s.slice(a, i));
  }
  return out;
}

/**
 * Per lexicon: candidate string -> the folded, space-joined tokens when it has at least two tokens
 * and every token may be part of a name, else null (a pure function of the string and the lexicon).
 */
const candidateCache = new WeakMap<Lexicon, Map<string, string | null>>();

function candidateFold(candidate: string, lexicon: Lexicon): string | null {
  let cache = candidateCache.get(lexicon);
  if (!cache) candidateCache.set(lexicon, (cache = new Map()));
  const hit = cache.get(candidate);
  if (hit !== undefined) return hit;
  const toks = nameSplit(candidate);
  let r: string | null = null;
  if (toks.length >= 2) {
    let ok = true;
    for (const t of toks) if (!nameTokenOk(t, lexicon)) { ok = false; break; }
    if (ok) r = foldName(toks.join(' '));
  }
  if (cache.size < MEMO_MAX) cache.set(candidate, r);
  return r;
}

let ORG_MIN = 99;
let ORG_MAX = 0;
for (const w of ORG_WORDS) {
  ORG_MIN = Math.min(ORG_MIN, w.length);
  ORG_MAX = Math.max(ORG_MAX, w.length);
}

/** Can CREDENTIAL_AFTER match at `end` (within 12 characters)? Its alternatives all start with A-Z after ",?\s*\(?". */
function credentialAfterPossible(text: string, end: number): boolean {
  const lim = Math.min(text.length, end + 12);
  let q = end;
  if (q < lim && text.charCodeAt(q) === 44) q++;
  while (q < lim && isJsSpace(text.charCodeAt(q))) q++;
  if (q < lim && text.charCodeAt(q) === 40) q++;
  if (q >= lim) return false;
  const c = text.charCodeAt(q);
  return c >= 65 && c <= 90;
}

/** Can TITLE_BEFORE match right before `start` (within 12 characters)? Dr/Doctor/Prof/Professor/Nurse/Pharmacist/Drs end in r, f, e, t or s. */
function titleBeforePossible(text: string, start: number): boolean {
  const lo = Math.max(0, start - 12);
  let q = start - 1;
  while (q >= lo && isJsSpace(text.charCodeAt(q))) q--;
  if (q >= lo && text.charCodeAt(q) === 46) q--;
  if (q < lo) return false;
  const c = text.charCodeAt(q);
  return c === 114 || c === 102 || c === 101 || c === 116 || c === 115;
}

/** Is the word after `end` (`/^\s+(\p{L}+)/u` within 30 characters) an organisation word? */
function orgWordAfter(text: string, end: number): boolean {
  if (!isJsSpace(codeAt(text, end))) return false;
  const lim = Math.min(text.length, end + 30);
  let q = end + 1;
  while (q < lim && isJsSpace(text.charCodeAt(q))) q++;
  let r = q;
  while (r < lim) {
    const c = text.charCodeAt(r);
    if ((c >= 97 && c <= 122) || (c >= 65 && c <= 90)) r++;
    else if (c >= 128) {
      // a non-ASCII character: the Unicode pattern decides
      const next = /^\s+(\p{L}+)/u.exec(text.slice(end, end + 30))?.[1];
      return next !== undefined && ORG_WORDS.has(foldName(next));
    } else break;
  }
  if (r - q < ORG_MIN || r - q > ORG_MAX) return false;
  return ORG_WORDS.has(text.slice(q, r).toLowerCase());
}

function isLikelyName(candidate: string, ctx: ScoreCtx, text: string, start: number, end: number): boolean {
  const folded = candidateFold(candidate, ctx.pol.lexicon);
  if (folded === null) return false;
  if (credentialAfterPossible(text, end) && CREDENTIAL_AFTER.test(text.slice(end, end + 12))) return false;
  if (titleBeforePossible(text, start) && TITLE_BEFORE.test(text.slice(Math.max(0, start - 12), start))) return false;
  if (orgWordAfter(text, end)) return false;
  if (ctx.correspondentNames.has(folded)) return false;
  return true;
}

/**
 * `NAME_AT_END.exec(text.slice(lo, end))`, with the match index counted in `text` (and null when
 * nothing matches). A name ends in a letter, ' or ’, holds only letters, ' ’ - . and white space,
 * and has at most three white-space runs (two between tokens, one before a middle initial), so
 * the pattern is run only on the tail that can hold such a match: every start left of it fails.
 */
export function nameAtEnd(text: string, lo: number, end: number): { index: number; v: string } | null {
  if (end <= lo) return null;
  const c = text.charCodeAt(end - 1);
  if (c < 128 && !((c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 39)) return null;
  let w = end - 1;
  let runs = 0;
  let inRun = false;
  while (w > lo) {
    const d = text.charCodeAt(w - 1);
    if (isJsSpace(d)) {
      if (!inRun && ++runs === 4) break;
      inRun = true;
    } else {
      inRun = false;
      if (d < 128 && !((d >= 65 && d <= 90) || (d >= 97 && d <= 122) || d === 39 || d === 45 || d === 46)) break;
    }
    w--;
  }
  const nm = NAME_AT_END.exec(text.slice(w, end));
  return nm ? { index: w + nm.index, v: nm[1]! } : null;
}

/** `terms.some(t => (t.info.weight >= 1 && t.info.category !== 'clinical') || t.info.weight >= 1.5)` */
function anyHealth(terms: readonly TermHit[]): boolean {
  for (const t of terms) if ((t.info.weight >= 1 && t.info.category !== 'clinical') || t.info.weight >= 1.5) return true;
  return false;
}

function anyLabValue(codes: readonly Finding[]): boolean {
  for (const c of codes) if (c.category === 'lab-value') return true;
  return false;
}

/** Is there a term in [s, e) with weight >= 1.5 outside the 'clinical' category? (terms sorted by start) */
function strongTermIn(terms: readonly TermHit[], s: number, e: number): boolean {
  for (let i = lowerBound(terms, s); i < terms.length && terms[i]!.start < e; i++) {
    const t = terms[i]!;
    if (t.info.weight >= 1.5 && t.info.category !== 'clinical') return true;
  }
  return false;
}

/** Index of the first element whose start is >= pos (elements sorted by start). */
function lowerBound(arr: ReadonlyArray<{ start: number }>, pos: number): number {
  let lo = 0;
  let hi = arr.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (arr[mid]!.start < pos) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Call fn for each element with start in [s, e). */
function eachIn<T extends { start: number }>(arr: ReadonlyArray<T>, s: number, e: number, fn: (x: T) => void): void {
  for (let i = lowerBound(arr, s); i < arr.length && arr[i]!.start < e; i++) fn(arr[i]!);
}

function anyIn<T extends { start: number }>(arr: ReadonlyArray<T>, s: number, e: number, pred: (x: T) => boolean = () => true): boolean {
  for (let i = lowerBound(arr, s); i < arr.length && arr[i]!.start < e; i++) if (pred(arr[i]!)) return true;
  return false;
}

function isAsciiLetterOrHyphen(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 45;
}

const PRONOUN_HEALTH_WINDOW = 260;
// "Dialysis Unit", "Infusion Center", "Respiratory Therapist", "Diabetes Educator": a health word
// naming a place or a job says nothing about a patient
const DEPARTMENT_AFTER =
  /^[ \t]+(?:\p{Lu}\p{L}+[ \t]+)?(?:Unit|Units|Center|Centre|Clinic|Department|Dept|Lab|Laboratory|Floor|Ward|Service|Services|Team|Program|Suite|Institute|Pavilion|Wing|Nurse|Nurses|Nursing|Technician|Tech|Therapist|Therapists|Coordinator|Manager|Director|Specialist|Educator|Navigator|Fellowship|Residency)\b/u;

function namesDepartment(text: string, end: number): boolean {
  // (bounds checked in place: see codeAt)
  const c = end < text.length ? text.charCodeAt(end) : 0;
  const d = end + 1 < text.length ? text.charCodeAt(end + 1) : 0;
  if ((c !== 32 && c !== 9) || !(d >= 65 && d <= 90)) return false; // cheap: " X..." only
  return DEPARTMENT_AFTER.test(text.slice(end, end + 40));
}

const PATIENT_VERB_AFTER = /^\w+\s+(?:is|was|has|had|reports|reported|presents|presented|denies|denied|complains|complained|continues|remains|takes|took|started|stopped|underwent|developed|needs|tested|was diagnosed|has been)\b/i;
// "study" as research, not a test ("sleep study", "swallow study")
const WORK_CONTEXT = /\b(?:certificate|article|paper|manuscript|abstract|journal|publication|accepted|presentation|slides|poster|employee|employees|staff|coverage|schedule|rota|roster|budget|grant|guidelines?|guidance|recommendations?|evidence|order[ \t]sets?|formulary|P&T|(?<!\b(?:sleep|swallow|swallowing|stress|conduction|urodynamic|imaging|barium|flow|motility|electrophysiology)\s)study|protocol)\b/i;
/** Care nouns after "your": the health word may come a little later ("your visit for headaches"). */
const CARE_NOUNS = new Set(
  ('results result test tests labs lab bloodwork appointment appointments visit visits follow-up followup prescription prescriptions refill refills ' +
    'medication medications medicine dose doses treatment therapy surgery procedure biopsy scan mri ct x-ray xray ultrasound imaging diagnosis ' +
    'condition symptoms recent recovery care plan referral doctor physician provider pharmacy records chart ' +
    'post-op postop checkup check-up exam screening stay admission discharge infusion injection session vaccine ' +
    // a relative's care: "your mother Evelyn Price's MRI"
    'mother father mom dad son daughter child baby wife husband spouse partner parent grandmother grandfather sister brother').split(' '),
);
/** Imaging and test words after a possessive name ("Jane Roe's MR lumbar spine"). */
const IMAGING_WORDS = new Set('mr mri ct cta pet us x-ray xray echo ecg ekg eeg emg labs lab bloodwork biopsy pathology path culture cultures mammogram colonoscopy endoscopy'.split(' '));
/** The reply quotes a message written from `address` ("On 3 May, ana@mail.example wrote:" / "From: ... <ana@...>"). */
function quotesAddress(text: string, address: string): boolean {
  const at = text.toLowerCase().indexOf(address.toLowerCase());
  if (at < 0) return false;
  const ls = text.lastIndexOf('\n', at) + 1;
  let le = text.indexOf('\n', at);
  if (le < 0) le = text.length;
  return /\bwrote:?\s*$|^\s*(?:From|Sender)\s*:/i.test(text.slice(ls, le)) || /\bwrote:/.test(text.slice(at, at + 80));
}

/** "you're booked", "you are scheduled", "you have been listed": an appointment for the reader. */
const BOOKED_AFTER_YOU = /^you(?:'re|’re| are| have been|'ve been|’ve been| were)?\s+(?:now\s+|all\s+)?(?:booked|scheduled|rebooked|rescheduled|listed|due|down)\s+(?:in|for|on|at|to)\b/;
const CLINICIAN_ADDRESSED = /^your\s+(?:patients?|practice|office|clinic|team|staff|colleagues?|referral|request|question|panel|unit|department|members?|residents?|students?|employees?|organi[sz]ation|facility)\b/;
const CLINICIAN_POSSESSION = /^my\s+(?:experience|practice|clinic|office|patients?|panel|view|opinion|team|colleagues?|understanding|read|reading|take|practice's|department|service|unit|residents?|students?)\b/;
const CLINICIAN_CREDENTIALS = new Set(['md', 'do', 'dr', 'rn', 'np', 'pa', 'pa-c', 'pharmd', 'dnp', 'phd', 'aprn', 'fnp', 'lpn', 'crna', 'dds', 'dmd', 'od', 'lcsw', 'mbbs', 'rph']);
const STAFF_CONTEXT = /\b(?:position|candidate|applying|applicant|interview\w*|hire[ds]?|hiring|fellowship|residency program|job|role|promot\w+|award\w*|retir\w+|welcome|congratulat\w+|speaker|speaks?|spoke|talk|lecture\w*|conference|webinar|presentation|present(?:s|ed|ing)?\s+(?:at|on)|grand rounds|cme|committee|board|volunteer\w*|shift|on call|schedule[ds]? to work|orientation|mentor\w*|train(?:ing|ee)|course|class(?:es)?)\b/i;

/** The sentence (or line) containing [s, e), at most 300 characters either side. */
function isSentenceEnd(c: number): boolean {
  return c === 46 || c === 33 || c === 63 || c === 10; // . ! ? newline
}

function sentenceAround(text: string, s: number, e: number): string {
  let a = s;
  while (a > 0 && s - a < 300 && !isSentenceEnd(text.charCodeAt(a - 1))) a--;
  let b = e;
  while (b < text.length && b - e < 300 && !isSentenceEnd(text.charCodeAt(b))) b++;
  return text.slice(a, b);
}

const PRONOUN_FAMILY = registerTriggers('pronoun', ['his', 'her', 'he', 'she', 'him', 'hers']);
const SECOND_FAMILY = registerTriggers('second-person', ['you', 'your']);
const FIRST_FAMILY = registerTriggers('first-person', ['my', 'me', 'i']);
// "I have", "I was diagnosed", "I am taking": one's own care; "I read / think / saw / wonder" and
// "I'm not sure" are opinions, not experiences
const FIRST_I = /I(?:(?:'ve|’ve| have)(?: been)?| had|(?:'m|’m| am)[ \t]+(?:(?:still|now|currently|also)[ \t]+)?(?:taking|on|having|allergic|pregnant|due|scheduled|booked|feeling|being|getting|out|down|almost|nearly|running)|[ \t]+was[ \t]+(?:diagnosed|told|seen|admitted|prescribed|started|put|given|hospitali[sz]ed|treated|discharged|referred|tested|found)|[ \t]+(?:took|take|started|stopped|ran|run|need|needed|noticed|developed|missed|tested|got))\b/y;
// ("you" and "patient" are read from the second-person and name-label families' positions)
const BILLING_FAMILY = registerTriggers('billing', ['balance', 'amount', 'guarantor', 'statement']);
const BILLING_AT = /(?:you owe\b|you[ \t]+(?:may )?pay\b|balance[ \t]+(?:due|owed|forward)\b|amount[ \t]+(?:due|owed|you owe)\b|guarantor\b|statement[ \t]+(?:date|balance|of account)\b|patient[ \t]+(?:responsibility|balance|portion)\b)/iy;
const SALUTATION_FAMILY = registerTriggers('salutation', ['dear', 'hi', 'hello', 'hey', 'good']);
const SALUTATION = /(?:Dear|Hi|Hello|Hey|Good (?:morning|afternoon|evening))[ \t,]+(?:(?:Mr|Mrs|Ms|Miss|Mx)\.?\s+)?(\p{Lu}[\p{L}'’-]+)/uy;

// a phone number right after these words is the patient's own
const PATIENT_CONTACT_BEFORE = /\b(?:patient|pt|resident|client|member|caller|call (?:him|her|them)(?: back)?|reach (?:him|her|them)|(?:his|her|their) (?:cell|phone|number|mobile|home))\b[^\n.]{0,40}$/i;
/**
 * `PATIENT_CONTACT_BEFORE.test(text.slice(max(0, at - 60), at))`: a match holds no newline or '.'
 * (its words and `[^\n.]{0,40}$`), so only the text after the last of them is searched (a '\n' or
 * '.' before it is a word boundary, as the start of the slice is).
 */
function patientContactBefore(text: string, at: number): boolean {
  const lo = Math.max(0, at - 60);
  let q = at;
  while (q > lo) {
    const c = text.charCodeAt(q - 1);
    if (c === 10 || c === 46) break;
    q--;
  }
  if (at - q < 2) return false; // the shortest word is "pt"
  return PATIENT_CONTACT_BEFORE.test(q === lo ? text.slice(lo, at) : text.slice(q, at));
}
/** Test hook: the gates and tails of the name passes with the plain patterns they stand for. */
export function namePassGates() {
  return { NAME_AT_END, CREDENTIAL_AFTER, TITLE_BEFORE, PATIENT_CONTACT_BEFORE, ORG_WORDS, nameAtEnd, credentialAfterPossible, titleBeforePossible, orgWordAfter, patientContactBefore };
}
const NAME_LABEL_PASSES = [[LABELLED_NAME, LABELLED_NAME_FAMILY], [PATIENT_NAME, PATIENT_NAME_FAMILY]] as const;

/**
 * `[...a, ...b].sort((x, y) => x.start - y.start)` (a stable sort): `a` itself when `b` is empty and
 * `a` is already in order (the caller never changes either), else a stable insertion sort for short lists.
 */
export function byStart<T extends { start: number }>(a: T[], b: T[]): T[] {
  const n = a.length + b.length;
  if (b.length === 0) {
    let sorted = true;
    for (let i = 1; i < a.length; i++) if (a[i]!.start < a[i - 1]!.start) { sorted = false; break; }
    if (sorted) return a;
  }
  if (n > 32) return [...a, ...b].sort((x, y) => x.start - y.start);
  // insertion (stable, as sort is): the lists are short and mostly in order already
  const out: T[] = new Array(n);
  for (let k = 0; k < n; k++) {
    const f = k < a.length ? a[k]! : b[k - a.length]!;
    let j = k;
    while (j > 0 && out[j - 1]!.start > f.start) {
      out[j] = out[j - 1]!;
      j--;
    }
    out[j] = f;
  }
  return out;
}

function hasMrnOrMbi(ids: readonly Finding[]): boolean {
  for (const f of ids) if (f.category === 'mrn' || f.category === 'mbi') return true;
  return false;
}

/**
 * What the token pass and the detectors find in one part. All of it is a pure function of the
 * part's text, so scanParts computes it for every part of a message stage by stage (each stage's
 * code and tables then stay in the CPU caches from one part to the next) before scoreUnit weighs it.
 */
interface PartScan {
  /** The part's text as one flat string (see flatString), and in lower case. */
  text: string;
  lower: string;
  trig: Triggers;
  runs: number[];
  /** Lexicon terms, without those naming a department and those inside disclaimers. */
  terms: TermHit[];
  tables: TableInfo[];
  /** HL7 segments found (lab values are in codes, the rest in ids too). */
  hl7: Finding[];
  codes: Finding[];
  ids: Finding[];
}

// ---------------------------------------------------------------- health words known by their context
// A drug, condition or test outside the lexicon and the morphology rules still reads as one where
// clinical wording introduces it: "started tafamidis", "keep taking the X", "refill of X",
// "diagnosed with X", "consistent with X", "follow-up for X", "Dx: X", "Assessment: X". The word
// after such a cue (lower case, 5+ letters, not an everyday word, not already a term) counts as a
// weak medication or diagnosis hit. Found from trigger positions of the token pass; no text pass.
const CUE_MED = 'start(?:ed|ing)?|re-?start(?:ed)?|taking|take|prescrib(?:ed?|ing)|renew(?:ed|al of)?|continue|continuing|discontinu(?:e|ed|ing)|stop(?:ped)?|switch(?:ed)? to|trial of|dose of|refills? (?:of|for)|titrat(?:e|ed|ing)|resum(?:e|ed)';
const CUE_DX = 'diagnosed with|diagnosis of|consistent with|compatible with|suggestive of|history of|confirmed|confirms|follow-?ups? (?:for|of)|re-?checks? (?:for|of)|treat(?:ed|ment|ing)? (?:for|of)|evaluation (?:for|of)|work-?up (?:for|of)|seen for|management of|flare of';
const CUE_LABEL = '(?:dx|diagnosis|diagnoses|assessment|impression|problem|indication)[ \\t]*:';
const CUE_FAMILY = registerTriggers('health-cue', [
  'start', 'started', 'starting', 'restart', 'restarted', 'taking', 'take', 'prescribe', 'prescribed', 'prescribing', 'renew', 'renewed', 'renewal',
  'continue', 'continuing', 'discontinue', 'discontinued', 'discontinuing', 'stop', 'stopped', 'switch', 'switched', 'trial', 'dose', 'refill', 'refills',
  'titrate', 'titrated', 'titrating', 'resume', 'resumed', 'diagnosed', 'diagnosis', 'consistent', 'compatible', 'suggestive', 'history', 'confirmed', 'confirms',
  'follow', 'followup', 'followups', 'recheck', 'rechecks', 'treat', 'treated', 'treatment', 'treating', 'evaluation', 'work', 'workup', 'seen', 'management', 'flare',
  'dx', 'diagnoses', 'assessment', 'impression', 'problem', 'indication',
]);
const CUE_AT = new RegExp(`(?:(${CUE_MED})|(${CUE_DX})|(${CUE_LABEL}))[ \\t]+(?:on[ \\t]+)?(?:(?:the|her|his|your|my|their|a|an|of|with)[ \\t]+)?([A-Za-z][a-z]{4,}(?:-[a-z]{2,})?)\\b(?![@.][a-z])`, 'iy');
/** Everyday words that follow those cues ("started today", "continue to", "history of the project"). */
const CUE_STOP = new Set((
  'about above after again against along already although always among another around because before being below between beyond during every first ' +
  'following from further having here however instead later least might never other others otherwise perhaps please rather since still their ' +
  'there these they thing things those though through today tomorrow tonight under until usual week weeks month months years while with within without would yesterday ' +
  'monday tuesday wednesday thursday friday saturday sunday morning afternoon evening night ' +
  'place process project meeting training course class classes survey online early steps action charge effect leave break calls shifts ' +
  'orders order notes note questions question pictures photos advantage responsibility ownership control part time times work working ' +
  'using usage small large great normal regular standard current previous prior recent single multiple several certain possible ' +
  'change changes pending review reviews results result report reports details information update updates request requests policy plan plans ' +
  'issue issues problem problems item items program programs system systems service services staff patient patients member members team teams ' +
  'concern concerns complaint complaints delays delay error errors trend trends guidance guidelines protocol protocols criteria findings ' +
  'record records clinic office email emails letter letters phone message messages visit visits appointment appointments'
).split(' '));
const TEST_AFTER_FAMILY = registerTriggers('test-after', ['level', 'levels', 'specimen', 'specimens', 'assay', 'titer', 'titers', 'titre', 'titres']);
/** Words before "level" or "specimen" that name no test ("entry level", "staffing levels"). */
const TEST_STOP = new Set((
  'entry noise skill reading staffing activity comfort floor ground upper lower basic expert senior junior grade higher highest lowest water ' +
  'energy budget salary access security approval priority acuity support contribution deductible coverage benefit award search selection ' +
  'stress sugar another same different whole state federal county district program service unit division department every first second third'
).split(' '));
const cueInfos = new Map<string, TermInfo>();

/** A lower-case word that is not a cue's everyday follower, not lexicon vocabulary and not common English. */
function unknownWord(lw: string, vocabulary: ReadonlySet<string>): boolean {
  return !CUE_STOP.has(lw) && !vocabulary.has(lw) && !isCommonEnglish(lw);
}

/** Adds a weak (1.5) hit of `category` for the word [s, e) to `added`, unless it overlaps a term. */
function cuedHit(terms: TermHit[], added: TermHit[], s: number, e: number, category: string, lw: string): void {
  const k = lowerBound(terms, s);
  if (k < terms.length && terms[k]!.start < e) return; // already a term
  if (k > 0 && terms[k - 1]!.end > s) return;
  let info = cueInfos.get(category + lw);
  if (!info) {
    info = { term: lw, category, weight: 1.5, upper: false, label: `'${lw}'` };
    if (cueInfos.size < 100_000) cueInfos.set(category + lw, info);
  }
  added.push({ info, start: s, end: e });
}

/** The health words introduced by clinical cues (see CUE_AT), merged into the part's terms. */
function cuedTerms(text: string, trig: Triggers, terms: TermHit[], vocabulary: ReadonlySet<string>): TermHit[] {
  const added: TermHit[] = [];
  execAtTriggers(CUE_AT, text, trig, CUE_FAMILY, (m) => {
    const w = m[4]!;
    const label = m[3] !== undefined;
    // a capitalised word only after a field label ("Dx: Keratoconus"); otherwise it is a name or a heading
    if (!label && w.charCodeAt(0) < 97) return;
    const lw = w.toLowerCase();
    if (/(?:ing|ly|ed|tion|ment|ness|ity)$/.test(lw) || !unknownWord(lw, vocabulary)) return;
    const s = m.index + m[0].length - w.length;
    cuedHit(terms, added, s, s + w.length, m[1] !== undefined ? 'medication' : 'diagnosis', lw);
  });
  // "the fructosamine level", "a ceruloplasmin specimen": the word before names a test
  for (const p of positions(trig, TEST_AFTER_FAMILY)) {
    let e = p;
    while (e > 0 && (text.charCodeAt(e - 1) === 32 || text.charCodeAt(e - 1) === 45) && p - e < 2) e--;
    if (e === p) continue;
    let s = e;
    while (s > 0 && s > e - 30 && text.charCodeAt(s - 1) >= 97 && text.charCodeAt(s - 1) <= 122) s--;
    if (e - s < 5 || (s > 0 && /[\p{L}\d]/u.test(text[s - 1]!))) continue;
    const lw = text.slice(s, e);
    if (TEST_STOP.has(lw) || /(?:ing|ly|ed|tion|ment|ness|ity|ive|al)$/.test(lw) || !unknownWord(lw, vocabulary)) continue;
    cuedHit(terms, added, s, e, 'test', lw);
  }
  if (added.length === 0) return terms;
  return [...terms, ...added].sort((a, b) => a.start - b.start);
}

function scanParts(units: readonly TextUnit[], pol: CompiledPolicy): PartScan[] {
  const scans: PartScan[] = [];
  for (const unit of units) {
    // one string representation for every part (see flatString): the passes below read it by character
    const text = flatString(unit.text);
    scans.push({ text, lower: '', trig: newTriggers(), runs: [], terms: [], tables: [], hl7: [], codes: [], ids: [] });
  }
  // one token pass per part: lexicon terms and every detector family's trigger positions
  for (const sc of scans) {
    sc.lower = lowerSameLength(sc.text);
    sc.terms = pol.lexicon.match(sc.text, sc.lower, sc.trig, sc.runs);
  }
  // what lies inside a disclaimer of its part is dropped
  const outside = <T extends { start: number }>(list: T[], d: ReadonlyArray<[number, number]>) => (d.length > 0 ? list.filter((x) => !inRanges(d, x.start)) : list);
  const dropped: Array<Array<[number, number]>> = [];
  for (let k = 0; k < scans.length; k++) {
    const sc = scans[k]!;
    const text = sc.text;
    if (sc.terms.some((t) => namesDepartment(text, t.end))) sc.terms = sc.terms.filter((t) => !namesDepartment(text, t.end));
    // confidentiality footers are not PHI: everything found inside them is ignored
    const d = units[k]!.tabular ? [] : disclaimerRanges(text, positions(sc.trig, FOOTER_FAMILY));
    dropped.push(d);
    if (d.length > 0) {
      sc.terms = outside(sc.terms, d);
      for (let f = 0; f < sc.trig.length; f++) sc.trig[f] = sc.trig[f]?.filter((p) => !inRanges(d, p));
    }
    sc.terms = cuedTerms(text, sc.trig, sc.terms, pol.lexicon.vocabulary);
  }
  // findTables looks for the tabs, pipes and commas itself; a huge part (at the line limit) is read
  // only with a tab or a pipe, since comma tables pasted into prose cost too much to look for there
  for (let k = 0; k < scans.length; k++) {
    const sc = scans[k]!;
    const tabular = units[k]!.tabular;
    if (tabular || sc.text.length < TABLE_MAX_LINES || sc.text.includes('\t') || sc.text.includes('|')) sc.tables = findTables(sc.text, tabular);
  }
  // HL7 segments are parsed once per part; lab values count as health codes, the rest as identifiers
  for (let k = 0; k < scans.length; k++) {
    const sc = scans[k]!;
    sc.hl7 = detectHl7(sc.text);
    let codes = outside(detectCodes(sc.text, false, sc.trig, sc.runs), dropped[k]!);
    if (sc.hl7.length > 0 && sc.text.includes('OBX|')) codes.push(...sc.hl7.filter((f) => f.category === 'lab-value'));
    if (codes.length > 1) codes = byStart(codes, []);
    sc.codes = codes;
  }
  for (let k = 0; k < scans.length; k++) {
    const sc = scans[k]!;
    // (the compiled policy carries the organization's patterns detectIdentifiers takes; its result is a fresh array)
    sc.ids = outside(detectIdentifiers(sc.text, pol, sc.trig, sc.runs), dropped[k]!);
    for (let j = 0; j < sc.hl7.length; j++) if (sc.hl7[j]!.category !== 'lab-value') sc.ids.push(sc.hl7[j]!);
  }
  return scans;
}

/**
 * The name passes that link a person to the health content around them (kept out of scoreUnit, so
 * that function stays small enough for V8 to optimise): "the <test> on Jane Roe", "checking in
 * about Jane Roe", "please book Jane Roe for ...", "Jane Roe's MRI", a name before a bare birth
 * date, and upper-case "SURNAME, GIVEN" rows of a space-aligned table.
 */
function linkedNamePasses(
  ctx: ScoreCtx, sc: PartScan, bulk: boolean,
  pushName: (v: string, s: number, e: number, patient?: boolean, medium?: boolean) => void,
  nameFindings: Finding[],
): void {
  const { text, lower, trig, runs, terms, codes } = sc;
  // "the ionized calcium on Jane Roe came back at ...", "checking in about Jane Roe", "please book
  // Jane Roe for a recheck of the <condition>": the sentence's health content is about the person
  // (only a part with a strong health term, a lab value or a diagnosis code can link a name this way)
  const partHealth = strongTermIn(terms, 0, Infinity) || anyIn(codes, 0, Infinity, (c) => c.category === 'lab-value' || c.category === 'icd10');
  if (!bulk && partHealth) {
    const aboutAt: number[] = [];
    const at = positions(trig, ABOUT_FAMILY);
    for (let i = 0; i < at.length; i++) {
      const p = at[i]!;
      let q = p;
      while (q < text.length && q - p < 11 && isAsciiLetterOrHyphen(text.charCodeAt(q))) q++;
      if (capitalAfterBlank(text, q)) aboutAt.push(p);
    }
    // "on Jane Roe came back at ...": "on" right before the name before a result verb
    for (const p of positions(trig, RESULT_VERB_FAMILY)) {
      if (p < 2 || text.charCodeAt(p - 1) !== 32) continue;
      const nm = nameAtEnd(text, Math.max(0, p - 45), p - 1);
      if (!nm || nm.index < 3) continue;
      const q = nm.index - 3;
      if (lower.charCodeAt(q) === 111 && lower.charCodeAt(q + 1) === 110 && text.charCodeAt(q + 2) === 32 && (q === 0 || !isAsciiLetterOrHyphen(text.charCodeAt(q - 1)))) aboutAt.push(q);
    }
    // "on" within a few words after a test or a procedure ("the ionized calcium on", "the MRI on")
    for (let i = 0; i < terms.length; i++) {
      const t = terms[i]!;
      if (t.info.weight < 1 || (t.info.category !== 'test' && t.info.category !== 'procedure')) continue;
      const lim = Math.min(text.length - 3, t.end + 24);
      for (let q = t.end; q < lim; q++) {
        const c = lower.charCodeAt(q);
        if (c === 10 || c === 46) break;
        if (c === 111 && lower.charCodeAt(q + 1) === 110 && text.charCodeAt(q - 1) === 32 && capitalAfterBlank(text, q + 2)) {
          aboutAt.push(q);
          break;
        }
      }
    }
    if (aboutAt.length > 1) {
      aboutAt.sort((x, y) => x - y);
      let n = 1;
      for (let i = 1; i < aboutAt.length; i++) if (aboutAt[i] !== aboutAt[n - 1]) aboutAt[n++] = aboutAt[i]!;
      aboutAt.length = n;
    }
    if (aboutAt.length > 0) execAtCandidates(ABOUT_NAME, text, aboutAt, (am) => {
      const word = am[1]!.toLowerCase();
      const v = am[2]!;
      const st = am.index + am[0].length - v.length;
      let [a, b] = sentenceBounds(text, am.index, st + v.length);
      // (or a result reported with a number: "the <test> on Jane Roe came back at 0.91")
      const healthIn = (x: number, y: number) => strongTermIn(terms, x, y) || anyIn(codes, x, y, (c) => c.category === 'lab-value' || c.category === 'icd10') ||
        (word === 'on' && RESULT_REPORTED.test(text.slice(st + v.length, Math.min(y, st + v.length + 60))));
      if (!healthIn(a, b)) {
        // "Checking in about Jane Roe. The <condition> flared again ...": a sentence that only
        // names the person, followed by the health news
        if (b - (st + v.length) > 2 || b >= text.length) return;
        const [, b2] = sentenceBounds(text, b + 1, b + 1);
        if (!healthIn(b + 1, b2)) return;
        b = b2;
      }
      const sentence = text.slice(a, b);
      if (STAFF_CONTEXT.test(sentence) || WORK_CONTEXT.test(sentence)) return;
      if (!isLikelyName(v, ctx, text, st, st + v.length)) return;
      // a person whose test, condition or booked care the sentence reports is a patient (a care relationship)
      pushName(v, st, st + v.length, true);
    });
  }
  // "Jane Roe's MRI says ...", "Jane Roe's labs": a person's own record, with health news in the
  // sentence or the next one (found from the apostrophes, a native search)
  if (!bulk && partHealth) {
    const possessives: number[] = [];
    for (const mark of ["'s ", '’s ']) for (let q = text.indexOf(mark, 2); q >= 0; q = text.indexOf(mark, q + 3)) possessives.push(q + 1);
    for (const q of possessives) {
      const e = q - 1;
      // the next one to three words hold a care noun or an imaging modality
      let careNoun = false;
      let pw = q + 2;
      for (let w = 0; w < 3 && !careNoun; w++) {
        let nw = pw;
        while (nw < text.length && nw - pw < 20 && isAsciiLetterOrHyphen(text.charCodeAt(nw))) nw++;
        if (nw === pw) break;
        const word = lower.slice(pw, nw);
        careNoun = CARE_NOUNS.has(word) || IMAGING_WORDS.has(word);
        if (text.charCodeAt(nw) !== 32) break;
        pw = nw + 1;
      }
      if (!careNoun) continue;
      const nm = nameAtEnd(text, Math.max(0, e - 45), e);
      if (!nm) continue;
      const [a, b] = sentenceBounds(text, nm.index, e);
      const [, b2] = b < text.length ? sentenceBounds(text, b + 1, b + 1) : [b, b];
      if (!anyIn(terms, a, b2, (t) => t.info.weight >= 1 && t.info.category !== 'clinical')) continue;
      const sentence = text.slice(a, b);
      if (STAFF_CONTEXT.test(sentence) || WORK_CONTEXT.test(sentence)) continue;
      if (isLikelyName(nm.v, ctx, text, nm.index, e)) pushName(nm.v, nm.index, e, false, true);
    }
  }
  // a name followed by a bare date far enough in the past: "Jane Roe 11/17/02", "Jane Roe (09.15.1945)"
  // (only where the message has health content it could be linked to)
  for (let k = 0; ctx.groupHealth && k < runs.length; k += 2) {
    const rs = runs[k]!;
    const len = runs[k + 1]! - rs;
    if (len < 1 || len > 2 || rs < 3) continue;
    // a date shape: the run goes on with '.', '/' or '-'
    const sep = rs + len < text.length ? text.charCodeAt(rs + len) : 0;
    if (sep !== 46 && sep !== 47 && sep !== 45) continue;
    // back over the separators to the name's last letter (at most four characters)
    let e = rs;
    while (e > rs - 4 && e > 0 && isNameDateSep(text.charCodeAt(e - 1))) e--;
    if (e === rs || e === 0 || rs - e > 3) continue;
    // a name ends in a lower-case letter (upper case: a label such as "DOB" or "DOS")
    const lc = text.charCodeAt(e - 1);
    if (lc < 128 ? !(lc >= 97 && lc <= 122) : !LETTER.test(text[e - 1]!)) continue;
    // the date from the digit runs: 1-2 digits, the same separator, 1-2 digits, the separator, 2 or 4
    // digits, not followed by another digit group ("11/17/02", "09.15.1945")
    if (k + 5 >= runs.length) continue;
    const r2 = runs[k + 2]!;
    const l2 = runs[k + 3]! - r2;
    const r3 = runs[k + 4]!;
    const l3 = runs[k + 5]! - r3;
    if (r2 !== rs + len + 1 || l2 < 1 || l2 > 2 || r3 !== r2 + l2 + 1 || text.charCodeAt(r3 - 1) !== sep || (l3 !== 2 && l3 !== 4)) continue;
    const de = r3 + l3;
    const after = de < text.length ? text.charCodeAt(de) : 0;
    if ((after === 46 || after === 47 || after === 45) && de + 1 < text.length && text.charCodeAt(de + 1) >= 48 && text.charCodeAt(de + 1) <= 57) continue;
    if (!birthDateParts(Number(text.slice(rs, rs + len)), Number(text.slice(r2, r2 + l2)), text.slice(r3, de))) continue;
    const nm = nameAtEnd(text, Math.max(0, e - 45), e);
    if (!nm) continue;
    const v = nm.v;
    const st = nm.index;
    if (!isLikelyName(v, ctx, text, st, e)) continue;
    // "the shoulder film on Jane Roe (09.15.1945) shows a rotator cuff tear": a record about a patient
    const [a, b] = sentenceBounds(text, st, rs);
    pushName(v, st, e, strongTermIn(terms, a, b));
    nameFindings.push({ category: 'dob', start: rs, end: de, value: text.slice(rs, de) });
  }
  // "IBEKWE, MAELYS  75M894206719  ...": upper-case names opening the rows of a space-aligned table
  // with a patient/member column, in a part with health codes or terms
  let alignedHeaderAt = -1;
  if (!bulk && (codes.length > 0 || healthAny0(terms))) {
    for (const p of positions(trig, LABELLED_NAME_FAMILY)) {
      // an upper-case header word ("PATIENT", "MEMBER", "NAME") on a line with 2+ blank gaps
      const c0 = text.charCodeAt(p);
      const c1 = codeAt(text, p + 1);
      if (!(c0 >= 65 && c0 <= 90 && c1 >= 65 && c1 <= 90)) continue;
      const ls = text.lastIndexOf('\n', p) + 1;
      let le = text.indexOf('\n', p);
      if (le < 0) le = text.length;
      const line = text.slice(ls, le);
      if (ROW_HEADER_ROLE.test(line) && /\S(?:[ \t]{2,}|\t)\S/.test(line)) {
        alignedHeaderAt = le;
        break;
      }
    }
  }
  if (alignedHeaderAt >= 0) {
    let rowsSeen = 0;
    const capsAt = lastFirstStarts(text).filter((p) => {
      const c = codeAt(text, p + 1);
      return c < 128 ? c >= 65 && c <= 90 : c > 0;
    });
    if (capsAt.length > 0) execAtCandidates(CAPS_LAST_FIRST_AT, text, capsAt, (cm) => {
      const v = cm[1]!;
      const st = cm.index;
      const ls = text.lastIndexOf('\n', st) + 1;
      // the row starts with the name
      if (!isBlank(text, ls, st) || rowsSeen > 500) return;
      for (const t of nameSplit(v)) {
        const f = foldName(t);
        if (NAME_STOP.has(f) || ORG_WORDS.has(f) || ctx.pol.lexicon.vocabulary.has(f) || CREDENTIAL_TOKEN.test(t)) return;
      }
      if (ctx.correspondentNames.has(foldName(v))) return;
      if (ls <= alignedHeaderAt) return;
      rowsSeen++;
      pushName(v, st, st + v.length);
    });
  }
}

function scoreUnit(ctx: ScoreCtx, unit: TextUnit, sc: PartScan): UnitResult {
  const { pol, reasons } = ctx;
  const where = unit.where;
  const { text, lower, trig, runs, terms, tables, hl7, codes, ids } = sc;
  const unitEv = newEvidence();
  let best = 0;

  for (const t of terms) {
    if (t.info.weight <= 0) continue;
    addHealthHit(unitEv, t.info, t.info.category, t.info.weight);
    if (t.info.weight >= 1) reasons.add(t.info.category, where, t.info.label);
  }
  for (const c of codes) {
    addHealthHit(unitEv, `c:${c.category}:${c.value}`, c.category, CODE_WEIGHTS[c.category] ?? 1);
    if (c.category === 'icd10' || c.category === 'cpt' || c.category === 'hcpcs' || c.category === 'ndc' || c.category === 'loinc') reasons.add(c.category, where, c.value);
    else reasons.add(c.category, where, c.category === 'dosage' ? 'dose' : 'value with unit');
  }

  // valid LOINC codes in a space-aligned table's LOINC column
  for (const p of positions(trig, LOINC_FAMILY)) {
    for (const code of loincColumnCodes(text, p)) {
      addHealthHit(unitEv, `c:loinc:${code}`, 'loinc', CODE_WEIGHTS['loinc']!);
      reasons.add('loinc', where, code);
    }
  }
  const nameFindings: Finding[] = [];
  let patientNamed = false;
  const bylinePossible = unit.kind !== 'subject' && positions(trig, PAPER_FAMILY).length > 0;
  // strong: the text says this person is the patient (labels, "patient X", "X, a 54-year-old",
  // Mr./Ms. X); medium (`name-near-health`): a name in a subject line or a "Re:" label, or near
  // his/her + health terms — weaker, and never linked across parts of the message
  const pushName = (v: string, s: number, e: number, patient = false, medium = false) => {
    // weak name evidence in a sentence about jobs, training or events names a colleague
    if (medium && STAFF_CONTEXT.test(sentenceAround(text, s, e))) return;
    // the authors of a paper are not its patients (only a part with "et al." or a paper section
    // heading can hold a byline)
    if (bylinePossible && onBylineLine(text, s)) return;
    nameFindings.push({ category: medium ? 'name-near-health' : 'name-in-clinical-context', start: s, end: e, value: v });
    if (patient) patientNamed = true;
  };
  let m: RegExpExecArray | null;
  for (const p of positions(trig, AGE_FAMILY)) {
    const lo = Math.max(0, p - 90);
    // AGE_BEFORE ends in a digit, or a digit and '-' or ' '
    let q = p - 1;
    const lc = codeAt(text, q);
    if (lc === 45 || lc === 32) q--;
    if (q < lo || !(text.charCodeAt(q) >= 48 && text.charCodeAt(q) <= 57)) continue;
    const age = AGE_BEFORE.exec(text.slice(lo, p));
    if (!age) continue;
    const end = lo + age.index;
    const nm = nameAtEnd(text, lo, end);
    if (!nm) continue;
    const v = nm.v;
    const s = end - v.length;
    if (isLikelyName(v, ctx, text, s, end)) pushName(v, s, end, true);
  }
  for (let pass = 0; pass < NAME_LABEL_PASSES.length; pass++) {
    const re = NAME_LABEL_PASSES[pass]![0];
    execAtTriggers(re, text, trig, NAME_LABEL_PASSES[pass]![1], (m) => {
      let v = m[1]!;
      const s = m.index + m[0].indexOf(v);
      // "Name: Oskar Lindahl   Age: 67": a third word followed by ':' is the next field's label
      const b = blankRuns(v);
      if (b.count >= 2 && (/^[ \t]*:/.test(text.slice(s + v.length, s + v.length + 3)) || /^\p{Lu}{2,4}$/u.test(v.slice(b.lastEnd)))) v = v.slice(0, b.lastStart);
      if (re === LABELLED_NAME && /^\p{Lu}{2,}/u.test(v) && !/\p{Ll}/u.test(v)) {
        // "LÓPEZ, JEFFREY": accept all-caps only with a comma or two tokens
        const tokens = nameSplit(v);
        if (tokens.length < 2) return;
        if (tokens.some((t) => NAME_STOP.has(foldName(t)) || ctx.pol.lexicon.vocabulary.has(foldName(t)))) return;
        pushName(v, s, s + v.length);
        return;
      }
      if (isLikelyName(v, ctx, text, s, s + v.length)) {
        const label = m[0].slice(0, m[0].indexOf(v)).toLowerCase();
        const regarding = re === LABELLED_NAME && /^\s*(?:re|regarding)\b/.test(label);
        if (re === PATIENT_NAME) {
          // "patient/resident/member Jane Roe" is the patient; a care verb ("saw", "admitted",
          // "referring") may have a colleague or an applicant as its object: medium strength
          const noun = /^(?:patient|pt\b|resident|client|member|beneficiary)/i.test(m[0]);
          pushName(v, s, s + v.length, noun, !noun);
        } else pushName(v, s, s + v.length, /patient|pt\b|beneficiary|resident|member|insured|enrollee|decedent/.test(label), regarding);
      }
    });
  }
  execAtTriggers(HONORIFIC_NAME, text, trig, HONORIFIC_FAMILY, (m) => {
    const v = m[1]!;
    // "Nurse educator Ms. Rivera", "our manager Mr. Ellis": a colleague, not a patient; so is a
    // list of people with titles ("Present: Ms. Grant, Mr. Liu, Dr. Shah")
    const before = text.slice(Math.max(0, m.index - 40), m.index);
    if (STAFF_ROLE_BEFORE.test(before) || /\b(?:Mr|Mrs|Ms|Miss|Mx|Dr)\.?\s+\p{Lu}[\p{L}'’-]+,\s*(?:and\s+)?$/u.test(before) || /^,\s*(?:and\s+)?(?:Mr|Mrs|Ms|Miss|Mx|Dr)\b/.test(text.slice(m.index + m[0].length, m.index + m[0].length + 12))) return;
    let fe = 0; // the first word: v.split(/\s+/)[0] (v starts with a letter)
    while (fe < v.length && !isJsSpace(v.charCodeAt(fe))) fe++;
    const f = foldName(v.slice(0, fe));
    if (NAME_STOP.has(f) || ORG_WORDS.has(f)) return;
    if (ctx.correspondentNames.has(foldName(v))) return;
    const s = m.index + m[0].indexOf(v);
    // in a subject line "Ms. Rivera presents ..." may be staff: medium strength there
    pushName(v, s, s + v.length, false, unit.kind === 'subject');
  });
  // "Nakamura, Ren" anywhere in a part with health terms: the record-list way of writing a person
  if (!ctx.bulk && healthAny0(terms)) {
    const lf: Array<{ v: string; st: number; sameLine: boolean }> = [];
    execAtCandidates(LAST_FIRST_AT, text, lastFirstStarts(text), (m) => {
      const v = m[1]!;
      const st = m.index + m[0].indexOf(v);
      if (!isLikelyName(v, ctx, text, st, st + v.length)) return;
      // one record per line: "Okonkwo, Chidi - last A1c 9.4%" names the person the line is about
      const ls = text.lastIndexOf('\n', st) + 1;
      // a list of full names ("Present: Ana Ruiz, Ben Okafor, ..."): "Ruiz, Ben" is the end of one
      // name and the start of the next, not "Last, First"; so is any name on a roster line
      if (ROSTER_LINE.test(text.slice(ls, Math.min(st, ls + 40)))) return;
      if (/\p{Lu}\p{Ll}+[ \t]$/u.test(text.slice(Math.max(ls, st - 30), st)) && /^[ \t]\p{Lu}\p{Ll}+(?:[-'’]\p{L}+)?(?:[ \t]*(?:,|$|\n|\r| and\b))/u.test(text.slice(st + v.length, st + v.length + 40))) return;
      let le = text.indexOf('\n', st);
      if (le < 0) le = text.length;
      lf.push({ v, st, sameLine: anyIn(terms, ls, le, (t) => t.info.weight >= 1 && t.start > st) });
    });
    // a list of such lines is a list of records; a single one may be an agenda item
    const records = lf.filter((x) => x.sameLine).length;
    for (const x of lf) pushName(x.v, x.st, x.st + x.v.length, false, !(x.sameLine && records >= 2));
  }
  // a person named near third-person clinical language ("Jane Roe ... her A1c")
  let bulk = ctx.bulk;
  if (!bulk) execAtTriggers(BULK_AT, text, trig, BULK_FAMILY, () => (bulk = true));
  if (!bulk && strongTermIn(terms, 0, Infinity) && (unit.kind === 'subject' || positions(trig, PRONOUN_FAMILY).length > 0)) {
    const healthStrong = terms.filter((t) => t.info.weight >= 1.5 && t.info.category !== 'clinical');
    // only pronouns that speak about someone's health: "his/her <health term>", "he/she has|was|reports..."
    const pron = positions(trig, PRONOUN_FAMILY)
      .filter((p) => {
        const w = lower.slice(p, p + 4);
        if (w.startsWith('his') || w.startsWith('her')) return anyIn(terms, p + 3, p + 40, (t) => t.info.weight >= 1);
        return PATIENT_VERB_AFTER.test(text.slice(p, p + 30));
      })
      .map((p) => ({ start: p }));
    const subjectHit = unit.kind === 'subject' || (unit.kind === 'forwarded' && unit.where.endsWith('subject'));
    // with no such pronoun (and not a subject line) no candidate can be pushed
    CANDIDATE_NAME.lastIndex = 0;
    while ((subjectHit || pron.length > 0) && (m = CANDIDATE_NAME.exec(text))) {
      const v = m[1]!;
      const s = m.index;
      const e = s + v.length;
      const lo = s - PRONOUN_HEALTH_WINDOW;
      const hi = s + PRONOUN_HEALTH_WINDOW;
      // the window test first (both tests are pure)
      if (!(subjectHit || (anyIn(pron, lo, hi) && anyIn(healthStrong, lo, hi)))) continue;
      if (isLikelyName(v, ctx, text, s, e)) pushName(v, s, e, false, true);
    }
  }
  // the recipient addressed by name about "your" care, or a patient writing about "my" care
  if (!bulk && (anyHealth(terms) || anyLabValue(codes))) {
    let addressed: string | undefined;
    let addressedQuoted = false; // greeted only inside quoted history
    // a message that opens with the recipient's name ("Ana Folau, your potassium ...")
    const opening = /^\s*(\p{Lu}[\p{L}'’-]+)(?:[ \t]+\p{Lu}[\p{L}'’-]+)?(?:,|:|[ \t]+[-–—])/u.exec(text.slice(0, 80));
    if (opening && ctx.recipientNames.some((toks) => toks.includes(foldName(opening[1]!)))) addressed = opening[1]!;
    for (const p of positions(trig, SALUTATION_FAMILY)) {
      // only at the start of a line (after optional quoting)
      let q = p - 1;
      let quoted = false;
      while (q >= 0 && (text[q] === ' ' || text[q] === '\t' || text[q] === '>')) {
        if (text[q] === '>') quoted = true;
        q--;
      }
      if (q >= 0 && text[q] !== '\n') continue;
      SALUTATION.lastIndex = p;
      const sm = SALUTATION.exec(text);
      if (!sm) continue;
      const n = foldName(sm[1]!);
      if (ctx.recipientNames.some((toks) => toks.includes(n))) {
        addressed = sm[1]!;
        addressedQuoted = quoted;
        break;
      }
    }
    const secondPersonHealth = () => {
      let k = 0;
      for (const p of positions(trig, SECOND_FAMILY)) {
        if (lower.startsWith('your', p) && CLINICIAN_ADDRESSED.test(lower.slice(p, p + 30))) return 0; // "your patient", "your office"
        if (anyIn(terms, p + 1, p + 40, (t) => t.info.weight >= 1.5 && t.info.category !== 'clinical') ||
            anyIn(codes, p + 1, p + 40, (c) => c.category === 'lab-value')) k++;
        if (k >= 3) break;
      }
      return k;
    };
    // "you"/"your" said to the reader, not "your patients/office"
    const toldYou = () => {
      for (const p of positions(trig, SECOND_FAMILY)) {
        if (lower.startsWith('your', p) && CLINICIAN_ADDRESSED.test(lower.slice(p, p + 30))) continue;
        const sentence = sentenceAround(text, p, p + 4);
        if (!STAFF_CONTEXT.test(sentence) && !WORK_CONTEXT.test(sentence)) return true;
      }
      return false;
    };
    // statement / bill wording said to the reader ("you owe", "balance due", "guarantor account")
    const billingWording = () => {
      let found = false;
      execAtTriggers(BILLING_AT, text, trig, BILLING_FAMILY, () => (found = true));
      if (!found) execAtTriggers(BILLING_AT, text, trig, SECOND_FAMILY, () => (found = true));
      if (!found) execAtTriggers(BILLING_AT, text, trig, LABELLED_NAME_FAMILY, () => (found = true));
      return found;
    };
    const personal = (family: TriggerFamily) => {
      let k = 0;
      for (const p of positions(trig, family)) {
        if (family === FIRST_FAMILY && text[p] === 'I') {
          FIRST_I.lastIndex = p;
          if (!FIRST_I.test(text)) continue;
        } else if (family === FIRST_FAMILY && text[p] === 'i') continue;
        // "your patients with diabetes": written to a clinician about their patients
        if (family === SECOND_FAMILY && lower.startsWith('your', p) && CLINICIAN_ADDRESSED.test(lower.slice(p, p + 30))) continue;
        // "my experience / my patients / my clinic": a clinician speaking, not a patient
        if (family === FIRST_FAMILY && lower.startsWith('my', p) && CLINICIAN_POSSESSION.test(lower.slice(p, p + 30))) continue;
        // the health word must belong to the pronoun: "your A1c", "your recent MRI", "my ankles are
        // swollen", or a care noun first: "your appointment for ...", "your results show ..."
        // a care noun among the next three words: "your results", "your six-week follow-up visit"
        let careNoun = false;
        let pw = lower.indexOf(' ', p) + 1;
        for (let w = 0; w < 3 && pw > 0 && !careNoun; w++) {
          const nwEnd = Math.min(lower.length, pw + 20);
          let nw = pw;
          while (nw < nwEnd && ((lower.charCodeAt(nw) >= 97 && lower.charCodeAt(nw) <= 122) || lower.charCodeAt(nw) === 45)) nw++;
          careNoun = CARE_NOUNS.has(lower.slice(pw, nw));
          if (nw === pw || lower.charCodeAt(nw) !== 32) break;
          pw = nw + 1;
        }
        // "you're booked in on 7 July at 13:15 for the check on ...": an appointment said to the
        // reader, whose reason comes after the date and time
        const booked = family === SECOND_FAMILY && BOOKED_AFTER_YOU.test(lower.slice(p, p + 40));
        const reach = booked ? 110 : family === FIRST_FAMILY || careNoun ? 60 : 22;
        // "we need to see you about six weeks after the <procedure>": a strong term a little further on
        if (!anyIn(terms, p + 1, p + reach, (t) => (t.info.weight >= 1 && t.info.category !== 'clinical') || t.info.weight >= 1.5) &&
            !(family === SECOND_FAMILY && anyIn(terms, p + reach, p + 45, (t) => t.info.weight >= 1.5 && (t.info.category === 'procedure' || t.info.category === 'diagnosis'))) &&
            // a value with a unit reads as a result a little further on ("your ferritin came back at 560 ng/mL")
            !anyIn(codes, p + 1, p + Math.max(reach, 45), (c) => c.category === 'lab-value')) continue;
        // sentences about courses, talks, articles, schedules or staff are not about one's own care
        const sentence = sentenceAround(text, p, p + 4);
        if (STAFF_CONTEXT.test(sentence) || WORK_CONTEXT.test(sentence)) continue;
        k++;
        break;
      }
      return k;
    };
    if (addressed && personal(SECOND_FAMILY) > 0) {
      addId(unitEv, 'name-in-clinical-context');
      patientNamed = true; // the recipient is being told about their own care
      reasons.add('name-in-clinical-context', where, `recipient ${maskValue('name-in-clinical-context', addressed)} addressed about their care`);
    } else if (addressed && ctx.soleRecipient && !ctx.recipientIsClinician && !ctx.soleRecipient.toLowerCase().endsWith(ctx.senderDomain) &&
        anyIn(terms, 0, text.length, (t) => t.info.weight >= 1.5 && (t.info.category === 'diagnosis' || t.info.category === 'procedure' || t.info.category === 'medication')) &&
        ((ctx.senderIsClinician && toldYou()) || (!addressedQuoted && quotesAddress(text, ctx.soleRecipient)))) {
      // (or anyone answering, greeted above the quote, a mailbox whose own message is quoted below:
      // "Dear Ana, the results confirm ... On 3 May, ana@mail.example wrote: ...")
      // a clinician writing to one outside person, greeted by name, about a diagnosis, procedure or drug ("Ana, the
      // biopsy confirmed ... I will call you"): most likely the patient or family; medium strength
      addId(unitEv, 'name-near-health');
      reasons.add('name-near-health', where, `recipient ${maskValue('name-in-clinical-context', addressed)} told of a diagnosis`);
    } else if (!addressed && ctx.soleRecipient && secondPersonHealth() >= 2) {
      // no greeting, but one person is told twice or more about "your <diagnosis/result/drug>":
      // the recipient's address identifies the patient
      nameFindings.push({ category: 'patient-contact', start: 0, end: 0, value: ctx.soleRecipient });
      patientNamed = true;
    } else if (addressed && !addressedQuoted && ctx.soleRecipient && strongTermIn(terms, 0, Infinity) && billingWording()) {
      // "Dear Ana Ruiz, here is your statement ... for <condition> ... you owe": a patient's bill
      // sent to the patient's own mailbox
      addId(unitEv, 'name-in-clinical-context');
      patientNamed = true;
      reasons.add('name-in-clinical-context', where, `recipient ${maskValue('name-in-clinical-context', addressed)} billed for care`);
    } else if (ctx.senderNames.length > 0 && !ctx.senderIsClinician &&
        (personal(FIRST_FAMILY) > 0 || (ctx.senderPersonal && strongTermIn(terms, 0, Infinity) && ids.some((f) => f.category === 'dob') && positions(trig, FIRST_FAMILY).length > 0))) {
      // (or a personal mailbox writing in the first person, with a health word, giving a birth
      // date and signing with the sender's name: a patient identifying themselves)
      const tail = foldName(text.slice(-300));
      const signer = ctx.senderNames.find((toks) => toks.some((t) => t.length > 1 && new RegExp(`\\b${t.replace(/[^a-z]/g, '')}\\b`).test(tail)));
      if (signer) {
        addId(unitEv, 'name-in-clinical-context');
        patientNamed = true; // a patient writing about their own care
        reasons.add('name-in-clinical-context', where, `sender ${maskValue('name-in-clinical-context', signer.join(' '))} writing about own care`);
      }
    }
  }
  // a name written right before a DOB/MRN/member ID, or followed by a bare age, is the patient's;
  // a name right before a street address ("Jane Roe, 12 Elm St, ...") is a located person: medium
  for (const f of ids) {
    const address = f.category === 'address';
    if (f.category !== 'dob' && f.category !== 'mrn' && f.category !== 'member-id' && !address) continue;
    const head = text.slice(Math.max(0, f.start - 50), f.start);
    const nm = NAME_BEFORE_ID.exec(head);
    if (!nm) continue;
    const v = nm[1]!;
    const st = f.start - head.length + nm.index;
    if (address && /\n/.test(head.slice(nm.index))) continue; // a signature block: name, then the address below
    if (isLikelyName(v, ctx, text, st, st + v.length)) pushName(v, st, st + v.length, false, address);
  }
  // ", 16," or " (16)" after a name: starts two characters before a run of at most three digits
  // (the candidates are tried in order, a candidate inside the previous match skipped, as execAtCandidates does)
  let ageAfter = 0;
  for (let k = 0; k < runs.length; k += 2) {
    const rs = runs[k]!;
    if (runs[k + 1]! - rs > 3 || rs < 2 || (text.charCodeAt(rs - 2) !== 44 && text.charCodeAt(rs - 1) !== 40)) continue;
    const c = rs - 2;
    if (c < ageAfter) continue;
    SHORT_AGE_AT.lastIndex = c;
    const am = SHORT_AGE_AT.exec(text);
    if (!am) continue;
    ageAfter = am.index + Math.max(1, am[0].length);
    const nm = nameAtEnd(text, Math.max(0, am.index - 45), am.index);
    if (!nm) continue;
    const v = nm.v;
    const st = am.index - v.length;
    if (isLikelyName(v, ctx, text, st, am.index)) pushName(v, st, am.index);
  }
  // "results for Jane Roe", "visit with Jane Roe", "certificate for Jane Roe"
  for (const p of positions(trig, PREP_FAMILY)) {
    // the word before "for"/"with", found by scanning back (no slicing for the common case)
    let we = p - 1;
    while (we >= 0 && (text.charCodeAt(we) === 32 || text.charCodeAt(we) === 9)) we--;
    let ws = we;
    while (ws >= 0 && isAsciiLetterOrHyphen(text.charCodeAt(ws))) ws--;
    if (we - ws < 2 || we - ws > 14) continue;
    if (!isRecordNoun(lower, ws + 1, we + 1)) continue;
    PREP_NAME.lastIndex = p;
    const pm = PREP_NAME.exec(text);
    if (!pm) continue;
    const v = pm[1]!;
    const st = p + pm[0].indexOf(v);
    if (isLikelyName(v, ctx, text, st, st + v.length)) pushName(v, st, st + v.length, false, true);
  }
  linkedNamePasses(ctx, sc, bulk, pushName, nameFindings);
  // "Wanjiru Kamau had a laparoscopic appendectomy", "Jane Roe underwent ...": a name right before a
  // care verb with a health word just after it
  for (const p of positions(trig, CARE_ACTIVE_FAMILY)) {
    if (!strongTermIn(terms, p + 2, p + 50)) continue;
    const lo = Math.max(0, p - 45);
    // the head must end in a letter and [ \t]+ (trimmed off before the name)
    let e = p;
    while (e > lo && (text.charCodeAt(e - 1) === 32 || text.charCodeAt(e - 1) === 9)) e--;
    if (e === p || e === lo) continue;
    const lc = text.charCodeAt(e - 1);
    if (lc < 128 ? !((lc >= 65 && lc <= 90) || (lc >= 97 && lc <= 122)) : !/\p{L}[ \t]+$/u.test(text.slice(lo, p))) continue;
    const nm = nameAtEnd(text, lo, e);
    if (!nm) continue;
    const v = nm.v;
    const st = nm.index;
    if (isLikelyName(v, ctx, text, st, st + v.length)) pushName(v, st, st + v.length, false, true);
  }
  // "Jane Roe was seen / admitted / diagnosed ..."
  for (const p of positions(trig, CARE_PASSIVE_FAMILY)) {
    const lo = Math.max(0, p - 80);
    // was/is/has been/had been/will be/were and white space: the word ends in s, n or e
    let e = p;
    while (e > lo && isJsSpace(text.charCodeAt(e - 1))) e--;
    if (e === p || e === lo) continue;
    const lc = text.charCodeAt(e - 1);
    if (lc !== 115 && lc !== 110 && lc !== 101) continue;
    const aux = /\s+(?:was|is|has been|had been|will be|were)\s+$/.exec(text.slice(lo, p));
    if (!aux) continue;
    const nm = nameAtEnd(text, lo, lo + aux.index);
    if (!nm) continue;
    const v = nm.v;
    const st = lo + aux.index - v.length;
    if (isLikelyName(v, ctx, text, st, st + v.length)) pushName(v, st, st + v.length, false, true);
  }
  // a phone number given as the patient's ("call the patient back at ...") identifies the patient
  for (const f of ids) {
    if (f.category !== 'phone' || !patientContactBefore(text, f.start)) continue;
    nameFindings.push({ category: 'patient-contact', start: f.start, end: f.end, value: f.value });
    patientNamed = true;
  }
  const allIds = byStart(ids, nameFindings);
  // being someone's patient is itself health information (HIPAA): an MRN, an MBI or a name given
  // as "Patient: ..." marks a care relationship even when no diagnosis is written
  if (patientNamed || hl7.length > 0 || hasMrnOrMbi(ids)) {
    addHealthHit(unitEv, 'patient-relationship', 'patient-relationship', PATIENT_RELATIONSHIP_WEIGHT);
    reasons.add('patient-relationship', where, 'record about a patient');
  }
  // with no health information in this part, a name is just a person's name (HR forms, lists)
  const healthHere = healthScore(unitEv) >= 1;
  for (const f of allIds) {
    const isName = f.category === 'name-in-clinical-context' || f.category === 'name-near-health';
    const cat = isName && !healthHere ? 'person-name' : f.category;
    addId(unitEv, f.category); // still links to health elsewhere in the message (subject + body)
    reasons.addMasked(cat, where, ID_LABEL[f.category] ?? f.category, f.category, f.value);
  }
  let hasPii = false;
  for (const f of allIds) if (PII_CATEGORIES.has(f.category)) { hasPii = true; break; }

  // the whole part's score (scope 2 below); when a part of ordinary length already has the top
  // score, no table row can raise it, and only code cells still have reasons to add
  const WINDOW = 6000;
  let unitLink = link(healthScore(unitEv), idScore(unitEv, pol.idWeights), pol);
  let labInPart = false;
  const rowsCanRaise = text.length > WINDOW * 1.5 || unitLink < 1;

  // scope 1: table rows (header roles give identity/health to each row)
  for (const tb of tables) {
    const roles = tb.cols.map(columnRole);
    roles.forEach((r, i) => {
      // a name column is a person; it is clinical context only when the table also carries health data
      if (r === 'name') reasons.add(roles.includes('health') || roles.includes('code') ? 'name-in-clinical-context' : 'person-name', where, `column '${tb.cols[i]!.slice(0, 30)}' of ${tb.rows.length} row(s)`);
      else if (r && r !== 'health' && r !== 'note' && r !== 'code' && r !== 'lab') reasons.add(r, where, `column '${tb.cols[i]!.slice(0, 30)}'`);
    });
    const personalCols = roles.filter((r) => r === 'name' || r === 'phone' || r === 'address' || r === 'email' || r === 'ssn' || r === 'dob').length;
    if (roles.includes('name') && personalCols >= 2) hasPii = true;
    if (!rowsCanRaise && !roles.includes('code')) continue;
    // a lab table: two or more of value / units / interval / flag columns
    let labCols = 0;
    for (const r of roles) if (r === 'lab') labCols++;
    const labTable = labCols >= 2;
    for (const row of tb.rows) {
      const cells = splitCells(text.slice(row.start, row.end), tb.delim);
      const ev = newEvidence();
      eachIn(terms, row.start, row.end, (t) => addHealthHit(ev, t.info, t.info.category, t.info.weight));
      eachIn(codes, row.start, row.end, (c) => addHealthHit(ev, `c:${c.category}:${c.value}`, c.category, CODE_WEIGHTS[c.category] ?? 1));
      eachIn(allIds, row.start, row.end, (f) => addId(ev, f.category));
      for (let i = 0; i < roles.length; i++) {
        const r = roles[i];
        const cell = cells[i];
        if (!r || !cell) continue;
        if (r === 'note') continue; // its health words and codes were counted with the row's text
        if (r === 'lab') {
          // a number in a value column of a table that also has a units, interval or flag column
          // (a measured result is health data of the whole part too: the patient is often named above the table)
          if (labTable && (/^[<>]?=?\s*\d+(?:\.\d+)?$/.test(cell) || /^(?:H|L|HH|LL|HIGH|LOW|ABN|ABNORMAL|CRIT|CRITICAL|A|\*)$/i.test(cell))) {
            addHealthHit(ev, `lab:${i}`, 'lab-value', CODE_WEIGHTS['lab-value']!);
            addHealthHit(unitEv, `lab:${row.start}:${i}`, 'lab-value', CODE_WEIGHTS['lab-value']!);
            labInPart = true;
          }
          continue;
        }
        if (r === 'health' && threeLetters(cell)) {
          // the header says this cell is health data (a diagnosis, an allergy, a medication)
          if (!/^(?:none|n\/?a|no|nil|unknown|-+)$/i.test(cell.trim())) addHealthHit(ev, `col:${i}`, 'clinical', 2.5);
        } else if (r === 'code' || r === 'health') {
          // a code column, or a code in a health column ("Proc 93306", "Dx K57.32")
          const code = cell.trim().toUpperCase();
          if (/^(?:\d{5}|\d{4}[FTU]|[A-V]\d{4})$/.test(code)) {
            addHealthHit(ev, `c:cpt:${code}`, 'cpt', CODE_WEIGHTS['cpt']!);
            reasons.add('cpt', where, code);
          } else if (code.length <= 7 && isValidLoinc(code)) { // at most five digits before the check digit
            addHealthHit(ev, `c:loinc:${code}`, 'loinc', CODE_WEIGHTS['loinc']!);
            addHealthHit(unitEv, `c:loinc:${code}`, 'loinc', CODE_WEIGHTS['loinc']!);
            labInPart = true;
            reasons.add('loinc', where, code);
          } else if (isValidIcd10(code)) {
            addHealthHit(ev, `c:icd10:${code}`, 'icd10', CODE_WEIGHTS['icd10']!);
            reasons.add('icd10', where, code);
          } else if (r === 'code' && hasDigit(cell)) addHealthHit(ev, `col:${i}`, 'clinical', 1);
        } else if (r === 'name') {
          if (/\p{Lu}\p{L}/u.test(cell)) {
            addId(ev, 'name-in-clinical-context');
          }
        } else if (hasDigit(cell)) addId(ev, r);
      }
      const v = link(healthScore(ev), idScore(ev, pol.idWeights), pol);
      if (v > best) best = v;
    }
  }

  if (labInPart) unitLink = link(healthScore(unitEv), idScore(unitEv, pol.idWeights), pol);
  // scope 2: the whole part (or windows of a long part)
  if (text.length <= WINDOW * 1.5) {
    best = Math.max(best, unitLink);
  } else if (unitLink > best) {
    // only windows holding an identifier can link anything (the salutation-derived identity
    // covers the whole part, so then every window counts)
    const wholePart = unitEv.ids.has('name-in-clinical-context') && !nameFindings.length;
    const starts = new Set<number>();
    if (wholePart) for (let s = 0; s < text.length; s += WINDOW / 2) starts.add(s);
    else for (const f of allIds) {
      if (WEAK_ID_CATEGORIES.has(f.category) || (pol.idWeights[f.category] ?? 0) <= 0) continue;
      const k = Math.floor(f.start / (WINDOW / 2)) * (WINDOW / 2);
      starts.add(k);
      starts.add(Math.max(0, k - WINDOW / 2));
    }
    for (const s of starts) {
      const e = s + WINDOW;
      const ev = newEvidence();
      eachIn(terms, s, e, (t) => addHealthHit(ev, t.info, t.info.category, t.info.weight));
      eachIn(codes, s, e, (c) => addHealthHit(ev, `c:${c.category}:${c.value}`, c.category, CODE_WEIGHTS[c.category] ?? 1));
      eachIn(allIds, s, e, (f) => addId(ev, f.category));
      if (wholePart) addId(ev, 'name-in-clinical-context');
      best = Math.max(best, link(healthScore(ev), idScore(ev, pol.idWeights), pol));
    }
  }
  return { unitEv, best, hasPii };
}

const LIST_LOCAL_PART = /(?:^|[._-])(?:list|lists|all|team|staff|group|dept|department|info|office|admin|noreply|no-reply|subscribers?|news|newsletter|members|everyone|clinic|billing|support|help|scheduling|referrals?|records|hr)(?:$|[._-])/i;

function soleRecipient(ex: Extraction): string {
  let only: Extraction['correspondents'][number] | undefined;
  for (const c of ex.correspondents) {
    if (c.field !== 'to' && c.field !== 'cc') continue;
    if (only) return '';
    only = c;
  }
  if (!only) return '';
  return correspondent(only.name, only.address).personalMailbox ? only.address : '';
}

const CROSS_UNIT_FACTOR = 0.8;
/** Most characters of the parts scanned together (scanParts). */
const SCAN_GROUP_CHARS = 256 * 1024;

/** Score an already extracted message. */
export function scoreExtraction(ex: Extraction, pol: CompiledPolicy): PhiDecision {
  const reasons = new ReasonBook();
  // a correspondent's name tokens; without a display name, the letters of the mailbox name
  // ("anna.allen73@..." -> anna, allen) so a greeting can still be matched to the recipient
  const recipientNames: Array<readonly string[]> = [];
  const senderNames: Array<readonly string[]> = [];
  const correspondentNames = new Set<string>();
  let senderIsClinician = false;
  let recipientIsClinician = false;
  let senderDomain = '';
  let senderPersonal = false;
  for (const c of ex.correspondents) {
    const p = correspondent(c.name, c.address);
    if (p.tokens.length > 0) {
      if (c.field === 'to' || c.field === 'cc') recipientNames.push(p.tokens);
      else if (c.field === 'from' || c.field === 'reply-to') senderNames.push(p.tokens);
    }
    if (c.name) correspondentNames.add(p.folded);
    if (c.field === 'from' && p.clinician) senderIsClinician = true;
    if (c.field === 'from' && p.personalMailbox) senderPersonal = true;
    if ((c.field === 'to' || c.field === 'cc') && p.clinician) recipientIsClinician = true;
    if (c.field === 'from' && !senderDomain && c.address.includes('@')) senderDomain = c.address.slice(c.address.lastIndexOf('@')).toLowerCase();
  }
  const ctx: ScoreCtx = {
    pol,
    reasons,
    ex,
    recipientNames,
    senderNames,
    correspondentNames,
    bulk: ex.bulk,
    soleRecipient: soleRecipient(ex),
    senderIsClinician,
    recipientIsClinician,
    senderDomain,
    senderPersonal,
    groupHealth: true,
  };
  let best = 0;
  let pii = false;
  const msgHealth: number[] = [];
  const msgIds: number[] = [];
  const units = ex.units;
  for (let k = 0; k < units.length; ) {
    // parts are scanned together while they are short (cache locality, see scanParts) and one by
    // one when long, so that a large message does not hold every part's scan at once
    let end = k + 1;
    let chars = units[k]!.text.length;
    while (end < units.length && chars + units[end]!.text.length <= SCAN_GROUP_CHARS) chars += units[end++]!.text.length;
    const scans = scanParts(end === units.length && k === 0 ? units : units.slice(k, end), pol);
    // (a message in several scan groups is read whole: health may sit in another group)
    ctx.groupHealth = end < units.length || k > 0 || scans.some((sc) => sc.codes.length > 0 || anyHealth(sc.terms));
    for (let j = k; j < end; j++) {
      const r = scoreUnit(ctx, units[j]!, scans[j - k]!);
      best = Math.max(best, r.best);
      pii ||= r.hasPii;
      msgHealth.push(healthScore(r.unitEv));
      msgIds.push(linkingIdScore(r.unitEv, pol.idWeights));
    }
    k = end;
  }
  // scope 3: the message (subject names the patient, body carries the diagnosis)
  if (ex.units.length > 1) {
    const h = Math.max(0, ...msgHealth);
    const p = Math.max(0, ...msgIds);
    best = Math.max(best, CROSS_UNIT_FACTOR * link(h, p, pol));
  }
  for (const u of ex.uninspected) reasons.add('uninspected', u.split(':')[0] ?? 'message', u.split(':').slice(1).join(':').trim() || 'not inspected');
  const score = Math.round(best * 100);
  return {
    phi: score >= pol.threshold,
    pii,
    score,
    threshold: pol.threshold,
    // unread content first, then identifiers by weight, then health evidence
    reasons: reasons.list((c) => (c === 'uninspected' ? 100 : Object.hasOwn(pol.idWeights, c) ? 10 + (pol.idWeights[c] ?? 0) : 1)),
  };
}

/** Score one RFC 5322 message. Pure: bytes in, decision out. */
export function scoreMessage(raw: Buffer, cfg?: PolicyConfig): PhiDecision {
  const pol = compilePolicy(cfg);
  return scoreExtraction(extractText(raw, pol.limits), pol);
}

/** The 'Last, First' pattern and its candidate rule, for the property test (candidates.test.ts). */
export function lastFirstPattern(): { sticky: RegExp; starts: (text: string) => number[] } {
  return { sticky: LAST_FIRST_AT, starts: lastFirstStarts };
}
