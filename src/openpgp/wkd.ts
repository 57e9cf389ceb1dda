// Web Key Directory client (draft-koch-openpgp-webkey-service): the advanced method
// (https://openpgpkey.DOMAIN/.well-known/openpgpkey/DOMAIN/hu/HASH?l=LOCAL) first, then the
// direct method (https://DOMAIN/.well-known/openpgpkey/hu/HASH?l=LOCAL); HASH is the z-base-32
// SHA-1 of the lower-cased local part. Also an HKP lookup (GET /pks/lookup?op=get&search=ADDR).
// Trust level: network-facing client; only HTTPS for WKD (trust anchors configurable), bounded
// response size and time; results are untrusted until validated by the caller.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';

/** Largest key document accepted from WKD or HKP. */
export const MAX_KEY_DOCUMENT_BYTES = 256 * 1024;

const ZB32 = 'ybndrfg8ejkmcpqxot1uwisza345h769';

export function zbase32(data: Buffer): string {
  let out = '';
  let bits = 0;
  let value = 0;
  for (const byte of data) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += ZB32[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += ZB32[(value << (5 - bits)) & 31];
  return out;
}

export function wkdHash(localPart: string): string {
  return zbase32(createHash('sha1').update(localPart.toLowerCase(), 'utf8').digest());
}

/** The two WKD URLs for an address, advanced method first. */
export function wkdUrls(address: string): Array<{ host: string; path: string }> {
  const at = address.lastIndexOf('@');
  const local = address.slice(0, at);
  const domain = address.slice(at + 1).toLowerCase();
  const q = `${wkdHash(local)}?l=${encodeURIComponent(local)}`;
  return [
    { host: `openpgpkey.${domain}`, path: `/.well-known/openpgpkey/${domain}/hu/${q}` },
    { host: domain, path: `/.well-known/openpgpkey/hu/${q}` },
  ];
}

export interface WkdClientOptions {
  caFile?: string;
  resolve: Record<string, { host: string; port: number }>;
  timeoutSeconds: number;
}

export type FetchResult = { kind: 'found'; data: Buffer; url: string } | { kind: 'not-found'; why: string } | { kind: 'error'; why: string };

function get(mod: typeof http | typeof https, opts: https.RequestOptions, timeoutMs: number): Promise<{ status: number; data: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = mod.request({ ...opts, method: 'GET', timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => {
        size += c.length;
        if (size > MAX_KEY_DOCUMENT_BYTES) req.destroy(new Error(`response larger than ${MAX_KEY_DOCUMENT_BYTES} bytes`));
        else chunks.push(c);
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, data: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', reject);
    req.end();
  });
}

export function createWkdClient(o: WkdClientOptions) {
  const ca = o.caFile ? readFileSync(o.caFile) : undefined;
  const target = (host: string) => {
    const domain = host.replace(/^openpgpkey\./, '');
    return o.resolve[host] ?? o.resolve[domain] ?? { host, port: 443 };
  };
  return {
    /** Tries the advanced then the direct method; 'error' only when every URL failed with a network error. */
    async fetch(address: string): Promise<FetchResult> {
      const errors: string[] = [];
      for (const u of wkdUrls(address)) {
        const t = target(u.host);
        try {
          const r = await get(https, { host: t.host, port: t.port, path: u.path, servername: u.host, headers: { host: u.host }, ...(ca ? { ca } : {}) }, o.timeoutSeconds * 1000);
          if (r.status === 200 && r.data.length > 0) return { kind: 'found', data: r.data, url: `https://${u.host}${u.path}` };
          errors.push(`${u.host}: HTTP ${r.status}`);
        } catch (e) {
          errors.push(`${u.host}: ${(e as Error).message}`);
        }
      }
      return { kind: 'not-found', why: `WKD: ${errors.join('; ')}` };
    },
  };
}

/** HKP (draft-shaw-openpgp-hkp) lookup of an address on a keyserver base URL. */
export async function hkpFetch(baseUrl: string, address: string, timeoutSeconds: number, caFile?: string): Promise<FetchResult> {
  const u = new URL(`/pks/lookup?op=get&options=mr&search=${encodeURIComponent(address)}`, baseUrl);
  const secure = u.protocol === 'https:';
  try {
    const r = await get(
      secure ? https : http,
      { host: u.hostname, port: u.port || (secure ? 443 : 80), path: u.pathname + u.search, ...(secure && caFile ? { ca: readFileSync(caFile) } : {}) },
      timeoutSeconds * 1000,
    );
    if (r.status === 200 && r.data.length > 0) return { kind: 'found', data: r.data, url: u.toString() };
    return { kind: 'not-found', why: `HKP: HTTP ${r.status}` };
  } catch (e) {
    return { kind: 'error', why: `HKP: ${(e as Error).message}` };
  }
}
