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
