// CRLs over HTTP: GET /crl/{root|internal|external}.crl, the distribution points every certificate we
// issue names (pki.crlUrl). The web listener mounts this handler. Each CA's CRL is signed in this
// process and kept in memory; it is re-signed when a certificate of that CA was revoked since (so a
// revocation is served at once, from any process of a cluster, since revocations are in the shared
// database) and at least every CRL_HTTP_RESIGN_MS. Trust level: network-facing, read-only; opens
// CA keys through DomainPki to sign; answers only public data, never error details.
import 'reflect-metadata';
import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Config } from '../config/types.js';
import { type DomainPki, type PkiStore } from './ca.js';
import { revocationStamp } from './revocation-watch.js';
import { CA_NAMES, type CaName } from './certstore.js';
import { parseCrl } from './crl.js';
import { openConfiguredPki } from './setup.js';

/** A served CRL is re-signed at least this often (its nextUpdate is days ahead; see CRL_VALIDITY_DAYS). */
export const CRL_HTTP_RESIGN_MS = 3_600_000;
/** What clients and caches may keep (short: revocations must reach relying parties quickly). */
export const CRL_HTTP_MAX_AGE_S = 300;

const PATH_RE = /^\/crl\/(root|internal|external)\.crl$/;

interface Signed {
  der: Buffer;
  etag: string;
  thisUpdate: Date;
  nextUpdate?: Date;
  /** Revocations of this CA when it was signed: count and newest time. */
  state: string;
  signedAt: number;
}

export type CrlRequestHandler = (req: IncomingMessage, res: ServerResponse) => Promise<void>;

/** What the web listener has at hand: the config and the opened store (the PKI is opened on first request). */
export interface CrlHandlerDeps {
  cfg: Pick<Config, 'pki' | 'dir' | 'domains'>;
  store: PkiStore;
}

/** Opens the PKI once, lazily; a failure (KEK unreadable, no PKI yet) is retried on the next request. */
function lazyPki(deps: CrlHandlerDeps): () => Promise<DomainPki> {
  let opened: Promise<DomainPki> | undefined;
  return () => {
    const pkiCfg = deps.cfg.pki;
    if (!pkiCfg) return Promise.reject(new Error('no pki section'));
    opened ??= openConfiguredPki(deps.cfg, deps.store);
    opened.catch(() => (opened = undefined));
    return opened;
  };
}

/**
 * A node http request handler serving the CRLs of the PKI `getPki` returns (called per request,
 * so the web listener may open the PKI late), or of the PKI opened from `{ cfg, store }`. Paths
 * other than the three CRLs get 404.
 */
export function createCrlHandler(source: (() => DomainPki | Promise<DomainPki>) | CrlHandlerDeps, clock: () => number = Date.now): CrlRequestHandler {
  const getPki = typeof source === 'function' ? source : lazyPki(source);
  const cache = new Map<CaName, Signed>();
  const inflight = new Map<CaName, Promise<Signed>>();

  async function sign(pki: DomainPki, ca: CaName, state: string): Promise<Signed> {
    const der = await pki.issueCrl(ca);
    const p = parseCrl(der);
    const s = { der, etag: `"${createHash('sha256').update(der).digest('hex').slice(0, 32)}"`, thisUpdate: p.thisUpdate, nextUpdate: p.nextUpdate, state, signedAt: clock() };
    cache.set(ca, s);
    return s;
  }

  async function current(ca: CaName): Promise<Signed> {
    const pki = await getPki();
    const state = await revocationStamp(pki.store.db, ca);
    const hit = cache.get(ca);
    if (hit && hit.state === state && clock() - hit.signedAt < CRL_HTTP_RESIGN_MS) return hit;
    // One signature at a time per CA, however many requests arrive together.
    let p = inflight.get(ca);
    if (!p) {
      p = sign(pki, ca, state).finally(() => inflight.delete(ca));
      inflight.set(ca, p);
    }
    return p;
  }

  return async (req, res) => {
    const path = (req.url ?? '/').split('?')[0]!;
    const m = PATH_RE.exec(path);
    if (!m || !CA_NAMES.includes(m[1] as CaName)) {
      res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' }).end('not found\n');
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { Allow: 'GET, HEAD', 'Content-Type': 'text/plain; charset=utf-8' }).end('method not allowed\n');
      return;
    }
    let crl: Signed;
    try {
      crl = await current(m[1] as CaName);
    } catch {
      res.writeHead(503, { 'Content-Type': 'text/plain; charset=utf-8', 'Retry-After': '30' }).end('CRL temporarily unavailable\n');
      return;
    }
    const headers: Record<string, string> = {
      'Content-Type': 'application/pkix-crl',
      'Cache-Control': `public, max-age=${CRL_HTTP_MAX_AGE_S}`,
      'Last-Modified': crl.thisUpdate.toUTCString(),
      ETag: crl.etag,
      'X-Content-Type-Options': 'nosniff',
    };
    if (crl.nextUpdate) headers.Expires = crl.nextUpdate.toUTCString();
    if (req.headers['if-none-match'] === crl.etag) {
      res.writeHead(304, headers).end();
      return;
    }
    headers['Content-Length'] = String(crl.der.length);
    res.writeHead(200, headers).end(req.method === 'HEAD' ? undefined : crl.der);
  };
}
