// Our certificates: proxy certificates for internal addresses (bound to the domain's key pairs),
// the RFC 3183 domain authority certificates, and certificates with fresh key pairs for external
// recipients, packaged as PKCS#12 with a password and an Apple configuration profile.
// Trust level: opens CA and domain private keys (through DomainPki) and generates recipients'
// private keys; hands PKCS#12 files and passwords to the caller; logs and audits metadata only.
import { createPublicKey, randomBytes, type KeyObject } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import { DomainPki, PkiError, generateKey, normalizeAddress } from './ca.js';
import type { CertRecord } from './certstore.js';
import { buildMobileconfig } from './mobileconfig.js';
import { generatePassword } from './password.js';
import { openSecret, sealSecret } from './keystore.js';
import { writePkcs12, type Pkcs12Profile } from './pkcs12.js';

export type DomainCertKind = 'confidentiality' | 'signing' | 'review';

/**
 * RFC 3183 naming: the left-hand side of the rfc822Name of a domain authority's certificate is
 * fixed, and the right-hand side is the domain it acts for.
 */
export const RFC3183_LOCAL_PARTS: Readonly<Record<DomainCertKind, string>> = {
  confidentiality: 'domain-confidentiality-authority',
  signing: 'domain-signing-authority',
  review: 'review-authority',
};
const RESERVED_LOCAL_PARTS = new Set([...Object.values(RFC3183_LOCAL_PARTS), 'attribute-authority']);

const KU = x509.KeyUsageFlags;

const domainOf = (address: string) => address.slice(address.lastIndexOf('@') + 1);

function ourDomain(pki: DomainPki, domain: string): string {
  const d = domain.toLowerCase();
  if (!pki.domains.includes(d)) throw new PkiError(`${d} is not one of this gateway's domains (${pki.domains.join(', ')})`);
  return d;
}

/** Key ids of a domain's key pairs (one encryption, one signing, one for review signatures). */
export const domainKeyId = (kind: 'encryption' | 'signing' | 'review', domain: string) => `domain-${kind}:${domain}`;

async function domainKey(pki: DomainPki, kind: 'encryption' | 'signing' | 'review', domain: string) {
  const alg = kind === 'encryption' ? pki.config.encryptionKey : pki.config.algorithm;
  const id = domainKeyId(kind, domain);
  const { spki } = await pki.ensureKey(id, `domain-${kind}`, alg);
  return { id, spki };
}

/**
 * The RFC 3183 certificate of a domain authority (domain-confidentiality-authority@DOMAIN for
 * domain encryption, domain-signing-authority@DOMAIN for domainSig, review-authority@DOMAIN for
 * reviewSig), issued on first need and reused while valid.
 */
export async function domainCertificate(pki: DomainPki, kind: DomainCertKind, domain: string = pki.domains[0]!): Promise<CertRecord> {
  const d = ourDomain(pki, domain);
  const certKind = kind === 'confidentiality' ? 'domain-confidentiality' : kind === 'signing' ? 'domain-signing' : 'domain-review';
  const address = `${RFC3183_LOCAL_PARTS[kind]}@${d}`;
  const existing = await pki.certs.current(certKind, address, pki.clock.now());
  if (existing) return existing;
  const key = await domainKey(pki, kind === 'confidentiality' ? 'encryption' : kind, d);
  return pki.issue({
    ca: 'internal',
    kind: certKind,
    address,
    spki: key.spki,
    keyId: key.id,
    keyUsage: kind === 'confidentiality' ? KU.keyEncipherment : KU.digitalSignature | KU.nonRepudiation,
    notice: pki.config.policy.userNotice,
    subject: [{ O: [pki.config.organization] }, { CN: [address] }, { E: [address] }],
  });
}

export interface ProxyCertificates {
  /** keyEncipherment, bound to the domain encryption key: what partners encrypt to. */
  encryption: CertRecord;
  /** digitalSignature/nonRepudiation, bound to the domain signing key. */
  signing: CertRecord;
}

/**
 * Proxy certificates for an internal address: issued on first need, reused while valid. Both carry
 * the policy user notice saying the domain holds the key.
 */
export async function issueProxyCertificate(pki: DomainPki, address: string): Promise<ProxyCertificates> {
  const a = normalizeAddress(address);
  const d = ourDomain(pki, domainOf(a));
  if (RESERVED_LOCAL_PARTS.has(a.slice(0, a.lastIndexOf('@')))) throw new PkiError(`${a} is reserved for RFC 3183 domain certificates`);
  const notice = pki.config.policy.proxyNotice.replaceAll('{domain}', d);
  const out: Partial<ProxyCertificates> = {};
  for (const role of ['encryption', 'signing'] as const) {
    const kind = role === 'encryption' ? 'proxy-encryption' : 'proxy-signing';
    const now = pki.clock.now();
    let rec = await pki.certs.current(kind, a, now);
    if (!rec) {
      const key = await domainKey(pki, role, d);
      rec = await pki.issue({
        ca: 'internal',
        kind,
        address: a,
        spki: key.spki,
        keyId: key.id,
        keyUsage: role === 'encryption' ? KU.keyEncipherment : KU.digitalSignature | KU.nonRepudiation,
        notice,
      });
    }
    out[role] = rec;
  }
  return out as ProxyCertificates;
}

export interface ExternalIssueOptions {
  /** Who caused the issue (audit actor), e.g. 'system' or 'cli:alice'. */
  actor?: string;
  /** PKCS#12 profile; default: 'legacy' for pki.legacyPkcs12Domains, else 'modern'. */
  profile?: Pkcs12Profile;
}

export interface ExternalIssue {
  record: CertRecord;
  /** CA chain, external recipients CA first, then the root (DER). */
  chain: Buffer[];
  /** The password of `pkcs12` and of the profile's payload: deliver it by a separate channel. */
  password: string;
  pkcs12: Buffer;
  profile: Pkcs12Profile;
  /** Apple configuration profile (XML plist) with the PKCS#12 as its payload. */
  mobileconfig: Buffer;
  /** 'destroy': the private key is gone now; 'escrow': kept sealed under the KEK. */
  keyPolicy: 'destroy' | 'escrow';
}

/**
 * Issues a new key pair and S/MIME certificate for an external address from the external
 * recipients CA, packages it (PKCS#12 + .mobileconfig) under a fresh password, then destroys or
 * escrows the private key as `pki.externalKeys` says. The password is kept sealed under the KEK
 * for `retrievePassword`.
 */
export async function issueForExternalRecipient(pki: DomainPki, address: string, opts: ExternalIssueOptions = {}): Promise<ExternalIssue> {
  const a = normalizeAddress(address);
  const d = domainOf(a);
  if (pki.domains.includes(d)) throw new PkiError(`${a} is an internal address; it gets proxy certificates, not an external one`);
  const profile = opts.profile ?? (pki.config.legacyPkcs12Domains.includes(d) ? 'legacy' : 'modern');
  const { privateKey } = await generateKey(pki.config.encryptionKey);
  const keyId = `external:${a}:${randomBytes(6).toString('hex')}`;
  await pki.storeKey(keyId, 'external-recipient', pki.config.encryptionKey, privateKey);
  const password = generatePassword();
  const spki = createPublicKey(privateKey).export({ format: 'der', type: 'spki' }) as Buffer;
  const record = await pki.issue({
    ca: 'external',
    kind: 'external',
    address: a,
    spki,
    keyId,
    keyUsage: KU.digitalSignature | KU.keyEncipherment,
    notice: pki.config.policy.userNotice,
    sealedPassword: sealSecret(password, pki.kek),
  });
  const chain = await pki.chain('external');
  const pkg = packageIdentity(pki, record, privateKey, chain, password, profile);
  const keyPolicy = pki.config.externalKeys;
  if (keyPolicy === 'destroy') {
    await pki.certs.destroyKey(keyId, pki.clock.now());
    pki.forgetCachedKey(keyId);
  }
  await pki.store.audit.append({
    type: 'certificate-issued',
    actor: opts.actor ?? 'system',
    data: { serial: record.serial, address: a, kind: 'external', pkcs12: profile, key: keyPolicy },
  });
  return { record, chain, password, profile, keyPolicy, ...pkg };
}

function packageIdentity(pki: DomainPki, record: CertRecord, privateKey: KeyObject, chain: Buffer[], password: string, profile: Pkcs12Profile) {
  const pkcs12 = writePkcs12({ privateKey, certificate: record.der, chain, friendlyName: record.address!, password, profile });
  const mobileconfig = buildMobileconfig({ pkcs12, address: record.address!, organization: pki.config.organization, serial: record.serial });
  return { pkcs12, mobileconfig };
}

/**
 * Builds the same identity again from an escrowed key (to re-send it), with the stored password.
 * Fails when the key was destroyed: then a new certificate must be issued.
 */
export async function repackageExternal(pki: DomainPki, serial: string, profile?: Pkcs12Profile): Promise<{ pkcs12: Buffer; mobileconfig: Buffer; profile: Pkcs12Profile }> {
  const record = await pki.certs.getCert(serial);
  if (!record || record.kind !== 'external') throw new PkiError(`no external recipient certificate with serial ${serial}`);
  if (record.revokedAt) throw new PkiError(`certificate ${serial} is revoked`);
  const key = await pki.certs.getKey(record.keyId ?? '');
  if (!key?.sealedKey) throw new PkiError(`the private key of ${serial} was destroyed (pki.externalKeys: destroy); issue a new certificate instead`);
  if (!record.sealedPassword) throw new PkiError(`no stored password for ${serial}`);
  const password = openSecret(record.sealedPassword, pki.kek);
  const p = profile ?? (pki.config.legacyPkcs12Domains.includes(domainOf(record.address!)) ? 'legacy' : 'modern');
  const pkg = packageIdentity(pki, record, await pki.privateKey(key.id), await pki.chain('external'), password, p);
  return { ...pkg, profile: p };
}

/**
 * The PKCS#12 password of the newest external certificate for `address` (or of `serial`).
 * Every call is audited with the actor, whether it succeeds or not.
 */
export async function retrievePassword(pki: DomainPki, addressOrSerial: string, actor: string): Promise<{ serial: string; address: string; password: string }> {
  const bySerial = /^[0-9a-f]{2,40}$/i.test(addressOrSerial) ? await pki.certs.getCert(addressOrSerial) : null;
  let record = bySerial?.kind === 'external' ? bySerial : null;
  if (!record && addressOrSerial.includes('@')) {
    const a = normalizeAddress(addressOrSerial);
    [record] = await pki.certs.listCerts({ address: a, kinds: ['external'], limit: 1 });
  }
  if (!record?.sealedPassword) {
    await pki.store.audit.append({ type: 'certificate-password-retrieval-failed', actor, data: { query: addressOrSerial.slice(0, 254), reason: 'not found' } });
    throw new PkiError(`no issued PKCS#12 password for ${addressOrSerial}`);
  }
  const password = openSecret(record.sealedPassword, pki.kek);
  await pki.store.audit.append({ type: 'certificate-password-retrieved', actor, data: { serial: record.serial, address: record.address } });
  return { serial: record.serial, address: record.address!, password };
}
