// LDAP found via DNS SRV (`_ldap._tcp.DOMAIN`, the Direct Project's directory discovery): resolves
// the SRV records with the gateway's resolvers, each target's address with the same resolvers (so
// the system resolver is never consulted), and searches each server in priority order with no bind
// and the server's naming contexts as bases. Trust level: DNS and the directories are untrusted.
import { Resolver } from 'node:dns/promises';
import { isIP } from 'node:net';
import { searchLdap } from './ldap.js';
import type { FoundCertificate } from './found.js';

/** Most SRV targets tried for one lookup. */
export const MAX_SRV_TARGETS = 4;

export interface SrvLookup {
  address: string;
  servers: string[];
  timeoutMs: number;
  maxCandidates: number;
  signal: AbortSignal;
}

async function addressOf(resolver: Resolver, host: string): Promise<string> {
  if (isIP(host)) return host;
  try {
    const [a] = await resolver.resolve4(host);
    if (a) return a;
  } catch {
    // try AAAA
  }
  const [aaaa] = await resolver.resolve6(host);
  if (!aaaa) throw new Error(`no address for ${host}`);
  return aaaa;
}

export async function lookupViaSrv(o: SrvLookup): Promise<FoundCertificate[]> {
  const domain = o.address.slice(o.address.lastIndexOf('@') + 1);
  const resolver = new Resolver({ timeout: o.timeoutMs, tries: 1 });
  if (o.servers.length) resolver.setServers(o.servers);
  o.signal.addEventListener('abort', () => resolver.cancel(), { once: true });
  let records;
  try {
    records = await resolver.resolveSrv(`_ldap._tcp.${domain}`);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOTFOUND' || code === 'ENODATA') return [];
    throw e;
  }
  records.sort((a, b) => a.priority - b.priority || b.weight - a.weight);
  const out: FoundCertificate[] = [];
  let lastError: Error | undefined;
  for (const r of records.slice(0, MAX_SRV_TARGETS)) {
    try {
      const ip = await addressOf(resolver, r.name);
      const host = isIP(ip) === 6 ? `[${ip}]` : ip;
      out.push(...(await searchLdap({ url: `ldap://${host}:${r.port}`, origin: `ldap://${r.name}:${r.port} (SRV _ldap._tcp.${domain})`, timeoutMs: o.timeoutMs, address: o.address, maxCandidates: o.maxCandidates, signal: o.signal })));
      if (out.length) return out;
    } catch (e) {
      lastError = e as Error;
    }
  }
  if (!out.length && lastError) throw lastError;
  return out;
}
