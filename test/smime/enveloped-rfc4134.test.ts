// RFC 4134 "Examples of S/MIME Messages", enveloped section (5.x), decrypted with Bob's key
// (BobPrivRSAEncrypt.pri, PKCS#8 DER; the RecipientInfo names Bob's certificate: issuer CarlRSA,
// serial 46346BC7800056BC11D36E2ECD5D71D0). 5.1/5.3 use 3DES (receive-only support); 5.2 uses
// RC2/128, which we do not implement: it must fail with a clear 'unsupported' reason.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decryptEnveloped, listRecipients } from '../../src/smime/enveloped.js';
import { loadPrivateKey } from '../../src/smime/keys.js';
import { SmimeError } from '../../src/smime/errors.js';

const DIR = join(process.cwd(), '..', 'shared', 'testdata', 'rfc4134');
const read = (f: string) => readFileSync(join(DIR, f));
const bobKey = () => loadPrivateKey(read('BobPrivRSAEncrypt.pri'));
const bobCert = () => read('BobRSASignByCarl.cer');
const EXPECTED = read('ExContent.bin');

describe('RFC 4134 enveloped examples', () => {
  it('5.1 (3DES-CBC, RSA key transport) decrypts to ExContent with Bob\'s key and certificate', () => {
    const out = decryptEnveloped(read('5.1.bin'), { certificate: bobCert(), privateKey: bobKey() });
    expect(out.equals(EXPECTED)).toBe(true);
  });

  it('5.1 also decrypts with the key alone (no certificate: try each RecipientInfo)', () => {
    expect(decryptEnveloped(read('5.1.bin'), { privateKey: bobKey() }).equals(EXPECTED)).toBe(true);
  });

  it('5.1 names Bob (issuer CarlRSA, serial 46346bc7...) as the recipient', () => {
    expect(listRecipients(read('5.1.bin'))).toEqual([
      expect.objectContaining({
        type: 'ktri',
        issuer: 'CN=CarlRSA',
        serialNumber: '46346bc7800056bc11d36e2ecd5d71d0',
        algorithm: 'rsaEncryption',
      }),
    ]);
  });

  it('5.2 (RC2/128 content, plus a KEK recipient with CMS RC2 key wrap) fails as unsupported, naming RC2', () => {
    let err: unknown;
    try {
      decryptEnveloped(read('5.2.bin'), { certificate: bobCert(), privateKey: bobKey() });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(SmimeError);
    expect((err as SmimeError).code).toBe('unsupported');
    expect((err as SmimeError).message).toMatch(/RC2/);
    expect(listRecipients(read('5.2.bin')).map((r) => r.type)).toEqual(['ktri', 'kekri']);
  });

  it('5.3 (the 5.1 body as an application/pkcs7-mime message) decrypts after base64', () => {
    const eml = read('5.3.eml').toString('latin1');
    const body = eml.split(/\r?\n\r?\n/).slice(1).join('\n');
    const der = Buffer.from(body.replace(/[^A-Za-z0-9+/=]/g, ''), 'base64');
    expect(decryptEnveloped(der, { certificate: bobCert(), privateKey: bobKey() }).equals(EXPECTED)).toBe(true);
  });
});
