// `sealgate ca ...` and `sealgate cert ...`: thin shell over src/pki. Opens the store and the KEK
// named in the config, runs one operation, prints the result. Trust level: runs as the operator
// with the KEK; prints certificates and, for `cert password` only, a PKCS#12 password (audited
// with the operator's name). Never prints private keys. `cert publish` (and `cert revoke`) bind to
// the LDAP directory of directory.publish with its password for the length of the command.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { X509Certificate } from 'node:crypto';
import { Command, Option } from 'commander';
import { ConfigError, loadConfig } from '../config/load.js';
import type { Config } from '../config/types.js';
import type { OpenedStore } from '../store/index.js';
import { fingerprint, normalizeAddress, PkiError, REVOCATION_REASONS, toPem, type DomainPki, type RevocationReason } from '../pki/ca.js';
import { CA_NAMES, CERT_KINDS, type CaName, type CertKind, type CertRecord } from '../pki/certstore.js';
import { defaultPkiConfig, type PkiConfig } from '../pki/config.js';
import { KekError, loadKek } from '../pki/keystore.js';
import { domainCertificate, issueForExternalRecipient, issueProxyCertificate, retrievePassword, type DomainCertKind } from '../pki/issue.js';
import { buildPkcs12Email } from '../pki/p12-email.js';
import { rotateKek } from '../pki/rotate.js';
import { publishCrls } from '../pki/crl-publish.js';
import { openConfiguredPki, setUpPki } from '../pki/setup.js';
import { importCertificates, progressBar, type ImportSource } from '../pki/import.js';
import { readCertificateFiles } from '../directory/directory.js';
import { DirectoryStore } from '../directory/store.js';
import { renewCertificate, renewExpiring, RENEWABLE_KINDS } from '../pki/renew.js';
import { certRecordLines, currentItems, publishableItems, publishToLdap, PublishError } from '../directory/publish.js';
import { type CommandIo, CliError, cliActor as actor, guarded, withStore } from './shared.js';
import { registerCertLookup } from './cert-lookup.js';
import { registerUserCertCommands } from './user-cert.js';

/** Where output goes; tests pass their own. */
export interface CertCliIo extends CommandIo {
  /** Binary output (`cert export --der`); default: standard output. */
  bytes?(data: Buffer): void;
}

const defaultIo: CertCliIo = {
  out: (t) => process.stdout.write(t),
  err: (t) => process.stderr.write(t),
  exit: (code) => {
    process.exitCode = code;
  },
  bytes: (d) => process.stdout.write(d),
};

/** Most addresses one `cert issue --from-file` run accepts. */
export const BULK_ISSUE_MAX = 100_000;



function loadCfg(file: string | undefined): { cfg: Config; pki: PkiConfig } {
  if (!file) throw new CliError('--config FILE is required', 2);
  let cfg: Config;
  try {
    cfg = loadConfig(file);
  } catch (e) {
    if (e instanceof ConfigError) throw new CliError(e.message, 2);
    throw e;
  }
  return { cfg, pki: cfg.pki ?? defaultPkiConfig(cfg.dir, cfg.hostname, cfg.domains) };
}


async function withPki<T>(file: string | undefined, fn: (pki: DomainPki, cfg: Config, store: OpenedStore) => Promise<T>): Promise<T> {
  const { cfg, pki: pkiCfg } = loadCfg(file);
  return withStore(cfg, async (store) => fn(await openConfiguredPki({ ...cfg, pki: pkiCfg }, store), cfg, store));
}

const day = (d: Date) => d.toISOString().slice(0, 10);

function summary(r: CertRecord): Record<string, unknown> {
  return {
    serial: r.serial,
    kind: r.kind,
    address: r.address,
    ca: r.ca,
    subject: r.subject,
    notBefore: r.notBefore.toISOString(),
    notAfter: r.notAfter.toISOString(),
    revoked: r.revokedAt ? r.revokedAt.toISOString() : null,
    sha256: fingerprint(r.der),
  };
}

/** Certificates for an address, or the one with this serial. */
async function find(pki: DomainPki, query: string, kinds?: CertKind[]): Promise<CertRecord[]> {
  if (query.includes('@')) return pki.certs.listCerts({ address: normalizeAddress(query), kinds });
  if (!/^[0-9a-fA-F]{2,40}$/.test(query)) throw new CliError(`${query}: expected an email address or a hexadecimal serial number`);
  const r = await pki.certs.getCert(query);
  return r ? [r] : [];
}

const isInternal = (pki: DomainPki, address: string) => pki.domains.includes(address.slice(address.lastIndexOf('@') + 1));

/** Writes current CRLs for `cas` to DATADIR/crl/NAME.crl (the web listener serves that folder). */
const publishCrlFiles = (pki: DomainPki, cfg: Config, cas: Iterable<CaName>) => publishCrls(pki, join(cfg.dataDir, 'crl'), cas);

export function registerCertCommands(program: Command, io: CertCliIo = defaultIo): void {
  const action = <A extends unknown[]>(name: string, fn: (...args: A) => Promise<void>) =>
    guarded(name, io, fn, [CliError, PkiError, KekError, PublishError], (e) => (e instanceof CliError ? e.exitCode : 1));
  const cfgOpt = () => new Option('--config <file>', 'sealgate.yaml');

  // ---- ca ----
  const ca = program.command('ca').description('The gateway certification authority (root, issuing CA, external recipients CA)');

  ca.command('create')
    .description('Create the PKI in the database (root and issuing CAs, domain keys and RFC 3183 certificates); creates the KEK file if missing')
    .addOption(cfgOpt())
    .addOption(new Option('--algorithm <alg>', 'CA and signing keys (default: pki.algorithm)').choices(['rsa-3072', 'p-256']))
    .action(action('ca create', async (o: { config?: string; algorithm?: 'rsa-3072' | 'p-256' }) => {
      const { cfg, pki: pkiCfg } = loadCfg(o.config);
      await withStore(cfg, async (store) => {
        const { pki, createdKek, kekId } = await setUpPki(cfg, pkiCfg, store, o.algorithm);
        if (!pki) throw new PkiError('a PKI already exists in this database; refusing to create another root');
        await store.audit.append({ type: 'pki-created', actor: actor(), data: { domains: cfg.domains, algorithm: pki.config.algorithm, kek: kekId } });
        if (createdKek) io.out(`created key-encryption key ${createdKek} (mode 0600; back it up apart from the database)\n`);
        for (const name of CA_NAMES) {
          const c = await pki.ca(name);
          io.out(`${name.padEnd(8)} ${c.record.subject}  SHA-256 ${fingerprint(c.record.der)}\n`);
        }
      });
    }));

  ca.command('show')
    .description('Show the CA certificates, or print one as PEM')
    .addOption(cfgOpt())
    .option('--pem', 'print the certificate as PEM (default: the root)')
    .addOption(new Option('--ca <name>', 'which CA').choices([...CA_NAMES]).default('root'))
    .action(action('ca show', async (o: { config?: string; pem?: boolean; ca: CaName }) => {
      const { cfg } = loadCfg(o.config);
      // Reading public certificates needs no KEK.
      await withStore(cfg, async (store) => {
        const { CertStore } = await import('../pki/certstore.js');
        const certs = CertStore.of(store.db);
        const kindOf = { root: 'root-ca', internal: 'issuing-ca', external: 'external-ca' } as const;
        const names = o.pem ? [o.ca] : CA_NAMES;
        for (const name of names) {
          const [r] = await certs.listCerts({ kinds: [kindOf[name]], limit: 1 });
          if (!r) throw new CliError('no PKI in this database; run `sealgate ca create --config FILE` first');
          if (o.pem) io.out(toPem(r.der));
          else io.out(`${name.padEnd(8)} ${r.subject}\n         serial ${r.serial}  valid ${day(r.notBefore)} to ${day(r.notAfter)}\n         SHA-256 ${fingerprint(r.der)}\n`);
        }
      });
    }));

  ca.command('crl')
    .description('Sign a fresh CRL and write it (DER)')
    .addOption(cfgOpt())
    .addOption(new Option('--ca <name>', 'issuing CA').choices([...CA_NAMES]).default('internal'))
    .option('--out <file>', 'output file (default: DATADIR/crl/NAME.crl)')
    .action(action('ca crl', async (o: { config?: string; ca: CaName; out?: string }) => {
      await withPki(o.config, async (pki, cfg) => {
        if (o.out) await writeFile(o.out, await pki.issueCrl(o.ca));
        const files = o.out ? [o.out] : await publishCrlFiles(pki, cfg, [o.ca]);
        io.out(`${files.join('\n')}\n`);
      });
    }));

  ca.command('rotate-kek')
    .description('Re-seal every stored key and password from the old KEK to the one pki.kek names now')
    .addOption(cfgOpt())
    .requiredOption('--old <spec>', 'the previous KEK: file:PATH or env:NAME')
    .action(action('ca rotate-kek', async (o: { config?: string; old: string }) => {
      const { cfg, pki: pkiCfg } = loadCfg(o.config);
      const oldKek = loadKek(o.old, cfg.dir);
      const newKek = loadKek(pkiCfg.kek, cfg.dir);
      await withStore(cfg, async (store) => {
        const n = await rotateKek({ store, oldKek, newKek });
        await store.audit.append({ type: 'kek-rotated', actor: actor(), data: { from: oldKek.id, to: newKek.id, ...n } });
        io.out(`re-sealed ${n.keys} keys and ${n.passwords} passwords from KEK ${oldKek.id} to ${newKek.id}\n`);
      });
    }));

  // ---- cert ----
  const cert = program.command('cert').description("Certificates: ours (list, show, issue, export, revoke, renew, publish, dns-records, PKCS#12 passwords) and partners' (import, lookup)");
  registerCertLookup(cert, io);
  registerUserCertCommands(cert, io);

  cert.command('list')
    .description('List certificates (newest first)')
    .addOption(cfgOpt())
    .option('--address <addr>', 'only this address')
    .addOption(new Option('--kind <kind>', 'only this kind').choices([...CERT_KINDS]))
    .option('--all', 'include revoked certificates')
    .option('--json', 'JSON output')
    .action(action('cert list', async (o: { config?: string; address?: string; kind?: CertKind; all?: boolean; json?: boolean }) => {
      await withPki(o.config, async (pki) => {
        const rows = await pki.certs.listCerts({ address: o.address ? normalizeAddress(o.address) : undefined, kinds: o.kind ? [o.kind] : undefined, includeRevoked: !!o.all });
        if (o.json) return io.out(JSON.stringify(rows.map(summary), null, 2) + '\n');
        for (const r of rows) io.out(`${r.serial}  ${r.kind.padEnd(22)} ${(r.address ?? r.subject).padEnd(40)} until ${day(r.notAfter)}${r.revokedAt ? '  REVOKED' : ''}\n`);
      });
    }));

  cert.command('show')
    .description('Show certificates of an address, or one by serial')
    .argument('<address-or-serial>')
    .addOption(cfgOpt())
    .option('--json', 'JSON output')
    .action(action('cert show', async (q: string, o: { config?: string; json?: boolean }) => {
      await withPki(o.config, async (pki) => {
        const rows = await find(pki, q);
        if (rows.length === 0) throw new CliError(`no certificate for ${q}`);
        if (o.json) return io.out(JSON.stringify(rows.map(summary), null, 2) + '\n');
        for (const r of rows) {
          const x = new X509Certificate(r.der);
          io.out(`serial:   ${r.serial}\nkind:     ${r.kind}\nsubject:  ${r.subject}\nissuer:   ${x.issuer.replace(/\n/g, ', ')}\nSAN:      ${x.subjectAltName ?? '-'}\nvalid:    ${r.notBefore.toISOString()} to ${r.notAfter.toISOString()}\nkey:      ${x.publicKey.asymmetricKeyType} ${x.publicKey.asymmetricKeyDetails?.modulusLength ?? x.publicKey.asymmetricKeyDetails?.namedCurve ?? ''}\nSHA-256:  ${fingerprint(r.der)}\nrevoked:  ${r.revokedAt ? `${r.revokedAt.toISOString()} (reason ${r.revocationReason})` : 'no'}\n\n`);
        }
      });
    }));

  cert.command('issue')
    .description('Issue certificates: proxy certificates for an internal address; a key pair, certificate and PKCS#12 for an external one')
    .argument('[address]')
    .addOption(cfgOpt())
    .addOption(new Option('--domain-cert <kind>', 'issue an RFC 3183 domain certificate instead').choices(['confidentiality', 'signing', 'review']))
    .option('--domain <domain>', 'domain for --domain-cert (default: the first configured)')
    .option('--out-dir <dir>', 'external address: where to write ADDRESS.p12, ADDRESS.mobileconfig and ADDRESS.eml')
    .addOption(new Option('--pkcs12 <profile>', 'external address: PKCS#12 encryption').choices(['modern', 'legacy']))
    .option('--requested-by <address>', 'external address: the sender named in the email as the one who has the password')
    .option('--from-file <file>', 'proxy certificates in bulk: internal addresses, one per line (# comments)')
    .option('--proxy', 'with --file: proxy certificates in bulk (same as --from-file)')
    .option('--file <file>', 'with --proxy: the list of internal addresses, one per line')
    .action(action('cert issue', async (address: string | undefined, o: { config?: string; domainCert?: DomainCertKind; domain?: string; outDir?: string; pkcs12?: 'modern' | 'legacy'; requestedBy?: string; fromFile?: string; proxy?: boolean; file?: string }) => {
      if (o.file && !o.proxy) throw new CliError('--file needs --proxy (bulk proxy certificates for internal addresses)', 2);
      if (o.proxy && !o.file && !address) throw new CliError('--proxy needs --file LIST or an internal address', 2);
      o.fromFile ??= o.file;
      await withPki(o.config, async (pki, cfg, store) => {
        if (o.domainCert) {
          const r = await domainCertificate(pki, o.domainCert, o.domain ?? cfg.domains[0]);
          return io.out(`${r.serial}  ${r.kind}  ${r.address}\n`);
        }
        if (o.fromFile) {
          let text: string;
          try {
            text = await readFile(o.fromFile, 'utf8');
          } catch (e) {
            throw new CliError(`${o.fromFile}: cannot read (${(e as NodeJS.ErrnoException).code ?? 'error'})`);
          }
          const lines = text.split(/\r?\n/).map((l) => l.replace(/#.*/, '').trim());
          if (lines.filter(Boolean).length > BULK_ISSUE_MAX) throw new CliError(`${o.fromFile}: more than ${BULK_ISSUE_MAX} addresses`);
          // Check every line first, so a typo on line 900 does not leave 899 issued and the rest not.
          const addrs: string[] = [];
          lines.forEach((l, i) => {
            if (!l) return;
            let a: string;
            try {
              a = normalizeAddress(l);
            } catch {
              throw new CliError(`${o.fromFile}:${i + 1}: not a plain email address`);
            }
            if (!isInternal(pki, a)) throw new CliError(`${o.fromFile}:${i + 1}: ${a} is not in this gateway's domains`);
            addrs.push(a);
          });
          let n = 0;
          for (const a of new Set(addrs)) {
            const p = await issueProxyCertificate(pki, a);
            io.out(`${p.encryption.serial}  proxy-encryption  ${a}\n`);
            n++;
          }
          await store.audit.append({ type: 'certificates-issued-bulk', actor: actor(), data: { file: o.fromFile, addresses: n } });
          return io.out(`${n} addresses have proxy certificates\n`);
        }
        if (!address) throw new CliError('an address (or --domain-cert) is required');
        const a = normalizeAddress(address);
        if (o.proxy && !isInternal(pki, a)) throw new CliError(`${a} is not in this gateway's domains; proxy certificates are only for internal addresses`);
        if (isInternal(pki, a)) {
          const p = await issueProxyCertificate(pki, a);
          await store.audit.append({ type: 'certificate-issued', actor: actor(), data: { address: a, kind: 'proxy', serials: [p.encryption.serial, p.signing.serial] } });
          return io.out(`${p.encryption.serial}  proxy-encryption  ${a}\n${p.signing.serial}  proxy-signing     ${a}\n`);
        }
        if (!o.outDir) throw new CliError(`${a} is external: --out-dir DIR is required for its PKCS#12 files`);
        const e = await issueForExternalRecipient(pki, a, { actor: actor(), profile: o.pkcs12 });
        await mkdir(o.outDir, { recursive: true, mode: 0o700 });
        const base = join(o.outDir, a);
        await writeFile(`${base}.p12`, e.pkcs12, { mode: 0o600 });
        await writeFile(`${base}.mobileconfig`, e.mobileconfig, { mode: 0o600 });
        const mail = buildPkcs12Email({
          from: `postmaster@${cfg.domains[0]}`, to: a, organization: pki.config.organization, requestedBy: o.requestedBy,
          pkcs12: e.pkcs12, mobileconfig: e.mobileconfig, notAfter: e.record.notAfter, hostname: cfg.hostname,
        });
        await writeFile(`${base}.eml`, mail, { mode: 0o600 });
        io.out(`${e.record.serial}  external  ${a}  (PKCS#12 ${e.profile}, private key ${e.keyPolicy === 'destroy' ? 'destroyed' : 'escrowed'})\n${base}.p12\n${base}.mobileconfig\n${base}.eml\npassword: retrieve with \`sealgate cert password ${a}\` and give it to the recipient by another channel\n`);
      });
    }));

  cert.command('export')
    .description('Print a certificate as PEM: for an internal address, its proxy (encryption) certificate')
    .argument('<address-or-serial>')
    .addOption(cfgOpt())
    .option('--signing', 'internal address: the proxy signing certificate instead')
    .option('--chain', 'append the issuing CA and root certificates')
    .option('--der', 'DER instead of PEM (to standard output or --out)')
    .option('--out <file>', 'write to a file instead of standard output')
    .action(action('cert export', async (q: string, o: { config?: string; signing?: boolean; chain?: boolean; der?: boolean; out?: string }) => {
      await withPki(o.config, async (pki) => {
        let r: CertRecord | undefined;
        if (q.includes('@') && isInternal(pki, normalizeAddress(q))) {
          const a = normalizeAddress(q);
          const rfc3183 = await pki.certs.listCerts({ address: a, kinds: ['domain-confidentiality', 'domain-signing', 'domain-review'], limit: 1 });
          if (rfc3183[0]) r = rfc3183[0];
          else {
            const p = await issueProxyCertificate(pki, a);
            r = o.signing ? p.signing : p.encryption;
          }
        } else {
          const rows = await find(pki, q, q.includes('@') ? ['external'] : undefined);
          r = rows[0];
        }
        if (!r) throw new CliError(`no certificate for ${q}`);
        if (o.der) return o.out ? writeFile(o.out, r.der) : void (io.bytes ?? defaultIo.bytes!)(r.der);
        let pem = toPem(r.der);
        if (o.chain) for (const c of await pki.chain(r.ca)) pem += toPem(c);
        if (o.out) await writeFile(o.out, pem);
        else io.out(pem);
      });
    }));

  cert.command('revoke')
    .description('Revoke a certificate (by serial) or every current certificate of an address, and publish new CRLs')
    .argument('<address-or-serial>')
    .addOption(cfgOpt())
    .addOption(new Option('--reason <reason>', 'RFC 5280 reason').choices(Object.keys(REVOCATION_REASONS)).default('unspecified'))
    .action(action('cert revoke', async (q: string, o: { config?: string; reason: RevocationReason }) => {
      await withPki(o.config, async (pki, cfg, store) => {
        const rows = (await find(pki, q)).filter((r) => !r.revokedAt && !r.kind.endsWith('-ca'));
        if (rows.length === 0) throw new CliError(`no unrevoked certificate for ${q}`);
        const cas = new Set<CaName>();
        for (const r of rows) {
          await pki.revoke(r.serial, o.reason);
          cas.add(r.ca);
          await store.audit.append({ type: 'certificate-revoked', actor: actor(), data: { serial: r.serial, address: r.address, reason: o.reason } });
          io.out(`revoked ${r.serial}  ${r.kind}  ${r.address ?? ''}\n`);
        }
        for (const f of await publishCrlFiles(pki, cfg, cas)) io.out(`CRL written: ${f}\n`);
        // Partners stop finding it at once too: withdraw or replace the published entries.
        const ours = [...new Set(rows.filter((r) => r.address && isInternal(pki, r.address)).map((r) => r.address!))];
        const target = cfg.directory?.publish;
        if (!target || ours.length === 0) return;
        try {
          for (const r of await publishToLdap(target, await currentItems(pki, ours))) {
            if (r.action === 'failed') throw new PublishError(`${r.dn}: ${r.error}`);
            io.out(`${r.action.padEnd(9)} ${r.dn}\n`);
          }
        } catch (e) {
          throw new CliError(`revoked, but the published directory (${target.url}) was not updated: ${(e as Error).message}; run \`sealgate cert publish\``);
        }
      });
    }));

  cert.command('publish')
    .description('Publish our proxy certificates and RFC 3183 domain certificates into the LDAP directory named by directory.publish')
    .addOption(cfgOpt())
    .option('--address <addr...>', 'only these internal addresses (proxy certificates are issued if needed)')
    .action(action('cert publish', async (o: { config?: string; address?: string[] }) => {
      await withPki(o.config, async (pki, cfg, store) => {
        const target = cfg.directory?.publish;
        if (!target) throw new CliError(`${o.config}: directory.publish is not set (url, bindDn, password, baseDn)`, 2);
        const outcomes = await publishToLdap(target, await publishableItems(pki, o.address));
        let failed = 0;
        for (const r of outcomes) {
          if (r.action === 'failed') failed++;
          io.out(`${r.action.padEnd(9)} ${r.dn}${r.serials.length ? `  ${r.serials.join(' ')}` : ''}${r.error ? `  (${r.error})` : ''}\n`);
        }
        await store.audit.append({ type: 'certificates-published', actor: actor(), data: { url: target.url, entries: outcomes.length, failed } });
        if (failed) throw new CliError(`${failed} of ${outcomes.length} entries could not be published to ${target.url}`);
      });
    }));

  cert.command('dns-records')
    .description('Print RFC 4398 CERT records (zone-file lines) for our addresses and domains')
    .addOption(cfgOpt())
    .option('--address <addr...>', 'only these internal addresses (proxy certificates are issued if needed)')
    .option('--ttl <seconds>', 'record TTL', '3600')
    .action(action('cert dns-records', async (o: { config?: string; address?: string[]; ttl: string }) => {
      const ttl = Number(o.ttl);
      if (!Number.isInteger(ttl) || ttl < 0 || ttl > 2 ** 31 - 1) throw new CliError(`--ttl: expected seconds, got ${JSON.stringify(o.ttl)}`, 2);
      await withPki(o.config, async (pki) => {
        for (const l of certRecordLines(await publishableItems(pki, o.address), ttl)) io.out(`${l}\n`);
      });
    }));

  cert.command('renew')
    .description('Renew our own certificates now: one by serial, the current proxy or RFC 3183 certificates of an address, or (--expiring) every one within pki.renewBeforeDays of expiry')
    .argument('[address-or-serial]')
    .addOption(cfgOpt())
    .option('--expiring', 'run the renewal pass the gateway runs daily')
    .action(action('cert renew', async (q: string | undefined, o: { config?: string; expiring?: boolean }) => {
      if (!q && !o.expiring) throw new CliError('a serial, an address, or --expiring is required', 2);
      await withPki(o.config, async (pki) => {
        if (o.expiring) {
          const results = await renewExpiring(pki, pki.clock.now(), actor());
          for (const r of results) io.out(r.renewed ? `renewed ${r.old.serial} -> ${r.renewed.serial}  ${r.old.kind}  ${r.old.address}  until ${day(r.renewed.notAfter)}\n` : `failed  ${r.old.serial}  ${r.old.kind}  ${r.old.address}: ${r.error}\n`);
          io.out(`${results.filter((r) => r.renewed).length} renewed (pki.renewBeforeDays ${pki.config.renewBeforeDays})\n`);
          if (results.some((r) => r.error)) throw new CliError('some certificates could not be renewed');
          return;
        }
        const rows = q!.includes('@') ? (await find(pki, q!, [...RENEWABLE_KINDS])).filter((r) => r.notAfter > pki.clock.now()) : await find(pki, q!);
        // For an address: the newest certificate of each kind.
        const targets = rows.filter((r, i) => rows.findIndex((x) => x.kind === r.kind) === i);
        if (targets.length === 0) throw new CliError(`no current certificate of ours for ${q}`);
        for (const r of targets) {
          const fresh = await renewCertificate(pki, r.serial, actor());
          io.out(`renewed ${r.serial} -> ${fresh.serial}  ${fresh.kind}  ${fresh.address}  until ${day(fresh.notAfter)}\n`);
        }
      });
    }));

  cert.command('import')
    .description("Import external partners' certificates (PEM, DER, PKCS#7 .p7b/.p7c) into the directory's local store; each is validated for every address it names")
    .argument('<file...>')
    .addOption(cfgOpt())
    .action(action('cert import', async (files: string[], o: { config?: string }) => {
      const { cfg } = loadCfg(o.config);
      const sources: ImportSource[] = [];
      for (const f of files) {
        try {
          sources.push({ name: f, data: await readFile(f) });
        } catch (e) {
          throw new CliError(`${f}: cannot read (${(e as NodeJS.ErrnoException).code ?? 'error'})`);
        }
      }
      let anchors: Buffer[];
      try {
        anchors = readCertificateFiles([...(cfg.directory?.harvested.trustAnchors ?? []), ...(cfg.inbound?.trustAnchors ?? [])]);
      } catch (e) {
        throw new CliError(`directory.harvested.trustAnchors / inbound.trustAnchors: ${(e as Error).message}`, 2);
      }
      await withStore(cfg, async (store) => {
        const { CertStore } = await import('../pki/certstore.js');
        const roots = (await CertStore.of(store.db).listCerts({ kinds: ['root-ca'] })).map((r) => r.der);
        const r = await importCertificates(sources, {
          table: new DirectoryStore(store.db), trustAnchors: [...anchors, ...roots], ourDomains: cfg.domains, now: new Date(), onProgress: progressBar(io.err),
        });
        for (const x of r.rejected) io.out(`rejected ${x.file}${x.index ? `#${x.index}` : ''} ${x.subject}${x.fingerprint !== '-' ? ` (SHA-256 ${x.fingerprint.slice(0, 23)}…)` : ''}: ${x.reason}\n`);
        const addresses = new Set(r.imported.map((x) => x.address)).size;
        io.out(`imported ${r.imported.length} certificates for ${addresses} addresses; ${r.rejected.length} rejected; ${r.chainCertificates} CA certificates used as chain\n`);
        await store.audit.append({ type: 'certificates-imported', actor: actor(), data: { files: files.length, imported: r.imported.length, rejected: r.rejected.length } });
        if (r.imported.length === 0 && r.rejected.length > 0) throw new CliError('nothing was imported');
      });
    }));

  cert.command('password')
    .description("Print the PKCS#12 password issued for an external address (audited with the operator's name)")
    .argument('<address-or-serial>')
    .addOption(cfgOpt())
    .action(action('cert password', async (q: string, o: { config?: string }) => {
      await withPki(o.config, async (pki) => {
        const r = await retrievePassword(pki, q, actor());
        io.out(`${r.password}\n`);
      });
    }));
}
