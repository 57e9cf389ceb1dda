// CRLs over HTTP (src/pki/crl-http.ts) on a plain node http server: GET /crl/NAME.crl answers a
// fresh DER CRL (application/pkix-crl, cache headers) that openssl reads; a revocation shows in the
// very next response; unknown paths 404, other methods 405, a matching ETag 304.
import { createServer, type Server } from 'node:http';
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCrlHandler } from '../../src/pki/crl-http.js';
import { issueProxyCertificate } from '../../src/pki/issue.js';
import type { DomainPki } from '../../src/pki/ca.js';
import type { OpenedStore } from '../../src/store/index.js';
import { cli, openFixturePki, opensslCrlText, pkiFixture } from './lifecycle-cli.js';

describe('CRL over HTTP', () => {
  let env: { dir: string; config: string };
  let pki: DomainPki;
  let store: OpenedStore;
  let server: Server;
  let base: string;
  beforeAll(async () => {
    env = await pkiFixture();
    ({ pki, store } = await openFixturePki(env.config));
    server = createServer(createCrlHandler(() => pki));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  }, 120_000);
  afterAll(async () => {
    await new Promise((r) => server?.close(r));
    await store?.close();
    if (env) rmSync(env.dir, { recursive: true, force: true });
  });

  it('serves each CA CRL as DER with application/pkix-crl and cache headers', async () => {
    for (const ca of ['root', 'internal', 'external']) {
      const r = await fetch(`${base}/crl/${ca}.crl`);
      expect(r.status).toBe(200);
      expect(r.headers.get('content-type')).toBe('application/pkix-crl');
      expect(r.headers.get('cache-control')).toMatch(/max-age=\d+/);
      expect(r.headers.get('last-modified')).toBeTruthy();
      expect(r.headers.get('expires')).toBeTruthy();
      const text = await opensslCrlText(Buffer.from(await r.arrayBuffer()));
      expect(text).toMatch(ca === 'root' ? /Issuer: .*Mail Root CA/ : ca === 'internal' ? /Issuer: .*Mail Issuing CA/ : /Issuer: .*External Recipients CA/);
      expect(text).toMatch(/No Revoked Certificates/);
    }
  });

  it('a certificate revoked by the CLI appears in the next CRL served (no restart, no wait)', async () => {
    const { encryption } = await issueProxyCertificate(pki, 'dave@hospital.example');
    const before = await fetch(`${base}/crl/internal.crl`);
    const etag = before.headers.get('etag')!;
    expect((await fetch(`${base}/crl/internal.crl`, { headers: { 'If-None-Match': etag } })).status).toBe(304);
    const rv = await cli('cert', 'revoke', encryption.serial, '--reason', 'keyCompromise', '--config', env.config);
    expect(rv.code).toBe(0);
    const after = await fetch(`${base}/crl/internal.crl`, { headers: { 'If-None-Match': etag } });
    expect(after.status).toBe(200);
    const text = await opensslCrlText(Buffer.from(await after.arrayBuffer()));
    expect(text.replace(/\s/g, '')).toContain(`SerialNumber:${encryption.serial.toUpperCase()}`);
    expect(text).toMatch(/Key Compromise/);
  });

  it('HEAD gives headers only; unknown paths 404; other methods 405', async () => {
    const head = await fetch(`${base}/crl/root.crl`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(Number(head.headers.get('content-length'))).toBeGreaterThan(100);
    expect((await fetch(`${base}/crl/other.crl`)).status).toBe(404);
    expect((await fetch(`${base}/crl/root.crl.bak`)).status).toBe(404);
    const post = await fetch(`${base}/crl/root.crl`, { method: 'POST', body: 'x' });
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET, HEAD');
  });
});
