// Outbound protection end to end (issue 5, items 4 and 5), through a real `sealgate start` process:
// mail submitted on the outbound listener, the partner's certificate served by a real slapd, the
// result read at a real SMTP sink (the smarthost) and opened with openssl as the partner would.
//  (a) PHI to a business associate with a known certificate: S/MIME that openssl decrypts with the
//      partner's key, whose domain signature verifies with our root and carries the RFC 3183
//      signature type (domainSig);
//  (b) PHI to a registered partner with no certificate anywhere: encrypted to a newly issued
//      certificate; the PKCS#12 email goes to the recipient;
//  (c) a TLS-required partner whose server offers no TLS: never plaintext; the next method applies;
//  (e) a message the user signed keeps the user's signature intact inside the domain signature.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { sealgate, type GatewaySetup } from '../helpers/gateway.js';
import type { SmtpSink } from '../helpers/smtp-sink.js';
import { sendMail } from '../helpers/send-mail.js';
import type { TestPki } from '../peers/pki.js';
import { opensslSign } from '../peers/openssl.js';
import { runOk } from '../peers/run.js';
import { OID_DOMAIN_SIG, OID_SIGNATURE_TYPE, SENDER, headerOf, partnerDecrypt, partnerVerify, phiMessage, printSignature, to, waitUntil, startLdapGateway, type LdapGatewayEnv } from './protect-helpers.js';

describe('outbound protection through a running gateway', () => {
  let partner: TestPki;
  let internal: SmtpSink;
  let external: SmtpSink;
  let setup: GatewaySetup;
  let rootPem: string;

  let env: LdapGatewayEnv | undefined;

  beforeAll(async () => {
    env = await startLdapGateway({ partners: [['example.test', []], ['clinic.test', []], ['tls-partner.test', ['--tls-required']]] });
    ({ partner, internal, external, setup, rootPem } = env);
  }, 240_000);

  afterAll(async () => {
    await env?.stop();
  });

  it('(a) PHI to a business associate with a certificate in LDAP arrives as S/MIME: openssl decrypts it and the domainSig verifies with our root', async () => {
    expect((await sendMail(setup.outboundPort, { from: SENDER, to: ['alice@example.test'], data: phiMessage('alice@example.test') })).code).toBe(250);
    await waitUntil(() => external.messages.some(to('alice@example.test')));
    const got = external.messages.find(to('alice@example.test'))!.data;
    expect(got.toString('latin1')).not.toContain('MRN 00451234');
    expect(headerOf(got)).toMatch(/smime-type=enveloped-data/);
    const a = partner.ids.alice!;
    const inner = await partnerDecrypt(got, a.certPath, a.keyPath);
    expect(headerOf(inner)).toContain('Subject: Follow-up visit');
    const v = await partnerVerify(inner, rootPem);
    expect(v.stderr).toContain('Verification successful');
    expect(v.content.toString()).toContain('MRN 00451234');
    const printed = await printSignature(inner, setup.dir);
    expect(printed).toContain(OID_SIGNATURE_TYPE);
    expect(printed).toContain(OID_DOMAIN_SIG);
  });

  it('(b) PHI to a registered partner with no certificate anywhere: encrypted to a newly issued certificate, PKCS#12 email to the recipient', async () => {
    const rcpt = 'pat@clinic.test';
    expect((await sendMail(setup.outboundPort, { from: SENDER, to: [rcpt], data: phiMessage(rcpt) })).code).toBe(250);
    await waitUntil(() => external.messages.filter(to(rcpt)).length >= 2);
    const mine = external.messages.filter(to(rcpt));
    const encrypted = mine.find((m) => /smime-type=enveloped-data/.test(headerOf(m.data)));
    const pkcs12 = mine.find((m) => /application\/x-pkcs12|\.p12/i.test(m.data.toString('latin1')));
    expect(encrypted, 'encrypted message').toBeDefined();
    expect(pkcs12, 'PKCS#12 email').toBeDefined();
    for (const m of mine) expect(m.data.toString('latin1')).not.toContain('MRN 00451234');
    // The sender is told a certificate was issued (the password comes through the organization).
    await waitUntil(() => internal.messages.some(to(SENDER)));
    // The recipient opens the message with the key from the emailed PKCS#12 and the password the
    // sender retrieves: it was encrypted to that newly issued certificate.
    const p12 = /filename="[^"]+\.p12"\r\n\r\n([A-Za-z0-9+/=\r\n]+?)\r\n(?:\r\n)?--/.exec(pkcs12!.data.toString('latin1'));
    expect(p12, 'PKCS#12 attachment').not.toBeNull();
    const p12File = join(setup.dir, 'pat.p12');
    writeFileSync(p12File, Buffer.from(p12![1]!.replace(/\r\n/g, ''), 'base64'));
    const pw = sealgate(['cert', 'password', rcpt, '--config', setup.config]);
    expect(pw.status, pw.stderr).toBe(0);
    const pem = await runOk('openssl', ['pkcs12', '-in', p12File, '-passin', `pass:${pw.stdout.trim()}`, '-nodes']);
    const idFile = join(setup.dir, 'pat.pem');
    writeFileSync(idFile, pem);
    const inner = await partnerDecrypt(encrypted!.data, idFile, idFile);
    const v = await partnerVerify(inner, rootPem);
    expect(v.stderr).toContain('Verification successful');
    expect(v.content.toString()).toContain('MRN 00451234');
  });

  it('(c) a TLS-required partner whose server offers no TLS never gets plaintext: the next method (auto-issue) encrypts', async () => {
    const rcpt = 'lab@tls-partner.test';
    expect((await sendMail(setup.outboundPort, { from: SENDER, to: [rcpt], data: phiMessage(rcpt) })).code).toBe(250);
    await waitUntil(() => external.messages.some((m) => to(rcpt)(m) && /smime-type=enveloped-data/.test(headerOf(m.data))));
    for (const m of external.messages.filter(to(rcpt))) expect(m.data.toString('latin1')).not.toContain('MRN 00451234');
    // The audit trail says why: TLS was required but not offered, so auto-issue served the recipient.
    const rows = spawnSync('sqlite3', [join(setup.dir, 'data', 'sealgate.db'), "SELECT data FROM audit WHERE type = 'protection'"], { encoding: 'utf8' }).stdout;
    const rec = rows.trim().split('\n').map((l) => JSON.parse(l) as { recipients?: Array<{ recipient: string; method: string; tried: Array<{ method: string; kind: string; why: string }> }> })
      .flatMap((r) => r.recipients ?? []).find((r) => r.recipient === rcpt)!;
    expect(rec.method).toBe('issue');
    expect(rec.tried.find((t) => t.method === 'tls')).toMatchObject({ kind: 'unavailable', why: expect.stringMatching(/does not offer STARTTLS/) });
  });

  it('(e) a user-signed message keeps the user signature intact inside the domain signature', async () => {
    const c = partner.ids.carol!;
    const entity = Buffer.from('Content-Type: text/plain; charset=utf-8\r\n\r\nMeeting moved to 3 pm.\r\n');
    const signed = (await opensslSign(entity, c.certPath, c.keyPath, { detached: true, digest: 'sha256' })).toString('latin1').replace(/\r?\n/g, '\r\n');
    const msg = `From: ${SENDER}\r\nTo: bob@example.test\r\nSubject: schedule\r\n${signed}`;
    expect((await sendMail(setup.outboundPort, { from: SENDER, to: ['bob@example.test'], data: msg })).code).toBe(250);
    await waitUntil(() => external.messages.some(to('bob@example.test')));
    const got = external.messages.find(to('bob@example.test'))!.data;
    const outer = await partnerVerify(got, rootPem);
    expect(outer.stderr).toContain('Verification successful');
    expect(await printSignature(got, setup.dir)).toContain(OID_DOMAIN_SIG);
    const user = await partnerVerify(outer.content, partner.caCertPath);
    expect(user.stderr).toContain('Verification successful');
    expect(user.content.toString()).toContain('Meeting moved to 3 pm.');
  });
});
