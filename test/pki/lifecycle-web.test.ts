// The served CRL on the running gateway's web listener (HTTPS, web.listen): after `sealgate cert
// revoke` (a separate process), the next GET /crl/internal.crl from the gateway lists the serial.
import { get } from 'node:https';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanup, sealgate, setupGateway, startGatewayProcess, freePort, type GatewayProcess, type GatewaySetup } from '../helpers/gateway.js';
import { opensslCrlText } from './lifecycle-cli.js';

function fetchInsecure(url: string): Promise<{ status: number; type: string; body: Buffer }> {
  return new Promise((res, rej) => {
    // A fresh connection per request: a kept-alive socket the server is just closing gives 'socket hang up'.
    get(url, { rejectUnauthorized: false, agent: false }, (r) => {
      const parts: Buffer[] = [];
      r.on('data', (d: Buffer) => parts.push(d));
      r.on('end', () => res({ status: r.statusCode ?? 0, type: String(r.headers['content-type']), body: Buffer.concat(parts) }));
    }).on('error', rej);
  });
}

describe('CRL on the gateway web listener', () => {
  let setup: GatewaySetup & { webPort: number };
  let gw: GatewayProcess;
  beforeAll(async () => {
    setup = (await setupGateway({ internalPort: await freePort(), domains: ['hospital.test'] })) as GatewaySetup & { webPort: number };
    gw = await startGatewayProcess(setup);
  }, 180_000);
  afterAll(async () => {
    await gw?.stop();
    if (setup) cleanup(setup.dir);
  });

  it('a serial revoked with the CLI appears in the CRL the running gateway serves', async () => {
    const issued = sealgate(['cert', 'issue', 'erin@hospital.test', '--config', setup.config]);
    expect(issued.status).toBe(0);
    const serial = /^([0-9a-f]+)\s+proxy-encryption/m.exec(issued.stdout)![1]!;
    const url = `https://127.0.0.1:${setup.webPort}/crl/internal.crl`;
    const before = await fetchInsecure(url).catch((e: Error) => {
      throw new Error(`${e.message}; gateway stderr: ${gw.stderr()}`);
    });
    expect(before.status).toBe(200);
    expect(before.type).toBe('application/pkix-crl');
    expect((await opensslCrlText(before.body)).replace(/\s/g, '')).not.toContain(serial.toUpperCase());
    const revoked = sealgate(['cert', 'revoke', serial, '--config', setup.config]);
    expect(revoked.status).toBe(0);
    const after = await fetchInsecure(url);
    expect(after.status).toBe(200);
    expect((await opensslCrlText(after.body)).replace(/\s/g, '')).toContain(`SerialNumber:${serial.toUpperCase()}`);
  });
});
