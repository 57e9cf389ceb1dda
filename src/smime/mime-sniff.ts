// Reads the few identifiers the MIME layer needs from a CMS ContentInfo without decoding it: the
// content type (to label an smime-type or to classify an application/pkcs7-mime part that lacks
// one) and, for (Auth)EnvelopedData, the content-encryption and key-encryption algorithms (for the
// layer report). Pure module. Trust level: untrusted input; bounded by depth and element limits.
//
// Why hand-written: asn1-schema would decode (and copy) the whole structure, including a 25 MB
// encrypted payload, to read three OIDs. This walks TLV headers only, skipping content by length,
// and understands BER indefinite lengths (gpgsm and Bouncy Castle stream-encode).

import { RECEIVE_CIPHERS, algorithmName } from './algorithms.js';
import { SmimeError } from './errors.js';

export const CMS_OID = {
  data: '1.2.840.113549.1.7.1',
  signedData: '1.2.840.113549.1.7.2',
  envelopedData: '1.2.840.113549.1.7.3',
  authEnvelopedData: '1.2.840.113549.1.9.16.1.23',
} as const;

const MAX_DEPTH = 32;
const MAX_ELEMENTS = 10_000;

interface Tlv {
  tag: number; // first identifier octet
  constructed: boolean;
  headerEnd: number; // offset of content
  /** Offset after the element; for indefinite lengths computed lazily by Walker.endOf. */
  end: number | undefined;
  indefinite: boolean;
}

class Walker {
  elements = 0;
  constructor(readonly buf: Buffer) {}

  read(off: number): Tlv {
    if (++this.elements > MAX_ELEMENTS) throw new SmimeError('malformed', 'CMS structure has too many elements');
    const b = this.buf;
    if (off + 2 > b.length) throw new SmimeError('malformed', 'truncated CMS structure');
    const tag = b[off]!;
    if ((tag & 0x1f) === 0x1f) throw new SmimeError('malformed', 'unexpected high tag number in CMS header');
    let p = off + 1;
    const l0 = b[p++]!;
    const constructed = (tag & 0x20) !== 0;
    if (l0 === 0x80) {
      if (!constructed) throw new SmimeError('malformed', 'indefinite length on a primitive element');
      return { tag, constructed, headerEnd: p, end: undefined, indefinite: true };
    }
    let len = l0;
    if (l0 > 0x80) {
      const n = l0 & 0x7f;
      if (n > 4 || p + n > b.length) throw new SmimeError('malformed', 'bad DER length');
      len = 0;
      for (let i = 0; i < n; i++) len = len * 256 + b[p++]!;
    }
    if (p + len > b.length) throw new SmimeError('malformed', 'truncated CMS structure (length beyond end)');
    return { tag, constructed, headerEnd: p, end: p + len, indefinite: false };
  }

  endOf(t: Tlv, depth = 0): number {
    if (t.end !== undefined) return t.end;
    if (depth > MAX_DEPTH) throw new SmimeError('malformed', 'CMS structure nested too deeply');
    let q = t.headerEnd;
    for (;;) {
      if (q + 2 > this.buf.length) throw new SmimeError('malformed', 'truncated indefinite-length element');
      if (this.buf[q] === 0 && this.buf[q + 1] === 0) return (t.end = q + 2);
      q = this.endOf(this.read(q), depth + 1);
    }
  }

  /** The first `max` children of a constructed element (EOC excluded); later ones are not walked. */
  children(t: Tlv, max = 16): Tlv[] {
    if (!t.constructed) throw new SmimeError('malformed', 'CMS structure: expected a constructed element');
    const out: Tlv[] = [];
    let q = t.headerEnd;
    while (out.length < max) {
      if (t.indefinite) {
        if (q + 2 > this.buf.length) throw new SmimeError('malformed', 'truncated indefinite-length element');
        if (this.buf[q] === 0 && this.buf[q + 1] === 0) break;
      } else if (q >= t.end!) break;
      const c = this.read(q);
      out.push(c);
      if (out.length < max) q = this.endOf(c);
    }
    return out;
  }

  oid(t: Tlv): string {
    if (t.tag !== 0x06) throw new SmimeError('malformed', 'expected an OBJECT IDENTIFIER');
    const bytes = this.buf.subarray(t.headerEnd, t.end);
    const parts: number[] = [];
    let v = 0;
    for (const x of bytes) {
      v = v * 128 + (x & 0x7f);
      if (!(x & 0x80)) {
        if (parts.length === 0) parts.push(v < 80 ? Math.floor(v / 40) : 2, v < 80 ? v % 40 : v - 80);
        else parts.push(v);
        v = 0;
      }
    }
    return parts.join('.');
  }
}

/** The contentType OID of a ContentInfo. */
export function cmsContentType(der: Buffer): string {
  const w = new Walker(der);
  const top = w.read(0);
  if (top.tag !== 0x30) throw new SmimeError('malformed', 'CMS ContentInfo is not a SEQUENCE');
  if (top.end !== undefined && top.headerEnd >= top.end) throw new SmimeError('malformed', 'empty CMS ContentInfo');
  return w.oid(w.read(top.headerEnd));
}

export interface EnvelopeInfo {
  contentType: 'enveloped-data' | 'authEnveloped-data';
  /** Content encryption, e.g. "aes-256-gcm" (OID when unknown). */
  cipher: string;
  /** Key encryption per RecipientInfo, e.g. "rsaEncryption", "rsaesOaep", "dhSinglePassStdDHsha256kdf". */
  keyEncryption: string[];
}

/** Algorithm summary of an EnvelopedData or AuthEnvelopedData (no decryption, no copying). */
export function envelopeInfo(der: Buffer): EnvelopeInfo {
  const w = new Walker(der);
  const top = w.read(0);
  const [ctOid, explicit] = w.children(top, 2);
  const ct = w.oid(need(ctOid, 'content type'));
  if (ct !== CMS_OID.envelopedData && ct !== CMS_OID.authEnvelopedData) {
    throw new SmimeError('invalid-input', 'not an EnvelopedData or AuthEnvelopedData');
  }
  const env = need(w.children(need(explicit, 'content'), 1)[0], 'EnvelopedData');
  // version, [0] originatorInfo OPTIONAL, recipientInfos SET, encryptedContentInfo SEQUENCE, ...
  // (read only as far as encryptedContentInfo: what follows it may be a 25 MB BER stream)
  const withOriginator = w.children(env, 2)[1]?.tag === 0xa0;
  const items = w.children(env, withOriginator ? 4 : 3);
  const ris = need(items[withOriginator ? 2 : 1], 'recipientInfos');
  const eci = need(items[withOriginator ? 3 : 2], 'encryptedContentInfo');
  const keyEncryption: string[] = [];
  for (const ri of w.children(ris, 64)) {
    const kids = ri.constructed ? w.children(ri) : [];
    if (ri.tag === 0x30) {
      // KeyTransRecipientInfo: version, rid, keyEncryptionAlgorithm, encryptedKey
      keyEncryption.push(algorithmName(w.oid(need(w.children(need(kids[2], 'keyEncryptionAlgorithm'))[0], 'algorithm'))));
    } else if (ri.tag === 0xa1) {
      // KeyAgreeRecipientInfo: version, [0] originator, [1] ukm OPTIONAL, keyEncryptionAlgorithm, ...
      const alg = kids.find((k, n) => n >= 2 && k.tag === 0x30);
      keyEncryption.push(alg ? algorithmName(w.oid(need(w.children(alg)[0], 'algorithm'))) : 'keyAgree');
    } else if (ri.tag === 0xa2) keyEncryption.push('kekri');
    else if (ri.tag === 0xa3) keyEncryption.push('pwri');
    else keyEncryption.push('unknown');
  }
  const algId = need(w.children(eci, 2)[1], 'contentEncryptionAlgorithm');
  const cipherOid = w.oid(need(w.children(algId)[0], 'algorithm'));
  return {
    contentType: ct === CMS_OID.envelopedData ? 'enveloped-data' : 'authEnveloped-data',
    cipher: RECEIVE_CIPHERS.get(cipherOid)?.name ?? algorithmName(cipherOid),
    keyEncryption,
  };
}

function need<T>(x: T | undefined, what: string): T {
  if (x === undefined) throw new SmimeError('malformed', `EnvelopedData: missing ${what}`);
  return x;
}
