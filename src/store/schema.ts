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
  /** Privacy-officer review (migration 0006_review): JSON {kind, by, at, reason?}; optional on insert. */
  review: ColumnType<string | null, string | null | undefined, string | null>;
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

/** Certificate directory (src/directory, migration 0004_directory): found and harvested recipient certificates. */
export interface DirectoryCertsTable {
  /** Lower-cased address the certificate was validated for. */
  address: string;
  /** SHA-256, colon-separated upper-case hex. */
  fingerprint: string;
  /** Certificate DER, base64. */
  der: string;
  /** JSON list of base64 DER intermediates. */
  chain: string;
  /** ldap | ldap-srv | dns-cert | harvested (where it was first found). */
  source: string;
  origin: string;
  /** JSON list of content-encryption OIDs (SMIMECapabilities), or null. */
  capabilities: string | null;
  not_after: Millis;
  added_at: Millis;
  /** Queue id of the signed message it was harvested from. */
  message_id: string | null;
}

/** The Database plus the directory table. */
export interface DirectoryDatabase extends Database {
  directory_certs: DirectoryCertsTable;
}

/** OpenPGP keys (src/openpgp, migration 0008_openpgp). */
export interface OpenPgpKeysTable {
  /** v4 fingerprint, 40 lower-case hex digits. */
  fingerprint: string;
  /** domain | adk | user (internal, escrowed secret) | external (a correspondent's public key). */
  kind: string;
  /** Lower-cased address the key is for (null for the ADK). */
  address: string | null;
  /** Lower-cased domain (our domain for domain/adk/user keys). */
  domain: string | null;
  /** generated | import | harvested */
  source: string;
  /** e.g. ed25519+cv25519, rsa3072 */
  algorithm: string;
  /** Armored public key (transferable public key). */
  public_key: string;
  /** Armored secret key sealed under the KEK (src/pki/keystore.ts sealSecret), or null. */
  sealed_secret: string | null;
  kek_id: string | null;
  expires_at: NullableMillis;
  created_at: Millis;
  updated_at: Millis;
}

/** The Database plus the OpenPGP key table. */
export interface OpenPgpDatabase extends Database {
  openpgp_keys: OpenPgpKeysTable;
}

/** Console users (src/web, migration 0007_web). */
export interface WebUsersTable {
  username: string;
  /** argon2id PHC string. */
  password_hash: string;
  /** admin | privacy-officer | auditor */
  role: string;
  /** Base32 TOTP secret sealed under the KEK; null = no second factor enrolled. */
  totp_secret: string | null;
  disabled: number;
  failed_count: number;
  locked_until: NullableMillis;
  created_at: Millis;
  updated_at: Millis;
}

/** Browser sessions: `id` is the SHA-256 of the cookie token; kind 'console' or 'portal'. */
export interface WebSessionsTable {
  id: string;
  /** Username (console) or portal message id (portal). */
  subject: string;
  kind: string;
  csrf: string;
  /** 1 once the TOTP code (console) or one-time code (portal) was entered. */
  second_factor: number;
  created_at: Millis;
  last_seen: Millis;
}

/** Messages waiting for pickup: content in the spool, encrypted under a key sealed with the KEK. */
export interface PortalMessagesTable {
  id: string;
  /** SHA-256 of the link token (the token itself is only in the notification). */
  token_hash: string;
  message_id: string | null;
  sender: string;
  recipient: string;
  spool_key: string;
  sealed_key: string;
  passphrase_hash: string | null;
  read_receipt: number;
  code_hash: string | null;
  code_expires: NullableMillis;
  code_attempts: number;
  codes_sent: number;
  codes_window: NullableMillis;
  created_at: Millis;
  expires_at: Millis;
  revoked_at: NullableMillis;
  first_read_at: NullableMillis;
}

export interface WebDatabase extends Database {
  web_users: WebUsersTable;
  web_sessions: WebSessionsTable;
  portal_messages: PortalMessagesTable;
}

/** Pending-certificate requests (src/directory/pending.ts, migration 0005_pending). */
export interface PendingCertsTable {
  /** Lower-cased external address the request went to. */
  address: string;
  /** requested | reminded | received | expired */
  status: string;
  requested_at: Millis;
  reminded_at: NullableMillis;
  expires_at: Millis;
  /** Internal sender of the first message that needed the certificate. */
  requested_by: string;
  /** JSON list of queue ids held for this address. */
  message_ids: string;
}

/** The Database plus the pending-certificate table. */
export interface PendingDatabase extends Database {
  pending_certs: PendingCertsTable;
}
