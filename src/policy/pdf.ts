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

/**
 * A literal string without escapes or nested parentheses (nearly all of them) is its own latin1
 * byte string: decode it from the content-stream text directly instead of via a byte array.
 * Returns the index after the closing ')' or -1 when the string needs the full parser.
 */
function simpleLiteralEnd(s: string, open: number): number {
  const n = s.length;
  for (let k = open + 1; k < n; k++) {
    const ch = s.charCodeAt(k);
    if (ch === 41 /* ) */) return k + 1;
    if (ch === 92 /* \\ */ || ch === 40 /* ( */) return -1;
  }
  return -1;
}

/** decodePdfString of the bytes of a latin1 string (one char per byte). */
function decodePdfLatin1(raw: string): string {
  if (raw.charCodeAt(0) === 0xfe && raw.charCodeAt(1) === 0xff) return utf16be.decode(Buffer.from(raw.slice(2), 'latin1'));
  return windows1252FromLatin1(raw);
}

function isDigitOrDot(c: number): boolean {
  return (c >= 48 && c <= 57) || c === 46;
}

/** Interpret a content stream (latin1 string) and return its text. */
export function contentStreamText(s: string): string {
  const out: string[] = [];
  const n = s.length;
  let i = 0;
  let lastStrings: string[] = [];
  let inArray = false;
  let arrayParts: string[] = [];
  const nums: number[] = [];
  while (i < n) {
    const c = s.charCodeAt(i);
    if (c === 40 /* ( */) {
      const simpleEnd = simpleLiteralEnd(s, i);
      if (simpleEnd >= 0) {
        const str = decodePdfLatin1(s.slice(i + 1, simpleEnd - 1));
        i = simpleEnd;
        if (inArray) arrayParts.push(str);
        else lastStrings.push(str);
        continue;
      }
      const bytes: number[] = [];
      let depth = 1;
      i++;
      while (i < n && depth > 0) {
        const ch = s.charCodeAt(i);
        if (ch === 92 /* \ */) {
          const nx = s[i + 1];
          i += 2;
          switch (nx) {
            case 'n': bytes.push(10); break;
            case 'r': bytes.push(13); break;
            case 't': bytes.push(9); break;
            case 'b': bytes.push(8); break;
            case 'f': bytes.push(12); break;
            case '\r': if (s[i] === '\n') i++; break;
            case '\n': break;
            default:
              if (nx !== undefined && nx >= '0' && nx <= '7') {
                let oct = nx;
                while (oct.length < 3 && s[i]! >= '0' && s[i]! <= '7') oct += s[i++];
                bytes.push(parseInt(oct, 8) & 0xff);
              } else if (nx !== undefined) bytes.push(nx.charCodeAt(0) & 0xff);
          }
          continue;
        }
        if (ch === 40) depth++;
        else if (ch === 41) {
          depth--;
          if (depth === 0) {
            i++;
            break;
          }
        }
        bytes.push(ch & 0xff);
        i++;
      }
      const str = decodePdfString(bytes);
      if (inArray) arrayParts.push(str);
      else lastStrings.push(str);
      continue;
    }
    if (c === 60 /* < */ && s.charCodeAt(i + 1) !== 60) {
      const end = s.indexOf('>', i + 1);
      const hex = (end < 0 ? s.slice(i + 1) : s.slice(i + 1, end)).replace(/[^0-9a-fA-F]/g, '');
      i = end < 0 ? n : end + 1;
      const bytes: number[] = [];
      for (let k = 0; k < hex.length; k += 2) bytes.push(parseInt((hex[k] ?? '0') + (hex[k + 1] ?? '0'), 16));
      // 2-byte glyph ids (no ToUnicode here): keep only if it decodes to printable text
      let str = decodePdfString(bytes);
      if (/[\x00-\x08\x0e-\x1f]/.test(str)) str = str.replace(/\x00/g, '');
      if (inArray) arrayParts.push(str);
      else lastStrings.push(str);
      continue;
    }
    if (c === 91 /* [ */) {
      inArray = true;
      arrayParts = [];
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
      const op = s.slice(i, j);
      i = j;
      switch (op) {
        case 'Tj':
          out.push(lastStrings.join(''));
          break;
        case "'":
        case '"':
          out.push('\n', lastStrings.join(''));
          break;
        case 'TJ':
          out.push(arrayParts.join(''));
          arrayParts = [];
          break;
        case 'Td':
        case 'TD':
          out.push(nums.length >= 1 && nums[nums.length - 1] !== 0 ? '\n' : ' ');
          break;
        case 'T*':
        case 'ET':
          out.push('\n');
          break;
        case 'Tm':
          out.push('\n');
          break;
        default:
          break;
      }
      lastStrings = [];
      nums.length = 0;
      continue;
    }
    if ((c >= 48 && c <= 57) || c === 45 || c === 46 || c === 43) {
      let j = i + 1;
      while (j < n && isDigitOrDot(s.charCodeAt(j))) j++;
      const v = Number(s.slice(i, j));
      if (inArray) {
        // a large negative kerning adjustment inside TJ is a word gap
        if (v < -180) arrayParts.push(' ');
      } else nums.push(v);
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
  if (/\/Encrypt\s/.test(s.slice(Math.max(0, s.length - 4096))) || /\/Encrypt\s+\d+\s+\d+\s+R/.test(s)) {
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
