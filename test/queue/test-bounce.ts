// Test-only BounceBuilder: a minimal multipart/report DSN, enough for the queue manager tests to
// see which recipients and which reason a DSN was built for. The real RFC 3464 builder is
// src/delivery/dsn.ts (another module); these tests do not depend on it.
import type { RecipientResult } from '../../src/delivery/types.js';
import type { BounceBuilder } from '../../src/queue/manager.js';
import type { QueuedMessage } from '../../src/store/types.js';

export interface BuiltDsn {
  orig: string;
  reason: string;
  failed: string[];
  headers: string;
}

export function createTestBounce(): BounceBuilder & { built: BuiltDsn[] } {
  const built: BuiltDsn[] = [];
  return {
    built,
    build(orig: QueuedMessage, origHeaders: Buffer, failed: RecipientResult[], reason: 'failed' | 'expired' | 'rejected'): Buffer {
      built.push({ orig: orig.id, reason, failed: failed.map((f) => f.address), headers: origHeaders.toString('latin1') });
      const b = 'dsn-boundary';
      const per = failed.map((f) => `Final-Recipient: rfc822;${f.address}\r\nAction: failed\r\nStatus: 5.0.0\r\nDiagnostic-Code: smtp;${f.reply}\r\n`).join('\r\n');
      return Buffer.from(
        `From: MAILER-DAEMON@gw.test\r\nTo: ${orig.sender}\r\nSubject: Undelivered Mail (${reason})\r\nMIME-Version: 1.0\r\n` +
          `Content-Type: multipart/report; report-type=delivery-status; boundary="${b}"\r\n\r\n` +
          `--${b}\r\nContent-Type: text/plain\r\n\r\nDelivery failed (${reason}).\r\n` +
          `--${b}\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns;gw.test\r\n\r\n${per}` +
          `--${b}\r\nContent-Type: text/rfc822-headers\r\n\r\n${origHeaders.toString('latin1')}\r\n--${b}--\r\n`,
        'latin1',
      );
    },
  };
}
