// Text extraction for the policy engine: walks a message's MIME tree and returns every readable
// piece of text with where it came from (subject, body, attachment NAME, forwarded message).
// Trust level: untrusted message bytes; pure (bytes in, values out), bounded by ExtractLimits;
// never throws on malformed input and never logs content. What it could not read (depth, budget,
// encrypted archives, unknown binary types) is listed in `uninspected` so the caller can decide.
import { isAscii } from 'node:buffer';
import { type ExtractLimits, validateExtractLimits } from './limits.js';
import {
  type HeaderField,
  decodeBase64,
  decodeCharset,
  decodeHeaderText,
  decodeQuotedPrintableText,
  decodeTransfer,
  decodeTransferLatin1,
  headerValue,
  isJsSpace,
  parseHead,
  parseStructured,
  splitMultipart,
} from './mime.js';
import { htmlTextDraft, htmlTextTidy, htmlToText } from './html.js';
import { rtfToText } from './rtf.js';
import { pdfToText } from './pdf.js';
import { type InflateBudget, ZipError, listZip, looksLikeZip, readZipEntry } from './zip.js';
import { officeKind, officeToText } from './office.js';

export type UnitKind = 'subject' | 'body' | 'attachment' | 'forwarded';

export interface TextUnit {
  /** Human-readable location, e.g. 'subject', 'body', 'attachment labs.csv', 'forwarded message'. */
  where: string;
  kind: UnitKind;
  text: string;
  /** Rows and columns (CSV, spreadsheet): each line is one record. */
  tabular: boolean;
  /** True for text inside a forwarded or attached message. */
  forwarded: boolean;
}

export interface Correspondent {
  field: 'from' | 'to' | 'cc' | 'reply-to';
  name: string;
  address: string;
}

export interface Extraction {
  units: TextUnit[];
  /** Correspondents of the top-level message (display names decoded). */
  correspondents: Correspondent[];
  /** List-Unsubscribe / List-Id / Precedence: bulk on the top-level message. */
  bulk: boolean;
  /** Parts not inspected and why (no content, only structure). */
  uninspected: string[];
}

interface Ctx {
  limits: ExtractLimits;
  budget: InflateBudget;
  units: TextUnit[];
  uninspected: string[];
  parts: number;
  chars: number;
  /** HTML body units still holding their draft text, whose length is not in chars yet (see addHtmlUnit). */
  lazy: TextUnit[];
  /** Sum of the draft lengths in lazy: at least the length their texts will add to chars. */
  lazyChars: number;
}

const TEXT_EXT = /\.(txt|text|csv|tsv|log|md|hl7|json|xml|ics|vcf|htm|html|rtf|eml|msg)$/i;

function safeName(name: string): string {
  // location labels: keep them short and single-line
  return name.replace(/[\r\n\t]+/g, ' ').slice(0, 80);
}

/** The text to store for a unit (line ends normalised, cut at the text limit), or undefined for none. */
function admitText(ctx: Ctx, where: string, text: string): string | undefined {
  if (ctx.lazy.length > 0) settleLazy(ctx);
  if (!text) return undefined;
  text = unixLineEnds(text);
  const room = ctx.limits.maxTextChars - ctx.chars;
  if (room <= 0) {
    ctx.uninspected.push(`${where}: text limit reached`);
    return undefined;
  }
  if (text.length > room) {
    text = text.slice(0, room);
    ctx.uninspected.push(`${where}: truncated at text limit`);
  }
  ctx.chars += text.length;
  return text;
}

/** CR LF and lone CR as LF. */
function unixLineEnds(text: string): string {
  // One /\r\n?/ pass: a plain /\r\n/ pass is faster, but then finding out that no lone CR is left
  // reads the whole result (about a third of the pass); unlike replaceAll, a regex replace leaves
  // a flat string for the character loops downstream
  return text.includes('\r') ? text.replace(/\r\n?/g, '\n') : text;
}

/**
 * addUnit(ctx, where, kind, false, forwarded, htmlToText(html)) for an HTML body, without the
 * whitespace passes of htmlToText until their result is needed: a multipart/alternative HTML
 * copy is usually dropped as a duplicate of the plain text, which compares equal up to
 * whitespace runs with the draft just as with the text. Deferred only when the unit is certain
 * to be admitted whole (the draft is no shorter than the text, so it fits in the room left even if
 * every deferred text were as long as its draft); its text and its length in ctx.chars are settled
 * before the next unit is admitted (settleLazy), and at the end for units that were kept.
 */
function addHtmlUnit(ctx: Ctx, where: string, kind: UnitKind, forwarded: boolean, html: string): void {
  const draft = htmlTextDraft(html);
  if (draft.length <= ctx.limits.maxTextChars - ctx.chars - ctx.lazyChars) {
    if (!/\S/.test(draft)) return; // the text would be empty: admitText adds no unit
    const u: TextUnit = { where, kind, tabular: false, forwarded, text: draft };
    ctx.units.push(u);
    ctx.lazy.push(u);
    ctx.lazyChars += draft.length;
    return;
  }
  addUnit(ctx, where, kind, false, forwarded, htmlTextTidy(draft));
}

/** The admitted text of a deferred HTML unit (as admitText, which cannot truncate it). */
function settledHtmlText(draft: string): string {
  return unixLineEnds(htmlTextTidy(draft));
}

/** Give the deferred HTML units their texts and count them in ctx.chars. */
function settleLazy(ctx: Ctx): void {
  for (const u of ctx.lazy) {
    u.text = settledHtmlText(u.text);
    ctx.chars += u.text.length;
  }
  ctx.lazy.length = 0;
  ctx.lazyChars = 0;
}

// Units are built as object literals in two fixed key orders instead of `{ ...u, text }`: spreading
// objects of different shapes is a slow generic copy. The orders are the ones the spread produced
// (attachment units list `forwarded` before `tabular`), since extractions are serialised as JSON.
function addUnit(ctx: Ctx, where: string, kind: UnitKind, tabular: boolean, forwarded: boolean, text: string): void {
  const t = admitText(ctx, where, text);
  if (t !== undefined) ctx.units.push({ where, kind, tabular, forwarded, text: t });
}

function addAttachmentUnit(ctx: Ctx, where: string, forwarded: boolean, tabular: boolean, text: string): void {
  const t = admitText(ctx, where, text);
  if (t !== undefined) ctx.units.push({ where, kind: 'attachment', forwarded, tabular, text: t });
}

/** Append the addresses of one header field to out. */
function parseAddressList(out: Correspondent[], raw: string | undefined, field: Correspondent['field']): void {
  if (!raw) return;
  const text = decodeHeaderText(raw);
  const n = Math.min(text.length, 16384);
  // most fields hold one address and no comma: nothing to split (the loop below would only reach
  // the final addAddress, with the same slice)
  const comma = text.indexOf(',');
  if (comma < 0 || comma >= n) {
    addAddress(out, n === text.length ? text : text.slice(0, n), field);
    return;
  }
  // split on commas outside quotes and angle brackets
  let q = false;
  let a = 0;
  let from = 0;
  for (let i = 0; i < n; i++) {
    const ch = text.charCodeAt(i);
    if (ch === 34) q = !q;
    else if (ch === 60 && !q) a++;
    else if (ch === 62 && !q) a = Math.max(0, a - 1);
    else if (ch === 44 && !q && a === 0) {
      addAddress(out, text.slice(from, i), field);
      from = i + 1;
    }
  }
  addAddress(out, text.slice(from, n), field);
}

function addAddress(out: Correspondent[], it: string, field: Correspondent['field']): void {
  const m = angleAddress(it);
  if (m) out.push({ field, name: unquoteName(m[0]).trim(), address: m[1].trim() });
  else {
    const address = it.trim();
    if (address) out.push({ field, name: '', address });
  }
}

function isLineTerminator(c: number): boolean {
  return c === 10 || c === 13 || c === 0x2028 || c === 0x2029;
}

/**
 * `/^\s*(.*?)\s*<([^>]*)>\s*$/.exec(t)` groups 1 and 2 by hand (this ran for every address of
 * every message). The match: t ends, after blanks, with '>'; the address starts after the first '<'
 * that has no '>' between it and that final '>'; the name is what precedes that '<', without the
 * blanks around it, and (like `.`) may not contain a line break.
 */
function angleAddress(t: string): [string, string] | undefined {
  let e = t.length;
  while (e > 0 && isJsSpace(t.charCodeAt(e - 1))) e--;
  if (e < 2 || t.charCodeAt(e - 1) !== 62 /* > */) return undefined;
  const lt = t.indexOf('<', t.lastIndexOf('>', e - 2) + 1);
  if (lt < 0 || lt >= e - 1) return undefined;
  let s0 = 0;
  while (isJsSpace(t.charCodeAt(s0))) s0++; // stops at '<' at the latest
  let q = lt;
  while (q > s0 && isJsSpace(t.charCodeAt(q - 1))) q--;
  for (let k = s0; k < q; k++) if (isLineTerminator(t.charCodeAt(k))) return undefined;
  return [t.slice(s0, q), t.slice(lt + 1, e - 1)];
}

/** `name.replace(/^"|"$/g, '')`: one leading and one trailing double quote removed. */
function unquoteName(name: string): string {
  let a = 0;
  let b = name.length;
  if (b > 0 && name.charCodeAt(0) === 34) a = 1;
  if (b > a && name.charCodeAt(b - 1) === 34) b--;
  return a === 0 && b === name.length ? name : name.slice(a, b);
}

function looksTextual(buf: Buffer): boolean {
  const n = Math.min(buf.length, 4096);
  if (n === 0) return false;
  let bad = 0;
  for (let i = 0; i < n; i++) {
    const c = buf[i]!;
    if (c === 0) return false;
    if (c < 9 || (c > 13 && c < 32)) bad++;
  }
  return bad / n < 0.02;
}

/** Text from a decoded attachment body by type/extension/sniffing; may recurse into archives. */
function attachmentText(ctx: Ctx, data: Buffer, ctype: string, charset: string | undefined, where: string, forwarded: boolean, depth: number, archiveDepth: number): void {
  const name = where.toLowerCase();
  if (ctype === 'message/rfc822' || ctype === 'message/global' || /\.eml$/.test(name)) {
    walkMessage(ctx, data.toString('latin1'), data, depth + 1, true, `${where}`);
    return;
  }
  if (ctype === 'application/pdf' || /\.pdf$/.test(name) || startsWithAscii(data, '%PDF-')) {
    const r = pdfToText(data, ctx.budget, ctx.limits.maxPdfStreams);
    if (r.incomplete) ctx.uninspected.push(`${where}: PDF not fully readable`);
    addAttachmentUnit(ctx, where, forwarded, false, r.text);
    return;
  }
  if (looksLikeZip(data)) {
    if (archiveDepth >= ctx.limits.maxArchiveDepth) {
      ctx.uninspected.push(`${where}: archive nesting deeper than ${ctx.limits.maxArchiveDepth}`);
      return;
    }
    let entries;
    try {
      entries = listZip(data, ctx.limits.maxArchiveEntries);
    } catch (e) {
      ctx.uninspected.push(`${where}: unreadable archive (${e instanceof ZipError ? e.message : 'error'})`);
      return;
    }
    if (officeKind(entries)) {
      try {
        const t = officeToText(data, ctx.budget, ctx.limits.maxArchiveEntries) ?? '';
        addAttachmentUnit(ctx, where, forwarded, /\.(xlsx|ods)$/.test(name) || officeKind(entries) === 'xlsx', t);
      } catch {
        ctx.uninspected.push(`${where}: unreadable document`);
      }
      if (ctx.budget.exhausted) ctx.uninspected.push(`${where}: inflate limit reached`);
      return;
    }
    for (const e of entries) {
      if (e.name.endsWith('/')) continue;
      const inner = readZipEntry(data, e, ctx.budget);
      if (!inner) {
        ctx.uninspected.push(`${where}: entry not read (encrypted, unsupported or over the inflate limit)`);
        if (ctx.budget.left <= 0) break;
        continue;
      }
      attachmentText(ctx, inner, guessType(e.name), undefined, `${where}/${safeName(e.name)}`, forwarded, depth, archiveDepth + 1);
    }
    return;
  }
  if (ctype === 'text/html' || /\.html?$/.test(name)) {
    addAttachmentUnit(ctx, where, forwarded, false, htmlToText(decodeCharset(data, charset)));
    return;
  }
  if (ctype === 'text/rtf' || ctype === 'application/rtf' || /\.rtf$/.test(name) || startsWithAscii(data, '{\\rtf')) {
    addAttachmentUnit(ctx, where, forwarded, false, rtfToText(data.toString('latin1')));
    return;
  }
  const tabular = /csv|tab-separated/.test(ctype) || /\.(csv|tsv)$/.test(name);
  if (ctype.startsWith('text/') || TEXT_EXT.test(name) || (!/^(image|audio|video|font)\//.test(ctype) && looksTextual(data))) {
    addAttachmentUnit(ctx, where, forwarded, tabular, decodeCharset(data, charset));
    return;
  }
  if (!/^(image|audio|video|font)\//.test(ctype)) ctx.uninspected.push(`${where}: binary content (${ctype}) not inspected`);
}

/** data.subarray(0, p.length).toString('latin1') === p for an ASCII p, without a Buffer view and a string. */
function startsWithAscii(data: Buffer, p: string): boolean {
  if (data.length < p.length) return false;
  for (let k = 0; k < p.length; k++) if (data[k] !== p.charCodeAt(k)) return false;
  return true;
}

function guessType(name: string): string {
  const n = name.toLowerCase();
  if (n.endsWith('.pdf')) return 'application/pdf';
  if (n.endsWith('.csv')) return 'text/csv';
  if (n.endsWith('.html') || n.endsWith('.htm')) return 'text/html';
  if (n.endsWith('.txt')) return 'text/plain';
  if (n.endsWith('.eml')) return 'message/rfc822';
  return 'application/octet-stream';
}

function walkEntity(ctx: Ctx, s: string, bytes: Buffer | undefined, start: number, end: number, depth: number, forwarded: boolean, defaultType: string, label: string): void {
  if (++ctx.parts > ctx.limits.maxParts) {
    if (ctx.parts === ctx.limits.maxParts + 1) ctx.uninspected.push(`more than ${ctx.limits.maxParts} MIME parts`);
    return;
  }
  if (depth > ctx.limits.maxMimeDepth) {
    ctx.uninspected.push(`MIME nesting deeper than ${ctx.limits.maxMimeDepth}`);
    return;
  }
  const head = parseHead(s, start, end, ctx.limits.maxHeaderBytes);
  entityBody(ctx, s, bytes, head.fields, head.bodyStart, end, depth, forwarded, defaultType, label);
}

function entityBody(ctx: Ctx, s: string, bytes: Buffer | undefined, fields: HeaderField[], bodyStart: number, end: number, depth: number, forwarded: boolean, defaultType: string, label: string): void {
  const ct = parseStructured(headerValue(fields, 'content-type'), defaultType);
  let type = ct.type.includes('/') ? ct.type : defaultType;
  const cte = (headerValue(fields, 'content-transfer-encoding') ?? '7bit').trim().toLowerCase();
  const dispRaw = headerValue(fields, 'content-disposition'); // (most parts have none: nothing to parse)
  const disp = dispRaw ? parseStructured(dispRaw, 'inline') : undefined;
  const filename = disp?.params['filename'] ?? ct.params['name'];
  const isAttachment = disp?.type === 'attachment' || (filename !== undefined && filename !== '');

  if (type.startsWith('multipart/')) {
    const boundary = ct.params['boundary'];
    const childDefault = type === 'multipart/digest' ? 'message/rfc822' : 'text/plain';
    if (boundary) {
      const parts = splitMultipart(s, bodyStart, end, boundary, ctx.limits.maxParts);
      if (parts.length > 0) {
        const before = ctx.units.length;
        for (let k = 0; k < parts.length; k++) walkEntity(ctx, s, bytes, parts[k]![0], parts[k]![1], depth + 1, forwarded, childDefault, label);
        if (type === 'multipart/alternative') dropDuplicateAlternatives(ctx, before);
        return;
      }
    }
    type = 'text/plain'; // no usable boundary: read it as text so nothing escapes inspection
  }
  // bytes, when known, are the bytes s is the latin1 view of: an identity transfer encoding
  // (7bit, 8bit, binary, unknown) then needs neither a Buffer copy of the body nor, for ASCII, a decode
  const identity = bytes !== undefined && cte !== 'base64' && cte !== 'quoted-printable';
  if (type === 'message/rfc822' || type === 'message/global') {
    if (identity) walkMessage(ctx, s.slice(bodyStart, end), bytes.subarray(bodyStart, end), depth + 1, true, label);
    else if (cte === 'base64') {
      const inner = decodeBase64(s.slice(bodyStart, end));
      walkMessage(ctx, inner.toString('latin1'), inner, depth + 1, true, label);
    } else walkMessage(ctx, decodeTransferLatin1(s.slice(bodyStart, end), cte), undefined, depth + 1, true, label);
    return;
  }
  const charset = ct.params['charset'];
  if (isAttachment || !(type.startsWith('text/') || type === 'message/delivery-status')) {
    const name = filename ? safeName(filename) : type;
    const where = forwarded ? `attachment ${name} in forwarded message` : `attachment ${name}`;
    const data = identity ? bytes.subarray(bodyStart, end) : decodeTransfer(s.slice(bodyStart, end), cte);
    attachmentText(ctx, data, type, charset, where, forwarded, depth, 0);
    return;
  }
  const where = forwarded ? 'forwarded message' : 'body';
  const kind: UnitKind = forwarded ? 'forwarded' : 'body';
  if (type === 'text/rtf') addUnit(ctx, where, kind, false, forwarded, rtfToText(decodeTransferLatin1(s.slice(bodyStart, end), cte)));
  else {
    const text = bodyText(s, bytes, bodyStart, end, cte, charset);
    if (type === 'text/html') addHtmlUnit(ctx, where, kind, forwarded, text);
    else if (type === 'text/richtext' || type === 'text/enriched') addUnit(ctx, where, kind, false, forwarded, text.replace(/<[^>]*>/g, ''));
    else addUnit(ctx, where, kind, /csv|tab-separated/.test(type), forwarded, text);
  }
}

/**
 * decodeCharset(decodeTransfer(s.slice(a, b), cte), charset), taking the short cuts that bytes
 * (the bytes s is the latin1 view of, when known) allow: quoted-printable decoded straight to text
 * when simple, and identity encodings read in place (ASCII decodes to its own latin1 view).
 */
function bodyText(s: string, bytes: Buffer | undefined, a: number, b: number, cte: string, charset: string | undefined): string {
  if (bytes !== undefined && cte === 'quoted-printable') {
    const t = decodeQuotedPrintableText(s.slice(a, b), charset, isAscii(bytes.subarray(a, b)));
    if (t !== undefined) return t;
  }
  if (bytes === undefined || cte === 'base64' || cte === 'quoted-printable') return decodeCharset(decodeTransfer(s.slice(a, b), cte), charset);
  const view = bytes.subarray(a, b);
  return isAscii(view) ? s.slice(a, b) : decodeCharset(view, charset);
}

/**
 * The alternatives of multipart/alternative usually carry the same text (plain and HTML). Score it
 * once: a unit whose whitespace-normalised text equals an earlier alternative's is dropped. Any
 * difference (hidden HTML text, different content) keeps both, so nothing escapes inspection.
 * Alternatives that differ only in reply quotation marks and table pipes (sameAlternativeText)
 * are scored once too, as the one with fewer such marks: "6.8 | %" in a plain-text table hides a
 * value's unit that the HTML table's cells keep next to it.
 */
function dropDuplicateAlternatives(ctx: Ctx, from: number): void {
  if (ctx.units.length - from < 2) return; // one alternative with text: nothing to compare
  // compacted in place: alternatives are few, so a plain double loop beats slice/some/splice
  const units = ctx.units;
  let n = from;
  for (let i = from; i < units.length; i++) {
    const u = units[i]!;
    let dup = false;
    for (let k = from; k < n && !dup; k++) {
      const same = units[k]!.kind === u.kind ? sameAlternativeText(units[k]!.text, u.text) : 0;
      if (same === 2 && marks(u.text) < marks(units[k]!.text)) units[k] = u;
      dup = same !== 0;
    }
    if (!dup) units[n++] = u;
  }
  units.length = n;
}

const QUOTE_MARKS = /^[ \t]*>[> \t]*/gm;

/**
 * The runs of reply quotation marks in a: at each line start, blanks then '>' and any more '>' and
 * blanks (the matches of QUOTE_MARKS, found by jumping between line breaks: the pattern was tried
 * at every character), as [start, end, ...]. None without a '>' at all.
 */
function quoteMarkRuns(a: string): number[] {
  const runs: number[] = [];
  if (!a.includes('>')) return runs;
  if (a.includes('\r') || a.includes('\u2028') || a.includes('\u2029')) {
    // other line terminators also start a line for the pattern: let it find them
    for (const m of a.matchAll(QUOTE_MARKS)) runs.push(m.index, m.index + m[0].length);
    return runs;
  }
  for (let ls = 0; ls <= a.length; ) {
    let i = ls;
    while (i < a.length && (a.charCodeAt(i) === 32 || a.charCodeAt(i) === 9)) i++;
    if (i < a.length && a.charCodeAt(i) === 62) {
      let e = i + 1;
      for (let c = a.charCodeAt(e); e < a.length && (c === 62 || c === 32 || c === 9); c = a.charCodeAt(++e));
      runs.push(ls, e);
    }
    const nl = a.indexOf('\n', ls);
    if (nl < 0) break;
    ls = nl + 1;
  }
  return runs;
}

/** a without the quotation marks of a plain-text reply, and with its table pipes as spaces. */
function withoutMarks(a: string, quotes: readonly number[]): string {
  let out = '';
  let from = 0;
  for (let k = 0; k < quotes.length; k += 2) {
    out += a.slice(from, quotes[k]);
    from = quotes[k + 1]!;
  }
  return (from === 0 ? a : out + a.slice(from)).replaceAll('|', ' ');
}

/** How many quotation-mark runs and pipes a text has. */
function marks(a: string): number {
  return quoteMarkRuns(a).length / 2 + a.split('|').length - 1;
}

/**
 * 1 when a and b are the same text up to white space runs; 2 when they are the same up to white
 * space, the '>' marks a plain-text reply puts before quoted lines and the '|' between the cells
 * of a plain-text table (the HTML alternative shows a blockquote and a table instead); 0
 * otherwise. Only those marks are ignored, so every word of a dropped alternative is in the one
 * that is kept.
 */
export function sameAlternativeText(a: string, b: string): 0 | 1 | 2 {
  if (sameUpToSpaceRuns(a, b)) return 1;
  const qa = quoteMarkRuns(a);
  const qb = quoteMarkRuns(b);
  if (qa.length === 0 && qb.length === 0 && !a.includes('|') && !b.includes('|')) return 0;
  return sameUpToSpaceRuns(withoutMarks(a, qa), withoutMarks(b, qb)) ? 2 : 0;
}

/**
 * `a.replace(/\s+/g, ' ').trim() === b.replace(/\s+/g, ' ').trim()`, compared in place: no
 * normalised copies of two (possibly large) texts are built.
 */
export function sameUpToSpaceRuns(a: string, b: string): boolean {
  let i = 0;
  let j = 0;
  while (i < a.length && isJsSpace(a.charCodeAt(i))) i++;
  while (j < b.length && isJsSpace(b.charCodeAt(j))) j++;
  // Alternatives mostly differ only in their space runs, so at the start and after each space run
  // the rest of a's line (without its trailing blanks) is first compared with b natively. Space
  // runs inside such a chunk are bounded by the same characters in both texts,
  // hence the same; the chunk starts and ends on a non-space character, so the loop goes on from
  // the same state as after comparing it character by character. At most 8 attempts per line keep
  // this linear.
  let lineEnd = -1; // end of a's line (its '\n' or a.length) the attempts below are counted for
  let chunkEnd = -1; // lineEnd without trailing blanks
  let attempts = 0;
  let atRunEnd = true; // at the start or just after a space run
  while (i < a.length && j < b.length) {
    // fast path (most characters): the same printable ASCII character in both texts
    const ca = a.charCodeAt(i);
    if (ca > 32 && ca < 127 && ca === b.charCodeAt(j)) {
      if (atRunEnd) {
        atRunEnd = false;
        if (i > lineEnd) {
          lineEnd = a.indexOf('\n', i);
          if (lineEnd < 0) lineEnd = a.length;
          chunkEnd = lineEnd;
          while (chunkEnd > i && isJsSpace(a.charCodeAt(chunkEnd - 1))) chunkEnd--;
          attempts = 0;
        }
        if (attempts < 8 && chunkEnd - i > 8) {
          attempts++;
          // b.startsWith(chunk, j), as the equality of two slices: V8's startsWith compares
          // character by character, string equality natively (about twice as fast here)
          if (b.slice(j, j + chunkEnd - i) === a.slice(i, chunkEnd)) {
            j += chunkEnd - i;
            i = chunkEnd;
            continue;
          }
        }
      }
      i++;
      j++;
      continue;
    }
    const sa = isJsSpace(ca);
    if (sa !== isJsSpace(b.charCodeAt(j))) return false;
    if (sa) {
      while (i < a.length && isJsSpace(a.charCodeAt(i))) i++;
      while (j < b.length && isJsSpace(b.charCodeAt(j))) j++;
      // a run inside one text but trailing in the other: "x y" versus "x "
      if ((i === a.length) !== (j === b.length)) return false;
      atRunEnd = true;
      continue;
    }
    if (a.charCodeAt(i) !== b.charCodeAt(j)) return false;
    i++;
    j++;
  }
  // what is left of either text must be trailing space
  while (i < a.length && isJsSpace(a.charCodeAt(i))) i++;
  while (j < b.length && isJsSpace(b.charCodeAt(j))) j++;
  return i === a.length && j === b.length;
}

function walkMessage(ctx: Ctx, s: string, bytes: Buffer | undefined, depth: number, forwarded: boolean, label: string): HeaderField[] {
  if (depth > ctx.limits.maxMimeDepth) {
    ctx.uninspected.push(`MIME nesting deeper than ${ctx.limits.maxMimeDepth}`);
    return [];
  }
  ++ctx.parts;
  const head = parseHead(s, 0, s.length, ctx.limits.maxHeaderBytes);
  const subject = headerValue(head.fields, 'subject');
  if (subject) {
    addUnit(ctx, forwarded ? 'forwarded message subject' : 'subject', forwarded ? 'forwarded' : 'subject', false, forwarded, decodeHeaderText(subject));
  }
  if (forwarded) {
    // a forwarded message's correspondents are part of its content (the patient may be one)
    const people = ['from', 'to', 'cc']
      .map((f) => headerValue(head.fields, f))
      .filter((v): v is string => !!v)
      .map((v) => decodeHeaderText(v))
      .join('\n');
    if (people) addUnit(ctx, 'forwarded message', 'forwarded', false, forwarded, people);
  }
  entityBody(ctx, s, bytes, head.fields, head.bodyStart, s.length, depth, forwarded, 'text/plain', label);
  return head.fields;
}

/** Extract all inspectable text of a message. Never throws for malformed content. */
export function extractText(raw: Buffer, limits?: Partial<ExtractLimits>): Extraction {
  const lim = validateExtractLimits(limits);
  const ctx: Ctx = {
    limits: lim,
    budget: { left: lim.maxInflatedBytes, exhausted: false },
    units: [],
    uninspected: [],
    parts: 0,
    chars: 0,
    lazy: [],
    lazyChars: 0,
  };
  const s = raw.toString('latin1');
  const fields = walkMessage(ctx, s, raw, 0, false, 'body');
  // deferred HTML units that were not dropped get their texts (no unit is admitted after this)
  if (ctx.lazy.length > 0) for (const u of ctx.units) if (ctx.lazy.includes(u)) u.text = settledHtmlText(u.text);
  const correspondents: Correspondent[] = [];
  parseAddressList(correspondents, headerValue(fields, 'from'), 'from');
  parseAddressList(correspondents, headerValue(fields, 'to'), 'to');
  parseAddressList(correspondents, headerValue(fields, 'cc'), 'cc');
  parseAddressList(correspondents, headerValue(fields, 'reply-to'), 'reply-to');
  const prec = (headerValue(fields, 'precedence') ?? '').toLowerCase();
  const bulk = headerValue(fields, 'list-unsubscribe') !== undefined || headerValue(fields, 'list-id') !== undefined || /bulk|list|junk/.test(prec);
  // (most messages have nothing uninspected: no Set for them)
  const uninspected = ctx.uninspected.length < 2 ? ctx.uninspected : [...new Set(ctx.uninspected)];
  return { units: ctx.units, correspondents, bulk, uninspected };
}
