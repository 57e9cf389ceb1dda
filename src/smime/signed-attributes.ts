// CMS signed attributes for S/MIME signatures: contentType, messageDigest, signingTime,
// SMIMECapabilities (RFC 8551 §2.5.2), ESS signing-certificate v1/v2 (RFC 2634 §5.4, RFC 5035) and the
// RFC 3183 signature-type attribute. Encoders run once per signer (static attributes) or per message
// (digest, time); the decoder reads attributes from untrusted SignerInfos. Pure, no I/O.
//
// RFC 3183 §3 (Domain Security Services using S/MIME), checked against the S/MIME OID arc registry:
//   id-aa-signatureType  OBJECT IDENTIFIER ::= { ... pkcs9(9) smime(16) id-aa(2) 28 }
//   SignatureType ::= SEQUENCE OF OBJECT IDENTIFIER
//   id-sti OBJECT IDENTIFIER ::= { ... pkcs9(9) smime(16) 9 }
//   id-sti-originatorSig { id-sti 1 }, id-sti-domainSig { id-sti 2 }, id-sti-addAttribSig { id-sti 3 },
//   id-sti-reviewSig { id-sti 4 }
// "A SignerInfo MUST NOT include multiple instances of SignatureType"; one attribute value may list
// several types, but not together with additionalAttributesSig.

import { AsnArray, AsnIntegerArrayBufferConverter, AsnParser, AsnProp, AsnPropTypes, AsnSerializer, AsnType, AsnTypeTypes, OctetString } from '@peculiar/asn1-schema';
import { AlgorithmIdentifier, GeneralName, Name, PolicyInformation } from '@peculiar/asn1-x509';
import { createHash } from 'node:crypto';
import { SmimeError } from './errors.js';
import {
  childrenOf,
  compareDerSetElements,
  derEncode,
  derOid,
  derTime,
  octetStringContent,
  readOid,
  readTime,
  TAG,
  type ParsedCert,
  type Tlv,
} from '../pki/cert-util.js';
import { digestFromOid, type DigestName } from './sig-oids.js';

// ---------------------------------------------------------------------------------------------
// OIDs
// ---------------------------------------------------------------------------------------------

export const ATTR = {
  contentType: '1.2.840.113549.1.9.3',
  messageDigest: '1.2.840.113549.1.9.4',
  signingTime: '1.2.840.113549.1.9.5',
  countersignature: '1.2.840.113549.1.9.6',
  smimeCapabilities: '1.2.840.113549.1.9.15',
  signingCertificate: '1.2.840.113549.1.9.16.2.12',
  signatureType: '1.2.840.113549.1.9.16.2.28',
  signingCertificateV2: '1.2.840.113549.1.9.16.2.47',
} as const;

export const OID_DATA = '1.2.840.113549.1.7.1';
export const OID_SIGNED_DATA = '1.2.840.113549.1.7.2';

export type SignatureType = 'originatorSig' | 'domainSig' | 'additionalAttributesSig' | 'reviewSig';

export const SIGNATURE_TYPE_OIDS: Record<SignatureType, string> = {
  originatorSig: '1.2.840.113549.1.9.16.9.1',
  domainSig: '1.2.840.113549.1.9.16.9.2',
  additionalAttributesSig: '1.2.840.113549.1.9.16.9.3',
  reviewSig: '1.2.840.113549.1.9.16.9.4',
};
const SIGNATURE_TYPE_BY_OID = new Map<string, SignatureType>(
  Object.entries(SIGNATURE_TYPE_OIDS).map(([k, v]) => [v, k as SignatureType]),
);

export const CAPABILITY_OIDS = {
  aes256Gcm: '2.16.840.1.101.3.4.1.46',
  aes128Gcm: '2.16.840.1.101.3.4.1.6',
  aes256Cbc: '2.16.840.1.101.3.4.1.42',
  aes192Cbc: '2.16.840.1.101.3.4.1.22',
  aes128Cbc: '2.16.840.1.101.3.4.1.2',
} as const;

/** What we announce we can decrypt, most preferred first (RFC 8551 §2.7: AES-GCM, then AES-CBC). */
export const DEFAULT_CAPABILITIES: readonly string[] = [
  CAPABILITY_OIDS.aes256Gcm,
  CAPABILITY_OIDS.aes128Gcm,
  CAPABILITY_OIDS.aes256Cbc,
  CAPABILITY_OIDS.aes192Cbc,
  CAPABILITY_OIDS.aes128Cbc,
];

/** Most attributes one SignerInfo may carry before we call it malformed. */
export const MAX_SIGNED_ATTRIBUTES = 64;

// ---------------------------------------------------------------------------------------------
// Declared value structures
// ---------------------------------------------------------------------------------------------

/** SignatureType ::= SEQUENCE OF OBJECT IDENTIFIER (RFC 3183). */
@AsnType({ type: AsnTypeTypes.Sequence, itemType: AsnPropTypes.ObjectIdentifier })
export class SignatureTypeValue extends AsnArray<string> {}

/** SMIMECapability ::= SEQUENCE { capabilityID OBJECT IDENTIFIER, parameters ANY OPTIONAL } */
export class SmimeCapability {
  @AsnProp({ type: AsnPropTypes.ObjectIdentifier })
  capabilityID = '';
  @AsnProp({ type: AsnPropTypes.Any, optional: true })
  parameters?: ArrayBuffer;
  constructor(params: Partial<SmimeCapability> = {}) {
    Object.assign(this, params);
  }
}

/** SMIMECapabilities ::= SEQUENCE OF SMIMECapability */
@AsnType({ type: AsnTypeTypes.Sequence, itemType: SmimeCapability })
export class SmimeCapabilities extends AsnArray<SmimeCapability> {}

/** IssuerSerial ::= SEQUENCE { issuer GeneralNames, serialNumber CertificateSerialNumber } */
export class IssuerSerial {
  @AsnProp({ type: GeneralName, repeated: 'sequence' })
  issuer: GeneralName[] = [];
  @AsnProp({ type: AsnPropTypes.Integer, converter: AsnIntegerArrayBufferConverter })
  serialNumber: ArrayBuffer = new ArrayBuffer(0);
  constructor(params: Partial<IssuerSerial> = {}) {
    Object.assign(this, params);
  }
}

/**
 * ESSCertIDv2 ::= SEQUENCE { hashAlgorithm AlgorithmIdentifier DEFAULT {algorithm id-sha256},
 *   certHash OCTET STRING, issuerSerial IssuerSerial OPTIONAL }   (RFC 5035 §4)
 * hashAlgorithm is declared OPTIONAL: DER omits a value equal to its DEFAULT, so we leave it out for
 * SHA-256 and read its absence as SHA-256.
 */
export class EssCertIdV2 {
  @AsnProp({ type: AlgorithmIdentifier, optional: true })
  hashAlgorithm?: AlgorithmIdentifier;
  @AsnProp({ type: OctetString })
  certHash: OctetString = new OctetString();
  @AsnProp({ type: IssuerSerial, optional: true })
  issuerSerial?: IssuerSerial;
  constructor(params: Partial<EssCertIdV2> = {}) {
    Object.assign(this, params);
  }
}

/** SigningCertificateV2 ::= SEQUENCE { certs SEQUENCE OF ESSCertIDv2, policies SEQUENCE OF PolicyInformation OPTIONAL } */
export class SigningCertificateV2 {
  @AsnProp({ type: EssCertIdV2, repeated: 'sequence' })
  certs: EssCertIdV2[] = [];
  @AsnProp({ type: PolicyInformation, repeated: 'sequence', optional: true })
  policies?: PolicyInformation[];
  constructor(params: Partial<SigningCertificateV2> = {}) {
    Object.assign(this, params);
  }
}

/** ESSCertID ::= SEQUENCE { certHash Hash (SHA-1), issuerSerial IssuerSerial OPTIONAL } (RFC 2634 §5.4.1) */
export class EssCertId {
  @AsnProp({ type: OctetString })
  certHash: OctetString = new OctetString();
  @AsnProp({ type: IssuerSerial, optional: true })
  issuerSerial?: IssuerSerial;
}

/** SigningCertificate ::= SEQUENCE { certs SEQUENCE OF ESSCertID, policies ... OPTIONAL } */
export class SigningCertificate {
  @AsnProp({ type: EssCertId, repeated: 'sequence' })
  certs: EssCertId[] = [];
  @AsnProp({ type: PolicyInformation, repeated: 'sequence', optional: true })
  policies?: PolicyInformation[];
}

// ---------------------------------------------------------------------------------------------
// Encoding (signing side)
// ---------------------------------------------------------------------------------------------

/** Attribute ::= SEQUENCE { attrType OBJECT IDENTIFIER, attrValues SET OF AttributeValue } */
export function encodeAttribute(oid: string, ...values: Buffer[]): Buffer {
  const sorted = values.length > 1 ? [...values].sort(compareDerSetElements) : values;
  return derEncode(TAG.SEQUENCE, derOid(oid), derEncode(TAG.SET, ...sorted));
}

export function contentTypeAttr(contentTypeOid: string): Buffer {
  return encodeAttribute(ATTR.contentType, derOid(contentTypeOid));
}

export function messageDigestAttr(digest: Buffer): Buffer {
  return encodeAttribute(ATTR.messageDigest, derEncode(TAG.OCTET_STRING, digest));
}

export function signingTimeAttr(t: Date): Buffer {
  return encodeAttribute(ATTR.signingTime, derTime(t));
}

export function capabilitiesAttr(oids: readonly string[]): Buffer {
  const caps = new SmimeCapabilities(oids.map((o) => new SmimeCapability({ capabilityID: o })));
  return encodeAttribute(ATTR.smimeCapabilities, Buffer.from(AsnSerializer.serialize(caps)));
}

export function signatureTypeAttr(types: readonly SignatureType[]): Buffer {
  if (types.length === 0) throw new SmimeError('invalid-input', 'empty signature type list');
  const unique = [...new Set(types)];
  if (unique.includes('additionalAttributesSig') && unique.length > 1) {
    // RFC 3183 §3: several types may share the attribute "as long as additionalAttributesSig is not present".
    throw new SmimeError('invalid-input', 'additionalAttributesSig cannot be combined with other signature types');
  }
  for (const t of unique) if (!SIGNATURE_TYPE_OIDS[t]) throw new SmimeError('invalid-input', `unknown signature type ${t}`);
  const v = new SignatureTypeValue(unique.map((t) => SIGNATURE_TYPE_OIDS[t]));
  return encodeAttribute(ATTR.signatureType, Buffer.from(AsnSerializer.serialize(v)));
}

/** ESS signing-certificate-v2 naming `cert` by its SHA-256 hash plus issuer and serial (RFC 5035). */
export function signingCertificateV2Attr(cert: ParsedCert): Buffer {
  const issuerName = AsnParser.parse(cert.issuerDer, Name);
  const id = new EssCertIdV2({
    certHash: new OctetString(createHash('sha256').update(cert.der).digest()),
    issuerSerial: new IssuerSerial({
      issuer: [new GeneralName({ directoryName: issuerName })],
      serialNumber: new Uint8Array(cert.serial).buffer,
    }),
  });
  const v = new SigningCertificateV2({ certs: [id] });
  return encodeAttribute(ATTR.signingCertificateV2, Buffer.from(AsnSerializer.serialize(v)));
}

/** SignedAttributes as DER: SET OF Attribute, sorted (X.690 §11.6), tagged SET (0x31). */
export function encodeSignedAttrs(attrs: Buffer[]): Buffer {
  return derEncode(TAG.SET, ...[...attrs].sort(compareDerSetElements));
}

// ---------------------------------------------------------------------------------------------
// Decoding (verifying side)
// ---------------------------------------------------------------------------------------------

export interface EssCertRef {
  readonly hash: DigestName;
  readonly certHash: Buffer;
}

export interface DecodedSignedAttrs {
  contentType?: string;
  messageDigest?: Buffer;
  signingTime?: Date;
  capabilities?: string[];
  signatureTypes: SignatureType[];
  /** Signature-type OIDs we do not know (reported, not fatal). */
  unknownSignatureTypes: string[];
  signingCertificateV2?: EssCertRef[];
  signingCertificateV1?: EssCertRef[];
  /** Problems that make the SignerInfo invalid (duplicates, wrong value counts, undecodable values). */
  problems: string[];
}

const SINGLE_VALUED = new Set<string>([ATTR.contentType, ATTR.messageDigest, ATTR.signingTime, ATTR.signatureType, ATTR.signingCertificateV2, ATTR.signingCertificate, ATTR.smimeCapabilities]);

const NAMES: Record<string, string> = {
  [ATTR.contentType]: 'contentType',
  [ATTR.messageDigest]: 'messageDigest',
  [ATTR.signingTime]: 'signingTime',
  [ATTR.smimeCapabilities]: 'SMIMECapabilities',
  [ATTR.signatureType]: 'signatureType',
  [ATTR.signingCertificateV2]: 'signingCertificateV2',
  [ATTR.signingCertificate]: 'signingCertificate',
};

/** Read the signed attributes (the [0] IMPLICIT SET inside a SignerInfo). */
export function decodeSignedAttrs(buf: Buffer, set: Tlv): DecodedSignedAttrs {
  const out: DecodedSignedAttrs = { signatureTypes: [], unknownSignatureTypes: [], problems: [] };
  const attrs = childrenOf(buf, set);
  if (attrs.length === 0) out.problems.push('signed attributes are empty');
  if (attrs.length > MAX_SIGNED_ATTRIBUTES) throw new SmimeError('malformed', 'too many signed attributes');
  const seen = new Set<string>();
  for (const a of attrs) {
    if (a.tag !== TAG.SEQUENCE) throw new SmimeError('malformed', 'signed attribute is not a SEQUENCE');
    const [typeT, valuesT, ...rest] = childrenOf(buf, a);
    if (!typeT || !valuesT || rest.length || valuesT.tag !== TAG.SET) throw new SmimeError('malformed', 'bad signed attribute');
    const oid = readOid(buf, typeT);
    const values = childrenOf(buf, valuesT);
    const name = NAMES[oid];
    if (!name) continue; // unknown attributes are allowed and ignored (RFC 4134 §4.10 carries some)
    if (seen.has(oid)) {
      out.problems.push(`signed attribute ${name} appears more than once`);
      continue;
    }
    seen.add(oid);
    if (SINGLE_VALUED.has(oid) && values.length !== 1) {
      out.problems.push(`signed attribute ${name} must have exactly one value`);
      continue;
    }
    const v = values[0]!;
    try {
      switch (oid) {
        case ATTR.contentType:
          out.contentType = readOid(buf, v);
          break;
        case ATTR.messageDigest:
          out.messageDigest = Buffer.from(octetStringContent(buf, v));
          break;
        case ATTR.signingTime:
          out.signingTime = readTime(buf, v);
          break;
        // The next three are read with the lean reader: the declared classes above cost ~0.3 ms of
        // asn1js per message here, on the verify hot path. Their layouts are small and fixed.
        case ATTR.smimeCapabilities: {
          // SEQUENCE OF SEQUENCE { capabilityID OBJECT IDENTIFIER, parameters ANY OPTIONAL }
          out.capabilities = childrenOfSeq(buf, v).map((c) => {
            const [id, , more] = childrenOfSeq(buf, c);
            if (!id || more) throw new Error('bad SMIMECapability');
            return readOid(buf, id);
          });
          break;
        }
        case ATTR.signatureType: {
          for (const o of childrenOfSeq(buf, v)) {
            const s = readOid(buf, o);
            const t = SIGNATURE_TYPE_BY_OID.get(s);
            if (t) {
              if (!out.signatureTypes.includes(t)) out.signatureTypes.push(t);
            } else out.unknownSignatureTypes.push(s);
          }
          break;
        }
        case ATTR.signingCertificateV2:
        case ATTR.signingCertificate: {
          // SigningCertificate[V2] ::= SEQUENCE { certs SEQUENCE OF ESSCertID[v2], policies OPTIONAL }
          // ESSCertIDv2 ::= SEQUENCE { hashAlgorithm AlgorithmIdentifier DEFAULT sha256, certHash OCTET STRING, issuerSerial OPTIONAL }
          // ESSCertID   ::= SEQUENCE { certHash OCTET STRING, issuerSerial OPTIONAL }
          const v2 = oid === ATTR.signingCertificateV2;
          const [certsT] = childrenOfSeq(buf, v);
          if (!certsT) throw new Error('bad signing certificate attribute');
          const refs: EssCertRef[] = childrenOfSeq(buf, certsT).map((idT) => {
            const f = childrenOfSeq(buf, idT);
            let hash: DigestName = v2 ? 'sha256' : 'sha1';
            let k = 0;
            if (v2 && f[0]?.tag === TAG.SEQUENCE) {
              const algOid = readOid(buf, childrenOfSeq(buf, f[0])[0]!);
              const h = digestFromOid(algOid);
              if (!h) throw new SmimeError('unsupported', `signing certificate hash ${algOid} is not supported`);
              hash = h;
              k = 1;
            }
            const hT = f[k];
            if (!hT || hT.tag !== TAG.OCTET_STRING) throw new Error('bad ESSCertID');
            return { hash, certHash: Buffer.from(buf.subarray(hT.contentStart, hT.contentEnd)) };
          });
          if (refs.length === 0) throw new Error('empty signing certificate attribute');
          if (v2) out.signingCertificateV2 = refs;
          else out.signingCertificateV1 = refs;
          break;
        }
      }
    } catch (e) {
      if (e instanceof SmimeError && e.code === 'unsupported') out.problems.push(e.message);
      else out.problems.push(`signed attribute ${name} cannot be decoded`);
    }
  }
  return out;
}

function childrenOfSeq(buf: Buffer, t: Tlv): Tlv[] {
  if (t.tag !== TAG.SEQUENCE) throw new Error('expected a SEQUENCE');
  return childrenOf(buf, t);
}

/** Whether `cert` is the certificate named by an ESS certificate reference. */
export function essRefMatches(ref: EssCertRef, certDer: Buffer, sha256Hex?: string): boolean {
  // A parsed certificate already carries its SHA-256 fingerprint: no second hash of the certificate.
  if (ref.hash === 'sha256' && sha256Hex !== undefined) return ref.certHash.length === 32 && ref.certHash.toString('hex') === sha256Hex;
  return createHash(ref.hash).update(certDer).digest().equals(ref.certHash);
}

