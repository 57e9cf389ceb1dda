// `sealgate policy test FILE_OR_DIR... [--to ADDRESS...] [--config F] [--json]`: prints the PHI
// scorer's decision for each message (directories are read recursively for *.eml). A thin shell
// over src/policy: reads files, prints decisions. Trust level: runs as the operator; prints only
// decisions with masked reasons, never message content.
import { readFile, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Command } from 'commander';
import { parse as parseYaml } from 'yaml';
import { type PhiDecision, type PolicyConfig, compilePolicy, scoreMessage } from '../policy/index.js';
import { ConfigError, loadConfig } from '../config/load.js';
import type { Config } from '../config/types.js';
import type { OpenedStore } from '../store/index.js';
import { createDecideStage, policyDecision, type OutboundDecision } from '../outbound/decide-stage.js';
import { OUTBOUND_DEFAULTS } from '../outbound/config.js';
import { createOutboundStages } from '../outbound/from-config.js';
import type { PlannedMethod } from '../outbound/methods.js';
import { createLogger } from '../log/logger.js';
import { CliError, withStore } from './shared.js';
import { DestinationRegistry } from '../destinations/index.js';

/** Largest message the CLI reads (the SMTP side's message size limit is far lower). */
export const POLICY_CLI_MAX_INPUT_BYTES = 256 * 1024 * 1024;
/** Most files one invocation walks (a directory tree bigger than this is refused). */
export const POLICY_CLI_MAX_FILES = 1_000_000;


const collect = (v: string, prev: string[]) => [...prev, v];

/** Read the `policy` key of a Sealgate YAML configuration file and validate it. */
export async function loadPolicyConfig(file: string): Promise<PolicyConfig> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    throw new CliError(`${file}: cannot read configuration (${(e as NodeJS.ErrnoException).code ?? 'error'})`, 2);
  }
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (e) {
    throw new CliError(`${file}: not valid YAML (${(e as Error).message.split('\n')[0]})`, 2);
  }
  const policy = doc && typeof doc === 'object' ? (doc as Record<string, unknown>)['policy'] : undefined;
  if (policy !== undefined && (policy === null || typeof policy !== 'object' || Array.isArray(policy))) {
    throw new CliError(`${file}: policy: must be a mapping`, 2);
  }
  const cfg = (policy ?? {}) as PolicyConfig;
  try {
    compilePolicy(cfg);
  } catch (e) {
    throw new CliError(`${file}: ${(e as Error).message}`, 2);
  }
  return cfg;
}

/** Expand arguments: files as given, directories recursively to their *.eml files (sorted). */
export async function expandInputs(args: string[]): Promise<string[]> {
  const out: string[] = [];
  const walk = async (dir: string): Promise<void> => {
    const entries = await readdir(dir, { withFileTypes: true });
    entries.sort((a, b) => a.name.localeCompare(b.name));
    for (const e of entries) {
      const p = join(dir, e.name);
      if (e.isDirectory()) await walk(p);
      else if (e.isFile() && /\.eml$/i.test(e.name)) out.push(p);
      if (out.length > POLICY_CLI_MAX_FILES) throw new CliError(`more than ${POLICY_CLI_MAX_FILES} files`);
    }
  };
  for (const a of args) {
    let st;
    try {
      st = await stat(a);
    } catch (e) {
      throw new CliError(`${a}: cannot read (${(e as NodeJS.ErrnoException).code ?? 'error'})`);
    }
    if (st.isDirectory()) await walk(a);
    else out.push(a);
  }
  return out;
}

function summary(d: PhiDecision): string {
  const top = d.reasons
    .filter((r) => r.category !== 'uninspected')
    .slice(0, 6)
    .map((r) => `${r.category} x${r.count}`)
    .join(', ');
  const unin = d.reasons.find((r) => r.category === 'uninspected');
  return `${d.phi ? 'PHI' : 'no PHI'} (score ${d.score}, threshold ${d.threshold})${d.pii ? ', personal identifiers' : ''}${top ? `: ${top}` : ''}${unin ? ` [not fully inspected: ${unin.count}]` : ''}`;
}

/** What `--to` adds: the decision's action and, per recipient, the protection method that would serve it. */
export interface DryRun {
  action: OutboundDecision['action'];
  why: string[];
  notAllowed: string[];
  /** Per recipient: the deciding method (null unless the action is protect) and the planner's steps. */
  recipients: Array<{ address: string; method: string | null; outcome?: string; why?: string }>;
}

/** Loads the full gateway configuration (the registry and directory live in its database). */
function gatewayConfig(file: string): Config {
  try {
    return loadConfig(file);
  } catch (e) {
    if (e instanceof ConfigError) throw new CliError(e.message, 2);
    throw e;
  }
}

/**
 * The decision stage run dry (no audit record, no notice) over the message for `to`, then the
 * protection stage's planner (no issuing, no encrypting, no sending) per recipient.
 */
async function dryRun(cfg: Config, store: OpenedStore, raw: Buffer, to: string[], plan: (r: string) => Promise<PlannedMethod[]>): Promise<DryRun> {
  const out = cfg.outbound ?? OUTBOUND_DEFAULTS;
  const domains = new Set(cfg.domains);
  const isLocalDomain = (d: string) => domains.has(d.toLowerCase());
  const stage = createDecideStage({ config: out, ...(cfg.policy ? { policy: cfg.policy } : {}), registry: new DestinationRegistry(store), audit: { append: async () => undefined }, isLocalDomain });
  const msg = { id: 'policy-test', envelope: { direction: 'outbound' as const, sender: '', recipients: to, clientIp: '127.0.0.1', clientHelo: 'policy-test', tls: false, receivedAt: new Date() }, body: raw, attrs: {} };
  await stage.process(msg, { now: () => new Date(), signal: new AbortController().signal });
  const d = policyDecision(msg)!;
  const recipients: DryRun['recipients'] = [];
  for (const address of to) {
    if (d.action !== 'protect') {
      recipients.push({ address, method: null });
      continue;
    }
    const steps = await plan(address);
    const last = steps[steps.length - 1];
    const decided = last && last.outcome !== 'unavailable' ? last : undefined;
    recipients.push({ address, method: decided?.method ?? null, ...(last ? { outcome: decided ? last.outcome : 'hold', why: steps.map((x) => `${x.method}: ${x.why}`).join('; ') } : {}) });
  }
  return { action: d.action, why: d.why, notAllowed: d.notAllowed, recipients };
}

function dryRunText(r: DryRun): string {
  const per = r.recipients.map((x) => `${x.address}: ${x.method ?? '-'}${x.why ? ` (${x.why})` : ''}`).join('; ');
  return ` -> ${r.action} (${r.why.join('; ')})${per && r.action === 'protect' ? `; ${per}` : ''}`;
}

export function registerPolicyCommands(program: Command): void {
  const policy = program.command('policy').description('PHI policy engine');
  policy
    .command('test')
    .description('Score messages for PHI and print the decision with its (masked) reasons')
    .argument('<paths...>', 'message files (.eml) or directories (read recursively for *.eml)')
    .option('--to <address>', 'intended recipient (repeatable): print the action and, per recipient, the protection method (needs --config)', collect, [])
    .option('--config <file>', 'Sealgate YAML configuration (its `policy` key; with --to, the whole gateway configuration); defaults if omitted')
    .option('--json', 'one JSON object per line')
    .action(async (paths: string[], opts: { to: string[]; config?: string; json?: boolean }) => {
      // `sealgate policy test dir | head`: a closed pipe ends the listing quietly
      process.stdout.on('error', (e: NodeJS.ErrnoException) => {
        if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
      });
      try {
        if (opts.to.length && !opts.config) process.stderr.write('sealgate policy test: the action and method for --to need --config FILE (the destination registry and certificate directory are in its database); showing the PHI decision only\n');
        const cfg = opts.config ? await loadPolicyConfig(opts.config) : undefined;
        const files = await expandInputs(paths);
        if (opts.to.length && opts.config) {
          const gw = gatewayConfig(opts.config!);
          await withStore(gw, async (store) => {
            const assembly = createOutboundStages(gw, { store, submitter: { submit: async () => Promise.reject(new Error('policy test sends nothing')) }, now: () => new Date(), logger: createLogger('fatal') });
            await testFiles(files, cfg, opts, (raw) => dryRun(gw, store, raw, opts.to, assembly.plan));
          });
          return;
        }
        await testFiles(files, cfg, opts);
      } catch (e) {
        process.stderr.write(`sealgate policy test: ${(e as Error).message}\n`);
        process.exitCode = e instanceof CliError ? e.exitCode : 1;
      }
    });
}

/** Scores each file and prints it (with --to: plus the dry run's action and methods). */
async function testFiles(files: string[], cfg: PolicyConfig | undefined, opts: { to: string[]; json?: boolean }, dry?: (raw: Buffer) => Promise<DryRun>): Promise<void> {
  let failed = 0;
  for (const file of files) {
    let raw: Buffer;
    try {
      const st = await stat(file);
      if (st.size > POLICY_CLI_MAX_INPUT_BYTES) throw new Error(`larger than ${POLICY_CLI_MAX_INPUT_BYTES} bytes`);
      raw = await readFile(file);
    } catch (e) {
      failed++;
      process.stderr.write(`sealgate policy test: ${file}: cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})\n`);
      continue;
    }
    const d = scoreMessage(raw, cfg);
    const r = dry ? await dry(raw) : undefined;
    if (opts.json) {
      const obj: Record<string, unknown> = { file, phi: d.phi, score: d.score, threshold: d.threshold, pii: d.pii, reasons: d.reasons };
      if (opts.to.length) obj['to'] = opts.to;
      if (r) {
        obj['action'] = r.action;
        // one recipient: the method's name; several: address -> method
        obj['method'] = r.recipients.length === 1 ? r.recipients[0]!.method : Object.fromEntries(r.recipients.map((x) => [x.address, x.method]));
        obj['why'] = r.why;
        obj['notAllowed'] = r.notAllowed;
        obj['recipients'] = r.recipients;
      }
      process.stdout.write(JSON.stringify(obj) + '\n');
    } else {
      process.stdout.write(`${file}: ${summary(d)}${r ? dryRunText(r) : opts.to.length ? ` (to ${opts.to.join(', ')})` : ''}\n`);
    }
  }
  if (failed) process.exitCode = 1;
}
