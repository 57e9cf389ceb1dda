// Certificates: search, inspect, download (PEM), issue for an external recipient, revoke, and
// PKCS#12 password retrieval (shown once per click, never in a URL, audited by retrievePassword).
// After issuing, the PKCS#12 file is offered once for download (POST with a one-use handle, kept
// in memory for 10 minutes for the issuing admin only: the private key may be destroyed by then).
// Trust level: opens the domain PKI with the KEK (issue, revoke, passwords); admin-only changes.
import { randomBytes } from 'node:crypto';
import { fingerprint, toPem, type DomainPki } from '../pki/ca.js';
import { issueForExternalRecipient, retrievePassword } from '../pki/issue.js';
import type { CertRecord } from '../pki/certstore.js';
import type { Kysely } from 'kysely';
import { HttpError, attachmentHeader, html, send, sendJson, type Safe } from './http.js';
import { csrfField, type Console, type ConsoleModule } from './console.js';
import type { Principal } from './auth.js';
import { openConfiguredPki } from '../pki/setup.js';

function pkiOpener(c: Console): () => Promise<DomainPki> {
  let opened: Promise<DomainPki> | undefined;
  return () => {
    opened ??= openConfiguredPki(c.deps.cfg, c.deps.store, { now: c.deps.now });
    opened.catch(() => (opened = undefined));
    return opened;
  };
}

const view = (r: CertRecord) => ({
  serial: r.serial,
  kind: r.kind,
  ca: r.ca,
  address: r.address,
  subject: r.subject,
  notBefore: r.notBefore.toISOString(),
  notAfter: r.notAfter.toISOString(),
  revokedAt: r.revokedAt?.toISOString() ?? null,
  fingerprint: fingerprint(r.der),
});

const secretBox = (label: string, value: string): Safe =>
  html`<div class="notice" role="status"><p>${label} (shown once; this page is not kept):</p><p class="secret" id="secret">${value}</p><button type="button" class="secondary" data-copy="secret">Copy</button></div>`;

/** Issued PKCS#12 files waiting for their one download (handle → file), per process, in memory. */
interface IssuedFile {
  pkcs12: Buffer;
  serial: string;
  address: string;
  actor: string;
  expires: number;
}
const DOWNLOAD_TTL_MS = 10 * 60_000;

function downloads(now: () => Date) {
  const files = new Map<string, IssuedFile>();
  const sweep = () => {
    for (const [k, f] of files) if (f.expires <= now().getTime()) files.delete(k);
  };
  return {
    put(f: Omit<IssuedFile, 'expires'>): string {
      sweep();
      const handle = randomBytes(24).toString('base64url');
      files.set(handle, { ...f, expires: now().getTime() + DOWNLOAD_TTL_MS });
      return handle;
    },
    take(handle: string, actor: string): IssuedFile | undefined {
      sweep();
      const f = files.get(handle);
      if (!f || f.actor !== actor) return undefined;
      files.delete(handle);
      return f;
    },
  };
}

export const certificatePages: ConsoleModule = (c) => {
  const pki = pkiOpener(c);
  const issued = downloads(c.deps.now);
  const find = async (address: string) => (await pki()).certs.listCerts({ ...(address ? { address: address.toLowerCase() } : {}), includeRevoked: true, limit: 200 });

  const passwordForm = (who: Principal, value = '') =>
    html`<form method="post" action="/certificates/password">${csrfField(who)}<label for="pw-q">Recipient address or serial</label><input id="pw-q" name="query" type="text" value="${value}" required><button type="submit">Show PKCS#12 password</button></form>`;

  c.get('/certificates', 'certs.view', async (ctx, who) => {
    const q = ctx.url.searchParams.get('q') ?? '';
    const rows = await find(q);
    c.render(
      ctx,
      who,
      'Certificates',
      '/certificates',
      html`<h1>Certificates</h1><p><a href="/certificates/pending">Pending certificate requests</a></p><form method="get" action="/certificates"><label for="q">Address</label><input id="q" name="q" type="search" value="${q}"><button type="submit">Search</button></form>
<h2>PKCS#12 password retrieval</h2>${passwordForm(who)}
${who.role === 'admin' ? html`<h2>Issue for an external recipient</h2><form method="post" action="/certificates/issue">${csrfField(who)}<label for="addr">Recipient address</label><input id="addr" name="address" type="email" required><button type="submit">Issue</button></form>` : ''}
<h2>Results</h2><div class="table-wrap"><table><tr><th>Serial</th><th>Kind</th><th>Address</th><th>Valid until</th><th>Status</th></tr>${rows.map(
        (r) => html`<tr><td><a href="/certificates/${r.serial}">${r.serial}</a></td><td>${r.kind}</td><td>${r.address ?? r.subject}</td><td>${r.notAfter.toISOString().slice(0, 10)}</td><td>${r.revokedAt ? html`<span class="bad">revoked</span>` : 'valid'}</td></tr>`,
      )}</table></div>`,
    );
  });

  const pending = async () =>
    ((await (c.deps.store.db as unknown as Kysely<any>).selectFrom('pending_certs').selectAll().orderBy('requested_at', 'desc').limit(200).execute().catch(() => [])) as Array<Record<string, unknown>>).map((r) => ({
      address: String(r.address),
      status: String(r.status),
      requestedBy: String(r.requested_by),
      requestedAt: new Date(Number(r.requested_at)).toISOString(),
      expiresAt: new Date(Number(r.expires_at)).toISOString(),
      held: (JSON.parse(String(r.message_ids ?? '[]')) as unknown[]).length,
    }));
  c.get('/certificates/pending', 'certs.view', async (ctx, who) => {
    const rows = await pending();
    c.render(
      ctx,
      who,
      'Pending certificate requests',
      '/certificates',
      html`<h1>Pending certificate requests</h1><p class="muted">Recipients asked for their certificate (a signed reply); their messages wait until it arrives or the request expires.</p><div class="table-wrap"><table><tr><th>Address</th><th>Status</th><th>Requested by</th><th>Requested</th><th>Expires</th><th>Messages held</th></tr>${rows.map(
        (r) => html`<tr><td>${r.address}</td><td>${r.status}</td><td>${r.requestedBy}</td><td>${r.requestedAt.slice(0, 16)}</td><td>${r.expiresAt.slice(0, 16)}</td><td>${r.held}</td></tr>`,
      )}</table></div>`,
    );
  });
  c.get('/api/certificates/pending', 'certs.view', async (ctx) => sendJson(ctx, 200, { pending: await pending() }));

  c.get('/certificates/:serial', 'certs.view', async (ctx, who) => {
    const r = await (await pki()).certs.getCert(ctx.params.serial!);
    if (!r) throw new HttpError(404, 'no such certificate');
    c.render(
      ctx,
      who,
      `Certificate ${r.serial}`,
      '/certificates',
      html`<h1>Certificate ${r.serial}</h1><table>${Object.entries(view(r)).map(([k, v]) => html`<tr><th>${k}</th><td>${v ?? ''}</td></tr>`)}</table>
<p><a class="button" href="/certificates/${r.serial}/pem">Download PEM</a></p>
${who.role === 'admin' && !r.revokedAt && !r.kind.endsWith('-ca') ? html`<form method="post" action="/certificates/${r.serial}/revoke">${csrfField(who)}<label for="why">Reason</label><select id="why" name="reason"><option>unspecified</option><option>keyCompromise</option><option>superseded</option><option>cessationOfOperation</option><option>affiliationChanged</option></select><button class="danger" type="submit" data-confirm="Revoke this certificate?">Revoke</button></form>` : ''}`,
    );
  });

  c.get('/certificates/:serial/pem', 'certs.view', async (ctx) => {
    const r = await (await pki()).certs.getCert(ctx.params.serial!);
    if (!r) throw new HttpError(404, 'no such certificate');
    send(ctx, 200, 'application/x-pem-file', toPem(r.der), { 'Content-Disposition': `attachment; filename="${r.serial}.pem"` });
  });

  const revoke = async (serial: string, reason: string, who: Principal) => {
    const rec = await (await pki()).revoke(serial, reason as never).catch((e: Error) => {
      throw new HttpError(409, e.message);
    });
    await c.audit(who, 'certificate-revoked', { serial, address: rec.address, reason });
    return rec;
  };
  c.post('/certificates/:serial/revoke', 'certs.change', async (ctx, who, form) => {
    await revoke(ctx.params.serial!, form.fields.reason || 'unspecified', who);
    ctx.res.statusCode = 303;
    ctx.res.setHeader('Location', `/certificates/${ctx.params.serial}`);
    ctx.res.end();
  });
  c.post('/api/certificates/:serial/revoke', 'certs.change', async (ctx, who, form) => sendJson(ctx, 200, view(await revoke(ctx.params.serial!, form.fields.reason || 'unspecified', who))));

  const password = async (query: string, who: Principal) =>
    retrievePassword(await pki(), query.trim(), who.actor).catch((e: Error) => {
      throw new HttpError(404, e.message);
    });
  c.post('/certificates/password', 'certs.password', async (ctx, who, form) => {
    const r = await password(form.fields.query ?? '', who);
    c.render(ctx, who, 'PKCS#12 password', '/certificates', html`<h1>PKCS#12 password</h1><p>Certificate ${r.serial} for ${r.address}.</p>${secretBox('Password', r.password)}<p><a href="/certificates">Back</a></p>`);
  });
  c.post('/api/certificates/password', 'certs.password', async (ctx, who, form) => sendJson(ctx, 200, await password(form.fields.query ?? '', who)));

  c.post('/certificates/issue', 'certs.change', async (ctx, who, form) => {
    const r = await issueForExternalRecipient(await pki(), form.fields.address ?? '', { actor: who.actor }).catch((e: Error) => {
      throw new HttpError(400, e.message);
    });
    const handle = issued.put({ pkcs12: r.pkcs12, serial: r.record.serial, address: r.record.address!, actor: who.actor });
    c.render(
      ctx,
      who,
      'Certificate issued',
      '/certificates',
      html`<h1>Certificate issued</h1><p><a href="/certificates/${r.record.serial}">${r.record.serial}</a> for ${r.record.address}.</p>${secretBox('PKCS#12 password', r.password)}
<form method="post" action="/certificates/issued/download">${csrfField(who)}<input type="hidden" name="handle" value="${handle}"><button type="submit">Download PKCS#12</button></form><p class="muted">The file can be downloaded once, within 10 minutes. Send the file and the password by different channels.</p>`,
    );
  });
  c.post('/certificates/issued/download', 'certs.change', async (ctx, who, form) => {
    const f = issued.take(form.fields.handle ?? '', who.actor);
    if (!f) throw new HttpError(410, 'this download was already used or has expired; issue a new certificate');
    await c.audit(who, 'certificate-pkcs12-downloaded', { serial: f.serial, address: f.address });
    send(ctx, 200, 'application/x-pkcs12', f.pkcs12, { 'Content-Disposition': attachmentHeader(`${f.address}.p12`) });
  });
  c.get('/api/certificates', 'certs.view', async (ctx) => sendJson(ctx, 200, { certificates: (await find(ctx.url.searchParams.get('q') ?? '')).map(view) }));
};
