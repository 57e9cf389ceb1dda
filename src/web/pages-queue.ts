// Queue (search, inspect envelope/headers/decision, retry/hold/release/delete) and review (held
// messages with the policy's reasons and masked snippets; approve with a reviewSig or reject with
// a DSN). Message bodies are never shown; headers are shown without Subject for roles other than
// admin. Trust level: operator actions through createQueueAdmin / src/outbound/review.ts, audited.
import { createQueueAdmin } from '../queue/admin.js';
import type { QueuedMessage } from '../store/types.js';
import type { MessageState } from '../queue/types.js';
import { HttpError, html, redirect, sendJson, type Ctx, type Safe } from './http.js';
import { csrfField, type Console, type ConsoleModule } from './console.js';
import type { Principal } from './auth.js';

/** Bytes of the message read to show its header block (never the body). */
export const HEADER_PREVIEW_BYTES = 64 * 1024;

interface ReviewModule {
  approveHeld(c: { store: unknown; actor: string }, id: string, reason?: string): Promise<{ ok: boolean; error?: string }>;
  rejectHeld(c: { store: unknown; actor: string }, id: string, reason: string): Promise<{ ok: boolean; error?: string }>;
}

/** src/outbound/review.ts (the privacy-officer review operations) when present; else the queue admin. */
async function reviewOps(c: Console, who: Principal): Promise<{ approve(id: string, reason?: string): Promise<string | null>; reject(id: string, reason: string): Promise<string | null> }> {
  const spec = '../outbound/review.js';
  const mod = (await import(spec).catch(() => null)) as ReviewModule | null;
  const rc = { store: c.deps.store, actor: who.actor };
  if (mod?.approveHeld) {
    return {
      approve: async (id, reason) => ((r) => (r.ok ? null : (r.error ?? 'failed')))(await mod.approveHeld(rc, id, reason)),
      reject: async (id, reason) => ((r) => (r.ok ? null : (r.error ?? 'failed')))(await mod.rejectHeld(rc, id, reason)),
    };
  }
  const admin = createQueueAdmin(c.deps.store, { actor: who.actor });
  return {
    approve: async (id, reason) => ((await admin.release(id, reason, { approve: true })) ? null : `message ${id} not found or not held`),
    reject: async () => 'rejecting needs src/outbound/review.ts',
  };
}

const STATES: MessageState[] = ['incoming', 'active', 'deferred', 'hold', 'delivered', 'bounced'];

function summary(m: QueuedMessage) {
  return {
    id: m.id,
    state: m.state,
    direction: m.direction,
    sender: m.sender,
    recipients: m.recipients.map((r) => ({ address: r.address, status: r.status, lastReply: r.lastReply })),
    size: m.size,
    attempts: m.attempts,
    receivedAt: m.receivedAt.toISOString(),
    nextAttempt: m.nextAttempt?.toISOString() ?? null,
    lastError: m.lastError,
    holdReason: m.holdReason,
  };
}

async function search(c: Console, ctx: Ctx): Promise<QueuedMessage[]> {
  const p = ctx.url.searchParams;
  const state = p.get('state') as MessageState | null;
  const q = (p.get('q') ?? '').toLowerCase();
  const rows = await c.deps.store.queue.list({ ...(state && STATES.includes(state) ? { states: [state] } : {}), limit: 1000 });
  return rows.filter((m) => !q || m.id.toLowerCase().includes(q) || m.sender.toLowerCase().includes(q) || m.recipients.some((r) => r.address.toLowerCase().includes(q))).slice(0, 200);
}

/** The header block only; Subject is masked for roles other than admin (it can carry PHI). */
async function headers(c: Console, m: QueuedMessage, who: Principal): Promise<string> {
  const bytes = await c.deps.store.spool.read(m.spoolKey).catch(() => Buffer.alloc(0));
  const head = bytes.subarray(0, HEADER_PREVIEW_BYTES).toString('latin1');
  const end = head.search(/\r?\n\r?\n/);
  const block = end >= 0 ? head.slice(0, end) : head;
  // The sender-set pickup passphrase (portal-passphrase.ts) is a secret, for every role.
  const shown = block.replace(/^(X-Sealgate-Portal-Passphrase:)[^\r\n]*(\r?\n[ \t][^\r\n]*)*/gim, '$1 [removed]');
  return who.role === 'admin' ? shown : shown.replace(/^(Subject:)[^\r\n]*(\r?\n[ \t][^\r\n]*)*/im, '$1 [hidden]');
}

async function decisions(c: Console, id: string) {
  return (await c.deps.store.audit.list({ messageId: id })).map((r) => ({ at: r.at.toISOString(), type: r.type, actor: r.actor, data: r.data }));
}

function decisionView(d: Record<string, unknown> | null | undefined): Safe {
  if (!d) return html`<span class="muted">no policy decision recorded</span>`;
  const list = (v: unknown) => (Array.isArray(v) ? v.map((x) => html`<li>${String(x)}</li>`) : []);
  return html`<p>Action <strong>${String(d.action)}</strong>, score ${String(d.score)} / threshold ${String(d.threshold)}${d.phi ? html`, <strong>PHI</strong>` : ''}</p><ul>${list(d.reasons)}${list(d.why)}</ul>${Array.isArray(d.notAllowed) && d.notAllowed.length ? html`<p>Not allowed for PHI: ${(d.notAllowed as string[]).join(', ')}</p>` : ''}`;
}

const lastDecision = (hist: Array<{ type: string; data: Record<string, unknown> }>) => [...hist].reverse().find((h) => h.type === 'policy-decision')?.data ?? null;

export const queuePages: ConsoleModule = (c) => {
  c.get('/queue', 'queue.view', async (ctx, who) => {
    const rows = await search(c, ctx);
    const p = ctx.url.searchParams;
    c.render(
      ctx,
      who,
      'Queue',
      '/queue',
      html`<h1>Queue</h1><form method="get" action="/queue"><label for="q">Search (id, sender, recipient)</label><input id="q" name="q" type="search" value="${p.get('q') ?? ''}">
<label for="state">State</label><select id="state" name="state"><option value="">any</option>${STATES.map((s) => html`<option${p.get('state') === s ? html` selected` : ''}>${s}</option>`)}</select> <button type="submit">Search</button></form>
<div class="table-wrap"><table><tr><th>Id</th><th>State</th><th>Direction</th><th>Sender</th><th>Recipients</th><th>Size</th><th>Received</th></tr>${rows.map(
        (m) => html`<tr><td><a href="/queue/${m.id}">${m.id}</a></td><td>${m.state}</td><td>${m.direction}</td><td>${m.sender}</td><td>${m.recipients.map((r) => r.address).join(', ')}</td><td>${m.size}</td><td>${m.receivedAt.toISOString()}</td></tr>`,
      )}</table></div>`,
    );
  });

  c.get('/queue/:id', 'queue.view', async (ctx, who) => {
    const m = await c.deps.store.queue.get(ctx.params.id!);
    if (!m) throw new HttpError(404, 'no such message');
    const hist = await decisions(c, m.id);
    await c.audit(who, 'web-message-viewed', { view: 'envelope+headers' }, m.id);
    const s = summary(m);
    const act = (verb: string, label: string, danger = false) =>
      html`<form class="inline" method="post" action="/queue/${m.id}/${verb}">${csrfField(who)}<input type="hidden" name="reason" value="${label} from the console"><button type="submit"${danger ? html` class="danger" data-confirm="Delete this message?"` : ''}>${label}</button></form>`;
    c.render(
      ctx,
      who,
      `Message ${m.id}`,
      '/queue',
      html`<h1>Message ${m.id}</h1><table>${Object.entries(s).map(([k, v]) => html`<tr><th>${k}</th><td>${typeof v === 'object' && v !== null ? JSON.stringify(v) : String(v ?? '')}</td></tr>`)}</table>
<h2>Decision</h2>${decisionView(lastDecision(hist))}
<h2>Headers</h2><pre>${await headers(c, m, who)}</pre>
${who.role === 'admin' ? html`<h2>Actions</h2>${act('retry', 'Retry')}${act('hold', 'Hold')}${act('release', 'Release')}${act('delete', 'Delete', true)}` : ''}
<h2>History</h2><div class="table-wrap"><table><tr><th>Time</th><th>Event</th><th>Actor</th><th>Data</th></tr>${hist.map((h) => html`<tr><td>${h.at}</td><td>${h.type}</td><td>${h.actor}</td><td><code>${JSON.stringify(h.data)}</code></td></tr>`)}</table></div>`,
    );
  });

  for (const verb of ['retry', 'hold', 'release', 'delete'] as const) {
    const run = async (id: string, who: Principal, reason?: string) => {
      const admin = createQueueAdmin(c.deps.store, { actor: who.actor });
      return verb === 'delete' ? admin.remove(id, reason) : admin[verb](id, reason);
    };
    c.post(`/queue/:id/${verb}`, 'queue.change', async (ctx, who, form) => {
      const ok = await run(ctx.params.id!, who, form.fields.reason || undefined);
      if (!ok) throw new HttpError(409, `message not found or not in a state that allows ${verb}`);
      redirect(ctx, verb === 'delete' ? '/queue' : `/queue/${ctx.params.id}`);
    });
    c.post(`/api/queue/:id/${verb}`, 'queue.change', async (ctx, who, form) => {
      const ok = await run(ctx.params.id!, who, form.fields.reason || undefined);
      sendJson(ctx, ok ? 200 : 409, { ok });
    });
  }
  c.get('/api/queue', 'queue.view', async (ctx) => sendJson(ctx, 200, { messages: (await search(c, ctx)).map(summary) }));
  c.get('/api/queue/:id', 'queue.view', async (ctx, who) => {
    const m = await c.deps.store.queue.get(ctx.params.id!);
    if (!m) throw new HttpError(404, 'no such message');
    await c.audit(who, 'web-message-viewed', { view: 'envelope+headers', api: true }, m.id);
    sendJson(ctx, 200, { ...summary(m), headers: await headers(c, m, who), history: await decisions(c, m.id) });
  });

  c.get('/review', 'review', async (ctx, who) => {
    const held = await c.deps.store.queue.list({ states: ['hold'], limit: 500 });
    const items = await Promise.all(held.map(async (m) => ({ m, d: lastDecision(await decisions(c, m.id)) })));
    c.render(
      ctx,
      who,
      'Review',
      '/review',
      html`<h1>Held messages</h1>${ctx.url.searchParams.get('done') ? html`<p class="notice ok" role="status">${ctx.url.searchParams.get('done')}</p>` : ''}${items.length === 0 ? html`<p class="muted">Nothing is waiting for review.</p>` : ''}
${items.map(
  ({ m, d }) => html`<section class="card" aria-labelledby="h-${m.id}"><h2 id="h-${m.id}">${m.sender} → ${m.recipients.map((r) => r.address).join(', ')}</h2>
<p class="muted">${m.id} · ${m.receivedAt.toISOString()} · ${m.size} bytes</p><p>Held: ${m.holdReason ?? ''}</p>${decisionView(d)}
<form class="inline" method="post" action="/review/${m.id}/approve">${csrfField(who)}<button type="submit">Approve and send protected</button></form>
<form method="post" action="/review/${m.id}/reject">${csrfField(who)}<label for="reason-${m.id}">Reason for the sender (required to reject)</label><input id="reason-${m.id}" name="reason" type="text" required maxlength="500"><button class="danger" type="submit">Reject</button></form></section>`,
)}`,
    );
  });
  const act = async (ctx: Ctx, who: Principal, verb: 'approve' | 'reject', reason: string | undefined): Promise<string | null> => {
    const ops = await reviewOps(c, who);
    if (verb === 'reject' && !reason?.trim()) return 'a reason is required to reject a message';
    return verb === 'approve' ? ops.approve(ctx.params.id!, reason || undefined) : ops.reject(ctx.params.id!, reason!);
  };
  for (const verb of ['approve', 'reject'] as const) {
    c.post(`/review/:id/${verb}`, 'review', async (ctx, who, form) => {
      const err = await act(ctx, who, verb, form.fields.reason);
      if (err) throw new HttpError(409, err);
      redirect(ctx, `/review?done=${encodeURIComponent(`${verb === 'approve' ? 'Approved' : 'Rejected'} ${ctx.params.id}`)}`);
    });
    c.post(`/api/review/:id/${verb}`, 'review', async (ctx, who, form) => {
      const err = await act(ctx, who, verb, form.fields.reason);
      sendJson(ctx, err ? 409 : 200, err ? { ok: false, error: err } : { ok: true });
    });
  }
  c.get('/api/review', 'review', async (ctx) => {
    const held = await c.deps.store.queue.list({ states: ['hold'], limit: 500 });
    sendJson(ctx, 200, { held: await Promise.all(held.map(async (m) => ({ ...summary(m), decision: lastDecision(await decisions(c, m.id)) }))) });
  });
};
