// HTML to plain text for the policy engine. Trust level: untrusted HTML; regex passes that are
// linear in the input (no nested quantifiers), never executes or fetches anything. The common
// passes run as hand-written indexOf scans (htmlTextByScan, decodeEntities, collapseBlankLines)
// that give the regex chain's exact result; the regexes stay as the specification and fallback.
// Hidden text (display:none, tiny fonts, white-on-white) is deliberately KEPT: a message may hide
// PHI from the reader but it still leaves the organization. Scripts and styles are dropped (code,
// not text). Table cells become tabs and rows become lines so the scorer can link a name and a
// diagnosis on the same row.

import { isJsSpace } from './mime.js';
import { flatString } from './scan.js';

// a prototype-free table: a name such as 'constructor' or 'toString' must not find Object's members
const NAMED: Record<string, string> = Object.assign(Object.create(null) as Record<string, string>, {
  amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: ' ', ensp: ' ', emsp: ' ', thinsp: ' ',
  ndash: '-', mdash: '-', hellip: '...', lsquo: "'", rsquo: "'", ldquo: '"', rdquo: '"', sbquo: "'",
  bdquo: '"', laquo: '"', raquo: '"', bull: '*', middot: '.', copy: '(c)', reg: '(R)', trade: '(TM)',
  deg: '°', plusmn: '±', micro: 'µ', para: '¶', sect: '§', times: 'x', divide: '/', frac12: '1/2',
  frac14: '1/4', frac34: '3/4', sup2: '2', sup3: '3', le: '<=', ge: '>=', ne: '!=', shy: '', zwnj: '',
  zwj: '', lrm: '', rlm: '', euro: 'EUR', pound: 'GBP', cent: 'c', yen: 'JPY', iexcl: '!', iquest: '?',
  aacute: 'á', Aacute: 'Á', eacute: 'é', Eacute: 'É', iacute: 'í', Iacute: 'Í', oacute: 'ó', Oacute: 'Ó',
  uacute: 'ú', Uacute: 'Ú', agrave: 'à', Agrave: 'À', egrave: 'è', Egrave: 'È', igrave: 'ì', ograve: 'ò',
  ugrave: 'ù', acirc: 'â', ecirc: 'ê', icirc: 'î', ocirc: 'ô', ucirc: 'û', auml: 'ä', Auml: 'Ä', euml: 'ë',
  iuml: 'ï', ouml: 'ö', Ouml: 'Ö', uuml: 'ü', Uuml: 'Ü', yuml: 'ÿ', ntilde: 'ñ', Ntilde: 'Ñ', ccedil: 'ç',
  Ccedil: 'Ç', szlig: 'ß', oslash: 'ø', Oslash: 'Ø', aring: 'å', Aring: 'Å', aelig: 'æ', AElig: 'Æ',
  atilde: 'ã', otilde: 'õ', scaron: 'š', Scaron: 'Š', zcaron: 'ž', Zcaron: 'Ž',
});

/** Decode HTML character references (named subset, decimal, hex). Unknown names stay as written. */
export function decodeEntities(s: string): string {
  // Same result as s.replace(/&(#[xX][0-9a-fA-F]{1,6}|#[0-9]{1,7}|[A-Za-z][A-Za-z0-9]{1,31});?/g, entityText)
  // without a callback per reference: the three alternatives start differently, and each takes
  // as many characters as it may (nothing follows that could make it give some back).
  let out = '';
  let from = 0;
  const n = s.length;
  for (let amp = s.indexOf('&'); amp >= 0; amp = s.indexOf('&', amp + 1)) {
    const c = s.charCodeAt(amp + 1);
    // the run the alternative limits: 1-6 hex digits after "#x", 1-7 digits after "#", or 1-31
    // letters and digits after a first letter
    let start: number;
    let end: number;
    if (c === 35 /* # */) {
      const c2 = s.charCodeAt(amp + 2);
      const hex = c2 === 120 || c2 === 88;
      start = end = hex ? amp + 3 : amp + 2;
      if (hex) while (end < n && end - start < 6 && isHexDigit(s.charCodeAt(end))) end++;
      else while (end < n && end - start < 7 && isDigit(s.charCodeAt(end))) end++;
    } else if (isAsciiLetter(c)) {
      start = end = amp + 2;
      while (end < n && end - start < 31 && isAsciiAlnum(s.charCodeAt(end))) end++;
    } else continue;
    if (end === start) continue; // the run needs at least one character
    const ref = s.slice(amp + 1, end);
    if (s.charCodeAt(end) === 59 /* ; */) end++;
    out += s.slice(from, amp) + entityText(s.slice(amp, end), ref);
    from = end;
    amp = end - 1;
  }
  return from === 0 ? s : out + s.slice(from);
}

function entityText(m: string, ref: string): string {
  if (ref[0] === '#') {
    const cp = ref[1] === 'x' || ref[1] === 'X' ? parseInt(ref.slice(2), 16) : parseInt(ref.slice(1), 10);
    if (!Number.isFinite(cp) || cp <= 0 || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return ' ';
    return String.fromCodePoint(cp);
  }
  const v = NAMED[ref] ?? NAMED[ref.toLowerCase()];
  // String(): what replace() made of the value (NAMED is a plain object, so inherited names resolve too)
  return v !== undefined ? String(v) : m;
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}
function isHexDigit(c: number): boolean {
  return isDigit(c) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102);
}
function isAsciiLetter(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
}
function isAsciiAlnum(c: number): boolean {
  return isDigit(c) || isAsciiLetter(c);
}

const BLOCK = /<\/?(?:p|div|br|hr|li|ul|ol|h[1-6]|tr|table|tbody|thead|tfoot|section|article|header|footer|blockquote|pre|title|dt|dd|dl|address|center|form|fieldset|caption|nav|aside|main)\b[^>]*>/gi;
const CELL = /<\/?(?:td|th)\b[^>]*>/gi;
const BLOCK_NAMES = [
  'p', 'div', 'br', 'hr', 'li', 'ul', 'ol', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'tr', 'table', 'tbody', 'thead', 'tfoot',
  'section', 'article', 'header', 'footer', 'blockquote', 'pre', 'title', 'dt', 'dd', 'dl', 'address', 'center', 'form',
  'fieldset', 'caption', 'nav', 'aside', 'main',
];
/** Names (lower case) of the tags the CELL and BLOCK passes replace, by length. */
const NAMED_TAGS: string[][] = [];
for (const name of [...BLOCK_NAMES, 'td', 'th']) (NAMED_TAGS[name.length] ??= []).push(name);

/** Longest tag body the generic tag pass (`<[^>]{0,4000}>`) removes. */
const MAX_TAG = 4000;

function isWordChar(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;
}

/**
 * The script/style/template, line-break and tag passes of htmlToText (such a block -> space,
 * CR LF / LF -> space, CELL -> tab, BLOCK -> newline, other tags removed, a dangling `<` before a
 * letter -> space) in one left-to-right scan instead of six global regex passes, each of which
 * copies the whole text. The regex chain (htmlTextByRegex) is the specification: the scan gives its
 * result only when every `<` outside those blocks is followed by its `>` before the next `<` (tag
 * regions do not nest or overlap, so the passes cannot interact) and no tag body is longer than
 * MAX_TAG. Anything else returns undefined and the caller runs the regex chain. The input has no
 * CDATA section (the CDATA pass, between the block and line-break passes, would change it).
 */
function htmlTextByScan(s: string): string | undefined {
  let out = '';
  let pos = 0; // start of the text not yet copied
  let nl = s.indexOf('\n'); // next line break at or after pos (-1: none)
  let lt = s.indexOf('<');
  for (;;) {
    // a comment or CDATA start: the comment pass (and the CDATA check) of htmlToText apply. Every
    // '<' of s is visited here, lies in a tag body (which may hold no '<'), or in a script block
    // (checked below), so a scan that returns a text saw none. (Ranges checked inline: codeAt was
    // not inlined in this loop.)
    if (lt >= 0 && lt + 1 < s.length && s.charCodeAt(lt + 1) === 33 /* ! */ && isCommentOrCdataStart(s, lt)) return undefined;
    const gt = lt < 0 ? -1 : s.indexOf('>', lt + 1);
    let next = lt < 0 ? -1 : s.indexOf('<', lt + 1); // where the text after this tag ends
    let rep = '';
    let skipTo = gt + 1;
    if (gt >= 0) {
      const blockEnd = scriptBlockEnd(s, lt, gt);
      if (blockEnd >= 0) {
        // the block pass ran first in the chain: '<' inside the block never reached the tag passes
        const bang = s.indexOf('<!', lt + 1);
        if (bang >= 0 && bang < blockEnd) return undefined; // (rare) maybe a comment or CDATA start inside
        rep = ' ';
        skipTo = blockEnd;
        next = s.indexOf('<', blockEnd);
      } else {
        if ((next >= 0 && next < gt) || gt - lt - 1 > MAX_TAG) return undefined;
        rep = tagReplacement(s, lt, gt);
      }
    } else if (lt >= 0 && next >= 0) return undefined; // an unterminated '<' that is not the last
    // copy the text up to the tag (or the end) with each CR LF or LF as one space
    const to = lt < 0 ? s.length : lt;
    while (nl >= 0 && nl < to) {
      const cut = nl > pos && s.charCodeAt(nl - 1) === 13 ? nl - 1 : nl;
      out += s.slice(pos, cut) + ' ';
      pos = nl + 1;
      nl = s.indexOf('\n', pos);
    }
    if (to > pos) out += s.slice(pos, to);
    if (lt < 0) return out;
    if (gt < 0) {
      // the final '<', unterminated: the dangling-tag pass turns it into a space before a tag-like character
      const c = lt + 1 < s.length ? s.charCodeAt(lt + 1) : 0;
      out += (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 47 || c === 33 || c === 63 ? ' ' : '<';
      pos = lt + 1;
      lt = -1;
      continue;
    }
    if (rep !== '') out += rep;
    // line breaks inside the tag or block vanish with it (a tag's raw length <= MAX_TAG, so the tag pass matched it)
    pos = skipTo;
    if (nl >= 0 && nl < pos) nl = s.indexOf('\n', pos);
    lt = next;
  }
}

/**
 * When s[lt..gt] opens a script, style or template element, the end of what the block pass
 * (`<(script|style|template)\b[^>]*>[\s\S]*?(?:<\/\1\s*>|$)`, case-insensitive) removes: just
 * after the first matching end tag, or the end of s. Otherwise -1.
 */
function scriptBlockEnd(s: string, lt: number, gt: number): number {
  const a = lt + 1;
  const c0 = s.charCodeAt(a) | 0x20;
  if (c0 !== 115 /* s */ && c0 !== 116 /* t */) return -1; // most tags: not script, style or template
  let b = a;
  while (b < gt && isWordChar(s.charCodeAt(b))) b++;
  // the three names differ in length (no closure per s/t tag: td, tr, table, span, strong, ...)
  const len = b - a;
  const name = len === 6 ? 'script' : len === 5 ? 'style' : len === 8 ? 'template' : undefined;
  if (name === undefined || (s.charCodeAt(a) | 0x20) !== name.charCodeAt(0) || !sameLetters(s, a, name)) return -1;
  for (let k = s.indexOf('</', gt + 1); k >= 0; k = s.indexOf('</', k + 1)) {
    if (!sameLetters(s, k + 2, name)) continue;
    let j = k + 2 + name.length;
    while (j < s.length && isJsSpace(s.charCodeAt(j))) j++;
    if (s.charCodeAt(j) === 62 /* > */) return j + 1;
  }
  return s.length;
}

/**
 * s at `at` spells `lower` (lower-case ASCII letters and digits) ASCII case-insensitively. c | 0x20
 * lower-cases a letter, keeps a digit, and makes no other character a letter or digit.
 */
function sameLetters(s: string, at: number, lower: string): boolean {
  for (let k = 0; k < lower.length; k++) if ((s.charCodeAt(at + k) | 0x20) !== lower.charCodeAt(k)) return false;
  return true;
}

/** What the CELL / BLOCK / tag passes put for the tag s[lt..gt]: tab, newline or nothing. */
function tagReplacement(s: string, lt: number, gt: number): string {
  // tag name as the regexes see it: optional '/', then a run of \w chars followed by \b
  let a = lt + 1;
  if (s.charCodeAt(a) === 47) a++;
  let b = a;
  while (b < gt && isWordChar(s.charCodeAt(b))) b++;
  const cands = NAMED_TAGS[b - a];
  if (cands === undefined) return '';
  // compared in place, ASCII case-insensitively, so no lower-cased copy of every tag name is made
  const c0 = s.charCodeAt(a) | 0x20;
  for (let k = 0; k < cands.length; k++) {
    const name = cands[k]!;
    if (name.charCodeAt(0) === c0 && sameLetters(s, a, name)) return name === 'td' || name === 'th' ? '\t' : '\n';
  }
  return '';
}

/** Comment removal, then the scan or (when it does not apply) the regex chain. */
function htmlTextByRegexChain(html: string): string {
  let s = html;
  // the includes() guards only skip passes that cannot match
  if (s.includes('<!--')) s = s.replace(/<!--[\s\S]*?(?:-->|$)/g, ' ');
  // (removing comments inserts a space, so it cannot make a CDATA start appear)
  return (s.includes('<![CDATA[') ? undefined : htmlTextByScan(s)) ?? htmlTextByRegex(s);
}

/** s at lt (a '<') starts a comment ('<!--') or a CDATA section ('<![CDATA['). */
function isCommentOrCdataStart(s: string, lt: number): boolean {
  return s.startsWith('<!--', lt) || s.startsWith('<![CDATA[', lt);
}

/** The specification of htmlTextByScan, used for input the scan does not handle. */
function htmlTextByRegex(s: string): string {
  s = s.replace(/<(script|style|template)\b[^>]*>[\s\S]*?(?:<\/\1\s*>|$)/gi, ' ');
  if (s.includes('<![CDATA[')) s = s.replace(/<!\[CDATA\[([\s\S]*?)\]\]>/g, '$1');
  // line structure first: a name and a diagnosis in one table row stay on one line
  s = s.replace(/\r?\n/g, ' ');
  s = s.replace(CELL, '\t');
  s = s.replace(BLOCK, '\n');
  s = s.replace(/<[^>]{0,4000}>/g, '');
  return s.replace(/<(?=[a-zA-Z/!?])/g, ' '); // a dangling unterminated tag start
}

/** Convert HTML to text: scripts/styles/comments removed, entities decoded, hidden text included. */
export function htmlToText(html: string): string {
  return htmlTextTidy(htmlTextDraft(html));
}

/**
 * htmlToText up to its whitespace passes: tags, comments and scripts removed, entities decoded;
 * htmlTextTidy(draft) is the text. The tidy passes only rewrite maximal runs of whitespace
 * (JavaScript \s) into non-empty, not longer runs of whitespace, and trim the ends. So the draft
 * is never shorter than the text, holds a non-space character exactly when the text is not empty,
 * and equals the text up to whitespace runs (all that multipart/alternative de-duplication
 * compares), which lets the extractor skip the tidy passes for an alternative it drops.
 */
export function htmlTextDraft(html: string): string {
  // decoded bodies come in many string representations; the scan reads one (see flatString)
  html = flatString(html);
  // The scan returns a text only when html has no comment or CDATA start; then the comment pass
  // and the CDATA check below change nothing, and it is their result (no two extra searches).
  return decodeEntities(htmlTextByScan(html) ?? htmlTextByRegexChain(html));
}

/** The whitespace passes of htmlToText, on a draft (htmlTextDraft). */
export function htmlTextTidy(s: string): string {
  s = s.replace(/[ \u00a0]{2,}/g, ' ');
  if (s.includes('\t')) s = s.replace(/ *\t[ \t]*/g, '\t');
  return collapseBlankLines(s).trim();
}

// Same as s.replace(/\n[ \t]*\n[\s]*/g, '\n\n') (blank lines: one empty line), by jumping between
// line breaks with indexOf: a match can only start at a '\n', and text has few of them.
function collapseBlankLines(s: string): string {
  const n = s.length;
  let out = '';
  let from = 0;
  for (let nl = s.indexOf('\n'); nl >= 0; ) {
    let k = nl + 1;
    while (k < n && (s.charCodeAt(k) === 32 || s.charCodeAt(k) === 9)) k++;
    if (k >= n || s.charCodeAt(k) !== 10) {
      nl = s.indexOf('\n', nl + 1);
      continue;
    }
    k++;
    while (k < n && isJsSpace(s.charCodeAt(k))) k++;
    out += s.slice(from, nl) + '\n\n';
    from = k;
    nl = s.indexOf('\n', k);
  }
  return from === 0 ? s : out + s.slice(from);
}
