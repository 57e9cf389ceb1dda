// PKCS#12 (RFC 7292) writer for the key pairs we hand to external recipients. Pure: bytes in,
// bytes out; randomness and ciphers from node:crypto. Trust level: sees a private key and its
// password; returns only the encrypted file.
//
// Two profiles:
//  - 'modern' (default), what OpenSSL 3 writes by default: the key in a pkcs8ShroudedKeyBag under
//    PBES2 (PBKDF2-HMAC-SHA-256, AES-256-CBC), the certificates in an EncryptedData under the same
//    PBES2 scheme, and an HMAC-SHA-256 MAC.
//  - 'legacy', for old clients (Windows 7, older macOS/iOS, old Thunderbird): key and certificates
//    under pbeWithSHAAnd3-KeyTripleDES-CBC and a HMAC-SHA-1 MAC.
//
// Hand-written on purpose, with declared ASN.1 (@peculiar/asn1-pfx): node:crypto has no PKCS#12
// API, and OpenSSL's is not exposed. The MAC key (both profiles) and the legacy PBE key and IV
// come from the PKCS#12 key-derivation function of RFC 7292 appendix B.2, which node:crypto does
// not offer either (its pbkdf2 is PKCS#5, a different function), so `pkcs12Kdf` implements B.2.
// PBES2 key encryption is node:crypto's own PKCS#8 export.
import { createCipheriv, createHash, createHmac, pbkdf2Sync, randomBytes, type KeyObject } from 'node:crypto';
import { AsnConvert, AsnProp, AsnPropTypes, AsnType, AsnTypeTypes, OctetString } from '@peculiar/asn1-schema';
import { AlgorithmIdentifier } from '@peculiar/asn1-x509';
import { ContentInfo, EncryptedContent, EncryptedContentInfo, id_data, id_encryptedData } from '@peculiar/asn1-cms';
import { DigestInfo } from '@peculiar/asn1-rsa';
import { EncryptedPrivateKeyInfo } from '@peculiar/asn1-pkcs8';
import {
  AuthenticatedSafe,
  CertBag,
  MacData,
  PFX,
  PKCS12Attribute,
  SafeBag,
  SafeContents,
  id_certBag,
  id_pkcs8ShroudedKeyBag,
  id_x509Certificate,
} from '@peculiar/asn1-pfx';

export type Pkcs12Profile = 'modern' | 'legacy';

/** Iteration counts: OpenSSL 3's defaults (PKCS12_DEFAULT_ITER); the password carries >= 60 bits. */
export const PKCS12_KDF_ITERATIONS = 2048;
export const PKCS12_MAC_ITERATIONS = 2048;
export const PKCS12_SALT_BYTES = 8;

const OID = {
  pbes2: '1.2.840.113549.1.5.13',
  pbkdf2: '1.2.840.113549.1.5.12',
  hmacWithSHA256: '1.2.840.113549.2.9',
  aes256cbc: '2.16.840.1.101.3.4.1.42',
  pbeSha3Des: '1.2.840.113549.1.12.1.3',
  sha1: '1.3.14.3.2.26',
  sha256: '2.16.840.1.101.3.4.2.1',
  friendlyName: '1.2.840.113549.1.9.20',
  localKeyId: '1.2.840.113549.1.9.21',
} as const;

// ---- declared parameter structures (RFC 8018, RFC 7292) --------------------------------------

class Pbkdf2Params {
  @AsnProp({ type: AsnPropTypes.OctetString }) salt = new ArrayBuffer(0);
  @AsnProp({ type: AsnPropTypes.Integer }) iterationCount = 0;
  @AsnProp({ type: AlgorithmIdentifier }) prf = new AlgorithmIdentifier();
  constructor(p: Partial<Pbkdf2Params> = {}) {
    Object.assign(this, p);
  }
}

class Pbes2Params {
  @AsnProp({ type: AlgorithmIdentifier }) keyDerivationFunc = new AlgorithmIdentifier();
  @AsnProp({ type: AlgorithmIdentifier }) encryptionScheme = new AlgorithmIdentifier();
  constructor(p: Partial<Pbes2Params> = {}) {
    Object.assign(this, p);
  }
}

class Pkcs12PbeParams {
  @AsnProp({ type: AsnPropTypes.OctetString }) salt = new ArrayBuffer(0);
  @AsnProp({ type: AsnPropTypes.Integer }) iterations = 0;
  constructor(p: Partial<Pkcs12PbeParams> = {}) {
    Object.assign(this, p);
  }
}

/** CMS EncryptedData (RFC 5652 8) without unprotectedAttrs; @peculiar/asn1-cms does not declare it. */
class EncryptedData {
  @AsnProp({ type: AsnPropTypes.Integer }) version = 0;
  @AsnProp({ type: EncryptedContentInfo }) encryptedContentInfo = new EncryptedContentInfo();
  constructor(p: Partial<EncryptedData> = {}) {
    Object.assign(this, p);
  }
}

@AsnType({ type: AsnTypeTypes.Choice })
class BmpStringValue {
  @AsnProp({ type: AsnPropTypes.BmpString }) value = '';
  constructor(v = '') {
    this.value = v;
  }
}

const ab = (b: Buffer): ArrayBuffer => b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;
const der = (v: unknown): Buffer => Buffer.from(AsnConvert.serialize(v));
const NULL_PARAMS = ab(Buffer.from([0x05, 0x00]));

// ---- RFC 7292 appendix B.2 ---------------------------------------------------------------------

/** Password as RFC 7292 B.1 wants it for the KDF: BMPString (UTF-16BE) with a two-zero terminator. */
export function bmpPassword(password: string): Buffer {
  const out = Buffer.alloc(password.length * 2 + 2);
  for (let i = 0; i < password.length; i++) out.writeUInt16BE(password.charCodeAt(i), i * 2);
  return out;
}

/** RFC 7292 B.2. id: 1 = key, 2 = IV, 3 = MAC key. Block size v = 64 for SHA-1 and SHA-256. */
export function pkcs12Kdf(hash: 'sha1' | 'sha256', password: Buffer, salt: Buffer, id: 1 | 2 | 3, iterations: number, n: number): Buffer {
  const u = hash === 'sha1' ? 20 : 32;
  const v = 64;
  const fill = (src: Buffer): Buffer => {
    if (src.length === 0) return Buffer.alloc(0);
    const len = v * Math.ceil(src.length / v);
    const out = Buffer.alloc(len);
    for (let i = 0; i < len; i++) out[i] = src[i % src.length]!;
    return out;
  };
  const D = Buffer.alloc(v, id);
  const I = Buffer.concat([fill(salt), fill(password)]);
  const c = Math.ceil(n / u);
  const A: Buffer[] = [];
  for (let i = 0; i < c; i++) {
    let Ai = createHash(hash).update(D).update(I).digest();
    for (let r = 1; r < iterations; r++) Ai = createHash(hash).update(Ai).digest();
    A.push(Ai);
    if (i === c - 1) break;
    const B = Buffer.alloc(v);
    for (let k = 0; k < v; k++) B[k] = Ai[k % u]!;
    // Each v-byte block Ij of I becomes (Ij + B + 1) mod 2^(8v).
    for (let j = 0; j < I.length; j += v) {
      let carry = 1;
      for (let k = v - 1; k >= 0; k--) {
        const s = I[j + k]! + B[k]! + carry;
        I[j + k] = s & 0xff;
        carry = s >> 8;
      }
    }
  }
  return Buffer.concat(A).subarray(0, n);
}

// ---- encryption schemes ------------------------------------------------------------------------

interface Encrypted {
  algorithm: AlgorithmIdentifier;
  ciphertext: Buffer;
}

function pbes2Encrypt(data: Buffer, password: string): Encrypted {
  const salt = randomBytes(PKCS12_SALT_BYTES);
  const iv = randomBytes(16);
  // OpenSSL passes the password bytes as given to PBKDF2 (no BMPString for PBES2).
  const key = pbkdf2Sync(Buffer.from(password, 'utf8'), salt, PKCS12_KDF_ITERATIONS, 32, 'sha256');
  const c = createCipheriv('aes-256-cbc', key, iv);
  const ciphertext = Buffer.concat([c.update(data), c.final()]);
  const params = new Pbes2Params({
    keyDerivationFunc: new AlgorithmIdentifier({
      algorithm: OID.pbkdf2,
      parameters: AsnConvert.serialize(new Pbkdf2Params({
        salt: ab(salt),
        iterationCount: PKCS12_KDF_ITERATIONS,
        prf: new AlgorithmIdentifier({ algorithm: OID.hmacWithSHA256, parameters: NULL_PARAMS }),
      })),
    }),
    encryptionScheme: new AlgorithmIdentifier({ algorithm: OID.aes256cbc, parameters: AsnConvert.serialize(new OctetString(ab(iv))) }),
  });
  return { algorithm: new AlgorithmIdentifier({ algorithm: OID.pbes2, parameters: AsnConvert.serialize(params) }), ciphertext };
}

function pbeSha3DesEncrypt(data: Buffer, password: string): Encrypted {
  const salt = randomBytes(PKCS12_SALT_BYTES);
  const pw = bmpPassword(password);
  const key = pkcs12Kdf('sha1', pw, salt, 1, PKCS12_KDF_ITERATIONS, 24);
  const iv = pkcs12Kdf('sha1', pw, salt, 2, PKCS12_KDF_ITERATIONS, 8);
  const c = createCipheriv('des-ede3-cbc', key, iv);
  const ciphertext = Buffer.concat([c.update(data), c.final()]);
  const params = new Pkcs12PbeParams({ salt: ab(salt), iterations: PKCS12_KDF_ITERATIONS });
  return { algorithm: new AlgorithmIdentifier({ algorithm: OID.pbeSha3Des, parameters: AsnConvert.serialize(params) }), ciphertext };
}

const encrypt = (profile: Pkcs12Profile, data: Buffer, password: string): Encrypted =>
  profile === 'modern' ? pbes2Encrypt(data, password) : pbeSha3DesEncrypt(data, password);

/** EncryptedPrivateKeyInfo DER for the key bag. */
function shroudKey(key: KeyObject, password: string, profile: Pkcs12Profile): Buffer {
  if (profile === 'modern') {
    // node:crypto (OpenSSL) writes PBES2 / PBKDF2-HMAC-SHA-256 / AES-256-CBC, as `openssl pkcs12` does.
    return key.export({ format: 'der', type: 'pkcs8', cipher: 'aes-256-cbc', passphrase: password }) as Buffer;
  }
  const plain = key.export({ format: 'der', type: 'pkcs8' }) as Buffer;
  const e = pbeSha3DesEncrypt(plain, password);
  // EncryptedPrivateKeyInfo ::= SEQUENCE { encryptionAlgorithm, encryptedData OCTET STRING }
  return der(new EncryptedPrivateKeyInfo({ encryptionAlgorithm: e.algorithm, encryptedData: new OctetString(ab(e.ciphertext)) }));
}


// ---- the file ----------------------------------------------------------------------------------

export interface Pkcs12Input {
  privateKey: KeyObject;
  /** End-entity certificate DER. */
  certificate: Buffer;
  /** CA certificates DER (issuer first), included so clients can build the chain. */
  chain?: Buffer[];
  /** Shown by clients as the name of the identity (e.g. the address). */
  friendlyName: string;
  password: string;
  profile?: Pkcs12Profile;
}

function attr(id: string, value: Buffer): PKCS12Attribute {
  // Fields set one by one: PKCS12Attribute's constructor in @peculiar/asn1-pfx 2.x drops its
  // params (`Object.assign(params)`), which would serialize an empty attribute.
  const a = new PKCS12Attribute();
  a.attrId = id;
  a.attrValues = [ab(value)];
  return a;
}

/** Builds a PKCS#12 file. The key and the end-entity certificate share a localKeyId (SHA-1 of the certificate, as OpenSSL does). */
export function writePkcs12(input: Pkcs12Input): Buffer {
  const profile = input.profile ?? 'modern';
  if (!input.password) throw new Error('PKCS#12 password must not be empty');
  const localKeyId = createHash('sha1').update(input.certificate).digest();
  const idAttrs = [attr(OID.friendlyName, der(new BmpStringValue(input.friendlyName))), attr(OID.localKeyId, der(new OctetString(ab(localKeyId))))];

  const certBags = [input.certificate, ...(input.chain ?? [])].map(
    (c, i) =>
      new SafeBag({
        bagId: id_certBag,
        bagValue: AsnConvert.serialize(new CertBag({ certId: id_x509Certificate, certValue: AsnConvert.serialize(new OctetString(ab(c))) })),
        ...(i === 0 ? { bagAttributes: idAttrs } : {}),
      }),
  );
  const certSafe = der(new SafeContents(certBags));
  const enc = encrypt(profile, certSafe, input.password);
  const encryptedData = new EncryptedData({
    version: 0,
    encryptedContentInfo: new EncryptedContentInfo({
      contentType: id_data,
      contentEncryptionAlgorithm: enc.algorithm,
      encryptedContent: new EncryptedContent({ value: new OctetString(ab(enc.ciphertext)) }),
    }),
  });

  const keyBag = new SafeBag({ bagId: id_pkcs8ShroudedKeyBag, bagValue: ab(shroudKey(input.privateKey, input.password, profile)), bagAttributes: idAttrs });
  const keySafe = der(new SafeContents([keyBag]));

  const authSafe = der(
    new AuthenticatedSafe([
      new ContentInfo({ contentType: id_encryptedData, content: AsnConvert.serialize(encryptedData) }),
      new ContentInfo({ contentType: id_data, content: AsnConvert.serialize(new OctetString(ab(keySafe))) }),
    ]),
  );

  const hash = profile === 'modern' ? 'sha256' : 'sha1';
  const macSalt = randomBytes(PKCS12_SALT_BYTES);
  const macKey = pkcs12Kdf(hash, bmpPassword(input.password), macSalt, 3, PKCS12_MAC_ITERATIONS, hash === 'sha1' ? 20 : 32);
  const mac = createHmac(hash, macKey).update(authSafe).digest();

  const pfx = new PFX({
    version: 3,
    authSafe: new ContentInfo({ contentType: id_data, content: AsnConvert.serialize(new OctetString(ab(authSafe))) }),
    macData: new MacData({
      mac: new DigestInfo({
        digestAlgorithm: new AlgorithmIdentifier({ algorithm: hash === 'sha1' ? OID.sha1 : OID.sha256, parameters: NULL_PARAMS }),
        digest: new OctetString(ab(mac)),
      }),
      macSalt: new OctetString(ab(macSalt)),
      iterations: PKCS12_MAC_ITERATIONS,
    }),
  });
  return der(pfx);
}
