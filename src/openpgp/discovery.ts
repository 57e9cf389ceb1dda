// Finds a usable OpenPGP key for an outside address: local store (imported keys) → WKD (advanced,
// then direct) → HKP keyserver (if configured) → keys harvested from verified signed inbound mail.
// The first key that validates (not expired, not revoked, encryption subkey, user ID names the
// address) wins. Trust level: talks to the network through wkd.ts; returns public keys only.
import * as openpgp from 'openpgp';
import type { OpenPgpConfig } from './config.js';
import { checkKeyFor, readKeysAny } from './keys.js';
import type { PgpKeyStore } from './store.js';
import { createWkdClient, hkpFetch, type FetchResult } from './wkd.js';

export type KeySource = 'local' | 'wkd' | 'hkp' | 'harvested';

export type Lookup = { kind: 'found'; key: openpgp.Key; source: KeySource; fingerprint: string } | { kind: 'none'; why: string };

export interface Discovery {
  lookup(address: string, now: Date): Promise<Lookup>;
}

async function firstValid(keys: openpgp.Key[], address: string, now: Date, why: string[], label: string): Promise<openpgp.Key | undefined> {
  for (const k of keys) {
    const c = await checkKeyFor(k, address, now);
    if (c.ok) return k;
    why.push(`${label} key ${k.getFingerprint().slice(-16)}: ${c.why}`);
  }
  return undefined;
}

export function createDiscovery(store: PgpKeyStore, cfg: OpenPgpConfig): Discovery {
  const wkd = cfg.wkd.enabled ? createWkdClient(cfg.wkd) : undefined;
  const fromNetwork = async (r: FetchResult, address: string, now: Date, why: string[], label: string) => {
    if (r.kind !== 'found') {
      why.push(r.why);
      return undefined;
    }
    let keys: openpgp.Key[];
    try {
      keys = await readKeysAny(r.data);
    } catch {
      why.push(`${label}: unreadable key document`);
      return undefined;
    }
    return firstValid(keys, address, now, why, label);
  };
  return {
    async lookup(address, now) {
      const a = address.toLowerCase();
      const why: string[] = [];
      const stored = await store.forAddress(a);
      const local = stored.filter((s) => s.rec.source !== 'harvested' && s.rec.kind !== 'domain' && s.rec.kind !== 'adk');
      const harvested = stored.filter((s) => s.rec.source === 'harvested');
      const tries: Array<[KeySource, () => Promise<openpgp.Key | undefined>]> = [
        ['local', () => firstValid(local.map((s) => s.key), a, now, why, 'local')],
        ['wkd', async () => (wkd ? fromNetwork(await wkd.fetch(a), a, now, why, 'WKD') : undefined)],
        ['hkp', async () => (cfg.hkp ? fromNetwork(await hkpFetch(cfg.hkp, a, cfg.wkd.timeoutSeconds, cfg.wkd.caFile), a, now, why, 'HKP') : undefined)],
        ['harvested', () => firstValid(harvested.map((s) => s.key), a, now, why, 'harvested')],
      ];
      for (const [source, t] of tries) {
        const key = await t();
        if (key) return { kind: 'found', key, source, fingerprint: key.getFingerprint() };
      }
      return { kind: 'none', why: why.length ? why.join('; ').slice(0, 400) : 'no key found' };
    },
  };
}
