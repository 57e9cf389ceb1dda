// Auto-issue end to end (issue 4, item 4): a certificate issued on the spot for an unknown external
// address; the PKCS#12 email and the sender's notice are queued durably and a real gateway process
// delivers them to real SMTP sinks; neither contains the password; `sealgate cert password`
// returns it (audited with who asked) and `openssl pkcs12` opens the attached file with it;
// destroy and escrow modes behave as pki.externalKeys says.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { userInfo } from 'node:os';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig } from '../../src/config/load.js';
import type { Config } from '../../src/config/types.js';
import { openStore, type OpenedStore } from '../../src/store/index.js';
import { openDomainPki, type DomainPki } from '../../src/pki/ca.js';
import { loadKek } from '../../src/pki/keystore.js';
import { createLocalSubmitter } from '../../src/queue/submit.js';
import { createIssuer, resendCertificate, type IssuerOptions } from '../../src/directory/issue-push.js';
import type { LookupResult, RecipientCertificate } from '../../src/directory/types.js';
import { directoryFromConfig } from '../../src/directory/directory.js';
import { silentLogger } from '../../src/queue/logger.js';
import { cleanup, sealgate, setupGateway, startGatewayProcess, type GatewayProcess, type GatewaySetup } from '../helpers/gateway.js';
import { startSmtpSink, type SmtpSink } from '../helpers/smtp-sink.js';
import { run } from '../peers/run.js';
import { to } from '../helpers/wait-for.js';

const SENDER = 'dr.smith@hospital.test';
const RECIPIENT = 'pat@clinic.example';

/** Attachments of a multipart message by file name (base64-decoded). */
function attachments(msg: Buffer): Map<string, { type: string; data: Buffer }> {
  const out = new Map<string, { type: string; data: Buffer }>();
  const text = msg.toString('latin1');
  const re = /Content-Type: ([^;\r\n]+);\r\n name="[^"]+"\r\nContent-Transfer-Encoding: base64\r\nContent-Disposition: attachment;\r\n filename="([^"]+)"\r\n\r\n([A-Za-z0-9+/=\r\n]+?)\r\n\r\n--/g;
  for (const m of text.matchAll(re)) out.set(m[2]!, { type: m[1]!, data: Buffer.from(m[3]!.replace(/\r\n/g, ''), 'base64') });
  return out;
}

/** Everything a reader of the message could see: its bytes and every base64 part decoded. */
function readable(msg: Buffer): string {
  const decoded = [...attachments(msg).values()].map((a) => a.data.toString('latin1'));
  return [msg.toString('latin1'), ...decoded].join('\n');
}

/** `openssl pkcs12 -info`: the PBE and MAC algorithms (printed on stderr). */
async function p12Info(p12: Buffer, password: string, dir: string, name: string): Promise<string> {
  const file = join(dir, name);
  writeFileSync(file, p12);
  const r = await run('openssl', ['pkcs12', '-info', '-noout', '-in', file, '-passin', `pass:${password}`]);
  return r.stderr + r.stdout.toString();
}

async function openP12(p12: Buffer, password: string, dir: string, name: string) {
  const file = join(dir, name);
  writeFileSync(file, p12);
  return run('openssl', ['pkcs12', '-in', file, '-passin', `pass:${password}`, '-nodes']);
}

let setup: GatewaySetup;
let internal: SmtpSink;
let external: SmtpSink;
let gw: GatewayProcess | undefined;
let cfg: Config;
let store: OpenedStore;
let pki: DomainPki;
let deps: IssuerOptions;
let issued: RecipientCertificate;
let before: LookupResult;
let after: LookupResult;

async function openAll(externalKeys: 'destroy' | 'escrow' = cfg.pki!.externalKeys) {
  store = await openStore({ database: cfg.database, spoolDir: join(cfg.dataDir, 'spool') });
  pki = await openDomainPki({ store, kek: loadKek(cfg.pki!.kek, cfg.dir), config: { ...cfg.pki!, externalKeys }, domains: cfg.domains });
  const clock = { now: () => new Date() };
  deps = {
    pki,
    submitter: createLocalSubmitter({ store, hostname: cfg.hostname, limits: cfg.limits, clock, audit: store.audit }),
    config: cfg,
    clock,
    audit: store.audit,
    hostname: cfg.hostname,
  };
}

beforeAll(async () => {
  internal = await startSmtpSink();
  external = await startSmtpSink();
  setup = await setupGateway({
    internalPort: internal.port,
    smarthostPort: external.port,
    edit: (y) =>
      y
        .replace('# encryptionKey: rsa-3072', 'encryptionKey: rsa-2048')
        .replace('# organization: Example Hospital', 'organization: Example Hospital')
        .replace('# legacyPkcs12Domains: []', 'legacyPkcs12Domains: [old-clinic.example]') +
      // Sources on this machine only (no DNS lookups leaving the sandbox).
      '\ndirectory:\n  sources: [local, harvested]\n',
  });
  cfg = loadConfig(setup.config);
  await openAll();
  // The certificate directory, with this issuer behind its issue(): no source knows the address.
  const directory = directoryFromConfig(cfg, { store, clock: deps.clock, logger: silentLogger, issuer: createIssuer(deps) });
  before = await directory.lookup(RECIPIENT, { fresh: true });
  issued = await directory.issue(RECIPIENT, { requestedBy: SENDER, messageId: 'TESTMSG1' });
  after = await directory.lookup(RECIPIENT, { fresh: true });
  await store.close();
  gw = await startGatewayProcess(setup);
  await external.waitFor(1, 60_000);
  await internal.waitFor(1, 60_000);
}, 240_000);

afterAll(async () => {
  await gw?.stop();
  await store?.close().catch(() => {});
  await internal?.close();
  await external?.close();
  if (setup) cleanup(setup.dir);
});

describe('auto-issue for an unknown external address', () => {
  it('a lookup finds nothing (and no source failed); issue returns a new certificate from the external recipients CA, and the queued email ids; the next lookup finds it', () => {
    expect(before.certificate).toBeUndefined();
    expect(before.errors).toEqual([]);
    expect(after.certificate?.fingerprint).toBe(issued.fingerprint);
    expect(issued.address).toBe(RECIPIENT);
    expect(issued.source).toBe('issued');
    expect(issued.issued?.serial).toMatch(/^[0-9a-f]+$/);
    expect(issued.issued?.pkcs12MessageId).toBeTruthy();
    expect(issued.issued?.noticeMessageId).toBeTruthy();
    const list = sealgate(['cert', 'list', '--config', setup.config, '--address', RECIPIENT, '--json']);
    expect(list.status).toBe(0);
    const rows = JSON.parse(list.stdout) as Array<{ serial: string; kind: string; sha256: string }>;
    expect(rows).toEqual([expect.objectContaining({ serial: issued.issued!.serial, kind: 'external', sha256: issued.fingerprint })]);
  });

  it('the PKCS#12 email reaches the recipient with instructions for Outlook, Apple Mail, Thunderbird and Gmail and the .mobileconfig', () => {
    const msg = external.messages.find(to(RECIPIENT))!;
    expect(msg).toBeDefined();
    const text = msg.data.toString('latin1');
    expect(text).toMatch(/^Subject: Your secure email certificate from Example Hospital\r$/m);
    for (const client of ['Outlook', 'Apple Mail', 'Thunderbird', 'Gmail']) expect(text).toContain(client);
    expect(text.replace(/\s+/g, ' ')).toContain(`Ask ${SENDER} at Example Hospital for it`);
    const files = attachments(msg.data);
    expect(files.get(`${RECIPIENT}.p12`)?.type).toBe('application/pkcs12');
    expect(files.get(`${RECIPIENT}.mobileconfig`)?.type).toBe('application/x-apple-aspen-config');
    expect(files.get(`${RECIPIENT}.mobileconfig`)!.data.toString()).toContain('<string>com.apple.security.pkcs12</string>');
  });

  it('the sender gets a notice (no content) saying how to retrieve the password', () => {
    const msg = internal.messages.find(to(SENDER))!;
    expect(msg).toBeDefined();
    const text = msg.data.toString('latin1');
    expect(text).toContain(`Certificate issued for ${RECIPIENT}`);
    expect(text).toContain(`sealgate cert password ${RECIPIENT}`);
    expect(text).toContain('web console');
    expect(text).not.toMatch(/application\/pkcs12/);
  });

  it('`sealgate cert password` returns the password; neither email contains it; openssl opens the PKCS#12 (and the .mobileconfig payload) with it', async () => {
    const r = sealgate(['cert', 'password', RECIPIENT, '--config', setup.config]);
    expect(r.status, r.stderr).toBe(0);
    const password = r.stdout.trim();
    expect(password.length).toBeGreaterThanOrEqual(12);
    for (const m of [...external.messages, ...internal.messages]) expect(readable(m.data)).not.toContain(password);
    const files = attachments(external.messages.find(to(RECIPIENT))!.data);
    const opened = await openP12(files.get(`${RECIPIENT}.p12`)!.data, password, setup.dir, 'pat.p12');
    expect(opened.code, opened.stderr).toBe(0);
    expect(opened.stdout.toString()).toContain('PRIVATE KEY');
    // The certificate inside is the one the gateway encrypts to.
    const leaf = execFileSync('openssl', ['x509', '-outform', 'DER'], { input: opened.stdout });
    expect(leaf.equals(issued.der)).toBe(true);
    // Modern profile by default: PBES2 with AES-256-CBC, HMAC-SHA-256 MAC.
    const info = await p12Info(files.get(`${RECIPIENT}.p12`)!.data, password, setup.dir, 'pat-info.p12');
    expect(info).toMatch(/AES-256-CBC/);
    expect(info).toMatch(/MAC: sha256/i);
    const wrong = await openP12(files.get(`${RECIPIENT}.p12`)!.data, 'not-the-password', setup.dir, 'pat2.p12');
    expect(wrong.code).not.toBe(0);
    const mc = files.get(`${RECIPIENT}.mobileconfig`)!.data.toString();
    const payload = Buffer.from(/<data>([\s\S]*?)<\/data>/.exec(mc)![1]!.replace(/\s+/g, ''), 'base64');
    expect((await openP12(payload, password, setup.dir, 'payload.p12')).code).toBe(0);
  });

  it('the audit trail says who retrieved the password, and records the issue and the push without the password', async () => {
    const r = sealgate(['cert', 'password', RECIPIENT, '--config', setup.config]);
    const password = r.stdout.trim();
    store = await openStore({ database: cfg.database, spoolDir: join(cfg.dataDir, 'spool') });
    const all = await store.audit.list({ limit: 1000 });
    const retrieved = all.filter((a) => a.type === 'certificate-password-retrieved');
    expect(retrieved.length).toBeGreaterThanOrEqual(2);
    expect(retrieved[0]!.actor).toBe(`cli:${userInfo().username}`);
    expect(retrieved[0]!.data).toMatchObject({ address: RECIPIENT, serial: issued.issued!.serial });
    const pushed = all.find((a) => a.type === 'certificate-pushed')!;
    expect(pushed.messageId).toBe('TESTMSG1');
    expect(pushed.data).toMatchObject({ address: RECIPIENT, requestedBy: SENDER, key: 'destroy', pkcs12MessageId: issued.issued!.pkcs12MessageId });
    expect(JSON.stringify(all)).not.toContain(password);
    await store.close();
  });
});

describe('pki.externalKeys', () => {
  it('destroy: the key is gone after packaging; re-sending issues a new certificate with a new password', async () => {
    await openAll('destroy');
    try {
      const rec = await pki.certs.getCert(issued.issued!.serial);
      expect((await pki.certs.getKey(rec!.keyId!))?.sealedKey).toBeNull();
      const again = await resendCertificate(deps, RECIPIENT, { requestedBy: SENDER });
      expect(again.reissued).toBe(true);
      expect(again.issued!.serial).not.toBe(issued.issued!.serial);
      expect(again.fingerprint).not.toBe(issued.fingerprint);
    } finally {
      await store.close();
    }
    await external.waitFor(2, 60_000);
    const second = external.messages.filter(to(RECIPIENT))[1]!;
    const password = sealgate(['cert', 'password', RECIPIENT, '--config', setup.config]).stdout.trim();
    expect(readable(second.data)).not.toContain(password);
    expect((await openP12(attachments(second.data).get(`${RECIPIENT}.p12`)!.data, password, setup.dir, 'pat-new.p12')).code).toBe(0);
  }, 120_000);

  it('escrow: the same certificate, key and password are sent again', async () => {
    const ADDR = 'sam@old-clinic.example';
    await openAll('escrow');
    let first: RecipientCertificate;
    try {
      first = await createIssuer(deps)(ADDR, { requestedBy: SENDER });
      const again = await resendCertificate(deps, ADDR, { requestedBy: SENDER });
      expect(again.reissued).toBe(false);
      expect(again.issued!.serial).toBe(first.issued!.serial);
      expect(again.der.equals(first.der)).toBe(true);
    } finally {
      await store.close();
    }
    await external.waitFor(4, 60_000);
    const sent = external.messages.filter(to(ADDR));
    expect(sent).toHaveLength(2);
    const password = sealgate(['cert', 'password', ADDR, '--config', setup.config]).stdout.trim();
    for (const [i, m] of sent.entries()) {
      expect(readable(m.data)).not.toContain(password);
      // old-clinic.example is in pki.legacyPkcs12Domains: 3DES/SHA-1, which openssl 3 still opens.
      const opened = await openP12(attachments(m.data).get(`${ADDR}.p12`)!.data, password, setup.dir, `sam${i}.p12`);
      expect(await p12Info(attachments(m.data).get(`${ADDR}.p12`)!.data, password, setup.dir, `sam-info${i}.p12`)).toMatch(/3-?Key ?Triple ?DES/i);
      expect(opened.code, opened.stderr).toBe(0);
      expect(execFileSync('openssl', ['x509', '-outform', 'DER'], { input: opened.stdout }).equals(first!.der)).toBe(true);
    }
  }, 120_000);

  it('if the emails cannot be queued, issue fails and the certificate is revoked (never used to encrypt)', async () => {
    const ADDR = 'kim@clinic.example';
    await openAll('destroy');
    // A second handle on the same database, closed: its submitter fails like a full or broken disk.
    const broken = await openStore({ database: cfg.database, spoolDir: join(cfg.dataDir, 'spool') });
    await broken.close();
    try {
      const failing = { ...deps, submitter: createLocalSubmitter({ store: broken, hostname: cfg.hostname, limits: cfg.limits, clock: deps.clock, audit: broken.audit }) };
      await expect(createIssuer(failing)(ADDR, { requestedBy: SENDER })).rejects.toThrow();
      const [rec] = await pki.certs.listCerts({ address: ADDR, kinds: ['external'], includeRevoked: true });
      expect(rec?.revokedAt).toBeInstanceOf(Date);
      expect(await pki.certs.listCerts({ address: ADDR, kinds: ['external'] })).toEqual([]);
      expect((await store.audit.list({ type: 'certificate-push-failed', limit: 10 })).map((a) => a.data.address)).toEqual([ADDR]);
    } finally {
      await store.close();
    }
  }, 60_000);
});
