// What an SMTP client's 250 promises: when `accept` resolves, the bytes (with our Received header)
// are in the spool under their final name and the envelope row is committed (visible from a second
// connection), and the audit trail says `received` with metadata only. When the body stream fails,
// or storage fails, nothing is left behind and the reply is the one the listener gave, or 452 4.3.1.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import BetterSqlite3 from 'better-sqlite3';
import pg from 'pg';
import { defaultLimits } from '../../src/config/limits.js';
import { createAcceptor } from '../../src/queue/ingest.js';
import type { Envelope } from '../../src/queue/types.js';
import { Replies, SmtpReply } from '../../src/smtp/reply.js';
import { SPOOL_INLINE_MAX_BYTES } from '../../src/store/spool-hybrid.js';
import { FileSpool } from '../../src/store/spool-fs.js';
import type { OpenedStore } from '../../src/store/open.js';
import { makeBackend, type Backend } from '../store/backends.js';

const NOW = new Date('2026-03-02T10:20:30Z');
const BODY = Buffer.from('From: a@example.org\r\nTo: b@hospital.test\r\nSubject: lab results\r\n\r\nPatient data line 1\r\n.hidden dot line\r\n', 'latin1');

function envelope(over: Partial<Envelope> = {}): Envelope {
  return {
    direction: 'inbound',
    sender: 'a@example.org',
    recipients: ['b@hospital.test'],
    clientIp: '192.0.2.7',
    clientHelo: 'mail.example.org',
    tls: true,
    receivedAt: NOW,
    ...over,
  };
}

/** A body that delivers some bytes and then fails the way the SMTP listener would. */
function failingBody(err: unknown): Readable {
  let sent = false;
  return new Readable({
    read() {
      if (!sent) {
        sent = true;
        this.push(Buffer.alloc(70_000, 0x41));
      } else setTimeout(() => this.destroy(err as Error), 5);
    },
  });
}

async function listFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (d: string): Promise<void> => {
    let entries;
    try {
      entries = await readdir(d, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      if (e.isDirectory()) await walk(join(d, e.name));
      else out.push(join(d, e.name));
    }
  };
  await walk(dir);
  return out;
}

describe('ingest on SQLite: 250 only after the bytes and the row are durable', () => {
  let be: Backend;
  let store: OpenedStore;
  let n = 0;
  const kicked: string[] = [];
  const acceptor = () =>
    createAcceptor({
      store,
      hostname: 'gw.hospital.test',
      limits: defaultLimits(),
      clock: { now: () => NOW },
      audit: store.audit,
      idGen: () => `ID${++n}`,
      onAccepted: (id) => kicked.push(id),
    });

  beforeAll(async () => {
    be = await makeBackend('sqlite', 'ingest');
    store = await be.open();
  });
  afterAll(async () => {
    await be.cleanup();
  });

  it('at resolution the message bytes (inline in the WAL for small messages) and its row are committed', async () => {
    const reply = await acceptor().accept(envelope(), Readable.from([BODY.subarray(0, 10), BODY.subarray(10)]));
    expect(reply.code).toBe(250);
    expect(reply.enhanced).toBe('2.0.0');
    expect(reply.text).toBe('OK queued as ID1');
    // Observed synchronously at resolution, before anything else can run.
    const other = new BetterSqlite3((be.options.database as { file: string }).file, { readonly: true });
    const bytes = (other.prepare('select data from spool where key = ?').get('ID1') as { data: Buffer }).data;
    const row = other.prepare('select state, sender, size, spool_key from messages where id = ?').get('ID1') as Record<string, unknown>;
    const rcpts = other.prepare('select address, status from recipients where message_id = ?').all('ID1');
    other.close();
    expect(row).toEqual({ state: 'incoming', sender: 'a@example.org', size: bytes.length, spool_key: 'ID1' });
    expect(rcpts).toEqual([{ address: 'b@hospital.test', status: 'pending' }]);
    const text = bytes.toString('latin1');
    expect(text).toBe(
      'Received: from mail.example.org ([192.0.2.7])\r\n' +
        '\tby gw.hospital.test with ESMTPS id ID1\r\n' +
        '\tfor <b@hospital.test>;\r\n' +
        '\tMon, 2 Mar 2026 10:20:30 +0000\r\n' +
        BODY.toString('latin1'),
    );
    expect((await listFiles(be.options.spoolDir)).filter((f) => f.includes('.tmp-'))).toEqual([]);
    expect(kicked).toEqual(['ID1']);
  });

  it('a message larger than the inline limit is in a private, fsynced spool file at resolution', async () => {
    const big = Buffer.concat([Buffer.from('Subject: big\r\n\r\n'), Buffer.alloc(SPOOL_INLINE_MAX_BYTES + 10, 'a')]);
    const big1 = createAcceptor({ store, hostname: 'gw.hospital.test', limits: defaultLimits(), clock: { now: () => NOW }, audit: store.audit, idGen: () => 'BIG1' });
    const reply = await big1.accept(envelope(), Readable.from([big.subarray(0, 1000), big.subarray(1000)]));
    expect(reply.code).toBe(250);
    const id = 'BIG1';
    const file = new FileSpool(be.options.spoolDir).pathOf(id);
    const bytes = await readFile(file);
    expect(bytes.subarray(bytes.length - big.length).equals(big)).toBe(true);
    expect((await stat(file)).mode & 0o077).toBe(0);
    expect((await store.spool.read(id)).equals(bytes)).toBe(true);
    await store.queue.remove(id);
    await store.spool.remove(id);
  });

  it('records `received` in the audit trail with metadata and no content', async () => {
    const recs = await store.audit.list({ messageId: 'ID1' });
    expect(recs).toHaveLength(1);
    expect(recs[0]!.type).toBe('received');
    expect(recs[0]!.actor).toBe('smtp:192.0.2.7');
    expect(recs[0]!.data).toMatchObject({ direction: 'inbound', sender: 'a@example.org', recipients: ['b@hospital.test'], clientIp: '192.0.2.7' });
    expect(JSON.stringify(recs[0])).not.toContain('Patient');
    expect(JSON.stringify(recs[0])).not.toContain('lab results');
  });

  it('names no recipient in Received when there are several, and marks AUTH', async () => {
    await acceptor().accept(envelope({ recipients: ['b@hospital.test', 'c@hospital.test'], tls: false, authUser: 'u1', clientIp: '2001:db8::5', clientHelo: 'evil\r\nX-Injected: 1' }), Readable.from([BODY]));
    const text = (await store.spool.read('ID2')).toString('latin1');
    const received = text.slice(0, text.indexOf('\r\n', text.indexOf('+0000')) + 2);
    expect(received).toBe('Received: from evil??X-Injected:?1 ([IPv6:2001:db8::5])\r\n\tby gw.hospital.test with ESMTPA id ID2;\r\n\tMon, 2 Mar 2026 10:20:30 +0000\r\n');
    expect(text).not.toContain('for <');
  });

  it('a body that fails mid-way leaves no row, no file, no audit record, and gets the listener reply', async () => {
    const before = (await listFiles(be.options.spoolDir)).length;
    const auditBefore = (await store.audit.list()).length;
    const err = await acceptor().accept(envelope(), failingBody(Replies.sizeExceeded)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SmtpReply);
    expect((err as SmtpReply).toString()).toBe('552 5.3.4 Message size exceeds fixed limit');
    expect(await store.queue.get('ID3')).toBeNull();
    expect((await listFiles(be.options.spoolDir)).length).toBe(before);
    expect((await store.audit.list()).length).toBe(auditBefore);
  });

  it('an unexpected body error becomes 451 4.3.0 and never leaks its text', async () => {
    const err = await acceptor().accept(envelope(), failingBody(new Error('secret internal detail'))).catch((e: unknown) => e);
    expect((err as SmtpReply).toString()).toBe('451 4.3.0 Local error in processing, try again later');
    expect(await store.queue.get('ID4')).toBeNull();
  });

  it('a database failure answers 452 4.3.1 and removes the spooled bytes', async () => {
    const broken = await be.open();
    await broken.db.destroy(); // every query now fails
    const spoolBefore = (await listFiles(be.options.spoolDir)).length;
    const a = createAcceptor({ store: broken, hostname: 'gw', limits: defaultLimits(), clock: { now: () => NOW }, audit: broken.audit, idGen: () => 'IDX' });
    const err = await a.accept(envelope(), Readable.from([BODY])).catch((e: unknown) => e);
    expect((err as SmtpReply).toString()).toBe('452 4.3.1 Insufficient system storage, try again later');
    expect((await listFiles(be.options.spoolDir)).length).toBe(spoolBefore);
    expect(await store.queue.get('IDX')).toBeNull();
  });

  it('a spool failure answers 452 4.3.1 and leaves no row', async () => {
    const blocked = join(be.options.spoolDir, '..', 'spool-blocked');
    await writeFile(blocked, 'not a folder');
    const s2 = await be.open();
    const a = createAcceptor({
      store: { ...s2, spool: new FileSpool(join(blocked, 'sub')) },
      hostname: 'gw',
      limits: defaultLimits(),
      clock: { now: () => NOW },
      audit: s2.audit,
      idGen: () => 'IDY',
    });
    const err = await a.accept(envelope(), Readable.from([BODY])).catch((e: unknown) => e);
    expect((err as SmtpReply).toString()).toBe('452 4.3.1 Insufficient system storage, try again later');
    expect(await store.queue.get('IDY')).toBeNull();
  });
});

describe('ingest on PostgreSQL: bytes in the spool table, committed before 250', () => {
  let be: Backend;
  let store: OpenedStore;
  let n = 0;
  beforeAll(async () => {
    be = await makeBackend('postgres', 'ingest');
    store = await be.open();
  });
  afterAll(async () => {
    await be.cleanup();
  });
  const acceptor = () =>
    createAcceptor({ store, hostname: 'gw.hospital.test', limits: defaultLimits(), clock: { now: () => NOW }, audit: store.audit, idGen: () => `PG${++n}` });

  it('row and bytes are visible to another connection at resolution', async () => {
    const big = Buffer.concat([BODY, Buffer.alloc(2_500_000, 0x42), Buffer.from('\r\n')]);
    const reply = await acceptor().accept(envelope(), Readable.from([big.subarray(0, 1000), big.subarray(1000)]));
    expect(reply.code).toBe(250);
    const c = new pg.Client({ connectionString: (be.options.database as { url: string }).url });
    await c.connect();
    try {
      const row = await c.query('select state from messages where id = $1', ['PG1']);
      expect(row.rows).toEqual([{ state: 'incoming' }]);
      const parts = await c.query('select part, length(data) as len from spool where key = $1 order by part', ['PG1']);
      const total = parts.rows.reduce((s: number, r: { len: number }) => s + Number(r.len), 0);
      expect(parts.rows.length).toBeGreaterThan(1);
      const stored = await store.spool.read('PG1');
      expect(total).toBe(stored.length);
      expect(stored.subarray(stored.length - big.length).equals(big)).toBe(true);
    } finally {
      await c.end();
    }
  });

  it('a body that fails mid-way leaves no row and no spool rows', async () => {
    const err = await acceptor().accept(envelope(), failingBody(Replies.sizeExceeded)).catch((e: unknown) => e);
    expect((err as SmtpReply).code).toBe(552);
    expect(await store.queue.get('PG2')).toBeNull();
    // Neither the final key nor the temporary parts written before the failure remain.
    const rows = await store.db.selectFrom('spool').select('key').where('key', 'like', '%PG2%').execute();
    expect(rows).toEqual([]);
  });

  it('parts left under a temporary key by a crashed writer are swept when a store opens', async () => {
    const old = Date.now() - 25 * 3600 * 1000;
    await store.db.insertInto('spool').values({ key: 'tmp:PGX:dead', part: 0, data: Buffer.from('partial'), created_at: old }).execute();
    await store.db.insertInto('spool').values({ key: 'tmp:PGY:live', part: 0, data: Buffer.from('in progress'), created_at: Date.now() }).execute();
    await be.open();
    const keys = (await store.db.selectFrom('spool').select('key').where('key', 'like', 'tmp:%').execute()).map((r) => r.key);
    expect(keys).toEqual(['tmp:PGY:live']);
  });
});
