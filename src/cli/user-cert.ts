// `sealgate cert import-p12 FILE --password-file F --config F`, `cert user-keys list|remove`: escrows
// (and lists, and removes) an internal user's own
// certificate and private key (a PKCS#12 file), so the gateway can decrypt mail partners encrypt
// to that personal certificate (src/pki/user-keys.ts). Trust level: operator with the KEK; reads
// the PKCS#12 password from a file (never from the command line, which other users can see);
// prints only the certificate's address, subject and fingerprint.
// Exit status: 0 imported, 1 refused (wrong password, not our domain, already imported...), 2 usage
// or configuration error.
import { readFile } from 'node:fs/promises';
import { Option, type Command } from 'commander';
import { defaultPkiConfig } from '../pki/config.js';
import { KekError, loadKek } from '../pki/keystore.js';
import { importUserKey, listUserKeys, Pkcs12Error, readPkcs12, removeUserKeys } from '../pki/user-keys.js';
import { type CommandIo, UsageError, cliActor, guarded, requiredConfig, withStore } from './shared.js';

async function readNamed(path: string, what: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (e) {
    throw new UsageError(`${path}: cannot read ${what} (${(e as NodeJS.ErrnoException).code ?? 'error'})`);
  }
}

async function importP12(file: string, o: { passwordFile?: string; config?: string }, io: CommandIo): Promise<void> {
  if (!o.config) throw new UsageError('--config FILE is required');
  if (!o.passwordFile) throw new UsageError('--password-file FILE is required');
  const cfg = requiredConfig(o.config);
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

/** `cert user-keys list`: every escrowed user key, in use or removed (no key material is read). */
async function listKeys(o: { config?: string; json?: boolean }, io: CommandIo): Promise<void> {
  const cfg = requiredConfig(o.config);
  const keys = await withStore(cfg, (store) => listUserKeys(store));
  if (o.json) {
    io.out(`${JSON.stringify(keys.map((k) => ({ ...k, notAfter: k.notAfter?.toISOString() ?? null, importedAt: k.importedAt.toISOString(), removedAt: k.removedAt?.toISOString() ?? null })), null, 2)}\n`);
    return;
  }
  if (keys.length === 0) io.out('no escrowed user keys\n');
  for (const k of keys) {
    const state = k.removedAt ? `removed ${k.removedAt.toISOString().slice(0, 10)}` : 'in use';
    io.out(`${k.address}  ${state}  imported ${k.importedAt.toISOString().slice(0, 10)}  valid until ${k.notAfter?.toISOString().slice(0, 10) ?? '?'}  ${k.subject}  SHA-256 ${k.fingerprint}  (${k.keyId})\n`);
  }
}

/** `cert user-keys remove ADDRESS|KEY-ID`: destroys the escrowed key(s); audited. */
async function removeKeys(query: string, o: { config?: string }, io: CommandIo): Promise<void> {
  const cfg = requiredConfig(o.config);
  const ids = await withStore(cfg, (store) => removeUserKeys(store, query, { actor: cliActor(), now: new Date() }));
  for (const id of ids) io.out(`removed ${id}: mail encrypted to that certificate is no longer decrypted (a running gateway notices within seconds)\n`);
}

/** Refusals with a message of their own (a wrong password, a broken file, a KEK problem): exit 1 without 'failed'. */
const KNOWN = [Pkcs12Error, KekError];

/** Adds `import-p12` and `user-keys list|remove` to the `cert` command group. */
export function registerUserCertCommands(cert: Command, io: CommandIo): void {
  const keys = cert.command('user-keys').description("Internal users' escrowed personal keys (imported with cert import-p12)");
  keys.command('list')
    .description('Every escrowed user key, in use or removed, with its certificate (no key material is shown)')
    .addOption(new Option('--config <file>', 'sealgate.yaml'))
    .option('--json', 'JSON output')
    .action(guarded('cert user-keys list', io, (o: { config?: string; json?: boolean }) => listKeys(o, io), KNOWN));
  keys.command('remove')
    .description("Destroy a user's escrowed key (all of an address's, or one key id): their personal certificate's mail is no longer decrypted")
    .argument('<address-or-key-id>')
    .addOption(new Option('--config <file>', 'sealgate.yaml'))
    .action(guarded('cert user-keys remove', io, (q: string, o: { config?: string }) => removeKeys(q, o, io), KNOWN));

  cert
    .command('import-p12')
    .description("Escrow an internal user's own certificate and key (PKCS#12) so mail encrypted to it can be decrypted")
    .argument('<file>', 'PKCS#12 file (.p12 / .pfx)')
    .addOption(new Option('--password-file <file>', 'file holding the PKCS#12 password (one line)'))
    .addOption(new Option('--config <file>', 'sealgate.yaml'))
    .action(guarded('cert import-p12', io, (file: string, o: { passwordFile?: string; config?: string }) => importP12(file, o, io), KNOWN));
}
