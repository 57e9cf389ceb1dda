// Test-only: a throw-away SQLite store with the OpenPGP key store on it, and small MIME helpers.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore, type OpenedStore } from '../../src/store/index.js';
import { kekFromSecret } from '../../src/pki/keystore.js';
import { PgpKeyStore } from '../../src/openpgp/store.js';
import type { OpenPgpAlgorithm } from '../../src/openpgp/config.js';

export interface TempKeys {
  store: OpenedStore;
  keys: PgpKeyStore;
  close(): Promise<void>;
}

export async function tempKeyStore(algorithm: OpenPgpAlgorithm = 'curve25519'): Promise<TempKeys> {
  const dir = mkdtempSync(join(tmpdir(), 'sg-pgp-'));
  const store = await openStore({ database: { kind: 'sqlite', file: join(dir, 'db.sqlite') }, spoolDir: join(dir, 'spool') });
  const kek = kekFromSecret('k'.repeat(43), 'test');
  const keys = new PgpKeyStore({ db: store.db, kek: () => kek, algorithm });
  return {
    store,
    keys,
    async close() {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export const crlf = (s: string) => Buffer.from(s.replace(/\r?\n/g, '\r\n'), 'utf8');

export function plainMessage(from: string, to: string, subject: string, body: string): Buffer {
  return crlf(`From: ${from}\nTo: ${to}\nSubject: ${subject}\nDate: Sun, 29 Nov 2026 10:00:00 +0000\nMessage-ID: <${Math.random().toString(36).slice(2)}@test>\nMIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\n\n${body}\n`);
}
