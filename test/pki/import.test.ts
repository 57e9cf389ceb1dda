// `sealgate cert import`: partners' certificates from PEM, DER and PKCS#7 (.p7b DER, .p7c PEM) into
// the directory's local store. A 500-certificate bundle shows a progress bar on stderr and imports
// exactly the valid ones; every rejected certificate is named with its reason; the directory's local
// source then finds an imported certificate. The partner CA is made here with @peculiar/x509.
import 'reflect-metadata';
import { webcrypto } from 'node:crypto';
import { rmSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as x509 from '@peculiar/x509';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toPem } from '../../src/pki/ca.js';
import { DirectoryStore } from '../../src/directory/store.js';
import { directoryFromConfig } from '../../src/directory/directory.js';
import { createLogger } from '../../src/log/logger.js';
import { run } from '../peers/run.js';
import { cli, openFixturePki, pkiFixture } from './lifecycle-cli.js';

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);
const EC = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const DAY = 86_400_000;
const KU = x509.KeyUsageFlags;

async function makeCa(name: string) {
  const keys = (await webcrypto.subtle.generateKey(EC, true, ['sign', 'verify'])) as CryptoKeyPair;
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: '01', name: `CN=${name}`, keys, signingAlgorithm: EC,
    notBefore: new Date(Date.now() - DAY), notAfter: new Date(Date.now() + 3650 * DAY),
    extensions: [new x509.BasicConstraintsExtension(true, 0, true), new x509.KeyUsagesExtension(KU.keyCertSign | KU.cRLSign, true), await x509.SubjectKeyIdentifierExtension.create(keys.publicKey)],
  });
  return { keys, cert };
}

type Ca = Awaited<ReturnType<typeof makeCa>>;
let serial = 100;

/** A leaf for `mail` (none: no e-mail address) signed by `ca`, with one shared leaf key. */
async function leaf(ca: Ca, key: CryptoKey, mail: string | null, o: { expired?: boolean; usage?: number } = {}): Promise<Buffer> {
  const now = Date.now();
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: (serial++).toString(16).padStart(4, '0'),
    subject: mail ? `CN=${mail}` : 'CN=no address here', issuer: ca.cert.subject, publicKey: key, signingKey: ca.keys.privateKey, signingAlgorithm: EC,
    notBefore: new Date(now - (o.expired ? 400 : 1) * DAY), notAfter: new Date(now + (o.expired ? -30 : 365) * DAY),
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(o.usage ?? KU.digitalSignature | KU.keyAgreement, true),
      new x509.ExtendedKeyUsageExtension(['1.3.6.1.5.5.7.3.4']),
      ...(mail ? [new x509.SubjectAlternativeNameExtension([{ type: 'email', value: mail }])] : []),
      new x509.AuthorityKeyIdentifierExtension(ca.cert.getExtension(x509.SubjectKeyIdentifierExtension)!.keyId),
    ],
  });
  return Buffer.from(cert.rawData);
}

describe('sealgate cert import', () => {
  let env: { dir: string; config: string };
  let partner: Ca;
  let leafKey: CryptoKey;
  beforeAll(async () => {
    partner = await makeCa('Partner Health CA');
    leafKey = ((await webcrypto.subtle.generateKey(EC, true, ['sign', 'verify'])) as CryptoKeyPair).publicKey;
    env = await pkiFixture();
    const anchor = join(env.dir, 'partner-ca.pem');
    await writeFile(anchor, toPem(Buffer.from(partner.cert.rawData)));
    await writeFile(env.config, `directory:\n  harvested:\n    trustAnchors: [${anchor}]\n`, { flag: 'a' });
  }, 120_000);
  afterAll(() => {
    if (env) rmSync(env.dir, { recursive: true, force: true });
  });

  it('imports a 500-certificate PKCS#7 bundle with a progress bar, naming each rejected certificate and its reason', async () => {
    const stranger = await makeCa('Unknown CA');
    const certs: Buffer[] = [Buffer.from(partner.cert.rawData)];
    for (let i = 0; i < 480; i++) certs.push(await leaf(partner, leafKey, `user${i}@partner.example`));
    for (let i = 0; i < 5; i++) certs.push(await leaf(partner, leafKey, `old${i}@partner.example`, { expired: true }));
    for (let i = 0; i < 5; i++) certs.push(await leaf(partner, leafKey, null));
    for (let i = 0; i < 5; i++) certs.push(await leaf(stranger, leafKey, `odd${i}@elsewhere.example`));
    for (let i = 0; i < 3; i++) certs.push(await leaf(partner, leafKey, `mine${i}@hospital.example`));
    for (let i = 0; i < 2; i++) certs.push(await leaf(partner, leafKey, `signonly${i}@partner.example`, { usage: KU.digitalSignature }));
    const pem = join(env.dir, 'all.pem');
    await writeFile(pem, certs.map((c) => toPem(c)).join(''));
    const p7b = join(env.dir, 'partners.p7b');
    expect((await run('openssl', ['crl2pkcs7', '-nocrl', '-certfile', pem, '-outform', 'DER', '-out', p7b])).code).toBe(0);

    const r = await cli('cert', 'import', p7b, '--config', env.config);
    expect(r.code).toBe(0);
    // Progress bar on stderr: redrawn with \r, ends at 100 % with the count.
    expect(r.err).toMatch(/^\rimporting \[[#-]{30}\] +0% 1\/500/);
    expect(r.err).toContain('\rimporting [##############################] 100% 500/500\n');
    expect(r.err.split('\r').length).toBeGreaterThan(50);
    expect(r.out).toMatch(/^imported 480 certificates for 480 addresses; 20 rejected; 1 CA certificates used as chain$/m);
    const rejected = r.out.split('\n').filter((l) => l.startsWith('rejected '));
    expect(rejected).toHaveLength(20);
    expect(rejected.filter((l) => /old\d@partner\.example: expired \d{4}-\d\d-\d\d$/.test(l))).toHaveLength(5);
    expect(rejected.filter((l) => /CN=no address here .*: no e-mail address in the certificate$/.test(l))).toHaveLength(5);
    expect(rejected.filter((l) => /odd\d@elsewhere\.example: untrusted: /.test(l))).toHaveLength(5);
    expect(rejected.filter((l) => /mine\d@hospital\.example is in our own domain/.test(l))).toHaveLength(3);
    expect(rejected.filter((l) => /signonly\d@partner\.example: not for encryption/.test(l))).toHaveLength(2);
    expect(rejected[0]).toMatch(/^rejected partners\.p7b#\d+ /);

    const { store, cfg } = await openFixturePki(env.config);
    try {
      const stored = await new DirectoryStore(store.db).list('user7@partner.example', false);
      expect(stored).toHaveLength(1);
      expect(stored[0]!.der.equals(certs[8]!)).toBe(true);
      expect(stored[0]!.origin).toBe('import partners.p7b');
      const dir = directoryFromConfig(cfg, { store, logger: createLogger('silent') });
      const found = await dir.lookup('user7@partner.example', { fresh: true });
      expect(found.certificate?.source).toBe('local');
      expect(found.certificate?.der.equals(certs[8]!)).toBe(true);
    } finally {
      await store.close();
    }
  }, 120_000);

  it('accepts PEM, DER and PEM PKCS#7 files together; no progress bar for small imports; a non-certificate file is named', async () => {
    const a = await leaf(partner, leafKey, 'ann@partner.example');
    const b = await leaf(partner, leafKey, 'ben@partner.example');
    const c = await leaf(partner, leafKey, 'cat@partner.example');
    await writeFile(join(env.dir, 'ann.pem'), toPem(a));
    await writeFile(join(env.dir, 'ben.cer'), b);
    await writeFile(join(env.dir, 'cat.pem'), toPem(c));
    expect((await run('openssl', ['crl2pkcs7', '-nocrl', '-certfile', join(env.dir, 'cat.pem'), '-out', join(env.dir, 'cat.p7c')])).code).toBe(0);
    await writeFile(join(env.dir, 'notes.txt'), 'hello\n');
    const r = await cli('cert', 'import', join(env.dir, 'ann.pem'), join(env.dir, 'ben.cer'), join(env.dir, 'cat.p7c'), join(env.dir, 'notes.txt'), '--config', env.config);
    expect(r.code).toBe(0);
    expect(r.err).toBe('');
    expect(r.out).toMatch(/^imported 3 certificates for 3 addresses; 1 rejected; 0 CA certificates used as chain$/m);
    expect(r.out).toMatch(/^rejected notes\.txt#1 \(unparsable\) .*: malformed: /m);
    const missing = await cli('cert', 'import', join(env.dir, 'nope.pem'), '--config', env.config);
    expect(missing.code).toBe(1);
    expect(missing.err).toMatch(/nope\.pem: cannot read \(ENOENT\)/);
  });
});
