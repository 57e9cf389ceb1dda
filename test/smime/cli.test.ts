// `sealgate smime encrypt|decrypt|sign|verify` as an operator uses it: files or stdin in, stdout out,
// JSON verification result, exit status, and one clear line naming the file on every failure.
// The built CLI (bin/sealgate.js over dist/; `npm run build` first, as scripts/test.sh does) runs in a
// child process; OpenSSL checks what it writes.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { run, runOk } from '../peers/run.js';
import { makeTestPki, type TestPki } from '../peers/pki.js';
import { sampleMessage } from '../peers/fixtures.js';
import { opensslDecrypt, opensslSign, opensslVerify } from '../peers/openssl.js';

let pki: TestPki;
let work: string;
const root = process.cwd();

beforeAll(async () => {
  pki = await makeTestPki();
  work = pki.dir;
}, 180_000);

afterAll(async () => {
  if (pki) await rm(pki.dir, { recursive: true, force: true });
});

function cli(args: string[], input?: Buffer) {
  return run(process.execPath, [join(root, 'bin', 'sealgate.js'), 'smime', ...args], { input, cwd: root });
}

describe('sealgate smime CLI', () => {
  it('every command has --help', async () => {
    for (const cmd of ['encrypt', 'decrypt', 'sign', 'verify']) {
      const r = await cli([cmd, '--help']);
      expect(r.code).toBe(0);
      expect(r.stdout.toString()).toMatch(new RegExp(`Usage: sealgate smime ${cmd}`));
    }
    expect((await cli(['encrypt', '--help'])).stdout.toString()).toMatch(/--cipher.*\n?.*aes-256-gcm/s);
  });

  it('encrypt (file) → decrypt (stdin) round-trips, and openssl decrypts what encrypt wrote', async () => {
    const msg = sampleMessage('cli');
    const msgPath = join(work, 'msg.eml');
    await writeFile(msgPath, msg);
    const { alice, bob } = pki.ids as Record<string, NonNullable<TestPki['ids'][string]>>;
    const enc = await cli(['encrypt', '--cert', alice.certPath, '--cert', bob.certPath, '--cipher', 'aes-256-gcm', '--key-transport', 'rsa-oaep', msgPath]);
    expect(enc.stderr).toBe('');
    expect(enc.code).toBe(0);
    expect(enc.stdout.toString('latin1')).toMatch(/smime-type=authEnveloped-data/);
    const dec = await cli(['decrypt', '--cert', bob.certPath, '--key', bob.keyPath], enc.stdout);
    expect(dec.code).toBe(0);
    expect(dec.stdout.equals(msg)).toBe(true);
    const viaOpenssl = await opensslDecrypt(enc.stdout, alice.certPath, alice.keyPath);
    expect(viaOpenssl.subarray(viaOpenssl.length - msg.length).equals(msg)).toBe(true);
  });

  it('sign → verify prints a JSON result, exits 0, and --out writes the original message', async () => {
    const msg = sampleMessage('cli-sign');
    const alice = pki.ids.alice!;
    const signed = await cli(['sign', '--cert', alice.certPath, '--key', alice.keyPath, '--chain', pki.caCertPath, '--signature-type', 'domainSig', '--digest', 'sha512'], msg);
    expect(signed.code).toBe(0);
    expect(signed.stdout.toString('latin1')).toMatch(/multipart\/signed; protocol="application\/pkcs7-signature"; micalg=sha-512/);
    const signedPath = join(work, 'signed.eml');
    await writeFile(signedPath, signed.stdout);
    const outPath = join(work, 'inner.eml');
    const v = await cli(['verify', '--trust', pki.caCertPath, '--out', outPath, signedPath]);
    expect(v.code).toBe(0);
    const report = JSON.parse(v.stdout.toString());
    expect(report).toMatchObject({ valid: true, format: 'multipart/signed', micalg: 'sha-512', headerProtected: true });
    expect(report.signers[0]).toMatchObject({ valid: true, emailAddresses: ['alice@example.test'], signatureTypes: ['domainSig'] });
    expect((await readFile(outPath)).equals(msg)).toBe(true);
    expect((await opensslVerify(signed.stdout, pki.caCertPath)).ok).toBe(true);
  });

  it('--opaque signs as signed-data; verify accepts openssl-signed mail', async () => {
    const bob = pki.ids.bob!;
    const msg = sampleMessage('cli-opaque');
    const signed = await cli(['sign', '--opaque', '--cert', bob.certPath, '--key', bob.keyPath], msg);
    expect(signed.code).toBe(0);
    expect(signed.stdout.toString('latin1')).toMatch(/smime-type=signed-data/);
    expect((await cli(['verify', '--trust', pki.caCertPath], signed.stdout)).code).toBe(0);
    const theirs = await opensslSign(Buffer.from('Content-Type: text/plain\r\n\r\nhi\r\n'), bob.certPath, bob.keyPath, { detached: true, digest: 'sha256' });
    const v = await cli(['verify', '--trust', pki.caCertPath], theirs);
    expect(v.code).toBe(0);
    expect(JSON.parse(v.stdout.toString()).valid).toBe(true);
  });

  it('8-bit content is signed opaquely unless --detached is given explicitly', async () => {
    const alice = pki.ids.alice!;
    const eight = Buffer.concat([sampleMessage('8bit').subarray(0, 200), Buffer.from('\r\n\r\nGrüße\r\n', 'utf8')]);
    const dflt = await cli(['sign', '--cert', alice.certPath, '--key', alice.keyPath], eight);
    expect(dflt.stdout.toString('latin1')).toMatch(/smime-type=signed-data/);
    const det = await cli(['sign', '--detached', '--cert', alice.certPath, '--key', alice.keyPath], eight);
    expect(det.stdout.toString('latin1')).toMatch(/multipart\/signed/);
    expect((await cli(['verify', '--trust', pki.caCertPath], det.stdout)).code).toBe(0);
  });

  it('exits 1 with the reason when the signer is not trusted or is revoked by --crl', async () => {
    const { alice, mallory, carol } = pki.ids as Record<string, NonNullable<TestPki['ids'][string]>>;
    const signed = await cli(['sign', '--cert', alice.certPath, '--key', alice.keyPath], sampleMessage('x'));
    const untrusted = await cli(['verify', '--trust', carol.certPath], signed.stdout);
    expect(untrusted.code).toBe(1);
    expect(JSON.parse(untrusted.stdout.toString()).valid).toBe(false);
    expect(untrusted.stderr).toMatch(/^sealgate smime verify: stdin: signature not valid/);
    const byMallory = await cli(['sign', '--cert', mallory.certPath, '--key', mallory.keyPath], sampleMessage('m'));
    expect((await cli(['verify', '--trust', pki.caCertPath], byMallory.stdout)).code).toBe(0);
    const revoked = await cli(['verify', '--trust', pki.caCertPath, '--crl', pki.crlPath], byMallory.stdout);
    expect(revoked.code).toBe(1);
    expect(JSON.stringify(JSON.parse(revoked.stdout.toString()).signers[0].failures)).toMatch(/revoked/i);
  });

  it('failures name the file and the problem, exit non-zero, and never print key material', async () => {
    const alice = pki.ids.alice!;
    const missing = await cli(['encrypt', '--cert', alice.certPath, join(work, 'nope.eml')]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/^sealgate smime encrypt: .*nope\.eml: cannot read \(ENOENT\)\n$/);
    const badCert = await cli(['encrypt', '--cert', alice.keyPath], sampleMessage());
    expect(badCert.code).toBe(1);
    expect(badCert.stderr).toMatch(/alice\.key: no CERTIFICATE/);
    expect(badCert.stderr).not.toMatch(/PRIVATE KEY|MII/);
    const badKey = await cli(['decrypt', '--cert', alice.certPath, '--key', alice.certPath], sampleMessage());
    expect(badKey.code).toBe(1);
    expect(badKey.stderr).toMatch(/alice\.pem: not a usable private key/);
    const plain = await cli(['decrypt', '--cert', alice.certPath, '--key', alice.keyPath], sampleMessage());
    expect(plain.code).toBe(1);
    expect(plain.stderr).toMatch(/not an encrypted S\/MIME message/);
    const wrongKey = await cli(['decrypt', '--cert', pki.ids.carol!.certPath, '--key', pki.ids.carol!.keyPath], (await cli(['encrypt', '--cert', alice.certPath], sampleMessage())).stdout);
    expect(wrongKey.code).toBe(1);
    expect(wrongKey.stdout.length).toBe(0);
    const badCipher = await cli(['encrypt', '--cert', alice.certPath, '--cipher', 'des'], sampleMessage());
    expect(badCipher.code).not.toBe(0);
    expect(badCipher.stderr).toMatch(/--cipher/);
    const noCert = await cli(['sign', '--key', alice.keyPath], sampleMessage());
    expect(noCert.code).not.toBe(0);
    expect(noCert.stderr).toMatch(/--cert/);
  });
});
