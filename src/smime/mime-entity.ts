// MIME entity primitives for the S/MIME layer: header/body split, header fields, Content-Type
// parameters, CRLF canonical form, base64 in 76-column lines, RFC 2046 multipart delimiters.
// Pure module (bytes in, values out), no I/O. Trust level: parses untrusted network input, so every
// loop is bounded by a named limit and every failure is an SmimeError('malformed').
//
// Why hand-written rather than a MIME library: S/MIME needs the exact byte ranges of entities
// (a detached signature covers the first body part byte for byte, RFC 1847/2046), and the npm MIME
// parsers decode/normalise as they go (charset decoding, header unfolding, line-ending rewrites),
// which loses those ranges. Everything here works on Buffers and returns subarrays of its input.

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
    const i = window.indexOf('\r\n\r\n');
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
    const enc = Buffer.from(src.toString('base64', a, Math.min(src.length, a + chunk)), 'latin1');
    for (let i = 0; i < enc.length; i += 76) {
      pos += enc.copy(out, pos, i, Math.min(enc.length, i + 76));
      out[pos++] = CR;
      out[pos++] = LF;
    }
  }
  return out;
}

// 1 = base64 alphabet, 2 = ignorable whitespace, 3 = pad, 0 = invalid
const B64_CLASS = new Uint8Array(256);
for (const c of 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/') B64_CLASS[c.charCodeAt(0)] = 1;
for (const c of ' \t\r\n') B64_CLASS[c.charCodeAt(0)] = 2;
B64_CLASS['='.charCodeAt(0)] = 3;

/**
 * Decodes a base64 body strictly: whitespace and line breaks are skipped, padding only at the end,
 * anything else is malformed (fail closed rather than guess, unlike Buffer.from's lenient decoder).
 * Works in fixed-size chunks, so memory is the output plus a constant.
 */
export function decodeBase64Body(body: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(Math.floor((body.length * 3) / 4) + 3);
  const stage = Buffer.allocUnsafe(64 * 1024);
  let s = 0;
  let pos = 0;
  let pad = 0;
  for (let i = 0; i < body.length; i++) {
    const c = body[i]!;
    const cls = B64_CLASS[c]!;
    if (cls === 1) {
      if (pad) throw new SmimeError('malformed', 'base64 data after padding');
      stage[s++] = c;
      if (s === stage.length) {
        pos += out.write(stage.toString('latin1', 0, s), pos, 'base64');
        s = 0;
      }
    } else if (cls === 3) {
      pad++;
      if (pad > 2) throw new SmimeError('malformed', 'bad base64 padding');
    } else if (cls !== 2) {
      throw new SmimeError('malformed', `invalid character 0x${c.toString(16)} in base64 body`);
    }
  }
  if ((s + pad) % 4 !== 0 && pad > 0) throw new SmimeError('malformed', 'bad base64 padding');
  if (s % 4 === 1) throw new SmimeError('malformed', 'truncated base64 body');
  if (s) pos += out.write(stage.toString('latin1', 0, s), pos, 'base64');
  return out.subarray(0, pos);
}

/** A random boundary that does not occur in `content` (RFC 2046 §5.1.1: must not appear inside). */
export function makeBoundary(content: Buffer): string {
  for (;;) {
    const b = `----=_sealgate_${randomBytes(18).toString('base64url')}`;
    if (content.indexOf(b) < 0) return b;
  }
}

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

/** True when every byte is 7-bit and non-NUL (safe through any SMTP relay, RFC 8551 §3.1.2). */
export function isSevenBit(buf: Buffer): boolean {
  for (let i = 0; i < buf.length; i++) {
    const c = buf[i]!;
    if (c >= 0x80 || c === 0) return false;
  }
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
