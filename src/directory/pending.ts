// The pending-certificate workflow (issue 4, item 5; `directory.missingCertificate: pending`):
// a message to an external address without a certificate is held, the address gets a request to
// reply with a digitally signed email, reminders follow every `directory.pending.reminderHours`,
// and after `directory.pending.expireDays` the request expires and the held messages are released
// so the protection stage applies `directory.pending.fallback` (for `retryAfterDays`; then the next
// message starts a new request). A certificate harvested from the
// signed reply marks the request received and releases every message held for that address.
// Table pending_certs (migration 0005_pending). Trust level: gateway-internal; keeps addresses and
// queue ids only; the request email carries no message content.
import type { Kysely } from 'kysely';
import { DIRECTORY_LIMITS, type DirectoryConfig } from './config.js';
import { PENDING_HOLD_PREFIX, type PendingRequests } from './missing.js';
import { gatewayNotice } from './issue-push.js';
import { createQueueAdmin } from '../queue/admin.js';
import type { LocalSubmitter } from '../queue/submit.js';
import type { PendingDatabase } from '../store/schema.js';
import type { Store } from '../store/types.js';
import type { Logger } from '../log/logger.js';

export type PendingStatus = 'requested' | 'reminded' | 'received' | 'expired';

export interface PendingRecord {
  address: string;
  status: PendingStatus;
  requestedAt: Date;
  remindedAt: Date | null;
  expiresAt: Date;
  requestedBy: string;
  messageIds: string[];
}

export interface PendingOptions {
  /** The store (queue, audit) and its kysely handle. */
  store: Store & { db: Kysely<any> };
  submitter: LocalSubmitter;
  config: Pick<DirectoryConfig, 'pending'>;
  domains: string[];
  organization: string;
  hostname: string;
  clock: { now(): Date };
  logger?: Logger;
}

export interface TickResult {
  reminded: number;
  expired: number;
  released: number;
}

export interface PendingWorkflow extends PendingRequests {
  /** Reminders and expiry due at `now`; retries releases that found a message still in flight. */
  tick(now?: Date): Promise<TickResult>;
  /** A certificate for `address` arrived (harvested from a signed reply): mark received, release its messages. Returns how many were released. */
  received(address: string): Promise<number>;
  list(filter?: { status?: PendingStatus[] }): Promise<PendingRecord[]>;
  get(address: string): Promise<PendingRecord | null>;
}

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const ACTIVE: PendingStatus[] = ['requested', 'reminded'];
const IN_FLIGHT = new Set(['incoming', 'active', 'deferred']);
/** Most held messages a signed reply looks through for ones the fallback held. */
export const HELD_SCAN_MAX = 10_000;

type Row = PendingDatabase['pending_certs'];

function fromRow(r: { [K in keyof Row]: unknown }): PendingRecord {
  return {
    address: String(r.address),
    status: String(r.status) as PendingStatus,
    requestedAt: new Date(Number(r.requested_at)),
    remindedAt: r.reminded_at === null ? null : new Date(Number(r.reminded_at)),
    expiresAt: new Date(Number(r.expires_at)),
    requestedBy: String(r.requested_by),
    messageIds: JSON.parse(String(r.message_ids)) as string[],
  };
}

/** The request (and reminder) text: plain language, no message content. */
export function pendingRequestText(p: { address: string; requestedBy: string; organization: string; expiresAt: Date; reminder: boolean }): string {
  const who = p.requestedBy ? `${p.requestedBy} at ${p.organization}` : p.organization;
  return [
    ...(p.reminder ? ['This is a reminder: we have not yet received your signed reply.', ''] : []),
    'Hello,',
    '',
    `${who} wants to send you email that contains confidential`,
    `information, such as health information. ${p.organization} sends such email`,
    `encrypted, and to encrypt it to ${p.address} we need your certificate`,
    'for secure email (S/MIME). Your email program sends it with every email you',
    'sign digitally.',
    '',
    'Please reply to this message with a digitally signed email. The text of the',
    'reply does not matter. To sign it:',
    '  - Outlook: in the new message, Options > Sign (or File > Properties >',
    '    Security Settings > Add digital signature).',
    '  - Apple Mail: click the signature (check-mark) button next to the subject.',
    '  - Thunderbird: Security (or OpenPGP/S/MIME) > Digitally Sign This Message.',
    '',
    'The messages waiting for you are sent, encrypted, as soon as your signed',
    `reply arrives. If it has not arrived by ${p.expiresAt.toISOString().slice(0, 10)}, ${p.organization}`,
    'will deliver them another way or contact you.',
    '',
    `If you do not have a certificate for secure email, tell ${p.requestedBy || p.organization};`,
    'nothing else is needed from you. If you did not expect this message, you can',
    'ignore it.',
    '',
    p.organization,
  ].join('\n');
}

/**
 * Forgets the request for `address` (operator action, audited): the next message to it starts a new
 * request. Held messages stay held until released or until a new request's reply or expiry.
 */
export async function removePendingRequest(store: { db: Kysely<any>; audit: Store['audit'] }, address: string, actor: string): Promise<boolean> {
  const db = store.db as Kysely<PendingDatabase>;
  const a = address.trim().toLowerCase();
  const r = await db.deleteFrom('pending_certs').where('address', '=', a).executeTakeFirst();
  const removed = Number(r.numDeletedRows) > 0;
  if (removed) await store.audit.append({ type: 'pending-removed', actor, data: { address: a } });
  return removed;
}

/** The pending requests, newest first (also for `sealgate pending list` and the console). */
export async function listPendingRequests(store: Kysely<any>, filter: { status?: PendingStatus[] } = {}): Promise<PendingRecord[]> {
  const db = store as Kysely<PendingDatabase>;
  let q = db.selectFrom('pending_certs').selectAll();
  if (filter.status?.length) q = q.where('status', 'in', filter.status);
  return (await q.orderBy('requested_at', 'desc').execute()).map(fromRow);
}

export function createPendingWorkflow(o: PendingOptions): PendingWorkflow {
  const db = o.store.db as unknown as Kysely<PendingDatabase>;
  const admin = createQueueAdmin(o.store, { actor: 'system', clock: o.clock });
  const postmaster = `postmaster@${o.domains[0]}`;
  // One operation at a time in this process: request() reads, then rewrites the list of ids.
  let chain: Promise<unknown> = Promise.resolve();
  const serial = <T>(fn: () => Promise<T>): Promise<T> => {
    const next = chain.then(fn, fn);
    chain = next.catch(() => {});
    return next;
  };

  async function get(address: string): Promise<PendingRecord | null> {
    const r = await db.selectFrom('pending_certs').selectAll().where('address', '=', address.toLowerCase()).executeTakeFirst();
    return r ? fromRow(r) : null;
  }

  async function sendRequest(rec: Pick<PendingRecord, 'address' | 'requestedBy' | 'expiresAt'>, reminder: boolean): Promise<string> {
    const text = pendingRequestText({ ...rec, organization: o.organization, reminder });
    const body = gatewayNotice({
      from: postmaster,
      fromName: o.organization,
      to: rec.address,
      // The reply goes to the person who wants to write to them; the gateway harvests it on the way in.
      ...(rec.requestedBy ? { replyTo: rec.requestedBy } : {}),
      subject: `${reminder ? 'Reminder: p' : 'P'}lease reply with a digitally signed email (${o.organization})`,
      text,
      hostname: o.hostname,
      date: o.clock.now(),
    });
    return o.submitter.submit({ direction: 'outbound', sender: postmaster, recipients: [rec.address], origin: 'pending-request', body });
  }

  /**
   * Releases the listed messages that are held for this address (hold reason matched by `held`).
   * Returns the number released and the ids to keep watching (still on their way to a hold).
   */
  async function release(ids: string[], held: (reason: string) => boolean, why: string): Promise<{ released: number; keep: string[] }> {
    let released = 0;
    const keep: string[] = [];
    for (const id of ids) {
      const m = await o.store.queue.get(id);
      if (!m) continue;
      if (m.state === 'hold' && held(m.holdReason ?? '')) {
        if (await admin.release(id, why)) released++;
        else keep.push(id);
      } else if (IN_FLIGHT.has(m.state)) keep.push(id);
    }
    return { released, keep };
  }

  // Hold reasons come from src/directory/missing.ts, possibly prefixed by the protection stage.
  const pendingHold = (address: string) => (reason: string) => reason.includes(`${PENDING_HOLD_PREFIX} ${address} `);
  // After a signed reply: also messages the fallback held ('no certificate for ADDRESS ...').
  const anyHoldFor = (address: string) => (reason: string) => pendingHold(address)(reason) || reason.includes(`no certificate for ${address} `);

  async function update(address: string, patch: Partial<{ [K in keyof Row]: number | string | null }>): Promise<void> {
    await db.updateTable('pending_certs').set(patch as never).where('address', '=', address).execute();
  }

  async function audit(type: string, address: string, data: Record<string, unknown> = {}) {
    await o.store.audit.append({ type, actor: 'system', data: { address, ...data } });
  }

  async function request(address: string, r: { requestedBy: string; messageId: string }): Promise<'requested' | 'reminded' | 'expired'> {
    const a = address.toLowerCase();
    const now = o.clock.now();
    const rec = await get(a);
    if (rec && ACTIVE.includes(rec.status) && rec.expiresAt <= now) {
      // Expired while the timer had not run yet: the fallback applies from now on.
      await expire(rec);
      return 'expired';
    }
    // An expired request keeps the fallback for retryAfterDays; after that the next message asks again
    // (the partner may have a certificate by now), instead of the address staying on the fallback.
    const retryAfter = (o.config.pending.retryAfterDays ?? DIRECTORY_LIMITS.retryAfterDays.default) * DAY;
    if (rec?.status === 'expired' && now.getTime() < rec.expiresAt.getTime() + retryAfter) return 'expired';
    if (rec && ACTIVE.includes(rec.status)) {
      if (!rec.messageIds.includes(r.messageId)) await update(a, { message_ids: JSON.stringify([...rec.messageIds, r.messageId]) });
      return rec.status as 'requested' | 'reminded';
    }
    // New (or a received certificate that no longer serves, or an expired request past its retry
    // time): send the request, then record it.
    const expiresAt = new Date(now.getTime() + o.config.pending.expireDays * DAY);
    const requestId = await sendRequest({ address: a, requestedBy: r.requestedBy, expiresAt }, false);
    const row = {
      status: 'requested',
      requested_at: now.getTime(),
      reminded_at: null,
      expires_at: expiresAt.getTime(),
      requested_by: r.requestedBy,
      message_ids: JSON.stringify([r.messageId]),
    };
    if (rec) await update(a, row);
    else {
      try {
        await db.insertInto('pending_certs').values({ address: a, ...row }).execute();
      } catch (e) {
        // Another gateway node recorded a request for this address first (cluster): join it.
        const other = await get(a);
        if (!other || !ACTIVE.includes(other.status)) throw e;
        await update(a, { message_ids: JSON.stringify([...new Set([...other.messageIds, r.messageId])]) });
        return other.status as 'requested' | 'reminded';
      }
    }
    await audit('pending-requested', a, { requestedBy: r.requestedBy, requestId, expiresAt: expiresAt.toISOString() });
    return 'requested';
  }

  /**
   * Moves a request on from exactly the state it was read in, so that of several gateway nodes
   * ticking at once only one sends the reminder or releases the messages.
   */
  async function claim(rec: PendingRecord, patch: Partial<{ [K in keyof Row]: number | string | null }>): Promise<boolean> {
    let q = db.updateTable('pending_certs').set(patch as never).where('address', '=', rec.address).where('status', '=', rec.status);
    q = rec.remindedAt === null ? q.where('reminded_at', 'is', null) : q.where('reminded_at', '=', rec.remindedAt.getTime());
    const r = await q.executeTakeFirst();
    return Number(r.numUpdatedRows) > 0;
  }

  /** Returns the number of messages released, or null when another node expired it first. */
  async function expire(rec: PendingRecord): Promise<number | null> {
    if (!(await claim(rec, { status: 'expired' }))) return null;
    // The list, plus any held message it missed (another node's concurrent update).
    const ids = [...new Set([...rec.messageIds, ...(await heldFor(rec.address))])];
    const { released, keep } = await release(ids, pendingHold(rec.address), 'pending certificate request expired: fallback applies');
    await update(rec.address, { message_ids: JSON.stringify(keep) });
    await audit('pending-expired', rec.address, { released });
    return released;
  }

  async function remind(rec: PendingRecord, now: Date): Promise<boolean> {
    if (!(await claim(rec, { status: 'reminded', reminded_at: now.getTime() }))) return false;
    // Claimed first: if queueing fails, this reminder is skipped and the next one comes after reminderHours.
    const requestId = await sendRequest(rec, true);
    await audit('pending-reminded', rec.address, { requestId });
    return true;
  }

  const list = (filter: { status?: PendingStatus[] } = {}) => listPendingRequests(o.store.db, filter);

  async function tick(now = o.clock.now()): Promise<TickResult> {
    const out: TickResult = { reminded: 0, expired: 0, released: 0 };
    for (const rec of await list()) {
      if (ACTIVE.includes(rec.status)) {
        if (rec.expiresAt <= now) {
          const released = await expire(rec);
          if (released !== null) {
            out.released += released;
            out.expired++;
          }
        } else if ((rec.remindedAt ?? rec.requestedAt).getTime() + o.config.pending.reminderHours * HOUR <= now.getTime()) {
          if (await remind(rec, now)) out.reminded++;
        }
      } else if (rec.messageIds.length) {
        // A message that was on its way to a hold when the reply (or the expiry) came.
        const held = rec.status === 'received' ? anyHoldFor(rec.address) : pendingHold(rec.address);
        const { released, keep } = await release(rec.messageIds, held, `pending certificate ${rec.status}`);
        out.released += released;
        if (keep.length !== rec.messageIds.length) await update(rec.address, { message_ids: JSON.stringify(keep) });
      }
    }
    return out;
  }

  /** Held outbound messages to `address` (the fallback may have held them after the request expired). */
  async function heldFor(address: string): Promise<string[]> {
    const held = await o.store.queue.list({ states: ['hold'], direction: 'outbound', limit: HELD_SCAN_MAX });
    return held.filter((m) => m.recipients.some((r) => r.address.toLowerCase() === address)).map((m) => m.id);
  }

  async function received(address: string): Promise<number> {
    const rec = await get(address);
    if (!rec || rec.status === 'received') return 0;
    await update(rec.address, { status: 'received' });
    const ids = [...new Set([...rec.messageIds, ...(await heldFor(rec.address))])];
    const { released, keep } = await release(ids, anyHoldFor(rec.address), 'certificate received from a signed reply');
    await update(rec.address, { message_ids: JSON.stringify(keep) });
    await audit('pending-received', rec.address, { released });
    return released;
  }

  return {
    request: (a, r) => serial(() => request(a, r)),
    tick: (now) => serial(() => tick(now)),
    received: (a) => serial(() => received(a)),
    list,
    get,
  };
}

/** How often the gateway runs `tick` (reminders and expiry are hours and days apart). */
export const PENDING_TICK_MS = 60_000;

/** Runs `tick` every `intervalMs` (the gateway's timer); returns a stop function that waits for a running tick. */
export function startPendingTimer(wf: Pick<PendingWorkflow, 'tick'>, intervalMs: number = PENDING_TICK_MS, logger?: Logger): () => Promise<void> {
  let running: Promise<void> | undefined;
  const t = setInterval(() => {
    running ??= wf
      .tick()
      .then((r) => {
        if (r.reminded || r.expired || r.released) logger?.info({ ...r }, 'pending certificate requests');
      })
      .catch((e: unknown) => logger?.warn({ err: e instanceof Error ? e.message : String(e) }, 'pending certificate tick failed'))
      .finally(() => (running = undefined));
  }, intervalMs);
  t.unref();
  return async () => {
    clearInterval(t);
    await running;
  };
}

/** A certificate harvested from a verified signed reply marks that address's request received. */
export function listenForSignedReplies(directory: { addHarvestListener(fn: (cert: { address: string }) => void | Promise<void>): void }, wf: Pick<PendingWorkflow, 'received'>): void {
  directory.addHarvestListener(async (cert) => {
    await wf.received(cert.address);
  });
}
