// Interop with GnuPG gpgsm 2.2.40, both directions (DER CMS; MIME wrapped by the independent
// test/peers/mime-extract.ts). gpgsm 2.2 decrypts RSA PKCS#1 v1.5 + AES-CBC only and cannot import an
// EC key (so no ECDH decryption and no ECDSA signing on its side): those cells are attempted and
// reported n.a. when refused. It does verify RSASSA-PSS and ECDSA signatures, so those are required.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rm } from 'node:fs/promises';
import { smimeDecryptMessage, smimeEncryptMessage, smimeSignMessage, smimeVerifyMessage } from '../../src/smime/index.js';
import { makeTestPki, type TestPki } from '../peers/pki.js';
import { GpgsmPeer } from '../peers/gpgsm.js';
import { InteropMatrix } from '../peers/matrix.js';
import { extractMultipartSigned, extractP7m, wrapMultipartSigned, wrapP7m } from '../peers/mime-extract.js';
import { assertEndsWith, assertHeaderProtected, keyOf, largeMessage, sampleEntity, sampleMessage } from '../peers/fixtures.js';

const CIPHERS = ['aes-128-cbc', 'aes-192-cbc', 'aes-256-cbc', 'aes-128-gcm', 'aes-256-gcm'] as const;
const KTS = ['rsa-pkcs1', 'rsa-oaep', 'rsa-oaep-sha256', 'ecdh-p256'] as const;
const DIGESTS = ['sha256', 'sha384', 'sha512'] as const;
const SCHEMES = ['rsa-pkcs1', 'rsa-pss', 'ecdsa-p256'] as const;
const FORMS = ['detached', 'opaque'] as const;
const GPG_CIPHER = { 'aes-128-cbc': 'AES', 'aes-192-cbc': 'AES192', 'aes-256-cbc': 'AES256' } as const;

let pki: TestPki;
let gpg: GpgsmPeer;
const matrix = new InteropMatrix();

beforeAll(async () => {
  pki = await makeTestPki();
  gpg = await GpgsmPeer.create(pki, ['alice']);
});

afterAll(async () => {
  console.log(`\nInterop matrix: GnuPG gpgsm 2.2.40\n${matrix.render()}\n`);
  await gpg?.close();
  if (pki) await rm(pki.dir, { recursive: true, force: true });
});

describe('gpgsm', () => {
  it('encryption both ways', async () => {
    const msg = sampleMessage('gpgsm-enc');
    const entity = sampleEntity('gpgsm');
    const alice = pki.ids.alice!;
    for (const cipher of CIPHERS) {
      for (const kt of KTS) {
        const supported = kt === 'rsa-pkcs1' && cipher.endsWith('cbc');
        await matrix.cell('gpgsm', 'encrypt', `${cipher} + ${kt}`, 'ours→peer', supported, async () => {
          if (kt === 'ecdh-p256') throw new Error('gpgsm 2.2.40 crashes importing an EC PKCS#12, so it holds no EC key');
          const enc = smimeEncryptMessage(msg, [{ certificate: alice.certDer }], { cipher, keyTransport: kt });
          assertHeaderProtected(await gpg.decrypt(extractP7m(enc)), msg);
        });
        if (kt !== 'rsa-pkcs1' || !cipher.endsWith('cbc')) continue; // gpgsm can only produce these
        await matrix.cell('gpgsm', 'encrypt', `${cipher} + ${kt}`, 'peer→ours', true, async () => {
          const der = await gpg.encrypt(entity, [alice.email], GPG_CIPHER[cipher as keyof typeof GPG_CIPHER]);
          const { message, layer } = smimeDecryptMessage(wrapP7m(der, 'enveloped-data'), { certificate: alice.certDer, privateKey: keyOf(alice) });
          assertEndsWith(message, entity, 'decrypted');
          expect(layer.cipher).toBe(cipher);
        });
      }
    }
  });

  it('a 3 MB message (streamed BER) both ways', async () => {
    const big = largeMessage(3 * 1024 * 1024);
    const alice = pki.ids.alice!;
    await matrix.cell('gpgsm', 'encrypt', '3 MB message, streamed BER (aes-256-cbc + rsa-pkcs1)', 'ours→peer', true, async () => {
      const enc = smimeEncryptMessage(big, [{ certificate: alice.certDer }], { cipher: 'aes-256-cbc' });
      assertHeaderProtected(await gpg.decrypt(extractP7m(enc)), big);
    });
    await matrix.cell('gpgsm', 'encrypt', '3 MB message, streamed BER (aes-256-cbc + rsa-pkcs1)', 'peer→ours', true, async () => {
      const der = await gpg.encrypt(big, [alice.email], 'AES256');
      const { message } = smimeDecryptMessage(wrapP7m(der, 'enveloped-data'), { certificate: alice.certDer, privateKey: keyOf(alice) });
      assertEndsWith(message, big, 'decrypted'); // the entity gpgsm encrypted, after our outer header
    });
  });

  it('signatures both ways', async () => {
    const msg = sampleMessage('gpgsm-sig');
    const entity = sampleEntity('gpgsm');
    for (const digest of DIGESTS) {
      for (const scheme of SCHEMES) {
        for (const form of FORMS) {
          const id = scheme === 'ecdsa-p256' ? pki.ids.bob! : pki.ids.alice!;
          const alg = `${scheme} ${digest} ${form}`;
          await matrix.cell('gpgsm', 'sign', alg, 'ours→peer', true, async () => {
            const signed = smimeSignMessage(msg, { certificate: id.certDer, privateKey: keyOf(id) }, { detached: form === 'detached', digest, rsaPss: scheme === 'rsa-pss' });
            if (form === 'detached') {
              const { content, signature } = extractMultipartSigned(signed);
              const v = await gpg.verify(signature, content);
              if (!v.ok) throw new Error(v.stderr.trim());
              assertHeaderProtected(content, msg);
            } else {
              const v = await gpg.verify(extractP7m(signed));
              if (!v.ok) throw new Error(v.stderr.trim());
              assertHeaderProtected(v.content, msg);
            }
          });
          if (scheme !== 'rsa-pkcs1') continue; // gpgsm here signs with its RSA key (PKCS#1 v1.5) only
          await matrix.cell('gpgsm', 'sign', alg, 'peer→ours', true, async () => {
            const der = await gpg.sign(entity, id.email, { detached: form === 'detached', digest: digest.toUpperCase() as 'SHA256' });
            const m = form === 'detached' ? wrapMultipartSigned(entity, der, `sha-${digest.slice(3)}`) : wrapP7m(der, 'signed-data');
            const v = smimeVerifyMessage(m, { trustAnchors: [pki.caCertDer] });
            if (!v.valid) throw new Error(`not valid: ${v.layer.signers.flatMap((s) => s.failures).join('; ')}`);
            assertEndsWith(v.message, entity, 'verified');
          });
        }
      }
    }
    await matrix.cell('gpgsm', 'sign', 'tampered content must fail', 'ours→peer', true, async () => {
      const signed = smimeSignMessage(msg, { certificate: pki.ids.alice!.certDer, privateKey: keyOf(pki.ids.alice!) });
      const { content, signature } = extractMultipartSigned(signed);
      const bad = Buffer.from(content.toString('latin1').replace('6.1%', '9.1%'), 'latin1');
      if ((await gpg.verify(signature, bad)).ok) throw new Error('gpgsm accepted tampered content');
    });
    await matrix.cell('gpgsm', 'sign', 'tampered content must fail', 'peer→ours', true, async () => {
      const der = await gpg.sign(entity, pki.ids.alice!.email, { detached: true, digest: 'SHA256' });
      const bad = Buffer.from(entity.toString('latin1').replace('0099887', '0099888'), 'latin1');
      if (smimeVerifyMessage(wrapMultipartSigned(bad, der, 'sha-256'), { trustAnchors: [pki.caCertDer] }).valid) throw new Error('accepted');
    });
  });

  it('every supported cell is ok', () => {
    expect(matrix.failures()).toEqual([]);
  });
});
