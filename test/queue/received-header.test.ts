// Our Received header can carry client-chosen text (HELO name, recipient address) but never lets
// it break out: whatever the client sends, the header stays three or four well-formed folded
// lines, ends in CRLF, names no software, and parses back to the same id and date.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { receivedHeader, rfc5322Date } from '../../src/queue/received.js';

const base = {
  direction: 'inbound' as const,
  sender: 'a@example.org',
  recipients: ['b@hospital.test'],
  clientIp: '203.0.113.9',
  clientHelo: 'mx.example.org',
  tls: true,
  receivedAt: new Date('2026-12-31T23:59:58Z'),
};

describe('Received header', () => {
  it('has the RFC 5321 form with the TLS marker and a single recipient', () => {
    expect(receivedHeader(base, 'gw.hospital.test', 'ABC123')).toBe(
      'Received: from mx.example.org ([203.0.113.9])\r\n\tby gw.hospital.test with ESMTPS id ABC123\r\n\tfor <b@hospital.test>;\r\n\tThu, 31 Dec 2026 23:59:58 +0000\r\n',
    );
    expect(receivedHeader({ ...base, tls: false, clientIp: '::ffff:198.51.100.1' }, 'gw', 'X')).toContain('with ESMTP id X');
    expect(receivedHeader({ ...base, clientIp: '::ffff:198.51.100.1' }, 'gw', 'X')).toContain('([198.51.100.1])');
  });

  it('dates are RFC 5322 in UTC', () => {
    expect(rfc5322Date(new Date('2026-01-05T03:04:05Z'))).toBe('Mon, 5 Jan 2026 03:04:05 +0000');
  });

  it('no client text can inject a line or a header', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 400 }), fc.string({ maxLength: 400 }), fc.boolean(), (helo, rcpt, auth) => {
        const h = receivedHeader({ ...base, clientHelo: helo, recipients: [rcpt], ...(auth ? { authUser: 'u' } : {}) }, 'gw.hospital.test', 'ID1');
        const lines = h.split('\r\n');
        expect(lines.at(-1)).toBe('');
        expect(lines.length).toBe(5);
        expect(lines[0]!.startsWith('Received: from ')).toBe(true);
        for (const l of lines.slice(1, -1)) expect(l.startsWith('\t')).toBe(true);
        expect(h.replace(/\r\n/g, '')).not.toMatch(/[\r\n\0]/);
        for (const l of lines) expect(Buffer.byteLength(l)).toBeLessThanOrEqual(998);
        expect(h).toMatch(/\tby gw\.hospital\.test with ESMTPS?A? id ID1\r\n/);
        expect(h).toMatch(/;\r\n\tThu, 31 Dec 2026 23:59:58 \+0000\r\n$/);
      }),
      { numRuns: 300 },
    );
  });
});
