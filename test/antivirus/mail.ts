// Test-only builders for antivirus tests: messages with EICAR (or the marker) in the body, in a
// base64 attachment and in a zip attachment (built here, deflated), and a context
// for calling stages directly.
import { deflateRawSync } from 'node:zlib';
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

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(data: Buffer): number {
  let c = 0xffffffff;
  for (const b of data) c = CRC_TABLE[(c ^ b) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/**
 * A one-file zip archive, deflated (method 8), written here so the tests need no `zip` binary:
 * local file header, data, central directory entry, end of central directory (APPNOTE 4.3).
 */
export function zipOf(name: string, data: Buffer): Buffer {
  const packed = deflateRawSync(data, { level: 9 });
  const fname = Buffer.from(name, 'utf8');
  const crc = crc32(data);
  const local = Buffer.alloc(30);
  local.writeUInt32LE(0x04034b50, 0);
  local.writeUInt16LE(20, 4); // version needed
  local.writeUInt16LE(0x0800, 6); // UTF-8 names
  local.writeUInt16LE(8, 8); // deflate
  local.writeUInt16LE(0, 10); // time
  local.writeUInt16LE(0x5b7d, 12); // date 2025-11-29
  local.writeUInt32LE(crc, 14);
  local.writeUInt32LE(packed.length, 18);
  local.writeUInt32LE(data.length, 22);
  local.writeUInt16LE(fname.length, 26);
  local.writeUInt16LE(0, 28);
  const central = Buffer.alloc(46);
  central.writeUInt32LE(0x02014b50, 0);
  central.writeUInt16LE(20, 4); // version made by
  local.copy(central, 6, 4, 30); // version needed .. name length (same fields)
  central.writeUInt16LE(0, 30); // extra length
  central.writeUInt16LE(0, 32); // comment length
  central.writeUInt16LE(0, 34); // disk
  central.writeUInt16LE(0, 36); // internal attributes
  central.writeUInt32LE(0, 38); // external attributes
  central.writeUInt32LE(0, 42); // offset of the local header
  const cdOffset = local.length + fname.length + packed.length;
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(1, 8);
  end.writeUInt16LE(1, 10);
  end.writeUInt32LE(central.length + fname.length, 12);
  end.writeUInt32LE(cdOffset, 16);
  return Buffer.concat([local, fname, packed, central, fname, end]);
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
