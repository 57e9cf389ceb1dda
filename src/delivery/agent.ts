// Delivery agent: picks the next hop for a message (the internal mail server, a smarthost, or each
// recipient domain's MX hosts) and runs SMTP transactions through the shared SmtpClient.
// Trust level: network-facing (outgoing); holds message bytes in memory for one attempt, logs only
// ids, hosts, counts and reply codes.
import type { Limits } from '../config/limits.js';
import type { DeliveryAgent, DeliveryRequest, RecipientResult } from './types.js';
import { MxResolver, type MxResolverOptions } from './mx.js';
import {
  SmtpClient,
  type ClientStats,
  type DeliveryOutcome,
  type Destination,
  type PoolOptions,
  type RequireTlsOptions,
  type SendOptions,
} from './smtp-client.js';

/** Structural subset of pino's Logger. */
export interface DeliveryLogger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
}

export type DeliveryRoute =
  | { mode: 'internal'; host: string; port: number }
  | { mode: 'smarthost'; host: string; port: number }
  | { mode: 'mx'; port?: number; dnsServers?: string[] };

export interface DeliveryTlsPolicy {
  /**
   * TLS that must succeed for every destination of this agent; `servername` defaults to the
   * next hop's name (MX host or smarthost). Absent: opportunistic STARTTLS.
   */
  requireTls?: Omit<RequireTlsOptions, 'servername'> & { servername?: string };
  /** false: never STARTTLS (only meaningful without requireTls). Default true. */
  opportunistic?: boolean;
  /**
   * Trust anchors for messages that ask for TLS themselves (DeliveryRequest.requireTls, e.g. a
   * partner marked tls-required); default: the system store. The name checked is the next hop's.
   */
  requestTrustAnchors?: Buffer[];
}

export interface DeliveryCommon {
  /** Our EHLO name. */
  hostname: string;
  limits: Limits;
  logger: DeliveryLogger;
  tls?: DeliveryTlsPolicy;
  /** Connection cache tuning (defaults: DEFAULT_POOL). */
  pool?: Partial<PoolOptions>;
  /** MX resolver tuning (mx mode). */
  dns?: Omit<MxResolverOptions, 'servers'>;
}

export interface SmtpDeliveryAgent extends DeliveryAgent {
  deliver(req: DeliveryRequest, signal?: AbortSignal): Promise<DeliveryOutcome[]>;
  /** Close cached connections; later deliveries return 'deferred'. */
  close(): Promise<void>;
  readonly stats: ClientStats;
}

/** Recipient domains delivered in parallel for one message. */
const DOMAIN_CONCURRENCY = 4;

function domainOf(address: string): string {
  const at = address.lastIndexOf('@');
  return at < 0 ? '' : address.slice(at + 1).toLowerCase();
}

export function createDeliveryAgent(route: DeliveryRoute, common: DeliveryCommon): SmtpDeliveryAgent {
  const client = new SmtpClient({ hostname: common.hostname, pool: common.pool });
  const timeoutMs = common.limits.deliveryTimeout * 1000;
  const log = common.logger;
  const resolver =
    route.mode === 'mx' ? new MxResolver({ ...common.dns, servers: route.dnsServers }) : null;

  function sendOptions(dest: Destination, signal?: AbortSignal, perMessage?: boolean): SendOptions {
    const t = common.tls;
    const servername = t?.requireTls?.servername ?? dest.name ?? dest.host;
    // A message that requires TLS gets a verified handshake even when the agent is opportunistic.
    const requireTls = t?.requireTls
      ? { ...t.requireTls, servername, ...(perMessage ? { verify: true, ca: t.requireTls.ca ?? t.requestTrustAnchors } : {}) }
      : perMessage
        ? { verify: true, servername, ...(t?.requestTrustAnchors ? { ca: t.requestTrustAnchors } : {}) }
        : undefined;
    return { timeoutMs, signal, opportunisticTls: t?.opportunistic ?? true, requireTls };
  }

  /** Try each destination in order for the recipients still undecided; all fail → deferred. */
  async function tryHosts(req: DeliveryRequest, recipients: string[], dests: Destination[], signal?: AbortSignal): Promise<Map<string, DeliveryOutcome>> {
    const out = new Map<string, DeliveryOutcome>();
    let pending = recipients;
    let last = new Map<string, DeliveryOutcome>();
    for (const dest of dests) {
      if (pending.length === 0) break;
      const res = await client.send(dest, { sender: req.sender, recipients: pending, body: req.body, params: req.params }, sendOptions(dest, signal, req.requireTls));
      const retry = new Set(res.retryElsewhere);
      last = new Map(res.results.map((r) => [r.address, r]));
      for (const r of res.results) if (!retry.has(r.address)) out.set(r.address, r);
      const counts = { delivered: 0, deferred: 0, failed: 0 };
      for (const r of res.results) counts[r.status]++;
      log.info(
        { txn: req.messageId, direction: req.direction, host: dest.name ?? dest.host, addr: dest.host, port: dest.port, tls: res.tls, ...counts, tryNext: retry.size },
        'delivery attempt',
      );
      pending = pending.filter((a) => retry.has(a));
      if (signal?.aborted) break;
    }
    // Nobody would take these: keep the last host's reply, as a temporary failure.
    for (const a of pending) {
      const r = last.get(a);
      out.set(a, { address: a, status: 'deferred', reply: r?.reply ?? '451 4.4.0 No host could be reached', remoteHost: r?.remoteHost, tls: false });
    }
    return out;
  }

  async function deliverMx(req: DeliveryRequest, recipients: string[], signal?: AbortSignal): Promise<Map<string, DeliveryOutcome>> {
    const byDomain = new Map<string, string[]>();
    for (const a of recipients) {
      const d = domainOf(a);
      byDomain.set(d, [...(byDomain.get(d) ?? []), a]);
    }
    const out = new Map<string, DeliveryOutcome>();
    const groups = [...byDomain.entries()];
    const port = route.mode === 'mx' ? route.port ?? 25 : 25;
    const worker = async () => {
      for (let g = groups.shift(); g; g = groups.shift()) {
        const [domain, rcpts] = g;
        const routed = domain ? await resolver!.route(domain) : ({ ok: false, status: 'failed', reply: '501 5.1.3 Recipient address has no domain' } as const);
        if (!routed.ok) {
          log.info({ txn: req.messageId, domain, status: routed.status }, 'no route');
          for (const a of rcpts) out.set(a, { address: a, status: routed.status, reply: routed.reply, tls: false });
          continue;
        }
        const dests = routed.targets.flatMap((t) => t.addresses.map((ip) => ({ host: ip, port, name: t.name })));
        for (const [a, r] of await tryHosts(req, rcpts, dests, signal)) out.set(a, r);
      }
    };
    await Promise.all(Array.from({ length: Math.min(DOMAIN_CONCURRENCY, groups.length) }, worker));
    return out;
  }

  return {
    stats: client.stats,
    async deliver(req: DeliveryRequest, signal?: AbortSignal): Promise<DeliveryOutcome[]> {
      // Duplicate addresses get one RCPT and share its result.
      const unique = [...new Set(req.recipients)];
      let results: Map<string, DeliveryOutcome>;
      try {
        if (route.mode === 'mx') results = await deliverMx(req, unique, signal);
        else results = await tryHosts(req, unique, [{ host: route.host, port: route.port, name: route.host }], signal);
      } catch (e) {
        // Never throws (DeliveryAgent contract): an unexpected bug is a temporary failure.
        log.warn({ txn: req.messageId, err: (e as Error)?.name }, 'delivery error');
        results = new Map();
      }
      return req.recipients.map(
        (a) => results.get(a) ?? { address: a, status: 'deferred' as const, reply: '451 4.3.0 Local error in delivery', tls: false },
      );
    },
    close: () => client.close(),
  };
}

export type { DeliveryOutcome, RecipientResult };
