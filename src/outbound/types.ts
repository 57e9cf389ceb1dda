// The outbound pipeline's shared vocabulary: what the policy decision stage leaves for the
// protection stage (in StageMessage.attrs), and the interface every protection method implements
// (S/MIME with a directory certificate, TLS-enforced delivery, auto-issue, OpenPGP, web pickup).
// Pure types. Trust level: decisions carry metadata, scores and masked snippets only, never content.
import type { StageMessage } from '../pipeline/stage.js';

/** attrs keys used between outbound stages (and the OpenPGP/S/MIME desktop-encryption inspection). */
export const ATTR = {
  /** PolicyDecision, written by the decision stage. */
  policy: 'policy',
  /** Buffer: plaintext to inspect instead of the body (a desktop-encrypted message opened with the ADK or domain key). */
  inspectBody: 'inspectBody',
  /** 'smime' | 'openpgp': the user encrypted the message on the desktop; forward the original bytes unchanged. */
  userEncrypted: 'userEncrypted',
} as const;

export type PolicyAction = 'deliver' | 'protect' | 'hold' | 'reject';

export interface PolicyDecision {
  action: PolicyAction;
  phi: boolean;
  pii: boolean;
  score: number;
  threshold: number;
  /** Masked reasons from the scorer, e.g. "SSN ***-**-1234 in attachment labs.csv". */
  reasons: string[];
  /** Why this action: e.g. 'phi to allowed destinations', 'subject tag [secure]', 'recipient not allowed: x@y'. */
  why: string[];
  /** Recipients whose destination is not allowed for PHI (reason for a hold). */
  notAllowed: string[];
}

export interface MethodContext {
  msg: StageMessage;
  /** One recipient (methods are chosen per recipient). */
  recipient: string;
  /** The message after subject handling and domain signing: what a method encrypts or sends. */
  body: Buffer;
  signal: AbortSignal;
  now(): Date;
}

export type MethodResult =
  /** Protected bytes for this recipient; `requireTls` asks the delivery agent to refuse plaintext SMTP. */
  | { kind: 'protected'; body: Buffer; why: string; requireTls?: boolean }
  /** This method cannot serve this recipient (no certificate, no key, TLS not offered): try the next. */
  | { kind: 'unavailable'; why: string }
  /** Cannot decide now (a directory timed out, the CA key is unavailable): retry later. */
  | { kind: 'defer'; why: string }
  /** Stop here and hold the message (e.g. a pending-certificate request was sent). */
  | { kind: 'hold'; why: string };

export type MethodName = 'smime' | 'openpgp' | 'tls' | 'issue' | 'portal' | 'hold';

export interface ProtectionMethod {
  readonly name: MethodName;
  protect(ctx: MethodContext): Promise<MethodResult>;
}
