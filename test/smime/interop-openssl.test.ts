// Interop with OpenSSL 3.0 `openssl cms`, in S/MIME (MIME) format both ways: every cipher and key
// transport/agreement, every digest and signature scheme, detached and opaque; nested and triple
// wrapped messages; and that a tampered signature fails in both directions.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rm } from 'node:fs/promises';
import {
  smimeDecryptMessage,
  smimeEncryptMessage,
  smimeProtectMessage,
  smimeSignMessage,
  smimeVerifyMessage,
  unwrapSmime,
} from '../../src/smime/index.js';
import { makeTestPki, type TestPki } from '../peers/pki.js';
import { opensslDecrypt, opensslEncrypt, opensslSign, opensslVerify, type PeerCipher } from '../peers/openssl.js';
import { InteropMatrix } from '../peers/matrix.js';
import { assertEndsWith, assertHeaderProtected, keyOf, largeMessage, sampleEntity, sampleMessage } from '../peers/fixtures.js';

const CIPHERS: PeerCipher[] = ['aes-128-cbc', 'aes-192-cbc', 'aes-256-cbc', 'aes-128-gcm', 'aes-256-gcm'];
const KTS = ['rsa-pkcs1', 'rsa-oaep', 'rsa-oaep-sha256', 'ecdh-p256'] as const;
const DIGESTS = ['sha256', 'sha384', 'sha512'] as const;
const SCHEMES = ['rsa-pkcs1', 'rsa-pss', 'ecdsa-p256'] as const;
const FORMS = ['detached', 'opaque'] as const;

let pki: TestPki;
const matrix = new InteropMatrix();

beforeAll(async () => {
  pki = await makeTestPki();
});

afterAll(async () => {
  console.log(`\nInterop matrix: OpenSSL ${'3.0'} (openssl cms, S/MIME format)\n${matrix.render()}\n`);
  if (pki) await rm(pki.dir, { recursive: true, force: true });
});

describe('OpenSSL 3.0 openssl cms (S/MIME format)', () => {
  it('encryption: ours decrypts in openssl, openssl’s decrypts in ours (all ciphers × key transports)', async () => {
    const msg = sampleMessage('openssl-enc');
    const entity = sampleEntity('openssl');
    for (const cipher of CIPHERS) {
      for (const kt of KTS) {
        const id = kt === 'ecdh-p256' ? pki.ids.bob! : pki.ids.alice!;
        const alg = `${cipher} + ${kt}`;
        await matrix.cell('openssl', 'encrypt', alg, 'ours→peer', true, async () => {
          const enc = smimeEncryptMessage(msg, [{ certificate: id.certDer }], {
            cipher,
            keyTransport: kt === 'ecdh-p256' ? undefined : kt,
          });
          assertHeaderProtected(await opensslDecrypt(enc, id.certPath, id.keyPath), msg);
        });
        await matrix.cell('openssl', 'encrypt', alg, 'peer→ours', true, async () => {
          const enc = await opensslEncrypt(entity, [id.certPath], cipher, kt === 'ecdh-p256' ? 'rsa-pkcs1' : kt);
          const { message, layer } = smimeDecryptMessage(enc, { certificate: id.certDer, privateKey: keyOf(id) });
          assertEndsWith(message, entity, 'decrypted message');
          expect(message.toString('latin1')).toMatch(/^Subject: openssl interop\r$/m);
          expect(layer.cipher).toBe(cipher);
        });
      }
    }
    // Header protection made by another agent: openssl encrypts a message/rfc822 wrapper.
    await matrix.cell('openssl', 'encrypt', 'header-protected (message/rfc822) from the peer', 'peer→ours', true, async () => {
      const wrapped = Buffer.concat([Buffer.from('Content-Type: message/rfc822\r\n\r\n'), msg]);
      const enc = await opensslEncrypt(wrapped, [pki.ids.alice!.certPath], 'aes-256-gcm', 'rsa-oaep');
      const d = smimeDecryptMessage(enc, { certificate: pki.ids.alice!.certDer, privateKey: keyOf(pki.ids.alice!) });
      expect(d.layer.headerProtected).toBe(true);
      expect(d.message.equals(msg)).toBe(true);
    });
    // Several recipients of mixed key types in one message, both directions.
    const all = [pki.ids.alice!, pki.ids.bob!, pki.ids.carol!];
    await matrix.cell('openssl', 'encrypt', 'aes-256-gcm, 3 recipients (RSA, EC, RSA)', 'ours→peer', true, async () => {
      const enc = smimeEncryptMessage(msg, all.map((i) => ({ certificate: i.certDer })), { cipher: 'aes-256-gcm' });
      for (const i of all) assertHeaderProtected(await opensslDecrypt(enc, i.certPath, i.keyPath), msg);
    });
    // 3 MB: above MimeLimits.streamEncryptBytes, so ours is streamed indefinite-length BER.
    const big = largeMessage(3 * 1024 * 1024);
    await matrix.cell('openssl', 'encrypt', '3 MB message, streamed BER (aes-256-gcm + ecdh-p256)', 'ours→peer', true, async () => {
      const enc = smimeEncryptMessage(big, [{ certificate: pki.ids.bob!.certDer }], { cipher: 'aes-256-gcm' });
      assertHeaderProtected(await opensslDecrypt(enc, pki.ids.bob!.certPath, pki.ids.bob!.keyPath), big);
    });
    await matrix.cell('openssl', 'encrypt', '3 MB message, streamed BER (aes-256-gcm + ecdh-p256)', 'peer→ours', true, async () => {
      const enc = await opensslEncrypt(big, [pki.ids.bob!.certPath], 'aes-256-gcm', 'rsa-pkcs1');
      assertEndsWith(smimeDecryptMessage(enc, { certificate: pki.ids.bob!.certDer, privateKey: keyOf(pki.ids.bob!) }).message, big.subarray(big.indexOf('Content-Type')), 'decrypted');
    });
    await matrix.cell('openssl', 'encrypt', 'aes-256-gcm, 3 recipients (RSA, EC, RSA)', 'peer→ours', true, async () => {
      const enc = await opensslEncrypt(entity, all.map((i) => i.certPath), 'aes-256-gcm', 'rsa-pkcs1');
      for (const i of all) assertEndsWith(smimeDecryptMessage(enc, { certificate: i.certDer, privateKey: keyOf(i) }).message, entity, i.name);
    });
  });

  it('signatures: ours verify in openssl, openssl’s verify in ours (digests × schemes × detached/opaque)', async () => {
    const msg = sampleMessage('openssl-sig');
    const entity = sampleEntity('openssl');
    for (const digest of DIGESTS) {
      for (const scheme of SCHEMES) {
        for (const form of FORMS) {
          const id = scheme === 'ecdsa-p256' ? pki.ids.bob! : pki.ids.alice!;
          const alg = `${scheme} ${digest} ${form}`;
          await matrix.cell('openssl', 'sign', alg, 'ours→peer', true, async () => {
            const signed = smimeSignMessage(
              msg,
              { certificate: id.certDer, privateKey: keyOf(id), chain: [pki.caCertDer] },
              { detached: form === 'detached', digest, rsaPss: scheme === 'rsa-pss' },
            );
            const v = await opensslVerify(signed, pki.caCertPath);
            if (!v.ok) throw new Error(v.stderr.trim());
            assertHeaderProtected(v.content, msg);
          });
          await matrix.cell('openssl', 'sign', alg, 'peer→ours', true, async () => {
            const signed = await opensslSign(entity, id.certPath, id.keyPath, {
              detached: form === 'detached',
              digest,
              pss: scheme === 'rsa-pss',
              chain: pki.caCertPath,
            });
            const v = smimeVerifyMessage(signed, { trustAnchors: [pki.caCertDer] });
            if (!v.valid) throw new Error(`not valid: ${v.layer.signers.flatMap((s) => s.failures).join('; ')}`);
            assertEndsWith(v.message, entity, 'verified message');
            expect(v.layer.signers[0]!.emailAddresses).toContain(id.email);
          });
        }
      }
    }
  });

  it('a tampered signed message fails in openssl and in ours', async () => {
    const alice = pki.ids.alice!;
    await matrix.cell('openssl', 'sign', 'tampered content must fail', 'ours→peer', true, async () => {
      const signed = smimeSignMessage(sampleMessage('tamper'), { certificate: alice.certDer, privateKey: keyOf(alice) });
      const bad = Buffer.from(signed.toString('latin1').replace('HbA1c 6.1%', 'HbA1c 9.1%'), 'latin1');
      expect(bad.equals(signed)).toBe(false);
      const v = await opensslVerify(bad, pki.caCertPath);
      if (v.ok) throw new Error('openssl accepted a tampered message');
    });
    await matrix.cell('openssl', 'sign', 'tampered content must fail', 'peer→ours', true, async () => {
      const signed = await opensslSign(sampleEntity('tamper'), alice.certPath, alice.keyPath, { detached: true, digest: 'sha256' });
      const bad = Buffer.from(signed.toString('latin1').replace('MRN 0099887', 'MRN 0099888'), 'latin1');
      const v = smimeVerifyMessage(bad, { trustAnchors: [pki.caCertDer] });
      if (v.valid) throw new Error('we accepted a tampered message');
      expect(v.layer.signers[0]!.failures.join('; ')).toMatch(/digest/);
    });
  });

  it('nested: sign-then-encrypt and RFC 3183 triple wrapping open in openssl and in ours', async () => {
    const { alice, bob } = pki.ids as Required<typeof pki.ids>;
    const msg = sampleMessage('nested');
    await matrix.cell('openssl', 'nested', 'sign(originatorSig) → encrypt', 'ours→peer', true, async () => {
      const out = smimeProtectMessage(msg, [
        { sign: { certificate: alice!.certDer, privateKey: keyOf(alice!) }, options: { signatureTypes: ['originatorSig'] } },
        { encrypt: [{ certificate: bob!.certDer }], options: { cipher: 'aes-256-gcm' } },
      ]);
      const inner = await opensslDecrypt(out, bob!.certPath, bob!.keyPath);
      const v = await opensslVerify(inner, pki.caCertPath);
      if (!v.ok) throw new Error(v.stderr.trim());
      assertHeaderProtected(v.content, msg);
    });
    await matrix.cell('openssl', 'nested', 'sign → encrypt → domain sign (triple wrap)', 'ours→peer', true, async () => {
      const out = smimeProtectMessage(msg, [
        { sign: { certificate: alice!.certDer, privateKey: keyOf(alice!) }, options: { signatureTypes: ['originatorSig'] } },
        { encrypt: [{ certificate: bob!.certDer }, { certificate: alice!.certDer }] },
        { sign: { certificate: pki.ids.carol!.certDer, privateKey: keyOf(pki.ids.carol!) }, options: { signatureTypes: ['domainSig'] } },
      ]);
      const outer = await opensslVerify(out, pki.caCertPath);
      if (!outer.ok) throw new Error(`outer: ${outer.stderr.trim()}`);
      const decrypted = await opensslDecrypt(outer.content, bob!.certPath, bob!.keyPath);
      const inner = await opensslVerify(decrypted, pki.caCertPath);
      if (!inner.ok) throw new Error(`inner: ${inner.stderr.trim()}`);
      assertHeaderProtected(inner.content, msg);
    });
    await matrix.cell('openssl', 'nested', 'sign → encrypt → domain sign (triple wrap)', 'peer→ours', true, async () => {
      const entity = sampleEntity('triple');
      const s1 = await opensslSign(entity, alice!.certPath, alice!.keyPath, { detached: true, digest: 'sha256' });
      const e = await opensslEncrypt(stripToEntity(s1), [bob!.certPath], 'aes-256-cbc', 'rsa-pkcs1');
      const s2 = await opensslSign(stripToEntity(e), pki.ids.carol!.certPath, pki.ids.carol!.keyPath, { detached: false, digest: 'sha384' });
      const r = unwrapSmime(s2, { keys: [{ certificate: bob!.certDer, privateKey: keyOf(bob!) }], trustAnchors: [pki.caCertDer] });
      expect(r.layers.map((l) => l.kind)).toEqual(['signed', 'encrypted', 'signed']);
      expect(r.signaturesValid).toBe(true);
      assertEndsWith(r.message, entity, 'innermost message');
    });
  });

  it('every supported cell is ok', () => {
    expect(matrix.failures()).toEqual([]);
    expect(matrix.cells.length).toBeGreaterThan(80);
  });
});

/** openssl output is a message with MIME headers; feed only the MIME entity to the next layer. */
function stripToEntity(m: Buffer): Buffer {
  const text = m.toString('latin1').replace(/\r?\n/g, '\r\n');
  return Buffer.from(text.replace(/^MIME-Version:[^\r]*\r\n/im, ''), 'latin1');
}
