// Entry of the web module for the gateway: the HTTPS server with the console and portal mounted.
// Trust level: see server.ts.
import { startWebServer, type Mount, type WebDeps, type WebServer } from './server.js';

export type { WebDeps, WebServer };

/** Console, JSON API and portal routes, in order. */
const MOUNTS: Mount[] = [];

export function startWeb(deps: WebDeps, tls: { cert: Buffer; key: Buffer; minVersion: string }): Promise<WebServer> {
  return startWebServer(deps, tls, MOUNTS);
}
