// Public facade of the S/MIME engine: everything other modules (pipeline, directory, CLI) may use.
// Pure modules only; no I/O happens behind these exports. Trust level: see each module's header.
export { SmimeError, type SmimeErrorCode } from './errors.js';
export {
  chooseAlgorithms,
  createBerEncryptor,
  decryptEnveloped,
  encryptEnveloped,
  encryptEnvelopedStream,
  listRecipients,
  type ContentCipher,
  type DecryptionKey,
  type EncryptOptions,
  type KeyTransport,
  type RecipientId,
  type RecipientSpec,
} from './enveloped.js';
export { createSigner, micalgFor, signCms, verifyCms, type Signer, type VerifyResult } from './signed.js';
export { loadCertificate, loadPrivateKey, pemToDer, type CertificateInfo } from './keys.js';
export {
  defaultEngine,
  type CmsVerifyResult,
  type DecryptKey,
  type SignOptions,
  type SignatureType,
  type SignerResult,
  type SignerSpec,
  type SigningDigest,
  type SmimeEngine,
  type VerifyOptions,
} from './mime-engine.js';
export {
  DEFAULT_OUTER_HEADERS,
  multipartSignedEntity,
  pkcs7MimeEntity,
  smimeDecryptMessage,
  smimeEncryptMessage,
  smimeKind,
  smimeProtectMessage,
  smimeSignMessage,
  smimeVerifyMessage,
  unwrapSmime,
  type DecryptedMessage,
  type EncryptedLayer,
  type HeaderProtection,
  type MessageEncryptOptions,
  type MessageSignOptions,
  type MimeEnv,
  type OuterHeaderOptions,
  type ProtectStep,
  type SignedLayer,
  type SmimeKind,
  type SmimeLayer,
  type UnwrapOptions,
  type UnwrapResult,
  type VerifiedMessage,
} from './mime.js';
export { DEFAULT_MIME_LIMITS, resolveMimeLimits, type MimeLimits } from './mime-entity.js';
