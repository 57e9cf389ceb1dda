// SMTP command-phase parsing: a CRLF line splitter over raw bytes and the command parser.
// Pure module, no I/O. Trust level: handles untrusted network input; every function here returns
// a typed value or an SmtpReply and never throws on any input.
//
// Hand-written rather than built on nodemailer's smtp-server because we must enforce the line
// limit on the raw byte stream (never growing a buffer past it), reject bare CR / bare LF instead
// of normalizing them (SMTP smuggling), drain over-long input to the next CRLF, and choose every
// reply text and enhanced status code ourselves; smtp-server exposes none of those controls.
import { Replies, SmtpReply } from './reply.js';

const CR = 0x0d;
const LF = 0x0a;
const CRLF = Buffer.from('\r\n');
const EMPTY = Buffer.alloc(0);

/** One event from the command-phase line splitter. */
export type LineEvent =
  /** A complete line, CRLF stripped. */
  | { kind: 'line'; line: Buffer }
  /** The line exceeded the limit; its bytes up to the next CRLF are discarded. Reported once. */
  | { kind: 'tooLong' }
  /** The line (up to the next CRLF) contained a bare LF or bare CR; it is discarded. */
  | { kind: 'bare' };

/**
 * Splits the command-phase byte stream into CRLF-terminated lines. Buffers at most `maxLine`
 * bytes (CRLF included) of an incomplete line; longer input is drained, never stored.
 * Only CRLF terminates a line: a line containing a bare LF or bare CR is reported as `bare`.
 */
export class LineSplitter {
  private buf: Buffer = Buffer.alloc(0);
  private draining = false;

  constructor(private readonly maxLine: number) {}

  /** Append received bytes. */
  feed(chunk: Buffer): void {
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
  }

  /** Next event, or null when more input is needed. */
  next(): LineEvent | null {
    for (;;) {
      const end = this.buf.indexOf(CRLF);
      if (this.draining) {
        if (end === -1) {
          // Keep a trailing CR: its LF may start the next chunk.
          this.buf = this.buf.length > 0 && this.buf[this.buf.length - 1] === CR ? this.buf.subarray(this.buf.length - 1) : EMPTY;
          return null;
        }
        this.buf = this.buf.subarray(end + 2);
        this.draining = false;
        continue;
      }
      if (end === -1) {
        if (this.buf.length >= this.maxLine) {
          // Over the limit with no line end yet: drop what we have, drain to the next CRLF.
          this.buf = this.buf[this.buf.length - 1] === CR ? this.buf.subarray(this.buf.length - 1) : EMPTY;
          this.draining = true;
          return { kind: 'tooLong' };
        }
        return null;
      }
      const line = this.buf.subarray(0, end);
      this.buf = this.buf.subarray(end + 2);
      if (end + 2 > this.maxLine) return { kind: 'tooLong' };
      // Only CRLF ends a line: a bare LF or CR inside it makes the whole line invalid.
      if (line.indexOf(LF) !== -1 || line.indexOf(CR) !== -1) return { kind: 'bare' };
      return { kind: 'line', line };
    }
  }

  /** Remove and return every buffered byte (hand-over to the DATA phase). */
  takeRest(): Buffer {
    const rest = this.draining ? Buffer.alloc(0) : this.buf;
    this.buf = EMPTY;
    this.draining = false;
    return rest;
  }

  /** Discard buffered input (after STARTTLS: plaintext sent before the handshake is never used). */
  discard(): void {
    this.buf = EMPTY;
    this.draining = false;
  }

  get buffered(): number {
    return this.buf.length;
  }
}

// ---------------------------------------------------------------------------------------------
// Commands

export interface MailParams {
  size?: number;
  body?: '7BIT' | '8BITMIME';
  smtputf8: boolean;
  ret?: 'FULL' | 'HDRS';
  envid?: string;
}

export interface RcptParams {
  notify?: string;
  orcpt?: string;
}

export type Command =
  | { verb: 'EHLO' | 'HELO'; domain: string }
  | { verb: 'MAIL'; address: string; params: MailParams }
  | { verb: 'RCPT'; address: string; params: RcptParams }
  | { verb: 'DATA' | 'RSET' | 'QUIT' | 'STARTTLS' }
  | { verb: 'NOOP' | 'HELP' | 'VRFY' | 'EXPN'; arg: string }
  | { verb: 'AUTH'; mechanism: string; initial?: string };

export const ADDRESS_LIMITS = { localPart: 64, domain: 255, path: 256 } as const;

const utf8 = new TextDecoder('utf-8', { fatal: true });

function hasControl(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c === 0x7f) return true;
  }
  return false;
}

/**
 * Parse one command line (CRLF already removed). Returns a Command or the SmtpReply to send.
 * `utf8Allowed`: the transaction declared SMTPUTF8, so RCPT addresses may be non-ASCII.
 */
export function parseCommand(line: Buffer, utf8Allowed = false): Command | SmtpReply {
  let text: string;
  try {
    text = utf8.decode(line);
  } catch {
    return Replies.syntax;
  }
  if (hasControl(text)) return Replies.syntax;
  const sp = text.indexOf(' ');
  const verb = (sp === -1 ? text : text.slice(0, sp)).toUpperCase();
  const rest = sp === -1 ? '' : text.slice(sp + 1);
  switch (verb) {
    case 'EHLO':
    case 'HELO': {
      const domain = rest.trim();
      if (!isHeloName(domain)) return Replies.badHelo;
      return { verb, domain };
    }
    case 'MAIL':
      return parseMail(rest);
    case 'RCPT':
      return parseRcpt(rest, utf8Allowed);
    case 'DATA':
    case 'RSET':
    case 'QUIT':
    case 'STARTTLS':
      if (rest.trim() !== '') return Replies.paramSyntax;
      return { verb };
    case 'NOOP':
    case 'HELP':
    case 'VRFY':
    case 'EXPN':
      return { verb, arg: rest.trim() };
    case 'AUTH': {
      const parts = rest.trim().split(' ').filter((p) => p !== '');
      if (parts.length < 1 || parts.length > 2) return Replies.paramSyntax;
      const mechanism = parts[0]!.toUpperCase();
      if (!/^[A-Z0-9_-]{1,20}$/.test(mechanism)) return Replies.paramSyntax;
      return parts.length === 2 ? { verb, mechanism, initial: parts[1]! } : { verb, mechanism };
    }
    case 'BDAT':
    case 'TURN':
    case 'ETRN':
    case 'ATRN':
      return Replies.notImplemented;
    default:
      return Replies.syntax;
  }
}

// "FROM:" / "TO:" followed by a path (optionally after spaces, which many clients send although
// RFC 5321 has none) and space-separated parameters.
function splitPathAndParams(rest: string, keyword: string): { path: string; params: string[] } | SmtpReply {
  if (rest.length < keyword.length || rest.slice(0, keyword.length).toUpperCase() !== keyword) {
    return Replies.paramSyntax;
  }
  let s = rest.slice(keyword.length);
  while (s.startsWith(' ')) s = s.slice(1);
  if (!s.startsWith('<')) return Replies.badAddress;
  // The path ends at the first '>' outside a quoted string.
  let i = 1;
  let inQuote = false;
  for (; i < s.length; i++) {
    const c = s[i];
    if (inQuote) {
      if (c === '\\') i++;
      else if (c === '"') inQuote = false;
    } else if (c === '"') inQuote = true;
    else if (c === '>') break;
  }
  if (i >= s.length) return Replies.badAddress;
  const path = s.slice(0, i + 1);
  const tail = s.slice(i + 1);
  if (tail !== '' && !tail.startsWith(' ')) return Replies.badAddress;
  const params = tail.split(' ').filter((p) => p !== '');
  return { path, params };
}

function splitParam(p: string): { key: string; value: string | undefined } | SmtpReply {
  const eq = p.indexOf('=');
  const key = (eq === -1 ? p : p.slice(0, eq)).toUpperCase();
  const value = eq === -1 ? undefined : p.slice(eq + 1);
  if (!/^[A-Z0-9][A-Z0-9-]*$/.test(key)) return Replies.paramSyntax;
  // esmtp-value = 1*(%d33-60 / %d62-126), UTF-8 allowed under SMTPUTF8 (RFC 6531).
  if (value !== undefined && (value === '' || /[\x00-\x20=\x7f]/.test(value))) return Replies.paramSyntax;
  return { key, value };
}

// xtext (RFC 3461 §4): printable ASCII except '+' and '=', with +HH escapes.
function isXtext(s: string): boolean {
  return /^(?:[\x21-\x2a\x2c-\x3c\x3e-\x7e]|\+[0-9A-F]{2})*$/.test(s);
}

function parseMail(rest: string): Command | SmtpReply {
  const split = splitPathAndParams(rest, 'FROM:');
  if (split instanceof SmtpReply) return split;
  const params: MailParams = { smtputf8: false };
  const seen = new Set<string>();
  for (const p of split.params) {
    const kv = splitParam(p);
    if (kv instanceof SmtpReply) return kv;
    if (seen.has(kv.key)) return Replies.paramSyntax;
    seen.add(kv.key);
    switch (kv.key) {
      case 'SIZE':
        if (kv.value === undefined || !/^[0-9]{1,20}$/.test(kv.value)) return Replies.paramSyntax;
        params.size = Number(kv.value);
        break;
      case 'BODY': {
        const v = kv.value?.toUpperCase();
        if (v === '7BIT' || v === '8BITMIME') params.body = v;
        else if (v === 'BINARYMIME') return Replies.paramNotImplemented;
        else return Replies.paramSyntax;
        break;
      }
      case 'SMTPUTF8':
        if (kv.value !== undefined) return Replies.paramSyntax;
        params.smtputf8 = true;
        break;
      case 'RET': {
        const v = kv.value?.toUpperCase();
        if (v !== 'FULL' && v !== 'HDRS') return Replies.paramSyntax;
        params.ret = v;
        break;
      }
      case 'ENVID':
        if (kv.value === undefined || kv.value.length > 100 || !isXtext(kv.value)) return Replies.paramSyntax;
        params.envid = kv.value;
        break;
      default:
        return Replies.paramUnknown;
    }
  }
  if (split.path === '<>') return { verb: 'MAIL', address: '', params };
  const addr = parsePath(split.path, params.smtputf8);
  if (addr instanceof SmtpReply) return addr;
  return { verb: 'MAIL', address: addr, params };
}

function parseRcpt(rest: string, utf8Allowed: boolean): Command | SmtpReply {
  const split = splitPathAndParams(rest, 'TO:');
  if (split instanceof SmtpReply) return split;
  const params: RcptParams = {};
  const seen = new Set<string>();
  for (const p of split.params) {
    const kv = splitParam(p);
    if (kv instanceof SmtpReply) return kv;
    if (seen.has(kv.key)) return Replies.paramSyntax;
    seen.add(kv.key);
    switch (kv.key) {
      case 'NOTIFY': {
        const v = kv.value?.toUpperCase();
        if (v === undefined) return Replies.paramSyntax;
        const items = v.split(',');
        const ok =
          v === 'NEVER' || items.every((x) => x === 'SUCCESS' || x === 'FAILURE' || x === 'DELAY');
        if (!ok || new Set(items).size !== items.length) return Replies.paramSyntax;
        params.notify = v;
        break;
      }
      case 'ORCPT': {
        const v = kv.value;
        if (v === undefined || v.length > 500 || !/^[A-Za-z0-9-]+;/.test(v)) return Replies.paramSyntax;
        if (!isXtext(v.slice(v.indexOf(';') + 1))) return Replies.paramSyntax;
        params.orcpt = v;
        break;
      }
      default:
        return Replies.paramUnknown;
    }
  }
  // RFC 5321 §4.1.1.3: "postmaster" without a domain must be accepted.
  if (/^<postmaster>$/i.test(split.path)) return { verb: 'RCPT', address: 'postmaster', params };
  const addr = parsePath(split.path, utf8Allowed);
  if (addr instanceof SmtpReply) return addr;
  return { verb: 'RCPT', address: addr, params };
}

// ---------------------------------------------------------------------------------------------
// Addresses (RFC 5321 §4.1.2, §4.1.3, §4.5.3.1; RFC 6531 for UTF-8)

const ATEXT = "A-Za-z0-9!#$%&'*+/=?^_`{|}~\\-";
const ATOM_ASCII = new RegExp(`^[${ATEXT}]+$`);
const ATOM_UTF8 = new RegExp(`^[${ATEXT}\\u0080-\\u{10FFFF}]+$`, 'u');
const LABEL_ASCII = /^[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?$/;
const LABEL_UTF8 = /^[A-Za-z0-9\u0080-\u{10FFFF}](?:[A-Za-z0-9\u0080-\u{10FFFF}-]*[A-Za-z0-9\u0080-\u{10FFFF}])?$/u;

/**
 * Parse a path "<[@route,@route:]local@domain>" to "local@domain". The source route is accepted and
 * ignored (RFC 5321 §4.1.1.3). Returns Replies.badAddress on any syntax or length violation.
 */
export function parsePath(path: string, utf8Allowed: boolean): string | SmtpReply {
  if (Buffer.byteLength(path) > ADDRESS_LIMITS.path) return Replies.badAddress;
  if (!path.startsWith('<') || !path.endsWith('>')) return Replies.badAddress;
  let inner = path.slice(1, -1);
  if (inner.startsWith('@')) {
    const colon = inner.indexOf(':');
    if (colon === -1) return Replies.badAddress;
    const route = inner.slice(0, colon).split(',');
    for (const hop of route) {
      if (!hop.startsWith('@') || !isDomain(hop.slice(1), false)) return Replies.badAddress;
    }
    inner = inner.slice(colon + 1);
  }
  const mailbox = parseMailbox(inner, utf8Allowed);
  return mailbox;
}

export function parseMailbox(s: string, utf8Allowed: boolean): string | SmtpReply {
  const nonAscii = /[^\x00-\x7f]/.test(s);
  if (nonAscii && !utf8Allowed) return Replies.utf8Required;
  let local: string;
  let rest: string;
  if (s.startsWith('"')) {
    let i = 1;
    for (; i < s.length; i++) {
      const c = s.charCodeAt(i);
      if (c === 0x5c) {
        // quoted-pairSMTP = "\" %d32-126
        const n = s.charCodeAt(i + 1);
        if (!(n >= 32 && n <= 126)) return Replies.badAddress;
        i++;
      } else if (c === 0x22) break;
      else if (!((c >= 32 && c <= 33) || (c >= 35 && c <= 91) || (c >= 93 && c <= 126) || (utf8Allowed && c >= 0x80))) {
        return Replies.badAddress;
      }
    }
    if (i >= s.length) return Replies.badAddress;
    local = s.slice(0, i + 1);
    rest = s.slice(i + 1);
    if (!rest.startsWith('@')) return Replies.badAddress;
  } else {
    const at = s.lastIndexOf('@');
    if (at <= 0) return Replies.badAddress;
    local = s.slice(0, at);
    rest = s.slice(at);
    const atom = utf8Allowed ? ATOM_UTF8 : ATOM_ASCII;
    if (!local.split('.').every((a) => atom.test(a))) return Replies.badAddress;
  }
  const domain = rest.slice(1);
  if (Buffer.byteLength(local) > ADDRESS_LIMITS.localPart) return Replies.badAddress;
  if (Buffer.byteLength(domain) > ADDRESS_LIMITS.domain) return Replies.badAddress;
  if (!(isDomain(domain, utf8Allowed) || isAddressLiteral(domain))) return Replies.badAddress;
  return `${local}@${domain}`;
}

/** Domain = sub-domain *("." sub-domain), each label 1..63 octets. */
export function isDomain(d: string, utf8Allowed: boolean): boolean {
  if (d.length === 0 || Buffer.byteLength(d) > ADDRESS_LIMITS.domain) return false;
  const label = utf8Allowed ? LABEL_UTF8 : LABEL_ASCII;
  return d.split('.').every((l) => Buffer.byteLength(l) <= 63 && label.test(l));
}

const IPV4 = /^(?:(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])\.){3}(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])$/;

/** "[1.2.3.4]", "[IPv6:...]" or a General-address-literal "[tag:dcontent]". */
export function isAddressLiteral(d: string): boolean {
  if (!d.startsWith('[') || !d.endsWith(']')) return false;
  const inner = d.slice(1, -1);
  if (IPV4.test(inner)) return true;
  if (/^IPv6:/i.test(inner)) return isIPv6(inner.slice(5));
  const colon = inner.indexOf(':');
  if (colon <= 0) return false;
  const tag = inner.slice(0, colon);
  const content = inner.slice(colon + 1);
  return /^[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?$/.test(tag) && /^[\x21-\x5a\x5e-\x7e]+$/.test(content);
}

function isIPv6(s: string): boolean {
  if (s.length > 45 || !/^[0-9A-Fa-f:.]+$/.test(s)) return false;
  let body = s;
  let groups = 8;
  const lastColon = s.lastIndexOf(':');
  if (s.slice(lastColon + 1).includes('.')) {
    if (!IPV4.test(s.slice(lastColon + 1))) return false;
    body = s.slice(0, lastColon + 1) + '0';
    groups = 7;
  }
  const dbl = body.indexOf('::');
  if (dbl !== body.lastIndexOf('::')) return false;
  const hex = /^[0-9A-Fa-f]{1,4}$/;
  if (dbl === -1) {
    const parts = body.split(':');
    return parts.length === groups && parts.every((p) => hex.test(p));
  }
  const left = body.slice(0, dbl);
  const right = body.slice(dbl + 2);
  const lp = left === '' ? [] : left.split(':');
  const rp = right === '' ? [] : right.split(':');
  if (![...lp, ...rp].every((p) => hex.test(p))) return false;
  return lp.length + rp.length <= groups - 1;
}

/** HELO/EHLO argument: a domain (underscores tolerated, as many hosts have them) or an address literal. */
export function isHeloName(s: string): boolean {
  if (s === '' || s.length > ADDRESS_LIMITS.domain) return false;
  if (isAddressLiteral(s)) return true;
  return s.split('.').every((l) => l.length >= 1 && l.length <= 63 && /^[A-Za-z0-9_](?:[A-Za-z0-9_-]*[A-Za-z0-9_])?$/.test(l));
}

/** Domain part of a parsed address ('' for a bare "postmaster"). */
export function domainOf(address: string): string {
  const at = address.lastIndexOf('@');
  return at === -1 ? '' : address.slice(at + 1);
}
