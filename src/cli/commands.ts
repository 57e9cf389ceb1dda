// Core CLI commands: init, start, demo, check-config, queue, audit. Thin shells over the modules:
// parse options, call one function, print the result.
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { Command, Option } from 'commander';
import { ConfigError, loadConfig } from '../config/load.js';
import type { Config } from '../config/types.js';
import { createInitialAdmin, initGateway } from './init.js';
import { cliActor as actor, withStore } from './shared.js';
import { createLogger } from '../log/logger.js';
import { startGateway } from '../gateway/gateway.js';
import { setUpPki } from '../pki/setup.js';
import { createQueueAdmin } from '../queue/admin.js';
import { rejectHeld } from '../outbound/review.js';
import { createOpenPgp } from '../openpgp/from-config.js';

/** Exit status for configuration errors (documented in README). */
export const EXIT_CONFIG = 2;

function out(line: string) {
  process.stdout.write(line + '\n');
}

function fail(msg: string, code = 1): never {
  process.stderr.write(`sealgate: ${msg}\n`);
  process.exit(code);
}

function config(file: string | undefined): Config {
  if (!file) fail('--config FILE is required', EXIT_CONFIG);
  try {
    return loadConfig(file);
  } catch (err) {
    if (err instanceof ConfigError) fail(err.message, EXIT_CONFIG);
    throw err;
  }
}


async function runGateway(cfg: Config): Promise<void> {
  const logger = createLogger(cfg.log.level);
  const gw = await startGateway(cfg, { logger });
  const ext = cfg.delivery.external.mode === 'smarthost' ? `smarthost ${cfg.delivery.external.host}:${cfg.delivery.external.port}` : `recipient MX hosts (port ${cfg.delivery.mxPort})`;
  process.stderr.write(
    [
      `sealgate: serving ${cfg.domains.join(', ')} as ${cfg.hostname}`,
      `sealgate: inbound SMTP (Internet -> us) listening on ${gw.inbound.host}:${gw.inbound.port}; accepted mail goes to ${cfg.delivery.internal.host}:${cfg.delivery.internal.port}`,
      `sealgate: outbound SMTP (internal server -> us) listening on ${gw.outbound.host}:${gw.outbound.port}; mail goes to ${ext}`,
      ...(gw.web ? [`sealgate: web console and pickup portal on https://${gw.web.host}:${gw.web.port}/ (sign in with the administrator printed by init)`] : []),
      `sealgate: database ${cfg.database.kind === 'sqlite' ? cfg.database.file : 'postgresql'}; stop with SIGTERM or Ctrl-C`,
      '',
    ].join('\n'),
  );
  await new Promise<void>((resolveStop) => {
    const stop = (sig: string) => {
      logger.info({ signal: sig }, 'stopping: no new connections, finishing in-flight work');
      gw.stop().then(
        () => {
          logger.flush();
          resolveStop();
        },
        (err: Error) => {
          logger.error({ err: err.message }, 'error while stopping');
          resolveStop();
        },
      );
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });
}

/**
 * What `init` does after writing the config (and `demo` on its first start): the database, the PKI
 * with its key-encryption key, the OpenPGP organization keys and the initial console administrator.
 */
async function setUpKeysAndAdmin(configFile: string, pkiAlgorithm?: 'rsa-3072' | 'p-256'): Promise<void> {
  const cfg = config(configFile);
  await withStore(cfg, async (store) => {
    await store.setSetting('initialized_at', new Date().toISOString());
    await store.audit.append({ type: 'init', actor: actor(), data: { domains: cfg.domains } });
    // The loader always fills `pki` with defaults when the section is absent.
    const { pki, createdKek, kekId } = await setUpPki(cfg, cfg.pki!, store, pkiAlgorithm);
    if (!pki) {
      out(`the database already holds this gateway's PKI (another node created it): copy that node's key-encryption key to ${cfg.pki!.kek} before starting`);
      return;
    }
    await store.audit.append({ type: 'pki-created', actor: actor(), data: { domains: cfg.domains, algorithm: pki.config.algorithm, kek: kekId } });
    if (createdKek) out(`created key-encryption key ${createdKek} (mode 0600; back it up apart from the database)`);
    out(`created the root CA, issuing CAs and RFC 3183 domain certificates (${pki.config.algorithm}); see: sealgate ca show --config ${configFile}`);
    // The OpenPGP organization keys too (domain key and ADK per domain, docs/openpgp.md), so the
    // ADK can be handed to desktop clients before the first start.
    const pgp = createOpenPgp(cfg, store, { removeForged: false });
    await pgp.ensureKeys();
    await store.audit.append({ type: 'openpgp-keys-created', actor: actor(), data: { domains: cfg.domains, algorithm: pgp.config.algorithm } });
    out(`created the OpenPGP domain keys and additional decryption keys (${pgp.config.algorithm}); see: sealgate pgp key list --config ${configFile}`);
    for (const line of await createInitialAdmin(cfg, store, actor())) out(line);
  });
}

export function registerCoreCommands(program: Command): void {
  program
    .command('init')
    .description('create DIR/sealgate.yaml (complete, commented), the database and key material')
    .requiredOption('--dir <DIR>', 'folder to create the configuration in')
    .option('--domain <DOMAIN...>', 'a domain this gateway serves (repeatable)')
    .option('--hostname <NAME>', 'host name for banners and DSNs (default mail.<first domain>)')
    .option('--inbound <HOST:PORT>', 'inbound SMTP listener', '0.0.0.0:25')
    .option('--outbound <HOST:PORT>', 'outbound SMTP listener', '127.0.0.1:10025')
    .option('--internal <HOST:PORT>', 'internal mail server for inbound delivery', '127.0.0.1:25')
    .option('--database <URL>', '"sqlite" or a postgres:// URL', 'sqlite')
    .option('--smarthost <HOST:PORT>', 'relay outbound mail through this host instead of MX lookups')
    .addOption(new Option('--pki-algorithm <ALG>', 'key type of the CAs and domain signing keys (default pki.algorithm: rsa-3072)').choices(['rsa-3072', 'p-256']))
    .action(async (o: { dir: string; domain?: string[]; hostname?: string; inbound: string; outbound: string; internal: string; database: string; smarthost?: string; pkiAlgorithm?: 'rsa-3072' | 'p-256' }) => {
      if (!o.domain?.length) fail('init: at least one --domain is required');
      const [ih, ip] = splitHostPort(o.internal, '--internal');
      const smarthost = o.smarthost ? splitHostPort(o.smarthost, '--smarthost') : undefined;
      let configFile: string;
      try {
        ({ configFile } = await initGateway({ dir: o.dir, domains: o.domain, hostname: o.hostname, inboundListen: o.inbound, outboundListen: o.outbound, internal: { host: ih, port: ip }, database: o.database, smarthost: smarthost && { host: smarthost[0], port: smarthost[1] } }));
      } catch (err) {
        fail(`init: ${(err as Error).message}`);
      }
      await setUpKeysAndAdmin(configFile, o.pkiAlgorithm);
      out(`created ${configFile}`);
      out(`start it with: sealgate start --config ${configFile}`);
    });

  program
    .command('start')
    .description('run every listener until SIGTERM/SIGINT, then stop accepting, finish or re-queue in-flight work and exit 0')
    .requiredOption('--config <FILE>', 'sealgate.yaml')
    .action(async (o: { config: string }) => {
      await runGateway(config(o.config));
      process.exit(0);
    });

  program
    .command('demo')
    .description('initialize a demo domain on first start (in --dir) and run the gateway on unprivileged ports')
    .option('--dir <DIR>', 'where the demo configuration and data live', 'sealgate-demo')
    .option('--domain <DOMAIN>', 'demo domain', 'demo.sealgate.test')
    .action(async (o: { dir: string; domain: string }) => {
      const file = resolve(o.dir, 'sealgate.yaml');
      if (!existsSync(file)) {
        await initGateway({ dir: o.dir, domains: [o.domain], inboundListen: '127.0.0.1:2525', outboundListen: '127.0.0.1:10025', webListen: '127.0.0.1:8443', internal: { host: '127.0.0.1', port: 2526 } });
        await setUpKeysAndAdmin(file);
        process.stderr.write(`sealgate: initialized demo domain ${o.domain} in ${resolve(o.dir)}\n`);
      }
      await runGateway(config(file));
      process.exit(0);
    });

  program
    .command('check-config')
    .description('validate a configuration file; prints each problem with its key path; exit 2 on error')
    .requiredOption('--config <FILE>', 'sealgate.yaml')
    .action((o: { config: string }) => {
      const cfg = config(o.config);
      out(`${cfg.file}: OK (${cfg.domains.length} domain(s), database ${cfg.database.kind})`);
    });

  const queue = program.command('queue').description('inspect and manage the message queue');
  const q = (name: string, desc: string) =>
    queue.command(name).description(desc).requiredOption('--config <FILE>', 'sealgate.yaml');

  q('list', 'list queued messages')
    .option('--json', 'one JSON object per message')
    .addOption(new Option('--state <STATE...>', 'only these states').choices(['incoming', 'active', 'deferred', 'hold', 'delivered', 'bounced']))
    .action(async (o: { config: string; json?: boolean; state?: string[] }) => {
      await withStore(config(o.config), async (store) => {
        const admin = createQueueAdmin(store, { actor: actor() });
        const rows = await admin.list({ states: o.state as never });
        for (const m of rows) {
          const summary = {
            id: m.id,
            state: m.state,
            direction: m.direction,
            sender: m.sender,
            recipients: m.recipients.map((r) => r.address),
            size: m.size,
            attempts: m.attempts,
            nextAttempt: m.nextAttempt?.toISOString() ?? null,
            lastError: m.lastError,
            holdReason: m.holdReason,
            receivedAt: m.receivedAt.toISOString(),
          };
          if (o.json) out(JSON.stringify(summary));
          else out(`${m.id}  ${m.state.padEnd(9)} ${m.direction.padEnd(8)} ${m.size.toString().padStart(8)}  <${m.sender}> -> ${summary.recipients.join(', ')}${m.lastError ? `  (${m.lastError})` : ''}`);
        }
        if (!o.json) out(`${rows.length} message(s)`);
      });
    });

  q('show', 'show one message: envelope, per-recipient status, history')
    .argument('<ID>')
    .option('--json', 'JSON output')
    .action(async (id: string, o: { config: string; json?: boolean }) => {
      await withStore(config(o.config), async (store) => {
        const m = await createQueueAdmin(store, { actor: actor() }).show(id);
        if (!m) fail(`queue show: no message ${id}`);
        const history = await store.audit.list({ messageId: id });
        const view = { ...m, history: history.map((h) => ({ at: h.at.toISOString(), type: h.type, actor: h.actor, data: h.data })) };
        out(JSON.stringify(view, null, o.json ? undefined : 2));
      });
    });

  const adminAction = (name: 'retry' | 'hold' | 'release' | 'delete', desc: string) =>
    q(name, desc)
      .argument('<ID>')
      .option('--reason <TEXT>', 'reason (recorded in the audit trail)')
      .action(async (id: string, o: { config: string; reason?: string; approve?: boolean }) => {
        await withStore(config(o.config), async (store) => {
          const admin = createQueueAdmin(store, { actor: actor() });
          const ok = name === 'release' ? await admin.release(id, o.reason, { approve: o.approve === true }) : await admin[name === 'delete' ? 'remove' : name](id, o.reason);
          if (!ok) fail(`queue ${name}: message ${id} not found or not in a state that allows ${name}`);
          out(`${name}: ${id} done`);
        });
      });
  adminAction('retry', 'deliver a deferred or held message now');
  adminAction('hold', 'hold a message (no delivery until released)');
  adminAction('release', 'release a held message for delivery').option('--approve', 'privacy review approved it: it goes out protected, with a reviewSig');
  adminAction('delete', 'delete a message (audited)');

  q('reject', 'reject a held message after privacy review: the sender gets a DSN with the reason')
    .argument('<ID>')
    .requiredOption('--reason <TEXT>', 'why (sent to the sender in the DSN, recorded in the audit trail)')
    .action(async (id: string, o: { config: string; reason: string }) => {
      await withStore(config(o.config), async (store) => {
        const r = await rejectHeld({ store, actor: actor() }, id, o.reason);
        if (!r.ok) fail(`queue reject: ${r.error}`);
        out(`reject: ${id} done (the sender gets a DSN)`);
      });
    });

  const audit = program.command('audit').description('the tamper-evident audit trail');
  audit
    .command('verify')
    .description('check the hash chain; exit 1 on any edited, deleted or reordered record')
    .requiredOption('--config <FILE>', 'sealgate.yaml')
    .action(async (o: { config: string }) => {
      await withStore(config(o.config), async (store) => {
        const r = await store.audit.verify();
        if (r.ok) out(`audit trail OK: ${r.records} record(s), chain intact`);
        else {
          for (const p of r.problems) process.stderr.write(`sealgate: audit: ${p}\n`);
          fail(`audit trail DAMAGED: ${r.problems.length} problem(s) in ${r.records} record(s)`);
        }
      });
    });
}

function splitHostPort(v: string, opt: string): [string, number] {
  const m = /^(.+):(\d{1,5})$/.exec(v);
  if (!m) fail(`${opt}: expected host:port, got "${v}"`);
  return [m[1]!, Number(m[2])];
}
