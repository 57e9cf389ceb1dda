// SMTP DATA transparency (RFC 5321 4.5.2) over Buffers. Pure, no I/O.
// Trust level: handles message bytes; never inspects or rewrites anything but the leading dots.
// Hand-written because it is ten lines and must be byte-exact and fast: Buffer.indexOf finds each
// '\r\n.' in native code, and the body is copied only when there is something to stuff.

const CRLF_DOT = Buffer.from('\r\n.');
const DOT = Buffer.from('.');
const END_AFTER_CRLF = Buffer.from('.\r\n');
const END_NO_CRLF = Buffer.from('\r\n.\r\n');

/**
 * The wire form of `body` for DATA, terminator included, as a list of Buffers (slices of `body`
 * where possible). A body that does not end in CRLF gets one before the final '.'.
 */
export function dotStuff(body: Buffer): Buffer[] {
  const parts: Buffer[] = [];
  let start = 0;
  if (body.length > 0 && body[0] === 0x2e) {
    parts.push(DOT);
  }
  let i = body.indexOf(CRLF_DOT);
  while (i >= 0) {
    // Keep '\r\n.' and add one more '.': the line then starts with '..'.
    parts.push(body.subarray(start, i + 3), DOT);
    start = i + 3;
    i = body.indexOf(CRLF_DOT, start);
  }
  if (start < body.length) parts.push(start === 0 ? body : body.subarray(start));
  const endsCrlf = body.length === 0 || (body.length >= 2 && body[body.length - 2] === 0x0d && body[body.length - 1] === 0x0a);
  parts.push(endsCrlf ? END_AFTER_CRLF : END_NO_CRLF);
  return parts;
}

/** `dotStuff` as one Buffer (one write, one copy). */
export function dotStuffed(body: Buffer): Buffer {
  return Buffer.concat(dotStuff(body));
}
