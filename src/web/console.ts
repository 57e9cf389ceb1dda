// The administration console: sign-in (password, then TOTP), sign-out, navigation by role, and the
// page and API modules mounted under it. Trust level: network-facing; every page goes through
// guard() (session, role, CSRF); sign-in attempts are rate-limited per address and audited.
import type { Router } from './http.js';
import { HttpError, html, readForm, redirect, sendHtml, setCookie, type Ctx, type Safe } from './http.js';
import { page, type NavItem } from './layout.js';
import { LOGIN_RATE_PER_ADDRESS_PER_MINUTE, LOGIN_RATE_PER_MINUTE, RateLimiter, Sessions, guard, may, principal, randomToken, sameToken, type GuardDeps, type GuardedHandler, type Permission, type Principal } from './auth.js';
import { UserStore, type Role } from './users.js';
import { loadKek } from '../pki/keystore.js';
import type { WebDeps } from './server.js';

export interface Console {
  deps: WebDeps;
  users: UserStore;
  guards: GuardDeps;
  /** GET and POST routes behind a permission. */
  get(path: string, perm: Permission, h: GuardedHandler): void;
  post(path: string, perm: Permission, h: GuardedHandler): void;
  render(ctx: Ctx, who: Principal, title: string, current: string, body: Safe, status?: number): void;
  audit(who: Principal, type: string, data?: Record<string, unknown>, messageId?: string): Promise<void>;
}

const NAV: Array<NavItem & { perm: Permission }> = [
  { href: '/', label: 'Dashboard', perm: 'dashboard' },
  { href: '/queue', label: 'Queue', perm: 'queue.view' },
  { href: '/review', label: 'Review', perm: 'review' },
  { href: '/certificates', label: 'Certificates', perm: 'certs.view' },
  { href: '/partners', label: 'Partners', perm: 'partners.view' },
  { href: '/policy', label: 'Policy', perm: 'policy.test' },
  { href: '/pickup', label: 'Pickup', perm: 'portal.revoke' },
  { href: '/audit', label: 'Audit', perm: 'audit' },
  { href: '/health', label: 'Health', perm: 'health' },
];

export const navFor = (role: Role): NavItem[] => NAV.filter((n) => may(role, n.perm));

const PRE = 'sg_pre';

function loginForm(ctx: Ctx, message?: string): Safe {
  const pre = randomToken(24);
  setCookie(ctx.res, PRE, pre, { path: '/login' });
  return page(
    'Sign in',
    html`<h1>Sign in</h1>${message ? html`<p class="notice bad" role="alert">${message}</p>` : ''}
<form method="post" action="/login"><input type="hidden" name="_csrf" value="${pre}">
<label for="username">User name</label><input id="username" name="username" type="text" autocomplete="username" required>
<label for="password">Password</label><input id="password" name="password" type="password" autocomplete="current-password" required>
<p><button type="submit">Sign in</button></p></form>`,
    { narrow: true },
  );
}

function totpForm(csrf: string, message?: string): Safe {
  return page(
    'Verification code',
    html`<h1>Verification code</h1>${message ? html`<p class="notice bad" role="alert">${message}</p>` : ''}
<form method="post" action="/login/totp"><input type="hidden" name="_csrf" value="${csrf}">
<label for="code">6-digit code from your authenticator app</label><input id="code" name="code" type="text" inputmode="numeric" autocomplete="one-time-code" pattern="[0-9]{6}" required>
<p><button type="submit">Verify</button></p></form>`,
    { narrow: true },
  );
}

/** Wrong TOTP codes allowed per half-signed-in session before it is dropped. */
export const TOTP_TRIES = 3;

function mountSignIn(router: Router, c: Console, sessions: Sessions): void {
  const perUser = new RateLimiter(LOGIN_RATE_PER_MINUTE, c.deps.now);
  const perAddress = new RateLimiter(LOGIN_RATE_PER_ADDRESS_PER_MINUTE, c.deps.now);
  const allow = (ip: string, user: string) => perAddress.allow(ip) && perUser.allow(`${ip}|${user.toLowerCase()}`);
  const totpFailures = new Map<string, number>();
  router.get('/login', (ctx) => sendHtml(ctx, 200, loginForm(ctx)));
  router.post('/login', async (ctx) => {
    const form = await readForm(ctx.req);
    if (!sameToken(form.fields._csrf, ctx.cookies[PRE] ?? '')) throw new HttpError(403, 'missing or wrong CSRF token; reload the page and try again');
    if (!allow(ctx.ip, form.fields.username ?? '')) {
      await c.deps.store.audit.append({ type: 'web-login-rate-limited', actor: `web:${ctx.ip}`, data: {} });
      throw new HttpError(429, 'too many sign-in attempts; wait a minute');
    }
    const r = await c.users.login(form.fields.username ?? '', form.fields.password ?? '', ctx.ip);
    if (!r.ok) return sendHtml(ctx, 401, loginForm(ctx, r.why === 'locked' ? 'This account is locked after repeated failures. Try again later or ask an administrator.' : 'Wrong user name or password.'));
    const needsTotp = r.user.hasTotp || r.user.role === 'admin';
    if (needsTotp && !r.user.hasTotp) throw new HttpError(403, 'administrators need a TOTP secret: run sealgate user reset');
    await sessions.start(ctx, 'console', r.user.username, !needsTotp);
    if (!needsTotp) await c.deps.store.audit.append({ type: 'web-login', actor: `web:${r.user.username}`, data: { ip: ctx.ip, role: r.user.role } });
    redirect(ctx, needsTotp ? '/login/totp' : '/');
  });
  router.get('/login/totp', async (ctx) => {
    const s = await sessions.load(ctx, 'console');
    if (!s) return redirect(ctx, '/login');
    sendHtml(ctx, 200, totpForm(s.csrf));
  });
  router.post('/login/totp', async (ctx) => {
    const s = await sessions.load(ctx, 'console');
    if (!s) return redirect(ctx, '/login');
    const form = await readForm(ctx.req);
    if (!sameToken(form.fields._csrf, s.csrf)) throw new HttpError(403, 'missing or wrong CSRF token; reload the page and try again');
    if (!allow(ctx.ip, s.subject)) throw new HttpError(429, 'too many attempts; wait a minute');
    if (!(await c.users.checkTotp(s.subject, form.fields.code ?? ''))) {
      const n = (totpFailures.get(s.id) ?? 0) + 1;
      totpFailures.set(s.id, n);
      await c.deps.store.audit.append({ type: 'web-login-failed', actor: `web:${ctx.ip}`, data: { username: s.subject, why: 'bad-totp' } });
      if (n >= TOTP_TRIES) {
        totpFailures.delete(s.id);
        await sessions.end(ctx, 'console');
        return redirect(ctx, '/login');
      }
      return sendHtml(ctx, 401, totpForm(s.csrf, 'That code is not valid. Try the current one.'));
    }
    totpFailures.delete(s.id);
    // A new session id after the second factor (no fixation of the half-signed-in session).
    const full = await sessions.start(ctx, 'console', s.subject, true);
    await c.deps.store.audit.append({ type: 'web-login', actor: `web:${full.subject}`, data: { ip: ctx.ip, totp: true } });
    redirect(ctx, '/');
  });
  router.post('/logout', async (ctx) => {
    const who = await principal(ctx, c.guards);
    const form = await readForm(ctx.req);
    if (who && sameToken(form.fields._csrf, who.session.csrf)) {
      await c.deps.store.audit.append({ type: 'web-logout', actor: who.actor, data: {} });
      await sessions.end(ctx, 'console');
    }
    redirect(ctx, '/login');
  });
}

/** Console page and API modules, each mounting its own routes. */
export type ConsoleModule = (c: Console, router: Router) => void;

export function createConsoleMount(modules: ConsoleModule[]) {
  return (router: Router, deps: WebDeps): void => {
    const kek = loadKek(deps.cfg.pki!.kek, deps.cfg.dir);
    const users = new UserStore(deps.store.db, deps.store.audit, kek, deps.now);
    const sessions = new Sessions(deps.store.db, deps.now);
    const guards: GuardDeps = {
      sessions,
      audit: deps.store.audit,
      roleOf: async (name) => {
        const u = await users.get(name);
        return u && !u.disabled ? u.role : null;
      },
    };
    const c: Console = {
      deps,
      users,
      guards,
      get: (path, perm, h) => void router.get(path, guard(guards, perm, h)),
      post: (path, perm, h) => void router.post(path, guard(guards, perm, h)),
      render: (ctx, who, title, current, body, status = 200) =>
        sendHtml(ctx, status, page(`${title} · Sealgate`, body, { nav: navFor(who.role), current, user: `${who.username} (${who.role})`, csrf: who.session.csrf })),
      audit: async (who, type, data = {}, messageId) => void (await deps.store.audit.append({ type, actor: who.actor, data, ...(messageId ? { messageId } : {}) })),
    };
    mountSignIn(router, c, sessions);
    for (const m of modules) m(c, router);
  };
}

/** Hidden CSRF field for a form of the signed-in user. */
export const csrfField = (who: Principal): Safe => html`<input type="hidden" name="_csrf" value="${who.session.csrf}">`;
