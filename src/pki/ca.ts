// The gateway's own certification authority: a root, an issuing CA for our certificates (proxy and
// RFC 3183 domain certificates) and a separate issuing CA for certificates we make for external
// recipients, plus the domain key pairs, revocation and CRLs. Generators only; the certificate
// store (certstore.ts) holds what they make. Trust level: holds CA private keys in memory while
// signing; keys rest sealed under the KEK (keystore.ts), which is never in the database.
//
// Certificates are built with @peculiar/x509 (declared ASN.1, WebCrypto signing through
// node:crypto's webcrypto); keys are generated with node:crypto.
import 'reflect-metadata';
import { createHash, createPublicKey, generateKeyPair as nodeGenerateKeyPair, randomBytes, webcrypto, type KeyObject } from 'node:crypto';
import { promisify } from 'node:util';
import * as x509 from '@peculiar/x509';
import { AsnConvert } from '@peculiar/asn1-schema';
import {
  CertificatePolicies,
  CRLNumber,
  DisplayText,
  PolicyInformation,
  PolicyQualifierInfo,
  Qualifier,
  UserNotice,
  id_ce_certificatePolicies,
  id_ce_cRLNumber,
} from '@peculiar/asn1-x509';
import { sql, type Kysely } from 'kysely';
import type { AuditLog } from '../store/types.js';
import { CertStore, type CaName, type CertKind, type CertRecord } from './certstore.js';
import type { EncryptionKeyAlgorithm, PkiAlgorithm, PkiConfig } from './config.js';
import { loadKek, openPrivateKey, sealPrivateKey, type Kek } from './keystore.js';

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

const generateKeyPairAsync = promisify(nodeGenerateKeyPair);

/** How long a CRL we sign stays current (nextUpdate - thisUpdate). */
export const CRL_VALIDITY_DAYS = 7;
/** Back-dating of notBefore, for peers whose clocks run a little slow. */
export const NOT_BEFORE_SKEW_MS = 5 * 60_000;
const DAY = 86_400_000;

export const OID_EMAIL_PROTECTION = '1.3.6.1.5.5.7.3.4';
const id_qt_cps = '1.3.6.1.5.5.7.2.1';
const id_qt_unotice = '1.3.6.1.5.5.7.2.2';

type Signer = Pick<x509.X509CertificateCreateWithKeyParams, 'signingKey' | 'signingAlgorithm'>;

/** What the PKI needs from the Store (OpenedStore satisfies it). */
export interface PkiStore {
  readonly db: Kysely<any>;
  readonly audit: AuditLog;
  getSetting(key: string): Promise<string | null>;
  setSetting(key: string, value: string): Promise<void>;
}

export class PkiError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PkiError';
  }
}

/** RFC 5280 CRLReason codes we accept for `revoke`. */
export const REVOCATION_REASONS = {
  unspecified: 0,
  keyCompromise: 1,
  cACompromise: 2,
  affiliationChanged: 3,
  superseded: 4,
  cessationOfOperation: 5,
  certificateHold: 6,
  privilegeWithdrawn: 9,
} as const;
export type RevocationReason = keyof typeof REVOCATION_REASONS;

// ---- keys --------------------------------------------------------------------------------------

export type KeyAlgorithm = PkiAlgorithm | EncryptionKeyAlgorithm;

export async function generateKey(alg: KeyAlgorithm): Promise<{ privateKey: KeyObject; publicKey: KeyObject }> {
  if (alg === 'p-256') return generateKeyPairAsync('ec', { namedCurve: 'prime256v1' });
  const bits = Number(alg.slice(4));
  return generateKeyPairAsync('rsa', { modulusLength: bits, publicExponent: 0x10001 });
}

const spkiOf = (k: KeyObject): Buffer => (k.type === 'private' ? createPublicKey(k) : k).export({ format: 'der', type: 'spki' }) as Buffer;

/** WebCrypto signing key and algorithm for a node:crypto private key (RSA PKCS#1 v1.5 or ECDSA, SHA-256). */
async function signerOf(key: KeyObject): Promise<Signer> {
  const der = key.export({ format: 'der', type: 'pkcs8' }) as Buffer;
  if (key.asymmetricKeyType === 'rsa') {
    const alg = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' };
    return { signingKey: (await webcrypto.subtle.importKey('pkcs8', der, alg, false, ['sign'])) as unknown as Signer['signingKey'], signingAlgorithm: alg };
  }
  if (key.asymmetricKeyType === 'ec') {
    const signingKey = (await webcrypto.subtle.importKey('pkcs8', der, { name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign'])) as unknown as Signer['signingKey'];
    return { signingKey, signingAlgorithm: { name: 'ECDSA', hash: 'SHA-256' } as Signer['signingAlgorithm'] };
  }
  throw new PkiError(`unsupported CA key type ${key.asymmetricKeyType}`);
}

/** 128-bit positive serial, never with a leading zero octet. Lowercase hex. */
export function newSerial(): string {
  const b = randomBytes(16);
  b[0] = 0x40 | (b[0]! & 0x3f);
  return b.toString('hex');
}

// ---- names and extensions -------------------------------------------------------------------

/** Addresses we put in certificates: plain ASCII local@domain, at most 254 characters. */
const ADDRESS_RE = /^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}@(?=.{1,253}$)(?!-)[A-Za-z0-9-]{1,63}(?<!-)(\.(?!-)[A-Za-z0-9-]{1,63}(?<!-))+$/;

/** Lowercases the address (certificate SANs and lookups compare case-insensitively); throws PkiError for anything we would not put in a certificate. */
export function normalizeAddress(address: string): string {
  const a = address.trim();
  if (a.length > 254 || !ADDRESS_RE.test(a) || a.startsWith('.') || a.includes('..') || a.split('@')[0]!.endsWith('.')) {
    throw new PkiError(`not a plain email address: ${JSON.stringify(address.slice(0, 80))}`);
  }
  const at = a.lastIndexOf('@');
  return `${a.slice(0, at).toLowerCase()}@${a.slice(at + 1).toLowerCase()}`;
}

const cn64 = (prefix: string, suffix: string) => `${prefix.slice(0, Math.max(1, 64 - suffix.length))}${suffix}`;

function caSubject(cfg: PkiConfig, name: CaName): x509.JsonName {
  const suffix = name === 'root' ? ' Mail Root CA' : name === 'internal' ? ' Mail Issuing CA' : ' External Recipients CA';
  return [{ O: [cfg.organization] }, { CN: [cn64(cfg.organization, suffix)] }];
}

/** certificatePolicies: the configured OID with its CPS URI and, when given, a user notice. */
export function policyExtension(cfg: PkiConfig, notice: string | null): x509.Extension {
  const qualifiers = [new PolicyQualifierInfo({ policyQualifierId: id_qt_cps, qualifier: AsnConvert.serialize(new Qualifier({ cPSuri: cfg.policy.cpsUri })) })];
  if (notice) {
    qualifiers.push(new PolicyQualifierInfo({
      policyQualifierId: id_qt_unotice,
      qualifier: AsnConvert.serialize(new UserNotice({ explicitText: new DisplayText({ utf8String: notice }) })),
    }));
  }
  const value = new CertificatePolicies([new PolicyInformation({ policyIdentifier: cfg.policy.oid, policyQualifiers: qualifiers })]);
  return new x509.Extension(id_ce_certificatePolicies, false, AsnConvert.serialize(value));
}

export const crlUrlFor = (cfg: PkiConfig, ca: CaName): string => cfg.crlUrl.replaceAll('{ca}', ca);

// ---- the CA -----------------------------------------------------------------------------------

interface LoadedCa {
  record: CertRecord;
  cert: x509.X509Certificate;
}

export interface IssueParams {
  ca: Exclude<CaName, 'root'>;
  kind: CertKind;
  address: string;
  spki: Buffer;
  keyId: string | null;
  keyUsage: number;
  notice: string | null;
  subject?: x509.JsonName;
  /** Sealed PKCS#12 password to keep with the record (external recipients). */
  sealedPassword?: string | null;
}

/**
 * An opened PKI: the three CAs of this gateway and the operations on them. Get one with
 * `createDomainPki` (first time) or `openDomainPki`.
 */
export class DomainPki {
  readonly certs: CertStore;
  private readonly cas = new Map<CaName, LoadedCa>();
  private readonly keyCache = new Map<string, KeyObject>();

  constructor(
    readonly store: PkiStore,
    readonly kek: Kek,
    readonly config: PkiConfig,
    readonly domains: string[],
    readonly clock: { now(): Date } = { now: () => new Date() },
  ) {
    this.certs = CertStore.of(store.db);
  }

  async ca(name: CaName): Promise<LoadedCa> {
    const hit = this.cas.get(name);
    if (hit) return hit;
    const kind: CertKind = name === 'root' ? 'root-ca' : name === 'internal' ? 'issuing-ca' : 'external-ca';
    const [record] = await this.certs.listCerts({ kinds: [kind], limit: 1 });
    if (!record) throw new PkiError(`no ${name} CA in the database; run createDomainPki (sealgate init / sealgate ca create) first`);
    const loaded = { record, cert: new x509.X509Certificate(record.der) };
    this.cas.set(name, loaded);
    return loaded;
  }

  /** The issuing CA's certificate and the root, DER (leaf's issuer first). */
  async chain(name: CaName): Promise<Buffer[]> {
    const out = [(await this.ca(name)).record.der];
    if (name !== 'root') out.push((await this.ca('root')).record.der);
    return out;
  }

  /** Opens a sealed private key (cached for the life of this object). */
  async privateKey(keyId: string): Promise<KeyObject> {
    const hit = this.keyCache.get(keyId);
    if (hit) return hit;
    const rec = await this.certs.getKey(keyId);
    if (!rec) throw new PkiError(`no key ${keyId}`);
    if (!rec.sealedKey) throw new PkiError(`key ${keyId} was destroyed`);
    const key = openPrivateKey(rec.sealedKey, this.kek);
    this.keyCache.set(keyId, key);
    return key;
  }

  /** Stores a new key pair sealed under the KEK and returns its id. */
  async storeKey(id: string, purpose: string, alg: KeyAlgorithm, privateKey: KeyObject): Promise<void> {
    await this.certs.putKey({
      id,
      purpose,
      algorithm: alg,
      spki: spkiOf(privateKey),
      sealedKey: sealPrivateKey(privateKey, this.kek),
      kekId: this.kek.id,
      createdAt: this.clock.now(),
    });
    this.keyCache.set(id, privateKey);
  }

  /** Returns key `id`, generating and storing it first if it does not exist. */
  async ensureKey(id: string, purpose: string, alg: KeyAlgorithm): Promise<{ spki: Buffer; privateKey: KeyObject }> {
    const rec = await this.certs.getKey(id);
    if (rec) return { spki: rec.spki, privateKey: await this.privateKey(id) };
    const { privateKey } = await generateKey(alg);
    try {
      await this.storeKey(id, purpose, alg, privateKey);
    } catch (e) {
      // Another process made the same key first (primary key conflict): use theirs.
      this.keyCache.delete(id);
      const other = await this.certs.getKey(id);
      if (!other) throw e;
      return { spki: other.spki, privateKey: await this.privateKey(id) };
    }
    return { spki: spkiOf(privateKey), privateKey };
  }

  forgetCachedKey(keyId: string): void {
    this.keyCache.delete(keyId);
  }

  /** Issues an end-entity S/MIME certificate from one of the issuing CAs and records it. */
  async issue(p: IssueParams): Promise<CertRecord> {
    const address = normalizeAddress(p.address);
    const ca = await this.ca(p.ca);
    const signer = await signerOf(await this.privateKey(ca.record.keyId!));
    const now = this.clock.now();
    const notBefore = new Date(now.getTime() - NOT_BEFORE_SKEW_MS);
    const notAfter = new Date(Math.min(now.getTime() + this.config.certDays * DAY, ca.cert.notAfter.getTime()));
    const serial = newSerial();
    const cert = await x509.X509CertificateGenerator.create({
      serialNumber: serial,
      subject: p.subject ?? [{ CN: [address] }, { E: [address] }],
      issuer: ca.cert.subjectName,
      notBefore,
      notAfter,
      publicKey: p.spki,
      ...signer,
      extensions: [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(p.keyUsage, true),
        new x509.ExtendedKeyUsageExtension([OID_EMAIL_PROTECTION]),
        new x509.SubjectAlternativeNameExtension([{ type: 'email', value: address }]),
        await x509.SubjectKeyIdentifierExtension.create(p.spki),
        new x509.AuthorityKeyIdentifierExtension(skiOf(ca.cert)),
        policyExtension(this.config, p.notice),
        new x509.CRLDistributionPointsExtension([crlUrlFor(this.config, p.ca)]),
      ],
    });
    const record: CertRecord = {
      serial,
      ca: p.ca,
      kind: p.kind,
      address,
      subject: cert.subject,
      notBefore,
      notAfter,
      der: Buffer.from(cert.rawData),
      keyId: p.keyId,
      revokedAt: null,
      revocationReason: null,
      sealedPassword: p.sealedPassword ?? null,
      createdAt: now,
    };
    await this.certs.putCert(record);
    return record;
  }

  /** Revokes a certificate we issued (not a CA: re-create the PKI for that). */
  async revoke(serial: string, reason: RevocationReason = 'unspecified'): Promise<CertRecord> {
    const rec = await this.certs.getCert(serial);
    if (!rec) throw new PkiError(`no certificate with serial ${serial}`);
    if (rec.kind.endsWith('-ca')) throw new PkiError('revoking a CA certificate is not supported; create a new PKI instead');
    if (rec.revokedAt) throw new PkiError(`certificate ${serial} is already revoked`);
    const code = REVOCATION_REASONS[reason];
    if (code === undefined) throw new PkiError(`unknown revocation reason ${reason}`);
    await this.certs.revoke(serial, this.clock.now(), code);
    return (await this.certs.getCert(serial))!;
  }

  /**
   * A DER CRL signed by CA `name` listing every certificate it issued that we revoked. Each call
   * takes the next CRL number (kept in settings, so numbers only grow).
   */
  async issueCrl(name: CaName): Promise<Buffer> {
    const ca = await this.ca(name);
    const signer = await signerOf(await this.privateKey(ca.record.keyId!));
    const n = await nextCrlNumber(this.store.db, name);
    const now = this.clock.now();
    const revoked = await this.certs.revokedBy(name);
    const crl = await x509.X509CrlGenerator.create({
      issuer: ca.cert.subjectName,
      thisUpdate: now,
      nextUpdate: new Date(now.getTime() + CRL_VALIDITY_DAYS * DAY),
      entries: revoked.map((r) => ({
        serialNumber: r.serial,
        revocationDate: r.revokedAt!,
        ...(r.revocationReason ? { reason: r.revocationReason as x509.X509CrlReason } : {}),
      })),
      signingKey: signer.signingKey,
      signingAlgorithm: signer.signingAlgorithm!,
      extensions: [
        new x509.AuthorityKeyIdentifierExtension(skiOf(ca.cert)),
        new x509.Extension(id_ce_cRLNumber, false, AsnConvert.serialize(new CRLNumber(n))),
      ],
    });
    return Buffer.from(crl.rawData);
  }
}

/**
 * Takes the next CRL number of a CA with one atomic UPDATE ... RETURNING on the settings row
 * `pki.crlNumber.NAME` (SQLite >= 3.35 and PostgreSQL both have it), so two gateway processes
 * signing CRLs at the same moment never reuse a number (RFC 5280 5.2.3: numbers only grow).
 */
async function nextCrlNumber(db: Kysely<any>, name: CaName): Promise<number> {
  const key = `pki.crlNumber.${name}`;
  await db.insertInto('settings').values({ key, value: '0' }).onConflict((oc) => oc.column('key').doNothing()).execute();
  const r = await sql<{ value: string }>`UPDATE settings SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT) WHERE key = ${key} RETURNING value`.execute(db);
  const n = Number(r.rows[0]?.value);
  if (!Number.isSafeInteger(n) || n < 1) throw new PkiError(`CRL number for ${name} is unreadable`);
  return n;
}

function skiOf(cert: x509.X509Certificate): string {
  const ext = cert.getExtension(x509.SubjectKeyIdentifierExtension);
  if (!ext) throw new PkiError('CA certificate has no subjectKeyIdentifier');
  return ext.keyId;
}

export interface CreateDomainPkiOptions {
  store: PkiStore;
  domains: string[];
  /** CA and signing keys; overrides config.algorithm. */
  algorithm?: PkiAlgorithm;
  /** A loaded KEK, or its spec (`file:PATH` / `env:NAME`). */
  kek: Kek | string;
  config: PkiConfig;
  clock?: { now(): Date };
}

async function selfSignedRoot(cfg: PkiConfig, privateKey: KeyObject, now: Date): Promise<x509.X509Certificate> {
  const spki = spkiOf(privateKey);
  return x509.X509CertificateGenerator.create({
    serialNumber: newSerial(),
    subject: caSubject(cfg, 'root'),
    issuer: caSubject(cfg, 'root'),
    notBefore: new Date(now.getTime() - NOT_BEFORE_SKEW_MS),
    notAfter: new Date(now.getTime() + cfg.rootDays * DAY),
    publicKey: spki,
    ...(await signerOf(privateKey)),
    extensions: [
      new x509.BasicConstraintsExtension(true, 1, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(spki),
    ],
  });
}

/**
 * Creates the gateway's PKI in an empty store: root CA, issuing CA ("internal"), external
 * recipients CA, and for every domain its encryption and signing key pairs with the RFC 3183
 * domain-confidentiality-authority and domain-signing-authority certificates. Refuses to run
 * when a root CA already exists. Returns the opened PKI.
 */
export async function createDomainPki(opts: CreateDomainPkiOptions): Promise<DomainPki> {
  if (opts.domains.length === 0) throw new PkiError('at least one domain is required');
  const kek = typeof opts.kek === 'string' ? loadKek(opts.kek) : opts.kek;
  const config: PkiConfig = { ...opts.config, algorithm: opts.algorithm ?? opts.config.algorithm };
  const clock = opts.clock ?? { now: () => new Date() };
  const domains = opts.domains.map((d) => d.toLowerCase());
  const existing = await new DomainPki(opts.store, kek, config, domains, clock).certs.listCerts({ kinds: ['root-ca'], limit: 1, includeRevoked: true });
  if (existing.length) throw new PkiError('a PKI already exists in this database; refusing to create another root');

  // Keys first (seconds of CPU for RSA), outside the transaction, so the database is locked only
  // for the inserts and signatures; then everything is stored in one transaction: a failure
  // leaves no half-made PKI behind.
  const rootKey = await generateKey(config.algorithm);
  const caKeys = { internal: await generateKey(config.algorithm), external: await generateKey(config.algorithm) };
  const domainKeys = new Map<string, { encryption: KeyObject; signing: KeyObject }>();
  for (const d of domains) {
    domainKeys.set(d, { encryption: (await generateKey(config.encryptionKey)).privateKey, signing: (await generateKey(config.algorithm)).privateKey });
  }
  const { domainCertificate, domainKeyId } = await import('./issue.js');

  await opts.store.db.transaction().execute(async (trx) => {
    const pki = new DomainPki({ ...opts.store, db: trx }, kek, config, domains, clock);
    if ((await pki.certs.listCerts({ kinds: ['root-ca'], limit: 1, includeRevoked: true })).length) {
      throw new PkiError('a PKI already exists in this database; refusing to create another root');
    }
    const now = clock.now();
    await pki.storeKey('ca:root', 'root-ca', config.algorithm, rootKey.privateKey);
    const rootCert = await selfSignedRoot(config, rootKey.privateKey, now);
    await pki.certs.putCert({
      serial: rootCert.serialNumber.toLowerCase(), ca: 'root', kind: 'root-ca', address: null, subject: rootCert.subject,
      notBefore: rootCert.notBefore, notAfter: rootCert.notAfter, der: Buffer.from(rootCert.rawData), keyId: 'ca:root',
      sealedPassword: null, createdAt: now,
  });
  const rootSigner = await signerOf(rootKey.privateKey);
  for (const name of ['internal', 'external'] as const) {
    const { privateKey } = caKeys[name];
    const keyId = `ca:${name}`;
    await pki.storeKey(keyId, name === 'internal' ? 'issuing-ca' : 'external-ca', config.algorithm, privateKey);
    const spki = spkiOf(privateKey);
    const cert = await x509.X509CertificateGenerator.create({
      serialNumber: newSerial(),
      subject: caSubject(config, name),
      issuer: rootCert.subjectName,
      notBefore: new Date(now.getTime() - NOT_BEFORE_SKEW_MS),
      notAfter: new Date(Math.min(now.getTime() + config.caDays * DAY, rootCert.notAfter.getTime())),
      publicKey: spki,
      ...rootSigner,
      extensions: [
        new x509.BasicConstraintsExtension(true, 0, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
        new x509.ExtendedKeyUsageExtension([OID_EMAIL_PROTECTION]),
        await x509.SubjectKeyIdentifierExtension.create(spki),
        new x509.AuthorityKeyIdentifierExtension(skiOf(rootCert)),
        policyExtension(config, null),
        new x509.CRLDistributionPointsExtension([crlUrlFor(config, 'root')]),
      ],
    });
    await pki.certs.putCert({
      serial: cert.serialNumber.toLowerCase(), ca: 'root', kind: name === 'internal' ? 'issuing-ca' : 'external-ca', address: null,
      subject: cert.subject, notBefore: cert.notBefore, notAfter: cert.notAfter, der: Buffer.from(cert.rawData), keyId,
      sealedPassword: null, createdAt: now,
    });
  }
  // Domain key pairs and RFC 3183 certificates (issue.ts) are made here too, so init leaves a
  // gateway that can sign and be encrypted to at once.
  for (const d of domains) {
    const k = domainKeys.get(d)!;
    await pki.storeKey(domainKeyId('encryption', d), 'domain-encryption', config.encryptionKey, k.encryption);
    await pki.storeKey(domainKeyId('signing', d), 'domain-signing', config.algorithm, k.signing);
    await domainCertificate(pki, 'confidentiality', d);
    await domainCertificate(pki, 'signing', d);
  }
  });
  return new DomainPki(opts.store, kek, config, domains, clock);
}

export interface OpenDomainPkiOptions {
  store: PkiStore;
  kek: Kek | string;
  config: PkiConfig;
  domains: string[];
  clock?: { now(): Date };
}

/** Opens the PKI of a store created earlier; checks the KEK opens the root key (fail closed). */
export async function openDomainPki(opts: OpenDomainPkiOptions): Promise<DomainPki> {
  const kek = typeof opts.kek === 'string' ? loadKek(opts.kek) : opts.kek;
  const pki = new DomainPki(opts.store, kek, opts.config, opts.domains.map((d) => d.toLowerCase()), opts.clock);
  const root = await pki.ca('root');
  await pki.privateKey(root.record.keyId!);
  return pki;
}

/** SHA-256 fingerprint, colon-separated uppercase hex, for display. */
export const fingerprint = (der: Buffer): string => createHash('sha256').update(der).digest('hex').toUpperCase().match(/../g)!.join(':');

export const toPem = (der: Buffer, label = 'CERTIFICATE'): string =>
  `-----BEGIN ${label}-----\n${der.toString('base64').replace(/(.{64})/g, '$1\n').replace(/\n?$/, '\n')}-----END ${label}-----\n`;
