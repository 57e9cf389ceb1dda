// Claims are exclusive under concurrency: two stores (two connection pools, as two gateway
// processes would have) on one database claim in parallel loops; no message is ever handed to
// both, and together they take every message exactly once. PostgreSQL is the cluster case. SQLite
// mode is single-node: one process, one connection, so there the loops share one store (two
// better-sqlite3 connections in ONE process would block each other's synchronous busy-wait).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OpenedStore } from '../../src/store/open.js';
import { makeBackend, type Backend } from './backends.js';

const COUNT = 300;
const T = new Date('2026-01-01T00:00:00Z');

for (const kind of ['postgres', 'sqlite'] as const) {
  describe(`claim on ${kind}`, () => {
    let be: Backend;
    let a: OpenedStore;
    let b: OpenedStore;
    beforeAll(async () => {
      be = await makeBackend(kind, 'claim');
      a = await be.open();
      b = kind === 'postgres' ? await be.open() : a;
      for (let i = 0; i < COUNT; i++) {
        await a.queue.insert({
          id: `c${String(i).padStart(4, '0')}`,
          direction: 'outbound',
          sender: 's@hospital.test',
          clientIp: '10.0.0.1',
          clientHelo: 'ehr',
          tls: false,
          authUser: null,
          params: {},
          size: 10,
          spoolKey: `c${i}`,
          receivedAt: T,
          expiresAt: new Date(T.getTime() + 86400_000),
          recipients: ['r@partner.example'],
        });
      }
    });
    afterAll(async () => {
      await be.cleanup();
    });

    it('two processes claiming in parallel loops never get the same message', async () => {
      const now = new Date(T.getTime() + 1000);
      const run = async (s: OpenedStore, owner: string): Promise<string[]> => {
        const got: string[] = [];
        // Several loops per "process", like concurrent claim rounds plus pool connections.
        await Promise.all(
          [0, 1, 2].map(async () => {
            for (;;) {
              const batch = await s.queue.claim(owner, now, 60_000, 7);
              if (batch.length === 0) return;
              for (const m of batch) {
                expect(m.leaseOwner).toBe(owner);
                got.push(m.id);
              }
            }
          }),
        );
        return got;
      };
      const [ga, gb] = await Promise.all([run(a, 'node-a'), run(b, 'node-b')]);
      const all = [...ga, ...gb];
      expect(new Set(all).size).toBe(all.length); // no duplicates
      expect(all.length).toBe(COUNT); // nothing missed
      if (kind === 'postgres') {
        // Both processes really took part (otherwise the test proves nothing about exclusivity).
        expect(ga.length).toBeGreaterThan(0);
        expect(gb.length).toBeGreaterThan(0);
      }
      // And the database agrees on who owns what.
      const owners = await a.db.selectFrom('messages').select(['id', 'lease_owner']).execute();
      const byId = new Map(owners.map((o) => [o.id, o.lease_owner]));
      for (const id of ga) expect(byId.get(id)).toBe('node-a');
      for (const id of gb) expect(byId.get(id)).toBe('node-b');
    });

    it('after the leases expire, a claimer takes the work over (again exactly once)', async () => {
      const later = new Date(T.getTime() + 1000 + 60_001);
      const [x, y] = await Promise.all([a.queue.claim('node-c', later, 60_000, COUNT), b.queue.claim('node-d', later, 60_000, COUNT)]);
      const ids = [...x, ...y].map((m) => m.id);
      expect(new Set(ids).size).toBe(COUNT);
      expect(ids.length).toBe(COUNT);
    });
  });
}
