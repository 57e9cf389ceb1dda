// Tolerant MIME reader for the policy engine: header fields (unfolding, RFC 2047 encoded words,
// RFC 2231 parameters), transfer decodings (base64, quoted-printable, 7bit/8bit/binary), charsets
// via TextDecoder, and multipart splitting. Trust level: parses untrusted message bytes; never
// throws on malformed input (it degrades to "treat as text"), and every loop is bounded by the
// input length so malformed boundaries or headers cannot hang it.
//
// Hand-written rather than a library because the project has no MIME library yet, the gateway must
// control limits exactly (depth, part count, header bytes), and the policy engine needs only a
// read-only, lossy text view — never re-serialisation (signed bytes are never touched here).
// Bodies are handled as latin1 strings (one char per byte), so boundary search is plain indexOf
// and nothing is decoded twice.

import { isAscii as nativeIsAscii, isUtf8 } from 'node:buffer';
import { TextDecoder } from 'node:util';
export interface HeaderField {
  /** Lower-cased field name. */
  name: string;
  /** Unfolded raw value (latin1 chars = bytes). */
  raw: string;
}

export interface ContentType {
  type: string; // lower-case "text/plain"
  params: Record<string, string>; // lower-case names, decoded values
}

const decoderCache = new Map<string, TextDecoder | null>();

function decoderFor(charset: string): { decode(b: Uint8Array): string } | null {
  let key = charset.trim().toLowerCase().replace(/\*.*$/, ''); // RFC 2231 language suffix
  if (key === 'latin1' || key === 'iso-8859-1' || key === 'us-ascii' || key === 'ascii' || key === '') key = 'windows-1252';
  if (key === 'utf8') key = 'utf-8';
  if (key === 'windows-1252' || key === 'cp1252' || key === 'x-cp1252' || key === 'iso8859-1' || key === 'l1') return win1252;
  let d = decoderCache.get(key);
  if (d === undefined) {
    try {
      d = new TextDecoder(key, { fatal: false });
    } catch {
      d = null;
    }
    decoderCache.set(key, d);
  }
  return d;
}


// Node's TextDecoder('windows-1252') decodes as ISO-8859-1 (0x80-0x9F become C1 controls), so the
// 32 code points where windows-1252 differs are mapped here (WHATWG Encoding, index-windows-1252).
const CP1252_HIGH = [
  0x20ac, 0x81, 0x201a, 0x192, 0x201e, 0x2026, 0x2020, 0x2021, 0x2c6, 0x2030, 0x160, 0x2039, 0x152, 0x8d, 0x17d, 0x8f,
  0x90, 0x2018, 0x2019, 0x201c, 0x201d, 0x2022, 0x2013, 0x2014, 0x2dc, 0x2122, 0x161, 0x203a, 0x153, 0x9d, 0x17e, 0x178,
];

/** Decode windows-1252 (a superset of ISO-8859-1 for text; what mail labelled latin1 really is). */
export function decodeWindows1252(bytes: Uint8Array): string {
  let s = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('latin1');
  if (/[\x80-\x9f]/.test(s)) s = s.replace(/[\x80-\x9f]/g, (c) => String.fromCharCode(CP1252_HIGH[c.charCodeAt(0) - 0x80]!));
  return s;
}
const win1252 = { decode: decodeWindows1252 };

/** decodeWindows1252 of the bytes of a latin1 string (one char per byte), without a Buffer. */
export function windows1252FromLatin1(s: string): string {
  if (/[\x80-\x9f]/.test(s)) s = s.replace(/[\x80-\x9f]/g, (c) => String.fromCharCode(CP1252_HIGH[c.charCodeAt(0) - 0x80]!));
  return s;
}

/** True when every byte is < 0x80 (fast path: no decoding needed); native check. */
function isAscii(buf: Uint8Array): boolean {
  return nativeIsAscii(buf);
}

/**
 * Decode bytes in the declared charset. Unknown or missing charsets try UTF-8 first, then
 * windows-1252 (which accepts every byte), so decoding never fails.
 */
export function decodeCharset(bytes: Uint8Array, charset: string | undefined): string {
  // nearly every caller passes a Buffer already; wrapping it again costs more than the decode of a short header
  const asBuffer = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
  if (isAscii(bytes)) return asBuffer.toString('latin1');
  const cs = (charset ?? '').trim().toLowerCase();
  if (cs && cs !== 'us-ascii' && cs !== 'ascii') {
    if (cs === 'utf-8' || cs === 'utf8') {
      // Buffer's UTF-8 decoder is much faster than TextDecoder; invalid sequences become U+FFFD either way
      return asBuffer.toString('utf8');
    }
    const d = decoderFor(cs);
    if (d) return d.decode(bytes);
  }
  return isUtf8(asBuffer) ? asBuffer.toString('utf8') : win1252.decode(bytes);
}

/** decodeLatin1Bytes(s, undefined) for a string known to hold a byte >= 0x80 (raw 8-bit header text). */
function decodeRaw8bit(s: string): string {
  const buf = Buffer.from(s, 'latin1');
  // s is buf in latin1, so windows-1252 of buf is s with 0x80-0x9f remapped
  return isUtf8(buf) ? buf.toString('utf8') : windows1252FromLatin1(s);
}

/** Decode a latin1 string of raw bytes in a charset. */
export function decodeLatin1Bytes(s: string, charset: string | undefined): string {
  return decodeCharset(Buffer.from(s, 'latin1'), charset);
}

// ---------------------------------------------------------------- transfer encodings

/** Lenient base64: ignores whitespace and junk characters (Node's decoder skips them). */
export function decodeBase64(s: string): Buffer {
  return Buffer.from(s, 'base64');
}

function hexVal(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 65 && c <= 70) return c - 55;
  if (c >= 97 && c <= 102) return c - 87;
  return -1;
}

/** Quoted-printable (RFC 2045 6.7), lenient: malformed escapes are kept literally. */
export function decodeQuotedPrintable(s: string): Buffer {
  // Built as a latin1 string (one char per byte) from slices between '=' signs, then converted in
  // one native call: several times faster than storing every byte into a Buffer from JS, since
  // most of a QP body is literal text. Buffer.from(.., 'latin1') keeps the low byte of a char
  // above 0xff, as the per-byte `c & 0xff` did.
  return Buffer.from(decodeQuotedPrintableLatin1(s), 'latin1');
}

function decodeQuotedPrintableLatin1(s: string): string {
  return decodeQp(s, false)!;
}

/**
 * decodeCharset(decodeQuotedPrintable(s), charset) in one pass, for the common simple case: s is
 * ASCII (so every non-ASCII byte is an escape), and each escaped byte >= 0x80 starts a complete,
 * valid UTF-8 sequence of consecutive escapes while the charset is UTF-8, US-ASCII or absent (for
 * which decodeCharset decodes valid UTF-8 as UTF-8). That skips a Buffer and V8's slow UTF-8 path.
 * Returns undefined when the case is not that simple; the caller then decodes the usual way.
 * `asciiSource` must be true only when every character of s is below 0x80.
 */
export function decodeQuotedPrintableText(s: string, charset: string | undefined, asciiSource: boolean): string | undefined {
  if (!asciiSource) return undefined;
  const cs = (charset ?? '').trim().toLowerCase();
  const utf8 = cs === '' || cs === 'utf-8' || cs === 'utf8' || cs === 'us-ascii' || cs === 'ascii';
  return decodeQp(s, utf8 ? 'utf8' : 'ascii');
}

/**
 * The quoted-printable decoder. false: bytes as a latin1 string (never undefined). 'ascii':
 * undefined at the first escaped byte >= 0x80. 'utf8': such bytes must form valid UTF-8 sequences
 * of consecutive escapes, decoded to their code points; undefined otherwise.
 */
function decodeQp(s: string, text: false | 'ascii' | 'utf8'): string | undefined {
  const n = s.length;
  let out = '';
  let from = 0;
  let i = s.indexOf('=');
  while (i >= 0) {
    out += s.slice(from, i);
    // soft line break: "=" followed by optional whitespace then CRLF/LF
    let j = i + 1;
    let c = s.charCodeAt(j);
    while (c === 32 || c === 9) c = s.charCodeAt(++j);
    if (c === 13 && s.charCodeAt(j + 1) === 10) from = j + 2;
    else if (c === 10) from = j + 1;
    else if (j >= n) return out; // "=" (and blanks) at the very end: dropped
    else {
      const b = escapedByte(s, i);
      if (b < 0) {
        out += '=';
        from = i + 1;
      } else if (b < 0x80 || text === false) {
        out += String.fromCharCode(b);
        from = i + 3;
      } else {
        if (text === 'ascii') return undefined;
        const len = utf8SequenceAt(s, i, b);
        if (len === 0) return undefined;
        out += String.fromCodePoint(utf8CodePoint);
        from = i + 3 * len;
      }
    }
    i = s.indexOf('=', from);
  }
  return from === 0 ? s : out + s.slice(from);
}

/** The byte of the escape "=XX" at s[i], or -1 when the two characters after '=' are not hex digits. */
function escapedByte(s: string, i: number): number {
  const h1 = hexVal(s.charCodeAt(i + 1));
  const h2 = hexVal(s.charCodeAt(i + 2));
  return h1 >= 0 && h2 >= 0 ? (h1 << 4) | h2 : -1;
}

let utf8CodePoint = 0; // result of utf8SequenceAt

/**
 * Number of escapes (2-4) forming a valid UTF-8 sequence that starts with the escaped lead byte at
 * s[i] (sets utf8CodePoint), or 0. Valid means what a UTF-8 decoder accepts without U+FFFD: no
 * overlong forms, no surrogates, nothing above U+10FFFF (RFC 3629 table).
 */
function utf8SequenceAt(s: string, i: number, lead: number): number {
  let len: number;
  let lo = 0x80;
  let hi = 0xbf; // allowed range of the second byte
  if (lead >= 0xc2 && lead <= 0xdf) len = 2;
  else if (lead >= 0xe0 && lead <= 0xef) {
    len = 3;
    if (lead === 0xe0) lo = 0xa0;
    else if (lead === 0xed) hi = 0x9f;
  } else if (lead >= 0xf0 && lead <= 0xf4) {
    len = 4;
    if (lead === 0xf0) lo = 0x90;
    else if (lead === 0xf4) hi = 0x8f;
  } else return 0;
  let cp = lead & (len === 2 ? 0x1f : len === 3 ? 0x0f : 0x07);
  for (let k = 1; k < len; k++) {
    const at = i + 3 * k;
    if (s.charCodeAt(at) !== 61 /* = */) return 0;
    const b = escapedByte(s, at);
    if (k === 1 ? b < lo || b > hi : b < 0x80 || b > 0xbf) return 0;
    cp = (cp << 6) | (b & 0x3f);
  }
  utf8CodePoint = cp;
  return len;
}

/** Apply a Content-Transfer-Encoding to a latin1 body string; unknown encodings pass through. */
export function decodeTransfer(body: string, cte: string): Buffer {
  switch (cte) {
    case 'base64':
      return decodeBase64(body);
    case 'quoted-printable':
      return decodeQuotedPrintable(body);
    default:
      return Buffer.from(body, 'latin1');
  }
}

/**
 * decodeTransfer(body, cte).toString('latin1') without the round trip through a Buffer where the
 * result is already a string: body is latin1 (chars <= 0xff), so 7bit/8bit/binary is body itself.
 */
export function decodeTransferLatin1(body: string, cte: string): string {
  switch (cte) {
    case 'base64':
      return decodeBase64(body).toString('latin1');
    case 'quoted-printable':
      return decodeQuotedPrintableLatin1(body);
    default:
      return body;
  }
}

// ---------------------------------------------------------------- headers

export interface ParsedHead {
  fields: HeaderField[];
  /** Offset in the input where the body starts. */
  bodyStart: number;
}

/**
 * Split header fields from the body. Stops at the first empty line; a line that is neither a header
 * field nor a continuation also ends the header (the body starts there, as mime4j does). Reads at
 * most maxHeaderBytes; the rest of an overlong header block is skipped up to the blank line.
 */
export function parseHead(s: string, start: number, end: number, maxHeaderBytes: number): ParsedHead {
  // Works on offsets into s rather than a sliced string per line, tests the field-name shape by
  // hand (headerColon) instead of running a regex on every line, and trims by offsets (one slice).
  const fields: HeaderField[] = [];
  let pos = start;
  let first = true;
  let bytes = 0;
  while (pos < end) {
    let nl = s.indexOf('\n', pos);
    if (nl < 0 || nl >= end) nl = end;
    let lineEnd = nl;
    if (lineEnd > pos && s.charCodeAt(lineEnd - 1) === 13) lineEnd--;
    const len = lineEnd - pos;
    if (len === 0) return { fields, bodyStart: Math.min(nl + 1, end) };
    if (first && len >= 5 && s.startsWith('From ', pos)) {
      // mbox separator line
      pos = nl + 1;
      first = false;
      continue;
    }
    first = false;
    const c0 = s.charCodeAt(pos);
    if ((c0 === 32 || c0 === 9) && fields.length > 0) {
      if (bytes < maxHeaderBytes) {
        const f = fields[fields.length - 1]!;
        f.raw += ' ' + trimmedSlice(s, pos, lineEnd);
      }
    } else {
      const colon = headerColon(s, pos, lineEnd);
      if (colon < 0) return { fields, bodyStart: pos };
      if (bytes < maxHeaderBytes) {
        let nameEnd = colon; // the name has no blanks; only ' ' or '\t' can stand before the colon
        // (nameEnd - 1 >= pos: the name has a first character, which is no blank)
        for (let c = s.charCodeAt(nameEnd - 1); c === 32 || c === 9; c = s.charCodeAt(nameEnd - 1)) nameEnd--;
        fields.push({ name: s.slice(pos, nameEnd).toLowerCase(), raw: trimmedSlice(s, colon + 1, lineEnd) });
      }
    }
    bytes += len + 2;
    pos = nl + 1;
  }
  return { fields, bodyStart: end };
}

/** s.slice(a, b).trim() without the intermediate slice. */
function trimmedSlice(s: string, a: number, b: number): string {
  while (a < b && isJsSpace(s.charCodeAt(a))) a++;
  while (b > a && isJsSpace(s.charCodeAt(b - 1))) b--;
  return s.slice(a, b);
}

/**
 * Offset of the ':' when s[pos, lineEnd) is a header field line, else -1. Same test as the regex
 * /^[\x21-\x39\x3b-\x7e]{1,200}[ \t]*:/: 1 to 200 name characters (printable ASCII except ':'),
 * optional blanks, then ':'. A name run longer than 200 cannot match (the character after any
 * 200 of them is another name character, neither blank nor ':').
 */
function headerColon(s: string, pos: number, lineEnd: number): number {
  let k = pos;
  const stop = Math.min(lineEnd, pos + 201);
  for (; k < stop; k++) {
    const c = s.charCodeAt(k);
    if (c < 0x21 || c > 0x7e || c === 0x3a) break;
  }
  if (k === pos || k - pos > 200) return -1;
  while (k < lineEnd && (s.charCodeAt(k) === 32 || s.charCodeAt(k) === 9)) k++;
  return k < lineEnd && s.charCodeAt(k) === 0x3a ? k : -1;
}

export function headerValue(fields: HeaderField[], name: string): string | undefined {
  for (const f of fields) if (f.name === name) return f.raw;
  return undefined;
}

/** /[\x80-\xff]/.test(s); a short value (most header fields and parameters) by character code. */
function has8bit(s: string): boolean {
  if (s.length > 256) return /[\x80-\xff]/.test(s);
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x80 && c <= 0xff) return true;
  }
  return false;
}

/** Decode RFC 2047 encoded words (any charset TextDecoder knows) and raw 8-bit header bytes. */
export function decodeHeaderText(raw: string): string {
  let text = raw;
  // raw 8-bit bytes in the header: UTF-8 if valid, else windows-1252. Done before the encoded words
  // are decoded: their result is text already, and reading it again as bytes turned "Ã©" into "é".
  if (has8bit(text) && !/[^\x00-\xff]/.test(text)) text = decodeRaw8bit(text);
  if (text.includes('=?')) {
    // whitespace between adjacent encoded words is not displayed (RFC 2047 6.2)
    // (only possible when some '?=' is followed later by '=?')
    const close = text.indexOf('?=');
    if (close >= 0 && text.indexOf('=?', close + 2) >= 0) text = text.replace(/(\?=)[ \t]+(?==\?)/g, '$1');
    text = replaceEncodedWords(text);
  }
  return text;
}

/**
 * text.replace(/=\?([^?\s]{1,64})\?([bBqQ])\?([^?]*)\?=/g, decoded word), by hand: the regex with
 * a replacement callback was a large part of header decoding. At each "=?" the pattern has at most
 * one way to match (no part can give characters back to another), so a word either parses here
 * or the search moves on by one character, as the regex scan does.
 */
function replaceEncodedWords(text: string): string {
  let out = '';
  let from = 0;
  for (let i = text.indexOf('=?'); i >= 0; ) {
    // charset: 1 to 64 characters other than '?' and whitespace, then '?'
    let j = i + 2;
    while (j < text.length && j - (i + 2) <= 64 && text.charCodeAt(j) !== 63 && !isJsSpace(text.charCodeAt(j))) j++;
    const csLen = j - (i + 2);
    const enc = text.charCodeAt(j + 1); // B b Q q
    const dataEnd = csLen >= 1 && csLen <= 64 && text.charCodeAt(j) === 63 && (enc === 66 || enc === 98 || enc === 81 || enc === 113) && text.charCodeAt(j + 2) === 63 ? text.indexOf('?', j + 3) : -1;
    if (dataEnd < 0 || text.charCodeAt(dataEnd + 1) !== 61 /* = */) {
      i = text.indexOf('=?', i + 1);
      continue;
    }
    out += text.slice(from, i) + decodeEncodedWord(text.slice(i + 2, j), enc === 66 || enc === 98, text.slice(j + 3, dataEnd));
    from = dataEnd + 2;
    i = text.indexOf('=?', from);
  }
  return from === 0 ? text : out + text.slice(from);
}

function decodeEncodedWord(cs: string, base64: boolean, data: string): string {
  if (base64) return decodeCharset(decodeBase64(data), cs);
  if (data.includes('_')) data = data.replace(/_/g, ' ');
  if (data.includes('\n')) data = data.replace(/=\r?\n/g, '');
  let ascii = true;
  for (let k = 0; k < data.length && ascii; k++) ascii = data.charCodeAt(k) < 0x80;
  return decodeQuotedPrintableText(data, cs, ascii) ?? decodeCharset(decodeQuotedPrintable(data), cs);
}

/** The characters JavaScript's \s matches (WhiteSpace and LineTerminator). */
export function isJsSpace(c: number): boolean {
  return c === 32 || (c >= 9 && c <= 13) || c === 0xa0 || c === 0x1680 || (c >= 0x2000 && c <= 0x200a) || c === 0x2028 || c === 0x2029 || c === 0x202f || c === 0x205f || c === 0x3000 || c === 0xfeff;
}

function unquote(v: string): string {
  v = v.trim();
  if (v.length >= 2 && v.charCodeAt(0) === 34 && v.charCodeAt(v.length - 1) === 34) {
    const inner = v.slice(1, -1);
    return inner.includes('\\') ? inner.replace(/\\(.)/g, '$1') : inner;
  }
  return v;
}

function pctDecode(s: string, charset: string): string {
  const bytes: number[] = [];
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 37 && i + 2 < s.length + 0 && hexVal(s.charCodeAt(i + 1)) >= 0 && hexVal(s.charCodeAt(i + 2)) >= 0) {
      bytes.push((hexVal(s.charCodeAt(i + 1)) << 4) | hexVal(s.charCodeAt(i + 2)));
      i += 2;
    } else bytes.push(c & 0xff);
  }
  return decodeCharset(Uint8Array.from(bytes), charset);
}

/** Parsed header values by default type, then by raw text (a bounded memo; its values are frozen). */
const structuredCache = new Map<string, Map<string, ContentType>>();
const STRUCTURED_CACHE_MAX = 2000;
/** Longer values are parsed each time. */
const STRUCTURED_CACHE_VALUE_MAX = 200;

/**
 * Parse "type/subtype; a=b; c*=utf-8''x; d*0=..." (RFC 2045 + RFC 2231). The same Content-Type and
 * Content-Disposition values ("text/plain; charset=utf-8", "inline") come back message after
 * message, so short ones without a boundary or file name are parsed once: the result is then
 * shared and frozen (callers only read it).
 */
export function parseStructured(raw: string | undefined, dflt: string): ContentType {
  if (!raw) return { type: dflt, params: {} };
  // a boundary or a file name makes a value unique to its message: parsed, not kept
  if (raw.length > STRUCTURED_CACHE_VALUE_MAX || /boundary|name/i.test(raw)) return parseStructuredText(raw, dflt);
  let byRaw = structuredCache.get(dflt);
  if (byRaw === undefined) {
    byRaw = new Map();
    structuredCache.set(dflt, byRaw);
  }
  let ct = byRaw.get(raw);
  if (ct === undefined) {
    ct = parseStructuredText(raw, dflt);
    Object.freeze(ct.params);
    Object.freeze(ct);
    if (byRaw.size < STRUCTURED_CACHE_MAX) byRaw.set(raw, ct);
  }
  return ct;
}

function parseStructuredText(raw: string, dflt: string): ContentType {
  // split on ';' outside quotes (a '"' after a backslash does not count), reading only the first
  // 16384 characters; jumps between ';' and '"' with indexOf instead of visiting every character
  const pieces: string[] = [];
  const n = Math.min(raw.length, 16384);
  let from = 0;
  let inQ = false;
  let semi = raw.indexOf(';');
  let quote = raw.indexOf('"');
  for (;;) {
    const i = quote >= 0 && (semi < 0 || quote < semi) ? quote : semi;
    if (i < 0 || i >= n) break;
    if (i === quote) {
      if (raw.charCodeAt(i - 1) !== 92 /* \\ */) inQ = !inQ;
      quote = raw.indexOf('"', i + 1);
    } else {
      if (!inQ) {
        pieces.push(raw.slice(from, i));
        from = i + 1;
      }
      semi = raw.indexOf(';', i + 1);
    }
  }
  pieces.push(raw.slice(from, n));
  let type = pieces[0]!.trim().toLowerCase();
  if (/\s/.test(type)) type = type.replace(/\s+/g, '');
  type ||= dflt;
  const params: Record<string, string> = {};
  let continued: Map<string, { parts: string[]; charset: string; encoded: boolean[] }> | undefined; // RFC 2231 only
  for (let k = 1; k < pieces.length; k++) {
    const p = pieces[k]!;
    const eq = p.indexOf('=');
    if (eq < 0) continue;
    const name = p.slice(0, eq).trim().toLowerCase();
    let value = unquote(p.slice(eq + 1));
    const m = name.includes('*') ? /^([^*]+)\*(\d+)?(\*)?$/.exec(name) : null;
    if (m) {
      const base = m[1]!;
      const idx = m[2] !== undefined ? Number(m[2]) : 0;
      const enc = m[3] === '*' || (m[2] === undefined && name.endsWith('*'));
      continued ??= new Map();
      let entry = continued.get(base);
      if (!entry) {
        entry = { parts: [], charset: 'utf-8', encoded: [] };
        continued.set(base, entry);
      }
      if (enc && idx === 0) {
        const q = /^([^']*)'[^']*'(.*)$/.exec(value);
        if (q) {
          entry.charset = q[1] || 'utf-8';
          value = q[2]!;
        }
      }
      if (idx < 1000) {
        entry.parts[idx] = value;
        entry.encoded[idx] = enc;
      }
    } else {
      params[name] = decodeHeaderText(value);
    }
  }
  continued?.forEach((e, base) => {
    let v = '';
    for (let i = 0; i < e.parts.length; i++) {
      const part = e.parts[i];
      if (part === undefined) continue;
      v += e.encoded[i] ? pctDecode(part, e.charset) : part;
    }
    params[base] = v;
  });
  return { type, params };
}

// ---------------------------------------------------------------- multipart

/**
 * Split a multipart body (latin1) into part ranges. Delimiter lines are "--boundary" at a line
 * start followed by optional "--", whitespace and the line end (so a boundary that is a prefix of
 * another does not match). With no closing delimiter the last part runs to the end.
 */
export function splitMultipart(s: string, start: number, end: number, boundary: string, maxParts: number): Array<[number, number]> {
  const delim = '--' + boundary;
  const parts: Array<[number, number]> = [];
  let partStart = -1;
  let pos = start;
  while (pos < end) {
    const i = s.indexOf(delim, pos);
    if (i < 0 || i >= end) break;
    const atLineStart = i === start || s.charCodeAt(i - 1) === 10;
    let j = i + delim.length;
    const isClose = s.charCodeAt(j) === 45 && s.charCodeAt(j + 1) === 45;
    if (isClose) j += 2;
    let k = j;
    while (k < end && (s.charCodeAt(k) === 32 || s.charCodeAt(k) === 9)) k++;
    const atLineEnd = k >= end || s.charCodeAt(k) === 10 || (s.charCodeAt(k) === 13 && s.charCodeAt(k + 1) === 10);
    if (!atLineStart || !atLineEnd) {
      pos = i + delim.length;
      continue;
    }
    if (partStart >= 0) {
      // the line break before the delimiter belongs to the delimiter
      let pe = i;
      if (pe > partStart && s.charCodeAt(pe - 1) === 10) pe--;
      if (pe > partStart && s.charCodeAt(pe - 1) === 13) pe--;
      parts.push([partStart, pe]);
      if (parts.length >= maxParts) return parts;
    }
    if (isClose) return parts;
    let nl = s.indexOf('\n', k);
    if (nl < 0 || nl >= end) nl = end - 1;
    partStart = nl + 1;
    pos = partStart;
  }
  if (partStart >= 0 && partStart < end) parts.push([partStart, end]);
  return parts;
}
