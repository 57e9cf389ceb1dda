// SMTP DATA phase: recognizes the end of message data, removes dot-stuffing and enforces the
// per-message limits on the raw byte stream. Pure (bytes in, body chunks out); the session owns
// the socket and the acceptor's stream. Trust level: handles untrusted network input.
//
// Hand-written (see parser.ts for why we do not use smtp-server). Rules, in RFC 5321 terms:
// - Lines end ONLY in CRLF. A bare LF or a bare CR anywhere in the data (the SMTP smuggling
//   vectors `\n.\n`, `\n.\r\n`, `\r.\r`, `\r\n.\n`, `\r.\r\n` ...) never ends a line, never ends the
//   data, and marks the whole message for rejection (550 5.6.2) once the real <CRLF>.<CRLF> arrives.
//   Nothing after a bare line ending is ever treated as a command.
// - The data ends only at a line that is exactly "." CRLF and follows a CRLF (or is the first line).
// - A leading "." of any other line is removed (un-stuffing, §4.5.2).
// - NUL is refused (550 5.6.0): neither 7BIT nor 8BITMIME data may contain it (RFC 6152).
// - Over-limit input is drained to the end marker and then refused once; it never grows a buffer:
//     text line longer than textLineLength (CRLF included) -> 500 5.5.6 (RFC 5321 §4.5.3.1.6 names
//       "500 Line too long" as the reply for an over-long text line; we use it consistently)
//     header section (bytes up to and including the first empty line) > headerSize -> 552 5.3.4
//     un-stuffed message > messageSize -> 552 5.3.4
//     MIME nesting (multipart boundaries and message/rfc822 parts open at once) > mimeDepth -> 554 5.6.0
//     more Received: fields in the top-level header than hopCount (a mail loop) -> 554 5.4.6
//   The first breach decides the reply.
// Performance: the scan is Buffer.indexOf over whole chunks (one JS step per line, not per byte),
// and clean body bytes are handed on as subarrays of the received chunks, without copying.
import { Replies, type SmtpReply } from './reply.js';

const CR = 0x0d;
const LF = 0x0a;
const DOT = 0x2e;
const DASH = 0x2d;

export interface DataLimits {
  textLineLength: number;
  headerSize: number;
  messageSize: number;
  mimeDepth: number;
  /** More Received: fields than this in the top-level header means a mail loop. */
  hopCount?: number;
}

export interface DataFeedResult {
  /** Un-stuffed message bytes to pass on (empty once the message is refused). */
  chunks: Buffer[];
  /** The end-of-data line was seen. */
  done: boolean;
  /** Bytes received after the end-of-data line (pipelined commands); only when done. */
  rest: Buffer;
}

/** Longest header field (unfolded) we keep to look for a MIME boundary; longer ones are truncated. */
const FIELD_CAP = 4096;
/** Longest body-line prefix we keep to compare with open boundaries (boundary max is 70 chars). */
const BOUNDARY_LINE_CAP = 256;

type HeaderKind = 'top' | 'part' | 'message';

const EMPTY = Buffer.alloc(0);

export class DataReader {
  /** First limit breach or framing violation; the message must be refused with it. */
  error: SmtpReply | null = null;
  /** Un-stuffed bytes seen so far. */
  bytes = 0;
  done = false;

  private lineLen = 0; // raw bytes of the current line seen so far
  private dotLine = false; // the current line began with '.' (dropped)
  private prevCR = false; // the previous chunk ended in CR
  // Header / MIME tracking.
  private inHeader = true;
  private headerKind: HeaderKind = 'top';
  private headerBytes = 0;
  private hops = 0;
  private collect: Buffer[] | null = null; // pieces of the current line being kept (capped)
  private collectLeft = 0;
  private field: string | null = null; // current Content-Type field text (unfolded, capped)
  private contentType: string | null = null; // last complete Content-Type of this header block
  private readonly stack: (string | null)[] = []; // open boundaries; null = message/rfc822 level

  constructor(private readonly limits: DataLimits) {}

  private fail(reply: SmtpReply): void {
    if (this.error === null) this.error = reply;
  }

  /** Consume the next received chunk. Must not be called after `done`. */
  feed(chunk: Buffer): DataFeedResult {
    const out: Buffer[] = [];
    const n = chunk.length;
    if (n === 0) return { chunks: out, done: false, rest: EMPTY };
    const lim = this.limits;
    let pos = 0;
    let emitStart = 0;
    if (this.prevCR && n > 0 && chunk[0] !== LF) this.fail(Replies.bareLineEnding);
    let nextCR = chunk.indexOf(CR);
    let nextNul = chunk.indexOf(0);
    while (pos < n) {
      let contentStart = pos;
      if (this.lineLen === 0) {
        if (chunk[pos] === DOT) {
          if (pos > emitStart) out.push(chunk.subarray(emitStart, pos));
          emitStart = pos + 1;
          contentStart = pos + 1;
          this.dotLine = true;
        }
        this.startLine(chunk, contentStart);
      } else if (this.lineLen === 1 && this.dotLine && pos === 0) {
        this.startLine(chunk, 0); // the dot came at the end of the previous chunk
      }
      const lf = chunk.indexOf(LF, pos);
      const end = lf === -1 ? n : lf + 1;
      // Every CR in this segment must be followed by LF; a CR that ends the chunk is decided later.
      while (nextCR !== -1 && nextCR < end) {
        if (nextCR + 1 < n && chunk[nextCR + 1] !== LF) this.fail(Replies.bareLineEnding);
        nextCR = chunk.indexOf(CR, nextCR + 1);
      }
      if (nextNul !== -1 && nextNul < end) {
        this.fail(Replies.nulInData);
        nextNul = chunk.indexOf(0, end);
      }
      const segLen = end - pos;
      this.lineLen += segLen;
      if (this.collect !== null && this.collectLeft > 0 && end > contentStart) {
        const take = Math.min(end - contentStart, this.collectLeft);
        this.collect.push(chunk.subarray(contentStart, contentStart + take));
        this.collectLeft -= take;
      }
      if (lf === -1) {
        // Partial line: the rest arrives in a later chunk.
        this.count(segLen - (contentStart - pos));
        if (this.lineLen > lim.textLineLength) this.fail(Replies.tooLongLine);
        pos = n;
        break;
      }
      const crlf = lf > 0 ? chunk[lf - 1] === CR : this.prevCR;
      if (!crlf) {
        // Bare LF: not a line end. The line goes on (and the message is refused).
        this.fail(Replies.bareLineEnding);
        this.count(segLen - (contentStart - pos));
        if (this.lineLen > lim.textLineLength) this.fail(Replies.tooLongLine);
        pos = end;
        continue;
      }
      if (this.dotLine && this.lineLen === 3) {
        // "." CRLF after a CRLF: end of data. Its bytes are not part of the message.
        this.done = true;
        this.prevCR = false;
        return { chunks: this.error === null ? out : [], done: true, rest: end < n ? chunk.subarray(end) : EMPTY };
      }
      this.count(segLen - (contentStart - pos));
      if (this.lineLen > lim.textLineLength) this.fail(Replies.tooLongLine);
      this.endLine();
      pos = end;
    }
    this.prevCR = chunk[n - 1] === CR;
    // A partial line "." CR may still become the end marker: hold the CR back. If the next byte is
    // not LF it is a bare CR and the message is refused anyway, so the CR never needs emitting.
    const stop = this.dotLine && this.lineLen === 2 && this.prevCR ? n - 1 : n;
    if (emitStart < stop) out.push(chunk.subarray(emitStart, stop));
    return { chunks: this.error === null ? out : [], done: false, rest: EMPTY };
  }

  private count(k: number): void {
    this.bytes += k;
    if (this.bytes > this.limits.messageSize) this.fail(Replies.sizeExceeded);
    if (this.inHeader && this.headerKind === 'top') {
      this.headerBytes += k;
      if (this.headerBytes > this.limits.headerSize) this.fail(Replies.headerTooLarge);
    }
  }

  // Decide whether the line starting at chunk[at] must be kept (header lines, and body lines that
  // may be a boundary while a multipart is open).
  private startLine(chunk: Buffer, at: number): void {
    this.collect = null;
    if (this.error !== null) return;
    if (this.inHeader) {
      this.collect = [];
      this.collectLeft = FIELD_CAP;
    } else if (this.stack.length > 0 && (at >= chunk.length || chunk[at] === DASH)) {
      this.collect = [];
      this.collectLeft = BOUNDARY_LINE_CAP;
    }
  }

  private endLine(): void {
    const collected = this.collect;
    const emptyLine = this.lineLen === 2 && !this.dotLine;
    this.lineLen = 0;
    this.dotLine = false;
    this.collect = null;
    if (this.error !== null) return;
    if (this.inHeader) {
      if (emptyLine) {
        this.finishField();
        this.endHeader();
        return;
      }
      if (collected === null) return;
      const text = stripCrlf(Buffer.concat(collected).toString('latin1'));
      const c0 = text.charCodeAt(0);
      if (c0 === 0x20 || c0 === 0x09) {
        if (this.field !== null && this.field.length < FIELD_CAP) this.field = (this.field + text).slice(0, FIELD_CAP);
        return;
      }
      this.finishField();
      if (/^content-type[ \t]*:/i.test(text)) this.field = text.slice(text.indexOf(':') + 1);
      else if (this.headerKind === 'top' && this.limits.hopCount !== undefined && /^received[ \t]*:/i.test(text)) {
        if (++this.hops > this.limits.hopCount) this.fail(Replies.hopsExceeded);
      }
      return;
    }
    if (collected === null || this.stack.length === 0) return;
    const text = stripCrlf(Buffer.concat(collected).toString('latin1'));
    if (!text.startsWith('--')) return;
    for (let i = this.stack.length - 1; i >= 0; i--) {
      const b = this.stack[i];
      if (b === null || b === undefined || !text.startsWith(b, 2)) continue;
      const tail = text.slice(2 + b.length).replace(/[ \t]+$/, '');
      if (tail === '--') {
        this.stack.length = i; // close-delimiter: back to the parent's epilogue
        return;
      }
      if (tail === '') {
        this.stack.length = i + 1; // delimiter: a new part's header follows
        this.inHeader = true;
        this.headerKind = 'part';
        this.contentType = null;
        this.field = null;
        return;
      }
    }
  }

  private finishField(): void {
    if (this.field !== null) this.contentType = this.field;
    this.field = null;
  }

  private endHeader(): void {
    const ct = this.contentType;
    this.contentType = null;
    this.field = null;
    this.inHeader = false;
    if (ct === null) return;
    const type = (ct.split(';', 1)[0] ?? '').trim().toLowerCase();
    if (type.startsWith('multipart/')) {
      const m = /;\s*boundary\s*=\s*(?:"([^"]{1,200})"|([^;\s"]{1,200}))/i.exec(ct);
      const boundary = m?.[1] ?? m?.[2];
      if (boundary === undefined) return;
      this.push(boundary);
    } else if (type === 'message/rfc822' || type === 'message/global') {
      this.push(null);
      this.inHeader = true;
      this.headerKind = 'message';
    }
  }

  private push(level: string | null): void {
    this.stack.push(level);
    if (this.stack.length > this.limits.mimeDepth) this.fail(Replies.mimeTooDeep);
  }
}

function stripCrlf(s: string): string {
  return s.endsWith('\r\n') ? s.slice(0, -2) : s;
}
