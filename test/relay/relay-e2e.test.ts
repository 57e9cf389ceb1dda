// End to end through a real `sealgate start` process: mail in both directions arrives byte-intact
// (apart from our Received header) at a real SMTP sink standing in for the next hop; no open relay.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startSmtpSink } from '../helpers/smtp-sink.js';
import { cleanup, setupGateway, startGatewayProcess, type GatewayProcess, type GatewaySetup } from '../helpers/gateway.js';
import { message, sendMail, withoutTrace } from '../helpers/send-mail.js';

let internal: Awaited<ReturnType<typeof startSmtpSink>>;
let external: Awaited<ReturnType<typeof startSmtpSink>>;
let setup: GatewaySetup;
let gw: GatewayProcess;

beforeAll(async () => {
  internal = await startSmtpSink();
  external = await startSmtpSink();
  setup = await setupGateway({ domains: ['hospital.test', 'clinic.test'], internalPort: internal.port, smarthostPort: external.port });
  gw = await startGatewayProcess(setup);
});

afterAll(async () => {
  await gw?.stop();
  await internal?.close();
  await external?.close();
  if (setup) cleanup(setup.dir);
});

describe('relay end to end', () => {
  test('outbound mail reaches the next hop byte-intact apart from the trace header', async () => {
    const data = message({ from: 'dr.smith@hospital.test', to: 'billing@partner.test', subject: 'Quarterly figures', body: 'Line one\n.leading dot line\n..two dots\n\nÜmlaut bytes and a long line ' + 'x'.repeat(900) + '\n' });
    const r = await sendMail(setup.outboundPort, { from: 'dr.smith@hospital.test', to: ['billing@partner.test'], data });
    expect(r.final).toMatch(/^250 2\.0\.0 /);
    await external.waitFor(1, 20000);
    const got = external.messages[0]!;
    expect(got.sender).toBe('dr.smith@hospital.test');
    expect(got.recipients).toEqual(['billing@partner.test']);
    expect(withoutTrace(got.data).equals(data)).toBe(true);
    expect(got.data.toString('latin1')).toMatch(/^Received: from client\.test /);
  });

  test('inbound mail for our domains reaches the internal server byte-intact', async () => {
    const data = message({ from: 'lab@partner.test', to: 'nurse@clinic.test', subject: 'Results', body: 'See the portal.\n' });
    const r = await sendMail(setup.inboundPort, { from: 'lab@partner.test', to: ['nurse@clinic.test', 'Ward7@HOSPITAL.test'], data });
    expect(r.final).toMatch(/^250 /);
    await internal.waitFor(1, 20000);
    const got = internal.messages[0]!;
    expect(got.recipients.sort()).toEqual(['Ward7@HOSPITAL.test', 'nurse@clinic.test']);
    expect(withoutTrace(got.data).equals(data)).toBe(true);
  });

  test('inbound relay attempt for a foreign domain gets 550 5.7.1', async () => {
    const r = await sendMail(setup.inboundPort, { from: 'spammer@evil.test', to: ['victim@elsewhere.test'], data: 'Subject: x\r\n\r\nx\r\n' });
    expect(r.replies).toContainEqual(expect.stringMatching(/^550 5\.7\.1 /));
    expect(r.code).toBe(550);
  });
});

describe('shutdown', () => {
  test('SIGTERM after delivering mail stops gracefully with exit status 0', async () => {
    expect(internal.messages.length + external.messages.length).toBeGreaterThan(0);
    expect(await gw.stop()).toBe(0);
  });
});

describe('outbound relay clients', () => {
  test('a client outside smtp.outbound.clients is refused', async () => {
    const sink = await startSmtpSink();
    const s = await setupGateway({ internalPort: sink.port, smarthostPort: sink.port, edit: (y) => y.replace('      - 127.0.0.0/8\n      - ::1/128', '      - 10.99.0.0/16') });
    const p = await startGatewayProcess(s);
    try {
      const r = await sendMail(s.outboundPort, { from: 'a@hospital.test', to: ['b@partner.test'], data: 'Subject: x\r\n\r\nx\r\n' });
      expect(r.code).toBe(550);
      expect(r.replies.some((l) => /^5\d\d 5\.7\.1 /.test(l))).toBe(true);
      await new Promise((res) => setTimeout(res, 500));
      expect(sink.messages).toHaveLength(0);
    } finally {
      await p.stop();
      await sink.close();
      cleanup(s.dir);
    }
  });
});
