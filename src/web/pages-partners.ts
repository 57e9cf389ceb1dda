// Partners (the destination registry, src/destinations): list, add, edit, CSV import and export,
// and the policy page (thresholds, weights, configured terms and patterns, and "test a message":
// the scorer's decision and masked reasons for pasted or uploaded mail; the text is not stored).
// Trust level: registry changes are admin-only and audited by the registry; tests are audited as metadata.
import { DestinationError, DestinationImportError, DestinationRegistry, DESTINATION_KINDS, type Destination } from '../destinations/index.js';
import { compilePolicy, scoreMessage, type PhiDecision } from '../policy/index.js';
import { HttpError, html, redirect, send, sendJson, type Form } from './http.js';
import { csrfField, type ConsoleModule } from './console.js';
import type { Principal } from './auth.js';
import { toCsv } from './pages-audit.js';

const day = (d: Date | null) => (d ? d.toISOString().slice(0, 10) : '');
const lastDay = (d: Date | null) => (d ? new Date(d.getTime() - 86_400_000).toISOString().slice(0, 10) : '');
const view = (d: Destination) => ({ pattern: d.pattern, kind: d.kind, notes: d.notes, effectiveFrom: day(d.effectiveFrom), effectiveUntil: lastDay(d.effectiveUntil), tlsRequired: d.tlsRequired, createdBy: d.createdBy });

function input(form: Form) {
  const f = form.fields;
  return { pattern: f.pattern ?? '', kind: f.kind ?? '', notes: f.notes ?? '', ...(f.from ? { from: f.from } : {}), ...(f.until ? { until: f.until } : {}), tlsRequired: f.tls === 'on' || f.tls === 'true' };
}

const userError = (e: unknown): never => {
  if (e instanceof DestinationError || e instanceof DestinationImportError) throw new HttpError(400, e.message);
  throw e;
};

export const partnerPages: ConsoleModule = (c) => {
  const reg = new DestinationRegistry(c.deps.store, { clock: { now: c.deps.now } });
  const partnerForm = (who: Principal, d?: Destination) =>
    html`<form method="post" action="${d ? `/partners/edit` : '/partners'}">${csrfField(who)}${d ? html`<input type="hidden" name="original" value="${d.pattern}">` : ''}
<label for="pattern">Domain or address (".example.org" includes subdomains)</label><input id="pattern" name="pattern" type="text" required value="${d?.pattern ?? ''}">
<label for="kind">Kind</label><select id="kind" name="kind">${DESTINATION_KINDS.map((k) => html`<option${d?.kind === k ? html` selected` : ''}>${k}</option>`)}</select>
<label for="notes">Notes</label><input id="notes" name="notes" type="text" value="${d?.notes ?? ''}">
<label for="from">Effective from (YYYY-MM-DD)</label><input id="from" name="from" type="text" value="${d ? day(d.effectiveFrom) : ''}">
<label for="until">Effective until, inclusive</label><input id="until" name="until" type="text" value="${d ? lastDay(d.effectiveUntil) : ''}">
<label><input type="checkbox" name="tls"${d?.tlsRequired ? html` checked` : ''}> Require TLS</label>
<button type="submit">${d ? 'Save' : 'Add partner'}</button></form>`;

  c.get('/partners', 'partners.view', async (ctx, who) => {
    const rows = await reg.list();
    const admin = who.role === 'admin';
    c.render(
      ctx,
      who,
      'Partners',
      '/partners',
      html`<h1>Partners</h1><p><a class="button secondary" href="/partners.csv">Export CSV</a></p>
<div class="table-wrap"><table><tr><th>Pattern</th><th>Kind</th><th>Notes</th><th>From</th><th>Until</th><th>TLS</th>${admin ? html`<th>Edit</th>` : ''}</tr>${rows.map(
        (d) => html`<tr><td>${d.pattern}</td><td>${d.kind}</td><td>${d.notes}</td><td>${day(d.effectiveFrom)}</td><td>${lastDay(d.effectiveUntil)}</td><td>${d.tlsRequired ? 'required' : ''}</td>${admin ? html`<td><a href="/partners/edit?pattern=${encodeURIComponent(d.pattern)}">Edit</a></td>` : ''}</tr>`,
      )}</table></div>
${admin ? html`<h2>Add a partner</h2>${partnerForm(who)}<h2>Import CSV</h2><form method="post" action="/partners/import" enctype="multipart/form-data">${csrfField(who)}<label for="csv">CSV file (pattern,kind,notes,effective_from,effective_until,tls_required)</label><input id="csv" name="csv" type="file" accept=".csv,text/csv"><button type="submit">Import</button></form>` : ''}`,
    );
  });
  c.get('/partners/edit', 'partners.change', async (ctx, who) => {
    const d = await reg.get(ctx.url.searchParams.get('pattern') ?? '');
    if (!d) throw new HttpError(404, 'no such partner');
    c.render(ctx, who, 'Edit partner', '/partners', html`<h1>Edit ${d.pattern}</h1>${partnerForm(who, d)}`);
  });
  c.post('/partners', 'partners.change', async (ctx, who, form) => {
    await reg.add(input(form), who.actor).catch(userError);
    redirect(ctx, '/partners');
  });
  c.post('/partners/edit', 'partners.change', async (ctx, who, form) => {
    // The registry has add and remove; an edit is both, each audited.
    const old = await reg.get(form.fields.original ?? '');
    if (!old) throw new HttpError(404, 'no such partner');
    await reg.remove(old.pattern, who.actor);
    try {
      await reg.add(input(form), who.actor);
    } catch (e) {
      await reg.add({ pattern: old.pattern, kind: old.kind, notes: old.notes, ...(old.effectiveFrom ? { from: day(old.effectiveFrom) } : {}), ...(old.effectiveUntil ? { until: lastDay(old.effectiveUntil) } : {}), tlsRequired: old.tlsRequired }, who.actor);
      userError(e);
    }
    redirect(ctx, '/partners');
  });
  c.post('/partners/import', 'partners.change', async (ctx, who, form) => {
    const text = form.files.csv?.[0]?.data.toString('utf8') ?? form.fields.csv ?? '';
    const added = await reg.importCsv(text, who.actor).catch(userError);
    c.render(ctx, who, 'Import', '/partners', html`<h1>Imported</h1><p class="notice ok" role="status">${added.length} partner(s) imported.</p><p><a href="/partners">Back</a></p>`);
  });
  c.get('/partners.csv', 'partners.view', async (ctx, who) => {
    const rows = (await reg.list()).map(view);
    await c.audit(who, 'web-partners-exported', { rows: rows.length });
    send(ctx, 200, 'text/csv; charset=utf-8', toCsv(['pattern', 'kind', 'notes', 'effective_from', 'effective_until', 'tls_required'], rows.map((r) => [r.pattern, r.kind, r.notes, r.effectiveFrom, r.effectiveUntil, r.tlsRequired ? 'yes' : 'no'])), { 'Content-Disposition': 'attachment; filename="partners.csv"' });
  });
  c.get('/api/partners', 'partners.view', async (ctx) => sendJson(ctx, 200, { partners: (await reg.list()).map(view) }));
  c.post('/api/partners', 'partners.change', async (ctx, who, form) => sendJson(ctx, 201, view(await reg.add(input(form), who.actor).catch(userError))));

  // Policy
  const testMessage = async (form: Form, who: Principal): Promise<PhiDecision> => {
    const raw = form.files.message?.[0]?.data ?? Buffer.from((form.fields.message ?? '').replace(/\r?\n/g, '\r\n'), 'utf8');
    if (raw.length === 0) throw new HttpError(400, 'paste or upload a message to test');
    const d = scoreMessage(raw, c.deps.cfg.policy);
    await c.audit(who, 'web-policy-tested', { size: raw.length, phi: d.phi, pii: d.pii, score: d.score });
    return d;
  };
  const policyPage = (who: Principal, result?: PhiDecision) => {
    const pol = compilePolicy(c.deps.cfg.policy);
    return html`<h1>Policy</h1>
${result ? html`<section class="notice ${result.phi ? 'bad' : 'ok'}" role="status" aria-live="polite"><h2>Decision: ${result.phi ? 'PHI' : result.pii ? 'personal data, no PHI' : 'no PHI'}</h2><p>Score ${result.score.toFixed(1)} (threshold ${result.threshold})</p><ul>${result.reasons.map((r) => html`<li>${r.category} ×${r.count}${r.where.length ? ` in ${r.where.join(', ')}` : ''}${r.samples.length ? `: ${r.samples.join(', ')}` : ''}</li>`)}</ul></section>` : ''}
<h2>Test a message</h2><form method="post" action="/policy/test" enctype="multipart/form-data">${csrfField(who)}<label for="message">Paste a message (headers and body)</label><textarea id="message" name="message"></textarea><label for="upload">…or upload an .eml file</label><input id="upload" name="message" type="file" accept=".eml,message/rfc822"><p><button type="submit">Test</button></p></form>
<h2>Thresholds and weights</h2><table><tr><th>Threshold</th><td>${pol.threshold}</td></tr><tr><th>Health evidence for full weight</th><td>${pol.healthSaturation}</td></tr><tr><th>Identifier evidence for full weight</th><td>${pol.identifierSaturation}</td></tr></table>
<h2>Identifier weights</h2><table>${Object.entries(pol.idWeights).map(([k, v]) => html`<tr><th>${k}</th><td>${v}</td></tr>`)}</table>
<h2>Configured terms and patterns</h2><pre>${JSON.stringify({ terms: c.deps.cfg.policy?.terms ?? [], mrnPatterns: pol.mrnPatterns.map(String), memberIdPatterns: pol.memberIdPatterns.map(String) }, null, 2)}</pre>`;
  };
  c.get('/policy', 'policy.test', (ctx, who) => c.render(ctx, who, 'Policy', '/policy', policyPage(who)));
  c.post('/policy/test', 'policy.test', async (ctx, who, form) => c.render(ctx, who, 'Policy', '/policy', policyPage(who, await testMessage(form, who))));
  c.post('/api/policy/test', 'policy.test', async (ctx, who, form) => sendJson(ctx, 200, await testMessage(form, who)));
};
