// Creating a gateway's PKI from its configuration: the key-encryption key file (if the config names
// a file that does not exist yet) and the CAs, domain keys and RFC 3183 certificates in the store.
// Used by `sealgate init` and `sealgate ca create`. Trust level: writes the KEK (mode 0600).
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Config } from '../config/types.js';
import type { OpenedStore } from '../store/index.js';
import { createDomainPki, type DomainPki } from './ca.js';
import type { PkiConfig } from './config.js';
import { createKekFile, loadKek, parseKekSpec } from './keystore.js';

export interface PkiSetupResult {
  pki: DomainPki;
  /** Path of the KEK file created now, if one was. */
  createdKek: string | null;
  kekId: string;
}

export async function setUpPki(cfg: Config, pkiCfg: PkiConfig, store: OpenedStore, algorithm?: 'rsa-3072' | 'p-256'): Promise<PkiSetupResult> {
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
