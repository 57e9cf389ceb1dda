// Top-level header handling for the inbound S/MIME stage: split a message into its header fields
// and body, drop fields, prepend fields. Pure; works on the exact received bytes.
// Trust level: parses untrusted network messages; never rewrites a byte it does not remove.
//
// Hand-written instead of using src/smime/mime-entity.ts's parser because that parser decodes and
// bounds whole entities; here only the top header block matters and every kept byte must stay
// exactly as received (the body, including any signed content, is copied as one slice).

export interface RawField {
  /** Lower-case field name. */
  name: string;
  /** The field's exact bytes, including continuation lines and the final CRLF. */
  raw: Buffer;
}

export interface SplitMessage {
  fields: RawField[];
  /** Everything from the empty line that ends the header (inclusive) to the end. */
  rest: Buffer;
}

/** Header field we write with the envelope check's finding (`tamperCheck: annotate`); removed when it arrives from outside. */
export const ENVELOPE_CHECK_FIELD = 'X-Sealgate-Envelope-Check';
/** Header field naming why a message delivered as received could not be decrypted (`undecryptable: deliver`). */
export const DECRYPTION_FIELD = 'X-Sealgate-Decryption';

/** Most header fields looked at; a header with more is treated as having no more fields. */
export const MAX_HEADER_FIELDS = 10_000;

export function splitHeader(msg: Buffer): SplitMessage {
  const fields: RawField[] = [];
  let pos = 0;
  while (pos < msg.length && fields.length < MAX_HEADER_FIELDS) {
    if (msg[pos] === 0x0d && msg[pos + 1] === 0x0a) break; // empty line: end of header
    let end = pos;
    for (;;) {
      const nl = msg.indexOf(0x0a, end);
      if (nl < 0) {
        end = msg.length;
        break;
      }
      end = nl + 1;
      if (end >= msg.length || (msg[end] !== 0x20 && msg[end] !== 0x09)) break;
    }
    const raw = msg.subarray(pos, end);
    const colon = raw.indexOf(0x3a);
    const name = colon > 0 ? raw.subarray(0, colon).toString('latin1').trim().toLowerCase() : '';
    fields.push({ name, raw });
    pos = end;
  }
  return { fields, rest: msg.subarray(pos) };
}

/** Unfolded value of a field (after the colon), trimmed. */
export function fieldValue(f: RawField): string {
  const s = f.raw.toString('latin1');
  return s.slice(s.indexOf(':') + 1).replace(/\r?\n[ \t]/g, ' ').trim();
}

/** The message without the fields `drop` selects; the same Buffer when nothing is dropped. */
export function dropFields(msg: Buffer, drop: (f: RawField) => boolean): Buffer {
  const { fields, rest } = splitHeader(msg);
  if (!fields.some(drop)) return msg;
  return Buffer.concat([...fields.filter((f) => !drop(f)).map((f) => f.raw), rest]);
}

/** authserv-id of an Authentication-Results value (RFC 8601 §2.2): the token before the first ';'. */
export function authservId(value: string): string {
  // A comment may precede or follow the id: "(c) host.example (c); ..."
  const head = value.split(';', 1)[0]!.replace(/\([^)]*\)/g, ' ').trim();
  return head.split(/\s+/, 1)[0]!.toLowerCase();
}

/**
 * Removes every Authentication-Results field that claims to come from `hostname`: only we may
 * write those, so one arriving from outside is a forgery (RFC 8601 §5).
 */
export function removeForgedResults(msg: Buffer, hostname: string): { message: Buffer; removed: number } {
  const host = hostname.toLowerCase();
  const ours = (f: RawField) => f.name === 'authentication-results' && authservId(fieldValue(f)) === host;
  const removed = splitHeader(msg).fields.filter(ours).length;
  return { message: removed ? dropFields(msg, ours) : msg, removed };
}
