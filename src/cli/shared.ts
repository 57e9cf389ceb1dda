// Helpers every command group shares: who is acting (for the audit trail) and a store opened for
// the length of one command.
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadConfig } from '../config/load.js';
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

/** Exit status for an unreadable or invalid configuration file. */
export const EXIT_CONFIG = 2;

/** An error a command reports as one line (`sealgate: …`) with its exit status, never a stack trace. */
export class CliError extends Error {
  constructor(message: string, readonly exitCode = 1) {
    super(message);
  }
}

/** Loads the configuration; a problem in it becomes a CliError with exit status 2 naming the key. */
export function configForCli(file: string): Config {
  return loadConfigOr(file, (message) => new CliError(message, EXIT_CONFIG));
}

/** The config file, or the command's own usage error carrying the loader's message (file and key). */
export function loadConfigOr(file: string, usage: (message: string) => Error): Config {
  try {
    return loadConfig(file);
  } catch (err) {
    if (err instanceof ConfigError) throw usage(err.message);
    throw err;
  }
}

/** Where a command group's output goes; tests pass their own. */
export interface CommandIo {
  out(text: string): void;
  err(text: string): void;
  /** Called with the exit status on failure. */
  exit(code: number): void;
}

/** A mistake in how a command was called: reported with exit status 2. */
export class UsageError extends Error {}

/** The --config file of a command, which is required: a missing or invalid one is a UsageError naming file and key. */
export function requiredConfig(file: string | undefined): Config {
  if (!file) throw new UsageError('--config FILE is required');
  return loadConfigOr(file, (m) => new UsageError(m));
}

/**
 * A command action that never throws: an error becomes one line `sealgate NAME: message` and an
 * exit status. A UsageError exits 2; errors of the `known` classes are reported by their message
 * alone and exit with `exitOf(e)` (default 1); any other error is a failure (`failed: message`, 1).
 */
export function guarded<A extends unknown[]>(
  name: string,
  io: CommandIo,
  f: (...a: A) => Promise<void>,
  known: ReadonlyArray<abstract new (...args: never[]) => Error> = [],
  exitOf: (e: Error) => number = () => 1,
): (...a: A) => Promise<void> {
  return async (...a: A) => {
    try {
      await f(...a);
    } catch (e) {
      const err = e as Error;
      const usage = e instanceof UsageError;
      const isKnown = usage || known.some((k) => e instanceof k);
      io.err(`sealgate ${name}: ${isKnown ? err.message : `failed: ${err.message}`}\n`);
      io.exit(usage ? 2 : isKnown ? exitOf(err) : 1);
    }
  };
}
