// The `directory:` section of sealgate.yaml: where recipients' certificates are looked for, which trust
// anchors each source is checked against, caching, and what happens when none is found. Pure: typed
// values and their validation. Called by src/config/load.ts, which collects problems with key paths.
import { isAbsolute, resolve } from 'node:path';
import { type ConfigFail as Fail, DOMAIN_RE, show } from '../config/describe.js';

export type DirectorySourceName = 'local' | 'ldap' | 'ldap-srv' | 'dns-cert' | 'harvested';
export type MissingCertificateMode = 'issue' | 'pending' | 'portal' | 'hold';
export type PendingFallback = 'issue' | 'portal' | 'hold';

export const DIRECTORY_SOURCES: readonly DirectorySourceName[] = ['local', 'ldap', 'ldap-srv', 'dns-cert', 'harvested'];
const MODES: readonly MissingCertificateMode[] = ['issue', 'pending', 'portal', 'hold'];
const FALLBACKS: readonly PendingFallback[] = ['issue', 'portal', 'hold'];

/** Named limits of the directory, each with its default and bounds. */
export const DIRECTORY_LIMITS = {
  /** One source's whole exchange (connect, bind, search; DNS query; URI fetch). */
  timeoutMs: { default: 5000, min: 100, max: 60_000, unit: 'milliseconds' },
  /** Fetching a CRL from a certificate's distribution point. */
  crlTimeoutMs: { default: 5000, min: 100, max: 60_000, unit: 'milliseconds' },
  /** Largest CRL or certificate fetched over HTTP. */
  fetchMaxBytes: { default: 4 * 1024 * 1024, min: 1024, max: 64 * 1024 * 1024, unit: 'bytes' },
  /** Candidate certificates considered per source (LDAP attributes, CERT records). */
  maxCandidates: { default: 20, min: 1, max: 200, unit: 'certificates' },
  cacheTtlSeconds: { default: 3600, min: 1, max: 7 * 86400, unit: 'seconds' },
  /** 0 disables negative caching. */
  negativeCacheTtlSeconds: { default: 300, min: 0, max: 86400, unit: 'seconds' },
  reminderHours: { default: 24, min: 1, max: 720, unit: 'hours' },
  expireDays: { default: 7, min: 1, max: 90, unit: 'days' },
  /** After an expired request, how long the fallback applies before a new request may be sent. */
  retryAfterDays: { default: 30, min: 1, max: 365, unit: 'days' },
} as const;
type LimitName = keyof typeof DIRECTORY_LIMITS;

export interface LdapDirectoryConfig {
  /** ldap:// or ldaps:// URL. */
  url: string;
  baseDn: string;
  bindDn?: string;
  password?: string;
  timeoutMs: number;
  /** Absolute paths of PEM/DER CA certificates that certificates from this directory must chain to. */
  trustAnchors: string[];
}

export interface PublishConfig {
  url: string;
  bindDn: string;
  password: string;
  baseDn: string;
}

export interface DirectoryConfig {
  /** Discovery order. */
  sources: DirectorySourceName[];
  ldap: LdapDirectoryConfig[];
  /** LDAP servers found via DNS SRV `_ldap._tcp.DOMAIN`. */
  srv: { timeoutMs: number; trustAnchors: string[] };
  /** DNS CERT records (RFC 4398). */
  dnsCert: { timeoutMs: number; trustAnchors: string[] };
  /** Certificates harvested from verified signed inbound mail (besides inbound.trustAnchors and our root). */
  harvested: { trustAnchors: string[] };
  /** Revocation checking of others' certificates: CRL fetch timeout and extra CRL files (PEM/DER). */
  crl: { timeoutMs: number; files: string[] };
  fetchMaxBytes: number;
  maxCandidates: number;
  cacheTtlSeconds: number;
  negativeCacheTtlSeconds: number;
  missingCertificate: MissingCertificateMode;
  /** Per recipient domain (lower-case) override of missingCertificate. */
  missingCertificateByDomain: Record<string, MissingCertificateMode>;
  /** retryAfterDays: absent means the default (DIRECTORY_LIMITS.retryAfterDays). */
  pending: { reminderHours: number; expireDays: number; fallback: PendingFallback; retryAfterDays?: number };
  /** Where our certificates are published for partners (absent = not published). */
  publish?: PublishConfig;
}

type Obj = Record<string, unknown>;

class Section {
  constructor(private readonly dir: string, private readonly fail: Fail) {}

  obj(v: unknown, path: string, known: string[]): Obj {
    if (v === undefined || v === null) return {};
    if (typeof v !== 'object' || Array.isArray(v)) {
      this.fail(path, `expected a mapping, got ${show(v)}`);
      return {};
    }
    for (const k of Object.keys(v)) if (!known.includes(k)) this.fail(`${path}.${k}`, `unknown key (expected one of: ${known.join(', ')})`);
    return v as Obj;
  }

  num(v: unknown, path: string, name: LimitName): number {
    const spec = DIRECTORY_LIMITS[name];
    const n = v ?? spec.default;
    if (typeof n === 'number' && Number.isInteger(n) && n >= spec.min && n <= spec.max) return n;
    this.fail(path, `must be a whole number of ${spec.unit} between ${spec.min} and ${spec.max}, got ${show(n)}`);
    return spec.default;
  }

  pick<T extends string>(v: unknown, path: string, allowed: readonly T[], def: T): T {
    const s = v ?? def;
    if (typeof s === 'string' && (allowed as readonly string[]).includes(s)) return s as T;
    this.fail(path, `expected one of ${allowed.join(', ')}, got ${show(s)}`);
    return def;
  }

  text(v: unknown, path: string): string | undefined {
    if (typeof v === 'string' && v.length > 0) return v;
    this.fail(path, v === undefined ? 'required' : `expected a non-empty string, got ${show(v)}`);
    return undefined;
  }

  files(v: unknown, path: string): string[] {
    if (v === undefined || v === null) return [];
    if (!Array.isArray(v)) {
      this.fail(path, `expected a list of certificate file paths, got ${show(v)}`);
      return [];
    }
    const out: string[] = [];
    v.forEach((f, i) => {
      if (typeof f === 'string' && f.length) out.push(isAbsolute(f) ? f : resolve(this.dir, f));
      else this.fail(`${path}[${i}]`, `expected a file path, got ${show(f)}`);
    });
    return out;
  }

  url(v: unknown, path: string, protocols: string[]): string | undefined {
    const s = this.text(v, path);
    if (s === undefined) return undefined;
    try {
      if (protocols.includes(new URL(s).protocol)) return s;
    } catch { /* reported below */ }
    this.fail(path, `expected a ${protocols.map((p) => p.replace(':', '://')).join(' or ')} URL, got ${show(s)}`);
    return undefined;
  }
}

function resolveLdap(s: Section, raw: unknown, fail: Fail): LdapDirectoryConfig[] {
  if (raw === undefined || raw === null) return [];
  if (!Array.isArray(raw)) {
    fail('directory.ldap', `expected a list of directories, got ${show(raw)}`);
    return [];
  }
  const out: LdapDirectoryConfig[] = [];
  raw.forEach((item, i) => {
    const p = `directory.ldap[${i}]`;
    const o = s.obj(item, p, ['url', 'baseDn', 'bindDn', 'password', 'timeoutMs', 'trustAnchors']);
    const url = s.url(o.url, `${p}.url`, ['ldap:', 'ldaps:']);
    const baseDn = s.text(o.baseDn, `${p}.baseDn`);
    const bindDn = o.bindDn === undefined ? undefined : s.text(o.bindDn, `${p}.bindDn`);
    const password = o.password === undefined ? undefined : s.text(o.password, `${p}.password`);
    if (password !== undefined && bindDn === undefined) fail(`${p}.password`, 'given without bindDn');
    const timeoutMs = s.num(o.timeoutMs, `${p}.timeoutMs`, 'timeoutMs');
    const trustAnchors = s.files(o.trustAnchors, `${p}.trustAnchors`);
    if (url && baseDn) out.push({ url, baseDn, ...(bindDn ? { bindDn } : {}), ...(password ? { password } : {}), timeoutMs, trustAnchors });
  });
  return out;
}

function resolveSources(raw: unknown, fail: Fail): DirectorySourceName[] {
  if (raw === undefined || raw === null) return [...DIRECTORY_SOURCES];
  if (!Array.isArray(raw) || raw.length === 0) {
    fail('directory.sources', `expected a non-empty list of ${DIRECTORY_SOURCES.join(', ')}, got ${show(raw)}`);
    return [...DIRECTORY_SOURCES];
  }
  const out: DirectorySourceName[] = [];
  raw.forEach((v, i) => {
    if (typeof v !== 'string' || !(DIRECTORY_SOURCES as readonly string[]).includes(v)) fail(`directory.sources[${i}]`, `expected one of ${DIRECTORY_SOURCES.join(', ')}, got ${show(v)}`);
    else if (out.includes(v as DirectorySourceName)) fail(`directory.sources[${i}]`, `${v} is listed twice`);
    else out.push(v as DirectorySourceName);
  });
  return out;
}

function resolveByDomain(s: Section, raw: unknown, fail: Fail): Record<string, MissingCertificateMode> {
  const out: Record<string, MissingCertificateMode> = {};
  if (raw === undefined || raw === null) return out;
  if (typeof raw !== 'object' || Array.isArray(raw)) {
    fail('directory.missingCertificateByDomain', `expected a mapping of domain to mode, got ${show(raw)}`);
    return out;
  }
  for (const [d, m] of Object.entries(raw as Obj)) {
    const p = `directory.missingCertificateByDomain.${d}`;
    if (!DOMAIN_RE.test(d)) fail(p, 'expected a domain name as the key');
    else out[d.toLowerCase()] = s.pick(m, p, MODES, 'issue');
  }
  return out;
}

function resolvePublish(s: Section, raw: unknown): PublishConfig | undefined {
  if (raw === undefined || raw === null) return undefined;
  const o = s.obj(raw, 'directory.publish', ['url', 'bindDn', 'password', 'baseDn']);
  const url = s.url(o.url, 'directory.publish.url', ['ldap:', 'ldaps:']);
  const bindDn = s.text(o.bindDn, 'directory.publish.bindDn');
  const password = s.text(o.password, 'directory.publish.password');
  const baseDn = s.text(o.baseDn, 'directory.publish.baseDn');
  return url && bindDn && password && baseDn ? { url, bindDn, password, baseDn } : undefined;
}

const TOP_KEYS = ['sources', 'ldap', 'srv', 'dnsCert', 'harvested', 'crl', 'fetchMaxBytes', 'maxCandidates', 'cacheTtlSeconds', 'negativeCacheTtlSeconds', 'missingCertificate', 'missingCertificateByDomain', 'pending', 'publish'];

/** Resolves `directory:` (absent = all defaults). `dir` is the config file's folder (relative paths). */
export function resolveDirectoryConfig(raw: unknown, dir: string, fail: Fail): DirectoryConfig {
  const s = new Section(dir, fail);
  const o = s.obj(raw, 'directory', TOP_KEYS);
  const srv = s.obj(o.srv, 'directory.srv', ['timeoutMs', 'trustAnchors']);
  const dnsCert = s.obj(o.dnsCert, 'directory.dnsCert', ['timeoutMs', 'trustAnchors']);
  const harvested = s.obj(o.harvested, 'directory.harvested', ['trustAnchors']);
  const crl = s.obj(o.crl, 'directory.crl', ['timeoutMs', 'files']);
  const pending = s.obj(o.pending, 'directory.pending', ['reminderHours', 'expireDays', 'fallback', 'retryAfterDays']);
  const publish = resolvePublish(s, o.publish);
  return {
    sources: resolveSources(o.sources, fail),
    ldap: resolveLdap(s, o.ldap, fail),
    srv: { timeoutMs: s.num(srv.timeoutMs, 'directory.srv.timeoutMs', 'timeoutMs'), trustAnchors: s.files(srv.trustAnchors, 'directory.srv.trustAnchors') },
    dnsCert: { timeoutMs: s.num(dnsCert.timeoutMs, 'directory.dnsCert.timeoutMs', 'timeoutMs'), trustAnchors: s.files(dnsCert.trustAnchors, 'directory.dnsCert.trustAnchors') },
    harvested: { trustAnchors: s.files(harvested.trustAnchors, 'directory.harvested.trustAnchors') },
    crl: { timeoutMs: s.num(crl.timeoutMs, 'directory.crl.timeoutMs', 'crlTimeoutMs'), files: s.files(crl.files, 'directory.crl.files') },
    fetchMaxBytes: s.num(o.fetchMaxBytes, 'directory.fetchMaxBytes', 'fetchMaxBytes'),
    maxCandidates: s.num(o.maxCandidates, 'directory.maxCandidates', 'maxCandidates'),
    cacheTtlSeconds: s.num(o.cacheTtlSeconds, 'directory.cacheTtlSeconds', 'cacheTtlSeconds'),
    negativeCacheTtlSeconds: s.num(o.negativeCacheTtlSeconds, 'directory.negativeCacheTtlSeconds', 'negativeCacheTtlSeconds'),
    missingCertificate: s.pick(o.missingCertificate, 'directory.missingCertificate', MODES, 'issue'),
    missingCertificateByDomain: resolveByDomain(s, o.missingCertificateByDomain, fail),
    pending: {
      reminderHours: s.num(pending.reminderHours, 'directory.pending.reminderHours', 'reminderHours'),
      expireDays: s.num(pending.expireDays, 'directory.pending.expireDays', 'expireDays'),
      fallback: s.pick(pending.fallback, 'directory.pending.fallback', FALLBACKS, 'hold'),
      retryAfterDays: s.num(pending.retryAfterDays, 'directory.pending.retryAfterDays', 'retryAfterDays'),
    },
    ...(publish ? { publish } : {}),
  };
}

/** All defaults, for callers without a config file (tests). */
export function defaultDirectoryConfig(dir = '.'): DirectoryConfig {
  const problems: string[] = [];
  const c = resolveDirectoryConfig(undefined, dir, (p, m) => problems.push(`${p}: ${m}`));
  if (problems.length) throw new Error(problems.join('; '));
  return c;
}

/** The missing-certificate mode for a recipient address (per-domain override, else the default). */
export function missingCertificateMode(cfg: DirectoryConfig, address: string): MissingCertificateMode {
  const domain = address.slice(address.lastIndexOf('@') + 1).toLowerCase();
  return cfg.missingCertificateByDomain[domain] ?? cfg.missingCertificate;
}
