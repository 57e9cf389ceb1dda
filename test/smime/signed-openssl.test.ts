// Signatures interoperate with the real OpenSSL 3.0 CLI in both directions: what we sign,
// `openssl cms -verify -purpose smimesign` accepts and returns the same bytes; what `openssl cms -sign`
// produces (SHA-256/384/512, RSA PKCS#1 v1.5 and PSS, ECDSA P-256, detached and opaque) verifies here.

import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSigner, micalgFor, signCms, verifyCms, type SignOptions } from '../../src/smime/signed.js';
import { readTlv } from '../../src/pki/cert-util.js';
import { makeTestPki, openssl, type Party, type TestPki } from './signed-fixtures.js';

let pki: TestPki;
const content = Buffer.from(
  'Content-Type: text/plain; charset=us-ascii\r\n\r\nPatient summary follows.\r\nLine two with trailing spaces   \r\n' + 'x'.repeat(4000) + '\r\n',
  'latin1',
);
let n = 0;
const tmp = (name: string) => join(pki.dir, `${++n}-${name}`);

beforeAll(() => {
  pki = makeTestPki();
});
afterAll(() => pki?.cleanup());

/** openssl cms -verify; returns the content openssl recovered (throws when openssl rejects). */
function opensslVerify(sig: Buffer, detachedContent?: Buffer): Buffer {
  const sigFile = tmp('sig.der');
  writeFileSync(sigFile, sig);
  const args = ['cms', '-verify', '-inform', 'DER', '-in', sigFile, '-CAfile', pki.root.certFile, '-purpose', 'smimesign', '-binary'];
  if (detachedContent) {
    const cf = tmp('content.bin');
    writeFileSync(cf, detachedContent);
    args.push('-content', cf);
  }
  const out = tmp('out.bin');
  args.push('-out', out);
  openssl(args);
  return readFileSync(out);
}

function opensslSign(signer: Party, args: string[], data = content): Buffer {
  const inFile = tmp('in.bin');
  writeFileSync(inFile, data);
  return openssl(['cms', '-sign', '-binary', '-in', inFile, '-signer', signer.certFile, '-inkey', signer.keyFile, '-certfile', pki.inter.certFile, '-outform', 'DER', ...args]);
}

const ours: { label: string; who: () => Party; opts: SignOptions }[] = [
  { label: 'RSA PKCS#1 v1.5 SHA-256', who: () => pki.alice, opts: { digest: 'sha256' } },
  { label: 'RSA PKCS#1 v1.5 SHA-384', who: () => pki.alice, opts: { digest: 'sha384' } },
  { label: 'RSA PKCS#1 v1.5 SHA-512', who: () => pki.alice, opts: { digest: 'sha512' } },
  { label: 'RSASSA-PSS SHA-256', who: () => pki.alice, opts: { digest: 'sha256', rsaPss: true } },
  { label: 'RSASSA-PSS SHA-512', who: () => pki.alice, opts: { digest: 'sha512', rsaPss: true } },
  { label: 'ECDSA P-256 SHA-256', who: () => pki.ecdsa, opts: { digest: 'sha256' } },
  { label: 'ECDSA P-256 SHA-384', who: () => pki.ecdsa, opts: { digest: 'sha384' } },
];

describe('our signatures verify in openssl cms -verify', () => {
  for (const { label, who, opts } of ours) {
    for (const detached of [true, false]) {
      it(`${label}, ${detached ? 'detached' : 'opaque'}`, () => {
        const p = who();
        const sig = signCms(content, { certificate: p.der, privateKey: p.key, chain: [pki.inter.der] }, { ...opts, detached });
        const recovered = opensslVerify(sig, detached ? content : undefined);
        expect(recovered.equals(content)).toBe(true);
      });
    }
  }

  it('openssl rejects our signature when the content was changed', () => {
    const sig = signCms(content, { certificate: pki.alice.der, privateKey: pki.alice.key, chain: [pki.inter.der] });
    const changed = Buffer.from(content);
    changed[60] ^= 1;
    expect(() => opensslVerify(sig, changed)).toThrow();
  });
});

describe("openssl's signatures verify here", () => {
  const theirs: { label: string; who: () => Party; args: string[]; micalg: string }[] = [
    { label: 'RSA SHA-256', who: () => pki.alice, args: ['-md', 'sha256'], micalg: 'sha256' },
    { label: 'RSA SHA-384', who: () => pki.alice, args: ['-md', 'sha384'], micalg: 'sha384' },
    { label: 'RSA SHA-512', who: () => pki.alice, args: ['-md', 'sha512'], micalg: 'sha512' },
    { label: 'RSA-PSS SHA-256', who: () => pki.alice, args: ['-md', 'sha256', '-keyopt', 'rsa_padding_mode:pss'], micalg: 'sha256' },
    { label: 'RSA-PSS SHA-512', who: () => pki.alice, args: ['-md', 'sha512', '-keyopt', 'rsa_padding_mode:pss'], micalg: 'sha512' },
    { label: 'ECDSA P-256 SHA-256', who: () => pki.ecdsa, args: ['-md', 'sha256'], micalg: 'sha256' },
    { label: 'ECDSA P-256 SHA-512', who: () => pki.ecdsa, args: ['-md', 'sha512'], micalg: 'sha512' },
  ];
  for (const { label, who, args } of theirs) {
    for (const detached of [true, false]) {
      it(`${label}, ${detached ? 'detached' : 'opaque (-nodetach)'}`, () => {
        const p = who();
        const sig = opensslSign(p, detached ? args : [...args, '-nodetach']);
        const r = verifyCms(sig, { trustAnchors: [pki.root.der], detachedContent: detached ? content : undefined });
        expect(r.signers[0]?.failures).toEqual([]);
        expect(r.valid).toBe(true);
        const s = r.signers[0]!;
        expect(s.signatureValid && s.chainValid).toBe(true);
        expect(s.emailAddresses).toEqual([p === pki.alice ? 'alice@example.org' : 'bob@example.org']);
        expect(s.subject).toContain('CN=');
        expect(s.issuer).toBe('CN=Sealgate Test Intermediate,O=Sealgate Test');
        expect(s.chain.length).toBe(3);
        expect(s.chain[2]!.equals(pki.root.der)).toBe(true);
        expect(s.signingTime).toBeInstanceOf(Date);
        expect(Math.abs(s.signingTime!.getTime() - Date.now())).toBeLessThan(10 * 60_000);
        expect(s.capabilities).toContain('2.16.840.1.101.3.4.1.42'); // openssl announces aes256-cbc
        if (detached) expect(r.content).toBeUndefined();
        else expect(r.content!.equals(content)).toBe(true);
      });
    }
  }

  it("a changed byte in openssl's detached signature input is a message digest mismatch", () => {
    const sig = opensslSign(pki.alice, ['-md', 'sha256']);
    const changed = Buffer.from(content);
    changed[content.length - 3] ^= 0x20;
    const r = verifyCms(sig, { trustAnchors: [pki.root.der], detachedContent: changed });
    expect(r.valid).toBe(false);
    expect(r.signers[0]!.failures).toContain('message digest mismatch');
    expect(r.signers[0]!.chainValid).toBe(true);
  });

  it("a changed byte inside openssl's opaque signature is a message digest mismatch", () => {
    const sig = Buffer.from(opensslSign(pki.alice, ['-md', 'sha256', '-nodetach']));
    const at = sig.indexOf(Buffer.from('Patient summary'));
    expect(at).toBeGreaterThan(0);
    sig[at] ^= 0x01;
    const r = verifyCms(sig, { trustAnchors: [pki.root.der] });
    expect(r.valid).toBe(false);
    expect(r.signers[0]!.failures).toContain('message digest mismatch');
  });
});

describe('what openssl sees inside our signatures', () => {
  it('carries the RFC 3183 signature type attribute with the domainSig and reviewSig OIDs', () => {
    const sig = signCms(content, { certificate: pki.alice.der, privateKey: pki.alice.key }, { signatureTypes: ['domainSig', 'reviewSig'] });
    const f = tmp('st.der');
    writeFileSync(f, sig);
    const printed = openssl(['cms', '-cmsout', '-print', '-inform', 'DER', '-in', f]).toString('latin1');
    // openssl names 1.2.840.113549.1.9.16.2.28 id-smime-aa-signatureType; the values are printed as a SEQUENCE of OIDs.
    const at = printed.indexOf('id-smime-aa-signatureType');
    expect(at).toBeGreaterThan(0);
    const after = printed.slice(at, at + 600);
    expect(after).toContain('1.2.840.113549.1.9.16.9.2');
    expect(after).toContain('1.2.840.113549.1.9.16.9.4');
    expect(after).not.toContain('1.2.840.113549.1.9.16.9.1');
    const der = openssl(['asn1parse', '-inform', 'DER', '-in', f]).toString('latin1');
    expect(der).toMatch(/id-smime-aa-signatureType\s*\n.*SET\s*\n.*SEQUENCE\s*\n.*OBJECT\s*:1\.2\.840\.113549\.1\.9\.16\.9\.2\s*\n.*OBJECT\s*:1\.2\.840\.113549\.1\.9\.16\.9\.4/);
  });

  it('uses RSASSA-PSS parameters byte-identical to openssl (same hash for MGF1, salt = hash length)', () => {
    const pssOid = Buffer.from('06092a864886f70d01010a', 'hex');
    const paramsAfterOid = (der: Buffer) => {
      const at = der.lastIndexOf(pssOid); // the SignerInfo's signatureAlgorithm (certificates use sha256WithRSA)
      expect(at).toBeGreaterThan(0);
      const t = readTlv(der, at + pssOid.length);
      return der.subarray(t.start, t.end);
    };
    for (const digest of ['sha256', 'sha384', 'sha512'] as const) {
      const sig = signCms(content, { certificate: pki.alice.der, privateKey: pki.alice.key }, { rsaPss: true, digest });
      // openssl's own default salt is the maximum; asked for salt = digest length it must match ours exactly.
      const theirs = opensslSign(pki.alice, ['-md', digest, '-keyopt', 'rsa_padding_mode:pss', '-keyopt', 'rsa_pss_saltlen:digest']);
      expect(paramsAfterOid(sig).toString('hex')).toBe(paramsAfterOid(theirs).toString('hex'));
    }
    const f = tmp('pss.der');
    writeFileSync(f, signCms(content, { certificate: pki.alice.der, privateKey: pki.alice.key }, { rsaPss: true, digest: 'sha384' }));
    const parsed = openssl(['asn1parse', '-inform', 'DER', '-in', f]).toString('latin1');
    const tail = parsed.slice(parsed.lastIndexOf(':rsassaPss'));
    expect(tail).toMatch(/:sha384[\s\S]*:mgf1[\s\S]*:sha384[\s\S]*cont \[ 2 \][\s\S]*INTEGER\s*:30/);
  });

  it('includes ESS signing-certificate-v2 (SHA-256 hash, hashAlgorithm omitted), SMIMECapabilities and the chain', () => {
    const sig = signCms(content, { certificate: pki.alice.der, privateKey: pki.alice.key, chain: [pki.inter.der] }, { detached: false });
    const f = tmp('ess.der');
    writeFileSync(f, sig);
    const parsed = openssl(['asn1parse', '-inform', 'DER', '-in', f, '-i']).toString('latin1');
    expect(parsed).toContain('id-smime-aa-signingCertificateV2');
    expect(parsed).toContain('S/MIME Capabilities');
    for (const aes of ['aes-256-gcm', 'aes-128-gcm', 'aes-256-cbc', 'aes-128-cbc']) expect(parsed).toContain(aes);
    // ESSCertIDv2 begins directly with the certHash OCTET STRING (32 bytes) when the hash is SHA-256.
    const ess = parsed.slice(parsed.indexOf('id-smime-aa-signingCertificateV2'));
    expect(ess).toMatch(/SEQUENCE\s*\n.*SEQUENCE\s*\n.*SEQUENCE\s*\n.*prim:\s+OCTET STRING\s+\[HEX DUMP\]:[0-9A-F]{64}\n/);
    // openssl checks the ESS certificate ID against the signer certificate when verifying.
    expect(opensslVerify(sig).equals(content)).toBe(true);
    const certs = openssl(['cms', '-verify', '-noverify', '-inform', 'DER', '-in', f, '-certsout', tmp('certs.pem'), '-out', '/dev/null']);
    expect(certs).toBeDefined();
  });

  it('gives the micalg parameter for each digest', () => {
    expect(micalgFor('sha256')).toBe('sha-256');
    expect(micalgFor('sha384')).toBe('sha-384');
    expect(micalgFor('sha512')).toBe('sha-512');
  });

  it('a prepared signer signs many messages, each verifiable, with the fixed signing time given', () => {
    const t = new Date('2026-01-02T03:04:05Z');
    const signer = createSigner({ certificate: pki.ecdsa.der, privateKey: pki.ecdsa.key, chain: [pki.inter.der] }, { signingTime: t, detached: true });
    expect(signer.micalg).toBe('sha-256');
    for (const body of [Buffer.from('one\r\n'), Buffer.from('two\r\n'), Buffer.alloc(0)]) {
      const sig = signer.sign(body);
      const r = verifyCms(sig, { trustAnchors: [pki.root.der], detachedContent: body, at: new Date() });
      expect(r.valid).toBe(true);
      expect(r.signers[0]!.signingTime!.toISOString()).toBe(t.toISOString());
      if (body.length) expect(opensslVerify(sig, body).equals(body)).toBe(true);
    }
  });
});
