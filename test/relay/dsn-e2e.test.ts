// Bounces: a permanent failure at the next hop yields exactly one RFC 3464 DSN to the sender;
// a DSN that itself fails is never bounced (no loops); a null-sender message is never bounced.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startSmtpSink } from '../helpers/smtp-sink.js';
import { cleanup, sealgate, setupGateway, startGatewayProcess, withLimits, type GatewayProcess, type GatewaySetup } from '../helpers/gateway.js';
import { message, sendMail } from '../helpers/send-mail.js';

let internal: Awaited<ReturnType<typeof startSmtpSink>>;
let external: Awaited<ReturnType<typeof startSmtpSink>>;
let setup: GatewaySetup;
let gw: GatewayProcess;

const reject = (addr: string) => addr.toLowerCase().includes('nobody');

beforeAll(async () => {
  internal = await startSmtpSink({ replyTo: (phase, arg) => (phase === 'rcpt' && reject(arg) ? '550 5.1.1 No such user here' : undefined) });
  external = await startSmtpSink({ replyTo: (phase, arg) => (phase === 'rcpt' && reject(arg) ? '550 5.1.1 Unknown recipient' : undefined) });
  setup = await setupGateway({ internalPort: internal.port, smarthostPort: external.port, edit: withLimits({ retryBase: 1, retryMax: 2 }) });
  gw = await startGatewayProcess(setup);
});

afterAll(async () => {
  await gw?.stop();
  await internal?.close();
  await external?.close();
  if (setup) cleanup(setup.dir);
});

function queue(): Array<{ id: string; state: string; sender: string; recipients: string[] }> {
  return sealgate(['queue', 'list', '--json', '--config', setup.config]).stdout.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l));
}

async function settle(pred: () => boolean, ms = 20000) {
  const end = Date.now() + ms;
  while (!pred() && Date.now() < end) await new Promise((r) => setTimeout(r, 200));
}

describe('delivery status notifications', () => {
  test('5xx from the next hop gives one DSN to the sender, naming only the failed recipient', async () => {
    const data = message({ from: 'dr.who@hospital.test', to: 'nobody@partner.test', subject: 'Referral for J. Doe', body: 'Patient details that must never be echoed back.\n' });
    const r = await sendMail(setup.outboundPort, { from: 'dr.who@hospital.test', to: ['nobody@partner.test', 'someone@partner.test'], data });
    expect(r.code).toBe(250);
    await internal.waitFor(1, 20000);
    await external.waitFor(1, 20000);
    await new Promise((res) => setTimeout(res, 1500));
    expect(internal.messages).toHaveLength(1);
    const dsn = internal.messages[0]!;
    expect(dsn.sender).toBe('');
    expect(dsn.recipients).toEqual(['dr.who@hospital.test']);
    const text = dsn.data.toString('latin1');
    expect(text).toMatch(/Content-Type: multipart\/report;[\s\S]*report-type="?delivery-status/i);
    expect(text).toMatch(/Final-Recipient: rfc822; ?nobody@partner\.test/i);
    expect(text).toMatch(/Action: failed/i);
    expect(text).toMatch(/Status: 5\.1\.1/);
    expect(text).not.toMatch(/someone@partner\.test/);
    expect(text).not.toContain('must never be echoed');
    expect(external.messages[0]!.recipients).toEqual(['someone@partner.test']);
  });

  test('a DSN that cannot be delivered is not bounced again; null-sender mail is never bounced', async () => {
    const before = queue().length;
    // External sender writes to a user the internal server rejects: the DSN goes outbound to
    // nobody@partner.test, which the external hop also rejects. That must be the end of it.
    const r1 = await sendMail(setup.inboundPort, { from: 'nobody@partner.test', to: ['nobody@hospital.test'], data: message({ from: 'nobody@partner.test', to: 'nobody@hospital.test', subject: 'loop bait', body: 'x\n' }) });
    expect(r1.code).toBe(250);
    const r2 = await sendMail(setup.outboundPort, { from: '', to: ['nobody@partner.test'], data: message({ from: 'mailer-daemon@hospital.test', to: 'nobody@partner.test', subject: 'null sender', body: 'x\n' }) });
    expect(r2.code).toBe(250);
    await settle(() => queue().filter((m) => m.state === 'bounced').length >= 3 + 0);
    await new Promise((res) => setTimeout(res, 2000));
    const q = queue().slice(0, queue().length);
    const fresh = q.length - before;
    // original inbound message, its DSN, and the null-sender message: three, all bounced, no fourth.
    expect(fresh).toBe(3);
    expect(q.filter((m) => m.sender === '').length).toBeGreaterThanOrEqual(2);
    expect(q.every((m) => m.state !== 'deferred' && m.state !== 'active' && m.state !== 'incoming')).toBe(true);
  });
});
