// Text layer of a PDF for the policy engine: finds content streams (uncompressed or FlateDecode,
// inflated through the message's inflate budget) and reads the text-showing operators Tj, TJ, '
// and ". Trust level: untrusted PDFs; linear scans, bounded stream count, never throws outward.
// Hand-written because the engine needs only the text operators of ordinary PDFs, not rendering;
// PDF libraries are large and would not share the per-message inflate budget. Limits: no CMap /
// ToUnicode mapping (2-byte CID fonts give little text), no LZW/ASCII85 filters, encrypted PDFs are
// reported as not inspected.
import { TextDecoder } from 'node:util';
import { decodeWindows1252, windows1252FromLatin1 } from './mime.js';
import { type InflateBudget, inflateBounded } from './zip.js';
import { codeAt } from './scan.js';

const win1252 = { decode: decodeWindows1252 };
const utf16be = new TextDecoder('utf-16be');

export interface PdfText {
  text: string;
  /** True when some of the PDF could not be read (encryption, unsupported filter, limits). */
  incomplete: boolean;
}

function decodePdfString(bytes: number[]): string {
  if (bytes.length >= 2 && bytes[0] === 0xfe && bytes[1] === 0xff) return utf16be.decode(Uint8Array.from(bytes.slice(2)));
  return win1252.decode(Uint8Array.from(bytes));
}

/** decodePdfString of the bytes of a latin1 string (one char per byte). */
function decodePdfLatin1(raw: string): string {
  if (codeAt(raw, 0) === 0xfe && codeAt(raw, 1) === 0xff) return utf16be.decode(Buffer.from(raw.slice(2), 'latin1'));
  return windows1252FromLatin1(raw);
}

function isDigitOrDot(c: number): boolean {
  return (c >= 48 && c <= 57) || c === 46;
}

function isOctal(c: number): boolean {
  return c >= 48 && c <= 55;
}

/** Single-character escapes in literal strings: \n \r \t \b \f, by the code of the letter. */
const ESCAPED: Record<number, string> = { 110: '\n', 114: '\r', 116: '\t', 98: '\b', 102: '\f' };

/**
 * Interpret a content stream (latin1 string) and return its text.
 *
 * Written to allocate little per operator: a literal string is built from slices between escapes
 * (the content stream is latin1, so its characters are the string's bytes), the strings shown by
 * the next operator are concatenated as they come instead of collected in arrays, and of the
 * numbers before an operator only the last one is kept, as offsets, and parsed only by Td / TD.
 */
export function contentStreamText(s: string): string {
  const out: string[] = [];
  const n = s.length;
  let i = 0;
  let shown = ''; // strings since the last operator (for Tj, ' and ")
  let inArray = false;
  let arrayText = ''; // strings and word gaps of the current [...] (for TJ)
  let numCount = 0; // numbers since the last operator, outside arrays
  let lastNumStart = 0;
  let lastNumEnd = 0;
  // next '\\' and '(' at or after the current position (-1: none), moved forward only when passed,
  // so that finding them stays linear over the whole stream
  let nextBackslash = -2;
  let nextOpen = -2;
  while (i < n) {
    const c = s.charCodeAt(i);
    if (c === 40 /* ( */) {
      // most strings have no escape and no nested parentheses: slice them whole
      const close = s.indexOf(')', i + 1);
      if (nextBackslash !== -1 && nextBackslash <= i) nextBackslash = s.indexOf('\\', i + 1);
      if (nextOpen !== -1 && nextOpen <= i) nextOpen = s.indexOf('(', i + 1);
      if (close >= 0 && (nextBackslash < 0 || nextBackslash > close) && (nextOpen < 0 || nextOpen > close)) {
        const str = decodePdfLatin1(s.slice(i + 1, close));
        i = close + 1;
        if (inArray) arrayText += str;
        else shown += str;
        continue;
      }
      let raw = '';
      let depth = 1;
      i++;
      let seg = i; // start of the run of plain characters not yet copied into raw
      while (i < n && depth > 0) {
        const ch = s.charCodeAt(i);
        if (ch === 92 /* \ */) {
          raw += s.slice(seg, i);
          const nx = codeAt(s, i + 1);
          i += 2;
          const esc = ESCAPED[nx];
          if (esc !== undefined) raw += esc;
          else if (nx === 13 /* \r */) {
            if (codeAt(s, i) === 10) i++; // line continuation: nothing
          } else if (nx === 10) {
            // line continuation: nothing
          } else if (isOctal(nx)) {
            let v = nx - 48;
            for (let k = 1; k < 3 && isOctal(codeAt(s, i)); k++) v = v * 8 + (s.charCodeAt(i++) - 48);
            raw += String.fromCharCode(v & 0xff);
          } else if (i - 1 < n) raw += s[i - 1]; // "\(" "\)" "\\" and unknown escapes: the character
          seg = i;
          continue;
        }
        if (ch === 40) depth++;
        else if (ch === 41 && --depth === 0) break;
        i++;
      }
      raw += s.slice(seg, Math.min(i, n));
      if (depth === 0) i++; // past the closing ')'
      const str = decodePdfLatin1(raw);
      if (inArray) arrayText += str;
      else shown += str;
      continue;
    }
    if (c === 60 /* < */ && codeAt(s, i + 1) !== 60) {
      const end = s.indexOf('>', i + 1);
      const hex = (end < 0 ? s.slice(i + 1) : s.slice(i + 1, end)).replace(/[^0-9a-fA-F]/g, '');
      i = end < 0 ? n : end + 1;
      const bytes: number[] = [];
      for (let k = 0; k < hex.length; k += 2) bytes.push(parseInt((hex[k] ?? '0') + (hex[k + 1] ?? '0'), 16));
      // 2-byte glyph ids (no ToUnicode here): keep only if it decodes to printable text
      let str = decodePdfString(bytes);
      if (/[\x00-\x08\x0e-\x1f]/.test(str)) str = str.replace(/\x00/g, '');
      if (inArray) arrayText += str;
      else shown += str;
      continue;
    }
    if (c === 91 /* [ */) {
      inArray = true;
      arrayText = '';
      i++;
      continue;
    }
    if (c === 93 /* ] */) {
      inArray = false;
      i++;
      continue;
    }
    if (c === 37 /* % comment */) {
      const nl = s.indexOf('\n', i);
      i = nl < 0 ? n : nl + 1;
      continue;
    }
    if ((c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 39 || c === 34 || c === 42) {
      let j = i + 1;
      while (j < n) {
        const d = s.charCodeAt(j);
        if ((d >= 65 && d <= 90) || (d >= 97 && d <= 122) || d === 42 || (d >= 48 && d <= 57)) j++;
        else break;
      }
      // the operators that matter are ', " and two-character ones: compared by character code
      const c1 = j - i === 2 ? s.charCodeAt(i + 1) : -1;
      if (j - i === 1 && (c === 39 || c === 34)) out.push('\n', shown); // ' and "
      else if (c === 84 /* T */ && c1 === 106 /* j */) out.push(shown); // Tj
      else if (c === 84 && c1 === 74 /* J */) {
        out.push(arrayText); // TJ
        arrayText = '';
      } else if (c === 84 && (c1 === 100 || c1 === 68) /* Td TD */) {
        out.push(numCount >= 1 && Number(s.slice(lastNumStart, lastNumEnd)) !== 0 ? '\n' : ' ');
      } else if ((c === 84 && (c1 === 42 || c1 === 109)) /* T* Tm */ || (c === 69 && c1 === 84) /* ET */) out.push('\n');
      i = j;
      shown = '';
      numCount = 0;
      continue;
    }
    if ((c >= 48 && c <= 57) || c === 45 || c === 46 || c === 43) {
      let j = i + 1;
      while (j < n && isDigitOrDot(s.charCodeAt(j))) j++;
      if (inArray) {
        // a large negative kerning adjustment inside TJ is a word gap (only '-' can start one)
        if (c === 45 && Number(s.slice(i, j)) < -180) arrayText += ' ';
      } else {
        numCount++;
        lastNumStart = i;
        lastNumEnd = j;
      }
      i = j;
      continue;
    }
    i++;
  }
  return out.join('').replace(/[ \t]+\n/g, '\n');
}

/** Extract the text layer of a PDF (latin1-safe Buffer). */
export function pdfToText(buf: Buffer, budget: InflateBudget, maxStreams: number): PdfText {
  const s = buf.toString('latin1');
  let incomplete = false;
  // (both patterns need "/Encrypt": one native substring search usually settles it)
  if (s.includes('/Encrypt') && (/\/Encrypt\s/.test(s.slice(Math.max(0, s.length - 4096))) || /\/Encrypt\s+\d+\s+\d+\s+R/.test(s))) {
    return { text: '', incomplete: true };
  }
  const texts: string[] = [];
  let pos = 0;
  let count = 0;
  const re = /stream\r?\n/g;
  while (count < maxStreams) {
    re.lastIndex = pos;
    const m = re.exec(s);
    if (!m) break;
    const start = m.index + m[0].length;
    // skip the word inside "endstream"
    if (s.slice(m.index - 3, m.index) === 'end') {
      pos = start;
      continue;
    }
    const dictStart = s.lastIndexOf('<<', m.index);
    const objStart = s.lastIndexOf(' obj', m.index);
    const dict = dictStart >= 0 && dictStart > objStart - 5 ? s.slice(dictStart, m.index) : s.slice(Math.max(0, m.index - 512), m.index);
    let end = s.indexOf('endstream', start);
    if (end < 0) end = s.length;
    pos = end + 9;
    count++;
    if (/\/Subtype\s*\/Image|\/Type\s*\/(XRef|ObjStm|Metadata|EmbeddedFile)|\/FontFile|\/Length1\b/.test(dict)) continue;
    const filters = /\/Filter\s*(\[[^\]]*\]|\/\w+)/.exec(dict)?.[1] ?? '';
    let data: string;
    if (!filters) data = s.slice(start, end);
    else if (/^(\/FlateDecode|\/Fl|\[\s*\/(FlateDecode|Fl)\s*\])$/.test(filters.trim())) {
      const raw = buf.subarray(start, end); // s is buf in latin1: same offsets, no copy
      const inflated = inflateBounded(raw, budget, false);
      if (!inflated) {
        incomplete = true;
        continue;
      }
      data = inflated.toString('latin1');
    } else {
      if (!/DCTDecode|JPXDecode|CCITT|JBIG2/.test(filters)) incomplete = true;
      continue;
    }
    if (!/T[jJ*]|'|"/.test(data) || !/\bBT\b/.test(data)) continue;
    texts.push(contentStreamText(data));
  }
  if (count >= maxStreams) incomplete = true;
  return { text: texts.join('\n'), incomplete: incomplete || budget.exhausted };
}
