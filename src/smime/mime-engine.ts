// The CMS operations the MIME layer needs, as one small injectable interface, and the default
// binding to the engine in enveloped.ts (encryption) and signed.ts (signatures). Pure module.
// Trust level: holds no keys itself; callers pass KeyObjects through to the CMS code.
//
// Why an interface: the MIME layer only moves bytes between MIME and CMS; tests and the benchmark
// can swap the CMS implementation.

import { createBerEncryptor, decryptEnveloped, encryptEnveloped, type DecryptionKey, type EncryptOptions, type RecipientSpec } from './enveloped.js';
import { micalgFor, signCms, verifyCms, type SignerSpec, type SignOptions, type SigningDigest, type VerifyOptions, type VerifyResult } from './signed.js';

// The vocabulary is the CMS modules' own; the MIME layer re-exports it rather than restating it.
export type { EncryptOptions, RecipientSpec } from './enveloped.js';
export type { SignatureType, SignerResult, SignerSpec, SignOptions, SigningDigest, VerifyOptions } from './signed.js';
export type DecryptKey = DecryptionKey;
export type CmsVerifyResult = VerifyResult;

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
  verify: (der, opts) => verifyCms(der, opts),
  micalg: (digest) => micalgFor(digest),
};
