// Test-only: a tiny HTTP server on a free loopback port serving in-memory files (trust bundles,
// CRLs) that a test can swap, fail (500) or make hang. Trust level: test harness.
import { createServer, type Server } from 'node:http';
import type { Socket } from 'node:net';
import { freePort } from '../helpers/gateway.js';

export interface HttpFiles {
  port: number;
  url(path: string): string;
  files: Map<string, Buffer | 'fail' | 'hang'>;
  hits: Map<string, number>;
  close(): Promise<void>;
}

export async function startHttpFiles(): Promise<HttpFiles> {
  const files = new Map<string, Buffer | 'fail' | 'hang'>();
  const hits = new Map<string, number>();
  const sockets = new Set<Socket>();
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0]!;
    hits.set(path, (hits.get(path) ?? 0) + 1);
    const f = files.get(path);
    if (f === 'hang') return;
    if (f === undefined || f === 'fail') {
      res.writeHead(f === 'fail' ? 500 : 404).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': f.length }).end(f);
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  const port = await freePort();
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
  return {
    port,
    url: (p) => `http://127.0.0.1:${port}${p}`,
    files,
    hits,
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}
