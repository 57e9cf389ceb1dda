// Thin I/O shell for the inbound S/MIME stage: opens the domain PKI once (lazily) to get the
// users' escrowed personal keys (src/pki/user-keys.ts; reloaded when they change) and the domain encryption keys (every proxy
// certificate and the domain confidentiality certificate are bound to them) and reads the trust
// anchors (our root plus `inbound.trustAnchors` PEM files; per-domain bundles come from outside).
// Trust level: opens private keys with the KEK; keeps them in memory only; never logs them.
import { readFileSync } from 'node:fs';
import type { Config } from '../config/types.js';
import { openDomainPki, type PkiStore } from '../pki/ca.js';
import { domainKeyId } from '../pki/issue.js';
import { loadKek, type Kek } from '../pki/keystore.js';
import { CertStore } from '../pki/certstore.js';
import { pemToDer, type DecryptKey } from '../smime/index.js';
import type { TrustBundles } from './trust-bundles.js';
import { USER_KEY_PURPOSE, userDecryptKeys } from '../pki/user-keys.js';

/** Most certificates read from one trust anchor file. */
export const MAX_ANCHORS_PER_FILE = 1000;

/** DER certificates from a PEM file (one or more CERTIFICATE blocks) or a single DER file. */
export function readAnchorFile(path: string): Buffer[] {
  const data = readFileSync(path);
  const text = data.toString('latin1');
  if (!text.includes('-----BEGIN')) return [data];
  const out: Buffer[] = [];
  const re = /-----BEGIN (?:X509 )?CERTIFICATE-----[\s\S]*?-----END (?:X509 )?CERTIFICATE-----/g;
  for (const m of text.matchAll(re)) {
    if (out.length >= MAX_ANCHORS_PER_FILE) break;
    out.push(pemToDer(m[0], ['CERTIFICATE', 'X509 CERTIFICATE']));
  }
  if (out.length === 0) throw new Error(`no certificate in trust anchor file ${path}`);
  return out;
}

export interface InboundKeySource {
  keys(): Promise<DecryptKey[]>;
  /** Our root and `inbound.trustAnchors`, plus the trust bundles of `domain` (the sender's). */
  trustAnchors(domain?: string): Promise<Buffer[]>;
}

/**
 * Reads the configured trust anchor files at once (a missing or unreadable file stops the gateway
 * at startup with its path, instead of silently weakening every later verification); opens the
 * PKI on first use.
 */
/** How often a running gateway looks for escrowed user keys imported or removed since it started. */
export const USER_KEY_RECHECK_MS = 10_000;

export function pkiKeySource(cfg: Config, store: PkiStore, bundles?: TrustBundles, opts: { now?: () => number; recheckMs?: number } = {}): InboundKeySource {
  const now = opts.now ?? Date.now;
  const recheckMs = opts.recheckMs ?? USER_KEY_RECHECK_MS;
  const extra: Buffer[] = [];
  for (const f of cfg.inbound?.trustAnchors ?? []) {
    try {
      extra.push(...readAnchorFile(f));
    } catch (e) {
      throw new Error(`inbound.trustAnchors: cannot read trust anchor file ${f}: ${e instanceof Error ? e.message : 'error'}`);
    }
  }
  let opened: Promise<{ kek: Kek; keys: DecryptKey[]; anchors: Buffer[] }> | undefined;
  const open = () => {
    opened ??= (async () => {
      const pkiCfg = cfg.pki!;
      const kek = loadKek(pkiCfg.kek, cfg.dir);
      const pki = await openDomainPki({ store, kek, config: pkiCfg, domains: cfg.domains });
      const keys: DecryptKey[] = [];
      for (const d of pki.domains) {
        const rec = await pki.certs.getKey(domainKeyId('encryption', d));
        if (rec?.sealedKey) keys.push({ privateKey: await pki.privateKey(rec.id) });
      }
      const anchors = [(await pki.ca('root')).record.der, ...extra];
      return { kek, keys, anchors };
    })();
    // A failure (e.g. KEK unreadable) is retried on the next message rather than cached.
    opened.catch(() => (opened = undefined));
    return opened;
  };
  // Users' escrowed personal keys, reloaded when the set in the database changes (`cert import-p12`,
  // `cert user-keys remove`), looked at no more often than every recheckMs.
  let users: { ids: string; keys: DecryptKey[] } | undefined;
  let checkedAt = -Infinity;
  const userKeys = async (kek: Kek): Promise<DecryptKey[]> => {
    const t = now();
    if (users && t - checkedAt < recheckMs) return users.keys;
    const ids = (await CertStore.of(store.db).liveKeyIds(USER_KEY_PURPOSE)).join('\n');
    if (!users || users.ids !== ids) users = { ids, keys: await userDecryptKeys(store, kek) };
    checkedAt = t;
    return users.keys;
  };
  return {
    // user keys first: each comes with its certificate, so it is only tried on the RecipientInfo
    // naming that certificate; the domain keys open everything else
    keys: async () => {
      const o = await open();
      return [...(await userKeys(o.kek)), ...o.keys];
    },
    trustAnchors: async (domain?: string) => [...(await open()).anchors, ...(domain && bundles ? await bundles.anchorsFor(domain) : [])],
  };
}
