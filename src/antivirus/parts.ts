// MIME leaf parts for the antivirus "cleanse" action: where each leaf entity sits in the message
// (exact byte ranges, so everything not removed stays byte-identical), its transfer-decoded content
// (what clamd should see), and whether a signature covers it. Pure module, no I/O. Trust level:
// parses untrusted message bytes; bounded by named limits; throws on what it cannot parse (the
// caller then holds the message rather than guess).
//
// Builds on the S/MIME layer's byte-exact entity primitives (src/smime/mime-entity.ts) instead of
// a MIME library, because those keep input offsets; the policy engine's reader is lossy by design.
import { decodeQuotedPrintable } from '../policy/mime.js';
import { decodeBase64Body, findMultipartParts, headerValue, parseContentType, parseEntity, type HeaderField } from '../smime/mime-entity.js';

export interface PartLimits {
  /** Deepest multipart nesting walked (Postfix's MIME depth default is 100; 20 is plenty for mail). */
  maxDepth: number;
  /** Most leaf parts in one message. */
  maxLeaves: number;
}

export const PART_LIMITS: Readonly<PartLimits> = Object.freeze({ maxDepth: 20, maxLeaves: 200 });

export class PartsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PartsError';
  }
}

export interface LeafPart {
  /** Byte range of the whole entity (header section and body) in the message. */
  start: number;
  end: number;
  /** The entity is the whole message (the message is not multipart). */
  top: boolean;
  /** "type/subtype", lower case. */
  mediaType: string;
  /** Covered by a signature: inside multipart/signed, or itself opaque S/MIME signed-data. */
  signed: boolean;
  /** Attachment file name as given (untrusted; sanitise before showing). */
  filename?: string;
  /** Header fields of the entity. */
  fields: HeaderField[];
  /** The body after Content-Transfer-Encoding decoding (what a mail client would save). */
  content(): Buffer;
}

function isOpaqueSigned(mediaType: string, params: Map<string, string>): boolean {
  if (mediaType !== 'application/pkcs7-mime' && mediaType !== 'application/x-pkcs7-mime') return false;
  const t = (params.get('smime-type') ?? '').toLowerCase();
  // Without smime-type it may be either; treat as signed so the notice errs on the side of saying so.
  return t === 'signed-data' || t === '';
}

function decodeBody(body: Buffer, cte: string | undefined): Buffer {
  switch ((cte ?? '').trim().toLowerCase()) {
    case 'base64':
      try {
        return decodeBase64Body(body);
      } catch {
        return Buffer.from(body.toString('latin1'), 'base64'); // lenient: clamd still gets something close
      }
    case 'quoted-printable':
      return decodeQuotedPrintable(body.toString('latin1'));
    default:
      return body;
  }
}

/** Lists the leaf entities of a CRLF message (a non-multipart message is one leaf: itself). */
export function leafParts(msg: Buffer, limits: PartLimits = PART_LIMITS): LeafPart[] {
  const out: LeafPart[] = [];
  const walk = (buf: Buffer, base: number, depth: number, signed: boolean, top: boolean) => {
    if (depth > limits.maxDepth) throw new PartsError(`MIME nesting deeper than ${limits.maxDepth}`);
    let entity;
    try {
      entity = parseEntity(buf);
    } catch (e) {
      throw new PartsError(`unparseable MIME entity: ${(e as Error).message}`);
    }
    const ct = parseContentType(headerValue(entity.fields, 'content-type'));
    const bodyOffset = entity.body.byteOffset - buf.byteOffset;
    const boundary = ct.params.get('boundary');
    if (ct.mediaType.startsWith('multipart/') && boundary) {
      let found;
      try {
        found = findMultipartParts(entity.body, boundary);
      } catch (e) {
        throw new PartsError(`unparseable multipart body: ${(e as Error).message}`);
      }
      if (found.parts.length === 0) throw new PartsError('multipart entity without parts');
      const inSigned = signed || ct.mediaType === 'multipart/signed';
      for (const p of found.parts) walk(entity.body.subarray(p.start, p.end), base + bodyOffset + p.start, depth + 1, inSigned, false);
      return;
    }
    if (out.length >= limits.maxLeaves) throw new PartsError(`more than ${limits.maxLeaves} MIME parts`);
    const disposition = parseContentType(headerValue(entity.fields, 'content-disposition') ?? 'inline');
    const filename = disposition.params.get('filename') ?? ct.params.get('name');
    const body = entity.body;
    const cte = headerValue(entity.fields, 'content-transfer-encoding');
    out.push({
      start: base,
      end: base + buf.length,
      top,
      mediaType: ct.mediaType,
      signed: signed || isOpaqueSigned(ct.mediaType, ct.params),
      ...(filename ? { filename } : {}),
      fields: entity.fields,
      content: () => decodeBody(body, cte),
    });
  };
  walk(msg, 0, 0, false, true);
  return out;
}

/** Printable ASCII only, bounded: for names that end up in notices and logs. */
export function sanitize(s: string, max = 100): string {
  const clean = s.replace(/[^\x20-\x7e]/g, '?').trim();
  return clean.length > max ? clean.slice(0, max) + '...' : clean;
}
