// `sealgate cert import-p12 FILE --password-file F --config F`: escrows an internal user's own
// certificate and private key (a PKCS#12 file), so the gateway can decrypt mail partners encrypt
// to that personal certificate (src/pki/user-keys.ts). Trust level: operator with the KEK; reads
// the PKCS#12 password from a file (never from the command line, which other users can see);
// prints only the certificate's address, subject and fingerprint.
// Exit status: 0 imported, 1 refused (wrong password, not our domain, already imported...), 2 usage
// or configuration error.
import { readFile } from 'node:fs/promises';
import { Option, type Command } from 'commander';
import { ConfigError, loadConfig } from '../config/load.js';
import { defaultPkiConfig } from '../pki/config.js';
import { KekError, loadKek } from '../pki/keystore.js';
import { importUserKey, Pkcs12Error, readPkcs12 } from '../pki/user-keys.js';
import { cliActor, withStore } from './shared.js';

export interface UserCertIo {
  out(text: string): void;
  err(text: string): void;
  exit(code: number): void;
}

const defaultIo: UserCertIo = {
  out: (t) => process.stdout.write(t),
  err: (t) => process.stderr.write(t),
  exit: (code) => {
    process.exitCode = code;
  },
};

class UsageError extends Error {}

async function readNamed(path: string, what: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (e) {
    throw new UsageError(`${path}: cannot read ${what} (${(e as NodeJS.ErrnoException).code ?? 'error'})`);
  }
}

async function importP12(file: string, o: { passwordFile?: string; config?: string }, io: UserCertIo): Promise<void> {
  if (!o.config) throw new UsageError('--config FILE is required');
  if (!o.passwordFile) throw new UsageError('--password-file FILE is required');
  let cfg;
  try {
    cfg = loadConfig(o.config);
  } catch (e) {
    if (e instanceof ConfigError) throw new UsageError(e.message);
    throw e;
  }
  const pkiCfg = cfg.pki ?? defaultPkiConfig(cfg.dir, cfg.hostname, cfg.domains);
  const p12 = await readNamed(file, 'the PKCS#12 file');
  // One line: the password, without its line end.
  const password = (await readNamed(o.passwordFile, 'the password file')).toString('utf8').replace(/\r?\n$/, '');
  let contents;
  try {
    contents = readPkcs12(p12, password);
  } catch (e) {
    throw new Pkcs12Error(`${file}: ${(e as Error).message}`);
  }
  const kek = loadKek(pkiCfg.kek, cfg.dir);
  const r = await withStore(cfg, (store) => importUserKey(store, kek, contents, { domains: cfg.domains, actor: cliActor(), now: new Date() }));
  io.out(`imported ${r.address}: ${r.subject}, valid until ${r.notAfter.toISOString().slice(0, 10)}, SHA-256 ${r.fingerprint}; key escrowed as ${r.keyId}\n`);
}

/** Adds `import-p12` to the `cert` command group. */
export function registerUserCertCommands(cert: Command, io: UserCertIo = defaultIo): void {
  cert
    .command('import-p12')
    .description("Escrow an internal user's own certificate and key (PKCS#12) so mail encrypted to it can be decrypted")
    .argument('<file>', 'PKCS#12 file (.p12 / .pfx)')
    .addOption(new Option('--password-file <file>', 'file holding the PKCS#12 password (one line)'))
    .addOption(new Option('--config <file>', 'sealgate.yaml'))
    .action(async (file: string, o: { passwordFile?: string; config?: string }) => {
      try {
        await importP12(file, o, io);
      } catch (e) {
        const usage = e instanceof UsageError;
        const known = usage || e instanceof Pkcs12Error || e instanceof KekError;
        io.err(`sealgate cert import-p12: ${known ? (e as Error).message : `failed: ${(e as Error).message}`}\n`);
        io.exit(usage ? 2 : 1);
      }
    });
}
