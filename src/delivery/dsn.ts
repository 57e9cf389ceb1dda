// Delivery status notifications (RFC 3464 / RFC 3462 multipart/report) telling a sender that a
// message failed, expired or was rejected. Pure: values in, bytes out; clock and ids are injected.
// Trust level: sees message headers. Bodies may hold PHI, so a DSN never quotes the body, only the
// original header section (text/rfc822-headers), and the builder cuts its input at the first
// blank line so a caller passing a whole message cannot leak the body.
import { randomBytes } from 'node:crypto';
import type { QueuedMessage } from '../store/types.js';
import type { RecipientResult } from './types.js';
import { stripPortalPassphrase } from '../web/portal-passphrase.js';

export type BounceReason = 'failed' | 'expired' | 'rejected';

export interface BounceBuilder {
  /**
   * The DSN message (CRLF line endings) for `orig`, to be sent with MAIL FROM:<> to orig.sender.
   * Recipients with status 'deferred' are reported as Action: delayed, unless reason is 'expired'.
   * Throws if orig.sender is '' (never a DSN for a DSN) or `failed` is empty: callers check first.
   */
  build(orig: QueuedMessage, origHeaders: Buffer, failed: RecipientResult[], reason: BounceReason): Buffer;
}

export interface BounceBuilderOptions {
  /** Reporting MTA name (Reporting-MTA, Message-ID, From domain). */
  hostname: string;
  /** Address named in the notice for help (e.g. postmaster@example.org). */
  postmaster: string;
  /** Our domains: the From domain is the first one when hostname is not a dotted name. */
  domains?: string[];
  /** Longest original header section quoted (default 100 KB; longer is cut at a line end). */
  maxHeaderBytes?: number;
  now?: () => Date;
  randomId?: () => string;
}

const MAX_DIAGNOSTIC = 900;

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const p2 = (n: number) => String(n).padStart(2, '0');

/** RFC 5322 date-time in UTC: 'Sun, 29 Nov 2026 19:34:07 +0000'. */
export function rfc5322Date(d: Date): string {
  return `${DAYS[d.getUTCDay()]}, ${p2(d.getUTCDate())} ${MONTHS[d.getUTCMonth()]} ${d.getUTCFullYear()} ${p2(d.getUTCHours())}:${p2(d.getUTCMinutes())}:${p2(d.getUTCSeconds())} +0000`;
}

// eslint-disable-next-line no-control-regex
const oneLine = (s: string) => s.replace(/[\u0000-\u001f\u007f]+/g, ' ').trim();
// eslint-disable-next-line no-control-regex
const NON_ASCII = /[^\u0000-\u007f]/;

/** Enhanced status for a recipient: from the reply, else a default by action. */
export function statusFor(r: RecipientResult, action: 'failed' | 'delayed', reason: BounceReason): string {
  const m = /^[2-5]\d\d[ -]([245])\.(\d{1,3})\.(\d{1,3})(?:\s|$)/.exec(r.reply);
  if (m && m[1] !== '2') return `${m[1]}.${m[2]}.${m[3]}`;
  if (reason === 'expired') return '4.4.7'; // delivery time expired
  const basic = /^([45])\d\d/.exec(r.reply);
  if (basic) return `${basic[1]}.0.0`;
  return action === 'failed' ? '5.0.0' : '4.0.0';
}

/** The header section of `raw` (up to, not including, the blank line), CRLF-normalised and bounded. */
export function headerSection(raw: Buffer, max: number): Buffer {
  let end = raw.indexOf('\r\n\r\n');
  const lf = raw.indexOf('\n\n');
  if (end < 0 || (lf >= 0 && lf < end)) end = lf;
  let h = end < 0 ? raw : raw.subarray(0, end);
  if (h.length > max) {
    const cut = h.lastIndexOf('\n', max);
    h = h.subarray(0, cut > 0 ? cut : 0);
  }
  // Bare CR or LF become CRLF so the DSN itself is CRLF-clean.
  const text = h.toString('latin1').replace(/\r?\n|\r/g, '\r\n').replace(/(\r\n)+$/, '');
  return Buffer.from(text.length ? text + '\r\n' : '', 'latin1');
}

/** Decode xtext (RFC 3461 4): '+XX' hex escapes. */
function xtextDecode(s: string): string {
  return s.replace(/\+([0-9A-Fa-f]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16)));
}

function addrType(a: string): string {
  return NON_ASCII.test(a) ? `utf-8; ${a}` : `rfc822; ${a}`;
}

export function createBounceBuilder(opts: BounceBuilderOptions): BounceBuilder {
  const host = opts.hostname;
  const fromDomain = /\./.test(host) && host !== 'localhost' ? host : opts.domains?.[0] ?? host;
  const now = opts.now ?? (() => new Date());
  const randomId = opts.randomId ?? (() => randomBytes(12).toString('hex'));
  const maxHeader = opts.maxHeaderBytes ?? 102400;

  return {
    build(orig, origHeaders, failed, reason) {
      if (orig.sender === '') throw new Error('no DSN is sent for a message with the null sender');
      if (failed.length === 0) throw new Error('a DSN needs at least one recipient');
      const date = now();
      const id = randomId();
      // A sender-set pickup passphrase (src/web/portal-passphrase.ts) is never quoted back.
      const headers = headerSection(stripPortalPassphrase(origHeaders).body, maxHeader);
      const rows = failed.map((r) => {
        const action: 'failed' | 'delayed' = r.status === 'deferred' && reason !== 'expired' ? 'delayed' : 'failed';
        return { r, action, status: statusFor(r, action, reason) };
      });
      const allDelayed = rows.every((x) => x.action === 'delayed');

      const subject = allDelayed ? 'Delayed Mail (still being retried)' : 'Undelivered Mail Returned to Sender';
      const intro =
        reason === 'rejected'
          ? 'Your message was not delivered: it was refused by the mail gateway of the sending organization.'
          : reason === 'expired'
            ? 'Your message could not be delivered within the time allowed and has been given up on.'
            : allDelayed
              ? 'Your message has not been delivered yet. Delivery will be retried; you do not need to resend it.'
              : 'Your message could not be delivered to one or more recipients.';
      const human = [
        `This is the mail system at host ${host}.`,
        '',
        intro,
        '',
        ...rows.map((x) => `<${x.r.address}>: ${x.action === 'delayed' ? 'delayed' : 'failed'}: ${oneLine(x.r.reply).slice(0, MAX_DIAGNOSTIC)}`),
        '',
        'The message text is not included in this notice; its header lines are attached.',
        `For help, contact <${opts.postmaster}>.`,
        '',
      ].join('\r\n');

      const perMessage = [`Reporting-MTA: dns; ${host}`];
      const envid = orig.params?.ENVID;
      if (envid) perMessage.push(`Original-Envelope-Id: ${oneLine(xtextDecode(envid)).slice(0, 100)}`);
      perMessage.push(`Arrival-Date: ${rfc5322Date(orig.receivedAt)}`);
      const perRcpt = rows.map((x) => {
        const f = [`Final-Recipient: ${addrType(x.r.address)}`, `Action: ${x.action}`, `Status: ${x.status}`];
        if (x.r.remoteHost && reason !== 'rejected') f.push(`Remote-MTA: dns; ${oneLine(x.r.remoteHost)}`);
        const reply = oneLine(x.r.reply).slice(0, MAX_DIAGNOSTIC);
        if (reply) f.push(`Diagnostic-Code: ${/^[2-5]\d\d(?:[ -]|$)/.test(reply) ? 'smtp' : 'x-sealgate'}; ${reply}`);
        f.push(`Last-Attempt-Date: ${rfc5322Date(date)}`);
        if (x.action === 'delayed') f.push(`Will-Retry-Until: ${rfc5322Date(orig.expiresAt)}`);
        return f.join('\r\n');
      });
      const utf8 = failed.some((r) => NON_ASCII.test(r.address));
      const statusBody = [perMessage.join('\r\n'), ...perRcpt].join('\r\n\r\n') + '\r\n';

      const headers8bit = headers.some((b) => b > 0x7f);
      let boundary = `=_dsn_${id}`;
      while (headers.includes(boundary)) boundary = `=_dsn_${randomId()}`;

      // RFC 6533: UTF-8 addresses or headers use the message/global-* types.
      const parts = [
        [
          `Content-Type: text/plain; charset=utf-8`,
          `Content-Transfer-Encoding: ${NON_ASCII.test(human) ? '8bit' : '7bit'}`,
          'Content-Description: Notification',
          '',
          human,
        ].join('\r\n'),
        [
          `Content-Type: ${utf8 ? 'message/global-delivery-status' : 'message/delivery-status'}`,
          'Content-Description: Delivery report',
          '',
          statusBody,
        ].join('\r\n'),
      ];
      const headerPart = Buffer.concat([
        Buffer.from(
          [
            `Content-Type: ${headers8bit ? 'message/global-headers' : 'text/rfc822-headers'}`,
            `Content-Transfer-Encoding: ${headers8bit ? '8bit' : '7bit'}`,
            'Content-Description: Undelivered message headers',
            '',
            '',
          ].join('\r\n'),
        ),
        headers,
      ]);

      const origId = /^message-id:[ \t]*(<[^<>\s]+>)/im.exec(headers.toString('latin1'));
      const top = [
        `From: Mail Delivery System <MAILER-DAEMON@${fromDomain}>`,
        `To: <${orig.sender}>`,
        `Subject: ${subject}`,
        `Date: ${rfc5322Date(date)}`,
        `Message-ID: <${id}.dsn@${fromDomain}>`,
        ...(origId ? [`In-Reply-To: ${origId[1]}`, `References: ${origId[1]}`] : []),
        'Auto-Submitted: auto-replied',
        'MIME-Version: 1.0',
        `Content-Type: multipart/report; report-type=${utf8 ? 'global-delivery-status' : 'delivery-status'};`,
        `\tboundary="${boundary}"`,
        '',
        'This is a MIME-formatted delivery status notification.',
        '',
      ].join('\r\n');

      return Buffer.concat([
        Buffer.from(top + '\r\n'),
        ...parts.map((p) => Buffer.from(`--${boundary}\r\n${p}\r\n`)),
        Buffer.from(`--${boundary}\r\n`),
        headerPart,
        Buffer.from(`\r\n--${boundary}--\r\n`),
      ]);
    },
  };
}

/** Unfolded header fields of a header section (stops at the first blank line). */
function headerFields(headers: Buffer | string): Array<[string, string]> {
  const text = (typeof headers === 'string' ? headers : headers.toString('latin1')).split(/\r?\n\r?\n/, 1)[0]!;
  const out: Array<[string, string]> = [];
  for (const line of text.split(/\r?\n/)) {
    if (/^[ \t]/.test(line) && out.length > 0) out[out.length - 1]![1] += ' ' + line.trim();
    else {
      const c = line.indexOf(':');
      if (c > 0) out.push([line.slice(0, c).trim().toLowerCase(), line.slice(c + 1).trim()]);
    }
  }
  return out;
}

/**
 * True for messages that must never get a DSN (besides the null sender, which callers check):
 * delivery/disposition reports (multipart/report) and automatic messages (Auto-Submitted other
 * than "no", RFC 3834), or a Return-Path of <>.
 */
export function isDsnOrAutoReply(headers: Buffer | string): boolean {
  for (const [name, value] of headerFields(headers)) {
    if (name === 'auto-submitted' && value.split(';')[0]!.trim().toLowerCase() !== 'no') return true;
    if (name === 'return-path' && /^<\s*>$/.test(value)) return true;
    if (name === 'content-type' && /^multipart\/report\b/i.test(value)) {
      const rt = /report-type\s*=\s*"?([A-Za-z-]+)"?/i.exec(value)?.[1]?.toLowerCase();
      if (rt && /^(global-)?(delivery-status|disposition-notification)$/.test(rt)) return true;
    }
  }
  return false;
}
