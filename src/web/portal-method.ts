// The 'portal' protection method (secure web pickup): the message is stored encrypted for the
// recipient (portal-store.ts) and the recipient is sent, in its place, a notification without PHI:
// who sent it, a neutral subject, a link carrying only an unguessable token, and the expiry date.
// Returning the notification as this recipient's protected variant (instead of queueing it apart)
// makes storing and notifying one step: if the pipeline run fails, neither happened visibly.
// Trust level: sees message content (stores it encrypted); the notification carries none of it.
import { randomBytes } from 'node:crypto';
import type { MethodContext, MethodResult, ProtectionMethod } from '../outbound/types.js';
import type { AuditLog } from '../store/types.js';
import { PORTAL_EXPIRY_DAYS, type PortalStore } from './portal-store.js';
import { portalPassphraseOf, stripPortalPassphrase } from './portal-passphrase.js';

export interface PortalMethodOptions {
  portal: PortalStore;
  audit: AuditLog;
  /** Host name in links and Message-IDs. */
  hostname: string;
  /** Base URL of the portal, e.g. https://mail.example.org:8443 (no trailing slash). */
  baseUrl: string;
  expiryDays?: number;
}

const ADDRESS = /^[^\s<>@"]+@[^\s<>@"]+$/;

/** RFC 5322 notification (CRLF), neutral: no subject, no content, no attachment names. */
export function notificationMessage(o: { hostname: string; sender: string; recipient: string; link: string; expiresAt: Date; now: Date }): Buffer {
  const from = ADDRESS.test(o.sender) ? o.sender : `postmaster@${o.hostname}`;
  const day = o.expiresAt.toISOString().slice(0, 10);
  const text = [
    `${from} sent you a secure message.`,
    '',
    'To read it, open this link and ask for a one-time code, which is emailed to this address:',
    '',
    o.link,
    '',
    `The message can be picked up until ${day}. You can reply securely from the same page.`,
    '',
    'If you did not expect this message, you can ignore it.',
  ].join('\r\n');
  const head = [
    `From: ${from}`,
    `To: ${o.recipient}`,
    `Subject: Secure message from ${from}`,
    `Date: ${o.now.toUTCString().replace('GMT', '+0000')}`,
    `Message-ID: <${randomBytes(12).toString('hex')}@${o.hostname}>`,
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=utf-8',
    'Content-Transfer-Encoding: 8bit',
    'Auto-Submitted: auto-generated',
  ].join('\r\n');
  return Buffer.from(`${head}\r\n\r\n${text}\r\n`, 'utf8');
}

export function createPortalMethod(o: PortalMethodOptions): ProtectionMethod {
  return {
    name: 'portal',
    async protect(ctx: MethodContext): Promise<MethodResult> {
      let stored;
      // The protection stage normally took the passphrase header out already (portal-passphrase.ts);
      // stripping again here keeps it out of the stored copy whoever calls this method.
      const clean = stripPortalPassphrase(ctx.body);
      const passphrase = portalPassphraseOf(ctx.msg) ?? clean.passphrase;
      try {
        stored = await o.portal.create({ sender: ctx.msg.envelope.sender, recipient: ctx.recipient, body: clean.body, ...(passphrase ? { passphrase } : {}), messageId: ctx.msg.id, readReceipt: true, expiryDays: o.expiryDays ?? PORTAL_EXPIRY_DAYS });
      } catch (e) {
        // KEK unreadable, spool full: never fall through to plaintext.
        return { kind: 'defer', why: `portal storage failed: ${e instanceof Error ? e.message : 'error'}` };
      }
      await o.audit.append({ type: 'portal-stored', actor: 'system', messageId: ctx.msg.id, data: { portalId: stored.id, recipient: ctx.recipient, expiresAt: stored.expiresAt.toISOString(), passphrase: passphrase !== undefined } });
      const body = notificationMessage({ hostname: o.hostname, sender: ctx.msg.envelope.sender, recipient: ctx.recipient, link: `${o.baseUrl}/p/${stored.token}`, expiresAt: stored.expiresAt, now: ctx.now() });
      return { kind: 'protected', body, why: `web pickup (portal message ${stored.id})` };
    },
  };
}
