// Encrypted mail against the real peer OpenSSL (`openssl cms`), both directions, every algorithm:
// what we encrypt, openssl decrypts; what openssl encrypts (DER and -stream BER), we decrypt.
// Keys and certificates are made by the openssl CLI at test time (RSA-2048, P-256).
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  decryptEnveloped,
  encryptEnveloped,
  listRecipients,
  type ContentCipher,
  type KeyTransport,
} from '../../src/smime/enveloped.js';
import { loadPrivateKey, pemToDer } from '../../src/smime/keys.js';
import { SmimeError } from '../../src/smime/errors.js';

let dir: string;
const p = (f: string) => join(dir, f);
function openssl(args: string[], input?: Buffer): Buffer {
  return execFileSync('openssl', args, { input, stdio: ['pipe', 'pipe', 'pipe'], maxBuffer: 64 * 1024 * 1024 });
}
function makeCert(name: string, keyAlg: 'rsa' | 'ec'): void {
  const newkey = keyAlg === 'rsa' ? ['-newkey', 'rsa:2048'] : ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1'];
  openssl(['req', '-x509', ...newkey, '-nodes', '-subj', `/CN=${name}/O=Sealgate Test`, '-days', '2',
    '-keyout', p(`${name}.key`), '-out', p(`${name}.crt`)]);
}
const certDer = (name: string) => pemToDer(readFileSync(p(`${name}.crt`)), ['CERTIFICATE']);
const keyOf = (name: string) => loadPrivateKey(readFileSync(p(`${name}.key`)));

const CIPHERS: ContentCipher[] = ['aes-128-cbc', 'aes-192-cbc', 'aes-256-cbc', 'aes-128-gcm', 'aes-256-gcm'];
const TRANSPORTS: KeyTransport[] = ['rsa-pkcs1', 'rsa-oaep', 'rsa-oaep-sha256'];
const CONTENT = Buffer.concat([
  Buffer.from('Content-Type: text/plain\r\n\r\nDischarge summary for patient 0042.\r\n'),
  randomBytes(3000),
]);

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'sealgate-cms-'));
  makeCert('rsa', 'rsa');
  makeCert('rsa2', 'rsa');
  makeCert('ec', 'ec');
  writeFileSync(p('content.bin'), CONTENT);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function opensslDecrypt(der: Buffer, name: string): Buffer {
  writeFileSync(p('in.der'), der);
  return openssl(['cms', '-decrypt', '-binary', '-inform', 'DER', '-in', p('in.der'), '-recip', p(`${name}.crt`), '-inkey', p(`${name}.key`)]);
}

describe('we encrypt, openssl cms -decrypt reads it', () => {
  for (const cipher of CIPHERS) {
    for (const kt of TRANSPORTS) {
      it(`${cipher} to an RSA recipient with ${kt}`, () => {
        const der = encryptEnveloped(CONTENT, [{ certificate: certDer('rsa') }], { cipher, keyTransport: kt });
        expect(opensslDecrypt(der, 'rsa').equals(CONTENT)).toBe(true);
      });
    }
    it(`${cipher} to a P-256 recipient (ECDH ephemeral-static, AES key wrap)`, () => {
      const der = encryptEnveloped(CONTENT, [{ certificate: certDer('ec') }], { cipher });
      expect(opensslDecrypt(der, 'ec').equals(CONTENT)).toBe(true);
    });
  }

  it('recipients identified by subjectKeyIdentifier (RSA and EC)', () => {
    const der = encryptEnveloped(CONTENT, [
      { certificate: certDer('rsa'), useSki: true },
      { certificate: certDer('ec'), useSki: true },
    ], { cipher: 'aes-256-gcm' });
    expect(opensslDecrypt(der, 'rsa').equals(CONTENT)).toBe(true);
    expect(opensslDecrypt(der, 'ec').equals(CONTENT)).toBe(true);
    expect(listRecipients(der).map((r) => [r.type, Boolean(r.ski)])).toEqual([['ktri', true], ['kari', true]]);
  });

  it('several recipients of mixed types in one message', () => {
    const der = encryptEnveloped(CONTENT, [
      { certificate: certDer('rsa') },
      { certificate: certDer('rsa2'), keyTransport: 'rsa-oaep-sha256' },
      { certificate: certDer('ec') },
    ], { cipher: 'aes-128-cbc' });
    for (const n of ['rsa', 'rsa2', 'ec']) expect(opensslDecrypt(der, n).equals(CONTENT)).toBe(true);
    const ids = listRecipients(der);
    expect(ids.map((r) => r.type)).toEqual(['ktri', 'ktri', 'kari']);
    expect(ids[0]!.issuer).toBe('O=Sealgate Test,CN=rsa');
    expect(ids[1]!.algorithm).toBe('rsaesOaep(sha256)');
    expect(ids[2]!.keyEncryptionAlgorithm).toBe('1.3.132.1.11.1');
  });

  it('writes the RSAES-OAEP SHA-256 parameters openssl reports as OAEP/SHA-256/MGF1-SHA-256', () => {
    const der = encryptEnveloped(CONTENT, [{ certificate: certDer('rsa'), keyTransport: 'rsa-oaep-sha256' }]);
    writeFileSync(p('oaep.der'), der);
    const text = openssl(['cms', '-cmsout', '-print', '-inform', 'DER', '-in', p('oaep.der')]).toString();
    expect(text).toMatch(/algorithm: rsaesOaep/);
    expect(text).toMatch(/sha256/);
    expect(text).toMatch(/mgf1/);
  });
});

interface PeerCase {
  name: string;
  recip: string;
  args: string[];
}
const PEER_CIPHER_FLAGS: Record<ContentCipher | 'des3', string> = {
  'aes-128-cbc': '-aes-128-cbc', 'aes-192-cbc': '-aes-192-cbc', 'aes-256-cbc': '-aes-256-cbc',
  'aes-128-gcm': '-aes-128-gcm', 'aes-256-gcm': '-aes-256-gcm', des3: '-des3',
};
const peerCases: PeerCase[] = [];
for (const [cipher, flag] of Object.entries(PEER_CIPHER_FLAGS)) {
  peerCases.push({ name: `${cipher}, RSA PKCS#1 v1.5 (openssl default)`, recip: 'rsa', args: [flag] });
  peerCases.push({ name: `${cipher}, RSA-OAEP SHA-1`, recip: 'rsa', args: [flag, '-keyopt', 'rsa_padding_mode:oaep'] });
  peerCases.push({ name: `${cipher}, RSA-OAEP SHA-256`, recip: 'rsa', args: [flag, '-keyopt', 'rsa_padding_mode:oaep', '-keyopt', 'rsa_oaep_md:sha256'] });
  if (cipher !== 'des3') {
    peerCases.push({ name: `${cipher}, ECDH P-256 (openssl default KDF SHA-1)`, recip: 'ec', args: [flag] });
    peerCases.push({ name: `${cipher}, ECDH P-256 KDF SHA-256`, recip: 'ec', args: [flag, '-keyopt', 'ecdh_kdf_md:sha256'] });
  }
}

describe('openssl cms -encrypt produces it, we decrypt', () => {
  for (const c of peerCases) {
    for (const stream of [false, true]) {
      it(`${c.name}${stream ? ', -stream (indefinite-length BER)' : ''}`, () => {
        const out = openssl(['cms', '-encrypt', '-binary', '-outform', 'DER', '-in', p('content.bin'),
          ...(stream ? ['-stream'] : []), ...c.args.slice(0, 1), '-recip', p(`${c.recip}.crt`), ...c.args.slice(1)]);
        if (stream) expect(out.subarray(0, 2).equals(Buffer.from([0x30, 0x80]))).toBe(true);
        const plain = decryptEnveloped(out, { certificate: certDer(c.recip), privateKey: keyOf(c.recip) });
        expect(plain.equals(CONTENT)).toBe(true);
      });
    }
  }

  it('recipient identified by SKI (-keyid), two recipients, no certificate given (try each)', () => {
    const out = openssl(['cms', '-encrypt', '-binary', '-outform', 'DER', '-in', p('content.bin'), '-aes-256-gcm', '-keyid',
      '-recip', p('rsa2.crt'), '-recip', p('rsa.crt'), '-recip', p('ec.crt')]);
    expect(decryptEnveloped(out, { certificate: certDer('rsa'), privateKey: keyOf('rsa') }).equals(CONTENT)).toBe(true);
    expect(decryptEnveloped(out, { certificate: certDer('ec'), privateKey: keyOf('ec') }).equals(CONTENT)).toBe(true);
    expect(decryptEnveloped(out, { privateKey: keyOf('rsa') }).equals(CONTENT)).toBe(true);
    expect(decryptEnveloped(out, { privateKey: keyOf('ec') }).equals(CONTENT)).toBe(true);
  });
});

describe('recipient selection', () => {
  it('proxy certificates: a certificate that is not in the message but shares the key still decrypts', () => {
    // A second certificate for the same domain key, as the gateway issues per internal address.
    openssl(['req', '-x509', '-new', '-key', p('rsa.key'), '-subj', '/CN=proxy2/O=Sealgate Test', '-days', '2', '-out', p('proxy2.crt')]);
    const der = encryptEnveloped(CONTENT, [{ certificate: certDer('rsa2') }, { certificate: certDer('proxy2') }]);
    expect(decryptEnveloped(der, { certificate: certDer('rsa'), privateKey: keyOf('rsa') }).equals(CONTENT)).toBe(true);
  });

  it('an EC key for a message with only RSA recipients: no-recipient', () => {
    const der = encryptEnveloped(CONTENT, [{ certificate: certDer('rsa') }]);
    expect(() => decryptEnveloped(der, { privateKey: keyOf('ec') })).toThrow(expect.objectContaining({ code: 'no-recipient' }));
  });

  it('the wrong RSA key: decrypt-failed, not a crash and not the content', () => {
    const der = encryptEnveloped(CONTENT, [{ certificate: certDer('rsa') }], { cipher: 'aes-128-gcm' });
    let err: unknown;
    try {
      decryptEnveloped(der, { certificate: certDer('rsa2'), privateKey: keyOf('rsa2') });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(SmimeError);
    expect((err as SmimeError).code).toBe('decrypt-failed');
  });
});
