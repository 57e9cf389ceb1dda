// Console authentication and authorization over HTTPS: cookie flags, CSRF, lockout, TOTP for
// admins, and each role refused what it may not do on pages and on the JSON API.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanup, sealgate, setupGateway, type GatewayProcess, type GatewaySetup } from '../helpers/gateway.js';
import { totp } from '../../src/web/totp.js';
import { credentials, https, signIn, type ApiClient, startWithWeb, resetUser } from './web-helpers.js';

let setup: GatewaySetup;
let gw: GatewayProcess;
const creds: Record<string, { password: string; totpSecret?: string }> = {};
const code = (name: string) => () => totp(creds[name]!.totpSecret!, new Date());
let adminSession: Promise<ApiClient> | undefined;
/** One admin session for the file (sign-ins per user are rate-limited). */
const admin = () => (adminSession ??= signIn(setup.webPort, 'admin', creds.admin!.password, code('admin')));

beforeAll(async () => {
  setup = await setupGateway({ internalPort: 9 });
  for (const [name, role] of [['olivia', 'privacy-officer'], ['arthur', 'auditor'], ['lucy', 'auditor']]) {
    const r = sealgate(['user', 'add', name!, '--role', role!, '--config', setup.config]);
    expect(r.status, r.stderr).toBe(0);
    creds[name!] = credentials(r.stdout);
  }
  creds.admin = resetUser(setup);
  gw = await startWithWeb(setup);
}, 180000);

afterAll(async () => {
  await gw?.stop();
  if (setup) cleanup(setup.dir);
});

describe('sign-in', () => {
  it('init created an admin whose TOTP secret is printed once, and user list shows it', () => {
    const r = sealgate(['user', 'list', '--config', setup.config]);
    expect(r.stdout).toMatch(/^admin {2}admin {2}totp$/m);
    expect(r.stdout).toMatch(/^olivia {2}privacy-officer$/m);
  });

  it('sets the session cookie HttpOnly, Secure, SameSite=Strict', async () => {
    const c = await signIn(setup.webPort, 'arthur', creds.arthur!.password);
    const set = ([] as string[]).concat(c.last.headers['set-cookie'] ?? []);
    const session = set.find((s) => s.startsWith('sg_session='))!;
    expect(session).toMatch(/HttpOnly/);
    expect(session).toMatch(/Secure/);
    expect(session).toMatch(/SameSite=Strict/);
  });

  it('requires the TOTP code for an admin: the password alone gives no access', async () => {
    const half = await signIn(setup.webPort, 'admin', creds.admin!.password);
    expect(half.last.headers.location).toBe('/login/totp');
    expect((await half.get('/api/queue')).status).toBe(401);
    const wrong = await signIn(setup.webPort, 'admin', creds.admin!.password, () => '000000');
    expect(wrong.last.status).toBe(401);
    expect((await (await admin()).get('/api/queue')).status).toBe(200);
  });

  it('refuses a POST without the CSRF token (sign-in form and API)', async () => {
    const r = await https(setup.webPort, '/login', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'username=arthur&password=x' });
    expect(r.status).toBe(403);
    const noToken = await (await admin()).json('/api/partners', { pattern: 'csrf.example', kind: 'healthcare' }, { csrf: false });
    expect(noToken.status).toBe(403);
    const form = await (await admin()).post('/partners', { pattern: 'csrf.example', kind: 'healthcare' }, { csrf: false });
    expect(form.status).toBe(403);
    expect((await (await admin()).get('/api/partners')).body).not.toContain('csrf.example');
  });

  it('locks an account after five wrong passwords, even for the right one', async () => {
    for (let i = 0; i < 5; i++) expect((await signIn(setup.webPort, 'lucy', 'wrong-password')).last.status).toBe(401);
    const right = await signIn(setup.webPort, 'lucy', creds.lucy!.password);
    expect(right.last.status).toBe(401);
    expect(right.last.body).toContain('locked');
    const audit = JSON.parse((await (await admin()).get('/api/audit?type=web-user-locked')).body) as { records: Array<{ data: string }> };
    expect(audit.records[0]!.data).toContain('lucy');
  });

  it('sends unauthenticated pages to /login and answers the API with 401', async () => {
    expect((await https(setup.webPort, '/queue')).headers.location).toBe('/login');
    expect((await https(setup.webPort, '/api/queue')).status).toBe(401);
  });
});

describe('roles', () => {
  let auditor: ApiClient;
  let officer: ApiClient;
  beforeAll(async () => {
    auditor = await signIn(setup.webPort, 'arthur', creds.arthur!.password);
    officer = await signIn(setup.webPort, 'olivia', creds.olivia!.password);
  });

  it('auditor: reads the audit trail and health, is refused queue, review, certificates, policy and changes', async () => {
    for (const p of ['/audit', '/api/audit', '/health', '/', '/partners']) expect((await auditor.get(p)).status, p).toBe(200);
    for (const p of ['/queue', '/api/queue', '/review', '/api/review', '/certificates', '/api/certificates', '/api/certificates/pending', '/policy', '/pickup']) expect((await auditor.get(p)).status, p).toBe(403);
    expect((await auditor.json('/api/partners', { pattern: 'aud.example', kind: 'healthcare' })).status).toBe(403);
    expect((await auditor.json('/api/policy/test', { message: 'Subject: x\r\n\r\nhello' })).status).toBe(403);
    expect((await auditor.json('/api/certificates/password', { query: 'x@y.example' })).status).toBe(403);
  });

  it('privacy officer: reviews and tests messages, is refused the audit trail, queue changes and partner changes', async () => {
    for (const p of ['/review', '/api/review', '/queue', '/policy', '/certificates', '/certificates/pending', '/pickup']) expect((await officer.get(p)).status, p).toBe(200);
    for (const p of ['/audit', '/api/audit', '/health', '/api/health']) expect((await officer.get(p)).status, p).toBe(403);
    expect((await officer.json('/api/partners', { pattern: 'po.example', kind: 'healthcare' })).status).toBe(403);
    expect((await officer.json('/api/queue/nonexistent/delete', {})).status).toBe(403);
    expect((await officer.json('/api/certificates/abcd/revoke', {})).status).toBe(403);
    expect((await officer.get('/partners')).body).not.toContain('Add a partner');
  });

  it('records every refusal in the audit trail', async () => {
    const r = JSON.parse((await (await admin()).get('/api/audit?type=web-access-denied')).body) as { records: Array<{ actor: string }> };
    const actors = new Set(r.records.map((x) => x.actor));
    expect(actors.has('web:arthur')).toBe(true);
    expect(actors.has('web:olivia')).toBe(true);
  });

  it('disabling a user ends their session at once', async () => {
    const r = sealgate(['user', 'disable', 'olivia', '--config', setup.config]);
    expect(r.status).toBe(0);
    expect((await officer.get('/api/review')).status).toBe(401);
  });
});
