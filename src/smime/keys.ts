// Loads certificates (PEM or DER) and private keys (PKCS#8 PEM/DER; PKCS#1/SEC1 PEM accepted) into
// the small typed form the CMS encryption code needs. Pure module, no I/O: callers read the files.
// Trust level: certificates here are recipients' certificates, not validated (path validation is
// src/pki's job); we only need their key and identifiers. Private keys become node:crypto KeyObjects
// and never leave them.

import { createHash, createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { AsnConvert } from '@peculiar/asn1-schema';
import { Certificate, Name, SubjectKeyIdentifier, id_ce_subjectKeyIdentifier } from '@peculiar/asn1-x509';
import { SmimeError } from './errors.js';
import { DEFAULT_DER_LIMITS, TAG_CLASS_CONTEXT, encodeLength, walkBer } from './der-limits.js';

export interface CertificateInfo {
  /** The certificate as DER. */
  der: Buffer;
  /** Issuer Name, parsed (for IssuerAndSerialNumber). */
  issuer: Name;
  /** Issuer Name exactly as encoded in the certificate. */
  issuerDer: Buffer;
  /** Serial number INTEGER content octets exactly as encoded. */
  serialNumber: Buffer;
  /** IssuerAndSerialNumber DER built from the certificate's own bytes (what senders copy). */
  issuerAndSerialDer: Buffer;
  /** subjectKeyIdentifier extension value, if present. */
  ski?: Buffer;
  publicKey: KeyObject;
  keyType: 'rsa' | 'ec';
  /** RSA modulus length in bits, or the EC curve's field size. */
  keyBits?: number;
  /** EC curve name as node reports it (e.g. 'prime256v1'). */
  namedCurve?: string;
}

/** Most certificates we keep parsed; encrypting to the same partner repeatedly should not re-parse. */
export const CERT_CACHE_ENTRIES = 256;
const certCache = new Map<string, CertificateInfo>();
const byObject = new WeakMap<Buffer, CertificateInfo>();

const PEM_RE = /-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END \1-----/;

/** Returns DER bytes of the first PEM block with one of `labels`, or the input when it is not PEM. */
export function pemToDer(input: Buffer | string, labels: string[]): Buffer {
  const text = typeof input === 'string' ? input : input.subarray(0, 11).toString('latin1');
  if (!text.startsWith('-----BEGIN')) {
    if (typeof input === 'string') throw new SmimeError('invalid-input', 'expected PEM text or DER bytes');
    return input;
  }
  const full = typeof input === 'string' ? input : input.toString('latin1');
  const m = PEM_RE.exec(full);
  if (!m || !labels.includes(m[1]!)) {
    throw new SmimeError('invalid-input', `expected PEM ${labels.join(' or ')}`);
  }
  return Buffer.from(m[2]!.replace(/\s+/g, ''), 'base64');
}

/** Parses a recipient certificate (PEM or DER). Throws SmimeError('invalid-input') when unusable. */
export function loadCertificate(input: Buffer | string): CertificateInfo {
  const der = pemToDer(input, ['CERTIFICATE', 'X509 CERTIFICATE']);
  // The same Buffer object again (a configured key or recipient passed on every message): a memcmp
  // against our private copy is much cheaper than hashing it for the cache key.
  const seen = byObject.get(der);
  if (seen && seen.der.equals(der)) return seen;
  const cacheKey = createHash('sha256').update(der).digest('hex');
  const cached = certCache.get(cacheKey);
  if (cached) {
    byObject.set(der, cached);
    return cached;
  }
  let info: CertificateInfo;
  try {
    const { root } = walkBer(der, DEFAULT_DER_LIMITS);
    // Raw issuer and serial bytes, taken from the certificate itself rather than re-serialised, so
    // they compare equal to what a sender copied into an IssuerAndSerialNumber.
    const tbsKids = root.children?.[0]?.children ?? [];
    const off = tbsKids[0]?.tagClass === TAG_CLASS_CONTEXT ? 1 : 0;
    const serialNode = tbsKids[off];
    const issuerNode = tbsKids[off + 2];
    if (!serialNode || !issuerNode) throw new SmimeError('invalid-input', 'certificate too short');
    const issuerRaw = der.subarray(issuerNode.start, issuerNode.end);
    const serialRaw = der.subarray(serialNode.contentStart, serialNode.contentEnd);
    const iasContent = Buffer.concat([issuerRaw, der.subarray(serialNode.start, serialNode.end)]);
    const issuerAndSerialDer = Buffer.concat([Buffer.from([0x30]), encodeLength(iasContent.length), iasContent]);
    const cert = AsnConvert.parse(der, Certificate);
    const tbs = cert.tbsCertificate;
    const spki = Buffer.from(AsnConvert.serialize(tbs.subjectPublicKeyInfo));
    const publicKey = createPublicKey({ key: spki, format: 'der', type: 'spki' });
    const kt = publicKey.asymmetricKeyType;
    if (kt !== 'rsa' && kt !== 'ec') {
      throw new SmimeError('unsupported', `certificate key type ${kt ?? 'unknown'} cannot receive encrypted mail`);
    }
    let ski: Buffer | undefined;
    for (const ext of tbs.extensions ?? []) {
      if (ext.extnID === id_ce_subjectKeyIdentifier) {
        ski = Buffer.from(AsnConvert.parse(ext.extnValue, SubjectKeyIdentifier).buffer);
      }
    }
    const details = publicKey.asymmetricKeyDetails ?? {};
    info = {
      der: Buffer.from(der),
      issuer: tbs.issuer,
      issuerDer: Buffer.from(issuerRaw),
      serialNumber: Buffer.from(serialRaw),
      issuerAndSerialDer,
      ski,
      publicKey,
      keyType: kt,
      keyBits: details.modulusLength,
      namedCurve: details.namedCurve,
    };
  } catch (e) {
    if (e instanceof SmimeError) throw e.code === 'malformed' ? new SmimeError('invalid-input', `certificate: ${e.message}`) : e;
    throw new SmimeError('invalid-input', 'certificate could not be parsed');
  }
  if (certCache.size >= CERT_CACHE_ENTRIES) certCache.delete(certCache.keys().next().value!);
  certCache.set(cacheKey, info);
  byObject.set(der, info);
  return info;
}

/** Loads a private key: PKCS#8 PEM or DER, or PKCS#1 / SEC1 PEM. */
export function loadPrivateKey(input: Buffer | string, passphrase?: string): KeyObject {
  try {
    const isPem =
      typeof input === 'string' || input.subarray(0, 11).toString('latin1') === '-----BEGIN ';
    if (isPem) return createPrivateKey({ key: input, format: 'pem', passphrase });
    return createPrivateKey({ key: input, format: 'der', type: 'pkcs8', passphrase });
  } catch {
    throw new SmimeError('invalid-input', 'private key could not be loaded (expected PKCS#8 PEM or DER)');
  }
}
