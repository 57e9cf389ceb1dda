// Table shapes as kysely sees them. Pure types. Times are epoch milliseconds in a BIGINT column on
// both dialects (pg returns int8 as a string, so readers convert with Number()); booleans are 0/1
// integers and JSON is text, so one set of migrations fits SQLite and PostgreSQL alike.
import type { ColumnType } from 'kysely';

/** int8 comes back from pg as a string; SQLite gives a number. Writes are numbers. */
export type Millis = ColumnType<number | string, number, number>;
export type NullableMillis = ColumnType<number | string | null, number | null, number | null>;

export interface MessagesTable {
  id: string;
  direction: string;
  state: string;
  sender: string;
  client_ip: string;
  client_helo: string;
  tls: number;
  auth_user: string | null;
  params: string;
  size: Millis;
  spool_key: string;
  processed_key: string | null;
  received_at: Millis;
  attempts: number;
  next_attempt: NullableMillis;
  last_error: string | null;
  expires_at: Millis;
  hold_reason: string | null;
  lease_owner: string | null;
  lease_until: NullableMillis;
  updated_at: Millis;
}

export interface RecipientsTable {
  message_id: string;
  idx: number;
  address: string;
  status: string;
  variant: string | null;
  last_reply: string | null;
  done_at: NullableMillis;
}

/** PostgreSQL only: message bytes in parts of at most SPOOL_PART_BYTES. */
export interface SpoolTable {
  key: string;
  part: number;
  data: Buffer;
  /** When the part was written (finds parts a crashed writer left under a temporary key). */
  created_at: Millis;
}

export interface AuditTable {
  seq: Millis;
  at: Millis;
  type: string;
  actor: string;
  message_id: string | null;
  /** Canonical JSON text; the hash covers exactly these characters. */
  data: string;
  prev_hash: string;
  hash: string;
}

export interface AuditHeadTable {
  id: number;
  seq: Millis;
  hash: string;
}

export interface SettingsTable {
  key: string;
  value: string;
}

export interface Database {
  messages: MessagesTable;
  recipients: RecipientsTable;
  spool: SpoolTable;
  audit: AuditTable;
  audit_head: AuditHeadTable;
  settings: SettingsTable;
}

export type DbKind = 'sqlite' | 'postgres';

/** Keys of the PKI (src/pki). `sealed_key` is PKCS#8 EncryptedPrivateKeyInfo PEM under the KEK, null once destroyed. */
export interface PkiKeysTable {
  id: string;
  purpose: string;
  algorithm: string;
  /** SubjectPublicKeyInfo DER, base64. */
  spki: string;
  sealed_key: string | null;
  kek_id: string | null;
  created_at: Millis;
  destroyed_at: NullableMillis;
}

/** Every certificate the PKI issued (CAs included). Serial is lowercase hex. */
export interface PkiCertsTable {
  serial: string;
  /** Issuing CA's name ('root', 'internal', 'external'). */
  ca: string;
  /** root-ca, issuing-ca, external-ca, proxy-encryption, proxy-signing, domain-confidentiality, domain-signing, domain-review, external. */
  kind: string;
  /** Lowercased rfc822Name, null for CAs. */
  address: string | null;
  subject: string;
  not_before: Millis;
  not_after: Millis;
  /** Certificate DER, base64. */
  cert_der: string;
  key_id: string | null;
  revoked_at: NullableMillis;
  revocation_reason: number | null;
  /** PKCS#12 password sealed under the KEK (external recipients only). */
  sealed_password: string | null;
  created_at: Millis;
}

/** The Database plus the PKI tables of migration 0002_pki. */
export interface PkiDatabase extends Database {
  pki_keys: PkiKeysTable;
  pki_certs: PkiCertsTable;
}

/** Destination registry (src/destinations, migration 0003_destinations). */
export interface DestinationsTable {
  id: string;
  /** Normalized: `partner.example`, `.partner.example` (subdomains too) or `user@partner.example`. */
  pattern: string;
  /** healthcare | business-associate | patient */
  kind: string;
  notes: string;
  effective_from: NullableMillis;
  effective_until: NullableMillis;
  tls_required: number;
  created_at: Millis;
  created_by: string;
}

/** The Database plus the destination registry table. */
export interface DestinationsDatabase extends Database {
  destinations: DestinationsTable;
}
