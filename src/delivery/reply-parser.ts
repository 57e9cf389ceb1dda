// SMTP reply parsing for the delivery client: bytes in, complete replies out. Pure, no I/O.
// Trust level: parses bytes from remote servers we do not trust, so every line and every reply is
// bounded (a hostile server can neither grow our buffers nor smuggle control characters into our
// logs or DSNs).

/** Longest reply line we accept, CRLF included (RFC 5321 says 512; real servers exceed it a little). */
export const MAX_REPLY_LINE = 4096;
/** Most lines in one multi-line reply (EHLO lists are ~20). */
export const MAX_REPLY_LINES = 128;

export interface Reply {
  code: number;
  /** Enhanced status code (RFC 3463) taken from the first line, '' when absent. */
  enhanced: string;
  /** Text of every line without code and enhanced code, control characters replaced. */
  lines: string[];
}

export class ReplySyntaxError extends Error {
  constructor(why: string) {
    super(`malformed SMTP reply: ${why}`);
    this.name = 'ReplySyntaxError';
  }
}

const ENHANCED = /^([245])\.(\d{1,3})\.(\d{1,3})(?: |$)/;

/** Replace anything that is not printable ASCII/UTF-8 text with '?', so replies are log- and header-safe. */
export function sanitizeText(s: string): string {
  // eslint-disable-next-line no-control-regex
  return s.replace(/[\u0000-\u001f\u007f]/g, '?');
}

/**
 * Incremental parser. `push` returns every reply completed by the chunk; it throws ReplySyntaxError
 * on malformed or oversized input (the caller drops the connection).
 */
export class ReplyParser {
  private pending: Buffer | null = null;
  private lines: string[] = [];
  private code = 0;

  /** True when no bytes are waiting to complete a reply (checked before STARTTLS: anything sent
   *  after the 220 and before the handshake would be an injection attempt, CVE-2011-0411). */
  get empty(): boolean {
    return this.pending === null && this.lines.length === 0;
  }

  push(chunk: Buffer): Reply[] {
    const out: Reply[] = [];
    let buf = this.pending ? Buffer.concat([this.pending, chunk]) : chunk;
    this.pending = null;
    let start = 0;
    for (;;) {
      const nl = buf.indexOf(0x0a, start);
      if (nl < 0) break;
      if (nl + 1 - start > MAX_REPLY_LINE) throw new ReplySyntaxError('line too long');
      const end = nl > start && buf[nl - 1] === 0x0d ? nl - 1 : nl;
      const reply = this.line(buf.toString('utf8', start, end));
      if (reply) out.push(reply);
      start = nl + 1;
    }
    if (start < buf.length) {
      if (buf.length - start > MAX_REPLY_LINE) throw new ReplySyntaxError('line too long');
      this.pending = Buffer.from(buf.subarray(start));
    }
    return out;
  }

  private line(line: string): Reply | null {
    if (line.length < 3 || !/^[2-5]\d\d$/.test(line.slice(0, 3))) throw new ReplySyntaxError('bad reply code');
    const sep = line.length > 3 ? line[3] : ' ';
    if (sep !== ' ' && sep !== '-') throw new ReplySyntaxError('bad separator');
    const code = Number(line.slice(0, 3));
    if (this.lines.length > 0 && code !== this.code) throw new ReplySyntaxError('code changed within reply');
    this.code = code;
    this.lines.push(sanitizeText(line.slice(4)));
    if (this.lines.length > MAX_REPLY_LINES) throw new ReplySyntaxError('too many lines');
    if (sep === '-') return null;
    const raw = this.lines;
    this.lines = [];
    const m = ENHANCED.exec(raw[0]!);
    // The enhanced code's class must match the reply's class, else it is just text.
    const enhanced = m && m[1] === String(code)[0] ? `${m[1]}.${m[2]}.${m[3]}` : '';
    const lines = enhanced ? raw.map((l) => (l.startsWith(enhanced) ? l.slice(enhanced.length).trimStart() : l)) : raw;
    return { code, enhanced, lines };
  }
}

/** Longest reply text we keep in a RecipientResult / DSN. */
export const MAX_REPLY_TEXT = 512;

/** One-line form used in RecipientResult.reply: '550 5.1.1 No such user'. */
export function formatReply(r: Reply): string {
  const text = r.lines.filter((l) => l.length > 0).join(' ');
  const s = [String(r.code), r.enhanced, text].filter((p) => p.length > 0).join(' ');
  return s.length > MAX_REPLY_TEXT ? s.slice(0, MAX_REPLY_TEXT - 3) + '...' : s;
}

/** EHLO keywords (upper case) → parameter string. */
export function parseEhlo(r: Reply): Map<string, string> {
  const ext = new Map<string, string>();
  for (const line of r.lines.slice(1)) {
    const m = /^([A-Za-z0-9][A-Za-z0-9-]*)(?:[ =](.*))?$/.exec(line.trim());
    if (m) ext.set(m[1]!.toUpperCase(), (m[2] ?? '').trim());
  }
  return ext;
}
