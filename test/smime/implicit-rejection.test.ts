// RSA PKCS#1 v1.5 decryption with implicit rejection: known answers from OpenSSL 3.2's own test
// vectors, agreement with the local `openssl pkeyutl` on valid padding, determinism of the synthetic
// message, and the CMS-level guarantee that bad padding and a wrong key look the same.
import { execFileSync } from 'node:child_process';
import { createPrivateKey, createPublicKey, generateKeyPairSync, publicEncrypt, constants, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rsaPkcs1v15DecryptImplicit, selectKeyOfLength, timeImplicitDecrypt } from '../../src/smime/rsa-pkcs1-implicit.js';
import { decryptEnveloped, encryptEnveloped } from '../../src/smime/enveloped.js';
import { loadPrivateKey } from '../../src/smime/keys.js';
import { SmimeError } from '../../src/smime/errors.js';

// Known-answer vectors published by the OpenSSL project for its implicit-rejection implementation
// (test/recipes/30-test_evp_data/evppkey_rsa_common.txt, "Test vectors for the Bleichenbacher
// workaround (2049 bit key size)", Apache-2.0). A 2049-bit modulus makes k = 257 and exercises the
// odd-length and leading-zero cases.
const RSA_2049 = `-----BEGIN RSA PRIVATE KEY-----
MIIEpQIBAAKCAQEBVfiJVWoXdfHHp3hqULGLwoyemG7eVmfKs5uEEk6Q66dcHbCD
rD5EO7qU3CNWD3XjqBaToqQ73HQm2MTq/mjIXeD+dX9uSbue1EfmAkMIANuwTOsi
5/pXoY0zj7ZgJs20Z+cMwEDn02fvQDx78ePfYkZQCUYx8h6v0vtbyRX/BDeazRES
9zLAtGYHwXjTiiD1LtpQny+cBAXVEGnoDM+UFVTQRwRnUFw89UHqCJffyfQAzssp
j/x1M3LZ9pM68XTMQO2W1GcDFzO5f4zd0/krw6A+qFdsQX8kAHteT3UBEFtUTen6
3N/635jftLsFuBmfP4Ws/ZH3qaCUuaOD9QSQlwIDAQABAoIBAQEZwrP1CnrWFSZ5
1/9RCVisLYym8AKFkvMy1VoWc2F4qOZ/F+cFzjAOPodUclEAYBP5dNCj20nvNEyl
omo0wEUHBNDkIuDOI6aUJcFf77bybhBu7/ZMyLnXRC5NpOjIUAjq6zZYWaIpT6OT
e8Jr5WMy59geLBYO9jXMUoqnvlXmM6cj28Hha6KeUrKa7y+eVlT9wGZrsPwlSsvo
DmOHTw9fAgeC48nc/CUg0MnEp7Y05FA/u0k+Gq/us/iL16EzmHJdrm/jmed1zV1M
8J/IODR8TJjasaSIPM5iBRNhWvqhCmM2jm17ed9BZqsWJznvUVpEAu4eBgHFpVvH
HfDjDt+BAoGBAYj2k2DwHhjZot4pUlPSUsMeRHbOpf97+EE99/3jVlI83JdoBfhP
wN3sdw3wbO0GXIETSHVLNGrxaXVod/07PVaGgsh4fQsxTvasZ9ZegTM5i2Kgg8D4
dlxa1A1agfm73OJSftfpUAjLECnLTKvR+em+38KGyWVSJV2n6rGSF473AoGBAN7H
zxHa3oOkxD0vgBl/If1dRv1XtDH0T+gaHeN/agkf/ARk7ZcdyFCINa3mzF9Wbzll
YTqLNnmMkubiP1LvkH6VZ+NBvrxTNxiWJfu+qx87ez+S/7JoHm71p4SowtePfC2J
qqok0s7b0GaBz+ZcNse/o8W6E1FiIi71wukUyYNhAoGAEgk/OnPK7dkPYKME5FQC
+HGrMsjJVbCa9GOjvkNw8tVYSpq7q2n9sDHqRPmEBl0EYehAqyGIhmAONxVUbIsL
ha0m04y0MI9S0H+ZRH2R8IfzndNAONsuk46XrQU6cfvtZ3Xh3IcY5U5sr35lRn2c
ut3H52XIWJ4smN/cJcpOyoECgYEAjM5hNHnPlgj392wkXPkbtJXWHp3mSISQVLTd
G0MW8/mBQg3AlXi/eRb+RpHPrppk5jQLhgMjRSPyXXe2amb8PuWTqfGN6l32PtX3
3+udILpppb71Wf+w7JTbcl9v9uq7o9SVR8DKdPA+AeweSQ0TmqCnlHuNZizOSjwP
G16GF0ECgYEA+ZWbNMS8qM5IiHgbMbHptdit9dDT4+1UXoNn0/hUW6ZEMriHMDXv
iBwrzeANGAn5LEDYeDe1xPms9Is2uNxTpZVhpFZSNALR6Po68wDlTJG2PmzuBv5t
5mbzkpWCoD4fRU53ifsHgaTW+7Um74gWIf0erNIUZuTN2YrtEPTnb3k=
-----END RSA PRIVATE KEY-----`;

const KAT_2049: { name: string; input: string; output: string }[] = [
  {
    name: 'malformed, synthetic length from the 3rd-last PRF value',
    input: '00b26f6404b82649629f2704494282443776929122e279a9cf30b0c6fe8122a0a9042870d97cc8ef65490fe58f031eb2442352191f5fbc311026b5147d32df914599f38b825ebb824af0d63f2d541a245c5775d1c4b78630e4996cc5fe413d38455a776cf4edcc0aa7fccb31c584d60502ed2b77398f536e137ff7ba6430e9258e21c2db5b82f5380f566876110ac4c759178900fbad7ab70ea07b1daf7a1639cbb4196543a6cbe8271f35dddb8120304f6eef83059e1c5c5678710f904a6d760c4d1d8ad076be17904b9e69910040b47914a0176fb7eea0c06444a6c4b86d674d19a556a1de5490373cb01ce31bbd15a5633362d3d2cd7d4af1b4c5121288b894',
    output: '42',
  },
  {
    name: 'valid padding',
    input: '013300edbf0bb3571e59889f7ed76970bf6d57e1c89bbb6d1c3991d9df8e65ed54b556d928da7d768facb395bbcc81e9f8573b45cf8195dbd85d83a59281cddf4163aec11b53b4140053e3bd109f787a7c3cec31d535af1f50e0598d85d96d91ea01913d07097d25af99c67464ebf2bb396fb28a9233e56f31f7e105d71a23e9ef3b736d1e80e713d1691713df97334779552fc94b40dd733c7251bc522b673d3ec9354af3dd4ad44fa71c0662213a57ada1d75149697d0eb55c053aaed5ffd0b815832f454179519d3736fb4faf808416071db0d0f801aca8548311ee708c131f4be658b15f6b54256872c2903ac708bd43b017b073b5707bc84c2cd9da70e967',
    output: Buffer.from('lorem ipsum').toString('hex'),
  },
  {
    name: 'valid padding, ciphertext with leading zeros truncated',
    input: 'f36da3b72d8ff6ded74e7efd08c01908f3f5f0de7b55eab92b5f875190809c39d4162e1e6649618f854fd84aeab03970d16bb814e999852c06de38d82b95c0f32e2a7b5714021fe303389be9c0eac24c90a6b7210f929d390fabf903d44e04110bb7a7fd6c383c275804721efa6d7c93aa64c0bb2b18d97c5220a846c66a4895ae52adddbe2a9996825e013585adcec4b32ba61d782737bd343e5fabd68e8a95b8b1340318559860792dd70dffbe05a1052b54cbfb48cfa7bb3c19cea52076bddac5c25ee276f153a610f6d06ed696d192d8ae4507ffae4e5bdda10a625d6b67f32f7cffcd48dee2431fe66f6105f9d17e611cdcc674868e81692a360f4052',
    output: Buffer.from('lorem ipsum').toString('hex'),
  },
  {
    name: 'random invalid ciphertext, 11-byte synthetic message',
    input: '00f910200830fc8fff478e99e145f1474b312e2512d0f90b8cef77f8001d09861688c156d1cbaf8a8957f7ebf35f724466952d0524cad48aad4fba1e45ce8ea27e8f3ba44131b7831b62d60c0762661f4c1d1a88cd06263a259abf1ba9e6b0b172069afb86a7e88387726f8ab3adb30bfd6b3f6be6d85d5dfd044e7ef052395474a9cbb1c3667a92780b43a22693015af6c513041bdaf87d43b24ddd244e791eeaea1066e1f4917117b3a468e22e0f7358852bb981248de4d720add2d15dccba6280355935b67c96f9dcb6c419cc38ab9f6fba2d649ef2066e0c34c9f788ae49babd9025fa85b21113e56ce4f43aa134c512b030dd7ac7ce82e76f0be9ce09ebca',
    output: '1189b6f5498fd6df532b00',
  },
  {
    name: 'wrong first byte (01 instead of 00)',
    input: '002c9ddc36ba4cf0038692b2d3a1c61a4bb3786a97ce2e46a3ba74d03158aeef456ce0f4db04dda3fe062268a1711250a18c69778a6280d88e133a16254e1f0e30ce8dac9b57d2e39a2f7d7be3ee4e08aec2fdbe8dadad7fdbf442a29a8fb40857407bf6be35596b8eefb5c2b3f58b894452c2dc54a6123a1a38d642e23751746597e08d71ac92704adc17803b19e131b4d1927881f43b0200e6f95658f559f912c889b4cd51862784364896cd6e8618f485a992f82997ad6a0917e32ae5872eaf850092b2d6c782ad35f487b79682333c1750c685d7d32ab3e1538f31dcaa5e7d5d2825875242c83947308dcf63ba4bfff20334c9c140c837dbdbae7a8dee72ff',
    output: 'f6d0f5b78082fe61c04674',
  },
  {
    name: 'wrong second byte (01 instead of 02)',
    input: '00c5d77826c1ab7a34d6390f9d342d5dbe848942e2618287952ba0350d7de6726112e9cebc391a0fae1839e2bf168229e3e0d71d4161801509f1f28f6e1487ca52df05c466b6b0a6fbbe57a3268a970610ec0beac39ec0fa67babce1ef2a86bf77466dc127d7d0d2962c20e66593126f276863cd38dc6351428f884c1384f67cad0a0ffdbc2af16711fb68dc559b96b37b4f04cd133ffc7d79c43c42ca4948fa895b9daeb853150c8a5169849b730cc77d68b0217d6c0e3dbf38d751a1998186633418367e7576530566c23d6d4e0da9b038d0bb5169ce40133ea076472d055001f0135645940fd08ea44269af2604c8b1ba225053d6db9ab43577689401bdc0f3',
    output: '1ab287fcef3ff17067914d',
  },
];

describe('RSA PKCS#1 v1.5 implicit rejection: OpenSSL 3.2 known answers', () => {
  const key = createPrivateKey(RSA_2049);
  for (const v of KAT_2049) {
    it(v.name, () => {
      const out = rsaPkcs1v15DecryptImplicit(key, Buffer.from(v.input, 'hex'));
      expect(out.toString('hex')).toBe(v.output);
    });
  }
});

describe('RSA PKCS#1 v1.5 implicit rejection against the local openssl', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'sealgate-ir-'));
    execFileSync('openssl', ['genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048', '-out', join(dir, 'k.pem')], { stdio: 'pipe' });
    execFileSync('openssl', ['genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048', '-out', join(dir, 'k2.pem')], { stdio: 'pipe' });
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('returns what `openssl pkeyutl -decrypt` returns for valid padding (several lengths)', () => {
    const key = loadPrivateKey(readFileSync(join(dir, 'k.pem')));
    for (const len of [0, 1, 16, 32, 100, 245]) {
      const msg = randomBytes(len);
      writeFileSync(join(dir, 'm.bin'), msg);
      // Encrypt with the peer (openssl), decrypt with both.
      execFileSync('openssl', ['pkeyutl', '-encrypt', '-inkey', join(dir, 'k.pem'), '-in', join(dir, 'm.bin'), '-out', join(dir, 'c.bin')]);
      const ct = readFileSync(join(dir, 'c.bin'));
      const theirs = execFileSync('openssl', ['pkeyutl', '-decrypt', '-inkey', join(dir, 'k.pem'), '-in', join(dir, 'c.bin')]);
      const ours = rsaPkcs1v15DecryptImplicit(key, ct);
      expect(ours.equals(theirs)).toBe(true);
      expect(ours.equals(msg)).toBe(true);
    }
  });

  it('returns a deterministic pseudo-random message for invalid padding, different per key', () => {
    const key = loadPrivateKey(readFileSync(join(dir, 'k.pem')));
    const key2 = loadPrivateKey(readFileSync(join(dir, 'k2.pem')));
    const msg = randomBytes(32);
    // Raw RSA of a block with a wrong type byte (00 01 ...) via textbook encryption.
    const pub = createPublicKey(key);
    const block = Buffer.alloc(256, 0xff);
    block[0] = 0;
    block[1] = 1;
    block[256 - 33] = 0;
    msg.copy(block, 256 - 32);
    const bad = publicEncrypt({ key: pub, padding: constants.RSA_NO_PADDING }, block);
    // openssl 3.0 (no implicit rejection) reports the padding error...
    writeFileSync(join(dir, 'bad.bin'), bad);
    expect(() => execFileSync('openssl', ['pkeyutl', '-decrypt', '-inkey', join(dir, 'k.pem'), '-in', join(dir, 'bad.bin')], { stdio: 'pipe' })).toThrow();
    // ...we return a synthetic message instead: stable for the same input, unrelated to the plaintext.
    const a = rsaPkcs1v15DecryptImplicit(key, bad);
    const b = rsaPkcs1v15DecryptImplicit(key, bad);
    expect(a.equals(b)).toBe(true);
    expect(a.equals(msg)).toBe(false);
    expect(a.length).toBeLessThanOrEqual(256 - 11);
    // The same ciphertext under another key gives a different synthetic message (or is publicly invalid).
    let c: Buffer | undefined;
    try {
      c = rsaPkcs1v15DecryptImplicit(key2, bad);
    } catch (e) {
      expect((e as SmimeError).code).toBe('decrypt-failed');
    }
    if (c) expect(c.equals(a)).toBe(false);
    // Flipping one ciphertext bit gives another, unrelated synthetic message.
    const bad2 = Buffer.from(bad);
    bad2[100]! ^= 1;
    expect(rsaPkcs1v15DecryptImplicit(key, bad2).equals(a)).toBe(false);
  });

  it('exposes a timing probe for the benchmark', () => {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const good = publicEncrypt({ key: publicKey, padding: constants.RSA_PKCS1_PADDING }, randomBytes(32));
    const r = timeImplicitDecrypt(privateKey, [[good], [randomBytes(256).fill(0, 0, 1)]], 5);
    expect(r.medianNs).toHaveLength(2);
    expect(r.medianNs.every((n) => n > 0)).toBe(true);
  });
});

describe('content-key length check', () => {
  it('selects the key only when its length is right, else the fallback, reading both in full', () => {
    const fb = Buffer.alloc(32, 7);
    const k = randomBytes(32);
    expect(selectKeyOfLength(k, 32, fb).equals(k)).toBe(true);
    expect(selectKeyOfLength(k.subarray(0, 31), 32, fb).equals(fb)).toBe(true);
    expect(selectKeyOfLength(randomBytes(33), 32, fb).equals(fb)).toBe(true);
    expect(selectKeyOfLength(Buffer.alloc(0), 32, fb).equals(fb)).toBe(true);
  });
});

describe('CMS: bad padding and a wrong key are indistinguishable', () => {
  let dir: string;
  let cert: Buffer;
  let key: ReturnType<typeof loadPrivateKey>;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'sealgate-ir2-'));
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=bob', '-days', '2',
      '-keyout', join(dir, 'k.pem'), '-out', join(dir, 'c.pem')], { stdio: 'pipe' });
    cert = readFileSync(join(dir, 'c.pem'));
    key = loadPrivateKey(readFileSync(join(dir, 'k.pem')));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** Replaces the (single) RSA encryptedKey in an EnvelopedData with `replacement`. */
  function swapEncryptedKey(der: Buffer, replacement: Buffer): Buffer {
    const orig = findEncryptedKey(der);
    const out = Buffer.from(der);
    replacement.copy(out, orig.offset);
    return out;
  }
  function findEncryptedKey(der: Buffer): { offset: number } {
    // The 256-byte encryptedKey is the only OCTET STRING with the header 04 82 01 00.
    const i = der.indexOf(Buffer.from([0x04, 0x82, 0x01, 0x00]));
    expect(i).toBeGreaterThan(0);
    return { offset: i + 4 };
  }
  function errorOf(fn: () => unknown): { code: string; message: string } | 'returned' {
    try {
      fn();
      return 'returned';
    } catch (e) {
      expect(e).toBeInstanceOf(SmimeError);
      return { code: (e as SmimeError).code, message: (e as SmimeError).message };
    }
  }

  it('AES-GCM: corrupted padding, a wrong key and a wrong-length key give the same SmimeError', () => {
    const content = Buffer.from('Patient: J. Doe, MRN 12345\r\n');
    const der = encryptEnveloped(content, [{ certificate: cert }], { cipher: 'aes-256-gcm' });
    expect(decryptEnveloped(der, { certificate: cert, privateKey: key }).equals(content)).toBe(true);
    const pub = createPublicKey(key);
    // (1) corrupted padding: valid RSA value whose plaintext has type byte 01
    const block1 = Buffer.alloc(256, 0xab);
    block1[0] = 0; block1[1] = 1; block1[256 - 33] = 0;
    const badPadding = publicEncrypt({ key: pub, padding: constants.RSA_NO_PADDING }, block1);
    // (2) wrong key: a well-padded 32-byte key that is not the content key
    const wrongKey = publicEncrypt({ key: pub, padding: constants.RSA_PKCS1_PADDING }, randomBytes(32));
    // (3) well-padded but wrong length for AES-256
    const wrongLen = publicEncrypt({ key: pub, padding: constants.RSA_PKCS1_PADDING }, randomBytes(16));
    const e1 = errorOf(() => decryptEnveloped(swapEncryptedKey(der, badPadding), { certificate: cert, privateKey: key }));
    const e2 = errorOf(() => decryptEnveloped(swapEncryptedKey(der, wrongKey), { certificate: cert, privateKey: key }));
    const e3 = errorOf(() => decryptEnveloped(swapEncryptedKey(der, wrongLen), { certificate: cert, privateKey: key }));
    expect(e1).toEqual({ code: 'decrypt-failed', message: expect.any(String) });
    expect(e2).toEqual(e1);
    expect(e3).toEqual(e1);
  });

  it('AES-CBC: bad padding never yields the content and never a different error than a wrong key', () => {
    const content = Buffer.from('Lab result attached.\r\n');
    const pub = createPublicKey(key);
    let wrongKeyError: unknown;
    for (let n = 0; n < 4; n++) {
      const der = encryptEnveloped(content, [{ certificate: cert }], { cipher: 'aes-256-cbc' });
      const block = randomBytes(256);
      block[0] = 0; block[1] = 3; // invalid type byte
      const badPadding = publicEncrypt({ key: pub, padding: constants.RSA_NO_PADDING }, block);
      const wrongKey = publicEncrypt({ key: pub, padding: constants.RSA_PKCS1_PADDING }, randomBytes(32));
      for (const ek of [badPadding, wrongKey]) {
        // CBC has no integrity check: about 1 in 256 wrong keys yields garbage with valid padding.
        // Either way the plaintext must never be the original, and errors must be the same one.
        let got: Buffer | undefined;
        const e = errorOf(() => (got = decryptEnveloped(swapEncryptedKey(der, ek), { certificate: cert, privateKey: key })));
        if (e === 'returned') expect(got!.equals(content)).toBe(false);
        else {
          wrongKeyError ??= e;
          expect(e).toEqual(wrongKeyError);
        }
      }
    }
    expect(wrongKeyError).toMatchObject({ code: 'decrypt-failed' });
  });
});
