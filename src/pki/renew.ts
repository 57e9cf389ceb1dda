// Renewal of our own certificates (issue 4, item 7): a proxy or RFC 3183 domain certificate is
// re-issued over the same domain key pair, with the same subject, key usage and notice, before it
// expires (`pki.renewBeforeDays`). The old certificate stays valid until its own expiry (partners
// may still encrypt to it; the domain key decrypts both). External recipients' certificates are not
// renewed here: their holders have the key, so a new one is issued by the directory on next need.
// Trust level: signs with the issuing CA key through DomainPki; audits metadata only.
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { sql, type Kysely } from 'kysely';
import { PkiError, type DomainPki } from './ca.js';
import type { CertKind, CertRecord } from './certstore.js';

/** Kinds renewed automatically and by `sealgate cert renew`. */
export const RENEWABLE_KINDS: readonly CertKind[] = ['proxy-encryption', 'proxy-signing', 'domain-confidentiality', 'domain-signing', 'domain-review'];
/** How often the gateway runs the renewal pass. */
export const RENEWAL_INTERVAL_MS = 24 * 3_600_000;
const DAY = 86_400_000;

const domainOf = (a: string) => a.slice(a.lastIndexOf('@') + 1);

/** Issues the successor of `old` (same kind, address, key, subject, key usage and notice). */
async function reissue(pki: DomainPki, old: CertRecord): Promise<CertRecord> {
  const cert = new x509.X509Certificate(old.der);
  const ku = cert.getExtension(x509.KeyUsagesExtension);
  const key = await pki.certs.getKey(old.keyId ?? '');
  if (!key) throw new PkiError(`the key of certificate ${old.serial} is not in the database`);
  const notice = old.kind.startsWith('proxy-') ? pki.config.policy.proxyNotice.replaceAll('{domain}', domainOf(old.address!)) : pki.config.policy.userNotice;
  return pki.issue({
    ca: old.ca as 'internal',
    kind: old.kind,
    address: old.address!,
    spki: key.spki,
    keyId: key.id,
    keyUsage: ku?.usages ?? 0,
    notice,
    subject: cert.subjectName.toJSON(),
  });
}

/**
 * Renews one of our certificates now, whatever its expiry. Refuses CA certificates, revoked ones,
 * external recipients' certificates and addresses outside our domains.
 */
export async function renewCertificate(pki: DomainPki, serial: string, actor = 'system'): Promise<CertRecord> {
  const old = await pki.certs.getCert(serial);
  if (!old) throw new PkiError(`no certificate with serial ${serial}`);
  if (old.kind === 'external') throw new PkiError(`${serial} is an external recipient's certificate; its holder has the key: issue a new one instead (sealgate cert issue ${old.address} --out-dir DIR)`);
  if (!RENEWABLE_KINDS.includes(old.kind)) throw new PkiError(`${serial} is a ${old.kind} certificate; CA certificates are not renewed (create a new PKI)`);
  if (old.revokedAt) throw new PkiError(`certificate ${serial} is revoked; issue a new one instead of renewing it`);
  if (!pki.domains.includes(domainOf(old.address!))) throw new PkiError(`${old.address} is no longer one of this gateway's domains`);
  const ca = await pki.ca('internal');
  if (ca.cert.notAfter.getTime() <= old.notAfter.getTime()) throw new PkiError(`the issuing CA expires ${ca.cert.notAfter.toISOString().slice(0, 10)}, before a renewed certificate could outlive ${serial}; renew the CA first`);
  const fresh = await reissue(pki, old);
  await pki.store.audit.append({ type: 'certificate-renewed', actor, data: { serial: old.serial, newSerial: fresh.serial, kind: old.kind, address: old.address } });
  return fresh;
}

export interface RenewalOutcome {
  old: CertRecord;
  renewed?: CertRecord;
  /** Why it was not renewed. */
  error?: string;
}

/**
 * The renewal pass: for every address and kind we issue for, the newest valid, unrevoked
 * certificate that expires within `pki.renewBeforeDays` of `now` is renewed. Expired ones are left
 * alone (they are issued again on next need). One failure does not stop the others.
 */
export async function renewExpiring(pki: DomainPki, now: Date = pki.clock.now(), actor = 'system'): Promise<RenewalOutcome[]> {
  const horizon = now.getTime() + pki.config.renewBeforeDays * DAY;
  const newest = new Map<string, CertRecord>();
  for (const r of await pki.certs.listCerts({ kinds: [...RENEWABLE_KINDS] })) {
    if (r.notBefore.getTime() > now.getTime() || r.notAfter.getTime() <= now.getTime()) continue;
    const k = `${r.kind}|${r.address}`;
    const seen = newest.get(k);
    if (!seen || r.notAfter.getTime() > seen.notAfter.getTime()) newest.set(k, r);
  }
  const out: RenewalOutcome[] = [];
  for (const old of newest.values()) {
    if (old.notAfter.getTime() > horizon) continue;
    try {
      out.push({ old, renewed: await renewCertificate(pki, old.serial, actor) });
    } catch (e) {
      out.push({ old, error: (e as Error).message });
    }
  }
  return out;
}

const LAST_RUN_KEY = 'pki.renewal.lastRun';
const stamp = (ms: number) => String(Math.max(0, Math.floor(ms))).padStart(15, '0');

/**
 * Claims the renewal pass for this process when no process of the cluster ran it in the last
 * `minGapMs`: one atomic UPDATE ... RETURNING on the settings row (zero-padded milliseconds compare
 * as text in SQLite and PostgreSQL alike), so nodes sharing a database do not renew twice.
 */
export async function claimRenewalPass(db: Kysely<any>, nowMs: number, minGapMs: number): Promise<boolean> {
  await db.insertInto('settings').values({ key: LAST_RUN_KEY, value: stamp(0) }).onConflict((oc) => oc.column('key').doNothing()).execute();
  const r = await sql`UPDATE settings SET value = ${stamp(nowMs)} WHERE key = ${LAST_RUN_KEY} AND value <= ${stamp(nowMs - minGapMs)} RETURNING value`.execute(db);
  return r.rows.length > 0;
}

export interface RenewalTimerOptions {
  /** Opens the PKI (lazily; a failure is logged and retried on the next run). */
  open: () => Promise<DomainPki>;
  logger: { info(o: object, msg: string): void; warn(o: object, msg: string): void };
  intervalMs?: number;
  /** Delay of the first run after start. */
  firstRunMs?: number;
  timers?: { setTimeout: typeof setTimeout; clearTimeout: typeof clearTimeout };
}

/**
 * Runs `renewExpiring` shortly after start and then every `intervalMs`; returns stop(). Runs never
 * overlap, and a run is skipped (null) when another process sharing the database ran the pass
 * within half an interval.
 */
export function startRenewalTimer(o: RenewalTimerOptions): { stop(): void; runNow(): Promise<RenewalOutcome[] | null> } {
  const timers = o.timers ?? { setTimeout, clearTimeout };
  const interval = o.intervalMs ?? RENEWAL_INTERVAL_MS;
  let handle: ReturnType<typeof setTimeout> | undefined;
  let stopped = false;
  let running: Promise<RenewalOutcome[] | null> | null = null;
  const runNow = (): Promise<RenewalOutcome[] | null> => {
    running ??= (async () => {
      try {
        const pki = await o.open();
        if (!(await claimRenewalPass(pki.store.db, pki.clock.now().getTime(), interval / 2))) return null;
        const results = await renewExpiring(pki);
        for (const r of results) {
          if (r.renewed) o.logger.info({ event: 'pki.renewed', kind: r.old.kind, serial: r.old.serial, newSerial: r.renewed.serial }, 'certificate renewed ahead of expiry');
          else o.logger.warn({ event: 'pki.renew-failed', kind: r.old.kind, serial: r.old.serial, err: r.error }, 'certificate renewal failed');
        }
        return results;
      } catch (e) {
        o.logger.warn({ event: 'pki.renew-failed', err: (e as Error).message }, 'renewal pass failed');
        return [];
      } finally {
        running = null;
      }
    })();
    return running;
  };
  const schedule = (ms: number) => {
    if (stopped) return;
    handle = timers.setTimeout(() => void runNow().finally(() => schedule(interval)), ms);
    (handle as { unref?: () => void }).unref?.();
  };
  schedule(o.firstRunMs ?? 60_000);
  return {
    stop() {
      stopped = true;
      if (handle) timers.clearTimeout(handle);
    },
    runNow,
  };
}
