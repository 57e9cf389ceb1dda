// Signature and digest algorithm identifiers: OIDs, how to encode them when we sign, and how to map a
// received AlgorithmIdentifier onto a node:crypto verify call. Pure; parses untrusted parameters.
// Shared by CMS signatures (src/smime/signed.ts) and certificate/CRL signatures (src/pki).

import { constants, sign as cryptoSign, verify as cryptoVerify, type KeyObject } from 'node:crypto';
import { AsnParser, AsnSerializer } from '@peculiar/asn1-schema';
import { AlgorithmIdentifier } from '@peculiar/asn1-x509';
import { RsaSaPssParams } from '@peculiar/asn1-rsa';
import { SmimeError } from './errors.js';
import { DER_NULL, derAlgId } from '../pki/cert-util.js';

export type DigestName = 'sha1' | 'sha224' | 'sha256' | 'sha384' | 'sha512';
/** Digests we produce signatures with (never SHA-1). */
export type SigningDigest = 'sha256' | 'sha384' | 'sha512';

export const DIGEST_OIDS: Record<DigestName, string> = {
  sha1: '1.3.14.3.2.26',
  sha224: '2.16.840.1.101.3.4.2.4',
  sha256: '2.16.840.1.101.3.4.2.1',
  sha384: '2.16.840.1.101.3.4.2.2',
  sha512: '2.16.840.1.101.3.4.2.3',
};
const DIGEST_BY_OID = new Map<string, DigestName>(Object.entries(DIGEST_OIDS).map(([k, v]) => [v, k as DigestName]));
export const DIGEST_LENGTH: Record<DigestName, number> = { sha1: 20, sha224: 28, sha256: 32, sha384: 48, sha512: 64 };

export const OID_MD5 = '1.2.840.113549.2.5';

export const SIG_OIDS = {
  rsaEncryption: '1.2.840.113549.1.1.1',
  md2WithRSA: '1.2.840.113549.1.1.2',
  md5WithRSA: '1.2.840.113549.1.1.4',
  sha1WithRSA: '1.2.840.113549.1.1.5',
  rsassaPss: '1.2.840.113549.1.1.10',
  mgf1: '1.2.840.113549.1.1.8',
  sha256WithRSA: '1.2.840.113549.1.1.11',
  sha384WithRSA: '1.2.840.113549.1.1.12',
  sha512WithRSA: '1.2.840.113549.1.1.13',
  sha224WithRSA: '1.2.840.113549.1.1.14',
  dsa: '1.2.840.10040.4.1',
  dsaWithSha1: '1.2.840.10040.4.3',
  dsaWithSha224: '2.16.840.1.101.3.4.3.1',
  dsaWithSha256: '2.16.840.1.101.3.4.3.2',
  ecPublicKey: '1.2.840.10045.2.1',
  ecdsaWithSha1: '1.2.840.10045.4.1',
  ecdsaWithSha224: '1.2.840.10045.4.3.1',
  ecdsaWithSha256: '1.2.840.10045.4.3.2',
  ecdsaWithSha384: '1.2.840.10045.4.3.3',
  ecdsaWithSha512: '1.2.840.10045.4.3.4',
  ed25519: '1.3.101.112',
} as const;

/** Signature schemes, each with the hash it signs with. */
export interface SigAlg {
  readonly kind: 'rsa-pkcs1' | 'rsa-pss' | 'dsa' | 'ecdsa';
  readonly hash: DigestName;
  /** RSASSA-PSS only. */
  readonly saltLength?: number;
}

const FIXED: Record<string, SigAlg> = {
  [SIG_OIDS.sha1WithRSA]: { kind: 'rsa-pkcs1', hash: 'sha1' },
  [SIG_OIDS.sha224WithRSA]: { kind: 'rsa-pkcs1', hash: 'sha224' },
  [SIG_OIDS.sha256WithRSA]: { kind: 'rsa-pkcs1', hash: 'sha256' },
  [SIG_OIDS.sha384WithRSA]: { kind: 'rsa-pkcs1', hash: 'sha384' },
  [SIG_OIDS.sha512WithRSA]: { kind: 'rsa-pkcs1', hash: 'sha512' },
  [SIG_OIDS.dsaWithSha1]: { kind: 'dsa', hash: 'sha1' },
  [SIG_OIDS.dsaWithSha224]: { kind: 'dsa', hash: 'sha224' },
  [SIG_OIDS.dsaWithSha256]: { kind: 'dsa', hash: 'sha256' },
  [SIG_OIDS.ecdsaWithSha1]: { kind: 'ecdsa', hash: 'sha1' },
  [SIG_OIDS.ecdsaWithSha224]: { kind: 'ecdsa', hash: 'sha224' },
  [SIG_OIDS.ecdsaWithSha256]: { kind: 'ecdsa', hash: 'sha256' },
  [SIG_OIDS.ecdsaWithSha384]: { kind: 'ecdsa', hash: 'sha384' },
  [SIG_OIDS.ecdsaWithSha512]: { kind: 'ecdsa', hash: 'sha512' },
};

export function digestFromOid(oid: string): DigestName | undefined {
  return DIGEST_BY_OID.get(oid);
}

function unsupported(msg: string): SmimeError {
  return new SmimeError('unsupported', msg);
}

function hashOfAlgId(alg: AlgorithmIdentifier | undefined, what: string): DigestName {
  if (!alg) return 'sha1'; // RSASSA-PSS-params DEFAULT sha1
  const d = digestFromOid(alg.algorithm);
  if (!d) throw unsupported(`unsupported ${what} hash algorithm ${alg.algorithm}`);
  return d;
}

/** Decode RSASSA-PSS-params (RFC 4055 §3.1). Only MGF1 with the same hash and trailer 1 are supported. */
export function parsePssParams(params: Buffer | undefined): SigAlg {
  if (!params || params.equals(DER_NULL)) {
    throw unsupported('RSASSA-PSS without parameters (SHA-1 defaults) is not supported');
  }
  let p: RsaSaPssParams;
  try {
    p = AsnParser.parse(params, RsaSaPssParams);
  } catch {
    throw new SmimeError('malformed', 'bad RSASSA-PSS parameters');
  }
  const hash = hashOfAlgId(p.hashAlgorithm, 'RSASSA-PSS');
  if (p.maskGenAlgorithm.algorithm !== SIG_OIDS.mgf1) throw unsupported(`unsupported PSS mask generation ${p.maskGenAlgorithm.algorithm}`);
  let mgfHash: DigestName = 'sha1';
  if (p.maskGenAlgorithm.parameters) {
    try {
      mgfHash = hashOfAlgId(AsnParser.parse(p.maskGenAlgorithm.parameters, AlgorithmIdentifier), 'MGF1');
    } catch (e) {
      if (e instanceof SmimeError) throw e;
      throw new SmimeError('malformed', 'bad MGF1 parameters');
    }
  }
  if (mgfHash !== hash) throw unsupported(`RSASSA-PSS with MGF1-${mgfHash} and ${hash} differ (not supported)`);
  if (p.trailerField !== 1) throw unsupported('RSASSA-PSS trailer field other than 1');
  if (!(p.saltLength >= 0 && p.saltLength <= 1024)) throw new SmimeError('malformed', 'bad RSASSA-PSS salt length');
  return { kind: 'rsa-pss', hash, saltLength: p.saltLength };
}

/**
 * Map a received signature AlgorithmIdentifier to a scheme. In CMS, RSA/DSA/EC key OIDs are used as
 * signature algorithms too, with the hash taken from the SignerInfo's digestAlgorithm (`digestHint`).
 */
export function resolveSigAlg(oid: string, params: Buffer | undefined, digestHint?: DigestName): SigAlg {
  const fixed = FIXED[oid];
  if (fixed) return fixed;
  if (oid === SIG_OIDS.rsassaPss) return parsePssParams(params);
  if (oid === SIG_OIDS.rsaEncryption || oid === SIG_OIDS.dsa || oid === SIG_OIDS.ecPublicKey) {
    if (!digestHint) throw unsupported(`signature algorithm ${oid} without a digest algorithm`);
    const kind = oid === SIG_OIDS.rsaEncryption ? 'rsa-pkcs1' : oid === SIG_OIDS.dsa ? 'dsa' : 'ecdsa';
    return { kind, hash: digestHint };
  }
  if (oid === SIG_OIDS.md5WithRSA || oid === SIG_OIDS.md2WithRSA) throw unsupported(`MD2/MD5 signatures (${oid}) are not accepted`);
  throw unsupported(`unsupported signature algorithm ${oid}`);
}

const KEY_TYPES: Record<SigAlg['kind'], string[]> = {
  'rsa-pkcs1': ['rsa'],
  'rsa-pss': ['rsa', 'rsa-pss'],
  dsa: ['dsa'],
  ecdsa: ['ec'],
};

/**
 * Verify `sig` over `data` with `key`. Returns false for a wrong signature; throws SmimeError
 * ('unsupported') when the key does not fit the algorithm.
 */
export function verifySignature(alg: SigAlg, data: Buffer, key: KeyObject, sig: Buffer): boolean {
  const kt = key.asymmetricKeyType ?? '';
  if (!KEY_TYPES[alg.kind].includes(kt)) throw unsupported(`a ${kt} key cannot check a ${alg.kind} signature`);
  try {
    if (alg.kind === 'rsa-pss') {
      return cryptoVerify(alg.hash, data, { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: alg.saltLength }, sig);
    }
    if (alg.kind === 'rsa-pkcs1') return cryptoVerify(alg.hash, data, { key, padding: constants.RSA_PKCS1_PADDING }, sig);
    return cryptoVerify(alg.hash, data, { key, dsaEncoding: 'der' }, sig);
  } catch {
    // OpenSSL errors on garbage signatures (bad DER in DSA/ECDSA values): that is a bad signature.
    return false;
  }
}

// ---------------------------------------------------------------------------------------------
// What we produce
// ---------------------------------------------------------------------------------------------

/** DigestAlgorithmIdentifier with parameters absent (RFC 5754 §2: SHOULD omit). */
export function digestAlgIdDer(d: DigestName): Buffer {
  return derAlgId(DIGEST_OIDS[d]);
}

/** RSASSA-PSS AlgorithmIdentifier: hash, MGF1 with the same hash, salt = hash length, trailer 1 (RFC 4055 §3.1). */
export function pssAlgIdDer(d: SigningDigest): Buffer {
  const hashAlg = new AlgorithmIdentifier({ algorithm: DIGEST_OIDS[d] });
  // RFC 4055 §2.1: the hash AlgorithmIdentifier inside PSS params carries NULL parameters for
  // interoperability ("implementations MUST accept both NULL and absent"); OpenSSL writes NULL.
  hashAlg.parameters = null;
  const params = new RsaSaPssParams({
    hashAlgorithm: hashAlg,
    maskGenAlgorithm: new AlgorithmIdentifier({
      algorithm: SIG_OIDS.mgf1,
      parameters: AsnSerializer.serialize(hashAlg),
    }),
    saltLength: DIGEST_LENGTH[d],
  });
  return derAlgId(SIG_OIDS.rsassaPss, Buffer.from(AsnSerializer.serialize(params)));
}

export interface SigningProfile {
  readonly alg: SigAlg;
  /** DER of the SignerInfo signatureAlgorithm. */
  readonly sigAlgIdDer: Buffer;
}

/** Choose the signature algorithm for a private key (RSA PKCS#1 v1.5 or PSS, ECDSA). */
export function signingProfile(key: KeyObject, digest: SigningDigest, rsaPss: boolean): SigningProfile {
  const kt = key.asymmetricKeyType;
  if (kt === 'rsa' || kt === 'rsa-pss') {
    if (rsaPss || kt === 'rsa-pss') {
      return { alg: { kind: 'rsa-pss', hash: digest, saltLength: DIGEST_LENGTH[digest] }, sigAlgIdDer: pssAlgIdDer(digest) };
    }
    const oid = { sha256: SIG_OIDS.sha256WithRSA, sha384: SIG_OIDS.sha384WithRSA, sha512: SIG_OIDS.sha512WithRSA }[digest];
    return { alg: { kind: 'rsa-pkcs1', hash: digest }, sigAlgIdDer: derAlgId(oid, DER_NULL) };
  }
  if (kt === 'ec') {
    if (rsaPss) throw new SmimeError('invalid-input', 'RSASSA-PSS requested with an EC key');
    const oid = { sha256: SIG_OIDS.ecdsaWithSha256, sha384: SIG_OIDS.ecdsaWithSha384, sha512: SIG_OIDS.ecdsaWithSha512 }[digest];
    // RFC 5758 §3.2: ecdsa-with-SHA* parameters MUST be absent.
    return { alg: { kind: 'ecdsa', hash: digest }, sigAlgIdDer: derAlgId(oid) };
  }
  throw new SmimeError('invalid-input', `signing with a ${kt ?? 'unknown'} key is not supported`);
}

/** One private-key operation over `data`. */
export function signWith(alg: SigAlg, data: Buffer, key: KeyObject): Buffer {
  if (alg.kind === 'rsa-pss') return cryptoSign(alg.hash, data, { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: alg.saltLength });
  if (alg.kind === 'rsa-pkcs1') return cryptoSign(alg.hash, data, { key, padding: constants.RSA_PKCS1_PADDING });
  return cryptoSign(alg.hash, data, { key, dsaEncoding: 'der' });
}
