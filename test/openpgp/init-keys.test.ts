// `sealgate init` creates the OpenPGP organization keys (a domain key and an ADK per domain, secret
// part sealed under the KEK) together with the PKI: they are in the database before the gateway
// was ever started, `sealgate pgp key list` shows those same keys (it creates none), and the ADK
// can be exported for desktop clients at once. Needs the built CLI (npm run build).
import { afterAll, beforeAll, expect, test } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cleanup, freePort, sealgate } from '../helpers/gateway.js';
import { loadConfig } from '../../src/config/load.js';
import { openStore } from '../../src/store/index.js';
import { openPgpKeyStore } from '../../src/openpgp/from-config.js';
import type { PgpKeyRecord } from '../../src/openpgp/store.js';

const DOMAINS = ['hospital.test', 'clinic.test'];
let dir: string;
let config: string;
let initOut: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sg-init-pgp-'));
  const ports = await Promise.all([freePort(), freePort(), freePort()]);
  const r = sealgate(['init', '--dir', dir, ...DOMAINS.flatMap((d) => ['--domain', d]), '--inbound', `127.0.0.1:${ports[0]}`, '--outbound', `127.0.0.1:${ports[1]}`, '--internal', `127.0.0.1:${ports[2]}`, '--pki-algorithm', 'p-256']);
  expect(r.status, r.stderr).toBe(0);
  initOut = r.stdout;
  config = join(dir, 'sealgate.yaml');
}, 120_000);

afterAll(() => {
  if (dir) cleanup(dir);
});

/** The stored keys read straight from the database, without anything that would create keys. */
async function storedKeys(): Promise<PgpKeyRecord[]> {
  const cfg = loadConfig(config);
  const store = await openStore({ database: cfg.database, spoolDir: join(cfg.dataDir, 'spool') });
  try {
    return await openPgpKeyStore(cfg, store).list();
  } finally {
    await store.close();
  }
}

test('init reports the OpenPGP keys it created', () => {
  expect(initOut).toMatch(/created the OpenPGP domain keys and additional decryption keys \(curve25519\)/);
});

test('after init, before any start: a domain key and an ADK with sealed secrets for every domain', async () => {
  const keys = await storedKeys();
  for (const d of DOMAINS) {
    const domainKey = keys.filter((k) => k.kind === 'domain' && k.domain === d);
    const adk = keys.filter((k) => k.kind === 'adk' && k.domain === d);
    expect(domainKey.map((k) => [k.address, k.hasSecret, k.source])).toEqual([[`openpgp-domain@${d}`, true, 'generated']]);
    expect(adk.length).toBe(1);
    expect(adk[0]!.hasSecret).toBe(true);
  }
  expect(keys.length).toBe(2 * DOMAINS.length);
});

test('sealgate pgp key list shows those same keys (creates none), and export-adk prints the ADK', async () => {
  const before = (await storedKeys()).map((k) => k.fingerprint).sort();
  const l = sealgate(['pgp', 'key', 'list', '--json', '--config', config]);
  expect(l.status, l.stderr).toBe(0);
  const listed = l.stdout.trim().split('\n').map((x) => JSON.parse(x) as { fingerprint: string; kind: string });
  expect(listed.map((k) => k.fingerprint.toLowerCase()).sort()).toEqual(before);
  expect(listed.filter((k) => k.kind === 'adk').length).toBe(DOMAINS.length);
  expect((await storedKeys()).length).toBe(before.length);
  const adk = sealgate(['pgp', 'export-adk', '--config', config]);
  expect(adk.status, adk.stderr).toBe(0);
  expect(adk.stdout).toMatch(/^-----BEGIN PGP PUBLIC KEY BLOCK-----/);
});
