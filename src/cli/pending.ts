// `sealgate pending list|remove`: the pending-certificate requests (src/directory/pending.ts) with
// their status (requested, reminded, received, expired), dates and how many messages wait for each;
// `remove` forgets one (audited) so the next message to that address starts a new request.
// Thin shell: open the store, read, print. Trust level: runs as the operator; prints addresses and
// queue ids only (no message content).
import type { Command } from 'commander';
import { ConfigError, loadConfig } from '../config/load.js';
import { listPendingRequests, removePendingRequest, type PendingRecord, type PendingStatus } from '../directory/pending.js';
import { cliActor, withStore } from './shared.js';

const STATUSES: PendingStatus[] = ['requested', 'reminded', 'received', 'expired'];
const day = (d: Date | null) => (d ? d.toISOString().replace('T', ' ').slice(0, 16) : '-');

function view(r: PendingRecord) {
  return {
    address: r.address,
    status: r.status,
    requestedAt: r.requestedAt.toISOString(),
    remindedAt: r.remindedAt?.toISOString() ?? null,
    expiresAt: r.expiresAt.toISOString(),
    requestedBy: r.requestedBy,
    messages: r.messageIds,
  };
}

export function registerPendingCommands(program: Command): void {
  const pending = program.command('pending').description('pending-certificate requests (directory.missingCertificate: pending)');
  pending
    .command('list')
    .description('list requests: address, status, requested / reminded / expiry dates, messages held')
    .requiredOption('--config <FILE>', 'sealgate.yaml')
    .option('--status <STATUS>', `only this status (${STATUSES.join(', ')})`)
    .option('--json', 'JSON output')
    .action(async (o: { config: string; status?: string; json?: boolean }) => {
      try {
        if (o.status && !STATUSES.includes(o.status as PendingStatus)) {
          process.stderr.write(`sealgate: pending list: --status: expected one of ${STATUSES.join(', ')}, got "${o.status}"\n`);
          process.exit(2);
        }
        const rows = await withStore(loadConfig(o.config), (store) => listPendingRequests(store.db, o.status ? { status: [o.status as PendingStatus] } : {}));
        if (o.json) return void process.stdout.write(JSON.stringify(rows.map(view), null, 2) + '\n');
        if (rows.length === 0) return void process.stdout.write('no pending certificate requests\n');
        process.stdout.write(`${'ADDRESS'.padEnd(36)} ${'STATUS'.padEnd(9)} ${'REQUESTED'.padEnd(16)} ${'REMINDED'.padEnd(16)} ${'EXPIRES'.padEnd(16)} HELD  REQUESTED BY\n`);
        for (const r of rows) {
          process.stdout.write(`${r.address.padEnd(36)} ${r.status.padEnd(9)} ${day(r.requestedAt)} ${day(r.remindedAt).padEnd(16)} ${day(r.expiresAt)} ${String(r.messageIds.length).padStart(4)}  ${r.requestedBy || '-'}\n`);
        }
      } catch (err) {
        process.stderr.write(`sealgate: pending list: ${(err as Error).message}\n`);
        process.exit(err instanceof ConfigError ? 2 : 1);
      }
    });

  pending
    .command('remove')
    .description('forget the request for an address (e.g. expired): the next message to it sends a new request; audited')
    .argument('<ADDRESS>')
    .requiredOption('--config <FILE>', 'sealgate.yaml')
    .action(async (address: string, o: { config: string }) => {
      try {
        const removed = await withStore(loadConfig(o.config), (store) => removePendingRequest(store, address, cliActor()));
        if (!removed) {
          process.stderr.write(`sealgate: pending remove: no pending certificate request for ${address}\n`);
          process.exit(1);
        }
        process.stdout.write(`removed the pending certificate request for ${address.trim().toLowerCase()}\n`);
      } catch (err) {
        process.stderr.write(`sealgate: pending remove: ${(err as Error).message}\n`);
        process.exit(err instanceof ConfigError ? 2 : 1);
      }
    });
}
