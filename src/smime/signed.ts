// CMS SignedData (RFC 5652 §5) for S/MIME (RFC 8551): producing signatures with a domain or user key,
// and verifying received signatures with certificate path validation.
// Trust level: signing holds private keys (never logged, never in errors); verifying parses untrusted
// messages and fails closed: anything unparsable is a SmimeError, anything unverifiable is an invalid
// signer with a stated reason. Pure: bytes and keys in, bytes or a result value out; the clock is injected.
//
// The SignedData envelope is written and read with the lean DER toolkit in src/pki/cert-util.ts rather
// than @peculiar/asn1-cms, because asn1js parsing/serialising costs ~2 ms per message here (more than the
// RSA signature itself) and verification must run over the original signed-attribute bytes. The
// attribute values, algorithm parameters and certificates are declared with @peculiar/asn1-* schemas.
// Signing is one hash over the content and one private-key operation; everything that depends only
// on the signer (certificate fields, static attributes, algorithm identifiers) is prepared once in
// createSigner().

import { createHash, createPublicKey, type KeyObject } from 'node:crypto';
import { SmimeError } from './errors.js';
import {
  capabilitiesAttr,
  contentTypeAttr,
  decodeSignedAttrs,
  DEFAULT_CAPABILITIES,
  encodeSignedAttrs,
  essRefMatches,
  messageDigestAttr,
  OID_DATA,
  OID_SIGNED_DATA,
  signatureTypeAttr,
  signingCertificateV2Attr,
  signingTimeAttr,
  type SignatureType,
} from './signed-attributes.js';
import {
  digestAlgIdDer,
  digestFromOid,
  resolveSigAlg,
  signingProfile,
  signWith,
  verifySignature,
  type DigestName,
  type SigAlg,
  type SigningDigest,
} from './sig-oids.js';
import {
  certPublicKey,
  childrenOf,
  contentOf,
  derEncode,
  derOid,
  derRaw,
  derTlv,
  derToBuffer,
  effectiveDsaParams,
  KU,
  nameMatchKey,
  octetStringContent,
  parseCert,
  rawOf,
  readOid,
  readSmallInt,
  readWhole,
  TAG,
  type DerParts,
  type ParsedCert,
  type Tlv,
} from '../pki/cert-util.js';
import { validateParsed, type PathResult } from '../pki/path-validation.js';
import { AsnParser } from '@peculiar/asn1-schema';
import { Name } from '@peculiar/asn1-x509';

export type { SignatureType } from './signed-attributes.js';
export type { SigningDigest } from './sig-oids.js';

// ---------------------------------------------------------------------------------------------
// Named limits
// ---------------------------------------------------------------------------------------------

/** Most SignerInfos one SignedData may carry. */
export const MAX_SIGNERS = 16;
/** Most certificates / CRLs a SignedData may carry. */
export const MAX_EMBEDDED_CERTS = 256;
export const MAX_EMBEDDED_CRLS = 64;

// ---------------------------------------------------------------------------------------------
// Signing
// ---------------------------------------------------------------------------------------------

export interface SignerSpec {
  /** Signer certificate, DER. */
  certificate: Buffer;
  privateKey: KeyObject;
  /** Further certificates (DER) to include, e.g. the issuing CA chain. */
  chain?: Buffer[];
}

export interface SignOptions {
  /** Detached signature (multipart/signed); default true. False: opaque (content inside). */
  detached?: boolean;
  digest?: SigningDigest;
  /** RSASSA-PSS instead of PKCS#1 v1.5 for RSA keys. */
  rsaPss?: boolean;
  /** RFC 3183 signature types; omitted from the signature when empty. */
  signatureTypes?: SignatureType[];
  /** SMIMECapabilities OIDs (most preferred first); default DEFAULT_CAPABILITIES. */
  capabilities?: string[];
  /** Signing time; default the signer's clock. */
  signingTime?: Date;
}

/** A prepared signer: certificate fields, algorithm identifiers and static attributes encoded once. */
export interface Signer {
  /** Sign `content` (the exact bytes, e.g. a canonical CRLF MIME entity). Returns DER ContentInfo. */
  sign(content: Buffer, signingTime?: Date): Buffer;
  readonly detached: boolean;
  readonly digest: SigningDigest;
  /** The multipart/signed micalg parameter for this signer. */
  readonly micalg: string;
}

const MICALG: Record<SigningDigest, string> = { sha256: 'sha-256', sha384: 'sha-384', sha512: 'sha-512' };

/** multipart/signed micalg value (RFC 8551 §3.5.3.2). */
export function micalgFor(digest: SigningDigest): string {
  const m = MICALG[digest];
  if (!m) throw new SmimeError('invalid-input', `unsupported digest ${String(digest)}`);
  return m;
}

const INT_1 = Buffer.from([0x02, 0x01, 0x01]);

/** Prepare a signer once; reuse it for every message it signs. */
export function createSigner(spec: SignerSpec, opts: SignOptions = {}, clock: () => Date = () => new Date()): Signer {
  const digest: SigningDigest = opts.digest ?? 'sha256';
  micalgFor(digest);
  if (!spec || !Buffer.isBuffer(spec.certificate)) throw new SmimeError('invalid-input', 'signer certificate (DER) is required');
  if (!spec.privateKey || spec.privateKey.type !== 'private') throw new SmimeError('invalid-input', 'signer private key is required');
  let cert: ParsedCert;
  try {
    cert = parseCert(spec.certificate);
  } catch (e) {
    throw new SmimeError('invalid-input', `signer certificate does not parse: ${e instanceof Error ? e.message : 'malformed'}`);
  }
  let matches = false;
  try {
    matches = createPublicKey(spec.privateKey).equals(certPublicKey(cert));
  } catch {
    matches = false;
  }
  if (!matches) throw new SmimeError('invalid-input', 'private key does not match the signer certificate');
  const key = spec.privateKey; // captured: later changes to `spec` do not reach a prepared signer
  const profile = signingProfile(key, digest, !!opts.rsaPss);
  const detached = opts.detached ?? true;

  const chain: Buffer[] = [cert.der];
  for (const c of spec.chain ?? []) {
    if (!Buffer.isBuffer(c)) throw new SmimeError('invalid-input', 'chain certificates must be DER buffers');
    try {
      parseCert(c);
    } catch {
      throw new SmimeError('invalid-input', 'a chain certificate does not parse');
    }
    if (!chain.some((x) => x.equals(c))) chain.push(c);
  }

  const staticAttrs: Buffer[] = [
    contentTypeAttr(OID_DATA),
    capabilitiesAttr(opts.capabilities ?? DEFAULT_CAPABILITIES),
    signingCertificateV2Attr(cert),
  ];
  if (opts.signatureTypes && opts.signatureTypes.length) staticAttrs.push(signatureTypeAttr(opts.signatureTypes));

  const sid = derEncode(TAG.SEQUENCE, cert.issuerDer, cert.serialDer);
  const digestAlgId = digestAlgIdDer(digest);
  const digestAlgSet = derEncode(TAG.SET, digestAlgId);
  const certsField = derToBuffer(derTlv(0xa0, ...chain));
  const dataOid = derOid(OID_DATA);
  const signedDataOid = derOid(OID_SIGNED_DATA);
  const fixedTime = opts.signingTime;

  return {
    detached,
    digest,
    micalg: MICALG[digest],
    sign(content: Buffer, signingTime?: Date): Buffer {
      if (!Buffer.isBuffer(content)) throw new SmimeError('invalid-input', 'content must be a Buffer');
      const md = createHash(digest).update(content).digest();
      const attrs = encodeSignedAttrs([...staticAttrs, messageDigestAttr(md), signingTimeAttr(signingTime ?? fixedTime ?? clock())]);
      const signature = signWith(profile.alg, attrs, key);
      attrs[0] = 0xa0; // [0] IMPLICIT SET OF Attribute inside SignerInfo; the signature covered the SET (0x31) form
      const signerInfo = derTlv(TAG.SEQUENCE, INT_1, sid, digestAlgId, attrs, profile.sigAlgIdDer, derTlv(TAG.OCTET_STRING, signature));
      const encap: DerParts = detached
        ? derTlv(TAG.SEQUENCE, dataOid)
        : derTlv(TAG.SEQUENCE, dataOid, derTlv(0xa0, derTlv(TAG.OCTET_STRING, content)));
      const signedData = derTlv(TAG.SEQUENCE, INT_1, digestAlgSet, encap, derRaw(certsField), derTlv(TAG.SET, signerInfo));
      return derToBuffer(derTlv(TAG.SEQUENCE, signedDataOid, derTlv(0xa0, signedData)));
    },
  };
}

/** Prepared signers reused by signCms, per private key object (bounded per key). */
export const SIGNER_CACHE_PER_KEY = 16;
const signerCache = new WeakMap<KeyObject, Map<string, Signer>>();

/**
 * One-shot signing. Prepared signers are cached per private KeyObject, certificate, chain and
 * options (not the signing time), so callers that keep their KeyObject get createSigner()'s speed.
 */
export function signCms(content: Buffer, signer: SignerSpec, opts: SignOptions = {}): Buffer {
  if (!signer || !signer.privateKey || typeof signer.privateKey !== 'object' || !Buffer.isBuffer(signer.certificate)) {
    throw new SmimeError('invalid-input', 'signer certificate (DER) and private key are required');
  }
  const { signingTime, ...rest } = opts;
  const fp = (b: Buffer) => createHash('sha256').update(b).digest('hex');
  const key = JSON.stringify([fp(signer.certificate), (signer.chain ?? []).map((c) => (Buffer.isBuffer(c) ? fp(c) : 'x')), rest]);
  let perKey = signerCache.get(signer.privateKey);
  if (!perKey) {
    perKey = new Map();
    signerCache.set(signer.privateKey, perKey);
  }
  let prepared = perKey.get(key);
  if (!prepared) {
    prepared = createSigner(signer, rest);
    if (perKey.size >= SIGNER_CACHE_PER_KEY) perKey.delete(perKey.keys().next().value as string);
    perKey.set(key, prepared);
  }
  return prepared.sign(content, signingTime);
}

// ---------------------------------------------------------------------------------------------
// Verifying
// ---------------------------------------------------------------------------------------------

export interface VerifyOptions {
  /** The signed bytes of a detached signature (multipart/signed first part, canonical CRLF). */
  detachedContent?: Buffer;
  /** Trusted roots, DER. */
  trustAnchors: Buffer[];
  /** Extra candidate intermediates (DER) besides those inside the message. */
  intermediates?: Buffer[];
  /**
   * CRLs (DER). When given, every certificate below the anchor needs a good status from a usable CRL.
   * When absent, CRLs inside the message are used best-effort (a revoked entry fails the signer).
   */
  crls?: Buffer[];
  /** Validation time; default now. */
  at?: Date;
  /** Require the signer certificate's extendedKeyUsage (when present) to allow emailProtection; default true. */
  requireEmailProtection?: boolean;
}

export interface SignerResult {
  valid: boolean;
  signatureValid: boolean;
  chainValid: boolean;
  subject: string;
  issuer: string;
  /** Upper-case hex. */
  serialNumber: string;
  emailAddresses: string[];
  signatureTypes: SignatureType[];
  signingTime?: Date;
  capabilities?: string[];
  certificate?: Buffer;
  /** Signer first, trust anchor last. */
  chain: Buffer[];
  failures: string[];
}

export interface VerifyResult {
  /** True when there is at least one signer and every signer is valid. */
  valid: boolean;
  /** The encapsulated content (opaque signatures). */
  content?: Buffer;
  signers: SignerResult[];
}

interface SignedDataView {
  eContentType: string;
  eContent?: Buffer;
  certs: Buffer[];
  crls: Buffer[];
  signerInfos: Tlv[];
}

function malformed(msg: string): SmimeError {
  return new SmimeError('malformed', msg);
}

function parseSignedData(der: Buffer): SignedDataView {
  const top = readWhole(der);
  if (top.tag !== TAG.SEQUENCE) throw malformed('CMS ContentInfo is not a SEQUENCE');
  const [ctT, wrapT] = childrenOf(der, top);
  if (!ctT) throw malformed('CMS ContentInfo is empty');
  const ct = readOid(der, ctT);
  if (ct !== OID_SIGNED_DATA) throw new SmimeError('invalid-input', `not a CMS SignedData (content type ${ct})`);
  if (!wrapT || wrapT.tag !== 0xa0) throw malformed('SignedData content missing');
  const [sdT, extra] = childrenOf(der, wrapT);
  if (!sdT || extra || sdT.tag !== TAG.SEQUENCE) throw malformed('SignedData is not a SEQUENCE');
  const kids = childrenOf(der, sdT);
  if (kids.length < 4) throw malformed('SignedData has too few fields');
  const version = readSmallInt(der, kids[0]!);
  if (version > 5) throw malformed(`SignedData version ${version} is unknown`);
  if (kids[1]!.tag !== TAG.SET) throw malformed('SignedData digestAlgorithms is not a SET');
  const encapT = kids[2]!;
  if (encapT.tag !== TAG.SEQUENCE) throw malformed('EncapsulatedContentInfo is not a SEQUENCE');
  const [eTypeT, eWrapT, ...eRest] = childrenOf(der, encapT);
  if (!eTypeT || eRest.length) throw malformed('bad EncapsulatedContentInfo');
  const eContentType = readOid(der, eTypeT);
  let eContent: Buffer | undefined;
  if (eWrapT) {
    if (eWrapT.tag !== 0xa0) throw malformed('bad eContent tag');
    const [inner, more] = childrenOf(der, eWrapT);
    if (!inner || more) throw malformed('bad eContent');
    // RFC 5652 §5.2.1: OCTET STRING (possibly BER constructed); PKCS #7 v1.5 allowed any type, whose
    // content octets are what was signed.
    eContent = inner.tag === TAG.OCTET_STRING || inner.tag === (TAG.OCTET_STRING | 0x20) ? octetStringContent(der, inner) : contentOf(der, inner);
  }
  let i = 3;
  const certs: Buffer[] = [];
  const crls: Buffer[] = [];
  if (kids[i]?.tag === 0xa0) {
    const list = childrenOf(der, kids[i]!);
    if (list.length > MAX_EMBEDDED_CERTS) throw malformed('too many certificates in SignedData');
    for (const c of list) if (c.tag === TAG.SEQUENCE) certs.push(rawOf(der, c)); // other CertificateChoices are ignored
    i++;
  }
  if (kids[i]?.tag === 0xa1) {
    const list = childrenOf(der, kids[i]!);
    if (list.length > MAX_EMBEDDED_CRLS) throw malformed('too many CRLs in SignedData');
    for (const c of list) if (c.tag === TAG.SEQUENCE) crls.push(rawOf(der, c)); // OtherRevocationInfoFormat ignored
    i++;
  }
  const siT = kids[i];
  if (!siT || siT.tag !== TAG.SET || i !== kids.length - 1) throw malformed('SignedData signerInfos missing or misplaced');
  const signerInfos = childrenOf(der, siT);
  if (signerInfos.length > MAX_SIGNERS) throw malformed(`more than ${MAX_SIGNERS} signers`);
  return { eContentType, eContent, certs, crls, signerInfos };
}

interface SignerInfoView {
  sidKind: 'issuerSerial' | 'ski';
  sidIssuer?: Buffer;
  sidSerial?: Buffer;
  sidSki?: Buffer;
  digestOid: string;
  signedAttrs?: Tlv;
  sigOid: string;
  sigParams?: Buffer;
  signature: Buffer;
}

function parseSignerInfo(der: Buffer, t: Tlv): SignerInfoView {
  if (t.tag !== TAG.SEQUENCE) throw malformed('SignerInfo is not a SEQUENCE');
  const k = childrenOf(der, t);
  if (k.length < 5 || k.length > 7) throw malformed('SignerInfo has the wrong number of fields');
  readSmallInt(der, k[0]!);
  const sidT = k[1]!;
  const view: Partial<SignerInfoView> = {};
  if (sidT.tag === TAG.SEQUENCE) {
    const [iss, ser, more] = childrenOf(der, sidT);
    if (!iss || !ser || more || iss.tag !== TAG.SEQUENCE || ser.tag !== TAG.INTEGER) throw malformed('bad IssuerAndSerialNumber');
    view.sidKind = 'issuerSerial';
    view.sidIssuer = rawOf(der, iss);
    view.sidSerial = contentOf(der, ser);
  } else if (sidT.tag === 0x80) {
    view.sidKind = 'ski';
    view.sidSki = contentOf(der, sidT);
  } else throw malformed('bad SignerIdentifier');
  const dT = k[2]!;
  if (dT.tag !== TAG.SEQUENCE) throw malformed('bad digestAlgorithm');
  view.digestOid = readOid(der, childrenOf(der, dT)[0]!);
  let j = 3;
  if (k[j]!.tag === 0xa0) {
    view.signedAttrs = k[j]!;
    j++;
  }
  const sT = k[j]!;
  if (!sT || sT.tag !== TAG.SEQUENCE) throw malformed('bad signatureAlgorithm');
  const sKids = childrenOf(der, sT);
  view.sigOid = readOid(der, sKids[0]!);
  view.sigParams = sKids[1] ? rawOf(der, sKids[1]) : undefined;
  const vT = k[j + 1];
  if (!vT || vT.tag !== TAG.OCTET_STRING) throw malformed('bad signature value');
  view.signature = contentOf(der, vT);
  const rest = k.slice(j + 2);
  if (rest.length > 1 || (rest[0] && rest[0].tag !== 0xa1)) throw malformed('bad unsignedAttrs');
  return view as SignerInfoView;
}

function findSignerCert(si: SignerInfoView, candidates: ParsedCert[]): ParsedCert | undefined {
  if (si.sidKind === 'ski') return candidates.find((c) => c.ski && c.ski.equals(si.sidSki!));
  const serialMatches = candidates.filter((c) => c.serial.equals(si.sidSerial!));
  const exact = serialMatches.find((c) => c.issuerDer.equals(si.sidIssuer!));
  if (exact) return exact;
  if (!serialMatches.length) return undefined;
  let key: string;
  try {
    key = nameMatchKey(AsnParser.parse(si.sidIssuer!, Name));
  } catch {
    return undefined;
  }
  return serialMatches.find((c) => c.issuerKey === key);
}

function tryParseAll(ders: Buffer[]): ParsedCert[] {
  const out: ParsedCert[] = [];
  for (const d of ders) {
    try {
      out.push(parseCert(d));
    } catch {
      // unusable certificates in a message are ignored; the signer lookup then fails with a reason
    }
  }
  return out;
}

/** Signer public key; DSA keys may inherit domain parameters down the validated chain. */
function signerKey(cert: ParsedCert, chain: Buffer[]): KeyObject {
  if (cert.keyAlgOid !== '1.2.840.10040.4.1' || (cert.keyParams && cert.keyParams[0] !== 0x05)) return certPublicKey(cert);
  let params: Buffer | undefined;
  const parsed = tryParseAll(chain).reverse(); // anchor first
  for (const c of parsed) {
    if (c.fingerprint === cert.fingerprint) break;
    params = effectiveDsaParams(c, params);
  }
  return certPublicKey(cert, params);
}

/**
 * Verify a CMS SignedData (DER or BER). Throws SmimeError for input that is not a well-formed
 * SignedData (or a detached signature without content); returns per-signer results otherwise.
 */
export function verifyCms(der: Buffer, opts: VerifyOptions): VerifyResult {
  if (!Buffer.isBuffer(der)) throw new SmimeError('invalid-input', 'signature must be a Buffer');
  if (!opts || !Array.isArray(opts.trustAnchors)) throw new SmimeError('invalid-input', 'trustAnchors are required');
  let sd: SignedDataView;
  let infos: SignerInfoView[];
  try {
    sd = parseSignedData(der);
    infos = sd.signerInfos.map((t) => parseSignerInfo(der, t));
  } catch (e) {
    if (e instanceof SmimeError) throw e;
    throw malformed('SignedData cannot be parsed');
  }
  if (infos.length === 0) return { valid: false, content: sd.eContent, signers: [] };
  if (sd.eContent && opts.detachedContent) throw new SmimeError('invalid-input', 'content is both encapsulated and supplied as detached');
  const content = sd.eContent ?? opts.detachedContent;
  if (!content) throw new SmimeError('invalid-input', 'detached signature: the signed content was not supplied');

  const embedded = tryParseAll(sd.certs);
  const extra = tryParseAll(opts.intermediates ?? []);
  const anchors = tryParseAll(opts.trustAnchors);
  const candidates = [...embedded, ...extra, ...anchors];
  const at = opts.at ?? new Date();
  const digests = new Map<DigestName, Buffer>();
  const digestOf = (d: DigestName) => {
    let v = digests.get(d);
    if (!v) {
      v = createHash(d).update(content).digest();
      digests.set(d, v);
    }
    return v;
  };

  const signers = infos.map((si) => {
    try {
      return verifyOne(der, si, sd, content, candidates, embedded, opts, at, digestOf);
    } catch (e) {
      if (e instanceof SmimeError) throw e;
      throw malformed('SignerInfo cannot be processed');
    }
  });
  return {
    valid: signers.length > 0 && signers.every((s) => s.valid),
    content: sd.eContent,
    signers,
  };
}

/** Upper-case hex of a serial number, without the 00 octet that only keeps it positive. */
function serialText(serial: Buffer): string {
  const b = serial.length > 1 && serial[0] === 0 && serial[1]! >= 0x80 ? serial.subarray(1) : serial;
  return b.toString('hex').toUpperCase();
}

function verifyOne(
  der: Buffer,
  si: SignerInfoView,
  sd: SignedDataView,
  content: Buffer,
  candidates: ParsedCert[],
  embedded: ParsedCert[],
  opts: VerifyOptions,
  at: Date,
  digestOf: (d: DigestName) => Buffer,
): SignerResult {
  const failures: string[] = [];
  const cert = findSignerCert(si, candidates);
  const result: SignerResult = {
    valid: false,
    signatureValid: false,
    chainValid: false,
    subject: cert?.subjectText ?? '',
    issuer: cert?.issuerText ?? '',
    serialNumber: serialText(cert?.serial ?? si.sidSerial ?? Buffer.alloc(0)),
    emailAddresses: cert ? [...cert.emails] : [],
    signatureTypes: [],
    certificate: cert?.der,
    chain: [],
    failures,
  };

  // Signed attributes.
  let signedInput: Buffer = content;
  const digest = digestFromOid(si.digestOid);
  if (!digest) failures.push(`unsupported digest algorithm ${si.digestOid}`);
  if (si.signedAttrs) {
    const attrs = decodeSignedAttrs(der, si.signedAttrs);
    failures.push(...attrs.problems);
    result.signatureTypes = attrs.signatureTypes;
    result.signingTime = attrs.signingTime;
    result.capabilities = attrs.capabilities;
    if (!attrs.contentType) failures.push('content type attribute missing');
    else if (attrs.contentType !== sd.eContentType) failures.push('content type attribute does not match the content');
    if (!attrs.messageDigest) failures.push('message digest attribute missing');
    else if (digest && !attrs.messageDigest.equals(digestOf(digest))) failures.push('message digest mismatch');
    if (cert) {
      const v2 = attrs.signingCertificateV2?.[0];
      if (v2 && !essRefMatches(v2, cert.der, cert.fingerprint)) failures.push('signing certificate attribute does not match the signer certificate');
      const v1 = attrs.signingCertificateV1?.[0];
      if (v1 && !essRefMatches(v1, cert.der, cert.fingerprint)) failures.push('signing certificate attribute does not match the signer certificate');
    }
    // The signature covers the DER of the SET OF attributes exactly as received, with the SET tag.
    signedInput = Buffer.from(der.subarray(si.signedAttrs.start, si.signedAttrs.end));
    signedInput[0] = TAG.SET;
  } else if (sd.eContentType !== OID_DATA) {
    failures.push('signed attributes are required when the content type is not id-data');
  }

  if (!cert) {
    failures.push('signer certificate not found');
    return result;
  }

  // Certificate path.
  let path: PathResult;
  try {
    path = validateParsed(
      cert,
      {
        trustAnchors: opts.trustAnchors,
        intermediates: opts.intermediates,
        crls: [...(opts.crls ?? []), ...sd.crls],
        at,
        purpose: opts.requireEmailProtection === false ? 'any' : 'emailProtection',
        revocation: opts.crls ? 'require' : 'best-effort',
      },
      embedded,
    );
  } catch (e) {
    path = { valid: false, chain: [cert.der], failures: [`path validation failed: ${e instanceof Error ? e.message : 'error'}`] };
  }
  result.chain = path.chain;
  result.chainValid = path.valid;
  failures.push(...path.failures);
  if (cert.keyUsage !== undefined && ((cert.keyUsage >> KU.digitalSignature) & 1) === 0 && ((cert.keyUsage >> KU.nonRepudiation) & 1) === 0) {
    failures.push('signer certificate key usage does not allow digital signatures');
  }

  // Signature.
  if (digest) {
    let alg: SigAlg | undefined;
    try {
      alg = resolveSigAlg(si.sigOid, si.sigParams, digest);
    } catch (e) {
      failures.push(e instanceof SmimeError ? e.message : `unsupported signature algorithm ${si.sigOid}`);
    }
    if (alg) {
      try {
        result.signatureValid = verifySignature(alg, signedInput, signerKey(cert, path.chain), si.signature);
        if (!result.signatureValid) failures.push('signature does not verify');
      } catch (e) {
        failures.push(e instanceof SmimeError ? e.message : 'signature cannot be checked');
      }
    }
  }
  result.failures = [...new Set(failures)];
  result.valid = result.signatureValid && result.chainValid && result.failures.length === 0;
  return result;
}

