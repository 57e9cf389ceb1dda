// End to end through a real `sealgate start` process configured with an `antivirus` section and a
// real clamd: clean mail is delivered byte-intact, inbound malware is quarantined (visible in
// `sealgate queue list`), outbound malware is bounced to the internal sender and never leaves, and
// with clamd stopped a message is deferred, never delivered unscanned, then delivered once clamd
// is back. Needs the built CLI (npx tsc -p tsconfig.json).
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { startSmtpSink, type SmtpSink } from '../helpers/smtp-sink.js';
import { cleanup, sealgate, setupGateway, startGatewayProcess, withLimits, type GatewayProcess, type GatewaySetup } from '../helpers/gateway.js';
import { sendMail, withoutTrace } from '../helpers/send-mail.js';
import { EICAR, startClamd, type ClamdProcess } from '../helpers/clamd.js';
import { eicarZip, plainMessage, withAttachments } from './mail.js';

let av: ClamdProcess;
let internal: SmtpSink;
let external: SmtpSink;
let setup: GatewaySetup;
let gw: GatewayProcess;

beforeAll(async () => {
  av = await startClamd();
  internal = await startSmtpSink();
  external = await startSmtpSink();
  const limits = withLimits({ retryBase: 1, retryMax: 2 });
  setup = await setupGateway({
    internalPort: internal.port,
    smarthostPort: external.port,
    edit: (y) =>
      limits(y) +
      ['', 'antivirus:', `  clamd: ${av.address}`, '  inbound:', '    action: quarantine', '  outbound:', '    action: reject', '  onError: tempfail', '  timeoutSeconds: 5', `  streamMaxLength: ${av.streamMaxLength}`, ''].join('\n'),
  });
  expect(sealgate(['check-config', '--config', setup.config]).status).toBe(0);
  gw = await startGatewayProcess(setup);
}, 60_000);

afterAll(async () => {
  await gw?.stop();
  await internal?.close();
  await external?.close();
  await av?.close();
  if (setup) cleanup(setup.dir);
});

interface Row {
  id: string;
  state: string;
  sender: string;
  recipients: Array<string | { address: string }>;
  lastError?: string | null;
  holdReason?: string | null;
}

function queue(): Row[] {
  const r = sealgate(['queue', 'list', '--json', '--config', setup.config]);
  expect(r.status, r.stderr).toBe(0);
  return r.stdout.split('\n').filter((l) => l.trim().startsWith('{')).map((l) => JSON.parse(l) as Row);
}

async function waitFor<T>(what: string, f: () => T | undefined, ms = 20_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = f();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

const subjectOf = (data: Buffer) => /^Subject: (.*)$/m.exec(data.toString('latin1'))?.[1]?.trim();

describe('antivirus in a running gateway', () => {
  test('clean inbound mail is delivered byte-intact', async () => {
    const data = plainMessage('Your appointment is confirmed.\r\n', 'clean-1');
    const r = await sendMail(setup.inboundPort, { from: 'lab@partner.test', to: ['nurse@hospital.test'], data });
    expect(r.code).toBe(250);
    await internal.waitFor(1, 20_000);
    expect(withoutTrace(internal.messages[0]!.data).equals(data)).toBe(true);
  });

  test('inbound malware (EICAR in a zip) is quarantined: held with the threat, never delivered', async () => {
    const data = withAttachments([{ filename: 'lab.zip', type: 'application/zip', data: eicarZip() }]);
    const r = await sendMail(setup.inboundPort, { from: 'lab@partner.test', to: ['nurse@hospital.test'], data });
    expect(r.code).toBe(250);
    const held = await waitFor('a held message', () => queue().find((m) => m.state === 'hold'));
    expect(held.holdReason ?? held.lastError).toMatch(/malware detected: Sealgate\.Test\.EICAR/);
    expect(internal.messages.some((m) => subjectOf(m.data) === 'Report')).toBe(false);
  });

  test('outbound malware is caught before it leaves: the internal sender gets a DSN, the outside gets nothing', async () => {
    const data = Buffer.from(['From: <dr.smith@hospital.test>', 'To: <billing@partner.test>', 'Subject: outbound-eicar', 'MIME-Version: 1.0', 'Content-Type: text/plain', '', EICAR.toString('latin1'), ''].join('\r\n'), 'latin1');
    const before = internal.messages.length;
    const r = await sendMail(setup.outboundPort, { from: 'dr.smith@hospital.test', to: ['billing@partner.test'], data });
    expect(r.code).toBe(250);
    await internal.waitFor(before + 1, 20_000);
    const dsn = internal.messages[before]!;
    expect(dsn.recipients).toEqual(['dr.smith@hospital.test']);
    expect(dsn.sender).toBe('');
    expect(dsn.data.toString('latin1')).toMatch(/malware detected: Sealgate\.Test\.EICAR/);
    expect(external.messages).toHaveLength(0);
  });

  test('clamd stopped: the message is deferred, not delivered; after clamd is back it is delivered', async () => {
    await av.stop();
    const data = plainMessage('Scan me when you can.\r\n', 'during-outage');
    const before = internal.messages.length;
    const r = await sendMail(setup.inboundPort, { from: 'lab@partner.test', to: ['ward7@hospital.test'], data });
    expect(r.code).toBe(250);
    const deferred = await waitFor('a deferred message', () => queue().find((m) => m.state === 'deferred'));
    expect(deferred.lastError).toMatch(/scanner unavailable/);
    await new Promise((res) => setTimeout(res, 3000)); // several retry intervals (retryMax 2 s)
    expect(internal.messages.length).toBe(before);
    await av.start();
    await internal.waitFor(before + 1, 20_000);
    const got = internal.messages[before]!;
    expect(subjectOf(got.data)).toBe('during-outage');
    expect(withoutTrace(got.data).equals(data)).toBe(true);
  }, 40_000);
});

describe('cleanse and destroy in a running gateway', () => {
  test('inbound cleanse delivers the message without the infected part; outbound destroy sends only a notice', async () => {
    const inSink = await startSmtpSink();
    const outSink = await startSmtpSink();
    const s = await setupGateway({
      internalPort: inSink.port,
      smarthostPort: outSink.port,
      edit: (y) => y + ['', 'antivirus:', `  clamd: ${av.address}`, '  inbound:', '    action: cleanse', '  outbound:', '    action: destroy', ''].join('\n'),
    });
    const p = await startGatewayProcess(s);
    try {
      const pdf = { filename: 'report.pdf', type: 'application/pdf', data: Buffer.from('%PDF-1.4\n% clean\n'.repeat(10)) };
      const inbound = withAttachments([pdf, { filename: 'lab.zip', type: 'application/zip', data: eicarZip() }]);
      expect((await sendMail(s.inboundPort, { from: 'lab@partner.test', to: ['nurse@hospital.test'], data: inbound })).code).toBe(250);
      const outbound = plainMessage(`Please pay.\r\n${EICAR.toString('latin1')}\r\n`, 'outbound-destroy');
      expect((await sendMail(s.outboundPort, { from: 'dr.smith@hospital.test', to: ['billing@partner.test'], data: outbound })).code).toBe(250);

      await inSink.waitFor(1, 20_000);
      const cleansed = withoutTrace(inSink.messages[0]!.data).toString('latin1');
      expect(cleansed).toContain(Buffer.from(pdf.data).toString('base64').slice(0, 60));
      expect(cleansed).toMatch(/removed a part of this message because it contains malware/);
      expect(cleansed).toContain('"lab.zip" (application/zip)');
      expect(cleansed).not.toContain('filename="lab.zip"');

      await outSink.waitFor(1, 20_000);
      const notice = outSink.messages[0]!;
      expect(notice.recipients).toEqual(['billing@partner.test']);
      const text = notice.data.toString('latin1');
      expect(text).toContain('Subject: Message removed: malware detected');
      expect(text).not.toContain('outbound-destroy');
      expect(text).not.toContain('EICAR-STANDARD');
      expect(sealgate(['audit', 'verify', '--config', s.config]).status).toBe(0);
      // Both detections are in the audit trail, metadata only.
      const db = new Database(join(s.dir, 'data', 'sealgate.db'), { readonly: true });
      try {
        const rows = db.prepare("SELECT data FROM audit WHERE type = 'malware' ORDER BY seq").all() as Array<{ data: string }>;
        // The two messages are processed concurrently: order by direction, not by time.
        const records = rows.map((r) => JSON.parse(r.data) as { direction: string }).sort((a, b) => a.direction.localeCompare(b.direction));
        expect(records).toEqual([
          expect.objectContaining({ direction: 'inbound', action: 'cleanse', threats: [expect.stringMatching(/EICAR/)] }),
          expect.objectContaining({ direction: 'outbound', action: 'destroy', threats: [expect.stringMatching(/EICAR/)] }),
        ]);
      } finally {
        db.close();
      }
    } finally {
      await p.stop();
      await inSink.close();
      await outSink.close();
      cleanup(s.dir);
    }
  }, 40_000);
});
