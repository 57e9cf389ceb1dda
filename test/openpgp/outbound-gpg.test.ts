// Outbound OpenPGP through a real `sealgate start` process over real SMTP, GnuPG 2.2 as the
// partner and as the desktop client:
// - PHI to a partner whose key is in a local HTTPS WKD server (advanced method; direct method for a
//   second partner) is delivered as PGP/MIME that `gpg --decrypt` opens and whose domain signature
//   `gpg --verify` accepts (outbound.methods: [openpgp, hold]);
// - a message the user encrypted with gpg to a partner and to the ADK reaches the sink
//   byte-identical; PHI encrypted to an unregistered domain (with the ADK) is held by the policy
//   stage, which saw the plaintext; without the ADK it is held (openpgp.adk.missing: hold).
// Needs the built CLI (npm run build).
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import { startSmtpSink, type SmtpSink } from '../helpers/smtp-sink.js';
import { cleanup, sealgate, setupGateway, startGatewayProcess, withLimits, type GatewayProcess, type GatewaySetup } from '../helpers/gateway.js';
import { sendMail, withoutTrace } from '../helpers/send-mail.js';
import { GpgPeer } from './gpg-peer.js';
import { startWkdServer, type WkdServer } from './wkd-server.js';
import { crlf } from './fixtures.js';
import { pgpKind } from '../../src/openpgp/mime.js';

const SENDER = 'alice@hospital.test';
let ext: SmtpSink;
let internal: SmtpSink;
let setup: GatewaySetup;
let gw: GatewayProcess;
let partner: GpgPeer;
let desktop: GpgPeer;
let wkd: WkdServer;
let wkd2: WkdServer;

const PHI = 'Patient: John Smith, MRN 12345678, DOB 01/02/1960.\nDiagnosis: type 2 diabetes mellitus (E11.9); HbA1c 8.1%. Please schedule a follow-up.';

beforeAll(async () => {
  [ext, internal, partner, desktop, wkd, wkd2] = await Promise.all([startSmtpSink(), startSmtpSink(), GpgPeer.create(), GpgPeer.create(), startWkdServer('partner.test'), startWkdServer('clinic.test')]);
  await partner.generate('bob@partner.test', 'curve25519');
  await partner.generate('carol@clinic.test', 'rsa3072');
  await partner.generate('eve@unregistered.test', 'curve25519');
  wkd.publish('bob@partner.test', await partner.exportPublic('bob@partner.test', false), 'advanced');
  wkd2.publish('carol@clinic.test', await partner.exportPublic('carol@clinic.test', false), 'direct');
  setup = await setupGateway({
    internalPort: internal.port,
    smarthostPort: ext.port,
    edit: (y) =>
      withLimits({ retryBase: 1, retryMax: 2 })(y) +
      `\nopenpgp:\n  wkd:\n    caFile: ${wkd.caFile}\n    resolve:\n      partner.test: 127.0.0.1:${wkd.port}\n      clinic.test: 127.0.0.1:${wkd2.port}\n` +
      `\noutbound:\n  methods: [openpgp, hold]\n`,
  });
  // The second WKD server has its own self-signed certificate: trust both.
  const bundle = `${setup.dir}/wkd-ca.pem`;
  writeFileSync(bundle, readFileSync(wkd.caFile, 'utf8') + readFileSync(wkd2.caFile, 'utf8'));
  writeFileSync(setup.config, readFileSync(setup.config, 'utf8').replace(`caFile: ${wkd.caFile}`, `caFile: ${bundle}`));
  for (const d of ['partner.test', 'clinic.test']) expect(sealgate(['partner', 'add', d, '--kind', 'healthcare', '--config', setup.config]).status).toBe(0);
  const dom = sealgate(['pgp', 'key', 'export', 'openpgp-domain@hospital.test', '--config', setup.config]);
  expect(dom.status, dom.stderr).toBe(0);
  await partner.import(dom.stdout);
  const adk = sealgate(['pgp', 'export-adk', '--config', setup.config]);
  expect(adk.status, adk.stderr).toBe(0);
  expect(adk.stdout).toMatch(/^-----BEGIN PGP PUBLIC KEY BLOCK-----/);
  await desktop.import(adk.stdout);
  for (const a of ['bob@partner.test', 'eve@unregistered.test']) await desktop.import(await partner.exportPublic(a));
  gw = await startGatewayProcess(setup);
}, 240_000);

afterAll(async () => {
  await gw?.stop();
  await Promise.all([ext?.close(), internal?.close(), partner?.close(), desktop?.close(), wkd?.close(), wkd2?.close()]);
  if (setup) cleanup(setup.dir);
});

const msg = (to: string, subject: string, body: string, extra = '') =>
  crlf(`From: Alice <${SENDER}>\nTo: <${to}>\nSubject: ${subject}\nDate: Sun, 29 Nov 2026 10:00:00 +0000\nMessage-ID: <${subject.replace(/\W/g, '')}@hospital.test>\nMIME-Version: 1.0\n${extra || 'Content-Type: text/plain; charset=us-ascii\n'}\n${body}\n`);

async function waitAt(sink: SmtpSink, pred: (s: string) => boolean, what: string): Promise<Buffer> {
  const deadline = Date.now() + 40_000;
  for (;;) {
    const m = sink.messages.find((x) => pred(x.data.toString('latin1')));
    if (m) return m.data;
    if (Date.now() > deadline) throw new Error(`nothing at the sink: ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function waitHeld(pattern: RegExp): Promise<string> {
  const deadline = Date.now() + 40_000;
  for (;;) {
    const l = sealgate(['queue', 'list', '--json', '--state', 'hold', '--config', setup.config]);
    const held = l.stdout.trim().split('\n').filter(Boolean).map((x) => JSON.parse(x) as { holdReason: string | null });
    const h = held.find((x) => pattern.test(x.holdReason ?? ''));
    if (h) return h.holdReason!;
    if (Date.now() > deadline) throw new Error(`not held (${pattern}): ${l.stdout}`);
    await new Promise((r) => setTimeout(r, 300));
  }
}

describe('PHI to a partner with a WKD key: PGP/MIME signed by the domain key', () => {
  for (const [rcpt, how] of [['bob@partner.test', 'advanced method, Curve25519'], ['carol@clinic.test', 'direct method, RSA 3072']] as const) {
    test(`${rcpt} (${how}): gpg --decrypt opens it, gpg --verify accepts the domain signature`, async () => {
      const subject = `Follow-up ${rcpt}`;
      const r = await sendMail(setup.outboundPort, { from: SENDER, to: [rcpt], data: msg(rcpt, subject, PHI) });
      expect(r.code, r.final).toBe(250);
      const got = await waitAt(ext, (s) => s.includes(`Subject: ${subject}`), rcpt);
      const text = got.toString('latin1');
      expect(text).not.toContain('12345678');
      const k = pgpKind(got);
      expect(k.kind).toBe('pgpmime-encrypted');
      if (k.kind !== 'pgpmime-encrypted') return;
      const dec = await partner.gpg(['--decrypt'], k.armored);
      expect(dec.code, dec.status).toBe(0);
      expect(dec.out.toString('latin1')).toContain('MRN 12345678');
      const s = pgpKind(Buffer.concat([Buffer.from('Subject: x\r\n'), dec.out]));
      expect(s.kind).toBe('pgpmime-signed');
      if (s.kind !== 'pgpmime-signed') return;
      const v = await partner.gpg(['--verify', await partner.file(s.signature), await partner.file(s.signed)]);
      expect(v.code, v.status).toBe(0);
      expect(v.status).toMatch(/GOODSIG [0-9A-F]+ hospital\.test secure mail gateway <openpgp-domain@hospital\.test>/);
    }, 90_000);
  }
  test('the WKD server saw the advanced request for partner.test and the direct one for clinic.test', () => {
    expect(wkd.requests.some((u) => u.startsWith('openpgpkey.partner.test/.well-known/openpgpkey/partner.test/hu/'))).toBe(true);
    expect(wkd2.requests.some((u) => u.startsWith('clinic.test/.well-known/openpgpkey/hu/'))).toBe(true);
  });
});

describe('desktop-encrypted mail and the ADK', () => {
  const encrypt = async (to: string[], body: string) => desktop.ok(['--armor', '--encrypt', ...to.flatMap((a) => ['-r', a])], crlf(body));

  test('to a permitted partner, with the ADK: forwarded byte-identical', async () => {
    const armored = await encrypt(['bob@partner.test', 'adk@hospital.test'], `Content-Type: text/plain\n\n${PHI}\n`);
    const sent = msg('bob@partner.test', 'desktop pgpmime', 'This is an OpenPGP/MIME encrypted message\n--e1\nContent-Type: application/pgp-encrypted\n\nVersion: 1\n\n--e1\nContent-Type: application/octet-stream\n\n' + armored.toString('latin1') + '\n--e1--', 'Content-Type: multipart/encrypted; protocol="application/pgp-encrypted"; boundary="e1"\n');
    const r = await sendMail(setup.outboundPort, { from: SENDER, to: ['bob@partner.test'], data: sent });
    expect(r.code, r.final).toBe(250);
    const got = await waitAt(ext, (s) => s.includes('Subject: desktop pgpmime'), 'desktop pgpmime');
    expect(withoutTrace(got).equals(sent)).toBe(true);
  }, 90_000);

  test('inline PGP to a permitted partner, with the ADK: forwarded byte-identical', async () => {
    const armored = await encrypt(['bob@partner.test', 'adk@hospital.test'], `${PHI}\n`);
    const sent = msg('bob@partner.test', 'desktop inline', armored.toString('latin1').trimEnd());
    const r = await sendMail(setup.outboundPort, { from: SENDER, to: ['bob@partner.test'], data: sent });
    expect(r.code, r.final).toBe(250);
    const got = await waitAt(ext, (s) => s.includes('Subject: desktop inline'), 'desktop inline');
    expect(withoutTrace(got).equals(sent)).toBe(true);
  }, 90_000);

  test('PHI to an unregistered domain, with the ADK: the policy stage sees the plaintext and holds it', async () => {
    const armored = await encrypt(['eve@unregistered.test', 'adk@hospital.test'], `${PHI}\n`);
    const r = await sendMail(setup.outboundPort, { from: SENDER, to: ['eve@unregistered.test'], data: msg('eve@unregistered.test', 'desktop to eve', armored.toString('latin1').trimEnd()) });
    expect(r.code, r.final).toBe(250);
    const reason = await waitHeld(/eve@unregistered\.test/);
    expect(reason).toMatch(/patient information|phi/i);
  }, 90_000);

  test('without the ADK: held (openpgp.adk.missing: hold)', async () => {
    const armored = await encrypt(['bob@partner.test'], 'nothing to see\n');
    const r = await sendMail(setup.outboundPort, { from: SENDER, to: ['bob@partner.test'], data: msg('bob@partner.test', 'desktop no adk', armored.toString('latin1').trimEnd()) });
    expect(r.code, r.final).toBe(250);
    await waitHeld(/openpgp-adk: message encrypted on the desktop without the organization ADK/);
  }, 90_000);
});
