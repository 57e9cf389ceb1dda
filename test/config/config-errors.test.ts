// Bad configuration files give errors naming the key path and the problem.
import { describe, expect, test } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadConfig, resolveConfig } from '../../src/config/load.js';
import { renderConfig } from '../../src/cli/init.js';
import { parse } from 'yaml';

function problems(raw: unknown): string[] {
  try {
    resolveConfig(raw, '/etc/sealgate/sealgate.yaml');
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  return [];
}

const base = { domains: ['hospital.test'] };

describe('configuration validation', () => {
  test('the config written by init is valid and complete', () => {
    const text = renderConfig({ domains: ['hospital.test'], hostname: 'mx.hospital.test', inboundListen: '0.0.0.0:25', outboundListen: '127.0.0.1:10025', webListen: '127.0.0.1:8443', internal: { host: '10.0.0.5', port: 25 }, database: 'sqlite' });
    const cfg = resolveConfig(parse(text), '/etc/sealgate/sealgate.yaml');
    expect(cfg.domains).toEqual(['hospital.test']);
    expect(cfg.delivery.internal).toEqual({ host: '10.0.0.5', port: 25 });
    expect(cfg.tls.certFile).toBe('/etc/sealgate/tls/cert.pem');
    expect(cfg.limits.messageSize).toBe(26214400);
    expect(cfg.database).toEqual({ kind: 'sqlite', file: '/etc/sealgate/data/sealgate.db' });
  });

  test('a bad listen address names the key and the value', () => {
    expect(problems({ ...base, smtp: { inbound: { listen: '2525x' } } })).toContain('smtp.inbound.listen: expected host:port, got "2525x"');
    expect(problems({ ...base, smtp: { outbound: { listen: '127.0.0.1:99999' } } })).toContain('smtp.outbound.listen: expected host:port, got "127.0.0.1:99999"');
  });

  test('every problem is reported at once', () => {
    const p = problems({ domains: [], limits: { messageSize: 0, bogus: 1 }, delivery: { external: { mode: 'carrier-pigeon' } }, smtp: { outbound: { clients: ['10.0.0.0/33'] } }, database: 'mysql://x' });
    expect(p).toEqual(
      expect.arrayContaining([
        'domains: expected a non-empty list of domain names, got a list',
        'limits.messageSize: must be between 1024 and 1073741824 bytes, got 0',
        expect.stringMatching(/^limits\.bogus: unknown key/),
        'delivery.external.mode: expected "mx" or "smarthost", got "carrier-pigeon"',
        'smtp.outbound.clients[0]: expected a CIDR such as 10.0.0.0/8, got "10.0.0.0/33"',
        'database: expected "sqlite", "sqlite:FILE" or a postgres:// URL, got "mysql://x"',
      ]),
    );
  });

  test('smarthost needs a host; unknown top-level keys are refused', () => {
    expect(problems({ ...base, delivery: { external: { mode: 'smarthost' } } })).toContain('delivery.external.host: required');
    expect(problems({ ...base, smpt: {} })[0]).toMatch(/^smpt: unknown key/);
  });

  test('postgres URLs and relative paths resolve', () => {
    const cfg = resolveConfig({ ...base, database: 'postgres://postgres@127.0.0.1:5432/sg', dataDir: 'var', tls: { cert: '/abs/c.pem' } }, '/srv/sg/sealgate.yaml');
    expect(cfg.database).toEqual({ kind: 'postgres', url: 'postgres://postgres@127.0.0.1:5432/sg' });
    expect(cfg.dataDir).toBe('/srv/sg/var');
    expect(cfg.tls.certFile).toBe('/abs/c.pem');
    expect(cfg.tls.keyFile).toBe('/srv/sg/tls/key.pem');
  });

  test('unreadable files and YAML syntax errors name the file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sg-cfg-'));
    expect(() => loadConfig(join(dir, 'missing.yaml'))).toThrow(/missing\.yaml.*cannot read file: ENOENT/s);
    writeFileSync(join(dir, 'bad.yaml'), 'domains: [a.test\nsmtp: :\n');
    expect(() => loadConfig(join(dir, 'bad.yaml'))).toThrow(/bad\.yaml.*YAML syntax/s);
  });
});

test('the commented antivirus section in the generated config is valid once uncommented', () => {
  const text = renderConfig({ domains: ['hospital.test'], hostname: 'mx.hospital.test', inboundListen: '0.0.0.0:25', outboundListen: '127.0.0.1:10025', webListen: '127.0.0.1:8443', internal: { host: '10.0.0.5', port: 25 }, database: 'sqlite' });
  const uncommented = text.replace(/^# (antivirus:|  .*)$/gm, '$1').replace(/^#\s{3}/gm, '  ');
  const block = uncommented.slice(uncommented.indexOf('antivirus:'));
  const cfg = resolveConfig({ ...parse(block), domains: ['hospital.test'] }, '/etc/sealgate/sealgate.yaml');
  expect(cfg.antivirus?.onError).toBe('tempfail');
});
