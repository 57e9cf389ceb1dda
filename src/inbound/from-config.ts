// Builds the inbound stage from the resolved configuration: domain keys and anchors (pki-keys.ts),
// per-domain trust bundles, the CRL fetcher, the routing checks and the optional harvest callback
// (passed by the gateway when the certificate directory exists). Trust level: as decrypt-stage.ts.
import type { Config } from '../config/types.js';
import type { CertificateDirectory } from '../directory/types.js';
import type { Logger } from '../log/logger.js';
import type { Stage } from '../pipeline/stage.js';
import type { PkiStore } from '../pki/ca.js';
import { createInboundSmimeStage } from './decrypt-stage.js';
import { pkiKeySource } from './pki-keys.js';
import { createCrlFetcher } from './revocation.js';
import { createTrustBundles } from './trust-bundles.js';

export interface InboundWiring {
  store: PkiStore;
  logger?: Logger;
  harvest?: CertificateDirectory['harvest'];
}

/** The stage, plus stop() for its background work (the trust bundle refresh schedule). */
export function createInboundStage(cfg: Config, w: InboundWiring): Stage & { stop(): void } {
  const ib = cfg.inbound;
  const timeoutMs = (ib?.crlTimeoutSeconds ?? 5) * 1000;
  const bundles = ib?.trustBundles.length
    ? createTrustBundles(ib.trustBundles, { timeoutMs, onError: (source, error) => w.logger?.warn({ source, error }, 'inbound trust bundle not loaded') })
    : undefined;
  const stopBundles = bundles?.start();
  const stage = createInboundSmimeStage({
    hostname: cfg.hostname,
    ...pkiKeySource(cfg, w.store, bundles),
    audit: (e) => w.store.audit.append(e),
    crlCheck: ib?.crlCheck ?? 'soft',
    crls: createCrlFetcher({ timeoutMs }),
    tamperCheck: ib?.tamperCheck ?? 'off',
    hopLimit: cfg.limits.hopCount,
    nested: { maxDepth: cfg.limits.nestedDecryptDepth, maxParts: cfg.limits.nestedDecryptParts },
    visibleNote: ib?.visibleNote ?? false,
    undecryptable: ib?.undecryptable ?? 'hold',
    ...(w.harvest ? { harvest: w.harvest } : {}),
  });
  return Object.assign(stage, { stop: () => stopBundles?.() });
}
