// CRL checking of inbound signer certificates (`inbound.crlCheck`): the CRLs named by the http
// distribution points of every certificate below the trust anchor are downloaded (with
// `inbound.crlTimeoutSeconds`) and kept until their nextUpdate (at most CRL_CACHE_MAX_MS); a failed
// download is not retried for CRL_RETRY_AFTER_MS, so an unreachable server costs one timeout. The
// path validation then requires a good status from them (src/pki/path-validation.ts 'require').
// Trust level: fetches public, untrusted data; CRL signatures are checked by the path validation.
import { parseCert, toDer } from '../pki/cert-util.js';
import { parseCrl } from '../pki/crl.js';
import { fetchBytes } from './fetch.js';

/** Longest a downloaded CRL is reused without asking again. */
export const CRL_CACHE_MAX_MS = 60 * 60_000;
/** Most cached CRLs. */
export const CRL_CACHE_ENTRIES = 256;
/** After a failed download, the URL is not asked again for this long (the failure is reported again). */
export const CRL_RETRY_AFTER_MS = 60_000;

export type CrlLookup = { crls: Buffer[] } | { unavailable: string };

export interface CrlFetcher {
  /** CRLs for the certificates of `chain` (signer first, trust anchor last) below the anchor. */
  crlsFor(chain: Buffer[]): Promise<CrlLookup>;
}

/** The http(s) URIs of a certificate's CRL distribution points. */
export function crlUrls(der: Buffer): string[] {
  const c = parseCert(der);
  return (c.crlDistributionPoints ?? [])
    .flatMap((dp) => dp.distributionPoint?.fullName ?? [])
    .map((g) => g.uniformResourceIdentifier)
    .filter((u): u is string => typeof u === 'string' && /^https?:\/\//i.test(u));
}

export function createCrlFetcher(opts: { timeoutMs: number; now?: () => number }): CrlFetcher {
  const now = opts.now ?? Date.now;
  const cache = new Map<string, { der: Buffer; until: number }>();
  const failed = new Map<string, { error: string; until: number }>();
  const get = async (url: string): Promise<Buffer> => {
    const hit = cache.get(url);
    if (hit && hit.until > now()) return hit.der;
    const f = failed.get(url);
    if (f && f.until > now()) throw new Error(f.error);
    let der: Buffer;
    let crl: ReturnType<typeof parseCrl>;
    try {
      der = toDer(await fetchBytes(url, opts.timeoutMs), 'X509 CRL');
      crl = parseCrl(der);
    } catch (e) {
      const error = e instanceof Error ? e.message : `${url}: error`;
      if (failed.size >= CRL_CACHE_ENTRIES) failed.delete(failed.keys().next().value!);
      failed.set(url, { error, until: now() + CRL_RETRY_AFTER_MS });
      throw new Error(error);
    }
    failed.delete(url);
    const next = crl.nextUpdate?.getTime() ?? now();
    if (cache.size >= CRL_CACHE_ENTRIES) cache.delete(cache.keys().next().value!);
    cache.set(url, { der, until: Math.min(next, now() + CRL_CACHE_MAX_MS) });
    return der;
  };
  return {
    async crlsFor(chain) {
      const below = chain.length > 1 ? chain.slice(0, -1) : chain;
      const crls: Buffer[] = [];
      for (const cert of below) {
        const urls = crlUrls(cert);
        if (!urls.length) return { unavailable: `no http CRL distribution point in '${parseCert(cert).subjectText}'` };
        const errors: string[] = [];
        let got: Buffer | undefined;
        for (const u of urls) {
          try {
            got = await get(u);
            break;
          } catch (e) {
            errors.push(e instanceof Error ? e.message : `${u}: error`);
          }
        }
        if (!got) return { unavailable: `CRL unreachable: ${errors.join('; ')}` };
        crls.push(got);
      }
      return { crls };
    },
  };
}
