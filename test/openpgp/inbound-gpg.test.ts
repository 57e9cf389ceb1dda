// Inbound OpenPGP through a real `sealgate start` process over real SMTP, with GnuPG 2.2 as the
// sender: PGP/MIME and inline mail `gpg --encrypt`ed to our domain key arrives decrypted at the
// internal server; signed mail carries pgp=pass, tampered mail pgp=fail; mail we cannot decrypt is
// held; a forged result naming our host is removed; a key attached to a verified message is
// harvested; an encrypted part inside multipart/mixed (a list footer appended) is decrypted in
// place, an attached .asc file is not opened, a nested part not ours is held. Needs the built CLI
// (npm run build).
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startSmtpSink, type SmtpSink } from '../helpers/smtp-sink.js';
import { cleanup, sealgate, setupGateway, startGatewayProcess, withLimits, type GatewayProcess, type GatewaySetup } from '../helpers/gateway.js';
import { sendMail } from '../helpers/send-mail.js';
import { GpgPeer } from './gpg-peer.js';
import { crlf } from './fixtures.js';

const RCPT = 'dr.jones@hospital.test';
const SENDER = 'alice@partner.test';
let internal: SmtpSink;
let setup: GatewaySetup;
let gw: GatewayProcess;
let gpg: GpgPeer;
let hostname: string;

beforeAll(async () => {
  [internal, gpg] = await Promise.all([startSmtpSink(), GpgPeer.create()]);
  setup = await setupGateway({ internalPort: internal.port, edit: (y) => withLimits({ retryBase: 1, retryMax: 2 })(y) + '\nopenpgp:\n  wkd:\n    enabled: false\n' });
  hostname = /^hostname:\s*(\S+)/m.exec(readFileSync(setup.config, 'utf8'))![1]!;
  const exp = sealgate(['pgp', 'key', 'export', 'openpgp-domain@hospital.test', '--config', setup.config]);
  expect(exp.status, exp.stderr).toBe(0);
  await gpg.import(exp.stdout);
  await gpg.generate(SENDER, 'curve25519');
  await gpg.generate('mallory@other.test', 'rsa3072');
  const keyFile = join(setup.dir, 'alice.asc');
  writeFileSync(keyFile, await gpg.exportPublic(SENDER));
  const imp = sealgate(['pgp', 'key', 'import', keyFile, '--config', setup.config]);
  expect(imp.status, imp.stderr).toBe(0);
  expect(imp.stdout).toMatch(/imported [0-9a-f]{40} external alice@partner\.test/);
  // An internal user's own key pair, escrowed: mail encrypted to it is opened at the gateway too.
  await gpg.generate(RCPT, 'rsa3072');
  const escrow = join(setup.dir, 'jones-secret.asc');
  writeFileSync(escrow, await gpg.exportSecret(RCPT));
  const esc = sealgate(['pgp', 'key', 'import', escrow, '--config', setup.config]);
  expect(esc.status, esc.stderr).toBe(0);
  expect(esc.stdout).toMatch(/user dr\.jones@hospital\.test \(secret key escrowed\)/);
  gw = await startGatewayProcess(setup);
}, 180_000);

afterAll(async () => {
  await gw?.stop();
  await internal?.close();
  await gpg?.close();
  if (setup) cleanup(setup.dir);
});

const header = (subject: string, extra = '') => `From: Alice <${SENDER}>\nTo: <${RCPT}>\nSubject: ${subject}\nDate: Sun, 29 Nov 2026 10:00:00 +0000\nMessage-ID: <${subject.replace(/\W/g, '')}@partner.test>\n${extra}MIME-Version: 1.0\n`;

function pgpMimeEncrypted(subject: string, armored: Buffer): Buffer {
  return crlf(
    header(subject) +
      'Content-Type: multipart/encrypted; protocol="application/pgp-encrypted"; boundary="b1"\n\n--b1\nContent-Type: application/pgp-encrypted\n\nVersion: 1\n\n--b1\nContent-Type: application/octet-stream\n\n' +
      armored.toString('latin1') +
      '\n--b1--\n',
  );
}

async function deliver(data: Buffer, marker: string) {
  const r = await sendMail(setup.inboundPort, { from: SENDER, to: [RCPT], data });
  expect(r.code, r.final).toBe(250);
  const deadline = Date.now() + 30_000;
  for (;;) {
    const m = internal.messages.find((x) => x.data.toString('utf8').includes(marker));
    if (m) return m.data.toString('utf8');
    if (Date.now() > deadline) throw new Error(`no message with ${marker} at the internal sink`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

const inner = (text: string) => crlf(`Content-Type: text/plain; charset=utf-8\n\n${text}\n`);

describe('gpg-encrypted mail to our domain key arrives decrypted', () => {
  test('PGP/MIME, encrypted only: decrypted, no signature result', async () => {
    const armored = await gpg.ok(['--armor', '--encrypt', '-r', 'openpgp-domain@hospital.test'], inner('pgpmime secret 1001'));
    const got = await deliver(pgpMimeEncrypted('m1', armored), 'pgpmime secret 1001');
    expect(got).not.toContain('BEGIN PGP MESSAGE');
    expect(got).toMatch(/^Subject: m1\r$/m);
    expect(got).not.toMatch(/pgp=/);
  }, 60_000);

  test('PGP/MIME encrypted to an internal user\'s escrowed key (RSA 3072): decrypted', async () => {
    const armored = await gpg.ok(['--armor', '--encrypt', '-r', RCPT], inner('escrowed secret 1007'));
    const got = await deliver(pgpMimeEncrypted('m7', armored), 'escrowed secret 1007');
    expect(got).not.toContain('BEGIN PGP MESSAGE');
  }, 60_000);

  test('inline PGP, signed and encrypted: decrypted, pgp=pass for the sender', async () => {
    const armored = await gpg.ok(['--armor', '--sign', '-u', SENDER, '--encrypt', '-r', 'openpgp-domain@hospital.test'], 'inline secret 1002\n');
    const got = await deliver(crlf(header('m2') + 'Content-Type: text/plain; charset=us-ascii\n\n' + armored.toString('latin1')), 'inline secret 1002');
    expect(got).not.toContain('BEGIN PGP MESSAGE');
    expect(got).toMatch(new RegExp(`Authentication-Results: ${hostname.replace(/\./g, '\\.')};\\r\\n pgp=pass header\\.from=alice@partner\\.test`));
  }, 60_000);

  test('PGP/MIME signed then encrypted: pgp=pass; the signed entity is delivered for the client to check too', async () => {
    const content = inner('signed pgpmime 1003');
    const sig = await gpg.ok(['--armor', '--output', '-', '--detach-sign', '-u', SENDER, await gpg.file(content)]);
    const signed = crlf('Content-Type: multipart/signed; micalg=pgp-sha256; protocol="application/pgp-signature"; boundary="s1"\n\n--s1\n');
    const entity = Buffer.concat([signed, content, crlf('\n--s1\nContent-Type: application/pgp-signature\n\n'), crlf(sig.toString('latin1')), crlf('\n--s1--\n')]);
    const armored = await gpg.ok(['--armor', '--encrypt', '-r', 'openpgp-domain@hospital.test'], entity);
    const got = await deliver(pgpMimeEncrypted('m3', armored), 'signed pgpmime 1003');
    expect(got).toMatch(/pgp=pass header\.from=alice@partner\.test/);
    expect(got).toContain('application/pgp-signature');
  }, 60_000);
});

describe('signature results', () => {
  const signedMessage = async (subject: string, text: string, tamper: boolean, extra = '') => {
    const content = inner(text);
    const sig = await gpg.ok(['--armor', '--output', '-', '--detach-sign', '-u', SENDER, await gpg.file(content)]);
    const sent = tamper ? Buffer.from(content.toString('latin1').replace('1004', '9004'), 'latin1') : content;
    return Buffer.concat([
      crlf(header(subject, extra) + 'Content-Type: multipart/signed; micalg=pgp-sha256; protocol="application/pgp-signature"; boundary="s2"\n\n--s2\n'),
      sent,
      crlf('\n--s2\nContent-Type: application/pgp-signature\n\n' + sig.toString('latin1') + '\n--s2--\n'),
    ]);
  };

  test('a signed PGP/MIME message: pass; a forged result naming our host is removed', async () => {
    const forged = `Authentication-Results: ${hostname}; pgp=pass header.from=ceo@hospital.test\n`;
    const got = await deliver(await signedMessage('m4', 'signed only 1005', false, forged), 'signed only 1005');
    expect(got).toMatch(/pgp=pass header\.from=alice@partner\.test/);
    expect(got).not.toContain('ceo@hospital.test');
  }, 60_000);

  test('a tampered signed message: fail', async () => {
    const got = await deliver(await signedMessage('m5', 'tampered 1004', true), 'tampered 9004');
    expect(got).toMatch(/pgp=fail header\.from=alice@partner\.test/);
  }, 60_000);
});

describe('fail closed', () => {
  test('PGP mail not encrypted to a key of ours is held with the reason', async () => {
    const armored = await gpg.ok(['--armor', '--encrypt', '-r', 'mallory@other.test'], inner('not for us 1006'));
    const r = await sendMail(setup.inboundPort, { from: SENDER, to: [RCPT], data: pgpMimeEncrypted('m6', armored) });
    expect(r.code).toBe(250);
    const deadline = Date.now() + 30_000;
    let held: Array<{ state: string; holdReason: string | null }> = [];
    while (Date.now() < deadline) {
      const l = sealgate(['queue', 'list', '--json', '--state', 'hold', '--config', setup.config]);
      held = l.stdout.trim().split('\n').filter(Boolean).map((x) => JSON.parse(x));
      if (held.some((h) => /inbound-openpgp: cannot decrypt/.test(h.holdReason ?? ''))) break;
      await new Promise((r) => setTimeout(r, 300));
    }
    expect(held.some((h) => /inbound-openpgp: cannot decrypt: not encrypted to a key of ours/.test(h.holdReason ?? '')), JSON.stringify(held)).toBe(true);
  }, 60_000);
});

describe('an encrypted part with a list footer appended (multipart/mixed)', () => {
  const FOOTER = crlf('Content-Type: text/plain; charset=us-ascii\n\n-- \npartner-list: this footer was added by the list\n');
  const mixed = (subject: string, parts: Buffer[]) =>
    Buffer.concat([crlf(header(subject) + 'Content-Type: multipart/mixed; boundary="lst"\n\n'), ...parts.flatMap((p) => [crlf('--lst\n'), p, crlf('\n')]), crlf('--lst--\n')]);
  const pgpMimePart = (armored: Buffer) =>
    crlf('Content-Type: multipart/encrypted; protocol="application/pgp-encrypted"; boundary="b1"\n\n--b1\nContent-Type: application/pgp-encrypted\n\nVersion: 1\n\n--b1\nContent-Type: application/octet-stream\n\n' + armored.toString('latin1') + '\n--b1--\n');
  const afterTrace = (s: string) => s.replace(/^(Received:[^\r]*\r\n([ \t][^\r]*\r\n)*)+/, '');

  test('PGP/MIME by gpg: the plaintext entity in place of part 1; outer header and footer byte for byte; the field says which part', async () => {
    const plaintext = inner('nested pgpmime 2001');
    const part = pgpMimePart(await gpg.ok(['--armor', '--encrypt', '-r', 'openpgp-domain@hospital.test'], plaintext));
    const sent = mixed('n1', [part, FOOTER]);
    const got = await deliver(sent, 'nested pgpmime 2001');
    const field = 'X-Sealgate-Decryption: partial;\r\n part 1 was encrypted (OpenPGP) and is decrypted; part 2 was not encrypted\r\n';
    expect(got.startsWith(field)).toBe(true);
    expect(afterTrace(got.slice(field.length))).toBe(mixed('n1', [plaintext, FOOTER]).toString('utf8'));
  }, 60_000);

  test('inline armored part, signed and encrypted: decrypted in place, pgp=pass naming part 1 only', async () => {
    const armored = await gpg.ok(['--armor', '--sign', '-u', SENDER, '--encrypt', '-r', 'openpgp-domain@hospital.test'], 'nested inline 2002\n');
    const got = await deliver(mixed('n2', [crlf('Content-Type: text/plain; charset=us-ascii\n\n' + armored.toString('latin1')), FOOTER]), 'nested inline 2002');
    expect(got).not.toContain('BEGIN PGP MESSAGE');
    expect(got).toMatch(/pgp=pass header\.from=alice@partner\.test body\.pgp-keyid=[0-9a-f]{16}\r\n \(part 1 only: valid signature/);
    expect(got).toContain('partner-list: this footer was added by the list');
  }, 60_000);

  test('an attached .asc file is not opened: delivered as sent', async () => {
    const armored = await gpg.ok(['--armor', '--encrypt', '-r', 'openpgp-domain@hospital.test'], 'attached file 2003\n');
    const file = crlf('Content-Type: application/pgp-encrypted; name="results.asc"\nContent-Disposition: attachment; filename="results.asc"\n\n' + armored.toString('latin1'));
    const sent = mixed('n3-attached-2003', [crlf('Content-Type: text/plain\n\nsee the attachment\n'), file]);
    const got = await deliver(sent, 'n3-attached-2003');
    expect(afterTrace(got)).toBe(sent.toString('utf8'));
  }, 60_000);

  test('a nested part not encrypted to a key of ours: held, naming the part', async () => {
    const part = pgpMimePart(await gpg.ok(['--armor', '--encrypt', '-r', 'mallory@other.test'], inner('nested not ours 2004')));
    const r = await sendMail(setup.inboundPort, { from: SENDER, to: [RCPT], data: mixed('n4', [part, FOOTER]) });
    expect(r.code).toBe(250);
    const deadline = Date.now() + 30_000;
    let held: Array<{ holdReason: string | null }> = [];
    while (Date.now() < deadline) {
      const l = sealgate(['queue', 'list', '--json', '--state', 'hold', '--config', setup.config]);
      held = l.stdout.trim().split('\n').filter(Boolean).map((x) => JSON.parse(x));
      if (held.some((h) => /part 1: cannot decrypt/.test(h.holdReason ?? ''))) break;
      await new Promise((r2) => setTimeout(r2, 300));
    }
    expect(held.some((h) => /^inbound-openpgp: part 1: cannot decrypt: not encrypted to a key of ours/.test(h.holdReason ?? '')), JSON.stringify(held)).toBe(true);
  }, 60_000);
});

describe('our own Web Key Directory on the web listener', () => {
  test('publishes the ADK (direct method, the Host header names the domain); same key as pgp export-adk', async () => {
    const { createWkdClient } = await import('../../src/openpgp/wkd.js');
    const { readKeysAny } = await import('../../src/openpgp/keys.js');
    const client = createWkdClient({ caFile: join(setup.dir, 'tls', 'cert.pem'), resolve: { 'hospital.test': { host: '127.0.0.1', port: setup.webPort } }, timeoutSeconds: 10 });
    const r = await client.fetch('adk@hospital.test');
    expect(r.kind, JSON.stringify(r)).toBe('found');
    if (r.kind !== 'found') return;
    const exp = sealgate(['pgp', 'export-adk', '--config', setup.config]);
    const [served] = await readKeysAny(r.data);
    const [exported] = await readKeysAny(exp.stdout);
    expect(served!.getFingerprint()).toBe(exported!.getFingerprint());
    expect((await client.fetch('nobody@hospital.test')).kind).toBe('not-found');
  }, 60_000);
});
