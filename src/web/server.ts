// web: the HTTPS listener on `web.listen` that serves the administration console (/, /api/…), the
// secure pickup portal (/p/…), published CRLs (/crl/…) and /healthz. This file owns the listener,
// the per-request security headers and error handling; pages live in console*.ts and portal.ts.
// Built on node:https plus the small router in http.ts rather than a framework (see http.ts).
// Trust level: network-facing (the portal is reachable by outside recipients); never serves
// plaintext HTTP; sessions and CSRF in auth.ts; every state change is audited by its page.
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Config } from '../config/types.js';
import type { Logger } from '../log/logger.js';
import type { OpenedStore } from '../store/index.js';
import type { LocalSubmitter } from '../queue/submit.js';
import type { AntivirusStage } from '../antivirus/stage.js';
import { HttpError, Router, parseCookies, send, sendHtml, setSecurityHeaders, type Ctx, type Handler } from './http.js';
import { APP_CSS, APP_JS } from './assets.js';
import { errorPage } from './layout.js';
import { createCrlHandler } from '../pki/crl-http.js';

export interface WebDeps {
  cfg: Config;
  store: OpenedStore;
  logger: Logger;
  now: () => Date;
  /** Queues gateway-written mail (portal codes and replies, review DSNs). */
  submitter: LocalSubmitter;
  antivirus?: Pick<AntivirusStage, 'health' | 'checkHealth'>;
  /** Addresses of the SMTP listeners (for the health page). */
  listeners: () => Record<string, { host: string; port: number }>;
}

export interface WebServer {
  port: number;
  close(): Promise<void>;
}

/** Mount points filled by other modules (routes added in order). */
export type Mount = (router: Router, deps: WebDeps) => void | Promise<void>;

/** Longest time one request may take to arrive (slow-loris guard). */
export const REQUEST_TIMEOUT_MS = 60_000;
export const HEADERS_TIMEOUT_MS = 20_000;

/** CRLs at /crl/{root,internal,external}.crl (src/pki/crl-http.ts; the PKI is opened on first request). */
function mountCrl(router: Router, deps: WebDeps): void {
  const handler = createCrlHandler({ cfg: deps.cfg, store: deps.store });
  router.get('/crl/*', (ctx) => handler(ctx.req, ctx.res));
}

function mountBasics(router: Router): void {
  router.get('/healthz', (ctx) => send(ctx, 200, 'text/plain; charset=utf-8', 'ok\n'));
  router.get('/static/app.js', (ctx) => send(ctx, 200, 'text/javascript; charset=utf-8', APP_JS, { 'Cache-Control': 'max-age=3600' }));
  router.get('/static/app.css', (ctx) => send(ctx, 200, 'text/css; charset=utf-8', APP_CSS, { 'Cache-Control': 'max-age=3600' }));
}

async function dispatch(router: Router, deps: WebDeps, req: IncomingMessage, res: ServerResponse): Promise<void> {
  setSecurityHeaders(res);
  const url = new URL(req.url ?? '/', 'https://localhost');
  const ctx: Ctx = { req, res, url, method: req.method ?? 'GET', params: {}, ip: req.socket.remoteAddress ?? '', cookies: parseCookies(req.headers.cookie) };
  try {
    const m = router.match(ctx.method, url.pathname);
    if (m === 'method') throw new HttpError(405, 'method not allowed');
    if (!m) throw new HttpError(404, 'not found');
    ctx.params = m.params;
    await m.handler(ctx);
  } catch (err) {
    const status = err instanceof HttpError ? err.status : 500;
    // Unknown errors never leak their text (it could hold a path or a query).
    const message = err instanceof HttpError ? err.message : 'internal error';
    if (status === 500) deps.logger.error({ err: (err as Error).message, path: url.pathname }, 'web request failed');
    if (res.headersSent) return void res.destroy();
    if (url.pathname.startsWith('/api/')) send(ctx, status, 'application/json; charset=utf-8', JSON.stringify({ error: message }));
    else sendHtml(ctx, status, errorPage(status, message));
  }
}

/** Starts the HTTPS listener with `mounts` (console, portal) after the basic routes. */
export async function startWebServer(deps: WebDeps, tls: { cert: Buffer; key: Buffer; minVersion: string }, mounts: Mount[] = []): Promise<WebServer> {
  const router = new Router();
  mountBasics(router);
  mountCrl(router, deps);
  for (const m of mounts) await m(router, deps);
  const server: Server = createServer({ cert: tls.cert, key: tls.key, minVersion: tls.minVersion as 'TLSv1.2' }, (req, res) => void dispatch(router, deps, req, res));
  server.requestTimeout = REQUEST_TIMEOUT_MS;
  server.headersTimeout = HEADERS_TIMEOUT_MS;
  const { host, port } = deps.cfg.web.listen;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return {
    port: (server.address() as { port: number }).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

export type { Handler };
