// Privacy review end to end (issue 5, item 3), through a real `sealgate start` process: PHI to a
// domain that is not a registered destination never reaches the next hop in plaintext; it is held
// and the sender gets a notice (no PHI); `sealgate queue release ID --approve` sends it protected
// (S/MIME that openssl decrypts with the recipient's key) with a review signature (RFC 3183
// reviewSig, shown by `openssl cms -cmsout -print`); `sealgate queue reject ID --reason` gives the
// sender a DSN with the reason. The recipient's certificate is served by a real slapd.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sealgate, type GatewaySetup } from '../helpers/gateway.js';
import type { SmtpSink } from '../helpers/smtp-sink.js';
import { sendMail } from '../helpers/send-mail.js';
import type { TestPki } from '../peers/pki.js';
import { OID_DOMAIN_SIG, OID_REVIEW_SIG, OID_SIGNATURE_TYPE, SENDER, headerOf, partnerDecrypt, partnerVerify, phiMessage, printSignature, startLdapGateway, type LdapGatewayEnv } from './protect-helpers.js';
import { to, waitUntil } from '../helpers/wait-for.js';

const PHI_MARKERS = ['00451234', '03/14/1962', 'John Smith', 'metformin', 'diabetes'];

describe('privacy review through a running gateway', () => {
  let partner: TestPki;
  let internal: SmtpSink;
  let external: SmtpSink;
  let setup: GatewaySetup;
  let rootPem: string;

  const heldIdFor = (rcpt: string): string | undefined => {
    const r = sealgate(['queue', 'list', '--json', '--state', 'hold', '--config', setup.config]);
    expect(r.status, r.stderr).toBe(0);
    const rows = r.stdout.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as { id: string; recipients: string[]; holdReason: string });
    return rows.find((x) => x.recipients.includes(rcpt))?.id;
  };

  let env: LdapGatewayEnv | undefined;

  beforeAll(async () => {
    // example.test is NOT a registered destination: PHI to it needs review
    env = await startLdapGateway({ extra: '  reviewer: the privacy office (privacy@hospital.test)' });
    ({ partner, internal, external, setup, rootPem } = env);
  }, 240_000);

  afterAll(async () => {
    await env?.stop();
  });

  it('held → notice to the sender → approve → S/MIME with a reviewSig', async () => {
    const rcpt = 'alice@example.test';
    expect((await sendMail(setup.outboundPort, { from: SENDER, to: [rcpt], data: phiMessage(rcpt, 'Referral') })).code).toBe(250);
    let id: string | undefined;
    await waitUntil(() => (id = heldIdFor(rcpt)) !== undefined);
    expect(external.messages.filter(to(rcpt))).toHaveLength(0);

    // the sender's notice: held, why, who reviews; no PHI, not even the Subject
    await waitUntil(() => internal.messages.some(to(SENDER)));
    const notice = internal.messages.find(to(SENDER))!;
    expect(notice.sender).toBe('');
    const text = notice.data.toString('utf8');
    expect(text).toContain('Subject: Your message is held for privacy review');
    expect(text).toContain(id!);
    expect(text).toContain('<alice@example.test>');
    expect(text).toContain('the privacy office (privacy@hospital.test)');
    for (const s of [...PHI_MARKERS, 'Referral']) expect(text).not.toContain(s);

    const r = sealgate(['queue', 'release', id!, '--approve', '--reason', 'patient consent on file', '--config', setup.config]);
    expect(r.status, r.stderr).toBe(0);
    await waitUntil(() => external.messages.some(to(rcpt)));
    const got = external.messages.find(to(rcpt))!.data;
    for (const s of PHI_MARKERS) expect(got.toString('latin1')).not.toContain(s);
    expect(headerOf(got)).toMatch(/smime-type=enveloped-data/);
    const a = partner.ids.alice!;
    const inner = await partnerDecrypt(got, a.certPath, a.keyPath);
    const v = await partnerVerify(inner, rootPem);
    expect(v.stderr).toContain('Verification successful');
    expect(v.content.toString()).toContain('MRN 00451234');
    const printed = await printSignature(inner, setup.dir);
    expect(printed).toContain(OID_SIGNATURE_TYPE);
    expect(printed).toContain(OID_DOMAIN_SIG);
    // the review signature may be nested inside the domain signature: look through the layers
    let layers = printed;
    let content = v.content;
    for (let i = 0; i < 3 && !layers.includes(OID_REVIEW_SIG); i++) {
      if (!/^content-type:\s*(multipart\/signed|application\/(x-)?pkcs7-mime)/im.test(headerOf(content))) break;
      layers += await printSignature(content, setup.dir);
      content = (await partnerVerify(content, rootPem)).content;
    }
    expect(layers).toContain(OID_REVIEW_SIG);

    const show = sealgate(['queue', 'show', id!, '--json', '--config', setup.config]);
    const history = (JSON.parse(show.stdout) as { history: Array<{ type: string; actor: string; data: Record<string, unknown> }> }).history;
    expect(history.find((h) => h.type === 'released')).toMatchObject({ actor: expect.stringMatching(/^cli/), data: { approve: true } });
    expect(history.filter((h) => h.type === 'policy-decision').map((h) => h.data.action)).toEqual(['hold', 'protect']);
    expect(JSON.stringify(history)).not.toContain('John Smith');
  }, 180_000);

  it('held → reject with a reason → DSN to the sender; nothing reaches the recipient', async () => {
    const rcpt = 'bob@unregistered.test';
    const before = internal.messages.filter(to(SENDER)).length;
    expect((await sendMail(setup.outboundPort, { from: SENDER, to: [rcpt], data: phiMessage(rcpt) })).code).toBe(250);
    let id: string | undefined;
    await waitUntil(() => (id = heldIdFor(rcpt)) !== undefined);
    const bad = sealgate(['queue', 'reject', id!, '--config', setup.config]);
    expect(bad.status).not.toBe(0); // --reason is required
    const r = sealgate(['queue', 'reject', id!, '--reason', 'external address: use the patient portal', '--config', setup.config]);
    expect(r.status, r.stderr).toBe(0);
    await waitUntil(() => internal.messages.filter(to(SENDER)).some((m) => m.data.toString('latin1').includes('multipart/report')));
    const dsn = internal.messages.filter(to(SENDER)).slice(before).find((m) => m.data.toString('latin1').includes('multipart/report'))!;
    expect(dsn.sender).toBe('');
    expect(dsn.data.toString('latin1')).toContain('rejected by privacy review: external address: use the patient portal');
    for (const s of PHI_MARKERS) expect(dsn.data.toString('latin1')).not.toContain(s);
    expect(external.messages.filter(to(rcpt))).toHaveLength(0);
    const show = JSON.parse(sealgate(['queue', 'show', id!, '--json', '--config', setup.config]).stdout) as { state: string; history: Array<{ type: string; actor: string }> };
    expect(show.state).toBe('bounced');
    expect(show.history.find((h) => h.type === 'review-rejected')?.actor).toMatch(/^cli/);
    expect(sealgate(['audit', 'verify', '--config', setup.config]).status).toBe(0);
  }, 180_000);
});
