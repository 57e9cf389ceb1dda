// Publishes the CAs' CRLs as files (DATADIR/crl/NAME.crl, DER) for the web listener to serve:
// once on demand (after every revocation) and on a schedule, well before the previous CRL's
// nextUpdate. Thin I/O shell over DomainPki.issueCrl; timers are injected. Trust level: opens the
// CA keys through DomainPki to sign; writes only public data, atomically (temp file + rename) so
// a reader never sees half a CRL.
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CRL_VALIDITY_DAYS, type DomainPki } from './ca.js';
import { CA_NAMES, type CaName } from './certstore.js';

/** How often the schedule re-signs every CRL (well inside CRL_VALIDITY_DAYS). */
export const CRL_REPUBLISH_MS = 24 * 3_600_000;
if (CRL_REPUBLISH_MS >= CRL_VALIDITY_DAYS * 86_400_000) throw new Error('CRLs would expire before they are re-signed');

/** Signs and writes fresh CRLs for `cas` (default: all three); returns the files written. */
export async function publishCrls(pki: DomainPki, dir: string, cas: Iterable<CaName> = CA_NAMES): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const out: string[] = [];
  for (const ca of cas) {
    const f = join(dir, `${ca}.crl`);
    const tmp = `${f}.tmp-${process.pid}-${Date.now()}`;
    await writeFile(tmp, await pki.issueCrl(ca));
    await rename(tmp, f);
    out.push(f);
  }
  return out;
}

export interface CrlPublisherOptions {
  pki: DomainPki;
  dir: string;
  intervalMs?: number;
  /** Called when a run fails (the previous files stay in place until they are replaced). */
  onError?: (err: Error) => void;
  timers?: { setInterval: typeof setInterval; clearInterval: typeof clearInterval };
}

/** Publishes at once, then every `intervalMs`. Runs never overlap. */
export function startCrlPublisher(o: CrlPublisherOptions): { stop(): void; runNow(): Promise<void> } {
  const timers = o.timers ?? { setInterval, clearInterval };
  let running: Promise<void> | null = null;
  const runNow = (): Promise<void> => {
    running ??= publishCrls(o.pki, o.dir)
      .then(() => undefined, (e: Error) => o.onError?.(e))
      .finally(() => (running = null));
    return running;
  };
  void runNow();
  const handle = timers.setInterval(() => void runNow(), o.intervalMs ?? CRL_REPUBLISH_MS);
  (handle as { unref?: () => void }).unref?.();
  return { stop: () => timers.clearInterval(handle), runNow };
}
