// Leases during long deliveries: the manager renews the lease of a message it is delivering, so
// no other node takes it over; if the lease is lost anyway, the delivery is aborted and the old
// holder's result is not written over the new holder's. stop() lets a short delivery finish.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Readable } from 'node:stream';
import { defaultLimits } from '../../src/config/limits.js';
import type { DeliveryAgent, DeliveryRequest, RecipientResult } from '../../src/delivery/types.js';
import { createAcceptor } from '../../src/queue/ingest.js';
import { createQueueManager } from '../../src/queue/manager.js';
import type { OpenedStore } from '../../src/store/open.js';
import { startSmtpSink, type SmtpSink } from '../helpers/smtp-sink.js';
import { makeBackend, type Backend } from '../store/backends.js';
import { createTestAgent } from './test-agent.js';
import { createTestBounce } from './test-bounce.js';

/** The real test agent, after a pause (a slow next hop). Reports whether it saw an abort. */
function slowAgent(inner: DeliveryAgent, delayMs: number): DeliveryAgent & { aborted: boolean } {
  const a = {
    aborted: false,
    async deliver(req: DeliveryRequest, signal?: AbortSignal): Promise<RecipientResult[]> {
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, delayMs);
        signal?.addEventListener('abort', () => {
          a.aborted = true;
          clearTimeout(t);
          resolve();
        });
      });
      if (signal?.aborted) return req.recipients.map((address) => ({ address, status: 'deferred' as const, reply: '421 4.4.2 aborted' }));
      return inner.deliver(req, signal);
    },
  };
  return a;
}

describe('leases while delivering', () => {
  let be: Backend;
  let store: OpenedStore;
  let sink: SmtpSink;
  beforeAll(async () => {
    be = await makeBackend('sqlite', 'leases');
    store = await be.open();
    sink = await startSmtpSink();
  });
  afterAll(async () => {
    await sink.close();
    await be.cleanup();
  });

  const accept = async (): Promise<string> => {
    const r = await createAcceptor({ store, hostname: 'gw', limits: defaultLimits(), clock: { now: () => new Date() }, audit: store.audit }).accept(
      { direction: 'inbound', sender: 'a@b.example', recipients: ['x@hospital.test'], clientIp: '192.0.2.1', clientHelo: 'b.example', tls: false, receivedAt: new Date() },
      Readable.from([Buffer.from('Subject: slow\r\n\r\nx\r\n')]),
    );
    return /queued as (\S+)/.exec(r.text)![1]!;
  };
  const manager = (agent: DeliveryAgent, extra: object = {}) =>
    createQueueManager({
      store,
      owner: 'node-slow',
      limits: { ...defaultLimits(), leaseTime: 5 },
      clock: { now: () => new Date() },
      delivery: { inbound: agent, outbound: agent },
      bounce: createTestBounce(),
      isLocalDomain: () => true,
      ...extra,
    });

  it('renews the lease of a long delivery, so nobody else can claim it', async () => {
    const id = await accept();
    const agent = slowAgent(createTestAgent(sink), 2600);
    const mgr = manager(agent);
    const t0 = Date.now();
    const run = mgr.runOnce();
    await new Promise((r) => setTimeout(r, 2200));
    const m = (await store.queue.get(id))!;
    expect(m.state).toBe('active');
    expect(m.leaseOwner).toBe('node-slow');
    // Claimed with a 5 s lease at ~t0; renewed (every ~1.7 s) to a later deadline.
    expect(m.leaseUntil!.getTime()).toBeGreaterThan(t0 + 5000 + 1000);
    expect(await store.queue.claim('node-other', new Date(t0 + 5500), 5000, 10)).toEqual([]);
    await run;
    expect((await store.queue.get(id))!.state).toBe('delivered');
  });

  it('a delivery whose lease was taken away is aborted and its result not recorded', async () => {
    const id = await accept();
    const agent = slowAgent(createTestAgent(sink), 4000);
    const mgr = manager(agent);
    const run = mgr.runOnce();
    await new Promise((r) => setTimeout(r, 300));
    // Another node takes the message (e.g. this one was presumed dead).
    expect(await store.queue.update(id, null, { state: 'deferred', releaseLease: true })).toBe(true);
    const stolen = await store.queue.claim('node-new', new Date(), 60_000, 10);
    expect(stolen.map((m) => m.id)).toEqual([id]);
    await run;
    expect(agent.aborted).toBe(true);
    const m = (await store.queue.get(id))!;
    expect([m.state, m.leaseOwner]).toEqual(['active', 'node-new']);
    expect(m.recipients[0]!.status).toBe('pending');
  });

  it('never runs more deliveries at once than limits.deliveryConcurrency', async () => {
    for (const m of await store.queue.list({ states: ['active', 'incoming', 'deferred'] })) await store.queue.update(m.id, null, { state: 'delivered', releaseLease: true });
    const inner = createTestAgent(sink);
    let now = 0;
    let peak = 0;
    const counting: DeliveryAgent = {
      async deliver(req, signal) {
        peak = Math.max(peak, ++now);
        await new Promise((r) => setTimeout(r, 150));
        try {
          return await inner.deliver(req, signal);
        } finally {
          now--;
        }
      },
    };
    const ids = [];
    for (let i = 0; i < 6; i++) ids.push(await accept());
    const mgr = manager(counting, { pollIntervalMs: 20, limits: { ...defaultLimits(), leaseTime: 5, deliveryConcurrency: 2 } });
    mgr.start();
    try {
      for (let i = 0; i < 200; i++) {
        const states = await Promise.all(ids.map(async (id) => (await store.queue.get(id))!.state));
        if (states.every((s) => s === 'delivered')) break;
        await new Promise((r) => setTimeout(r, 25));
      }
    } finally {
      await mgr.stop();
    }
    for (const id of ids) expect((await store.queue.get(id))!.state).toBe('delivered');
    expect(peak).toBe(2);
  });

  it('stop() lets a short in-flight delivery finish', async () => {
    for (const m of await store.queue.list({ states: ['active'] })) await store.queue.update(m.id, null, { state: 'delivered', releaseLease: true });
    const id = await accept();
    const agent = slowAgent(createTestAgent(sink), 500);
    const mgr = manager(agent, { pollIntervalMs: 20 });
    mgr.start();
    for (let i = 0; i < 100 && (await store.queue.get(id))!.state !== 'active'; i++) await new Promise((r) => setTimeout(r, 10));
    await mgr.stop();
    expect(agent.aborted).toBe(false);
    expect((await store.queue.get(id))!.state).toBe('delivered');
  });
});
