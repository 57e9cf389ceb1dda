// TLS probe for the 'tls' protection method: before a message is handed to delivery as "TLS only",
// check that the next hop (the smarthost, or the recipient domain's MX hosts) offers STARTTLS and
// completes a TLS 1.2+ handshake with a certificate that verifies for its name (system store, or the
// configured trust anchors). No mail is sent: EHLO, STARTTLS, handshake, EHLO, QUIT.
// The probe is advice only; delivery enforces the same rule again (requireTls), so a server that
// stops offering TLS between probe and delivery gets a deferral, never plaintext.
// Trust level: network-facing towards servers we do not trust; sees no message content.
import net from 'node:net';
import tls from 'node:tls';
import { SmtpConnection, type Destination } from '../delivery/connection.js';
import { MxResolver } from '../delivery/mx.js';
import { parseEhlo } from '../delivery/reply-parser.js';

export type ProbeResult = { ok: true; host: string; protocol: string } | { ok: false; why: string };

export interface TlsProbeOptions {
  /** Our EHLO name. */
  hostname: string;
  /** Where outbound mail goes: a fixed smarthost or each domain's MX hosts. */
  route: { mode: 'smarthost'; host: string; port: number } | { mode: 'mx'; port?: number; dnsServers?: string[] };
  /** Trust anchors (DER or PEM) for the server certificate; absent: the system store. */
  ca?: Buffer[];
  /** Whole probe of one host. */
  timeoutMs: number;
}

export type TlsProber = (domain: string, signal?: AbortSignal) => Promise<ProbeResult>;

async function probeHost(dest: Destination, o: TlsProbeOptions, signal?: AbortSignal): Promise<ProbeResult> {
  const where = `${dest.name ?? dest.host}:${dest.port}`;
  const socket = net.connect({ host: dest.host, port: dest.port });
  const conn = new SmtpConnection(dest, 'probe', socket);
  const timer = setTimeout(() => conn.fail(new Error(`timeout after ${o.timeoutMs} ms`)), o.timeoutMs);
  const onAbort = () => conn.fail(new Error('aborted'));
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    if ((await conn.read()).code !== 220) return { ok: false, why: `${where} did not greet with 220` };
    const ehlo = await conn.command(`EHLO ${o.hostname}`);
    if (ehlo.code !== 250) return { ok: false, why: `${where} refused EHLO` };
    if (!parseEhlo(ehlo).has('STARTTLS')) return { ok: false, why: `${where} does not offer STARTTLS` };
    if ((await conn.command('STARTTLS')).code !== 220) return { ok: false, why: `${where} refused STARTTLS` };
    const plain = conn.socket;
    conn.detach(plain);
    const servername = dest.name ?? dest.host;
    const secure = tls.connect({
      socket: plain,
      servername: net.isIP(servername) ? undefined : servername,
      // The host name check uses the next hop's name, or its address for an address literal.
      checkServerIdentity: (_h, cert) => tls.checkServerIdentity(servername, cert),
      rejectUnauthorized: true,
      ca: o.ca,
      minVersion: 'TLSv1.2',
    });
    conn.socket = secure;
    conn.attach(secure);
    await new Promise<void>((resolve, reject) => {
      const off = conn.onFailure(reject);
      secure.once('secureConnect', () => {
        off();
        resolve();
      });
    });
    const protocol = secure.getProtocol() ?? 'unknown';
    await conn.command(`EHLO ${o.hostname}`);
    return { ok: true, host: where, protocol };
  } catch (e) {
    const code = (e as { code?: string }).code;
    return { ok: false, why: `TLS with ${where} failed: ${code ?? (e as Error).message ?? 'error'}` };
  } finally {
    clearTimeout(timer);
    signal?.removeEventListener('abort', onAbort);
    await conn.quit();
  }
}

/** A prober: the first next hop that answers decides (the one delivery would use). */
export function createTlsProber(o: TlsProbeOptions): TlsProber {
  const resolver = o.route.mode === 'mx' ? new MxResolver({ servers: o.route.dnsServers }) : null;
  return async (domain, signal) => {
    let dests: Destination[];
    if (o.route.mode === 'smarthost') dests = [{ host: o.route.host, port: o.route.port, name: o.route.host }];
    else {
      const routed = await resolver!.route(domain);
      if (!routed.ok) return { ok: false, why: `no route to ${domain}: ${routed.reply}` };
      const port = o.route.port ?? 25;
      dests = routed.targets.flatMap((t) => t.addresses.map((ip) => ({ host: ip, port, name: t.name })));
    }
    let last: ProbeResult = { ok: false, why: `no next hop for ${domain}` };
    for (const d of dests) {
      last = await probeHost(d, o, signal);
      if (last.ok || !/ECONNREFUSED|EHOSTUNREACH|timeout/.test(last.why)) return last;
    }
    return last;
  };
}
