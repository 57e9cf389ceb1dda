// Dashboard (traffic per hour from the audit trail, queue counts) and health (listeners, database,
// clamd, each LDAP directory asked for its base entry, CA, expiring certificates). Read-only. Trust level: reads metadata only.
import type { Kysely } from 'kysely';
import { html, sendJson } from './http.js';
import { barChart } from './charts.js';
import type { Console, ConsoleModule } from './console.js';
import type { MessageState } from '../queue/types.js';
import { probeLdap } from '../directory/sources/ldap.js';

const HOURS = 24;
/** Most audit records the dashboard reads (a day of a busy gateway). */
export const DASHBOARD_MAX_RECORDS = 200_000;

export interface DashboardData {
  hours: string[];
  inbound: number[];
  outbound: number[];
  phi: number[];
  held: number[];
  certificates: number[];
  malware: number[];
  methods: Record<string, number>;
  queue: Record<string, number>;
}

export async function dashboardData(c: Console): Promise<DashboardData> {
  const now = c.deps.now().getTime();
  const start = Math.floor(now / 3600_000) * 3600_000 - (HOURS - 1) * 3600_000;
  const zero = () => new Array<number>(HOURS).fill(0);
  const d: DashboardData = {
    hours: Array.from({ length: HOURS }, (_, i) => new Date(start + i * 3600_000).toISOString().slice(11, 13) + 'h'),
    inbound: zero(),
    outbound: zero(),
    phi: zero(),
    held: zero(),
    certificates: zero(),
    malware: zero(),
    methods: {},
    queue: {},
  };
  const db = c.deps.store.db as unknown as Kysely<any>;
  const rows = (await db.selectFrom('audit').select(['at', 'type', 'data']).where('at', '>=', start).limit(DASHBOARD_MAX_RECORDS).execute()) as Array<{ at: number | string; type: string; data: string }>;
  for (const r of rows) {
    const slot = Math.floor((Number(r.at) - start) / 3600_000);
    if (slot < 0 || slot >= HOURS) continue;
    let data: Record<string, unknown> = {};
    try {
      data = JSON.parse(r.data) as Record<string, unknown>;
    } catch {
      /* counted without details */
    }
    if (r.type === 'received') (data.direction === 'inbound' ? d.inbound : d.outbound)[slot]!++;
    else if (r.type === 'policy-decision' && data.phi === true) d.phi[slot]!++;
    else if (r.type === 'held') d.held[slot]!++;
    else if (r.type === 'certificate-issued') d.certificates[slot]!++;
    else if (r.type === 'malware') d.malware[slot]!++;
    else if (r.type === 'protection') {
      // One count per recipient and method ('plain' for mail delivered without protection).
      const recips = Array.isArray(data.recipients) ? (data.recipients as Array<{ method?: unknown; outcome?: unknown }>) : [];
      const names = data.action === 'deliver' ? ['plain'] : recips.filter((x) => x.outcome === 'protected').map((x) => String(x.method));
      for (const m of names) d.methods[m] = (d.methods[m] ?? 0) + 1;
    }
  }
  const states: MessageState[] = ['incoming', 'active', 'deferred', 'hold'];
  for (const s of states) d.queue[s] = (await c.deps.store.queue.list({ states: [s], limit: 10_000 })).length;
  return d;
}

async function healthData(c: Console) {
  const { deps } = c;
  let database = 'ok';
  try {
    await deps.store.getSetting('initialized_at');
  } catch (e) {
    database = `error: ${(e as Error).message}`;
  }
  const av = deps.antivirus ? await deps.antivirus.checkHealth().then(() => deps.antivirus!.health()).catch((e: Error) => ({ error: e.message })) : null;
  const db = deps.store.db as unknown as Kysely<any>;
  const soon = deps.now().getTime() + 30 * 86400_000;
  const expiring = (await db
    .selectFrom('pki_certs')
    .select(['serial', 'kind', 'address', 'not_after'])
    .where('revoked_at', 'is', null)
    .where('not_after', '<', soon)
    .orderBy('not_after')
    .limit(50)
    .execute()
    .catch(() => [])) as Array<{ serial: string; kind: string; address: string | null; not_after: number | string }>;
  const cas = (await db.selectFrom('pki_certs').select(['serial', 'kind', 'subject', 'not_after']).where('address', 'is', null).where('revoked_at', 'is', null).execute().catch(() => [])) as Array<{ serial: string; kind: string; subject: string; not_after: number | string }>;
  const dir = deps.cfg.directory;
  // each configured LDAP directory is asked for its base entry (in parallel, each within its own timeout)
  const directories = { sources: dir?.sources ?? [], ldap: await Promise.all((dir?.ldap ?? []).map((l) => probeLdap(l))) };
  return { listeners: { ...deps.listeners(), web: deps.cfg.web.listen }, database: { kind: deps.cfg.database.kind, status: database }, antivirus: av, directories, cas, expiring };
}

/** clamd status and signature age (alarms when older than antivirus.maxSignatureAgeHours). */
function antivirusCard(c: Console) {
  if (!c.deps.antivirus) return html`<h2>Antivirus</h2><p class="muted">Not configured.</p>`;
  const h = c.deps.antivirus.health();
  const age = h.dbAgeHours === undefined ? 'unknown' : `${h.dbAgeHours.toFixed(1)} hours`;
  return html`<h2>Antivirus</h2><div class="card"><p>clamd ${h.clamd}: <strong class="${h.status === 'ok' ? 'ok' : 'bad'}">${h.status}</strong></p><p>Signature age: ${age}</p>${h.alarms.length ? html`<ul>${h.alarms.map((a) => html`<li class="bad">${a}</li>`)}</ul>` : ''}</div>`;
}

export const dashboardPages: ConsoleModule = (c) => {
  c.get('/', 'dashboard', async (ctx, who) => {
    const d = await dashboardData(c);
    const methods = Object.entries(d.methods);
    c.render(
      ctx,
      who,
      'Dashboard',
      '/',
      html`<h1>Dashboard</h1><p class="muted">Last 24 hours (UTC), from the audit trail.</p>
<div class="cards">${Object.entries(d.queue).map(([k, v]) => html`<div class="card"><div class="muted">${k}</div><div class="big">${v}</div></div>`)}</div>
${barChart('Messages per hour', d.hours, [{ name: 'inbound', cls: 'in', values: d.inbound }, { name: 'outbound', cls: 'out', values: d.outbound }])}
<div class="cards">${barChart('PHI detections', d.hours, [{ name: 'PHI', cls: 'bar', values: d.phi }], 6)}${barChart('Held', d.hours, [{ name: 'held', cls: 'bar', values: d.held }], 6)}
${barChart('Certificates issued', d.hours, [{ name: 'issued', cls: 'bar', values: d.certificates }], 6)}${barChart('Virus detections', d.hours, [{ name: 'malware', cls: 'bar', values: d.malware }], 6)}</div>
<h2>Protection methods used</h2>${methods.length ? barChart('Protection methods', methods.map(([k]) => k), [{ name: 'messages', cls: 'bar', values: methods.map(([, v]) => v) }], 1) : html`<p class="muted">None in the last 24 hours.</p>`}
${antivirusCard(c)}`,
    );
  });
  c.get('/api/dashboard', 'dashboard', async (ctx) => sendJson(ctx, 200, await dashboardData(c)));

  c.get('/health', 'health', async (ctx, who) => {
    const h = await healthData(c);
    c.render(
      ctx,
      who,
      'Health',
      '/health',
      html`<h1>Health</h1><h2>Listeners</h2><table><tr><th>Listener</th><th>Address</th></tr>${Object.entries(h.listeners).map(([k, v]) => html`<tr><td>${k}</td><td>${v.host}:${v.port}</td></tr>`)}</table>
<h2>Database</h2><p>${h.database.kind}: <span class="${h.database.status === 'ok' ? 'ok' : 'bad'}">${h.database.status}</span></p>
<h2>Antivirus (clamd)</h2>${h.antivirus ? html`<pre>${JSON.stringify(h.antivirus, null, 2)}</pre>` : html`<p class="muted">Not configured.</p>`}
<h2>Certificate directories</h2><p>Sources in order: ${h.directories.sources.join(', ') || 'none'}</p>${h.directories.ldap.length ? html`<table><tr><th>LDAP directory</th><th>Status</th><th>Time</th></tr>${h.directories.ldap.map((l) => html`<tr><td>${l.url}</td><td class="${l.status === 'ok' ? 'ok' : 'bad'}">${l.status}</td><td>${l.ms} ms</td></tr>`)}</table>` : ''}
<h2>Certification authorities</h2><table><tr><th>Kind</th><th>Subject</th><th>Valid until</th></tr>${h.cas.map((x) => html`<tr><td>${x.kind}</td><td>${x.subject}</td><td>${new Date(Number(x.not_after)).toISOString()}</td></tr>`)}</table>
<h2>Certificates expiring within 30 days</h2>${h.expiring.length ? html`<table><tr><th>Serial</th><th>Kind</th><th>Address</th><th>Expires</th></tr>${h.expiring.map((x) => html`<tr><td>${x.serial}</td><td>${x.kind}</td><td>${x.address ?? ''}</td><td>${new Date(Number(x.not_after)).toISOString()}</td></tr>`)}</table>` : html`<p class="ok">None.</p>`}`,
    );
  });
  c.get('/api/health', 'health', async (ctx) => sendJson(ctx, 200, await healthData(c)));
};
