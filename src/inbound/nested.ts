// Encrypted entities inside a message that is not itself encrypted. A mailing list or a partner's
// outbound relay that appends a disclaimer turns an encrypted message into multipart/mixed
// [encrypted entity, text/plain footer]; this module finds such entities (bounded by named
// limits) and puts decrypted entities in their place, keeping every other byte as received.
// Used by both inbound stages (S/MIME: src/inbound/decrypt-stage.ts, OpenPGP:
// src/openpgp/inbound-stage.ts), which do the decryption through the opener they pass to
// openNestedParts. Pure: bytes in, bytes out; no I/O other than what that injected opener does.
// Trust level: parses untrusted messages with the shared MIME primitives (src/smime/mime-entity.ts);
// what it cannot parse it leaves alone (the stages and the scanner judge the message as received).
//
// What is searched: the parts of a top-level multipart/mixed and of multipart/mixed nested in it.
// Never entered: message/rfc822 (a forwarded message is its sender's, not ours to open),
// multipart/signed (its bytes are covered by a signature), multipart/alternative and the rest.
import { findMultipartParts, headerValue, makeBoundary, parseContentType, parseEntity, type HeaderField } from '../smime/mime-entity.js';
import { dropFields } from './headers.js';

export interface NestedLimits {
  /** Deepest multipart/mixed searched; the top-level multipart/mixed is level 1. */
  maxDepth: number;
  /** Most body parts looked at in one message (all levels together). */
  maxParts: number;
}

export const NESTED_LIMITS: Readonly<NestedLimits> = Object.freeze({ maxDepth: 3, maxParts: 100 });

/** One body part of the searched tree. */
export interface PartView {
  /** IMAP-style part number (RFC 3501 §6.4.5): "2", "1.1". */
  path: string;
  fields: HeaderField[];
  /** "type/subtype", lower case. */
  mediaType: string;
  params: Map<string, string>;
  /** Content-Disposition type, lower case ('' when the field is absent). */
  disposition: string;
  /** The file name (Content-Disposition filename, else Content-Type name), lower case; absent when none. */
  filename?: string;
  /** The part's exact bytes: header section, blank line, body. */
  entity: Buffer;
}

export interface NestedSearch {
  /** Parts the selector chose, in message order. */
  found: PartView[];
  /** Numbers of the other leaf parts (kept as received: an appended footer, attachments, forwarded messages). */
  others: string[];
  /** What the limits or an unparsable container kept from being searched, in words. */
  unsearched: string[];
}

/**
 * The selected parts of a message whose top level is multipart/mixed; undefined for any other
 * message (including one the MIME parser refuses: nothing to search, it stays as received).
 * Parts beyond the limits are not looked at and stay as received; `unsearched` says so.
 */
export function findNestedParts(msg: Buffer, select: (p: PartView) => boolean, limits: NestedLimits = NESTED_LIMITS): NestedSearch | undefined {
  let top;
  try {
    top = parseEntity(msg);
  } catch {
    return undefined;
  }
  const ct = parseContentType(headerValue(top.fields, 'content-type'));
  if (ct.mediaType !== 'multipart/mixed') return undefined;
  const out: NestedSearch = { found: [], others: [], unsearched: [] };
  let seen = 0;
  const walk = (body: Buffer, boundary: string | undefined, prefix: string, depth: number): boolean => {
    const where = prefix ? `part ${prefix}` : 'the message';
    const parts = mixedParts(body, boundary);
    if (!parts) {
      out.unsearched.push(`${where}: multipart/mixed without a usable boundary or closing delimiter`);
      return true;
    }
    for (const [i, range] of parts.entries()) {
      const path = prefix ? `${prefix}.${i + 1}` : `${i + 1}`;
      if (++seen > limits.maxParts) {
        out.unsearched.push(`more than ${limits.maxParts} parts: part ${path} and after`);
        return false;
      }
      const view = partView(body.subarray(range.start, range.end), path);
      if (!view) out.others.push(path);
      else if (view.mediaType === 'multipart/mixed') {
        if (depth >= limits.maxDepth) out.unsearched.push(`part ${path}: multipart/mixed deeper than ${limits.maxDepth} levels`);
        else if (!walk(parseEntity(view.entity).body, view.params.get('boundary'), path, depth + 1)) return false;
      } else if (view.mediaType !== 'message/rfc822' && select(view)) out.found.push(view);
      else out.others.push(path);
    }
    return true;
  };
  walk(top.body, ct.params.get('boundary'), '', 1);
  return out;
}

/** The parts of a closed multipart body; undefined when it has no boundary, no parts or no closing delimiter. */
function mixedParts(body: Buffer, boundary: string | undefined) {
  if (!boundary) return undefined;
  try {
    const { parts, closed } = findMultipartParts(body, boundary);
    return closed && parts.length > 0 ? parts : undefined;
  } catch {
    return undefined;
  }
}

function partView(entity: Buffer, path: string): PartView | undefined {
  let e;
  try {
    e = parseEntity(entity);
  } catch {
    return undefined; // not parsable: not ours to open, kept as received
  }
  const ct = parseContentType(headerValue(e.fields, 'content-type'));
  const cd = headerValue(e.fields, 'content-disposition');
  const disp = cd === undefined ? undefined : parseContentType(cd);
  const filename = (disp?.params.get('filename') ?? ct.params.get('name'))?.toLowerCase();
  return { path, fields: e.fields, mediaType: ct.mediaType, params: ct.params, disposition: disp?.mediaType ?? '', ...(filename ? { filename } : {}), entity };
}

/**
 * An S/MIME encrypted message entity as mail clients write it (RFC 8551 §3.2): application/pkcs7-mime
 * (or x-pkcs7-mime, or application/octet-stream named smime.p7m), with no file name or the file
 * name smime.p7m, whatever its Content-Disposition. A .p7m under any other name is an attached
 * file (someone's encrypted document), not ours to open. The DER decides whether it is encrypted.
 */
export function isSmimePart(p: PartView): boolean {
  const named = p.filename === undefined || p.filename === 'smime.p7m';
  const type = p.mediaType === 'application/pkcs7-mime' || p.mediaType === 'application/x-pkcs7-mime' || (p.mediaType === 'application/octet-stream' && p.filename === 'smime.p7m');
  return type && named;
}

/**
 * An OpenPGP encrypted entity: PGP/MIME multipart/encrypted (RFC 3156 §4), or a text/plain part
 * shown inline (no file name, not Content-Disposition: attachment) that may carry an armored
 * message. An attached .asc/.pgp/.gpg file is not opened. The armor decides for the text part.
 */
export function isPgpPart(p: PartView): boolean {
  if (p.mediaType === 'multipart/encrypted') return (p.params.get('protocol') ?? '').toLowerCase() === 'application/pgp-encrypted';
  return p.mediaType === 'text/plain' && p.filename === undefined && p.disposition !== 'attachment';
}

/**
 * A decrypted result as a body part: a header-protected message (RFC 8551 §3.1) becomes a
 * message/rfc822 part, so its own From/Subject stay its own; an entity loses the MIME-Version field
 * that only belongs at the top of a message.
 */
export function asBodyPart(decrypted: Buffer, wholeMessage: boolean): Buffer {
  if (wholeMessage) return Buffer.concat([Buffer.from('Content-Type: message/rfc822\r\n\r\n', 'latin1'), decrypted]);
  return dropFields(decrypted, (f) => f.name === 'mime-version');
}

/**
 * `msg` with the parts named in `replacements` (IMAP-style numbers from findNestedParts) replaced by
 * the given entities. Every other byte stays as received: preamble, epilogue, delimiter lines,
 * the other parts and the header. Only when a new entity contains the boundary of a multipart
 * around it is that multipart given a fresh boundary (its Content-Type field and delimiter lines
 * rewritten; the preamble and epilogue kept), so the result is always valid MIME.
 */
export function replaceParts(msg: Buffer, replacements: ReadonlyMap<string, Buffer>): Buffer {
  return replaceIn(msg, replacements, '');
}

function replaceIn(entity: Buffer, replacements: ReadonlyMap<string, Buffer>, prefix: string): Buffer {
  const e = parseEntity(entity);
  const ct = parseContentType(headerValue(e.fields, 'content-type'));
  const boundary = ct.params.get('boundary');
  const parts = mixedParts(e.body, boundary);
  if (!parts || !boundary) return entity;
  let changed = false;
  const contents = parts.map((r, i) => {
    const path = prefix ? `${prefix}.${i + 1}` : `${i + 1}`;
    const own = e.body.subarray(r.start, r.end);
    const repl = replacements.get(path) ?? ([...replacements.keys()].some((k) => k.startsWith(`${path}.`)) ? replaceIn(own, replacements, path) : own);
    if (repl !== own) changed = true;
    return repl;
  });
  if (!changed) return entity;
  const head = entity.subarray(0, e.body.byteOffset - entity.byteOffset);
  const dash = Buffer.from(`--${boundary}`, 'latin1');
  if (!contents.some((c, i) => c !== e.body.subarray(parts[i]!.start, parts[i]!.end) && c.indexOf(dash) >= 0)) {
    // The usual case: splice the new entities between the delimiter lines as received.
    const pieces: Buffer[] = [head];
    let at = 0;
    parts.forEach((r, i) => {
      pieces.push(e.body.subarray(at, r.start), contents[i]!);
      at = r.end;
    });
    pieces.push(e.body.subarray(at));
    return Buffer.concat(pieces);
  }
  // A decrypted entity contains our delimiter: a fresh boundary for this multipart.
  const fresh = makeBoundary(Buffer.concat([head, e.body, ...contents]));
  const preamble = e.body.subarray(0, e.body.lastIndexOf(dash, parts[0]!.start));
  const last = parts[parts.length - 1]!;
  const closeAt = e.body.indexOf(Buffer.from(`--${boundary}--`, 'latin1'), last.end);
  const epilogue = e.body.subarray(closeAt + dash.length + 2);
  const fields = e.fields.map((f) => (f.key === 'content-type' ? Buffer.from(`${f.name}: multipart/mixed; boundary="${fresh}"\r\n`, 'latin1') : f.raw));
  const blank = head.subarray(e.header.length); // the empty line that ends the header
  const pieces: Buffer[] = [...fields, blank, preamble];
  contents.forEach((c) => pieces.push(Buffer.from(`--${fresh}\r\n`, 'latin1'), c, Buffer.from('\r\n', 'latin1')));
  pieces.push(Buffer.from(`--${fresh}--`, 'latin1'), epilogue);
  return Buffer.concat(pieces);
}

/** Part numbers in message order ("2" before "10", "1.2" before "2"). */
export function sortParts(paths: string[]): string[] {
  const key = (p: string) => p.split('.').map(Number);
  return [...paths].sort((a, b) => {
    const x = key(a);
    const y = key(b);
    for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return x[i]! - y[i]!;
    return x.length - y.length;
  });
}

/** "1", "1 and 2", "1, 2 and 3". */
function partList(paths: string[]): string {
  return paths.length <= 1 ? (paths[0] ?? '') : `${paths.slice(0, -1).join(', ')} and ${paths[paths.length - 1]}`;
}

/**
 * The X-Sealgate-Decryption field (CRLF-terminated) for a message of which only some parts were
 * encrypted: which parts we decrypted, and that the others (the appended footer) were not
 * protected on the way.
 */
export function partialDecryptionField(name: string, method: 'S/MIME' | 'OpenPGP', decrypted: string[], others: string[]): string {
  const dec = `${decrypted.length > 1 ? 'parts' : 'part'} ${partList(decrypted)} ${decrypted.length > 1 ? 'were' : 'was'} encrypted (${method}) and ${decrypted.length > 1 ? 'are' : 'is'} decrypted`;
  const rest = others.length ? `; ${others.length > 1 ? 'parts' : 'part'} ${partList(others)} ${others.length > 1 ? 'were' : 'was'} not encrypted` : '';
  return `${name}: partial;\r\n ${dec}${rest}\r\n`;
}

/** What a stage makes of one candidate part: its decrypted entity, a hold reason, or undefined (not encrypted after all: left as received). */
export type PartOpener<R> = (p: PartView) => Promise<{ entity: Buffer; reports: R[]; layers: number; removedForged: number } | { hold: string } | undefined>;

/** Which parts were decrypted and which were not encrypted (the appended footer), as IMAP part numbers. */
export interface PartialDecryption {
  decrypted: string[];
  others: string[];
}

export type NestedOutcome<R> =
  | { hold: string }
  | { body: Buffer; reports: R[]; layers: number; removedForged: number; partial: PartialDecryption };

/**
 * The shared driver of both stages: finds the candidate parts, lets `open` decrypt each (the
 * stage's own whole-message logic), and puts the results in place. Any hold holds the whole
 * message (no partial delivery), its reason naming the part; each report is labelled with the
 * part its signature covers. Undefined when nothing was opened (the message stays as received).
 */
export async function openNestedParts<R extends { reason: string; part?: string }>(
  msg: Buffer,
  select: (p: PartView) => boolean,
  limits: NestedLimits,
  open: PartOpener<R>,
): Promise<NestedOutcome<R> | undefined> {
  const search = findNestedParts(msg, select, limits);
  if (!search || search.found.length === 0) return undefined;
  const replacements = new Map<string, Buffer>();
  const reports: R[] = [];
  const others = [...search.others];
  let layers = 0;
  let removedForged = 0;
  for (const p of search.found) {
    const r = await open(p);
    if (r === undefined) {
      others.push(p.path);
      continue;
    }
    if ('hold' in r) return { hold: partReason(r.hold, p.path) };
    replacements.set(p.path, r.entity);
    reports.push(...r.reports.map((x) => ({ ...x, part: p.path, reason: `part ${p.path} only: ${x.reason}` })));
    layers += r.layers;
    removedForged += r.removedForged;
  }
  if (replacements.size === 0) return undefined;
  return { body: replaceParts(msg, replacements), reports, layers, removedForged, partial: { decrypted: [...replacements.keys()], others: sortParts(others) } };
}

/** A hold reason of a stage, naming the part: "inbound-smime: part 1: cannot decrypt: ...". */
export function partReason(reason: string, path: string): string {
  const m = /^([a-z-]+): /.exec(reason);
  return m ? `${m[1]}: part ${path}: ${reason.slice(m[0].length)}` : `part ${path}: ${reason}`;
}
