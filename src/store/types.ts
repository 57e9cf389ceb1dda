// Storage interfaces: the one repository the rest of the gateway sees. Implementations: SQLite
// (better-sqlite3, default) and PostgreSQL (pg), both through kysely with the same migrations.
// Trust level: holds message metadata and the audit trail; never message bodies (those are in the
// Spool) and never unencrypted private keys.
import type { Readable } from 'node:stream';
import type { Direction, MessageState, RecipientStatus } from '../queue/types.js';

export interface QueuedRecipient {
  address: string;
  status: RecipientStatus;
  /** Spool key of the body variant for this recipient after the pipeline ran; null = main body. */
  variant: string | null;
  lastReply: string | null;
  /** When this recipient was delivered or failed (for DSN and reports). */
  doneAt: Date | null;
}

export interface QueuedMessage {
  id: string;
  direction: Direction;
  state: MessageState;
  sender: string;
  clientIp: string;
  clientHelo: string;
  tls: boolean;
  authUser: string | null;
  params: Record<string, string>;
  size: number;
  /** Spool key of the message as received (with our Received header). */
  spoolKey: string;
  /** Spool key of the message after the pipeline (null until the pipeline ran, or same as spoolKey). */
  processedKey: string | null;
  receivedAt: Date;
  attempts: number;
  nextAttempt: Date | null;
  lastError: string | null;
  expiresAt: Date;
  holdReason: string | null;
  leaseOwner: string | null;
  leaseUntil: Date | null;
  recipients: QueuedRecipient[];
  /** The privacy officer's decision on a held message (queue release --approve / queue reject); null if none. */
  review: ReviewRecord | null;
}

/** A privacy-officer review of a held message. */
export interface ReviewRecord {
  kind: 'approve' | 'reject';
  /** The actor, e.g. 'cli:alice' or 'web:alice'. */
  by: string;
  at: Date;
  reason?: string;
}

export type NewMessage = Omit<
  QueuedMessage,
  'state' | 'processedKey' | 'attempts' | 'nextAttempt' | 'lastError' | 'holdReason' | 'leaseOwner' | 'leaseUntil' | 'recipients' | 'review'
> & { recipients: string[] };

export interface MessagePatch {
  state?: MessageState;
  processedKey?: string | null;
  attempts?: number;
  nextAttempt?: Date | null;
  lastError?: string | null;
  holdReason?: string | null;
  review?: ReviewRecord | null;
  recipients?: Array<Partial<QueuedRecipient> & { address: string }>;
  /** Release the lease (set owner/until to null). */
  releaseLease?: boolean;
}

export interface QueueRepository {
  insert(msg: NewMessage): Promise<void>;
  /**
   * Atomically take up to `limit` messages that are due (incoming, or deferred with nextAttempt <=
   * now, or active with an expired lease: a dead node's work) and mark them active, leased to
   * `owner` until now + leaseMs. Two processes never get the same message while a lease is valid.
   */
  claim(owner: string, now: Date, leaseMs: number, limit: number): Promise<QueuedMessage[]>;
  /** Extend a lease we hold; false if we lost it. */
  renewLease(id: string, owner: string, until: Date): Promise<boolean>;
  /** Apply a patch, only if `owner` still holds the lease (owner null = administrative change). */
  update(id: string, owner: string | null, patch: MessagePatch): Promise<boolean>;
  get(id: string): Promise<QueuedMessage | null>;
  list(filter?: { states?: MessageState[]; limit?: number; direction?: Direction }): Promise<QueuedMessage[]>;
  remove(id: string): Promise<boolean>;
}

/** Message bytes. `write` resolves only after the data is durably on disk (fsync or DB commit). */
export interface Spool {
  write(key: string, body: Readable | Buffer): Promise<{ size: number }>;
  read(key: string): Promise<Buffer>;
  readStream(key: string): Readable;
  remove(key: string): Promise<void>;
}

export interface AuditEvent {
  /** e.g. received, delivered, deferred, bounced, held, released, deleted, retried, config-change. */
  type: string;
  /** Who caused it: 'system', 'cli:root', 'web:alice', 'smtp:203.0.113.5'. */
  actor: string;
  messageId?: string | null;
  /** Metadata only: ids, addresses, sizes, verdicts, scores. Never message content. */
  data?: Record<string, unknown>;
}

export interface AuditRecord extends Required<AuditEvent> {
  seq: number;
  at: Date;
  prevHash: string;
  hash: string;
}

export interface AuditVerifyResult {
  ok: boolean;
  records: number;
  /** First bad sequence number and what is wrong with it. */
  problems: string[];
}

export interface AuditLog {
  append(event: AuditEvent): Promise<AuditRecord>;
  list(filter?: { messageId?: string; type?: string; limit?: number; afterSeq?: number }): Promise<AuditRecord[]>;
  verify(): Promise<AuditVerifyResult>;
}

export interface Store {
  queue: QueueRepository;
  spool: Spool;
  audit: AuditLog;
  /** Generic key/value settings (e.g. init metadata). */
  getSetting(key: string): Promise<string | null>;
  setSetting(key: string, value: string): Promise<void>;
  /**
   * Resolves once every commit made before the call is on stable storage. The acceptor awaits it
   * before answering 250. PostgreSQL commits are durable already (no-op); SQLite runs its WAL with
   * synchronous=NORMAL and fsyncs the WAL here, off the event loop.
   */
  durable(): Promise<void>;
  close(): Promise<void>;
}
