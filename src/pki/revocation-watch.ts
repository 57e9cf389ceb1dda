// Revocation reaching running processes: `sealgate cert revoke` (another process, or another node
// of a cluster) writes pki_certs.revoked_at in the shared database; a gateway process notices by
// polling a cheap aggregate (count and newest revocation time) and drops what it cached (the
// certificate directory's lookups), so a revoked certificate is not used for the next message.
// Trust level: reads public revocation metadata only.
import type { Kysely } from 'kysely';
import type { CaName } from './certstore.js';

/** How often a gateway process checks for revocations made elsewhere. */
export const REVOCATION_POLL_MS = 5_000;

/** Count and newest time of the revocations (of one CA, or all): changes whenever anything is revoked. */
export async function revocationStamp(db: Kysely<any>, ca?: CaName): Promise<string> {
  let q = db
    .selectFrom('pki_certs')
    .select((eb) => [eb.fn.countAll().as('n'), eb.fn.max('revoked_at').as('last')])
    .where('revoked_at', 'is not', null);
  if (ca) q = q.where('ca', '=', ca);
  const r = await q.executeTakeFirst();
  return `${String(r?.n ?? 0)}:${String(r?.last ?? 0)}`;
}

export interface RevocationWatchOptions {
  db: Kysely<any>;
  /** Called after a revocation was seen (not for the state found at start). */
  onChange: () => void;
  intervalMs?: number;
  onError?: (err: Error) => void;
}

/** Polls `revocationStamp` every `intervalMs`; returns stop() and check() (one poll now). */
export function watchRevocations(o: RevocationWatchOptions): { stop(): void; check(): Promise<void> } {
  let last: string | undefined;
  let running: Promise<void> | null = null;
  const check = (): Promise<void> => {
    running ??= revocationStamp(o.db)
      .then((s) => {
        if (last !== undefined && s !== last) o.onChange();
        last = s;
      }, (e: Error) => o.onError?.(e))
      .finally(() => (running = null));
    return running;
  };
  void check();
  const handle = setInterval(() => void check(), o.intervalMs ?? REVOCATION_POLL_MS);
  handle.unref?.();
  return { stop: () => clearInterval(handle), check };
}
