// `sealgate pgp …` and the openpgp config section as an administrator sees them: keys created on
// first use and listed, imports and exports, lookups, and clear errors naming the file or key path.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cleanup, sealgate, setupGateway, type GatewaySetup } from '../helpers/gateway.js';
import { GpgPeer } from './gpg-peer.js';

let setup: GatewaySetup;
let gpg: GpgPeer;
const cfg = () => ['--config', setup.config];

beforeAll(async () => {
  [setup, gpg] = await Promise.all([setupGateway({ internalPort: 2, edit: (y) => y + '\nopenpgp:\n  wkd:\n    enabled: false\n' }), GpgPeer.create()]);
}, 120_000);
afterAll(async () => {
  await gpg?.close();
  if (setup) cleanup(setup.dir);
});

describe('sealgate pgp', () => {
  test('key list: the domain key and the ADK exist (ed25519 + cv25519), secrets held', () => {
    const r = sealgate(['pgp', 'key', 'list', '--json', ...cfg()]);
    expect(r.status, r.stderr).toBe(0);
    const keys = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(keys).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ kind: 'domain', address: 'openpgp-domain@hospital.test', algorithm: 'ed25519+cv25519', secret: true }),
        expect.objectContaining({ kind: 'adk', address: 'adk@hospital.test', algorithm: 'ed25519+cv25519', secret: true }),
      ]),
    );
    expect(sealgate(['pgp', 'key', 'list', ...cfg()]).stdout).toMatch(/^2 key\(s\)$/m);
  });

  test('import a partner key, export it again, look it up in the local store', async () => {
    await gpg.generate('bob@partner.test');
    const f = join(setup.dir, 'bob.asc');
    writeFileSync(f, await gpg.exportPublic('bob@partner.test'));
    const imp = sealgate(['pgp', 'key', 'import', f, ...cfg()]);
    expect(imp.status, imp.stderr).toBe(0);
    const fpr = (await gpg.fingerprint('bob@partner.test')).toLowerCase();
    expect(imp.stdout).toBe(`imported ${fpr} external bob@partner.test\n`);
    const exp = sealgate(['pgp', 'key', 'export', 'bob@partner.test', ...cfg()]);
    expect(exp.stdout).toMatch(/^-----BEGIN PGP PUBLIC KEY BLOCK-----/);
    const look = sealgate(['pgp', 'key', 'lookup', 'Bob@partner.test', ...cfg()]);
    expect(look.stdout).toBe(`${fpr} from local\n`);
  }, 60_000);

  test('errors name the file or the problem and exit non-zero, without a stack trace', () => {
    const missing = sealgate(['pgp', 'key', 'import', join(setup.dir, 'nope.asc'), ...cfg()]);
    expect(missing.status).toBe(1);
    expect(missing.stderr).toMatch(/^sealgate: pgp key import: .*nope\.asc: cannot read \(ENOENT\)\n$/);
    const junk = join(setup.dir, 'junk.txt');
    writeFileSync(junk, 'hello');
    expect(sealgate(['pgp', 'key', 'import', junk, ...cfg()]).stderr).toMatch(/junk\.txt: no OpenPGP key in it/);
    const none = sealgate(['pgp', 'key', 'lookup', 'nobody@nowhere.test', ...cfg()]);
    expect(none.status).toBe(1);
    expect(none.stderr).toMatch(/no usable key for nobody@nowhere\.test/);
    expect(sealgate(['pgp', 'export-adk', '--domain', 'other.test', ...cfg()]).stderr).toMatch(/--domain: other\.test is not one of domains/);
    for (const r of [missing, none]) expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  test('config: the commented example is valid; a wrong value names its key path (exit 2)', () => {
    const yaml = readFileSync(setup.config, 'utf8');
    const block = /^# openpgp:\n(?:#.*\n)+/m.exec(yaml)![0];
    const example = block.replace(/^# ?/gm, '').replace(/^\s*caFile: .*\n/m, '');
    const f = join(setup.dir, 'example.yaml');
    writeFileSync(f, yaml.replace(/\nopenpgp:\n  wkd:\n    enabled: false\n$/, '\n') + '\n' + example);
    const ok = sealgate(['check-config', '--config', f]);
    expect(ok.status, ok.stderr).toBe(0);
    writeFileSync(f, yaml + '  adk:\n    missing: maybe\n');
    const bad = sealgate(['check-config', '--config', f]);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/openpgp\.adk\.missing: expected "hold" or "allow", got "maybe"/);
  });
});
