// Assembles one gateway process from its configuration: storage, the queue manager, the two SMTP
// listeners, the delivery agents and the pipeline. Owns process lifecycle (start, graceful stop).
// Trust level: holds everything; each part it wires keeps its own narrower trust boundary.
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { BlockList, isIPv6 } from 'node:net';
import type { Config } from '../config/types.js';
import { parseCidr } from '../config/load.js';
import type { Logger } from '../log/logger.js';
import { openStore } from '../store/index.js';
import { createAcceptor } from '../queue/ingest.js';
import { createQueueManager } from '../queue/manager.js';
import { createSmtpListener } from '../smtp/server.js';
import { createDeliveryAgent } from '../delivery/agent.js';
import { createBounceBuilder } from '../delivery/dsn.js';
import { createPipeline } from '../pipeline/run.js';
import type { Stage } from '../pipeline/stage.js';
import type { Store } from '../store/types.js';
import { createClamdClient } from '../antivirus/clamd.js';
import { createAntivirusStage, type AntivirusStage } from '../antivirus/stage.js';
import { createInboundStage, type InboundWiring } from '../inbound/from-config.js';
import { createOpenPgp } from '../openpgp/from-config.js';
import { createPortalMethod, portalStoreFor, startWeb, type WebServer } from '../web/index.js';
import { createLocalSubmitter } from '../queue/submit.js';
import { createOutboundStages } from '../outbound/from-config.js';
import { smimeInspectFromConfig } from '../outbound/smime-inspect-stage.js';
import { startRenewalTimer } from '../pki/renew.js';
import { watchRevocations } from '../pki/revocation-watch.js';
import { listenForSignedReplies, startPendingTimer } from '../directory/pending.js';
import { openConfiguredPki } from '../pki/setup.js';

export interface GatewayOptions {
  logger: Logger;
  now?: () => Date;
  /** Extra pipeline stages (later issues: antivirus, policy, crypto). */
  stages?: Stage[];
}

export interface RunningGateway {
  inbound: { host: string; port: number };
  outbound: { host: string; port: number };
  store: Store;
  /** Malware scanner state for the console (present when `antivirus` is configured). */
  antivirus?: Pick<AntivirusStage, 'health' | 'checkHealth'>;
  /** The HTTPS console/portal listener (absent without a TLS pair or when its port was taken). */
  web?: { host: string; port: number };
  stop(): Promise<void>;
}

export function clientMatcher(cidrs: string[]): (ip: string) => boolean {
  const list = new BlockList();
  for (const c of cidrs) {
    const p = parseCidr(c);
    if (p) list.addSubnet(p.address, p.prefix, p.family);
  }
  return (ip: string) => {
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
    if (mapped) return list.check(mapped[1]!, 'ipv4');
    return list.check(ip, isIPv6(ip) ? 'ipv6' : 'ipv4');
  };
}

/**
 * One process per SQLite database: a pid file in dataDir, taken over only if its owner is gone.
 * (PostgreSQL clusters coordinate through leases instead.)
 */
function lockDataDir(dataDir: string): () => void {
  mkdirSync(dataDir, { recursive: true });
  const file = join(dataDir, 'sealgate.pid');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(file, 'wx', 0o644);
      writeSync(fd, String(process.pid));
      closeSync(fd);
      return () => rmSync(file, { force: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const pid = Number(readFileSync(file, 'utf8').trim());
      let alive = false;
      try {
        if (pid > 0 && pid !== process.pid) {
          process.kill(pid, 0);
          alive = true;
        }
      } catch {
        alive = false;
      }
      if (alive) throw new Error(`another sealgate process (pid ${pid}) is using ${dataDir}; stop it first`);
      rmSync(file, { force: true });
    }
  }
  throw new Error(`cannot lock ${dataDir}`);
}

function antivirusStage(cfg: Config, store: Store, logger: Logger, now: () => Date): AntivirusStage {
  const av = cfg.antivirus!;
  return createAntivirusStage({
    client: createClamdClient({ address: av.clamd, timeoutMs: av.timeoutSeconds * 1000, streamMaxLength: av.streamMaxLength }),
    inbound: av.inbound,
    outbound: av.outbound,
    onError: av.onError,
    maxSignatureAgeHours: av.maxSignatureAgeHours,
    postmaster: `postmaster@${cfg.domains[0]}`,
    hostname: cfg.hostname,
    audit: (e) => store.audit.append(e),
    logger,
    now,
  });
}

/**
 * The web console and pickup portal (src/web) on `web.listen`, HTTPS only. Mail keeps flowing if it
 * cannot start (port taken): the error is logged and the gateway runs without it.
 */
async function startWebListener(
  cfg: Config,
  o: { store: Awaited<ReturnType<typeof openStore>>; logger: Logger; now: () => Date; antivirus?: AntivirusStage; acceptorOpts: Parameters<typeof createLocalSubmitter>[0]; listeners: () => Record<string, { host: string; port: number }> },
  tls: { cert: Buffer; key: Buffer; minVersion: string },
): Promise<WebServer | undefined> {
  try {
    const deps = { cfg, store: o.store, logger: o.logger, now: o.now, submitter: createLocalSubmitter(o.acceptorOpts), listeners: o.listeners, ...(o.antivirus ? { antivirus: o.antivirus } : {}) };
    return await startWeb(deps, tls);
  } catch (err) {
    o.logger.error({ err: (err as Error).message, listen: `${cfg.web.listen.host}:${cfg.web.listen.port}` }, 'web console not started');
    return undefined;
  }
}

export async function startGateway(cfg: Config, opts: GatewayOptions): Promise<RunningGateway> {
  const unlock = cfg.database.kind === 'sqlite' ? lockDataDir(cfg.dataDir) : () => {};
  try {
    return await assemble(cfg, opts, unlock);
  } catch (err) {
    unlock();
    throw err;
  }
}

async function assemble(cfg: Config, opts: GatewayOptions, unlock: () => void): Promise<RunningGateway> {
  const { logger } = opts;
  const now = opts.now ?? (() => new Date());
  const store = await openStore({ database: cfg.database, spoolDir: join(cfg.dataDir, 'spool'), logger });
  const domains = new Set(cfg.domains);
  const isLocalDomain = (d: string) => domains.has(d.toLowerCase());

  // Malware screening goes first, so outbound mail is scanned before any encryption stage. (An
  // inbound decryption stage must run before it: scan the plaintext. See docs/antivirus.md.)
  // Inbound S/MIME (decrypt with the domain key, verify signatures) runs first for inbound mail so
  // that the scanner sees plaintext; it never runs for outbound mail. Made before anything starts
  // timers: an unreadable trust anchor file stops startup here.
  // (src/inbound/from-config.ts.) Valid signers' certificates are harvested into the certificate
  // directory made below with the outbound stages (bound late: used only when mail flows).
  const harvest: NonNullable<InboundWiring['harvest']> = (address, der, o) => outboundProtection?.directory.harvest(address, der, o) ?? Promise.resolve(false);
  const inboundStage = cfg.pki ? createInboundStage(cfg, { store, logger, harvest }) : undefined;
  const inboundSmime = inboundStage ? [inboundStage] : [];
  const antivirus = cfg.antivirus ? antivirusStage(cfg, store, logger, now) : undefined;
  const stopAntivirusHealth = antivirus?.startHealthChecks();
  // OpenPGP (src/openpgp): inbound decryption/verification right after inbound S/MIME (before the
  // scanner); the ADK stage opens desktop-encrypted outbound mail for the policy stage, so it must
  // stay before 'policy'. `openpgp.method` is the outbound 'openpgp' protection method.
  const openpgp = createOpenPgp(cfg, store, { removeForged: !cfg.pki, now });
  await openpgp.ensureKeys().catch((e: Error) => logger.warn({ err: e.message }, 'OpenPGP domain keys not created yet; retried on first use'));
  // S/MIME desktop-encrypted outbound mail naming our domain certificate is opened the same way
  // (src/outbound/smime-inspect-stage.ts), also before 'policy'.
  const smimeInspect = smimeInspectFromConfig(cfg, store, now);
  const stages = [...inboundSmime, openpgp.inbound, ...(antivirus ? [antivirus] : []), openpgp.adk, ...(smimeInspect ? [smimeInspect] : []), ...(opts.stages ?? [])];
  // --- Outbound policy and protection (src/outbound/from-config.ts) ---------------------------
  // The PHI decision stage ('policy') and the protection stage ('protect': domain signing, then per
  // recipient S/MIME / TLS-enforced / auto-issue / web pickup / hold) run for outbound mail after
  // every other stage (so after antivirus: scanned before encryption). They share the certificate
  // directory and open the PKI on first need. Mail the gateway writes (PKCS#12, notices) is queued
  // through the local submitter and passes the protection stage unchanged.
  const outboundProtection = cfg.pki
    ? createOutboundStages(cfg, {
        store,
        submitter: createLocalSubmitter({ store, hostname: cfg.hostname, limits: cfg.limits, clock: { now }, audit: store.audit, logger, onAccepted: () => manager.kick() }),
        now,
        logger,
        // The 'openpgp' method (src/openpgp/method.ts) when outbound.methods lists it.
        // ...and web pickup (src/web/portal-method.ts): stored for the portal, the recipient gets a link.
        extraMethods: () => [openpgp.method, createPortalMethod({ portal: portalStoreFor({ cfg, store, now }), audit: store.audit, hostname: cfg.hostname, baseUrl: `https://${cfg.hostname}${cfg.web.listen.port === 443 ? '' : `:${cfg.web.listen.port}`}`, expiryDays: cfg.web.portalExpiryDays })],
      })
    : undefined;
  const outboundTls = outboundProtection?.deliveryTrustAnchors ? { tls: { requestTrustAnchors: outboundProtection.deliveryTrustAnchors } } : {};
  // --- end of outbound policy and protection ----------------------------------------------------
  const pipeline = createPipeline({ stages: [...stages, ...(outboundProtection?.stages ?? [])], timeoutMs: cfg.limits.stageTimeout * 1000, now, logger });
  const common = { hostname: cfg.hostname, limits: cfg.limits, logger };
  const inboundAgent = createDeliveryAgent({ mode: 'internal', host: cfg.delivery.internal.host, port: cfg.delivery.internal.port }, common);
  const outboundAgent =
    cfg.delivery.external.mode === 'smarthost'
      ? createDeliveryAgent({ mode: 'smarthost', host: cfg.delivery.external.host, port: cfg.delivery.external.port }, { ...common, ...outboundTls })
      : createDeliveryAgent({ mode: 'mx', port: cfg.delivery.mxPort, dnsServers: cfg.dns.servers }, { ...common, ...outboundTls });

  const manager = createQueueManager({
    store,
    owner: cfg.nodeName,
    limits: cfg.limits,
    clock: { now },
    pipeline,
    delivery: { inbound: inboundAgent, outbound: outboundAgent },
    bounce: createBounceBuilder({ hostname: cfg.hostname, postmaster: `postmaster@${cfg.domains[0]}`, domains: cfg.domains }),
    isLocalDomain,
    audit: store.audit,
    logger,
    hostname: cfg.hostname,
    // SQLite has one process by construction (the pid lock), so every 'active' row is ours from a
    // crash; in a PostgreSQL cluster only our own (stable node name), the rest by lease expiry.
    recoverOnStart: cfg.database.kind === 'sqlite' ? 'all' : 'own',
  });

  const acceptor = createAcceptor({ store, hostname: cfg.hostname, limits: cfg.limits, clock: { now }, audit: store.audit, logger, onAccepted: () => manager.kick() });

  const tls =
    existsSync(cfg.tls.certFile) && existsSync(cfg.tls.keyFile)
      ? { cert: readFileSync(cfg.tls.certFile), key: readFileSync(cfg.tls.keyFile), minVersion: cfg.tls.minVersion }
      : undefined;
  if (!tls) logger.warn({ cert: cfg.tls.certFile }, 'no TLS certificate: STARTTLS disabled');

  const isAllowedClient = clientMatcher(cfg.smtp.outbound.clients);
  const inbound = createSmtpListener({ role: 'inbound', hostname: cfg.hostname, limits: cfg.limits, tls, isLocalDomain, isAllowedClient: () => false, acceptor, logger });
  const outbound = createSmtpListener({ role: 'outbound', hostname: cfg.hostname, limits: cfg.limits, tls, isLocalDomain, isAllowedClient, acceptor, logger });

  const inAddr = await inbound.listen(cfg.smtp.inbound.listen.host, cfg.smtp.inbound.listen.port);
  const outAddr = await outbound.listen(cfg.smtp.outbound.listen.host, cfg.smtp.outbound.listen.port);
  manager.start();
  // Pending-certificate requests (src/directory/pending.ts): a certificate harvested from a signed
  // reply releases the mail held for that address; reminders and expiry run on a timer, stopped on stop().
  if (outboundProtection) listenForSignedReplies(outboundProtection.directory, outboundProtection.pending);
  const stopPending = outboundProtection ? startPendingTimer(outboundProtection.pending, undefined, logger) : undefined;
  // Our own proxy and RFC 3183 certificates are renewed ahead of expiry (src/pki/renew.ts,
  // pki.renewBeforeDays): a pass a minute after start, then daily; stopped on stop().
  const pkiCfg = cfg.pki;
  const renewal = pkiCfg ? startRenewalTimer({ open: () => openConfiguredPki(cfg, store), logger }) : undefined;
  // A certificate revoked elsewhere (the CLI, another node) is dropped from the directory's lookup
  // cache within seconds (src/pki/revocation-watch.ts), so it is not used for the next message.
  const directory = outboundProtection?.directory;
  const revocations = directory ? watchRevocations({ db: store.db, onChange: () => directory.invalidate(), onError: (e) => logger.warn({ err: e.message }, 'revocation check failed') }) : undefined;
  const web = tls ? await startWebListener(cfg, { store, logger, now, antivirus, acceptorOpts: { store, hostname: cfg.hostname, limits: cfg.limits, clock: { now }, audit: store.audit, logger, onAccepted: () => manager.kick() }, listeners: () => ({ inbound: { host: cfg.smtp.inbound.listen.host, port: inAddr.port }, outbound: { host: cfg.smtp.outbound.listen.host, port: outAddr.port } }) }, tls) : undefined;

  let stopping: Promise<void> | undefined;
  return {
    inbound: { host: cfg.smtp.inbound.listen.host, port: inAddr.port },
    outbound: { host: cfg.smtp.outbound.listen.host, port: outAddr.port },
    store,
    ...(antivirus ? { antivirus } : {}),
    ...(web ? { web: { host: cfg.web.listen.host, port: web.port } } : {}),
    stop() {
      stopping ??= (async () => {
        stopAntivirusHealth?.();
        inboundStage?.stop(); // the trust bundle refresh schedule
        renewal?.stop();
        revocations?.stop();
        await stopPending?.();
        await web?.close();
        await Promise.all([inbound.close(true), outbound.close(true)]);
        await manager.stop();
        await Promise.all([inboundAgent.close(), outboundAgent.close()]);
        await store.close();
        unlock();
      })();
      return stopping;
    },
  };
}
