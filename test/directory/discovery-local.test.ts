// The local source and the CLI around it: a certificate our external-recipients CA issued is found
// first (validated against our own root), a revoked one is never returned again, issue() goes to
// the injected issuer and the next lookup sees the new certificate; `sealgate cert lookup` prints
// what it found in words and refuses a configuration whose trust anchor file is missing.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { openStore, type OpenedStore } from '../../src/store/index.js';
import { createDomainPki, fingerprint, type DomainPki } from '../../src/pki/ca.js';
import { defaultPkiConfig } from '../../src/pki/config.js';
import { createKekFile } from '../../src/pki/keystore.js';
import { issueForExternalRecipient } from '../../src/pki/issue.js';
import { defaultDirectoryConfig } from '../../src/directory/config.js';
import { createDirectory } from '../../src/directory/directory.js';
import type { RecipientCertificate } from '../../src/directory/types.js';
import { silentLogger } from '../../src/log/logger.js';
import { CLI } from '../helpers/gateway.js';
import { run } from '../peers/run.js';

const DOMAINS = ['hospital.test'];
let dir: string;
let store: OpenedStore;
let pki: DomainPki;
let cfgFile: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sg-dir-local-'));
  store = await openStore({ database: { kind: 'sqlite', file: join(dir, 'db.sqlite') }, spoolDir: join(dir, 'spool') });
  const kek = createKekFile(join(dir, 'kek'));
  pki = await createDomainPki({ store, domains: DOMAINS, algorithm: 'p-256', kek, config: { ...defaultPkiConfig(dir, 'mail.hospital.test', DOMAINS), encryptionKey: 'rsa-2048' } });
  cfgFile = join(dir, 'sealgate.yaml');
  writeFileSync(cfgFile, stringify({
    domains: DOMAINS,
    database: `sqlite:${join(dir, 'db.sqlite')}`,
    dataDir: dir,
    pki: { kek: `file:${join(dir, 'kek')}`, encryptionKey: 'rsa-2048', algorithm: 'p-256' },
    directory: { sources: ['local'] },
  }));
}, 120_000);

afterAll(async () => {
  await store?.close();
  rmSync(dir, { recursive: true, force: true });
});

const directory = (issuer?: (a: string) => Promise<RecipientCertificate>) =>
  createDirectory({ config: { ...defaultDirectoryConfig(dir), sources: ['local'] }, dnsServers: ['127.0.0.1:9'], store, logger: silentLogger(), ...(issuer ? { issuer } : {}) });

describe('local source', () => {
  it('finds a certificate we issued to the address, validated against our root, and never a revoked one', async () => {
    const e = await issueForExternalRecipient(pki, 'pat@clinic.test');
    const d = directory();
    const r = await d.lookup('pat@clinic.test');
    expect(r.certificate).toMatchObject({ source: 'local', origin: `issued by us (serial ${e.record.serial})`, fingerprint: fingerprint(e.record.der) });
    expect(r.trail[0]).toMatchObject({ source: 'local', outcome: 'found' });
    // the chain is our external-recipients CA (the root is the anchor)
    expect(r.certificate!.chain.map((c) => fingerprint(c))).toEqual([fingerprint(e.chain[0]!)]);

    await pki.revoke(e.record.serial, 'keyCompromise');
    d.invalidate('pat@clinic.test');
    const after = await d.lookup('pat@clinic.test');
    expect(after.certificate?.fingerprint).not.toBe(fingerprint(e.record.der));
  }, 60_000);

  it('issue() hands the address to the injected issuer and the next lookup sees the new certificate', async () => {
    const calls: string[] = [];
    const d = directory(async (address) => {
      calls.push(address);
      const e = await issueForExternalRecipient(pki, address);
      return { address, der: e.record.der, chain: e.chain, source: 'issued', origin: 'external recipients CA', fingerprint: fingerprint(e.record.der), notAfter: e.record.notAfter, issued: { serial: e.record.serial } };
    });
    expect((await d.lookup('new@clinic.test')).certificate).toBeUndefined();
    expect((await d.lookup('new@clinic.test')).cached).toBe(true); // negative answer cached
    const issued = await d.issue('New@Clinic.test', { requestedBy: 'doctor@hospital.test' });
    expect(calls).toEqual(['new@clinic.test']);
    const r = await d.lookup('new@clinic.test');
    expect(r.cached).toBe(false);
    expect(r.certificate?.fingerprint).toBe(issued.fingerprint);
  }, 60_000);
});

describe('sealgate cert lookup', () => {
  it('prints what was found and from where', async () => {
    await issueForExternalRecipient(pki, 'lee@clinic.test');
    const r = await run(process.execPath, [CLI, 'cert', 'lookup', 'lee@clinic.test', '--config', cfgFile]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const out = r.stdout.toString('utf8');
    expect(out).toMatch(/^lee@clinic\.test: found via local \(issued by us \(serial [0-9a-f]+\)\)$/m);
    expect(out).toMatch(/^ {2}subject {2}.*lee@clinic\.test/m);
    expect(out).toMatch(/^ {2}local +found +\d+ ms {2}issued by us/m);
  }, 60_000);

  it('says when nothing was found, exit 1', async () => {
    const r = await run(process.execPath, [CLI, 'cert', 'lookup', 'nobody@clinic.test', '--config', cfgFile]);
    expect(r.code).toBe(1);
    expect(r.stdout.toString('utf8')).toContain('nobody@clinic.test: no usable certificate');
  }, 60_000);

  it('--issue auto-issues when no source has one (and every source answered), audited', async () => {
    const r = await run(process.execPath, [CLI, 'cert', 'lookup', 'fresh@clinic.test', '--config', cfgFile, '--issue', '--json', '--requested-by', 'doctor@hospital.test']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const json = JSON.parse(r.stdout.toString('utf8'));
    expect(json.certificate).toMatchObject({ address: 'fresh@clinic.test', source: 'issued' });
    expect(json.certificate.issued.serial).toMatch(/^[0-9a-f]+$/);
    expect(json.certificate.issued.pkcs12MessageId).toBeTruthy();
    const audit = await store.audit.list({ type: 'certificate-issued-on-lookup' });
    expect(audit.map((a) => a.data)).toContainEqual(expect.objectContaining({ address: 'fresh@clinic.test' }));
    // and the local source returns it from now on
    expect((await directory().lookup('fresh@clinic.test')).certificate?.source).toBe('local');
  }, 120_000);

  it('cert resend: with escrowed keys the certificate on file is packaged again (same serial), queued with a notice, audited; without, a new one is issued', async () => {
    const escrowCfg = join(dir, 'escrow.yaml');
    writeFileSync(escrowCfg, stringify({
      domains: DOMAINS,
      database: `sqlite:${join(dir, 'db.sqlite')}`,
      dataDir: dir,
      pki: { kek: `file:${join(dir, 'kek')}`, encryptionKey: 'rsa-2048', algorithm: 'p-256', externalKeys: 'escrow' },
      directory: { sources: ['local'] },
    }));
    const first = await run(process.execPath, [CLI, 'cert', 'lookup', 'kept@clinic.test', '--config', escrowCfg, '--issue', '--json']);
    expect(first.code).toBe(0);
    const serial = JSON.parse(first.stdout.toString('utf8')).certificate.issued.serial as string;

    const r = await run(process.execPath, [CLI, 'cert', 'resend', 'Kept@Clinic.test', '--config', escrowCfg, '--requested-by', 'doctor@hospital.test']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const out = r.stdout.toString('utf8');
    expect(out).toContain(`kept@clinic.test: packaged the certificate on file again (serial ${serial},`);
    const queued = /queued as (\S+), notice to the sender (\S+)/.exec(out)!;
    // both messages are in the durable queue, addressed to the recipient and to the sender
    for (const [id, rcpt] of [[queued[1]!, 'kept@clinic.test'], [queued[2]!, 'doctor@hospital.test']] as const) {
      const rows = await store.db.selectFrom('recipients').select(['address']).where('message_id', '=', id).execute();
      expect(rows.map((x) => x.address), id).toEqual([rcpt]);
    }
    expect((await store.audit.list({ type: 'certificate-resent' })).map((a) => a.data)).toContainEqual(expect.objectContaining({ serial, address: 'kept@clinic.test' }));
    expect((await store.audit.list({ type: 'certificate-resend-requested' })).map((a) => a.data)).toContainEqual(expect.objectContaining({ address: 'kept@clinic.test', serial, reissued: false }));

    // the default policy destroys the private key once the PKCS#12 file is sent: a new certificate
    const fresh = await run(process.execPath, [CLI, 'cert', 'resend', 'fresh@clinic.test', '--config', cfgFile]);
    expect(fresh.code).toBe(0);
    expect(fresh.stdout.toString('utf8')).toContain('fresh@clinic.test: no valid certificate with its private key on file (pki.externalKeys is destroy, or it expired): issued a new one');
    const bad = await run(process.execPath, [CLI, 'cert', 'resend', 'not an address', '--config', cfgFile]);
    expect(bad.code).toBe(2);
    expect(bad.stderr.toString('utf8')).toMatch(/^sealgate cert resend: not an address: /);
  }, 120_000);

  it('names the config file and the missing trust anchor file, exit 2', async () => {
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, stringify({ domains: DOMAINS, database: `sqlite:${join(dir, 'db.sqlite')}`, dataDir: dir, directory: { dnsCert: { trustAnchors: ['missing-root.pem'] } } }));
    const r = await run(process.execPath, [CLI, 'cert', 'lookup', 'x@clinic.test', '--config', bad]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`sealgate cert lookup: ${bad}: directory: trust anchor ${join(dir, 'missing-root.pem')}: cannot read (ENOENT)\n`);
  }, 60_000);
});
