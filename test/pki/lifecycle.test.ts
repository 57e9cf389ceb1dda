// The certificate lifecycle from the command line, as an operator runs it: bulk proxy issue from a
// list, list/show, export (PEM by default, --der), ca show --pem, and revoke: the CRL is written at
// once with the serial in it, and the revoked certificate is never handed out again (a new proxy
// certificate is issued for the address; an external one is no longer current).
import { readFile, writeFile } from 'node:fs/promises';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run } from '../peers/run.js';
import { pemToDer } from '../peers/pki.js';
import { directoryFromConfig } from '../../src/directory/directory.js';
import { createLogger } from '../../src/log/logger.js';
import { watchRevocations } from '../../src/pki/revocation-watch.js';
import { cli, openFixturePki, opensslCrlText, opensslVerifyLeaf, pkiFixture } from './lifecycle-cli.js';


describe('certificate lifecycle (CLI)', () => {
  let env: { dir: string; config: string };
  beforeAll(async () => {
    env = await pkiFixture('  externalKeys: escrow', ['hospital.example', 'clinic.example']);
  }, 120_000);
  afterAll(() => {
    if (env) rmSync(env.dir, { recursive: true, force: true });
  });

  it('cert issue --proxy --file LIST issues proxy certificates in bulk; list and show find them', async () => {
    const list = join(env.dir, 'staff.txt');
    await writeFile(list, '# staff\namy@hospital.example\nBEN@hospital.example\n\ncora@clinic.example  # clinic\namy@hospital.example\n');
    const r = await cli('cert', 'issue', '--proxy', '--file', list, '--config', env.config);
    expect(r.err).toBe('');
    expect(r.out).toMatch(/^3 addresses have proxy certificates$/m);
    const rows = JSON.parse((await cli('cert', 'list', '--kind', 'proxy-encryption', '--json', '--config', env.config)).out) as Array<{ address: string }>;
    expect(rows.map((x) => x.address).sort()).toEqual(['amy@hospital.example', 'ben@hospital.example', 'cora@clinic.example']);
    const show = await cli('cert', 'show', 'ben@hospital.example', '--config', env.config);
    expect(show.out).toMatch(/kind: +proxy-encryption/);
    expect(show.out).toMatch(/SAN: +email:ben@hospital\.example/);
    // A typo anywhere stops the whole list before anything is issued, naming the line.
    await writeFile(list, 'dan@hospital.example\nnot an address\n');
    const bad = await cli('cert', 'issue', '--proxy', '--file', list, '--config', env.config);
    expect(bad.code).toBe(1);
    expect(bad.err).toMatch(/staff\.txt:2: not a plain email address/);
    expect((await cli('cert', 'list', '--address', 'dan@hospital.example', '--config', env.config)).out).toBe('');
    await writeFile(list, 'eve@partner.example\n');
    expect((await cli('cert', 'issue', '--proxy', '--file', list, '--config', env.config)).err).toMatch(/staff\.txt:1: eve@partner\.example is not in this gateway's domains/);
    expect((await cli('cert', 'issue', '--file', list, '--config', env.config)).code).toBe(2);
    expect((await cli('cert', 'issue', '--proxy', 'eve@partner.example', '--config', env.config)).err).toMatch(/proxy certificates are only for internal addresses/);
  });

  it('cert export ADDRESS gives the proxy encryption certificate as PEM, --der the same bytes; both pass openssl verify', async () => {
    const pem = await cli('cert', 'export', 'amy@hospital.example', '--config', env.config);
    expect(pem.out).toMatch(/^-----BEGIN CERTIFICATE-----\n[A-Za-z0-9+/=\n]+-----END CERTIFICATE-----\n$/);
    const der = await cli('cert', 'export', 'amy@hospital.example', '--der', '--config', env.config);
    expect(der.bytes.equals(pemToDer(pem.out))).toBe(true);
    expect(await opensslVerifyLeaf(env.config, der.bytes, 'smimeencrypt', env.dir)).toBe('OK');
    const signing = await cli('cert', 'export', 'amy@hospital.example', '--signing', '--der', '--config', env.config);
    expect(await opensslVerifyLeaf(env.config, signing.bytes, 'smimesign', env.dir)).toBe('OK');
    const x = await run('openssl', ['x509', '-inform', 'DER', '-noout', '-subject', '-ext', 'subjectAltName'], { input: der.bytes });
    expect(x.stdout.toString()).toMatch(/email:amy@hospital\.example/);
  });

  it('ca show --pem prints the root that openssl reads', async () => {
    const r = await cli('ca', 'show', '--pem', '--config', env.config);
    const x = await run('openssl', ['x509', '-noout', '-subject', '-ext', 'basicConstraints'], { input: r.out });
    expect(x.stdout.toString()).toMatch(/Example Hospital Mail Root CA[\s\S]*CA:TRUE/);
  });

  it('cert revoke ADDRESS publishes a CRL with the serial at once; the revoked certificate is never handed out again', async () => {
    const before = pemToDer((await cli('cert', 'export', 'ben@hospital.example', '--config', env.config)).out);
    const { pki, store } = await openFixturePki(env.config);
    let oldSerial: string;
    try {
      oldSerial = (await pki.certs.current('proxy-encryption', 'ben@hospital.example', new Date()))!.serial;
    } finally {
      await store.close();
    }
    const r = await cli('cert', 'revoke', 'ben@hospital.example', '--reason', 'affiliationChanged', '--config', env.config);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(new RegExp(`^revoked ${oldSerial}  proxy-encryption`, 'm'));
    const crlFile = /^CRL written: (.*internal\.crl)$/m.exec(r.out)![1]!;
    const text = await opensslCrlText(await readFile(crlFile));
    expect(text.replace(/\s/g, '')).toContain(`SerialNumber:${oldSerial.toUpperCase()}`);
    expect(text).toMatch(/Affiliation Changed/);
    // The next use gets a new certificate, not the revoked one.
    const after = pemToDer((await cli('cert', 'export', 'ben@hospital.example', '--config', env.config)).out);
    expect(after.equals(before)).toBe(false);
    const listed = await cli('cert', 'list', '--address', 'ben@hospital.example', '--all', '--config', env.config);
    expect(listed.out).toMatch(new RegExp(`^${oldSerial} .*REVOKED$`, 'm'));
  });

  it('a revoked external certificate stops being used at once by a running directory (revocation watch → invalidate)', async () => {
    const out = join(env.dir, 'out');
    const issued = await cli('cert', 'issue', 'pat@partner.example', '--out-dir', out, '--config', env.config);
    const serial = /^([0-9a-f]+)\s+external/m.exec(issued.out)![1]!;
    // The gateway's side: a directory with its lookup cache, and the revocation watch it runs.
    const { store, cfg } = await openFixturePki(env.config);
    const dir = directoryFromConfig(cfg, { store, logger: createLogger('silent') });
    const watch = watchRevocations({ db: store.db, onChange: () => dir.invalidate(), intervalMs: 60_000 });
    try {
      await watch.check();
      const first = await dir.lookup('pat@partner.example');
      expect(first.certificate?.origin).toBe(`issued by us (serial ${serial})`);
      expect((await dir.lookup('pat@partner.example')).cached).toBe(true);
      // Revoked by the operator in another process.
      expect((await cli('cert', 'revoke', serial, '--reason', 'keyCompromise', '--config', env.config)).code).toBe(0);
      await watch.check();
      const after = await dir.lookup('pat@partner.example');
      expect(after.cached).toBe(false);
      expect(after.certificate).toBeUndefined();
    } finally {
      watch.stop();
      await store.close();
    }
    const crl = await opensslCrlText(await readFile(join(env.dir, 'data', 'crl', 'external.crl')));
    expect(crl.replace(/\s/g, '')).toContain(`SerialNumber:${serial.toUpperCase()}`);
  });
});
