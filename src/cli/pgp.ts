// `sealgate pgp key list|import|export|lookup`, `sealgate pgp export-adk`: the OpenPGP key store
// and discovery from the command line. A thin shell over src/openpgp. Trust level: runs as the
// operator; imports and key creation are audited; secret keys are never printed.
import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { CliError as PgpCliError, cliActor as actor, configForCli as config, withStore } from './shared.js';
import type { Config } from '../config/types.js';
import { createOpenPgp, type OpenPgpParts } from '../openpgp/from-config.js';
import { readKeysAny } from '../openpgp/keys.js';
import type { PgpKeyRecord } from '../openpgp/store.js';

/** Largest key file read by `pgp key import`. */
export const PGP_IMPORT_MAX_BYTES = 1024 * 1024;

async function withPgp<T>(file: string, fn: (p: OpenPgpParts, cfg: Config, audit: (type: string, data: Record<string, unknown>) => Promise<unknown>) => Promise<T>): Promise<T> {
  const cfg = config(file);
  return withStore(cfg, async (store) => {
    const p = createOpenPgp(cfg, store, { removeForged: false });
    const before = (await p.keys.list()).length;
    await p.ensureKeys();
    const audit = (type: string, data: Record<string, unknown>) => store.audit.append({ type, actor: actor(), data });
    if ((await p.keys.list()).length > before) await audit('openpgp-keys-created', { domains: cfg.domains, algorithm: p.config.algorithm });
    return fn(p, cfg, audit);
  });
}

function run<A extends unknown[]>(name: string, fn: (...args: A) => Promise<void>) {
  return async (...args: A) => {
    try {
      await fn(...args);
    } catch (err) {
      const code = err instanceof PgpCliError ? err.exitCode : 1;
      const msg = err instanceof PgpCliError ? err.message : `pgp ${name}: ${(err as Error).message}`;
      process.stderr.write(`sealgate: ${msg}\n`);
      process.exit(code);
    }
  };
}

const view = (r: PgpKeyRecord) => ({
  fingerprint: r.fingerprint,
  kind: r.kind,
  address: r.address,
  source: r.source,
  algorithm: r.algorithm,
  secret: r.hasSecret,
  expires: r.expiresAt?.toISOString() ?? null,
  created: r.createdAt.toISOString(),
});

async function findKey(p: OpenPgpParts, who: string): Promise<PgpKeyRecord> {
  const q = who.toLowerCase().replace(/^0x/, '');
  const recs = /^[0-9a-f]{40}$/.test(q) ? [await p.keys.get(q)].filter((r): r is PgpKeyRecord => r !== null) : await p.keys.list({ address: q });
  const r = recs[recs.length - 1];
  if (!r) throw new PgpCliError(`pgp key export: no stored key for ${who}`);
  return r;
}

export function registerPgpCommands(program: Command): void {
  const pgp = program.command('pgp').description('OpenPGP: organization keys, the ADK, internal users\' escrowed keys, correspondents\' keys');
  const key = pgp.command('key').description('the OpenPGP key store');

  key
    .command('list')
    .description('list stored keys (our domain keys and ADKs are created on first use)')
    .option('--json', 'one JSON object per key')
    .requiredOption('--config <FILE>', 'sealgate.yaml')
    .action(
      run('key list', async (o: { json?: boolean; config: string }) => {
        await withPgp(o.config, async (p) => {
          const all = await p.keys.list();
          for (const r of all) {
            const v = view(r);
            process.stdout.write(o.json ? JSON.stringify(v) + '\n' : `${v.fingerprint}  ${v.kind.padEnd(8)} ${(v.address ?? '-').padEnd(36)} ${v.algorithm.padEnd(16)} ${v.source}${v.secret ? '  secret' : ''}\n`);
          }
          if (!o.json) process.stdout.write(`${all.length} key(s)\n`);
        });
      }),
    );

  key
    .command('import')
    .description('import public keys (correspondents) or secret keys of internal users (escrowed, sealed under the KEK)')
    .argument('<FILE>')
    .option('--passphrase-file <FILE>', 'passphrase of a protected secret key (the key is stored under the KEK instead)')
    .requiredOption('--config <FILE>', 'sealgate.yaml')
    .action(
      run('key import', async (file: string, o: { passphraseFile?: string; config: string }) => {
        const data = await readFile(file).catch((e: NodeJS.ErrnoException) => {
          throw new PgpCliError(`pgp key import: ${file}: cannot read (${e.code ?? 'error'})`);
        });
        if (data.length > PGP_IMPORT_MAX_BYTES) throw new PgpCliError(`pgp key import: ${file}: larger than ${PGP_IMPORT_MAX_BYTES} bytes`);
        const keys = await readKeysAny(data).catch(() => {
          throw new PgpCliError(`pgp key import: ${file}: no OpenPGP key in it`);
        });
        const passphrase = o.passphraseFile ? (await readFile(o.passphraseFile, 'utf8')).replace(/\r?\n$/, '') : undefined;
        await withPgp(o.config, async (p, cfg, audit) => {
          const recs = await p.keys.importKeys(keys, { internalDomains: cfg.domains, ...(passphrase !== undefined ? { passphrase } : {}) });
          for (const r of recs) {
            await audit('openpgp-key-imported', { fingerprint: r.fingerprint, kind: r.kind, address: r.address, secret: r.hasSecret });
            process.stdout.write(`imported ${r.fingerprint} ${r.kind} ${r.address ?? '-'}${r.hasSecret ? ' (secret key escrowed)' : ''}\n`);
          }
        });
      }),
    );

  key
    .command('export')
    .description('print the armored public key stored for an address or fingerprint')
    .argument('<ADDRESS_OR_FINGERPRINT>')
    .requiredOption('--config <FILE>', 'sealgate.yaml')
    .action(
      run('key export', async (who: string, o: { config: string }) => {
        await withPgp(o.config, async (p) => {
          process.stdout.write((await findKey(p, who)).publicArmored);
        });
      }),
    );

  key
    .command('lookup')
    .description('find a usable key for an address: local store, WKD, HKP (if configured), harvested')
    .argument('<ADDRESS>')
    .option('--armor', 'print the key found')
    .requiredOption('--config <FILE>', 'sealgate.yaml')
    .action(
      run('key lookup', async (address: string, o: { armor?: boolean; config: string }) => {
        await withPgp(o.config, async (p) => {
          const r = await p.discovery.lookup(address, new Date());
          if (r.kind !== 'found') throw new PgpCliError(`pgp key lookup: no usable key for ${address}: ${r.why}`);
          process.stdout.write(`${r.fingerprint.toLowerCase()} from ${r.source}\n`);
          if (o.armor) process.stdout.write(r.key.armor());
        });
      }),
    );

  pgp
    .command('export-adk')
    .description('print the ADK public key (configure desktop clients to encrypt to it as well)')
    .option('--domain <DOMAIN>', 'which domain\'s ADK (default: the first domain)')
    .requiredOption('--config <FILE>', 'sealgate.yaml')
    .action(
      run('export-adk', async (o: { domain?: string; config: string }) => {
        await withPgp(o.config, async (p, cfg) => {
          const d = (o.domain ?? cfg.domains[0]!).toLowerCase();
          if (!cfg.domains.includes(d)) throw new PgpCliError(`pgp export-adk: --domain: ${d} is not one of domains in ${cfg.file}`);
          process.stdout.write((await p.keys.orgKey('adk', d)).publicArmored);
        });
      }),
    );
}
