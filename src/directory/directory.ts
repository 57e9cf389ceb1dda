// The certificate directory (src/directory): finds a recipient's encryption certificate by walking
// the configured discovery chain (local store → LDAP → LDAP via DNS SRV → DNS CERT → harvested),
// validates every candidate (validate.ts) against the trust anchors of the source it came from,
// caches results, stores what it found, harvests certificates from verified signed mail, and hands
// auto-issue to the injected issuer. I/O shell: sockets, files, the clock and the database are here;
// the decisions are in validate.ts. Trust level: handles public certificates only, never keys.
// Fail closed: a source that errors or times out is recorded (LookupResult.errors) and the chain
// moves on; the caller treats "nothing found, with errors" as unknown, never as "send in the clear".
import { readFileSync } from 'node:fs';
import type { Kysely } from 'kysely';
import type { Logger } from '../log/logger.js';
import type { Config } from '../config/types.js';
import { CertStore } from '../pki/certstore.js';
import type { DomainPki } from '../pki/ca.js';
import { pemBlocks } from '../pki/cert-util.js';
import { parseCrl } from '../pki/crl.js';
import type { DirectoryConfig, DirectorySourceName } from './config.js';
import type {
  CertificateDirectory, DirectorySource, IssueRequest, LookupOptions, LookupResult, RecipientCertificate,
} from './types.js';
import { crlUrlsFor, validateCandidate, type ValidationContext } from './validate.js';
import { DirectoryStore } from './store.js';
import { certsFromBytes, type FoundCertificate } from './sources/found.js';
import { fetchBounded } from './sources/http.js';
import { searchLdap } from './sources/ldap.js';
import { lookupViaSrv } from './sources/srv.js';
import { lookupDnsCert } from './sources/dns-cert.js';

export type Issuer = (address: string, req: IssueRequest) => Promise<RecipientCertificate>;
export type HarvestListener = (cert: RecipientCertificate) => void | Promise<void>;

export interface CreateDirectoryOptions {
  config: DirectoryConfig;
  /** The gateway's resolvers (cfg.dns.servers); empty = the system's. */
  dnsServers: string[];
  /** inbound.trustAnchors: also trusted for harvested certificates. */
  inboundTrustAnchors?: string[];
  /** The store's kysely handle (pki_certs and directory_certs). */
  store: { db: Kysely<any> };
  pki?: DomainPki;
  clock?: { now(): Date };
  logger: Logger;
  issuer?: Issuer;
}

export interface Directory extends CertificateDirectory {
  /** Called after a harvested certificate is stored (e.g. to release mail held for that recipient). */
  addHarvestListener(fn: HarvestListener): void;
}

/** One step of the chain: a source at one origin, run with its own timeout. */
interface Task {
  source: DirectorySource;
  origin: string;
  timeoutMs: number;
  anchors: () => Promise<Buffer[]>;
  revocation: ValidationContext['revocation'] | ((c: FoundCertificate) => ValidationContext['revocation']);
  run: (address: string, signal: AbortSignal) => Promise<FoundCertificate[]>;
}

/** A trust anchor or CRL file named in directory.* that cannot be used. */
export class DirectoryFileError extends Error {}

function readConfigured(f: string, what: string): Buffer {
  try {
    const b = readFileSync(f);
    if (b.length === 0) throw new DirectoryFileError(`${what} ${f}: the file is empty`);
    return b;
  } catch (e) {
    if (e instanceof DirectoryFileError) throw e;
    throw new DirectoryFileError(`${what} ${f}: cannot read (${(e as NodeJS.ErrnoException).code ?? 'error'})`);
  }
}

/** Reads PEM (one or more) or DER certificate files; a missing or empty file is a configuration error. */
export function readCertificateFiles(files: string[]): Buffer[] {
  return files.flatMap((f) => certsFromBytes(readConfigured(f, 'trust anchor')));
}

function readCrlFiles(files: string[]): Buffer[] {
  return files.flatMap((f) => {
    const b = readConfigured(f, 'CRL');
    const pem = pemBlocks(b.toString('latin1'), 'X509 CRL');
    return pem.length ? pem : [b];
  });
}

/** Distinct CRL downloads one lookup (or one harvest) may start; cached CRLs do not count. */
export const MAX_CRL_FETCHES_PER_LOOKUP = 6;
/** The local source reads the database only. */
export const LOCAL_TIMEOUT_MS = 10_000;
/** Lookup results kept in memory (oldest dropped first), and fetched CRLs. */
export const LOOKUP_CACHE_MAX_ENTRIES = 10_000;
export const CRL_CACHE_MAX_ENTRIES = 256;

function boundedSet<V>(map: Map<string, V>, key: string, value: V, max: number): void {
  map.delete(key);
  map.set(key, value);
  while (map.size > max) map.delete(map.keys().next().value!);
}

async function withTimeout<T>(ms: number, outer: AbortSignal | undefined, fn: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const ac = new AbortController();
  const onOuter = () => ac.abort();
  outer?.addEventListener('abort', onOuter, { once: true });
  let timer: NodeJS.Timeout | undefined;
  const work = fn(ac.signal);
  work.catch(() => undefined);
  try {
    return await Promise.race([
      work,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          ac.abort();
          reject(new Error(`timeout after ${ms} ms`));
        }, ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
    outer?.removeEventListener('abort', onOuter);
  }
}

const errorText = (e: unknown): string => {
  const err = e as NodeJS.ErrnoException & { cause?: { code?: string } };
  const code = err.code ?? err.cause?.code;
  const msg = err instanceof Error ? err.message : String(e);
  return code && !msg.includes(code) ? `${code}: ${msg}` : msg;
};

export function createDirectory(opts: CreateDirectoryOptions): Directory {
  const cfg = opts.config;
  const clock = opts.clock ?? { now: () => new Date() };
  const certs = CertStore.of(opts.store.db);
  const table = new DirectoryStore(opts.store.db);
  const listeners: HarvestListener[] = [];
  const cache = new Map<string, { result: LookupResult; expires: number }>();
  const crlCache = new Map<string, { der: Buffer; expires: number }>();
  const configuredCrls = readCrlFiles(cfg.crl.files);

  const ldapAnchors = cfg.ldap.map((l) => readCertificateFiles(l.trustAnchors));
  const srvAnchors = readCertificateFiles(cfg.srv.trustAnchors);
  const dnsAnchors = readCertificateFiles(cfg.dnsCert.trustAnchors);
  const harvestAnchors = readCertificateFiles([...cfg.harvested.trustAnchors, ...(opts.inboundTrustAnchors ?? [])]);

  let ours: Promise<{ roots: Buffer[]; intermediates: Buffer[] }> | undefined;
  // Our CA certificates, read once they exist (a PKI created after start-up is picked up).
  const ourPki = () => (ours ??= (async () => {
    const v = {
      roots: (await certs.listCerts({ kinds: ['root-ca'] })).map((c) => c.der),
      intermediates: (await certs.listCerts({ kinds: ['external-ca', 'issuing-ca'] })).map((c) => c.der),
    };
    if (v.roots.length === 0) ours = undefined;
    return v;
  })().catch((e) => {
    ours = undefined;
    throw e;
  }));
  const withOurRoot = async (extra: Buffer[]) => [...extra, ...(await ourPki()).roots];

  /** Anchors for a stored certificate: those of the source it was first found in. */
  const anchorsForStored = (source: DirectorySource, origin: string): Buffer[] => {
    if (source === 'ldap') {
      const i = cfg.ldap.findIndex((l) => l.url === origin);
      return i >= 0 ? ldapAnchors[i]! : ldapAnchors.flat();
    }
    if (source === 'ldap-srv') return srvAnchors;
    if (source === 'dns-cert') return dnsAnchors;
    return harvestAnchors;
  };

  /** `budget.fetches`: CRL downloads this lookup may still start (candidates could name many slow URLs). */
  async function crlsFor(found: FoundCertificate, budget: { fetches: number }, signal?: AbortSignal): Promise<{ crls: Buffer[]; errors: Map<string, string> }> {
    const crls = [...configuredCrls];
    const errors = new Map<string, string>();
    const now = clock.now().getTime();
    for (const url of crlUrlsFor(found)) {
      const hit = crlCache.get(url);
      if (hit && hit.expires > now) {
        crls.push(hit.der);
        continue;
      }
      if (budget.fetches <= 0) {
        errors.set(url, `not fetched: this lookup already fetched ${MAX_CRL_FETCHES_PER_LOOKUP} CRLs`);
        continue;
      }
      budget.fetches--;
      try {
        let der = await fetchBounded(url, cfg.crl.timeoutMs, cfg.fetchMaxBytes, signal);
        const pem = pemBlocks(der.toString('latin1'), 'X509 CRL');
        if (pem[0]) der = pem[0];
        const parsed = parseCrl(der);
        const until = Math.min(parsed.nextUpdate?.getTime() ?? Infinity, now + cfg.cacheTtlSeconds * 1000);
        boundedSet(crlCache, url, { der, expires: until }, CRL_CACHE_MAX_ENTRIES);
        crls.push(der);
      } catch (e) {
        errors.set(url, errorText(e));
      }
    }
    return { crls, errors };
  }

  function localTask(): Task {
    return {
      source: 'local',
      origin: 'local store',
      timeoutMs: LOCAL_TIMEOUT_MS,
      anchors: async () => (await ourPki()).roots,
      revocation: 'store',
      run: async (address) => {
        const { intermediates } = await ourPki();
        const issued = await certs.listCerts({ address, kinds: ['external'], limit: cfg.maxCandidates });
        return issued.map((c) => ({ der: c.der, chain: intermediates, origin: `issued by us (serial ${c.serial})` }));
      },
    };
  }

  /** Previously found certificates (re-validated against the anchors of the source that found them). */
  function storedTask(harvested: boolean): Task {
    return {
      source: harvested ? 'harvested' : 'local',
      origin: harvested ? 'harvested from signed mail' : 'previously found',
      timeoutMs: LOCAL_TIMEOUT_MS,
      anchors: async () => [],
      revocation: 'crl',
      run: async (address) => (await table.list(address, harvested)).map((s) => ({ der: s.der, chain: s.chain, origin: `${s.source} ${s.origin}`, ...(s.capabilities ? { capabilities: s.capabilities } : {}), stored: s })),
    };
  }

  function tasksFor(name: DirectorySourceName): Task[] {
    const maxCandidates = cfg.maxCandidates;
    switch (name) {
      case 'local':
        return [localTask(), storedTask(false)];
      case 'ldap':
        return cfg.ldap.map((l, i) => ({
          source: 'ldap' as const,
          origin: l.url,
          timeoutMs: l.timeoutMs,
          anchors: async () => ldapAnchors[i]!,
          revocation: 'crl' as const,
          run: (address: string, signal: AbortSignal) => searchLdap({ ...l, address, maxCandidates, signal }),
        }));
      case 'ldap-srv':
        return [{
          source: 'ldap-srv', origin: 'DNS SRV _ldap._tcp', timeoutMs: cfg.srv.timeoutMs, anchors: async () => srvAnchors, revocation: 'crl',
          run: (address, signal) => lookupViaSrv({ address, servers: opts.dnsServers, timeoutMs: cfg.srv.timeoutMs, maxCandidates, signal }),
        }];
      case 'dns-cert':
        return (['address', 'domain'] as const).map((bound) => ({
          source: 'dns-cert' as const,
          origin: `DNS CERT (${bound}-bound)`,
          timeoutMs: cfg.dnsCert.timeoutMs,
          anchors: async () => dnsAnchors,
          revocation: 'crl' as const,
          run: (address: string, signal: AbortSignal) => lookupDnsCert({ address, bound, servers: opts.dnsServers, timeoutMs: cfg.dnsCert.timeoutMs, fetchMaxBytes: cfg.fetchMaxBytes, maxCandidates, signal }),
        }));
      case 'harvested':
        return [storedTask(true)];
    }
  }

  async function runTask(task: Task, address: string, result: LookupResult, budget: { fetches: number }, signal?: AbortSignal): Promise<RecipientCertificate | undefined> {
    const started = Date.now();
    const trail = (outcome: LookupResult['trail'][number]['outcome'], origin = task.origin) =>
      result.trail.push({ source: task.source, origin, outcome, ms: Date.now() - started });
    let found: (FoundCertificate & { stored?: { source: DirectorySource; origin: string } })[];
    try {
      found = await withTimeout(task.timeoutMs, signal, (s) => task.run(address, s));
    } catch (e) {
      result.errors.push({ source: task.source, origin: task.origin, error: errorText(e) });
      trail('error');
      return undefined;
    }
    if (found.length === 0) {
      trail('none');
      return undefined;
    }
    for (const f of found) {
      const anchors = f.stored ? await withOurRoot(anchorsForStored(f.stored.source, f.stored.origin)) : await task.anchors();
      const revocation = typeof task.revocation === 'function' ? task.revocation(f) : task.revocation;
      const { crls, errors } = revocation === 'crl' ? await crlsFor(f, budget, signal) : { crls: [], errors: new Map<string, string>() };
      const v = validateCandidate({ der: f.der, chain: f.chain }, { address, at: clock.now(), trustAnchors: anchors, crls, revocation, crlErrors: errors });
      if (!v.ok) {
        result.rejected.push({ source: task.source, origin: f.origin, subject: v.subject, fingerprint: v.fingerprint, reason: v.reason });
        continue;
      }
      trail('found', f.origin);
      return {
        address, der: f.der, chain: v.chain, source: task.source, origin: f.origin, fingerprint: v.fingerprint, notAfter: v.notAfter,
        ...(f.capabilities ? { capabilities: f.capabilities } : {}),
      };
    }
    trail('rejected');
    return undefined;
  }

  async function remember(cert: RecipientCertificate): Promise<void> {
    if (cert.source === 'local' || cert.source === 'harvested' || cert.source === 'issued') return;
    try {
      await table.put({ ...cert, addedAt: clock.now() });
    } catch (e) {
      opts.logger.warn({ event: 'directory.store-failed', source: cert.source, err: errorText(e) }, 'could not store a found certificate');
    }
  }

  function cacheResult(address: string, result: LookupResult): void {
    const now = clock.now().getTime();
    if (result.certificate) {
      const expires = Math.min(now + cfg.cacheTtlSeconds * 1000, result.certificate.notAfter.getTime());
      boundedSet(cache, address, { result, expires }, LOOKUP_CACHE_MAX_ENTRIES);
    } else if (result.errors.length === 0 && cfg.negativeCacheTtlSeconds > 0) {
      // A negative answer is cached only when every source answered: an error might have hidden one.
      boundedSet(cache, address, { result, expires: now + cfg.negativeCacheTtlSeconds * 1000 }, LOOKUP_CACHE_MAX_ENTRIES);
    }
  }

  const inFlight = new Map<string, Promise<LookupResult>>();

  async function lookup(rawAddress: string, lo: LookupOptions = {}): Promise<LookupResult> {
    const address = rawAddress.trim().toLowerCase();
    const hit = cache.get(address);
    if (!lo.fresh && hit && hit.expires > clock.now().getTime()) return { ...hit.result, cached: true };
    // Concurrent lookups of one address (a message to a list) share one walk of the chain.
    const running = lo.fresh || lo.signal ? undefined : inFlight.get(address);
    if (running) return running;
    const p = walk(address, lo).finally(() => inFlight.delete(address));
    if (!lo.fresh && !lo.signal) inFlight.set(address, p);
    return p;
  }

  async function walk(address: string, lo: LookupOptions): Promise<LookupResult> {
    const result: LookupResult = { address, rejected: [], errors: [], trail: [], cached: false };
    const budget = { fetches: MAX_CRL_FETCHES_PER_LOOKUP };
    for (const name of cfg.sources) {
      for (const task of tasksFor(name)) {
        if (lo.signal?.aborted) throw new Error('lookup aborted');
        const cert = await runTask(task, address, result, budget, lo.signal);
        if (cert) {
          result.certificate = cert;
          await remember(cert);
          cacheResult(address, result);
          return result;
        }
      }
    }
    cacheResult(address, result);
    return result;
  }

  async function harvest(rawAddress: string, der: Buffer, o: { chain?: Buffer[]; capabilities?: string[]; messageId?: string }): Promise<boolean> {
    const address = rawAddress.trim().toLowerCase();
    const found: FoundCertificate = { der, chain: o.chain ?? [], origin: 'signed mail' };
    const { crls, errors } = await crlsFor(found, { fetches: MAX_CRL_FETCHES_PER_LOOKUP });
    const v = validateCandidate(found, { address, at: clock.now(), trustAnchors: await withOurRoot(harvestAnchors), crls, revocation: 'crl', crlErrors: errors });
    if (!v.ok) {
      opts.logger.info({ event: 'directory.harvest-rejected', reason: v.reason, fingerprint: v.fingerprint }, 'harvested certificate rejected');
      return false;
    }
    const cert: RecipientCertificate = {
      address, der, chain: v.chain, source: 'harvested', origin: o.messageId ? `signed mail ${o.messageId}` : 'signed mail',
      fingerprint: v.fingerprint, notAfter: v.notAfter, ...(o.capabilities ? { capabilities: o.capabilities } : {}),
    };
    await table.put({ ...cert, addedAt: clock.now(), ...(o.messageId ? { messageId: o.messageId } : {}) });
    invalidate(address);
    for (const fn of listeners) {
      try {
        await fn(cert);
      } catch (e) {
        opts.logger.warn({ event: 'directory.harvest-listener-failed', err: errorText(e) }, 'a harvest listener failed');
      }
    }
    return true;
  }

  function invalidate(address?: string): void {
    if (address === undefined) {
      cache.clear();
      crlCache.clear();
    } else cache.delete(address.trim().toLowerCase());
  }

  async function issue(rawAddress: string, req: IssueRequest): Promise<RecipientCertificate> {
    if (!opts.issuer) throw new Error('auto-issue is not available: no issuer was given to the directory (src/directory/issue-push.ts)');
    const address = rawAddress.trim().toLowerCase();
    const cert = await opts.issuer(address, req);
    invalidate(address);
    return cert;
  }

  return { lookup, issue, harvest, invalidate, addHarvestListener: (fn) => void listeners.push(fn) };
}

/** createDirectory with the values of a loaded configuration. */
export function directoryFromConfig(cfg: Config, rest: Omit<CreateDirectoryOptions, 'config' | 'dnsServers' | 'inboundTrustAnchors'>): Directory {
  if (!cfg.directory) throw new Error('configuration has no directory section (the loader always fills it)');
  return createDirectory({ ...rest, config: cfg.directory, dnsServers: cfg.dns.servers, inboundTrustAnchors: cfg.inbound?.trustAnchors ?? [] });
}
