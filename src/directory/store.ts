// The directory's table (migration 0004_directory): recipients' certificates found by discovery or
// harvested from verified signed mail, so the local source finds them next time. Thin I/O over
// kysely; no validation here (the directory validates before storing and again before use).
// Trust level: public certificates only.
import type { Kysely, Selectable } from 'kysely';
import type { DirectoryCertsTable, DirectoryDatabase } from '../store/schema.js';
import type { DirectorySource } from './types.js';

export interface StoredCertificate {
  address: string;
  fingerprint: string;
  der: Buffer;
  chain: Buffer[];
  source: DirectorySource;
  origin: string;
  capabilities?: string[];
  notAfter: Date;
  addedAt: Date;
  messageId?: string;
}

function toStored(r: Selectable<DirectoryCertsTable>): StoredCertificate {
  return {
    address: r.address,
    fingerprint: r.fingerprint,
    der: Buffer.from(r.der, 'base64'),
    chain: (JSON.parse(r.chain) as string[]).map((c) => Buffer.from(c, 'base64')),
    source: r.source as DirectorySource,
    origin: r.origin,
    ...(r.capabilities ? { capabilities: JSON.parse(r.capabilities) as string[] } : {}),
    notAfter: new Date(Number(r.not_after)),
    addedAt: new Date(Number(r.added_at)),
    ...(r.message_id ? { messageId: r.message_id } : {}),
  };
}

/** Most stored certificates read for one address. */
export const MAX_STORED_PER_ADDRESS = 20;

export class DirectoryStore {
  private readonly db: Kysely<DirectoryDatabase>;
  constructor(db: Kysely<any>) {
    this.db = db as Kysely<DirectoryDatabase>;
  }

  /** Stored certificates for an address, newest first; `harvested` picks harvested ones or the others. */
  async list(address: string, harvested: boolean): Promise<StoredCertificate[]> {
    const rows = await this.db.selectFrom('directory_certs').selectAll()
      .where('address', '=', address.toLowerCase())
      .where('source', harvested ? '=' : '<>', 'harvested')
      .orderBy('added_at', 'desc').limit(MAX_STORED_PER_ADDRESS).execute();
    return rows.map(toStored);
  }

  /** Inserts, or refreshes capabilities / message id / origin of a certificate already stored. */
  async put(c: Omit<StoredCertificate, 'fingerprint'> & { fingerprint: string }): Promise<void> {
    const caps = c.capabilities ? JSON.stringify(c.capabilities) : null;
    const row = {
      address: c.address.toLowerCase(),
      fingerprint: c.fingerprint,
      der: c.der.toString('base64'),
      chain: JSON.stringify(c.chain.map((d) => d.toString('base64'))),
      source: c.source,
      origin: c.origin,
      capabilities: caps,
      not_after: c.notAfter.getTime(),
      added_at: c.addedAt.getTime(),
      message_id: c.messageId ?? null,
    };
    await this.db.insertInto('directory_certs').values(row)
      .onConflict((oc) => oc.columns(['address', 'fingerprint']).doUpdateSet({
        source: row.source, origin: row.origin, capabilities: caps ?? undefined, message_id: row.message_id ?? undefined, added_at: row.added_at,
      }))
      .execute();
  }

  async remove(address: string, fingerprint: string): Promise<void> {
    await this.db.deleteFrom('directory_certs').where('address', '=', address.toLowerCase()).where('fingerprint', '=', fingerprint).execute();
  }
}
