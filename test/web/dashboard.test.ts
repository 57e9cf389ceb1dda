// The dashboard's antivirus card in Debian's Chromium shows the state of a real clamd
// (test/helpers/clamd.ts, its own signature database built 60 hours ago): reachable, the signature
// age from clamd's VERSION and the stale-database alarm (limit 48 hours); when clamd stops, the
// card turns to "error" with the unreachable alarm; when it is back, the card recovers.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { setupGateway, type GatewayProcess, type GatewaySetup } from '../helpers/gateway.js';
import { startSmtpSink, type SmtpSink } from '../helpers/smtp-sink.js';
import { startClamd, type ClamdProcess } from '../helpers/clamd.js';
import { launchChromium, screenshotPath, newDesktopPage, signInWithBrowser, startWithWeb, resetUser, stopWebTest } from './web-helpers.js';

let internal: SmtpSink;
let external: SmtpSink;
let av: ClamdProcess;
let setup: GatewaySetup;
let gw: GatewayProcess;
let browser: Browser;
let page: Page;

const url = (p: string) => `https://127.0.0.1:${setup.webPort}${p}`;

beforeAll(async () => {
  internal = await startSmtpSink();
  external = await startSmtpSink();
  av = await startClamd({ dbAgeHours: 60 });
  setup = await setupGateway({ internalPort: internal.port, smarthostPort: external.port, edit: (y) => `${y}\nantivirus:\n  clamd: ${av.address}\n` });
  const admin = resetUser(setup);
  gw = await startWithWeb(setup);
  browser = await launchChromium();
  page = await newDesktopPage(browser);
  await signInWithBrowser(page, setup.webPort, 'admin', admin);
}, 240_000);

afterAll(async () => {
  await stopWebTest({ browser, gw, sinks: [internal, external], setup });
  await av?.close();
});

/** The antivirus card's text after the health page asked clamd (VERSION) again. */
async function card(): Promise<string> {
  await page.goto(url('/health'));
  await page.goto(url('/'));
  const c = page.locator('h2', { hasText: 'Antivirus' }).locator('xpath=following-sibling::div[1]');
  return c.innerText();
}

describe('dashboard antivirus card', () => {
  it("shows clamd's signature age and the stale-database alarm", async () => {
    const text = await card();
    expect(text).toContain(`clamd ${av.address}: warning`);
    expect(text).toMatch(/Signature age: 60\.\d hours/);
    expect(text).toMatch(/signature database is 60(\.\d)? hours old \(limit 48\)/);
    await page.screenshot({ path: screenshotPath('dashboard-antivirus-desktop'), fullPage: true });
  }, 60_000);

  it('turns to error when clamd stops, and recovers when it is back', async () => {
    await av.stop();
    const down = await card();
    expect(down).toContain(`clamd ${av.address}: error`);
    expect(down).toContain('clamd unreachable');
    await av.start();
    const up = await card();
    expect(up).toContain(`clamd ${av.address}: warning`);
    expect(up).not.toContain('unreachable');
  }, 120_000);
});
