// Two `sealgate start` processes sharing one PostgreSQL database both accept mail and together
// deliver every message exactly once (no loss, no duplicate).
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import pg from 'pg';
import { chmodSync, copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { startSmtpSink } from '../helpers/smtp-sink.js';
import { cleanup, setupGateway, startGatewayProcess, withLimits, type GatewayProcess, type GatewaySetup } from '../helpers/gateway.js';
import { message, sendMail } from '../helpers/send-mail.js';

const N = 500;
const DB = `sg_cluster_${process.pid}_${Date.now()}`;
const ADMIN = 'postgres://postgres@127.0.0.1:5432/postgres';
const URL = `postgres://postgres@127.0.0.1:5432/${DB}`;

let sink: Awaited<ReturnType<typeof startSmtpSink>>;
const setups: GatewaySetup[] = [];
const procs: GatewayProcess[] = [];

async function admin(sql: string) {
  const c = new pg.Client({ connectionString: ADMIN });
  await c.connect();
  try {
    await c.query(sql);
  } finally {
    await c.end();
  }
}

beforeAll(async () => {
  await admin(`CREATE DATABASE ${DB}`);
  sink = await startSmtpSink();
  for (const node of ['node-a', 'node-b']) {
    const s = await setupGateway({ internalPort: sink.port, smarthostPort: sink.port, database: URL, edit: (y) => withLimits({ retryBase: 1, retryMax: 2 })(y) + `nodeName: ${node}\n` });
    setups.push(s);
  }
  // Every node of a cluster shares the PKI in the database and so its key-encryption key: init on
  // the second node leaves the PKI alone, and the administrator copies the first node's KEK.
  mkdirSync(join(setups[1]!.dir, 'keys'), { recursive: true, mode: 0o700 });
  copyFileSync(join(setups[0]!.dir, 'keys', 'kek'), join(setups[1]!.dir, 'keys', 'kek'));
  chmodSync(join(setups[1]!.dir, 'keys', 'kek'), 0o600);
  // Start sequentially: the first applies the migrations, the second finds them applied.
  for (const s of setups) procs.push(await startGatewayProcess(s));
}, 120_000);

afterAll(async () => {
  for (const p of procs) await p.stop();
  await sink?.close();
  for (const s of setups) cleanup(s.dir);
  await admin(`DROP DATABASE IF EXISTS ${DB} WITH (FORCE)`);
});

describe('PostgreSQL cluster', () => {
  test(`two processes deliver ${N} messages with no loss and no duplicate`, async () => {
    let next = 0;
    const accepted: string[] = [];
    const worker = async (w: number) => {
      while (next < N) {
        const i = next++;
        const id = `m${i}`;
        const port = setups[i % 2]!.outboundPort;
        const r = await sendMail(port, { from: 'a@hospital.test', to: ['b@partner.test'], data: message({ from: 'a@hospital.test', to: 'b@partner.test', subject: `cluster ${i}`, body: 'hello\n', extraHeaders: [`X-Test-Id: ${id}`] }) });
        expect(r.code, `message ${id} via node ${w}`).toBe(250);
        accepted.push(id);
      }
    };
    await Promise.all([1, 2, 3, 4, 5, 6].map(worker));
    await sink.waitFor(N, 120_000);
    await new Promise((r) => setTimeout(r, 2000)); // a duplicate would arrive in this window
    const ids = sink.messages.map((m) => /X-Test-Id: (\S+)/.exec(m.data.toString('latin1'))?.[1]);
    const unique = new Set(ids);
    console.log(`cluster: ${accepted.length} accepted, ${ids.length} delivered, ${unique.size} unique`);
    expect(accepted).toHaveLength(N);
    expect(ids).toHaveLength(N);
    expect(unique.size).toBe(N);
  }, 240_000);
});
