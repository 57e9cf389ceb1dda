// Harvesting closes the loop (issue 6): an external partner sends a signed message in (OpenSSL, a
// signer under a trust anchor we configured); the inbound stage finds the signature valid and
// harvests the signer's certificate into the certificate directory; the internal user's reply
// with PHI to that partner (registered with `sealgate partner add`) then leaves encrypted to the
// harvested certificate: the partner's own key opens it with `openssl cms -decrypt`. The
// directory is configured to hold, not auto-issue, when it has no certificate, and has no LDAP or
// DNS source, so only the harvested certificate can explain the encryption. Real `sealgate start`,
// real SMTP (inbound sink = internal server, smarthost sink = the outside). Needs npm run build.
import { afterAll, beforeAll, expect, test } from 'vitest';
import { cleanup, sealgate, setupGateway, startGatewayProcess, withLimits, type GatewayProcess, type GatewaySetup } from '../helpers/gateway.js';
import { startSmtpSink, type SinkMessage, type SmtpSink } from '../helpers/smtp-sink.js';
import { sendMail } from '../helpers/send-mail.js';
import { makeTestPki, type TestPki } from '../peers/pki.js';
import { runOk } from '../peers/run.js';

const USER = 'dr.jones@hospital.test';
const PARTNER = 'alice@example.test';
let partner: TestPki;
let internal: SmtpSink;
let external: SmtpSink;
let setup: GatewaySetup;
let gw: GatewayProcess;

beforeAll(async () => {
  [partner, internal, external] = await Promise.all([makeTestPki(), startSmtpSink(), startSmtpSink()]);
  setup = await setupGateway({
    internalPort: internal.port,
    smarthostPort: external.port,
    edit: (y) =>
      withLimits({ retryBase: 1, retryMax: 2 })(y) +
      ['', 'inbound:', '  trustAnchors:', `    - ${partner.caCertPath}`, 'directory:', '  sources: [local, harvested]', '  negativeCacheTtlSeconds: 0', '  missingCertificate: hold', ''].join('\n'),
  });
  const r = sealgate(['partner', 'add', 'example.test', '--kind', 'business-associate', '--config', setup.config]);
  expect(r.status, r.stderr).toBe(0);
  gw = await startGatewayProcess(setup);
}, 180_000);

afterAll(async () => {
  await gw?.stop();
  await Promise.all([internal?.close(), external?.close()]);
  if (setup) cleanup(setup.dir);
  if (partner) cleanup(partner.dir);
});

const crlf = (b: Buffer) => Buffer.from(b.toString('latin1').replace(/\r?\n/g, '\r\n'), 'latin1');

async function waitFor(sink: SmtpSink, pred: (m: SinkMessage) => boolean, ms = 60_000): Promise<SinkMessage> {
  const end = Date.now() + ms;
  for (;;) {
    const m = sink.messages.find(pred);
    if (m) return m;
    if (Date.now() > end) throw new Error('timed out waiting for a delivery');
    await new Promise((r) => setTimeout(r, 100));
  }
}

const PHI = 'Patient: John Smith, DOB 03/14/1962, MRN 00451234.\r\nAssessment: type 2 diabetes mellitus (E11.9), HbA1c 8.2%. Continue metformin 1000 mg twice daily.\r\n';

test('a valid signed message from a partner: its certificate is harvested and the PHI reply is encrypted to it', async () => {
  const a = partner.ids.alice!;
  const entity = Buffer.from('Content-Type: text/plain; charset=us-ascii\r\n\r\nPlease send the discharge summary. marker-harvest\r\n');
  const signed = crlf(await runOk('openssl', ['cms', '-sign', '-signer', a.certPath, '-inkey', a.keyPath, '-md', 'sha256', '-from', PARTNER, '-to', USER, '-subject', 'Discharge summary request'], { input: entity }));
  expect((await sendMail(setup.inboundPort, { from: PARTNER, to: [USER], data: signed })).code).toBe(250);
  const got = await waitFor(internal, (m) => m.data.toString('latin1').includes('marker-harvest'));
  expect(got.data.toString('latin1')).toMatch(/smime=pass header\.from=alice@example\.test/);

  // The directory now answers for the partner from the harvested certificate.
  const look = sealgate(['cert', 'lookup', PARTNER, '--json', '--config', setup.config]);
  expect(look.status, look.stderr + look.stdout).toBe(0);
  expect(JSON.parse(look.stdout).certificate.source).toBe('harvested');

  const reply = `From: ${USER}\r\nTo: ${PARTNER}\r\nSubject: Re: Discharge summary request\r\nMessage-ID: <reply-harvest@hospital.test>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n${PHI}`;
  expect((await sendMail(setup.outboundPort, { from: USER, to: [PARTNER], data: reply })).code).toBe(250);
  const out = await waitFor(external, (m) => m.recipients.includes(PARTNER));
  expect(out.data.toString('latin1')).not.toContain('MRN 00451234');
  expect(out.data.toString('latin1')).toMatch(/smime-type=enveloped-data/);
  const opened = (await runOk('openssl', ['cms', '-decrypt', '-binary', '-recip', a.certPath, '-inkey', a.keyPath], { input: out.data })).toString('latin1');
  expect(opened).toContain('MRN 00451234');
  expect(opened).toContain('Subject: Re: Discharge summary request');
}, 120_000);
