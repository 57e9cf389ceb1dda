// Assembly of the outbound stages from the configuration: the policy decision stage ('policy') and
// the protection stage ('protect') with its methods (S/MIME via the certificate directory, TLS
// enforced delivery with the probe, auto-issue via the directory's missing-certificate handling,
// plus methods other modules provide: web pickup, OpenPGP). Also the delivery agent's trust
// anchors for TLS-required variants and the dry-run planner for `policy test --to`.
// Thin I/O shell: reads trust anchor files at startup (an unreadable one stops startup with its
// key path); opens the PKI lazily (a missing KEK defers mail that needs a key, it does not stop
// the gateway). Trust level: holds everything the stages hold (plaintext, domain keys).
import type { Config } from '../config/types.js';
import { DestinationRegistry } from '../destinations/index.js';
import { directoryFromConfig, type Directory } from '../directory/directory.js';
import { createIssuer } from '../directory/issue-push.js';
import { missingCertificateMode } from '../directory/config.js';
import { createMissingCertificateResolver } from '../directory/missing.js';
import { createPendingWorkflow, type PendingWorkflow } from '../directory/pending.js';
import type { Logger } from '../log/logger.js';
import { readAnchorFile } from '../inbound/pki-keys.js';
import { fingerprint, toPem, type DomainPki } from '../pki/ca.js';
import { issueProxyCertificate } from '../pki/issue.js';
import type { Stage } from '../pipeline/stage.js';
import type { LocalSubmitter } from '../queue/submit.js';
import type { OpenedStore } from '../store/index.js';
import { OUTBOUND_DEFAULTS, type OutboundConfig } from './config.js';
import { createDecideStage, outerSubjectOf } from './decide-stage.js';
import { lazyPki, outboundKeys } from './keys.js';
import { createMethods, planMethods, type MethodDeps, type PlannedMethod } from './methods.js';
import { createNoticeSender } from './notices.js';
import { createProtectStage } from './protect-stage.js';
import { createTlsProber, type TlsProbeOptions } from './tls-probe.js';
import type { ProtectionMethod } from './types.js';
import { openConfiguredPki } from '../pki/setup.js';

export interface OutboundAssemblyDeps {
  store: OpenedStore;
  submitter: LocalSubmitter;
  now: () => Date;
  logger: Logger;
  /** Methods other modules provide (web pickup 'portal', 'openpgp'). */
  extraMethods?: (pki: () => Promise<DomainPki>) => ProtectionMethod[];
}

export interface OutboundAssembly {
  /** 'policy' then 'protect', for the outbound direction; after antivirus. */
  stages: Stage[];
  /** The certificate directory (also for inbound harvesting and the console). */
  directory: Directory;
  /** The pending-certificate workflow (its timer is started by whoever owns the pending schedule). */
  pending: PendingWorkflow;
  /** Trust anchors for TLS-required deliveries (outbound.tlsTrustAnchors; undefined = system store). */
  deliveryTrustAnchors?: Buffer[];
  /** Dry run for `policy test --to`. */
  plan(recipient: string): Promise<PlannedMethod[]>;
}

/** The outbound.tlsTrustAnchors files as PEM certificates (what node:tls takes as `ca`). */
function readTrustAnchors(files: string[]): Buffer[] | undefined {
  if (files.length === 0) return undefined;
  return files.flatMap((f, i) => {
    try {
      return readAnchorFile(f).map((der) => Buffer.from(toPem(der)));
    } catch (e) {
      throw new Error(`outbound.tlsTrustAnchors[${i}]: cannot read trust anchor file ${f}: ${e instanceof Error ? e.message : 'error'}`);
    }
  });
}

function probeOptions(cfg: Config, out: OutboundConfig, ca: Buffer[] | undefined): TlsProbeOptions {
  const ext = cfg.delivery.external;
  return {
    hostname: cfg.hostname,
    route: ext.mode === 'smarthost' ? { mode: 'smarthost', host: ext.host, port: ext.port } : { mode: 'mx', port: cfg.delivery.mxPort, dnsServers: cfg.dns.servers },
    ...(ca ? { ca } : {}),
    timeoutMs: out.tlsProbeTimeoutSeconds * 1000,
  };
}

export function createOutboundStages(cfg: Config, d: OutboundAssemblyDeps): OutboundAssembly {
  const out = cfg.outbound ?? OUTBOUND_DEFAULTS;
  const pkiCfg = cfg.pki!;
  const clock = { now: d.now };
  const pki = lazyPki(() => openConfiguredPki(cfg, d.store, clock));
  const registry = new DestinationRegistry(d.store, { clock });
  const domains = new Set(cfg.domains.map((x) => x.toLowerCase()));
  const isLocalDomain = (x: string) => domains.has(x.toLowerCase());
  const hostname = cfg.hostname;
  // The directory reads certificates from the database; only issuing needs the CA key, so the
  // issuer opens the PKI when called (a missing KEK then defers that message, nothing else).
  const issuer = async (address: string, req: Parameters<ReturnType<typeof createIssuer>>[1]) =>
    createIssuer({ pki: await pki(), submitter: d.submitter, config: cfg, clock, audit: d.store.audit, hostname })(address, req);
  const directory = directoryFromConfig(cfg, { store: d.store, clock, logger: d.logger, issuer });
  const pending = createPendingWorkflow({ store: d.store, submitter: d.submitter, config: cfg.directory!, domains: cfg.domains, organization: pkiCfg.organization, hostname, clock, logger: d.logger });
  const ca = readTrustAnchors(out.tlsTrustAnchors);
  const deps: MethodDeps = {
    directory,
    registry,
    probe: createTlsProber(probeOptions(cfg, out, ca)),
    missing: createMissingCertificateResolver({ directory, pending, config: cfg.directory! }),
    extra: d.extraMethods?.(pki) ?? [],
    ownCertificate: async (address) => {
      if (!isLocalDomain(address.slice(address.lastIndexOf('@') + 1))) return null;
      const rec = (await issueProxyCertificate(await pki(), address)).encryption;
      return { address: rec.address!, der: rec.der, chain: [], source: 'local', origin: 'our proxy certificate', fingerprint: fingerprint(rec.der), notAfter: rec.notAfter };
    },
    missingMode: (recipient) => missingCertificateMode(cfg.directory!, recipient),
    outerSubject: outerSubjectOf,
  };
  const notices = createNoticeSender({ hostname: cfg.hostname, fromAddress: `postmaster@${cfg.domains[0]}`, reviewer: out.reviewer, now: d.now, submitter: d.submitter, isLocalDomain });
  const decide = createDecideStage({ config: out, ...(cfg.policy ? { policy: cfg.policy } : {}), registry, audit: d.store.audit, notices, isLocalDomain });
  const protect = createProtectStage({
    keys: outboundKeys(pki),
    methods: createMethods(deps),
    order: out.methods,
    domainSign: out.domainSign,
    domains: cfg.domains,
    audit: (e) => d.store.audit.append(e),
  });
  return {
    stages: [decide, protect],
    directory,
    pending,
    ...(ca ? { deliveryTrustAnchors: ca } : {}),
    plan: (recipient) => planMethods(recipient, deps, out.methods, d.now()),
  };
}
