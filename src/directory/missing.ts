// What to do when the directory has no certificate for an external recipient
// (`directory.missingCertificate`, per recipient domain): issue one on the spot (auto-issue),
// hold the message and ask the recipient for a signed reply (pending), hand the message to web
// pickup (portal), or hold it. The outbound protection stage calls `resolveMissing` and does the
// encryption itself. Trust level: gateway-internal; sees addresses and queue ids, never content.
import type { MethodContext } from '../outbound/types.js';
import { missingCertificateMode, type DirectoryConfig, type MissingCertificateMode } from './config.js';
import type { CertificateDirectory, RecipientCertificate } from './types.js';

export type MissingOutcome =
  /** A certificate issued just now: encrypt to it. */
  | { kind: 'certificate'; cert: RecipientCertificate }
  /** Hold the message (a pending request is out, or policy says hold). */
  | { kind: 'hold'; why: string }
  /** Deliver through web pickup (issue 8's portal method). */
  | { kind: 'portal'; why: string }
  /** Cannot decide now (the CA key is unavailable, the store failed): retry later. */
  | { kind: 'defer'; why: string };

/** The part of the pending-certificate workflow (src/directory/pending.ts) this module drives. */
export interface PendingRequests {
  /**
   * Records that `messageId` waits for `address`'s certificate; sends the request the first time.
   * Returns the request's status: 'expired' means the fallback applies.
   */
  request(address: string, r: { requestedBy: string; messageId: string }): Promise<'requested' | 'reminded' | 'expired'>;
}

/** Hold reasons of messages waiting for a pending certificate start with this (pending.ts releases only these). */
export const PENDING_HOLD_PREFIX = 'waiting for a certificate from';

export interface MissingCertificateResolver {
  resolveMissing(recipient: string, ctx: Pick<MethodContext, 'msg' | 'signal' | 'now'>): Promise<MissingOutcome>;
}

export interface MissingCertificateOptions {
  directory: Pick<CertificateDirectory, 'issue'>;
  pending: PendingRequests;
  /** `directory.missingCertificate`, its per-domain overrides and `directory.pending.fallback`. */
  config: DirectoryConfig;
}

const message = (e: unknown) => (e instanceof Error ? e.message : String(e));

export function createMissingCertificateResolver(o: MissingCertificateOptions): MissingCertificateResolver {
  async function apply(mode: MissingCertificateMode, recipient: string, ctx: Pick<MethodContext, 'msg' | 'signal' | 'now'>): Promise<MissingOutcome> {
    const sender = ctx.msg.envelope.sender;
    switch (mode) {
      case 'portal':
        return { kind: 'portal', why: `no certificate for ${recipient}: web pickup` };
      case 'hold':
        return { kind: 'hold', why: `no certificate for ${recipient} (directory.missingCertificate: hold)` };
      case 'issue': {
        // The notice and the password go to the internal sender; a message without one (a DSN)
        // has nobody to give the password to.
        if (!sender) return { kind: 'hold', why: `no certificate for ${recipient} and no sender to receive the PKCS#12 password` };
        try {
          const cert = await o.directory.issue(recipient, { requestedBy: sender, messageId: ctx.msg.id, signal: ctx.signal });
          return { kind: 'certificate', cert };
        } catch (e) {
          return { kind: 'defer', why: `auto-issue for ${recipient} failed: ${message(e)}` };
        }
      }
      case 'pending': {
        let status: 'requested' | 'reminded' | 'expired';
        try {
          status = await o.pending.request(recipient, { requestedBy: sender, messageId: ctx.msg.id });
        } catch (e) {
          return { kind: 'defer', why: `pending certificate request for ${recipient} failed: ${message(e)}` };
        }
        if (status === 'expired') return apply(o.config.pending.fallback, recipient, ctx);
        return { kind: 'hold', why: `${PENDING_HOLD_PREFIX} ${recipient} (request ${status})` };
      }
    }
  }
  return {
    resolveMissing: (recipient, ctx) => apply(missingCertificateMode(o.config, recipient), recipient.toLowerCase(), ctx),
  };
}
