// The `inbound:` section: defaults when absent, every key resolved (relative paths against the
// config folder, URLs kept), and the commented section `sealgate init` writes is valid once
// uncommented. Errors with key paths are covered end to end in checks-e2e.test.ts.
import { describe, expect, test } from 'vitest';
import { parse } from 'yaml';
import { resolveConfig } from '../../src/config/load.js';
import { renderConfig } from '../../src/cli/init.js';

const base = { domains: ['hospital.test'] };

describe('inbound config', () => {
  test('absent: defaults (soft CRL checks, no envelope check, no note)', () => {
    expect(resolveConfig(base, '/etc/sealgate/sealgate.yaml').inbound).toEqual({
      trustAnchors: [], trustBundles: [], crlCheck: 'soft', crlTimeoutSeconds: 5, tamperCheck: 'off', visibleNote: false, undecryptable: 'hold',
    });
  });

  test('every key; file sources resolve against the config folder, URLs stay', () => {
    const cfg = resolveConfig({ ...base, inbound: {
      trustAnchors: ['a.pem'],
      trustBundles: [{ domain: 'Partner.Example', source: 'https://b.example/t.p7b', refreshMinutes: 15 }, { domain: 'x.example', source: 'bundles/x.p7b' }],
      crlCheck: 'hard', crlTimeoutSeconds: 9, tamperCheck: 'reject', visibleNote: true, undecryptable: 'deliver',
    } }, '/etc/sealgate/sealgate.yaml');
    expect(cfg.inbound).toEqual({
      trustAnchors: ['/etc/sealgate/a.pem'],
      trustBundles: [{ domain: 'partner.example', source: 'https://b.example/t.p7b', refreshMinutes: 15 }, { domain: 'x.example', source: '/etc/sealgate/bundles/x.p7b', refreshMinutes: 60 }],
      crlCheck: 'hard', crlTimeoutSeconds: 9, tamperCheck: 'reject', visibleNote: true, undecryptable: 'deliver',
    });
  });

  test('the commented inbound section in the generated config is valid once uncommented', () => {
    const text = renderConfig({ domains: ['hospital.test'], hostname: 'mx.hospital.test', inboundListen: '0.0.0.0:25', outboundListen: '127.0.0.1:10025', webListen: '127.0.0.1:8443', internal: { host: '10.0.0.5', port: 25 }, database: 'sqlite' });
    const start = text.indexOf('# inbound:');
    const lines = text.slice(start).split('\n');
    const block = lines.slice(0, lines.findIndex((l) => !l.startsWith('#'))).map((l) => l.replace(/^# ?/, '')).join('\n');
    const cfg = resolveConfig({ ...parse(block), ...base }, '/etc/sealgate/sealgate.yaml');
    expect(cfg.inbound?.trustBundles[0]).toEqual({ domain: 'partner.example', source: 'https://bundles.partner.example/trust.p7b', refreshMinutes: 60 });
    expect(cfg.inbound?.crlCheck).toBe('soft');
    expect(cfg.inbound?.undecryptable).toBe('hold');
  });
});
