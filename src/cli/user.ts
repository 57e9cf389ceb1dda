// `sealgate user add|reset|disable|list`: console accounts from the command line (src/web/users.ts).
// Generated passwords and TOTP secrets are printed once and never stored in the clear.
// Trust level: runs as the operator; every change is audited with actor cli:<user>.
import type { Command } from 'commander';
import { cliActor as actor, withStore } from './shared.js';
import { loadConfig } from '../config/load.js';
import type { Config } from '../config/types.js';
import { loadKek } from '../pki/keystore.js';
import type { OpenedStore } from '../store/index.js';
import { UserStore, parseRole } from '../web/users.js';
import { otpauthUri } from '../web/totp.js';

export function userStoreFor(cfg: Config, store: OpenedStore): UserStore {
  return new UserStore(store.db, store.audit, loadKek(cfg.pki!.kek, cfg.dir));
}

/** The lines shown once after a user is created or reset. */
export function credentialLines(cfg: Config, username: string, c: { password: string; totpSecret?: string }): string[] {
  const lines = [`password for ${username}: ${c.password}`];
  if (c.totpSecret) lines.push(`TOTP secret for ${username}: ${c.totpSecret}`, `TOTP enrolment URI: ${otpauthUri(`Sealgate ${cfg.hostname}`, username, c.totpSecret)}`);
  lines.push('(shown once; store it safely)');
  return lines;
}

async function withUsers<T>(file: string, fn: (users: UserStore, cfg: Config) => Promise<T>): Promise<T> {
  const cfg = loadConfig(file);
  return withStore(cfg, (store) => fn(userStoreFor(cfg, store), cfg));
}

const print = (lines: string[]) => process.stdout.write(lines.join('\n') + '\n');

export function registerUserCommands(program: Command): void {
  const user = program.command('user').description('web console accounts (roles: admin, privacy-officer, auditor)');
  user
    .command('add')
    .description('create a user; prints a generated password (and a TOTP secret for admins) once')
    .argument('<NAME>')
    .requiredOption('--config <FILE>', 'sealgate.yaml')
    .requiredOption('--role <ROLE>', 'admin | privacy-officer | auditor')
    .option('--totp', 'require a TOTP code for this user too (always on for admins)')
    .action(async (name: string, o: { config: string; role: string; totp?: boolean }) => {
      await withUsers(o.config, async (users, cfg) => print(credentialLines(cfg, name.toLowerCase(), await users.add(name, parseRole(o.role), actor(), { totp: o.totp === true }))));
    });
  user
    .command('reset')
    .description('new password (and TOTP secret for admins), clears lockout, re-enables, ends sessions')
    .argument('<NAME>')
    .requiredOption('--config <FILE>', 'sealgate.yaml')
    .option('--totp', 'issue a new TOTP secret for a non-admin user too')
    .action(async (name: string, o: { config: string; totp?: boolean }) => {
      await withUsers(o.config, async (users, cfg) => print(credentialLines(cfg, name.toLowerCase(), await users.reset(name, actor(), { totp: o.totp === true }))));
    });
  user
    .command('disable')
    .description('disable a user and end their sessions')
    .argument('<NAME>')
    .requiredOption('--config <FILE>', 'sealgate.yaml')
    .action(async (name: string, o: { config: string }) => {
      await withUsers(o.config, async (users) => {
        await users.disable(name, actor());
        print([`disabled ${name.toLowerCase()}`]);
      });
    });
  user
    .command('list')
    .description('list users')
    .requiredOption('--config <FILE>', 'sealgate.yaml')
    .action(async (o: { config: string }) => {
      await withUsers(o.config, async (users) =>
        print((await users.list()).map((u) => `${u.username}  ${u.role}${u.hasTotp ? '  totp' : ''}${u.disabled ? '  disabled' : ''}${u.lockedUntil ? `  locked until ${u.lockedUntil.toISOString()}` : ''}`)),
      );
    });
}
