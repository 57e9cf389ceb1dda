// Certificate parsing and the small DER toolkit shared by path validation, CRL checking and CMS
// signatures. Trust level: parses untrusted bytes (certificates arrive inside messages); pure, no I/O.
//
// Certificates are declared with @peculiar/asn1-x509 and parsed once: a parsed certificate is cached
// by its SHA-256 (bounded LRU), because asn1js costs about a millisecond per certificate and the same
// correspondents and CAs recur on every message.
//
// The lean DER reader/writer below is hand-written on purpose: measured on this machine, asn1js takes
// ~1.4 ms to parse a 1.4 KB SignedData, twice an RSA-2048 signature. The hot CMS paths (sign, verify)
// only need to slice a handful of fields out of a structure and keep their ORIGINAL bytes (signatures
// are checked over what was received), which a bounded TLV walker does in microseconds.

import { createHash, createPublicKey, type KeyObject } from 'node:crypto';
import { AsnParser } from '@peculiar/asn1-schema';
import { CRLDistributionPoints, Name, type DistributionPoint } from '@peculiar/asn1-x509';
import { SmimeError } from '../smime/errors.js';

// ---------------------------------------------------------------------------------------------
// Named limits
// ---------------------------------------------------------------------------------------------

/** Deepest constructed nesting the DER walker follows (CMS needs < 12; certificates < 10). */
export const DER_MAX_DEPTH = 32;
/** Most children one constructed value may have (certificates in a SignedData, CRL entries...). */
export const DER_MAX_CHILDREN = 100_000;
/** Parsed certificates kept in the process-wide cache. */
export const PARSED_CERT_CACHE_ENTRIES = 2048;

function malformed(msg: string): SmimeError {
  return new SmimeError('malformed', msg);
}

// ---------------------------------------------------------------------------------------------
// Lean DER/BER reader
// ---------------------------------------------------------------------------------------------

/** One tag-length-value inside a buffer. `end` is exclusive; for indefinite lengths it includes the EOC. */
export interface Tlv {
  /** The identifier octet (class, constructed bit and a low tag number). */
  readonly tag: number;
  readonly start: number;
  readonly contentStart: number;
  /** Exclusive end of the content (before the end-of-contents octets for indefinite lengths). */
  readonly contentEnd: number;
  readonly end: number;
  readonly indefinite: boolean;
}

export const TAG = {
  BOOLEAN: 0x01,
  INTEGER: 0x02,
  BIT_STRING: 0x03,
  OCTET_STRING: 0x04,
  NULL: 0x05,
  OID: 0x06,
  UTF8String: 0x0c,
  PrintableString: 0x13,
  IA5String: 0x16,
  UTCTime: 0x17,
  GeneralizedTime: 0x18,
  SEQUENCE: 0x30,
  SET: 0x31,
} as const;

/** Context-specific tag number n, constructed. */
export const ctxC = (n: number): number => 0xa0 | n;
/** Context-specific tag number n, primitive. */
export const ctxP = (n: number): number => 0x80 | n;

/**
 * Read one TLV at `off`, which must end at or before `limit`. Accepts BER indefinite lengths for
 * constructed values (RFC 4134 and some mailers send BER), depth-limited. Throws SmimeError('malformed').
 */
export function readTlv(buf: Buffer, off: number, limit: number = buf.length, depth = 0): Tlv {
  if (depth > DER_MAX_DEPTH) throw malformed('ASN.1 nesting too deep');
  if (off + 2 > limit) throw malformed('truncated ASN.1 value');
  const tag = buf[off]!;
  if ((tag & 0x1f) === 0x1f) throw malformed('ASN.1 high tag numbers are not used by CMS');
  let p = off + 1;
  const first = buf[p++]!;
  let len: number;
  if (first < 0x80) {
    len = first;
  } else if (first === 0x80) {
    if ((tag & 0x20) === 0) throw malformed('indefinite length on a primitive ASN.1 value');
    // Indefinite length: walk the children until the end-of-contents octets.
    let q = p;
    for (let count = 0; ; count++) {
      if (count > DER_MAX_CHILDREN) throw malformed('too many ASN.1 elements');
      if (q + 2 > limit) throw malformed('unterminated indefinite-length ASN.1 value');
      if (buf[q] === 0 && buf[q + 1] === 0) {
        return { tag, start: off, contentStart: p, contentEnd: q, end: q + 2, indefinite: true };
      }
      q = readTlv(buf, q, limit, depth + 1).end;
    }
  } else {
    const n = first & 0x7f;
    if (n > 4) throw malformed('ASN.1 length field too large');
    if (p + n > limit) throw malformed('truncated ASN.1 length');
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + buf[p++]!;
  }
  const end = p + len;
  if (end > limit) throw malformed('ASN.1 length exceeds the available data');
  return { tag, start: off, contentStart: p, contentEnd: end, end, indefinite: false };
}

/** The children of a constructed TLV. */
export function childrenOf(buf: Buffer, t: Tlv, depth = 0): Tlv[] {
  if ((t.tag & 0x20) === 0) throw malformed('expected a constructed ASN.1 value');
  const out: Tlv[] = [];
  let p = t.contentStart;
  while (p < t.contentEnd) {
    if (out.length >= DER_MAX_CHILDREN) throw malformed('too many ASN.1 elements');
    const c = readTlv(buf, p, t.contentEnd, depth + 1);
    out.push(c);
    p = c.end;
  }
  return out;
}

/** Parse a complete buffer as exactly one TLV (no trailing bytes). */
export function readWhole(buf: Buffer): Tlv {
  const t = readTlv(buf, 0, buf.length);
  if (t.end !== buf.length) throw malformed('trailing bytes after ASN.1 value');
  return t;
}

export function expectTag(t: Tlv | undefined, tag: number, what: string): Tlv {
  if (!t || t.tag !== tag) throw malformed(`${what}: unexpected ASN.1 structure`);
  return t;
}

export const rawOf = (buf: Buffer, t: Tlv): Buffer => buf.subarray(t.start, t.end);
export const contentOf = (buf: Buffer, t: Tlv): Buffer => buf.subarray(t.contentStart, t.contentEnd);

/** OCTET STRING content, joining the segments of a BER constructed OCTET STRING. */
export function octetStringContent(buf: Buffer, t: Tlv, depth = 0): Buffer {
  if (t.tag === TAG.OCTET_STRING) return contentOf(buf, t);
  if (t.tag === (TAG.OCTET_STRING | 0x20)) {
    if (depth > DER_MAX_DEPTH) throw malformed('ASN.1 nesting too deep');
    return Buffer.concat(childrenOf(buf, t).map((c) => octetStringContent(buf, c, depth + 1)));
  }
  throw malformed('expected an OCTET STRING');
}

/** Small non-negative INTEGER (versions, lengths). */
export function readSmallInt(buf: Buffer, t: Tlv): number {
  if (t.tag !== TAG.INTEGER) throw malformed('expected an INTEGER');
  const n = t.contentEnd - t.contentStart;
  if (n < 1 || n > 4) throw malformed('INTEGER out of range');
  if (buf[t.contentStart]! & 0x80) throw malformed('negative INTEGER');
  let v = 0;
  for (let i = t.contentStart; i < t.contentEnd; i++) v = v * 256 + buf[i]!;
  return v;
}

const oidStringCache = new Map<string, string>();

/** Decode an OBJECT IDENTIFIER TLV to dotted form. */
export function readOid(buf: Buffer, t: Tlv): string {
  if (t.tag !== TAG.OID) throw malformed('expected an OBJECT IDENTIFIER');
  const bytes = contentOf(buf, t);
  if (bytes.length === 0 || bytes.length > 64) throw malformed('bad OBJECT IDENTIFIER length');
  const key = bytes.toString('latin1');
  const hit = oidStringCache.get(key);
  if (hit) return hit;
  const parts: number[] = [];
  let v = 0;
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i]!;
    if (v === 0 && b === 0x80) throw malformed('non-minimal OBJECT IDENTIFIER');
    v = v * 128 + (b & 0x7f);
    if (v > Number.MAX_SAFE_INTEGER / 256) throw malformed('OBJECT IDENTIFIER arc too large');
    if ((b & 0x80) === 0) {
      if (parts.length === 0) {
        const a = v < 40 ? 0 : v < 80 ? 1 : 2;
        parts.push(a, v - a * 40);
      } else parts.push(v);
      v = 0;
    } else if (i === bytes.length - 1) throw malformed('truncated OBJECT IDENTIFIER');
  }
  const s = parts.join('.');
  if (oidStringCache.size < 4096) oidStringCache.set(key, s);
  return s;
}

/** Decode UTCTime / GeneralizedTime (RFC 5280 §4.1.2.5: UTCTime years 50-99 are 19xx). */
export function readTime(buf: Buffer, t: Tlv): Date {
  const s = contentOf(buf, t).toString('latin1');
  let m: RegExpExecArray | null;
  let y: number;
  let rest: string;
  if (t.tag === TAG.UTCTime) {
    m = /^(\d{2})(\d{10}(?:\d{2})?)Z$/.exec(s);
    if (!m) throw malformed('bad UTCTime');
    const yy = Number(m[1]);
    y = yy >= 50 ? 1900 + yy : 2000 + yy;
    rest = m[2]!;
  } else if (t.tag === TAG.GeneralizedTime) {
    m = /^(\d{4})(\d{10})(?:\.\d{1,9})?Z$/.exec(s);
    if (!m) throw malformed('bad GeneralizedTime');
    y = Number(m[1]);
    rest = m[2]!;
  } else throw malformed('expected a time value');
  const mo = Number(rest.slice(0, 2));
  const d = Number(rest.slice(2, 4));
  const h = Number(rest.slice(4, 6));
  const mi = Number(rest.slice(6, 8));
  const sec = rest.length >= 10 ? Number(rest.slice(8, 10)) : 0;
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60) throw malformed('bad time value');
  return new Date(Date.UTC(y, mo - 1, d, h, mi, sec));
}

// ---------------------------------------------------------------------------------------------
// Lean DER writer: assembles pre-encoded pieces with one final copy.
// ---------------------------------------------------------------------------------------------

/** A DER value under construction: its encoded parts, in order, and their total length. */
export interface DerParts {
  readonly parts: Buffer[];
  readonly length: number;
}

export function derLength(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  if (n < 0x100) return Buffer.from([0x81, n]);
  if (n < 0x10000) return Buffer.from([0x82, n >> 8, n & 0xff]);
  if (n < 0x1000000) return Buffer.from([0x83, n >> 16, (n >> 8) & 0xff, n & 0xff]);
  return Buffer.from([0x84, (n >>> 24) & 0xff, (n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff]);
}

export const derRaw = (b: Buffer): DerParts => ({ parts: [b], length: b.length });

/** tag + length + the concatenation of `children` (Buffers or part lists), without copying them. */
export function derTlv(tag: number, ...children: (Buffer | DerParts)[]): DerParts {
  let length = 0;
  const inner: Buffer[] = [];
  for (const c of children) {
    if (Buffer.isBuffer(c)) {
      inner.push(c);
      length += c.length;
    } else {
      for (const p of c.parts) inner.push(p);
      length += c.length;
    }
  }
  const hdr = Buffer.concat([Buffer.from([tag]), derLength(length)]);
  return { parts: [hdr, ...inner], length: hdr.length + length };
}

export const derToBuffer = (d: DerParts): Buffer => Buffer.concat(d.parts, d.length);
export const derEncode = (tag: number, ...children: (Buffer | DerParts)[]): Buffer => derToBuffer(derTlv(tag, ...children));

const oidDerCache = new Map<string, Buffer>();

/** DER of an OBJECT IDENTIFIER (cached). */
export function derOid(oid: string): Buffer {
  const hit = oidDerCache.get(oid);
  if (hit) return hit;
  const arcs = oid.split('.').map((a) => {
    if (!/^\d+$/.test(a)) throw new SmimeError('invalid-input', `bad OID ${oid}`);
    return Number(a);
  });
  if (arcs.length < 2) throw new SmimeError('invalid-input', `bad OID ${oid}`);
  const body: number[] = [];
  const push = (v: number) => {
    const tmp = [v & 0x7f];
    v = Math.floor(v / 128);
    while (v > 0) {
      tmp.unshift((v & 0x7f) | 0x80);
      v = Math.floor(v / 128);
    }
    body.push(...tmp);
  };
  push(arcs[0]! * 40 + arcs[1]!);
  for (const a of arcs.slice(2)) push(a);
  const out = derEncode(TAG.OID, Buffer.from(body));
  oidDerCache.set(oid, out);
  return out;
}

export const DER_NULL = Buffer.from([0x05, 0x00]);

/** AlgorithmIdentifier DER, with parameters (DER) or none. */
export function derAlgId(oid: string, params?: Buffer): Buffer {
  return params ? derEncode(TAG.SEQUENCE, derOid(oid), params) : derEncode(TAG.SEQUENCE, derOid(oid));
}

/** DER SET OF ordering (X.690 §11.6): sort encodings as octet strings, shorter padded with zeros. */
export function compareDerSetElements(a: Buffer, b: Buffer): number {
  const n = Math.min(a.length, b.length);
  const c = Buffer.compare(a.subarray(0, n), b.subarray(0, n));
  if (c !== 0) return c;
  const longer = a.length > b.length ? a : b;
  for (let i = n; i < longer.length; i++) {
    if (longer[i] !== 0) return a.length > b.length ? 1 : -1;
  }
  return 0;
}

/** UTCTime for 1950-2049, GeneralizedTime otherwise (RFC 5652 §11.3, RFC 5280 §4.1.2.5). */
export function derTime(d: Date): Buffer {
  const y = d.getUTCFullYear();
  const p2 = (n: number) => String(n).padStart(2, '0');
  const tail = `${p2(d.getUTCMonth() + 1)}${p2(d.getUTCDate())}${p2(d.getUTCHours())}${p2(d.getUTCMinutes())}${p2(d.getUTCSeconds())}Z`;
  if (y >= 1950 && y < 2050) return derEncode(TAG.UTCTime, Buffer.from(`${p2(y % 100)}${tail}`, 'latin1'));
  return derEncode(TAG.GeneralizedTime, Buffer.from(`${String(y).padStart(4, '0')}${tail}`, 'latin1'));
}

// ---------------------------------------------------------------------------------------------
// Distinguished names
// ---------------------------------------------------------------------------------------------

const SHORT_NAMES: Record<string, string> = {
  '2.5.4.3': 'CN',
  '2.5.4.4': 'SN',
  '2.5.4.5': 'serialNumber',
  '2.5.4.6': 'C',
  '2.5.4.7': 'L',
  '2.5.4.8': 'ST',
  '2.5.4.9': 'STREET',
  '2.5.4.10': 'O',
  '2.5.4.11': 'OU',
  '2.5.4.12': 'T',
  '2.5.4.42': 'GN',
  '2.5.4.43': 'initials',
  '2.5.4.44': 'generationQualifier',
  '2.5.4.46': 'dnQualifier',
  '2.5.4.65': 'pseudonym',
  '0.9.2342.19200300.100.1.25': 'DC',
  '0.9.2342.19200300.100.1.1': 'UID',
  '1.2.840.113549.1.9.1': 'E',
};

export const OID_EMAIL_ADDRESS_ATTR = '1.2.840.113549.1.9.1';

interface Ava {
  type: string;
  /** Decoded text for string-typed values, undefined otherwise. */
  text?: string;
  /** DER value bytes for non-string values. */
  raw?: Buffer;
}

function avasOf(name: Name): Ava[][] {
  return name.map((rdn) =>
    rdn.map((ava) => {
      const v = ava.value;
      const text = v.utf8String ?? v.printableString ?? v.teletexString ?? v.bmpString ?? v.universalString ?? v.ia5String;
      if (text !== undefined) return { type: ava.type, text };
      return { type: ava.type, raw: Buffer.from(v.anyValue ?? new ArrayBuffer(0)) };
    }),
  );
}

/**
 * RFC 5280 §7.1 / RFC 4518 matching, simplified: string values are compared after Unicode NFKC,
 * case folding, and whitespace folding (trimmed, inner runs collapsed to one space), regardless of
 * the string type (PrintableString and UTF8String of the same text match, as PKITS 4.3.10 expects).
 * Non-string values compare by their DER bytes. RDN order matters; AVAs inside one RDN do not.
 */
export function nameMatchKey(name: Name): string {
  return JSON.stringify(rdnKeys(name));
}

/** One match key per RDN, in order (for name chaining and directoryName subtree checks). */
export function rdnKeys(name: Name): string[] {
  return avasOf(name).map((rdn) =>
    JSON.stringify(
      rdn.map((a) => `${a.type}=${a.text !== undefined ? 's:' + normalizeDirectoryString(a.text) : 'x:' + a.raw!.toString('hex')}`).sort(),
    ),
  );
}

export function normalizeDirectoryString(s: string): string {
  return s.normalize('NFKC').toLowerCase().replace(/\s+/g, ' ').trim();
}

function escapeRfc4514(v: string): string {
  let s = v.replace(/[\\,+"<>;=]/g, (c) => '\\' + c);
  if (s.startsWith('#') || s.startsWith(' ')) s = '\\' + s;
  if (s.endsWith(' ')) s = s.slice(0, -1) + '\\ ';
  // Control characters would let a certificate inject lines into logs or displays.
  return s.replace(/[\u0000-\u001f\u007f]/g, (c) => '\\' + c.charCodeAt(0).toString(16).padStart(2, '0'));
}

/** RFC 4514 string form (most specific RDN first), e.g. "CN=Alice,O=Example,C=US". */
export function nameToString(name: Name): string {
  return avasOf(name)
    .reverse()
    .map((rdn) =>
      rdn
        .map((a) => `${SHORT_NAMES[a.type] ?? a.type}=${a.text !== undefined ? escapeRfc4514(a.text) : '#' + a.raw!.toString('hex')}`)
        .join('+'),
    )
    .join(',');
}

// ---------------------------------------------------------------------------------------------
// General names (lean: the name-constraint checks must see every entry)
// ---------------------------------------------------------------------------------------------

export type GeneralNameValue =
  | { readonly type: 'rfc822' | 'dns' | 'uri'; readonly value: string }
  | { readonly type: 'dn'; readonly rdns: readonly string[] }
  | { readonly type: 'ip'; readonly bytes: Buffer }
  | { readonly type: 'other'; readonly tag: number };

/** Read one GeneralName TLV (RFC 5280 §4.2.1.6). */
export function readGeneralName(buf: Buffer, t: Tlv): GeneralNameValue {
  switch (t.tag) {
    case ctxP(1):
      return { type: 'rfc822', value: contentOf(buf, t).toString('latin1') };
    case ctxP(2):
      return { type: 'dns', value: contentOf(buf, t).toString('latin1') };
    case ctxP(6):
      return { type: 'uri', value: contentOf(buf, t).toString('latin1') };
    case ctxP(7):
      return { type: 'ip', bytes: contentOf(buf, t) };
    case ctxC(4): {
      const [n, more] = childrenOf(buf, t);
      if (!n || more) throw malformed('bad directoryName');
      return { type: 'dn', rdns: rdnKeys(parseName(rawOf(buf, n))) };
    }
    default:
      return { type: 'other', tag: t.tag };
  }
}

export interface NameConstraintsValue {
  readonly permitted?: readonly GeneralNameValue[];
  readonly excluded?: readonly GeneralNameValue[];
}

/** NameConstraints ::= SEQUENCE { permittedSubtrees [0] GeneralSubtrees OPTIONAL, excludedSubtrees [1] ... } */
function readNameConstraints(value: Buffer): NameConstraintsValue {
  const top = readWhole(value);
  if (top.tag !== TAG.SEQUENCE) throw malformed('bad nameConstraints extension');
  const out: { permitted?: GeneralNameValue[]; excluded?: GeneralNameValue[] } = {};
  for (const part of childrenOf(value, top)) {
    if (part.tag !== ctxC(0) && part.tag !== ctxC(1)) throw malformed('bad nameConstraints extension');
    const list = childrenOf(value, part).map((st) => {
      if (st.tag !== TAG.SEQUENCE) throw malformed('bad GeneralSubtree');
      const [base, ...minmax] = childrenOf(value, st);
      if (!base) throw malformed('bad GeneralSubtree');
      // RFC 5280: minimum MUST be zero and maximum MUST be absent; anything else we cannot honour.
      for (const m of minmax) {
        if (m.tag === ctxP(0) && contentOf(value, m).every((b) => b === 0)) continue;
        return { type: 'other', tag: -1 } as GeneralNameValue;
      }
      return readGeneralName(value, base);
    });
    if (part.tag === ctxC(0)) out.permitted = list;
    else out.excluded = list;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Parsed certificates
// ---------------------------------------------------------------------------------------------

export const OID_EXT = {
  subjectKeyIdentifier: '2.5.29.14',
  keyUsage: '2.5.29.15',
  subjectAltName: '2.5.29.17',
  issuerAltName: '2.5.29.18',
  basicConstraints: '2.5.29.19',
  cRLNumber: '2.5.29.20',
  cRLReason: '2.5.29.21',
  invalidityDate: '2.5.29.24',
  deltaCRLIndicator: '2.5.29.27',
  issuingDistributionPoint: '2.5.29.28',
  certificateIssuer: '2.5.29.29',
  nameConstraints: '2.5.29.30',
  cRLDistributionPoints: '2.5.29.31',
  certificatePolicies: '2.5.29.32',
  policyMappings: '2.5.29.33',
  authorityKeyIdentifier: '2.5.29.35',
  policyConstraints: '2.5.29.36',
  extKeyUsage: '2.5.29.37',
  freshestCRL: '2.5.29.46',
  inhibitAnyPolicy: '2.5.29.54',
  authorityInfoAccess: '1.3.6.1.5.5.7.1.1',
  subjectInfoAccess: '1.3.6.1.5.5.7.1.11',
} as const;

export const OID_KP_EMAIL_PROTECTION = '1.3.6.1.5.5.7.3.4';
export const OID_ANY_EKU = '2.5.29.37.0';

/** Key usage bits, numbered as in RFC 5280 §4.2.1.3. */
export const KU = {
  digitalSignature: 0,
  nonRepudiation: 1,
  keyEncipherment: 2,
  dataEncipherment: 3,
  keyAgreement: 4,
  keyCertSign: 5,
  cRLSign: 6,
  encipherOnly: 7,
  decipherOnly: 8,
} as const;

export interface CertExtension {
  readonly oid: string;
  readonly critical: boolean;
  readonly value: Buffer;
}

/** A certificate, parsed once and read-only; keeps its original bytes. */
export interface ParsedCert {
  readonly der: Buffer;
  /** SHA-256 of the DER, hex. */
  readonly fingerprint: string;
  readonly tbs: Buffer;
  readonly sigAlgOid: string;
  /** DER of the signature algorithm's parameters, if present (NULL included). */
  readonly sigAlgParams?: Buffer;
  /** Whether tbsCertificate.signature equals signatureAlgorithm (RFC 5280 §4.1.1.2). */
  readonly sigAlgConsistent: boolean;
  readonly signature: Buffer;
  /** 1, 2 or 3. */
  readonly version: number;
  /** Serial number INTEGER content bytes, as encoded. */
  readonly serial: Buffer;
  /** Serial number in lower-case hex (two's complement bytes as encoded). */
  readonly serialHex: string;
  /** Complete DER TLV of the serial INTEGER, as encoded. */
  readonly serialDer: Buffer;
  readonly issuerDer: Buffer;
  readonly subjectDer: Buffer;
  readonly issuerKey: string;
  readonly subjectKey: string;
  readonly issuerText: string;
  readonly subjectText: string;
  readonly issuerName: Name;
  readonly subjectName: Name;
  readonly notBefore: Date;
  readonly notAfter: Date;
  readonly spkiDer: Buffer;
  readonly keyAlgOid: string;
  /** DER of the key algorithm parameters; undefined when absent. */
  readonly keyParams?: Buffer;
  readonly extensions: readonly CertExtension[];
  readonly basicConstraints?: { readonly ca: boolean; readonly pathLen?: number };
  /** Key usage bit set (bit i = KU value i), undefined when the extension is absent. */
  readonly keyUsage?: number;
  readonly extKeyUsage?: readonly string[];
  readonly ski?: Buffer;
  readonly akiKeyId?: Buffer;
  readonly crlDistributionPoints?: readonly DistributionPoint[];
  /** subjectAltName entries, every one of them (empty when absent). */
  readonly altNames: readonly GeneralNameValue[];
  /** The subject name, one match key per RDN. */
  readonly subjectRdns: readonly string[];
  readonly nameConstraints?: NameConstraintsValue;
  /** certificatePolicies policy identifiers (qualifiers are not kept). */
  readonly policies?: readonly string[];
  /** policyMappings as [issuerDomainPolicy, subjectDomainPolicy] pairs. */
  readonly policyMappings?: readonly (readonly [string, string])[];
  readonly policyConstraints?: { readonly requireExplicitPolicy?: number; readonly inhibitPolicyMapping?: number };
  readonly inhibitAnyPolicy?: number;
  readonly emails: readonly string[];
  readonly selfIssued: boolean;
  readonly selfSigned?: boolean;
}

export const hasKeyUsage = (c: ParsedCert, bit: number): boolean => c.keyUsage === undefined || ((c.keyUsage >> bit) & 1) === 1;

/** Parse a BIT STRING's content bytes into a bit set (bit 0 = most significant bit of the first octet). */
export function bitStringToBits(content: Buffer): number {
  // content[0] is the unused-bits count.
  let bits = 0;
  for (let i = 1; i < content.length && i <= 2; i++) {
    for (let b = 0; b < 8; b++) {
      if ((content[i]! >> (7 - b)) & 1) bits |= 1 << ((i - 1) * 8 + b);
    }
  }
  return bits;
}

class Lru<V> {
  private readonly map = new Map<string, V>();
  constructor(private readonly max: number) {}
  get(k: string): V | undefined {
    const v = this.map.get(k);
    if (v !== undefined) {
      this.map.delete(k);
      this.map.set(k, v);
    }
    return v;
  }
  set(k: string, v: V): void {
    if (this.map.size >= this.max) {
      const first = this.map.keys().next().value as string;
      this.map.delete(first);
    }
    this.map.set(k, v);
  }
}

const certCache = new Lru<ParsedCert>(PARSED_CERT_CACHE_ENTRIES);

/** Accept PEM or DER; return DER. */
export function toDer(input: Buffer | string, label = 'CERTIFICATE'): Buffer {
  const s = typeof input === 'string' ? input : input.subarray(0, 64).toString('latin1');
  if (s.includes('-----BEGIN')) {
    const text = typeof input === 'string' ? input : input.toString('latin1');
    const re = new RegExp(`-----BEGIN ${label}-----([\\s\\S]*?)-----END ${label}-----`);
    const m = re.exec(text);
    if (!m) throw new SmimeError('invalid-input', `no PEM ${label} block found`);
    return Buffer.from(m[1]!.replace(/\s+/g, ''), 'base64');
  }
  return typeof input === 'string' ? Buffer.from(input, 'latin1') : input;
}

/** All PEM blocks with the given label, as DER. */
export function pemBlocks(text: string, label = 'CERTIFICATE'): Buffer[] {
  const re = new RegExp(`-----BEGIN ${label}-----([\\s\\S]*?)-----END ${label}-----`, 'g');
  const out: Buffer[] = [];
  for (const m of text.matchAll(re)) out.push(Buffer.from(m[1]!.replace(/\s+/g, ''), 'base64'));
  return out;
}

/** BOOLEAN value (DER: 0x00 or 0xFF; any non-zero accepted as BER TRUE). */
export function readBoolean(buf: Buffer, t: Tlv): boolean {
  if (t.tag !== TAG.BOOLEAN || t.contentEnd - t.contentStart !== 1) throw malformed('bad BOOLEAN');
  return buf[t.contentStart] !== 0;
}

/** Extensions ::= SEQUENCE SIZE (1..MAX) OF Extension; rejects duplicates (RFC 5280 §4.2). */
export function readExtensions(buf: Buffer, seq: Tlv | undefined): CertExtension[] {
  if (!seq || seq.tag !== TAG.SEQUENCE) throw malformed('bad extensions');
  const out: CertExtension[] = [];
  for (const e of childrenOf(buf, seq)) {
    if (e.tag !== TAG.SEQUENCE) throw malformed('bad extension');
    const k = childrenOf(buf, e);
    const oid = readOid(buf, k[0] ?? expectTag(undefined, TAG.OID, 'extension')); 
    let critical = false;
    let j = 1;
    if (k[j]?.tag === TAG.BOOLEAN) critical = readBoolean(buf, k[j++]!);
    const v = expectTag(k[j], TAG.OCTET_STRING, 'extension value');
    if (k.length !== j + 1) throw malformed('bad extension');
    if (out.some((x) => x.oid === oid)) throw malformed(`duplicate extension ${oid}`);
    out.push({ oid, critical, value: contentOf(buf, v) });
  }
  return out;
}

/** Name via the declared schema, cross-checked against the lean reader's RDN count. */
export function parseName(der: Buffer): Name {
  let name: Name;
  try {
    name = AsnParser.parse(der, Name);
  } catch {
    throw malformed('bad distinguished name');
  }
  const t = readWhole(der);
  const rdns = childrenOf(der, t);
  if (rdns.length !== name.length || rdns.some((r, k) => childrenOf(der, r).length !== name[k]!.length)) {
    throw malformed('distinguished name did not parse consistently');
  }
  return name;
}

function parseExt<T>(value: Buffer, type: new () => T, what: string): T {
  try {
    return AsnParser.parse(value, type);
  } catch {
    throw malformed(`bad ${what} extension`);
  }
}

/**
 * Same Buffer object seen before (a configured trust store passed on every call): reuse its parse
 * when the bytes still equal our private copy; a memcmp is far cheaper than hashing a large store.
 */
const byObject = new WeakMap<Buffer, ParsedCert>();

/** Parse (or fetch from cache) a DER certificate. Throws SmimeError('malformed') on bad input. */
export function parseCert(der: Buffer): ParsedCert {
  const seen = byObject.get(der);
  if (seen && seen.der.equals(der)) return seen;
  const fingerprint = createHash('sha256').update(der).digest('hex');
  let pc = certCache.get(fingerprint);
  if (!pc) {
    pc = parseCertUncached(Buffer.from(der), fingerprint);
    certCache.set(fingerprint, pc);
  }
  byObject.set(der, pc);
  return pc;
}

function parseCertUncached(der: Buffer, fingerprint: string): ParsedCert {
  // Raw slices with the lean reader (original bytes are what signatures cover).
  const top = readWhole(der);
  if (top.tag !== TAG.SEQUENCE) throw malformed('certificate is not a SEQUENCE');
  const [tbsT, algT, sigT, ...extra] = childrenOf(der, top);
  if (!tbsT || !algT || !sigT || extra.length) throw malformed('certificate has the wrong number of fields');
  expectTag(tbsT, TAG.SEQUENCE, 'tbsCertificate');
  expectTag(sigT, TAG.BIT_STRING, 'certificate signature');
  const tbsKids = childrenOf(der, tbsT);
  let i = 0;
  if (tbsKids[0]?.tag === ctxC(0)) i = 1;
  const serialT = expectTag(tbsKids[i], TAG.INTEGER, 'certificate serial');
  const innerAlgT = expectTag(tbsKids[i + 1], TAG.SEQUENCE, 'certificate signature algorithm');
  const issuerT = expectTag(tbsKids[i + 2], TAG.SEQUENCE, 'certificate issuer');
  const subjectT = expectTag(tbsKids[i + 4], TAG.SEQUENCE, 'certificate subject');
  const spkiT = expectTag(tbsKids[i + 5], TAG.SEQUENCE, 'certificate public key');
  const algKids = childrenOf(der, algT);
  const sigAlgOid = readOid(der, algKids[0]!);
  const sigAlgParams = algKids[1] ? rawOf(der, algKids[1]) : undefined;
  const sigContent = contentOf(der, sigT);
  if (sigContent.length < 1 || sigContent[0] !== 0) throw malformed('certificate signature has unused bits');
  const spkiKids = childrenOf(der, spkiT);
  const spkiAlgKids = childrenOf(der, expectTag(spkiKids[0], TAG.SEQUENCE, 'public key algorithm'));
  const keyAlgOid = readOid(der, spkiAlgKids[0]!);
  const keyParams = spkiAlgKids[1] ? rawOf(der, spkiAlgKids[1]) : undefined;

  // Fields and extension envelopes come from the lean reader too: @peculiar/asn1-schema silently
  // drops optional fields in some layouts (observed: a CRL without nextUpdate lost its whole
  // revokedCertificates list), and a lost critical extension would fail open. Declared schemas are
  // used for self-contained values (names, subjectAltName, CRL distribution points).
  let version = 1;
  if (i === 1) {
    const [vT] = childrenOf(der, tbsKids[0]!);
    version = readSmallInt(der, vT ?? expectTag(undefined, TAG.INTEGER, 'certificate version')) + 1;
    if (version < 1 || version > 3) throw malformed(`certificate version ${version} is unknown`);
  }
  const serial = contentOf(der, serialT);
  if (serial.length === 0) throw malformed('empty certificate serial number');
  const validityT = expectTag(tbsKids[i + 3], TAG.SEQUENCE, 'certificate validity');
  const [nbT, naT, vExtra] = childrenOf(der, validityT);
  if (!nbT || !naT || vExtra) throw malformed('bad certificate validity');
  const notBefore = readTime(der, nbT);
  const notAfter = readTime(der, naT);
  let extsT: Tlv | undefined;
  for (const t of tbsKids.slice(i + 6)) {
    if (t.tag === ctxC(3)) extsT = t;
    else if (t.tag !== ctxP(1) && t.tag !== ctxP(2) && t.tag !== ctxC(1) && t.tag !== ctxC(2)) throw malformed('unexpected field in tbsCertificate');
  }
  if (extsT && version !== 3) throw malformed('extensions in a version 1/2 certificate');
  const exts = extsT ? readExtensions(der, childrenOf(der, extsT)[0]) : [];
  const ext = (oid: string) => exts.find((e) => e.oid === oid);
  const issuerName = parseName(rawOf(der, issuerT));
  const subjectName = parseName(rawOf(der, subjectT));

  let basicConstraints: ParsedCert['basicConstraints'];
  const bcE = ext(OID_EXT.basicConstraints);
  if (bcE) {
    const t = readWhole(bcE.value);
    if (t.tag !== TAG.SEQUENCE) throw malformed('bad basicConstraints extension');
    let ca = false;
    let pathLen: number | undefined;
    for (const f of childrenOf(bcE.value, t)) {
      if (f.tag === TAG.BOOLEAN && pathLen === undefined) ca = readBoolean(bcE.value, f);
      else if (f.tag === TAG.INTEGER && pathLen === undefined) pathLen = readSmallInt(bcE.value, f);
      else throw malformed('bad basicConstraints extension');
    }
    basicConstraints = { ca, pathLen };
  }
  let keyUsage: number | undefined;
  const kuE = ext(OID_EXT.keyUsage);
  if (kuE) {
    const t = readWhole(kuE.value);
    if (t.tag !== TAG.BIT_STRING) throw malformed('bad keyUsage extension');
    keyUsage = bitStringToBits(contentOf(kuE.value, t));
  }
  let extKeyUsage: string[] | undefined;
  const ekuE = ext(OID_EXT.extKeyUsage);
  if (ekuE) {
    const t = readWhole(ekuE.value);
    if (t.tag !== TAG.SEQUENCE) throw malformed('bad extendedKeyUsage extension');
    extKeyUsage = childrenOf(ekuE.value, t).map((o) => readOid(ekuE.value, o));
  }
  let ski: Buffer | undefined;
  const skiE = ext(OID_EXT.subjectKeyIdentifier);
  if (skiE) {
    const t = readWhole(skiE.value);
    if (t.tag !== TAG.OCTET_STRING) throw malformed('bad subjectKeyIdentifier extension');
    ski = contentOf(skiE.value, t);
  }
  let akiKeyId: Buffer | undefined;
  const akiE = ext(OID_EXT.authorityKeyIdentifier);
  if (akiE) {
    const t = readWhole(akiE.value);
    if (t.tag !== TAG.SEQUENCE) throw malformed('bad authorityKeyIdentifier extension');
    const kid = childrenOf(akiE.value, t).find((c) => c.tag === ctxP(0));
    if (kid) akiKeyId = contentOf(akiE.value, kid);
  }
  let crlDistributionPoints: DistributionPoint[] | undefined;
  const dpE = ext(OID_EXT.cRLDistributionPoints);
  if (dpE) crlDistributionPoints = [...parseExt(dpE.value, CRLDistributionPoints, 'cRLDistributionPoints')];

  const emails: string[] = [];
  const addEmail = (e: string) => {
    if (!emails.some((x) => x.toLowerCase() === e.toLowerCase())) emails.push(e);
  };
  let altNames: GeneralNameValue[] = [];
  const sanE = ext(OID_EXT.subjectAltName);
  if (sanE) {
    const t = readWhole(sanE.value);
    if (t.tag !== TAG.SEQUENCE) throw malformed('bad subjectAltName extension');
    altNames = childrenOf(sanE.value, t).map((g) => readGeneralName(sanE.value, g));
    for (const gn of altNames) if (gn.type === 'rfc822') addEmail(gn.value);
  }
  const ncE = ext(OID_EXT.nameConstraints);
  const nameConstraints = ncE ? readNameConstraints(ncE.value) : undefined;
  const seqOf = (e: CertExtension, what: string) => {
    const t = readWhole(e.value);
    if (t.tag !== TAG.SEQUENCE) throw malformed(`bad ${what} extension`);
    return childrenOf(e.value, t);
  };
  const cpE = ext(OID_EXT.certificatePolicies);
  const policies = cpE
    ? [...new Set(seqOf(cpE, 'certificatePolicies').map((pi) => {
        if (pi.tag !== TAG.SEQUENCE) throw malformed('bad PolicyInformation');
        return readOid(cpE.value, childrenOf(cpE.value, pi)[0] ?? expectTag(undefined, TAG.OID, 'policy identifier'));
      }))]
    : undefined;
  const pmE = ext(OID_EXT.policyMappings);
  const policyMappings = pmE
    ? seqOf(pmE, 'policyMappings').map((m) => {
        const [a, b, more] = m.tag === TAG.SEQUENCE ? childrenOf(pmE.value, m) : [];
        if (!a || !b || more) throw malformed('bad policyMappings extension');
        return [readOid(pmE.value, a), readOid(pmE.value, b)] as const;
      })
    : undefined;
  const pcE = ext(OID_EXT.policyConstraints);
  let policyConstraints: ParsedCert['policyConstraints'];
  if (pcE) {
    const pc: { requireExplicitPolicy?: number; inhibitPolicyMapping?: number } = {};
    for (const f of seqOf(pcE, 'policyConstraints')) {
      const n = readSmallInt(pcE.value, { ...f, tag: TAG.INTEGER });
      if (f.tag === ctxP(0)) pc.requireExplicitPolicy = n;
      else if (f.tag === ctxP(1)) pc.inhibitPolicyMapping = n;
      else throw malformed('bad policyConstraints extension');
    }
    policyConstraints = pc;
  }
  const iapE = ext(OID_EXT.inhibitAnyPolicy);
  const inhibitAnyPolicy = iapE ? readSmallInt(iapE.value, readWhole(iapE.value)) : undefined;
  for (const rdn of subjectName) for (const ava of rdn) if (ava.type === OID_EMAIL_ADDRESS_ATTR) addEmail(ava.value.toString());

  const issuerKey = nameMatchKey(issuerName);
  const subjectKey = nameMatchKey(subjectName);
  return {
    der,
    fingerprint,
    tbs: rawOf(der, tbsT),
    sigAlgOid,
    sigAlgParams,
    sigAlgConsistent: rawOf(der, innerAlgT).equals(rawOf(der, algT)),
    signature: sigContent.subarray(1),
    version,
    serial,
    serialHex: serial.toString('hex'),
    serialDer: rawOf(der, serialT),
    issuerDer: rawOf(der, issuerT),
    subjectDer: rawOf(der, subjectT),
    issuerKey,
    subjectKey,
    issuerText: nameToString(issuerName),
    subjectText: nameToString(subjectName),
    issuerName,
    subjectName,
    notBefore,
    notAfter,
    spkiDer: rawOf(der, spkiT),
    keyAlgOid,
    keyParams,
    extensions: exts,
    basicConstraints,
    keyUsage,
    extKeyUsage,
    ski,
    akiKeyId,
    crlDistributionPoints,
    altNames,
    subjectRdns: rdnKeys(subjectName),
    nameConstraints,
    policies,
    policyMappings,
    policyConstraints,
    inhibitAnyPolicy,
    emails,
    selfIssued: issuerKey === subjectKey,
  };
}

// ---------------------------------------------------------------------------------------------
// Public keys
// ---------------------------------------------------------------------------------------------

export const OID_DSA = '1.2.840.10040.4.1';
const keyCache = new Lru<KeyObject>(PARSED_CERT_CACHE_ENTRIES);

/**
 * The certificate's public key as a KeyObject. DSA keys may omit their domain parameters and inherit
 * them from the issuer's key (RFC 3279 §2.3.2, PKITS 4.1.5): pass the issuer's parameters then.
 */
export function certPublicKey(c: ParsedCert, inheritedDsaParams?: Buffer): KeyObject {
  const needsParams = c.keyAlgOid === OID_DSA && (!c.keyParams || c.keyParams.equals(DER_NULL));
  let spki = c.spkiDer;
  let cacheKey = c.fingerprint;
  if (needsParams) {
    if (!inheritedDsaParams) throw new SmimeError('unsupported', 'DSA key without domain parameters and no issuer to inherit them from');
    const top = readWhole(c.spkiDer);
    const [, keyBits] = childrenOf(c.spkiDer, top);
    spki = derEncode(TAG.SEQUENCE, derAlgId(OID_DSA, inheritedDsaParams), rawOf(c.spkiDer, keyBits!));
    cacheKey += ':' + createHash('sha256').update(inheritedDsaParams).digest('hex');
  }
  const hit = keyCache.get(cacheKey);
  if (hit) return hit;
  let key: KeyObject;
  try {
    key = createPublicKey({ key: spki, format: 'der', type: 'spki' });
  } catch {
    throw new SmimeError('unsupported', `public key algorithm ${c.keyAlgOid} is not supported`);
  }
  keyCache.set(cacheKey, key);
  return key;
}

/** DSA domain parameters this certificate's key carries or inherits (for its children). */
export function effectiveDsaParams(c: ParsedCert, inherited?: Buffer): Buffer | undefined {
  if (c.keyAlgOid !== OID_DSA) return undefined;
  if (c.keyParams && !c.keyParams.equals(DER_NULL)) return c.keyParams;
  return inherited;
}
