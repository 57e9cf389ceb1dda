// `sealgate cert lookup ADDRESS --config F [--json] [--issue]`: walks the certificate directory's
// discovery chain for one address (always fresh, never from the cache) and shows what was found,
// from which source, every rejected candidate with its reason and every source error. With
// --issue, an address with no certificate anywhere (and no source error) gets one auto-issued.
// Thin shell over src/directory. Trust level: operator; prints public certificates only.
// Exit status: 0 found (or issued), 1 not found, 2 configuration or usage error.
import type { Command } from 'commander';
import type { Config } from '../config/types.js';
import { fingerprint, normalizeAddress } from '../pki/ca.js';
import { parseCert } from '../pki/cert-util.js';
import { defaultPkiConfig } from '../pki/config.js';
import { createLocalSubmitter } from '../queue/submit.js';
import { silentLogger } from '../log/logger.js';
import { DirectoryFileError, directoryFromConfig, type Directory, type Issuer } from '../directory/directory.js';
import { createIssuer, resendCertificate, type IssuerOptions } from '../directory/issue-push.js';
import type { LookupResult, RecipientCertificate } from '../directory/types.js';
import type { OpenedStore } from '../store/index.js';
import { type CommandIo, UsageError, cliActor, guarded, requiredConfig, withStore } from './shared.js';
import { openConfiguredPki } from '../pki/setup.js';

const certJson = (c: RecipientCertificate) => ({
  ...c,
  der: c.der.toString('base64'),
  chain: c.chain.map((d) => d.toString('base64')),
  notAfter: c.notAfter.toISOString(),
  subject: subjectOf(c.der),
});

/** The LookupResult as JSON (DER as base64). */
export function lookupJson(r: LookupResult): Record<string, unknown> {
  return { ...r, certificate: r.certificate ? certJson(r.certificate) : null };
}

function subjectOf(der: Buffer): string {
  try {
    return parseCert(der).subjectText;
  } catch {
    return '(unparsable)';
  }
}

/** Human-readable report of a lookup. */
export function lookupText(r: LookupResult): string {
  const lines: string[] = [];
  const c = r.certificate;
  if (c) {
    lines.push(`${r.address}: found via ${c.source} (${c.origin})${r.cached ? ' [cached]' : ''}`);
    lines.push(`  subject  ${subjectOf(c.der)}`, `  sha256   ${c.fingerprint}`, `  expires  ${c.notAfter.toISOString()}`);
    if (c.issued) lines.push(`  issued   serial ${c.issued.serial} (PKCS#12 queued as ${c.issued.pkcs12MessageId ?? '-'}, notice ${c.issued.noticeMessageId ?? '-'})`);
  } else {
    lines.push(`${r.address}: no usable certificate${r.errors.length ? ' (some sources failed: the answer is unknown, not "none")' : ''}`);
  }
  if (r.trail.length) {
    lines.push('sources consulted:');
    for (const t of r.trail) lines.push(`  ${t.source.padEnd(9)} ${t.outcome.padEnd(8)} ${String(t.ms).padStart(5)} ms  ${t.origin}`);
  }
  if (r.rejected.length) {
    lines.push('rejected:');
    for (const x of r.rejected) lines.push(`  ${x.source.padEnd(9)} ${x.origin}  ${x.subject}  ${x.fingerprint.slice(0, 23)}…: ${x.reason}`);
  }
  if (r.errors.length) {
    lines.push('errors:');
    for (const e of r.errors) lines.push(`  ${e.source.padEnd(9)} ${e.origin}: ${e.error}`);
  }
  return lines.join('\n') + '\n';
}

async function issuerOptions(cfg: Config, store: OpenedStore): Promise<IssuerOptions> {
  const pkiCfg = cfg.pki ?? defaultPkiConfig(cfg.dir, cfg.hostname, cfg.domains);
  const pki = await openConfiguredPki({ ...cfg, pki: pkiCfg }, store);
  const clock = { now: () => new Date() };
  const submitter = createLocalSubmitter({ store, hostname: cfg.hostname, limits: cfg.limits, clock, audit: store.audit });
  return { pki, submitter, config: cfg, clock, audit: store.audit, hostname: cfg.hostname };
}

async function issuerFor(cfg: Config, store: OpenedStore): Promise<Issuer> {
  return createIssuer(await issuerOptions(cfg, store));
}

/** The address argument, normalised, or a usage error naming it. */
function cliAddress(address: string): string {
  try {
    return normalizeAddress(address);
  } catch (e) {
    throw new UsageError(`${address}: ${(e as Error).message}`);
  }
}

/**
 * `cert resend`: the recipient lost the PKCS#12 email. The certificate on file is packaged again
 * (same key, same password, which still travels only by the separate channel) and queued with a
 * notice to the internal sender; without a valid certificate and escrowed key, a new one is issued.
 */
async function resend(address: string, o: { config?: string; requestedBy?: string }, io: CommandIo): Promise<void> {
  const cfg = requiredConfig(o.config);
  const addr = cliAddress(address);
  await withStore(cfg, async (store) => {
    const r = await resendCertificate(await issuerOptions(cfg, store), addr, { requestedBy: o.requestedBy ?? `postmaster@${cfg.domains[0]}` });
    await store.audit.append({ type: 'certificate-resend-requested', actor: cliActor(), data: { address: addr, serial: r.issued?.serial ?? null, reissued: r.reissued } });
    const what = r.reissued ? 'no valid certificate with its private key on file (pki.externalKeys is destroy, or it expired): issued a new one' : 'packaged the certificate on file again';
    io.out(`${addr}: ${what} (serial ${r.issued?.serial ?? '-'}, expires ${r.notAfter.toISOString()}); PKCS#12 email queued as ${r.issued?.pkcs12MessageId ?? '-'}, notice to the sender ${r.issued?.noticeMessageId ?? '-'}\n`);
  });
}

async function run(address: string, o: { config?: string; json?: boolean; issue?: boolean; requestedBy?: string }, io: CommandIo): Promise<void> {
  const cfg = requiredConfig(o.config);
  const addr = cliAddress(address);
  await withStore(cfg, async (store) => {
    const issuer = o.issue ? await issuerFor(cfg, store) : undefined;
    let dir: Directory;
    try {
      dir = directoryFromConfig(cfg, { store, logger: silentLogger(), ...(issuer ? { issuer } : {}) });
    } catch (e) {
      if (e instanceof DirectoryFileError) throw new UsageError(`${o.config}: directory: ${e.message}`);
      throw e;
    }
    const r = await dir.lookup(addr, { fresh: true });
    if (!r.certificate && o.issue) {
      if (r.errors.length) io.err(`sealgate cert lookup: not issuing for ${addr}: ${r.errors.length} source(s) failed, one might have a certificate\n`);
      else {
        r.certificate = await dir.issue(addr, { requestedBy: o.requestedBy ?? `postmaster@${cfg.domains[0]}` });
        await store.audit.append({ type: 'certificate-issued-on-lookup', actor: cliActor(), data: { address: addr, fingerprint: fingerprint(r.certificate.der) } });
      }
    }
    io.out(o.json ? `${JSON.stringify(lookupJson(r), null, 2)}\n` : lookupText(r));
    if (!r.certificate) io.exit(1);
  });
}

/** Adds `lookup` and `resend` to the `sealgate cert` command group. */
export function registerCertLookup(cert: Command, io: CommandIo): void {
  cert.command('resend')
    .description("Send an external recipient's PKCS#12 file again (the certificate on file, or a new one when none is valid), with a notice to the sender; the password is not sent")
    .argument('<address>')
    .option('--config <file>', 'sealgate.yaml')
    .option('--requested-by <address>', 'internal sender told about it (default postmaster@first domain)')
    .action(guarded('cert resend', io, (address: string, o: { config?: string; requestedBy?: string }) => resend(address, o, io)));

  cert.command('lookup')
    .description("Find a recipient's encryption certificate through the directory's discovery chain; show rejected candidates and source errors")
    .argument('<address>')
    .option('--config <file>', 'sealgate.yaml')
    .option('--json', 'print the lookup result as JSON (DER as base64)')
    .option('--issue', 'auto-issue a certificate when none exists anywhere (queues the PKCS#12 email)')
    .option('--requested-by <address>', 'internal sender told about an auto-issued certificate (default postmaster@first domain)')
    .action(guarded('cert lookup', io, (address: string, o: { config?: string; json?: boolean; issue?: boolean; requestedBy?: string }) => run(address, o, io)));
}
