// The PKI's tables (migration 0002_pki): sealed keys and every certificate we issued, by serial or
// address. Thin I/O over kysely; no cryptography here. Trust level: sees sealed keys and sealed
// passwords only (opaque text); the KEK never reaches this module.
import type { Kysely, Selectable } from 'kysely';
import type { PkiCertsTable, PkiDatabase } from '../store/schema.js';

export type CertKind =
  | 'root-ca'
  | 'issuing-ca'
  | 'external-ca'
  | 'proxy-encryption'
  | 'proxy-signing'
  | 'domain-confidentiality'
  | 'domain-signing'
  | 'domain-review'
  | 'external';

export const CERT_KINDS: readonly CertKind[] = [
  'root-ca', 'issuing-ca', 'external-ca', 'proxy-encryption', 'proxy-signing',
  'domain-confidentiality', 'domain-signing', 'domain-review', 'external',
];

/** The three CAs of a gateway: the root, the issuer of our own certificates, the issuer for outsiders. */
export type CaName = 'root' | 'internal' | 'external';
export const CA_NAMES: readonly CaName[] = ['root', 'internal', 'external'];

export interface KeyRecord {
  id: string;
  purpose: string;
  algorithm: string;
  spki: Buffer;
  sealedKey: string | null;
  kekId: string | null;
  createdAt: Date;
  destroyedAt: Date | null;
}

export interface CertRecord {
  serial: string;
  ca: CaName;
  kind: CertKind;
  address: string | null;
  subject: string;
  notBefore: Date;
  notAfter: Date;
  der: Buffer;
  keyId: string | null;
  revokedAt: Date | null;
  revocationReason: number | null;
  sealedPassword: string | null;
  createdAt: Date;
}

const ms = (v: number | string | null): Date | null => (v === null ? null : new Date(Number(v)));

function toCert(r: Selectable<PkiCertsTable>): CertRecord {
  return {
    serial: r.serial,
    ca: r.ca as CaName,
    kind: r.kind as CertKind,
    address: r.address,
    subject: r.subject,
    notBefore: ms(r.not_before)!,
    notAfter: ms(r.not_after)!,
    der: Buffer.from(r.cert_der, 'base64'),
    keyId: r.key_id,
    revokedAt: ms(r.revoked_at),
    revocationReason: r.revocation_reason === null ? null : Number(r.revocation_reason),
    sealedPassword: r.sealed_password,
    createdAt: ms(r.created_at)!,
  };
}

export class CertStore {
  constructor(private readonly db: Kysely<PkiDatabase>) {}

  static of(db: Kysely<any>): CertStore {
    return new CertStore(db as Kysely<PkiDatabase>);
  }

  async putKey(k: Omit<KeyRecord, 'destroyedAt'>): Promise<void> {
    await this.db
      .insertInto('pki_keys')
      .values({
        id: k.id,
        purpose: k.purpose,
        algorithm: k.algorithm,
        spki: k.spki.toString('base64'),
        sealed_key: k.sealedKey,
        kek_id: k.kekId,
        created_at: k.createdAt.getTime(),
        destroyed_at: null,
      })
      .execute();
  }

  async getKey(id: string): Promise<KeyRecord | null> {
    const r = await this.db.selectFrom('pki_keys').selectAll().where('id', '=', id).executeTakeFirst();
    if (!r) return null;
    return {
      id: r.id,
      purpose: r.purpose,
      algorithm: r.algorithm,
      spki: Buffer.from(r.spki, 'base64'),
      sealedKey: r.sealed_key,
      kekId: r.kek_id,
      createdAt: ms(r.created_at)!,
      destroyedAt: ms(r.destroyed_at),
    };
  }

  async listKeys(): Promise<KeyRecord[]> {
    const rows = await this.db.selectFrom('pki_keys').select('id').orderBy('id').execute();
    const out: KeyRecord[] = [];
    for (const r of rows) out.push((await this.getKey(r.id))!);
    return out;
  }

  /** Ids of the keys of one purpose that still hold their sealed private key. */
  async liveKeyIds(purpose: string): Promise<string[]> {
    const rows = await this.db.selectFrom('pki_keys').select('id').where('purpose', '=', purpose).where('sealed_key', 'is not', null).orderBy('id').execute();
    return rows.map((r) => r.id);
  }

  /** Gives a destroyed key row a sealed key again (a user's key escrowed anew after removal). */
  async reviveKey(id: string, sealedKey: string, kekId: string, at: Date): Promise<void> {
    await this.db.updateTable('pki_keys').set({ sealed_key: sealedKey, kek_id: kekId, destroyed_at: null, created_at: at.getTime() }).where('id', '=', id).execute();
  }

  /** Replaces a key's sealed blob (KEK rotation). */
  async resealKey(id: string, sealedKey: string, kekId: string): Promise<void> {
    await this.db.updateTable('pki_keys').set({ sealed_key: sealedKey, kek_id: kekId }).where('id', '=', id).execute();
  }

  /** Forgets a private key for good (pki.externalKeys: destroy). The public key stays. */
  async destroyKey(id: string, at: Date): Promise<void> {
    await this.db.updateTable('pki_keys').set({ sealed_key: null, kek_id: null, destroyed_at: at.getTime() }).where('id', '=', id).execute();
  }

  async putCert(c: Omit<CertRecord, 'revokedAt' | 'revocationReason'>): Promise<void> {
    await this.db
      .insertInto('pki_certs')
      .values({
        serial: c.serial,
        ca: c.ca,
        kind: c.kind,
        address: c.address,
        subject: c.subject,
        not_before: c.notBefore.getTime(),
        not_after: c.notAfter.getTime(),
        cert_der: c.der.toString('base64'),
        key_id: c.keyId,
        revoked_at: null,
        revocation_reason: null,
        sealed_password: c.sealedPassword,
        created_at: c.createdAt.getTime(),
      })
      .execute();
  }

  async getCert(serial: string): Promise<CertRecord | null> {
    const r = await this.db.selectFrom('pki_certs').selectAll().where('serial', '=', serial.toLowerCase()).executeTakeFirst();
    return r ? toCert(r) : null;
  }

  /** Certificates, newest first, filtered by address / kind / CA. */
  async listCerts(filter: { address?: string; kinds?: CertKind[]; ca?: CaName; includeRevoked?: boolean; limit?: number } = {}): Promise<CertRecord[]> {
    let q = this.db.selectFrom('pki_certs').selectAll();
    if (filter.address !== undefined) q = q.where('address', '=', filter.address.toLowerCase());
    if (filter.kinds?.length) q = q.where('kind', 'in', filter.kinds);
    if (filter.ca) q = q.where('ca', '=', filter.ca);
    if (!filter.includeRevoked) q = q.where('revoked_at', 'is', null);
    q = q.orderBy('created_at', 'desc').orderBy('serial');
    if (filter.limit) q = q.limit(filter.limit);
    return (await q.execute()).map(toCert);
  }

  /** The newest unrevoked certificate of a kind for an address that is valid at `at`. */
  async current(kind: CertKind, address: string | null, at: Date): Promise<CertRecord | null> {
    let q = this.db.selectFrom('pki_certs').selectAll().where('kind', '=', kind).where('revoked_at', 'is', null)
      .where('not_before', '<=', at.getTime()).where('not_after', '>', at.getTime());
    q = address === null ? q.where('address', 'is', null) : q.where('address', '=', address.toLowerCase());
    const r = await q.orderBy('created_at', 'desc').executeTakeFirst();
    return r ? toCert(r) : null;
  }

  /** Marks a certificate revoked; false when unknown or already revoked. */
  async revoke(serial: string, at: Date, reason: number): Promise<boolean> {
    const r = await this.db
      .updateTable('pki_certs')
      .set({ revoked_at: at.getTime(), revocation_reason: reason })
      .where('serial', '=', serial.toLowerCase())
      .where('revoked_at', 'is', null)
      .executeTakeFirst();
    return Number(r.numUpdatedRows) > 0;
  }

  async revokedBy(ca: CaName): Promise<CertRecord[]> {
    const rows = await this.db.selectFrom('pki_certs').selectAll().where('ca', '=', ca).where('revoked_at', 'is not', null).orderBy('serial').execute();
    return rows.map(toCert);
  }

  async setSealedPassword(serial: string, sealed: string | null): Promise<void> {
    await this.db.updateTable('pki_certs').set({ sealed_password: sealed }).where('serial', '=', serial.toLowerCase()).execute();
  }
}
