// The secure pickup portal (/p/TOKEN): an outside recipient asks for a one-time code (emailed to
// the same address), enters it (and the sender's passphrase when set), reads the message (HTML
// sanitized, remote content blocked), downloads attachments and replies securely; the reply, with
// attachments, goes to the original sender through the gateway (inbound). Expired and revoked
// links show a plain page. Every access is audited (ids and sizes, no content, no file names).
// The console's /pickup page lists stored messages and revokes them.
// Trust level: network-facing, unauthenticated until the code; the token in the path is the only
// secret a URL ever carries.
import { randomBytes } from 'node:crypto';
import { HttpError, Safe, attachmentHeader, html, readForm, redirect, send, sendHtml, sendJson, type Ctx, type Router, type Upload } from './http.js';
import { page } from './layout.js';
import { Sessions, sameToken, type Session } from './auth.js';
import { PortalStore, type PortalRow } from './portal-store.js';
import { viewMessage, type MessageView } from './mime-view.js';
import { sanitizeHtml } from './sanitize.js';
import { loadKek, type Kek } from '../pki/keystore.js';
import type { WebDeps } from './server.js';
import { csrfField, type ConsoleModule } from './console.js';

export function portalStoreFor(deps: Pick<WebDeps, 'cfg' | 'store' | 'now'>): PortalStore {
  let kek: Kek | undefined;
  return new PortalStore(deps.store, () => (kek ??= loadKek(deps.cfg.pki!.kek, deps.cfg.dir)), deps.now);
}

const maskAddress = (a: string): string => {
  const at = a.lastIndexOf('@');
  return at > 0 ? `${a[0]}${'*'.repeat(Math.max(1, Math.min(6, at - 1)))}${a.slice(at)}` : a;
};

const shell = (title: string, body: Safe) => page(title, html`${body}`, { narrow: true });

function gonePage(state: 'expired' | 'revoked' | 'unknown'): Safe {
  const text =
    state === 'expired'
      ? 'This secure message has expired and can no longer be opened. Please ask the sender to send it again.'
      : state === 'revoked'
        ? 'The sender has withdrawn this secure message.'
        : 'This link is not valid. Check that you copied the whole link from the email.';
  return shell(state === 'expired' ? 'Message expired' : 'Message not available', html`<h1>${state === 'expired' ? 'This message has expired' : 'Message not available'}</h1><p>${text}</p>`);
}

const b64lines = (b: Buffer) => b.toString('base64').replace(/(.{76})/g, '$1\r\n');
const headerText = (s: string) => (/^[\x20-\x7e]*$/.test(s) ? s : `=?UTF-8?B?${Buffer.from(s, 'utf8').toString('base64')}?=`);

/** The recipient's reply as a MIME message to the original sender (CRLF). */
export function replyMessage(o: { from: string; to: string; subject: string; inReplyTo: string; text: string; files: Upload[]; hostname: string; now: Date }): Buffer {
  const boundary = `=_portal_${randomBytes(12).toString('hex')}`;
  const head = [
    `From: ${o.from}`,
    `To: ${o.to}`,
    `Subject: ${headerText(o.subject)}`,
    `Date: ${o.now.toUTCString().replace('GMT', '+0000')}`,
    `Message-ID: <${randomBytes(12).toString('hex')}@${o.hostname}>`,
    ...(o.inReplyTo ? [`In-Reply-To: ${o.inReplyTo}`, `References: ${o.inReplyTo}`] : []),
    'MIME-Version: 1.0',
    `Content-Type: multipart/mixed; boundary="${boundary}"`,
  ];
  const parts = [
    `Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n${b64lines(Buffer.from(o.text.replace(/\r?\n/g, '\r\n'), 'utf8'))}`,
    ...o.files.map((f) => {
      const name = f.filename.replace(/["\\\r\n]/g, '_');
      return `Content-Type: ${/^[\w.+-]+\/[\w.+-]+$/.test(f.contentType) ? f.contentType : 'application/octet-stream'}; name="${headerText(name)}"\r\nContent-Disposition: attachment; filename="${headerText(name)}"\r\nContent-Transfer-Encoding: base64\r\n\r\n${b64lines(f.data)}`;
    }),
  ];
  return Buffer.from(`${head.join('\r\n')}\r\n\r\n${parts.map((p) => `--${boundary}\r\n${p}\r\n`).join('')}--${boundary}--\r\n`, 'utf8');
}

function systemMessage(o: { from: string; to: string; subject: string; text: string; hostname: string; now: Date }): Buffer {
  return Buffer.from(
    [`From: ${o.from}`, `To: ${o.to}`, `Subject: ${o.subject}`, `Date: ${o.now.toUTCString().replace('GMT', '+0000')}`, `Message-ID: <${randomBytes(12).toString('hex')}@${o.hostname}>`, 'MIME-Version: 1.0', 'Content-Type: text/plain; charset=utf-8', 'Auto-Submitted: auto-generated', '', o.text, ''].join('\r\n'),
    'utf8',
  );
}

function messageBody(v: MessageView): Safe {
  if (v.html !== undefined) {
    const s = sanitizeHtml(v.html);
    return html`${s.blockedImages ? html`<p class="notice">Remote and embedded images are blocked for your privacy (${s.blockedImages}).</p>` : ''}<div class="message">${new Safe(s.html)}</div>`;
  }
  return html`<div class="message"><pre>${v.text ?? ''}</pre></div>`;
}

export function mountPortal(router: Router, deps: WebDeps): void {
  const portal = portalStoreFor(deps);
  const sessions = new Sessions(deps.store.db, deps.now);
  const audit = (type: string, r: PortalRow, data: Record<string, unknown> = {}, ip = '') =>
    deps.store.audit.append({ type, actor: `portal:${r.recipient}`, messageId: r.message_id, data: { portalId: r.id, ...(ip ? { ip } : {}), ...data } });
  const postmaster = `postmaster@${deps.cfg.domains[0]}`;

  /** The message for the token, or the page explaining why not (sent here). */
  async function find(ctx: Ctx): Promise<PortalRow | null> {
    const r = await portal.byToken(ctx.params.token ?? '');
    if (!r) {
      sendHtml(ctx, 404, gonePage('unknown'));
      return null;
    }
    const state = portal.state(r);
    if (state !== 'ok') {
      await audit('portal-refused', r, { state }, ctx.ip);
      sendHtml(ctx, 410, gonePage(state));
      return null;
    }
    return r;
  }
  async function session(ctx: Ctx, r: PortalRow): Promise<Session | null> {
    const s = await sessions.load(ctx, 'portal');
    return s && s.subject === r.id ? s : null;
  }
  async function authed(ctx: Ctx): Promise<{ r: PortalRow; s: Session } | null> {
    const r = await find(ctx);
    if (!r) return null;
    const s = await session(ctx, r);
    if (!s?.secondFactor) {
      redirect(ctx, `/p/${ctx.params.token}`);
      return null;
    }
    return { r, s };
  }
  async function checkedPost(ctx: Ctx, r: PortalRow) {
    const s = await session(ctx, r);
    const form = await readForm(ctx.req);
    if (!s || !sameToken(form.fields._csrf, s.csrf)) throw new HttpError(403, 'your session expired; open the link from the email again');
    return { s, form };
  }
  const codeForm = (token: string, r: PortalRow, s: Session, message?: string) =>
    shell(
      'Enter your code',
      html`<h1>Enter your code</h1>${message ? html`<p class="notice bad" role="alert">${message}</p>` : html`<p class="notice ok" role="status">We emailed a one-time code to ${maskAddress(r.recipient)}. It is valid for 10 minutes.</p>`}
<form method="post" action="/p/${token}/verify"><input type="hidden" name="_csrf" value="${s.csrf}"><label for="code">One-time code</label><input id="code" name="code" type="text" inputmode="numeric" autocomplete="one-time-code" required>
${r.passphrase_hash ? html`<label for="passphrase">Passphrase from the sender</label><input id="passphrase" name="passphrase" type="password" required>` : ''}<p><button type="submit">Open message</button></p></form>
<form method="post" action="/p/${token}/code"><input type="hidden" name="_csrf" value="${s.csrf}"><button type="submit" class="secondary">Send a new code</button></form>`,
    );

  router.get('/p/:token', async (ctx) => {
    const r = await find(ctx);
    if (!r) return;
    let s = await session(ctx, r);
    if (s?.secondFactor) return redirect(ctx, `/p/${ctx.params.token}/read`);
    s ??= await sessions.start(ctx, 'portal', r.id, false);
    await audit('portal-visited', r, {}, ctx.ip);
    sendHtml(
      ctx,
      200,
      shell(
        'Secure message',
        html`<h1>You have a secure message</h1><p><strong>${r.sender}</strong> sent you a message through a secure connection.</p><p>To open it, we will email a one-time code to <strong>${maskAddress(r.recipient)}</strong>.</p>
<form method="post" action="/p/${ctx.params.token}/code"><input type="hidden" name="_csrf" value="${s.csrf}"><button type="submit">Email me a code</button></form><p class="muted">Available until ${new Date(Number(r.expires_at)).toISOString().slice(0, 10)}.</p>`,
      ),
    );
  });

  router.post('/p/:token/code', async (ctx) => {
    const r = await find(ctx);
    if (!r) return;
    const { s } = await checkedPost(ctx, r);
    const code = await portal.issueCode(r);
    if (!code) {
      await audit('portal-code-refused', r, { why: 'rate limit' }, ctx.ip);
      return sendHtml(ctx, 429, codeForm(ctx.params.token!, r, s, 'Too many codes were requested. Wait an hour, or use the last code you received.'));
    }
    await deps.submitter.submit({
      direction: 'outbound',
      sender: '',
      recipients: [r.recipient],
      origin: 'portal-code',
      body: systemMessage({ from: postmaster, to: r.recipient, subject: 'Your one-time code', text: `Your one-time code is ${code}\r\n\r\nIt is valid for 10 minutes. If you did not ask for it, ignore this message.`, hostname: deps.cfg.hostname, now: deps.now() }),
    });
    await audit('portal-code-sent', r, {}, ctx.ip);
    sendHtml(ctx, 200, codeForm(ctx.params.token!, r, s));
  });

  router.post('/p/:token/verify', async (ctx) => {
    const r = await find(ctx);
    if (!r) return;
    const { s, form } = await checkedPost(ctx, r);
    const v = await portal.verify(r, form.fields.code ?? '', form.fields.passphrase ?? '');
    if (v !== 'ok') {
      await audit('portal-code-failed', r, { why: v }, ctx.ip);
      return sendHtml(ctx, 401, codeForm(ctx.params.token!, r, s, v === 'expired' ? 'That code has expired or was tried too often. Ask for a new one.' : 'That code (or passphrase) is not right. Try again.'));
    }
    await sessions.confirmSecondFactor(s);
    await audit('portal-opened', r, {}, ctx.ip);
    if ((await portal.markRead(r)) && Number(r.read_receipt) === 1 && r.sender.includes('@')) {
      await deps.submitter.submit({
        direction: 'inbound',
        sender: '',
        recipients: [r.sender],
        origin: 'portal-receipt',
        body: systemMessage({ from: postmaster, to: r.sender, subject: `Read: your secure message to ${r.recipient}`, text: `${r.recipient} opened the secure message you sent on ${new Date(Number(r.created_at)).toISOString().slice(0, 16).replace('T', ' ')} UTC (${r.message_id ?? r.id}).`, hostname: deps.cfg.hostname, now: deps.now() }),
      });
    }
    redirect(ctx, `/p/${ctx.params.token}/read`);
  });

  router.get('/p/:token/read', async (ctx) => {
    const a = await authed(ctx);
    if (!a) return;
    const v = viewMessage(await portal.open(a.r));
    await audit('portal-read', a.r, { attachments: v.attachments.length }, ctx.ip);
    const t = ctx.params.token!;
    sendHtml(
      ctx,
      200,
      shell(
        v.subject || 'Secure message',
        html`<h1>${v.subject || '(no subject)'}</h1><p><strong>From</strong> ${v.from}<br><strong>To</strong> ${v.to}<br><strong>Date</strong> ${v.date}</p>${messageBody(v)}
${v.attachments.length ? html`<h2>Attachments</h2><ul>${v.attachments.map((f, i) => html`<li><a href="/p/${t}/attachments/${i}" download>${f.filename}</a> <span class="muted">(${Math.ceil(f.data.length / 1024)} KB)</span></li>`)}</ul>` : ''}
<h2 id="reply">Reply securely</h2><form method="post" action="/p/${t}/reply" enctype="multipart/form-data"><input type="hidden" name="_csrf" value="${a.s.csrf}"><label for="text">Your reply</label><textarea id="text" name="text" required></textarea><label for="files">Attachments</label><input id="files" name="files" type="file" multiple><p><button type="submit">Send reply</button></p></form>`,
      ),
    );
  });

  router.get('/p/:token/attachments/:n', async (ctx) => {
    const a = await authed(ctx);
    if (!a) return;
    const v = viewMessage(await portal.open(a.r));
    const f = v.attachments[Number(ctx.params.n)];
    if (!f) throw new HttpError(404, 'no such attachment');
    await audit('portal-download', a.r, { index: Number(ctx.params.n), size: f.data.length }, ctx.ip);
    // Always a download, never rendered in our origin.
    send(ctx, 200, 'application/octet-stream', f.data, { 'Content-Disposition': attachmentHeader(f.filename) });
  });

  router.post('/p/:token/reply', async (ctx) => {
    const a = await authed(ctx);
    if (!a) return;
    const { form } = await checkedPost(ctx, a.r);
    if (!a.s.secondFactor) throw new HttpError(403, 'open the message first');
    const text = form.fields.text ?? '';
    const files = form.files.files ?? [];
    if (!text.trim() && files.length === 0) throw new HttpError(400, 'write a reply or attach a file');
    const orig = viewMessage(await portal.open(a.r));
    const subject = orig.subject ? (/^re:/i.test(orig.subject) ? orig.subject : `Re: ${orig.subject}`) : 'Reply to your secure message';
    const id = await deps.submitter.submit({
      direction: 'inbound',
      sender: a.r.recipient,
      recipients: [a.r.sender],
      origin: 'portal-reply',
      body: replyMessage({ from: a.r.recipient, to: a.r.sender, subject, inReplyTo: orig.messageId, text, files, hostname: deps.cfg.hostname, now: deps.now() }),
    });
    await audit('portal-reply', a.r, { queueId: id, attachments: files.length, size: files.reduce((n, f) => n + f.data.length, 0) + text.length }, ctx.ip);
    sendHtml(ctx, 200, shell('Reply sent', html`<h1>Reply sent</h1><p class="notice ok" role="status">Your reply was sent securely to ${a.r.sender}.</p><p><a href="/p/${ctx.params.token}/read">Back to the message</a></p>`));
  });
}

/** Console page: stored pickup messages, with revocation (privacy officers and admins). */
export const pickupPages: ConsoleModule = (c) => {
  const portal = portalStoreFor(c.deps);
  const view = (r: PortalRow) => ({ id: r.id, messageId: r.message_id, sender: r.sender, recipient: r.recipient, createdAt: new Date(Number(r.created_at)).toISOString(), expiresAt: new Date(Number(r.expires_at)).toISOString(), state: portal.state(r), firstReadAt: r.first_read_at === null ? null : new Date(Number(r.first_read_at)).toISOString() });
  c.get('/pickup', 'portal.revoke', async (ctx, who) => {
    const rows = (await portal.list()).map(view);
    c.render(
      ctx,
      who,
      'Pickup',
      '/pickup',
      html`<h1>Messages for web pickup</h1><div class="table-wrap"><table><tr><th>Sender</th><th>Recipient</th><th>Stored</th><th>Expires</th><th>Read</th><th>State</th><th></th></tr>${rows.map(
        (r) => html`<tr><td>${r.sender}</td><td>${r.recipient}</td><td>${r.createdAt.slice(0, 16)}</td><td>${r.expiresAt.slice(0, 10)}</td><td>${r.firstReadAt?.slice(0, 16) ?? ''}</td><td>${r.state}</td><td>${r.state === 'ok' ? html`<form method="post" action="/pickup/${r.id}/revoke">${csrfField(who)}<button class="danger" type="submit" data-confirm="Withdraw this message?">Revoke</button></form>` : ''}</td></tr>`,
      )}</table></div>`,
    );
  });
  const revoke = async (id: string, actor: string) => {
    const ok = await portal.revoke(id);
    if (ok) await c.deps.store.audit.append({ type: 'portal-revoked', actor, data: { portalId: id } });
    return ok;
  };
  c.post('/pickup/:id/revoke', 'portal.revoke', async (ctx, who) => {
    if (!(await revoke(ctx.params.id!, who.actor))) throw new HttpError(409, 'not found or already revoked');
    redirect(ctx, '/pickup');
  });
  c.post('/api/pickup/:id/revoke', 'portal.revoke', async (ctx, who) => sendJson(ctx, (await revoke(ctx.params.id!, who.actor)) ? 200 : 409, {}));
  c.get('/api/pickup', 'portal.revoke', async (ctx) => sendJson(ctx, 200, { messages: (await portal.list()).map(view) }));
};
