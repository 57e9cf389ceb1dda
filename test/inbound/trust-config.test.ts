// `inbound.trustAnchors` is checked: a value that is not a list is a config error naming the key,
// and a listed file that cannot be read stops `sealgate start` with the file's path (rather than
// weakening every later signature check without a word).
import { afterAll, expect, test } from 'vitest';
import { join } from 'node:path';
import { cleanup, sealgate, setupGateway, startGatewayProcess, type GatewaySetup } from '../helpers/gateway.js';
import { freePort } from '../helpers/gateway.js';

const made: GatewaySetup[] = [];
afterAll(() => {
  for (const s of made) cleanup(s.dir);
});

test('trustAnchors must be a list of paths', async () => {
  const s = await setupGateway({ internalPort: await freePort(), edit: (y) => y + '\ninbound:\n  trustAnchors: /etc/ssl/one.pem\n' });
  made.push(s);
  const r = sealgate(['check-config', '--config', s.config]);
  expect(r.status).not.toBe(0);
  expect(r.stderr).toMatch(/inbound\.trustAnchors.*expected a list of certificate file paths/);
}, 60_000);

test('an unreadable trust anchor file stops startup with its path', async () => {
  const s = await setupGateway({ internalPort: await freePort(), edit: (y) => y + '\ninbound:\n  trustAnchors:\n    - anchors/missing.pem\n' });
  made.push(s);
  expect(sealgate(['check-config', '--config', s.config]).status).toBe(0);
  await expect(startGatewayProcess(s)).rejects.toThrow(new RegExp(`cannot read trust anchor file ${join(s.dir, 'anchors', 'missing.pem').replace(/[.]/g, '\\.')}`));
}, 60_000);
