// The HTTPS listener: started by the gateway on web.listen with the configured TLS pair; every
// response carries the security headers; no plaintext HTTP.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect } from 'node:net';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cleanup, sealgate, setupGateway, startGatewayProcess, waitPort, type GatewayProcess, type GatewaySetup } from '../helpers/gateway.js';
import { https } from './web-helpers.js';

let setup: GatewaySetup;
let gw: GatewayProcess;

beforeAll(async () => {
  setup = await setupGateway({ internalPort: 9 });
  gw = await startGatewayProcess(setup);
  await waitPort(setup.webPort, 60000);
}, 120000);

afterAll(async () => {
  await gw?.stop();
  if (setup) cleanup(setup.dir);
});

describe('web listener', () => {
  it('answers /healthz over HTTPS with the security headers', async () => {
    const r = await https(setup.webPort, '/healthz');
    expect(r.status).toBe(200);
    expect(r.body).toBe('ok\n');
    const csp = String(r.headers['content-security-policy']);
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    expect(csp).toContain("frame-ancestors 'none'");
    expect(r.headers['strict-transport-security']).toMatch(/max-age=\d+/);
    expect(r.headers['x-content-type-options']).toBe('nosniff');
    expect(r.headers['referrer-policy']).toBe('no-referrer');
  });

  it('puts the headers on error pages too', async () => {
    const r = await https(setup.webPort, '/no/such/page');
    expect(r.status).toBe(404);
    expect(r.headers['content-security-policy']).toBeDefined();
    expect(r.headers['strict-transport-security']).toBeDefined();
  });

  it('serves the CA CRLs at /crl/ (the certificate directory handler)', async () => {
    const r = await https(setup.webPort, '/crl/internal.crl');
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toBe('application/pkix-crl');
    expect((await https(setup.webPort, '/crl/nope.crl')).status).toBe(404);
  });

  it('does not speak plaintext HTTP', async () => {
    const answer = await new Promise<string>((resolve) => {
      const s = connect(setup.webPort, '127.0.0.1', () => s.write('GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n'));
      let got = '';
      s.on('data', (d) => (got += d.toString('latin1')));
      s.on('close', () => resolve(got));
      s.on('error', () => resolve(got));
      setTimeout(() => s.destroy(), 3000);
    });
    expect(answer).not.toContain('200 OK');
  });

  it('checks web.portalExpiryDays and names the key', () => {
    const bad = join(setup.dir, 'bad.yaml');
    writeFileSync(bad, readFileSync(setup.config, 'utf8').replace('  # portalExpiryDays: 30', '  portalExpiryDays: 0'));
    const r = sealgate(['check-config', '--config', bad]);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('web.portalExpiryDays');
  });
});
