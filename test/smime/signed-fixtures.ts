// Test PKI for the signature tests, made at test time by the real openssl CLI in a temp folder:
// root CA -> intermediate CA -> end entities (RSA and EC P-256 with emailProtection and an e-mail SAN,
// one RSA with serverAuth only, one that the intermediate revokes), plus the intermediate's CRL.

import { execFileSync } from 'node:child_process';
import { createPrivateKey, type KeyObject } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface Party {
  name: string;
  certPem: string;
  certFile: string;
  keyFile: string;
  der: Buffer;
  key: KeyObject;
}

export interface TestPki {
  dir: string;
  root: Party;
  inter: Party;
  alice: Party; // RSA-2048, emailProtection, alice@example.org
  ecdsa: Party; // P-256, emailProtection, bob@example.org
  server: Party; // RSA, serverAuth only
  revoked: Party; // RSA, emailProtection, revoked by the intermediate
  alice2: Party; // same key as alice, serial 0x2005
  /** The intermediate's CRL (revokes `revoked`) and the root's (empty). */
  crlDer: Buffer;
  rootCrlDer: Buffer;
  crlFile: string;
  cleanup(): void;
}

export function openssl(args: string[], opts: { cwd?: string; input?: Buffer } = {}): Buffer {
  return execFileSync('openssl', args, { cwd: opts.cwd, input: opts.input, stdio: ['pipe', 'pipe', 'pipe'] });
}

const pemToDer = (pem: string) => Buffer.from(pem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, ''), 'base64');

export function makeTestPki(): TestPki {
  const dir = mkdtempSync(join(tmpdir(), 'sealgate-signed-'));
  const f = (n: string) => join(dir, n);
  writeFileSync(
    f('ext.cnf'),
    [
      '[root_ext]',
      'basicConstraints = critical, CA:TRUE',
      'keyUsage = critical, keyCertSign, cRLSign',
      'subjectKeyIdentifier = hash',
      '[ca_ext]',
      'basicConstraints = critical, CA:TRUE',
      'keyUsage = critical, keyCertSign, cRLSign',
      'subjectKeyIdentifier = hash',
      'authorityKeyIdentifier = keyid',
      '[smime]',
      'basicConstraints = CA:FALSE',
      'keyUsage = critical, digitalSignature, nonRepudiation, keyEncipherment',
      'extendedKeyUsage = emailProtection',
      'subjectKeyIdentifier = hash',
      'authorityKeyIdentifier = keyid',
      'subjectAltName = email:$ENV::SAN',
      '[smime_ec]',
      'basicConstraints = CA:FALSE',
      'keyUsage = critical, digitalSignature, nonRepudiation, keyAgreement',
      'extendedKeyUsage = emailProtection',
      'subjectKeyIdentifier = hash',
      'authorityKeyIdentifier = keyid',
      'subjectAltName = email:$ENV::SAN',
      '[server]',
      'basicConstraints = CA:FALSE',
      'keyUsage = critical, digitalSignature, keyEncipherment',
      'extendedKeyUsage = serverAuth',
      'subjectAltName = email:$ENV::SAN',
      '',
    ].join('\n'),
  );
  writeFileSync(
    f('ca.cnf'),
    [
      '[ca]',
      'default_ca = inter',
      '[inter]',
      `database = ${f('index.txt')}`,
      `crlnumber = ${f('crlnumber')}`,
      `certificate = ${f('inter.pem')}`,
      `private_key = ${f('inter.key')}`,
      'default_md = sha256',
      'default_crl_days = 30',
      '[root]',
      `database = ${f('root-index.txt')}`,
      `crlnumber = ${f('root-crlnumber')}`,
      `certificate = ${f('root.pem')}`,
      `private_key = ${f('root.key')}`,
      'default_md = sha256',
      'default_crl_days = 30',
      '',
    ].join('\n'),
  );
  writeFileSync(f('index.txt'), '');
  writeFileSync(f('crlnumber'), '01\n');
  writeFileSync(f('root-index.txt'), '');
  writeFileSync(f('root-crlnumber'), '01\n');

  const env = (san: string) => ({ ...process.env, SAN: san });
  const run = (args: string[], san = 'none@example.org') =>
    execFileSync('openssl', args, { cwd: dir, env: env(san), stdio: ['pipe', 'pipe', 'pipe'] });

  const party = (name: string): Party => {
    const certPem = readFileSync(f(`${name}.pem`), 'latin1');
    return {
      name,
      certPem,
      certFile: f(`${name}.pem`),
      keyFile: f(`${name}.key`),
      der: pemToDer(certPem),
      key: createPrivateKey(readFileSync(f(`${name}.key`))),
    };
  };

  run(['req', '-new', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'root.key', '-out', 'root.csr', '-subj', '/O=Sealgate Test/CN=Sealgate Test Root']);
  run(['x509', '-req', '-in', 'root.csr', '-signkey', 'root.key', '-out', 'root.pem', '-days', '3650', '-sha256', '-set_serial', '0x01', '-extfile', 'ext.cnf', '-extensions', 'root_ext']);
  const issue = (name: string, subj: string, keyArgs: string[], ext: string, san: string, ca: 'root' | 'inter', serial: string) => {
    run(['req', '-new', '-newkey', ...keyArgs, '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', subj], san);
    run(['x509', '-req', '-in', `${name}.csr`, '-CA', `${ca}.pem`, '-CAkey', `${ca}.key`, '-set_serial', serial, '-out', `${name}.pem`, '-days', '825', '-sha256', '-extfile', 'ext.cnf', '-extensions', ext], san);
  };
  issue('inter', '/O=Sealgate Test/CN=Sealgate Test Intermediate', ['rsa:2048'], 'ca_ext', 'none@example.org', 'root', '0x1001');
  issue('alice', '/O=Sealgate Test/CN=Alice Example', ['rsa:2048'], 'smime', 'alice@example.org', 'inter', '0x2001');
  issue('ecdsa', '/O=Sealgate Test/CN=Bob Example', ['ec', '-pkeyopt', 'ec_paramgen_curve:P-256'], 'smime_ec', 'bob@example.org', 'inter', '0x2002');
  issue('server', '/O=Sealgate Test/CN=mail.example.org', ['rsa:2048'], 'server', 'postmaster@example.org', 'inter', '0x2003');
  issue('revoked', '/O=Sealgate Test/CN=Mallory Example', ['rsa:2048'], 'smime', 'mallory@example.org', 'inter', '0x2004');
  // A second certificate for Alice's key (another serial): for certificate-substitution tests.
  run(['x509', '-req', '-in', 'alice.csr', '-CA', 'inter.pem', '-CAkey', 'inter.key', '-set_serial', '0x2005', '-out', 'alice2.pem', '-days', '825', '-sha256', '-extfile', 'ext.cnf', '-extensions', 'smime'], 'alice@example.org');
  run(['ca', '-config', 'ca.cnf', '-revoke', 'revoked.pem', '-crl_reason', 'keyCompromise']);
  run(['ca', '-config', 'ca.cnf', '-gencrl', '-out', 'inter-crl.pem']);
  run(['ca', '-config', 'ca.cnf', '-name', 'root', '-gencrl', '-out', 'root-crl.pem']);
  const crlDer = run(['crl', '-in', 'inter-crl.pem', '-outform', 'DER']);
  const rootCrlDer = run(['crl', '-in', 'root-crl.pem', '-outform', 'DER']);
  writeFileSync(f('inter-crl.der'), crlDer);
  writeFileSync(f('alice2.key'), readFileSync(f('alice.key')));
  return {
    dir,
    root: party('root'),
    inter: party('inter'),
    alice: party('alice'),
    ecdsa: party('ecdsa'),
    server: party('server'),
    revoked: party('revoked'),
    alice2: party('alice2'),
    crlDer,
    rootCrlDer,
    crlFile: f('inter-crl.pem'),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}
