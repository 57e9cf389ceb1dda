// Revocation stops use at once, end to end through a running `sealgate start`: PHI to an external
// partner is encrypted to the certificate auto-issued for them; after `sealgate cert revoke` (a
// separate process) the next message is never encrypted to the revoked certificate (the running
// gateway's revocation watch drops its cached lookup; a new certificate is issued instead).
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanup, sealgate, setupGateway, startGatewayProcess, type GatewayProcess, type GatewaySetup } from '../helpers/gateway.js';
import { startSmtpSink, type SinkMessage, type SmtpSink } from '../helpers/smtp-sink.js';
import { sendMail } from '../helpers/send-mail.js';
import { run, runOk } from '../peers/run.js';
import { headerOf, phiMessage, SENDER, to, waitUntil } from '../outbound/protect-helpers.js';
import { REVOCATION_POLL_MS } from '../../src/pki/revocation-watch.js';

const RCPT = 'pat@clinic.test';
const isEncrypted = (m: SinkMessage) => /smime-type=enveloped-data/.test(headerOf(m.data));
const isPkcs12Mail = (m: SinkMessage) => /filename="[^"]+\.p12"/.test(m.data.toString('latin1'));

describe('revocation through a running gateway', () => {
  let internal: SmtpSink;
  let external: SmtpSink;
  let setup: GatewaySetup;
  let gw: GatewayProcess;

  beforeAll(async () => {
    internal = await startSmtpSink();
    external = await startSmtpSink();
    setup = await setupGateway({
      internalPort: internal.port,
      smarthostPort: external.port,
      edit: (y) => y + ['', 'directory:', '  sources: [local]', '  negativeCacheTtlSeconds: 0', '  missingCertificate: issue', 'outbound:', '  tlsProbeTimeoutSeconds: 5', ''].join('\n'),
    });
    const p = sealgate(['partner', 'add', 'clinic.test', '--kind', 'business-associate', '--config', setup.config]);
    expect(p.status, p.stderr).toBe(0);
    gw = await startGatewayProcess(setup);
  }, 240_000);

  afterAll(async () => {
    await gw?.stop();
    await Promise.all([internal?.close(), external?.close()]);
    if (setup) cleanup(setup.dir);
  });

  /** The recipient's key from the n-th PKCS#12 email (password retrieved by serial, as the sender would). */
  async function identityFrom(mail: SinkMessage, serial: string, name: string): Promise<string> {
    const b64 = /filename="[^"]+\.p12"\r\n\r\n([A-Za-z0-9+/=\r\n]+?)\r\n(?:\r\n)?--/.exec(mail.data.toString('latin1'))![1]!;
    const p12 = join(setup.dir, `${name}.p12`);
    writeFileSync(p12, Buffer.from(b64.replace(/\r\n/g, ''), 'base64'));
    const pw = sealgate(['cert', 'password', serial, '--config', setup.config]);
    expect(pw.status, pw.stderr).toBe(0);
    const pem = join(setup.dir, `${name}.pem`);
    writeFileSync(pem, await runOk('openssl', ['pkcs12', '-in', p12, '-passin', `pass:${pw.stdout.trim()}`, '-nodes']));
    return pem;
  }

  const decryptsWith = async (m: SinkMessage, pem: string) => (await run('openssl', ['cms', '-decrypt', '-binary', '-recip', pem, '-inkey', pem], { input: m.data })).code === 0;
  const externalSerials = () => (JSON.parse(sealgate(['cert', 'list', '--address', RCPT, '--all', '--json', '--config', setup.config]).stdout) as Array<{ serial: string; revoked: string | null }>);

  it('after cert revoke, the next message is not encrypted to the revoked certificate', async () => {
    expect((await sendMail(setup.outboundPort, { from: SENDER, to: [RCPT], data: phiMessage(RCPT, 'first') })).code).toBe(250);
    await waitUntil(() => external.messages.filter(to(RCPT)).some(isEncrypted) && external.messages.filter(to(RCPT)).some(isPkcs12Mail));
    const [first] = externalSerials();
    const idA = await identityFrom(external.messages.filter(to(RCPT)).find(isPkcs12Mail)!, first!.serial, 'a');
    const msg1 = external.messages.filter(to(RCPT)).find(isEncrypted)!;
    expect(await decryptsWith(msg1, idA)).toBe(true);

    const rv = sealgate(['cert', 'revoke', first!.serial, '--reason', 'keyCompromise', '--config', setup.config]);
    expect(rv.status, rv.stderr).toBe(0);
    await new Promise((r) => setTimeout(r, REVOCATION_POLL_MS + 1500));

    expect((await sendMail(setup.outboundPort, { from: SENDER, to: [RCPT], data: phiMessage(RCPT, 'second') })).code).toBe(250);
    await waitUntil(() => external.messages.filter(to(RCPT)).filter(isEncrypted).length >= 2, 90_000);
    const msg2 = external.messages.filter(to(RCPT)).filter(isEncrypted)[1]!;
    expect(msg2.data.toString('latin1')).not.toContain('MRN 00451234');
    expect(await decryptsWith(msg2, idA)).toBe(false);
    // A new certificate was issued for the partner, and the message opens with its key.
    await waitUntil(() => external.messages.filter(to(RCPT)).filter(isPkcs12Mail).length >= 2, 60_000);
    const rows = externalSerials();
    const current = rows.find((r) => r.revoked === null)!;
    expect(current.serial).not.toBe(first!.serial);
    const idB = await identityFrom(external.messages.filter(to(RCPT)).filter(isPkcs12Mail)[1]!, current.serial, 'b');
    expect(await decryptsWith(msg2, idB)).toBe(true);
  }, 240_000);
});
