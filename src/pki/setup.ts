// Creating a gateway's PKI from its configuration: the key-encryption key file (if the config names
// a file that does not exist yet) and the CAs, domain keys and RFC 3183 certificates in the store.
// Used by `sealgate init` and `sealgate ca create`; `openConfiguredPki` opens it again for the
// gateway, the web listener and the CLI. Trust level: writes the KEK (mode 0600).
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Config } from '../config/types.js';
import type { Kysely } from 'kysely';
import type { OpenedStore } from '../store/index.js';
import type { PkiDatabase } from '../store/schema.js';
import { createDomainPki, openDomainPki, type DomainPki, type PkiStore } from './ca.js';
import type { PkiConfig } from './config.js';
import { createKekFile, loadKek, parseKekSpec } from './keystore.js';

export interface PkiSetupResult {
  /** Null when the database already held a PKI (another node of a cluster created it). */
  pki: DomainPki | null;
  /** Path of the KEK file created now, if one was. */
  createdKek: string | null;
  kekId: string | null;
}

/** Whether the database already holds a root CA. */
export async function pkiExists(store: OpenedStore): Promise<boolean> {
  const db = store.db as unknown as Kysely<PkiDatabase>;
  const row = await db.selectFrom('pki_certs').select('serial').where('kind', '=', 'root-ca').limit(1).executeTakeFirst();
  return row !== undefined;
}

/**
 * Creates the PKI, or, when the database already holds one (a second node of a PostgreSQL cluster),
 * leaves it alone: that node must use the first node's key-encryption key, which init never invents.
 */
export async function setUpPki(cfg: Config, pkiCfg: PkiConfig, store: OpenedStore, algorithm?: 'rsa-3072' | 'p-256'): Promise<PkiSetupResult> {
  if (await pkiExists(store)) return { pki: null, createdKek: null, kekId: null };
  const spec = parseKekSpec(pkiCfg.kek, cfg.dir);
  let createdKek: string | null = null;
  if (spec.kind === 'file' && !existsSync(spec.path)) {
    await mkdir(dirname(spec.path), { recursive: true, mode: 0o700 });
    createKekFile(spec.path);
    createdKek = spec.path;
  }
  const kek = loadKek(spec);
  const pki = await createDomainPki({ store, domains: cfg.domains, algorithm, kek, config: pkiCfg });
  return { pki, createdKek, kekId: kek.id };
}

/**
 * Opens the PKI that a gateway configuration names: its `pki:` section (the loader always fills it)
 * and the key-encryption key it points to. Fails closed like openDomainPki.
 */
export function openConfiguredPki(cfg: Pick<Config, 'pki' | 'dir' | 'domains'>, store: PkiStore, clock?: { now(): Date }): Promise<DomainPki> {
  const pkiCfg = cfg.pki!;
  return openDomainPki({ store, kek: loadKek(pkiCfg.kek, cfg.dir), config: pkiCfg, domains: cfg.domains, ...(clock ? { clock } : {}) });
}
