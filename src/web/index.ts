// Entry of the web module for the gateway: the HTTPS server with the console and portal mounted.
// Trust level: see server.ts.
import { startWebServer, type Mount, type WebDeps, type WebServer } from './server.js';
import { createConsoleMount } from './console.js';
import { dashboardPages } from './pages-dashboard.js';
import { auditPages } from './pages-audit.js';
import { queuePages } from './pages-queue.js';
import { certificatePages } from './pages-certs.js';
import { partnerPages } from './pages-partners.js';

export type { WebDeps, WebServer };

/** Console, JSON API and portal routes, in order. */
const MOUNTS: Mount[] = [createConsoleMount([dashboardPages, queuePages, certificatePages, partnerPages, auditPages])];

export function startWeb(deps: WebDeps, tls: { cert: Buffer; key: Buffer; minVersion: string }): Promise<WebServer> {
  return startWebServer(deps, tls, MOUNTS);
}
