// Direct-style per-domain trust bundles (`inbound.trustBundles`): PKCS#7 certs-only files (DER or
// PEM; PEM certificate lists are accepted too) read from a path or an http(s) URL. A bundle's
// certificates are trust anchors only for signers whose From address is in the bundle's domain.
// Each bundle is loaded on first use (or when the refresh schedule starts) and reloaded when older
// than its refreshMinutes: by the schedule (`start()`, checked every minute) and on use. A reload
// runs in the background; the previous certificates stay in force until it succeeds; a failed
// reload keeps the last good bundle and is retried at the next check.
// Trust level: fetches untrusted data; a bundle is only as trustworthy as its configured source.
import { childrenOf, rawOf, readOid, readWhole, TAG, pemBlocks } from '../pki/cert-util.js';
import type { TrustBundleConfig } from './config.js';
import { fetchBytes } from './fetch.js';

/** Most certificates taken from one bundle. */
export const MAX_BUNDLE_CERTS = 5000;
const OID_SIGNED_DATA = '1.2.840.113549.1.7.2';

/** Certificates (DER) of a PKCS#7 certs-only bundle (DER or PEM "PKCS7"), or of a PEM certificate list. */
export function parseTrustBundle(data: Buffer): Buffer[] {
  const text = data.subarray(0, 100).toString('latin1');
  if (text.includes('-----BEGIN')) {
    const all = data.toString('latin1');
    const p7 = pemBlocks(all, 'PKCS7');
    if (p7.length) return p7.flatMap((d) => certsOfSignedData(d));
    const certs = pemBlocks(all, 'CERTIFICATE');
    if (!certs.length) throw new Error('no PKCS7 or CERTIFICATE block');
    return certs.slice(0, MAX_BUNDLE_CERTS);
  }
  return certsOfSignedData(data);
}

function certsOfSignedData(der: Buffer): Buffer[] {
  const top = readWhole(der);
  const [oidT, wrapT] = top.tag === TAG.SEQUENCE ? childrenOf(der, top) : [];
  if (!oidT || readOid(der, oidT) !== OID_SIGNED_DATA || !wrapT) throw new Error('not a PKCS#7 signed-data bundle');
  const [sd] = childrenOf(der, wrapT);
  if (!sd) throw new Error('empty PKCS#7 bundle');
  const certSet = childrenOf(der, sd).find((t) => t.tag === 0xa0);
  if (!certSet) throw new Error('PKCS#7 bundle without certificates');
  const out = childrenOf(der, certSet).filter((t) => t.tag === TAG.SEQUENCE).map((t) => Buffer.from(rawOf(der, t)));
  if (!out.length) throw new Error('PKCS#7 bundle without certificates');
  return out.slice(0, MAX_BUNDLE_CERTS);
}

interface BundleState {
  cfg: TrustBundleConfig;
  certs: Buffer[];
  loadedAt?: number;
  error?: string;
  loading?: Promise<void>;
}

export interface TrustBundleStatus {
  domain: string;
  source: string;
  certificates: number;
  loadedAt?: Date;
  error?: string;
}

export interface TrustBundles {
  /** Anchors for signers in `domain` (empty when no bundle names it). */
  anchorsFor(domain: string): Promise<Buffer[]>;
  status(): TrustBundleStatus[];
  /** Loads every bundle now and reloads stale ones every `checkMs` (default a minute); returns stop. */
  start(checkMs?: number): () => void;
}

/** How often the refresh schedule looks for bundles older than their refreshMinutes. */
export const BUNDLE_CHECK_MS = 60_000;

export interface TrustBundleOptions {
  timeoutMs: number;
  now?: () => number;
  /** Told about each failed load (source and reason; no content). */
  onError?: (source: string, error: string) => void;
}

export function createTrustBundles(configs: TrustBundleConfig[], opts: TrustBundleOptions): TrustBundles {
  const now = opts.now ?? Date.now;
  const states: BundleState[] = configs.map((cfg) => ({ cfg, certs: [] }));
  const load = (s: BundleState) =>
    (s.loading ??= (async () => {
      try {
        s.certs = parseTrustBundle(await fetchBytes(s.cfg.source, opts.timeoutMs));
        s.error = undefined;
      } catch (e) {
        s.error = e instanceof Error ? e.message : 'error';
        opts.onError?.(s.cfg.source, s.error);
      } finally {
        s.loadedAt = now();
        s.loading = undefined;
      }
    })());
  const stale = (s: BundleState) => s.loadedAt === undefined || now() - s.loadedAt >= s.cfg.refreshMinutes * 60_000;
  return {
    start(checkMs = BUNDLE_CHECK_MS) {
      const tick = () => {
        for (const s of states) if (stale(s)) void load(s);
      };
      tick();
      const timer = setInterval(tick, checkMs);
      timer.unref();
      return () => clearInterval(timer);
    },
    async anchorsFor(domain) {
      const d = domain.toLowerCase();
      const out: Buffer[] = [];
      for (const s of states.filter((x) => x.cfg.domain === d)) {
        if (s.loadedAt === undefined) await load(s);
        else if (stale(s)) void load(s);
        out.push(...s.certs);
      }
      return out;
    },
    status: () =>
      states.map((s) => ({
        domain: s.cfg.domain,
        source: s.cfg.source,
        certificates: s.certs.length,
        ...(s.loadedAt !== undefined ? { loadedAt: new Date(s.loadedAt) } : {}),
        ...(s.error ? { error: s.error } : {}),
      })),
  };
}
