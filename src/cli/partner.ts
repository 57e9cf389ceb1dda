// `sealgate partner add|list|remove|import`: the destination registry from the command line. A
// thin shell over src/destinations: parse options, open the store, call one method, print.
// Trust level: runs as the operator; every change is audited with actor cli:<user>.
import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { CliError as PartnerCliError, cliActor as actor, configForCli as config, withStore } from './shared.js';
import { DestinationError, DestinationImportError, DestinationRegistry, formatProblem, normalizePattern, type Destination } from '../destinations/index.js';
import { CSV_MAX_BYTES } from '../destinations/csv.js';

/** Exit status for configuration errors (same as src/cli/commands.ts). */


async function withRegistry<T>(configFile: string, fn: (reg: DestinationRegistry) => Promise<T>): Promise<T> {
  return withStore(config(configFile), (store) => fn(new DestinationRegistry(store)));
}

const day = (d: Date | null) => (d ? d.toISOString().slice(0, 10) : null);
/** The stored `until` is exclusive; show the operator's inclusive last day. */
const lastDay = (d: Date | null) => (d ? new Date(d.getTime() - 86_400_000).toISOString().slice(0, 10) : null);

function view(d: Destination) {
  return { pattern: d.pattern, kind: d.kind, notes: d.notes, effectiveFrom: day(d.effectiveFrom), effectiveUntil: lastDay(d.effectiveUntil), tlsRequired: d.tlsRequired, createdAt: d.createdAt.toISOString(), createdBy: d.createdBy };
}

/** Run an action; known errors become one clear stderr line and an exit status. */
function run<A extends unknown[]>(name: string, fn: (...args: A) => Promise<void>) {
  return async (...args: A) => {
    try {
      await fn(...args);
    } catch (err) {
      let msg: string;
      let code = 1;
      if (err instanceof PartnerCliError) {
        msg = err.message;
        code = err.exitCode;
      } else if (err instanceof DestinationImportError) {
        for (const p of err.problems) process.stderr.write(`sealgate: partner ${name}: ${formatProblem(p)}\n`);
        msg = `partner ${name}: ${err.problems.length} problem(s); nothing imported`;
      } else if (err instanceof DestinationError) msg = `partner ${name}: ${err.message}`;
      else msg = `partner ${name}: ${(err as Error).message}`;
      process.stderr.write(`sealgate: ${msg}\n`);
      process.exit(code);
    }
  };
}

export function registerPartnerCommands(program: Command): void {
  const partner = program.command('partner').description('the destination registry: domains and addresses PHI may be sent to');

  partner
    .command('add')
    .description('register a domain (partner.example), its subdomains too (.partner.example) or one address')
    .argument('<DOMAIN_OR_ADDRESS>')
    .requiredOption('--kind <KIND>', 'healthcare | business-associate | patient')
    .option('--notes <TEXT>', 'free text (no PHI)')
    .option('--from <DATE>', 'effective from this day (YYYY-MM-DD, UTC, inclusive)')
    .option('--until <DATE>', 'effective through this day (YYYY-MM-DD, UTC, inclusive)')
    .option('--tls-required', 'deliver to this destination only over verified TLS')
    .requiredOption('--config <FILE>', 'sealgate.yaml')
    .action(
      run('add', async (pattern: string, o: { kind: string; notes?: string; from?: string; until?: string; tlsRequired?: boolean; config: string }) => {
        await withRegistry(o.config, async (reg) => {
          const d = await reg.add({ pattern, kind: o.kind, notes: o.notes, from: o.from, until: o.until, tlsRequired: o.tlsRequired === true }, actor());
          process.stdout.write(`added ${d.pattern} (${d.kind})\n`);
        });
      }),
    );

  partner
    .command('list')
    .description('list registered destinations')
    .option('--json', 'one JSON object per entry')
    .requiredOption('--config <FILE>', 'sealgate.yaml')
    .action(
      run('list', async (o: { json?: boolean; config: string }) => {
        await withRegistry(o.config, async (reg) => {
          const all = await reg.list();
          for (const d of all) {
            const v = view(d);
            if (o.json) process.stdout.write(JSON.stringify(v) + '\n');
            else {
              const window = v.effectiveFrom || v.effectiveUntil ? `  ${v.effectiveFrom ?? '…'}..${v.effectiveUntil ?? '…'}` : '';
              process.stdout.write(`${v.pattern}  ${v.kind}${window}${v.tlsRequired ? '  tls-required' : ''}${v.notes ? `  # ${v.notes}` : ''}\n`);
            }
          }
          if (!o.json) process.stdout.write(`${all.length} destination(s)\n`);
        });
      }),
    );

  partner
    .command('remove')
    .description('remove a registered domain, subdomain pattern or address')
    .argument('<DOMAIN_OR_ADDRESS>')
    .requiredOption('--config <FILE>', 'sealgate.yaml')
    .action(
      run('remove', async (pattern: string, o: { config: string }) => {
        await withRegistry(o.config, async (reg) => {
          if (!(await reg.remove(pattern, actor()))) throw new PartnerCliError(`partner remove: ${pattern} is not registered`);
          process.stdout.write(`removed ${normalizePattern(pattern).pattern}\n`);
        });
      }),
    );

  partner
    .command('import')
    .description('import a CSV file (header pattern,kind,notes,effective_from,effective_until,tls_required); all or nothing')
    .argument('<FILE>')
    .requiredOption('--config <FILE>', 'sealgate.yaml')
    .action(
      run('import', async (file: string, o: { config: string }) => {
        let buf: Buffer;
        try {
          buf = await readFile(file);
        } catch (e) {
          throw new PartnerCliError(`partner import: ${file}: cannot read (${(e as NodeJS.ErrnoException).code ?? 'error'})`);
        }
        if (buf.length > CSV_MAX_BYTES) throw new PartnerCliError(`partner import: ${file}: larger than ${CSV_MAX_BYTES} bytes`);
        let text: string;
        try {
          text = new TextDecoder('utf-8', { fatal: true }).decode(buf);
        } catch {
          throw new PartnerCliError(`partner import: ${file}: not UTF-8 text`);
        }
        await withRegistry(o.config, async (reg) => {
          try {
            const added = await reg.importCsv(text, actor());
            process.stdout.write(`imported ${added.length} destination(s) from ${file}\n`);
          } catch (e) {
            if (e instanceof DestinationImportError) {
              for (const p of e.problems) process.stderr.write(`sealgate: partner import: ${file}: ${formatProblem(p)}\n`);
              throw new PartnerCliError(`partner import: ${file}: ${e.problems.length} problem(s); nothing imported`);
            }
            throw e;
          }
        });
      }),
    );
}
