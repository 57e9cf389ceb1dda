// Publication of our certificates for partners: the slapd harness itself, then `sealgate cert publish`
// into a real OpenLDAP server, read back with the real ldapsearch.
import { execFileSync } from 'node:child_process';
import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'ldapts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../src/bench/net.js';
import { queryRecords, TYPE_CERT } from '../../src/directory/sources/dns-query.js';
import { CERT_PKIX, parseCertRdata } from '../../src/directory/sources/dns-cert.js';
import { startDnsServer, type DnsRecord } from '../helpers/dns-server.js';
import { certsFromLdif, personLdif, startSlapd, type SlapdProcess } from '../helpers/slapd.js';
import { cli, pkiFixture } from '../pki/lifecycle-cli.js';
import { pemToDer } from '../peers/pki.js';

describe('slapd test harness', () => {
  let ldap: SlapdProcess;
  let der: Buffer;
  const tmp = mkdtempSync(join(tmpdir(), 'sg-slapd-t-'));
  beforeAll(async () => {
    ldap = await startSlapd({ suffix: 'dc=partner,dc=test' });
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-subj', '/CN=alice', '-keyout', join(tmp, 'k.pem'), '-outform', 'DER', '-out', join(tmp, 'c.der'), '-days', '2'], { stdio: 'ignore' });
    der = readFileSync(join(tmp, 'c.der'));
  });
  afterAll(async () => {
    await ldap?.stop();
    rmSync(tmp, { recursive: true, force: true });
  });

  it('serves an inetOrgPerson entry with userCertificate;binary to ldapsearch and ldapts', async () => {
    await ldap.add(personLdif(ldap.suffix, 'alice@partner.test', [der]));
    expect(ldap.url).toMatch(/^ldap:\/\/127\.0\.0\.1:\d+$/);
    const found = certsFromLdif(ldap.search('(mail=alice@partner.test)', ['userCertificate;binary']));
    expect(found).toHaveLength(1);
    expect(found[0]!.equals(der)).toBe(true);
    const client = new Client({ url: ldap.url });
    try {
      const { searchEntries } = await client.search(ldap.suffix, { filter: '(mail=alice@partner.test)', attributes: ['userCertificate;binary'], explicitBufferAttributes: ['userCertificate;binary'] });
      expect(searchEntries).toHaveLength(1);
      const v = searchEntries[0]!['userCertificate;binary'];
      expect(Buffer.from((Array.isArray(v) ? v[0] : v) as Buffer).equals(der)).toBe(true);
    } finally {
      await client.unbind();
    }
  });
});

describe('sealgate cert publish', () => {
  let ldap: SlapdProcess;
  let env: { dir: string; config: string };
  const SUFFIX = 'ou=certificates,dc=hospital,dc=example';
  beforeAll(async () => {
    ldap = await startSlapd({ suffix: 'dc=hospital,dc=example' });
    await ldap.add(`dn: ${SUFFIX}\nobjectClass: organizationalUnit\nou: certificates\n`);
    env = await pkiFixture(['directory:', '  publish:', `    url: ${ldap.url}`, `    bindDn: ${ldap.rootDn}`, `    password: ${ldap.rootPw}`, `    baseDn: ${SUFFIX}`].join('\n'));
  }, 120_000);
  afterAll(async () => {
    await ldap?.stop();
    if (env) rmSync(env.dir, { recursive: true, force: true });
  });

  const exported = async (address: string) => {
    const r = await cli('cert', 'export', address, '--config', env.config);
    expect(r.code).toBe(0);
    return pemToDer(r.out);
  };

  it('ldapsearch finds the proxy certificate of an internal address after cert publish --address', async () => {
    const r = await cli('cert', 'publish', '--address', 'Alice@hospital.example', '--config', env.config);
    expect(r.err).toBe('');
    expect(r.out).toMatch(/^added\s+mail=alice@hospital\.example,ou=certificates/m);
    const ldif = ldap.search('(mail=alice@hospital.example)', ['objectClass', 'mail', 'userCertificate;binary']);
    expect(ldif).toMatch(/objectClass: inetOrgPerson/);
    const found = certsFromLdif(ldif);
    expect(found).toHaveLength(1);
    expect(found[0]!.equals(await exported('alice@hospital.example'))).toBe(true);
  });

  it('without --address publishes every internal address issued so far and the RFC 3183 domain certificates; republishing updates', async () => {
    expect((await cli('cert', 'issue', 'bob@hospital.example', '--config', env.config)).code).toBe(0);
    const r = await cli('cert', 'publish', '--config', env.config);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^updated\s+mail=alice@hospital\.example/m);
    expect(r.out).toMatch(/^added\s+mail=bob@hospital\.example/m);
    expect(r.out).toMatch(/^added\s+mail=domain-confidentiality-authority@hospital\.example/m);
    expect(r.out).toMatch(/^added\s+mail=domain-signing-authority@hospital\.example/m);
    const bob = certsFromLdif(ldap.search('(mail=bob@hospital.example)', ['userCertificate;binary']));
    expect(bob[0]!.equals(await exported('bob@hospital.example'))).toBe(true);
    const dca = certsFromLdif(ldap.search('(mail=domain-confidentiality-authority@hospital.example)', ['userCertificate;binary']));
    expect(dca[0]!.equals(await exported('domain-confidentiality-authority@hospital.example'))).toBe(true);
  });

  it('cert revoke withdraws the revoked proxy certificate from the published directory at once', async () => {
    const rv = await cli('cert', 'revoke', 'bob@hospital.example', '--config', env.config);
    expect(rv.err).toBe('');
    expect(rv.out).toMatch(/^withdrawn\s+mail=bob@hospital\.example/m);
    expect(certsFromLdif(ldap.search('(mail=bob@hospital.example)', ['userCertificate;binary']))).toHaveLength(0);
    // A later full publish keeps it withdrawn and leaves the others in place.
    const r = await cli('cert', 'publish', '--config', env.config);
    expect(r.out).toMatch(/^withdrawn\s+mail=bob@hospital\.example/m);
    expect(r.out).toMatch(/^updated\s+mail=alice@hospital\.example/m);
  });

  it('refuses external addresses, and names the key when directory.publish is missing or the server is down', async () => {
    const ext = await cli('cert', 'publish', '--address', 'carol@partner.example', '--config', env.config);
    expect(ext.code).toBe(1);
    expect(ext.err).toMatch(/not in this gateway's domains/);
    const bare = await pkiFixture();
    try {
      const none = await cli('cert', 'publish', '--config', bare.config);
      expect(none.code).toBe(2);
      expect(none.err).toMatch(/directory\.publish is not set/);
      appendFileSync(bare.config, ['directory:', '  publish:', `    url: ${ldap.url}`, `    bindDn: ${ldap.rootDn}`, `    password: ${ldap.rootPw}`, '    baseDn: ou=missing,dc=hospital,dc=example', ''].join('\n'));
      const noBase = await cli('cert', 'publish', '--address', 'zoe@hospital.example', '--config', bare.config);
      expect(noBase.code).toBe(1);
      expect(noBase.out).toMatch(/^failed\s+mail=zoe@hospital\.example,ou=missing.*the base entry ou=missing,dc=hospital,dc=example does not exist/m);
      writeFileSync(bare.config, readFileSync(bare.config, 'utf8').replace(/\ndirectory:[\s\S]*$/, '\n'));
      const port = await freePort();
      appendFileSync(bare.config, ['directory:', '  publish:', `    url: ldap://127.0.0.1:${port}`, '    bindDn: cn=admin,dc=x', '    password: x', '    baseDn: dc=x', ''].join('\n'));
      const down = await cli('cert', 'publish', '--config', bare.config);
      expect(down.code).toBe(1);
      expect(down.err).toMatch(new RegExp(`ldap://127\\.0\\.0\\.1:${port}: cannot bind`));
    } finally {
      rmSync(bare.dir, { recursive: true, force: true });
    }
  });
});

/** Zone-file CERT lines (`OWNER. TTL IN CERT PKIX 0 0 B64`) as records for the test DNS server. */
function zoneToRecords(text: string): DnsRecord[] {
  return text.trim().split('\n').map((line) => {
    const m = /^(\S+)\. (\d+) IN CERT PKIX 0 0 ([A-Za-z0-9+/=]+)$/.exec(line);
    if (!m) throw new Error(`not a CERT line: ${line.slice(0, 80)}`);
    return { name: m[1]!, type: 'CERT', ttl: Number(m[2]), data: { certType: CERT_PKIX, keyTag: 0, algorithm: 0, cert: Buffer.from(m[3]!, 'base64') } };
  });
}

describe('sealgate cert dns-records', () => {
  let env: { dir: string; config: string };
  beforeAll(async () => {
    env = await pkiFixture();
  }, 120_000);
  afterAll(() => {
    if (env) rmSync(env.dir, { recursive: true, force: true });
  });

  it('prints CERT records that a DNS server serves and a CERT query decodes to our certificates', async () => {
    const r = await cli('cert', 'dns-records', '--address', 'alice@hospital.example', '--address', 'domain-confidentiality-authority@hospital.example', '--config', env.config);
    expect(r.err).toBe('');
    const owners = r.out.trim().split('\n').map((l) => l.split(' ')[0]);
    expect(owners).toEqual(['alice.hospital.example.', 'domain-confidentiality-authority.hospital.example.', 'hospital.example.']);
    const dns = await startDnsServer(zoneToRecords(r.out));
    try {
      const ask = async (labels: string[]) => (await queryRecords(labels, TYPE_CERT, [dns.address], AbortSignal.timeout(5000))).map((d) => parseCertRdata(d)!);
      const alice = await ask(['alice', 'hospital', 'example']);
      expect(alice).toHaveLength(1);
      expect(alice[0]!.certType).toBe(CERT_PKIX);
      const exportedAlice = await cli('cert', 'export', 'alice@hospital.example', '--config', env.config);
      expect(Buffer.from(alice[0]!.cert).equals(pemToDer(exportedAlice.out))).toBe(true);
      const domainBound = await ask(['hospital', 'example']);
      const dca = await cli('cert', 'export', 'domain-confidentiality-authority@hospital.example', '--config', env.config);
      expect(Buffer.from(domainBound[0]!.cert).equals(pemToDer(dca.out))).toBe(true);
    } finally {
      await dns.close();
    }
  });

  it('without --address lists every address issued so far; a dot in the local part stays inside its label', async () => {
    expect((await cli('cert', 'issue', 'Bob.Jones@hospital.example', '--config', env.config)).code).toBe(0);
    const r = await cli('cert', 'dns-records', '--ttl', '600', '--config', env.config);
    expect(r.out).toMatch(/^bob\\.jones\.hospital\.example\. 600 IN CERT PKIX 0 0 [A-Za-z0-9+/]+=*$/m);
    expect(r.out).toMatch(/^alice\.hospital\.example\. 600 IN CERT /m);
    expect(r.out).toMatch(/^domain-signing-authority\.hospital\.example\. 600 IN CERT /m);
    expect((await cli('cert', 'dns-records', '--ttl', 'soon', '--config', env.config)).err).toMatch(/--ttl: expected seconds/);
  });
});
