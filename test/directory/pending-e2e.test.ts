// Pending-certificate workflow through a running `sealgate start` process (issue 4, item 5), with
// directory.missingCertificate: pending: PHI to a partner without a certificate is held and the
// recipient gets the request at the SMTP sink (no PHI in it); the recipient replies with a message
// signed by openssl; the gateway verifies it, harvests the certificate and releases the held
// message, which then arrives encrypted to that certificate (openssl decrypts it with the
// recipient's key). `sealgate pending list` shows the status at each step.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rm } from 'node:fs/promises';
import { cleanup, sealgate, setupGateway, startGatewayProcess, type GatewayProcess, type GatewaySetup } from '../helpers/gateway.js';
import { startSmtpSink, type SmtpSink } from '../helpers/smtp-sink.js';
import { sendMail } from '../helpers/send-mail.js';
import { makeTestPki, type TestPki } from '../peers/pki.js';
import { opensslSign } from '../peers/openssl.js';
import { SENDER, headerOf, partnerDecrypt, phiMessage } from '../outbound/protect-helpers.js';
import { to, waitUntil } from '../helpers/wait-for.js';

const RCPT = 'alice@example.test';

const pendingStatus = (setup: GatewaySetup): string | undefined => {
  const r = sealgate(['pending', 'list', '--config', setup.config, '--json']);
  return (JSON.parse(r.stdout || '[]') as Array<{ address: string; status: string }>).find((x) => x.address === RCPT)?.status;
};

let partner: TestPki;
let internal: SmtpSink;
let external: SmtpSink;
let setup: GatewaySetup;
let gw: GatewayProcess;

beforeAll(async () => {
  partner = await makeTestPki();
  internal = await startSmtpSink();
  external = await startSmtpSink();
  setup = await setupGateway({
    internalPort: internal.port,
    smarthostPort: external.port,
    edit: (y) =>
      y +
      [
        '',
        'inbound:',
        `  trustAnchors: [${partner.caCertPath}]`,
        'directory:',
        '  sources: [local, harvested]',
        '  negativeCacheTtlSeconds: 0',
        '  missingCertificate: pending',
        '  pending:',
        '    reminderHours: 24',
        '    expireDays: 7',
        '    fallback: hold',
        'outbound:',
        '  tlsProbeTimeoutSeconds: 5',
        '',
      ].join('\n'),
  });
  const r = sealgate(['partner', 'add', 'example.test', '--kind', 'business-associate', '--config', setup.config]);
  expect(r.status, r.stderr).toBe(0);
  gw = await startGatewayProcess(setup);
}, 240_000);

afterAll(async () => {
  await gw?.stop();
  await Promise.all([internal?.close(), external?.close()]);
  if (partner) await rm(partner.dir, { recursive: true, force: true });
  if (setup) cleanup(setup.dir);
});

describe('pending certificate through a running gateway', () => {
  it('holds PHI for a recipient without a certificate and sends them the request (no PHI)', async () => {
    expect((await sendMail(setup.outboundPort, { from: SENDER, to: [RCPT], data: phiMessage(RCPT) })).code).toBe(250);
    await waitUntil(() => external.messages.some(to(RCPT)));
    const mine = external.messages.filter(to(RCPT));
    expect(mine).toHaveLength(1);
    const req = mine[0]!.data.toString('latin1');
    expect(req).toContain('Please reply with a digitally signed email');
    expect(req).not.toContain('MRN');
    expect(req).not.toContain('John Smith');
    expect(pendingStatus(setup)).toBe('requested');
    const q = sealgate(['queue', 'list', '--config', setup.config]);
    expect(q.stdout).toMatch(/hold/);
  }, 90_000);

  it('a signed reply releases the held message, which arrives encrypted to the harvested certificate', async () => {
    const a = partner.ids.alice!;
    const entity = Buffer.from('Content-Type: text/plain; charset=utf-8\r\n\r\nHere is my signed reply.\r\n');
    const signed = (await opensslSign(entity, a.certPath, a.keyPath, { detached: true, digest: 'sha256' })).toString('latin1').replace(/\r?\n/g, '\r\n');
    const reply = `From: ${RCPT}\r\nTo: ${SENDER}\r\nSubject: Re: Please reply with a digitally signed email\r\nDate: Sun, 29 Nov 2026 11:00:00 +0000\r\nMessage-ID: <reply1@example.test>\r\n${signed}`;
    expect((await sendMail(setup.inboundPort, { from: RCPT, to: [SENDER], data: reply })).code).toBe(250);
    // The reply itself reaches the sender.
    await waitUntil(() => internal.messages.some((m) => m.recipients.includes(SENDER) && m.data.toString('latin1').includes('Message-ID: <reply1@example.test>')));
    await waitUntil(() => external.messages.filter(to(RCPT)).some((m) => /smime-type=enveloped-data/.test(headerOf(m.data))), 90_000);
    const enc = external.messages.filter(to(RCPT)).find((m) => /smime-type=enveloped-data/.test(headerOf(m.data)))!;
    expect(enc.data.toString('latin1')).not.toContain('MRN 00451234');
    const inner = await partnerDecrypt(enc.data, a.certPath, a.keyPath);
    expect(inner.toString('latin1')).toContain('MRN 00451234');
    expect(pendingStatus(setup)).toBe('received');
  }, 150_000);
});
