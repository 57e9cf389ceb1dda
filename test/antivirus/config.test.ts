// The `antivirus` section of sealgate.yaml: absent means no scanning; present, it is validated
// with errors naming the key path; defaults as documented in docs/antivirus.md.
import { describe, expect, test } from 'vitest';
import { ConfigError, resolveConfig } from '../../src/config/load.js';

const base = { domains: ['hospital.test'] };

function problems(av: unknown): string[] {
  try {
    resolveConfig({ ...base, antivirus: av }, '/etc/sealgate/sealgate.yaml');
  } catch (e) {
    if (e instanceof ConfigError) return e.problems;
    throw e;
  }
  return [];
}

describe('antivirus configuration', () => {
  test('absent: no antivirus section in the resolved config', () => {
    expect(resolveConfig(base, '/etc/sealgate/sealgate.yaml').antivirus).toBeUndefined();
  });

  test('defaults, unix socket path relative to the config folder', () => {
    const c = resolveConfig({ ...base, antivirus: { clamd: 'run/clamd.sock' } }, '/etc/sealgate/sealgate.yaml');
    expect(c.antivirus).toEqual({
      clamd: { kind: 'unix', path: '/etc/sealgate/run/clamd.sock' },
      inbound: { action: 'quarantine' },
      outbound: { action: 'quarantine' },
      onError: 'tempfail',
      maxSignatureAgeHours: 48,
      timeoutSeconds: 30,
      streamMaxLength: 25 * 1024 * 1024,
    });
  });

  test('every key, TCP address', () => {
    const c = resolveConfig(
      { ...base, antivirus: { clamd: '127.0.0.1:3310', inbound: { action: 'cleanse' }, outbound: { action: 'reject' }, onError: 'hold', maxSignatureAgeHours: 24, timeoutSeconds: 10, streamMaxLength: 10485760 } },
      '/etc/sealgate/sealgate.yaml',
    );
    expect(c.antivirus).toEqual({ clamd: { kind: 'tcp', host: '127.0.0.1', port: 3310 }, inbound: { action: 'cleanse' }, outbound: { action: 'reject' }, onError: 'hold', maxSignatureAgeHours: 24, timeoutSeconds: 10, streamMaxLength: 10485760 });
  });

  test('bad values are reported with their key paths', () => {
    expect(problems({ clamd: 'clamd' })).toEqual(['antivirus.clamd: expected a unix socket path (containing "/") or host:port, got "clamd"']);
    expect(problems({})).toEqual(['antivirus.clamd: expected a unix socket path or host:port, got nothing']);
    expect(problems({ clamd: '/s', inbound: { action: 'delete' } })).toEqual(['antivirus.inbound.action: expected one of reject, quarantine, cleanse, destroy, got "delete"']);
    expect(problems({ clamd: '/s', onError: 'continue' })).toEqual(['antivirus.onError: expected "tempfail" or "hold", got "continue"']);
    expect(problems({ clamd: '/s', maxSignatureAgeHours: 0 })).toEqual(['antivirus.maxSignatureAgeHours: must be between 1 and 8760 hours, got 0']);
    expect(problems({ clamd: '/s', timeoutSeconds: 120 })).toEqual(['antivirus.timeoutSeconds: must be less than limits.stageTimeout (120 seconds), got 120']);
    expect(problems({ clamd: '/s', streamMaxLength: '25M' })).toEqual(['antivirus.streamMaxLength: expected a whole number of bytes, got "25M"']);
    expect(problems({ clamd: '/s', scanner: 'x' })).toEqual([expect.stringMatching(/^antivirus\.scanner: unknown key/)]);
  });
});
