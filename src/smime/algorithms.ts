// Algorithm identifiers and tables for CMS encryption: content ciphers, key transport, key
// agreement, key wrap, and the small parameter structures they carry. Pure module, no I/O, no keys.
// OIDs checked against RFC 3565 (AES-CBC, AES key wrap in CMS), RFC 5084 (AES-GCM), RFC 5083
// (AuthEnvelopedData), RFC 4055 / RFC 3560 (RSAES-OAEP), RFC 5753 (ECC in CMS), RFC 8551 §2.7.

import { AsnProp, AsnPropTypes, OctetString } from '@peculiar/asn1-schema';
import { AlgorithmIdentifier } from '@peculiar/asn1-x509';

export const OID = {
  // content types
  data: '1.2.840.113549.1.7.1',
  envelopedData: '1.2.840.113549.1.7.3',
  authEnvelopedData: '1.2.840.113549.1.9.16.1.23',
  // content encryption
  aes128cbc: '2.16.840.1.101.3.4.1.2',
  aes192cbc: '2.16.840.1.101.3.4.1.22',
  aes256cbc: '2.16.840.1.101.3.4.1.42',
  aes128gcm: '2.16.840.1.101.3.4.1.6',
  aes192gcm: '2.16.840.1.101.3.4.1.26',
  aes256gcm: '2.16.840.1.101.3.4.1.46',
  desEde3cbc: '1.2.840.113549.3.7',
  rc2cbc: '1.2.840.113549.3.2',
  desCbc: '1.3.14.3.2.7',
  // key wrap
  aes128wrap: '2.16.840.1.101.3.4.1.5',
  aes192wrap: '2.16.840.1.101.3.4.1.25',
  aes256wrap: '2.16.840.1.101.3.4.1.45',
  // key transport
  rsaEncryption: '1.2.840.113549.1.1.1',
  rsaesOaep: '1.2.840.113549.1.1.7',
  mgf1: '1.2.840.113549.1.1.8',
  pSpecified: '1.2.840.113549.1.1.9',
  // digests
  sha1: '1.3.14.3.2.26',
  sha224: '2.16.840.1.101.3.4.2.4',
  sha256: '2.16.840.1.101.3.4.2.1',
  sha384: '2.16.840.1.101.3.4.2.2',
  sha512: '2.16.840.1.101.3.4.2.3',
  // key agreement (RFC 5753 §7.1.4)
  ecPublicKey: '1.2.840.10045.2.1',
  secp256r1: '1.2.840.10045.3.1.7',
  dhSinglePassStdDHsha1kdf: '1.3.133.16.840.63.0.2',
  dhSinglePassStdDHsha224kdf: '1.3.132.1.11.0',
  dhSinglePassStdDHsha256kdf: '1.3.132.1.11.1',
  dhSinglePassStdDHsha384kdf: '1.3.132.1.11.2',
  dhSinglePassStdDHsha512kdf: '1.3.132.1.11.3',
  dhSinglePassCofactorDHsha1kdf: '1.3.133.16.840.63.0.3',
  dhSinglePassCofactorDHsha224kdf: '1.3.132.1.14.0',
  dhSinglePassCofactorDHsha256kdf: '1.3.132.1.14.1',
  dhSinglePassCofactorDHsha384kdf: '1.3.132.1.14.2',
  dhSinglePassCofactorDHsha512kdf: '1.3.132.1.14.3',
} as const;

export type ContentCipher = 'aes-128-cbc' | 'aes-192-cbc' | 'aes-256-cbc' | 'aes-128-gcm' | 'aes-256-gcm';
export type KeyTransport = 'rsa-pkcs1' | 'rsa-oaep' | 'rsa-oaep-sha256';

export interface CipherInfo {
  /** node:crypto cipher name */
  nodeName: string;
  oid: string;
  keyLength: number;
  /** IV (CBC) or nonce (GCM) length in bytes */
  ivLength: number;
  aead: boolean;
  /** AES key-wrap algorithm used for ECDH recipients with this content key size */
  wrapOid: string;
}

/** Ciphers we encrypt with (send side). */
export const SEND_CIPHERS: Record<ContentCipher, CipherInfo> = {
  'aes-128-cbc': { nodeName: 'aes-128-cbc', oid: OID.aes128cbc, keyLength: 16, ivLength: 16, aead: false, wrapOid: OID.aes128wrap },
  'aes-192-cbc': { nodeName: 'aes-192-cbc', oid: OID.aes192cbc, keyLength: 24, ivLength: 16, aead: false, wrapOid: OID.aes192wrap },
  'aes-256-cbc': { nodeName: 'aes-256-cbc', oid: OID.aes256cbc, keyLength: 32, ivLength: 16, aead: false, wrapOid: OID.aes256wrap },
  'aes-128-gcm': { nodeName: 'aes-128-gcm', oid: OID.aes128gcm, keyLength: 16, ivLength: 12, aead: true, wrapOid: OID.aes128wrap },
  'aes-256-gcm': { nodeName: 'aes-256-gcm', oid: OID.aes256gcm, keyLength: 32, ivLength: 12, aead: true, wrapOid: OID.aes256wrap },
};

/** Ciphers we decrypt (receive side), by OID. 3DES is receive-only (RFC 8551 §2.7 "SHOULD-"). */
export const RECEIVE_CIPHERS: ReadonlyMap<string, CipherInfo & { name: string }> = new Map(
  [
    ...Object.entries(SEND_CIPHERS).map(([name, c]) => ({ ...c, name })),
    { name: 'aes-192-gcm', nodeName: 'aes-192-gcm', oid: OID.aes192gcm, keyLength: 24, ivLength: 12, aead: true, wrapOid: OID.aes192wrap },
    { name: 'des-ede3-cbc', nodeName: 'des-ede3-cbc', oid: OID.desEde3cbc, keyLength: 24, ivLength: 8, aead: false, wrapOid: '' },
  ].map((c) => [c.oid, c]),
);

/** Names for algorithms we recognise but deliberately do not implement, for clear 'unsupported' errors. */
export const KNOWN_UNSUPPORTED: ReadonlyMap<string, string> = new Map([
  [OID.rc2cbc, 'RC2-CBC'],
  [OID.desCbc, 'DES-CBC'],
  ['1.2.840.113549.1.9.16.3.5', 'ESDH key agreement'],
  ['1.2.840.113549.1.9.16.3.6', 'CMS 3DES key wrap'],
  ['1.2.840.113549.1.9.16.3.7', 'CMS RC2 key wrap'],
  ['1.2.392.200011.61.1.1.1.2', 'Camellia-128-CBC'],
  ['1.2.392.200011.61.1.1.1.4', 'Camellia-256-CBC'],
]);

// Built once: algorithmName runs for every RecipientInfo of every received message (layer report).
const NAME_BY_OID: ReadonlyMap<string, string> = (() => {
  const m = new Map<string, string>();
  for (const [name, value] of Object.entries(OID)) if (!m.has(value)) m.set(value, name);
  return m;
})();

export function algorithmName(oid: string): string {
  return NAME_BY_OID.get(oid) ?? KNOWN_UNSUPPORTED.get(oid) ?? oid;
}

export const HASH_BY_OID: ReadonlyMap<string, { node: string; length: number }> = new Map([
  [OID.sha1, { node: 'sha1', length: 20 }],
  [OID.sha224, { node: 'sha224', length: 28 }],
  [OID.sha256, { node: 'sha256', length: 32 }],
  [OID.sha384, { node: 'sha384', length: 48 }],
  [OID.sha512, { node: 'sha512', length: 64 }],
]);

/** RFC 5753 key agreement schemes: OID → X9.63 KDF hash. Cofactor and standard DH coincide on P-256 (h = 1). */
export const ECDH_SCHEMES: ReadonlyMap<string, { hash: string; cofactor: boolean }> = new Map([
  [OID.dhSinglePassStdDHsha1kdf, { hash: 'sha1', cofactor: false }],
  [OID.dhSinglePassStdDHsha224kdf, { hash: 'sha224', cofactor: false }],
  [OID.dhSinglePassStdDHsha256kdf, { hash: 'sha256', cofactor: false }],
  [OID.dhSinglePassStdDHsha384kdf, { hash: 'sha384', cofactor: false }],
  [OID.dhSinglePassStdDHsha512kdf, { hash: 'sha512', cofactor: false }],
  [OID.dhSinglePassCofactorDHsha1kdf, { hash: 'sha1', cofactor: true }],
  [OID.dhSinglePassCofactorDHsha224kdf, { hash: 'sha224', cofactor: true }],
  [OID.dhSinglePassCofactorDHsha256kdf, { hash: 'sha256', cofactor: true }],
  [OID.dhSinglePassCofactorDHsha384kdf, { hash: 'sha384', cofactor: true }],
  [OID.dhSinglePassCofactorDHsha512kdf, { hash: 'sha512', cofactor: true }],
]);

export const WRAP_BY_OID: ReadonlyMap<string, { node: string; keyLength: number }> = new Map([
  [OID.aes128wrap, { node: 'id-aes128-wrap', keyLength: 16 }],
  [OID.aes192wrap, { node: 'id-aes192-wrap', keyLength: 24 }],
  [OID.aes256wrap, { node: 'id-aes256-wrap', keyLength: 32 }],
]);

/**
 * ```asn
 * GCMParameters ::= SEQUENCE {
 *   aes-nonce        OCTET STRING, -- recommended size is 12 octets
 *   aes-ICVlen       AES-GCM-ICVlen DEFAULT 12 }
 * ```
 * (RFC 5084 §3.2). We always send ICVlen 16 explicitly; on receive, absence means 12.
 */
export class GcmParameters {
  @AsnProp({ type: OctetString })
  nonce = new OctetString();

  @AsnProp({ type: AsnPropTypes.Integer, optional: true })
  icvLen?: number;

  constructor(params: Partial<GcmParameters> = {}) {
    Object.assign(this, params);
  }
}

/**
 * ```asn
 * ECC-CMS-SharedInfo ::= SEQUENCE {
 *   keyInfo         AlgorithmIdentifier,
 *   entityUInfo [0] EXPLICIT OCTET STRING OPTIONAL,
 *   suppPubInfo [2] EXPLICIT OCTET STRING }
 * ```
 * (RFC 5753 §7.2). keyInfo is the key-wrap algorithm; suppPubInfo is the wrap key length in bits,
 * as a 32-bit big-endian integer.
 */
export class EccCmsSharedInfo {
  @AsnProp({ type: AlgorithmIdentifier })
  keyInfo = new AlgorithmIdentifier();

  @AsnProp({ type: OctetString, context: 0, optional: true })
  entityUInfo?: OctetString;

  @AsnProp({ type: OctetString, context: 2 })
  suppPubInfo = new OctetString();

  constructor(params: Partial<EccCmsSharedInfo> = {}) {
    Object.assign(this, params);
  }
}

/** Send ciphers by OID, for reading a peer's SMIMECapabilities (RFC 8551 §2.7.1). */
export const CIPHER_BY_OID: ReadonlyMap<string, ContentCipher> = new Map(
  (Object.entries(SEND_CIPHERS) as [ContentCipher, CipherInfo][]).map(([name, c]) => [c.oid, name]),
);
