// The outbound policy decision stage ('policy'): scores the message for PHI (src/policy), classifies
// each recipient with the destination registry, and decides by the matrix:
//   PHI, every recipient allowed (or a privacy officer approved) → protect;
//   PHI, a recipient not allowed → hold for review (the sender gets a notice) or reject;
//   subject tag (e.g. [secure]) → protect, tag removed from the Subject;
//   PHI in the Subject → block (hold/reject as for a recipient not allowed) or replace the outer
//   Subject (the real one travels inside, header protection; see OutboundDecision);
//   desktop-encrypted mail we cannot read → hold or pass unchanged (outbound.inspectEncrypted);
//   no PHI → deliver; mail the gateway wrote itself → deliver.
// It writes the decision to attrs.policy for the protection stage and to the audit trail
// ('policy-decision': scores, categories, masked reasons, action, why; never content).
// Trust level: sees plaintext; logs and audits metadata only.
import type { Destination } from '../destinations/index.js';
import { compilePolicy, scoreMessage, type PhiDecision, type PolicyConfig, type Reason } from '../policy/index.js';
import { decodeHeaderText } from '../policy/mime.js';
import { splitHeader, fieldValue, type RawField } from '../inbound/headers.js';
import type { Stage, StageMessage, Verdict } from '../pipeline/stage.js';
import { gatewayOrigin } from '../queue/submit.js';
import type { AuditEvent } from '../store/types.js';
import type { OutboundConfig } from './config.js';
import type { NoticeSender } from './notices.js';
import { ATTR, type PolicyAction, type PolicyDecision } from './types.js';

/** The decision with what the protection stage needs for the Subject. */
export interface OutboundDecision extends PolicyDecision {
  /** The Subject for the outside of a protected message when the real one holds PHI (subjectPhi: replace). */
  outerSubject?: string;
  /** Set when a privacy officer approved the message (reviewSig). */
  approvedBy?: string;
}

export interface DecideStageOptions {
  config: OutboundConfig;
  policy?: PolicyConfig;
  registry: { classify(address: string, at: Date): Promise<Destination | null> };
  /** The audit trail (store.audit); `policy test --to` passes one that records nothing. */
  audit: { append(e: AuditEvent): Promise<unknown> };
  /** Hold notices to senders; without it a hold sends none. */
  notices?: NoticeSender;
  /** Our own domains: their mailboxes are allowed destinations. */
  isLocalDomain?: (domain: string) => boolean;
}

/** The decision the stage left for later stages, if any. */
export function policyDecision(msg: Pick<StageMessage, 'attrs'>): OutboundDecision | undefined {
  return msg.attrs?.[ATTR.policy] as OutboundDecision | undefined;
}

/** For the protection methods (MethodDeps.outerSubject): the outer Subject policy chose, if any. */
export const outerSubjectOf = (ctx: { msg: Pick<StageMessage, 'attrs'> }): string | undefined => policyDecision(ctx.msg)?.outerSubject;

/** One masked reason line: "ssn x2 ***-**-1234 in attachment labs.csv". */
export function reasonText(r: Reason): string {
  return `${r.category} x${r.count}${r.samples.length ? ` ${r.samples.join(', ')}` : ''}${r.where.length ? ` in ${r.where.join(', ')}` : ''}`;
}

const domainOf = (a: string) => a.slice(a.lastIndexOf('@') + 1).toLowerCase();
const MAX_REASONS = 20;

// --- Subject helpers (top-level header only; every other byte is kept as received) ---

function subjectField(body: Buffer): RawField | undefined {
  return splitHeader(body).fields.find((f) => f.name === 'subject');
}

function encodeSubject(text: string): string {
  // eslint-disable-next-line no-control-regex
  const t = text.replace(/[\u0000-\u001f\u007f]+/g, ' ').trim();
  return /^[\x20-\x7e]*$/.test(t) ? t : `=?UTF-8?B?${Buffer.from(t, 'utf8').toString('base64')}?=`;
}

/** The message with its Subject field replaced by `text`. */
export function replaceSubject(body: Buffer, text: string): Buffer {
  const { fields, rest } = splitHeader(body);
  const line = Buffer.from(`Subject: ${encodeSubject(text)}\r\n`, 'latin1');
  let done = false;
  const out = fields.map((f) => (f.name === 'subject' && !done ? ((done = true), line) : f.raw));
  return Buffer.concat(done ? [...out, rest] : [line, ...out, rest]);
}

/** The Subject without the tag (case-insensitive), or null when the tag is not there. */
export function withoutTag(subject: string, tag: string): string | null {
  if (!tag) return null;
  const at = subject.toLowerCase().indexOf(tag.toLowerCase());
  if (at < 0) return null;
  return (subject.slice(0, at) + ' ' + subject.slice(at + tag.length)).replace(/\s+/g, ' ').trim();
}

// --- desktop-encrypted mail ---

/** 'smime' | 'openpgp' when the top-level entity is encrypted by the user; undefined otherwise. */
export function userEncryption(body: Buffer): 'smime' | 'openpgp' | undefined {
  const ct = splitHeader(body).fields.find((f) => f.name === 'content-type');
  if (!ct) return undefined;
  const v = fieldValue(ct).toLowerCase();
  if (/^multipart\/encrypted\b/.test(v) && v.includes('pgp-encrypted')) return 'openpgp';
  if (/^application\/(x-)?pkcs7-mime\b/.test(v)) {
    const type = /smime-type\s*=\s*"?([a-z-]+)/.exec(v)?.[1];
    // No smime-type: only signed-data is readable; treat the unknown as encrypted (fail closed).
    if (type !== 'signed-data' && type !== 'certs-only' && type !== 'compressed-data') return 'smime';
  }
  return undefined;
}

/** Whether PHI evidence was found in the top-level Subject line. */
function phiInSubject(d: PhiDecision): boolean {
  return d.phi && d.reasons.some((r) => r.category !== 'uninspected' && r.where.includes('subject'));
}

interface Classified {
  notAllowed: string[];
  kinds: string[];
}

async function classifyAll(o: DecideStageOptions, recipients: string[], at: Date): Promise<Classified> {
  const notAllowed: string[] = [];
  const kinds: string[] = [];
  for (const r of recipients) {
    if (o.isLocalDomain?.(domainOf(r))) {
      kinds.push('local');
      continue;
    }
    let dest: Destination | null = null;
    try {
      dest = await o.registry.classify(r, at);
    } catch (e) {
      // A malformed address is not an allowed destination; a database error is not a decision.
      if ((e as Error).name !== 'DestinationError') throw e;
    }
    if (dest) kinds.push(dest.kind);
    else notAllowed.push(r);
  }
  return { notAllowed, kinds };
}

export function createDecideStage(o: DecideStageOptions): Stage {
  const cfg = o.config;
  compilePolicy(o.policy); // invalid policy config fails at construction, not per message

  async function record(msg: StageMessage, d: OutboundDecision, extra: Record<string, unknown>): Promise<void> {
    msg.attrs ??= {};
    msg.attrs[ATTR.policy] = d;
    await o.audit.append({
      type: 'policy-decision',
      actor: 'system',
      messageId: msg.id,
      data: {
        action: d.action,
        phi: d.phi,
        pii: d.pii,
        score: d.score,
        threshold: d.threshold,
        reasons: d.reasons,
        why: d.why,
        notAllowed: d.notAllowed,
        ...(d.approvedBy ? { approvedBy: d.approvedBy } : {}),
        ...(d.outerSubject !== undefined ? { subjectReplaced: true } : {}),
        ...extra,
      },
    });
  }

  const decision = (action: PolicyAction, s: PhiDecision | undefined, why: string[], notAllowed: string[] = []): OutboundDecision => ({
    action,
    phi: s?.phi ?? false,
    pii: s?.pii ?? false,
    score: s?.score ?? 0,
    threshold: s?.threshold ?? compilePolicy(o.policy).threshold,
    reasons: (s?.reasons ?? []).slice(0, MAX_REASONS).map(reasonText),
    why,
    notAllowed,
  });

  /** Hold or reject (outbound.onNotAllowed), with the notice to the sender on hold. */
  async function stop(msg: StageMessage, d: OutboundDecision, s: PhiDecision, reason: string): Promise<Verdict> {
    const hold = cfg.onNotAllowed === 'hold';
    d.action = hold ? 'hold' : 'reject';
    let noticeId: string | null = null;
    if (hold && o.notices) {
      noticeId = await o.notices.held({
        queueId: msg.id,
        sender: msg.envelope.sender,
        receivedAt: msg.envelope.receivedAt,
        recipients: msg.envelope.recipients,
        decision: d,
        categories: s.reasons.map((r) => r.category),
      });
    }
    await record(msg, d, noticeId ? { noticeId } : {});
    return { kind: d.action as 'hold' | 'reject', reason };
  }

  return {
    name: 'policy',
    directions: ['outbound'],
    async process(msg, ctx): Promise<Verdict> {
      const origin = gatewayOrigin(msg.envelope);
      if (origin) {
        await record(msg, decision('deliver', undefined, [`written by the gateway (${origin})`]), {});
        return { kind: 'continue' };
      }
      const approvedBy = msg.review?.approvedBy;
      const inspect = msg.attrs?.[ATTR.inspectBody];
      const encrypted = (msg.attrs?.[ATTR.userEncrypted] as 'smime' | 'openpgp' | undefined) ?? userEncryption(msg.body);
      if (encrypted && !Buffer.isBuffer(inspect)) {
        msg.attrs ??= {};
        msg.attrs[ATTR.userEncrypted] = encrypted;
        if (cfg.inspectEncrypted === 'hold' && !approvedBy) {
          const d = decision('hold', undefined, [`encrypted by the sender (${encrypted}); content cannot be inspected`]);
          await record(msg, d, {});
          return { kind: 'hold', reason: `policy: message encrypted by the sender (${encrypted}) cannot be inspected` };
        }
        const d = decision('deliver', undefined, [`encrypted by the sender (${encrypted}); forwarded unchanged${approvedBy ? ` (approved by ${approvedBy})` : ''}`]);
        if (approvedBy) d.approvedBy = approvedBy;
        await record(msg, d, {});
        return { kind: 'continue' };
      }

      const s = scoreMessage(Buffer.isBuffer(inspect) ? inspect : msg.body, o.policy);
      const { notAllowed, kinds } = await classifyAll(o, msg.envelope.recipients, ctx.now());
      const why: string[] = [];
      let body: Buffer | undefined;

      const field = subjectField(msg.body);
      const subject = field ? decodeHeaderText(fieldValue(field)) : '';
      const untagged = withoutTag(subject, cfg.subjectTag);
      if (untagged !== null) {
        body = replaceSubject(msg.body, untagged);
        why.push(`subject tag ${cfg.subjectTag}`);
      }

      const d = decision('deliver', s, why, notAllowed);
      if (approvedBy) d.approvedBy = approvedBy;
      if (s.phi) {
        if (notAllowed.length > 0 && !approvedBy) {
          why.push(`phi to recipients not allowed: ${notAllowed.join(', ')}`);
          return stop(msg, d, s, `policy: patient information to recipients not allowed for it (${notAllowed.join(', ')}); ${d.reasons.slice(0, 3).join('; ')}`);
        }
        why.push(approvedBy ? `phi approved by ${approvedBy}` : `phi to allowed destinations (${[...new Set(kinds)].join(', ')})`);
        if (phiInSubject(s)) {
          if (cfg.subjectPhi === 'block' && !approvedBy) {
            why.push('phi in the subject line (block)');
            return stop(msg, d, s, 'policy: patient information in the Subject line; remove it from the Subject and send again');
          }
          d.outerSubject = cfg.subjectReplacement;
          why.push('phi in the subject line (outer subject replaced)');
        }
        d.action = 'protect';
      } else if (untagged !== null) d.action = 'protect';
      else why.push(s.pii ? 'no phi (personal identifiers only)' : 'no phi');
      await record(msg, d, { destinations: [...new Set(kinds)] });
      return body ? { kind: 'continue', body } : { kind: 'continue' };
    },
  };
}
