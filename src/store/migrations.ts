// Schema migrations, defined in code so the compiled gateway needs no migration files on disk.
// The same list runs on SQLite and PostgreSQL through kysely's Migrator; the only dialect
// difference is explicit below: the `spool` table's byte column type (bytea / blob). PostgreSQL
// keeps every message there (cluster mode); SQLite keeps small messages there and large ones in
// fsynced files (HybridSpool). Trust level: runs with full database rights
// at start-up, before any listener opens.
import { Kysely, Migrator, type Migration, type MigrationProvider } from 'kysely';
import { AUDIT_GENESIS } from '../audit/chain.js';
import type { DbKind } from './schema.js';

function migrationsFor(kind: DbKind): Record<string, Migration> {
  return {
    '0001_initial': {
      async up(db: Kysely<any>): Promise<void> {
        await db.schema
          .createTable('messages')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('direction', 'text', (c) => c.notNull())
          .addColumn('state', 'text', (c) => c.notNull())
          .addColumn('sender', 'text', (c) => c.notNull())
          .addColumn('client_ip', 'text', (c) => c.notNull())
          .addColumn('client_helo', 'text', (c) => c.notNull())
          .addColumn('tls', 'integer', (c) => c.notNull())
          .addColumn('auth_user', 'text')
          .addColumn('params', 'text', (c) => c.notNull())
          .addColumn('size', 'bigint', (c) => c.notNull())
          .addColumn('spool_key', 'text', (c) => c.notNull())
          .addColumn('processed_key', 'text')
          .addColumn('received_at', 'bigint', (c) => c.notNull())
          .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
          .addColumn('next_attempt', 'bigint')
          .addColumn('last_error', 'text')
          .addColumn('expires_at', 'bigint', (c) => c.notNull())
          .addColumn('hold_reason', 'text')
          .addColumn('lease_owner', 'text')
          .addColumn('lease_until', 'bigint')
          .addColumn('updated_at', 'bigint', (c) => c.notNull())
          .execute();
        await db.schema.createIndex('messages_due').on('messages').columns(['state', 'next_attempt']).execute();
        await db.schema.createIndex('messages_lease').on('messages').columns(['state', 'lease_until']).execute();
        await db.schema.createIndex('messages_received').on('messages').column('received_at').execute();

        await db.schema
          .createTable('recipients')
          .addColumn('message_id', 'text', (c) => c.notNull().references('messages.id').onDelete('cascade'))
          .addColumn('idx', 'integer', (c) => c.notNull())
          .addColumn('address', 'text', (c) => c.notNull())
          .addColumn('status', 'text', (c) => c.notNull())
          .addColumn('variant', 'text')
          .addColumn('last_reply', 'text')
          .addColumn('done_at', 'bigint')
          .addPrimaryKeyConstraint('recipients_pk', ['message_id', 'idx'])
          .addUniqueConstraint('recipients_address', ['message_id', 'address'])
          .execute();

        await db.schema
          .createTable('spool')
          .addColumn('key', 'text', (c) => c.notNull())
          .addColumn('part', 'integer', (c) => c.notNull())
          .addColumn('data', kind === 'postgres' ? 'bytea' : 'blob', (c) => c.notNull())
          .addColumn('created_at', 'bigint', (c) => c.notNull())
          .addPrimaryKeyConstraint('spool_pk', ['key', 'part'])
          .execute();

        await db.schema
          .createTable('audit')
          .addColumn('seq', 'bigint', (c) => c.primaryKey())
          .addColumn('at', 'bigint', (c) => c.notNull())
          .addColumn('type', 'text', (c) => c.notNull())
          .addColumn('actor', 'text', (c) => c.notNull())
          .addColumn('message_id', 'text')
          .addColumn('data', 'text', (c) => c.notNull())
          .addColumn('prev_hash', 'text', (c) => c.notNull())
          .addColumn('hash', 'text', (c) => c.notNull())
          .execute();
        await db.schema.createIndex('audit_message').on('audit').column('message_id').execute();

        await db.schema
          .createTable('audit_head')
          .addColumn('id', 'integer', (c) => c.primaryKey())
          .addColumn('seq', 'bigint', (c) => c.notNull())
          .addColumn('hash', 'text', (c) => c.notNull())
          .execute();
        await db.insertInto('audit_head').values({ id: 1, seq: 0, hash: AUDIT_GENESIS }).execute();

        await db.schema
          .createTable('settings')
          .addColumn('key', 'text', (c) => c.primaryKey())
          .addColumn('value', 'text', (c) => c.notNull())
          .execute();
      },
      async down(db: Kysely<any>): Promise<void> {
        for (const t of ['settings', 'audit_head', 'audit', 'spool', 'recipients', 'messages']) {
          await db.schema.dropTable(t).ifExists().execute();
        }
      },
    },
    // PKI (src/pki): keys (always sealed under the KEK, which is never in the database) and every
    // certificate we issue or hold, found by serial or by address. Text columns only, so both
    // dialects share the definition.
    '0002_pki': {
      async up(db: Kysely<any>): Promise<void> {
        await db.schema
          .createTable('pki_keys')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('purpose', 'text', (c) => c.notNull())
          .addColumn('algorithm', 'text', (c) => c.notNull())
          .addColumn('spki', 'text', (c) => c.notNull())
          .addColumn('sealed_key', 'text')
          .addColumn('kek_id', 'text')
          .addColumn('created_at', 'bigint', (c) => c.notNull())
          .addColumn('destroyed_at', 'bigint')
          .execute();
        await db.schema
          .createTable('pki_certs')
          .addColumn('serial', 'text', (c) => c.primaryKey())
          .addColumn('ca', 'text', (c) => c.notNull())
          .addColumn('kind', 'text', (c) => c.notNull())
          .addColumn('address', 'text')
          .addColumn('subject', 'text', (c) => c.notNull())
          .addColumn('not_before', 'bigint', (c) => c.notNull())
          .addColumn('not_after', 'bigint', (c) => c.notNull())
          .addColumn('cert_der', 'text', (c) => c.notNull())
          .addColumn('key_id', 'text')
          .addColumn('revoked_at', 'bigint')
          .addColumn('revocation_reason', 'integer')
          .addColumn('sealed_password', 'text')
          .addColumn('created_at', 'bigint', (c) => c.notNull())
          .execute();
        await db.schema.createIndex('pki_certs_address').on('pki_certs').columns(['address', 'kind']).execute();
        await db.schema.createIndex('pki_certs_ca').on('pki_certs').columns(['ca', 'revoked_at']).execute();
      },
      async down(db: Kysely<any>): Promise<void> {
        await db.schema.dropTable('pki_certs').ifExists().execute();
        await db.schema.dropTable('pki_keys').ifExists().execute();
      },
    },
    // Destination registry (src/destinations): partner domains and addresses PHI may go to. Text
    // and bigint columns only, so both dialects share the definition.
    '0003_destinations': {
      async up(db: Kysely<any>): Promise<void> {
        await db.schema
          .createTable('destinations')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('pattern', 'text', (c) => c.notNull().unique())
          .addColumn('kind', 'text', (c) => c.notNull())
          .addColumn('notes', 'text', (c) => c.notNull().defaultTo(''))
          .addColumn('effective_from', 'bigint')
          .addColumn('effective_until', 'bigint')
          .addColumn('tls_required', 'integer', (c) => c.notNull().defaultTo(0))
          .addColumn('created_at', 'bigint', (c) => c.notNull())
          .addColumn('created_by', 'text', (c) => c.notNull())
          .execute();
      },
      async down(db: Kysely<any>): Promise<void> {
        await db.schema.dropTable('destinations').ifExists().execute();
      },
    },
    // Certificate directory (src/directory): recipients' certificates found by discovery or harvested
    // from verified signed mail, kept for the local source. Public data only.
    '0004_directory': {
      async up(db: Kysely<any>): Promise<void> {
        await db.schema
          .createTable('directory_certs')
          .addColumn('address', 'text', (c) => c.notNull())
          .addColumn('fingerprint', 'text', (c) => c.notNull())
          .addColumn('der', 'text', (c) => c.notNull())
          .addColumn('chain', 'text', (c) => c.notNull())
          .addColumn('source', 'text', (c) => c.notNull())
          .addColumn('origin', 'text', (c) => c.notNull())
          .addColumn('capabilities', 'text')
          .addColumn('not_after', 'bigint', (c) => c.notNull())
          .addColumn('added_at', 'bigint', (c) => c.notNull())
          .addColumn('message_id', 'text')
          .addPrimaryKeyConstraint('directory_certs_pk', ['address', 'fingerprint'])
          .execute();
      },
      async down(db: Kysely<any>): Promise<void> {
        await db.schema.dropTable('directory_certs').ifExists().execute();
      },
    },
    // Pending-certificate workflow (src/directory/pending.ts): one request per external address
    // waiting for a signed reply, with the queue ids of the messages held for it (JSON list).
    '0005_pending': {
      async up(db: Kysely<any>): Promise<void> {
        await db.schema
          .createTable('pending_certs')
          .addColumn('address', 'text', (c) => c.primaryKey())
          .addColumn('status', 'text', (c) => c.notNull())
          .addColumn('requested_at', 'bigint', (c) => c.notNull())
          .addColumn('reminded_at', 'bigint')
          .addColumn('expires_at', 'bigint', (c) => c.notNull())
          .addColumn('requested_by', 'text', (c) => c.notNull())
          .addColumn('message_ids', 'text', (c) => c.notNull())
          .execute();
        await db.schema.createIndex('pending_certs_status').on('pending_certs').columns(['status', 'requested_at']).execute();
      },
      async down(db: Kysely<any>): Promise<void> {
        await db.schema.dropTable('pending_certs').ifExists().execute();
      },
    },
    // Privacy-officer review of held messages (src/outbound/review.ts): JSON text
    // {kind: approve|reject, by, at, reason?}, written by `queue release --approve` / `queue reject`
    // and read by the queue manager (approve → StageMessage.review; reject → DSN with the reason).
    '0006_review': {
      async up(db: Kysely<any>): Promise<void> {
        await db.schema.alterTable('messages').addColumn('review', 'text').execute();
      },
      async down(db: Kysely<any>): Promise<void> {
        await db.schema.alterTable('messages').dropColumn('review').execute();
      },
    },
    // OpenPGP (src/openpgp): the organization's domain and ADK key pairs, internal users' escrowed
    // keys, and outside correspondents' public keys (imported or harvested). Secret keys are only
    // ever stored sealed under the KEK (sealed_secret), never in the clear. Text/bigint columns only.
    '0008_openpgp': {
      async up(db: Kysely<any>): Promise<void> {
        await db.schema
          .createTable('openpgp_keys')
          .addColumn('fingerprint', 'text', (c) => c.primaryKey())
          .addColumn('kind', 'text', (c) => c.notNull())
          .addColumn('address', 'text')
          .addColumn('domain', 'text')
          .addColumn('source', 'text', (c) => c.notNull())
          .addColumn('algorithm', 'text', (c) => c.notNull())
          .addColumn('public_key', 'text', (c) => c.notNull())
          .addColumn('sealed_secret', 'text')
          .addColumn('kek_id', 'text')
          .addColumn('expires_at', 'bigint')
          .addColumn('created_at', 'bigint', (c) => c.notNull())
          .addColumn('updated_at', 'bigint', (c) => c.notNull())
          .execute();
        await db.schema.createIndex('openpgp_keys_address').on('openpgp_keys').columns(['address', 'kind']).execute();
        await db.schema.createIndex('openpgp_keys_domain').on('openpgp_keys').columns(['domain', 'kind']).execute();
      },
      async down(db: Kysely<any>): Promise<void> {
        await db.schema.dropTable('openpgp_keys').ifExists().execute();
      },
    },
    // Web console and pickup portal (src/web): console users (argon2id hashes, sealed TOTP secrets,
    // lockout counters), browser sessions (token hashes only) and portal messages (sealed content
    // key, token and one-time code hashes only).
    '0007_web': {
      async up(db: Kysely<any>): Promise<void> {
        await db.schema
          .createTable('web_users')
          .addColumn('username', 'text', (c) => c.primaryKey())
          .addColumn('password_hash', 'text', (c) => c.notNull())
          .addColumn('role', 'text', (c) => c.notNull())
          .addColumn('totp_secret', 'text')
          .addColumn('disabled', 'integer', (c) => c.notNull().defaultTo(0))
          .addColumn('failed_count', 'integer', (c) => c.notNull().defaultTo(0))
          .addColumn('locked_until', 'bigint')
          .addColumn('created_at', 'bigint', (c) => c.notNull())
          .addColumn('updated_at', 'bigint', (c) => c.notNull())
          .execute();
        await db.schema
          .createTable('web_sessions')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('subject', 'text', (c) => c.notNull())
          .addColumn('kind', 'text', (c) => c.notNull())
          .addColumn('csrf', 'text', (c) => c.notNull())
          .addColumn('second_factor', 'integer', (c) => c.notNull().defaultTo(0))
          .addColumn('created_at', 'bigint', (c) => c.notNull())
          .addColumn('last_seen', 'bigint', (c) => c.notNull())
          .execute();
        await db.schema
          .createTable('portal_messages')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('token_hash', 'text', (c) => c.notNull().unique())
          .addColumn('message_id', 'text')
          .addColumn('sender', 'text', (c) => c.notNull())
          .addColumn('recipient', 'text', (c) => c.notNull())
          .addColumn('spool_key', 'text', (c) => c.notNull())
          .addColumn('sealed_key', 'text', (c) => c.notNull())
          .addColumn('passphrase_hash', 'text')
          .addColumn('read_receipt', 'integer', (c) => c.notNull().defaultTo(0))
          .addColumn('code_hash', 'text')
          .addColumn('code_expires', 'bigint')
          .addColumn('code_attempts', 'integer', (c) => c.notNull().defaultTo(0))
          .addColumn('codes_sent', 'integer', (c) => c.notNull().defaultTo(0))
          .addColumn('codes_window', 'bigint')
          .addColumn('created_at', 'bigint', (c) => c.notNull())
          .addColumn('expires_at', 'bigint', (c) => c.notNull())
          .addColumn('revoked_at', 'bigint')
          .addColumn('first_read_at', 'bigint')
          .execute();
      },
      async down(db: Kysely<any>): Promise<void> {
        for (const t of ['portal_messages', 'web_sessions', 'web_users']) await db.schema.dropTable(t).ifExists().execute();
      },
    },
  };
}

class InCodeProvider implements MigrationProvider {
  constructor(private readonly kind: DbKind) {}
  async getMigrations(): Promise<Record<string, Migration>> {
    return migrationsFor(this.kind);
  }
}

/** Bring the schema to the newest version; throws (fail closed) if any migration fails. */
export async function migrateToLatest(db: Kysely<any>, kind: DbKind): Promise<string[]> {
  const migrator = new Migrator({ db, provider: new InCodeProvider(kind) });
  const { error, results } = await migrator.migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === 'Error')?.migrationName ?? 'unknown';
    throw new Error(`database migration ${failed} failed: ${error instanceof Error ? error.message : String(error)}`);
  }
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}

/** Roll the schema back to just after `name` (upgrade tests make an "old" database with it). */
export async function migrateDownTo(db: Kysely<any>, kind: DbKind, name: string): Promise<void> {
  const { error } = await new Migrator({ db, provider: new InCodeProvider(kind) }).migrateTo(name);
  if (error) throw error instanceof Error ? error : new Error(String(error));
}
