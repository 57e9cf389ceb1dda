// The administration console in Debian's Chromium against a real `sealgate start` process: admin
// sign-in with TOTP, adding a partner, testing a message on the policy page, retrieving a PKCS#12
// password (and finding the audit record), approving a held PHI message (it leaves with a review
// signature: here through web pickup, whose stored copy openssl shows signed with reviewSig) and
// rejecting another (the sender gets a DSN with the officer's reason). Screenshots of the
// dashboard and the review page at desktop and phone widths go to docs/screenshots/.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { sealgate, setupGateway, type GatewayProcess, type GatewaySetup, writeRootPem } from '../helpers/gateway.js';
import { startSmtpSink, type SmtpSink } from '../helpers/smtp-sink.js';
import { sendMail } from '../helpers/send-mail.js';
import { OID_REVIEW_SIG, PHI_TEXT, SENDER, headerOf, partnerVerify, phiMessage, printSignature, to, waitUntil } from '../outbound/protect-helpers.js';
import { loadConfig } from '../../src/config/load.js';
import { openStore } from '../../src/store/index.js';
import { portalStoreFor } from '../../src/web/portal.js';
import { launchChromium, screenshotPath, newDesktopPage, signInWithBrowser, startWithWeb, resetUser, stopWebTest } from './web-helpers.js';

const EXTERNAL = 'carol@ext.example';
let internal: SmtpSink;
let external: SmtpSink;
let setup: GatewaySetup;
let gw: GatewayProcess;
let browser: Browser;
let page: Page;
let admin: { password: string; totpSecret?: string };
let rootPem: string;

const heldIdFor = (rcpt: string): string | undefined => {
  const r = sealgate(['queue', 'list', '--json', '--state', 'hold', '--config', setup.config]);
  return r.stdout.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as { id: string; recipients: string[] }).find((x) => x.recipients.includes(rcpt))?.id;
};

async function shoot(name: string): Promise<void> {
  await page.setViewportSize({ width: 1280, height: 900 });
  await page.screenshot({ path: screenshotPath(`${name}-desktop`), fullPage: true });
  await page.setViewportSize({ width: 390, height: 844 });
  await page.screenshot({ path: screenshotPath(`${name}-phone`), fullPage: true });
  await page.setViewportSize({ width: 1280, height: 900 });
}

beforeAll(async () => {
  internal = await startSmtpSink();
  external = await startSmtpSink();
  setup = await setupGateway({ internalPort: internal.port, smarthostPort: external.port, edit: (y) => `${y}\noutbound:\n  methods: [portal, hold]\n` });
  admin = resetUser(setup);
  const issued = sealgate(['cert', 'issue', EXTERNAL, '--out-dir', join(setup.dir, 'issued'), '--config', setup.config]);
  expect(issued.status, issued.stderr).toBe(0);
  rootPem = writeRootPem(setup);
  gw = await startWithWeb(setup);
  browser = await launchChromium();
  page = await newDesktopPage(browser);
}, 240_000);

afterAll(() => stopWebTest({ browser, gw, sinks: [internal, external], setup }));

const url = (p: string) => `https://127.0.0.1:${setup.webPort}${p}`;

describe('administration console', () => {
  it('signs the admin in with password and TOTP code', async () => {
    await signInWithBrowser(page, setup.webPort, 'admin', admin);
  }, 60_000);

  it('adds a partner', async () => {
    await page.goto(url('/partners'));
    await page.getByLabel('Domain or address').fill('clinic.example');
    await page.locator('#kind').selectOption('healthcare');
    await page.locator('#notes').fill('referral clinic');
    await page.getByRole('button', { name: 'Add partner' }).click();
    await page.getByRole('cell', { name: 'clinic.example' }).waitFor();
    const list = sealgate(['partner', 'list', '--config', setup.config]);
    expect(list.stdout).toContain('clinic.example');
  }, 60_000);

  it('tests a pasted message on the policy page', async () => {
    await page.goto(url('/policy'));
    await page.getByLabel('Paste a message (headers and body)').fill(phiMessage('someone@clinic.example'));
    await page.getByRole('button', { name: 'Test' }).click();
    await page.getByRole('heading', { name: 'Decision: PHI' }).waitFor();
    expect(await page.locator('section.notice').innerText()).toMatch(/Score \d/);
  }, 60_000);

  it('shows a PKCS#12 password once and records who retrieved it', async () => {
    await page.goto(url('/certificates'));
    await page.getByLabel('Recipient address or serial').fill(EXTERNAL);
    await page.getByRole('button', { name: 'Show PKCS#12 password' }).click();
    const shown = (await page.locator('#secret').innerText()).trim();
    const cli = sealgate(['cert', 'password', EXTERNAL, '--config', setup.config]);
    expect(cli.stdout).toContain(shown);
    await page.goto(url('/audit?type=certificate-password-retrieved'));
    const rows = page.locator('table tr', { hasText: 'web:admin' });
    await rows.first().waitFor();
    expect(await rows.first().innerText()).toContain(EXTERNAL);
    expect(await page.content()).not.toContain(shown);
  }, 60_000);

  it('issues for an external recipient and offers the PKCS#12 once: openssl opens it with the shown password; the download is audited', async () => {
    const addr = 'dana@ext2.example';
    await page.goto(url('/certificates'));
    await page.getByLabel('Recipient address', { exact: true }).fill(addr);
    await page.getByRole('button', { name: 'Issue', exact: true }).click();
    await page.getByRole('heading', { name: 'Certificate issued' }).waitFor();
    const password = (await page.locator('#secret').innerText()).trim();
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download PKCS#12' }).click()]);
    expect(download.suggestedFilename()).toBe(`${addr}.p12`);
    const file = join(setup.dir, 'dana.p12');
    await download.saveAs(file);
    const info = spawnSync('openssl', ['pkcs12', '-info', '-in', file, '-passin', `pass:${password}`, '-nodes'], { encoding: 'utf8' });
    expect(info.status, info.stderr).toBe(0);
    expect(info.stdout).toContain('BEGIN PRIVATE KEY');
    expect(info.stdout).toContain(addr);
    expect(spawnSync('openssl', ['pkcs12', '-info', '-in', file, '-passin', 'pass:wrong', '-nodes'], { encoding: 'utf8' }).status).not.toBe(0);
    // One use: the same handle (the page is still showing it) is refused the second time.
    const [res] = await Promise.all([page.waitForResponse((r) => r.url().endsWith('/certificates/issued/download')), page.getByRole('button', { name: 'Download PKCS#12' }).click()]);
    expect(res.status()).toBe(410);
    await page.goto(url('/audit?type=certificate-pkcs12-downloaded'));
    const row = page.locator('table tr', { hasText: 'web:admin' }).first();
    await row.waitFor();
    expect(await row.innerText()).toContain(addr);
  }, 60_000);

  it('approves a held PHI message: it leaves with a review signature', async () => {
    const rcpt = 'xavier@unlisted.example';
    expect((await sendMail(setup.outboundPort, { from: SENDER, to: [rcpt], data: phiMessage(rcpt, 'Referral') })).code).toBe(250);
    const other = 'yvonne@unlisted.example';
    expect((await sendMail(setup.outboundPort, { from: SENDER, to: [other], data: phiMessage(other, 'Second referral') })).code).toBe(250);
    let id: string | undefined;
    await waitUntil(() => (id = heldIdFor(rcpt)) !== undefined && heldIdFor(other) !== undefined, 90_000);
    await page.goto(url('/review'));
    await page.getByRole('heading', { name: `${SENDER} → ${rcpt}` }).waitFor();
    await shoot('review');
    await page.locator(`form[action="/review/${id}/approve"] button`).click();
    await page.getByText(`Approved ${id}`).waitFor();
    await waitUntil(() => external.messages.some(to(rcpt)), 90_000);
    expect(external.messages.find(to(rcpt))!.data.toString('utf8')).not.toContain('John Smith');
    // The copy stored for pickup is the signed message: open it as the portal would.
    const cfg = loadConfig(setup.config);
    const store = await openStore({ database: cfg.database, spoolDir: join(cfg.dataDir, 'spool') });
    try {
      const portal = portalStoreFor({ cfg, store, now: () => new Date() });
      const row = (await portal.list()).find((r) => r.recipient === rcpt)!;
      let content = await portal.open(row);
      expect(content.toString('utf8')).toContain(PHI_TEXT.split('\r\n')[0]);
      let layers = '';
      for (let i = 0; i < 3 && !layers.includes(OID_REVIEW_SIG); i++) {
        if (!/^content-type:\s*(multipart\/signed|application\/(x-)?pkcs7-mime)/im.test(headerOf(content))) break;
        layers += await printSignature(content, setup.dir);
        content = (await partnerVerify(content, rootPem)).content;
      }
      expect(layers).toContain(OID_REVIEW_SIG);
    } finally {
      await store.close();
    }
    const show = JSON.parse(sealgate(['queue', 'show', id!, '--json', '--config', setup.config]).stdout) as { history: Array<{ type: string; actor: string; data: Record<string, unknown> }> };
    expect(show.history.find((h) => h.type === 'released')).toMatchObject({ actor: 'web:admin', data: { approve: true } });
  }, 180_000);

  it('rejects a held message with a reason: the sender gets a DSN', async () => {
    const rcpt = 'yvonne@unlisted.example';
    const id = heldIdFor(rcpt)!;
    await page.goto(url('/review'));
    await page.locator(`#reason-${id}`).fill('use the patient portal for this address');
    await page.locator(`form[action="/review/${id}/reject"] button`).click();
    await page.getByText(`Rejected ${id}`).waitFor();
    await waitUntil(() => internal.messages.filter(to(SENDER)).some((m) => m.data.toString('latin1').includes('use the patient portal for this address')), 90_000);
    const dsn = internal.messages.filter(to(SENDER)).find((m) => m.data.toString('latin1').includes('use the patient portal for this address'))!;
    expect(dsn.sender).toBe('');
    expect(dsn.data.toString('latin1')).toContain('multipart/report');
    expect(external.messages.filter(to(rcpt))).toHaveLength(0);
  }, 180_000);

  it('draws the dashboard from the traffic', async () => {
    await page.goto(url('/'));
    await page.getByRole('heading', { name: 'Dashboard' }).waitFor();
    expect(await page.locator('svg.chart').count()).toBeGreaterThan(3);
    expect(await page.locator('svg.chart rect').count()).toBeGreaterThan(0);
    await shoot('dashboard');
  }, 60_000);
});
