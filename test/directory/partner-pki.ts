// Test-only: a partner organization's PKI made with the openssl CLI (`openssl ca`), for directory
// discovery tests: a trusted partner root, a rogue root nobody trusts, and end-entity certificates
// for each validation outcome (good, expired, revoked, wrong address, untrusted, signing only,
// unreachable CRL, domain-bound), each with a CRL distribution point on the test's HTTP server.
// Trust level: test harness; keys live in a mkdtemp folder the caller removes.
import { mkdtemp, mkdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runOk } from '../peers/run.js';
import { pemToDer } from '../peers/pki.js';

export interface PartnerPki {
  dir: string;
  rootPath: string;
  rootDer: Buffer;
  rogueRootPath: string;
  /** PKCS#7 certs-only bundle (DER) of the p7@partner.test certificate and the root, as userSMIMECertificate holds it. */
  p7Bundle: Buffer;
  /** DER CRL of the partner root (revokes `revoked`). */
  crlDer: Buffer;
  certs: {
    good: Buffer; p7: Buffer; expired: Buffer; revoked: Buffer; wrong: Buffer; untrusted: Buffer; signOnly: Buffer; noCrl: Buffer; domain: Buffer; uri: Buffer;
  };
}

const conf = (dir: string) => `[ca]
default_ca = d
[d]
database = ${dir}/index.txt
new_certs_dir = ${dir}/new
certificate = ${dir}/ca.pem
private_key = ${dir}/ca.key
serial = ${dir}/serial
crlnumber = ${dir}/crlnumber
default_md = sha256
default_days = 365
default_crl_days = 30
policy = p
unique_subject = no
email_in_dn = no
[p]
commonName = supplied
[ee]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature,keyEncipherment
extendedKeyUsage = emailProtection
subjectAltName = $ENV::SAN
crlDistributionPoints = URI:$ENV::CDP
[sign]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = emailProtection
subjectAltName = $ENV::SAN
crlDistributionPoints = URI:$ENV::CDP
`;

async function makeCa(dir: string, name: string): Promise<string> {
  await mkdir(join(dir, 'new'), { recursive: true });
  await writeFile(join(dir, 'index.txt'), '');
  await writeFile(join(dir, 'serial'), '1000\n');
  await writeFile(join(dir, 'crlnumber'), '01\n');
  await writeFile(join(dir, 'ca.cnf'), conf(dir));
  await runOk('openssl', ['req', '-x509', '-new', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(dir, 'ca.key'), '-out', join(dir, 'ca.pem'),
    '-days', '3650', '-sha256', '-subj', `/O=${name}/CN=${name} Root CA`,
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign', '-addext', 'subjectKeyIdentifier=hash']);
  return join(dir, 'ca.pem');
}

interface IssueSpec {
  cn: string;
  san: string;
  cdp: string;
  ext?: 'ee' | 'sign';
  dates?: [string, string];
}

async function issue(ca: string, keyPath: string, s: IssueSpec): Promise<{ der: Buffer; path: string }> {
  const csr = join(ca, `${s.cn}.csr`);
  const out = join(ca, `${s.cn}.pem`);
  await runOk('openssl', ['req', '-new', '-key', keyPath, '-out', csr, '-subj', `/CN=${s.cn}`]);
  const validity = s.dates ? ['-startdate', s.dates[0], '-enddate', s.dates[1]] : ['-days', '365'];
  await runOk('openssl', ['ca', '-batch', '-config', join(ca, 'ca.cnf'), '-extensions', s.ext ?? 'ee', '-in', csr, '-out', out, '-notext', ...validity],
    { env: { ...process.env, SAN: s.san, CDP: s.cdp } });
  return { der: pemToDer(await readFile(out, 'utf8')), path: out };
}

/** `crlBase`: http://127.0.0.1:PORT of the test's HTTP server (serves /partner.crl); `deadCrl`: a URL nobody answers. */
export async function makePartnerPki(crlBase: string, deadCrl: string): Promise<PartnerPki> {
  const dir = await mkdtemp(join(tmpdir(), 'sg-partner-pki-'));
  const partner = join(dir, 'partner');
  const rogue = join(dir, 'rogue');
  const rootPath = await makeCa(partner, 'Partner Health');
  const rogueRootPath = await makeCa(rogue, 'Rogue');
  const key = join(dir, 'ee.key');
  await runOk('openssl', ['genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048', '-out', key]);
  const cdp = `${crlBase}/partner.crl`;
  const good = await issue(partner, key, { cn: 'alice', san: 'email:alice@partner.test', cdp });
  const p7 = await issue(partner, key, { cn: 'p7', san: 'email:p7@partner.test', cdp });
  const expired = await issue(partner, key, { cn: 'expired', san: 'email:bad@partner.test', cdp, dates: ['20200101000000Z', '20210101000000Z'] });
  const revoked = await issue(partner, key, { cn: 'revoked', san: 'email:bad@partner.test', cdp });
  const wrong = await issue(partner, key, { cn: 'other', san: 'email:other@partner.test', cdp });
  const signOnly = await issue(partner, key, { cn: 'signonly', san: 'email:bad@partner.test', cdp, ext: 'sign' });
  const noCrl = await issue(partner, key, { cn: 'nocrl', san: 'email:bad@partner.test', cdp: deadCrl });
  const domain = await issue(partner, key, { cn: 'direct.test', san: 'DNS:direct.test', cdp });
  const uri = await issue(partner, key, { cn: 'uri', san: 'email:uri@partner.test', cdp });
  const untrusted = await issue(rogue, key, { cn: 'untrusted', san: 'email:bad@partner.test', cdp });
  // (the config's $ENV references need values even when nothing is issued)
  const env = { ...process.env, SAN: 'email:x@x.test', CDP: cdp };
  await runOk('openssl', ['ca', '-config', join(partner, 'ca.cnf'), '-revoke', revoked.path, '-crl_reason', 'keyCompromise'], { env });
  const crlPem = join(partner, 'ca.crl.pem');
  await runOk('openssl', ['ca', '-config', join(partner, 'ca.cnf'), '-gencrl', '-out', crlPem], { env });
  const crlDer = await runOk('openssl', ['crl', '-in', crlPem, '-outform', 'DER']);
  const p7Bundle = await runOk('openssl', ['crl2pkcs7', '-nocrl', '-certfile', rootPath, '-certfile', p7.path, '-outform', 'DER']);
  return {
    dir,
    p7Bundle,
    rootPath,
    rootDer: pemToDer(await readFile(rootPath, 'utf8')),
    rogueRootPath,
    crlDer,
    certs: { good: good.der, p7: p7.der, expired: expired.der, revoked: revoked.der, wrong: wrong.der, untrusted: untrusted.der, signOnly: signOnly.der, noCrl: noCrl.der, domain: domain.der, uri: uri.der },
  };
}
