// TLS-enforced delivery end to end: a partner marked tls-required whose server (the smarthost sink)
// offers STARTTLS with a certificate that verifies against outbound.tlsTrustAnchors. The PHI message
// goes out domain-signed over TLS (the sink saw TLS), the chosen method is in the audit trail.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cleanup, sealgate, setupGateway, startGatewayProcess, type GatewayProcess, type GatewaySetup, writeRootPem } from '../helpers/gateway.js';
import { startSmtpSink, type SmtpSink } from '../helpers/smtp-sink.js';
import { sendMail } from '../helpers/send-mail.js';
import { OID_DOMAIN_SIG, SENDER, outboundYaml, partnerVerify, phiMessage, printSignature } from './protect-helpers.js';

describe('TLS-required partner with a verified TLS server', () => {
  let internal: SmtpSink;
  let sink: SmtpSink;
  let setup: GatewaySetup;
  let gw: GatewayProcess;

  beforeAll(async () => {
    internal = await startSmtpSink();
    sink = await startSmtpSink({ tls: true });
    const anchor = join(tmpdir(), `sg-sink-${sink.port}.pem`);
    writeFileSync(anchor, sink.certPem!);
    setup = await setupGateway({
      internalPort: internal.port,
      smarthostPort: sink.port,
      edit: (y) => y + outboundYaml({ ldapUrl: `ldap://127.0.0.1:1`, ldapBase: 'dc=x,dc=test', anchors: anchor, sources: 'local', extra: `  tlsTrustAnchors: [${anchor}]` }),
    });
    const r = sealgate(['partner', 'add', 'tls-partner.test', '--kind', 'healthcare', '--tls-required', '--config', setup.config]);
    expect(r.status, r.stderr).toBe(0);
    gw = await startGatewayProcess(setup);
  }, 180_000);

  afterAll(async () => {
    await gw?.stop();
    await Promise.all([internal?.close(), sink?.close()]);
    if (setup) cleanup(setup.dir);
  });

  it('goes out domain-signed over verified TLS, and the audit trail names the method', async () => {
    const rcpt = 'lab@tls-partner.test';
    expect((await sendMail(setup.outboundPort, { from: SENDER, to: [rcpt], data: phiMessage(rcpt) })).code).toBe(250);
    await sink.waitFor(1, 60_000);
    const m = sink.messages[0]!;
    expect(m.recipients).toEqual([rcpt]);
    expect(m.tls).toBe(true);
    // TLS served the recipient: no certificate was issued for it.
    expect(sink.messages.some((x) => /\.p12/.test(x.data.toString('latin1')))).toBe(false);
    const root = writeRootPem(setup);
    expect((await partnerVerify(m.data, root)).stderr).toContain('Verification successful');
    expect(await printSignature(m.data, setup.dir)).toContain(OID_DOMAIN_SIG);
    // The audit record of the choice (read with the sqlite3 CLI): method tls, and why.
    const r = spawnSync('sqlite3', [join(setup.dir, 'data', 'sealgate.db'), "SELECT data FROM audit WHERE type = 'protection'"], { encoding: 'utf8' });
    const rec = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as { recipients: Array<{ recipient: string; method: string; why: string }> };
    expect(rec.recipients[0]).toMatchObject({ recipient: rcpt, method: 'tls' });
    expect(rec.recipients[0]!.why).toMatch(/TLS-enforced delivery \(TLSv1\.[23]/);
    expect(r.stdout).not.toContain('MRN');
    const audit = sealgate(['audit', 'verify', '--config', setup.config]);
    expect(audit.status, audit.stdout + audit.stderr).toBe(0);
  });
});
