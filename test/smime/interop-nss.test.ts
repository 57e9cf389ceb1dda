// Interop with NSS 3.87 (Thunderbird's library) through `cmsutil`, both directions. cmsutil speaks DER
// CMS, so MIME is wrapped/unwrapped by the independent test/peers/mime-extract.ts. NSS 3.87 has no
// RSA-OAEP, ECDH or AuthEnvelopedData: those cells are attempted and reported n.a. when refused.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rm } from 'node:fs/promises';
import { smimeDecryptMessage, smimeEncryptMessage, smimeSignMessage, smimeVerifyMessage } from '../../src/smime/index.js';
import { makeTestPki, type TestPki } from '../peers/pki.js';
import { NssPeer } from '../peers/nss.js';
import { InteropMatrix } from '../peers/matrix.js';
import { extractMultipartSigned, extractP7m, wrapMultipartSigned, wrapP7m } from '../peers/mime-extract.js';
import { assertEndsWith, assertHeaderProtected, keyOf, largeMessage, sampleEntity, sampleMessage } from '../peers/fixtures.js';

const CIPHERS = ['aes-128-cbc', 'aes-192-cbc', 'aes-256-cbc', 'aes-128-gcm', 'aes-256-gcm'] as const;
const KTS = ['rsa-pkcs1', 'rsa-oaep', 'rsa-oaep-sha256', 'ecdh-p256'] as const;
const DIGESTS = ['sha256', 'sha384', 'sha512'] as const;
const SCHEMES = ['rsa-pkcs1', 'rsa-pss', 'ecdsa-p256'] as const;
const FORMS = ['detached', 'opaque'] as const;

let pki: TestPki;
let nss: NssPeer;
const matrix = new InteropMatrix();

beforeAll(async () => {
  pki = await makeTestPki();
  nss = await NssPeer.create(pki, ['alice', 'bob', 'carol']);
});

afterAll(async () => {
  console.log(`\nInterop matrix: NSS 3.87 cmsutil\n${matrix.render()}\n`);
  await nss?.close();
  if (pki) await rm(pki.dir, { recursive: true, force: true });
});

describe('NSS cmsutil', () => {
  it('encryption both ways', async () => {
    const msg = sampleMessage('nss-enc');
    for (const cipher of CIPHERS) {
      for (const kt of KTS) {
        const id = kt === 'ecdh-p256' ? pki.ids.bob! : pki.ids.alice!;
        const supported = kt === 'rsa-pkcs1' && cipher.endsWith('cbc');
        await matrix.cell('nss', 'encrypt', `${cipher} + ${kt}`, 'ours→peer', supported, async () => {
          const enc = smimeEncryptMessage(msg, [{ certificate: id.certDer }], { cipher, keyTransport: kt === 'ecdh-p256' ? undefined : kt });
          assertHeaderProtected(await nss.decrypt(extractP7m(enc)), msg);
        });
      }
    }
    const big = largeMessage(3 * 1024 * 1024);
    await matrix.cell('nss', 'encrypt', '3 MB message, streamed BER (aes-256-cbc + rsa-pkcs1)', 'ours→peer', true, async () => {
      const enc = smimeEncryptMessage(big, [{ certificate: pki.ids.alice!.certDer }], { cipher: 'aes-256-cbc' });
      assertHeaderProtected(await nss.decrypt(extractP7m(enc)), big);
    });
    // cmsutil has no cipher option: with no recorded capabilities it always picks AES-128-CBC + RSA PKCS#1 v1.5.
    const entity = sampleEntity('nss');
    await matrix.cell('nss', 'encrypt', 'aes-128-cbc + rsa-pkcs1 (cmsutil default)', 'peer→ours', true, async () => {
      const der = await nss.encrypt(entity, [pki.ids.alice!.email]);
      const { message, layer } = smimeDecryptMessage(wrapP7m(der, 'enveloped-data'), { certificate: pki.ids.alice!.certDer, privateKey: keyOf(pki.ids.alice!) });
      assertEndsWith(message, entity, 'decrypted');
      expect(layer.keyEncryption).toEqual(['rsaEncryption']);
    });
    await matrix.cell('nss', 'encrypt', 'two RSA recipients (cmsutil default)', 'peer→ours', true, async () => {
      const der = await nss.encrypt(entity, [pki.ids.alice!.email, pki.ids.carol!.email]);
      for (const i of [pki.ids.alice!, pki.ids.carol!]) {
        assertEndsWith(smimeDecryptMessage(wrapP7m(der, 'enveloped-data'), { certificate: i.certDer, privateKey: keyOf(i) }).message, entity, i.name);
      }
    });
  });

  it('signatures both ways', async () => {
    const msg = sampleMessage('nss-sig');
    const entity = sampleEntity('nss');
    for (const digest of DIGESTS) {
      for (const scheme of SCHEMES) {
        for (const form of FORMS) {
          const id = scheme === 'ecdsa-p256' ? pki.ids.bob! : pki.ids.alice!;
          const alg = `${scheme} ${digest} ${form}`;
          await matrix.cell('nss', 'sign', alg, 'ours→peer', true, async () => {
            const signed = smimeSignMessage(msg, { certificate: id.certDer, privateKey: keyOf(id) }, { detached: form === 'detached', digest, rsaPss: scheme === 'rsa-pss' });
            if (form === 'detached') {
              const { content, signature } = extractMultipartSigned(signed);
              const v = await nss.verify(signature, content);
              if (!v.ok) throw new Error(v.stderr.trim());
              assertHeaderProtected(content, msg);
            } else {
              const v = await nss.verify(extractP7m(signed));
              if (!v.ok) throw new Error(v.stderr.trim());
              assertHeaderProtected(v.content, msg);
            }
          });
          // cmsutil signs with PKCS#1 v1.5 (RSA) or ECDSA only; it has no PSS option.
          if (scheme === 'rsa-pss') continue;
          await matrix.cell('nss', 'sign', alg, 'peer→ours', true, async () => {
            const der = await nss.sign(entity, id.name, { detached: form === 'detached', digest: digest.toUpperCase() as 'SHA256' });
            const m = form === 'detached' ? wrapMultipartSigned(entity, der, `sha-${digest.slice(3)}`) : wrapP7m(der, 'signed-data');
            const v = smimeVerifyMessage(m, { trustAnchors: [pki.caCertDer] });
            if (!v.valid) throw new Error(`not valid: ${v.layer.signers.flatMap((s) => s.failures).join('; ')}`);
            assertEndsWith(v.message, entity, 'verified');
          });
        }
      }
    }
    await matrix.cell('nss', 'sign', 'tampered content must fail', 'ours→peer', true, async () => {
      const signed = smimeSignMessage(msg, { certificate: pki.ids.alice!.certDer, privateKey: keyOf(pki.ids.alice!) });
      const { content, signature } = extractMultipartSigned(signed);
      const bad = Buffer.from(content.toString('latin1').replace('6.1%', '9.1%'), 'latin1');
      if ((await nss.verify(signature, bad)).ok) throw new Error('NSS accepted tampered content');
    });
    await matrix.cell('nss', 'sign', 'tampered content must fail', 'peer→ours', true, async () => {
      const der = await nss.sign(entity, 'alice', { detached: true, digest: 'SHA256' });
      const bad = Buffer.from(entity.toString('latin1').replace('0099887', '0099888'), 'latin1');
      if (smimeVerifyMessage(wrapMultipartSigned(bad, der, 'sha-256'), { trustAnchors: [pki.caCertDer] }).valid) throw new Error('accepted');
    });
  });

  it('every supported cell is ok', () => {
    expect(matrix.failures()).toEqual([]);
  });
});
