// The inbound configuration keys through a real `sealgate start` over real SMTP: a Direct-style
// trust bundle served over HTTP anchors signers of its domain, their CRLs are fetched from the
// distribution point (good → pass saying so, revoked → fail), `visibleNote: true` puts a short
// note before the message while a signed part still verifies with openssl, `tamperCheck: hold`
// holds a message whose envelope recipient is not in To/Cc (reason in `sealgate queue list`), an
// encrypted message whose decrypted header has more Received fields than limits.hopCount is
// rejected as a loop, and bad values are config errors naming the key. Needs the built CLI.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { startSmtpSink, type SmtpSink, type SinkMessage } from '../helpers/smtp-sink.js';
import { cleanup, freePort, sealgate, setupGateway, startGatewayProcess, withLimits, type GatewayProcess, type GatewaySetup } from '../helpers/gateway.js';
import { sendMail } from '../helpers/send-mail.js';
import { runOk } from '../peers/run.js';
import { makePartnerPki, type PartnerPki } from './crl-pki.js';
import { startHttpFiles, type HttpFiles } from './http-files.js';
import { sinkMessageContaining } from '../helpers/wait-for.js';

const RCPT = 'dr.jones@hospital.test';
let internal: SmtpSink;
let http: HttpFiles;
let pki: PartnerPki;
let setup: GatewaySetup;
let gw: GatewayProcess;

beforeAll(async () => {
  [internal, http] = await Promise.all([startSmtpSink(), startHttpFiles()]);
  pki = await makePartnerPki({ 'dana@other.test': http.url('/crl.der'), 'erin@other.test': http.url('/crl.der') }, ['erin@other.test']);
  http.files.set('/crl.der', pki.crlDer);
  http.files.set('/bundle.p7b', pki.bundleDer);
  setup = await setupGateway({
    internalPort: internal.port,
    edit: (y) =>
      withLimits({ retryBase: 1, retryMax: 2, hopCount: 5 })(y) +
      ['', 'inbound:', '  trustBundles:', '    - domain: other.test', `      source: ${http.url('/bundle.p7b')}`, '      refreshMinutes: 30',
        '  crlCheck: hard', '  crlTimeoutSeconds: 3', '  tamperCheck: hold', '  visibleNote: true', ''].join('\n'),
  });
  expect(sealgate(['check-config', '--config', setup.config]).status).toBe(0);
  const r = sealgate(['cert', 'export', RCPT, '--out', join(setup.dir, 'proxy.pem'), '--config', setup.config]);
  expect(r.status, r.stderr).toBe(0);
  gw = await startGatewayProcess(setup);
}, 180_000);

afterAll(async () => {
  await gw?.stop();
  await Promise.all([internal?.close(), http?.close()]);
  if (setup) cleanup(setup.dir);
  if (pki) cleanup(pki.dir);
});

const crlf = (b: Buffer) => Buffer.from(b.toString('latin1').replace(/\r?\n/g, '\r\n'), 'latin1');

async function signed(email: string, marker: string, to = RCPT): Promise<Buffer> {
  const id = pki.ids[email]!;
  const entity = Buffer.from(`Content-Type: text/plain; charset=us-ascii\r\n\r\nReferral letter ${marker}\r\n`);
  return crlf(await runOk('openssl', ['cms', '-sign', '-signer', id.certPath, '-inkey', id.keyPath, '-md', 'sha256', '-from', email, '-to', to, '-subject', marker], { input: entity }));
}

const deliveredWith = (marker: string, ms = 30_000): Promise<SinkMessage> => sinkMessageContaining(internal, marker, ms);

describe('through the running gateway', () => {
  test('loop: more Received fields than limits.hopCount once decrypted: rejected (bounced) with the reason, never delivered', async () => {
    const hops = Array.from({ length: 5 }, (_, i) => `Received: from relay${i}.hospital.test by relay${i + 1}.example.test; Sun, 29 Nov 2026 20:00:0${i} +0000`).join('\r\n');
    const inner = `${hops}\r\nFrom: dana@other.test\r\nTo: ${RCPT}\r\nSubject: marker-loop\r\nContent-Type: text/plain\r\n\r\nround and round\r\n`;
    const wrapped = Buffer.from(`Content-Type: message/rfc822\r\n\r\n${inner}`, 'latin1');
    const enc = crlf(await runOk('openssl', ['cms', '-encrypt', '-binary', '-aes-256-cbc', '-to', RCPT, '-subject', '...', '-recip', join(setup.dir, 'proxy.pem')], { input: wrapped }));
    // The outer message has no Received field: the SMTP listener's own hop check passes it.
    expect((await sendMail(setup.inboundPort, { from: 'dana@other.test', to: [RCPT], data: enc })).code).toBe(250);
    const db = new Database(join(setup.dir, 'data', 'sealgate.db'), { readonly: true });
    try {
      let verdict: string | undefined;
      for (let i = 0; i < 150 && !verdict; i++) {
        const row = db.prepare("SELECT data FROM audit WHERE type = 'bounced'").get() as { data: string } | undefined;
        verdict = row ? JSON.parse(row.data).verdict : undefined;
        if (!verdict) await new Promise((r) => setTimeout(r, 200));
      }
      expect(verdict).toBe('inbound: mail loop: 6 Received header fields after decryption (limit 5)');
    } finally {
      db.close();
    }
    expect(internal.messages.some((m) => m.data.toString('latin1').includes('marker-loop'))).toBe(false);
  });


  test('bundle-anchored signer with a good CRL: pass, CRL checked; the note comes first and the signed part still verifies', async () => {
    expect((await sendMail(setup.inboundPort, { from: 'dana@other.test', to: [RCPT], data: await signed('dana@other.test', 'marker-dana') })).code).toBe(250);
    const s = (await deliveredWith('marker-dana')).data.toString('latin1');
    expect(s).toMatch(/^Authentication-Results: [^;]+;\r\n smime=pass header\.from=dana@other\.test body\.smime-serial=2000\r\n \(valid signature, trusted signer, not revoked: CRL checked\)\r\n/);
    expect(http.hits.get('/bundle.p7b')).toBe(1);
    expect(http.hits.get('/crl.der')).toBeGreaterThanOrEqual(1); // ours, and the directory's check when it harvests
    const note = s.indexOf('Digital signature: valid, signed by dana@other.test.');
    expect(note).toBeGreaterThan(0);
    expect(note).toBeLessThan(s.indexOf('Content-Type: multipart/signed'));
    const b = /boundary="(sealgate-note-[0-9a-f]+)"/.exec(s)![1]!;
    const part = s.slice(s.indexOf('Content-Type: multipart/signed'), s.lastIndexOf(`\r\n--${b}--`));
    await runOk('openssl', ['cms', '-verify', '-CAfile', pki.caPath, '-purpose', 'smimesign', '-out', '/dev/null'], { input: Buffer.from(part, 'latin1') });
  });

  test('a signer whose certificate the CRL revokes: fail, and the note says INVALID', async () => {
    expect((await sendMail(setup.inboundPort, { from: 'erin@other.test', to: [RCPT], data: await signed('erin@other.test', 'marker-erin') })).code).toBe(250);
    const s = (await deliveredWith('marker-erin')).data.toString('latin1');
    expect(s).toMatch(/ smime=fail header\.from=erin@other\.test body\.smime-serial=2001\r\n \(signer certificate revoked /);
    expect(s).toContain('Digital signature: INVALID (erin@other.test)');
  });

  test('tamperCheck hold: an envelope recipient missing from To/Cc is held with the reason, not delivered', async () => {
    const msg = await signed('dana@other.test', 'marker-tamper', 'someone.else@hospital.test');
    expect((await sendMail(setup.inboundPort, { from: 'dana@other.test', to: [RCPT], data: msg })).code).toBe(250);
    const end = Date.now() + 30_000;
    let held: { holdReason?: string | null; lastError?: string | null } | undefined;
    while (!held && Date.now() < end) {
      const q = sealgate(['queue', 'list', '--json', '--config', setup.config]);
      held = q.stdout.split('\n').filter((l) => l.trim().startsWith('{')).map((l) => JSON.parse(l)).find((x) => x.state === 'hold');
      if (!held) await new Promise((r) => setTimeout(r, 200));
    }
    expect(`${held?.holdReason ?? ''} ${held?.lastError ?? ''}`).toMatch(/inbound: envelope does not match the message header: envelope recipient dr\.jones@hospital\.test not in To\/Cc/);
    expect(internal.messages.some((m) => m.data.toString('latin1').includes('marker-tamper'))).toBe(false);
  });
});

test('bad inbound values are config errors naming the key path', async () => {
  const s = await setupGateway({
    internalPort: await freePort(),
    edit: (y) => y + ['', 'inbound:', '  trustBundles:', '    - domain: "not a domain"', '      source: ftp://x.test/b.p7b', '  crlCheck: sometimes', '  tamperCheck: maybe', '  visibleNote: "yes"', '  crlTimeoutSeconds: 0', ''].join('\n'),
  });
  try {
    const r = sealgate(['check-config', '--config', s.config]);
    expect(r.status).toBe(2);
    for (const re of [/inbound\.trustBundles\[0\]\.domain: expected a domain name/, /inbound\.crlCheck: expected one of off, soft, hard, got "sometimes"/,
      /inbound\.tamperCheck: expected one of off, annotate, hold, reject, got "maybe"/, /inbound\.visibleNote: expected true or false/, /inbound\.crlTimeoutSeconds: expected a whole number between 1 and 60, got 0/]) {
      expect(r.stderr).toMatch(re);
    }
  } finally {
    cleanup(s.dir);
  }
}, 60_000);
