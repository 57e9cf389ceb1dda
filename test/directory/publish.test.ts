// Publication of our certificates for partners: the slapd harness itself, then `sealgate cert publish`
// into a real OpenLDAP server, read back with the real ldapsearch.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'ldapts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { certsFromLdif, personLdif, startSlapd, type SlapdProcess } from '../helpers/slapd.js';

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
