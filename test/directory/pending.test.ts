// Pending-certificate workflow (issue 4, item 5; directory.missingCertificate: pending), at module
// level with a real store (SQLite and PostgreSQL), real queue rows and the directory's real harvest hook: the message
// is held and the recipient asked for a signed reply (no content of the message in the request);
// reminders follow on a test clock; a harvested certificate from the signed reply releases every
// message held for that address; after expireDays the request expires, the messages are released
// and the configured fallback applies.
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { mkdtemp, rm } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore, type OpenedStore } from '../../src/store/index.js';
import { defaultLimits } from '../../src/config/limits.js';
import { createAcceptor } from '../../src/queue/ingest.js';
import { createLocalSubmitter, gatewayOrigin } from '../../src/queue/submit.js';
import { defaultDirectoryConfig, type DirectoryConfig } from '../../src/directory/config.js';
import { createDirectory, type Directory } from '../../src/directory/directory.js';
import { createMissingCertificateResolver, type MissingCertificateResolver } from '../../src/directory/missing.js';
import { createPendingWorkflow, listenForSignedReplies, type PendingWorkflow } from '../../src/directory/pending.js';
import { silentLogger } from '../../src/queue/logger.js';
import { makeTestPki, type TestPki } from '../peers/pki.js';
import pg from 'pg';

const HOSTNAME = 'mail.hospital.test';
const SENDER = 'dr.smith@hospital.test';
const H = 3_600_000;
/** On the hour, after the test certificates' notBefore (they are made at the start of the run). */
const T0 = new Date(Math.ceil(Date.now() / H) * H);
const PG_DB = `sg_pending_${process.pid}_${Date.now()}`;

async function pgAdmin(sql: string) {
  const c = new pg.Client({ connectionString: 'postgres://postgres@127.0.0.1:5432/postgres' });
  await c.connect();
  try {
    await c.query(sql);
  } finally {
    await c.end();
  }
}

describe.each(['sqlite', 'postgres'] as const)('on %s', (kind) => {
  /** The test clock: every part reads it. */
  let now = T0;
  const clock = { now: () => now };

  let dir: string;
  let store: OpenedStore;
  let peers: TestPki;
  let cfg: DirectoryConfig;
  let wf: PendingWorkflow;
  let directory: Directory;
  let resolver: MissingCertificateResolver;
  /** Carol's message: held at T0+50h, her request expires with Dana's. */
  let carolMsg: string;

  const body = (to: string) => Buffer.from(`From: <${SENDER}>\r\nTo: <${to}>\r\nSubject: Lab results for MRN 4471-2290\r\n\r\nPatient Jane Roe, MRN 4471-2290: potassium 5.9 mmol/L.\r\n`);

  /** Accepts a real outbound message (as the SMTP listener would) and returns its queue id. */
  async function accept(to: string): Promise<string> {
    let id = '';
    const acceptor = createAcceptor({ store, hostname: HOSTNAME, limits: defaultLimits(), clock, audit: store.audit, idGen: () => (id = `M${Math.random().toString(36).slice(2, 12).toUpperCase()}`) });
    await acceptor.accept({ direction: 'outbound', sender: SENDER, recipients: [to], clientIp: '127.0.0.1', clientHelo: 'ws1', tls: true, receivedAt: now }, Readable.from([body(to)]));
    return id;
  }

  /** What the protection stage does: ask resolveMissing, and hold the message with its reason. */
  async function protect(id: string, to: string, r: MissingCertificateResolver = resolver) {
    const m = (await store.queue.get(id))!;
    const envelope = { direction: m.direction, sender: m.sender, recipients: [to], clientIp: m.clientIp, clientHelo: m.clientHelo, tls: m.tls, params: m.params, receivedAt: m.receivedAt };
    const out = await r.resolveMissing(to, { msg: { id, envelope, body: body(to) }, signal: AbortSignal.timeout(10_000), now: clock.now });
    if (out.kind === 'hold') await store.queue.update(id, null, { state: 'hold', holdReason: `protection: ${to}: ${out.why}`, releaseLease: true });
    return out;
  }

  /** Gateway-written messages queued to `to` with this origin. */
  async function queued(origin: string, to: string): Promise<Buffer[]> {
    const rows = await store.queue.list({ direction: 'outbound', limit: 1000 });
    const mine = rows.filter((m) => gatewayOrigin(m) === origin && m.recipients.some((r) => r.address === to));
    return Promise.all(mine.map((m) => store.spool.read(m.spoolKey)));
  }

  const state = async (id: string) => (await store.queue.get(id))!.state;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sg-pending-'));
    if (kind === 'postgres') await pgAdmin(`CREATE DATABASE ${PG_DB}`);
    const database = kind === 'postgres' ? { kind: 'postgres' as const, url: `postgres://postgres@127.0.0.1:5432/${PG_DB}` } : { kind: 'sqlite' as const, file: join(dir, 'db.sqlite') };
    store = await openStore({ database, spoolDir: join(dir, 'spool') });
    peers = await makeTestPki();
    const def = defaultDirectoryConfig(dir);
    cfg = { ...def, missingCertificate: 'pending', harvested: { trustAnchors: [peers.caCertPath] }, pending: { reminderHours: 24, expireDays: 7, fallback: 'hold' } };
    const submitter = createLocalSubmitter({ store, hostname: HOSTNAME, limits: defaultLimits(), clock, audit: store.audit });
    wf = createPendingWorkflow({ store, submitter, config: cfg, domains: ['hospital.test'], organization: 'Example Hospital', hostname: HOSTNAME, clock });
    directory = createDirectory({ config: cfg, dnsServers: [], store, clock, logger: silentLogger });
    listenForSignedReplies(directory, wf);
    resolver = createMissingCertificateResolver({ directory, pending: wf, config: cfg });
  }, 120_000);

  afterAll(async () => {
    await store?.close();
    if (kind === 'postgres') await pgAdmin(`DROP DATABASE IF EXISTS ${PG_DB} WITH (FORCE)`);
    if (dir) await rm(dir, { recursive: true, force: true });
    if (peers) await rm(peers.dir, { recursive: true, force: true });
  });

  describe('pending certificate: held, reminded, released by a signed reply', () => {
    const ALICE = 'alice@example.test';
    let first: string;
    let second: string;

    it('holds the message and sends the recipient a plain-language request with no message content', async () => {
      first = await accept(ALICE);
      const out = await protect(first, ALICE);
      expect(out).toEqual({ kind: 'hold', why: expect.stringContaining(`waiting for a certificate from ${ALICE}`) });
      expect(await state(first)).toBe('hold');
      const rec = (await wf.get(ALICE))!;
      expect(rec).toMatchObject({ status: 'requested', requestedBy: SENDER, messageIds: [first] });
      expect(rec.expiresAt.getTime() - T0.getTime()).toBe(7 * 24 * H);
      const [req, ...more] = await queued('pending-request', ALICE);
      expect(more).toHaveLength(0);
      const text = req!.toString('latin1');
      expect(text).toMatch(/^Subject: Please reply with a digitally signed email \(Example Hospital\)\r$/m);
      expect(text).toContain('reply to this message with a digitally signed email');
      expect(text).toMatch(new RegExp(`^Reply-To: <${SENDER.replace('.', '\\.')}>\r$`, 'm'));
      expect(text).toContain(`${SENDER} at Example Hospital`);
      expect(text).not.toMatch(/MRN|4471|Jane|potassium|Lab results/);
    });

    it('a second message for the same address joins the request (no second request)', async () => {
      second = await accept(ALICE);
      expect((await protect(second, ALICE)).kind).toBe('hold');
      expect((await wf.get(ALICE))!.messageIds).toEqual([first, second]);
      expect(await queued('pending-request', ALICE)).toHaveLength(1);
    });

    it('reminds after reminderHours (test clock), and again after another reminderHours', async () => {
      now = new Date(T0.getTime() + 23 * H);
      expect(await wf.tick()).toEqual({ reminded: 0, expired: 0, released: 0 });
      now = new Date(T0.getTime() + 24 * H);
      expect((await wf.tick()).reminded).toBe(1);
      const rec = (await wf.get(ALICE))!;
      expect(rec.status).toBe('reminded');
      expect(rec.remindedAt).toEqual(now);
      const sent = await queued('pending-request', ALICE);
      expect(sent).toHaveLength(2);
      expect(sent.map((b) => b.toString('latin1')).some((t) => /^Subject: Reminder: please reply/m.test(t) && t.includes('This is a reminder'))).toBe(true);
      now = new Date(T0.getTime() + 30 * H);
      expect((await wf.tick()).reminded).toBe(0);
      now = new Date(T0.getTime() + 48 * H);
      expect((await wf.tick()).reminded).toBe(1);
      expect(await state(first)).toBe('hold');
    });

    it('a certificate harvested from the signed reply releases every message held for that address', async () => {
      now = new Date(T0.getTime() + 50 * H);
      const other = (carolMsg = await accept('carol@example.test'));
      expect((await protect(other, 'carol@example.test')).kind).toBe('hold');
      expect(await directory.harvest(ALICE, peers.ids.alice!.certDer, { messageId: 'REPLY1' })).toBe(true);
      expect((await wf.get(ALICE))!.status).toBe('received');
      for (const id of [first, second]) expect(await state(id)).toBe('incoming');
      // Only Alice's messages: Carol's stays held.
      expect(await state(other)).toBe('hold');
      const audit = await store.audit.list({ type: 'released', limit: 100 });
      expect(audit.map((a) => a.messageId).sort()).toEqual([first, second].sort());
      expect(audit[0]!.actor).toBe('system');
      // The pipeline re-runs: the directory now has Alice's certificate.
      const found = await directory.lookup(ALICE, { fresh: true });
      expect(found.certificate?.source).toBe('harvested');
    });
  });

  describe('pending certificate: expiry to the fallback', () => {
    const DANA = 'dana@clinic.example';

    it('after expireDays the request expires, held messages are released, and the fallback (hold) applies', async () => {
      const start = now;
      const id = await accept(DANA);
      expect((await protect(id, DANA)).kind).toBe('hold');
      now = new Date(start.getTime() + 7 * 24 * H - 1);
      await wf.tick();
      expect((await wf.get(DANA))!.status).toBe('reminded');
      expect(await state(id)).toBe('hold');
      now = new Date(start.getTime() + 7 * 24 * H);
      const r = await wf.tick();
      expect(r.expired).toBeGreaterThanOrEqual(1);
      expect((await wf.get(DANA))!.status).toBe('expired');
      expect((await store.audit.list({ type: 'pending-expired', limit: 100 })).some((a) => a.data.address === DANA && a.data.released === 1)).toBe(true);
      expect(await state(id)).toBe('incoming');
      // The protection stage runs again and gets the fallback: hold, with no new request sent.
      const requests = (await queued('pending-request', DANA)).length;
      const again = await protect(id, DANA);
      expect(again).toEqual({ kind: 'hold', why: `no certificate for ${DANA} (directory.missingCertificate: hold)` });
      expect(await queued('pending-request', DANA)).toHaveLength(requests);
      // A later tick does not release a message the fallback held.
      expect((await wf.tick()).released).toBe(0);
      expect(await state(id)).toBe('hold');
    });

    it('fallback portal: the expired address goes to web pickup', async () => {
      const portal = createMissingCertificateResolver({ directory, pending: wf, config: { ...cfg, pending: { ...cfg.pending, fallback: 'portal' } } });
      const id = await accept(DANA);
      expect(await protect(id, DANA, portal)).toEqual({ kind: 'portal', why: expect.stringContaining(DANA) });
    });

    it('a request the timer has not expired yet expires when the next message comes', async () => {
      const ERIN = 'erin@clinic.example';
      const id = await accept(ERIN);
      expect((await protect(id, ERIN)).kind).toBe('hold');
      now = new Date(now.getTime() + 8 * 24 * H);
      const late = await accept(ERIN);
      expect((await protect(late, ERIN)).why).toContain('directory.missingCertificate: hold');
      expect((await wf.get(ERIN))!.status).toBe('expired');
      expect(await state(id)).toBe('incoming');
    });

    it('retryAfterDays after an expiry the next message sends a new request; until then the fallback applies', async () => {
      const FRAN = 'fran@clinic.example';
      const before = now; // the later tests' requests keep their own times
      onTestFinished(() => {
        now = before;
      });
      const id = await accept(FRAN);
      expect((await protect(id, FRAN)).kind).toBe('hold');
      const requests = (await queued('pending-request', FRAN)).length;
      expect(requests).toBe(1);
      const expiresAt = (await wf.get(FRAN))!.expiresAt.getTime();
      now = new Date(expiresAt + 1);
      await wf.tick();
      expect((await wf.get(FRAN))!.status).toBe('expired');
      // within retryAfterDays (default 30): the fallback, no new request
      now = new Date(expiresAt + 30 * 24 * H - 1);
      const during = await accept(FRAN);
      expect((await protect(during, FRAN)).why).toContain('directory.missingCertificate: hold');
      expect(await queued('pending-request', FRAN)).toHaveLength(1);
      // after it: a new request, and the message waits for the reply again
      now = new Date(expiresAt + 30 * 24 * H);
      const later = await accept(FRAN);
      expect(await protect(later, FRAN)).toEqual({ kind: 'hold', why: expect.stringContaining(`waiting for a certificate from ${FRAN}`) });
      expect((await wf.get(FRAN))!).toMatchObject({ status: 'requested', messageIds: [later] });
      expect(await queued('pending-request', FRAN)).toHaveLength(2);
    });

    it('a signed reply after expiry releases the messages the fallback held', async () => {
      const CAROL = 'carol@example.test';
      expect((await wf.get(CAROL))!.status).toBe('expired');
      expect(await state(carolMsg)).toBe('incoming');
      expect((await protect(carolMsg, CAROL)).why).toContain('directory.missingCertificate: hold');
      await wf.tick();
      expect(await state(carolMsg)).toBe('hold');
      expect(await directory.harvest(CAROL, peers.ids.carol!.certDer, {})).toBe(true);
      expect((await wf.get(CAROL))!.status).toBe('received');
      expect(await state(carolMsg)).toBe('incoming');
    });

    it('a message still on its way to the hold when the reply came is released by the next tick', async () => {
      const MAL = 'frank@clinic.example';
      const id = await accept(MAL);
      await wf.request(MAL, { requestedBy: SENDER, messageId: id });
      // The reply is handled before the protection stage has put the message on hold.
      await wf.received(MAL);
      expect(await state(id)).toBe('incoming');
      await store.queue.update(id, null, { state: 'hold', holdReason: `protection: ${MAL}: waiting for a certificate from ${MAL} (request requested)`, releaseLease: true });
      expect((await wf.tick()).released).toBe(1);
      expect(await state(id)).toBe('incoming');
      expect((await wf.get(MAL))!.messageIds).toEqual([]);
    });
  });

  describe('two gateway nodes', () => {
    it('asking at once for the same address share one request with both messages', async () => {
      const GIL = 'gil@clinic.example';
      const submitter = createLocalSubmitter({ store, hostname: HOSTNAME, limits: defaultLimits(), clock, audit: store.audit });
      const node2 = createPendingWorkflow({ store, submitter, config: cfg, domains: ['hospital.test'], organization: 'Example Hospital', hostname: HOSTNAME, clock });
      const [a, b] = [await accept(GIL), await accept(GIL)];
      const res = await Promise.all([wf.request(GIL, { requestedBy: SENDER, messageId: a }), node2.request(GIL, { requestedBy: SENDER, messageId: b })]);
      expect(res).toEqual(['requested', 'requested']);
      expect((await wf.get(GIL))!.messageIds.sort()).toEqual([a, b].sort());
      // Both nodes' timers fire together: one reminder, one expiry.
      const requests = (await queued('pending-request', GIL)).length;
      now = new Date(now.getTime() + 24 * H);
      await Promise.all([wf.tick(), node2.tick()]);
      expect(await queued('pending-request', GIL)).toHaveLength(requests + 1);
      now = new Date(now.getTime() + 7 * 24 * H);
      await Promise.all([wf.tick(), node2.tick()]);
      const expired = (await store.audit.list({ type: 'pending-expired', limit: 1000 })).filter((x) => x.data.address === GIL);
      expect(expired).toHaveLength(1);
      expect(expired[0]!.data.released).toBe(0);
    });
  });
});
