// Durability: a 250 means the message survives anything. The gateway is killed with SIGKILL at 20+
// random points while a stream of messages flows through it, and restarted each time; at the end
// every message that got a 250 has reached the next hop. Also: next hop down -> deferred, retried.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startSmtpSink } from '../helpers/smtp-sink.js';
import { cleanup, sealgate, setupGateway, startGatewayProcess, withLimits, type GatewayProcess, type GatewaySetup } from '../helpers/gateway.js';
import { message, sendMail } from '../helpers/send-mail.js';

const KILLS = 20;

let sink: Awaited<ReturnType<typeof startSmtpSink>>;
let setup: GatewaySetup;

beforeAll(async () => {
  sink = await startSmtpSink();
  setup = await setupGateway({ internalPort: sink.port, smarthostPort: sink.port, edit: withLimits({ retryBase: 1, retryMax: 2 }) });
});

afterAll(async () => {
  await sink?.close();
  if (setup) cleanup(setup.dir);
});

function idsAtSink(): string[] {
  return sink.messages.map((m) => /X-Test-Id: (\S+)/.exec(m.data.toString('latin1'))?.[1]).filter((x): x is string => !!x);
}

describe('crash safety', () => {
  test(`kill -9 at ${KILLS} points under a stream of messages loses nothing`, async () => {
    let gw: GatewayProcess = await startGatewayProcess(setup);
    const accepted: string[] = [];
    let sending = true;
    let seq = 0;
    let refused = 0;
    const sender = async (worker: number) => {
      while (sending) {
        const id = `w${worker}-${seq++}`;
        try {
          const r = await sendMail(setup.outboundPort, { from: 'a@hospital.test', to: ['b@partner.test'], data: message({ from: 'a@hospital.test', to: 'b@partner.test', subject: 'crash test', body: `payload ${id}\n${'y'.repeat(2000)}\n`, extraHeaders: [`X-Test-Id: ${id}`] }), timeoutMs: 10000 });
          if (r.code === 250) accepted.push(id);
          else refused++;
        } catch {
          refused++; // connection refused or cut while the gateway was down: not acknowledged, not counted
          await new Promise((r) => setTimeout(r, 50));
        }
      }
    };
    const senders = [sender(1), sender(2), sender(3)];
    for (let k = 0; k < KILLS; k++) {
      await new Promise((r) => setTimeout(r, 150 + Math.random() * 450));
      await gw.kill9();
      const t = Date.now();
      gw = await startGatewayProcess(setup);
      if (process.env.SG_DEBUG) console.log(`kill ${k}: restarted in ${Date.now() - t} ms, accepted ${accepted.length}, at sink ${idsAtSink().length}`);
    }
    await new Promise((r) => setTimeout(r, 500));
    sending = false;
    await Promise.all(senders);
    const deadline = Date.now() + 90000;
    let delivered = new Set(idsAtSink());
    while (accepted.some((id) => !delivered.has(id)) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 250));
      delivered = new Set(idsAtSink());
    }
    await gw.stop();
    const lost = accepted.filter((id) => !delivered.has(id));
    const all = idsAtSink();
    const duplicates = all.length - new Set(all).size;
    console.log(`crash test: ${KILLS} kills, ${accepted.length} accepted, ${delivered.size} delivered, ${lost.length} lost, ${duplicates} duplicate deliveries, ${refused} attempts refused while down`);
    expect(accepted.length).toBeGreaterThan(50);
    expect(lost).toEqual([]);
  }, 240_000);

  test('with the next hop down a message is deferred, retried, then delivered', async () => {
    const down = await startSmtpSink();
    const s = await setupGateway({ internalPort: down.port, smarthostPort: down.port, edit: withLimits({ retryBase: 1, retryMax: 2 }) });
    down.setDown(true);
    const gw = await startGatewayProcess(s);
    try {
      const r = await sendMail(s.outboundPort, { from: 'a@hospital.test', to: ['b@partner.test'], data: message({ from: 'a@hospital.test', to: 'b@partner.test', subject: 'retry me', body: 'hello\n' }) });
      expect(r.code).toBe(250);
      let listed: Array<{ state: string; attempts: number; lastError: string | null }> = [];
      for (let i = 0; i < 40; i++) {
        await new Promise((res) => setTimeout(res, 250));
        listed = sealgate(['queue', 'list', '--json', '--config', s.config]).stdout.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l));
        if (listed[0]?.state === 'deferred' && listed[0].attempts >= 1) break;
      }
      expect(listed[0]).toMatchObject({ state: 'deferred' });
      expect(listed[0]!.lastError).toBeTruthy();
      down.setDown(false);
      await down.waitFor(1, 30000);
      expect(down.messages[0]!.data.toString()).toContain('Subject: retry me');
    } finally {
      await gw.stop();
      await down.close();
      cleanup(s.dir);
    }
  }, 60_000);
});
