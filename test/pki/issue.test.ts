// Our own certificates (issue 4, item 2): proxy certificates for internal addresses, all bound to
// the domain's one encryption key pair and one signing key pair, and the RFC 3183 domain authority
// certificates. Each is checked by openssl verify with the S/MIME purposes against our root, and by
// our own path validation. Runs once with P-256 CAs and once with RSA-3072 throughout.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { X509Certificate } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore, type OpenedStore } from '../../src/store/index.js';
import { createDomainPki, toPem, type DomainPki } from '../../src/pki/ca.js';
import { defaultPkiConfig, type PkiAlgorithm, type EncryptionKeyAlgorithm } from '../../src/pki/config.js';
import { kekFromSecret, generateKekSecret } from '../../src/pki/keystore.js';
import { domainCertificate, issueProxyCertificate } from '../../src/pki/issue.js';
import { validatePath } from '../../src/pki/path-validation.js';
import { domainKeyId } from '../../src/pki/issue.js';
import { decryptEnveloped } from '../../src/smime/index.js';
import { readFile } from 'node:fs/promises';
import { run } from '../peers/run.js';

const DOMAINS = ['hospital.example', 'clinic-north.example'];

async function setup(algorithm: PkiAlgorithm, encryptionKey: EncryptionKeyAlgorithm) {
  const dir = await mkdtemp(join(tmpdir(), 'sg-issue-'));
  const store = await openStore({ database: { kind: 'sqlite', file: join(dir, 'db.sqlite') }, spoolDir: join(dir, 'spool') });
  const config = { ...defaultPkiConfig(dir, 'mail.hospital.example', DOMAINS), encryptionKey };
  const pki = await createDomainPki({ store, domains: DOMAINS, algorithm, kek: kekFromSecret(generateKekSecret()), config });
  await writeFile(join(dir, 'root.pem'), toPem((await pki.ca('root')).record.der));
  await writeFile(join(dir, 'internal.pem'), toPem((await pki.ca('internal')).record.der));
  return { dir, store, pki };
}

async function opensslVerify(dir: string, der: Buffer, purpose: 'smimeencrypt' | 'smimesign'): Promise<string> {
  const f = join(dir, `leaf-${Math.random().toString(36).slice(2)}.pem`);
  await writeFile(f, toPem(der));
  const r = await run('openssl', ['verify', '-x509_strict', '-purpose', purpose, '-CAfile', join(dir, 'root.pem'), '-untrusted', join(dir, 'internal.pem'), f]);
  return (r.stdout.toString() + r.stderr).trim().replace(f, 'LEAF');
}

const spkiOf = (der: Buffer) => new X509Certificate(der).publicKey.export({ format: 'der', type: 'spki' }).toString('base64');

for (const [algorithm, encryptionKey] of [['p-256', 'rsa-2048'], ['rsa-3072', 'rsa-3072']] as const) {
  describe(`our certificates (${algorithm} CAs, ${encryptionKey} encryption key)`, () => {
    let env: Awaited<ReturnType<typeof setup>>;
    beforeAll(async () => {
      env = await setup(algorithm, encryptionKey);
    }, 180_000);
    afterAll(async () => {
      await env?.store.close();
      if (env) await rm(env.dir, { recursive: true, force: true });
    });

    it('proxy certificates validate with openssl (smimeencrypt / smimesign) and our path validation', async () => {
      const { pki, dir } = env;
      const p = await issueProxyCertificate(pki, 'Alice.Smith@Hospital.Example');
      expect(p.encryption.address).toBe('alice.smith@hospital.example');
      expect(await opensslVerify(dir, p.encryption.der, 'smimeencrypt')).toBe('LEAF: OK');
      expect(await opensslVerify(dir, p.signing.der, 'smimesign')).toBe('LEAF: OK');
      // The encryption certificate is not a signing certificate and vice versa.
      expect(await opensslVerify(dir, p.encryption.der, 'smimesign')).toMatch(/unsuitable certificate purpose/);
      expect(await opensslVerify(dir, p.signing.der, 'smimeencrypt')).toMatch(/unsuitable certificate purpose/);
      for (const r of [p.encryption, p.signing]) {
        const v = validatePath(r.der, { trustAnchors: [(await pki.ca('root')).record.der], intermediates: [(await pki.ca('internal')).record.der], at: new Date(), purpose: 'emailProtection' });
        expect(v.failures).toEqual([]);
        expect(v.valid).toBe(true);
        const c = new X509Certificate(r.der);
        expect(c.subjectAltName).toBe('email:alice.smith@hospital.example');
        expect(c.keyUsage).toContain('1.3.6.1.5.5.7.3.4');
      }
      const t = new X509Certificate(p.encryption.der).toLegacyObject();
      expect(t.ext_key_usage).toEqual(['1.3.6.1.5.5.7.3.4']);
    });

    it('every proxy certificate of a domain is bound to its one encryption key and one signing key', async () => {
      const { pki } = env;
      const a = await issueProxyCertificate(pki, 'alice.smith@hospital.example');
      const b = await issueProxyCertificate(pki, 'bob@hospital.example');
      const n = await issueProxyCertificate(pki, 'nora@clinic-north.example');
      expect(spkiOf(a.encryption.der)).toBe(spkiOf(b.encryption.der));
      expect(spkiOf(a.signing.der)).toBe(spkiOf(b.signing.der));
      expect(spkiOf(a.encryption.der)).not.toBe(spkiOf(a.signing.der));
      expect(spkiOf(n.encryption.der)).not.toBe(spkiOf(a.encryption.der));
      const conf = await domainCertificate(pki, 'confidentiality', 'hospital.example');
      expect(spkiOf(conf.der)).toBe(spkiOf(a.encryption.der));
      expect(new X509Certificate(a.encryption.der).publicKey.asymmetricKeyType).toBe('rsa');
      // Asking again returns the same certificates; the store finds them by address.
      const again = await issueProxyCertificate(pki, 'ALICE.SMITH@hospital.example');
      expect(again.encryption.serial).toBe(a.encryption.serial);
      const listed = await pki.certs.listCerts({ address: 'alice.smith@hospital.example' });
      expect(listed.map((r) => r.kind).sort()).toEqual(['proxy-encryption', 'proxy-signing']);
    });

    it('RFC 3183 domain certificates are named domain-confidentiality-authority / domain-signing-authority / review-authority @DOMAIN', async () => {
      const { pki, dir } = env;
      for (const domain of DOMAINS) {
        const conf = await domainCertificate(pki, 'confidentiality', domain);
        const sig = await domainCertificate(pki, 'signing', domain);
        const rev = await domainCertificate(pki, 'review', domain);
        expect(new X509Certificate(conf.der).subjectAltName).toBe(`email:domain-confidentiality-authority@${domain}`);
        expect(new X509Certificate(sig.der).subjectAltName).toBe(`email:domain-signing-authority@${domain}`);
        expect(new X509Certificate(rev.der).subjectAltName).toBe(`email:review-authority@${domain}`);
        expect(await opensslVerify(dir, conf.der, 'smimeencrypt')).toBe('LEAF: OK');
        expect(await opensslVerify(dir, sig.der, 'smimesign')).toBe('LEAF: OK');
        expect(await opensslVerify(dir, rev.der, 'smimesign')).toBe('LEAF: OK');
        expect(spkiOf(rev.der)).not.toBe(spkiOf(sig.der));
      }
    });

    it('a partner encrypts to two different proxy certificates with openssl; the gateway decrypts both with the one domain key', async () => {
      const { pki, dir } = env;
      const key = await pki.privateKey(domainKeyId('encryption', 'hospital.example'));
      for (const address of ['alice.smith@hospital.example', 'bob@hospital.example']) {
        const { encryption } = await issueProxyCertificate(pki, address);
        await writeFile(join(dir, 'msg.txt'), `for ${address}\r\n`);
        await writeFile(join(dir, 'to.pem'), toPem(encryption.der));
        const r = await run('openssl', ['cms', '-encrypt', '-binary', '-aes256', '-in', join(dir, 'msg.txt'), '-outform', 'DER', '-out', join(dir, 'enc.der'), join(dir, 'to.pem')]);
        expect(r.code).toBe(0);
        const plain = decryptEnveloped(await readFile(join(dir, 'enc.der')), { certificate: encryption.der, privateKey: key });
        expect(plain.toString()).toBe(`for ${address}\r\n`);
      }
    });

    it('refuses what it must not issue: outside addresses, reserved names, malformed input', async () => {
      const { pki } = env;
      await expect(issueProxyCertificate(pki, 'someone@elsewhere.example')).rejects.toThrow(/not one of this gateway's domains/);
      await expect(issueProxyCertificate(pki, 'domain-signing-authority@hospital.example')).rejects.toThrow(/reserved/);
      await expect(issueProxyCertificate(pki, 'a b@hospital.example')).rejects.toThrow(/not a plain email address/);
      await expect(issueProxyCertificate(pki, 'x@hospital.example\r\nBcc: y@z')).rejects.toThrow(/not a plain email address/);
      await expect(domainCertificate(pki, 'signing', 'elsewhere.example')).rejects.toThrow(/not one of/);
    });
  });
}
