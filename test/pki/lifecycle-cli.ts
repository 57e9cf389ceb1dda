// Test fixture for the certificate lifecycle and publication tests: a config folder with a P-256
// PKI made by `sealgate ca create`, and `sealgate ca|cert` run in-process with captured output.
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { registerCertCommands } from '../../src/cli/cert.js';
import { loadConfig } from '../../src/config/load.js';
import type { Config } from '../../src/config/types.js';
import { openDomainPki, toPem, type DomainPki } from '../../src/pki/ca.js';
import { loadKek } from '../../src/pki/keystore.js';
import { openStore, type OpenedStore } from '../../src/store/index.js';
import { run } from '../peers/run.js';

export interface CliResult {
  code: number;
  out: string;
  err: string;
  /** Binary output (cert export --der). */
  bytes: Buffer;
}

/** Runs `sealgate ARGS…` (the ca and cert command groups) in this process. */
export async function cli(...args: string[]): Promise<CliResult> {
  let out = '';
  let err = '';
  let code = 0;
  const bytes: Buffer[] = [];
  const program = new Command().name('sealgate').exitOverride();
  registerCertCommands(program, { out: (t) => (out += t), err: (t) => (err += t), exit: (c) => (code = c), bytes: (b) => bytes.push(b) });
  await program.parseAsync(['node', 'sealgate', ...args]);
  return { code, out, err, bytes: Buffer.concat(bytes) };
}

/** A temp folder with sealgate.yaml (`extra` appended) and a created PKI; returns the folder and config path. */
export async function pkiFixture(extra = '', domains = ['hospital.example']): Promise<{ dir: string; config: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'sg-life-'));
  const config = join(dir, 'sealgate.yaml');
  await writeFile(config, [
    'hostname: mail.hospital.example',
    `domains: [${domains.join(', ')}]`,
    'database: sqlite:data/db.sqlite',
    'dataDir: data',
    'pki:',
    '  kek: file:keys/kek',
    '  algorithm: p-256',
    '  encryptionKey: rsa-2048',
    '  organization: Example Hospital',
    extra,
  ].join('\n'));
  const r = await cli('ca', 'create', '--config', config);
  if (r.code !== 0) throw new Error(`ca create failed: ${r.err}`);
  return { dir, config };
}

/** Opens the fixture's store and PKI in this process (as the gateway would); close the store when done. */
export async function openFixturePki(config: string, clock?: { now(): Date }): Promise<{ pki: DomainPki; store: OpenedStore; cfg: Config }> {
  const cfg = loadConfig(config);
  const store = await openStore({ database: cfg.database, spoolDir: join(cfg.dataDir, 'spool') });
  const pki = await openDomainPki({ store, kek: loadKek(cfg.pki!.kek, cfg.dir), config: cfg.pki!, domains: cfg.domains, clock });
  return { pki, store, cfg };
}

/** `openssl crl -inform DER -text` of a CRL. */
export async function opensslCrlText(der: Buffer): Promise<string> {
  const r = await run('openssl', ['crl', '-inform', 'DER', '-noout', '-text'], { input: der });
  if (r.code !== 0) throw new Error(`openssl crl: ${r.stderr}`);
  return r.stdout.toString();
}

/** `openssl verify -purpose PURPOSE` of a DER leaf against the fixture's root and issuing CA; "OK" or openssl's complaint. */
export async function opensslVerifyLeaf(config: string, der: Buffer, purpose: 'smimeencrypt' | 'smimesign', dir: string): Promise<string> {
  const root = join(dir, 'root.pem');
  const internal = join(dir, 'internal.pem');
  await writeFile(root, (await cli('ca', 'show', '--pem', '--config', config)).out);
  await writeFile(internal, (await cli('ca', 'show', '--pem', '--ca', 'internal', '--config', config)).out);
  const leaf = join(dir, `leaf-${der.length}-${Math.random().toString(36).slice(2)}.pem`);
  await writeFile(leaf, toPem(der));
  const r = await run('openssl', ['verify', '-x509_strict', '-purpose', purpose, '-CAfile', root, '-untrusted', internal, leaf]);
  return (r.stdout.toString() + r.stderr).trim().replace(`${leaf}: `, '');
}
