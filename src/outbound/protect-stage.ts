// The outbound protection stage (after the policy decision stage): carries out attrs.policy.
//   deliver → domain-sign (outbound.domainSign) and pass;
//   protect → domain-sign (plus reviewSig for an approved message), then per recipient the first
//             method in outbound.methods that protects; one Variant per recipient group;
//             a method that defers → tempfail, holds → hold; none protects → hold;
//   hold / reject → the same verdict (the decision stage normally returns them itself).
// Desktop-encrypted mail (attrs.userEncrypted) and mail the gateway wrote itself (PKCS#12 emails,
// notices: src/queue/submit.ts gatewayOrigin) pass unchanged. No decision → tempfail (fail closed).
// Every choice is audited per recipient (type 'protection': method and why; no content).
// Trust level: sees plaintext; uses the domain signing keys through domain-sign.ts.
import type { Stage, StageContext, StageMessage, Variant, Verdict } from '../pipeline/stage.js';
import { gatewayOrigin } from '../queue/submit.js';
import type { AuditEvent } from '../store/types.js';
import { domainSign, userSigned } from './domain-sign.js';
import type { OutboundKeys } from './keys.js';
import { chooseMethod, type MethodAttempt } from './methods.js';
import { takePortalPassphrase } from '../web/portal-passphrase.js';
import { ATTR, type MethodContext, type MethodName, type PolicyDecision, type ProtectionMethod } from './types.js';

export interface ProtectStageOptions {
  keys: OutboundKeys;
  methods: Map<MethodName, ProtectionMethod>;
  /** outbound.methods */
  order: MethodName[];
  /** outbound.domainSign */
  domainSign: boolean;
  /** Our domains; the sender's (when ours) signs, else the first. */
  domains: string[];
  /** The message as the protected layer should carry it (e.g. with the real Subject restored); default: the body. */
  innerBody?: (msg: StageMessage, decision: PolicyDecision) => Buffer;
  audit(e: AuditEvent): Promise<unknown>;
}

interface RecipientOutcome {
  recipient: string;
  method?: MethodName;
  kind: 'protected' | 'defer' | 'hold';
  why: string;
  tried: MethodAttempt[];
  body?: Buffer;
  requireTls?: boolean;
}

const domainOf = (a: string) => a.slice(a.lastIndexOf('@') + 1).toLowerCase();

function signingDomain(msg: StageMessage, domains: string[]): string {
  const d = domainOf(msg.envelope.sender);
  return domains.includes(d) ? d : domains[0]!;
}

/** Recipients that got the same bytes and TLS requirement travel as one variant. */
function groupVariants(outcomes: RecipientOutcome[]): Variant[] {
  const groups: Variant[] = [];
  for (const o of outcomes) {
    const same = groups.find((g) => g.body === o.body && (g.requireTls ?? false) === (o.requireTls ?? false));
    if (same) same.recipients.push(o.recipient);
    else groups.push({ recipients: [o.recipient], body: o.body!, ...(o.requireTls ? { requireTls: true } : {}) });
  }
  return groups;
}

export function createProtectStage(o: ProtectStageOptions): Stage {
  async function record(msg: StageMessage, data: Record<string, unknown>): Promise<void> {
    await o.audit({ type: 'protection', actor: 'system', messageId: msg.id, data });
  }

  async function sign(msg: StageMessage, body: Buffer, ctx: StageContext): Promise<Buffer> {
    return domainSign({ body, domain: signingDomain(msg, o.domains), domainSig: o.domainSign, reviewSig: msg.review !== undefined, now: ctx.now() }, o.keys);
  }

  async function protect(msg: StageMessage, decision: PolicyDecision, ctx: StageContext): Promise<Verdict> {
    let body: Buffer;
    try {
      body = await sign(msg, o.innerBody ? o.innerBody(msg, decision) : msg.body, ctx);
    } catch {
      // The error text could name key files; the audit gets the fact only.
      await record(msg, { action: 'protect', outcome: 'defer', why: 'domain signing failed' });
      return { kind: 'tempfail', reason: 'domain signing failed (signing key unavailable)' };
    }
    const outcomes: RecipientOutcome[] = [];
    for (const recipient of msg.envelope.recipients) {
      const mctx: MethodContext = { msg, recipient, body, signal: ctx.signal, now: ctx.now };
      const c = await chooseMethod(o.methods, o.order, mctx);
      const r = c.result;
      if (r.kind === 'unavailable') throw new Error('unreachable: chooseMethod never ends unavailable');
      outcomes.push({
        recipient,
        ...(c.method ? { method: c.method } : {}),
        kind: r.kind,
        why: r.why,
        tried: c.tried,
        ...(r.kind === 'protected' ? { body: r.body, ...(r.requireTls ? { requireTls: true } : {}) } : {}),
      });
      if (r.kind !== 'protected') break; // the whole message waits: no need to try the others now
    }
    await record(msg, {
      action: 'protect',
      domainSigned: o.domainSign,
      reviewSigned: msg.review !== undefined,
      userSigned: userSigned(msg.body),
      recipients: outcomes.map(({ recipient, method, kind, why, tried }) => ({ recipient, method: method ?? null, outcome: kind, why, tried })),
    });
    const stop = outcomes.find((x) => x.kind !== 'protected');
    if (stop?.kind === 'hold') return { kind: 'hold', reason: `protection: ${stop.recipient}: ${stop.why}` };
    if (stop?.kind === 'defer') return { kind: 'tempfail', reason: `protection: ${stop.recipient}: ${stop.why}` };
    return { kind: 'continue', variants: groupVariants(outcomes), note: outcomes.map((x) => `${x.recipient}: ${x.method}`).join(', ') };
  }

  async function deliver(msg: StageMessage, ctx: StageContext): Promise<Verdict> {
    if (!o.domainSign && !msg.review) return { kind: 'continue' };
    try {
      const body = await sign(msg, msg.body, ctx);
      await record(msg, { action: 'deliver', domainSigned: o.domainSign, reviewSigned: msg.review !== undefined, userSigned: userSigned(msg.body) });
      return { kind: 'continue', body };
    } catch {
      await record(msg, { action: 'deliver', outcome: 'defer', why: 'domain signing failed' });
      return { kind: 'tempfail', reason: 'domain signing failed (signing key unavailable)' };
    }
  }

  return {
    name: 'protect',
    directions: ['outbound'],
    async process(original, ctx) {
      // The sender-set pickup passphrase header never leaves: taken out before any path below.
      const msg = takePortalPassphrase(original);
      const verdict = await route(msg, ctx);
      return verdict.kind === 'continue' && !verdict.body && !verdict.variants && msg !== original ? { ...verdict, body: msg.body } : verdict;
    },
  };

  async function route(msg: StageMessage, ctx: StageContext): Promise<Verdict> {
      const attrs = msg.attrs ?? {};
      const origin = gatewayOrigin(msg.envelope);
      if (origin !== undefined) return { kind: 'continue', note: `gateway-generated (${origin}): unchanged` };
      if (attrs[ATTR.userEncrypted]) return { kind: 'continue', note: `encrypted by the sender (${String(attrs[ATTR.userEncrypted])}): unchanged` };
      const decision = attrs[ATTR.policy] as PolicyDecision | undefined;
      if (!decision) return { kind: 'tempfail', reason: 'protection: no policy decision for this message' };
      switch (decision.action) {
        case 'deliver':
          return deliver(msg, ctx);
        case 'protect':
          return protect(msg, decision, ctx);
        case 'hold':
          return { kind: 'hold', reason: decision.why.join('; ') || 'policy: hold' };
        case 'reject':
          return { kind: 'reject', reason: decision.why.join('; ') || 'policy: reject' };
        default:
          return { kind: 'tempfail', reason: 'protection: unknown policy action' };
      }
  }
}
