// Two queue managers (two stores, two connection pools: two nodes) on one PostgreSQL database,
// both running, deliver every queued message exactly once to a real SMTP sink, with the bytes in
// the database spool (no shared folder).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Readable } from 'node:stream';
import { defaultLimits } from '../../src/config/limits.js';
import { createAcceptor } from '../../src/queue/ingest.js';
import { createQueueManager } from '../../src/queue/manager.js';
import type { OpenedStore } from '../../src/store/open.js';
import { startSmtpSink, type SmtpSink } from '../helpers/smtp-sink.js';
import { makeBackend, type Backend } from '../store/backends.js';
import { createTestAgent } from './test-agent.js';
import { createTestBounce } from './test-bounce.js';

const COUNT = 60;

describe('two nodes on one PostgreSQL database', () => {
  let be: Backend;
  let a: OpenedStore;
  let b: OpenedStore;
  let sink: SmtpSink;
  beforeAll(async () => {
    be = await makeBackend('postgres', 'cluster');
    a = await be.open();
    b = await be.open();
    sink = await startSmtpSink();
  });
  afterAll(async () => {
    await sink.close();
    await be.cleanup();
  });

  it('deliver every message exactly once', async () => {
    const limits = { ...defaultLimits(), deliveryConcurrency: 4 };
    const agents = [createTestAgent(sink), createTestAgent(sink)];
    const node = (store: OpenedStore, owner: string, i: number) =>
      createQueueManager({
        store,
        owner,
        limits,
        clock: { now: () => new Date() },
        delivery: { inbound: agents[i]!, outbound: agents[i]! },
        bounce: createTestBounce(),
        isLocalDomain: () => false,
        pollIntervalMs: 50,
      });
    const n1 = node(a, 'node-1', 0);
    const n2 = node(b, 'node-2', 1);
    // Half the messages arrive through each node, as with two MX hosts.
    for (let i = 0; i < COUNT; i++) {
      const store = i % 2 ? a : b;
      const acc = createAcceptor({ store, hostname: 'gw', limits, clock: { now: () => new Date() }, audit: store.audit });
      const r = await acc.accept(
        { direction: 'outbound', sender: 'dr@hospital.test', recipients: ['p@partner.example'], clientIp: '10.0.0.2', clientHelo: 'ehr', tls: false, receivedAt: new Date() },
        Readable.from([Buffer.from(`X-Seq: ${i}\r\nSubject: t\r\n\r\nbody ${i}\r\n`)]),
      );
      expect(r.code).toBe(250);
    }
    n1.start();
    n2.start();
    try {
      await sink.waitFor(COUNT, 30_000);
      await new Promise((r) => setTimeout(r, 300)); // would-be duplicates get a chance to show
    } finally {
      await Promise.all([n1.stop(), n2.stop()]);
    }
    const seqs = sink.messages.map((m) => /X-Seq: (\d+)/.exec(m.data.toString())![1]);
    expect(seqs.length).toBe(COUNT);
    expect(new Set(seqs).size).toBe(COUNT);
    const states = await a.queue.list();
    expect(states.every((m) => m.state === 'delivered')).toBe(true);
    // Both nodes took part, and between them made exactly COUNT delivery attempts.
    expect(agents[0]!.calls.length).toBeGreaterThan(0);
    expect(agents[1]!.calls.length).toBeGreaterThan(0);
    expect(agents[0]!.calls.length + agents[1]!.calls.length).toBe(COUNT);
    expect((await a.audit.list({ type: 'delivered' })).length).toBe(COUNT);
    expect((await b.audit.verify()).ok).toBe(true);
  });
});
