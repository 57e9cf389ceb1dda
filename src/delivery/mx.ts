// Next-hop routing for mail to other domains: MX lookup (RFC 5321 5.1) with implicit MX, null MX
// (RFC 7505), preference order, and a bounded cache. Trust level: consumes DNS answers, which are
// untrusted; never touches message bytes.
// Uses node:dns Resolver pointed at `dns.servers` (so tests use a local DNS server). Node's
// resolveMx does not expose TTLs, so MX answers are cached for a fixed, bounded time
// (mxCacheSeconds); A/AAAA answers are cached for their own TTL, capped at maxTtlSeconds.
import { Resolver } from 'node:dns/promises';
import net from 'node:net';
import { domainToASCII } from 'node:url';

export interface MxTarget {
  /** MX host name (or the domain itself for implicit MX, or the literal for [1.2.3.4]). */
  name: string;
  preference: number;
  /** IPv4 first, then IPv6. */
  addresses: string[];
}

export type Route =
  | { ok: true; targets: MxTarget[] }
  | { ok: false; status: 'failed' | 'deferred'; reply: string };

export interface MxResolverOptions {
  /** 'ip' or 'ip:port' resolvers; default: the system's. */
  servers?: string[];
  /** Per-query timeout and tries (c-ares). */
  timeoutMs?: number;
  tries?: number;
  /** Longest time any answer is cached. */
  maxTtlSeconds?: number;
  /** How long MX answers are cached (node does not give their TTL). */
  mxCacheSeconds?: number;
  /** How long "no such name" / "no such record" answers are cached (SOA minimum is not visible). */
  negativeTtlSeconds?: number;
  /** Cache size bound (entries). */
  maxEntries?: number;
  /** Most addresses returned over all MX hosts (Postfix: smtp_mx_address_limit). */
  maxAddresses?: number;
  now?: () => number;
}

const DEFAULTS = { timeoutMs: 3000, tries: 2, maxTtlSeconds: 3600, mxCacheSeconds: 300, negativeTtlSeconds: 60, maxEntries: 10_000, maxAddresses: 10 };

type Lookup<T> = { ok: true; value: T; ttl: number } | { ok: false; kind: 'nodata' | 'nxdomain' | 'temp'; code: string };

interface CacheEntry {
  expires: number;
  value: Promise<Lookup<unknown>>;
}

function classify(e: unknown): 'nodata' | 'nxdomain' | 'temp' {
  const code = (e as { code?: string }).code;
  if (code === 'ENODATA') return 'nodata';
  if (code === 'ENOTFOUND') return 'nxdomain';
  return 'temp';
}

/** '[192.0.2.1]' or '[IPv6:2001:db8::1]' → the IP, else null. */
function addressLiteral(domain: string): string | null {
  const m = /^\[(?:IPv6:)?([^\]]+)\]$/i.exec(domain);
  return m && net.isIP(m[1]!) ? m[1]! : null;
}

export class MxResolver {
  private readonly resolver: Resolver;
  private readonly o: typeof DEFAULTS;
  private readonly now: () => number;
  private readonly cache = new Map<string, CacheEntry>();

  constructor(opts: MxResolverOptions = {}) {
    this.o = {
      timeoutMs: opts.timeoutMs ?? DEFAULTS.timeoutMs,
      tries: opts.tries ?? DEFAULTS.tries,
      maxTtlSeconds: opts.maxTtlSeconds ?? DEFAULTS.maxTtlSeconds,
      mxCacheSeconds: opts.mxCacheSeconds ?? DEFAULTS.mxCacheSeconds,
      negativeTtlSeconds: opts.negativeTtlSeconds ?? DEFAULTS.negativeTtlSeconds,
      maxEntries: opts.maxEntries ?? DEFAULTS.maxEntries,
      maxAddresses: opts.maxAddresses ?? DEFAULTS.maxAddresses,
    };
    this.now = opts.now ?? Date.now;
    this.resolver = new Resolver({ timeout: this.o.timeoutMs, tries: this.o.tries });
    if (opts.servers && opts.servers.length > 0) this.resolver.setServers(opts.servers);
  }

  /** Where mail for `domain` goes, in the order to try. Never throws. */
  async route(domain: string): Promise<Route> {
    const literal = addressLiteral(domain);
    if (literal) return { ok: true, targets: [{ name: domain, preference: 0, addresses: [literal] }] };
    const ascii = domainToASCII(domain.replace(/\.$/, '')).toLowerCase();
    if (!ascii || !/^[a-z0-9_-]+(\.[a-z0-9_-]+)*$/.test(ascii) || ascii.length > 253) {
      return { ok: false, status: 'failed', reply: `550 5.1.2 Bad destination domain syntax` };
    }

    const mx = await this.cached(`MX ${ascii}`, async () => {
      const recs = await this.resolver.resolveMx(ascii);
      return { value: recs, ttl: this.o.mxCacheSeconds };
    });
    if (!mx.ok) {
      if (mx.kind === 'nxdomain') return { ok: false, status: 'failed', reply: `550 5.1.2 Domain ${ascii} not found` };
      if (mx.kind === 'temp') return { ok: false, status: 'deferred', reply: `451 4.4.3 DNS lookup of MX for ${ascii} failed (${mx.code})` };
      // No MX records: the domain itself is the implicit MX (RFC 5321 5.1).
      const addrs = await this.addresses(ascii);
      if (addrs.addresses.length > 0) return { ok: true, targets: [{ name: ascii, preference: 0, addresses: addrs.addresses }] };
      if (addrs.temp) return { ok: false, status: 'deferred', reply: `451 4.4.3 DNS lookup of address for ${ascii} failed` };
      return { ok: false, status: 'failed', reply: `550 5.4.4 No MX or address record for ${ascii}` };
    }

    const recs = mx.value as Array<{ exchange: string; priority: number }>;
    const isNull = (r: { exchange: string }) => r.exchange === '' || r.exchange === '.';
    // RFC 7505: a domain that accepts no mail publishes a single MX 0 "." record.
    if (recs.length === 1 && isNull(recs[0]!)) {
      return { ok: false, status: 'failed', reply: `556 5.1.10 Domain ${ascii} does not accept mail (null MX)` };
    }
    const hosts = recs
      .filter((r) => !isNull(r))
      .map((r) => ({ name: r.exchange.toLowerCase().replace(/\.$/, ''), preference: r.priority, tie: Math.random() }))
      .sort((a, b) => a.preference - b.preference || a.tie - b.tie);
    if (hosts.length === 0) return { ok: false, status: 'failed', reply: `556 5.1.10 Domain ${ascii} does not accept mail (null MX)` };

    const targets: MxTarget[] = [];
    let temp = false;
    let budget = this.o.maxAddresses;
    // Resolve all MX hosts in parallel; keep preference order.
    const resolved = await Promise.all(hosts.map((h) => this.addresses(h.name)));
    hosts.forEach((h, i) => {
      const a = resolved[i]!;
      temp ||= a.temp;
      if (budget > 0 && a.addresses.length > 0) {
        const addresses = a.addresses.slice(0, budget);
        budget -= addresses.length;
        targets.push({ name: h.name, preference: h.preference, addresses });
      }
    });
    if (targets.length > 0) return { ok: true, targets };
    if (temp) return { ok: false, status: 'deferred', reply: `451 4.4.3 DNS lookup of MX hosts for ${ascii} failed` };
    return { ok: false, status: 'failed', reply: `550 5.4.4 MX hosts of ${ascii} have no address` };
  }

  /** A then AAAA addresses of a host (IP literals pass through). */
  private async addresses(host: string): Promise<{ addresses: string[]; temp: boolean }> {
    if (net.isIP(host)) return { addresses: [host], temp: false };
    const [v4, v6] = await Promise.all([
      this.cached(`A ${host}`, async () => {
        const r = await this.resolver.resolve4(host, { ttl: true });
        return { value: r.map((x) => x.address), ttl: Math.min(...r.map((x) => x.ttl)) };
      }),
      this.cached(`AAAA ${host}`, async () => {
        const r = await this.resolver.resolve6(host, { ttl: true });
        return { value: r.map((x) => x.address), ttl: Math.min(...r.map((x) => x.ttl)) };
      }),
    ]);
    const addresses = [...(v4.ok ? (v4.value as string[]) : []), ...(v6.ok ? (v6.value as string[]) : [])];
    const temp = (!v4.ok && v4.kind === 'temp') || (!v6.ok && v6.kind === 'temp');
    return { addresses, temp };
  }

  /**
   * Positive answers are cached for their TTL (bounded), "no such name/record" answers for
   * negativeTtlSeconds (AAAA is usually absent: without this every message would ask again);
   * concurrent lookups of one name share a query. Temporary failures are not cached.
   */
  private cached<T>(key: string, fetch: () => Promise<{ value: T; ttl: number }>): Promise<Lookup<T>> {
    const now = this.now();
    const hit = this.cache.get(key);
    if (hit && hit.expires > now) return hit.value as Promise<Lookup<T>>;
    if (hit) this.cache.delete(key);
    const p: Promise<Lookup<T>> = fetch().then(
      (r) => ({ ok: true as const, value: r.value, ttl: r.ttl }),
      (e: unknown) => ({ ok: false as const, kind: classify(e), code: String((e as { code?: string }).code ?? 'error') }),
    );
    // While in flight the entry lives briefly; its real lifetime is set when the answer arrives.
    const entry: CacheEntry = { expires: now + this.o.timeoutMs * this.o.tries * 2, value: p };
    this.insert(key, entry);
    void p.then((r) => {
      if (this.cache.get(key) !== entry) return;
      const ttl = Math.min(r.ok ? Math.max(r.ttl, 0) : r.kind === 'temp' ? 0 : this.o.negativeTtlSeconds, this.o.maxTtlSeconds);
      if (ttl <= 0) this.cache.delete(key);
      else entry.expires = this.now() + ttl * 1000;
    });
    return p;
  }

  private insert(key: string, entry: CacheEntry): void {
    if (this.cache.size >= this.o.maxEntries) {
      // Map keeps insertion order: drop the oldest entry.
      const oldest = this.cache.keys().next().value;
      if (oldest !== undefined) this.cache.delete(oldest);
    }
    this.cache.set(key, entry);
  }

  /** Drop every cached answer (tests, or after a configuration change). */
  clear(): void {
    this.cache.clear();
  }
}
