// The web module's HTTP toolkit: a small router, bounded body reading (urlencoded and multipart
// forms), cookies, security headers and an escaping HTML template tag. Sealgate uses node:https and
// this file instead of a web framework: the console and portal need a few dozen routes, and every
// dependency on the network-facing side is attack surface and an upgrade to follow. Everything a
// framework would add (body limits, header policy, escaping) is explicit here and small enough to read.
// Trust level: network-facing; parses untrusted bytes with fixed limits.
import type { IncomingMessage, ServerResponse } from 'node:http';

/** Largest urlencoded form body. */
export const FORM_MAX_BYTES = 256 * 1024;
/** Largest multipart body (portal replies with attachments, uploaded messages, CSV imports). */
export const UPLOAD_MAX_BYTES = 25 * 1024 * 1024;
/** Most parts in one multipart body. */
export const MULTIPART_MAX_PARTS = 50;

export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export interface Upload {
  filename: string;
  contentType: string;
  data: Buffer;
}

export interface Form {
  fields: Record<string, string>;
  files: Record<string, Upload[]>;
}

export interface Ctx {
  req: IncomingMessage;
  res: ServerResponse;
  url: URL;
  method: string;
  params: Record<string, string>;
  ip: string;
  cookies: Record<string, string>;
}

export type Handler = (ctx: Ctx) => Promise<void> | void;

interface Route {
  method: string;
  parts: string[];
  prefix: boolean;
  handler: Handler;
}

/** Routes like `/queue/:id` and `/crl/*` (prefix). First match wins. */
export class Router {
  private readonly routes: Route[] = [];

  add(method: string, path: string, handler: Handler): this {
    const prefix = path.endsWith('/*');
    const parts = (prefix ? path.slice(0, -2) : path).split('/').filter(Boolean);
    this.routes.push({ method, parts, prefix, handler });
    return this;
  }
  get(path: string, h: Handler): this {
    return this.add('GET', path, h);
  }
  post(path: string, h: Handler): this {
    return this.add('POST', path, h);
  }

  match(method: string, pathname: string): { handler: Handler; params: Record<string, string> } | 'method' | null {
    const segs = pathname.split('/').filter(Boolean);
    let wrongMethod = false;
    for (const r of this.routes) {
      if (r.prefix ? segs.length < r.parts.length : segs.length !== r.parts.length) continue;
      const params: Record<string, string> = {};
      let ok = true;
      for (let i = 0; i < r.parts.length && ok; i++) {
        const p = r.parts[i]!;
        if (p.startsWith(':')) params[p.slice(1)] = decodeURIComponent(segs[i]!);
        else ok = p === segs[i];
      }
      if (!ok) continue;
      if (r.method !== method && !(r.method === 'GET' && method === 'HEAD')) {
        wrongMethod = true;
        continue;
      }
      if (r.prefix) params['*'] = segs.slice(r.parts.length).join('/');
      return { handler: r.handler, params };
    }
    return wrongMethod ? 'method' : null;
  }
}

/** Content-Security-Policy: scripts and styles only from our own origin, nothing framed, no plugins. */
export const CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
].join('; ');

export function setSecurityHeaders(res: ServerResponse): void {
  res.setHeader('Content-Security-Policy', CSP);
  res.setHeader('Strict-Transport-Security', 'max-age=31536000; includeSubDomains');
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('X-Frame-Options', 'DENY');
  res.setHeader('Referrer-Policy', 'no-referrer');
  res.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
  res.setHeader('Permissions-Policy', 'camera=(), microphone=(), geolocation=()');
  res.setHeader('Cache-Control', 'no-store');
}

export function parseCookies(header: string | undefined): Record<string, string> {
  const out: Record<string, string> = Object.create(null) as Record<string, string>;
  for (const piece of (header ?? '').split(';')) {
    const i = piece.indexOf('=');
    if (i < 1) continue;
    const k = piece.slice(0, i).trim();
    if (!(k in out)) out[k] = piece.slice(i + 1).trim();
  }
  return out;
}

/** Always HttpOnly, Secure and SameSite=Strict. `maxAge` 0 deletes it. */
export function setCookie(res: ServerResponse, name: string, value: string, opts: { path?: string; maxAge?: number } = {}): void {
  const parts = [`${name}=${value}`, `Path=${opts.path ?? '/'}`, 'HttpOnly', 'Secure', 'SameSite=Strict'];
  if (opts.maxAge !== undefined) parts.push(`Max-Age=${opts.maxAge}`);
  const prev = res.getHeader('Set-Cookie');
  const list = Array.isArray(prev) ? prev : prev ? [String(prev)] : [];
  res.setHeader('Set-Cookie', [...list, parts.join('; ')]);
}

export async function readBody(req: IncomingMessage, max: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > max) throw new HttpError(413, 'request body too large');
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req as AsyncIterable<Buffer>) {
    size += c.length;
    if (size > max) throw new HttpError(413, 'request body too large');
    chunks.push(c);
  }
  return Buffer.concat(chunks);
}

function headerParam(value: string, name: string): string | undefined {
  const m = new RegExp(`${name}="([^"]*)"|${name}=([^;\\s]+)`, 'i').exec(value);
  return m ? (m[1] ?? m[2]) : undefined;
}

/** multipart/form-data: fields and files, bounded by the caller's byte limit and MULTIPART_MAX_PARTS. */
export function parseMultipart(body: Buffer, boundary: string): Form {
  const form: Form = { fields: {}, files: {} };
  const delim = Buffer.from(`--${boundary}`);
  let pos = body.indexOf(delim);
  let count = 0;
  while (pos >= 0) {
    const start = pos + delim.length;
    if (body.subarray(start, start + 2).toString() === '--') break;
    const next = body.indexOf(delim, start);
    if (next < 0) break;
    if (++count > MULTIPART_MAX_PARTS) throw new HttpError(413, 'too many form parts');
    const part = body.subarray(start + 2, next - 2);
    const sep = part.indexOf('\r\n\r\n');
    if (sep < 0) throw new HttpError(400, 'malformed multipart body');
    const head = part.subarray(0, sep).toString('utf8');
    const data = part.subarray(sep + 4);
    const disp = /content-disposition:([^\r\n]*)/i.exec(head)?.[1] ?? '';
    const name = headerParam(disp, 'name') ?? '';
    const filename = headerParam(disp, 'filename');
    if (filename !== undefined) {
      if (filename !== '' || data.length > 0) {
        const contentType = /content-type:\s*([^\r\n]*)/i.exec(head)?.[1]?.trim() || 'application/octet-stream';
        (form.files[name] ??= []).push({ filename: filename.replace(/[\\/]/g, '_').slice(0, 200), contentType, data: Buffer.from(data) });
      }
    } else form.fields[name] = data.toString('utf8');
    pos = next;
  }
  return form;
}

/** A POSTed form (urlencoded or multipart), limited to FORM_MAX_BYTES or UPLOAD_MAX_BYTES. */
export async function readForm(req: IncomingMessage): Promise<Form> {
  const type = req.headers['content-type'] ?? '';
  if (/^multipart\/form-data/i.test(type)) {
    const boundary = headerParam(type, 'boundary');
    if (!boundary) throw new HttpError(400, 'multipart body without a boundary');
    return parseMultipart(await readBody(req, UPLOAD_MAX_BYTES), boundary);
  }
  const body = await readBody(req, FORM_MAX_BYTES);
  if (/^application\/json/i.test(type)) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(body.toString('utf8') || '{}');
    } catch {
      throw new HttpError(400, 'invalid JSON');
    }
    const fields: Record<string, string> = {};
    for (const [k, v] of Object.entries((parsed ?? {}) as Record<string, unknown>)) fields[k] = typeof v === 'string' ? v : JSON.stringify(v);
    return { fields, files: {} };
  }
  const fields: Record<string, string> = {};
  for (const [k, v] of new URLSearchParams(body.toString('utf8'))) fields[k] = v;
  return { fields, files: {} };
}

const ESC: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
export const esc = (s: unknown): string => String(s ?? '').replace(/[&<>"']/g, (c) => ESC[c]!);

/** Already-safe HTML (the result of `html`), inserted without escaping. */
export class Safe {
  constructor(readonly html: string) {}
  toString(): string {
    return this.html;
  }
}

/** Template tag: interpolated values are escaped unless they are Safe (or arrays of Safe). */
export function html(strings: TemplateStringsArray, ...values: unknown[]): Safe {
  let out = strings[0]!;
  const one = (v: unknown): string => (v instanceof Safe ? v.html : v === undefined || v === null || v === false ? '' : esc(v));
  values.forEach((v, i) => {
    out += (Array.isArray(v) ? v.map(one).join('') : one(v)) + strings[i + 1]!;
  });
  return new Safe(out);
}

export function send(ctx: Ctx, status: number, type: string, body: string | Buffer, extra: Record<string, string> = {}): void {
  ctx.res.statusCode = status;
  ctx.res.setHeader('Content-Type', type);
  for (const [k, v] of Object.entries(extra)) ctx.res.setHeader(k, v);
  ctx.res.end(ctx.method === 'HEAD' ? undefined : body);
}

export const sendHtml = (ctx: Ctx, status: number, page: Safe | string): void => send(ctx, status, 'text/html; charset=utf-8', String(page));
export const sendJson = (ctx: Ctx, status: number, value: unknown): void => send(ctx, status, 'application/json; charset=utf-8', JSON.stringify(value));

export function redirect(ctx: Ctx, location: string): void {
  ctx.res.statusCode = 303;
  ctx.res.setHeader('Location', location);
  ctx.res.end();
}

/** Content-Disposition for a download, with an ASCII fallback name and the RFC 5987 UTF-8 name. */
export function attachmentHeader(filename: string): string {
  const ascii = filename.replace(/[^\x20-\x7e]|["\\]/g, '_');
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(filename)}`;
}
