// Entry of the web module for the gateway: the HTTPS server with the console and portal mounted.
// Trust level: see server.ts.
import { startWebServer, type Mount, type WebDeps, type WebServer } from './server.js';
import { createConsoleMount } from './console.js';
import { dashboardPages } from './pages-dashboard.js';
import { auditPages } from './pages-audit.js';
import { queuePages } from './pages-queue.js';
import { certificatePages } from './pages-certs.js';
import { partnerPages } from './pages-partners.js';
import { mountPortal, pickupPages } from './portal.js';
import { mountWkd } from '../openpgp/wkd-publish.js';

export type { WebDeps, WebServer };

/** Console, JSON API and portal routes, in order. */
// The OpenPGP Web Key Directory (our ADK and domain keys; public, no login) goes first.
const MOUNTS: Mount[] = [mountWkd, mountPortal, createConsoleMount([dashboardPages, queuePages, certificatePages, partnerPages, pickupPages, auditPages])];

export function startWeb(deps: WebDeps, tls: { cert: Buffer; key: Buffer; minVersion: string }): Promise<WebServer> {
  return startWebServer(deps, tls, MOUNTS);
}

export { createPortalMethod } from './portal-method.js';
export { portalStoreFor } from './portal.js';
