// Privacy review of held messages through the real queue manager, pipeline and SMTP delivery, on
// SQLite and PostgreSQL (migration 0006_review): a PHI message to a destination that is not
// allowed is held; approving it re-runs the pipeline with StageMessage.review set (the decision
// stage then protects it and records the approver); rejecting it returns it to the sender with a
// DSN carrying the reason; both are audited with the actor.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Readable } from 'node:stream';
import { defaultLimits } from '../../src/config/limits.js';
import { createAcceptor } from '../../src/queue/ingest.js';
import { createQueueManager, type QueueManager } from '../../src/queue/manager.js';
import { createPipeline } from '../../src/pipeline/run.js';
import type { StageMessage } from '../../src/pipeline/stage.js';
import { createDeliveryAgent } from '../../src/delivery/agent.js';
import { createBounceBuilder } from '../../src/delivery/dsn.js';
import { silentLogger } from '../../src/queue/logger.js';
import { DestinationRegistry } from '../../src/destinations/index.js';
import { OUTBOUND_DEFAULTS } from '../../src/outbound/config.js';
import { createDecideStage, policyDecision } from '../../src/outbound/decide-stage.js';
import { approveHeld, listHeld, rejectHeld } from '../../src/outbound/review.js';
import type { OpenedStore } from '../../src/store/open.js';
import { startSmtpSink, type SmtpSink } from '../helpers/smtp-sink.js';
import { makeBackend, type Backend } from '../store/backends.js';

const PHI =
  'From: Dr. Ann Lee <ann.lee@hospital.test>\r\nTo: <x@gmail.example>\r\nSubject: Referral\r\nMIME-Version: 1.0\r\nContent-Type: text/plain\r\n\r\n' +
  'Patient: John Smith\r\nDOB: 03/14/1962\r\nMRN: 4482913\r\n\r\nAssessment: type 2 diabetes mellitus with diabetic neuropathy.\r\nStarted metformin 500 mg twice daily.\r\n';

for (const kind of ['sqlite', 'postgres'] as const)
  describe(`privacy review on ${kind}`, () => {
    let be: Backend;
    let store: OpenedStore;
    let sink: SmtpSink;
    let mgr: QueueManager;
    const seen: StageMessage[] = [];
    let n = 0;

    beforeAll(async () => {
      be = await makeBackend(kind, 'review');
      store = await be.open();
      sink = await startSmtpSink();
      const registry = new DestinationRegistry(store);
      const decide = createDecideStage({ config: OUTBOUND_DEFAULTS, registry, audit: store.audit, isLocalDomain: (d) => d === 'hospital.test' });
      const spy = { name: 'spy', directions: ['outbound' as const], process: async (m: StageMessage) => (seen.push(m), { kind: 'continue' as const }) };
      const run = createPipeline({ stages: [decide, spy], timeoutMs: 30_000 });
      const agent = createDeliveryAgent({ mode: 'internal', host: sink.host, port: sink.port }, { hostname: 'gw.hospital.test', limits: defaultLimits(), logger: silentLogger, pool: { maxIdlePerDestination: 0, maxIdleTotal: 0 } });
      mgr = createQueueManager({
        store,
        owner: 'node-1',
        limits: defaultLimits(),
        clock: { now: () => new Date() },
        pipeline: run,
        delivery: { inbound: agent, outbound: agent },
        bounce: createBounceBuilder({ hostname: 'gw.hospital.test', postmaster: 'postmaster@hospital.test' }),
        isLocalDomain: (d) => d === 'hospital.test',
        idGen: () => `R${kind}${++n}`,
      });
    }, 60_000);
    afterAll(async () => {
      await sink?.close();
      await store?.close();
      await be?.cleanup();
    });

    async function held(): Promise<string> {
      const a = createAcceptor({ store, hostname: 'gw.hospital.test', limits: defaultLimits(), clock: { now: () => new Date() }, audit: store.audit, idGen: () => `M${kind}${++n}` });
      const reply = await a.accept(
        { direction: 'outbound', sender: 'ann.lee@hospital.test', recipients: ['x@gmail.example'], clientIp: '127.0.0.1', clientHelo: 'ehr', tls: false, receivedAt: new Date() },
        Readable.from([Buffer.from(PHI)]),
      );
      const id = /queued as (\S+)/.exec(reply.text)![1]!;
      await mgr.runOnce();
      const m = (await store.queue.get(id))!;
      expect(m.state).toBe('hold');
      expect(m.holdReason).toContain('x@gmail.example');
      expect(m.review).toBeNull();
      return id;
    }

    it('approve: the pipeline runs again with the review and the decision stage protects it', async () => {
      const id = await held();
      const list = await listHeld(store);
      expect(list.find((h) => h.message.id === id)?.decision).toMatchObject({ action: 'hold', notAllowed: ['x@gmail.example'] });
      expect(await approveHeld({ store, actor: 'web:privacy' }, id, 'patient asked for it')).toEqual({ ok: true });
      expect((await store.queue.get(id))!.review).toMatchObject({ kind: 'approve', by: 'web:privacy', reason: 'patient asked for it' });
      seen.length = 0;
      await mgr.runOnce();
      expect(seen).toHaveLength(1);
      expect(seen[0]!.review).toMatchObject({ approvedBy: 'web:privacy', reason: 'patient asked for it' });
      expect(policyDecision(seen[0]!)).toMatchObject({ action: 'protect', approvedBy: 'web:privacy' });
      expect((await store.queue.get(id))!.state).toBe('delivered');
      const audit = await store.audit.list({ messageId: id });
      expect(audit.find((r) => r.type === 'released')).toMatchObject({ actor: 'web:privacy', data: { approve: true } });
      expect(audit.filter((r) => r.type === 'policy-decision').map((r) => (r.data as { action: string }).action)).toEqual(['hold', 'protect']);
    });

    it('reject: the sender gets a DSN with the reason; the message never reaches the recipient', async () => {
      const id = await held();
      sink.messages.length = 0;
      expect(await rejectHeld({ store, actor: 'cli:privacy' }, id, '   ')).toEqual({ ok: false, error: 'a reason is required to reject a message' });
      expect(await rejectHeld({ store, actor: 'cli:privacy' }, id, 'external address; use the portal')).toEqual({ ok: true });
      await mgr.runOnce(); // the reject: DSN queued
      await mgr.runOnce(); // the DSN delivered
      const m = (await store.queue.get(id))!;
      expect(m.state).toBe('bounced');
      expect(sink.messages.map((x) => x.recipients)).toEqual([['ann.lee@hospital.test']]);
      const dsn = sink.messages[0]!;
      expect(dsn.sender).toBe('');
      expect(dsn.data.toString()).toContain('rejected by privacy review: external address; use the portal');
      expect(dsn.data.toString()).not.toContain('4482913');
      const audit = await store.audit.list({ messageId: id });
      expect(audit.find((r) => r.type === 'review-rejected')).toMatchObject({ actor: 'cli:privacy', data: { reason: 'external address; use the portal' } });
      expect(audit.find((r) => r.type === 'bounced')).toBeTruthy();
      expect(await rejectHeld({ store, actor: 'cli:privacy' }, id, 'again')).toMatchObject({ ok: false });
    });
  });
