// The queue manager against a real SMTP sink over loopback: a message is delivered byte-intact;
// a 4xx defers it with backoff and it is delivered once the next hop recovers; a 5xx gives exactly
// one DSN (null sender, to the original sender); expiry gives a DSN; a null-sender message is never
// bounced; the pipeline's hold / reject / tempfail / variants are honoured.
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Readable } from 'node:stream';
import { defaultLimits, type Limits } from '../../src/config/limits.js';
import { createAcceptor } from '../../src/queue/ingest.js';
import { createQueueManager, retryDelayMs, type PipelineFn, type QueueManager } from '../../src/queue/manager.js';
import type { Envelope } from '../../src/queue/types.js';
import type { OpenedStore } from '../../src/store/open.js';
import { startSmtpSink, type SmtpSink } from '../helpers/smtp-sink.js';
import { makeBackend, type Backend } from '../store/backends.js';
import { createDeliveryAgent } from '../../src/delivery/agent.js';
import type { DeliveryAgent } from '../../src/delivery/types.js';
import { silentLogger } from '../../src/queue/logger.js';
import { createTestAgent } from './test-agent.js';
import { createTestBounce } from './test-bounce.js';

const T0 = new Date('2026-05-01T08:00:00Z');
const body = (tag: string) => Buffer.from(`From: s@partner.example\r\nTo: x@hospital.test\r\nSubject: ${tag}\r\n\r\nline\r\n.dot\r\n`, 'latin1');

class Clock {
  t = T0.getTime();
  now = (): Date => new Date(this.t);
  advance(ms: number): void {
    this.t += ms;
  }
}

// Run once with this folder's minimal SMTP client and once with the gateway's real delivery agent
// (src/delivery/agent.ts): the queue's behaviour must not depend on which one delivers.
for (const agentKind of ['test agent', 'delivery agent'] as const)
describe(`queue manager with a real SMTP next hop (${agentKind})`, () => {
  let be: Backend;
  let store: OpenedStore;
  let sink: SmtpSink;
  let agent: DeliveryAgent & { close?: () => Promise<void> };
  let clock: Clock;
  let limits: Limits;
  let bounce: ReturnType<typeof createTestBounce>;
  let mgr: QueueManager;
  let n = 0;
  let rcptReply: (addr: string) => string | undefined;
  let dataReply: () => string | undefined;
  let pipeline: PipelineFn | undefined;

  beforeAll(async () => {
    be = await makeBackend('sqlite', 'manager');
    store = await be.open();
    sink = await startSmtpSink({ replyTo: (phase, arg) => (phase === 'rcpt' ? rcptReply(arg) : phase === 'data' ? dataReply() : undefined) });
  });
  afterAll(async () => {
    await agent?.close?.();
    await sink.close();
    await be.cleanup();
  });

  beforeEach(async () => {
    sink.messages.length = 0;
    rcptReply = () => undefined;
    dataReply = () => undefined;
    pipeline = undefined;
    clock = new Clock();
    limits = { ...defaultLimits(), retryBase: 60, retryMax: 3600, messageLifetime: 3 * 3600 };
    await agent?.close?.();
    agent =
      agentKind === 'test agent'
        ? createTestAgent({ host: sink.host, port: sink.port })
        : createDeliveryAgent(
            { mode: 'internal', host: sink.host, port: sink.port },
            // No connection reuse: each test changes how the sink answers.
            { hostname: 'gw.hospital.test', limits: defaultLimits(), logger: silentLogger, pool: { maxIdlePerDestination: 0, maxIdleTotal: 0 } },
          );
    bounce = createTestBounce();
    mgr = makeManager();
    // Everything left over from a previous test is out of the way.
    for (const m of await store.queue.list()) await store.queue.remove(m.id);
  });

  function makeManager(owner = 'node-1'): QueueManager {
    return createQueueManager({
      store,
      owner,
      limits,
      clock,
      pipeline: (m) => (pipeline ? pipeline(m) : Promise.resolve({ kind: 'deliver' })),
      delivery: { inbound: agent, outbound: agent },
      bounce,
      isLocalDomain: (d) => d === 'hospital.test',
      logger: undefined,
      random: () => 0.5,
      idGen: () => `Q${++n}`,
      hostname: 'gw.hospital.test',
    });
  }

  async function ingest(over: Partial<Envelope> = {}, tag = 'hello'): Promise<string> {
    const a = createAcceptor({ store, hostname: 'gw.hospital.test', limits, clock, audit: store.audit, idGen: () => `M${++n}` });
    const reply = await a.accept(
      { direction: 'inbound', sender: 's@partner.example', recipients: ['x@hospital.test'], clientIp: '198.51.100.9', clientHelo: 'partner.example', tls: true, receivedAt: clock.now(), ...over },
      Readable.from([body(tag)]),
    );
    return /queued as (\S+)/.exec(reply.text)![1]!;
  }

  const auditTypes = async (id: string) => (await store.audit.list({ messageId: id })).map((r) => r.type);

  it('delivers a message byte-intact and records it', async () => {
    const id = await ingest();
    const spooled = await store.spool.read(id);
    expect(await mgr.runOnce()).toBe(1);
    expect(sink.messages).toHaveLength(1);
    expect(sink.messages[0]!.data.equals(spooled)).toBe(true);
    // Delivered: the bytes (PHI) are gone from the spool, the metadata row stays.
    await expect(store.spool.read(id)).rejects.toThrow();
    expect(sink.messages[0]!.sender).toBe('s@partner.example');
    expect(sink.messages[0]!.recipients).toEqual(['x@hospital.test']);
    const m = (await store.queue.get(id))!;
    expect(m.state).toBe('delivered');
    expect(m.leaseOwner).toBeNull();
    expect(m.attempts).toBe(1);
    expect(m.recipients[0]).toMatchObject({ status: 'delivered' });
    expect(await auditTypes(id)).toEqual(['received', 'delivered']);
    expect(await mgr.runOnce()).toBe(0);
  });

  it('defers on 4xx with backoff, then delivers once the next hop recovers', async () => {
    rcptReply = () => '451 4.3.0 try again later';
    const id = await ingest();
    await mgr.runOnce();
    let m = (await store.queue.get(id))!;
    expect(m.state).toBe('deferred');
    expect(m.attempts).toBe(1);
    expect(m.lastError).toBe('451 4.3.0 try again later');
    expect(m.nextAttempt!.getTime() - clock.t).toBe(60_000);
    expect(sink.messages).toHaveLength(0);

    clock.advance(59_000);
    expect(await mgr.runOnce()).toBe(0); // not due yet
    clock.advance(1_000);
    await mgr.runOnce();
    m = (await store.queue.get(id))!;
    expect(m.attempts).toBe(2);
    expect(m.nextAttempt!.getTime() - clock.t).toBe(120_000); // doubled

    rcptReply = () => undefined;
    clock.advance(120_000);
    await mgr.runOnce();
    m = (await store.queue.get(id))!;
    expect(m.state).toBe('delivered');
    expect(sink.messages).toHaveLength(1);
    expect(bounce.built).toHaveLength(0);
    expect(await auditTypes(id)).toEqual(['received', 'deferred', 'deferred', 'delivered']);
  });

  it('defers when the next hop is down (connection refused)', async () => {
    await sink.setDown(true);
    try {
      const id = await ingest();
      await mgr.runOnce();
      const m = (await store.queue.get(id))!;
      expect(m.state).toBe('deferred');
      expect(m.lastError).toMatch(/^4/);
    } finally {
      await sink.setDown(false);
    }
  });

  it('5xx for two recipients gives one DSN for both, sent with the null sender to the sender', async () => {
    rcptReply = (a) => (a.startsWith('nobody') ? '550 5.1.1 no such user' : undefined);
    const id = await ingest({ recipients: ['nobody1@hospital.test', 'nobody2@hospital.test', 'x@hospital.test'] });
    await mgr.runOnce();
    const m = (await store.queue.get(id))!;
    expect(m.state).toBe('bounced');
    expect(m.recipients.map((r) => [r.address, r.status])).toEqual([
      ['nobody1@hospital.test', 'failed'],
      ['nobody2@hospital.test', 'failed'],
      ['x@hospital.test', 'delivered'],
    ]);
    expect(bounce.built).toHaveLength(1);
    expect(bounce.built[0]).toMatchObject({ orig: id, reason: 'failed', failed: ['nobody1@hospital.test', 'nobody2@hospital.test'] });
    expect(bounce.built[0]!.headers).toContain('Subject: hello\r\n');
    expect(bounce.built[0]!.headers).not.toContain('.dot');
    const dsns = (await store.queue.list()).filter((q) => q.id !== id);
    expect(dsns).toHaveLength(1);
    expect(dsns[0]).toMatchObject({ sender: '', direction: 'outbound', state: 'incoming' });
    expect(dsns[0]!.recipients.map((r) => r.address)).toEqual(['s@partner.example']);
    expect(await auditTypes(id)).toEqual(['received', 'delivered', 'dsn-sent', 'bounced']);

    // The DSN itself goes out with MAIL FROM:<>.
    sink.messages.length = 0;
    await mgr.runOnce();
    expect(sink.messages).toHaveLength(1);
    expect(sink.messages[0]!.sender).toBe('');
    expect(sink.messages[0]!.recipients).toEqual(['s@partner.example']);
    expect(sink.messages[0]!.data.toString('latin1')).toContain('report-type=delivery-status');
  });

  it('if no DSN can be built, failed recipients stay queued (never silently dropped) and delivered ones are not resent', async () => {
    rcptReply = (a) => (a.startsWith('nobody') ? '550 5.1.1 no such user' : undefined);
    const realBuild = bounce.build.bind(bounce);
    bounce.build = () => {
      throw new Error('builder broken');
    };
    const id = await ingest({ recipients: ['nobody@hospital.test', 'x@hospital.test'] });
    await mgr.runOnce();
    let m = (await store.queue.get(id))!;
    expect(m.state).toBe('deferred');
    expect(m.recipients.map((r) => [r.address, r.status])).toEqual([
      ['nobody@hospital.test', 'deferred'],
      ['x@hospital.test', 'delivered'],
    ]);
    bounce.build = realBuild;
    clock.advance(60_000);
    await mgr.runOnce();
    m = (await store.queue.get(id))!;
    expect(m.state).toBe('bounced');
    expect(bounce.built.map((b) => b.failed)).toEqual([['nobody@hospital.test']]);
    expect(sink.messages.filter((x) => x.recipients.includes('x@hospital.test'))).toHaveLength(1);
  });

  it('a DSN to one of our own users travels inbound', async () => {
    rcptReply = () => '550 5.7.1 refused';
    await ingest({ direction: 'outbound', sender: 'doctor@hospital.test', recipients: ['ext@partner.example'] });
    await mgr.runOnce();
    const dsn = (await store.queue.list()).find((q) => q.sender === '')!;
    expect(dsn.direction).toBe('inbound');
    expect(dsn.recipients[0]!.address).toBe('doctor@hospital.test');
  });

  it('never bounces a null-sender message, and a failing DSN makes no DSN', async () => {
    rcptReply = () => '550 5.1.1 no such user';
    const id = await ingest({ sender: '' });
    await mgr.runOnce();
    expect((await store.queue.get(id))!.state).toBe('bounced');
    expect(bounce.built).toHaveLength(0);
    expect((await store.queue.list()).map((q) => q.id)).toEqual([id]);
    expect(await auditTypes(id)).toEqual(['received', 'bounced']);
  });

  it('bounces with a DSN after the message lifetime, trying once more first', async () => {
    rcptReply = () => '421 4.4.2 busy';
    const id = await ingest();
    await mgr.runOnce();
    expect((await store.queue.get(id))!.state).toBe('deferred');
    clock.advance(3 * 3600 * 1000 + 1);
    await mgr.runOnce();
    const m = (await store.queue.get(id))!;
    expect(m.state).toBe('bounced');
    expect(m.recipients[0]).toMatchObject({ status: 'failed', lastReply: '421 4.4.2 busy' });
    expect(bounce.built).toHaveLength(1);
    expect(bounce.built[0]).toMatchObject({ reason: 'expired', failed: ['x@hospital.test'] });
    expect(await auditTypes(id)).toEqual(['received', 'deferred', 'dsn-sent', 'bounced']);
  });

  it('an expired null-sender message is dropped without a DSN', async () => {
    rcptReply = () => '421 4.4.2 busy';
    const id = await ingest({ sender: '' });
    clock.advance(3 * 3600 * 1000 + 1);
    await mgr.runOnce();
    expect((await store.queue.get(id))!.state).toBe('bounced');
    expect(bounce.built).toHaveLength(0);
    expect(await store.queue.list({ states: ['incoming'] })).toEqual([]);
  });

  it('pipeline hold parks the message; reject bounces it with a DSN; a throw defers it', async () => {
    pipeline = async (m) => (m.body.includes('HOLDME') ? { kind: 'hold', reason: 'needs review' } : m.body.includes('REJECT') ? { kind: 'reject', reason: 'policy' } : Promise.reject(new Error('boom')));
    const h = await ingest({}, 'HOLDME');
    const r = await ingest({}, 'REJECTME');
    const t = await ingest({}, 'other');
    await mgr.runOnce();
    const held = (await store.queue.get(h))!;
    expect([held.state, held.holdReason]).toEqual(['hold', 'needs review']);
    expect(await auditTypes(h)).toEqual(['received', 'held']);
    expect((await store.queue.get(r))!.state).toBe('bounced');
    expect(bounce.built.map((b) => [b.orig, b.reason])).toEqual([[r, 'rejected']]);
    const tf = (await store.queue.get(t))!;
    expect([tf.state, tf.lastError, tf.processedKey]).toEqual(['deferred', 'pipeline failed', null]);
    expect(sink.messages).toHaveLength(0);
  });

  it('stores the processed body and per-recipient variants, and delivers each variant to its recipients', async () => {
    pipeline = async (m) => ({
      kind: 'deliver',
      variants: [
        { recipients: ['a@hospital.test', 'b@hospital.test'], body: Buffer.from('Subject: for a and b\r\n\r\nA\r\n') },
        { recipients: ['c@hospital.test'], body: Buffer.from('Subject: for c\r\n\r\nC\r\n') },
      ].map((v) => ({ ...v, recipients: v.recipients.filter((x) => m.envelope.recipients.includes(x)) })),
    });
    const id = await ingest({ recipients: ['a@hospital.test', 'b@hospital.test', 'c@hospital.test'] });
    await mgr.runOnce();
    expect((await store.queue.get(id))!.state).toBe('delivered');
    const got = sink.messages.map((s) => [s.recipients.join(','), s.data.toString()]).sort();
    expect(got).toEqual([
      ['a@hospital.test,b@hospital.test', 'Subject: for a and b\r\n\r\nA\r\n'],
      ['c@hospital.test', 'Subject: for c\r\n\r\nC\r\n'],
    ]);
  });

  it('delivers the body the pipeline produced and records where it is spooled', async () => {
    pipeline = async (m) => ({ kind: 'deliver', body: Buffer.concat([Buffer.from('X-Screened: clean\r\n'), m.body]) });
    const id = await ingest();
    const original = await store.spool.read(id);
    await mgr.runOnce();
    const m = (await store.queue.get(id))!;
    expect([m.state, m.processedKey]).toEqual(['delivered', `${id}.p`]);
    await expect(store.spool.read(`${id}.p`)).rejects.toThrow();
    expect(sink.messages[0]!.data.equals(Buffer.concat([Buffer.from('X-Screened: clean\r\n'), original]))).toBe(true);
  });

  it('holds rather than sending the main body when variants miss a recipient', async () => {
    pipeline = async () => ({ kind: 'deliver', variants: [{ recipients: ['a@hospital.test'], body: Buffer.from('X\r\n') }] });
    const id = await ingest({ recipients: ['a@hospital.test', 'b@hospital.test'] });
    await mgr.runOnce();
    expect((await store.queue.get(id))!.state).toBe('hold');
    expect(sink.messages).toHaveLength(0);
  });

  it('retry delays double from retryBase up to retryMax, with a little jitter', () => {
    const l = { retryBase: 60, retryMax: 3600 };
    expect([1, 2, 3, 4, 5, 6, 7, 8].map((a) => retryDelayMs(a, l, () => 0.5) / 1000)).toEqual([60, 120, 240, 480, 960, 1920, 3600, 3600]);
    expect(retryDelayMs(1, l, () => 0)).toBe(54_000);
    expect(retryDelayMs(1, l, () => 0.999999)).toBeLessThanOrEqual(66_000);
    expect(retryDelayMs(30, l, () => 1)).toBe(3_600_000);
  });
});

describe('queue manager lifecycle', () => {
  let be: Backend;
  let store: OpenedStore;
  let sink: SmtpSink;
  let silent = false;
  beforeAll(async () => {
    be = await makeBackend('sqlite', 'lifecycle');
    store = await be.open();
    // silent: accept DATA but never answer, so a delivery hangs until aborted.
    sink = await startSmtpSink({ replyTo: (phase) => (phase === 'data' && silent ? '' : undefined) });
  });
  afterAll(async () => {
    await sink.close();
    await be.cleanup();
  });
  afterEach(() => {
    silent = false;
  });

  const opts = (extra: Partial<Parameters<typeof createQueueManager>[0]> = {}) => ({
    store,
    owner: 'node-L',
    limits: { ...defaultLimits(), leaseTime: 30 },
    clock: { now: () => new Date() },
    delivery: { inbound: createTestAgent(sink, 30_000), outbound: createTestAgent(sink, 30_000) },
    bounce: createTestBounce(),
    isLocalDomain: () => true,
    pollIntervalMs: 60_000,
    ...extra,
  });
  const accept = (mgr: QueueManager) =>
    createAcceptor({ store, hostname: 'gw', limits: defaultLimits(), clock: { now: () => new Date() }, audit: store.audit, onAccepted: () => mgr.kick() }).accept(
      { direction: 'inbound', sender: 'a@b.example', recipients: ['x@hospital.test'], clientIp: '192.0.2.1', clientHelo: 'b.example', tls: false, receivedAt: new Date() },
      Readable.from([body('kick')]),
    );

  it('a kick after accept delivers at once, without waiting for the poll interval', async () => {
    const mgr = createQueueManager(opts());
    mgr.start();
    try {
      const before = sink.messages.length;
      await accept(mgr);
      await sink.waitFor(before + 1, 5000);
    } finally {
      await mgr.stop();
    }
  });

  it('stop() aborts a hung delivery after the grace period and re-queues it, due now', async () => {
    silent = true;
    const mgr = createQueueManager(opts({ stopGraceMs: 300 }));
    mgr.start();
    const seen = sink.commands.length;
    const reply = await accept(mgr);
    const id = /queued as (\S+)/.exec(reply.text)![1]!;
    // Wait until the delivery is under way (DATA sent, no answer).
    for (let i = 0; i < 200 && !sink.commands.slice(seen).includes('DATA'); i++) await new Promise((r) => setTimeout(r, 20));
    expect(sink.commands.slice(seen)).toContain('DATA');
    const t = Date.now();
    await mgr.stop();
    expect(Date.now() - t).toBeLessThan(5000);
    const m = (await store.queue.get(id))!;
    expect(m.state).toBe('deferred');
    expect(m.leaseOwner).toBeNull();
    expect(m.nextAttempt!.getTime()).toBeLessThanOrEqual(Date.now());
    // A new run picks it up and, with the next hop answering again, delivers it.
    silent = false;
    const before = sink.messages.length;
    const again = createQueueManager(opts({ owner: 'node-M' }));
    expect(await again.runOnce()).toBe(1);
    expect(sink.messages.length).toBe(before + 1);
    expect((await store.queue.get(id))!.state).toBe('delivered');
  });

  it('on start, work left active by a crashed run of this node is re-queued at once', async () => {
    const mgr0 = createQueueManager(opts());
    const reply = await accept(mgr0);
    const id = /queued as (\S+)/.exec(reply.text)![1]!;
    // Simulate the crash: claimed with a long lease, then the process died.
    expect((await store.queue.claim('node-L', new Date(), 3_600_000, 10)).map((m) => m.id)).toContain(id);
    const before = sink.messages.length;
    const mgr = createQueueManager(opts());
    mgr.start();
    try {
      await sink.waitFor(before + 1, 5000);
    } finally {
      await mgr.stop();
    }
    expect((await store.queue.get(id))!.state).toBe('delivered');
  });

  it("takes over another node's work once its lease has expired", async () => {
    const clock = { t: Date.now(), now() { return new Date(this.t); } };
    const mgr0 = createQueueManager(opts());
    const id = /queued as (\S+)/.exec((await accept(mgr0)).text)![1]!;
    expect((await store.queue.claim('dead-node', clock.now(), 30_000, 10)).map((m) => m.id)).toEqual([id]);
    const mgr = createQueueManager(opts({ owner: 'node-N', clock }));
    expect(await mgr.runOnce()).toBe(0);
    clock.t += 30_001;
    expect(await mgr.runOnce()).toBe(1);
    expect((await store.queue.get(id))!.state).toBe('delivered');
  });
});
