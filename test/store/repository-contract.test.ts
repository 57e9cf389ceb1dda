// The queue repository contract, run unchanged against SQLite and PostgreSQL: insert/get/list,
// claim marks due work active under a lease, update obeys lease ownership, expired leases are
// taken over, settings and the spool round-trip.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Readable } from 'node:stream';
import type { NewMessage } from '../../src/store/types.js';
import type { OpenedStore } from '../../src/store/open.js';
import { makeBackend, type Backend } from './backends.js';

const T0 = new Date('2026-01-01T00:00:00Z');

function msg(id: string, over: Partial<NewMessage> = {}): NewMessage {
  return {
    id,
    direction: 'inbound',
    sender: 'alice@example.org',
    clientIp: '192.0.2.1',
    clientHelo: 'mx.example.org',
    tls: true,
    authUser: null,
    params: { BODY: '8BITMIME' },
    size: 123,
    spoolKey: id,
    receivedAt: T0,
    expiresAt: new Date(T0.getTime() + 5 * 86400_000),
    recipients: ['bob@hospital.test', 'carol@hospital.test'],
    ...over,
  };
}

function contract(kind: 'sqlite' | 'postgres'): void {
  describe(`queue repository on ${kind}`, () => {
    let be: Backend;
    let store: OpenedStore;
    beforeAll(async () => {
      be = await makeBackend(kind, 'repo');
      store = await be.open();
    });
    afterAll(async () => {
      await be.cleanup();
    });

    it('stores a message with its recipients and reads it back exactly', async () => {
      await store.queue.insert(msg('m1', { recipients: ['bob@hospital.test', 'carol@hospital.test', 'bob@hospital.test'] }));
      const m = await store.queue.get('m1');
      expect(m).not.toBeNull();
      expect(m!.state).toBe('incoming');
      expect(m!.sender).toBe('alice@example.org');
      expect(m!.tls).toBe(true);
      expect(m!.params).toEqual({ BODY: '8BITMIME' });
      expect(m!.size).toBe(123);
      expect(m!.receivedAt.toISOString()).toBe(T0.toISOString());
      expect(m!.attempts).toBe(0);
      expect(m!.processedKey).toBeNull();
      expect(m!.recipients.map((r) => [r.address, r.status])).toEqual([
        ['bob@hospital.test', 'pending'],
        ['carol@hospital.test', 'pending'],
      ]);
      expect(await store.queue.get('nope')).toBeNull();
    });

    it('refuses a message without recipients and a duplicate id', async () => {
      await expect(store.queue.insert(msg('m0', { recipients: [] }))).rejects.toThrow();
      await expect(store.queue.insert(msg('m1'))).rejects.toThrow();
      expect(await store.queue.get('m0')).toBeNull();
    });

    it('claims due messages once, leased to the claimer', async () => {
      const now = new Date(T0.getTime() + 1000);
      const got = await store.queue.claim('node-a', now, 60_000, 10);
      expect(got.map((m) => m.id)).toEqual(['m1']);
      expect(got[0]!.state).toBe('active');
      expect(got[0]!.leaseOwner).toBe('node-a');
      expect(got[0]!.leaseUntil!.getTime()).toBe(now.getTime() + 60_000);
      expect(got[0]!.recipients).toHaveLength(2);
      expect(await store.queue.claim('node-b', now, 60_000, 10)).toEqual([]);
    });

    it('applies updates only for the lease holder, or an administrator', async () => {
      expect(await store.queue.update('m1', 'node-b', { lastError: 'x' })).toBe(false);
      expect(
        await store.queue.update('m1', 'node-a', {
          state: 'deferred',
          attempts: 1,
          nextAttempt: new Date(T0.getTime() + 120_000),
          lastError: '451 4.3.0 try later',
          recipients: [{ address: 'bob@hospital.test', status: 'delivered', lastReply: '250 ok', doneAt: T0 }],
          releaseLease: true,
        }),
      ).toBe(true);
      const m = (await store.queue.get('m1'))!;
      expect(m.state).toBe('deferred');
      expect(m.leaseOwner).toBeNull();
      expect(m.lastError).toBe('451 4.3.0 try later');
      expect(m.recipients[0]).toMatchObject({ status: 'delivered', lastReply: '250 ok' });
      expect(m.recipients[0]!.doneAt!.getTime()).toBe(T0.getTime());
      expect(m.recipients[1]!.status).toBe('pending');
      // Lease gone: the former holder can no longer change it, an admin can.
      expect(await store.queue.update('m1', 'node-a', { lastError: 'y' })).toBe(false);
      expect(await store.queue.update('m1', null, { holdReason: 'checked' })).toBe(true);
      expect((await store.queue.get('m1'))!.holdReason).toBe('checked');
    });

    it('claims a deferred message only when its retry time has come', async () => {
      expect(await store.queue.claim('node-a', new Date(T0.getTime() + 60_000), 60_000, 10)).toEqual([]);
      const got = await store.queue.claim('node-a', new Date(T0.getTime() + 120_000), 60_000, 10);
      expect(got.map((m) => m.id)).toEqual(['m1']);
    });

    it('lets another node take over when a lease expires, and the old holder loses it', async () => {
      const later = new Date(T0.getTime() + 120_000 + 60_001);
      expect(await store.queue.renewLease('m1', 'node-b', later)).toBe(false);
      const got = await store.queue.claim('node-b', later, 60_000, 10);
      expect(got.map((m) => [m.id, m.leaseOwner])).toEqual([['m1', 'node-b']]);
      expect(await store.queue.renewLease('m1', 'node-a', new Date(later.getTime() + 1))).toBe(false);
      expect(await store.queue.update('m1', 'node-a', { state: 'delivered' })).toBe(false);
      expect(await store.queue.renewLease('m1', 'node-b', new Date(later.getTime() + 300_000))).toBe(true);
      expect((await store.queue.get('m1'))!.leaseUntil!.getTime()).toBe(later.getTime() + 300_000);
    });

    it('never claims held, delivered or bounced messages, and respects the limit', async () => {
      await store.queue.insert(msg('h1'));
      await store.queue.update('h1', null, { state: 'hold', holdReason: 'review' });
      await store.queue.insert(msg('d1'));
      await store.queue.update('d1', null, { state: 'delivered' });
      await store.queue.insert(msg('b1'));
      await store.queue.update('b1', null, { state: 'bounced' });
      for (const id of ['n1', 'n2', 'n3']) await store.queue.insert(msg(id));
      const first = await store.queue.claim('node-c', new Date(T0.getTime() + 1000), 1000, 2);
      expect(first).toHaveLength(2);
      const second = await store.queue.claim('node-c', new Date(T0.getTime() + 1000), 1000, 10);
      expect(second).toHaveLength(1);
      const ids = [...first, ...second].map((m) => m.id).sort();
      expect(ids).toEqual(['n1', 'n2', 'n3']);
    });

    it('lists by state and direction, and removes', async () => {
      const held = await store.queue.list({ states: ['hold'] });
      expect(held.map((m) => m.id)).toEqual(['h1']);
      expect((await store.queue.list({ direction: 'outbound' })).length).toBe(0);
      expect((await store.queue.list({ limit: 2 })).length).toBe(2);
      expect(await store.queue.remove('h1')).toBe(true);
      expect(await store.queue.remove('h1')).toBe(false);
      expect(await store.queue.get('h1')).toBeNull();
    });

    it('keeps settings', async () => {
      expect(await store.getSetting('k')).toBeNull();
      await store.setSetting('k', 'v1');
      await store.setSetting('k', 'v2');
      expect(await store.getSetting('k')).toBe('v2');
    });

    it('spools bytes from a buffer and from a stream, and removes them', async () => {
      const big = Buffer.alloc(3 * 1024 * 1024 + 17);
      for (let i = 0; i < big.length; i++) big[i] = (i * 31) & 0xff;
      const chunks = [big.subarray(0, 100), big.subarray(100, 2_000_000), big.subarray(2_000_000)];
      expect(await store.spool.write('s1', Readable.from(chunks))).toEqual({ size: big.length });
      expect((await store.spool.read('s1')).equals(big)).toBe(true);
      const streamed: Buffer[] = [];
      for await (const c of store.spool.readStream('s1')) streamed.push(c as Buffer);
      expect(Buffer.concat(streamed).equals(big)).toBe(true);
      await store.spool.write('s2', Buffer.from('hello'));
      expect((await store.spool.read('s2')).toString()).toBe('hello');
      await store.spool.write('s2', Buffer.from('replaced'));
      expect((await store.spool.read('s2')).toString()).toBe('replaced');
      await store.spool.remove('s2');
      await store.spool.remove('s2');
      await expect(store.spool.read('s2')).rejects.toThrow();
      await expect(store.spool.write('../evil', Buffer.from('x'))).rejects.toThrow(/invalid spool key/);
    });

    it('reopening runs no migration twice and keeps the data', async () => {
      const again = await be.open();
      expect((await again.queue.get('n1'))?.id).toBe('n1');
      expect(await again.getSetting('k')).toBe('v2');
    });
  });
}

contract('sqlite');
contract('postgres');
