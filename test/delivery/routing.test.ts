// Routing of the delivery agent over real sockets: internal/smarthost (one transaction for all
// recipients) and MX (per domain, via a real DNS server on loopback, priority order, fallback,
// implicit MX, null MX, DNS failures, caching). MX "hosts" are SMTP sinks on 127.0.0.2, .3, .4
// sharing one port, since the agent uses one MX port for every host.
import { afterEach, describe, expect, test } from 'vitest';
import { defaultLimits } from '../../src/config/limits.js';
import { createDeliveryAgent, type DeliveryRoute, type SmtpDeliveryAgent } from '../../src/delivery/agent.js';
import type { DeliveryRequest } from '../../src/delivery/types.js';
import { startDnsServer, type DnsRecord, type DnsServer } from '../helpers/dns-server.js';
import { startSmtpSink, type SinkOptions, type SmtpSink } from '../helpers/smtp-sink.js';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const logs: Array<{ obj: object; msg?: string }> = [];
const logger = { debug() {}, info: (obj: object, msg?: string) => void logs.push({ obj, msg }), warn: (obj: object, msg?: string) => void logs.push({ obj, msg }) };

function agent(route: DeliveryRoute, deliveryTimeout = 5): SmtpDeliveryAgent {
  const a = createDeliveryAgent(route, { hostname: 'gw.sealgate.test', limits: { ...defaultLimits(), deliveryTimeout }, logger });
  cleanups.push(() => a.close());
  return a;
}

/** Sinks on 127.0.0.2, 127.0.0.3, ... all listening on the same port. */
async function mxSinks(n: number, opts: SinkOptions[] = []): Promise<SmtpSink[]> {
  for (let attempt = 0; attempt < 5; attempt++) {
    const sinks: SmtpSink[] = [];
    try {
      for (let i = 0; i < n; i++) {
        sinks.push(await startSmtpSink({ ...opts[i], address: `127.0.0.${i + 2}`, port: sinks[0]?.port ?? 0 }));
      }
      cleanups.push(async () => {
        for (const s of sinks) await s.close();
      });
      return sinks;
    } catch {
      for (const s of sinks) await s.close(); // port taken on another address: try another
    }
  }
  throw new Error('no common port for MX sinks');
}

async function dns(records: DnsRecord[]): Promise<DnsServer> {
  const d = await startDnsServer(records);
  cleanups.push(() => d.close());
  return d;
}

const BODY = Buffer.from('From: a@hospital.test\r\nSubject: routing\r\n\r\nhello\r\n.dot\r\n');
const req = (recipients: string[], extra: Partial<DeliveryRequest> = {}): DeliveryRequest => ({
  messageId: 'm1',
  direction: 'outbound',
  sender: 'a@hospital.test',
  recipients,
  body: BODY,
  ...extra,
});

describe('internal and smarthost', () => {
  test('all recipients (any domain) go to the one host in one transaction', async () => {
    const s = await startSmtpSink();
    cleanups.push(() => s.close());
    for (const mode of ['internal', 'smarthost'] as const) {
      const out = await agent({ mode, host: s.host, port: s.port }).deliver(req(['x@a.test', 'y@b.test', 'x@a.test']));
      expect(out.map((r) => r.status)).toEqual(['delivered', 'delivered', 'delivered']);
      expect(out[0]!.remoteHost).toBe('127.0.0.1');
    }
    expect(s.messages).toHaveLength(2);
    expect(s.messages[0]!.recipients).toEqual(['x@a.test', 'y@b.test']); // duplicate sent once
    expect(s.messages[0]!.data.equals(BODY)).toBe(true);
  });

  test('next hop down → every recipient deferred', async () => {
    const s = await startSmtpSink();
    cleanups.push(() => s.close());
    await s.setDown(true);
    const out = await agent({ mode: 'internal', host: s.host, port: s.port }).deliver(req(['x@a.test', 'y@a.test']));
    expect(out.map((r) => r.status)).toEqual(['deferred', 'deferred']);
    expect(out[0]!.reply).toMatch(/^451 4\.4\.1 Connection refused/);
  });

  test('a 554 greeting from the only host → deferred (all hosts failed)', async () => {
    const s = await startSmtpSink({ replyTo: (p) => (p === 'connect' ? '554 5.3.2 not now' : undefined) });
    cleanups.push(() => s.close());
    const out = await agent({ mode: 'smarthost', host: s.host, port: s.port }).deliver(req(['x@a.test']));
    expect(out[0]).toMatchObject({ status: 'deferred', reply: '554 5.3.2 not now' });
  });
});

describe('MX routing', () => {
  test('the lowest preference MX gets the mail', async () => {
    const [low, high] = await mxSinks(2);
    const d = await dns([
      { name: 'partner.test', type: 'MX', data: { preference: 20, exchange: 'mx-b.partner.test' } },
      { name: 'partner.test', type: 'MX', data: { preference: 10, exchange: 'mx-a.partner.test' } },
      { name: 'mx-a.partner.test', type: 'A', data: low!.host },
      { name: 'mx-b.partner.test', type: 'A', data: high!.host },
    ]);
    const out = await agent({ mode: 'mx', port: low!.port, dnsServers: [d.address] }).deliver(req(['dr.who@partner.test']));
    expect(out[0]).toMatchObject({ status: 'delivered', remoteHost: 'mx-a.partner.test' });
    expect(low!.messages).toHaveLength(1);
    expect(high!.messages).toHaveLength(0);
    expect(low!.messages[0]!.data.equals(BODY)).toBe(true);
  });

  test('when the first MX is down the second gets the mail', async () => {
    const [first, second] = await mxSinks(2);
    await first!.setDown(true);
    const d = await dns([
      { name: 'partner.test', type: 'MX', data: { preference: 10, exchange: 'mx-a.partner.test' } },
      { name: 'partner.test', type: 'MX', data: { preference: 20, exchange: 'mx-b.partner.test' } },
      { name: 'mx-a.partner.test', type: 'A', data: first!.host },
      { name: 'mx-b.partner.test', type: 'A', data: second!.host },
    ]);
    const out = await agent({ mode: 'mx', port: first!.port, dnsServers: [d.address] }).deliver(req(['a@partner.test', 'b@partner.test']));
    expect(out.map((r) => [r.status, r.remoteHost])).toEqual([
      ['delivered', 'mx-b.partner.test'],
      ['delivered', 'mx-b.partner.test'],
    ]);
    expect(second!.messages[0]!.recipients).toEqual(['a@partner.test', 'b@partner.test']);
  });

  test('a 4xx to MAIL at the first MX moves on to the second; a 5xx at RCPT does not', async () => {
    const [first, second] = await mxSinks(2, [
      { replyTo: (p, a) => (p === 'mail' ? '451 4.7.1 greylisted' : undefined) },
      { replyTo: (p, a) => (p === 'rcpt' && a.startsWith('gone') ? '550 5.1.1 gone' : undefined) },
    ]);
    const d = await dns([
      { name: 'partner.test', type: 'MX', data: { preference: 10, exchange: 'mx-a.partner.test' } },
      { name: 'partner.test', type: 'MX', data: { preference: 20, exchange: 'mx-b.partner.test' } },
      { name: 'mx-a.partner.test', type: 'A', data: first!.host },
      { name: 'mx-b.partner.test', type: 'A', data: second!.host },
    ]);
    const out = await agent({ mode: 'mx', port: first!.port, dnsServers: [d.address] }).deliver(req(['ok@partner.test', 'gone@partner.test']));
    expect(out.map((r) => [r.status, r.reply])).toEqual([
      ['delivered', '250 2.0.0 Ok: queued'],
      ['failed', '550 5.1.1 gone'],
    ]);
  });

  test('every MX down → deferred', async () => {
    const [a, b] = await mxSinks(2);
    await a!.setDown(true);
    await b!.setDown(true);
    const d = await dns([
      { name: 'partner.test', type: 'MX', data: { preference: 10, exchange: 'mx-a.partner.test' } },
      { name: 'partner.test', type: 'MX', data: { preference: 20, exchange: 'mx-b.partner.test' } },
      { name: 'mx-a.partner.test', type: 'A', data: a!.host },
      { name: 'mx-b.partner.test', type: 'A', data: b!.host },
    ]);
    const out = await agent({ mode: 'mx', port: a!.port, dnsServers: [d.address] }).deliver(req(['x@partner.test']));
    expect(out[0]).toMatchObject({ status: 'deferred', remoteHost: 'mx-b.partner.test' });
    expect(out[0]!.reply).toMatch(/Connection refused/);
  });

  test('null MX (RFC 7505) → failed 556 5.1.10 without any connection', async () => {
    const [s] = await mxSinks(1);
    const d = await dns([
      { name: 'nomail.test', type: 'MX', data: { preference: 0, exchange: '.' } },
      { name: 'nomail.test', type: 'A', data: s!.host },
    ]);
    const out = await agent({ mode: 'mx', port: s!.port, dnsServers: [d.address] }).deliver(req(['x@nomail.test']));
    expect(out[0]!.status).toBe('failed');
    expect(out[0]!.reply).toMatch(/^556 5\.1\.10 /);
    expect(s!.connections).toBe(0);
  });

  test('no MX record: the domain\'s own address is the implicit MX', async () => {
    const [s] = await mxSinks(1);
    const d = await dns([{ name: 'plain.test', type: 'A', data: s!.host }]);
    const out = await agent({ mode: 'mx', port: s!.port, dnsServers: [d.address] }).deliver(req(['x@plain.test']));
    expect(out[0]).toMatchObject({ status: 'delivered', remoteHost: 'plain.test' });
  });

  test('unknown domain → failed; DNS server failure → deferred', async () => {
    const [s] = await mxSinks(1);
    const d = await dns([{ name: 'other.test', type: 'A', data: s!.host }]);
    d.fail('broken.test');
    const out = await agent({ mode: 'mx', port: s!.port, dnsServers: [d.address] }).deliver(req(['x@nowhere.test', 'y@broken.test']));
    expect(out[0]!.status).toBe('failed');
    expect(out[0]!.reply).toMatch(/^550 5\.1\.2 /);
    expect(out[1]!.status).toBe('deferred');
    expect(out[1]!.reply).toMatch(/^451 4\.4\.3 /);
  });

  test('recipients are grouped by domain: one transaction per domain', async () => {
    const [a, b] = await mxSinks(2);
    const d = await dns([
      { name: 'one.test', type: 'MX', data: { preference: 10, exchange: 'mx.one.test' } },
      { name: 'two.test', type: 'MX', data: { preference: 10, exchange: 'mx.two.test' } },
      { name: 'mx.one.test', type: 'A', data: a!.host },
      { name: 'mx.two.test', type: 'A', data: b!.host },
    ]);
    const out = await agent({ mode: 'mx', port: a!.port, dnsServers: [d.address] }).deliver(req(['p@one.test', 'q@TWO.test', 'r@one.test']));
    expect(out.map((r) => [r.address, r.status, r.remoteHost])).toEqual([
      ['p@one.test', 'delivered', 'mx.one.test'],
      ['q@TWO.test', 'delivered', 'mx.two.test'],
      ['r@one.test', 'delivered', 'mx.one.test'],
    ]);
    expect(a!.messages.map((m) => m.recipients)).toEqual([['p@one.test', 'r@one.test']]);
    expect(b!.messages.map((m) => m.recipients)).toEqual([['q@TWO.test']]);
  });

  test('MX and address answers are cached; the connection is reused for the next message', async () => {
    const [s] = await mxSinks(1);
    const d = await dns([
      { name: 'partner.test', type: 'MX', ttl: 600, data: { preference: 10, exchange: 'mx.partner.test' } },
      { name: 'mx.partner.test', type: 'A', ttl: 600, data: s!.host },
    ]);
    const a = agent({ mode: 'mx', port: s!.port, dnsServers: [d.address] });
    await a.deliver(req(['x@partner.test']));
    const after1 = d.queries.length;
    await a.deliver(req(['y@partner.test']));
    expect(d.queries.length).toBe(after1);
    expect(s!.messages).toHaveLength(2);
    expect(s!.connections).toBe(1);
  });

  test('an address literal is delivered to that address', async () => {
    const [s] = await mxSinks(1);
    const out = await agent({ mode: 'mx', port: s!.port, dnsServers: ['127.0.0.1:9'] }).deliver(req([`x@[${s!.host}]`]));
    expect(out[0]!.status).toBe('delivered');
  });

  test('cached answers expire with their TTL', async () => {
    const [s] = await mxSinks(1);
    const d = await dns([
      { name: 'partner.test', type: 'MX', ttl: 30, data: { preference: 10, exchange: 'mx.partner.test' } },
      { name: 'mx.partner.test', type: 'A', ttl: 30, data: s!.host },
    ]);
    let now = Date.now();
    const a = createDeliveryAgent({ mode: 'mx', port: s!.port, dnsServers: [d.address] }, {
      hostname: 'gw.sealgate.test',
      limits: defaultLimits(),
      logger,
      dns: { now: () => now, mxCacheSeconds: 30 },
    });
    cleanups.push(() => a.close());
    await a.deliver(req(['x@partner.test']));
    const aQueries = () => d.queries.filter((q) => q.name === 'mx.partner.test' && q.type === 1).length;
    expect(aQueries()).toBe(1);
    now += 10_000;
    await a.deliver(req(['x@partner.test']));
    expect(aQueries()).toBe(1);
    now += 25_000;
    await a.deliver(req(['x@partner.test']));
    expect(aQueries()).toBe(2);
    expect(s!.messages).toHaveLength(3);
  });

  test('a large DNS answer (truncated over UDP) is fetched over TCP', async () => {
    const [s] = await mxSinks(1);
    const records: DnsRecord[] = [{ name: 'big.test', type: 'MX', data: { preference: 1, exchange: 'mx.big.test' } }];
    for (let i = 0; i < 80; i++) {
      records.push({ name: 'big.test', type: 'MX', data: { preference: 50 + i, exchange: `backup-mail-exchanger-number-${i}.big.test` } });
    }
    records.push({ name: 'mx.big.test', type: 'A', data: s!.host });
    const d = await dns(records);
    const out = await agent({ mode: 'mx', port: s!.port, dnsServers: [d.address] }).deliver(req(['x@big.test']));
    expect(out[0]).toMatchObject({ status: 'delivered', remoteHost: 'mx.big.test' });
    expect(d.queries.some((q) => q.name === 'big.test' && q.tcp)).toBe(true);
  });

  test('TLS policy from the agent: required and verified against the MX host name', async () => {
    const [s] = await mxSinks(1, [{ tls: true }]);
    const d = await dns([
      { name: 'partner.test', type: 'MX', data: { preference: 10, exchange: 'sink.test' } },
      { name: 'sink.test', type: 'A', data: s!.host },
      { name: 'other.test', type: 'MX', data: { preference: 10, exchange: 'mx.other.test' } },
      { name: 'mx.other.test', type: 'A', data: s!.host },
    ]);
    const a = createDeliveryAgent({ mode: 'mx', port: s!.port, dnsServers: [d.address] }, {
      hostname: 'gw.sealgate.test',
      limits: defaultLimits(),
      logger,
      tls: { requireTls: { verify: true, ca: [Buffer.from(s!.certPem!)] } },
    });
    cleanups.push(() => a.close());
    const out = await a.deliver(req(['x@partner.test', 'y@other.test']));
    // sink.test matches the certificate; mx.other.test does not, so that one waits.
    expect(out.map((r) => [r.status, r.tls])).toEqual([
      ['delivered', true],
      ['deferred', false],
    ]);
    expect(out[1]!.reply).toMatch(/^451 4\.7\.5 /);
    expect(s!.messages).toHaveLength(1);
  });

  test('opportunistic TLS can be switched off', async () => {
    const s = await startSmtpSink({ tls: true });
    cleanups.push(() => s.close());
    const a = createDeliveryAgent({ mode: 'internal', host: s.host, port: s.port }, { hostname: 'gw.sealgate.test', limits: defaultLimits(), logger, tls: { opportunistic: false } });
    cleanups.push(() => a.close());
    const out = await a.deliver(req(['x@a.test']));
    expect(out[0]).toMatchObject({ status: 'delivered', tls: false });
    expect(s.commands).not.toContain('STARTTLS');
  });
});
