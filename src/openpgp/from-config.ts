// Builds the OpenPGP parts from the resolved configuration: the key store (KEK from pki.kek,
// loaded when a secret is first needed), discovery, the inbound stage, the ADK stage and the
// outbound 'openpgp' protection method. Trust level: as the parts it wires.
import type { Config } from '../config/types.js';
import { loadKek, type Kek } from '../pki/keystore.js';
import type { Stage } from '../pipeline/stage.js';
import type { ProtectionMethod } from '../outbound/types.js';
import type { Store } from '../store/types.js';
import { createAdkStage } from './adk-stage.js';
import { resolveOpenPgpConfig, type OpenPgpConfig } from './config.js';
import { createDiscovery, type Discovery } from './discovery.js';
import { createInboundPgpStage } from './inbound-stage.js';
import { createOpenPgpMethod } from './method.js';
import { PgpKeyStore } from './store.js';

export interface OpenPgpParts {
  config: OpenPgpConfig;
  keys: PgpKeyStore;
  discovery: Discovery;
  inbound: Stage;
  adk: Stage;
  method: ProtectionMethod;
  /** Creates every domain key and ADK that does not exist yet (init, start, CLI). */
  ensureKeys(): Promise<void>;
}

export function openPgpKeyStore(cfg: Config, store: Pick<Store, never> & { db: unknown }, now?: () => Date): PgpKeyStore {
  let kek: Kek | undefined;
  const pgp = cfg.openpgp ?? resolveOpenPgpConfig(undefined, cfg.dir, () => {});
  return new PgpKeyStore({
    db: store.db as never,
    kek: () => {
      if (!cfg.pki) throw new Error('pki.kek: no key-encryption key configured');
      kek ??= loadKek(cfg.pki.kek, cfg.dir);
      return kek;
    },
    algorithm: pgp.algorithm,
    ...(now ? { now } : {}),
  });
}

export function createOpenPgp(cfg: Config, store: Store & { db: unknown }, o: { removeForged: boolean; now?: () => Date }): OpenPgpParts {
  const config = cfg.openpgp ?? resolveOpenPgpConfig(undefined, cfg.dir, () => {});
  const keys = openPgpKeyStore(cfg, store, o.now);
  const discovery = createDiscovery(keys, config);
  const audit = (e: { type: string; actor: string; messageId: string; data: Record<string, unknown> }) => store.audit.append(e);
  return {
    config,
    keys,
    discovery,
    inbound: createInboundPgpStage({ hostname: cfg.hostname, keys, discovery, harvest: config.harvest, removeForged: o.removeForged, audit, nested: { maxDepth: cfg.limits.nestedDecryptDepth, maxParts: cfg.limits.nestedDecryptParts } }),
    adk: createAdkStage({ keys, domains: cfg.domains, missing: config.adk.missing, audit }),
    method: createOpenPgpMethod({ keys, discovery, domains: cfg.domains }),
    async ensureKeys() {
      for (const d of cfg.domains) {
        await keys.orgKey('domain', d);
        await keys.orgKey('adk', d);
      }
    },
  };
}
