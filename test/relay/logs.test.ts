// Structured logs: JSON lines that tie every step of a message together by its queue id (txn), and
// never carry message content: no body text, no subject.
import { afterAll, beforeAll, expect, test } from 'vitest';
import { startSmtpSink } from '../helpers/smtp-sink.js';
import { cleanup, sealgate, setupGateway, startGatewayProcess, type GatewayProcess, type GatewaySetup } from '../helpers/gateway.js';
import { message, sendMail } from '../helpers/send-mail.js';

let sink: Awaited<ReturnType<typeof startSmtpSink>>;
let setup: GatewaySetup;
let gw: GatewayProcess;

beforeAll(async () => {
  sink = await startSmtpSink();
  // Info level (the helper lowers it to warn): the level an administrator runs with.
  setup = await setupGateway({ internalPort: sink.port, smarthostPort: sink.port, edit: (y) => y.replace('level: warn', 'level: info') });
  // The recipient is an allowed destination, so the PHI message below goes out (encrypted to a
  // certificate issued on the spot) and its policy, protection and delivery lines are all logged.
  sealgate(['partner', 'add', 'partner.test', '--kind', 'healthcare', '--config', setup.config]);
  gw = await startGatewayProcess(setup);
});

afterAll(async () => {
  await gw?.stop();
  await sink?.close();
  if (setup) cleanup(setup.dir);
});

test('log lines are JSON, carry the queue id through reception and delivery, and no content', async () => {
  const secretBody = 'Patient Jane Roe MRN 99812345 diagnosed with hepatitis C';
  const secretSubject = 'Results for Jane Roe';
  const r = await sendMail(setup.outboundPort, { from: 'dr.lee@hospital.test', to: ['clinic@partner.test'], data: message({ from: 'dr.lee@hospital.test', to: 'clinic@partner.test', subject: secretSubject, body: secretBody }) });
  expect(r.code).toBe(250);
  const id = /queued as (\S+)/.exec(r.final)![1]!;
  // The message itself, the recipient's PKCS#12 email and the sender's notice.
  await sink.waitFor(3, 30000);
  await gw.stop();
  const lines = gw.stdout().trim().split('\n').filter(Boolean);
  const records = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
  const mine = records.filter((rec) => rec.txn === id).map((rec) => rec.msg);
  expect(mine).toEqual(expect.arrayContaining(['smtp message', 'message queued', 'delivered']));
  const all = lines.join('\n');
  for (const secret of ['Jane Roe', '99812345', 'hepatitis', secretSubject]) expect(all).not.toContain(secret);
});
