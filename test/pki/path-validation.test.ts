// Path building and validation behaviour beyond PKITS: e-mail purpose rules, trust anchors used as
// leaves, version 1 CA certificates, cross-certified loops, bad input, revocation modes, and the
// RFC 5280 name comparison. Certificates are made at test time by the real openssl CLI.

import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AttributeTypeAndValue, AttributeValue, Name, RelativeDistinguishedName } from '@peculiar/asn1-x509';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nameMatchKey, nameToString, parseCert } from '../../src/pki/cert-util.js';
import { validatePath } from '../../src/pki/path-validation.js';

let dir: string;
const der: Record<string, Buffer> = {};
let now: Date; // set after the certificates exist (their notBefore is their creation time)

function sh(args: string[]) {
  execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
}
function load(name: string) {
  der[name] = Buffer.from(readFileSync(join(dir, `${name}.pem`), 'latin1').replace(/-----[^-]+-----/g, '').replace(/\s+/g, ''), 'base64');
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'sealgate-path-'));
  writeFileSync(
    join(dir, 'ext.cnf'),
    [
      '[ca]',
      'basicConstraints = critical, CA:TRUE',
      'keyUsage = critical, keyCertSign, cRLSign',
      'subjectKeyIdentifier = hash',
      '[anyeku]',
      'basicConstraints = CA:FALSE',
      'keyUsage = critical, digitalSignature',
      'extendedKeyUsage = anyExtendedKeyUsage',
      '[email]',
      'basicConstraints = CA:FALSE',
      'keyUsage = critical, digitalSignature',
      'extendedKeyUsage = emailProtection',
      '',
    ].join('\n'),
  );
  const key = (n: string) => sh(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', `${n}.key`]);
  const csr = (n: string, cn: string) => sh(['req', '-new', '-key', `${n}.key`, '-out', `${n}.csr`, '-subj', `/O=Path Test/CN=${cn}`]);
  const self = (n: string, ext?: string) => sh(['x509', '-req', '-in', `${n}.csr`, '-signkey', `${n}.key`, '-out', `${n}.pem`, '-days', '30', ...(ext ? ['-extfile', 'ext.cnf', '-extensions', ext] : [])]);
  const issue = (n: string, ca: string, ext: string | undefined, serial: string) =>
    sh(['x509', '-req', '-in', `${n}.csr`, '-CA', `${ca}.pem`, '-CAkey', `${ca}.key`, '-set_serial', serial, '-out', `${n}.pem`, '-days', '30', ...(ext ? ['-extfile', 'ext.cnf', '-extensions', ext] : [])]);
  for (const n of ['root', 'v1ca', 'caA', 'caB', 'anyeku', 'leafv1', 'selfleaf']) key(n);
  csr('root', 'Root');
  self('root', 'ca');
  csr('selfleaf', 'Self Signed Leaf');
  self('selfleaf', 'email');
  csr('v1ca', 'Version1 CA');
  issue('v1ca', 'root', undefined, '0x10'); // no extensions: a version 1 certificate
  csr('leafv1', 'Leaf Under V1');
  issue('leafv1', 'v1ca', 'email', '0x11');
  csr('anyeku', 'Any EKU');
  issue('anyeku', 'root', 'anyeku', '0x12');
  // Two CAs certifying each other, neither reaching the root.
  csr('caA', 'Cross A');
  csr('caB', 'Cross B');
  self('caA', 'ca');
  self('caB', 'ca');
  issue('caA', 'caB', 'ca', '0x20');
  writeFileSync(join(dir, 'caAbyB.pem'), readFileSync(join(dir, 'caA.pem')));
  self('caA', 'ca');
  issue('caB', 'caA', 'ca', '0x21');
  writeFileSync(join(dir, 'caBbyA.pem'), readFileSync(join(dir, 'caB.pem')));
  // 40 look-alike CA certificates: same name, same key, all self-issued; one more for the same
  // name and key issued by the root; and a leaf under that name.
  key('lookalike');
  csr('lookalike', 'Look Alike CA');
  for (let k = 0; k < 40; k++) {
    sh(['x509', '-req', '-in', 'lookalike.csr', '-signkey', 'lookalike.key', '-set_serial', String(1000 + k), '-out', `lookalike${k}.pem`, '-days', '30', '-extfile', 'ext.cnf', '-extensions', 'ca']);
    load(`lookalike${k}`);
  }
  issue('lookalike', 'root', 'ca', '0x30');
  writeFileSync(join(dir, 'lookalikeByRoot.pem'), readFileSync(join(dir, 'lookalike.pem')));
  sh(['x509', '-req', '-in', 'lookalike.csr', '-signkey', 'lookalike.key', '-out', 'lookalike.pem', '-days', '30', '-extfile', 'ext.cnf', '-extensions', 'ca']);
  csr('anyeku', 'Leaf Under Look Alike');
  sh(['x509', '-req', '-in', 'anyeku.csr', '-CA', 'lookalike.pem', '-CAkey', 'lookalike.key', '-set_serial', '0x31', '-out', 'lookleaf.pem', '-days', '30', '-extfile', 'ext.cnf', '-extensions', 'email']);
  for (const n of ['root', 'v1ca', 'leafv1', 'anyeku', 'selfleaf', 'caAbyB', 'caBbyA', 'lookalikeByRoot', 'lookleaf']) load(n);
  now = new Date(Date.now() + 2000);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('purpose and anchors', () => {
  it('anyExtendedKeyUsage satisfies the e-mail purpose', () => {
    const r = validatePath(der.anyeku!, { trustAnchors: [der.root!], at: now, purpose: 'emailProtection' });
    expect(r.failures).toEqual([]);
    expect(r).toEqual({ valid: true, chain: [der.anyeku, der.root], failures: [] });
  });

  it('a certificate that is itself a trust anchor validates as a one-element chain while in date', () => {
    expect(validatePath(der.selfleaf!, { trustAnchors: [der.selfleaf!], at: now })).toEqual({ valid: true, chain: [der.selfleaf], failures: [] });
    const later = validatePath(der.selfleaf!, { trustAnchors: [der.selfleaf!], at: new Date(now.getTime() + 90 * 86_400_000) });
    expect(later.valid).toBe(false);
    expect(later.failures[0]).toMatch(/^certificate expired/);
  });

  it('a self-signed certificate that is not an anchor has no path', () => {
    const r = validatePath(der.selfleaf!, { trustAnchors: [der.root!], at: now });
    expect(r.valid).toBe(false);
    expect(r.failures).toEqual(["no certification path to a trust anchor: issuer 'CN=Self Signed Leaf,O=Path Test' of 'CN=Self Signed Leaf,O=Path Test' not found"]);
  });

  it('a version 1 certificate cannot act as a CA', () => {
    const r = validatePath(der.leafv1!, { trustAnchors: [der.root!], intermediates: [der.v1ca!], at: now });
    expect(r.valid).toBe(false);
    expect(r.failures).toContain("certificate 'CN=Version1 CA,O=Path Test' is not a CA certificate (basicConstraints cA not set)");
  });

  it('no usable trust anchor, or an unreadable leaf, is a failure, not an exception', () => {
    expect(validatePath(der.anyeku!, { trustAnchors: [Buffer.from('junk')], at: now }).failures).toEqual(['no usable trust anchors configured']);
    const bad = validatePath(Buffer.from([0x30, 0x03, 0x02, 0x01, 0x01]), { trustAnchors: [der.root!], at: now });
    expect(bad.valid).toBe(false);
    expect(bad.failures[0]).toMatch(/^certificate does not parse/);
  });
});

describe('path building', () => {
  it('cross-certified CAs that never reach an anchor end quickly with no path', () => {
    const t0 = Date.now();
    const r = validatePath(der.caAbyB!, { trustAnchors: [der.root!], intermediates: [der.caAbyB!, der.caBbyA!], at: now });
    expect(r.valid).toBe(false);
    expect(r.failures[0]).toMatch(/^no certification path to a trust anchor/);
    expect(Date.now() - t0).toBeLessThan(2000);
  });

  it('forty look-alike CA certificates do not make path building explode', () => {
    const lookalikes = Array.from({ length: 40 }, (_, k) => der[`lookalike${k}`]!);
    let t0 = Date.now();
    const none = validatePath(der.lookleaf!, { trustAnchors: [der.root!], intermediates: lookalikes, at: now });
    expect(none.valid).toBe(false);
    expect(none.failures).toEqual(['path building gave up: too many candidate certificates']);
    expect(Date.now() - t0).toBeLessThan(3000);
    // With the real certificate among them, the shortest path is found first.
    t0 = Date.now();
    const found = validatePath(der.lookleaf!, { trustAnchors: [der.root!], intermediates: [...lookalikes, der.lookalikeByRoot!], at: now });
    expect(found.failures).toEqual([]);
    expect(found.chain.map((c) => c.toString('hex'))).toEqual([der.lookleaf!, der.lookalikeByRoot!, der.root!].map((c) => c.toString('hex')));
    expect(Date.now() - t0).toBeLessThan(3000);
  });

  it('revocation off by default without CRLs, required when CRLs are given', () => {
    expect(validatePath(der.anyeku!, { trustAnchors: [der.root!], at: now }).valid).toBe(true);
    const r = validatePath(der.anyeku!, { trustAnchors: [der.root!], at: now, crls: [] });
    expect(r.valid).toBe(false);
    expect(r.failures).toEqual(["revocation status unknown for 'CN=Any EKU,O=Path Test': no CRL from CN=Root,O=Path Test"]);
    expect(validatePath(der.anyeku!, { trustAnchors: [der.root!], at: now, crls: [], revocation: 'best-effort' }).valid).toBe(true);
  });

  it('parsed certificates expose what the checks use', () => {
    const c = parseCert(der.anyeku!);
    expect(c.version).toBe(3);
    expect(c.serialHex).toBe('12');
    expect(c.basicConstraints).toEqual({ ca: false, pathLen: undefined });
    expect(c.extKeyUsage).toEqual(['2.5.29.37.0']);
    expect(c.subjectText).toBe('CN=Any EKU,O=Path Test');
    expect(parseCert(der.v1ca!).version).toBe(1);
  });
});

describe('RFC 5280 name comparison', () => {
  const dn = (...rdns: [string, Partial<AttributeValue>][]) =>
    new Name(rdns.map(([type, value]) => new RelativeDistinguishedName([new AttributeTypeAndValue({ type, value: new AttributeValue(value) })])));
  const O = '2.5.4.10';
  const CN = '2.5.4.3';

  it('ignores case and folds whitespace, across PrintableString and UTF8String', () => {
    const a = dn([O, { printableString: 'Test  Certificates' }], [CN, { printableString: ' Good CA ' }]);
    const b = dn([O, { utf8String: 'test certificates' }], [CN, { utf8String: 'GOOD   ca' }]);
    expect(nameMatchKey(a)).toBe(nameMatchKey(b));
  });

  it('keeps RDN order significant and different values different', () => {
    const a = dn([O, { printableString: 'X' }], [CN, { printableString: 'Y' }]);
    expect(nameMatchKey(a)).not.toBe(nameMatchKey(dn([CN, { printableString: 'Y' }], [O, { printableString: 'X' }])));
    expect(nameMatchKey(a)).not.toBe(nameMatchKey(dn([O, { printableString: 'X' }], [CN, { printableString: 'Z' }])));
  });

  it('prints RFC 4514 strings with escaping and no control characters', () => {
    expect(nameToString(dn([O, { utf8String: 'A, B' }], [CN, { utf8String: 'line\nbreak' }]))).toBe('CN=line\\0abreak,O=A\\, B');
  });
});

describe('changed certificates never validate and never throw', () => {
  const pk = (f: string) => readFileSync(join(process.cwd(), '..', 'shared', 'testdata', 'pkits', f));
  const anchor = () => pk('certs/TrustAnchorRootCertificate.crt');
  const goodCa = () => pk('certs/GoodCACert.crt');
  const leaf = () => pk('certs/ValidCertificatePathTest1EE.crt');
  const crls = () => [pk('crls/TrustAnchorRootCRL.crl'), pk('crls/GoodCACRL.crl')];
  const at = new Date('2010-06-01Z');
  const mutate = (buf: Buffer, flips: [number, number][]) => {
    const m = Buffer.from(buf);
    for (const [pos, x] of flips) m[pos % m.length] ^= x;
    return m;
  };
  const flips = fc.uniqueArray(fc.tuple(fc.nat(4000), fc.integer({ min: 1, max: 255 })), { minLength: 1, maxLength: 3, selector: ([p]) => p % 700 });

  it('the unchanged PKITS path is valid (control)', () => {
    expect(validatePath(leaf(), { trustAnchors: [anchor()], intermediates: [goodCa()], crls: crls(), at, purpose: 'any' }).valid).toBe(true);
  });

  it('any byte change in the end-entity certificate', () => {
    const l = leaf();
    fc.assert(
      fc.property(flips, (f) => {
        const m = mutate(l, f);
        if (m.equals(l)) return;
        const r = validatePath(m, { trustAnchors: [anchor()], intermediates: [goodCa()], crls: crls(), at, purpose: 'any' });
        expect(r.valid).toBe(false);
        expect(r.failures.length).toBeGreaterThan(0);
      }),
      { numRuns: 400, seed: 5280 },
    );
  });

  it('any byte change in the intermediate or the CRL', () => {
    const g = goodCa();
    const [taCrl, caCrl] = crls();
    fc.assert(
      fc.property(flips, fc.boolean(), (f, inCrl) => {
        const ca = inCrl ? g : mutate(g, f);
        const crl = inCrl ? mutate(caCrl!, f) : caCrl!;
        if (ca.equals(g) && crl.equals(caCrl!)) return;
        const r = validatePath(leaf(), { trustAnchors: [anchor()], intermediates: [ca], crls: [taCrl!, crl], at, purpose: 'any' });
        expect(r.valid).toBe(false);
      }),
      { numRuns: 400, seed: 3280 },
    );
  });
});
