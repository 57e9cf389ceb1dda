// Issue 7 acceptance, "approve a held PHI message and see it reach the SMTP sink with a reviewSig",
// with the message itself at the sink: a real `sealgate start` process with
// `outbound.methods: [smime, issue, hold]`, the admin signs in to the console in Debian's Chromium
// (password and TOTP), PHI to an unregistered domain is held (nothing reaches the external sink),
// the admin approves it on /review, and the external sink receives S/MIME enveloped data encrypted
// to a certificate issued on the spot (its PKCS#12 mailed to the recipient, the password from
// `sealgate cert password`): openssl decrypts it, verifies the signatures with our root and shows
// the RFC 3183 reviewSig signature type; the plaintext PHI never reached the sink.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { sealgate, setupGateway, type GatewayProcess, type GatewaySetup, writeRootPem } from '../helpers/gateway.js';
import { startSmtpSink, type SmtpSink } from '../helpers/smtp-sink.js';
import { sendMail } from '../helpers/send-mail.js';
import { runOk } from '../peers/run.js';
import { OID_REVIEW_SIG, OID_SIGNATURE_TYPE, PHI_TEXT, SENDER, headerOf, partnerDecrypt, partnerVerify, phiMessage, printSignature, to, waitUntil } from '../outbound/protect-helpers.js';
import { launchChromium, newDesktopPage, signInWithBrowser, startWithWeb, resetUser, stopWebTest } from './web-helpers.js';

const RCPT = 'xavier@unlisted.example';
const PHI_MARKERS = ['John Smith', '00451234', '03/14/1962', 'metformin', 'diabetes'];
let internal: SmtpSink;
let external: SmtpSink;
let setup: GatewaySetup;
let gw: GatewayProcess;
let browser: Browser;
let page: Page;
let rootPem: string;

const url = (p: string) => `https://127.0.0.1:${setup.webPort}${p}`;
const isEnveloped = (m: { data: Buffer }) => /smime-type=enveloped-data/.test(headerOf(m.data));
const isPkcs12Mail = (m: { data: Buffer }) => /application\/x-pkcs12|\.p12/i.test(m.data.toString('latin1'));

function heldId(rcpt: string): string | undefined {
  const r = sealgate(['queue', 'list', '--json', '--state', 'hold', '--config', setup.config]);
  return r.stdout.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as { id: string; recipients: string[] }).find((x) => x.recipients.includes(rcpt))?.id;
}

/** The recipient's identity (certificate and key, PEM) from the emailed PKCS#12 and the password the sender's organization retrieves. */
async function identityFromSink(rcpt: string, p12Mail: Buffer): Promise<string> {
  const b64 = /filename="[^"]+\.p12"\r\n\r\n([A-Za-z0-9+/=\r\n]+?)\r\n(?:\r\n)?--/.exec(p12Mail.toString('latin1'));
  expect(b64, 'PKCS#12 attachment').not.toBeNull();
  const p12File = join(setup.dir, 'recipient.p12');
  writeFileSync(p12File, Buffer.from(b64![1]!.replace(/\r\n/g, ''), 'base64'));
  const pw = sealgate(['cert', 'password', rcpt, '--config', setup.config]);
  expect(pw.status, pw.stderr).toBe(0);
  const idFile = join(setup.dir, 'recipient.pem');
  writeFileSync(idFile, await runOk('openssl', ['pkcs12', '-in', p12File, '-passin', `pass:${pw.stdout.trim()}`, '-nodes']));
  return idFile;
}

/** Verifies each signature layer with our root and returns the printed SignerInfos of all layers and the innermost content. */
async function unwrapSignatures(msg: Buffer): Promise<{ printed: string; content: Buffer }> {
  let printed = '';
  let content = msg;
  for (let depth = 0; depth < 4 && /^content-type:\s*(multipart\/signed|application\/(x-)?pkcs7-mime)/im.test(headerOf(content)); depth++) {
    printed += await printSignature(content, setup.dir);
    const v = await partnerVerify(content, rootPem);
    expect(v.stderr).toContain('Verification successful');
    content = v.content;
  }
  return { printed, content };
}

beforeAll(async () => {
  internal = await startSmtpSink();
  external = await startSmtpSink();
  setup = await setupGateway({ internalPort: internal.port, smarthostPort: external.port, edit: (y) => `${y}\noutbound:\n  methods: [smime, issue, hold]\n` });
  rootPem = writeRootPem(setup);
  gw = await startWithWeb(setup);
  browser = await launchChromium();
  page = await newDesktopPage(browser);
}, 240_000);

afterAll(() => stopWebTest({ browser, gw, sinks: [internal, external], setup }));

describe('approving a held PHI message in the console sends it as S/MIME with a reviewSig', () => {
  it('the admin signs in with password and TOTP', async () => {
    const admin = resetUser(setup);
    expect(admin.totpSecret, 'TOTP is enforced for admins').toBeDefined();
    await signInWithBrowser(page, setup.webPort, 'admin', admin);
  }, 60_000);

  it('PHI to an unregistered domain is held, approved on /review, and reaches the external sink encrypted and review-signed', async () => {
    expect((await sendMail(setup.outboundPort, { from: SENDER, to: [RCPT], data: phiMessage(RCPT, 'Referral') })).code).toBe(250);
    let id: string | undefined;
    await waitUntil(() => (id = heldId(RCPT)) !== undefined, 90_000);
    expect(external.messages.filter(to(RCPT)), 'nothing leaves while held').toHaveLength(0);

    await page.goto(url('/review'));
    await page.getByRole('heading', { name: `${SENDER} → ${RCPT}` }).waitFor();
    await page.locator(`form[action="/review/${id}/approve"] button`).click();
    await page.getByText(`Approved ${id}`).waitFor();

    await waitUntil(() => external.messages.some((m) => to(RCPT)(m) && isEnveloped(m)) && external.messages.some((m) => to(RCPT)(m) && isPkcs12Mail(m)), 90_000);
    const mine = external.messages.filter(to(RCPT));
    for (const m of external.messages) for (const s of PHI_MARKERS) expect(m.data.toString('latin1'), `plaintext PHI at the sink: ${s}`).not.toContain(s);
    const encrypted = mine.find(isEnveloped)!.data;

    const idFile = await identityFromSink(RCPT, mine.find(isPkcs12Mail)!.data);
    const inner = await partnerDecrypt(encrypted, idFile, idFile);
    const { printed, content } = await unwrapSignatures(inner);
    expect(printed).toContain(OID_SIGNATURE_TYPE);
    expect(printed).toContain(OID_REVIEW_SIG);
    expect(content.toString('utf8')).toContain(PHI_TEXT.split('\r\n')[0]);

    const show = JSON.parse(sealgate(['queue', 'show', id!, '--json', '--config', setup.config]).stdout) as { history: Array<{ type: string; actor: string; data: Record<string, unknown> }> };
    expect(show.history.find((h) => h.type === 'released')).toMatchObject({ actor: 'web:admin', data: { approve: true } });
  }, 180_000);
});
