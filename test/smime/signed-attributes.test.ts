// Signed attributes as the standards spell them: DER SET OF order (X.690 §11.6), signingTime as
// UTCTime until 2049 and GeneralizedTime after (RFC 5652 §11.3), SMIMECapabilities in preference order,
// ESS signing-certificate-v2 without the DEFAULT hashAlgorithm (RFC 5035), the RFC 3183 signature type
// as a SEQUENCE OF OBJECT IDENTIFIER, and what the reader reports for broken attribute sets.

import { describe, expect, it } from 'vitest';
import { compareDerSetElements, derEncode, derOid, readWhole } from '../../src/pki/cert-util.js';
import {
  ATTR,
  capabilitiesAttr,
  decodeSignedAttrs,
  encodeAttribute,
  encodeSignedAttrs,
  messageDigestAttr,
  signatureTypeAttr,
  signingTimeAttr,
} from '../../src/smime/signed-attributes.js';

describe('encoding', () => {
  it('sorts the attributes as DER SET OF requires, whatever order they are given in', () => {
    const a = signingTimeAttr(new Date('2026-01-01T00:00:00Z'));
    const b = messageDigestAttr(Buffer.alloc(32, 7));
    const c = signatureTypeAttr(['domainSig']);
    const set = encodeSignedAttrs([c, a, b]);
    expect(set[0]).toBe(0x31);
    const elems = [a, b, c].sort(compareDerSetElements);
    expect(set.subarray(set.length - elems.reduce((n, e) => n + e.length, 0)).equals(Buffer.concat(elems))).toBe(true);
    expect(encodeSignedAttrs([a, b, c]).equals(set)).toBe(true);
  });

  it('writes signingTime as UTCTime through 2049 and GeneralizedTime from 2050', () => {
    expect(signingTimeAttr(new Date('2049-12-31T23:59:59Z')).subarray(-15).toString('latin1')).toBe('\x17\x0d491231235959Z');
    expect(signingTimeAttr(new Date('2050-01-01T00:00:00Z')).subarray(-17).toString('latin1')).toBe('\x18\x0f20500101000000Z');
    expect(signingTimeAttr(new Date('1999-08-17T01:10:49Z')).subarray(-15).toString('latin1')).toBe('\x17\x0d990817011049Z');
  });

  it('keeps SMIMECapabilities in the given preference order (a SEQUENCE, not a SET)', () => {
    const attr = capabilitiesAttr(['2.16.840.1.101.3.4.1.2', '2.16.840.1.101.3.4.1.46']);
    const aes128cbc = derOid('2.16.840.1.101.3.4.1.2');
    const aes256gcm = derOid('2.16.840.1.101.3.4.1.46');
    expect(attr.indexOf(aes128cbc)).toBeLessThan(attr.indexOf(aes256gcm));
  });

  it('encodes the signature type as SEQUENCE OF OBJECT IDENTIFIER with the RFC 3183 OIDs', () => {
    const attr = signatureTypeAttr(['originatorSig', 'reviewSig']);
    const expected = derEncode(
      0x30,
      derOid('1.2.840.113549.1.9.16.2.28'),
      derEncode(0x31, derEncode(0x30, derOid('1.2.840.113549.1.9.16.9.1'), derOid('1.2.840.113549.1.9.16.9.4'))),
    );
    expect(attr.toString('hex')).toBe(expected.toString('hex'));
    expect(signatureTypeAttr(['domainSig']).includes(derOid('1.2.840.113549.1.9.16.9.2'))).toBe(true);
    expect(signatureTypeAttr(['additionalAttributesSig']).includes(derOid('1.2.840.113549.1.9.16.9.3'))).toBe(true);
  });
});

describe('reading', () => {
  const setOf = (...attrs: Buffer[]) => {
    const der = derEncode(0x31, ...attrs);
    return decodeSignedAttrs(der, readWhole(der));
  };

  it('reads what we write', () => {
    const d = setOf(
      messageDigestAttr(Buffer.alloc(32, 1)),
      signingTimeAttr(new Date('2030-05-06T07:08:09Z')),
      capabilitiesAttr(['2.16.840.1.101.3.4.1.46']),
      signatureTypeAttr(['domainSig', 'reviewSig']),
      encodeAttribute(ATTR.contentType, derOid('1.2.840.113549.1.7.1')),
    );
    expect(d.problems).toEqual([]);
    expect(d.contentType).toBe('1.2.840.113549.1.7.1');
    expect(d.messageDigest!.equals(Buffer.alloc(32, 1))).toBe(true);
    expect(d.signingTime!.toISOString()).toBe('2030-05-06T07:08:09.000Z');
    expect(d.capabilities).toEqual(['2.16.840.1.101.3.4.1.46']);
    expect(d.signatureTypes).toEqual(['domainSig', 'reviewSig']);
  });

  it('reports duplicated and multi-valued attributes instead of picking one', () => {
    const dup = setOf(messageDigestAttr(Buffer.alloc(32, 1)), messageDigestAttr(Buffer.alloc(32, 2)));
    expect(dup.problems).toEqual(['signed attribute messageDigest appears more than once']);
    const multi = setOf(encodeAttribute(ATTR.messageDigest, derEncode(0x04, Buffer.alloc(32, 1)), derEncode(0x04, Buffer.alloc(32, 2))));
    expect(multi.problems).toEqual(['signed attribute messageDigest must have exactly one value']);
    expect(multi.messageDigest).toBeUndefined();
  });

  it('reports undecodable values and unknown signature types, ignores unknown attributes', () => {
    const d = setOf(
      encodeAttribute(ATTR.signingTime, derEncode(0x17, Buffer.from('not a time'))),
      encodeAttribute(ATTR.signatureType, derEncode(0x30, derOid('1.2.3.4'))),
      encodeAttribute('1.2.3.4.5', derEncode(0x05, Buffer.alloc(0))),
    );
    expect(d.problems).toEqual(['signed attribute signingTime cannot be decoded']);
    expect(d.unknownSignatureTypes).toEqual(['1.2.3.4']);
    expect(d.signatureTypes).toEqual([]);
  });
});
