// Public entry of the storage layer: open a Store (SQLite or PostgreSQL) and the types around it.
export { openStore, type OpenStoreOptions, type OpenedStore, type DatabaseOption, SQLITE_BUSY_TIMEOUT_MS, PG_POOL_SIZE } from './open.js';
export type { Store, QueueRepository, Spool, AuditLog, QueuedMessage, QueuedRecipient, NewMessage, MessagePatch, AuditEvent, AuditRecord, AuditVerifyResult } from './types.js';
