// The console's queue page in Debian's Chromium against a real `sealgate start` process: a message
// the partner's server keeps deferring (451 at the sink) is held, retried, held again, released and
// deleted from the page; each action writes its audit record with the admin as actor. The JSON API
// does the same for admins only (privacy officers may look, not act; auditors may not look). The
// sender-set portal passphrase header is shown as [removed] in the header view.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { Browser, Page } from 'playwright-core';
import { sealgate, setupGateway, type GatewayProcess, type GatewaySetup } from '../helpers/gateway.js';
import { startSmtpSink, type SmtpSink } from '../helpers/smtp-sink.js';
import { sendMail } from '../helpers/send-mail.js';
import { SENDER, to, waitUntil } from '../outbound/protect-helpers.js';
import { totp } from '../../src/web/totp.js';
import { credentials, launchChromium, screenshotPath, signIn, type ApiClient, newDesktopPage, signInWithBrowser, startWithWeb, resetUser, stopWebTest } from './web-helpers.js';

const STUCK = 'stuck@partner.example';
const GONE = 'gone@partner.example';
const PASS = 'queue-page-secret-41';
let internal: SmtpSink;
let external: SmtpSink;
let setup: GatewaySetup;
let gw: GatewayProcess;
let browser: Browser;
let page: Page;
let admin: { password: string; totpSecret?: string };
let api: ApiClient;

const url = (p: string) => `https://127.0.0.1:${setup.webPort}${p}`;
const message = (n: number) =>
  `From: ${SENDER}\r\nTo: ${STUCK}\r\nX-Sealgate-Portal-Passphrase: ${PASS}\r\nSubject: Meeting ${n}\r\nDate: Sun, 29 Nov 2026 10:00:00 +0000\r\nMessage-ID: <queue-${n}@hospital.test>\r\n\r\nThe meeting moves to room ${n}.\r\n`;

async function sendStuck(n: number): Promise<string> {
  expect((await sendMail(setup.outboundPort, { from: SENDER, to: [STUCK], data: message(n) })).code).toBe(250);
  let id = '';
  await waitUntil(async () => {
    const list = JSON.parse((await api.get(`/api/queue?state=deferred&q=${STUCK}`)).body) as { messages: Array<{ id: string; size: number }> };
    const known = new Set(seen);
    id = list.messages.find((m) => !known.has(m.id))?.id ?? '';
    return id !== '';
  }, 90_000);
  seen.push(id);
  return id;
}
const seen: string[] = [];

const summaryOf = async (id: string) => JSON.parse((await api.get(`/api/queue/${id}`)).body) as { state?: string; attempts: number };
const stateOf = async (id: string) => (await summaryOf(id)).state;
/** Runs a requeueing action, then waits until the message was attempted again and deferred (not being worked on). */
async function requeued(id: string, action: () => Promise<void>): Promise<void> {
  const before = (await summaryOf(id)).attempts;
  await action();
  await waitUntil(async () => ((s) => s.state === 'deferred' && s.attempts > before)(await summaryOf(id)), 90_000);
}

function auditFor(id: string): Array<{ type: string; actor: string; data: string }> {
  const db = new Database(join(setup.dir, 'data', 'sealgate.db'), { readonly: true });
  try {
    return db.prepare('select type, actor, data from audit where message_id = ? order by seq').all(id) as Array<{ type: string; actor: string; data: string }>;
  } finally {
    db.close();
  }
}

beforeAll(async () => {
  internal = await startSmtpSink();
  external = await startSmtpSink({ replyTo: (phase, arg) => (phase === 'rcpt' && arg.includes(STUCK) ? '451 4.3.0 try later' : phase === 'rcpt' && arg.includes(GONE) ? '550 5.1.1 no such user' : undefined) });
  setup = await setupGateway({ internalPort: internal.port, smarthostPort: external.port });
  admin = resetUser(setup);
  gw = await startWithWeb(setup);
  api = await signIn(setup.webPort, 'admin', admin.password, () => totp(admin.totpSecret!, new Date()));
  browser = await launchChromium();
  page = await newDesktopPage(browser);
}, 240_000);

afterAll(() => stopWebTest({ browser, gw, sinks: [internal, external], setup }));

describe('queue page', () => {
  it('holds, retries, releases and deletes from the page, each audited with the admin as actor', async () => {
    const id = await sendStuck(1);
    await signInWithBrowser(page, setup.webPort, 'admin', admin);

    await page.goto(url(`/queue?q=${STUCK}`));
    await page.getByRole('link', { name: id }).click();
    await page.getByRole('heading', { name: `Message ${id}` }).waitFor();
    const headers = await page.locator('pre').innerText();
    expect(headers).toContain('X-Sealgate-Portal-Passphrase: [removed]');
    expect(headers).not.toContain(PASS);
    const stateCell = page.locator('tr', { has: page.locator('th', { hasText: /^state$/ }) }).locator('td');
    const act = async (label: string, expected: RegExp) => {
      await page.getByRole('button', { name: label, exact: true }).click();
      await page.getByRole('heading', { name: `Message ${id}` }).waitFor();
      expect(await stateCell.innerText()).toMatch(expected);
    };
    await act('Hold', /^hold$/);
    await page.screenshot({ path: screenshotPath('queue-message-desktop'), fullPage: true });
    await requeued(id, () => act('Retry', /^(incoming|deferred|active)$/));
    await page.reload();
    await act('Hold', /^hold$/);
    await requeued(id, () => act('Release', /^(incoming|deferred|active)$/));
    await page.reload();
    page.once('dialog', (d) => void d.accept());
    await page.getByRole('button', { name: 'Delete', exact: true }).click();
    await page.getByRole('heading', { name: 'Queue' }).waitFor();
    expect((await api.get(`/api/queue/${id}`)).status).toBe(404);

    const rows = auditFor(id).filter((r) => r.actor === 'web:admin');
    expect(rows.map((r) => r.type)).toEqual(expect.arrayContaining(['web-message-viewed', 'held', 'retried', 'released', 'deleted']));
    expect(rows.filter((r) => r.type === 'held')).toHaveLength(2);
    expect(rows.find((r) => r.type === 'deleted')!.data).toContain(STUCK);
    for (const r of auditFor(id)) expect(r.data).not.toContain(PASS);
    expect(external.messages.map((m) => m.data.toString('latin1')).join('')).not.toContain(PASS);
  }, 240_000);

  it('the API acts for admins only: privacy officers may look, auditors may not', async () => {
    const id = await sendStuck(2);
    const add = (name: string, role: string) => credentials(sealgate(['user', 'add', name, '--role', role, '--config', setup.config]).stdout);
    const po = await signIn(setup.webPort, 'olivia', add('olivia', 'privacy-officer').password);
    const au = await signIn(setup.webPort, 'arthur', add('arthur', 'auditor').password);
    expect((await po.get('/api/queue')).status).toBe(200);
    expect((await po.get(`/api/queue/${id}`)).status).toBe(200);
    for (const verb of ['retry', 'hold', 'release', 'delete']) expect((await po.json(`/api/queue/${id}/${verb}`, {})).status, verb).toBe(403);
    expect((await au.get('/api/queue')).status).toBe(403);
    expect((await au.json(`/api/queue/${id}/hold`, {})).status).toBe(403);
    expect((await api.json(`/api/queue/${id}/hold`, {}, { csrf: false })).status).toBe(403);

    expect((await api.json(`/api/queue/${id}/hold`, { reason: 'checking' })).status).toBe(200);
    expect(await stateOf(id)).toBe('hold');
    expect((await api.json(`/api/queue/${id}/hold`, {})).status).toBe(409);
    await requeued(id, async () => expect((await api.json(`/api/queue/${id}/release`, {})).status).toBe(200));
    await requeued(id, async () => expect((await api.json(`/api/queue/${id}/retry`, {})).status).toBe(200));
    expect((await api.json(`/api/queue/${id}/delete`, {})).status).toBe(200);
    expect((await api.get(`/api/queue/${id}`)).status).toBe(404);
    const types = auditFor(id).map((r) => `${r.type}/${r.actor}`);
    expect(types).toEqual(expect.arrayContaining(['held/web:admin', 'released/web:admin', 'retried/web:admin', 'deleted/web:admin']));
  }, 240_000);

  it('a bounce (DSN) quotes the original headers without the portal passphrase', async () => {
    expect((await sendMail(setup.outboundPort, { from: SENDER, to: [GONE], data: message(3).replace(`To: ${STUCK}`, `To: ${GONE}`) })).code).toBe(250);
    await waitUntil(() => internal.messages.filter(to(SENDER)).some((m) => m.data.toString('latin1').includes('queue-3@hospital.test')), 90_000);
    const dsn = internal.messages.filter(to(SENDER)).find((m) => m.data.toString('latin1').includes('queue-3@hospital.test'))!.data.toString('latin1');
    expect(dsn).toContain('multipart/report');
    expect(dsn).toContain('Subject: Meeting 3');
    expect(dsn).not.toContain(PASS);
    expect(dsn.toLowerCase()).not.toContain('x-sealgate-portal-passphrase');
  }, 120_000);
});
