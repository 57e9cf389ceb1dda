// CRL checking and Direct-style trust bundles at the stage core, over real HTTP on loopback with an
// openssl-made partner PKI: a signer whose CRL (fetched from its distribution point) is good passes
// saying so, a revoked one fails; an unreachable or hanging CRL server or a certificate without a
// distribution point still passes in soft mode with the reason, and is neutral in hard mode. Trust
// bundles (PKCS#7, DER or PEM) anchor only their own domain, are reloaded when older than
// refreshMinutes, and a failed reload keeps the last good bundle.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createPrivateKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { processInbound, type InboundSmimeOptions, type SignatureReport } from '../../src/inbound/decrypt-stage.js';
import { createCrlFetcher } from '../../src/inbound/revocation.js';
import { createTrustBundles, parseTrustBundle } from '../../src/inbound/trust-bundles.js';
import { smimeSignMessage, pemToDer } from '../../src/smime/index.js';
import { cleanup, freePort } from '../helpers/gateway.js';
import { makePartnerPki, type PartnerPki } from './crl-pki.js';
import { startHttpFiles, type HttpFiles } from './http-files.js';

const HOST = 'mx.hospital.test';
let http: HttpFiles;
let pki: PartnerPki;
let other: PartnerPki;
let caDer: Buffer;

beforeAll(async () => {
  http = await startHttpFiles();
  const dead = await freePort();
  pki = await makePartnerPki(
    {
      'dana@other.test': http.url('/crl.der'),
      'erin@other.test': http.url('/crl.der'),
      'frank@other.test': `http://127.0.0.1:${dead}/crl.der`,
      'hank@other.test': http.url('/hang.crl'),
      'gus@other.test': undefined,
    },
    ['erin@other.test'],
  );
  other = await makePartnerPki({ 'ivy@other.test': undefined });
  http.files.set('/crl.der', pki.crlDer);
  http.files.set('/hang.crl', 'hang');
  caDer = pemToDer(readFileSync(pki.caPath, 'utf8'), ['CERTIFICATE']);
}, 120_000);

afterAll(async () => {
  await http?.close();
  for (const p of [pki, other]) if (p) cleanup(p.dir);
});

function signedBy(p: PartnerPki, email: string): Buffer {
  const id = p.ids[email]!;
  return smimeSignMessage(
    Buffer.from(`From: ${email}\r\nTo: bob@hospital.test\r\nSubject: crl\r\n\r\nhello\r\n`),
    { certificate: pemToDer(readFileSync(id.certPath, 'utf8'), ['CERTIFICATE']), privateKey: createPrivateKey(readFileSync(id.keyPath)) },
  );
}

async function report(email: string, o: Partial<InboundSmimeOptions>, p = pki): Promise<SignatureReport> {
  const opts: InboundSmimeOptions = { hostname: HOST, keys: async () => [], trustAnchors: async () => [caDer], crls: createCrlFetcher({ timeoutMs: 1500 }), crlCheck: 'soft', ...o };
  const r = await processInbound(signedBy(p, email), opts, new Date());
  if (r.kind !== 'continue') throw new Error(r.reason);
  expect(r.reports).toHaveLength(1);
  return r.reports[0]!;
}

describe('CRL checking', () => {
  test('good status from the fetched CRL: pass, saying the CRL was checked; revoked: fail', async () => {
    const crls = createCrlFetcher({ timeoutMs: 1500 });
    const good = await report('dana@other.test', { crls });
    expect([good.result, good.reason]).toEqual(['pass', 'valid signature, trusted signer, not revoked: CRL checked']);
    const revoked = await report('erin@other.test', { crls });
    expect(revoked.result).toBe('fail');
    expect(revoked.reason).toMatch(/^signer certificate revoked \d{4}-\d\d-\d\d \(reason keyCompromise\)/);
    expect(http.hits.get('/crl.der')).toBe(1); // one fetcher: cached until nextUpdate
  });

  test('unreachable CRL server: soft passes with the reason, hard is neutral', async () => {
    const soft = await report('frank@other.test', { crlCheck: 'soft' });
    expect(soft.result).toBe('pass');
    expect(soft.reason).toMatch(/^valid signature, trusted signer; revocation not checked: CRL unreachable: http:\/\/127\.0\.0\.1:\d+\/crl\.der: /);
    const hard = await report('frank@other.test', { crlCheck: 'hard' });
    expect(hard.result).toBe('neutral');
    expect(hard.reason).toMatch(/^revocation status unknown: CRL unreachable: /);
  });

  test('a CRL server that never answers times out (crlTimeoutSeconds); the failure is remembered for a minute', async () => {
    const crls = createCrlFetcher({ timeoutMs: 1500 });
    const t0 = Date.now();
    const r = await report('hank@other.test', { crlCheck: 'hard', crls });
    expect(r.result).toBe('neutral');
    expect(r.reason).toMatch(/timeout after 1500 ms/);
    expect(Date.now() - t0).toBeLessThan(10_000);
    const t1 = Date.now();
    const again = await report('hank@other.test', { crlCheck: 'hard', crls });
    expect(again.reason).toBe(r.reason);
    expect(Date.now() - t1).toBeLessThan(1000); // no second timeout
  });

  test('no distribution point: soft passes saying so; off does not fetch at all', async () => {
    const r = await report('gus@other.test', {});
    expect(r.result).toBe('pass');
    expect(r.reason).toMatch(/revocation not checked: no http CRL distribution point/);
    const before = http.hits.get('/crl.der');
    const off = await report('erin@other.test', { crlCheck: 'off', crls: createCrlFetcher({ timeoutMs: 1500 }) });
    expect(off.result).toBe('pass');
    expect(http.hits.get('/crl.der')).toBe(before);
  });
});

describe('trust bundles', () => {
  test('PKCS#7 DER and PEM bundles and PEM certificate lists give the certificates', () => {
    expect(parseTrustBundle(pki.bundleDer).map((c) => c.equals(caDer))).toEqual([true]);
    expect(parseTrustBundle(Buffer.from(pki.bundlePem)).map((c) => c.equals(caDer))).toEqual([true]);
    expect(parseTrustBundle(readFileSync(pki.caPath)).map((c) => c.equals(caDer))).toEqual([true]);
    expect(() => parseTrustBundle(Buffer.from('not a bundle'))).toThrow();
  });

  test('a bundle anchors its own domain only; reloaded after refreshMinutes; a failed reload keeps the last good one', async () => {
    let now = 1_000_000;
    http.files.set('/bundle.p7b', pki.bundleDer);
    const errors: string[] = [];
    const b = createTrustBundles([{ domain: 'other.test', source: http.url('/bundle.p7b'), refreshMinutes: 5 }], { timeoutMs: 1500, now: () => now, onError: (_s, e) => errors.push(e) });
    expect((await b.anchorsFor('OTHER.test')).map((c) => c.equals(caDer))).toEqual([true]);
    expect(await b.anchorsFor('example.test')).toEqual([]);
    // The signer passes with the bundle for its domain and is neutral without it.
    const withBundle = await report('gus@other.test', { trustAnchors: (d) => b.anchorsFor(d ?? ''), crlCheck: 'off' });
    expect(withBundle.result).toBe('pass');
    const otherDomain = await report('gus@other.test', { trustAnchors: async () => [...(await b.anchorsFor('example.test')), pemToDer(readFileSync(other.caPath, 'utf8'), ['CERTIFICATE'])], crlCheck: 'off' });
    expect(otherDomain.result).toBe('neutral');

    const otherCa = pemToDer(readFileSync(other.caPath, 'utf8'), ['CERTIFICATE']);
    http.files.set('/bundle.p7b', Buffer.from(other.bundlePem));
    now += 4 * 60_000;
    await b.anchorsFor('other.test');
    expect(http.hits.get('/bundle.p7b')).toBe(1); // not yet stale
    now += 61_000;
    expect((await b.anchorsFor('other.test'))[0]!.equals(caDer)).toBe(true); // reload runs in the background
    for (let i = 0; i < 50 && !(await b.anchorsFor('other.test'))[0]!.equals(otherCa); i++) await new Promise((r) => setTimeout(r, 20));
    expect((await b.anchorsFor('other.test'))[0]!.equals(otherCa)).toBe(true);

    http.files.set('/bundle.p7b', 'fail');
    now += 6 * 60_000;
    await b.anchorsFor('other.test');
    for (let i = 0; i < 50 && errors.length === 0; i++) await new Promise((r) => setTimeout(r, 20));
    expect(errors[0]).toMatch(/HTTP 500/);
    expect((await b.anchorsFor('other.test'))[0]!.equals(otherCa)).toBe(true);
    expect(b.status()).toEqual([expect.objectContaining({ domain: 'other.test', certificates: 1, error: expect.stringMatching(/HTTP 500/) })]);
  });
});

describe('trust bundle refresh schedule', () => {
  test('start() loads at once and reloads stale bundles without any mail; stop() ends it', async () => {
    let now = 5_000_000;
    http.files.set('/sched.p7b', pki.bundleDer);
    const b = createTrustBundles([{ domain: 'other.test', source: http.url('/sched.p7b'), refreshMinutes: 1 }], { timeoutMs: 1500, now: () => now });
    const stop = b.start(20);
    const until = async (cond: () => boolean) => {
      for (let i = 0; i < 100 && !cond(); i++) await new Promise((r) => setTimeout(r, 20));
      expect(cond()).toBe(true);
    };
    await until(() => b.status()[0]!.certificates === 1);
    expect(http.hits.get('/sched.p7b')).toBe(1);
    await new Promise((r) => setTimeout(r, 100));
    expect(http.hits.get('/sched.p7b')).toBe(1); // not stale yet: no reload
    http.files.set('/sched.p7b', Buffer.from(other.bundlePem));
    now += 61_000;
    const otherCa = pemToDer(readFileSync(other.caPath, 'utf8'), ['CERTIFICATE']);
    await until(() => http.hits.get('/sched.p7b') === 2);
    for (let i = 0; i < 100 && !(await b.anchorsFor('other.test'))[0]!.equals(otherCa); i++) await new Promise((r) => setTimeout(r, 20));
    expect((await b.anchorsFor('other.test'))[0]!.equals(otherCa)).toBe(true);
    expect(http.hits.get('/sched.p7b')).toBe(2); // the schedule's reload; use did not add one
    stop();
    now += 61_000;
    await new Promise((r) => setTimeout(r, 150));
    expect(http.hits.get('/sched.p7b')).toBe(2);
  });
});
