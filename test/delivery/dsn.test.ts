// DSN structure, read back by an independent MIME parser (Python's email package): RFC 3464
// multipart/report with a human part, message/delivery-status and the original headers only.
import { spawnSync } from 'node:child_process';
import { describe, expect, test } from 'vitest';
import { createBounceBuilder, isDsnOrAutoReply } from '../../src/delivery/dsn.js';
import type { RecipientResult } from '../../src/delivery/types.js';
import type { QueuedMessage } from '../../src/store/types.js';

const PARSE = String.raw`
import sys, json, email
from email import policy
m = email.message_from_bytes(sys.stdin.buffer.read(), policy=policy.compat32)
out = {"headers": {k: str(v) for k, v in m.items()}, "type": m.get_content_type(),
       "reportType": m.get_param("report-type"), "parts": []}
for p in m.get_payload():
    part = {"type": p.get_content_type()}
    if p.get_content_type() in ("message/delivery-status", "message/global-delivery-status"):
        blocks = p.get_payload()
        part["blocks"] = [dict(b.items()) for b in blocks]
    else:
        part["text"] = p.get_payload(decode=True).decode("utf-8", "replace")
    out["parts"].append(part)
print(json.dumps(out))
`;

function parse(dsn: Buffer): {
  headers: Record<string, string>;
  type: string;
  reportType: string;
  parts: Array<{ type: string; text?: string; blocks?: Array<Record<string, string>> }>;
} {
  const r = spawnSync('python3', ['-c', PARSE], { input: dsn, timeout: 30_000 });
  if (r.status !== 0) throw new Error(r.stderr.toString());
  return JSON.parse(r.stdout.toString());
}

const ORIGINAL = Buffer.from(
  [
    'Received: from client.hospital.test',
    'From: Dr Smith <smith@hospital.test>',
    'To: lab@partner.test, gone@partner.test',
    'Subject: Results for patient',
    'Message-ID: <orig-123@hospital.test>',
    '',
    'PATIENT JOHN DOE HAS DIAGNOSIS XYZ-SECRET',
    '',
  ].join('\r\n'),
);

const orig: QueuedMessage = {
  id: 'q1',
  direction: 'outbound',
  state: 'active',
  sender: 'smith@hospital.test',
  clientIp: '10.0.0.5',
  clientHelo: 'client',
  tls: true,
  authUser: null,
  params: { ENVID: 'env+2B42' },
  size: ORIGINAL.length,
  spoolKey: 'k',
  processedKey: null,
  receivedAt: new Date('2026-11-28T10:00:00Z'),
  attempts: 3,
  nextAttempt: null,
  lastError: null,
  expiresAt: new Date('2026-12-03T10:00:00Z'),
  holdReason: null,
  leaseOwner: null,
  leaseUntil: null,
  recipients: [],
};

const builder = createBounceBuilder({
  hostname: 'gw.hospital.test',
  postmaster: 'postmaster@hospital.test',
  now: () => new Date('2026-11-29T12:34:56Z'),
  randomId: () => 'abc123',
});

describe('DSN', () => {
  test('a 5xx failure: structure, status fields and no body text', () => {
    const failed: RecipientResult[] = [
      { address: 'gone@partner.test', status: 'failed', reply: '550 5.1.1 No such user', remoteHost: 'mx.partner.test' },
    ];
    const dsn = builder.build(orig, ORIGINAL, failed, 'failed');
    const text = dsn.toString('latin1');
    expect(text).not.toContain('XYZ-SECRET');
    expect(text).not.toContain('PATIENT');
    expect(/(^|[^\r])\n/.test(text)).toBe(false); // CRLF only

    const m = parse(dsn);
    expect(m.type).toBe('multipart/report');
    expect(m.reportType).toBe('delivery-status');
    expect(m.headers['From']).toBe('Mail Delivery System <MAILER-DAEMON@gw.hospital.test>');
    expect(m.headers['To']).toBe('<smith@hospital.test>');
    expect(m.headers['Auto-Submitted']).toBe('auto-replied');
    expect(m.headers['Date']).toBe('Sun, 29 Nov 2026 12:34:56 +0000');
    expect(m.headers['Message-ID']).toBe('<abc123.dsn@gw.hospital.test>');
    expect(m.headers['In-Reply-To']).toBe('<orig-123@hospital.test>');
    expect(m.parts.map((p) => p.type)).toEqual(['text/plain', 'message/delivery-status', 'text/rfc822-headers']);

    expect(m.parts[0]!.text).toContain('<gone@partner.test>: failed: 550 5.1.1 No such user');
    const [perMessage, perRcpt] = m.parts[1]!.blocks!;
    expect(perMessage).toMatchObject({
      'Reporting-MTA': 'dns; gw.hospital.test',
      'Original-Envelope-Id': 'env+42',
      'Arrival-Date': 'Sat, 28 Nov 2026 10:00:00 +0000',
    });
    expect(perRcpt).toMatchObject({
      'Final-Recipient': 'rfc822; gone@partner.test',
      Action: 'failed',
      Status: '5.1.1',
      'Remote-MTA': 'dns; mx.partner.test',
      'Diagnostic-Code': 'smtp; 550 5.1.1 No such user',
    });
    const headersPart = m.parts[2]!.text!;
    expect(headersPart).toContain('Subject: Results for patient');
    expect(headersPart).toContain('Message-ID: <orig-123@hospital.test>');
    expect(headersPart).not.toContain('XYZ');
  });

  test('expiry: deferred recipients are reported failed with their last status', () => {
    const failed: RecipientResult[] = [
      { address: 'a@partner.test', status: 'deferred', reply: '451 4.4.1 Connection refused by mx.partner.test[192.0.2.1]:25', remoteHost: 'mx.partner.test' },
      { address: 'b@partner.test', status: 'deferred', reply: 'no reply recorded' },
    ];
    const m = parse(builder.build(orig, ORIGINAL, failed, 'expired'));
    const blocks = m.parts[1]!.blocks!.slice(1);
    expect(blocks.map((b) => [b['Final-Recipient'], b['Action'], b['Status']])).toEqual([
      ['rfc822; a@partner.test', 'failed', '4.4.1'],
      ['rfc822; b@partner.test', 'failed', '4.4.7'],
    ]);
    expect(blocks[1]!['Diagnostic-Code']).toBe('x-sealgate; no reply recorded');
    expect(m.headers['Subject']).toBe('Undelivered Mail Returned to Sender');
  });

  test('a delay warning says delayed and when retries end', () => {
    const m = parse(builder.build(orig, ORIGINAL, [{ address: 'a@partner.test', status: 'deferred', reply: '421 4.7.0 try again' }], 'failed'));
    const rcpt = m.parts[1]!.blocks![1]!;
    expect(rcpt).toMatchObject({ Action: 'delayed', Status: '4.7.0', 'Will-Retry-Until': 'Thu, 03 Dec 2026 10:00:00 +0000' });
    expect(m.headers['Subject']).toBe('Delayed Mail (still being retried)');
  });

  test('a policy rejection has no Remote-MTA and keeps the reply status', () => {
    const m = parse(builder.build(orig, ORIGINAL, [{ address: 'lab@partner.test', status: 'failed', reply: '550 5.7.1 Message rejected by policy: PHI to unapproved domain' }], 'rejected'));
    const rcpt = m.parts[1]!.blocks![1]!;
    expect(rcpt['Status']).toBe('5.7.1');
    expect(rcpt['Remote-MTA']).toBeUndefined();
  });

  test('a whole message passed as "headers" is cut at the blank line', () => {
    const dsn = builder.build(orig, ORIGINAL, [{ address: 'x@partner.test', status: 'failed', reply: '550 5.0.0 no' }], 'failed');
    expect(dsn.includes('XYZ-SECRET')).toBe(false);
  });

  test('reply text cannot inject header lines', () => {
    const dsn = builder.build(orig, ORIGINAL, [{ address: 'x@partner.test', status: 'failed', reply: '550 5.0.0 no\r\nBcc: evil@x.test' }], 'failed');
    const m = parse(dsn);
    expect(m.parts[1]!.blocks![1]!['Bcc']).toBeUndefined();
    expect(m.parts[1]!.blocks![1]!['Diagnostic-Code']).toBe('smtp; 550 5.0.0 no Bcc: evil@x.test');
  });

  test('UTF-8 recipients use the RFC 6533 global types', () => {
    const m = parse(builder.build(orig, ORIGINAL, [{ address: 'zoë@partner.test', status: 'failed', reply: '550 5.1.1 no' }], 'failed'));
    expect(m.reportType).toBe('global-delivery-status');
    expect(m.parts[1]!.type).toBe('message/global-delivery-status');
  });

  test('never a DSN for the null sender; the From domain falls back to our first domain', () => {
    expect(() => builder.build({ ...orig, sender: '' }, ORIGINAL, [{ address: 'x@y.test', status: 'failed', reply: '550 no' }], 'failed')).toThrow(/null sender/);
    const local = createBounceBuilder({ hostname: 'localhost', postmaster: 'postmaster@hospital.test', domains: ['hospital.test'] });
    const m = parse(local.build(orig, ORIGINAL, [{ address: 'x@y.test', status: 'failed', reply: '550 no' }], 'failed'));
    expect(m.headers['From']).toBe('Mail Delivery System <MAILER-DAEMON@hospital.test>');
  });

  test('isDsnOrAutoReply recognises DSNs, MDNs and auto-replies, and only those', () => {
    const dsn = builder.build(orig, ORIGINAL, [{ address: 'x@y.test', status: 'failed', reply: '550 no' }], 'failed');
    expect(isDsnOrAutoReply(dsn)).toBe(true);
    expect(isDsnOrAutoReply('Auto-Submitted: auto-generated\r\nSubject: x\r\n')).toBe(true);
    expect(isDsnOrAutoReply('Auto-Submitted: no\r\nSubject: x\r\n')).toBe(false);
    expect(isDsnOrAutoReply('Content-Type: multipart/report;\r\n report-type="disposition-notification"; boundary=x\r\n')).toBe(true);
    expect(isDsnOrAutoReply('Content-Type: multipart/report; report-type=other; boundary=x\r\n')).toBe(false);
    expect(isDsnOrAutoReply(ORIGINAL)).toBe(false);
    // Only the header section counts.
    expect(isDsnOrAutoReply('Subject: x\r\n\r\nAuto-Submitted: auto-replied\r\n')).toBe(false);
  });
});
