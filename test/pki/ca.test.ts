// The gateway's CA (issue 4, item 1): root, issuing and external-recipients CAs; keys sealed under
// a KEK kept outside the database; policy, CPS, user notice and CRL distribution point in the
// certificates; DER CRLs that openssl accepts and that revoke. Real openssl, real SQLite, temp dirs.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPrivateKey } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore, type OpenedStore } from '../../src/store/index.js';
import { createDomainPki, openDomainPki, toPem, type DomainPki } from '../../src/pki/ca.js';
import { defaultPkiConfig } from '../../src/pki/config.js';
import { createKekFile, kekFromSecret, loadKek, generateKekSecret, openSecret } from '../../src/pki/keystore.js';
import { issueProxyCertificate } from '../../src/pki/issue.js';
import { rotateKek } from '../../src/pki/rotate.js';
import { validatePath } from '../../src/pki/path-validation.js';
import { run, runOk } from '../peers/run.js';

let dir: string;
let store: OpenedStore;
let pki: DomainPki;
const DOMAIN = 'hospital.example';

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sg-ca-'));
  store = await openStore({ database: { kind: 'sqlite', file: join(dir, 'db.sqlite') }, spoolDir: join(dir, 'spool') });
  const kek = createKekFile(join(dir, 'kek'));
  const config = { ...defaultPkiConfig(dir, `mail.${DOMAIN}`, [DOMAIN]), encryptionKey: 'rsa-2048' as const, organization: 'Example Hospital' };
  config.policy = { ...config.policy, oid: '1.3.6.1.4.1.55555.1.2', userNotice: 'Issued under the Example Hospital CPS.' };
  pki = await createDomainPki({ store, domains: [DOMAIN], algorithm: 'p-256', kek, config });
  for (const name of ['root', 'internal', 'external'] as const) await writeFile(join(dir, `${name}.pem`), toPem((await pki.ca(name)).record.der));
}, 120_000);

afterAll(async () => {
  await store?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

const text = async (pemFile: string) => (await runOk('openssl', ['x509', '-in', pemFile, '-noout', '-text'])).toString();

describe('createDomainPki', () => {
  it('makes a self-signed root and two issuing CAs that openssl verifies against it', async () => {
    const rootText = await text(join(dir, 'root.pem'));
    expect(rootText).toMatch(/CA:TRUE/);
    expect(rootText).toMatch(/Certificate Sign, CRL Sign/);
    expect(rootText).toMatch(/ecdsa-with-SHA256/);
    for (const name of ['internal', 'external']) {
      const r = await run('openssl', ['verify', '-CAfile', join(dir, 'root.pem'), join(dir, `${name}.pem`)]);
      expect(r.stdout.toString() + r.stderr).toMatch(/: OK/);
      const t = await text(join(dir, `${name}.pem`));
      expect(t).toMatch(/CA:TRUE, pathlen:0/);
      expect(t).toMatch(/URI:http:\/\/mail\.hospital\.example\/crl\/root\.crl/);
    }
    expect(await text(join(dir, 'external.pem'))).toMatch(/External Recipients CA/);
  });

  it('refuses to create a second root in the same database', async () => {
    await expect(createDomainPki({ store, domains: [DOMAIN], kek: pki.kek, config: pki.config })).rejects.toThrow(/already exists/);
  });

  it('puts the policy OID, CPS URI, user notice and CRL distribution point in issued certificates', async () => {
    const { encryption } = await issueProxyCertificate(pki, 'carol@hospital.example');
    await writeFile(join(dir, 'carol.pem'), toPem(encryption.der));
    const t = await text(join(dir, 'carol.pem'));
    expect(t).toMatch(/Policy: 1\.3\.6\.1\.4\.1\.55555\.1\.2/);
    expect(t).toMatch(/CPS: https:\/\/mail\.hospital\.example\/cps/);
    expect(t).toMatch(/Explicit Text: The private key for this certificate is held by the hospital\.example secure email gateway/);
    expect(t).toMatch(/URI:http:\/\/mail\.hospital\.example\/crl\/internal\.crl/);
  });
});

describe('keys at rest', () => {
  it('stores every private key encrypted: the stored blob does not load without the KEK, and does with it', async () => {
    const rows = await store.db.selectFrom('pki_keys' as never).selectAll().execute() as Array<{ id: string; sealed_key: string; kek_id: string }>;
    expect(rows.map((r) => r.id)).toEqual(expect.arrayContaining(['ca:root', 'ca:internal', 'ca:external', `domain-encryption:${DOMAIN}`, `domain-signing:${DOMAIN}`]));
    for (const r of rows) {
      expect(r.sealed_key).toMatch(/^-----BEGIN ENCRYPTED PRIVATE KEY-----/);
      expect(r.kek_id).toBe(pki.kek.id);
      expect(() => createPrivateKey(r.sealed_key)).toThrow();
      expect(() => createPrivateKey({ key: r.sealed_key, passphrase: generateKekSecret() })).toThrow();
      expect(createPrivateKey({ key: r.sealed_key, passphrase: pki.kek.secret }).type).toBe('private');
    }
    // Nor does openssl open it without the KEK.
    await writeFile(join(dir, 'sealed.pem'), rows[0]!.sealed_key);
    expect((await run('openssl', ['pkey', '-in', join(dir, 'sealed.pem'), '-passin', 'pass:wrong-key-encryption-key'])).code).not.toBe(0);
    const dbBytes = await readFile(join(dir, 'db.sqlite'));
    expect(dbBytes.includes('BEGIN PRIVATE KEY')).toBe(false);
    expect(dbBytes.includes(pki.kek.secret)).toBe(false);
  });

  it('fails closed when the PKI is opened with another KEK, and opens with the right one from file or env', async () => {
    await expect(openDomainPki({ store, kek: kekFromSecret(generateKekSecret()), config: pki.config, domains: [DOMAIN] })).rejects.toThrow(/wrong KEK/);
    const fromFile = loadKek(`file:${join(dir, 'kek')}`);
    expect(fromFile.id).toBe(pki.kek.id);
    const fromEnv = loadKek('env:SG_TEST_KEK', undefined, { SG_TEST_KEK: pki.kek.secret });
    expect((await openDomainPki({ store, kek: fromEnv, config: pki.config, domains: [DOMAIN] })).kek.id).toBe(pki.kek.id);
    expect(() => loadKek('env:SG_MISSING_KEK', undefined, {})).toThrow(/not set/);
    expect(() => loadKek(`file:${join(dir, 'no-such-kek')}`)).toThrow(/cannot read/);
    expect(() => kekFromSecret('short')).toThrow(/shorter/);
    await writeFile(join(dir, 'open-kek'), pki.kek.secret, { mode: 0o644 });
    expect(() => loadKek(`file:${join(dir, 'open-kek')}`)).toThrow(/accessible to other users/);
  });
});

describe('CRLs', () => {
  it('issueCrl gives a DER CRL that openssl verifies, with growing CRL numbers, and a revoked certificate fails openssl verify -crl_check', async () => {
    const { encryption } = await issueProxyCertificate(pki, 'dave@hospital.example');
    await writeFile(join(dir, 'dave.pem'), toPem(encryption.der));
    await writeFile(join(dir, 'chain.pem'), toPem((await pki.ca('internal')).record.der) + toPem((await pki.ca('root')).record.der));
    const crl0 = await pki.issueCrl('internal');
    await writeFile(join(dir, 'crl0.der'), crl0);
    const t0 = (await runOk('openssl', ['crl', '-inform', 'DER', '-in', join(dir, 'crl0.der'), '-noout', '-text', '-CAfile', join(dir, 'chain.pem')])).toString();
    expect(t0).toMatch(/No Revoked Certificates/);
    await writeFile(join(dir, 'crl0.pem'), toPem(crl0, 'X509 CRL'));
    const rootCrl = await pki.issueCrl('root');
    await writeFile(join(dir, 'rootcrl.pem'), toPem(rootCrl, 'X509 CRL'));
    const verify = (crl: string) => run('openssl', ['verify', '-crl_check_all', '-CAfile', join(dir, 'root.pem'), '-untrusted', join(dir, 'internal.pem'),
      '-CRLfile', join(dir, crl), '-CRLfile', join(dir, 'rootcrl.pem'), '-purpose', 'smimeencrypt', join(dir, 'dave.pem')]);
    const before = await verify('crl0.pem');
    expect(before.stdout.toString() + before.stderr).toMatch(/dave\.pem: OK/);

    await pki.revoke(encryption.serial, 'keyCompromise');
    const crl1 = await pki.issueCrl('internal');
    await writeFile(join(dir, 'crl1.pem'), toPem(crl1, 'X509 CRL'));
    const t1 = (await runOk('openssl', ['crl', '-in', join(dir, 'crl1.pem'), '-noout', '-text'])).toString();
    expect(t1.replace(/\s/g, '')).toContain(`SerialNumber:${encryption.serial.toUpperCase()}`);
    expect(t1).toMatch(/Key Compromise/);
    const n0 = /X509v3 CRL Number:\s*\n\s*(\d+)/.exec(t0)![1]!;
    const n1 = /X509v3 CRL Number:\s*\n\s*(\d+)/.exec(t1)![1]!;
    expect(Number(n1)).toBeGreaterThan(Number(n0));
    const after = await verify('crl1.pem');
    expect(after.code).not.toBe(0);
    expect(after.stdout.toString() + after.stderr).toMatch(/certificate revoked/);

    // Our own path validation agrees.
    const v = validatePath(encryption.der, {
      trustAnchors: [(await pki.ca('root')).record.der], intermediates: [(await pki.ca('internal')).record.der],
      crls: [crl1, rootCrl], at: new Date(), purpose: 'emailProtection', revocation: 'require',
    });
    expect(v.valid).toBe(false);
    expect(v.failures.join(' ')).toMatch(/revoked/i);
    // A revoked proxy certificate is not handed out again: a new one is issued.
    const again = await issueProxyCertificate(pki, 'dave@hospital.example');
    expect(again.encryption.serial).not.toBe(encryption.serial);
  });
});

describe('KEK rotation', () => {
  it('re-seals every key and stored password under a new KEK; the old KEK no longer opens them', async () => {
    const { issueForExternalRecipient } = await import('../../src/pki/issue.js');
    const ext = await issueForExternalRecipient(pki, 'erin@clinic.example');
    const newKek = kekFromSecret(generateKekSecret(), 'memory:new');
    const n = await rotateKek({ store, oldKek: pki.kek, newKek });
    expect(n.keys).toBeGreaterThanOrEqual(5);
    expect(n.passwords).toBeGreaterThanOrEqual(1);
    await expect(openDomainPki({ store, kek: pki.kek, config: pki.config, domains: [DOMAIN] })).rejects.toThrow(/wrong KEK/);
    const reopened = await openDomainPki({ store, kek: newKek, config: pki.config, domains: [DOMAIN] });
    const rec = await reopened.certs.getCert(ext.record.serial);
    expect(openSecret(rec!.sealedPassword!, newKek)).toBe(ext.password);
    pki = reopened;
  });
});

describe('on PostgreSQL', () => {
  it('migration 0002_pki works there too: create, issue, find by address, revoke, CRL, sealed password', async () => {
    const { makeBackend } = await import('../store/backends.js');
    const be = await makeBackend('postgres', 'pki');
    try {
      const pg = await be.open();
      const config = { ...defaultPkiConfig(dir, `mail.${DOMAIN}`, [DOMAIN]), encryptionKey: 'rsa-2048' as const };
      const p = await createDomainPki({ store: pg, domains: [DOMAIN], algorithm: 'p-256', kek: kekFromSecret(generateKekSecret()), config });
      const proxy = await issueProxyCertificate(p, 'zoe@hospital.example');
      const found = await p.certs.listCerts({ address: 'zoe@hospital.example' });
      expect(found.map((r) => r.serial).sort()).toEqual([proxy.encryption.serial, proxy.signing.serial].sort());
      expect(found[0]!.notAfter.getTime()).toBeGreaterThan(Date.now());
      await p.revoke(proxy.encryption.serial, 'superseded');
      const crl = await p.issueCrl('internal');
      await writeFile(join(dir, 'pg.crl'), crl);
      const t = (await runOk('openssl', ['crl', '-inform', 'DER', '-in', join(dir, 'pg.crl'), '-noout', '-text'])).toString();
      expect(t.replace(/\s/g, '')).toContain(`SerialNumber:${proxy.encryption.serial.toUpperCase()}`);
      // Concurrent CRLs from one CA never share a CRL number.
      const crls = await Promise.all([1, 2, 3, 4, 5].map(() => p.issueCrl('external')));
      const numbers: number[] = [];
      for (const [i, c] of crls.entries()) {
        await writeFile(join(dir, `pg-${i}.crl`), c);
        const ct = (await runOk('openssl', ['crl', '-inform', 'DER', '-in', join(dir, `pg-${i}.crl`), '-noout', '-crlnumber'])).toString();
        numbers.push(parseInt(/crlNumber=(?:0x)?([0-9A-Fa-f]+)/.exec(ct)![1]!, 16));
      }
      expect(new Set(numbers).size).toBe(5);
      const { issueForExternalRecipient, retrievePassword } = await import('../../src/pki/issue.js');
      const ext = await issueForExternalRecipient(p, 'sam@clinic.example');
      expect((await retrievePassword(p, 'sam@clinic.example', 'cli:test')).password).toBe(ext.password);
      const reopened = await openDomainPki({ store: await be.open(), kek: p.kek, config, domains: [DOMAIN] });
      expect((await reopened.ca('root')).record.serial).toBe((await p.ca('root')).record.serial);
    } finally {
      await be.cleanup();
    }
  }, 60_000);
});

describe('CRL publication', () => {
  it('startCrlPublisher writes every CA CRL at once and on each tick; a revocation shows in the next run', async () => {
    const { startCrlPublisher } = await import('../../src/pki/crl-publish.js');
    let tick: (() => void) | null = null;
    const timers = {
      setInterval: ((fn: () => void) => ((tick = fn), 1)) as unknown as typeof setInterval,
      clearInterval: (() => (tick = null)) as unknown as typeof clearInterval,
    };
    const crlDir = join(dir, 'published');
    const errors: Error[] = [];
    const pub = startCrlPublisher({ pki, dir: crlDir, timers, onError: (e) => errors.push(e) });
    await pub.runNow();
    const number = async (ca: string) => {
      const t = (await runOk('openssl', ['crl', '-inform', 'DER', '-in', join(crlDir, `${ca}.crl`), '-noout', '-crlnumber'])).toString();
      return parseInt(/crlNumber=(?:0x)?([0-9A-Fa-f]+)/.exec(t)![1]!, 16);
    };
    const first = await number('internal');
    for (const ca of ['root', 'internal', 'external']) expect((await readFile(join(crlDir, `${ca}.crl`)))[0]).toBe(0x30);
    const { encryption } = await issueProxyCertificate(pki, 'frank@hospital.example');
    await pki.revoke(encryption.serial, 'cessationOfOperation');
    tick!();
    await pub.runNow();
    expect(await number('internal')).toBeGreaterThan(first);
    const t = (await runOk('openssl', ['crl', '-inform', 'DER', '-in', join(crlDir, 'internal.crl'), '-noout', '-text'])).toString();
    expect(t.replace(/\s/g, '')).toContain(`SerialNumber:${encryption.serial.toUpperCase()}`);
    pub.stop();
    expect(tick).toBeNull();
    expect(errors).toEqual([]);
  });
});

describe('atomic creation', () => {
  it('a failure while creating the PKI leaves nothing behind, and a retry succeeds', async () => {
    const d2 = await mkdtemp(join(tmpdir(), 'sg-ca-atomic-'));
    const s2 = await openStore({ database: { kind: 'sqlite', file: join(d2, 'db.sqlite') }, spoolDir: join(d2, 'spool') });
    try {
      const config = { ...defaultPkiConfig(d2, 'mail.hospital.example', ['hospital.example']), encryptionKey: 'rsa-2048' as const };
      const kek = kekFromSecret(generateKekSecret());
      // A domain that cannot be put in an rfc822Name fails after the CAs were signed.
      await expect(createDomainPki({ store: s2, domains: ['hospital.example', 'bad_domain!'], algorithm: 'p-256', kek, config })).rejects.toThrow(/not a plain email address/);
      expect(await s2.db.selectFrom('pki_keys' as never).selectAll().execute()).toEqual([]);
      expect(await s2.db.selectFrom('pki_certs' as never).selectAll().execute()).toEqual([]);
      const ok = await createDomainPki({ store: s2, domains: ['hospital.example'], algorithm: 'p-256', kek, config });
      expect((await ok.ca('external')).record.kind).toBe('external-ca');
    } finally {
      await s2.close();
      await rm(d2, { recursive: true, force: true });
    }
  });
});
