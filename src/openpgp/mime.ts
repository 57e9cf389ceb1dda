// PGP/MIME (RFC 3156) and inline PGP entities: building multipart/signed and multipart/encrypted
// entities, and recognising what an incoming message is. Pure: bytes in, bytes out. Reuses the
// S/MIME engine's MIME primitives (src/smime/mime-entity.ts) so both share one parser.
// Trust level: parses untrusted messages within the MIME limits; never alters the bytes it signs.
import {
  decodeBase64Body,
  findMultipartParts,
  lfToCrlf,
  makeBoundary,
  parseContentType,
  parseEntity,
  type HeaderField,
} from '../smime/mime-entity.js';

const crlf = (s: string) => Buffer.from(s, 'latin1');

/** Outer (non-Content-*) header fields and the content entity (Content-* fields + body). */
export function splitContent(msg: Buffer): { outer: HeaderField[]; content: Buffer } {
  const e = parseEntity(msg);
  const contentFields = e.fields.filter((f) => f.key.startsWith('content-'));
  const outer = e.fields.filter(isOuterField);
  const head = contentFields.length ? contentFields.map((f) => f.raw) : [crlf('Content-Type: text/plain; charset=us-ascii\r\n')];
  return { outer, content: Buffer.concat([...head, crlf('\r\n'), e.body]) };
}

const isOuterField = (f: HeaderField) => !f.key.startsWith('content-') && f.key !== 'mime-version';

/**
 * `msg` with its content replaced by decrypted `plaintext`: a MIME entity (PGP/MIME) or the text
 * of an inline message (then UTF-8, 8bit). Line ends become CRLF.
 */
export function withPlaintext(msg: Buffer, plaintext: Buffer, kind: 'entity' | 'text'): Buffer {
  const outer = parseEntity(msg).fields.filter(isOuterField);
  const body = lfToCrlf(plaintext);
  return assembleMessage(outer, kind === 'entity' ? body : Buffer.concat([crlf('Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n'), body]));
}

/** A message: the outer fields, MIME-Version, then the entity (its own Content-* header first). */
export function assembleMessage(outer: HeaderField[], entity: Buffer): Buffer {
  return Buffer.concat([...outer.map((f) => f.raw), crlf('MIME-Version: 1.0\r\n'), entity]);
}

/** RFC 3156 §5: multipart/signed over `content` exactly as given, with the armored detached signature. */
export function pgpSignedEntity(content: Buffer, armoredSignature: string, micalg: string): Buffer {
  const b = makeBoundary(content);
  return Buffer.concat([
    crlf(`Content-Type: multipart/signed; micalg=${micalg};\r\n protocol="application/pgp-signature"; boundary="${b}"\r\n\r\n`),
    crlf(`This is an OpenPGP/MIME signed message (RFC 3156).\r\n--${b}\r\n`),
    content,
    crlf(`\r\n--${b}\r\nContent-Type: application/pgp-signature; name="signature.asc"\r\nContent-Description: OpenPGP digital signature\r\nContent-Disposition: attachment; filename="signature.asc"\r\n\r\n`),
    crlf(armoredSignature.replace(/\r?\n/g, '\r\n')),
    crlf(`\r\n--${b}--\r\n`),
  ]);
}

/** RFC 3156 §4: multipart/encrypted with the version part and the armored OpenPGP message. */
export function pgpEncryptedEntity(armoredMessage: string): Buffer {
  const body = crlf(armoredMessage.replace(/\r?\n/g, '\r\n'));
  const b = makeBoundary(body);
  return Buffer.concat([
    crlf(`Content-Type: multipart/encrypted;\r\n protocol="application/pgp-encrypted"; boundary="${b}"\r\n\r\n`),
    crlf(`This is an OpenPGP/MIME encrypted message (RFC 3156).\r\n--${b}\r\n`),
    crlf('Content-Type: application/pgp-encrypted\r\nContent-Description: PGP/MIME version identification\r\n\r\nVersion: 1\r\n'),
    crlf(`\r\n--${b}\r\nContent-Type: application/octet-stream; name="encrypted.asc"\r\nContent-Description: OpenPGP encrypted message\r\nContent-Disposition: inline; filename="encrypted.asc"\r\n\r\n`),
    body,
    crlf(`\r\n--${b}--\r\n`),
  ]);
}

export type PgpKind =
  | { kind: 'pgpmime-encrypted'; armored: string }
  | { kind: 'pgpmime-signed'; signed: Buffer; signature: string }
  | { kind: 'inline-encrypted'; text: string }
  | { kind: 'inline-signed'; text: string }
  | { kind: 'none' };

const BEGIN_MESSAGE = '-----BEGIN PGP MESSAGE-----';
const BEGIN_SIGNED = '-----BEGIN PGP SIGNED MESSAGE-----';

/** The decoded text of a single-part body (7bit/8bit/binary/base64/quoted-printable). */
function bodyText(fields: HeaderField[], body: Buffer): string {
  const cte = (fields.find((f) => f.key === 'content-transfer-encoding')?.value ?? '7bit').toLowerCase();
  if (cte === 'base64') return decodeBase64Body(body).toString('utf8');
  if (cte === 'quoted-printable') {
    return Buffer.from(body.toString('latin1').replace(/=\r?\n/g, '').replace(/=([0-9A-Fa-f]{2})/g, (_m, h: string) => String.fromCharCode(parseInt(h, 16))), 'latin1').toString('utf8');
  }
  return body.toString('utf8');
}

/**
 * What kind of OpenPGP message this is (top level only; inline only for text/plain bodies). A
 * structure the MIME parser refuses (over its limits, malformed) is 'none': such a message is
 * not ours to open, and the other stages judge it.
 */
export function pgpKind(msg: Buffer): PgpKind {
  try {
    return classify(msg);
  } catch {
    return { kind: 'none' };
  }
}

function classify(msg: Buffer): PgpKind {
  const e = parseEntity(msg);
  const ct = parseContentType(e.fields.find((f) => f.key === 'content-type')?.value);
  const boundary = ct.params.get('boundary');
  const protocol = (ct.params.get('protocol') ?? '').toLowerCase();
  if (ct.mediaType === 'multipart/encrypted' && protocol === 'application/pgp-encrypted' && boundary) {
    const { parts } = findMultipartParts(e.body, boundary);
    if (parts.length < 2) return { kind: 'none' };
    const p = parseEntity(e.body.subarray(parts[1]!.start, parts[1]!.end));
    return { kind: 'pgpmime-encrypted', armored: bodyText(p.fields, p.body) };
  }
  if (ct.mediaType === 'multipart/signed' && protocol === 'application/pgp-signature' && boundary) {
    const { parts } = findMultipartParts(e.body, boundary);
    if (parts.length < 2) return { kind: 'none' };
    const s = parseEntity(e.body.subarray(parts[1]!.start, parts[1]!.end));
    return { kind: 'pgpmime-signed', signed: e.body.subarray(parts[0]!.start, parts[0]!.end), signature: bodyText(s.fields, s.body) };
  }
  if (ct.mediaType === 'text/plain') {
    const text = bodyText(e.fields, e.body);
    if (text.includes(BEGIN_MESSAGE)) return { kind: 'inline-encrypted', text };
    if (text.includes(BEGIN_SIGNED)) return { kind: 'inline-signed', text };
  }
  return { kind: 'none' };
}

/** The armored block starting with `begin` in `text` (through its END line). */
export function armoredBlock(text: string, kind: 'MESSAGE' | 'SIGNED MESSAGE'): { start: number; end: number; block: string } | undefined {
  const begin = `-----BEGIN PGP ${kind}-----`;
  const endMark = kind === 'MESSAGE' ? '-----END PGP MESSAGE-----' : '-----END PGP SIGNATURE-----';
  const start = text.indexOf(begin);
  if (start < 0) return undefined;
  const e = text.indexOf(endMark, start);
  if (e < 0) return undefined;
  const end = e + endMark.length;
  return { start, end, block: text.slice(start, end) };
}
