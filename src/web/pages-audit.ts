// Audit trail: search and filter, CSV export, one-click chain verification. Read-only; viewing and
// exporting are themselves audited. Trust level: reads metadata only.
import type { Kysely } from 'kysely';
import { html, send, sendJson, type Ctx } from './http.js';
import type { ConsoleModule } from './console.js';
import type { Console } from './console.js';

export const AUDIT_PAGE_ROWS = 200;
export const AUDIT_EXPORT_MAX = 100_000;

interface Row {
  seq: number;
  at: string;
  type: string;
  actor: string;
  messageId: string | null;
  data: string;
}

async function search(c: Console, ctx: Ctx, limit: number): Promise<Row[]> {
  const p = ctx.url.searchParams;
  let q = (c.deps.store.db as unknown as Kysely<any>).selectFrom('audit').select(['seq', 'at', 'type', 'actor', 'message_id', 'data']).orderBy('seq', 'desc').limit(limit);
  if (p.get('type')) q = q.where('type', '=', p.get('type')!);
  if (p.get('actor')) q = q.where('actor', 'like', `%${p.get('actor')!}%`);
  if (p.get('message')) q = q.where('message_id', '=', p.get('message')!);
  if (p.get('q')) q = q.where('data', 'like', `%${p.get('q')!}%`);
  const rows = (await q.execute()) as Array<{ seq: number | string; at: number | string; type: string; actor: string; message_id: string | null; data: string }>;
  return rows.map((r) => ({ seq: Number(r.seq), at: new Date(Number(r.at)).toISOString(), type: r.type, actor: r.actor, messageId: r.message_id, data: r.data }));
}

const csvCell = (v: unknown): string => {
  const s = String(v ?? '');
  // Leading = + - @ would run as a formula in a spreadsheet.
  const safe = /^[=+\-@]/.test(s) ? `'${s}` : s;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
};
export const toCsv = (header: string[], rows: unknown[][]): string => [header, ...rows].map((r) => r.map(csvCell).join(',')).join('\r\n') + '\r\n';

export const auditPages: ConsoleModule = (c) => {
  c.get('/audit', 'audit', async (ctx, who) => {
    const rows = await search(c, ctx, AUDIT_PAGE_ROWS);
    const p = ctx.url.searchParams;
    c.render(
      ctx,
      who,
      'Audit trail',
      '/audit',
      html`<h1>Audit trail</h1>
<form method="get" action="/audit"><div class="cards">
<div><label for="type">Type</label><input id="type" name="type" type="text" value="${p.get('type') ?? ''}"></div>
<div><label for="actor">Actor contains</label><input id="actor" name="actor" type="text" value="${p.get('actor') ?? ''}"></div>
<div><label for="message">Message id</label><input id="message" name="message" type="text" value="${p.get('message') ?? ''}"></div>
<div><label for="q">Data contains</label><input id="q" name="q" type="search" value="${p.get('q') ?? ''}"></div></div>
<button type="submit">Search</button> <a class="button" href="/audit.csv?${p.toString()}">Export CSV</a></form>
<form method="post" action="/audit/verify">${html`<input type="hidden" name="_csrf" value="${who.session.csrf}">`}<button type="submit" class="secondary">Verify the chain</button></form>
<div class="table-wrap"><table><tr><th>#</th><th>Time</th><th>Type</th><th>Actor</th><th>Message</th><th>Data</th></tr>${rows.map(
        (r) => html`<tr><td>${r.seq}</td><td>${r.at}</td><td>${r.type}</td><td>${r.actor}</td><td>${r.messageId ?? ''}</td><td><code>${r.data}</code></td></tr>`,
      )}</table></div>`,
    );
  });
  c.get('/audit.csv', 'audit', async (ctx, who) => {
    const rows = await search(c, ctx, AUDIT_EXPORT_MAX);
    await c.audit(who, 'web-audit-exported', { rows: rows.length, filter: Object.fromEntries(ctx.url.searchParams) });
    send(ctx, 200, 'text/csv; charset=utf-8', toCsv(['seq', 'at', 'type', 'actor', 'message_id', 'data'], rows.map((r) => [r.seq, r.at, r.type, r.actor, r.messageId, r.data])), { 'Content-Disposition': 'attachment; filename="audit.csv"' });
  });
  c.post('/audit/verify', 'audit', async (ctx, who) => {
    const v = await c.deps.store.audit.verify();
    await c.audit(who, 'web-audit-verified', { ok: v.ok, records: v.records });
    c.render(ctx, who, 'Audit chain', '/audit', html`<h1>Audit chain</h1>${v.ok ? html`<p class="notice ok" role="status">Chain intact: ${v.records} records verified.</p>` : html`<div class="notice bad" role="alert"><p>Chain damaged (${v.records} records):</p><ul>${v.problems.map((p) => html`<li>${p}</li>`)}</ul></div>`}<p><a href="/audit">Back to the audit trail</a></p>`);
  });
  c.get('/api/audit', 'audit', async (ctx) => sendJson(ctx, 200, { records: await search(c, ctx, AUDIT_PAGE_ROWS) }));
  c.post('/api/audit/verify', 'audit', async (ctx, who) => {
    const v = await c.deps.store.audit.verify();
    await c.audit(who, 'web-audit-verified', { ok: v.ok, records: v.records });
    sendJson(ctx, 200, v);
  });
};
