// The OpenPGP key repository (table openpgp_keys, migration 0008_openpgp): our domain keys and ADK
// (created on first use), internal users' escrowed keys, correspondents' imported and harvested
// public keys. Secret keys are sealed with the KEK exactly like the PKI's secrets
// (src/pki/keystore.ts sealSecret: AES-256-GCM under an HKDF-derived key, naming the KEK id).
// Trust level: opens secret keys with the KEK; keeps them in memory only; never logs them.
import type { Insertable, Kysely, Selectable } from 'kysely';
import * as openpgp from 'openpgp';
import { openSecret, sealSecret, type Kek } from '../pki/keystore.js';
import type { OpenPgpDatabase, OpenPgpKeysTable } from '../store/schema.js';
import type { OpenPgpAlgorithm } from './config.js';
import { describeAlgorithm, generateOrgKey, keyAddresses } from './keys.js';

export type PgpKeyKind = 'domain' | 'adk' | 'user' | 'external';
export type PgpKeySource = 'generated' | 'import' | 'harvested';

export interface PgpKeyRecord {
  fingerprint: string;
  kind: PgpKeyKind;
  address: string | null;
  domain: string | null;
  source: PgpKeySource;
  algorithm: string;
  publicArmored: string;
  hasSecret: boolean;
  expiresAt: Date | null;
  createdAt: Date;
}

function toRecord(r: Selectable<OpenPgpKeysTable> | Insertable<OpenPgpKeysTable>): PgpKeyRecord {
  return {
    fingerprint: r.fingerprint,
    kind: r.kind as PgpKeyKind,
    address: r.address ?? null,
    domain: r.domain ?? null,
    source: r.source as PgpKeySource,
    algorithm: r.algorithm,
    publicArmored: r.public_key,
    hasSecret: r.sealed_secret != null,
    expiresAt: r.expires_at === null || r.expires_at === undefined ? null : new Date(Number(r.expires_at)),
    createdAt: new Date(Number(r.created_at)),
  };
}

/** The name of the domain key's user ID address. */
export const domainKeyAddress = (domain: string) => `openpgp-domain@${domain}`;
/** The ADK's user ID address (published in our WKD under this address). */
export const adkAddress = (domain: string) => `adk@${domain}`;

export interface PgpKeyStoreOptions {
  db: Kysely<any>;
  /** The KEK, loaded on first need (a missing KEK fails the operation that needs a secret only). */
  kek: () => Kek;
  algorithm: OpenPgpAlgorithm;
  now?: () => Date;
}

async function expiry(key: openpgp.Key): Promise<number | null> {
  const e = await key.getExpirationTime().catch(() => null);
  return e instanceof Date ? e.getTime() : null;
}

export class PgpKeyStore {
  private readonly db: Kysely<OpenPgpDatabase>;
  private readonly now: () => Date;
  private readonly opened = new Map<string, Promise<openpgp.PrivateKey>>();
  constructor(private readonly o: PgpKeyStoreOptions) {
    this.db = o.db as Kysely<OpenPgpDatabase>;
    this.now = o.now ?? (() => new Date());
  }

  async list(filter: { kind?: PgpKeyKind; address?: string; domain?: string } = {}): Promise<PgpKeyRecord[]> {
    let q = this.db.selectFrom('openpgp_keys').selectAll();
    if (filter.kind) q = q.where('kind', '=', filter.kind);
    if (filter.address) q = q.where('address', '=', filter.address.toLowerCase());
    if (filter.domain) q = q.where('domain', '=', filter.domain.toLowerCase());
    return (await q.orderBy('kind').orderBy('address').orderBy('created_at').execute()).map(toRecord);
  }

  async get(fingerprint: string): Promise<PgpKeyRecord | null> {
    const r = await this.db.selectFrom('openpgp_keys').selectAll().where('fingerprint', '=', fingerprint.toLowerCase()).executeTakeFirst();
    return r ? toRecord(r) : null;
  }

  /** Adds or replaces a key (a newer import of the same fingerprint replaces the stored one). */
  async put(key: openpgp.Key, meta: { kind: PgpKeyKind; address: string | null; domain: string | null; source: PgpKeySource; secret?: openpgp.PrivateKey }): Promise<PgpKeyRecord> {
    const at = this.now().getTime();
    const kek = meta.secret ? this.o.kek() : undefined;
    const row: Insertable<OpenPgpKeysTable> = {
      fingerprint: key.getFingerprint().toLowerCase(),
      kind: meta.kind,
      address: meta.address?.toLowerCase() ?? null,
      domain: meta.domain?.toLowerCase() ?? null,
      source: meta.source,
      algorithm: describeAlgorithm(key),
      public_key: key.toPublic().armor(),
      sealed_secret: meta.secret && kek ? sealSecret(meta.secret.armor(), kek) : null,
      kek_id: kek?.id ?? null,
      expires_at: await expiry(key),
      created_at: at,
      updated_at: at,
    };
    const { created_at: _c, ...update } = row;
    await this.db
      .insertInto('openpgp_keys')
      .values(row)
      .onConflict((oc) => oc.column('fingerprint').doUpdateSet(update))
      .execute();
    this.opened.delete(row.fingerprint);
    return toRecord(row);
  }

  async remove(fingerprint: string): Promise<boolean> {
    const r = await this.db.deleteFrom('openpgp_keys').where('fingerprint', '=', fingerprint.toLowerCase()).executeTakeFirst();
    this.opened.delete(fingerprint.toLowerCase());
    return Number(r.numDeletedRows) > 0;
  }

  async publicKey(rec: PgpKeyRecord): Promise<openpgp.Key> {
    return openpgp.readKey({ armoredKey: rec.publicArmored });
  }

  /** Opens a sealed secret key (cached per process). */
  secretKey(rec: PgpKeyRecord): Promise<openpgp.PrivateKey> {
    let p = this.opened.get(rec.fingerprint);
    if (!p) {
      p = (async () => {
        const row = await this.db.selectFrom('openpgp_keys').select('sealed_secret').where('fingerprint', '=', rec.fingerprint).executeTakeFirst();
        if (!row?.sealed_secret) throw new Error(`OpenPGP key ${rec.fingerprint} has no stored secret key`);
        return openpgp.readPrivateKey({ armoredKey: openSecret(row.sealed_secret, this.o.kek()) });
      })();
      p.catch(() => this.opened.delete(rec.fingerprint));
      this.opened.set(rec.fingerprint, p);
    }
    return p;
  }

  /** The domain key (or ADK) of `domain`, generated and sealed on first use. */
  async orgKey(kind: 'domain' | 'adk', domain: string): Promise<PgpKeyRecord> {
    const d = domain.toLowerCase();
    const found = (await this.list({ kind, domain: d })).filter((r) => r.hasSecret);
    if (found.length) return found[found.length - 1]!;
    const email = kind === 'domain' ? domainKeyAddress(d) : adkAddress(d);
    const name = kind === 'domain' ? `${d} secure mail gateway` : `${d} additional decryption key`;
    const g = await generateOrgKey(name, email, this.o.algorithm, this.now());
    const secret = await openpgp.readPrivateKey({ armoredKey: g.secretArmored });
    // Two processes racing here: both insert distinct keys; readers take the newest (acceptable).
    return this.put(secret, { kind, address: email, domain: d, source: 'generated', secret });
  }

  /** Every stored key with a secret we may decrypt with (domain keys, ADKs, escrowed user keys). */
  async decryptionKeys(kinds: PgpKeyKind[] = ['domain', 'user', 'adk']): Promise<openpgp.PrivateKey[]> {
    const recs = (await this.list()).filter((r) => r.hasSecret && kinds.includes(r.kind));
    return Promise.all(recs.map((r) => this.secretKey(r)));
  }

  /** Public keys stored for an address (imported, harvested, internal users'), newest first. */
  async forAddress(address: string): Promise<Array<{ rec: PgpKeyRecord; key: openpgp.Key }>> {
    const recs = (await this.list({ address })).reverse();
    return Promise.all(recs.map(async (rec) => ({ rec, key: await this.publicKey(rec) })));
  }

  /** Imports armored/binary keys: secret keys of internal users are escrowed; public keys are stored. */
  async importKeys(keys: openpgp.Key[], opts: { internalDomains: string[]; source?: PgpKeySource; passphrase?: string }): Promise<PgpKeyRecord[]> {
    const out: PgpKeyRecord[] = [];
    for (const key of keys) {
      const address = keyAddresses(key)[0] ?? null;
      const domain = address?.split('@')[1] ?? null;
      const internal = domain !== null && opts.internalDomains.includes(domain);
      let secret: openpgp.PrivateKey | undefined;
      if (key.isPrivate()) {
        secret = key as openpgp.PrivateKey;
        if (!secret.isDecrypted()) {
          if (opts.passphrase === undefined) throw new Error(`secret key ${key.getFingerprint()} is passphrase-protected: give --passphrase-file`);
          secret = await openpgp.decryptKey({ privateKey: secret, passphrase: opts.passphrase });
        }
      }
      out.push(await this.put(key, { kind: internal ? 'user' : 'external', address, domain, source: opts.source ?? 'import', ...(secret ? { secret } : {}) }));
    }
    return out;
  }
}
