// `sealgate pending list --config F [--json]` and `pending remove ADDRESS`: the pending-certificate
// requests with their status, as the operator sees them (the built CLI against a database made by
// `sealgate init`).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { userInfo } from 'node:os';
import { loadConfig } from '../../src/config/load.js';
import { openStore } from '../../src/store/index.js';
import { createLocalSubmitter } from '../../src/queue/submit.js';
import { createPendingWorkflow } from '../../src/directory/pending.js';
import { cleanup, freePort, sealgate, setupGateway, type GatewaySetup } from '../helpers/gateway.js';

let setup: GatewaySetup;
const T0 = new Date('2026-06-01T08:00:00Z');

beforeAll(async () => {
  setup = await setupGateway({ internalPort: await freePort() });
  const cfg = loadConfig(setup.config);
  const store = await openStore({ database: cfg.database, spoolDir: join(cfg.dataDir, 'spool') });
  let now = T0;
  const clock = { now: () => now };
  try {
    const submitter = createLocalSubmitter({ store, hostname: cfg.hostname, limits: cfg.limits, clock, audit: store.audit });
    const wf = createPendingWorkflow({ store, submitter, config: { pending: { reminderHours: 24, expireDays: 7, fallback: 'hold' } }, domains: cfg.domains, organization: 'Example Hospital', hostname: cfg.hostname, clock });
    await wf.request('pat@clinic.example', { requestedBy: 'dr.smith@hospital.test', messageId: 'MSG1' });
    await wf.request('pat@clinic.example', { requestedBy: 'dr.smith@hospital.test', messageId: 'MSG2' });
    await wf.request('lee@other.example', { requestedBy: 'nurse@hospital.test', messageId: 'MSG3' });
    now = new Date(T0.getTime() + 25 * 3_600_000);
    await wf.tick();
    await wf.received('lee@other.example');
  } finally {
    await store.close();
  }
}, 120_000);

afterAll(() => {
  if (setup) cleanup(setup.dir);
});

describe('sealgate pending list', () => {
  it('--json lists each request with its status, dates and held messages', () => {
    const r = sealgate(['pending', 'list', '--config', setup.config, '--json']);
    expect(r.status, r.stderr).toBe(0);
    const rows = JSON.parse(r.stdout) as Array<Record<string, unknown>>;
    const pat = rows.find((x) => x.address === 'pat@clinic.example');
    expect(pat).toEqual({
      address: 'pat@clinic.example',
      status: 'reminded',
      requestedAt: T0.toISOString(),
      remindedAt: '2026-06-02T09:00:00.000Z',
      expiresAt: '2026-06-08T08:00:00.000Z',
      requestedBy: 'dr.smith@hospital.test',
      messages: ['MSG1', 'MSG2'],
    });
    expect(rows.find((x) => x.address === 'lee@other.example')?.status).toBe('received');
  });

  it('prints a table by default, and filters by --status', () => {
    const r = sealgate(['pending', 'list', '--config', setup.config]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^ADDRESS\s+STATUS\s+REQUESTED\s+REMINDED\s+EXPIRES\s+HELD\s+REQUESTED BY$/m);
    expect(r.stdout).toMatch(/^pat@clinic\.example\s+reminded\s+2026-06-01 08:00 2026-06-02 09:00 2026-06-08 08:00\s+2  dr\.smith@hospital\.test$/m);
    const only = sealgate(['pending', 'list', '--config', setup.config, '--status', 'received']);
    expect(only.stdout).toContain('lee@other.example');
    expect(only.stdout).not.toContain('pat@clinic.example');
  });

  it('names the problem and exits non-zero for a bad --status or a missing config file', () => {
    const bad = sealgate(['pending', 'list', '--config', setup.config, '--status', 'lost']);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('--status: expected one of requested, reminded, received, expired');
    const missing = sealgate(['pending', 'list', '--config', join(setup.dir, 'nope.yaml')]);
    expect(missing.status).toBe(2);
    expect(missing.stderr).toContain('nope.yaml');
    expect(missing.stderr).not.toMatch(/\n\s+at /);
  });

  it('remove forgets one request (audited with the operator); removing it again says there is none', async () => {
    const r = sealgate(['pending', 'remove', 'Lee@Other.example', '--config', setup.config]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toBe('removed the pending certificate request for lee@other.example\n');
    const rows = JSON.parse(sealgate(['pending', 'list', '--config', setup.config, '--json']).stdout) as Array<{ address: string }>;
    expect(rows.map((x) => x.address)).toEqual(['pat@clinic.example']);
    const again = sealgate(['pending', 'remove', 'lee@other.example', '--config', setup.config]);
    expect(again.status).toBe(1);
    expect(again.stderr).toBe('sealgate: pending remove: no pending certificate request for lee@other.example\n');
    const cfg = loadConfig(setup.config);
    const store = await openStore({ database: cfg.database, spoolDir: join(cfg.dataDir, 'spool') });
    try {
      const [rec] = await store.audit.list({ type: 'pending-removed', limit: 10 });
      expect(rec).toMatchObject({ actor: `cli:${userInfo().username}`, data: { address: 'lee@other.example' } });
    } finally {
      await store.close();
    }
  });
});
