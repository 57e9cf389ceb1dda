// The optional short visible note for the recipient (`inbound.visibleNote`): the delivered message
// becomes multipart/mixed with a text/plain note first and the original entity second. The
// original entity's bytes (its Content-* fields and body, a signed part included) are kept
// exactly, so a signature the recipient's client checks still verifies. Pure.
// Trust level: works on untrusted messages; writes only text we compose from our own findings.
import { randomBytes } from 'node:crypto';
import { splitHeader } from './headers.js';

/** Longest note text (characters). */
export const MAX_NOTE_CHARS = 2000;

/** Wraps `msg` with a note part; the note text is ASCII (other characters are replaced by '?'). */
export function addVisibleNote(msg: Buffer, note: string, boundary = `sealgate-note-${randomBytes(12).toString('hex')}`): Buffer {
  const { fields, rest } = splitHeader(msg);
  const isContent = (n: string) => n.startsWith('content-') || n === 'mime-version';
  const outer = fields.filter((f) => !isContent(f.name)).map((f) => f.raw);
  const entityFields = fields.filter((f) => f.name.startsWith('content-')).map((f) => f.raw);
  const text = note.slice(0, MAX_NOTE_CHARS).replace(/[^\x20-\x7e\n]/g, '?').replace(/\n/g, '\r\n');
  // RFC 2045 defaults: no Content-Type means text/plain; us-ascii.
  const entityHead = entityFields.length ? entityFields : [Buffer.from('Content-Type: text/plain; charset=us-ascii\r\n')];
  return Buffer.concat([
    ...outer,
    Buffer.from(`MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="${boundary}"\r\n\r\n`),
    Buffer.from(`--${boundary}\r\nContent-Type: text/plain; charset=us-ascii\r\nContent-Disposition: inline\r\n\r\n${text}\r\n--${boundary}\r\n`),
    ...entityHead,
    rest.subarray(0, 2).equals(Buffer.from('\r\n')) ? rest : Buffer.concat([Buffer.from('\r\n'), rest]),
    Buffer.from(`\r\n--${boundary}--\r\n`),
  ]);
}
