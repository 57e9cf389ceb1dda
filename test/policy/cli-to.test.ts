// `sealgate policy test FILE --to ADDRESS… --config F [--json]` through the real built CLI against a
// gateway made by `sealgate init`: the action the decision matrix would take for those recipients
// (registered partner → protect, unregistered domain → hold, no PHI → deliver) and, per recipient,
// the protection method the planner would choose, without issuing, encrypting or sending.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cleanup, sealgate, setupGateway, type GatewaySetup } from '../helpers/gateway.js';

let gw: GatewaySetup;
const PHI =
  'From: Dr. Ann Lee <ann.lee@hospital.test>\r\nTo: <bob@partner.example>\r\nSubject: Referral\r\nMIME-Version: 1.0\r\nContent-Type: text/plain\r\n\r\n' +
  'Patient: John Smith\r\nDOB: 03/14/1962\r\nMRN: 4482913\r\n\r\nAssessment: type 2 diabetes mellitus with diabetic neuropathy.\r\nStarted metformin 500 mg twice daily.\r\n';
const PLAIN = 'From: a@hospital.test\r\nTo: b@gmail.example\r\nSubject: Lunch\r\n\r\nNoon on Friday?\r\n';

beforeAll(async () => {
  gw = await setupGateway({ internalPort: 9 });
  writeFileSync(join(gw.dir, 'phi.eml'), PHI);
  writeFileSync(join(gw.dir, 'plain.eml'), PLAIN);
  const r = sealgate(['partner', 'add', 'partner.example', '--kind', 'business-associate', '--config', gw.config]);
  expect(r.status, r.stderr).toBe(0);
}, 120_000);

afterAll(() => {
  if (gw) cleanup(gw.dir);
});

const run = (file: string, to: string[], json = true) => sealgate(['policy', 'test', join(gw.dir, file), ...to.flatMap((t) => ['--to', t]), '--config', gw.config, ...(json ? ['--json'] : [])]);

describe('sealgate policy test --to', () => {
  test('PHI to a registered partner: protect, with the method the planner picks', () => {
    const r = run('phi.eml', ['bob@partner.example']);
    expect(r.status, r.stderr).toBe(0);
    const o = JSON.parse(r.stdout);
    expect(o).toMatchObject({ phi: true, action: 'protect', notAllowed: [] });
    for (const k of ['file', 'phi', 'pii', 'score', 'threshold', 'reasons', 'action', 'method']) expect(o).toHaveProperty(k);
    // no certificate, not tls-required: S/MIME and TLS are skipped; a later configured method decides
    expect(['issue', 'portal', 'hold']).toContain(o.method);
    expect(o.recipients[0].why).toMatch(/^smime: no certificate/);
    expect(r.stdout).not.toContain('4482913');
  }, 120_000);

  test('PHI with an unregistered recipient: hold, no method; several recipients give a map', () => {
    const r = run('phi.eml', ['bob@partner.example', 'someone@gmail.example']);
    expect(r.status, r.stderr).toBe(0);
    const o = JSON.parse(r.stdout);
    expect(o).toMatchObject({ action: 'hold', notAllowed: ['someone@gmail.example'], method: { 'bob@partner.example': null, 'someone@gmail.example': null } });
  }, 120_000);

  test('no PHI: deliver; the text form names the action', () => {
    const r = run('plain.eml', ['b@gmail.example'], false);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/plain\.eml: no PHI \(score \d+, threshold 50\) -> deliver \(no phi\)/);
  }, 120_000);

  test('--to without --config: the PHI decision only, with a note on stderr', { timeout: 120_000 }, () => {
    const r = sealgate(['policy', 'test', join(gw.dir, 'phi.eml'), '--to', 'x@y.example', '--json']);
    expect(r.status).toBe(0);
    expect(r.stderr).toMatch(/need --config FILE/);
    expect(JSON.parse(r.stdout)).not.toHaveProperty('action');
  });
});
