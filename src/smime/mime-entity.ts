// MIME entity primitives for the S/MIME layer: header/body split, header fields, Content-Type
// parameters, CRLF canonical form, base64 in 76-column lines, RFC 2046 multipart delimiters.
// Pure module (bytes in, values out), no I/O. Trust level: parses untrusted network input, so every
// loop is bounded by a named limit and every failure is an SmimeError('malformed').
//
// Why hand-written rather than a MIME library: S/MIME needs the exact byte ranges of entities
// (a detached signature covers the first body part byte for byte, RFC 1847/2046), and the npm MIME
// parsers decode/normalise as they go (charset decoding, header unfolding, line-ending rewrites),
// which loses those ranges. Everything here works on Buffers and returns subarrays of its input.

import { isAscii } from 'node:buffer';
import { randomBytes } from 'node:crypto';
import { SmimeError } from './errors.js';

export interface MimeLimits {
  /** Largest header section accepted, in bytes (Postfix header_size_limit is 100 KB). */
  maxHeaderBytes: number;
  /** Most header fields in one header section. */
  maxHeaderFields: number;
  /** Most S/MIME layers (signed/encrypted/header-protection) peeled from one message. */
  maxLayers: number;
  /** Most body parts scanned in one multipart body. */
  maxParts: number;
  /**
   * Content at least this large is encrypted with the streaming (BER, indefinite-length) CMS encoder
   * and base64-encoded chunk by chunk, so the DER never exists whole; smaller content gets DER.
   */
  streamEncryptBytes: number;
}

export const DEFAULT_MIME_LIMITS: Readonly<MimeLimits> = Object.freeze({
  maxHeaderBytes: 100 * 1024,
  maxHeaderFields: 1000,
  maxLayers: 8,
  maxParts: 1000,
  streamEncryptBytes: 1024 * 1024,
});

const LIMIT_RANGES: Record<keyof MimeLimits, [number, number]> = {
  maxHeaderBytes: [1024, 16 * 1024 * 1024],
  maxHeaderFields: [10, 100_000],
  maxLayers: [1, 64],
  maxParts: [2, 100_000],
  streamEncryptBytes: [64 * 1024, 2 ** 31],
};

/** Fills defaults and rejects out-of-range limits (0 never means unlimited). */
export function resolveMimeLimits(partial?: Partial<MimeLimits>): MimeLimits {
  const out = { ...DEFAULT_MIME_LIMITS, ...partial };
  for (const [k, [min, max]] of Object.entries(LIMIT_RANGES) as [keyof MimeLimits, [number, number]][]) {
    const v = out[k];
    if (!Number.isInteger(v) || v < min || v > max) {
      throw new SmimeError('invalid-input', `MIME limit ${k}=${v} outside ${min}..${max}`);
    }
  }
  return out;
}

const CR = 13;
const LF = 10;
export const CRLF = Buffer.from('\r\n', 'latin1');
const CRLFCRLF = Buffer.from('\r\n\r\n', 'latin1');

/**
 * Returns the message in CRLF canonical form. A message whose header section already uses CRLF is
 * returned unchanged (same Buffer): that is the wire form from SMTP, and its bytes may be covered by a
 * signature. A message whose header section uses bare LF is a local file (openssl writes these, so do
 * editors); every bare LF is then turned into CRLF, as the sending MUA would have before signing.
 */
export function toWireForm(msg: Buffer): Buffer {
  const firstLf = msg.indexOf(LF);
  if (firstLf < 0) return msg;
  if (firstLf > 0 && msg[firstLf - 1] === CR) return msg;
  return lfToCrlf(msg);
}

/** Every LF not preceded by CR becomes CRLF. One pass to count, one to copy. */
export function lfToCrlf(buf: Buffer): Buffer {
  let bare = 0;
  for (let i = buf.indexOf(LF); i >= 0; i = buf.indexOf(LF, i + 1)) if (i === 0 || buf[i - 1] !== CR) bare++;
  if (bare === 0) return buf;
  const out = Buffer.allocUnsafe(buf.length + bare);
  let src = 0;
  let dst = 0;
  for (let i = buf.indexOf(LF); i >= 0; i = buf.indexOf(LF, i + 1)) {
    if (i > 0 && buf[i - 1] === CR) continue;
    dst += buf.copy(out, dst, src, i);
    out[dst++] = CR;
    out[dst++] = LF;
    src = i + 1;
  }
  buf.copy(out, dst, src);
  return out;
}

export interface HeaderField {
  /** Field name as written (case preserved). */
  name: string;
  /** Lower-case name for lookups. */
  key: string;
  /** Unfolded value, latin1-decoded, surrounding whitespace trimmed. */
  value: string;
  /** The field's exact bytes including folding and its final CRLF. */
  raw: Buffer;
}

export interface MimeEntity {
  fields: HeaderField[];
  /** Header section bytes, every field with its CRLF, without the blank line. */
  header: Buffer;
  /** Body bytes after the blank line (a subarray of the input). */
  body: Buffer;
}

/** Splits a CRLF-canonical entity into header fields and body. */
export function parseEntity(buf: Buffer, limits: MimeLimits = DEFAULT_MIME_LIMITS): MimeEntity {
  let headerEnd: number;
  let bodyStart: number;
  if (buf.length >= 2 && buf[0] === CR && buf[1] === LF) {
    headerEnd = 0;
    bodyStart = 2;
  } else {
    const window = buf.subarray(0, limits.maxHeaderBytes + 4);
    const i = window.indexOf(CRLFCRLF);
    if (i >= 0) {
      headerEnd = i + 2;
      bodyStart = i + 4;
    } else if (buf.length > limits.maxHeaderBytes) {
      throw new SmimeError('malformed', `header section exceeds ${limits.maxHeaderBytes} bytes`);
    } else {
      headerEnd = buf.length; // header only, no body
      bodyStart = buf.length;
    }
  }
  const header = buf.subarray(0, headerEnd);
  const fields: HeaderField[] = [];
  let pos = 0;
  while (pos < header.length) {
    let end = header.indexOf(CRLF, pos);
    // A field continues on lines starting with SP or HTAB (RFC 5322 §2.2.3 folding).
    while (end >= 0 && end + 2 < header.length && (header[end + 2] === 0x20 || header[end + 2] === 0x09)) {
      end = header.indexOf(CRLF, end + 2);
    }
    const fieldEnd = end < 0 ? header.length : end + 2;
    const raw = header.subarray(pos, fieldEnd);
    const text = raw.toString('latin1');
    const colon = text.indexOf(':');
    if (colon <= 0 || !/^[!-9;-~]+$/.test(text.slice(0, colon).trimEnd())) {
      throw new SmimeError('malformed', `malformed header line ${fields.length + 1} (no field name)`);
    }
    const name = text.slice(0, colon).trimEnd();
    fields.push({
      name,
      key: name.toLowerCase(),
      value: text.slice(colon + 1).replace(/\r\n(?=[ \t])/g, '').trim(),
      raw,
    });
    if (fields.length > limits.maxHeaderFields) {
      throw new SmimeError('malformed', `more than ${limits.maxHeaderFields} header fields`);
    }
    pos = fieldEnd;
  }
  return { fields, header, body: buf.subarray(bodyStart) };
}

export function headerValue(fields: HeaderField[], name: string): string | undefined {
  const key = name.toLowerCase();
  return fields.find((f) => f.key === key)?.value;
}

export interface ContentType {
  /** "type/subtype", lower case. */
  mediaType: string;
  /** Parameter names lower-cased; values unquoted. */
  params: Map<string, string>;
}

/** Parses a Content-Type value (RFC 2045 §5.1): token/token *(; attribute=value|quoted-string). */
export function parseContentType(value: string | undefined): ContentType {
  if (value === undefined) return { mediaType: 'text/plain', params: new Map([['charset', 'us-ascii']]) };
  const v = stripComments(value);
  const semi = v.indexOf(';');
  const mediaType = (semi < 0 ? v : v.slice(0, semi)).trim().toLowerCase();
  const params = new Map<string, string>();
  let i = semi < 0 ? v.length : semi + 1;
  while (i < v.length) {
    while (i < v.length && /[\s;]/.test(v[i]!)) i++;
    const eq = v.indexOf('=', i);
    if (eq < 0) break;
    const name = v.slice(i, eq).trim().toLowerCase();
    i = eq + 1;
    while (i < v.length && /\s/.test(v[i]!)) i++;
    let val = '';
    if (v[i] === '"') {
      i++;
      while (i < v.length && v[i] !== '"') {
        if (v[i] === '\\' && i + 1 < v.length) i++;
        val += v[i];
        i++;
      }
      i++;
    } else {
      const end = v.indexOf(';', i);
      val = v.slice(i, end < 0 ? v.length : end).trim();
      i = end < 0 ? v.length : end;
    }
    if (name && !params.has(name)) params.set(name, val);
  }
  return { mediaType, params };
}

function stripComments(v: string): string {
  if (!v.includes('(')) return v;
  let out = '';
  let depth = 0;
  let quoted = false;
  for (let i = 0; i < v.length; i++) {
    const c = v[i]!;
    if (quoted) {
      out += c;
      if (c === '\\' && i + 1 < v.length) out += v[++i];
      else if (c === '"') quoted = false;
    } else if (c === '"' && depth === 0) {
      quoted = true;
      out += c;
    } else if (c === '(') depth++;
    else if (c === ')' && depth > 0) depth--;
    else if (depth === 0) out += c;
  }
  return out;
}

const B64_LINE_BYTES = 57; // 57 input bytes → 76 base64 characters (RFC 2045 §6.8 limit)
const B64_CHUNK_LINES = 1024;

/** Base64 in 76-character lines, each ending in CRLF (RFC 2045 §6.8). */
export function encodeBase64Lines(data: Uint8Array): Buffer {
  const src = Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  const full = Math.floor(src.length / B64_LINE_BYTES);
  const rest = src.length % B64_LINE_BYTES;
  const out = Buffer.allocUnsafe(full * 78 + (rest ? Math.ceil(rest / 3) * 4 + 2 : 0));
  let pos = 0;
  const chunk = B64_LINE_BYTES * B64_CHUNK_LINES;
  for (let a = 0; a < src.length; a += chunk) {
    // Write the chunk's base64 text at the end of its output region, then move each 76-character
    // line forward into place and follow it with CRLF. The write position never overtakes the
    // unread text (78 ≤ 76 + 2 bytes of slack per line), and copyWithin has memmove semantics.
    // This is about twice as fast as copying lines out of a separate buffer.
    const text = src.toString('base64', a, Math.min(src.length, a + chunk));
    const regionEnd = pos + text.length + 2 * Math.ceil(text.length / 76);
    const textStart = regionEnd - text.length;
    out.write(text, textStart, 'latin1');
    for (let i = 0; i < text.length; i += 76) {
      const e = i + 76 < text.length ? i + 76 : text.length;
      out.copyWithin(pos, textStart + i, textStart + e);
      pos += e - i;
      out[pos++] = CR;
      out[pos++] = LF;
    }
  }
  return out;
}

const B64_DECODE_CHUNK = 256 * 1024;
const B64_BAD = /[^A-Za-z0-9+/= \t\r\n]/;
const B64_WS = /[ \t\r\n]+/g;

/**
 * Decodes a base64 body strictly: spaces, tabs and line breaks are skipped, padding only at the end,
 * anything else is malformed (fail closed rather than guess, unlike Buffer.from's lenient decoder).
 * Works in chunks of about 256 KB cut at line ends, so memory is the output plus a constant; the
 * checks are regular expressions over each chunk (native), not a JavaScript loop per byte.
 */
export function decodeBase64Body(body: Uint8Array): Buffer {
  const buf = Buffer.isBuffer(body) ? body : Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  return decodeBase64Regular(buf) ?? decodeBase64Strict(buf);
}

/**
 * Fast path for the usual shape (what we and most agents write): lines of one fixed length ending in
 * CRLF, a shorter last line, padding only at the very end. The line structure is checked at the
 * expected CRLF positions; Node's decoder (which skips any character outside the alphabet and stops
 * at '=') then must produce exactly the length the character count predicts, so any stray character
 * or inner '=' shows up as a length mismatch and sends the body to the strict path, which names the
 * problem. '-' and '_' (which Node accepts as base64url) are looked for explicitly. Decoded 4096
 * lines at a time, so the transient text is bounded.
 */
function decodeBase64Regular(buf: Buffer): Buffer | undefined {
  const width = buf.indexOf(CR);
  if (width <= 0 || width > 998 || buf[width + 1] !== LF) return undefined;
  const stride = width + 2;
  const full = Math.floor(buf.length / stride);
  for (let i = 1; i <= full; i++) {
    const p = i * stride - 2;
    if (buf[p] !== CR || buf[p + 1] !== LF) return undefined;
  }
  let chars = full * width;
  const tail = buf.length - full * stride;
  // End of the base64 text: before the final CRLF, or the very end when the last line has none (a
  // multipart part ends before the CRLF that belongs to the next delimiter, RFC 2046 §5.1.1).
  let textEnd = buf.length;
  if (tail > 0) {
    const cr = buf.indexOf(CR, full * stride);
    if (cr < 0) {
      if (buf.indexOf(LF, full * stride) >= 0) return undefined;
      chars += tail;
    } else {
      if (tail < 3 || cr !== buf.length - 2 || buf[buf.length - 1] !== LF) return undefined;
      chars += tail - 2;
      textEnd = buf.length - 2;
    }
  } else textEnd = buf.length - 2;
  if (chars === 0 || chars % 4 !== 0 || buf.indexOf(0x2d) >= 0 || buf.indexOf(0x5f) >= 0) return undefined;
  const last = textEnd - 1; // last base64 character
  const pad = buf[last] === 0x3d ? (buf[last - 1] === 0x3d ? 2 : 1) : 0;
  const expected = (chars / 4) * 3 - pad;
  const out = Buffer.allocUnsafe(expected + 3);
  // 4096 lines at a time: a multiple of 4 characters, so every chunk decodes on its own.
  const step = 4096 * stride;
  let pos = 0;
  for (let a = 0; a < buf.length; a += step) pos += out.write(buf.toString('latin1', a, Math.min(buf.length, a + step)), pos, 'base64');
  return pos === expected ? out.subarray(0, pos) : undefined;
}

function decodeBase64Strict(buf: Buffer): Buffer {
  const out = Buffer.allocUnsafe(Math.floor((buf.length * 3) / 4) + 3);
  let pos = 0;
  let carry = '';
  let padded = false;
  for (let a = 0; a < buf.length; ) {
    let b = Math.min(buf.length, a + B64_DECODE_CHUNK);
    if (b < buf.length) {
      const lf = buf.indexOf(LF, b);
      b = lf < 0 ? buf.length : lf + 1;
    }
    const text = buf.toString('latin1', a, b);
    a = b;
    const bad = B64_BAD.exec(text);
    if (bad) throw new SmimeError('malformed', `invalid character 0x${bad[0].charCodeAt(0).toString(16)} in base64 body`);
    let clean = text.replace(B64_WS, '');
    if (clean.length === 0) continue;
    if (padded) throw new SmimeError('malformed', 'base64 data after padding');
    const eq = clean.indexOf('=');
    if (eq >= 0) {
      if (!/^={1,2}$/.test(clean.slice(eq))) throw new SmimeError('malformed', 'base64 data after padding');
      padded = true;
    }
    clean = carry + clean;
    const whole = clean.length - (clean.length % 4);
    if (whole) pos += out.write(clean.slice(0, whole), pos, 'base64');
    carry = clean.slice(whole);
  }
  if (padded && carry.length) throw new SmimeError('malformed', 'bad base64 padding');
  if (carry.length === 1) throw new SmimeError('malformed', 'truncated base64 body');
  if (carry.length) pos += out.write(carry, pos, 'base64');
  return out.subarray(0, pos);
}

/** A random boundary that does not occur in `content` (RFC 2046 §5.1.1: must not appear inside). */
export function makeBoundary(content: Buffer): string {
  for (;;) {
    // A random per-process prefix plus a counter: unique without a CSPRNG call per message. The
    // prefix is public once a message is sent; uniqueness, not secrecy, is what RFC 2046 asks for,
    // and the check below rejects any boundary that occurs in the content.
    const b = `----=_sealgate_${BOUNDARY_PREFIX}_${(boundaryCounter++).toString(36)}`;
    if (content.indexOf(b) < 0) return b;
  }
}
const BOUNDARY_PREFIX = randomBytes(12).toString('base64url');
let boundaryCounter = 0;

export interface MultipartPart {
  /** Offset of the part's first byte in the body (just after the delimiter line's CRLF). */
  start: number;
  /** Offset just past the part's last byte (the CRLF before the next delimiter is not included). */
  end: number;
}

/**
 * Finds the body parts of a multipart body exactly as RFC 2046 §5.1.1 defines them: a delimiter is
 * CRLF "--" boundary, optional linear whitespace, CRLF; the CRLF *before* "--" belongs to the
 * delimiter, not to the preceding part. The first delimiter may start the body without a CRLF.
 * A line that merely starts with "--boundary" followed by other text is not a delimiter.
 */
export function findMultipartParts(
  body: Buffer,
  boundary: string,
  limits: MimeLimits = DEFAULT_MIME_LIMITS,
): { parts: MultipartPart[]; closed: boolean } {
  if (!boundary || boundary.length > 70) throw new SmimeError('malformed', 'multipart boundary missing or longer than 70 characters');
  const dash = Buffer.from(`--${boundary}`, 'latin1');
  const parts: MultipartPart[] = [];
  let partStart = -1;
  let search = 0;
  for (;;) {
    const idx = body.indexOf(dash, search);
    if (idx < 0) return { parts, closed: false };
    search = idx + 1;
    if (idx !== 0 && !(idx >= 2 && body[idx - 2] === CR && body[idx - 1] === LF)) continue;
    let k = idx + dash.length;
    const close = body[k] === 0x2d && body[k + 1] === 0x2d;
    if (close) k += 2;
    while (k < body.length && (body[k] === 0x20 || body[k] === 0x09)) k++;
    const atEol = k === body.length || (body[k] === CR && body[k + 1] === LF);
    if (!atEol) continue;
    if (partStart >= 0) {
      parts.push({ start: partStart, end: idx === 0 ? 0 : idx - 2 });
      if (parts.length > limits.maxParts) throw new SmimeError('malformed', `more than ${limits.maxParts} body parts`);
    }
    if (close) return { parts, closed: true };
    partStart = Math.min(body.length, k + 2);
    search = partStart;
  }
}

/** True when every byte is 7-bit and non-NUL. */
export function isSevenBit(buf: Buffer): boolean {
  return isAscii(buf) && buf.indexOf(0) < 0;
}

/** RFC 5322 §2.1.1: no line may exceed 998 octets, excluding the CRLF. */
export const MAX_LINE_OCTETS = 998;

/**
 * True when the bytes pass any SMTP relay unchanged (RFC 8551 §3.1.2 "7-bit safe"): 7-bit, no NUL,
 * every line ended by CRLF (no bare CR or LF, which relays normalise) and no line longer than 998
 * octets. Anything else may be re-encoded or rewritten on the way, breaking a detached signature.
 */
export function isTransportSafe(buf: Buffer): boolean {
  if (!isSevenBit(buf)) return false;
  let prev = -1;
  for (let i = buf.indexOf(LF); i >= 0; i = buf.indexOf(LF, i + 1)) {
    if (i === 0 || buf[i - 1] !== CR) return false;
    if (i - prev - 2 > MAX_LINE_OCTETS) return false;
    prev = i;
  }
  if (buf.length - prev - 1 > MAX_LINE_OCTETS) return false;
  for (let i = buf.indexOf(CR); i >= 0; i = buf.indexOf(CR, i + 1)) if (buf[i + 1] !== LF) return false;
  return true;
}

/**
 * Incremental form of encodeBase64Lines for data that arrives in chunks (the streaming CMS
 * encryptor): keeps fewer than 57 bytes between pushes, so the output is identical to encoding the
 * concatenation, and each pushed chunk can be released as soon as it is encoded.
 */
export class Base64LineEncoder {
  private carry = Buffer.alloc(0);
  readonly parts: Buffer[] = [];
  length = 0;

  push(chunk: Buffer): void {
    let data = chunk;
    if (this.carry.length) {
      const need = B64_LINE_BYTES - this.carry.length;
      if (data.length < need) {
        this.carry = Buffer.concat([this.carry, data]);
        return;
      }
      this.emit(encodeBase64Lines(Buffer.concat([this.carry, data.subarray(0, need)])));
      data = data.subarray(need);
      this.carry = Buffer.alloc(0);
    }
    const whole = data.length - (data.length % B64_LINE_BYTES);
    if (whole) this.emit(encodeBase64Lines(data.subarray(0, whole)));
    if (whole < data.length) this.carry = Buffer.from(data.subarray(whole));
  }

  /** Flushes the last partial line and returns every encoded part. */
  end(): Buffer[] {
    if (this.carry.length) this.emit(encodeBase64Lines(this.carry));
    this.carry = Buffer.alloc(0);
    return this.parts;
  }

  private emit(b: Buffer): void {
    this.parts.push(b);
    this.length += b.length;
  }
}
