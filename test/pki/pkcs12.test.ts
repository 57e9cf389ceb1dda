// Auto-issue for external recipients (issue 4, item 4): a key pair and certificate from the external
// recipients CA, packaged as PKCS#12 (modern and legacy) under a generated password, an Apple
// .mobileconfig, and the email that carries them. Real peers: openssl, NSS pk12util, gpgsm,
// python3 plistlib. The password never appears in the email; retrieving it is audited.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { X509Certificate } from 'node:crypto';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore, type OpenedStore } from '../../src/store/index.js';
import { createDomainPki, DomainPki, toPem } from '../../src/pki/ca.js';
import { defaultPkiConfig } from '../../src/pki/config.js';
import { kekFromSecret, generateKekSecret } from '../../src/pki/keystore.js';
import { issueForExternalRecipient, repackageExternal, retrievePassword, type ExternalIssue } from '../../src/pki/issue.js';
import { PASSWORD_ALPHABET, generatePassword, passwordEntropyBits } from '../../src/pki/password.js';
import { buildPkcs12Email } from '../../src/pki/p12-email.js';
import { run, runOk } from '../peers/run.js';
import { encryptEnveloped } from '../../src/smime/index.js';

let dir: string;
let store: OpenedStore;
let pki: DomainPki;
let modern: ExternalIssue;
let legacy: ExternalIssue;
const DOMAIN = 'hospital.example';

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sg-p12-'));
  store = await openStore({ database: { kind: 'sqlite', file: join(dir, 'db.sqlite') }, spoolDir: join(dir, 'spool') });
  const config = { ...defaultPkiConfig(dir, `mail.${DOMAIN}`, [DOMAIN]), encryptionKey: 'rsa-2048' as const, organization: 'Example Hospital', legacyPkcs12Domains: ['old-clinic.example'] };
  pki = await createDomainPki({ store, domains: [DOMAIN], algorithm: 'p-256', kek: kekFromSecret(generateKekSecret()), config });
  await writeFile(join(dir, 'root.pem'), toPem((await pki.ca('root')).record.der));
  await writeFile(join(dir, 'external.pem'), toPem((await pki.ca('external')).record.der));
  modern = await issueForExternalRecipient(pki, 'Pat.Doe@Small-Practice.example', { actor: 'smtp:sender@hospital.example' });
  legacy = await issueForExternalRecipient(pki, 'frontdesk@old-clinic.example');
  await writeFile(join(dir, 'modern.p12'), modern.pkcs12);
  await writeFile(join(dir, 'legacy.p12'), legacy.pkcs12);
}, 120_000);

afterAll(async () => {
  await store?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('issueForExternalRecipient', () => {
  it('issues from the external recipients CA a certificate openssl verifies for S/MIME encryption and signing', async () => {
    expect(modern.record.address).toBe('pat.doe@small-practice.example');
    expect(modern.record.ca).toBe('external');
    const leaf = join(dir, 'pat.pem');
    await writeFile(leaf, toPem(modern.record.der));
    for (const purpose of ['smimeencrypt', 'smimesign']) {
      const r = await run('openssl', ['verify', '-x509_strict', '-purpose', purpose, '-CAfile', join(dir, 'root.pem'), '-untrusted', join(dir, 'external.pem'), leaf]);
      expect(r.stdout.toString().trim()).toBe(`${leaf}: OK`);
    }
    // Not from the internal issuing CA.
    expect(new X509Certificate(modern.record.der).issuer).toMatch(/External Recipients CA/);
    await expect(issueForExternalRecipient(pki, 'alice@hospital.example')).rejects.toThrow(/internal address/);
  });

  it('the gateway encrypts at once to the new certificate, and the key from the PKCS#12 decrypts it (openssl cms)', async () => {
    const der = encryptEnveloped(Buffer.from('Lab results attached.\r\n'), [{ certificate: modern.record.der }]);
    await writeFile(join(dir, 'to-pat.der'), der);
    const key = await runOk('openssl', ['pkcs12', '-in', join(dir, 'modern.p12'), '-passin', `pass:${modern.password}`, '-nocerts', '-nodes']);
    await writeFile(join(dir, 'pat-key.pem'), key);
    const out = await runOk('openssl', ['cms', '-decrypt', '-binary', '-inform', 'DER', '-in', join(dir, 'to-pat.der'), '-inkey', join(dir, 'pat-key.pem')]);
    expect(out.toString()).toBe('Lab results attached.\r\n');
  });

  it('generates human-typable passwords of at least 60 bits, different every time', () => {
    expect(passwordEntropyBits()).toBeGreaterThanOrEqual(60);
    expect(modern.password).toMatch(new RegExp(`^[${PASSWORD_ALPHABET}]{4}(-[${PASSWORD_ALPHABET}]{4}){3}$`));
    const many = new Set(Array.from({ length: 200 }, () => generatePassword()));
    expect(many.size).toBe(200);
    expect(PASSWORD_ALPHABET).not.toMatch(/[0O1IL5S2Z8B]/);
    expect(modern.password).not.toBe(legacy.password);
  });
});

describe('PKCS#12 files', () => {
  it('modern: openssl opens it with the password (PBES2 AES-256-CBC, HMAC-SHA-256 MAC) and refuses another password', async () => {
    const info = await run('openssl', ['pkcs12', '-info', '-in', join(dir, 'modern.p12'), '-passin', `pass:${modern.password}`, '-nodes']);
    const all = info.stdout.toString() + info.stderr;
    expect(info.code).toBe(0);
    expect(all).toMatch(/MAC: sha256/);
    expect(all).toMatch(/Shrouded Keybag: PBES2, PBKDF2, AES-256-CBC/);
    expect(all).toMatch(/PKCS7 Encrypted data: PBES2, PBKDF2, AES-256-CBC/);
    expect(all).toMatch(/friendlyName: pat\.doe@small-practice\.example/);
    // The key inside belongs to the certificate inside.
    const keyPem = /-----BEGIN PRIVATE KEY-----[\s\S]+?-----END PRIVATE KEY-----/.exec(all)![0];
    await writeFile(join(dir, 'k.pem'), keyPem);
    const pub = await runOk('openssl', ['pkey', '-in', join(dir, 'k.pem'), '-pubout']);
    expect(pub.toString()).toBe(new X509Certificate(modern.record.der).publicKey.export({ format: 'pem', type: 'spki' }));
    // The chain (external CA, root) is included.
    expect(all.match(/BEGIN CERTIFICATE/g)!.length).toBe(3);
    const bad = await run('openssl', ['pkcs12', '-info', '-in', join(dir, 'modern.p12'), '-passin', 'pass:AAAA-AAAA-AAAA-AAAA', '-nodes']);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/mac verify|invalid password/i);
  });

  it('legacy: openssl (with and without -legacy) opens it: 3DES and a SHA-1 MAC, chosen for pki.legacyPkcs12Domains', async () => {
    expect(legacy.profile).toBe('legacy');
    expect(modern.profile).toBe('modern');
    for (const extra of [['-legacy'], []]) {
      const info = await run('openssl', ['pkcs12', '-info', ...extra, '-in', join(dir, 'legacy.p12'), '-passin', `pass:${legacy.password}`, '-nodes']);
      const all = info.stdout.toString() + info.stderr;
      expect(info.code).toBe(0);
      expect(all).toMatch(/MAC: sha1/);
      expect(all).toMatch(/Shrouded Keybag: pbeWithSHA1And3-KeyTripleDES-CBC/);
      expect(all).toMatch(/BEGIN PRIVATE KEY/);
    }
  });

  it('NSS pk12util imports both into a certificate database with the generated password', async () => {
    for (const [name, issued] of [['modern', modern], ['legacy', legacy]] as const) {
      const db = await mkdtemp(join(dir, `nss-${name}-`));
      await runOk('certutil', ['-N', '-d', `sql:${db}`, '--empty-password']);
      const bad = await run('pk12util', ['-i', join(dir, `${name}.p12`), '-d', `sql:${db}`, '-W', 'WRONG-PASS-WORD-XXXX', '-K', '']);
      expect(bad.code).not.toBe(0);
      const r = await run('pk12util', ['-i', join(dir, `${name}.p12`), '-d', `sql:${db}`, '-W', issued.password, '-K', '']);
      expect(r.stdout.toString() + r.stderr).toMatch(/PKCS12 IMPORT SUCCESSFUL/);
      const keys = (await runOk('certutil', ['-K', '-d', `sql:${db}`])).toString();
      expect(keys).toMatch(/rsa/);
      const certs = (await runOk('certutil', ['-L', '-d', `sql:${db}`])).toString();
      expect(certs).toContain(issued.record.address!);
    }
  });

  it('gpgsm --import reads the legacy file with the generated password (loopback pinentry) and holds the secret key', async () => {
    // gpgsm 2.2.40 (Debian 12) cannot decrypt PBES2/AES PKCS#12 at all, OpenSSL 3's own default
    // files included ("error at bag.encryptedData"); that is what the legacy profile is for.
    const home = await mkdtemp(join(dir, 'gpg-'));
    await chmod(home, 0o700);
    await writeFile(join(home, 'gpg-agent.conf'), 'allow-loopback-pinentry\n');
    const env = { ...process.env, GNUPGHOME: home, LC_ALL: 'C' };
    try {
      const pw = `${legacy.password}\n`;
      const r = await run('gpgsm', ['--batch', '--pinentry-mode', 'loopback', '--passphrase-fd', '0', '--import', join(dir, 'legacy.p12')], { env, input: pw + pw + pw });
      expect(r.stderr).toMatch(/secret keys imported: 1/);
      const list = (await runOk('gpgsm', ['--batch', '--list-secret-keys'], { env })).toString();
      expect(list).toContain('frontdesk@old-clinic.example');
    } finally {
      await run('gpgconf', ['--homedir', home, '--kill', 'gpg-agent'], { env });
    }
  });
});

describe('.mobileconfig', () => {
  it('parses as a plist (python3 plistlib) with one com.apple.security.pkcs12 payload holding the PKCS#12 and no password', async () => {
    const f = join(dir, 'p.mobileconfig');
    await writeFile(f, modern.mobileconfig);
    const py = `import plistlib,sys,json,base64
d=plistlib.load(open(sys.argv[1],'rb'))
p=d['PayloadContent'][0]
print(json.dumps({'type':d['PayloadType'],'version':d['PayloadVersion'],'ptype':p['PayloadType'],'keys':sorted(p.keys()),
 'p12':base64.b64encode(p['PayloadContent']).decode(),'uuid':p['PayloadUUID'],'topuuid':d['PayloadUUID'],'name':p['PayloadCertificateFileName']}))`;
    const out = JSON.parse((await runOk('python3', ['-c', py, f])).toString());
    expect(out.type).toBe('Configuration');
    expect(out.version).toBe(1);
    expect(out.ptype).toBe('com.apple.security.pkcs12');
    expect(Buffer.from(out.p12, 'base64').equals(modern.pkcs12)).toBe(true);
    expect(out.keys).not.toContain('Password');
    expect(out.uuid).toMatch(/^[0-9A-F]{8}-[0-9A-F]{4}-8[0-9A-F]{3}-[89AB][0-9A-F]{3}-[0-9A-F]{12}$/);
    expect(out.uuid).not.toBe(out.topuuid);
    expect(out.name).toBe('pat.doe@small-practice.example.p12');
    expect(modern.mobileconfig.toString('utf8')).not.toContain(modern.password);
  });
});

describe('the PKCS#12 email', () => {
  it('carries instructions for Outlook, Apple Mail, Thunderbird and Gmail and both attachments, never the password', async () => {
    const msg = buildPkcs12Email({
      from: 'postmaster@hospital.example', to: modern.record.address!, organization: 'Example Hospital', requestedBy: 'dr.jones@hospital.example',
      pkcs12: modern.pkcs12, mobileconfig: modern.mobileconfig, notAfter: modern.record.notAfter, hostname: 'mail.hospital.example',
    });
    const text = msg.toString('utf8');
    for (const pw of [modern.password, modern.password.replace(/-/g, ''), modern.password.toLowerCase()]) expect(text).not.toContain(pw);
    expect(text).toMatch(/^From: Example Hospital <postmaster@hospital\.example>\r\n/);
    expect(text).toMatch(/\r\nTo: <pat\.doe@small-practice\.example>\r\n/);
    expect(text).not.toMatch(/[^\r]\n/); // CRLF only
    for (const word of ['Outlook', 'Apple Mail', 'Thunderbird', 'Gmail', 'NOT in this email', 'dr.jones@hospital.example']) expect(text).toContain(word);
    for (const line of text.split('\r\n')) expect(line.length).toBeLessThanOrEqual(78);
    const boundary = /boundary="([^"]+)"/.exec(text)![1]!;
    const parts = text.split(`--${boundary}`).slice(1, -1);
    expect(parts).toHaveLength(3);
    const body = (p: string) => Buffer.from(p.split('\r\n\r\n').slice(1).join('').replace(/\s+/g, ''), 'base64');
    expect(parts[1]).toMatch(/Content-Type: application\/pkcs12;\r\n name="pat\.doe@small-practice\.example\.p12"/);
    expect(body(parts[1]!).equals(modern.pkcs12)).toBe(true);
    expect(parts[2]).toMatch(/Content-Type: application\/x-apple-aspen-config/);
    expect(body(parts[2]!).equals(modern.mobileconfig)).toBe(true);
    // The attached file still opens with the password delivered separately.
    await writeFile(join(dir, 'from-mail.p12'), body(parts[1]!));
    expect((await run('openssl', ['pkcs12', '-in', join(dir, 'from-mail.p12'), '-passin', `pass:${modern.password}`, '-noout'])).code).toBe(0);
  });
});

describe('after packaging: destroy or escrow, and password retrieval', () => {
  it('destroy (default): the private key is gone, re-sending is refused, the certificate stays usable for encryption', async () => {
    expect(modern.keyPolicy).toBe('destroy');
    const key = await pki.certs.getKey(modern.record.keyId!);
    expect(key!.sealedKey).toBeNull();
    expect(key!.destroyedAt).not.toBeNull();
    await expect(repackageExternal(pki, modern.record.serial)).rejects.toThrow(/destroyed/);
    expect((await pki.certs.listCerts({ address: 'pat.doe@small-practice.example', kinds: ['external'] }))[0]!.serial).toBe(modern.record.serial);
  });

  it('escrow: the key is kept sealed and the same PKCS#12 identity can be re-sent with the same password', async () => {
    const escrowPki = new DomainPki(store, pki.kek, { ...pki.config, externalKeys: 'escrow' }, pki.domains);
    const e = await issueForExternalRecipient(escrowPki, 'lab@partner-lab.example');
    expect(e.keyPolicy).toBe('escrow');
    const key = await pki.certs.getKey(e.record.keyId!);
    expect(key!.sealedKey).toMatch(/BEGIN ENCRYPTED PRIVATE KEY/);
    const again = await repackageExternal(escrowPki, e.record.serial);
    await writeFile(join(dir, 'again.p12'), again.pkcs12);
    const out = await run('openssl', ['pkcs12', '-in', join(dir, 'again.p12'), '-passin', `pass:${e.password}`, '-nokeys', '-clcerts']);
    expect(out.code).toBe(0);
    expect(out.stdout.toString().replace(/\s/g, '')).toContain(toPem(e.record.der).replace(/\s/g, ''));
  });

  it('retrievePassword returns the stored password and every retrieval is audited with its actor', async () => {
    const r = await retrievePassword(pki, 'pat.doe@small-practice.example', 'cli:alice');
    expect(r.password).toBe(modern.password);
    expect(r.serial).toBe(modern.record.serial);
    const audit = await store.audit.list({ type: 'certificate-password-retrieved' });
    expect(audit.at(-1)!.actor).toBe('cli:alice');
    expect(audit.at(-1)!.data).toMatchObject({ serial: modern.record.serial, address: 'pat.doe@small-practice.example' });
    expect(JSON.stringify(audit)).not.toContain(modern.password);
    await expect(retrievePassword(pki, 'nobody@nowhere.example', 'cli:mallory')).rejects.toThrow(/no issued PKCS#12 password/);
    const failed = await store.audit.list({ type: 'certificate-password-retrieval-failed' });
    expect(failed.at(-1)!.actor).toBe('cli:mallory');
    const issued = await store.audit.list({ type: 'certificate-issued' });
    expect(issued.some((a) => a.actor === 'smtp:sender@hospital.example' && (a.data as { serial: string }).serial === modern.record.serial)).toBe(true);
    expect((await store.audit.verify()).ok).toBe(true);
  });
});
