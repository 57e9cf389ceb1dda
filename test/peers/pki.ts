// Test-only: builds a throw-away S/MIME PKI with the openssl CLI (a real, independent implementation):
// an RSA-2048 root CA, end-entity certificates (RSA-2048 and P-256) with emailProtection EKU and
// rfc822Name SANs, PKCS#8 PEM keys, PKCS#12 bundles for NSS/gpgsm, and an (empty or revoking) CRL.
// Trust level: test harness; every key lives only in a mkdtemp directory that the caller removes.
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runOk } from './run.js';

export interface TestIdentity {
  name: string;
  email: string;
  keyType: 'rsa' | 'ec';
  keyPath: string; // PKCS#8 PEM
  certPath: string; // PEM
  certDer: Buffer;
  certPem: string;
  keyPem: string;
  p12Path: string; // PKCS#12, password P12_PASSWORD, 3DES/SHA-1 PBE so every peer can read it
}

export interface TestPki {
  dir: string;
  caCertPath: string;
  caCertPem: string;
  caCertDer: Buffer;
  caKeyPath: string;
  crlPath: string; // PEM CRL revoking `revoked`
  ids: Record<string, TestIdentity>;
}

export const P12_PASSWORD = 'test1234';

const EE_EXT = (email: string, keyType: 'rsa' | 'ec') => `[ee]
basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature,nonRepudiation,${keyType === 'rsa' ? 'keyEncipherment' : 'keyAgreement'}
extendedKeyUsage=emailProtection
subjectAltName=email:${email}
subjectKeyIdentifier=hash
authorityKeyIdentifier=keyid
`;

/**
 * Identities: alice (RSA), bob (EC P-256), carol (RSA, used as a second recipient), mallory (RSA,
 * revoked in the CRL). All issued by one CA.
 */
export async function makeTestPki(): Promise<TestPki> {
  const dir = await mkdtemp(join(tmpdir(), 'sealgate-pki-'));
  const caKeyPath = join(dir, 'ca.key');
  const caCertPath = join(dir, 'ca.pem');
  await runOk('openssl', ['genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048', '-out', caKeyPath]);
  await runOk('openssl', [
    'req', '-x509', '-new', '-key', caKeyPath, '-out', caCertPath, '-days', '3650', '-sha256',
    '-subj', '/O=Sealgate Test/CN=Sealgate Test Root CA',
    '-addext', 'basicConstraints=critical,CA:TRUE',
    '-addext', 'keyUsage=critical,keyCertSign,cRLSign',
    '-addext', 'subjectKeyIdentifier=hash',
  ]);
  const ids: Record<string, TestIdentity> = {};
  let serial = 0x1000;
  for (const [name, keyType] of [
    ['alice', 'rsa'],
    ['bob', 'ec'],
    ['carol', 'rsa'],
    ['mallory', 'rsa'],
  ] as const) {
    const email = `${name}@example.test`;
    const keyPath = join(dir, `${name}.key`);
    const csrPath = join(dir, `${name}.csr`);
    const certPath = join(dir, `${name}.pem`);
    const extPath = join(dir, `${name}.ext`);
    const p12Path = join(dir, `${name}.p12`);
    if (keyType === 'rsa') {
      await runOk('openssl', ['genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048', '-out', keyPath]);
    } else {
      await runOk('openssl', ['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', keyPath]);
    }
    await runOk('openssl', ['req', '-new', '-key', keyPath, '-out', csrPath, '-subj', `/O=Sealgate Test/CN=${name}/emailAddress=${email}`]);
    await writeFile(extPath, EE_EXT(email, keyType));
    await runOk('openssl', [
      'x509', '-req', '-in', csrPath, '-CA', caCertPath, '-CAkey', caKeyPath, '-out', certPath,
      '-days', '825', '-sha256', '-set_serial', String(serial++), '-extfile', extPath, '-extensions', 'ee',
    ]);
    await runOk('openssl', [
      'pkcs12', '-export', '-inkey', keyPath, '-in', certPath, '-certfile', caCertPath, '-name', name,
      '-out', p12Path, '-passout', `pass:${P12_PASSWORD}`,
      '-keypbe', 'PBE-SHA1-3DES', '-certpbe', 'PBE-SHA1-3DES', '-macalg', 'sha1',
    ]);
    const certPem = await readFile(certPath, 'utf8');
    ids[name] = {
      name,
      email,
      keyType,
      keyPath,
      certPath,
      certPem,
      certDer: pemToDer(certPem),
      keyPem: await readFile(keyPath, 'utf8'),
      p12Path,
    };
  }
  const crlPath = await makeCrl(dir, caCertPath, caKeyPath, ids.mallory.certPath);
  const caCertPem = await readFile(caCertPath, 'utf8');
  return { dir, caCertPath, caCertPem, caCertDer: pemToDer(caCertPem), caKeyPath, crlPath, ids };
}

/** A CRL from the CA revoking one certificate, made with `openssl ca` and a minimal database. */
async function makeCrl(dir: string, caCert: string, caKey: string, revokeCert: string): Promise<string> {
  const cadir = join(dir, 'ca-db');
  await runOk('mkdir', ['-p', cadir]);
  await writeFile(join(cadir, 'index.txt'), '');
  await writeFile(join(cadir, 'crlnumber'), '01\n');
  const conf = join(cadir, 'ca.cnf');
  await writeFile(
    conf,
    `[ca]\ndefault_ca=d\n[d]\ndatabase=${cadir}/index.txt\ncrlnumber=${cadir}/crlnumber\n` +
      `certificate=${caCert}\nprivate_key=${caKey}\ndefault_md=sha256\ndefault_crl_days=30\n`,
  );
  await runOk('openssl', ['ca', '-config', conf, '-revoke', revokeCert, '-crl_reason', 'keyCompromise']);
  const crlPath = join(dir, 'ca.crl.pem');
  await runOk('openssl', ['ca', '-config', conf, '-gencrl', '-out', crlPath]);
  return crlPath;
}

export function pemToDer(pem: string): Buffer {
  const m = /-----BEGIN [^-]+-----([\s\S]*?)-----END [^-]+-----/.exec(pem);
  if (!m) throw new Error('no PEM block');
  return Buffer.from(m[1].replace(/\s+/g, ''), 'base64');
}
