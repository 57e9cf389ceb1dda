// The `directory:` section: defaults, every key resolved, and errors naming the key path.
import { describe, expect, it } from 'vitest';
import { resolveConfig, ConfigError } from '../../src/config/load.js';
import { missingCertificateMode } from '../../src/directory/config.js';

const base = { domains: ['example.org'] };
const problems = (directory: unknown): string[] => {
  try {
    resolveConfig({ ...base, directory }, '/etc/sealgate/sealgate.yaml');
    return [];
  } catch (e) {
    if (e instanceof ConfigError) return e.problems;
    throw e;
  }
};

describe('directory config', () => {
  it('fills every default when the section is absent', () => {
    const d = resolveConfig(base, '/etc/sealgate/sealgate.yaml').directory!;
    expect(d.sources).toEqual(['local', 'ldap', 'ldap-srv', 'dns-cert', 'harvested']);
    expect(d.ldap).toEqual([]);
    expect(d.missingCertificate).toBe('issue');
    expect(d.pending).toEqual({ reminderHours: 24, expireDays: 7, fallback: 'hold', retryAfterDays: 30 });
    expect(d.cacheTtlSeconds).toBeGreaterThan(0);
    expect(d.publish).toBeUndefined();
  });

  it('resolves every key, relative trust anchor paths against the config folder', () => {
    const d = resolveConfig({
      ...base,
      directory: {
        sources: ['ldap', 'local'],
        ldap: [{ url: 'ldap://127.0.0.1:3890', baseDn: 'dc=x', bindDn: 'cn=a,dc=x', password: 'p', timeoutMs: 2000, trustAnchors: ['ca/x.pem'] }],
        srv: { timeoutMs: 1000, trustAnchors: ['/abs/srv.pem'] },
        dnsCert: { trustAnchors: ['d.pem'] },
        harvested: { trustAnchors: ['h.pem'] },
        cacheTtlSeconds: 60,
        negativeCacheTtlSeconds: 0,
        missingCertificate: 'pending',
        missingCertificateByDomain: { 'Clinic.Example': 'portal' },
        pending: { reminderHours: 12, expireDays: 3, fallback: 'portal', retryAfterDays: 14 },
        publish: { url: 'ldap://127.0.0.1:389', bindDn: 'cn=admin', password: 's', baseDn: 'dc=us' },
      },
    }, '/etc/sealgate/sealgate.yaml').directory!;
    expect(d.sources).toEqual(['ldap', 'local']);
    expect(d.ldap[0]).toMatchObject({ url: 'ldap://127.0.0.1:3890', timeoutMs: 2000, trustAnchors: ['/etc/sealgate/ca/x.pem'] });
    expect(d.srv).toEqual({ timeoutMs: 1000, trustAnchors: ['/abs/srv.pem'] });
    expect(d.dnsCert.trustAnchors).toEqual(['/etc/sealgate/d.pem']);
    expect(d.pending).toEqual({ reminderHours: 12, expireDays: 3, fallback: 'portal', retryAfterDays: 14 });
    expect(missingCertificateMode(d, 'a@clinic.example')).toBe('portal');
    expect(missingCertificateMode(d, 'a@other.example')).toBe('pending');
    expect(d.publish?.baseDn).toBe('dc=us');
  });

  it('names the key path of each problem', () => {
    const p = problems({
      sources: ['ldap', 'x500', 'ldap'],
      ldap: [{ url: 'http://x', timeoutMs: 5 }],
      cacheTtlSeconds: 0,
      missingCertificate: 'bounce',
      pending: { fallback: 'pending' },
      publish: { url: 'ldap://h' },
      colour: 1,
    });
    const joined = p.join('\n');
    expect(joined).toContain('directory.sources[1]: expected one of');
    expect(joined).toContain('directory.sources[2]: ldap is listed twice');
    expect(joined).toContain('directory.ldap[0].url: expected a ldap:// or ldaps:// URL');
    expect(joined).toContain('directory.ldap[0].baseDn: required');
    expect(joined).toContain('directory.ldap[0].timeoutMs: must be a whole number of milliseconds');
    expect(joined).toContain('directory.cacheTtlSeconds: must be a whole number of seconds between 1');
    expect(joined).toContain('directory.missingCertificate: expected one of issue, pending, portal, hold');
    expect(joined).toContain('directory.pending.fallback: expected one of issue, portal, hold');
    expect(joined).toContain('directory.publish.bindDn: required');
    expect(joined).toContain('directory.colour: unknown key');
  });
});
