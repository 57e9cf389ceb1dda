// CMS encryption and decryption: EnvelopedData (RFC 5652 §6) with AES-CBC, AuthEnvelopedData
// (RFC 5083/5084) with AES-GCM; recipients by RSA key transport (PKCS#1 v1.5, RSAES-OAEP SHA-1 and
// SHA-256, RFC 3560/4055) and ECDH ephemeral-static key agreement with AES key wrap (RFC 5753,
// RFC 3394). Receive-only: 3DES-CBC. Pure core: bytes and KeyObjects in, bytes out; no I/O.
// Trust level: decrypt runs on untrusted network input with the domain's private key. Every input
// goes through the bounded walker in der-limits.ts first; every failure is a SmimeError; the
// RSA PKCS#1 v1.5 path uses implicit rejection (rsa-pkcs1-implicit.ts) so there is no padding oracle.
//
// The small structures (RecipientInfos, AlgorithmIdentifiers, OAEP/GCM/ECC parameters) are
// declared and serialised with @peculiar/asn1-schema; on the receive path the AlgorithmIdentifiers
// and the IV/GCM/OAEP parameters are read with the bounded walker instead (asn1js costs 10-20 µs per
// tiny structure, and they are read for every message). The outer ContentInfo/EnvelopedData TLVs
// are assembled and walked by hand because (a) the encrypted content is the bulk of every message
// and asn1-schema would copy it several times on the way in and out, and (b) peers send it as
// indefinite-length BER with segmented OCTET STRINGs, which we must read without a full BER→DER
// rewrite of megabytes of ciphertext.

import {
  constants,
  createCipheriv,
  createDecipheriv,
  createHash,
  diffieHellman,
  generateKeyPairSync,
  privateDecrypt,
  publicEncrypt,
  randomBytes,
  createPublicKey,
  type KeyObject,
} from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import {
  IssuerAndSerialNumber,
  KeyAgreeRecipientIdentifier,
  KeyAgreeRecipientInfo,
  OriginatorIdentifierOrKey,
  OriginatorPublicKey,
  RecipientEncryptedKey,
  RecipientEncryptedKeys,
  RecipientInfo,
  RecipientKeyIdentifier,
} from '@peculiar/asn1-cms';
import { AlgorithmIdentifier, Name, SubjectKeyIdentifier } from '@peculiar/asn1-x509';
import { RsaEsOaepParams } from '@peculiar/asn1-rsa';
import { SmimeError } from './errors.js';
import {
  CIPHER_BY_OID,
  ECDH_SCHEMES,
  EccCmsSharedInfo,
  HASH_BY_OID,
  KNOWN_UNSUPPORTED,
  OID,
  RECEIVE_CIPHERS,
  SEND_CIPHERS,
  WRAP_BY_OID,
  algorithmName,
  type CipherInfo,
  type ContentCipher,
  type KeyTransport,
} from './algorithms.js';
import { loadCertificate, type CertificateInfo } from './keys.js';
import {
  DEFAULT_DER_LIMITS,
  TAG_CLASS_CONTEXT,
  TAG_CLASS_UNIVERSAL,
  encodeLength,
  expectTag,
  readAlgorithmIdentifier,
  readOid,
  stringContent,
  toDefinite,
  walkBer,
  type AlgId,
  type BerNode,
  type DerLimits,
} from './der-limits.js';
import { rsaPkcs1v15DecryptImplicit, selectKeyOfLength } from './rsa-pkcs1-implicit.js';

export type { ContentCipher, KeyTransport } from './algorithms.js';

export interface RecipientSpec {
  /** Recipient certificate, DER (PEM accepted too). */
  certificate: Buffer;
  /** Key transport for an RSA recipient; defaults to EncryptOptions.keyTransport. */
  keyTransport?: KeyTransport;
  /** Identify the recipient by subjectKeyIdentifier instead of issuerAndSerialNumber. */
  useSki?: boolean;
}

export interface EncryptOptions {
  /** default 'aes-256-cbc' */
  cipher?: ContentCipher;
  /** default 'rsa-pkcs1' */
  keyTransport?: KeyTransport;
}

export interface DecryptionKey {
  /** Our certificate (DER or PEM); used to find our RecipientInfo. */
  certificate?: Buffer;
  privateKey: KeyObject;
}

export interface RecipientId {
  type: 'ktri' | 'kari' | 'kekri' | 'pwri' | 'ori';
  /** Issuer distinguished name, RFC 4514-style string, when identified by issuerAndSerialNumber. */
  issuer?: string;
  /** Issuer Name DER, when identified by issuerAndSerialNumber. */
  issuerDer?: Buffer;
  /** Serial number, lowercase hex of the INTEGER content octets. */
  serialNumber?: string;
  /** subjectKeyIdentifier, lowercase hex, when identified by SKI. */
  ski?: string;
  /** keyEncryptionAlgorithm OID */
  keyEncryptionAlgorithm: string;
  /** readable name of keyEncryptionAlgorithm */
  algorithm: string;
}

// Content keys, IVs and the substitute keys of recoverCek come from a pool of CSPRNG output filled
// by one randomBytes call per RANDOM_POOL_BYTES: a call per key cost as much as the rest of the key
// handling. Bytes handed out are zeroed in the pool, so each is used once.
const RANDOM_POOL_BYTES = 4096;
let randomPool = Buffer.alloc(0);
let randomPoolPos = 0;

function pooledRandomBytes(n: number): Buffer {
  if (n > RANDOM_POOL_BYTES) return randomBytes(n);
  if (randomPoolPos + n > randomPool.length) {
    randomPool = randomBytes(RANDOM_POOL_BYTES);
    randomPoolPos = 0;
  }
  const out = Buffer.from(randomPool.subarray(randomPoolPos, randomPoolPos + n));
  randomPool.fill(0, randomPoolPos, randomPoolPos + n);
  randomPoolPos += n;
  return out;
}

const DEFAULT_CIPHER: ContentCipher = 'aes-256-cbc';
const DEFAULT_KEY_TRANSPORT: KeyTransport = 'rsa-pkcs1';
/** Most RecipientInfos (and RecipientEncryptedKeys) we consider in one message. */
export const MAX_RECIPIENT_INFOS = 1000;
const AES_KW_IV = Buffer.from('a6a6a6a6a6a6a6a6', 'hex');
const DECRYPT_FAILED = 'decryption failed';

// ---------------------------------------------------------------------------------------------
// Small DER builder for the outer layers: parts are measured once and concatenated once.

type Part = Buffer | Tlv;
interface Tlv {
  tag: number;
  parts: Part[];
  len: number;
}
function tlv(tag: number, ...parts: Part[]): Tlv {
  let len = 0;
  for (const p of parts) len += Buffer.isBuffer(p) ? p.length : p.len + 1 + encodeLength(p.len).length;
  return { tag, parts, len };
}
function flatten(t: Tlv, out: Buffer[]): void {
  out.push(Buffer.from([t.tag]), encodeLength(t.len));
  for (const p of t.parts) {
    if (Buffer.isBuffer(p)) out.push(p);
    else flatten(p, out);
  }
}
function encodeTlv(t: Tlv): Buffer {
  const out: Buffer[] = [];
  flatten(t, out);
  return Buffer.concat(out);
}
const derInt = (n: number): Buffer => Buffer.from([0x02, 0x01, n]);
const oidCache = new Map<string, Buffer>();
/** DER of an OBJECT IDENTIFIER (encoded once by asn1-schema, then cached). */
function derOid(oid: string): Buffer {
  let b = oidCache.get(oid);
  if (!b) {
    const algId = ser(new AlgorithmIdentifier({ algorithm: oid }));
    b = algId.subarray(2); // strip the SEQUENCE header (short form: an OID alone is < 128 bytes)
    oidCache.set(oid, b);
  }
  return b;
}
function ser(v: unknown): Buffer {
  return Buffer.from(AsnConvert.serialize(v));
}
function ab(b: Uint8Array): ArrayBuffer {
  return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;
}

// ---------------------------------------------------------------------------------------------
// Encryption

interface PreparedContent {
  cipher: CipherInfo;
  cek: Buffer;
  iv: Buffer;
  /** DER of the contentEncryptionAlgorithm AlgorithmIdentifier */
  algId: Buffer;
}

function prepareContent(cipherName: ContentCipher): PreparedContent {
  const cipher = SEND_CIPHERS[cipherName];
  if (!cipher) throw new SmimeError('invalid-input', `unknown content cipher ${String(cipherName)}`);
  const cek = pooledRandomBytes(cipher.keyLength);
  const iv = pooledRandomBytes(cipher.ivLength);
  // Fixed-shape parameters, assembled directly: asn1-schema serialisation of these small values
  // cost more than the RSA public-key operation (measured ~30 µs each). Same bytes as serialising
  // GcmParameters { nonce, icvLen: 16 } / OCTET STRING iv; enveloped-encoding.test.ts checks that.
  const params = cipher.aead
    ? tlv(0x30, tlv(0x04, iv), derInt(16))
    : tlv(0x04, iv);
  const algId = encodeTlv(tlv(0x30, derOid(cipher.oid), params));
  return { cipher, cek, iv, algId };
}

function oaepAlgorithm(hash: 'sha1' | 'sha256'): AlgorithmIdentifier {
  if (hash === 'sha1') {
    // RFC 4055 §4.1 rSAES-OAEP-Default-Identifier: parameters present, every field at its DEFAULT,
    // which encodes as an empty SEQUENCE.
    return new AlgorithmIdentifier({ algorithm: OID.rsaesOaep, parameters: ab(Buffer.from([0x30, 0x00])) });
  }
  // RFC 4055 §2.1/§4.1: hash and MGF1 hash identifiers carry NULL parameters; pSourceFunc DEFAULT.
  const sha256 = new AlgorithmIdentifier({ algorithm: OID.sha256, parameters: null });
  const params = new RsaEsOaepParams({
    hashAlgorithm: sha256,
    maskGenAlgorithm: new AlgorithmIdentifier({ algorithm: OID.mgf1, parameters: AsnConvert.serialize(sha256) }),
  });
  let der = ser(params);
  // asn1-schema writes DEFAULT-valued fields; DER forbids that, so drop pSourceFunc [2] when it
  // equals pSpecifiedEmpty (it is always the default here: we never use a label).
  der = stripDefaultPSource(der);
  return new AlgorithmIdentifier({ algorithm: OID.rsaesOaep, parameters: ab(der) });
}

function stripDefaultPSource(der: Buffer): Buffer {
  const tree = walkBer(der);
  const kids = tree.root.children ?? [];
  const keep = kids.filter((k) => !(k.tagClass === TAG_CLASS_CONTEXT && k.tagNumber === 2));
  if (keep.length === kids.length) return der;
  return encodeTlv(tlv(0x30, ...keep.map((k) => der.subarray(k.start, k.end))));
}

// DER of each key-transport AlgorithmIdentifier, serialised once by asn1-schema.
let KT_ALG_DER: Record<KeyTransport, Buffer> | undefined;
function ktAlgDer(t: KeyTransport): Buffer {
  KT_ALG_DER ??= {
    'rsa-pkcs1': ser(new AlgorithmIdentifier({ algorithm: OID.rsaEncryption, parameters: null })),
    'rsa-oaep': ser(oaepAlgorithm('sha1')),
    'rsa-oaep-sha256': ser(oaepAlgorithm('sha256')),
  };
  const d = KT_ALG_DER[t];
  if (!d) throw new SmimeError('invalid-input', `unknown key transport ${String(t)}`);
  return d;
}

/**
 * KeyTransRecipientInfo ::= SEQUENCE { version, rid, keyEncryptionAlgorithm, encryptedKey }.
 * Assembled from cached DER parts (rid from the certificate's own bytes, algorithm serialised once)
 * because per-message asn1-schema serialisation of the Name cost ~100 µs, twice the RSA operation.
 */
function ktriFor(info: CertificateInfo, spec: RecipientSpec, transport: KeyTransport, cek: Buffer): Buffer {
  const alg = ktAlgDer(transport);
  let encryptedKey: Buffer;
  try {
    encryptedKey = transport === 'rsa-pkcs1'
      ? publicEncrypt({ key: info.publicKey, padding: constants.RSA_PKCS1_PADDING }, cek)
      : publicEncrypt({ key: info.publicKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: transport === 'rsa-oaep' ? 'sha1' : 'sha256' }, cek);
  } catch {
    throw new SmimeError('invalid-input', 'RSA key transport failed for a recipient certificate');
  }
  const rid = spec.useSki ? encodeTlv(tlv(0x80, requireSki(info))) : info.issuerAndSerialDer;
  return encodeTlv(tlv(0x30, derInt(spec.useSki ? 2 : 0), rid, alg, tlv(0x04, encryptedKey)));
}

function requireSki(info: CertificateInfo): Buffer {
  if (!info.ski) throw new SmimeError('invalid-input', 'useSki requested but the certificate has no subjectKeyIdentifier');
  return info.ski;
}

const CURVE_KDF: Record<string, { scheme: string; hash: string }> = {
  prime256v1: { scheme: OID.dhSinglePassStdDHsha256kdf, hash: 'sha256' },
  secp384r1: { scheme: OID.dhSinglePassStdDHsha384kdf, hash: 'sha384' },
  secp521r1: { scheme: OID.dhSinglePassStdDHsha512kdf, hash: 'sha512' },
};

/** ANSI X9.63 KDF (RFC 5753 §7.2 / SEC 1 §3.6.1): H(Z || counter32 || SharedInfo), counter from 1. */
export function x963Kdf(hash: string, z: Buffer, sharedInfo: Buffer, length: number): Buffer {
  const out: Buffer[] = [];
  let have = 0;
  for (let counter = 1; have < length; counter++) {
    const c = Buffer.alloc(4);
    c.writeUInt32BE(counter);
    const block = createHash(hash).update(z).update(c).update(sharedInfo).digest();
    out.push(block);
    have += block.length;
  }
  return Buffer.concat(out).subarray(0, length);
}

function eccSharedInfo(wrapOid: string, kekBytes: number, ukm?: Buffer): Buffer {
  const supp = Buffer.alloc(4);
  supp.writeUInt32BE(kekBytes * 8);
  return ser(
    new EccCmsSharedInfo({
      keyInfo: new AlgorithmIdentifier({ algorithm: wrapOid }),
      entityUInfo: ukm ? new OctetString(ukm) : undefined,
      suppPubInfo: new OctetString(supp),
    }),
  );
}

function ecPoint(pub: KeyObject): Buffer {
  const jwk = pub.export({ format: 'jwk' });
  return Buffer.concat([Buffer.from([4]), Buffer.from(jwk.x!, 'base64url'), Buffer.from(jwk.y!, 'base64url')]);
}

function kariFor(info: CertificateInfo, spec: RecipientSpec, content: PreparedContent): Buffer {
  const curve = info.namedCurve ?? '';
  const kdf = CURVE_KDF[curve];
  if (!kdf) throw new SmimeError('unsupported', `EC recipient on curve ${curve || 'unknown'} is not supported`);
  const wrap = WRAP_BY_OID.get(content.cipher.wrapOid)!;
  const eph = generateKeyPairSync('ec', { namedCurve: curve });
  const z = diffieHellman({ privateKey: eph.privateKey, publicKey: info.publicKey });
  const kek = x963Kdf(kdf.hash, z, eccSharedInfo(content.cipher.wrapOid, wrap.keyLength), wrap.keyLength);
  z.fill(0);
  const w = createCipheriv(wrap.node, kek, AES_KW_IV);
  const encryptedKey = Buffer.concat([w.update(content.cek), w.final()]);
  kek.fill(0);
  const rid = spec.useSki
    ? new KeyAgreeRecipientIdentifier({
        rKeyId: new RecipientKeyIdentifier({ subjectKeyIdentifier: new SubjectKeyIdentifier(ab(requireSki(info))) }),
      })
    : new KeyAgreeRecipientIdentifier({
        issuerAndSerialNumber: new IssuerAndSerialNumber({ issuer: info.issuer, serialNumber: ab(info.serialNumber) }),
      });
  return ser(new RecipientInfo({
    kari: new KeyAgreeRecipientInfo({
      version: 3,
      originator: new OriginatorIdentifierOrKey({
        originatorKey: new OriginatorPublicKey({
          // RFC 5753 §3.1.1: id-ecPublicKey, parameters absent (the recipient's curve applies).
          algorithm: new AlgorithmIdentifier({ algorithm: OID.ecPublicKey }),
          publicKey: ab(ecPoint(eph.publicKey)),
        }),
      }),
      keyEncryptionAlgorithm: new AlgorithmIdentifier({
        algorithm: kdf.scheme,
        parameters: AsnConvert.serialize(new AlgorithmIdentifier({ algorithm: content.cipher.wrapOid })),
      }),
      recipientEncryptedKeys: new RecipientEncryptedKeys([
        new RecipientEncryptedKey({ rid, encryptedKey: new OctetString(encryptedKey) }),
      ]),
    }),
  }));
}

interface Envelope {
  contentType: string;
  recipientInfos: Buffer;
  version: number;
  content: PreparedContent;
}

function buildEnvelope(recipients: RecipientSpec[], opts: EncryptOptions | undefined): Envelope {
  if (!Array.isArray(recipients) || recipients.length === 0) {
    throw new SmimeError('invalid-input', 'at least one recipient is required');
  }
  if (recipients.length > MAX_RECIPIENT_INFOS) {
    throw new SmimeError('invalid-input', `more than ${MAX_RECIPIENT_INFOS} recipients`);
  }
  const content = prepareContent(opts?.cipher ?? DEFAULT_CIPHER);
  const infos: Buffer[] = [];
  let allV0 = true;
  for (const spec of recipients) {
    const info = loadCertificate(spec.certificate);
    if (info.keyType === 'rsa') {
      const ri = ktriFor(info, spec, spec.keyTransport ?? opts?.keyTransport ?? DEFAULT_KEY_TRANSPORT, content.cek);
      if (spec.useSki) allV0 = false;
      infos.push(ri);
    } else {
      infos.push(kariFor(info, spec, content));
      allV0 = false;
    }
  }
  const aead = content.cipher.aead;
  return {
    contentType: aead ? OID.authEnvelopedData : OID.envelopedData,
    recipientInfos: encodeTlv(tlv(0x31, ...infos)),
    // RFC 5652 §6.1: 0 when there is no originatorInfo/unprotectedAttrs and every RecipientInfo is
    // version 0, else 2. RFC 5083 §2.1: AuthEnvelopedData version is always 0.
    version: aead ? 0 : allV0 ? 0 : 2,
    content,
  };
}

/**
 * Encrypts `content` (the MIME entity to protect) for `recipients` and returns a DER ContentInfo:
 * EnvelopedData for AES-CBC, AuthEnvelopedData for AES-GCM.
 */
export function encryptEnveloped(content: Buffer, recipients: RecipientSpec[], opts?: EncryptOptions): Buffer {
  if (!Buffer.isBuffer(content)) throw new SmimeError('invalid-input', 'content must be a Buffer');
  const env = buildEnvelope(recipients, opts);
  const { cipher, cek, iv, algId } = env.content;
  // The ciphertext stays as the cipher's two output pieces: encodeTlv copies everything once anyway.
  let ct: Buffer[];
  let tag: Buffer | undefined;
  if (cipher.aead) {
    const c = createCipheriv(cipher.nodeName as 'aes-256-gcm', cek, iv, { authTagLength: 16 });
    ct = [c.update(content), c.final()];
    tag = c.getAuthTag();
  } else {
    const c = createCipheriv(cipher.nodeName, cek, iv);
    ct = [c.update(content), c.final()];
  }
  cek.fill(0);
  const eci = tlv(0x30, derOid(OID.data), algId, tlv(0x80, ...ct));
  const inner = tag
    ? tlv(0x30, derInt(env.version), env.recipientInfos, eci, tlv(0x04, tag))
    : tlv(0x30, derInt(env.version), env.recipientInfos, eci);
  return encodeTlv(tlv(0x30, derOid(env.contentType), tlv(0xa0, inner)));
}

/** Bytes of ciphertext per OCTET STRING segment in the streaming encoder. */
export const STREAM_SEGMENT_BYTES = 64 * 1024;

/** Incremental BER encoder: feed content with update(), finish with final(); output goes to `emit`. */
export interface BerEncryptor {
  update(chunk: Buffer): void;
  final(): void;
}

/**
 * Core of the streaming encoder, synchronous and I/O-free: emits a BER ContentInfo with indefinite
 * lengths and the encrypted content as a constructed [0] of OCTET STRING segments (each at most
 * STREAM_SEGMENT_BYTES plus one cipher block), the form OpenSSL `cms -stream` produces.
 */
export function createBerEncryptor(recipients: RecipientSpec[], opts: EncryptOptions | undefined, emit: (b: Buffer) => void): BerEncryptor {
  const env = buildEnvelope(recipients, opts);
  const { cipher, cek, iv, algId } = env.content;
  const c = cipher.aead
    ? createCipheriv(cipher.nodeName as 'aes-256-gcm', cek, iv, { authTagLength: 16 })
    : createCipheriv(cipher.nodeName, cek, iv);
  cek.fill(0);
  emit(Buffer.concat([
    Buffer.from([0x30, 0x80]),
    derOid(env.contentType),
    Buffer.from([0xa0, 0x80, 0x30, 0x80]),
    derInt(env.version),
    env.recipientInfos,
    Buffer.from([0x30, 0x80]),
    derOid(OID.data),
    algId,
    Buffer.from([0xa0, 0x80]), // [0] IMPLICIT OCTET STRING, constructed form
  ]));
  let pending: Buffer[] = [];
  let pendingLen = 0;
  let done = false;
  const flushSegment = () => {
    if (pendingLen === 0) return;
    const b = pending.length === 1 ? pending[0]! : Buffer.concat(pending);
    emit(Buffer.concat([Buffer.from([0x04]), encodeLength(b.length)]));
    emit(b);
    pending = [];
    pendingLen = 0;
  };
  return {
    update(chunk: Buffer) {
      if (done) throw new SmimeError('invalid-input', 'update after final');
      const out = c.update(chunk);
      if (out.length) {
        pending.push(out);
        pendingLen += out.length;
      }
      if (pendingLen >= STREAM_SEGMENT_BYTES) flushSegment();
    },
    final() {
      if (done) return;
      done = true;
      const last = c.final();
      if (last.length) {
        pending.push(last);
        pendingLen += last.length;
      }
      flushSegment();
      // end of encryptedContent [0], end of EncryptedContentInfo
      emit(Buffer.alloc(4));
      if (cipher.aead) emit(Buffer.concat([Buffer.from([0x04, 0x10]), (c as unknown as { getAuthTag(): Buffer }).getAuthTag()]));
      // end of (Auth)EnvelopedData, of content [0], of ContentInfo
      emit(Buffer.alloc(6));
    },
  };
}

/**
 * Streaming variant of encryptEnveloped: write the content in, read a BER (indefinite-length)
 * ContentInfo out. Memory held: about one segment (STREAM_SEGMENT_BYTES) plus stream buffers.
 */
export function encryptEnvelopedStream(recipients: RecipientSpec[], opts?: EncryptOptions): Transform {
  const t = new Transform({
    transform(chunk: Buffer, _enc, cb: TransformCallback) {
      try {
        enc.update(chunk);
        cb();
      } catch (e) {
        cb(e as Error);
      }
    },
    flush(cb: TransformCallback) {
      try {
        enc.final();
        cb();
      } catch (e) {
        cb(e as Error);
      }
    },
  });
  // Built eagerly so that a bad recipient certificate throws here, not on the first write.
  const enc = createBerEncryptor(recipients, opts, (b) => t.push(b));
  return t;
}

/**
 * Picks algorithms for a peer. `capabilities` are the SMIMECapabilities OIDs the peer advertised,
 * in its preference order; RFC 8551 §2.7.1: use the first one both sides support. No capabilities
 * known → the conservative profile every mainstream client decrypts (AES-256-CBC, RSA PKCS#1 v1.5).
 * `override` (per-domain configuration) wins over both.
 */
export function chooseAlgorithms(capabilities: string[] | undefined, override?: Partial<EncryptOptions>): EncryptOptions {
  let cipher: ContentCipher = DEFAULT_CIPHER;
  let keyTransport: KeyTransport = DEFAULT_KEY_TRANSPORT;
  if (capabilities && capabilities.length > 0) {
    for (const oid of capabilities) {
      const c = CIPHER_BY_OID.get(oid);
      if (c) {
        cipher = c;
        break;
      }
    }
    // A bare OID can only announce RSAES-OAEP with its default (SHA-1) parameters.
    if (capabilities.includes(OID.rsaesOaep)) keyTransport = 'rsa-oaep';
  }
  const out: EncryptOptions = { cipher, keyTransport };
  if (override?.cipher) out.cipher = override.cipher;
  if (override?.keyTransport) out.keyTransport = override.keyTransport;
  return out;
}

// ---------------------------------------------------------------------------------------------
// Decryption

interface ParsedEnvelope {
  der: Buffer;
  authenticated: boolean;
  /** RecipientInfo elements, still raw: only the one we use is parsed further. */
  recipientInfos: BerNode[];
  contentAlg: AlgId;
  encryptedContent: Buffer;
  mac?: Buffer;
  aad?: Buffer;
}

function parseAsn<T>(bytes: Buffer, type: new () => T, what: string): T {
  try {
    return AsnConvert.parse(bytes, type);
  } catch {
    throw new SmimeError('malformed', `${what} is not well-formed`);
  }
}

function parseEnvelope(der: Buffer, limits: DerLimits): ParsedEnvelope {
  if (!Buffer.isBuffer(der)) throw new SmimeError('invalid-input', 'input must be a Buffer');
  const { root } = walkBer(der, limits);
  const kids = expectTag(root, TAG_CLASS_UNIVERSAL, 16, 'ContentInfo SEQUENCE').children ?? [];
  if (kids.length !== 2) throw new SmimeError('malformed', 'ContentInfo must have contentType and content');
  const contentType = readOid(der, kids[0]!);
  if (contentType !== OID.envelopedData && contentType !== OID.authEnvelopedData) {
    throw new SmimeError('unsupported', `content type ${algorithmName(contentType)} is not an encrypted message`);
  }
  const authenticated = contentType === OID.authEnvelopedData;
  const wrapper = expectTag(kids[1], TAG_CLASS_CONTEXT, 0, 'content [0]');
  if (!wrapper.constructed || wrapper.children?.length !== 1) throw new SmimeError('malformed', 'content [0] must hold one element');
  const body = expectTag(wrapper.children[0], TAG_CLASS_UNIVERSAL, 16, 'EnvelopedData SEQUENCE').children ?? [];
  let i = 0;
  expectTag(body[i++], TAG_CLASS_UNIVERSAL, 2, 'version INTEGER');
  if (body[i]?.tagClass === TAG_CLASS_CONTEXT && body[i]?.tagNumber === 0) i++; // originatorInfo: not needed
  const riNode = expectTag(body[i++], TAG_CLASS_UNIVERSAL, 17, 'RecipientInfos SET');
  if ((riNode.children?.length ?? 0) === 0) throw new SmimeError('malformed', 'no RecipientInfos');
  if (riNode.children!.length > MAX_RECIPIENT_INFOS) throw new SmimeError('malformed', 'too many RecipientInfos');
  const recipientInfos = riNode.children!;
  const eciNode = expectTag(body[i++], TAG_CLASS_UNIVERSAL, 16, 'EncryptedContentInfo SEQUENCE');
  const eci = eciNode.children ?? [];
  readOid(der, eci[0] ?? malformedNode('EncryptedContentInfo contentType'));
  const algNode = expectTag(eci[1], TAG_CLASS_UNIVERSAL, 16, 'contentEncryptionAlgorithm');
  const contentAlg = readAlgorithmIdentifier(der, algNode, 'contentEncryptionAlgorithm');
  const ecNode = eci[2];
  if (!ecNode) throw new SmimeError('unsupported', 'detached encrypted content is not supported');
  expectTag(ecNode, TAG_CLASS_CONTEXT, 0, 'encryptedContent [0]');
  if (eci.length > 3) throw new SmimeError('malformed', 'unexpected fields in EncryptedContentInfo');
  const encryptedContent = stringContent(der, ecNode);
  let mac: Buffer | undefined;
  let aad: Buffer | undefined;
  if (authenticated) {
    let n = body[i++];
    if (n?.tagClass === TAG_CLASS_CONTEXT && n.tagNumber === 1) {
      // RFC 5083: the AAD is the DER of authAttrs with the SET OF tag instead of [1] IMPLICIT.
      const enc = toDefinite(der, n);
      aad = Buffer.concat([Buffer.from([0x31]), enc.subarray(1)]);
      n = body[i++];
    }
    const macNode = expectTag(n, TAG_CLASS_UNIVERSAL, 4, 'mac OCTET STRING');
    mac = stringContent(der, macNode);
    const rest = body[i];
    if (rest && !(rest.tagClass === TAG_CLASS_CONTEXT && rest.tagNumber === 2)) {
      throw new SmimeError('malformed', 'unexpected fields after mac');
    }
  } else {
    const rest = body[i];
    if (rest && !(rest.tagClass === TAG_CLASS_CONTEXT && rest.tagNumber === 1)) {
      throw new SmimeError('malformed', 'unexpected fields after EncryptedContentInfo');
    }
  }
  return { der, authenticated, recipientInfos, contentAlg, encryptedContent, mac, aad };
}

function malformedNode(what: string): never {
  throw new SmimeError('malformed', `missing ${what}`);
}

function parseRecipientInfo(der: Buffer, node: BerNode): RecipientInfo {
  const bytes = toDefinite(der, node);
  // RecipientInfo is a CHOICE; kekri/pwri/ori are recognised by tag only (we hold no such keys).
  if (node.tagClass === TAG_CLASS_CONTEXT && node.tagNumber >= 2) {
    const ri = new RecipientInfo();
    (ri as { kekri?: unknown }).kekri = node.tagNumber === 2 ? {} : undefined;
    (ri as { pwri?: unknown }).pwri = node.tagNumber === 3 ? {} : undefined;
    (ri as { ori?: unknown }).ori = node.tagNumber === 4 ? {} : undefined;
    return ri;
  }
  const ri = parseAsn(bytes, RecipientInfo, 'RecipientInfo');
  if (ri.kari && ri.kari.recipientEncryptedKeys.length > MAX_RECIPIENT_INFOS) {
    throw new SmimeError('malformed', 'too many RecipientEncryptedKeys');
  }
  if (!ri.ktri && !ri.kari) throw new SmimeError('malformed', 'RecipientInfo of unknown form');
  return ri;
}

interface ContentCipherParams {
  info: CipherInfo & { name: string };
  iv: Buffer;
  tagLength: number;
}

function contentCipherParams(alg: AlgId, authenticated: boolean): ContentCipherParams {
  const info = RECEIVE_CIPHERS.get(alg.algorithm);
  if (!info) {
    const known = KNOWN_UNSUPPORTED.get(alg.algorithm);
    throw new SmimeError(
      'unsupported',
      known ? `content encryption ${known} (${alg.algorithm}) is not supported` : `content encryption algorithm ${alg.algorithm} is not supported`,
    );
  }
  if (info.aead !== authenticated) {
    throw new SmimeError(
      'unsupported',
      authenticated
        ? `${info.name} in AuthEnvelopedData is not supported (RFC 5083 needs an AEAD cipher)`
        : `${info.name} in EnvelopedData is non-standard (RFC 5084 requires AuthEnvelopedData)`,
    );
  }
  if (!alg.parameters) throw new SmimeError('malformed', 'content encryption parameters missing');
  // Read with the walker, not asn1-schema: these run once per received message (see
  // readAlgorithmIdentifier). `parameters` is already in definite form.
  const params = alg.parameters;
  const { root } = walkBer(params);
  if (info.aead) {
    // GCMParameters ::= SEQUENCE { aes-nonce OCTET STRING, aes-ICVlen INTEGER DEFAULT 12 } (RFC 5084 §3.2)
    if (root.tagClass !== TAG_CLASS_UNIVERSAL || root.tagNumber !== 16 || !root.constructed) {
      throw new SmimeError('malformed', 'GCMParameters is not well-formed');
    }
    const [nonceNode, icvNode, ...extra] = root.children ?? [];
    if (!nonceNode || extra.length > 0) throw new SmimeError('malformed', 'GCMParameters is not well-formed');
    expectTag(nonceNode, TAG_CLASS_UNIVERSAL, 4, 'GCM nonce OCTET STRING');
    const iv = Buffer.from(stringContent(params, nonceNode));
    const tagLength = icvNode ? smallNonNegativeInt(params, icvNode, 'GCM ICV length') : 12;
    if (iv.length < 1 || iv.length > 64) throw new SmimeError('malformed', 'GCM nonce length out of range');
    if (tagLength < 12 || tagLength > 16) throw new SmimeError('malformed', 'GCM ICV length out of range');
    return { info, iv, tagLength };
  }
  expectTag(root, TAG_CLASS_UNIVERSAL, 4, 'IV OCTET STRING');
  const iv = Buffer.from(stringContent(params, root));
  if (iv.length !== info.ivLength) throw new SmimeError('malformed', `${info.name} IV must be ${info.ivLength} bytes`);
  return { info, iv, tagLength: 0 };
}

/** A primitive INTEGER of at most 4 content octets; negative values and longer ones are malformed. */
function smallNonNegativeInt(buf: Buffer, node: BerNode, what: string): number {
  expectTag(node, TAG_CLASS_UNIVERSAL, 2, `${what} INTEGER`);
  const len = node.contentEnd - node.contentStart;
  if (node.constructed || len < 1 || len > 4 || (buf[node.contentStart]! & 0x80) !== 0) {
    throw new SmimeError('malformed', `${what} out of range`);
  }
  let v = 0;
  for (let i = node.contentStart; i < node.contentEnd; i++) v = v * 256 + buf[i]!;
  return v;
}

/** One way to obtain a content-encryption key: a ktri, or one RecipientEncryptedKey of a kari. */
interface Candidate {
  kind: 'ktri' | 'kari';
  /** the RecipientInfo element */
  node: BerNode;
  /** ktri: keyEncryptionAlgorithm element */
  algNode?: BerNode;
  encryptedKey: Buffer;
}

function kids(node: BerNode | undefined, what: string): BerNode[] {
  if (!node || !node.constructed) throw new SmimeError('malformed', `${what} is not well-formed`);
  return node.children ?? [];
}

/**
 * Does a recipient identifier element name `cert`? Compared on the bytes: an IssuerAndSerialNumber
 * against the one built from the certificate's own issuer/serial octets, a SKI against its value.
 * `skiInside`: the SKI is the first field of a constructed RecipientKeyIdentifier (kari rKeyId).
 */
function ridMatches(der: Buffer, rid: BerNode, cert: CertificateInfo | undefined, skiInside: boolean): boolean {
  if (!cert) return false;
  if (rid.tagClass === TAG_CLASS_UNIVERSAL && rid.tagNumber === 16) {
    return toDefinite(der, rid).equals(cert.issuerAndSerialDer);
  }
  if (rid.tagClass === TAG_CLASS_CONTEXT && rid.tagNumber === 0 && cert.ski) {
    const skiNode = skiInside ? expectTag(kids(rid, 'rKeyId')[0], TAG_CLASS_UNIVERSAL, 4, 'subjectKeyIdentifier') : rid;
    return stringContent(der, skiNode).equals(cert.ski);
  }
  return false;
}

function selectCandidates(env: ParsedEnvelope, key: DecryptionKey): Candidate[] {
  const der = env.der;
  const cert = key.certificate ? loadCertificate(key.certificate) : undefined;
  const keyType = key.privateKey.asymmetricKeyType;
  const all: Candidate[] = [];
  const matched: Candidate[] = [];
  for (const node of env.recipientInfos) {
    if (node.tagClass === TAG_CLASS_UNIVERSAL && node.tagNumber === 16) {
      // KeyTransRecipientInfo ::= SEQUENCE { version, rid, keyEncryptionAlgorithm, encryptedKey }
      const [ver, rid, algNode, ekNode] = kids(node, 'KeyTransRecipientInfo');
      expectTag(ver, TAG_CLASS_UNIVERSAL, 2, 'ktri version');
      if (!rid) throw new SmimeError('malformed', 'ktri without rid');
      expectTag(algNode, TAG_CLASS_UNIVERSAL, 16, 'keyEncryptionAlgorithm');
      expectTag(ekNode, TAG_CLASS_UNIVERSAL, 4, 'encryptedKey');
      const algOid = readOid(der, kids(algNode, 'keyEncryptionAlgorithm')[0] ?? malformedNode('algorithm OID'));
      const c: Candidate = { kind: 'ktri', node, algNode, encryptedKey: stringContent(der, ekNode!) };
      if (keyType === 'rsa' && (algOid === OID.rsaEncryption || algOid === OID.rsaesOaep)) all.push(c);
      if (ridMatches(der, rid, cert, false)) matched.push(c);
    } else if (node.tagClass === TAG_CLASS_CONTEXT && node.tagNumber === 1) {
      // KeyAgreeRecipientInfo: ... recipientEncryptedKeys SEQUENCE OF { rid, encryptedKey } (last field)
      const fields = kids(node, 'KeyAgreeRecipientInfo');
      const reks = kids(fields[fields.length - 1], 'recipientEncryptedKeys');
      if (reks.length > MAX_RECIPIENT_INFOS) throw new SmimeError('malformed', 'too many RecipientEncryptedKeys');
      for (const rek of reks) {
        const [rid, ekNode] = kids(rek, 'RecipientEncryptedKey');
        if (!rid) throw new SmimeError('malformed', 'RecipientEncryptedKey without rid');
        expectTag(ekNode, TAG_CLASS_UNIVERSAL, 4, 'encryptedKey');
        const c: Candidate = { kind: 'kari', node, encryptedKey: stringContent(der, ekNode!) };
        if (keyType === 'ec') all.push(c);
        if (ridMatches(der, rid, cert, true)) matched.push(c);
      }
    }
    // kekri [2], pwri [3], ori [4]: we hold no such keys.
  }
  return matched.length > 0 ? matched : all;
}

/** Unwraps a content-encryption key. Never throws for a wrong key: returns a key of the right length. */
function recoverCek(der: Buffer, cand: Candidate, key: KeyObject, keyLength: number): Buffer {
  // Substitute for any failure (wrong length, OAEP/unwrap error): random, as OpenSSL's CMS does, so
  // that every failure continues into content decryption and fails there, the same way.
  const fallback = pooledRandomBytes(keyLength);
  if (cand.kind === 'ktri') {
    const alg = readAlgorithmIdentifier(der, cand.algNode, 'keyEncryptionAlgorithm');
    if (alg.algorithm === OID.rsaEncryption) {
      const plain = rsaPkcs1v15DecryptImplicit(key, cand.encryptedKey);
      const out = selectKeyOfLength(plain, keyLength, fallback);
      plain.fill(0);
      return out;
    }
    if (alg.algorithm !== OID.rsaesOaep) {
      throw new SmimeError('unsupported', `key transport ${algorithmName(alg.algorithm)} is not supported`);
    }
    const hash = oaepHash(alg);
    let plain: Buffer;
    try {
      plain = privateDecrypt({ key, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: hash }, cand.encryptedKey);
    } catch {
      plain = Buffer.alloc(0);
    }
    return selectKeyOfLength(plain, keyLength, fallback);
  }
  const ri = parseAsn(toDefinite(der, cand.node), RecipientInfo, 'KeyAgreeRecipientInfo');
  if (!ri.kari) throw new SmimeError('malformed', 'KeyAgreeRecipientInfo is not well-formed');
  return kariUnwrap(ri.kari, cand.encryptedKey, key, keyLength, fallback);
}

function oaepHash(alg: { parameters?: ArrayBuffer | Uint8Array | null }): string {
  if (!alg.parameters || alg.parameters.byteLength === 0 ||
      (alg.parameters.byteLength === 2 && new Uint8Array(alg.parameters)[0] === 0x05)) {
    return 'sha1'; // parameters absent or NULL: all defaults (accepted from legacy senders)
  }
  // Walked field by field rather than parsed with asn1-rsa's RsaEsOaepParams, whose DEFAULT for
  // pSourceFunc carries a non-empty label and so cannot tell "absent" from "label present".
  const params = Buffer.isBuffer(alg.parameters) ? alg.parameters : Buffer.from(alg.parameters as ArrayBuffer);
  const { root } = walkBer(params);
  expectTag(root, TAG_CLASS_UNIVERSAL, 16, 'RSAES-OAEP-params');
  let hashOid: string = OID.sha1;
  let mgfHashOid: string = OID.sha1;
  for (const f of root.children ?? []) {
    if (f.tagClass !== TAG_CLASS_CONTEXT || !f.constructed || f.children?.length !== 1) {
      throw new SmimeError('malformed', 'RSAES-OAEP-params field');
    }
    const a = readAlgorithmIdentifier(params, f.children[0], 'RSAES-OAEP-params field');
    if (f.tagNumber === 0) hashOid = a.algorithm;
    else if (f.tagNumber === 1) {
      if (a.algorithm !== OID.mgf1 || !a.parameters) {
        throw new SmimeError('unsupported', 'OAEP mask generation other than MGF1 is not supported');
      }
      mgfHashOid = readAlgorithmIdentifier(a.parameters, walkBer(a.parameters).root, 'MGF1 hash').algorithm;
    } else if (f.tagNumber === 2) {
      if (a.algorithm !== OID.pSpecified) throw new SmimeError('unsupported', 'OAEP pSource is not supported');
      if (a.parameters) {
        const labelNode = expectTag(walkBer(a.parameters).root, TAG_CLASS_UNIVERSAL, 4, 'OAEP label OCTET STRING');
        if (stringContent(a.parameters, labelNode).length > 0) throw new SmimeError('unsupported', 'OAEP with a label is not supported');
      }
    } else throw new SmimeError('malformed', 'RSAES-OAEP-params field');
  }
  const h = HASH_BY_OID.get(hashOid);
  if (!h) throw new SmimeError('unsupported', `OAEP hash ${hashOid} is not supported`);
  if (mgfHashOid !== hashOid) {
    // node:crypto ties the MGF1 hash to the OAEP hash.
    throw new SmimeError('unsupported', 'OAEP with different hash and MGF1 hash is not supported');
  }
  return h.node;
}

function kariUnwrap(kari: KeyAgreeRecipientInfo, encryptedKey: Buffer, key: KeyObject, keyLength: number, fallback: Buffer): Buffer {
  const scheme = ECDH_SCHEMES.get(kari.keyEncryptionAlgorithm.algorithm);
  if (!scheme) {
    throw new SmimeError('unsupported', `key agreement ${algorithmName(kari.keyEncryptionAlgorithm.algorithm)} is not supported`);
  }
  if (!kari.keyEncryptionAlgorithm.parameters) throw new SmimeError('malformed', 'key agreement without key-wrap algorithm');
  const wrapAlg = parseAsn(Buffer.from(kari.keyEncryptionAlgorithm.parameters), AlgorithmIdentifier, 'key-wrap algorithm');
  const wrap = WRAP_BY_OID.get(wrapAlg.algorithm);
  if (!wrap) throw new SmimeError('unsupported', `key wrap ${algorithmName(wrapAlg.algorithm)} is not supported`);
  const okey = kari.originator.originatorKey;
  if (!okey) throw new SmimeError('unsupported', 'key agreement with a static originator key is not supported');
  if (okey.algorithm.algorithm !== OID.ecPublicKey) throw new SmimeError('unsupported', 'originator key is not an EC key');
  const curve = key.asymmetricKeyDetails?.namedCurve;
  let peer: KeyObject;
  try {
    const point = Buffer.from(okey.publicKey);
    const jwkLen = (point.length - 1) / 2;
    if (point[0] !== 4 || !Number.isInteger(jwkLen) || jwkLen < 1) throw new Error('not uncompressed');
    const crv = curve === 'prime256v1' ? 'P-256' : curve === 'secp384r1' ? 'P-384' : curve === 'secp521r1' ? 'P-521' : '';
    peer = createPublicKey({
      key: { kty: 'EC', crv, x: point.subarray(1, 1 + jwkLen).toString('base64url'), y: point.subarray(1 + jwkLen).toString('base64url') },
      format: 'jwk',
    });
  } catch {
    return fallback; // invalid ephemeral point: treat as a wrong key
  }
  let z: Buffer;
  try {
    z = diffieHellman({ privateKey: key, publicKey: peer });
  } catch {
    return fallback;
  }
  const ukm = kari.ukm ? Buffer.from(kari.ukm.buffer) : undefined;
  const kek = x963Kdf(scheme.hash, z, eccSharedInfo(wrapAlg.algorithm, wrap.keyLength, ukm), wrap.keyLength);
  z.fill(0);
  let plain: Buffer;
  try {
    const d = createDecipheriv(wrap.node, kek, AES_KW_IV);
    plain = Buffer.concat([d.update(encryptedKey), d.final()]);
  } catch {
    plain = Buffer.alloc(0);
  }
  kek.fill(0);
  return selectKeyOfLength(plain, keyLength, fallback);
}

function decryptContent(env: ParsedEnvelope, p: ContentCipherParams, cek: Buffer): Buffer | undefined {
  try {
    if (p.info.aead) {
      if (!env.mac || env.mac.length !== p.tagLength) return undefined;
      const d = createDecipheriv(p.info.nodeName as 'aes-256-gcm', cek, p.iv, { authTagLength: p.tagLength });
      if (env.aad) d.setAAD(env.aad);
      d.setAuthTag(env.mac);
      return Buffer.concat([d.update(env.encryptedContent), d.final()]);
    }
    const d = createDecipheriv(p.info.nodeName, cek, p.iv);
    return Buffer.concat([d.update(env.encryptedContent), d.final()]);
  } catch {
    return undefined;
  }
}

/**
 * Decrypts a CMS EnvelopedData or AuthEnvelopedData ContentInfo (DER or BER) and returns the
 * content. The RecipientInfo is chosen by our certificate (issuerAndSerialNumber or SKI); without
 * a certificate, or when none matches, every RecipientInfo whose algorithm fits the key is tried
 * (proxy certificates share one domain key). Throws SmimeError: 'malformed', 'unsupported',
 * 'no-recipient', or 'decrypt-failed' (same message for bad padding, wrong key, bad tag).
 */
export function decryptEnveloped(der: Buffer, key: DecryptionKey, limits: DerLimits = DEFAULT_DER_LIMITS): Buffer {
  if (!key || !key.privateKey || key.privateKey.type !== 'private') {
    throw new SmimeError('invalid-input', 'a private key is required');
  }
  const env = parseEnvelope(der, limits);
  const params = contentCipherParams(env.contentAlg, env.authenticated);
  const candidates = selectCandidates(env, key);
  if (candidates.length === 0) throw new SmimeError('no-recipient', 'no RecipientInfo for this key');
  let unsupported: SmimeError | undefined;
  for (const cand of candidates) {
    let cek: Buffer;
    try {
      cek = recoverCek(env.der, cand, key.privateKey, params.info.keyLength);
    } catch (e) {
      if (e instanceof SmimeError && (e.code === 'unsupported' || e.code === 'malformed')) {
        unsupported ??= e;
        continue;
      }
      if (e instanceof SmimeError && e.code === 'decrypt-failed') continue;
      throw e;
    }
    const out = decryptContent(env, params, cek);
    cek.fill(0);
    if (out) return out;
  }
  if (unsupported && candidates.length === 1) throw unsupported;
  throw new SmimeError('decrypt-failed', DECRYPT_FAILED);
}

const NAME_SHORT: Record<string, string> = {
  '2.5.4.3': 'CN', '2.5.4.6': 'C', '2.5.4.7': 'L', '2.5.4.8': 'ST', '2.5.4.10': 'O', '2.5.4.11': 'OU',
  '2.5.4.5': 'serialNumber', '1.2.840.113549.1.9.1': 'emailAddress', '0.9.2342.19200300.100.1.25': 'DC',
};

function nameToString(name: Name): string {
  const rdns: string[] = [];
  for (const rdn of name) {
    const parts: string[] = [];
    for (const atv of rdn) {
      const t = NAME_SHORT[atv.type] ?? atv.type;
      let v: string;
      try {
        v = atv.value.toString();
      } catch {
        v = '#';
      }
      parts.push(`${t}=${v.replace(/([,+"\\<>;])/g, '\\$1')}`);
    }
    rdns.push(parts.join('+'));
  }
  return rdns.reverse().join(',');
}

function idFromIas(ias: IssuerAndSerialNumber | undefined, ski: ArrayBuffer | undefined): Partial<RecipientId> {
  if (ias) {
    return {
      issuer: nameToString(ias.issuer),
      issuerDer: ser(ias.issuer),
      serialNumber: Buffer.from(ias.serialNumber).toString('hex'),
    };
  }
  if (ski) return { ski: Buffer.from(ski).toString('hex') };
  return {};
}

/** Lists whom an EnvelopedData/AuthEnvelopedData is for, without decrypting anything. */
export function listRecipients(der: Buffer, limits: DerLimits = DEFAULT_DER_LIMITS): RecipientId[] {
  const env = parseEnvelope(der, limits);
  const out: RecipientId[] = [];
  for (const ri of env.recipientInfos.map((n) => parseRecipientInfo(env.der, n))) {
    if (ri.ktri) {
      const a = ri.ktri.keyEncryptionAlgorithm.algorithm;
      out.push({
        type: 'ktri',
        ...idFromIas(ri.ktri.rid.issuerAndSerialNumber, ri.ktri.rid.subjectKeyIdentifier?.buffer),
        keyEncryptionAlgorithm: a,
        algorithm: a === OID.rsaesOaep ? `rsaesOaep(${safeOaepHash(ri.ktri.keyEncryptionAlgorithm)})` : algorithmName(a),
      });
    } else if (ri.kari) {
      const a = ri.kari.keyEncryptionAlgorithm.algorithm;
      for (const rek of ri.kari.recipientEncryptedKeys) {
        out.push({
          type: 'kari',
          ...idFromIas(rek.rid.issuerAndSerialNumber, rek.rid.rKeyId?.subjectKeyIdentifier.buffer),
          keyEncryptionAlgorithm: a,
          algorithm: algorithmName(a),
        });
      }
    } else {
      const r = ri as { kekri?: unknown; pwri?: unknown };
      const type = r.kekri ? 'kekri' : r.pwri ? 'pwri' : 'ori';
      out.push({ type, keyEncryptionAlgorithm: '', algorithm: type });
    }
  }
  return out;
}

function safeOaepHash(alg: { parameters?: ArrayBuffer | Uint8Array | null }): string {
  try {
    return oaepHash(alg);
  } catch {
    return 'unsupported';
  }
}
