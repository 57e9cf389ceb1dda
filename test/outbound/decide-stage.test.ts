// The outbound policy decision stage on a real SQLite store: the decision matrix (PHI to allowed
// destinations → protect; PHI with a recipient not allowed → hold + notice to the sender, or
// reject; approved → protect; no PHI → deliver; subject tag; PHI in the Subject; desktop-encrypted
// mail; gateway-written mail), attrs.policy, and the audit record without content.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore, type OpenedStore } from '../../src/store/index.js';
import { DestinationRegistry } from '../../src/destinations/index.js';
import { createLocalSubmitter } from '../../src/queue/submit.js';
import { defaultLimits } from '../../src/config/limits.js';
import { OUTBOUND_DEFAULTS, type OutboundConfig } from '../../src/outbound/config.js';
import { createDecideStage, policyDecision, replaceSubject, withoutTag, userEncryption } from '../../src/outbound/decide-stage.js';
import { createNoticeSender } from '../../src/outbound/notices.js';
import type { StageMessage, Verdict } from '../../src/pipeline/stage.js';
import { createPipeline } from '../../src/pipeline/run.js';

const PHI_BODY =
  'Patient: John Smith\r\nDOB: 03/14/1962\r\nMRN: 4482913\r\n\r\nAssessment: type 2 diabetes mellitus with diabetic neuropathy.\r\nStarted metformin 500 mg twice daily. HbA1c 8.2%.\r\n';
const PLAIN_BODY = 'Shall we meet at noon on Friday? Bring the budget numbers.\r\n';

function mail(subject: string, body: string, extraHeaders = ''): Buffer {
  return Buffer.from(
    `From: Dr. Ann Lee <ann.lee@hospital.example>\r\nTo: Bob <bob@partner.example>\r\nSubject: ${subject}\r\nMIME-Version: 1.0\r\n${extraHeaders || 'Content-Type: text/plain; charset=utf-8\r\n'}\r\n${body}`,
    'utf8',
  );
}

const dir = mkdtempSync(join(tmpdir(), 'sg-decide-'));
let store: OpenedStore;
let registry: DestinationRegistry;
const now = () => new Date('2026-11-29T12:00:00Z');
let n = 0;

function stageWith(over: Partial<OutboundConfig> = {}) {
  const submitter = createLocalSubmitter({ store, hostname: 'mx.hospital.example', limits: defaultLimits(), clock: { now }, audit: store.audit });
  return createDecideStage({
    config: { ...OUTBOUND_DEFAULTS, ...over },
    registry,
    audit: store.audit,
    notices: createNoticeSender({ submitter, hostname: 'mx.hospital.example', fromAddress: 'postmaster@hospital.example', reviewer: 'the privacy office (privacy@hospital.example)', isLocalDomain: (d) => d === 'hospital.example' }),
    isLocalDomain: (d) => d === 'hospital.example',
  });
}

async function run(body: Buffer, recipients: string[], opts: { over?: Partial<OutboundConfig>; review?: StageMessage['review']; params?: Record<string, string> } = {}) {
  const msg: StageMessage = {
    id: `MSG${++n}`,
    envelope: { direction: 'outbound', sender: 'ann.lee@hospital.example', recipients, clientIp: '127.0.0.1', clientHelo: 'mail', tls: false, receivedAt: now(), ...(opts.params ? { params: opts.params } : {}) },
    body,
    attrs: {},
    ...(opts.review ? { review: opts.review } : {}),
  };
  const verdict: Verdict = await stageWith(opts.over).process(msg, { now, signal: new AbortController().signal });
  const audit = await store.audit.list({ messageId: msg.id, type: 'policy-decision' });
  return { verdict, decision: policyDecision(msg)!, audit, msg };
}

beforeAll(async () => {
  store = await openStore({ database: { kind: 'sqlite', file: join(dir, 'db.sqlite') }, spoolDir: join(dir, 'spool') });
  registry = new DestinationRegistry(store, { clock: { now } });
  await registry.add({ pattern: 'partner.example', kind: 'business-associate' }, 'cli:test');
  await registry.add({ pattern: 'clinic.example', kind: 'healthcare' }, 'cli:test');
});

afterAll(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('policy decision stage', () => {
  it('PHI to allowed destinations only → protect, audited without content', async () => {
    const { verdict, decision, audit } = await run(mail('Referral', PHI_BODY), ['bob@partner.example', 'amy@clinic.example']);
    expect(verdict).toEqual({ kind: 'continue' });
    expect(decision.action).toBe('protect');
    expect(decision.phi).toBe(true);
    expect(decision.notAllowed).toEqual([]);
    expect(decision.why.join(' ')).toMatch(/allowed destinations \(business-associate, healthcare\)/);
    expect(audit).toHaveLength(1);
    const data = audit[0]!.data as Record<string, unknown>;
    expect(data).toMatchObject({ action: 'protect', phi: true, threshold: decision.threshold, score: decision.score });
    const text = JSON.stringify(data);
    for (const secret of ['4482913', '03/14/1962', 'John Smith', 'metformin 500']) expect(text).not.toContain(secret);
  });

  it('PHI with a recipient not allowed → hold with masked reasons, and a notice to the sender without PHI', async () => {
    const { verdict, decision, audit, msg } = await run(mail('Referral', PHI_BODY), ['bob@partner.example', 'someone@gmail.example']);
    expect(verdict.kind).toBe('hold');
    const reason = (verdict as { reason: string }).reason;
    expect(reason).toContain('someone@gmail.example');
    expect(reason).not.toContain('4482913');
    expect(decision).toMatchObject({ action: 'hold', phi: true, notAllowed: ['someone@gmail.example'] });
    const noticeId = (audit[0]!.data as { noticeId?: string }).noticeId!;
    expect(noticeId).toBeTruthy();
    const notice = (await store.queue.get(noticeId))!;
    expect(notice).toMatchObject({ sender: '', direction: 'inbound', params: { origin: 'hold-notice' } });
    expect(notice.recipients.map((r) => r.address)).toEqual(['ann.lee@hospital.example']);
    const text = (await store.spool.read(notice.spoolKey)).toString('utf8');
    expect(text).toContain('HELD');
    expect(text).toContain(msg.id);
    expect(text).toContain('<someone@gmail.example>');
    expect(text).toContain('the privacy office (privacy@hospital.example)');
    expect(text).toMatch(/medical record number|date of birth/);
    for (const secret of ['4482913', '03/14/1962', 'John Smith', 'diabetes', 'Referral']) expect(text).not.toContain(secret);
  });

  it('onNotAllowed: reject → reject verdict, no notice', async () => {
    const { verdict, decision, audit } = await run(mail('Referral', PHI_BODY), ['someone@gmail.example'], { over: { onNotAllowed: 'reject' } });
    expect(verdict.kind).toBe('reject');
    expect(decision.action).toBe('reject');
    expect((audit[0]!.data as { noticeId?: string }).noticeId).toBeUndefined();
  });

  it('approved by a privacy officer → protect, approver recorded', async () => {
    const { verdict, decision, audit } = await run(mail('Referral', PHI_BODY), ['someone@gmail.example'], { review: { approvedBy: 'cli:privacy', at: now() } });
    expect(verdict.kind).toBe('continue');
    expect(decision).toMatchObject({ action: 'protect', approvedBy: 'cli:privacy', notAllowed: ['someone@gmail.example'] });
    expect(audit[0]!.data).toMatchObject({ action: 'protect', approvedBy: 'cli:privacy' });
  });

  it('no PHI → deliver, even to an unregistered domain', async () => {
    const { verdict, decision } = await run(mail('Lunch', PLAIN_BODY), ['someone@gmail.example']);
    expect(verdict).toEqual({ kind: 'continue' });
    expect(decision).toMatchObject({ action: 'deliver', phi: false });
  });

  it('subject tag → protect, tag removed from the Subject', async () => {
    const { verdict, decision } = await run(mail('[SECURE] Lunch plans', PLAIN_BODY), ['someone@gmail.example']);
    expect(decision.action).toBe('protect');
    expect(decision.why).toContain('subject tag [secure]');
    const body = (verdict as { body: Buffer }).body.toString('utf8');
    expect(body).toMatch(/\r\nSubject: Lunch plans\r\n/);
    expect(body).toContain(PLAIN_BODY);
  });

  it('PHI in the Subject: replace → protect with an outer Subject; block → hold', async () => {
    const subject = 'John Smith DOB 03/14/1962 MRN 4482913 diabetes follow-up';
    const r = await run(mail(subject, PHI_BODY), ['bob@partner.example']);
    expect(r.decision).toMatchObject({ action: 'protect', outerSubject: 'Secure message' });
    // the real Subject stays in the message for header protection
    expect(r.verdict).toEqual({ kind: 'continue' });
    const b = await run(mail(subject, PHI_BODY), ['bob@partner.example'], { over: { subjectPhi: 'block' } });
    expect(b.verdict.kind).toBe('hold');
    expect((b.verdict as { reason: string }).reason).toMatch(/Subject line/);
  });

  it('desktop-encrypted S/MIME: hold by default, pass unchanged with inspectEncrypted: allow', async () => {
    const enc = mail('Hi', 'MIAGCSqGSIb3DQEHA6CAMIACAQAx\r\n', 'Content-Type: application/pkcs7-mime; smime-type=enveloped-data; name=smime.p7m\r\nContent-Transfer-Encoding: base64\r\n');
    expect(userEncryption(enc)).toBe('smime');
    const h = await run(enc, ['bob@partner.example']);
    expect(h.verdict.kind).toBe('hold');
    const a = await run(enc, ['bob@partner.example'], { over: { inspectEncrypted: 'allow' } });
    expect(a.verdict).toEqual({ kind: 'continue' });
    expect(a.decision.action).toBe('deliver');
    expect(a.msg.attrs!.userEncrypted).toBe('smime');
  });

  it('mail the gateway wrote itself → deliver', async () => {
    const { verdict, decision } = await run(mail('Referral', PHI_BODY), ['someone@gmail.example'], { params: { origin: 'pkcs12' } });
    expect(verdict).toEqual({ kind: 'continue' });
    expect(decision.action).toBe('deliver');
    expect(decision.why[0]).toMatch(/gateway \(pkcs12\)/);
  });

  it('inspects attrs.inspectBody instead of an unreadable body', async () => {
    const msg: StageMessage = {
      id: 'INSPECT1',
      envelope: { direction: 'outbound', sender: 'ann.lee@hospital.example', recipients: ['x@gmail.example'], clientIp: '127.0.0.1', clientHelo: 'h', tls: false, receivedAt: now() },
      body: mail('Hi', 'opaque', 'Content-Type: multipart/encrypted; protocol="application/pgp-encrypted"; boundary=x\r\n'),
      attrs: { inspectBody: mail('Referral', PHI_BODY) },
    };
    const v = await stageWith().process(msg, { now, signal: new AbortController().signal });
    expect(v.kind).toBe('hold');
  });
});

describe('fail closed', () => {
  const msgFor = (id: string): StageMessage => ({
    id,
    envelope: { direction: 'outbound', sender: 'ann.lee@hospital.example', recipients: ['someone@gmail.example'], clientIp: '127.0.0.1', clientHelo: 'h', tls: false, receivedAt: now() },
    body: mail('Referral', PHI_BODY),
  });
  it('a registry that fails (database down) is a temporary failure, never a delivery', async () => {
    const stage = createDecideStage({ config: OUTBOUND_DEFAULTS, registry: { classify: async () => Promise.reject(new Error('connection refused')) }, audit: store.audit });
    const out = await createPipeline({ stages: [stage], timeoutMs: 10_000 })(msgFor('FAIL1'));
    expect(out.kind).toBe('tempfail');
  });
  it('a hold notice that cannot be queued is a temporary failure (the message is not released)', async () => {
    const stage = createDecideStage({ config: OUTBOUND_DEFAULTS, registry, audit: store.audit, notices: { held: async () => Promise.reject(new Error('disk full')) } });
    const out = await createPipeline({ stages: [stage], timeoutMs: 10_000 })(msgFor('FAIL2'));
    expect(out.kind).toBe('tempfail');
  });
});

describe('subject helpers', () => {
  it('removes the tag case-insensitively and replaces or adds the Subject field', () => {
    expect(withoutTag('Re: [Secure] results', '[secure]')).toBe('Re: results');
    expect(withoutTag('results', '[secure]')).toBeNull();
    const m = Buffer.from('From: a@b.example\r\nSubject: old\r\n =?utf-8?q?folded?=\r\n\r\nbody\r\n');
    expect(replaceSubject(m, 'Grüße').toString('latin1')).toBe('From: a@b.example\r\nSubject: =?UTF-8?B?R3LDvMOfZQ==?=\r\n\r\nbody\r\n');
    expect(replaceSubject(Buffer.from('From: a@b.example\r\n\r\nx'), 'new').toString()).toBe('Subject: new\r\nFrom: a@b.example\r\n\r\nx');
  });
});
