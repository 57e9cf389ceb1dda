// The notice a sender gets when the policy decision stage holds a message for privacy review: the
// message is held, why (finding categories and the recipients not allowed for patient data) and
// who reviews it. Pure builder plus a thin sender over the local submitter (src/queue/submit.ts),
// which queues it like received mail with origin 'hold-notice' and the null sender (no bounces).
// Trust level: sees decisions (categories, addresses), never message content: the notice quotes
// neither the body nor the Subject (either may hold patient data).
import { randomBytes } from 'node:crypto';
import { rfc5322Date } from '../delivery/dsn.js';
import type { LocalSubmitter } from '../queue/submit.js';
import type { Direction } from '../queue/types.js';
import type { PolicyDecision } from './types.js';

export const HOLD_NOTICE_ORIGIN = 'hold-notice';

export interface HoldNoticeInput {
  queueId: string;
  sender: string;
  receivedAt: Date;
  /** Every recipient of the held message. */
  recipients: string[];
  decision: Pick<PolicyDecision, 'notAllowed' | 'why'>;
  /** Finding categories (e.g. diagnosis, mrn, dob), no samples. */
  categories: string[];
}

export interface HoldNoticeOptions {
  /** Our host name (Message-ID) and the domain the notice comes from. */
  hostname: string;
  fromAddress: string;
  /** Who reviews held messages (outbound.reviewer). */
  reviewer: string;
  now?: () => Date;
}

// eslint-disable-next-line no-control-regex
const oneLine = (s: string) => s.replace(/[\u0000-\u001f\u007f]+/g, ' ').trim();

/** Readable names for the scorer's categories; unknown ones are shown as they are. */
const CATEGORY_NAMES: Record<string, string> = {
  ssn: 'social security number',
  mrn: 'medical record number',
  dob: 'date of birth',
  mbi: 'Medicare number',
  'member-id': 'health plan member ID',
  'account-number': 'account number',
  'date-of-service': 'date of service',
  'name-in-clinical-context': 'patient name',
  'name-near-health': 'name near health information',
  'patient-contact': 'patient contact details',
};

export function categoryLabel(c: string): string {
  return CATEGORY_NAMES[c] ?? c.replace(/-/g, ' ');
}

/** The notice message (CRLF, 7-bit, UTF-8 text/plain in quoted form only when needed). */
export function buildHoldNotice(n: HoldNoticeInput, o: HoldNoticeOptions): Buffer {
  const now = (o.now ?? (() => new Date()))();
  const kinds = [...new Set(n.categories.filter((c) => c !== 'uninspected').map(categoryLabel))];
  const text = [
    `Your message of ${rfc5322Date(n.receivedAt)} (queue id ${n.queueId}) to`,
    ...n.recipients.map((r) => `  <${oneLine(r)}>`),
    'has been HELD by the mail gateway and has not been delivered to anyone.',
    '',
    'Why: it appears to contain patient information (protected health information)',
    kinds.length ? `(found: ${kinds.join(', ')}),` : '',
    'and these recipients are not registered destinations for patient information:',
    ...n.decision.notAllowed.map((r) => `  <${oneLine(r)}>`),
    '',
    `What happens next: ${oneLine(o.reviewer)} will review it. If it is approved, it is`,
    'delivered encrypted. If it is not, you will receive a non-delivery notice with the reason.',
    'You do not need to send it again.',
    '',
    'This notice does not quote your message.',
    '',
  ]
    .filter((l, i, a) => l !== '' || a[i - 1] !== '')
    .join('\r\n');
  const domain = o.fromAddress.slice(o.fromAddress.lastIndexOf('@') + 1);
  const head = [
    `From: Mail gateway <${o.fromAddress}>`,
    `To: <${oneLine(n.sender)}>`,
    'Subject: Your message is held for privacy review',
    `Date: ${rfc5322Date(now)}`,
    `Message-ID: <${randomBytes(12).toString('hex')}.hold@${domain}>`,
    'Auto-Submitted: auto-generated',
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=utf-8',
    `Content-Transfer-Encoding: ${/[^\x00-\x7f]/.test(text) ? '8bit' : '7bit'}`,
  ];
  return Buffer.from(head.join('\r\n') + '\r\n\r\n' + text, 'utf8');
}

export interface NoticeSender {
  /** Queues the hold notice to the message's sender; resolves to the notice's queue id, or null when there is no sender. */
  held(n: HoldNoticeInput): Promise<string | null>;
}

export function createNoticeSender(o: HoldNoticeOptions & { submitter: LocalSubmitter; isLocalDomain: (domain: string) => boolean }): NoticeSender {
  return {
    async held(n) {
      if (n.sender === '') return null; // never a notice for a bounce
      const domain = n.sender.slice(n.sender.lastIndexOf('@') + 1).toLowerCase();
      const direction: Direction = o.isLocalDomain(domain) ? 'inbound' : 'outbound';
      return o.submitter.submit({ direction, sender: '', recipients: [n.sender], body: buildHoldNotice(n, o), origin: HOLD_NOTICE_ORIGIN });
    },
  };
}
