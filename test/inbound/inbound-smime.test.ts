// Inbound S/MIME end to end through a real `sealgate start` process over real SMTP: mail that
// OpenSSL encrypted to an internal address's proxy certificate (RSA PKCS#1 v1.5) or to the RFC 3183
// domain confidentiality certificate (RSA-OAEP) arrives at the internal server decrypted, the
// header-protected inner message byte for byte; mail encrypted to someone else's certificate is
// held with the reason; signatures are reported in an Authentication-Results header (pass for a
// signer under a configured trust anchor, not pass for an unknown CA, fail when tampered) and a
// forged result naming our host is removed. Needs the built CLI (npx tsc -p tsconfig.json).
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { readFileSync } from 'node:fs';
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { startSmtpSink, type SmtpSink, type SinkMessage } from '../helpers/smtp-sink.js';
import { cleanup, sealgate, setupGateway, startGatewayProcess, withLimits, type GatewayProcess, type GatewaySetup } from '../helpers/gateway.js';
import { sendMail, withoutTrace } from '../helpers/send-mail.js';
import { makeTestPki, type TestPki } from '../peers/pki.js';
import { runOk } from '../peers/run.js';
import { wrapP7m } from '../peers/mime-extract.js';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { sinkMessageContaining } from '../helpers/wait-for.js';

const RCPT = 'dr.jones@hospital.test';
let internal: SmtpSink;
let setup: GatewaySetup;
let gw: GatewayProcess;
let trusted: TestPki;
let untrusted: TestPki;
let hostname: string;
let proxyCert: string;
let dcaCert: string;

beforeAll(async () => {
  [internal, trusted, untrusted] = await Promise.all([startSmtpSink(), makeTestPki(), makeTestPki()]);
  setup = await setupGateway({
    internalPort: internal.port,
    edit: (y) => withLimits({ retryBase: 1, retryMax: 2 })(y) + `\ninbound:\n  trustAnchors:\n    - ${trusted.caCertPath}\n`,
  });
  hostname = /^hostname:\s*(\S+)/m.exec(readFileSync(setup.config, 'utf8'))![1]!;
  proxyCert = join(setup.dir, 'proxy.pem');
  dcaCert = join(setup.dir, 'dca.pem');
  for (const [addr, out] of [[RCPT, proxyCert], ['domain-confidentiality-authority@hospital.test', dcaCert]] as const) {
    const r = sealgate(['cert', 'export', addr, '--out', out, '--config', setup.config]);
    expect(r.status, r.stderr).toBe(0);
  }
  expect(sealgate(['check-config', '--config', setup.config]).status).toBe(0);
  gw = await startGatewayProcess(setup);
}, 90_000);

afterAll(async () => {
  await gw?.stop();
  await internal?.close();
  if (setup) cleanup(setup.dir);
  for (const p of [trusted, untrusted]) if (p) cleanup(p.dir);
});

const crlf = (b: Buffer) => Buffer.from(b.toString('latin1').replace(/\r?\n/g, '\r\n'), 'latin1');

function innerMessage(tag: string): Buffer {
  return Buffer.from(
    [
      'From: Alice Partner <alice@example.test>',
      `To: Dr Jones <${RCPT}>`,
      `Subject: protected ${tag}`,
      'Date: Sun, 29 Nov 2026 20:00:00 +0000',
      `Message-ID: <${tag}@example.test>`,
      'MIME-Version: 1.0',
      'Content-Type: text/plain; charset=us-ascii',
      '',
      `Lab results for the ${tag} case are attached in the portal.`,
      'Second line.',
      '',
    ].join('\r\n'),
    'latin1',
  );
}

async function encrypt(content: Buffer, cert: string, oaep: boolean, subject: string, cipher = 'aes-256-cbc'): Promise<Buffer> {
  const args = ['cms', '-encrypt', '-binary', `-${cipher}`, '-from', 'alice@example.test', '-to', RCPT, '-subject', subject, '-recip', cert];
  if (oaep) args.push('-keyopt', 'rsa_padding_mode:oaep');
  return crlf(await runOk('openssl', args, { input: content }));
}

async function sign(content: Buffer, pki: TestPki, subject: string, opaque = false): Promise<Buffer> {
  const id = pki.ids.alice!;
  const args = ['cms', '-sign', '-signer', id.certPath, '-inkey', id.keyPath, '-md', 'sha256', '-from', id.email, '-to', RCPT, '-subject', subject];
  if (opaque) args.push('-nodetach');
  return crlf(await runOk('openssl', args, { input: content }));
}

const deliveredWith = (marker: string, ms = 20_000): Promise<SinkMessage> => sinkMessageContaining(internal, marker, ms);

async function send(data: Buffer) {
  const r = await sendMail(setup.inboundPort, { from: 'alice@example.test', to: [RCPT], data });
  expect(r.code, r.final).toBe(250);
}

/** Our Authentication-Results fields at the top of a delivered message, and the rest. */
function splitResults(data: Buffer): { results: string[]; rest: Buffer } {
  let s = data.toString('latin1');
  const results: string[] = [];
  for (;;) {
    const m = /^Authentication-Results:[^\r]*\r\n([ \t][^\r]*\r\n)*/.exec(s);
    if (!m) break;
    results.push(m[0].replace(/\r\n[ \t]/g, ' ').trim());
    s = s.slice(m[0].length);
  }
  return { results, rest: Buffer.from(s, 'latin1') };
}

describe('decryption', () => {
  test('RSA PKCS#1 v1.5 to the proxy certificate: the header-protected inner message arrives byte-identical', async () => {
    const inner = innerMessage('pkcs1-proxy');
    const wrapped = Buffer.concat([Buffer.from('Content-Type: message/rfc822\r\n\r\n'), inner]);
    await send(await encrypt(wrapped, proxyCert, false, '...'));
    const m = await deliveredWith('protected pkcs1-proxy');
    expect(m.recipients).toEqual([RCPT]);
    expect(m.data.toString('latin1')).toMatch(/^Received: /); // our trace field is kept for hop counting
    expect(withoutTrace(m.data).equals(inner)).toBe(true);
  });

  test('RSA-OAEP to the domain confidentiality certificate: decrypted, inner message byte-identical', async () => {
    const inner = innerMessage('oaep-dca');
    const wrapped = Buffer.concat([Buffer.from('Content-Type: message/rfc822\r\n\r\n'), inner]);
    await send(await encrypt(wrapped, dcaCert, true, '...'));
    const m = await deliveredWith('protected oaep-dca');
    expect(withoutTrace(m.data).equals(inner)).toBe(true);
    expect(m.data.toString('latin1')).not.toMatch(/pkcs7-mime/i);
  });

  test('AES-256-GCM (authEnveloped-data) to the proxy certificate: decrypted byte-identical', async () => {
    const inner = innerMessage('gcm-proxy');
    const wrapped = Buffer.concat([Buffer.from('Content-Type: message/rfc822\r\n\r\n'), inner]);
    const enc = await encrypt(wrapped, proxyCert, true, '...', 'aes-256-gcm');
    expect(enc.toString('latin1')).toMatch(/authEnveloped-data/);
    await send(enc);
    const m = await deliveredWith('protected gcm-proxy');
    expect(withoutTrace(m.data).equals(inner)).toBe(true);
  });

  test('NSS cmsutil to the proxy certificate (database trusting our root): decrypted byte-identical', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sg-inbound-nss-'));
    try {
      const chain = sealgate(['cert', 'export', RCPT, '--chain', '--config', setup.config]);
      expect(chain.status, chain.stderr).toBe(0);
      const pems = chain.stdout.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----\n/g)!;
      expect(pems).toHaveLength(3);
      const db = `sql:${dir}`;
      await runOk('certutil', ['-N', '-d', db, '--empty-password']);
      for (const [i, [nick, trust]] of [['proxy', ',,'], ['issuing', ',,'], ['root', 'C,C,C']].entries()) {
        writeFileSync(join(dir, `${nick}.pem`), pems[i]!);
        await runOk('certutil', ['-A', '-d', db, '-n', nick!, '-t', trust!, '-i', join(dir, `${nick}.pem`)]);
      }
      const inner = innerMessage('nss-proxy');
      writeFileSync(join(dir, 'in'), Buffer.concat([Buffer.from('Content-Type: message/rfc822\r\n\r\n'), inner]));
      await runOk('cmsutil', ['-E', '-r', RCPT, '-d', db, '-i', join(dir, 'in'), '-o', join(dir, 'out')]);
      await send(wrapP7m(readFileSync(join(dir, 'out')), 'enveloped-data', `From: alice@example.test\r\nTo: ${RCPT}\r\nSubject: ...\r\n`));
      const m = await deliveredWith('protected nss-proxy');
      expect(withoutTrace(m.data).equals(inner)).toBe(true);
    } finally {
      cleanup(dir);
    }
  });

  test('without header protection: the outer header and the decrypted entity', async () => {
    const entity = Buffer.from('Content-Type: text/plain\r\n\r\nclassic entity marker-classic\r\n');
    await send(await encrypt(entity, proxyCert, false, 'classic smime'));
    const m = await deliveredWith('marker-classic');
    const s = withoutTrace(m.data).toString('latin1');
    expect(s).toMatch(/^To: dr\.jones@hospital\.test\r\n/m);
    expect(s).toMatch(/^Subject: classic smime\r\n/m);
    expect(s.endsWith('\r\n' + entity.toString('latin1'))).toBe(true);
  });

  test('a list footer appended to an encrypted message: the plaintext in place of part 1, the footer and outer header as sent', async () => {
    const entity = Buffer.from('Content-Type: text/plain; charset=us-ascii\r\n\r\nnested through the gateway marker-nested-e2e\r\n');
    const enc = (await encrypt(entity, proxyCert, true, 'unused')).toString('latin1');
    const end = enc.indexOf('\r\n\r\n');
    const part = Buffer.from(enc.slice(0, end + 2).split(/\r\n(?![ \t])/).filter((f) => /^content-/i.test(f)).join('\r\n') + '\r\n' + enc.slice(end + 2), 'latin1');
    const footer = 'Content-Type: text/plain\r\n\r\n-- \r\npartner-list: this footer was added by the list\r\n';
    const head = `From: alice@example.test\r\nTo: ${RCPT}\r\nSubject: [partner-list] nested\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="lst"\r\n\r\n`;
    const sent = (p: Buffer) => Buffer.concat([Buffer.from(`${head}--lst\r\n`), p, Buffer.from(`\r\n--lst\r\n${footer}\r\n--lst--\r\n`)]);
    await send(sent(part));
    const m = await deliveredWith('marker-nested-e2e');
    const field = 'X-Sealgate-Decryption: partial;\r\n part 1 was encrypted (S/MIME) and is decrypted; part 2 was not encrypted\r\n';
    expect(m.data.toString('latin1').startsWith(field)).toBe(true);
    expect(withoutTrace(m.data.subarray(field.length)).equals(sent(entity))).toBe(true);
  });

  test('encrypted to a certificate that is not ours: held with the reason, not delivered', async () => {
    const inner = innerMessage('not-ours');
    await send(await encrypt(Buffer.concat([Buffer.from('Content-Type: message/rfc822\r\n\r\n'), inner]), trusted.ids.alice!.certPath, false, 'not-ours-subject'));
    const end = Date.now() + 20_000;
    let held: { state: string; holdReason?: string | null; lastError?: string | null } | undefined;
    while (!held && Date.now() < end) {
      const r = sealgate(['queue', 'list', '--json', '--config', setup.config]);
      expect(r.status, r.stderr).toBe(0);
      held = r.stdout
        .split('\n')
        .filter((l) => l.trim().startsWith('{'))
        .map((l) => JSON.parse(l))
        .find((x) => x.state === 'hold');
      if (!held) await new Promise((r2) => setTimeout(r2, 200));
    }
    expect(held).toBeDefined();
    expect(`${held!.holdReason ?? ''} ${held!.lastError ?? ''}`).toMatch(/cannot decrypt: not encrypted to a key of ours/);
    expect(internal.messages.some((x) => x.data.toString('latin1').includes('not-ours-subject'))).toBe(false);
    // The reason is in the audit trail (metadata only), and the trail is intact.
    const db = new Database(join(setup.dir, 'data', 'sealgate.db'), { readonly: true });
    try {
      const rows = db.prepare("SELECT data FROM audit WHERE type = 'smime-undecryptable'").all() as Array<{ data: string }>;
      expect(rows.map((r) => JSON.parse(r.data).reason)).toEqual([expect.stringMatching(/cannot decrypt: not encrypted to a key of ours/)]);
    } finally {
      db.close();
    }
    expect(sealgate(['audit', 'verify', '--config', setup.config]).status).toBe(0);
  });
});

describe('signatures', () => {
  test('signer under a configured trust anchor: smime=pass with the signer; forged result removed; signed bytes unchanged', async () => {
    const entity = Buffer.from('Content-Type: text/plain\r\n\r\nsigned by a trusted partner marker-trusted\r\n');
    const signed = await sign(entity, trusted, 'trusted signed');
    const forged = `Authentication-Results: ${hostname}; smime=pass header.from=ceo@hospital.test\r\n`;
    const other = 'Authentication-Results: mx.partner.example; spf=pass smtp.mailfrom=example.test\r\n';
    await send(Buffer.concat([Buffer.from(forged + other), signed]));
    const m = await deliveredWith('marker-trusted');
    const { results, rest } = splitResults(m.data);
    expect(results).toHaveLength(1);
    expect(results[0]).toMatch(new RegExp(`^Authentication-Results: ${hostname.replace(/\./g, '\\.')}; smime=pass header\\.from=alice@example\\.test `));
    expect(m.data.toString('latin1')).not.toContain('ceo@hospital.test');
    // Everything after our header and trace field: exactly what was sent, minus the forged field.
    expect(withoutTrace(rest).equals(Buffer.concat([Buffer.from(other), signed]))).toBe(true);
    // And the recipient's own client can still verify it.
    await runOk('openssl', ['cms', '-verify', '-CAfile', trusted.caCertPath, '-purpose', 'smimesign', '-out', '/dev/null'], { input: withoutTrace(rest) });
  });

  test('opaque signed-data from a trusted signer: smime=pass, the message delivered unchanged', async () => {
    const entity = Buffer.from('Content-Type: text/plain\r\n\r\nopaque signed marker-opaque\r\n');
    const signed = await sign(entity, trusted, 'opaque signed marker-opaque', true);
    expect(signed.toString('latin1')).toMatch(/smime-type=signed-data/);
    await send(signed);
    const m = await deliveredWith('opaque signed marker-opaque');
    const { results, rest } = splitResults(m.data);
    expect(results).toHaveLength(1);
    expect(results[0]).toMatch(/smime=pass header\.from=alice@example\.test /);
    expect(withoutTrace(rest).equals(signed)).toBe(true);
  });

  test('signer from a CA we do not trust: not pass (neutral), with the reason', async () => {
    const entity = Buffer.from('Content-Type: text/plain\r\n\r\nsigned under an unknown CA marker-untrusted\r\n');
    await send(await sign(entity, untrusted, 'untrusted signed'));
    const m = await deliveredWith('marker-untrusted');
    const { results } = splitResults(m.data);
    expect(results).toHaveLength(1);
    expect(results[0]).toMatch(/smime=neutral header\.from=alice@example\.test body\.smime-serial=1000 \(signer not trusted: /);
  });

  test('tampered signed content: smime=fail', async () => {
    const entity = Buffer.from('Content-Type: text/plain\r\n\r\nPlease pay 100 dollars marker-tamper\r\n');
    const signed = (await sign(entity, trusted, 'tampered signed')).toString('latin1').replace('100 dollars', '900 dollars');
    await send(Buffer.from(signed, 'latin1'));
    const m = await deliveredWith('marker-tamper');
    const { results } = splitResults(m.data);
    expect(results).toHaveLength(1);
    expect(results[0]).toMatch(/smime=fail header\.from=alice@example\.test body\.smime-serial=1000 \(signature invalid: /);
  });

  test('signed then encrypted: decrypted, the inner signed message delivered intact with smime=pass', async () => {
    const entity = Buffer.from('Content-Type: text/plain\r\n\r\nsigned and sealed marker-signenc\r\n');
    const signed = await sign(entity, trusted, 'sign then encrypt');
    await send(await encrypt(signed, proxyCert, true, 'outer'));
    const m = await deliveredWith('marker-signenc');
    const { results, rest } = splitResults(m.data);
    expect(results).toHaveLength(1);
    expect(results[0]).toMatch(/smime=pass header\.from=alice@example\.test/);
    const body = withoutTrace(rest);
    expect(body.toString('latin1')).toMatch(/multipart\/signed/);
    await runOk('openssl', ['cms', '-verify', '-CAfile', trusted.caCertPath, '-purpose', 'smimesign', '-out', '/dev/null'], { input: body });
  });
});
