// Renewal of our own certificates (src/pki/renew.ts, `sealgate cert renew`): proxy and RFC 3183
// certificates are re-issued over the same domain key before they expire (pki.renewBeforeDays);
// the renewed ones validate with openssl for their S/MIME purpose; external certificates, revoked
// ones and CA certificates are refused with a reason.
import 'reflect-metadata';
import { X509Certificate } from 'node:crypto';
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { issueProxyCertificate } from '../../src/pki/issue.js';
import { renewExpiring, startRenewalTimer } from '../../src/pki/renew.js';
import { resolvePkiConfig } from '../../src/pki/config.js';
import { cli, openFixturePki, opensslVerifyLeaf, pkiFixture } from './lifecycle-cli.js';

const DAY = 86_400_000;
const spki = (der: Buffer) => new X509Certificate(der).publicKey.export({ format: 'der', type: 'spki' }).toString('hex');

describe('certificate renewal', () => {
  let env: { dir: string; config: string };
  beforeAll(async () => {
    env = await pkiFixture('  externalKeys: escrow');
  }, 120_000);
  afterAll(() => {
    if (env) rmSync(env.dir, { recursive: true, force: true });
  });

  it('pki.renewBeforeDays defaults to 30, is bounded, and must be shorter than pki.certDays', () => {
    const problems: string[] = [];
    const r = (raw: unknown) => resolvePkiConfig(raw, '/tmp', 'h.example', ['h.example'], (p, m) => problems.push(`${p}: ${m}`));
    expect(r(undefined).renewBeforeDays).toBe(30);
    expect(r({ certDays: 9 }).renewBeforeDays).toBe(3);
    expect(problems).toEqual([]);
    r({ renewBeforeDays: 0 });
    r({ certDays: 20, renewBeforeDays: 20 });
    expect(problems).toEqual([
      'pki.renewBeforeDays: must be a whole number of days between 1 and 365, got 0',
      'pki.renewBeforeDays: must be less than pki.certDays (20), or every certificate would be renewed daily',
    ]);
  });

  it('the renewal pass renews proxy and domain certificates within renewBeforeDays of expiry, over the same key, once', async () => {
    let now = new Date();
    const { pki, store } = await openFixturePki(env.config, { now: () => now });
    try {
      const first = await issueProxyCertificate(pki, 'ron@hospital.example');
      expect(await renewExpiring(pki, now)).toEqual([]);
      // 710 days later: the 730-day certificates are 20 days from expiry.
      now = new Date(Date.now() + 710 * DAY);
      const results = await renewExpiring(pki, now);
      const kinds = results.map((r) => `${r.old.kind} ${r.old.address}`).sort();
      expect(kinds).toEqual([
        'domain-confidentiality domain-confidentiality-authority@hospital.example',
        'domain-signing domain-signing-authority@hospital.example',
        'proxy-encryption ron@hospital.example',
        'proxy-signing ron@hospital.example',
      ]);
      for (const r of results) {
        expect(r.error).toBeUndefined();
        expect(spki(r.renewed!.der)).toBe(spki(r.old.der));
        expect(r.renewed!.notAfter.getTime()).toBeGreaterThan(r.old.notAfter.getTime() + 700 * DAY);
        expect(new X509Certificate(r.renewed!.der).subject).toBe(new X509Certificate(r.old.der).subject);
      }
      // The gateway now uses the renewed certificate; a second pass renews nothing.
      const again = await issueProxyCertificate(pki, 'ron@hospital.example');
      expect(again.encryption.serial).not.toBe(first.encryption.serial);
      expect(again.encryption.serial).toBe(results.find((r) => r.old.kind === 'proxy-encryption')!.renewed!.serial);
      expect(await renewExpiring(pki, now)).toEqual([]);
      const audit = await store.audit.list({ type: 'certificate-renewed' });
      expect(audit.length).toBe(4);
    } finally {
      await store.close();
    }
  });

  it('cert renew ADDRESS renews its proxy certificates now; the renewed ones pass openssl verify for smimeencrypt / smimesign', async () => {
    expect((await cli('cert', 'issue', 'sue@hospital.example', '--config', env.config)).code).toBe(0);
    const r = await cli('cert', 'renew', 'sue@hospital.example', '--config', env.config);
    expect(r.err).toBe('');
    const lines = r.out.trim().split('\n');
    expect(lines).toHaveLength(2);
    expect(r.out).toMatch(/renewed [0-9a-f]+ -> [0-9a-f]+ {2}proxy-encryption {2}sue@hospital\.example/);
    const { pki, store } = await openFixturePki(env.config);
    try {
      for (const l of lines) {
        const serial = /-> ([0-9a-f]+)/.exec(l)![1]!;
        const rec = (await pki.certs.getCert(serial))!;
        expect(await opensslVerifyLeaf(env.config, rec.der, rec.kind === 'proxy-encryption' ? 'smimeencrypt' : 'smimesign', env.dir)).toBe('OK');
      }
    } finally {
      await store.close();
    }
    const pass = await cli('cert', 'renew', '--expiring', '--config', env.config);
    expect(pass.out).toMatch(/^0 renewed \(pki\.renewBeforeDays 30\)$/m);
  });

  it('refuses external, revoked and CA certificates with the reason', async () => {
    const ext = await cli('cert', 'issue', 'pat@partner.example', '--out-dir', `${env.dir}/out`, '--config', env.config);
    const extSerial = /^([0-9a-f]+)\s+external/m.exec(ext.out)![1]!;
    expect((await cli('cert', 'renew', extSerial, '--config', env.config)).err).toMatch(/external recipient's certificate; its holder has the key/);
    const issued = await cli('cert', 'issue', 'tom@hospital.example', '--config', env.config);
    const tomSerial = /^([0-9a-f]+)\s+proxy-encryption/m.exec(issued.out)![1]!;
    await cli('cert', 'revoke', tomSerial, '--config', env.config);
    const rv = await cli('cert', 'renew', tomSerial, '--config', env.config);
    expect(rv.code).toBe(1);
    expect(rv.err).toMatch(/is revoked/);
    const root = (await cli('ca', 'show', '--config', env.config)).out;
    const rootSerial = /serial ([0-9a-f]+)/.exec(root)![1]!;
    expect((await cli('cert', 'renew', rootSerial, '--config', env.config)).err).toMatch(/CA certificates are not renewed/);
  });

  it('the gateway timer runs the pass after its first delay, then re-arms; a second run within half an interval is skipped; stop() clears the pending timer', async () => {
    const opened: number[] = [];
    const armed: Array<{ fn: () => void; ms: number }> = [];
    const cleared: number[] = [];
    const timers = {
      setTimeout: ((fn: () => void, ms: number) => armed.push({ fn, ms })) as unknown as typeof setTimeout,
      clearTimeout: ((h: number) => void cleared.push(h)) as unknown as typeof clearTimeout,
    };
    const { pki, store } = await openFixturePki(env.config);
    try {
      const t = startRenewalTimer({ open: async () => (opened.push(1), pki), logger: { info: () => {}, warn: () => {} }, timers, firstRunMs: 5, intervalMs: 1000 });
      expect(armed.map((a) => a.ms)).toEqual([5]);
      armed[0]!.fn();
      await vi.waitFor(() => expect(armed).toHaveLength(2));
      expect(opened).toEqual([1]);
      expect(armed[1]!.ms).toBe(1000);
      // Another run within half an interval (this or another process sharing the database) is skipped.
      expect(await t.runNow()).toBeNull();
      t.stop();
      expect(cleared).toEqual([2]);
    } finally {
      await store.close();
    }
  });
});
