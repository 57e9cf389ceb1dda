// Helpers for the web tests: HTTPS requests to the gateway's self-signed listener, and Debian's
// Chromium through playwright-core (never a downloaded browser).
import { request } from 'node:https';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { freePort } from '../../src/bench/net.js';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { totp } from '../../src/web/totp.js';
import { ROOT, cleanup, sealgate, startGatewayProcess, waitPort, type GatewayProcess, type GatewaySetup } from '../helpers/gateway.js';
import type { SmtpSink } from '../helpers/smtp-sink.js';

export const CHROMIUM = '/usr/bin/chromium';
export const SCREENSHOTS = join(ROOT, 'docs', 'screenshots');

export interface HttpResult {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

export function https(port: number, path: string, opts: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<HttpResult> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method: opts.method ?? 'GET', headers: opts.headers, rejectUnauthorized: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    req.end(opts.body);
  });
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
}

/** A desktop-sized page that accepts the gateway's self-signed certificate. */
export async function newDesktopPage(browser: Browser): Promise<Page> {
  return (await browser.newContext({ ignoreHTTPSErrors: true, viewport: { width: 1280, height: 900 } })).newPage();
}

/** Signs in through the console's forms (password, then the TOTP code) and waits for the dashboard. */
export async function signInWithBrowser(page: Page, port: number, username: string, creds: { password: string; totpSecret?: string }): Promise<void> {
  await page.goto(`https://127.0.0.1:${port}/`);
  await page.getByLabel('User name').fill(username);
  await page.getByLabel('Password').fill(creds.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByLabel('6-digit code from your authenticator app').fill(totp(creds.totpSecret!, new Date()));
  await page.getByRole('button', { name: 'Verify' }).click();
  await page.getByRole('heading', { name: 'Dashboard' }).waitFor();
}

export function screenshotPath(name: string): string {
  mkdirSync(SCREENSHOTS, { recursive: true });
  return join(SCREENSHOTS, `${name}.png`);
}

/** Cookie header value from Set-Cookie lines (name=value pairs only). */
export function cookieJar(): { header(): string; take(r: HttpResult): void } {
  const jar = new Map<string, string>();
  return {
    header: () => [...jar].map(([k, v]) => `${k}=${v}`).join('; '),
    take(r) {
      const set = r.headers['set-cookie'];
      for (const line of Array.isArray(set) ? set : set ? [set] : []) {
        const [pair] = line.split(';');
        const i = pair!.indexOf('=');
        const v = pair!.slice(i + 1);
        if (/Max-Age=0/.test(line)) jar.delete(pair!.slice(0, i));
        else jar.set(pair!.slice(0, i), v);
      }
    },
  };
}

export const csrfOf = (body: string): string => /name="_csrf" value="([^"]+)"/.exec(body)?.[1] ?? '';

export interface ApiClient {
  csrf: string;
  get(path: string): Promise<HttpResult>;
  post(path: string, fields: Record<string, string>, opts?: { csrf?: boolean }): Promise<HttpResult>;
  json(path: string, value: Record<string, unknown>, opts?: { csrf?: boolean }): Promise<HttpResult>;
}

/** Signs in over HTTP (password, then TOTP when `totpCode` is given) and returns a client with the session. */
export async function signIn(port: number, username: string, password: string, totpCode?: () => string): Promise<ApiClient & { last: HttpResult }> {
  const jar = cookieJar();
  const form = (fields: Record<string, string>) => new URLSearchParams(fields).toString();
  const get = async (path: string) => {
    const r = await https(port, path, { headers: { cookie: jar.header() } });
    jar.take(r);
    return r;
  };
  const post = async (path: string, fields: Record<string, string>, o: { csrf?: boolean; token?: string } = {}) => {
    const body = form(o.csrf === false ? fields : { _csrf: o.token ?? client.csrf, ...fields });
    const r = await https(port, path, { method: 'POST', headers: { cookie: jar.header(), 'content-type': 'application/x-www-form-urlencoded' }, body });
    jar.take(r);
    return r;
  };
  const client = {
    csrf: '',
    last: undefined as unknown as HttpResult,
    get,
    post: (path: string, fields: Record<string, string>, o: { csrf?: boolean } = {}) => post(path, fields, o),
    async json(path: string, value: Record<string, unknown>, o: { csrf?: boolean } = {}) {
      const headers: Record<string, string> = { cookie: jar.header(), 'content-type': 'application/json' };
      if (o.csrf !== false) headers['x-csrf-token'] = client.csrf;
      const r = await https(port, path, { method: 'POST', headers, body: JSON.stringify(value) });
      jar.take(r);
      return r;
    },
  };
  const loginPage = await get('/login');
  let r = await post('/login', { username, password }, { token: csrfOf(loginPage.body) });
  client.last = r;
  if (r.status !== 303) return client;
  if (r.headers.location === '/login/totp' && totpCode) {
    const page = await get('/login/totp');
    r = await post('/login/totp', { code: totpCode() }, { token: csrfOf(page.body) });
    client.last = r;
  }
  const home = await get('/');
  client.csrf = csrfOf(home.body);
  return client;
}

/** Parses `sealgate user add|reset` output. */
export function credentials(stdout: string): { password: string; totpSecret?: string } {
  const password = /password for \S+: (\S+)/.exec(stdout)?.[1];
  if (!password) throw new Error(`no password in: ${stdout}`);
  const totpSecret = /TOTP secret for \S+: (\S+)/.exec(stdout)?.[1];
  return { password, ...(totpSecret ? { totpSecret } : {}) };
}

/** `sealgate user reset NAME`: the account's new password and TOTP secret (throws if the command fails). */
export function resetUser(setup: GatewaySetup, name = 'admin'): { password: string; totpSecret?: string } {
  const r = sealgate(['user', 'reset', name, '--config', setup.config]);
  if (r.status !== 0) throw new Error(`sealgate user reset ${name}: ${r.stderr}`);
  return credentials(r.stdout);
}

/** True once the console answers an HTTPS request on `port` (any status), false after `ms`. */
async function answersHttps(port: number, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    try {
      await https(port, '/login');
      return true;
    } catch {
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  return false;
}

/**
 * Starts `sealgate start` for `setup` and waits until its web listener answers over HTTPS. The
 * port came from freePort(), so another test's server may have taken it before the gateway bound
 * it (the browser then met that server: ERR_SSL_PROTOCOL_ERROR): the gateway is started again on a
 * new port, at most twice.
 */
export async function startWithWeb(setup: GatewaySetup): Promise<GatewayProcess> {
  for (let attempt = 0; ; attempt++) {
    const gw = await startGatewayProcess(setup);
    await waitPort(setup.webPort, 60000);
    if (await answersHttps(setup.webPort, 30000)) return gw;
    await gw.stop();
    if (attempt >= 2) throw new Error(`the console did not answer over HTTPS on port ${setup.webPort}`);
    const port = await freePort();
    writeFileSync(setup.config, readFileSync(setup.config, 'utf8').replace(`127.0.0.1:${setup.webPort}`, `127.0.0.1:${port}`));
    (setup as { webPort: number }).webPort = port;
  }
}

/** Stops what a web test started, browser first, and removes its folder; tolerates parts never started. */
export async function stopWebTest(p: { browser?: Browser; gw?: GatewayProcess; sinks: Array<SmtpSink | undefined>; setup?: GatewaySetup }): Promise<void> {
  await p.browser?.close();
  await p.gw?.stop();
  await Promise.all(p.sinks.map((s) => s?.close()));
  if (p.setup) cleanup(p.setup.dir);
}
