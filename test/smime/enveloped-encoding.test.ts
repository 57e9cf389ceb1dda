// Encoding details a peer relies on, checked on the bytes: algorithm identifiers and parameters,
// CMS versions, the guarded BER walker's limits, and algorithm choice from SMIMECapabilities.
import { constants, createCipheriv, generateKeyPairSync, publicEncrypt, randomBytes } from 'node:crypto';
import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import { RecipientInfos } from '@peculiar/asn1-cms';
import { AlgorithmIdentifier } from '@peculiar/asn1-x509';
import { describe, expect, it } from 'vitest';
import { chooseAlgorithms, decryptEnveloped, encryptEnveloped, listRecipients } from '../../src/smime/enveloped.js';
import { GcmParameters, OID } from '../../src/smime/algorithms.js';
import { makeTestCertificate } from '../../src/smime/fuzz-enveloped.js';
import { DEFAULT_DER_LIMITS, resolveDerLimits, stringContent, toDefinite, walkBer } from '../../src/smime/der-limits.js';
import { SmimeError } from '../../src/smime/errors.js';

const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
const ec = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
const rsaCert = makeTestCertificate(rsa.publicKey, rsa.privateKey, 'enc-rsa', 5);
const ecCert = makeTestCertificate(ec.publicKey, ec.privateKey, 'enc-ec', 6);

/** [envelope children, EncryptedContentInfo children] of an encoded message. */
function layers(der: Buffer) {
  const { root } = walkBer(der);
  const body = root.children![1]!.children![0]!.children!;
  return { body, eci: body.find((n) => n.tagNumber === 16 && n.tagClass === 0 && n.children?.[0]?.tagNumber === 6)! };
}

describe('encoding', () => {
  it('AES-CBC: EnvelopedData v0, aes256-CBC with a 16-byte IV OCTET STRING', () => {
    const der = encryptEnveloped(Buffer.from('x'), [{ certificate: rsaCert }]);
    const { body, eci } = layers(der);
    expect(der.subarray(body[0]!.start, body[0]!.end).toString('hex')).toBe('020100');
    const alg = AsnConvert.parse(toDefinite(der, eci.children![1]!), AlgorithmIdentifier);
    expect(alg.algorithm).toBe(OID.aes256cbc);
    expect(AsnConvert.parse(alg.parameters!, OctetString).byteLength).toBe(16);
    expect(eci.children![2]!.constructed).toBe(false); // [0] IMPLICIT primitive in DER
  });

  it('AES-GCM: AuthEnvelopedData, GCMParameters with 12-byte nonce and explicit ICV length 16, 16-byte mac', () => {
    const der = encryptEnveloped(Buffer.from('x'), [{ certificate: rsaCert }], { cipher: 'aes-128-gcm' });
    expect(walkBer(der).root.children![0]!.contentEnd - 2).toBeGreaterThan(0);
    const { body, eci } = layers(der);
    const alg = AsnConvert.parse(toDefinite(der, eci.children![1]!), AlgorithmIdentifier);
    expect(alg.algorithm).toBe(OID.aes128gcm);
    const p = AsnConvert.parse(alg.parameters!, GcmParameters);
    expect(p.nonce.byteLength).toBe(12);
    expect(p.icvLen).toBe(16);
    const mac = body[body.length - 1]!;
    expect(stringContent(der, mac).length).toBe(16);
  });

  it('hand-assembled RecipientInfos parse with asn1-cms into the intended fields', () => {
    const der = encryptEnveloped(Buffer.from('x'), [
      { certificate: rsaCert },
      { certificate: rsaCert, keyTransport: 'rsa-oaep', useSki: true },
      { certificate: ecCert },
    ], { cipher: 'aes-192-cbc' });
    const { body } = layers(der);
    const ris = AsnConvert.parse(toDefinite(der, body[1]!), RecipientInfos);
    expect(ris[0]!.ktri!.version).toBe(0);
    expect(ris[0]!.ktri!.keyEncryptionAlgorithm.algorithm).toBe(OID.rsaEncryption);
    expect(ris[1]!.ktri!.version).toBe(2);
    expect(ris[1]!.ktri!.rid.subjectKeyIdentifier).toBeDefined();
    expect(Buffer.from(ris[1]!.ktri!.keyEncryptionAlgorithm.parameters!).toString('hex')).toBe('3000');
    expect(ris[2]!.kari!.version).toBe(3);
    // aes-192 content → aes192-wrap, per RFC 5753's "same size" rule
    expect(Buffer.from(ris[2]!.kari!.keyEncryptionAlgorithm.parameters!).includes(Buffer.from('608648016503040119', 'hex'))).toBe(true);
    // any non-v0 RecipientInfo makes EnvelopedData version 2 (RFC 5652 §6.1)
    expect(der.subarray(body[0]!.start, body[0]!.end).toString('hex')).toBe('020102');
    expect(decryptEnveloped(der, { certificate: ecCert, privateKey: ec.privateKey }).toString()).toBe('x');
    expect(listRecipients(der).map((r) => r.algorithm)).toEqual(['rsaEncryption', 'rsaesOaep(sha1)', 'dhSinglePassStdDHsha256kdf']);
  });

  it('refuses bad input to encrypt with invalid-input', () => {
    expect(() => encryptEnveloped(Buffer.from('x'), [])).toThrow(expect.objectContaining({ code: 'invalid-input' }));
    expect(() => encryptEnveloped(Buffer.from('x'), [{ certificate: Buffer.from([0x30, 0x03, 0x02, 0x01, 0x00]) }])).toThrow(SmimeError);
    expect(() => encryptEnveloped(Buffer.from('x'), [{ certificate: rsaCert }], { cipher: 'rc4' as never })).toThrow(expect.objectContaining({ code: 'invalid-input' }));
  });

  it('AES-GCM inside EnvelopedData (a non-standard PKIjs encoding) is refused as unsupported', () => {
    // Take an EnvelopedData and change its cipher OID aes256-CBC (…04 01 2a) to aes256-GCM (…04 01 2e).
    const cbc = Buffer.from(encryptEnveloped(Buffer.from('x'), [{ certificate: rsaCert }], { cipher: 'aes-256-cbc' }));
    const oid = Buffer.from('060960864801650304012a', 'hex');
    const i = cbc.indexOf(oid);
    expect(i).toBeGreaterThan(0);
    cbc[i + 10] = 0x2e;
    expect(() => decryptEnveloped(cbc, { privateKey: rsa.privateKey })).toThrow(expect.objectContaining({ code: 'unsupported', message: expect.stringMatching(/non-standard/) }));
  });

  it('AuthEnvelopedData with authAttrs: the DER SET OF is the AAD (RFC 5083)', () => {
    const cek = randomBytes(16);
    const nonce = randomBytes(12);
    // authAttrs: { contentType = id-data }, encoded as [1] IMPLICIT in the message, as SET OF for the AAD
    const attr = Buffer.from('301806092a864886f70d010903310b06092a864886f70d010701', 'hex');
    const aadSet = Buffer.concat([Buffer.from([0x31, attr.length]), attr]);
    const authAttrs = Buffer.concat([Buffer.from([0xa1, attr.length]), attr]);
    const c = createCipheriv('aes-128-gcm', cek, nonce, { authTagLength: 16 });
    c.setAAD(aadSet);
    const ct = Buffer.concat([c.update('attributed'), c.final()]);
    const tag = c.getAuthTag();
    const tlv = (tag: number, ...parts: Buffer[]) => {
      const body = Buffer.concat(parts);
      const len = body.length < 128 ? Buffer.from([body.length]) : body.length < 256 ? Buffer.from([0x81, body.length]) : Buffer.from([0x82, body.length >> 8, body.length & 0xff]);
      return Buffer.concat([Buffer.from([tag]), len, body]);
    };
    const ek = publicEncrypt({ key: rsa.publicKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha1' }, cek);
    const ktri = tlv(0x30, Buffer.from('020102', 'hex'), tlv(0x80, Buffer.from('0102', 'hex')),
      Buffer.from('300d06092a864886f70d0101073000', 'hex'), tlv(0x04, ek)); // rsaesOaep, default params
    const alg = tlv(0x30, Buffer.from('0609608648016503040106', 'hex'), tlv(0x30, tlv(0x04, nonce), Buffer.from('020110', 'hex')));
    const eci = tlv(0x30, Buffer.from('06092a864886f70d010701', 'hex'), alg, tlv(0x80, ct));
    const aed = tlv(0x30, Buffer.from('020100', 'hex'), tlv(0x31, ktri), eci, authAttrs, tlv(0x04, tag));
    const der = tlv(0x30, Buffer.from('060b2a864886f70d0109100117', 'hex'), tlv(0xa0, aed));
    expect(decryptEnveloped(der, { privateKey: rsa.privateKey }).toString()).toBe('attributed');
    // Changing one byte of the authenticated attributes must break the tag.
    const tampered = Buffer.from(der);
    tampered[der.indexOf(authAttrs) + authAttrs.length - 1]! ^= 1;
    expect(() => decryptEnveloped(tampered, { privateKey: rsa.privateKey })).toThrow(expect.objectContaining({ code: 'decrypt-failed' }));
  });
});

describe('guarded BER walker', () => {
  it('accepts indefinite lengths and segmented OCTET STRINGs and re-emits definite lengths', () => {
    const ber = Buffer.from('3080' + '2480' + '040161' + '04026263' + '0000' + '0000', 'hex');
    const t = walkBer(ber);
    expect(t.isDefiniteAndFlat).toBe(false);
    expect(stringContent(ber, t.root.children![0]!).toString()).toBe('abc');
    expect(toDefinite(ber, t.root).toString('hex')).toBe('3005040361626' + '3');
  });
  it('rejects nesting beyond the limit, lengths past the end, trailing bytes, stray end-of-contents', () => {
    const nest = (n: number) => Buffer.concat([Buffer.alloc(2 * n, Buffer.from([0x30, 0x80])), Buffer.alloc(2 * n)]);
    expect(() => walkBer(nest(65))).not.toThrow(); // root at depth 0, innermost at depth 64
    expect(() => walkBer(nest(66))).toThrow(/nesting deeper than 64/);
    expect(() => walkBer(Buffer.from('3005020100', 'hex'))).toThrow(/past the end/);
    expect(() => walkBer(Buffer.from('30000000', 'hex'))).toThrow(/trailing/);
    expect(() => walkBer(Buffer.from('30020000', 'hex'))).toThrow(/end-of-contents/);
    expect(() => walkBer(Buffer.from('0480', 'hex'))).toThrow(/indefinite length on a primitive/);
    expect(() => walkBer(Buffer.from('3085010000000000', 'hex'))).toThrow(/longer than 4 octets/);
    expect(() => walkBer(Buffer.alloc(0))).toThrow(SmimeError);
  });
  it('limits are validated: 0 never means unlimited', () => {
    expect(() => resolveDerLimits({ maxDepth: 0 })).toThrow(expect.objectContaining({ code: 'invalid-input' }));
    expect(resolveDerLimits({ maxDepth: 32 }).maxDepth).toBe(32);
    expect(DEFAULT_DER_LIMITS.maxDepth).toBe(64);
    expect(() => walkBer(Buffer.alloc(2048, 0x05), resolveDerLimits({ maxBytes: 1024 }))).toThrow(/exceeds limit/);
  });
});

describe('chooseAlgorithms', () => {
  it('no capabilities known: the conservative profile AES-256-CBC + RSA PKCS#1 v1.5', () => {
    expect(chooseAlgorithms(undefined)).toEqual({ cipher: 'aes-256-cbc', keyTransport: 'rsa-pkcs1' });
    expect(chooseAlgorithms([])).toEqual({ cipher: 'aes-256-cbc', keyTransport: 'rsa-pkcs1' });
  });
  it('the first capability in the peer\'s order that we can send (RFC 8551 §2.7.1)', () => {
    expect(chooseAlgorithms([OID.aes128gcm, OID.aes256cbc]).cipher).toBe('aes-128-gcm');
    expect(chooseAlgorithms([OID.desEde3cbc, OID.aes128cbc, OID.aes256gcm]).cipher).toBe('aes-128-cbc');
    expect(chooseAlgorithms([OID.desEde3cbc, OID.rc2cbc]).cipher).toBe('aes-256-cbc');
  });
  it('RSAES-OAEP advertised → OAEP; per-domain override wins', () => {
    expect(chooseAlgorithms([OID.aes256gcm, OID.rsaesOaep]).keyTransport).toBe('rsa-oaep');
    expect(chooseAlgorithms([OID.aes128gcm], { cipher: 'aes-256-cbc', keyTransport: 'rsa-oaep-sha256' }))
      .toEqual({ cipher: 'aes-256-cbc', keyTransport: 'rsa-oaep-sha256' });
  });
});
