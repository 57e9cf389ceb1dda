// LDAP source: searches a directory for `(mail=ADDRESS)` and returns the certificates in
// `userCertificate;binary` and `userSMIMECertificate` (PKCS#7). With no base DN (servers found via
// DNS SRV) the base comes from the root DSE's namingContexts. Thin I/O over ldapts; the filter is
// built as a value (never by string pasting), so an address cannot inject filter syntax.
// Trust level: talks to partner directories; everything returned is validated by the caller.
import { Client, EqualityFilter } from 'ldapts';
import { parseCert } from '../../pki/cert-util.js';
import { certsFromPkcs7, type FoundCertificate } from './found.js';

export interface LdapSearch {
  url: string;
  /** Undefined: use the server's namingContexts. */
  baseDn?: string;
  bindDn?: string;
  password?: string;
  timeoutMs: number;
  address: string;
  maxCandidates: number;
  /** Shown as the candidates' origin (default: url). */
  origin?: string;
  signal?: AbortSignal;
}

const CERT_ATTRS = ['userCertificate;binary', 'userCertificate', 'userSMIMECertificate', 'userSMIMECertificate;binary'];
/** Most naming contexts searched on one SRV-discovered server. */
export const MAX_NAMING_CONTEXTS = 8;

const isCa = (der: Buffer): boolean => {
  try {
    return parseCert(der).basicConstraints?.ca === true;
  } catch {
    return false;
  }
};
const values = (v: unknown): Buffer[] => (Array.isArray(v) ? v : v === undefined ? [] : [v]).filter((x): x is Buffer => Buffer.isBuffer(x));

async function namingContexts(client: Client): Promise<string[]> {
  const { searchEntries } = await client.search('', { scope: 'base', filter: '(objectClass=*)', attributes: ['namingContexts'] });
  const v = searchEntries[0]?.namingContexts;
  return (Array.isArray(v) ? v : v ? [v] : []).map(String).slice(0, MAX_NAMING_CONTEXTS);
}

export async function searchLdap(o: LdapSearch): Promise<FoundCertificate[]> {
  const client = new Client({ url: o.url, timeout: o.timeoutMs, connectTimeout: o.timeoutMs });
  const onAbort = () => void client.unbind().catch(() => undefined);
  o.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    if (o.bindDn) await client.bind(o.bindDn, o.password ?? '');
    const bases = o.baseDn !== undefined ? [o.baseDn] : await namingContexts(client);
    const out: FoundCertificate[] = [];
    for (const base of bases) {
      const { searchEntries } = await client.search(base, {
        scope: 'sub',
        filter: new EqualityFilter({ attribute: 'mail', value: o.address }),
        attributes: CERT_ATTRS,
        explicitBufferAttributes: CERT_ATTRS,
        sizeLimit: o.maxCandidates,
      });
      for (const e of searchEntries) {
        for (const [k, v] of Object.entries(e)) {
          const attr = k.toLowerCase();
          if (attr.startsWith('usercertificate')) for (const der of values(v)) out.push({ der, chain: [], origin: o.origin ?? o.url });
          if (attr.startsWith('usersmimecertificate')) {
            for (const p7 of values(v)) {
              try {
                // The bundle's order is not defined: each certificate is a candidate, the rest its chain.
                const all = certsFromPkcs7(p7);
                all.forEach((der, i) => {
                  if (!isCa(der)) out.push({ der, chain: all.filter((_, j) => j !== i), origin: o.origin ?? o.url });
                });
              } catch {
                // a malformed bundle offers nothing
              }
            }
          }
        }
      }
    }
    return out.slice(0, o.maxCandidates);
  } finally {
    o.signal?.removeEventListener('abort', onAbort);
    await client.unbind().catch(() => undefined);
  }
}

export interface LdapProbe {
  url: string;
  /** 'ok', or what failed (connect, bind or the base search) in the client's words. */
  status: string;
  ms: number;
}

/**
 * Is a configured directory usable right now? Connect, bind as configured and read the base
 * entry (the root DSE without a base DN), within the directory's own timeout. For the console's
 * health page: a directory that is down makes lookups fall through to the next source.
 */
export async function probeLdap(o: { url: string; baseDn?: string; bindDn?: string; password?: string; timeoutMs: number }, now: () => number = Date.now): Promise<LdapProbe> {
  const t0 = now();
  const client = new Client({ url: o.url, timeout: o.timeoutMs, connectTimeout: o.timeoutMs });
  try {
    if (o.bindDn) await client.bind(o.bindDn, o.password ?? '');
    await client.search(o.baseDn ?? '', { scope: 'base', filter: '(objectClass=*)', attributes: ['1.1'], sizeLimit: 1 });
    return { url: o.url, status: 'ok', ms: now() - t0 };
  } catch (e) {
    return { url: o.url, status: `error: ${(e as Error).message || (e as Error).name}`, ms: now() - t0 };
  } finally {
    await client.unbind().catch(() => undefined);
  }
}
