// Queue administration as the CLI uses it: hold, release (with the --approve hook), retry and
// delete change the queue as promised, leave a message a node is working on alone, and every
// change is in the audit trail with the actor who made it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Readable } from 'node:stream';
import { defaultLimits } from '../../src/config/limits.js';
import { createQueueAdmin } from '../../src/queue/admin.js';
import { createAcceptor } from '../../src/queue/ingest.js';
import type { OpenedStore } from '../../src/store/open.js';
import { makeBackend, type Backend } from '../store/backends.js';

describe('queue admin', () => {
  let be: Backend;
  let store: OpenedStore;
  let n = 0;
  const clock = { t: Date.parse('2026-06-01T12:00:00Z'), now() { return new Date(this.t); } };

  beforeAll(async () => {
    be = await makeBackend('sqlite', 'admin');
    store = await be.open();
  });
  afterAll(async () => {
    await be.cleanup();
  });

  async function queued(): Promise<string> {
    const a = createAcceptor({ store, hostname: 'gw', limits: defaultLimits(), clock, audit: store.audit, idGen: () => `A${++n}` });
    const r = await a.accept(
      { direction: 'outbound', sender: 'dr@hospital.test', recipients: ['p@partner.example'], clientIp: '10.1.1.1', clientHelo: 'ehr', tls: true, receivedAt: clock.now() },
      Readable.from([Buffer.from('Subject: x\r\n\r\nbody\r\n')]),
    );
    return /queued as (\S+)/.exec(r.text)![1]!;
  }
  const last = async (id: string) => (await store.audit.list({ messageId: id })).at(-1)!;

  it('hold and release, audited with the actor; release can carry an approval', async () => {
    const approvals: Array<{ id: string; approve: boolean; actor: string }> = [];
    const admin = createQueueAdmin(store, {
      actor: 'cli:root',
      clock,
      onRelease: async (m, ctx) => {
        approvals.push({ id: m.id, approve: ctx.approve, actor: ctx.actor });
        return ctx.approve ? { lastError: 'approved' } : undefined;
      },
    });
    const id = await queued();
    expect(await admin.hold(id, 'checking')).toBe(true);
    let m = (await store.queue.get(id))!;
    expect([m.state, m.holdReason]).toEqual(['hold', 'checking']);
    expect(await last(id)).toMatchObject({ type: 'held', actor: 'cli:root', data: { from: 'incoming', reason: 'checking' } });
    expect(await admin.hold(id)).toBe(false); // already held

    expect(await admin.release(id, 'looked fine', { approve: true })).toBe(true);
    m = (await store.queue.get(id))!;
    expect([m.state, m.holdReason, m.lastError]).toEqual(['incoming', null, 'approved']);
    expect(m.nextAttempt!.getTime()).toBe(clock.t);
    expect(approvals).toEqual([{ id, approve: true, actor: 'cli:root' }]);
    expect(await last(id)).toMatchObject({ type: 'released', actor: 'cli:root', data: { approve: true, reason: 'looked fine', holdReason: 'checking' } });
    expect(await admin.release(id)).toBe(false); // not held any more
  });

  it('retry makes a deferred message due now', async () => {
    const admin = createQueueAdmin(store, { actor: 'web:alice', clock });
    const id = await queued();
    await store.queue.update(id, null, { state: 'deferred', processedKey: id, nextAttempt: new Date(clock.t + 3_600_000) });
    expect(await admin.retry(id)).toBe(true);
    const m = (await store.queue.get(id))!;
    expect([m.state, m.nextAttempt!.getTime()]).toEqual(['deferred', clock.t]);
    expect(await last(id)).toMatchObject({ type: 'retried', actor: 'web:alice' });
    const claimed = await store.queue.claim('n', clock.now(), 1000, 10);
    expect(claimed.map((c) => c.id)).toContain(id);
  });

  it('leaves a message alone while a node holds a valid lease on it', async () => {
    const admin = createQueueAdmin(store, { actor: 'cli:root', clock });
    const id = await queued();
    await store.queue.claim('node-x', clock.now(), 60_000, 100);
    expect(await admin.hold(id)).toBe(false);
    expect(await admin.remove(id)).toBe(false);
    clock.t += 60_001; // lease expired: the node is presumed dead
    expect(await admin.hold(id, 'stuck')).toBe(true);
    expect((await store.queue.get(id))!.leaseOwner).toBeNull();
  });

  it('delete removes the row and the spooled bytes, audited', async () => {
    const admin = createQueueAdmin(store, { actor: 'cli:root', clock });
    const id = await queued();
    expect((await store.spool.read(id)).length).toBeGreaterThan(0);
    expect(await admin.remove(id, 'spam')).toBe(true);
    expect(await store.queue.get(id)).toBeNull();
    await expect(store.spool.read(id)).rejects.toThrow();
    expect(await last(id)).toMatchObject({ type: 'deleted', actor: 'cli:root', data: { reason: 'spam', sender: 'dr@hospital.test', recipients: ['p@partner.example'] } });
    expect(await admin.remove(id)).toBe(false);
    expect((await store.audit.verify()).ok).toBe(true);
  });
});
