// The `pki:` section of sealgate.yaml: typed values and their validation. Pure. Called by
// src/config/load.ts, which collects problems with their key paths like every other section.
import { isAbsolute, resolve } from 'node:path';
import { type ConfigFail as Fail, DOMAIN_RE, show } from '../config/describe.js';

export type PkiAlgorithm = 'rsa-3072' | 'p-256';
/** Encryption keys are RSA (key transport): what every S/MIME client can encrypt to (NSS, gpgsm, Outlook). */
export type EncryptionKeyAlgorithm = 'rsa-2048' | 'rsa-3072' | 'rsa-4096';
export type ExternalKeyPolicy = 'destroy' | 'escrow';

export interface PkiPolicyConfig {
  /** Certificate policy OID put in every certificate we issue. */
  oid: string;
  /** Where the certification practice statement is published (policy qualifier id-qt-cps). */
  cpsUri: string;
  /** Optional user notice (id-qt-unotice explicitText) on every end-entity certificate. */
  userNotice: string | null;
  /** User notice on proxy certificates, saying the domain holds the key; {domain} is replaced. */
  proxyNotice: string;
}

export interface PkiConfig {
  /** `file:ABSOLUTE-PATH` or `env:NAME`: where the key-encryption key is (never in the database). */
  kek: string;
  /** CA and signing keys. */
  algorithm: PkiAlgorithm;
  /** Domain encryption key and external recipients' keys. */
  encryptionKey: EncryptionKeyAlgorithm;
  /** Organization name in CA subjects and in the PKCS#12 email. */
  organization: string;
  policy: PkiPolicyConfig;
  /** CRL distribution point put in certificates; `{ca}` becomes root, internal or external. */
  crlUrl: string;
  /** After packaging an external recipient's PKCS#12: forget the private key, or keep it sealed. */
  externalKeys: ExternalKeyPolicy;
  /** Recipient domains that get the legacy PKCS#12 (3DES, SHA-1 MAC) for old clients. */
  legacyPkcs12Domains: string[];
  /** Validity of end-entity certificates, issuing CAs and the root, in days. */
  certDays: number;
  caDays: number;
  rootDays: number;
  /** Our own certificates (proxy, RFC 3183) are renewed this many days before they expire (src/pki/renew.ts). */
  renewBeforeDays: number;
}

/** Named limits for the validity settings (days). */
export const PKI_DAY_LIMITS = {
  certDays: { default: 730, min: 1, max: 1185 },
  caDays: { default: 3650, min: 30, max: 7300 },
  rootDays: { default: 7300, min: 365, max: 10950 },
  renewBeforeDays: { default: 30, min: 1, max: 365 },
} as const;

/**
 * Default policy: anyPolicy (RFC 5280 4.2.1.4), which may carry the CPS and user notice
 * qualifiers. Organizations should configure their own OID (e.g. under their IANA enterprise
 * number). A 2.25 UUID OID is not the default: its 128-bit arc is refused by our own path
 * validation (src/pki/cert-util.ts) and by some older clients.
 */
export const DEFAULT_POLICY_OID = '2.5.29.32.0';
/** Largest OID arc accepted in pki.policy.oid (what src/pki/cert-util.ts decodes). */
export const POLICY_OID_MAX_ARC = 2 ** 45;
export const DEFAULT_PROXY_NOTICE =
  'The private key for this certificate is held by the {domain} secure email gateway on behalf of the named address, not by that person.';
/** RFC 5280 4.2.1.4: explicitText SHOULD NOT exceed 200 characters. */
export const USER_NOTICE_MAX = 200;

const OID_RE = /^[0-2](\.(0|[1-9][0-9]*))+$/;

function validUrl(s: string): boolean {
  try {
    const u = new URL(s.replace('{ca}', 'root'));
    return u.protocol === 'http:' || u.protocol === 'https:';
  } catch {
    return false;
  }
}

/** Resolves `pki:` (absent = all defaults). `dir` is the config file's folder, `hostname` the gateway's. */
export function resolvePkiConfig(raw: unknown, dir: string, hostname: string, domains: string[], fail: Fail): PkiConfig {
  const known = ['kek', 'algorithm', 'encryptionKey', 'organization', 'policy', 'crlUrl', 'externalKeys', 'legacyPkcs12Domains', 'certDays', 'caDays', 'rootDays', 'renewBeforeDays'];
  let o: Record<string, unknown> = {};
  if (raw !== undefined && raw !== null) {
    if (typeof raw !== 'object' || Array.isArray(raw)) fail('pki', `expected a mapping, got ${show(raw)}`);
    else o = raw as Record<string, unknown>;
  }
  for (const k of Object.keys(o)) if (!known.includes(k)) fail(`pki.${k}`, `unknown key (expected one of: ${known.join(', ')})`);

  let kek = `file:${resolve(dir, 'keys/kek')}`;
  if (o.kek !== undefined) {
    const s = o.kek;
    if (typeof s === 'string' && s.startsWith('file:') && s.length > 5) kek = `file:${isAbsolute(s.slice(5)) ? s.slice(5) : resolve(dir, s.slice(5))}`;
    else if (typeof s === 'string' && /^env:[A-Za-z_][A-Za-z0-9_]*$/.test(s)) kek = s;
    else fail('pki.kek', `expected "file:PATH" or "env:NAME", got ${show(s)}`);
  }
  const pick = <T extends string>(key: string, allowed: readonly T[], def: T): T => {
    const v = o[key] ?? def;
    if (typeof v === 'string' && (allowed as readonly string[]).includes(v)) return v as T;
    fail(`pki.${key}`, `expected one of ${allowed.join(', ')}, got ${show(v)}`);
    return def;
  };
  const algorithm = pick<PkiAlgorithm>('algorithm', ['rsa-3072', 'p-256'], 'rsa-3072');
  const encryptionKey = pick<EncryptionKeyAlgorithm>('encryptionKey', ['rsa-2048', 'rsa-3072', 'rsa-4096'], 'rsa-3072');
  const externalKeys = pick<ExternalKeyPolicy>('externalKeys', ['destroy', 'escrow'], 'destroy');

  let organization = domains[0] ?? hostname;
  if (o.organization !== undefined) {
    if (typeof o.organization === 'string' && o.organization.trim() && o.organization.length <= 64) organization = o.organization.trim();
    else fail('pki.organization', `expected a name of 1-64 characters, got ${show(o.organization)}`);
  }

  const pol = (o.policy ?? {}) as Record<string, unknown>;
  if (typeof pol !== 'object' || Array.isArray(pol)) fail('pki.policy', `expected a mapping, got ${show(o.policy)}`);
  for (const k of Object.keys(pol)) if (!['oid', 'cpsUri', 'userNotice', 'proxyNotice'].includes(k)) fail(`pki.policy.${k}`, 'unknown key (expected one of: oid, cpsUri, userNotice, proxyNotice)');
  let oid = DEFAULT_POLICY_OID;
  if (pol.oid !== undefined) {
    if (typeof pol.oid === 'string' && OID_RE.test(pol.oid) && pol.oid.split('.').every((a) => Number(a) < POLICY_OID_MAX_ARC)) oid = pol.oid;
    else fail('pki.policy.oid', `expected a dotted OID such as 1.3.6.1.4.1.99999.1 (no arc above 2^45), got ${show(pol.oid)}`);
  }
  let cpsUri = `https://${hostname}/cps`;
  if (pol.cpsUri !== undefined) {
    if (typeof pol.cpsUri === 'string' && validUrl(pol.cpsUri) && /^[\x21-\x7e]+$/.test(pol.cpsUri)) cpsUri = pol.cpsUri;
    else fail('pki.policy.cpsUri', `expected an http(s) URL, got ${show(pol.cpsUri)}`);
  }
  const notice = (key: 'userNotice' | 'proxyNotice', def: string | null): string | null => {
    const v = pol[key];
    if (v === undefined || v === null) return def;
    if (typeof v === 'string' && v.trim() && v.length <= USER_NOTICE_MAX && !/[\x00-\x1f]/.test(v)) return v.trim();
    fail(`pki.policy.${key}`, `expected text of 1-${USER_NOTICE_MAX} characters without control characters, got ${show(v)}`);
    return def;
  };
  const userNotice = notice('userNotice', null);
  const proxyNotice = notice('proxyNotice', DEFAULT_PROXY_NOTICE)!;
  for (const d of domains) if (proxyNotice.replace('{domain}', d).length > USER_NOTICE_MAX) fail('pki.policy.proxyNotice', `longer than ${USER_NOTICE_MAX} characters once {domain} is replaced by ${d}`);

  let crlUrl = `http://${hostname}/crl/{ca}.crl`;
  if (o.crlUrl !== undefined) {
    if (typeof o.crlUrl === 'string' && validUrl(o.crlUrl) && /^[\x21-\x7e]+$/.test(o.crlUrl)) crlUrl = o.crlUrl;
    else fail('pki.crlUrl', `expected an http(s) URL (with {ca} for the CA name), got ${show(o.crlUrl)}`);
  }

  const legacy: string[] = [];
  if (o.legacyPkcs12Domains !== undefined) {
    if (!Array.isArray(o.legacyPkcs12Domains)) fail('pki.legacyPkcs12Domains', `expected a list of domain names, got ${show(o.legacyPkcs12Domains)}`);
    else o.legacyPkcs12Domains.forEach((d, i) => {
      if (typeof d === 'string' && DOMAIN_RE.test(d)) legacy.push(d.toLowerCase());
      else fail(`pki.legacyPkcs12Domains[${i}]`, `expected a domain name, got ${show(d)}`);
    });
  }

  const days = (key: keyof typeof PKI_DAY_LIMITS): number => {
    const spec = PKI_DAY_LIMITS[key];
    const v = o[key] ?? spec.default;
    if (typeof v === 'number' && Number.isInteger(v) && v >= spec.min && v <= spec.max) return v;
    fail(`pki.${key}`, `must be a whole number of days between ${spec.min} and ${spec.max}, got ${show(v)}`);
    return spec.default;
  };
  const certDays = days('certDays');
  const caDays = days('caDays');
  const rootDays = days('rootDays');
  if (caDays < certDays) fail('pki.caDays', `must be at least pki.certDays (${certDays})`);
  if (rootDays < caDays) fail('pki.rootDays', `must be at least pki.caDays (${caDays})`);
  // Default 30 days, but never more than a third of a short certificate lifetime.
  const renewBeforeDays = o.renewBeforeDays === undefined ? Math.min(PKI_DAY_LIMITS.renewBeforeDays.default, Math.floor(certDays / 3)) : days('renewBeforeDays');
  if (renewBeforeDays >= certDays) fail('pki.renewBeforeDays', `must be less than pki.certDays (${certDays}), or every certificate would be renewed daily`);

  return {
    kek, algorithm, encryptionKey, organization,
    policy: { oid, cpsUri, userNotice, proxyNotice },
    crlUrl, externalKeys, legacyPkcs12Domains: legacy, certDays, caDays, rootDays, renewBeforeDays,
  };
}

/** All defaults, for callers without a config file (tests, init). */
export function defaultPkiConfig(dir: string, hostname: string, domains: string[]): PkiConfig {
  const problems: string[] = [];
  const c = resolvePkiConfig(undefined, dir, hostname, domains, (p, m) => problems.push(`${p}: ${m}`));
  if (problems.length) throw new Error(problems.join('; '));
  return c;
}
