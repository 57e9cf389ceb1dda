// Desktop S/MIME encryption and the domain certificate, through a real `sealgate start` process
// over real SMTP, with `openssl cms -encrypt` (OpenSSL 3) as the user's desktop client:
// - PHI encrypted to an unregistered domain and to our domain-confidentiality-authority
//   certificate (exported with `sealgate cert export`) is held by the policy stage, which read the
//   plaintext (the hold reason names the recipient); the same with one of our proxy certificates
//   (the sender's own, also bound to the domain encryption key) instead;
// - a message to a registered partner (`sealgate partner add`) that includes our certificate,
//   identified by issuer and serial or by subjectKeyIdentifier, reaches the sink byte-identical
//   to what the client sent (apart from the Received trace header);
// - without our certificate among the recipients it is held (outbound.inspectEncrypted: hold, the
//   default).
// Needs the built CLI (npm run build).
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { startSmtpSink, type SmtpSink } from '../helpers/smtp-sink.js';
import { cleanup, sealgate, setupGateway, startGatewayProcess, withLimits, type GatewayProcess, type GatewaySetup } from '../helpers/gateway.js';
import { sendMail, withoutTrace } from '../helpers/send-mail.js';
import { waitAtSink, waitHeld as waitHeldIn } from '../helpers/wait-for.js';
import { makeTestPki, type TestPki } from '../peers/pki.js';
import { runOk } from '../peers/run.js';
import { crlf } from '../openpgp/fixtures.js';

const SENDER = 'alice@hospital.test';
const PHI = 'Patient: John Smith, MRN 12345678, DOB 01/02/1960.\nDiagnosis: type 2 diabetes mellitus (E11.9); HbA1c 8.1%. Please schedule a follow-up.';
let ext: SmtpSink;
let internal: SmtpSink;
let setup: GatewaySetup;
let gw: GatewayProcess;
let peers: TestPki;
let domainCert: string;
let proxyCert: string;

function exportCert(address: string, file: string): string {
  const r = sealgate(['cert', 'export', address, '--out', file, '--config', setup.config]);
  expect(r.status, r.stderr).toBe(0);
  return file;
}

beforeAll(async () => {
  [ext, internal, peers] = await Promise.all([startSmtpSink(), startSmtpSink(), makeTestPki()]);
  setup = await setupGateway({ internalPort: internal.port, smarthostPort: ext.port, edit: (y) => withLimits({ retryBase: 1, retryMax: 2 })(y) });
  expect(sealgate(['partner', 'add', 'partner.test', '--kind', 'healthcare', '--config', setup.config]).status).toBe(0);
  domainCert = exportCert('domain-confidentiality-authority@hospital.test', join(setup.dir, 'domain-conf.pem'));
  proxyCert = exportCert(SENDER, join(setup.dir, 'alice-proxy.pem'));
  gw = await startGatewayProcess(setup);
}, 240_000);

afterAll(async () => {
  await gw?.stop();
  await Promise.all([ext?.close(), internal?.close()]);
  if (peers) rmSync(peers.dir, { recursive: true, force: true });
  if (setup) cleanup(setup.dir);
});

/** What the desktop client sends: our header, then openssl's application/pkcs7-mime entity. */
async function desktopEncrypted(to: string, subject: string, body: string, recipients: string[], keyid = false, signOpaque = false): Promise<Buffer> {
  let entity = crlf(`Content-Type: text/plain; charset=us-ascii\n\n${body}\n`);
  // Sign, then encrypt (opaque signed-data: the content is only readable after both layers).
  if (signOpaque) entity = await runOk('openssl', ['cms', '-sign', '-nodetach', '-binary', '-signer', peers.ids.alice!.certPath, '-inkey', peers.ids.alice!.keyPath], { input: entity });
  const args = ['cms', '-encrypt', '-binary', '-aes-256-cbc', ...(keyid ? ['-keyid'] : []), ...recipients.flatMap((c) => ['-recip', c])];
  const smime = (await runOk('openssl', args, { input: entity })).toString('latin1');
  const head = `From: Alice <${SENDER}>\nTo: <${to}>\nSubject: ${subject}\nDate: Sun, 29 Nov 2026 10:00:00 +0000\nMessage-ID: <${subject.replace(/\W/g, '')}@hospital.test>\n`;
  const sent = crlf(head + smime);
  expect(sent.toString('latin1')).toMatch(/Content-Type: application\/(x-)?pkcs7-mime; smime-type=enveloped-data/);
  return sent;
}

const waitHeld = (pattern: RegExp) => waitHeldIn(setup.config, pattern);
const waitAt = (sink: SmtpSink, subject: string) => waitAtSink(sink, (s) => s.includes(`Subject: ${subject}\r\n`), subject);

async function send(to: string, data: Buffer) {
  const r = await sendMail(setup.outboundPort, { from: SENDER, to: [to], data });
  expect(r.code, r.final).toBe(250);
}

describe('S/MIME encrypted on the desktop, with our domain certificate among the recipients', () => {
  test('PHI to an unregistered domain: the policy stage reads the plaintext and holds it', async () => {
    await send('eve@unregistered.test', await desktopEncrypted('eve@unregistered.test', 'smime desktop to eve', PHI, [peers.ids.carol!.certPath, domainCert]));
    const reason = await waitHeld(/eve@unregistered\.test/);
    expect(reason).toMatch(/patient information/i);
    expect(reason).toMatch(/MRN \*+78/); // masked evidence from the plaintext
    expect(reason).not.toContain('12345678');
  }, 90_000);

  test('PHI to an unregistered domain, encrypted to our proxy certificate instead: held the same way', async () => {
    await send('mallory@elsewhere.test', await desktopEncrypted('mallory@elsewhere.test', 'smime desktop proxy', PHI, [peers.ids.bob!.certPath, proxyCert]));
    const reason = await waitHeld(/mallory@elsewhere\.test/);
    expect(reason).toMatch(/patient information/i);
    expect(reason).toMatch(/MRN \*+78/); // masked evidence from the plaintext
  }, 90_000);

  test('signed (opaque) then encrypted on the desktop, PHI to an unregistered domain: both layers peeled, held', async () => {
    await send('trent@unregistered.test', await desktopEncrypted('trent@unregistered.test', 'smime desktop signed', PHI, [peers.ids.carol!.certPath, domainCert], false, true));
    const reason = await waitHeld(/trent@unregistered\.test/);
    expect(reason).toMatch(/patient information/i);
    expect(reason).toMatch(/MRN \*+78/); // masked evidence from the plaintext
  }, 90_000);

  for (const keyid of [false, true]) {
    const how = keyid ? 'subjectKeyIdentifier' : 'issuer and serial';
    test(`PHI to a registered partner (recipients by ${how}): reaches the sink byte-identical`, async () => {
      const subject = `smime desktop permitted ${keyid ? 'ski' : 'ias'}`;
      const sent = await desktopEncrypted('bob@partner.test', subject, PHI, [peers.ids.carol!.certPath, domainCert], keyid);
      await send('bob@partner.test', sent);
      const got = await waitAt(ext, subject);
      expect(withoutTrace(got).equals(sent)).toBe(true);
      // ...and the partner opens it (the gateway did not re-encrypt or wrap it).
      const carol = peers.ids.carol!;
      const plain = await runOk('openssl', ['cms', '-decrypt', '-recip', carol.certPath, '-inkey', carol.keyPath], { input: withoutTrace(got) });
      expect(plain.toString('latin1')).toContain('MRN 12345678');
    }, 90_000);
  }
});

describe('S/MIME encrypted on the desktop without our certificate', () => {
  test('held: outbound.inspectEncrypted defaults to hold', async () => {
    await send('bob@partner.test', await desktopEncrypted('bob@partner.test', 'smime desktop no domain cert', 'nothing to see', [peers.ids.carol!.certPath]));
    await waitHeld(/message encrypted by the sender \(smime\) cannot be inspected/);
    expect(ext.messages.some((m) => m.data.toString('latin1').includes('Subject: smime desktop no domain cert'))).toBe(false);
  }, 90_000);
});

describe('no content in the log', () => {
  test('the gateway log never carries the plaintext', () => {
    expect(gw.stdout()).not.toContain('12345678');
    expect(gw.stderr()).not.toContain('12345678');
  });
});
