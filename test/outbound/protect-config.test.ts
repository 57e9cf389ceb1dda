// The protection stage's configuration keys (outbound.domainSign, outbound.methods,
// outbound.tlsTrustAnchors, outbound.tlsProbeTimeoutSeconds): defaults, relative paths resolved
// against the config file's folder, and errors that name the key path, both in the pure resolver and
// through the real `sealgate check-config` (exit 2). An unreadable trust anchor file stops startup
// with the key path.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { OUTBOUND_DEFAULTS, resolveOutboundConfig } from '../../src/outbound/config.js';
import { cleanup, freePort, sealgate, setupGateway, type GatewaySetup } from '../helpers/gateway.js';
import { spawnSync } from 'node:child_process';
import { CLI } from '../helpers/gateway.js';

function resolveWith(raw: unknown) {
  const problems: string[] = [];
  const cfg = resolveOutboundConfig(raw, (p, m) => problems.push(`${p}: ${m}`), '/etc/sealgate');
  return { cfg, problems };
}

describe('outbound protection config', () => {
  it('defaults: domain signing on, methods smime → tls → issue → portal → hold, system trust store, 10 s probe', () => {
    const { cfg, problems } = resolveWith(undefined);
    expect(problems).toEqual([]);
    expect(cfg).toMatchObject({ domainSign: true, methods: ['smime', 'tls', 'issue', 'portal', 'hold'], tlsTrustAnchors: [], tlsProbeTimeoutSeconds: 10 });
    expect(OUTBOUND_DEFAULTS.tlsProbeTimeoutSeconds).toBe(10);
  });

  it('relative trust anchor paths resolve against the config folder', () => {
    const { cfg } = resolveWith({ tlsTrustAnchors: ['partners/ca.pem', '/abs/ca.pem'], tlsProbeTimeoutSeconds: 3 });
    expect(cfg.tlsTrustAnchors).toEqual(['/etc/sealgate/partners/ca.pem', '/abs/ca.pem']);
    expect(cfg.tlsProbeTimeoutSeconds).toBe(3);
  });

  it('bad values are named by key path', () => {
    const { problems } = resolveWith({ tlsTrustAnchors: 'ca.pem', tlsProbeTimeoutSeconds: 0, domainSign: 'yes', methods: ['smime', 'carrier-pigeon'] });
    expect(problems).toEqual(expect.arrayContaining([
      expect.stringMatching(/^outbound\.tlsTrustAnchors: expected a list/),
      expect.stringMatching(/^outbound\.tlsProbeTimeoutSeconds: expected a whole number of seconds between 1 and 120, got 0/),
      expect.stringMatching(/^outbound\.domainSign: expected true or false/),
      expect.stringMatching(/^outbound\.methods\[1\]: expected one of/),
    ]));
    expect(resolveWith({ tlsTrustAnchors: [''] }).problems).toEqual([expect.stringMatching(/^outbound\.tlsTrustAnchors\[0\]: expected a file path/)]);
  });

  describe('through the CLI', () => {
    let setup: GatewaySetup;
    beforeAll(async () => {
      setup = await setupGateway({ internalPort: await freePort() });
    }, 120_000);
    afterAll(() => setup && cleanup(setup.dir));

    it('check-config names the key path and exits 2', () => {
      const base = readFileSync(setup.config, 'utf8');
      writeFileSync(setup.config, base + '\noutbound:\n  tlsProbeTimeoutSeconds: 500\n');
      const r = sealgate(['check-config', '--config', setup.config]);
      expect(r.status).toBe(2);
      expect(r.stdout + r.stderr).toMatch(/outbound\.tlsProbeTimeoutSeconds: expected a whole number of seconds between 1 and 120, got 500/);
      expect(r.stderr).not.toMatch(/at .*\.js:\d+/);
      writeFileSync(setup.config, base);
    });

    it('an unreadable trust anchor file stops start with the key path', () => {
      const base = readFileSync(setup.config, 'utf8');
      writeFileSync(setup.config, base + '\noutbound:\n  tlsTrustAnchors: [missing-ca.pem]\n');
      const r = spawnSync(process.execPath, [CLI, 'start', '--config', setup.config], { encoding: 'utf8', timeout: 60_000 });
      expect(r.status).not.toBe(0);
      expect(r.stdout + r.stderr).toContain(`outbound.tlsTrustAnchors[0]: cannot read trust anchor file ${join(setup.dir, 'missing-ca.pem')}`);
      expect(r.stderr).not.toMatch(/\n\s+at /);
      writeFileSync(setup.config, base);
    });
  });
});
