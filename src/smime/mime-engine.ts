// The CMS operations the MIME layer needs, as one small injectable interface, and the default
// binding to the engine in enveloped.ts (encryption) and signed.ts (signatures). Pure module.
// Trust level: holds no keys itself; callers pass KeyObjects through to the CMS code.
//
// Why an interface: the MIME layer only moves bytes between MIME and CMS; tests and the benchmark
// can swap the CMS implementation, and a change in the CMS modules' signatures touches this file only.

import type { KeyObject } from 'node:crypto';
import { createBerEncryptor, decryptEnveloped, encryptEnveloped, type EncryptOptions, type RecipientSpec } from './enveloped.js';
import { micalgFor, signCms, verifyCms } from './signed.js';

export type { EncryptOptions, RecipientSpec } from './enveloped.js';

export type SigningDigest = 'sha256' | 'sha384' | 'sha512';
export type SignatureType = 'originatorSig' | 'domainSig' | 'additionalAttributesSig' | 'reviewSig';

export interface DecryptKey {
  /** Our certificate, DER or PEM: selects our RecipientInfo. */
  certificate?: Buffer;
  privateKey: KeyObject;
}

export interface SignerSpec {
  certificate: Buffer;
  privateKey: KeyObject;
  /** Intermediate/CA certificates to include. */
  chain?: Buffer[];
}

export interface SignOptions {
  digest?: SigningDigest;
  rsaPss?: boolean;
  signatureTypes?: SignatureType[];
  /** SMIMECapabilities OIDs to announce; the CMS layer's default when absent. */
  capabilities?: string[];
  signingTime?: Date;
}

export interface VerifyOptions {
  trustAnchors: Buffer[];
  intermediates?: Buffer[];
  crls?: Buffer[];
  /** Validation time; now when absent. */
  at?: Date;
}

/** One SignerInfo's verification, as the CMS layer reports it. */
export interface SignerResult {
  valid: boolean;
  signatureValid: boolean;
  chainValid: boolean;
  subject: string;
  issuer: string;
  serialNumber: string;
  emailAddresses: string[];
  signatureTypes: string[];
  signingTime?: Date;
  capabilities?: string[];
  certificate?: Buffer;
  chain: Buffer[];
  failures: string[];
}

export interface CmsVerifyResult {
  valid: boolean;
  content?: Buffer;
  signers: SignerResult[];
}

export interface SmimeEngine {
  encrypt(content: Buffer, recipients: RecipientSpec[], opts?: EncryptOptions): Buffer;
  /** Optional streaming encryptor: BER ContentInfo emitted in chunks as content is fed in. */
  encryptStream?(recipients: RecipientSpec[], opts: EncryptOptions | undefined, emit: (chunk: Buffer) => void): { update(chunk: Buffer): void; final(): void };
  decrypt(der: Buffer, key: DecryptKey): Buffer;
  sign(content: Buffer, signer: SignerSpec, opts: SignOptions & { detached: boolean }): Buffer;
  verify(der: Buffer, opts: VerifyOptions & { detachedContent?: Buffer }): CmsVerifyResult;
  /** RFC 8551 §3.5.3.2 micalg value for a digest, e.g. "sha-256". */
  micalg(digest: SigningDigest): string;
}

export const defaultEngine: SmimeEngine = {
  encrypt: (content, recipients, opts) => encryptEnveloped(content, recipients, opts),
  encryptStream: (recipients, opts, emit) => createBerEncryptor(recipients, opts, emit),
  decrypt: (der, key) => decryptEnveloped(der, key),
  sign: (content, signer, opts) => signCms(content, signer, opts),
  verify: (der, opts) => verifyCms(der, opts) as CmsVerifyResult,
  micalg: (digest) => micalgFor(digest),
};
