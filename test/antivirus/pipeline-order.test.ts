// The gateway runs the antivirus stage before any other stage (such as outbound encryption): a
// stand-in "encryption" stage passed to startGateway only ever sees mail that was scanned clean,
// and infected outbound mail never reaches it or the next hop. Real gateway (in-process), real
// SMTP, real clamd.
import { afterAll, beforeAll, expect, test } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { startGateway, type RunningGateway } from '../../src/gateway/gateway.js';
import { silentLogger } from '../../src/log/logger.js';
import type { Stage } from '../../src/pipeline/stage.js';
import { startSmtpSink, type SmtpSink } from '../helpers/smtp-sink.js';
import { cleanup, setupGateway, withLimits, type GatewaySetup } from '../helpers/gateway.js';
import { sendMail } from '../helpers/send-mail.js';
import { MARKER, startClamd, type ClamdProcess } from '../helpers/clamd.js';
import { plainMessage } from './mail.js';

let av: ClamdProcess;
let internal: SmtpSink;
let external: SmtpSink;
let setup: GatewaySetup;
let gw: RunningGateway;
const seen: string[] = [];

/** Stands in for an encryption stage: records what it sees, then makes the body unreadable. */
const fakeEncrypt: Stage = {
  name: 'fake-encrypt',
  directions: ['outbound'],
  async process(msg) {
    seen.push(msg.body.toString('latin1'));
    return { kind: 'continue', body: Buffer.from(`Subject: encrypted\r\n\r\n${msg.body.toString('base64')}\r\n`) };
  },
};

beforeAll(async () => {
  av = await startClamd();
  internal = await startSmtpSink();
  external = await startSmtpSink();
  const limits = withLimits({ retryBase: 1, retryMax: 2 });
  setup = await setupGateway({
    internalPort: internal.port,
    smarthostPort: external.port,
    edit: (y) => limits(y) + ['', 'antivirus:', `  clamd: ${av.address}`, '  outbound:', '    action: reject', ''].join('\n'),
  });
  gw = await startGateway(loadConfig(setup.config), { logger: silentLogger(), stages: [fakeEncrypt] });
}, 60_000);

afterAll(async () => {
  await gw?.stop();
  await internal?.close();
  await external?.close();
  await av?.close();
  if (setup) cleanup(setup.dir);
});

test('outbound: malware is caught before the encryption stage; clean mail is scanned, then encrypted', async () => {
  const bad = plainMessage(`pay now ${MARKER}`, 'bad');
  const good = plainMessage('quarterly figures attached\r\n', 'good');
  expect((await sendMail(gw.outbound.port, { from: 'dr.smith@hospital.test', to: ['billing@partner.test'], data: bad })).code).toBe(250);
  expect((await sendMail(gw.outbound.port, { from: 'dr.smith@hospital.test', to: ['billing@partner.test'], data: good })).code).toBe(250);
  await external.waitFor(1, 20_000);
  await internal.waitFor(1, 20_000); // the DSN for the infected one
  await new Promise((r) => setTimeout(r, 500));
  expect(external.messages).toHaveLength(1);
  expect(external.messages[0]!.data.toString('latin1')).toContain('Subject: encrypted');
  expect(seen).toHaveLength(1);
  expect(seen[0]).toContain('Subject: good');
  expect(seen.some((s) => s.includes(MARKER))).toBe(false);
  expect(internal.messages[0]!.data.toString('latin1')).toMatch(/malware detected: Sealgate\.Test\.Marker/);
});

test('the running gateway exposes the scanner health (for the console)', async () => {
  const h = await gw.antivirus!.checkHealth();
  expect(h).toMatchObject({ reachable: true, dbVersion: 27000, clamd: av.address });
  expect(h.counters.scanned).toBeGreaterThanOrEqual(2);
  expect(h.counters.infected).toBeGreaterThanOrEqual(1);
  expect({ ...gw.antivirus!.health(), dbAgeHours: h.dbAgeHours }).toEqual(h); // age is recomputed per call
});
