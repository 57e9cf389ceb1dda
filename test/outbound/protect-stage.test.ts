// The protection stage on its own (the pipeline stage object, our real PKI in SQLite, the real
// destination registry, real TLS sinks), checked with openssl as the partner: S/MIME to a known
// certificate with a domain signature that verifies with our root and carries the RFC 3183
// signature type; a user's own signature kept intact inside ours; reviewSig on approval; methods in
// order with fail-closed outcomes; TLS-required partners; mail that must pass unchanged.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore, type OpenedStore } from '../../src/store/index.js';
import { createDomainPki, fingerprint, toPem, type DomainPki } from '../../src/pki/ca.js';
import { defaultPkiConfig } from '../../src/pki/config.js';
import { generateKekSecret, kekFromSecret } from '../../src/pki/keystore.js';
import { domainKeyId, issueProxyCertificate } from '../../src/pki/issue.js';
import { DestinationRegistry } from '../../src/destinations/index.js';
import type { CertificateDirectory, LookupResult } from '../../src/directory/types.js';
import type { MissingCertificateResolver } from '../../src/directory/missing.js';
import type { StageMessage, Verdict } from '../../src/pipeline/stage.js';
import { createProtectStage } from '../../src/outbound/protect-stage.js';
import { createMethods, planMethods, type MethodDeps } from '../../src/outbound/methods.js';
import { lazyPki, outboundKeys, type OutboundKeys } from '../../src/outbound/keys.js';
import { createTlsProber } from '../../src/outbound/tls-probe.js';
import { ATTR, type MethodName, type PolicyDecision } from '../../src/outbound/types.js';
import { makeTestPki, type TestPki } from '../peers/pki.js';
import { opensslSign } from '../peers/openssl.js';
import { startSmtpSink, type SmtpSink } from '../helpers/smtp-sink.js';
import { OID_DOMAIN_SIG, OID_REVIEW_SIG, OID_SIGNATURE_TYPE, headerOf, partnerDecrypt, partnerVerify, printSignature } from './protect-helpers.js';

const DOMAIN = 'hospital.test';
const SECRET = 'Diagnosis: type 2 diabetes mellitus, MRN 00451234';

function message(subject = 'Lab results for follow-up', to = 'alice@example.test'): Buffer {
  return Buffer.from(
    `From: dr.jones@${DOMAIN}\r\nTo: ${to}\r\nSubject: ${subject}\r\nDate: Sun, 29 Nov 2026 10:00:00 +0000\r\n` +
      `Message-ID: <m1@${DOMAIN}>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n${SECRET}\r\n`,
  );
}

const decision = (action: PolicyDecision['action']): PolicyDecision => ({ action, phi: action === 'protect', pii: true, score: 9, threshold: 5, reasons: [], why: ['test'], notAllowed: [] });

function stageMessage(recipients: string[], action: PolicyDecision['action'], extra: Partial<StageMessage> = {}, body = message()): StageMessage {
  return {
    id: `q${Math.random().toString(36).slice(2, 10)}`,
    envelope: { direction: 'outbound', sender: `dr.jones@${DOMAIN}`, recipients, clientIp: '127.0.0.1', clientHelo: 'mua', tls: false, params: {}, receivedAt: new Date() },
    body,
    attrs: { [ATTR.policy]: decision(action) },
    ...extra,
  };
}

const ctx = () => ({ now: () => new Date(), signal: new AbortController().signal });

describe('outbound protection stage', () => {
  let dir: string;
  let store: OpenedStore;
  let pki: DomainPki;
  let partner: TestPki;
  let keys: OutboundKeys;
  let registry: DestinationRegistry;
  let plainSink: SmtpSink;
  let tlsSink: SmtpSink;
  const audit: Array<Record<string, unknown>> = [];

  /** A directory with one known certificate (alice), and a source that fails for down.test. */
  const directory: Pick<CertificateDirectory, 'lookup'> = {
    async lookup(address) {
      const base: LookupResult = { address, rejected: [], errors: [], trail: [], cached: false };
      if (address === 'alice@example.test') {
        const der = partner.ids.alice!.certDer;
        return { ...base, certificate: { address, der, chain: [], source: 'local', origin: 'local store', fingerprint: fingerprint(der), notAfter: new Date(Date.now() + 1e10) } };
      }
      if (address.endsWith('@down.test')) return { ...base, errors: [{ source: 'ldap', origin: 'ldap://127.0.0.1:1', error: 'connection refused' }] };
      return base;
    },
  };

  function stage(o: { order?: MethodName[]; missing?: MissingCertificateResolver; keys?: OutboundKeys; domainSign?: boolean; tlsCa?: 'sink' | 'none'; sink?: SmtpSink } = {}) {
    const sink = o.sink ?? tlsSink;
    const deps: MethodDeps = {
      directory,
      registry,
      probe: createTlsProber({ hostname: 'gw.test', route: { mode: 'smarthost', host: '127.0.0.1', port: sink.port }, ca: o.tlsCa === 'none' ? undefined : [Buffer.from(tlsSink.certPem!)], timeoutMs: 5000 }),
      ...(o.missing ? { missing: o.missing } : {}),
    };
    return createProtectStage({
      keys: o.keys ?? keys,
      methods: createMethods(deps),
      order: o.order ?? ['smime', 'tls', 'issue', 'portal', 'hold'],
      domainSign: o.domainSign ?? true,
      domains: [DOMAIN],
      audit: async (e) => void audit.push(e as unknown as Record<string, unknown>),
    });
  }

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sg-protect-'));
    store = await openStore({ database: { kind: 'sqlite', file: join(dir, 'db.sqlite') }, spoolDir: join(dir, 'spool') });
    const config = defaultPkiConfig(dir, `mail.${DOMAIN}`, [DOMAIN]);
    pki = await createDomainPki({ store, domains: [DOMAIN], algorithm: 'p-256', kek: kekFromSecret(generateKekSecret()), config });
    await writeFile(join(dir, 'root.pem'), toPem((await pki.ca('root')).record.der));
    keys = outboundKeys(lazyPki(async () => pki));
    partner = await makeTestPki();
    registry = new DestinationRegistry(store);
    await registry.add({ pattern: 'example.test', kind: 'business-associate' }, 'test');
    await registry.add({ pattern: 'tls-partner.test', kind: 'business-associate', tlsRequired: true }, 'test');
    plainSink = await startSmtpSink();
    tlsSink = await startSmtpSink({ tls: true });
  }, 180_000);

  afterAll(async () => {
    await plainSink?.close();
    await tlsSink?.close();
    await store?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
    if (partner) await rm(partner.dir, { recursive: true, force: true });
  });

  const only = (v: Verdict) => {
    expect(v.kind).toBe('continue');
    if (v.kind !== 'continue') throw new Error(v.reason);
    return v;
  };

  it('encrypts to the partner certificate; openssl decrypts it, the domain signature verifies with our root and is typed domainSig', async () => {
    const v = only(await stage().process(stageMessage(['alice@example.test'], 'protect'), ctx()));
    expect(v.variants).toHaveLength(1);
    const out = v.variants![0]!.body;
    expect(out.toString('latin1')).not.toContain('MRN 00451234');
    expect(headerOf(out)).toMatch(/application\/pkcs7-mime; smime-type=enveloped-data/);
    const a = partner.ids.alice!;
    const inner = await partnerDecrypt(out, a.certPath, a.keyPath);
    // Header protection: the real Subject travels inside the encryption.
    expect(headerOf(inner)).toContain('Subject: Lab results for follow-up');
    const verified = await partnerVerify(inner, join(dir, 'root.pem'));
    expect(verified.stderr).toContain('Verification successful');
    expect(verified.content.toString()).toContain(SECRET);
    const printed = await printSignature(inner, dir);
    expect(printed).toContain(OID_SIGNATURE_TYPE);
    expect(printed).toContain(OID_DOMAIN_SIG);
    expect(printed).toContain(`domain-signing-authority@${DOMAIN}`);
    const rec = audit.filter((e) => e.type === 'protection').at(-1)!;
    expect(JSON.stringify(rec.data)).toContain('"method":"smime"');
    expect(JSON.stringify(rec.data)).not.toContain('MRN 00451234');
  });

  it('a Subject that policy replaced stays outside as the replacement; the real one travels inside', async () => {
    const m = stageMessage(['alice@example.test'], 'protect', {}, message('Results for John Smith, MRN 00451234'));
    (m.attrs![ATTR.policy] as PolicyDecision & { outerSubject?: string }).outerSubject = 'Secure message';
    const deps: MethodDeps = { directory, registry, probe: async () => ({ ok: false, why: 'unused' }), outerSubject: (c) => (c.msg.attrs![ATTR.policy] as { outerSubject?: string }).outerSubject };
    const st = createProtectStage({ keys, methods: createMethods(deps), order: ['smime', 'hold'], domainSign: true, domains: [DOMAIN], audit: async () => {} });
    const v = only(await st.process(m, ctx()));
    const out = v.variants![0]!.body;
    expect(headerOf(out)).toMatch(/^Subject: Secure message$/m);
    expect(out.toString('latin1')).not.toContain('00451234');
    const a = partner.ids.alice!;
    expect(headerOf(await partnerDecrypt(out, a.certPath, a.keyPath))).toContain('Subject: Results for John Smith, MRN 00451234');
  });

  it('a recipient in our own domain gets S/MIME to our proxy certificate (the domain key opens it)', async () => {
    const ownCertificate = async (address: string) => {
      if (!address.endsWith(`@${DOMAIN}`)) return null;
      const rec = (await issueProxyCertificate(pki, address)).encryption;
      return { address, der: rec.der, chain: [], source: 'local' as const, origin: 'proxy', fingerprint: fingerprint(rec.der), notAfter: rec.notAfter };
    };
    const deps: MethodDeps = { directory, registry, probe: async () => ({ ok: false, why: 'unused' }), ownCertificate };
    const st = createProtectStage({ keys, methods: createMethods(deps), order: ['smime', 'hold'], domainSign: true, domains: [DOMAIN], audit: async () => {} });
    const v = only(await st.process(stageMessage([`nurse@${DOMAIN}`], 'protect'), ctx()));
    const rec = (await issueProxyCertificate(pki, `nurse@${DOMAIN}`)).encryption;
    const certFile = join(dir, 'proxy.pem');
    const keyFile = join(dir, 'domain-enc.key');
    await writeFile(certFile, toPem(rec.der));
    await writeFile(keyFile, (await pki.privateKey(domainKeyId('encryption', DOMAIN))).export({ format: 'pem', type: 'pkcs8' }) as string);
    const inner = await partnerDecrypt(v.variants![0]!.body, certFile, keyFile);
    expect((await partnerVerify(inner, join(dir, 'root.pem'))).content.toString()).toContain(SECRET);
  });

  it('without domain signing, mail that needs no protection passes byte for byte', async () => {
    const m = stageMessage(['bob@other.test'], 'deliver');
    expect(await stage({ domainSign: false }).process(m, ctx())).toEqual({ kind: 'continue' });
  });

  it('8-bit mail stays readable: a detached domain signature, not an opaque one', async () => {
    const body = Buffer.from(`From: dr.jones@${DOMAIN}\r\nTo: bob@other.test\r\nSubject: Gr\u00fc\u00dfe\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\nViele Gr\u00fc\u00dfe aus der Klinik\r\n`, 'utf8');
    const v = only(await stage().process(stageMessage(['bob@other.test'], 'deliver', {}, body), ctx()));
    expect(headerOf(v.body!)).toMatch(/multipart\/signed/);
    expect(v.body!.toString('utf8')).toContain('Viele Grüße aus der Klinik');
    expect((await partnerVerify(v.body!, join(dir, 'root.pem'))).stderr).toContain('Verification successful');
  });

  it('keeps a user-signed message intact inside the domain signature', async () => {
    const a = partner.ids.carol!;
    const entity = Buffer.from(`Content-Type: text/plain; charset=utf-8\r\n\r\n${SECRET}\r\n`);
    const userSigned = await opensslSign(entity, a.certPath, a.keyPath, { detached: true, digest: 'sha256' });
    // As a mail client submits it: CRLF line ends (openssl writes the MIME structure with LF).
    const crlf = Buffer.from(userSigned.toString('latin1').replace(/\r?\n/g, '\r\n'), 'latin1');
    const msg = Buffer.concat([Buffer.from(`From: dr.jones@${DOMAIN}\r\nTo: bob@other.test\r\nSubject: signed\r\n`), crlf]);
    const v = only(await stage().process(stageMessage(['bob@other.test'], 'deliver', {}, msg), ctx()));
    const outer = await partnerVerify(v.body!, join(dir, 'root.pem'));
    expect(outer.stderr).toContain('Verification successful');
    // What our signature covers is the user's signed entity, which still verifies with the user's CA.
    const user = await partnerVerify(outer.content, partner.caCertPath);
    expect(user.stderr).toContain('Verification successful');
    expect(user.content.toString()).toContain(SECRET);
    expect(await printSignature(v.body!, dir)).toContain(OID_DOMAIN_SIG);
  });

  it('adds a reviewSig with the review-authority certificate when the message was approved', async () => {
    const m = stageMessage(['alice@example.test'], 'protect', { review: { approvedBy: 'cli:officer', at: new Date() } });
    const v = only(await stage().process(m, ctx()));
    const a = partner.ids.alice!;
    const inner = await partnerDecrypt(v.variants![0]!.body, a.certPath, a.keyPath);
    const outer = await partnerVerify(inner, join(dir, 'root.pem'));
    expect(outer.stderr).toContain('Verification successful');
    const review = await partnerVerify(outer.content, join(dir, 'root.pem'));
    expect(review.stderr).toContain('Verification successful');
    const printed = await printSignature(outer.content, dir);
    expect(printed).toContain(OID_REVIEW_SIG);
    expect(printed).toContain(`review-authority@${DOMAIN}`);
  });

  it('a directory source that failed means defer, never "no certificate"', async () => {
    const v = await stage().process(stageMessage(['carol@down.test'], 'protect'), ctx());
    expect(v.kind).toBe('tempfail');
    if (v.kind === 'tempfail') expect(v.reason).toMatch(/lookup incomplete/);
  });

  it('no certificate, no TLS requirement, no issuing: held', async () => {
    const v = await stage().process(stageMessage(['dave@nowhere.test'], 'protect'), ctx());
    expect(v.kind).toBe('hold');
  });

  it('a TLS-required partner whose server verifies gets the signed message with requireTls', async () => {
    const v = only(await stage().process(stageMessage(['eve@tls-partner.test'], 'protect'), ctx()));
    expect(v.variants).toEqual([expect.objectContaining({ recipients: ['eve@tls-partner.test'], requireTls: true })]);
    expect((await partnerVerify(v.variants![0]!.body, join(dir, 'root.pem'))).stderr).toContain('Verification successful');
  });

  it('a TLS-required partner whose server offers no TLS falls to the next method (here: hold)', async () => {
    const v = await stage({ sink: plainSink }).process(stageMessage(['eve@tls-partner.test'], 'protect'), ctx());
    expect(v.kind).toBe('hold');
    const rec = audit.filter((e) => e.type === 'protection').at(-1)!;
    expect(JSON.stringify(rec.data)).toContain('does not offer STARTTLS');
  });

  it('a TLS certificate that does not verify is not good enough', async () => {
    const v = await stage({ tlsCa: 'none' }).process(stageMessage(['eve@tls-partner.test'], 'protect'), ctx());
    expect(v.kind).toBe('hold');
  });

  it('issue: a newly issued certificate is used; CA trouble defers; portal without a portal method falls through', async () => {
    const issued = partner.ids.carol!;
    const missing = (kind: 'certificate' | 'defer' | 'portal'): MissingCertificateResolver => ({
      async resolveMissing(recipient) {
        if (kind === 'defer') return { kind: 'defer', why: 'CA key unavailable' };
        if (kind === 'portal') return { kind: 'portal', why: 'web pickup' };
        return { kind: 'certificate', cert: { address: recipient, der: issued.certDer, chain: [], source: 'issued', origin: 'issued', fingerprint: fingerprint(issued.certDer), notAfter: new Date(Date.now() + 1e10) } };
      },
    });
    const ok = only(await stage({ missing: missing('certificate') }).process(stageMessage(['frank@new.test'], 'protect'), ctx()));
    const inner = await partnerDecrypt(ok.variants![0]!.body, issued.certPath, issued.keyPath);
    expect((await partnerVerify(inner, join(dir, 'root.pem'))).content.toString()).toContain(SECRET);
    expect((await stage({ missing: missing('defer') }).process(stageMessage(['frank@new.test'], 'protect'), ctx())).kind).toBe('tempfail');
    expect((await stage({ missing: missing('portal') }).process(stageMessage(['frank@new.test'], 'protect'), ctx())).kind).toBe('hold');
  });

  it('one variant per recipient group; any recipient that cannot be served holds the whole message', async () => {
    const v = only(await stage().process(stageMessage(['alice@example.test', 'eve@tls-partner.test', 'zed@tls-partner.test'], 'protect'), ctx()));
    expect(v.variants!.map((x) => x.recipients)).toEqual([['alice@example.test'], ['eve@tls-partner.test', 'zed@tls-partner.test']]);
    const held = await stage().process(stageMessage(['alice@example.test', 'dave@nowhere.test'], 'protect'), ctx());
    expect(held.kind).toBe('hold');
  });

  it('a signing failure defers (nothing is sent unsigned or in the clear)', async () => {
    const broken: OutboundKeys = { pki: async () => pki, signer: async () => Promise.reject(new Error('KEK unavailable')) };
    expect((await stage({ keys: broken }).process(stageMessage(['alice@example.test'], 'protect'), ctx())).kind).toBe('tempfail');
    expect((await stage({ keys: broken }).process(stageMessage(['bob@other.test'], 'deliver'), ctx())).kind).toBe('tempfail');
  });

  it('desktop-encrypted mail, gateway-written mail and mail without a decision', async () => {
    const enc = stageMessage(['alice@example.test'], 'protect', {});
    enc.attrs![ATTR.userEncrypted] = 'smime';
    expect(await stage().process(enc, ctx())).toMatchObject({ kind: 'continue' });
    expect((await stage().process(enc, ctx())) as { body?: Buffer; variants?: unknown }).not.toHaveProperty('variants');
    const p12 = stageMessage(['alice@example.test'], 'protect');
    p12.envelope.params = { origin: 'pkcs12' };
    const v = await stage().process(p12, ctx());
    expect(v).toMatchObject({ kind: 'continue' });
    expect(v).not.toHaveProperty('variants');
    const none = stageMessage(['alice@example.test'], 'protect');
    none.attrs = {};
    expect((await stage().process(none, ctx())).kind).toBe('tempfail');
  });

  it('planMethods tells which method would serve a recipient without issuing or sending', async () => {
    const deps: MethodDeps = {
      directory,
      registry,
      probe: createTlsProber({ hostname: 'gw.test', route: { mode: 'smarthost', host: '127.0.0.1', port: tlsSink.port }, ca: [Buffer.from(tlsSink.certPem!)], timeoutMs: 5000 }),
    };
    const order: MethodName[] = ['smime', 'tls', 'issue', 'portal', 'hold'];
    expect((await planMethods('alice@example.test', deps, order)).at(-1)).toMatchObject({ method: 'smime', outcome: 'protect' });
    expect((await planMethods('eve@tls-partner.test', deps, order)).at(-1)).toMatchObject({ method: 'tls', outcome: 'protect' });
    expect((await planMethods('x@down.test', deps, order)).at(-1)).toMatchObject({ method: 'smime', outcome: 'defer' });
    expect((await planMethods('dave@nowhere.test', deps, order)).at(-1)).toMatchObject({ method: 'hold' });
    const missing: MissingCertificateResolver = { resolveMissing: async () => ({ kind: 'hold', why: 'unused' }) };
    expect((await planMethods('dave@nowhere.test', { ...deps, missing, missingMode: () => 'issue' }, order)).at(-1)).toMatchObject({ method: 'issue', outcome: 'issue' });
    expect((await planMethods('dave@nowhere.test', { ...deps, missing, missingMode: () => 'pending' }, order)).at(-1)).toMatchObject({ method: 'issue', outcome: 'hold' });
    expect(tlsSink.messages).toHaveLength(0);
  });
});
