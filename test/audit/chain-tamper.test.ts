// The audit trail is tamper-evident: verify() passes on an untouched chain and names the damaged
// seq when a row is edited, deleted (in the middle or the newest), inserted, or when two rows are
// swapped, each done with plain SQL on the table as an attacker with database access would.
// Appends from two processes on one PostgreSQL database serialize into one chain.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import fc from 'fast-check';
import { canonicalJson, recordHash } from '../../src/audit/chain.js';
import type { OpenedStore } from '../../src/store/open.js';
import { makeBackend, type Backend } from '../store/backends.js';

async function fill(store: OpenedStore, n: number): Promise<void> {
  for (let i = 1; i <= n; i++) {
    await store.audit.append({ type: i % 2 ? 'received' : 'delivered', actor: 'system', messageId: `m${i}`, data: { size: i * 100, recipients: [`r${i}@hospital.test`] } });
  }
}

for (const kind of ['sqlite', 'postgres'] as const) {
  describe(`audit chain on ${kind}`, () => {
    let be: Backend;
    let store: OpenedStore;
    beforeEach(async () => {
      be = await makeBackend(kind, 'audit');
      store = await be.open();
      await fill(store, 6);
    });
    afterEach(async () => {
      await be.cleanup();
    });

    it('an untouched chain verifies, and records link to each other', async () => {
      const r = await store.audit.verify();
      expect(r).toEqual({ ok: true, records: 6, problems: [] });
      const recs = await store.audit.list();
      expect(recs.map((x) => x.seq)).toEqual([1, 2, 3, 4, 5, 6]);
      expect(recs[0]!.prevHash).toBe('0'.repeat(64));
      for (let i = 1; i < recs.length; i++) expect(recs[i]!.prevHash).toBe(recs[i - 1]!.hash);
      expect((await store.audit.list({ messageId: 'm3' })).map((x) => x.seq)).toEqual([3]);
      expect((await store.audit.list({ type: 'delivered', afterSeq: 2, limit: 1 })).map((x) => x.seq)).toEqual([4]);
    });

    it('detects an edited row', async () => {
      await sql`update audit set data = ${'{"recipients":["evil@x.test"],"size":300}'} where seq = 3`.execute(store.db);
      const r = await store.audit.verify();
      expect(r.ok).toBe(false);
      expect(r.problems.join('\n')).toMatch(/^seq 3: hash does not match/m);
    });

    it('detects an edited row whose hash was recomputed (the next link breaks)', async () => {
      const row = (await store.audit.list({ messageId: 'm3' }))[0]!;
      const forged = recordHash({ seq: 3, at: row.at.getTime(), type: row.type, actor: 'cli:mallory', messageId: 'm3', data: canonicalJson(row.data), prevHash: row.prevHash });
      await sql`update audit set actor = 'cli:mallory', hash = ${forged} where seq = 3`.execute(store.db);
      const r = await store.audit.verify();
      expect(r.ok).toBe(false);
      expect(r.problems.join('\n')).toMatch(/^seq 4: prev_hash does not match/m);
    });

    it('detects a deleted row in the middle', async () => {
      await sql`delete from audit where seq = 4`.execute(store.db);
      const r = await store.audit.verify();
      expect(r.ok).toBe(false);
      expect(r.problems.join('\n')).toMatch(/^seq 4: missing/m);
    });

    it('detects deletion of the newest rows (audit_head remembers them)', async () => {
      await sql`delete from audit where seq >= 5`.execute(store.db);
      const r = await store.audit.verify();
      expect(r.ok).toBe(false);
      expect(r.problems.join('\n')).toMatch(/seq 5\.\.6: missing \(newest records deleted\)/);
    });

    it('detects a swapped pair', async () => {
      await sql`update audit set seq = -2 where seq = 2`.execute(store.db);
      await sql`update audit set seq = 2 where seq = 3`.execute(store.db);
      await sql`update audit set seq = 3 where seq = -2`.execute(store.db);
      const r = await store.audit.verify();
      expect(r.ok).toBe(false);
      expect(r.problems.join('\n')).toMatch(/^seq 2: /m);
      expect(r.problems.join('\n')).toMatch(/^seq 3: /m);
    });

    it('detects an inserted row', async () => {
      const six = (await store.audit.list({ afterSeq: 5 }))[0]!;
      await sql`update audit set seq = seq + 1 where seq >= 4`.execute(store.db).catch(async () => {
        // PostgreSQL checks the primary key per row: shift from the top down.
        for (let s = 6; s >= 4; s--) await sql`update audit set seq = ${s + 1} where seq = ${s}`.execute(store.db);
      });
      await sql`insert into audit (seq, at, type, actor, message_id, data, prev_hash, hash) values (4, ${six.at.getTime()}, 'deleted', 'cli:root', 'm9', '{}', ${six.prevHash}, ${six.hash})`.execute(store.db);
      const r = await store.audit.verify();
      expect(r.ok).toBe(false);
      expect(r.problems.join('\n')).toMatch(/^seq 4: /m);
    });

    it('refuses raw bytes as audit data (metadata only)', async () => {
      await expect(store.audit.append({ type: 'x', actor: 'system', data: { body: Buffer.from('PHI') } })).rejects.toThrow(/metadata/);
      expect((await store.audit.verify()).ok).toBe(true);
    });
  });
}

describe('audit appends from two processes on one PostgreSQL database', () => {
  it('serialize into one unbroken chain', async () => {
    const be = await makeBackend('postgres', 'audit2');
    try {
      const a = await be.open();
      const b = await be.open();
      const burst = (s: OpenedStore, who: string) =>
        Promise.all(Array.from({ length: 40 }, (_, i) => s.audit.append({ type: 'config-change', actor: who, data: { i } })));
      await Promise.all([burst(a, 'node-a'), burst(b, 'node-b')]);
      const r = await a.audit.verify();
      expect(r).toEqual({ ok: true, records: 80, problems: [] });
      const seqs = (await b.audit.list()).map((x) => x.seq);
      expect(seqs).toEqual(Array.from({ length: 80 }, (_, i) => i + 1));
    } finally {
      await be.cleanup();
    }
  });
});

describe('canonical serialization', () => {
  it('does not depend on key order', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.oneof(fc.integer(), fc.string(), fc.boolean(), fc.constant(null))), (d) => {
        const reversed = Object.fromEntries(Object.entries(d).reverse());
        expect(canonicalJson(reversed)).toBe(canonicalJson(d));
        expect(JSON.parse(canonicalJson(d))).toEqual(JSON.parse(JSON.stringify(d)));
      }),
      { numRuns: 200 },
    );
  });
});
