// `sealgate ca` / `sealgate cert` from a config file, as an operator uses them: create the PKI (and
// its KEK file), print the root, issue proxy and external certificates, export, revoke (CRL written),
// retrieve a PKCS#12 password (audited). Commands run in-process on a real SQLite store; openssl checks
// what they print and write.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFile, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { registerCertCommands } from '../../src/cli/cert.js';
import { openStore } from '../../src/store/index.js';
import { run } from '../peers/run.js';

let dir: string;
let cfgFile: string;

async function cli(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  let code = 0;
  const program = new Command().name('sealgate').exitOverride();
  registerCertCommands(program, { out: (t) => (out += t), err: (t) => (err += t), exit: (c) => (code = c) });
  await program.parseAsync(['node', 'sealgate', ...args]);
  return { code, out, err };
}

const YAML = `hostname: mail.hospital.example
domains: [hospital.example]
database: sqlite:data/db.sqlite
dataDir: data
pki:
  kek: file:keys/kek
  algorithm: p-256
  encryptionKey: rsa-2048
  organization: Example Hospital
  externalKeys: escrow
  policy:
    oid: 1.3.6.1.4.1.55555.7
    cpsUri: https://mail.hospital.example/cps
`;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sg-cli-'));
  cfgFile = join(dir, 'sealgate.yaml');
  await writeFile(cfgFile, YAML);
});

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('sealgate ca / cert', () => {
  it('ca create makes the KEK file (0600) and the three CAs; a second create is refused', async () => {
    const r = await cli('ca', 'create', '--config', cfgFile);
    expect(r.err).toBe('');
    expect(r.out).toMatch(/created key-encryption key .*keys\/kek/);
    expect(r.out).toMatch(/root .*Example Hospital Mail Root CA/);
    expect(r.out).toMatch(/external .*External Recipients CA/);
    expect((await stat(join(dir, 'keys', 'kek'))).mode & 0o777).toBe(0o600);
    const again = await cli('ca', 'create', '--config', cfgFile);
    expect(again.code).toBe(1);
    expect(again.err).toMatch(/already exists/);
  }, 60_000);

  it('ca show --pem prints the root; cert issue + cert export give a proxy certificate openssl verifies', async () => {
    const root = await cli('ca', 'show', '--pem', '--config', cfgFile);
    expect(root.out).toMatch(/^-----BEGIN CERTIFICATE-----\n/);
    await writeFile(join(dir, 'root.pem'), root.out);
    const subj = await run('openssl', ['x509', '-in', join(dir, 'root.pem'), '-noout', '-subject']);
    expect(subj.stdout.toString()).toMatch(/Mail Root CA/);
    await writeFile(join(dir, 'internal.pem'), (await cli('ca', 'show', '--pem', '--ca', 'internal', '--config', cfgFile)).out);
    const issued = await cli('cert', 'issue', 'Alice@hospital.example', '--config', cfgFile);
    expect(issued.out).toMatch(/proxy-encryption\s+alice@hospital\.example/);
    const pem = await cli('cert', 'export', 'alice@hospital.example', '--config', cfgFile);
    await writeFile(join(dir, 'alice.pem'), pem.out);
    const v = await run('openssl', ['verify', '-purpose', 'smimeencrypt', '-CAfile', join(dir, 'root.pem'), '-untrusted', join(dir, 'internal.pem'), join(dir, 'alice.pem')]);
    expect(v.stdout.toString()).toMatch(/alice\.pem: OK/);
    const t = await run('openssl', ['x509', '-in', join(dir, 'alice.pem'), '-noout', '-text']);
    expect(t.stdout.toString()).toMatch(/Policy: 1\.3\.6\.1\.4\.1\.55555\.7/);
    const list = JSON.parse((await cli('cert', 'list', '--json', '--config', cfgFile)).out);
    expect(list.map((c: { kind: string }) => c.kind)).toEqual(expect.arrayContaining(['proxy-encryption', 'proxy-signing', 'domain-confidentiality', 'domain-signing']));
  }, 60_000);

  it('cert issue --from-file issues proxy certificates in bulk, and refuses the whole file if one line is wrong', async () => {
    await writeFile(join(dir, 'staff.txt'), '# ward 3\nnurse1@hospital.example\nNurse2@Hospital.example\n\nnurse1@hospital.example\n');
    const r = await cli('cert', 'issue', '--from-file', join(dir, 'staff.txt'), '--config', cfgFile);
    expect(r.err).toBe('');
    expect(r.out).toMatch(/2 addresses have proxy certificates/);
    const listed = JSON.parse((await cli('cert', 'list', '--kind', 'proxy-encryption', '--json', '--config', cfgFile)).out) as Array<{ address: string }>;
    expect(listed.map((c) => c.address)).toEqual(expect.arrayContaining(['nurse1@hospital.example', 'nurse2@hospital.example']));
    await writeFile(join(dir, 'bad.txt'), 'nurse3@hospital.example\nsomeone@elsewhere.example\n');
    const bad = await cli('cert', 'issue', '--from-file', join(dir, 'bad.txt'), '--config', cfgFile);
    expect(bad.code).toBe(1);
    expect(bad.err).toMatch(/bad\.txt:2: someone@elsewhere\.example is not in this gateway's domains/);
    const after = JSON.parse((await cli('cert', 'list', '--address', 'nurse3@hospital.example', '--json', '--config', cfgFile)).out);
    expect(after).toEqual([]);
  }, 60_000);

  it('cert issue for an external address writes .p12, .mobileconfig and .eml; cert password returns the password, audited with the operator', async () => {
    const out = join(dir, 'out');
    const r = await cli('cert', 'issue', 'pat@clinic.example', '--out-dir', out, '--config', cfgFile);
    expect(r.err).toBe('');
    expect(r.out).toMatch(/external\s+pat@clinic\.example/);
    expect(r.out).toMatch(/private key escrowed/);
    const pw = await cli('cert', 'password', 'pat@clinic.example', '--config', cfgFile);
    const password = pw.out.trim();
    expect(password).toMatch(/^[A-Z0-9]{4}(-[A-Z0-9]{4}){3}$/);
    expect(r.out).not.toContain(password);
    const eml = await readFile(join(out, 'pat@clinic.example.eml'), 'utf8');
    expect(eml).not.toContain(password);
    expect(eml).toContain('Thunderbird');
    const p12 = await run('openssl', ['pkcs12', '-in', join(out, 'pat@clinic.example.p12'), '-passin', `pass:${password}`, '-noout']);
    expect(p12.code).toBe(0);
    expect((await stat(join(out, 'pat@clinic.example.p12'))).mode & 0o777).toBe(0o600);
    const store = await openStore({ database: { kind: 'sqlite', file: join(dir, 'data', 'db.sqlite') }, spoolDir: join(dir, 'data', 'spool') });
    try {
      const audit = await store.audit.list({ type: 'certificate-password-retrieved' });
      expect(audit).toHaveLength(1);
      expect(audit[0]!.actor).toBe(`cli:${userInfo().username}`);
      expect(JSON.stringify(await store.audit.list({}))).not.toContain(password);
    } finally {
      await store.close();
    }
  }, 60_000);

  it('cert revoke revokes every current certificate of the address and writes the CRL with their serials', async () => {
    const before = JSON.parse((await cli('cert', 'show', 'alice@hospital.example', '--json', '--config', cfgFile)).out) as Array<{ serial: string }>;
    const r = await cli('cert', 'revoke', 'alice@hospital.example', '--reason', 'keyCompromise', '--config', cfgFile);
    expect(r.err).toBe('');
    expect(r.out.match(/^revoked /gm)).toHaveLength(2);
    const crl = await run('openssl', ['crl', '-inform', 'DER', '-in', join(dir, 'data', 'crl', 'internal.crl'), '-noout', '-text', '-CAfile', join(dir, 'internal.pem')]);
    const text = crl.stdout.toString().replace(/\s/g, '');
    for (const c of before) expect(text).toContain(`SerialNumber:${c.serial.toUpperCase()}`);
    const shown = await cli('cert', 'show', before[0]!.serial, '--config', cfgFile);
    expect(shown.out).toMatch(/revoked:\s+\d{4}-/);
    const again = await cli('cert', 'revoke', before[0]!.serial, '--config', cfgFile);
    expect(again.code).toBe(1);
  }, 60_000);

  it('fails clearly: bad pki config (exit 2), unknown address, wrong KEK (exit 1, no key material in the message)', async () => {
    const bad = join(dir, 'bad.yaml');
    await writeFile(bad, YAML.replace('  externalKeys: escrow', '  externalKeys: keep-forever\n  bogus: 1'));
    const r = await cli('cert', 'list', '--config', bad);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/pki\.externalKeys: expected one of destroy, escrow/);
    expect(r.err).toMatch(/pki\.bogus: unknown key/);
    const none = await cli('cert', 'password', 'nobody@clinic.example', '--config', cfgFile);
    expect(none.code).toBe(1);
    expect(none.err).toMatch(/no issued PKCS#12 password/);
    const kek = await readFile(join(dir, 'keys', 'kek'), 'utf8');
    await writeFile(join(dir, 'keys', 'kek'), 'x'.repeat(43) + '\n');
    const wrong = await cli('cert', 'list', '--config', cfgFile);
    expect(wrong.code).toBe(1);
    expect(wrong.err).toMatch(/wrong KEK/);
    expect(wrong.err).not.toContain('xxxxxxxx');
    await writeFile(join(dir, 'keys', 'kek'), kek);
  }, 60_000);
});
