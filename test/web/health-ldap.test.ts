// The health page and /api/health ask each configured LDAP directory for its base entry: a real
// slapd (bound as its manager) is reported ok with the time it took; a directory on a port where
// nothing listens is reported with the connection error; when slapd stops, it turns to an error.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanup, setupGateway, type GatewayProcess, type GatewaySetup } from '../helpers/gateway.js';
import { startSlapd, type SlapdProcess } from '../helpers/slapd.js';
import { freePort } from '../../src/bench/net.js';
import { totp } from '../../src/web/totp.js';
import { resetUser, signIn, startWithWeb, type ApiClient } from './web-helpers.js';

let setup: GatewaySetup;
let gw: GatewayProcess;
let ldap: SlapdProcess;
let deadUrl: string;
let admin: ApiClient;

beforeAll(async () => {
  ldap = await startSlapd({ suffix: 'dc=partner,dc=test' });
  deadUrl = `ldap://127.0.0.1:${await freePort()}`;
  setup = await setupGateway({
    internalPort: 9,
    edit: (y) => [
      y,
      'directory:',
      '  sources: [local, ldap]',
      '  ldap:',
      `    - url: ${ldap.url}`,
      `      baseDn: "${ldap.suffix}"`,
      `      bindDn: "${ldap.rootDn}"`,
      `      password: "${ldap.rootPw}"`,
      '      timeoutMs: 3000',
      `    - url: ${deadUrl}`,
      '      baseDn: "dc=gone,dc=test"',
      '      timeoutMs: 1000',
      '',
    ].join('\n'),
  });
  const creds = resetUser(setup);
  gw = await startWithWeb(setup);
  admin = await signIn(setup.webPort, 'admin', creds.password, () => totp(creds.totpSecret!, new Date()));
}, 180_000);

afterAll(async () => {
  await gw?.stop();
  await ldap?.stop();
  if (setup) cleanup(setup.dir);
});

type Probe = { url: string; status: string; ms: number };
const probes = async (): Promise<Probe[]> => {
  const r = await admin.get('/api/health');
  expect(r.status).toBe(200);
  return (JSON.parse(r.body) as { directories: { ldap: Probe[] } }).directories.ldap;
};

describe('health: LDAP directories', () => {
  it('reports the live directory ok and the dead one with its error, on the API and the page', async () => {
    const [live, dead] = await probes();
    expect(live).toMatchObject({ url: ldap.url, status: 'ok' });
    expect(live!.ms).toBeGreaterThanOrEqual(0);
    expect(dead!.url).toBe(deadUrl);
    expect(dead!.status).toMatch(/^error: .*ECONNREFUSED/);
    const page = await admin.get('/health');
    expect(page.body).toContain(`<td>${ldap.url}</td><td class="ok">ok</td>`);
    expect(page.body).toMatch(new RegExp(`<td>${deadUrl.replace(/[.:/]/g, '\\$&')}</td><td class="bad">error: [^<]*ECONNREFUSED`));
  }, 60_000);

  it('turns to an error when the directory stops', async () => {
    await ldap.stop();
    const [live] = await probes();
    expect(live!.status).toMatch(/^error: /);
  }, 60_000);
});
