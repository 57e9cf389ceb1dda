// Test-only: messages and key loading shared by the interop, MIME and CLI tests.
import { createPrivateKey, type KeyObject } from 'node:crypto';
import type { TestIdentity } from './pki.js';

/** A realistic outbound message: trace and address headers, a multipart body, 7-bit, CRLF. */
export function sampleMessage(tag = 'interop'): Buffer {
  return Buffer.from(
    [
      'Received: from ws12.clinic.example.test (ws12 [10.1.2.3]) by mail.clinic.example.test; Sun, 29 Nov 2026 10:00:00 +0000',
      'From: Dr Alice <alice@example.test>',
      'To: Bob <bob@example.test>',
      'Cc: carol@example.test',
      `Subject: Lab results ${tag}`,
      'Date: Sun, 29 Nov 2026 10:00:00 +0000',
      `Message-ID: <${tag}.1@clinic.example.test>`,
      'MIME-Version: 1.0',
      'Content-Type: multipart/mixed; boundary="outer-b"',
      '',
      'preamble',
      '--outer-b',
      'Content-Type: text/plain; charset=us-ascii',
      '',
      'Patient MRN 0012345, HbA1c 6.1%.',
      'A line starting with From and a dot:',
      '.',
      'From here on, trailing spaces matter:   ',
      '--outer-b',
      'Content-Type: application/octet-stream; name="r.bin"',
      'Content-Transfer-Encoding: base64',
      '',
      Buffer.from('binary-ish \x00\x01\x02 attachment').toString('base64'),
      '--outer-b--',
      '',
    ].join('\r\n'),
    'latin1',
  );
}

/** A bare MIME entity (what a peer encrypts/signs when it produces the S/MIME layer itself). */
export function sampleEntity(tag = 'peer'): Buffer {
  return Buffer.from(`Content-Type: text/plain; charset=us-ascii\r\n\r\nPHI from ${tag}: MRN 0099887.\r\nSecond line.\r\n`, 'latin1');
}

export function keyOf(id: TestIdentity): KeyObject {
  return createPrivateKey(id.keyPem);
}

/**
 * Throws unless `content` (what a peer recovered from our CMS layer) is header protection of `msg`:
 * a MIME header saying message/rfc822, a blank line, then every byte of the original message.
 */
export function assertHeaderProtected(content: Buffer, msg: Buffer): void {
  const sep = content.indexOf('\r\n\r\n');
  if (sep < 0) throw new Error('peer output has no MIME header');
  const header = content.subarray(0, sep).toString('latin1');
  if (!/^content-type:\s*message\/rfc822/im.test(header)) throw new Error(`peer output is not message/rfc822: ${header.slice(0, 80)}`);
  if (!content.subarray(sep + 4).equals(msg)) throw new Error('peer output differs from the original message');
}

/** Throws unless `a` ends with `b` byte for byte. */
export function assertEndsWith(a: Buffer, b: Buffer, what: string): void {
  if (a.length < b.length || !a.subarray(a.length - b.length).equals(b)) throw new Error(`${what}: content differs`);
}

/** A message of about `bytes` bytes (7-bit, 76-column base64 body): exercises the streamed BER path. */
export function largeMessage(bytes: number, tag = 'large'): Buffer {
  const head = Buffer.from(
    `From: alice@example.test\r\nTo: bob@example.test\r\nSubject: ${tag}\r\nMIME-Version: 1.0\r\n` +
      'Content-Type: application/octet-stream; name="scan.bin"\r\nContent-Transfer-Encoding: base64\r\n\r\n',
    'latin1',
  );
  const lines: string[] = [];
  let n = head.length;
  for (let i = 0; n < bytes; i++) {
    const line = Buffer.from(`scan ${tag} line ${i} `.padEnd(57, '#')).toString('base64');
    lines.push(line);
    n += line.length + 2;
  }
  return Buffer.concat([head, Buffer.from(lines.join('\r\n') + '\r\n', 'latin1')]);
}
