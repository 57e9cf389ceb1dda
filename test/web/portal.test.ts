// Secure web pickup end to end through a real `sealgate start` process and Debian's Chromium: a PHI
// message to a partner configured for pickup (outbound.methods: [portal, hold]) produces a
// notification at the sink without PHI; the browser follows the link, asks for the code, reads it
// from the sink, reads the message, downloads the attachment, replies with an attachment (the reply
// reaches the internal sink, addressed to the original sender), and after expiry the link shows the
// expired page. Screenshots at desktop and phone widths go to docs/screenshots/.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { Browser, BrowserContext } from 'playwright-core';
import { sealgate, setupGateway, type GatewayProcess, type GatewaySetup } from '../helpers/gateway.js';
import { startSmtpSink, type SmtpSink } from '../helpers/smtp-sink.js';
import { sendMail } from '../helpers/send-mail.js';
import { PHI_TEXT, SENDER, to, waitUntil } from '../outbound/protect-helpers.js';
import { cookieJar, credentials, csrfOf, https, launchChromium, screenshotPath, signIn, startWithWeb, stopWebTest } from './web-helpers.js';
import { totp } from '../../src/web/totp.js';

const RCPT = 'bob@partner.example';
const PHI_MARKERS = ['00451234', '03/14/1962', 'John Smith', 'metformin', 'diabetes', 'labs.csv', 'Lab results'];
const LABS = 'patient,mrn,hba1c\r\nJohn Smith,00451234,8.2\r\n';

function phiWithAttachment(): string {
  const b = 'b-portal-1';
  return [
    `From: ${SENDER}`,
    `To: ${RCPT}`,
    'Subject: Lab results',
    'Date: Sun, 29 Nov 2026 10:00:00 +0000',
    'Message-ID: <portal-test-1@hospital.test>',
    'MIME-Version: 1.0',
    `Content-Type: multipart/mixed; boundary="${b}"`,
    '',
    `--${b}`,
    'Content-Type: text/html; charset=utf-8',
    '',
    `<p>${PHI_TEXT.replace(/\r\n/g, '<br>')}</p><img src="https://tracker.example/pixel.gif"><script>alert(1)</script>`,
    `--${b}`,
    'Content-Type: text/csv; name="labs.csv"',
    'Content-Disposition: attachment; filename="labs.csv"',
    'Content-Transfer-Encoding: base64',
    '',
    Buffer.from(LABS).toString('base64'),
    `--${b}--`,
    '',
  ].join('\r\n');
}

let internal: SmtpSink;
let external: SmtpSink;
let setup: GatewaySetup;
let gw: GatewayProcess;
let browser: Browser;

beforeAll(async () => {
  internal = await startSmtpSink();
  external = await startSmtpSink();
  setup = await setupGateway({ internalPort: internal.port, smarthostPort: external.port, edit: (y) => `${y.replace('  # portalExpiryDays: 30', '  portalExpiryDays: 7')}\noutbound:\n  methods: [portal, hold]\n` });
  const p = sealgate(['partner', 'add', 'partner.example', '--kind', 'healthcare', '--config', setup.config]);
  expect(p.status, p.stderr).toBe(0);
  gw = await startWithWeb(setup);
  browser = await launchChromium();
}, 240_000);

afterAll(() => stopWebTest({ browser, gw, sinks: [internal, external], setup }));

describe('secure pickup portal', () => {
  let link = '';
  let ctx: BrowserContext;

  it('sends the recipient a notification without PHI, with a link carrying only a token', async () => {
    expect((await sendMail(setup.outboundPort, { from: SENDER, to: [RCPT], data: phiWithAttachment() })).code).toBe(250);
    await waitUntil(() => external.messages.some(to(RCPT)), 90_000);
    const note = external.messages.find(to(RCPT))!.data.toString('utf8');
    for (const m of PHI_MARKERS) expect(note, m).not.toContain(m);
    expect(note).toContain(`sent you a secure message`);
    // web.portalExpiryDays: 7
    expect(note).toContain(`picked up until ${new Date(Date.now() + 7 * 86400_000).toISOString().slice(0, 10)}`);
    const m = /https:\/\/[^/\s]+(\/p\/[A-Za-z0-9_-]{40,})/.exec(note);
    expect(m).not.toBeNull();
    link = `https://127.0.0.1:${setup.webPort}${m![1]}`;
  }, 120_000);

  it('gets a code by email, reads the message with remote content blocked, downloads the attachment', async () => {
    ctx = await browser.newContext({ ignoreHTTPSErrors: true, acceptDownloads: true, viewport: { width: 1280, height: 900 } });
    const page = await ctx.newPage();
    await page.goto(link);
    await page.getByRole('heading', { name: 'You have a secure message' }).waitFor();
    await page.screenshot({ path: screenshotPath('portal-landing-desktop'), fullPage: true });
    const before = external.messages.filter(to(RCPT)).length;
    await page.getByRole('button', { name: 'Email me a code' }).click();
    await waitUntil(() => external.messages.filter(to(RCPT)).length > before, 60_000);
    const mail = external.messages.filter(to(RCPT))[before]!.data.toString('utf8');
    const code = /one-time code is (\d{8})/.exec(mail)![1]!;
    await page.getByLabel('One-time code').fill(code);
    await page.getByRole('button', { name: 'Open message' }).click();
    await page.getByRole('heading', { name: 'Lab results' }).waitFor();
    const text = await page.locator('.message').innerText();
    expect(text).toContain('John Smith');
    expect(await page.locator('.message script, .message img').count()).toBe(0);
    await expect(page.getByText('images are blocked')).toBeTruthy();
    await page.screenshot({ path: screenshotPath('portal-read-desktop'), fullPage: true });
    await page.setViewportSize({ width: 390, height: 844 });
    await page.screenshot({ path: screenshotPath('portal-read-phone'), fullPage: true });
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'labs.csv' }).click()]);
    expect(download.suggestedFilename()).toBe('labs.csv');
    expect(readFileSync((await download.path())!, 'utf8')).toBe(LABS);
  }, 120_000);

  it('delivers a secure reply with an attachment to the original sender, and a read receipt', async () => {
    const page = ctx.pages()[0]!;
    await page.getByLabel('Your reply').fill('Thanks, results received.');
    await page.getByLabel('Attachments').setInputFiles({ name: 'answer.txt', mimeType: 'text/plain', buffer: Buffer.from('our answer\r\n') });
    await page.getByRole('button', { name: 'Send reply' }).click();
    await page.getByRole('heading', { name: 'Reply sent' }).waitFor();
    await waitUntil(() => internal.messages.some((m) => m.recipients.includes(SENDER) && m.data.toString('latin1').includes('answer.txt')), 60_000);
    const reply = internal.messages.find((m) => m.recipients.includes(SENDER) && m.data.toString('latin1').includes('answer.txt'))!.data.toString('latin1');
    expect(reply).toMatch(/^From: bob@partner\.example/m);
    expect(reply).toMatch(/^Subject: Re: Lab results/m);
    expect(reply).toContain(Buffer.from('our answer\r\n').toString('base64'));
    expect(reply).toContain(Buffer.from('Thanks, results received.').toString('base64'));
    await waitUntil(() => internal.messages.some((m) => m.recipients.includes(SENDER) && /^Subject: Read: /m.test(m.data.toString('latin1'))), 60_000);
  }, 120_000);

  it('audits every access without content', async () => {
    const db = new Database(join(setup.dir, 'data', 'sealgate.db'), { readonly: true });
    const rows = db.prepare("select type, data from audit where type like 'portal-%' order by seq").all() as Array<{ type: string; data: string }>;
    db.close();
    const types = rows.map((r) => r.type);
    for (const t of ['portal-stored', 'portal-visited', 'portal-code-sent', 'portal-opened', 'portal-read', 'portal-download', 'portal-reply']) expect(types, t).toContain(t);
    for (const r of rows) for (const m of PHI_MARKERS) expect(r.data, `${r.type} ${m}`).not.toContain(m);
  });

  it('shows the expired page once the message has expired', async () => {
    const db = new Database(join(setup.dir, 'data', 'sealgate.db'));
    db.prepare('update portal_messages set expires_at = ?').run(Date.now() - 1000);
    db.close();
    const page = await ctx.newPage();
    await page.setViewportSize({ width: 390, height: 844 });
    const res = await page.goto(link);
    expect(res!.status()).toBe(410);
    await page.getByRole('heading', { name: 'This message has expired' }).waitFor();
    await page.screenshot({ path: screenshotPath('portal-expired-phone'), fullPage: true });
    await ctx.close();
  });

  it('limits one-time codes per hour, and a revoked message shows the withdrawn page', async () => {
    const other = 'carl@partner.example';
    expect((await sendMail(setup.outboundPort, { from: SENDER, to: [other], data: phiWithAttachment().replace(`To: ${RCPT}`, `To: ${other}`) })).code).toBe(250);
    await waitUntil(() => external.messages.some(to(other)), 90_000);
    const path = /https:\/\/[^/\s]+(\/p\/[A-Za-z0-9_-]{40,})/.exec(external.messages.find(to(other))!.data.toString('utf8'))![1]!;
    const jar = cookieJar();
    const landing = await https(setup.webPort, path);
    jar.take(landing);
    const ask = () => https(setup.webPort, `${path}/code`, { method: 'POST', headers: { cookie: jar.header(), 'content-type': 'application/x-www-form-urlencoded' }, body: `_csrf=${csrfOf(landing.body)}` });
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) statuses.push((await ask()).status);
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429]);
    const noCsrf = await https(setup.webPort, `${path}/code`, { method: 'POST', headers: { cookie: jar.header(), 'content-type': 'application/x-www-form-urlencoded' }, body: '' });
    expect(noCsrf.status).toBe(403);

    const creds = credentials(sealgate(['user', 'reset', 'admin', '--config', setup.config]).stdout);
    const admin = await signIn(setup.webPort, 'admin', creds.password, () => totp(creds.totpSecret!, new Date()));
    const list = JSON.parse((await admin.get('/api/pickup')).body) as { messages: Array<{ id: string; recipient: string }> };
    const id = list.messages.find((m) => m.recipient === other)!.id;
    expect((await admin.json(`/api/pickup/${id}/revoke`, {})).status).toBe(200);
    const gone = await https(setup.webPort, path);
    expect(gone.status).toBe(410);
    expect(gone.body).toContain('withdrawn');
  }, 180_000);
  it('a sender-set passphrase: the header reaches no sink; code alone and wrong passphrases are refused (tries limited); the right one opens', async () => {
    const PASS = 'Correct-Horse-7319';
    const dave = 'dave@partner.example';
    const erin = 'erin@partner.example';
    const withPass = phiWithAttachment().replace(`To: ${RCPT}`, `To: ${dave}\r\nX-Sealgate-Portal-Passphrase: ${PASS}`);
    // No PHI: the plain (domain-signed) delivery path must drop the header too.
    const plain = `From: ${SENDER}\r\nTo: ${erin}\r\nX-Sealgate-Portal-Passphrase: ${PASS}\r\nSubject: Lunch\r\nDate: Sun, 29 Nov 2026 10:00:00 +0000\r\nMessage-ID: <lunch-1@hospital.test>\r\n\r\nSee you at noon.\r\n`;
    expect((await sendMail(setup.outboundPort, { from: SENDER, to: [dave], data: withPass })).code).toBe(250);
    expect((await sendMail(setup.outboundPort, { from: SENDER, to: [erin], data: plain })).code).toBe(250);
    await waitUntil(() => external.messages.some(to(dave)) && external.messages.some(to(erin)), 90_000);
    expect(external.messages.find(to(erin))!.data.toString('latin1')).toContain('See you at noon.');
    const path = /https:\/\/[^/\s]+(\/p\/[A-Za-z0-9_-]{40,})/.exec(external.messages.find(to(dave))!.data.toString('utf8'))![1]!;

    const pctx = await browser.newContext({ ignoreHTTPSErrors: true, viewport: { width: 390, height: 844 } });
    const page = await pctx.newPage();
    await page.goto(`https://127.0.0.1:${setup.webPort}${path}`);
    const codeMail = async (click: () => Promise<void>) => {
      const before = external.messages.filter(to(dave)).length;
      await click();
      await waitUntil(() => external.messages.filter(to(dave)).length > before, 60_000);
      return /one-time code is (\d{8})/.exec(external.messages.filter(to(dave))[before]!.data.toString('utf8'))![1]!;
    };
    const code1 = await codeMail(() => page.getByRole('button', { name: 'Email me a code' }).click());
    await page.getByLabel('Passphrase from the sender').waitFor();
    // The code alone (the browser's "required" taken away, as a script could) is refused.
    await page.getByLabel('Passphrase from the sender').evaluate((e) => e.removeAttribute('required'));
    await page.getByLabel('One-time code').fill(code1);
    await page.getByRole('button', { name: 'Open message' }).click();
    await page.getByRole('alert').filter({ hasText: 'is not right' }).waitFor();
    await page.screenshot({ path: screenshotPath('portal-passphrase-refused-phone'), fullPage: true });
    for (let i = 0; i < 4; i++) {
      await page.getByLabel('One-time code').fill(code1);
      await page.getByLabel('Passphrase from the sender').fill(`wrong-${i}`);
      await page.getByRole('button', { name: 'Open message' }).click();
      await page.getByRole('alert').filter({ hasText: 'is not right' }).waitFor();
    }
    // Five wrong tries used the code up: even the right pair is refused now.
    await page.getByLabel('One-time code').fill(code1);
    await page.getByLabel('Passphrase from the sender').fill(PASS);
    await page.getByRole('button', { name: 'Open message' }).click();
    await page.getByRole('alert').filter({ hasText: 'tried too often' }).waitFor();
    const code2 = await codeMail(() => page.getByRole('button', { name: 'Send a new code' }).click());
    await page.getByLabel('One-time code').fill(code2);
    await page.getByLabel('Passphrase from the sender').fill(PASS);
    await page.getByRole('button', { name: 'Open message' }).click();
    await page.getByRole('heading', { name: 'Lab results' }).waitFor();
    expect(await page.locator('.message').innerText()).toContain('John Smith');
    await pctx.close();

    const db = new Database(join(setup.dir, 'data', 'sealgate.db'), { readonly: true });
    const hash = (db.prepare('select passphrase_hash from portal_messages where recipient = ?').get(dave) as { passphrase_hash: string }).passphrase_hash;
    const audit = (db.prepare('select type, data from audit').all() as Array<{ type: string; data: string }>).map((r) => `${r.type} ${r.data}`).join('\n');
    db.close();
    expect(hash).toMatch(/^\$argon2id\$/);
    expect(audit).toContain('portal-code-failed');
    const sinks = [...external.messages, ...internal.messages].map((m) => m.data.toString('latin1')).join('\n');
    for (const text of [sinks, audit, gw.stdout(), gw.stderr()]) {
      expect(text).not.toContain(PASS);
    }
    expect(sinks.toLowerCase()).not.toContain('x-sealgate-portal-passphrase');
  }, 240_000);
});
