// Escrowed personal keys of internal users: `sealgate cert import-p12` reads a user's own PKCS#12
// (their certificate from any CA, and its private key), checks that the key belongs to the
// certificate and that the certificate names an address in one of our domains, and keeps the key
// sealed under the KEK in pki_keys (purpose `user-escrow`) like every other key we hold; the
// certificate is kept beside it (setting `user-escrow-cert:<key id>`). The inbound stage then
// decrypts mail that partners encrypted to that personal certificate.
// PKCS#12 reading (RFC 7292): MAC check (HMAC-SHA-1/SHA-256 with the B.2 KDF), PBES2 (PBKDF2 with
// HMAC-SHA-1/256/384/512, AES-CBC or 3DES) and pbeWithSHAAnd3-KeyTripleDES-CBC; the key bag goes to
// node:crypto's encrypted-PKCS#8 reader. Declared with cert-util's TLV readers (bytes in, values out).
// Trust level: holds a user's private key in memory only long enough to seal it; never logs it.
import { createDecipheriv, createHmac, createPrivateKey, createPublicKey, pbkdf2Sync, timingSafeEqual, type KeyObject } from 'node:crypto';
import { childrenOf, contentOf, octetStringContent, parseCert, rawOf, readOid, readSmallInt, readWhole, TAG, type Tlv } from './cert-util.js';
import { bmpPassword, pkcs12Kdf } from './pkcs12.js';
import { fingerprint, normalizeAddress, type PkiStore } from './ca.js';
import { CertStore } from './certstore.js';
import { openPrivateKey, sealPrivateKey, type Kek } from './keystore.js';

export const USER_KEY_PURPOSE = 'user-escrow';
const CERT_SETTING = (keyId: string) => `user-escrow-cert:${keyId}`;

const OID = {
  data: '1.2.840.113549.1.7.1',
  encryptedData: '1.2.840.113549.1.7.6',
  keyBag: '1.2.840.113549.1.12.10.1.1',
  shroudedKeyBag: '1.2.840.113549.1.12.10.1.2',
  certBag: '1.2.840.113549.1.12.10.1.3',
  x509Certificate: '1.2.840.113549.1.9.22.1',
  pbes2: '1.2.840.113549.1.5.13',
  pbkdf2: '1.2.840.113549.1.5.12',
  pbeSha3Des: '1.2.840.113549.1.12.1.3',
  sha1: '1.3.14.3.2.26',
  sha256: '2.16.840.1.101.3.4.2.1',
} as const;
const PRF: Record<string, string> = { '1.2.840.113549.2.7': 'sha1', '1.2.840.113549.2.9': 'sha256', '1.2.840.113549.2.10': 'sha384', '1.2.840.113549.2.11': 'sha512' };
const CIPHER: Record<string, { name: string; keyLen: number }> = {
  '2.16.840.1.101.3.4.1.2': { name: 'aes-128-cbc', keyLen: 16 },
  '2.16.840.1.101.3.4.1.22': { name: 'aes-192-cbc', keyLen: 24 },
  '2.16.840.1.101.3.4.1.42': { name: 'aes-256-cbc', keyLen: 32 },
  '1.2.840.113549.3.7': { name: 'des-ede3-cbc', keyLen: 24 },
};
/** Largest iteration count accepted (PBKDF2, the PKCS#12 KDF, the MAC): bounds the work an input can ask for. */
export const MAX_PKCS12_ITERATIONS = 10_000_000;

export class Pkcs12Error extends Error {}

const kids = (buf: Buffer, t: Tlv | undefined, what: string): Tlv[] => {
  if (!t) throw new Pkcs12Error(`PKCS#12: missing ${what}`);
  return childrenOf(buf, t);
};

function iterations(buf: Buffer, t: Tlv | undefined): number {
  const n = t ? readSmallInt(buf, t) : 1;
  if (n < 1 || n > MAX_PKCS12_ITERATIONS) throw new Pkcs12Error(`PKCS#12: iteration count ${n} out of range`);
  return n;
}

/** Decrypts one PBE-encrypted blob (PBES2 or the PKCS#12 3DES scheme). */
function pbeDecrypt(alg: Buffer, ciphertext: Buffer, password: string): Buffer {
  const [oidT, paramsT] = kids(alg, readWhole(alg), 'algorithm');
  const oid = readOid(alg, oidT!);
  let cipher: string;
  let key: Buffer;
  let iv: Buffer;
  if (oid === OID.pbeSha3Des) {
    const [saltT, iterT] = kids(alg, paramsT, 'PBE parameters');
    const salt = contentOf(alg, saltT!);
    const n = iterations(alg, iterT);
    key = pkcs12Kdf('sha1', bmpPassword(password), salt, 1, n, 24);
    iv = pkcs12Kdf('sha1', bmpPassword(password), salt, 2, n, 8);
    cipher = 'des-ede3-cbc';
  } else if (oid === OID.pbes2) {
    const [kdfT, encT] = kids(alg, paramsT, 'PBES2 parameters');
    const [kdfOid, kdfParams] = kids(alg, kdfT, 'key derivation');
    if (readOid(alg, kdfOid!) !== OID.pbkdf2) throw new Pkcs12Error('PKCS#12: unsupported key derivation (only PBKDF2)');
    const [saltT, iterT, ...rest] = kids(alg, kdfParams, 'PBKDF2 parameters');
    const prfT = rest.find((t) => t.tag === TAG.SEQUENCE);
    const prf = prfT ? PRF[readOid(alg, childrenOf(alg, prfT)[0]!)] : 'sha1';
    const [encOid, ivT] = kids(alg, encT, 'encryption scheme');
    const c = CIPHER[readOid(alg, encOid!)];
    if (!prf || !c || !ivT) throw new Pkcs12Error('PKCS#12: unsupported PBES2 cipher or PRF');
    key = pbkdf2Sync(Buffer.from(password, 'utf8'), contentOf(alg, saltT!), iterations(alg, iterT), c.keyLen, prf);
    iv = contentOf(alg, ivT);
    cipher = c.name;
  } else {
    throw new Pkcs12Error(`PKCS#12: unsupported encryption ${oid} (export it again with AES, e.g. openssl pkcs12 -export's default)`);
  }
  try {
    const d = createDecipheriv(cipher, key, iv);
    return Buffer.concat([d.update(ciphertext), d.final()]);
  } catch {
    throw new Pkcs12Error('PKCS#12: wrong password or damaged file');
  }
}

function checkMac(buf: Buffer, macT: Tlv, authSafe: Buffer, password: string): void {
  const [digestInfo, saltT, iterT] = childrenOf(buf, macT);
  const [algT, digestT] = kids(buf, digestInfo, 'MAC digest');
  const hashOid = readOid(buf, childrenOf(buf, algT!)[0]!);
  const hash = hashOid === OID.sha1 ? 'sha1' : hashOid === OID.sha256 ? 'sha256' : undefined;
  if (!hash) throw new Pkcs12Error(`PKCS#12: unsupported MAC hash ${hashOid}`);
  const macKey = pkcs12Kdf(hash, bmpPassword(password), contentOf(buf, saltT!), 3, iterations(buf, iterT), hash === 'sha1' ? 20 : 32);
  const want = contentOf(buf, digestT!);
  const got = createHmac(hash, macKey).update(authSafe).digest();
  if (want.length !== got.length || !timingSafeEqual(want, got)) throw new Pkcs12Error('PKCS#12: wrong password (MAC does not verify)');
}

/** The SafeContents DER of one AuthenticatedSafe entry (decrypting EncryptedData). */
function safeContents(buf: Buffer, ci: Tlv, password: string): Buffer {
  const [oidT, wrapT] = childrenOf(buf, ci);
  const oid = readOid(buf, oidT!);
  const inner = kids(buf, wrapT, 'content')[0]!;
  if (oid === OID.data) return octetStringContent(buf, inner);
  if (oid !== OID.encryptedData) throw new Pkcs12Error(`PKCS#12: unsupported content ${oid} (public-key protected PKCS#12 is not supported)`);
  const [, eci] = childrenOf(buf, inner);
  const [, algT, ctT] = kids(buf, eci, 'encrypted content');
  if (!ctT) throw new Pkcs12Error('PKCS#12: no encrypted content');
  const ct = ctT.tag === 0x80 ? contentOf(buf, ctT) : Buffer.concat(childrenOf(buf, ctT).map((c) => contentOf(buf, c)));
  return pbeDecrypt(Buffer.from(rawOf(buf, algT!)), ct, password);
}

export interface Pkcs12Contents {
  privateKey: KeyObject;
  /** The certificate that goes with the key (DER). */
  certificate: Buffer;
  /** Every other certificate in the file (DER). */
  others: Buffer[];
}

export function readPkcs12(p12: Buffer, password: string): Pkcs12Contents {
  try {
    return readPkcs12Inner(p12, password);
  } catch (e) {
    if (e instanceof Pkcs12Error) throw e;
    throw new Pkcs12Error(`PKCS#12: not a readable PKCS#12 file (${e instanceof Error ? e.message : 'malformed'})`);
  }
}

function readPkcs12Inner(p12: Buffer, password: string): Pkcs12Contents {
  const [, authT, macT] = childrenOf(p12, readWhole(p12));
  const [dataOid, wrap] = kids(p12, authT, 'authSafe');
  if (readOid(p12, dataOid!) !== OID.data) throw new Pkcs12Error('PKCS#12: public-key integrity mode is not supported');
  const authSafe = octetStringContent(p12, kids(p12, wrap, 'authSafe content')[0]!);
  if (macT) checkMac(p12, macT, authSafe, password);
  const keys: KeyObject[] = [];
  const certs: Buffer[] = [];
  for (const ci of childrenOf(authSafe, readWhole(authSafe))) {
    const sc = safeContents(authSafe, ci, password);
    for (const bag of childrenOf(sc, readWhole(sc))) {
      const [idT, valT] = childrenOf(sc, bag);
      const id = readOid(sc, idT!);
      const value = kids(sc, valT, 'bag value')[0]!;
      if (id === OID.shroudedKeyBag) keys.push(createPrivateKey({ key: Buffer.from(rawOf(sc, value)), format: 'der', type: 'pkcs8', passphrase: password }));
      else if (id === OID.keyBag) keys.push(createPrivateKey({ key: Buffer.from(rawOf(sc, value)), format: 'der', type: 'pkcs8' }));
      else if (id === OID.certBag) {
        const [typeT, certWrap] = childrenOf(sc, value);
        if (readOid(sc, typeT!) === OID.x509Certificate) certs.push(Buffer.from(octetStringContent(sc, kids(sc, certWrap, 'certificate')[0]!)));
      }
    }
  }
  if (keys.length !== 1) throw new Pkcs12Error(`PKCS#12: expected one private key, found ${keys.length}`);
  const spki = createPublicKey(keys[0]!).export({ format: 'der', type: 'spki' });
  const certificate = certs.find((c) => parseCert(c).spkiDer.equals(spki));
  if (!certificate) throw new Pkcs12Error('PKCS#12: no certificate in the file matches its private key');
  return { privateKey: keys[0]!, certificate, others: certs.filter((c) => c !== certificate) };
}

export interface ImportedUserKey {
  keyId: string;
  address: string;
  subject: string;
  notAfter: Date;
  fingerprint: string;
}

/**
 * Seals a user's key under the KEK and stores it with the certificate. The certificate must name
 * an address in one of `domains` (only internal users' keys are escrowed) and must not be expired.
 */
export async function importUserKey(store: PkiStore, kek: Kek, p12: Pkcs12Contents, opts: { domains: string[]; actor: string; now: Date }): Promise<ImportedUserKey> {
  const cert = parseCert(p12.certificate);
  const address = cert.emails.map((e) => normalizeAddress(e)).find((e) => opts.domains.includes(e.slice(e.lastIndexOf('@') + 1)));
  if (!address) throw new Pkcs12Error(`the certificate names no address in our domains (${opts.domains.join(', ')}): ${cert.emails.join(', ') || 'no email address'}`);
  if (cert.notAfter <= opts.now) throw new Pkcs12Error(`the certificate expired on ${cert.notAfter.toISOString().slice(0, 10)}`);
  const fp = fingerprint(p12.certificate);
  const keyId = `${USER_KEY_PURPOSE}:${address}:${fp.replace(/:/g, '').slice(0, 16).toLowerCase()}`;
  const certs = CertStore.of(store.db);
  const existing = await certs.getKey(keyId);
  if (existing?.sealedKey) throw new Pkcs12Error(`already imported for ${address} (key ${keyId})`);
  const sealedKey = sealPrivateKey(p12.privateKey, kek);
  // a key removed with `cert user-keys remove` may be escrowed again
  if (existing) await certs.reviveKey(keyId, sealedKey, kek.id, opts.now);
  else {
    await certs.putKey({
      id: keyId,
      purpose: USER_KEY_PURPOSE,
      algorithm: p12.privateKey.asymmetricKeyType ?? 'unknown',
      spki: cert.spkiDer,
      sealedKey,
      kekId: kek.id,
      createdAt: opts.now,
    });
  }
  await store.setSetting(CERT_SETTING(keyId), p12.certificate.toString('base64'));
  await store.audit.append({ type: 'user-key-escrowed', actor: opts.actor, data: { address, keyId, sha256: fp } });
  return { keyId, address, subject: cert.subjectText, notAfter: cert.notAfter, fingerprint: fp };
}

/** Every escrowed user key with its certificate, opened with the KEK (for decryption). */
export async function userDecryptKeys(store: PkiStore, kek: Kek): Promise<Array<{ certificate: Buffer; privateKey: KeyObject }>> {
  const out: Array<{ certificate: Buffer; privateKey: KeyObject }> = [];
  for (const k of await CertStore.of(store.db).listKeys()) {
    if (k.purpose !== USER_KEY_PURPOSE || !k.sealedKey) continue;
    const cert = await store.getSetting(CERT_SETTING(k.id));
    if (cert) out.push({ certificate: Buffer.from(cert, 'base64'), privateKey: openPrivateKey(k.sealedKey, kek) });
  }
  return out;
}

export interface EscrowedUserKey {
  keyId: string;
  address: string;
  subject: string;
  notAfter: Date | null;
  fingerprint: string;
  importedAt: Date;
  /** When the key was removed (the certificate stays on record); null while it is in use. */
  removedAt: Date | null;
}

/** Every escrowed user key, in use or removed, with its certificate's facts (no KEK needed). */
export async function listUserKeys(store: PkiStore): Promise<EscrowedUserKey[]> {
  const out: EscrowedUserKey[] = [];
  for (const k of await CertStore.of(store.db).listKeys()) {
    if (k.purpose !== USER_KEY_PURPOSE) continue;
    const b64 = await store.getSetting(CERT_SETTING(k.id));
    const der = b64 ? Buffer.from(b64, 'base64') : null;
    const cert = der ? parseCert(der) : null;
    out.push({
      keyId: k.id,
      address: k.id.split(':')[1] ?? '',
      subject: cert?.subjectText ?? '',
      notAfter: cert?.notAfter ?? null,
      fingerprint: der ? fingerprint(der) : '',
      importedAt: k.createdAt,
      removedAt: k.sealedKey ? null : k.destroyedAt,
    });
  }
  return out;
}

/**
 * Removes the escrowed keys of an address (or the one key with that id): the sealed private key is
 * destroyed, so mail encrypted to that personal certificate is no longer decrypted (a running
 * gateway notices within its recheck interval); the certificate stays on record. Audited.
 */
export async function removeUserKeys(store: PkiStore, query: string, opts: { actor: string; now: Date }): Promise<string[]> {
  const certs = CertStore.of(store.db);
  const q = query.includes(':') ? query : normalizeAddress(query);
  const ids = (await certs.liveKeyIds(USER_KEY_PURPOSE)).filter((id) => id === q || id.split(':')[1] === q);
  if (ids.length === 0) throw new Pkcs12Error(`no escrowed key in use for ${query}`);
  for (const id of ids) {
    await certs.destroyKey(id, opts.now);
    await store.audit.append({ type: 'user-key-removed', actor: opts.actor, data: { address: id.split(':')[1], keyId: id } });
  }
  return ids;
}
