// Test-only: a small partner PKI for the trust-bundle and CRL tests, made with the openssl CLI: an
// RSA root, end-entity certificates for addresses in any domain whose cRLDistributionPoints name
// a given URL, a DER CRL revoking chosen ones, and the root as a PKCS#7 certs-only bundle (DER and
// PEM), the form Direct trust bundles take. Trust level: test harness; keys live in a temp folder.
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runOk } from '../peers/run.js';

export interface PartnerPki {
  dir: string;
  caPath: string;
  /** PKCS#7 certs-only bundle holding the root: DER and PEM. */
  bundleDer: Buffer;
  bundlePem: string;
  ids: Record<string, { certPath: string; keyPath: string; email: string }>;
  /** DER CRL revoking the ids passed as `revoke`. */
  crlDer: Buffer;
}

/** `people`: address → CRL URL for its certificate (undefined: no distribution point). */
export async function makePartnerPki(people: Record<string, string | undefined>, revoke: string[] = []): Promise<PartnerPki> {
  const dir = await mkdtemp(join(tmpdir(), 'sg-partner-pki-'));
  const caKey = join(dir, 'ca.key');
  const caPath = join(dir, 'ca.pem');
  await runOk('openssl', ['genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048', '-out', caKey]);
  await runOk('openssl', ['req', '-x509', '-new', '-key', caKey, '-out', caPath, '-days', '365', '-sha256', '-subj', '/O=Partner Test/CN=Partner Test Root',
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign', '-addext', 'subjectKeyIdentifier=hash']);
  const ids: PartnerPki['ids'] = {};
  let serial = 0x2000;
  for (const [email, url] of Object.entries(people)) {
    const name = email.replace(/[^a-z0-9]/gi, '_');
    const keyPath = join(dir, `${name}.key`);
    const certPath = join(dir, `${name}.pem`);
    const ext = join(dir, `${name}.ext`);
    await runOk('openssl', ['genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048', '-out', keyPath]);
    await runOk('openssl', ['req', '-new', '-key', keyPath, '-out', `${certPath}.csr`, '-subj', `/O=Partner Test/CN=${name}`]);
    await writeFile(ext, `[ee]\nbasicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=emailProtection\nsubjectAltName=email:${email}\nauthorityKeyIdentifier=keyid\n${url ? `crlDistributionPoints=URI:${url}\n` : ''}`);
    await runOk('openssl', ['x509', '-req', '-in', `${certPath}.csr`, '-CA', caPath, '-CAkey', caKey, '-out', certPath, '-days', '365', '-sha256', '-set_serial', String(serial++), '-extfile', ext, '-extensions', 'ee']);
    ids[email] = { certPath, keyPath, email };
  }
  const db = join(dir, 'db');
  await runOk('mkdir', ['-p', db]);
  await writeFile(join(db, 'index.txt'), '');
  await writeFile(join(db, 'crlnumber'), '01\n');
  const conf = join(db, 'ca.cnf');
  await writeFile(conf, `[ca]\ndefault_ca=d\n[d]\ndatabase=${db}/index.txt\ncrlnumber=${db}/crlnumber\ncertificate=${caPath}\nprivate_key=${caKey}\ndefault_md=sha256\ndefault_crl_days=30\n`);
  for (const r of revoke) await runOk('openssl', ['ca', '-config', conf, '-revoke', ids[r]!.certPath, '-crl_reason', 'keyCompromise']);
  await runOk('openssl', ['ca', '-config', conf, '-gencrl', '-out', join(dir, 'crl.pem')]);
  const crlDer = await runOk('openssl', ['crl', '-in', join(dir, 'crl.pem'), '-outform', 'DER']);
  const bundleDer = await runOk('openssl', ['crl2pkcs7', '-nocrl', '-certfile', caPath, '-outform', 'DER']);
  const bundlePem = (await runOk('openssl', ['crl2pkcs7', '-nocrl', '-certfile', caPath])).toString('latin1');
  return { dir, caPath, bundleDer, bundlePem, ids, crlDer };
}
