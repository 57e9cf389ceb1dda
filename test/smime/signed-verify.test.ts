// What a recipient sees when a signature is not good: each problem gives valid=false and a stated
// reason (wrong root, missing intermediate, wrong key purpose, expiry, revocation, certificate
// substitution), and bad input gives a SmimeError, never a crash. Certificates come from the real
// openssl CLI (signed-fixtures.ts); some signatures are made by `openssl cms -sign` itself.

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SmimeError } from '../../src/smime/errors.js';
import { createSigner, signCms, verifyCms } from '../../src/smime/signed.js';
import { childrenOf, derEncode, readWhole } from '../../src/pki/cert-util.js';
import { makeTestPki, openssl, type TestPki } from './signed-fixtures.js';

let pki: TestPki;
const content = Buffer.from('Content-Type: text/plain\r\n\r\nDischarge letter for review.\r\n');

beforeAll(() => {
  pki = makeTestPki();
});
afterAll(() => pki?.cleanup());

/** The fields of a DER SignedData we produced (test-side use of the lean reader). */
function signedDataFields(der: Buffer) {
  const top = readWhole(der);
  const [ct, wrap] = childrenOf(der, top);
  const sdT = childrenOf(der, wrap!)[0]!;
  const kids = childrenOf(der, sdT);
  const signerInfo = childrenOf(der, kids.at(-1)!)[0]!;
  return { ct: ct!, kids, signerInfo };
}

const aliceSpec = () => ({ certificate: pki.alice.der, privateKey: pki.alice.key, chain: [pki.inter.der] });

describe('signer and chain reported on success', () => {
  it('names the signer, its addresses, the signature types and the chain up to the root', () => {
    const sig = signCms(content, aliceSpec(), { signatureTypes: ['originatorSig'], capabilities: ['2.16.840.1.101.3.4.1.46'] });
    const r = verifyCms(sig, { trustAnchors: [pki.root.der], detachedContent: content });
    expect(r.valid).toBe(true);
    const s = r.signers[0]!;
    expect(s).toMatchObject({
      valid: true,
      signatureValid: true,
      chainValid: true,
      subject: 'CN=Alice Example,O=Sealgate Test',
      issuer: 'CN=Sealgate Test Intermediate,O=Sealgate Test',
      serialNumber: '2001',
      emailAddresses: ['alice@example.org'],
      signatureTypes: ['originatorSig'],
      capabilities: ['2.16.840.1.101.3.4.1.46'],
      failures: [],
    });
    expect(s.certificate!.equals(pki.alice.der)).toBe(true);
    expect(s.chain.map((c) => c.toString('base64'))).toEqual([pki.alice.der, pki.inter.der, pki.root.der].map((c) => c.toString('base64')));
  });

  it('reports several signature types from one attribute (RFC 3183 domain + review)', () => {
    const sig = signCms(content, aliceSpec(), { signatureTypes: ['domainSig', 'reviewSig'] });
    expect(verifyCms(sig, { trustAnchors: [pki.root.der], detachedContent: content }).signers[0]!.signatureTypes).toEqual(['domainSig', 'reviewSig']);
  });

  it('refuses additionalAttributesSig combined with another type (RFC 3183 §3)', () => {
    expect(() => signCms(content, aliceSpec(), { signatureTypes: ['additionalAttributesSig', 'domainSig'] })).toThrow(SmimeError);
  });

  it('a signature made over a signed MIME entity (triple wrapping) verifies like any bytes', () => {
    const inner = signCms(content, aliceSpec(), { detached: false, signatureTypes: ['originatorSig'] });
    const outer = signCms(inner, { certificate: pki.ecdsa.der, privateKey: pki.ecdsa.key, chain: [pki.inter.der] }, { detached: false, signatureTypes: ['domainSig'] });
    const r1 = verifyCms(outer, { trustAnchors: [pki.root.der] });
    expect(r1.valid && r1.signers[0]!.signatureTypes[0] === 'domainSig').toBe(true);
    const r2 = verifyCms(r1.content!, { trustAnchors: [pki.root.der] });
    expect(r2.valid && r2.signers[0]!.signatureTypes[0] === 'originatorSig').toBe(true);
    expect(r2.content!.equals(content)).toBe(true);
  });
});

describe('path problems', () => {
  it('an unrelated trust anchor: no path, signature still checked', () => {
    const r = verifyCms(signCms(content, aliceSpec()), { trustAnchors: [pki.revoked.der], detachedContent: content });
    expect(r.valid).toBe(false);
    expect(r.signers[0]!.signatureValid).toBe(true);
    expect(r.signers[0]!.chainValid).toBe(false);
    expect(r.signers[0]!.failures).toEqual(["no certification path to a trust anchor: issuer 'CN=Sealgate Test Root,O=Sealgate Test' of 'CN=Sealgate Test Intermediate,O=Sealgate Test' not found"]);
  });

  it('a missing intermediate can be supplied by the caller', () => {
    const sig = signCms(content, { certificate: pki.alice.der, privateKey: pki.alice.key }); // no chain in the message
    const without = verifyCms(sig, { trustAnchors: [pki.root.der], detachedContent: content });
    expect(without.valid).toBe(false);
    expect(without.signers[0]!.failures[0]).toMatch(/issuer 'CN=Sealgate Test Intermediate,O=Sealgate Test' of 'CN=Alice Example,O=Sealgate Test' not found/);
    const withInter = verifyCms(sig, { trustAnchors: [pki.root.der], intermediates: [pki.inter.der], detachedContent: content });
    expect(withInter.valid).toBe(true);
  });

  it('a signer certificate for serverAuth only is refused for e-mail unless the caller waives it', () => {
    const sig = signCms(content, { certificate: pki.server.der, privateKey: pki.server.key, chain: [pki.inter.der] });
    const strict = verifyCms(sig, { trustAnchors: [pki.root.der], detachedContent: content });
    expect(strict.valid).toBe(false);
    expect(strict.signers[0]!.failures).toEqual(["certificate 'CN=mail.example.org,O=Sealgate Test' extended key usage does not include emailProtection"]);
    const lax = verifyCms(sig, { trustAnchors: [pki.root.der], detachedContent: content, requireEmailProtection: false });
    expect(lax.valid).toBe(true);
  });

  it('an expired signer certificate names the expiry date', () => {
    const sig = signCms(content, aliceSpec());
    const notAfter = new Date(openssl(['x509', '-in', pki.alice.certFile, '-noout', '-enddate']).toString().trim().replace('notAfter=', ''));
    const r = verifyCms(sig, { trustAnchors: [pki.root.der], detachedContent: content, at: new Date(notAfter.getTime() + 86_400_000) });
    expect(r.valid).toBe(false);
    expect(r.signers[0]!.failures).toContain(`certificate expired ${notAfter.toISOString().slice(0, 10)} ('CN=Alice Example,O=Sealgate Test')`);
  });

  it('with CRLs configured, a revoked signer fails with the reason and a good one passes', () => {
    const crls = [pki.crlDer, pki.rootCrlDer];
    const bad = signCms(content, { certificate: pki.revoked.der, privateKey: pki.revoked.key, chain: [pki.inter.der] });
    const r = verifyCms(bad, { trustAnchors: [pki.root.der], detachedContent: content, crls });
    expect(r.valid).toBe(false);
    expect(r.signers[0]!.failures).toHaveLength(1);
    expect(r.signers[0]!.failures[0]).toMatch(/^certificate revoked \d{4}-\d\d-\d\d \(reason keyCompromise\) \('CN=Mallory Example,O=Sealgate Test'\)$/);
    const good = verifyCms(signCms(content, aliceSpec()), { trustAnchors: [pki.root.der], detachedContent: content, crls });
    expect(good.signers[0]!.failures).toEqual([]);
    expect(good.valid).toBe(true);
  });

  it('with CRLs configured, a CA without a CRL leaves the status unknown (fail closed)', () => {
    const r = verifyCms(signCms(content, aliceSpec()), { trustAnchors: [pki.root.der], detachedContent: content, crls: [pki.crlDer] });
    expect(r.valid).toBe(false);
    expect(r.signers[0]!.failures).toEqual(["revocation status unknown for 'CN=Sealgate Test Intermediate,O=Sealgate Test': no CRL from CN=Sealgate Test Root,O=Sealgate Test"]);
  });

  it('a CRL carried inside the message is used: a revoked signer fails even without configured CRLs', () => {
    // Rebuild our SignedData with the intermediate's CRL in its crls [1] field.
    const sig = signCms(content, { certificate: pki.revoked.der, privateKey: pki.revoked.key, chain: [pki.inter.der] });
    const sd = signedDataFields(sig);
    const withCrl = derEncode(0x30, sig.subarray(sd.ct.start, sd.ct.end), derEncode(0xa0, derEncode(0x30, ...sd.kids.slice(0, -1).map((k) => sig.subarray(k.start, k.end)), derEncode(0xa1, pki.crlDer), sig.subarray(sd.kids.at(-1)!.start, sd.kids.at(-1)!.end))));
    // openssl, asked to check CRLs, agrees the signer is revoked.
    const f = join(pki.dir, 'with-crl.der');
    const cf = join(pki.dir, 'with-crl.txt');
    writeFileSync(f, withCrl);
    writeFileSync(cf, content);
    expect(() => openssl(['cms', '-verify', '-inform', 'DER', '-in', f, '-content', cf, '-binary', '-CAfile', pki.root.certFile, '-crl_check', '-out', '/dev/null'])).toThrow(/certificate revoked/);
    const r = verifyCms(withCrl, { trustAnchors: [pki.root.der], detachedContent: content });
    expect(r.valid).toBe(false);
    expect(r.signers[0]!.failures[0]).toMatch(/^certificate revoked .*Mallory/);
  });
});

describe('signature problems', () => {
  it('a certificate swapped for another one with the same key is caught by the ESS signing-certificate-v2 attribute', () => {
    const sig = signCms(content, { certificate: pki.alice.der, privateKey: pki.alice.key, chain: [pki.inter.der, pki.alice2.der] });
    // Point the SignerInfo's issuerAndSerialNumber at Alice's second certificate (serial 0x2001 -> 0x2005).
    const swapped = Buffer.from(sig);
    const si = childrenOf(sig, signedDataFields(sig).signerInfo)[1]!; // issuerAndSerialNumber
    const serial = childrenOf(sig, si)[1]!;
    expect(sig.subarray(serial.start, serial.end).toString('hex')).toBe('02022001');
    Buffer.from('02022005', 'hex').copy(swapped, serial.start);
    const r = verifyCms(swapped, { trustAnchors: [pki.root.der], detachedContent: content });
    expect(r.signers[0]!.serialNumber).toBe('2005');
    expect(r.signers[0]!.signatureValid).toBe(true); // same key, so the raw signature checks out
    expect(r.signers[0]!.failures).toEqual(['signing certificate attribute does not match the signer certificate']);
    expect(r.valid).toBe(false);
  });

  it('a signature by another key than the certificate says does not verify', () => {
    const sig = Buffer.from(signCms(content, aliceSpec()));
    const other = signCms(content, { certificate: pki.revoked.der, privateKey: pki.revoked.key });
    // Graft Mallory's signature value (same length, RSA-2048) into Alice's SignerInfo.
    const tail = (b: Buffer) => b.subarray(b.length - 256);
    tail(other).copy(sig, sig.length - 256);
    const r = verifyCms(sig, { trustAnchors: [pki.root.der], detachedContent: content });
    expect(r.valid).toBe(false);
    expect(r.signers[0]!.signatureValid).toBe(false);
    expect(r.signers[0]!.failures).toEqual(['signature does not verify']);
  });

  it('openssl -nocerts: the signer certificate must come from the caller', () => {
    const inFile = join(pki.dir, 'nocerts-in.txt');
    writeFileSync(inFile, content);
    const sig = openssl(['cms', '-sign', '-binary', '-nocerts', '-in', inFile, '-signer', pki.alice.certFile, '-inkey', pki.alice.keyFile, '-outform', 'DER']);
    const r = verifyCms(sig, { trustAnchors: [pki.root.der], intermediates: [pki.inter.der], detachedContent: content });
    expect(r.valid).toBe(false);
    expect(r.signers[0]!.failures).toEqual(['signer certificate not found']);
    expect(r.signers[0]!.serialNumber).toBe('2001');
    const ok = verifyCms(sig, { trustAnchors: [pki.root.der], intermediates: [pki.inter.der, pki.alice.der], detachedContent: content });
    expect(ok.valid).toBe(true);
  });

  it('a private key that does not belong to the certificate is refused when preparing the signer', () => {
    expect(() => createSigner({ certificate: pki.alice.der, privateKey: pki.ecdsa.key })).toThrow(/does not match the signer certificate/);
    expect(() => createSigner({ certificate: pki.alice.der, privateKey: pki.revoked.key })).toThrow(SmimeError);
  });
});

describe('bad input is a SmimeError, never a crash', () => {
  const code = (f: () => unknown): string => {
    try {
      f();
      return 'no error';
    } catch (e) {
      return e instanceof SmimeError ? e.code : `non-SmimeError: ${String(e)}`;
    }
  };

  it('detached signature without content, and content given twice', () => {
    expect(code(() => verifyCms(signCms(content, aliceSpec()), { trustAnchors: [pki.root.der] }))).toBe('invalid-input');
    const opaque = signCms(content, aliceSpec(), { detached: false });
    expect(code(() => verifyCms(opaque, { trustAnchors: [pki.root.der], detachedContent: content }))).toBe('invalid-input');
  });

  it('not a SignedData, empty input, garbage, truncation, absurd lengths and nesting', () => {
    const sig = signCms(content, aliceSpec());
    const anchors = { trustAnchors: [pki.root.der] as Buffer[], detachedContent: content };
    const envelopedCi = Buffer.from('300f06092a864886f70d010703a0023000', 'hex');
    expect(code(() => verifyCms(envelopedCi, anchors))).toBe('invalid-input');
    expect(code(() => verifyCms(Buffer.alloc(0), anchors))).toBe('malformed');
    expect(code(() => verifyCms(Buffer.from('hello world'), anchors))).toBe('malformed');
    expect(code(() => verifyCms(sig.subarray(0, sig.length - 1), anchors))).toBe('malformed');
    expect(code(() => verifyCms(Buffer.from([0x30, 0x84, 0xff, 0xff, 0xff, 0xff, 0x00]), anchors))).toBe('malformed');
    expect(code(() => verifyCms(Buffer.from([0x30, 0x89, 1, 2, 3, 4, 5, 6, 7, 8, 9]), anchors))).toBe('malformed');
    const deep = Buffer.concat([Buffer.from(Array(5000).fill([0x30, 0x80]).flat()), Buffer.alloc(10000)]); // 5000 nested BER sequences
    expect(code(() => verifyCms(deep, anchors))).toBe('malformed');
  });

  it('random mutations anywhere in a signature give a result or a SmimeError, never a crash or hang', () => {
    const sig = signCms(content, aliceSpec(), { signatureTypes: ['domainSig'] });
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(sig.length - 1), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }),
        fc.option(fc.nat(sig.length - 1), { nil: undefined }),
        (flips, cut) => {
          const m = Buffer.from(sig);
          for (const [pos, val] of flips) m[pos] = val;
          const input = cut === undefined ? m : m.subarray(0, cut);
          try {
            verifyCms(input, { trustAnchors: [pki.root.der], detachedContent: content });
          } catch (e) {
            expect(e).toBeInstanceOf(SmimeError);
          }
        },
      ),
      { numRuns: 1500, seed: 4134 },
    );
  });

  it('no change to the signed attributes, the signature value or the content ever verifies', () => {
    const sig = signCms(content, aliceSpec(), { signatureTypes: ['domainSig'] });
    const si = childrenOf(sig, signedDataFields(sig).signerInfo);
    const attrs = si.find((t) => t.tag === 0xa0)!;
    const sigValue = si.at(-1)!;
    const protectedRanges: [number, number][] = [
      [attrs.start, attrs.end],
      [sigValue.contentStart, sigValue.contentEnd],
    ];
    const positions = fc.oneof(...protectedRanges.map(([a, b]) => fc.integer({ min: a, max: b - 1 })));
    fc.assert(
      fc.property(fc.uniqueArray(fc.tuple(positions, fc.integer({ min: 1, max: 255 })), { minLength: 1, maxLength: 3, selector: ([p]) => p }), fc.option(fc.nat(content.length - 1), { nil: undefined }), (flips, contentPos) => {
        const m = Buffer.from(sig);
        for (const [pos, x] of flips) m[pos] ^= x;
        const c = Buffer.from(content);
        if (contentPos !== undefined) c[contentPos] ^= 0x01;
        let valid = false;
        try {
          valid = verifyCms(m, { trustAnchors: [pki.root.der], detachedContent: c }).valid;
        } catch (e) {
          expect(e).toBeInstanceOf(SmimeError);
        }
        expect(valid).toBe(false);
      }),
      { numRuns: 1000, seed: 3183 },
    );
  });
});
