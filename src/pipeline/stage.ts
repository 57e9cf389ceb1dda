// Pipeline stages between "accepted" and "delivered". A stage sees one message and its envelope and
// returns a verdict. The runner (src/pipeline/run.ts) enforces the fail-closed rule: a stage that
// throws or exceeds its time limit yields `tempfail`, never `continue`.
import type { Envelope } from '../queue/types.js';

export interface StageMessage {
  id: string;
  envelope: Envelope;
  /** The whole RFC 5322 message, CRLF line endings. */
  body: Buffer;
  /**
   * Scratch space shared by the stages of one pipeline run, e.g. the policy stage's decision for
   * the protection stage (`attrs.policy`). The runner creates it; it is never persisted.
   */
  attrs?: Record<string, unknown>;
  /** Present when a privacy officer approved this held message (`queue release ID --approve`). */
  review?: { approvedBy: string; at: Date; reason?: string };
}

/** A message variant for a subset of the recipients (e.g. encrypted per recipient). */
export interface Variant {
  recipients: string[];
  body: Buffer;
  /** Deliver only over TLS 1.2+ with a verified server certificate; otherwise defer (never plaintext). */
  requireTls?: boolean;
}

export type Verdict =
  | { kind: 'continue'; body?: Buffer; variants?: Variant[]; note?: string }
  | { kind: 'hold'; reason: string }
  | { kind: 'reject'; reason: string }
  | { kind: 'tempfail'; reason: string };

export interface StageContext {
  now(): Date;
  signal: AbortSignal;
}

export interface Stage {
  readonly name: string;
  readonly directions: ReadonlyArray<'inbound' | 'outbound'>;
  process(msg: StageMessage, ctx: StageContext): Promise<Verdict>;
}
