// Helpers every command group shares: who is acting (for the audit trail) and a store opened for
// the length of one command.
import { userInfo } from 'node:os';
import { join } from 'node:path';
import type { Config } from '../config/types.js';
import { openStore, type OpenedStore } from '../store/index.js';

/** The audit actor for a CLI change: `cli:<login name>`. */
export function cliActor(): string {
  try {
    return `cli:${userInfo().username}`;
  } catch {
    return 'cli';
  }
}

/** Opens the configured store, runs `fn`, and always closes it. */
export async function withStore<T>(cfg: Config, fn: (store: OpenedStore) => Promise<T>): Promise<T> {
  const store = await openStore({ database: cfg.database, spoolDir: join(cfg.dataDir, 'spool') });
  try {
    return await fn(store);
  } finally {
    await store.close();
  }
}
