// Browser sessions and request guards for the console and the portal: random cookie tokens (only
// their SHA-256 is stored), idle and absolute timeouts, a CSRF token per session checked on every
// POST, a per-address login rate limit, and the role → permission table enforced on pages and on
// the JSON API alike. Denials are audited. Trust level: network-facing; decides who may do what.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Kysely, Selectable } from 'kysely';
import type { AuditLog } from '../store/types.js';
import type { WebDatabase, WebSessionsTable } from '../store/schema.js';
import { HttpError, readForm, redirect, setCookie, type Ctx, type Form } from './http.js';
import type { Role } from './users.js';

export const CONSOLE_IDLE_MS = 15 * 60_000;
export const CONSOLE_ABSOLUTE_MS = 8 * 3600_000;
export const PORTAL_IDLE_MS = 15 * 60_000;
export const PORTAL_ABSOLUTE_MS = 3600_000;
/** Sign-in attempts per minute for one user name from one client address, and for one address overall (then 429). */
export const LOGIN_RATE_PER_MINUTE = 10;
export const LOGIN_RATE_PER_ADDRESS_PER_MINUTE = 100;

export type SessionKind = 'console' | 'portal';
const COOKIE: Record<SessionKind, { name: string; path: string; idle: number; absolute: number }> = {
  console: { name: 'sg_session', path: '/', idle: CONSOLE_IDLE_MS, absolute: CONSOLE_ABSOLUTE_MS },
  portal: { name: 'sg_portal', path: '/p/', idle: PORTAL_IDLE_MS, absolute: PORTAL_ABSOLUTE_MS },
};

export interface Session {
  id: string;
  kind: SessionKind;
  subject: string;
  csrf: string;
  secondFactor: boolean;
}

const sha256 = (s: string): string => createHash('sha256').update(s).digest('hex');
export const randomToken = (bytes = 32): string => randomBytes(bytes).toString('base64url');

export function sameToken(a: string | undefined, b: string): boolean {
  if (!a) return false;
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export class Sessions {
  private readonly db: Kysely<WebDatabase>;
  constructor(
    db: Kysely<any>,
    private readonly now: () => Date,
  ) {
    this.db = db as Kysely<WebDatabase>;
  }

  async start(ctx: Ctx, kind: SessionKind, subject: string, secondFactor: boolean): Promise<Session> {
    await this.end(ctx, kind);
    const token = randomToken();
    const at = this.now().getTime();
    const s: Session = { id: sha256(token), kind, subject, csrf: randomToken(24), secondFactor };
    await this.db.insertInto('web_sessions').values({ id: s.id, subject, kind, csrf: s.csrf, second_factor: secondFactor ? 1 : 0, created_at: at, last_seen: at }).execute();
    setCookie(ctx.res, COOKIE[kind].name, token, { path: COOKIE[kind].path });
    return s;
  }

  /** The request's live session of `kind`, or null (expired sessions are deleted). */
  async load(ctx: Ctx, kind: SessionKind): Promise<Session | null> {
    const token = ctx.cookies[COOKIE[kind].name];
    if (!token) return null;
    const id = sha256(token);
    const r = (await this.db.selectFrom('web_sessions').selectAll().where('id', '=', id).where('kind', '=', kind).executeTakeFirst()) as Selectable<WebSessionsTable> | undefined;
    if (!r) return null;
    const at = this.now().getTime();
    if (at - Number(r.last_seen) > COOKIE[kind].idle || at - Number(r.created_at) > COOKIE[kind].absolute) {
      await this.db.deleteFrom('web_sessions').where('id', '=', id).execute();
      return null;
    }
    await this.db.updateTable('web_sessions').set({ last_seen: at }).where('id', '=', id).execute();
    return { id, kind, subject: r.subject, csrf: r.csrf, secondFactor: Number(r.second_factor) === 1 };
  }

  async confirmSecondFactor(s: Session): Promise<void> {
    await this.db.updateTable('web_sessions').set({ second_factor: 1 }).where('id', '=', s.id).execute();
    s.secondFactor = true;
  }

  async end(ctx: Ctx, kind: SessionKind): Promise<void> {
    const token = ctx.cookies[COOKIE[kind].name];
    if (token) await this.db.deleteFrom('web_sessions').where('id', '=', sha256(token)).execute();
    setCookie(ctx.res, COOKIE[kind].name, '', { path: COOKIE[kind].path, maxAge: 0 });
  }
}

/** Sliding one-minute window per key (client address); memory bounded by pruning on use. */
export class RateLimiter {
  private readonly hits = new Map<string, number[]>();
  constructor(
    private readonly perMinute: number,
    private readonly now: () => Date,
  ) {}
  allow(key: string): boolean {
    const t = this.now().getTime();
    const recent = (this.hits.get(key) ?? []).filter((x) => t - x < 60_000);
    if (this.hits.size > 10_000) this.hits.clear();
    if (recent.length >= this.perMinute) {
      this.hits.set(key, recent);
      return false;
    }
    recent.push(t);
    this.hits.set(key, recent);
    return true;
  }
}

/** What each role may do (issue 7): admin everything; privacy officers review; auditors read. */
export const PERMISSIONS = {
  dashboard: ['admin', 'privacy-officer', 'auditor'],
  'queue.view': ['admin', 'privacy-officer'],
  'queue.change': ['admin'],
  review: ['admin', 'privacy-officer'],
  'certs.view': ['admin', 'privacy-officer'],
  'certs.password': ['admin', 'privacy-officer'],
  'certs.change': ['admin'],
  'partners.view': ['admin', 'privacy-officer', 'auditor'],
  'partners.change': ['admin'],
  'policy.test': ['admin', 'privacy-officer'],
  audit: ['admin', 'auditor'],
  health: ['admin', 'auditor'],
  'portal.revoke': ['admin', 'privacy-officer'],
} as const satisfies Record<string, readonly Role[]>;
export type Permission = keyof typeof PERMISSIONS;

export const may = (role: Role, p: Permission): boolean => (PERMISSIONS[p] as readonly Role[]).includes(role);

export interface Principal {
  session: Session;
  username: string;
  role: Role;
  actor: string;
}

export type GuardedHandler = (ctx: Ctx, who: Principal, form: Form) => Promise<void> | void;

export interface GuardDeps {
  sessions: Sessions;
  audit: AuditLog;
  /** Role of an enabled user, or null (disabled or deleted users lose their sessions at once). */
  roleOf(username: string): Promise<Role | null>;
}

const isApi = (ctx: Ctx) => ctx.url.pathname.startsWith('/api/');

/** The signed-in console user, or null. Sessions waiting for the TOTP code do not count. */
export async function principal(ctx: Ctx, deps: GuardDeps): Promise<Principal | null> {
  const s = await deps.sessions.load(ctx, 'console');
  if (!s?.secondFactor) return null;
  const role = await deps.roleOf(s.subject);
  return role ? { session: s, username: s.subject, role, actor: `web:${s.subject}` } : null;
}

/**
 * Wraps a console or API handler: requires a session (pages redirect to /login, the API answers
 * 401), the permission (403, audited), and on POST the session's CSRF token (form field `_csrf`
 * or header X-CSRF-Token; 403 without it).
 */
export function guard(deps: GuardDeps, perm: Permission, handler: GuardedHandler): (ctx: Ctx) => Promise<void> {
  return async (ctx) => {
    const who = await principal(ctx, deps);
    if (!who) {
      if (isApi(ctx) || ctx.method !== 'GET') throw new HttpError(401, 'sign in first');
      return redirect(ctx, '/login');
    }
    let form: Form = { fields: {}, files: {} };
    if (ctx.method === 'POST') {
      form = await readForm(ctx.req);
      const header = ctx.req.headers['x-csrf-token'];
      if (!sameToken(form.fields._csrf ?? (typeof header === 'string' ? header : undefined), who.session.csrf)) {
        await deps.audit.append({ type: 'web-csrf-refused', actor: who.actor, data: { path: ctx.url.pathname } });
        throw new HttpError(403, 'missing or wrong CSRF token; reload the page and try again');
      }
    }
    if (!may(who.role, perm)) {
      await deps.audit.append({ type: 'web-access-denied', actor: who.actor, data: { path: ctx.url.pathname, method: ctx.method, role: who.role, permission: perm } });
      throw new HttpError(403, `your role (${who.role}) does not allow this`);
    }
    await handler(ctx, who, form);
  };
}
