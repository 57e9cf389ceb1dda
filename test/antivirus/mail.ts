// Test-only builders for antivirus tests: messages with EICAR (or the marker) in the body, in a
// base64 attachment and in a zip attachment (the zip built by Debian's `zip` CLI), and a context
// for calling stages directly.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { StageContext, StageMessage } from '../../src/pipeline/stage.js';
import { EICAR } from '../helpers/clamd.js';

const CRLF = '\r\n';

export function b64lines(data: Buffer): string {
  return (data.toString('base64').match(/.{1,76}/g) ?? []).join(CRLF);
}

export function headers(subject: string, extra: string[] = []): string[] {
  return ['From: <lab@partner.test>', 'To: <nurse@hospital.test>', `Subject: ${subject}`, 'Date: Sun, 29 Nov 2026 10:00:00 +0000', 'Message-ID: <av-test@partner.test>', 'MIME-Version: 1.0', ...extra];
}

export function plainMessage(body: string, subject = 'Results'): Buffer {
  return Buffer.from([...headers(subject, ['Content-Type: text/plain; charset=us-ascii']), '', body, ''].join(CRLF), 'latin1');
}

export interface Attachment {
  filename: string;
  type: string;
  data: Buffer;
}

export const TEXT_PART = ['Content-Type: text/plain; charset=us-ascii', '', 'Please see the attached report.', ''].join(CRLF);

/** multipart/mixed: a text part, then the attachments (base64). */
export function withAttachments(attachments: Attachment[], boundary = 'b1-sealgate-test'): Buffer {
  const parts = [TEXT_PART, ...attachments.map(attachmentEntity)];
  return Buffer.from(
    [...headers('Report', [`Content-Type: multipart/mixed; boundary="${boundary}"`]), '', 'This is a multi-part message in MIME format.', ...parts.map((p) => `--${boundary}${CRLF}${p}`), `--${boundary}--`, ''].join(CRLF),
    'latin1',
  );
}

export function attachmentEntity(a: Attachment): string {
  return [`Content-Type: ${a.type}; name="${a.filename}"`, 'Content-Transfer-Encoding: base64', `Content-Disposition: attachment; filename="${a.filename}"`, '', b64lines(a.data), ''].join(CRLF);
}

/** A zip (deflated, so the EICAR bytes do not appear in it) holding `name` = EICAR + padding. */
export function eicarZip(name = 'report.txt'): Buffer {
  return zipOf(name, Buffer.concat([EICAR, Buffer.from('\r\n' + 'padding line\r\n'.repeat(200))]));
}

export function zipOf(name: string, data: Buffer): Buffer {
  const dir = mkdtempSync(join(tmpdir(), 'sg-zip-'));
  try {
    writeFileSync(join(dir, name), data);
    execFileSync('zip', ['-q', '-9', '-j', join(dir, 'a.zip'), join(dir, name)]);
    return readFileSync(join(dir, 'a.zip'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function stageMessage(body: Buffer, direction: 'inbound' | 'outbound' = 'inbound', id = 'Q' + Math.random().toString(36).slice(2, 10)): StageMessage {
  return {
    id,
    envelope: {
      direction,
      sender: direction === 'inbound' ? 'lab@partner.test' : 'dr.smith@hospital.test',
      recipients: direction === 'inbound' ? ['nurse@hospital.test'] : ['billing@partner.test'],
      clientIp: '127.0.0.1',
      clientHelo: 'client.test',
      tls: false,
      params: {},
      receivedAt: new Date('2026-11-29T10:00:00Z'),
    } as StageMessage['envelope'],
    body,
  };
}

export function ctx(): StageContext {
  return { now: () => new Date(), signal: new AbortController().signal };
}
