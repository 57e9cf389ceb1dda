// RFC 4134 "Examples of S/MIME Messages", signed-data section (../shared/testdata/rfc4134): every
// signed example verifies against Carl's self-signed roots (CarlRSASelf.cer, CarlDSSSelf.cer), at a
// time inside the 1999-2039 validity of those certificates. Covers DSA (with parameters inherited from
// Carl's key: Diane, 4.6), RSA, detached content, BER indefinite lengths (4.5), the SKI signer
// identifier (4.7), signed attributes (4.4, 4.10) and the two full MIME messages (4.8, 4.9).

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { verifyCms, type VerifyOptions } from '../../src/smime/signed.js';

const DIR = join(process.cwd(), '..', 'shared', 'testdata', 'rfc4134');
const file = (f: string) => readFileSync(join(DIR, f));
const exContent = file('ExContent.bin'); // "This is some sample content."
const AT = new Date('2005-07-01T00:00:00Z');
const anchors = [file('CarlRSASelf.cer'), file('CarlDSSSelf.cer')];
const opts = (extra: Partial<VerifyOptions> = {}): VerifyOptions => ({ trustAnchors: anchors, at: AT, ...extra });

/** Base64 body of a single-part MIME entity / part, after its header block (test-only extraction). */
function base64Body(part: string): Buffer {
  const body = part.slice(part.search(/\r?\n\r?\n/));
  return Buffer.from(body.replace(/[^A-Za-z0-9+/=]/g, ''), 'base64');
}

const CASES: { example: string; title: string; signers: string[]; emails: string[][]; detached?: boolean; signingTime?: string; revokedByOwnCrl?: string }[] = [
  { example: '4.1', title: 'basic signed content, DSS', signers: ['CN=AliceDSS'], emails: [['AliceDSS@example.com']] },
  { example: '4.2', title: 'basic signed content, RSA', signers: ['CN=AliceRSA'], emails: [['AliceRSA@example.com']] },
  { example: '4.3', title: 'detached content, DSS', signers: ['CN=AliceDSS'], emails: [['AliceDSS@example.com']], detached: true },
  // 4.4 carries Carl's DSS CRL, which revokes Alice (serial C8) on 1999-08-22: the signature is good,
  // the certificate is revoked. `openssl cms -verify -crl_check` reports "certificate revoked" too.
  { example: '4.4', title: 'signed attributes, embedded CRL and countersignature', signers: ['CN=AliceDSS'], emails: [['AliceDSS@example.com']], signingTime: '2003-05-14T15:39:00.000Z', revokedByOwnCrl: "certificate revoked 1999-08-22 ('CN=AliceDSS')" },
  { example: '4.5', title: 'all RSA, BER indefinite lengths', signers: ['CN=AliceRSA'], emails: [['AliceRSA@example.com']] },
  { example: '4.6', title: 'two signers (Diane inherits DSA parameters)', signers: ['CN=AliceDSS', 'CN=DianeDSS'], emails: [['AliceDSS@example.com'], ['DianeDSS@example.com']] },
  { example: '4.7', title: 'signer identified by subjectKeyIdentifier', signers: ['CN=AliceDSS'], emails: [['AliceDSS@example.com']] },
  { example: '4.10', title: 'unknown and ESS signed attributes', signers: ['CN=AliceDSS'], emails: [['AliceDSS@example.com']] },
];

describe('RFC 4134 signed examples verify', () => {
  for (const c of CASES) {
    it(`${c.example} ${c.title}`, () => {
      const r = verifyCms(file(`${c.example}.bin`), opts({ detachedContent: c.detached ? exContent : undefined }));
      if (c.revokedByOwnCrl) {
        expect(r.signers.map((s) => s.failures)).toEqual([[c.revokedByOwnCrl]]);
        expect(r.valid).toBe(false);
        expect(r.signers[0]!.signatureValid).toBe(true);
        expect(r.signers[0]!.chainValid).toBe(false);
        expect(r.signers[0]!.signingTime!.toISOString()).toBe(c.signingTime);
        expect(r.content!.equals(exContent)).toBe(true);
        return;
      }
      expect(r.signers.map((s) => s.failures)).toEqual(c.signers.map(() => []));
      expect(r.valid).toBe(true);
      expect(r.signers.map((s) => s.subject)).toEqual(c.signers);
      expect(r.signers.map((s) => s.emailAddresses)).toEqual(c.emails);
      for (const s of r.signers) {
        expect(s.signatureValid).toBe(true);
        expect(s.chainValid).toBe(true);
        expect(s.chain.length).toBe(2);
        const root = s.subject.endsWith('DSS') ? 'CarlDSSSelf.cer' : 'CarlRSASelf.cer';
        expect(s.chain[1]!.equals(file(root))).toBe(true);
      }
      if (c.detached) expect(r.content).toBeUndefined();
      else expect(r.content!.equals(exContent)).toBe(true);
      if (c.signingTime) expect(r.signers[0]!.signingTime!.toISOString()).toBe(c.signingTime);
    });
  }

  it('4.8 multipart/signed message: the first part (canonical CRLF) verifies against smime.p7s', () => {
    const eml = file('4.8.eml').toString('latin1');
    const boundary = /boundary="([^"]+)"/.exec(eml)![1]!;
    const parts = eml.split(`--${boundary}`);
    // The signed entity is the first part without the CRLF that belongs to the next delimiter.
    const signedEntity = Buffer.from(parts[1]!.replace(/^\r?\n/, '').replace(/\r?\n$/, '').replace(/\r?\n/g, '\r\n'), 'latin1');
    const r = verifyCms(base64Body(parts[2]!), opts({ detachedContent: signedEntity }));
    expect(r.signers[0]!.failures).toEqual([]);
    expect(r.valid).toBe(true);
    expect(r.signers[0]!.subject).toBe('CN=AliceDSS');
    // Line-ending damage (LF instead of CRLF) breaks the signature, as it must.
    const lf = verifyCms(base64Body(parts[2]!), opts({ detachedContent: Buffer.from('\nThis is some sample content.') }));
    expect(lf.valid).toBe(false);
    expect(lf.signers[0]!.failures).toContain('signature does not verify');
  });

  it('4.9 application/pkcs7-mime signed-data message verifies and yields its content', () => {
    const r = verifyCms(base64Body(file('4.9.eml').toString('latin1')), opts());
    expect(r.valid).toBe(true);
    expect(r.content!.toString('latin1')).toBe('\r\nThis is some sample content.');
  });

  it('4.11 certificates-only SignedData has no signer and is not a valid signature', () => {
    const r = verifyCms(file('4.11.bin'), opts());
    expect(r.valid).toBe(false);
    expect(r.signers).toEqual([]);
  });
});

describe('RFC 4134 examples, changed or checked against the wrong things, fail with reasons', () => {
  /** Replace the LAST occurrence of `from` (the SignerInfo comes after the certificates). */
  const patchLast = (buf: Buffer, fromHex: string, toHex: string) => {
    const out = Buffer.from(buf);
    const from = Buffer.from(fromHex, 'hex');
    const at = out.lastIndexOf(from);
    expect(at).toBeGreaterThan(0);
    Buffer.from(toHex, 'hex').copy(out, at);
    return out;
  };

  it('changed content without signed attributes: the signature does not verify', () => {
    const r = verifyCms(file('4.3.bin'), opts({ detachedContent: Buffer.from('This is some sample content!') }));
    expect(r.valid).toBe(false);
    expect(r.signers[0]!.signatureValid).toBe(false);
    expect(r.signers[0]!.failures).toEqual(['signature does not verify']);
  });

  it('changed content with signed attributes: message digest mismatch', () => {
    const tampered = patchLast(file('4.4.bin'), Buffer.from('sample content').toString('hex'), Buffer.from('sample c0ntent').toString('hex'));
    const r = verifyCms(tampered, opts());
    expect(r.valid).toBe(false);
    expect(r.signers[0]!.failures).toContain('message digest mismatch');
    expect(r.signers[0]!.signatureValid).toBe(true); // the signed attributes themselves are intact
  });

  it('a DSS signature checked against only the RSA root has no path to a trust anchor', () => {
    const r = verifyCms(file('4.1.bin'), { trustAnchors: [file('CarlRSASelf.cer')], at: AT });
    expect(r.valid).toBe(false);
    expect(r.signers[0]!.signatureValid).toBe(true); // Alice's DSA key carries its own parameters
    expect(r.signers[0]!.chainValid).toBe(false);
    expect(r.signers[0]!.failures.join('\n')).toMatch(/no certification path to a trust anchor: issuer 'CN=CarlDSS'/);
  });

  it("Carl's DSS CRL revoking everyone makes both signers of 4.6 invalid", () => {
    const r = verifyCms(file('4.6.bin'), opts({ crls: [file('CarlDSSCRLForAll.crl')] }));
    expect(r.valid).toBe(false);
    for (const s of r.signers) {
      expect(s.signatureValid).toBe(true);
      expect(s.chainValid).toBe(false);
      expect(s.failures.join('\n')).toMatch(new RegExp(`certificate revoked 1999-08-2\\d.*'${s.subject}'`));
    }
  });

  it('a CRL in the store that does not list the signer, but has no nextUpdate, leaves the status unknown', () => {
    const r = verifyCms(file('4.1.bin'), opts({ crls: [file('CarlDSSCRLForCarl.crl')] }));
    expect(r.valid).toBe(false);
    expect(r.signers[0]!.failures.join('\n')).toMatch(/revocation status unknown for 'CN=AliceDSS'.*no nextUpdate/);
  });

  it("Carl's MD5-signed RSA CRLs are not accepted as evidence either way", () => {
    const r = verifyCms(file('4.2.bin'), opts({ crls: [file('CarlRSACRLForAll.crl')] }));
    expect(r.valid).toBe(false);
    expect(r.signers[0]!.failures.join('\n')).toMatch(/revocation status unknown.*MD2\/MD5 signatures/);
  });

  it('a validation time after the certificates expired reports the expiry date', () => {
    const r = verifyCms(file('4.2.bin'), { trustAnchors: anchors, at: new Date('2040-06-01Z') });
    expect(r.valid).toBe(false);
    expect(r.signers[0]!.failures).toContain("certificate expired 2039-12-31 ('CN=AliceRSA')");
  });

  it('an unknown signature algorithm fails with an unsupported reason, not a crash', () => {
    // rsaEncryption (1.2.840.113549.1.1.1) -> 1.2.840.113549.1.1.99 in Alice's SignerInfo
    const r = verifyCms(patchLast(file('4.2.bin'), '06092a864886f70d010101', '06092a864886f70d010163'), opts());
    expect(r.valid).toBe(false);
    expect(r.signers[0]!.signatureValid).toBe(false);
    expect(r.signers[0]!.failures).toContain('unsupported signature algorithm 1.2.840.113549.1.1.99');
  });

  it('an MD5 signature algorithm is refused as unsupported', () => {
    const r = verifyCms(patchLast(file('4.2.bin'), '06092a864886f70d010101', '06092a864886f70d010104'), opts());
    expect(r.valid).toBe(false);
    expect(r.signers[0]!.failures.join('\n')).toMatch(/MD2\/MD5 signatures .* are not accepted/);
  });

  it('an unknown digest algorithm fails with an unsupported reason', () => {
    // sha1 (1.3.14.3.2.26) -> 1.3.14.3.2.27 in the SignerInfo's digestAlgorithm
    const r = verifyCms(patchLast(file('4.2.bin'), '06052b0e03021a', '06052b0e03021b'), opts());
    expect(r.valid).toBe(false);
    expect(r.signers[0]!.failures).toContain('unsupported digest algorithm 1.3.14.3.2.27');
  });
});
