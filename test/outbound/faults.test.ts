// Faults in the outbound protection path (issue 5 acceptance): LDAP down, a directory that times
// out, the CA key unavailable (KEK file removed), a signing failure. Each runs a real gateway
// process; the message is deferred (or held), and what reached the SMTP sink is checked: nothing
// in the clear, nothing at all for that recipient.
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import net from 'node:net';
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { rm } from 'node:fs/promises';
import { cleanup, freePort, sealgate, setupGateway, startGatewayProcess, type GatewayProcess, type GatewaySetup } from '../helpers/gateway.js';
import { startSmtpSink, type SmtpSink } from '../helpers/smtp-sink.js';
import { sendMail } from '../helpers/send-mail.js';
import { makeTestPki, type TestPki } from '../peers/pki.js';
import { SENDER, outboundYaml, phiMessage } from './protect-helpers.js';

interface Listed {
  id: string;
  state: string;
  lastError: string | null;
  recipients: Array<{ address: string; status: string }> | string[];
}

function queue(setup: GatewaySetup): Listed[] {
  const r = sealgate(['queue', 'list', '--json', '--config', setup.config]);
  if (r.status !== 0) throw new Error(r.stderr);
  return r.stdout.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Listed);
}

/** Waits until the message to `rcpt` left the first attempt: deferred or held (with its reason). */
async function settled(setup: GatewaySetup, rcpt: string, ms = 90_000): Promise<Listed> {
  const end = Date.now() + ms;
  for (;;) {
    const m = queue(setup).find((x) => JSON.stringify(x.recipients).includes(rcpt));
    if (m && (m.state === 'deferred' || m.state === 'hold')) return m;
    if (Date.now() > end) throw new Error(`message to ${rcpt} not deferred or held: ${JSON.stringify(m)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** A TCP server that accepts connections and never says a word (a hung directory). */
async function blackHole(): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((s) => {
    sockets.add(s);
    s.on('error', () => {});
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as net.AddressInfo).port,
    close: () => new Promise<void>((r) => {
      for (const s of sockets) s.destroy();
      server.close(() => r());
    }),
  };
}

describe('outbound protection faults: deferred or held, never in the clear', () => {
  let partner: TestPki;
  let sink: SmtpSink;
  let internal: SmtpSink;
  let setup: GatewaySetup | undefined;
  let gw: GatewayProcess | undefined;

  async function gateway(o: { ldapUrl: string; sources?: string; extra?: string; before?: (s: GatewaySetup) => void }): Promise<GatewaySetup> {
    partner ??= await makeTestPki();
    sink ??= await startSmtpSink();
    internal ??= await startSmtpSink();
    setup = await setupGateway({
      internalPort: internal.port,
      smarthostPort: sink.port,
      edit: (y) => y + outboundYaml({ ldapUrl: o.ldapUrl, ldapBase: 'dc=example,dc=test', anchors: partner.caCertPath, ldapTimeoutMs: 1000, ...(o.sources ? { sources: o.sources } : {}), ...(o.extra ? { extra: o.extra } : {}) }),
    });
    const r = sealgate(['partner', 'add', 'example.test', '--kind', 'business-associate', '--config', setup.config]);
    expect(r.status, r.stderr).toBe(0);
    o.before?.(setup);
    gw = await startGatewayProcess(setup);
    return setup;
  }

  async function send(s: GatewaySetup, rcpt: string, data = phiMessage(rcpt)): Promise<void> {
    expect((await sendMail(s.outboundPort, { from: SENDER, to: [rcpt], data })).code).toBe(250);
  }

  const nothingFor = (rcpt: string) => expect(sink.messages.filter((m) => m.recipients.includes(rcpt))).toEqual([]);

  afterEach(async () => {
    await gw?.stop();
    gw = undefined;
    if (setup) cleanup(setup.dir);
    setup = undefined;
  });

  afterAll(async () => {
    await Promise.all([sink?.close(), internal?.close()]);
    if (partner) await rm(partner.dir, { recursive: true, force: true });
  });

  it('LDAP down: the lookup is incomplete, so the message is deferred (not sent, not auto-issued)', async () => {
    const s = await gateway({ ldapUrl: `ldap://127.0.0.1:${await freePort()}` });
    await send(s, 'alice@example.test');
    const m = await settled(s, 'alice@example.test');
    expect(m.state).toBe('deferred');
    expect(m.lastError).toMatch(/lookup incomplete: ldap ldap:\/\/127\.0\.0\.1:\d+/);
    nothingFor('alice@example.test');
  }, 180_000);

  it('directory timeout: a hung LDAP server times out and the message is deferred', async () => {
    const hole = await blackHole();
    try {
      const s = await gateway({ ldapUrl: `ldap://127.0.0.1:${hole.port}` });
      await send(s, 'alice@example.test');
      const m = await settled(s, 'alice@example.test');
      expect(m.state).toBe('deferred');
      expect(m.lastError).toMatch(/lookup incomplete: ldap .*tim(e|ed) ?out/i);
      nothingFor('alice@example.test');
    } finally {
      await hole.close();
    }
  }, 180_000);

  it('CA key unavailable (KEK file removed): auto-issue cannot happen, the message is deferred, no PKCS#12 goes out', async () => {
    // A directory that answers "none" (local store only), so auto-issue is the method that applies.
    const s = await gateway({
      ldapUrl: `ldap://127.0.0.1:${await freePort()}`,
      sources: 'local',
      extra: '  domainSign: false',
      before: (x) => rmSync(join(x.dir, 'keys', 'kek')),
    });
    await send(s, 'pat@example.test');
    const m = await settled(s, 'pat@example.test');
    expect(m.state).toBe('deferred');
    expect(m.lastError).toMatch(/auto-issue for pat@example\.test failed/);
    nothingFor('pat@example.test');
  }, 180_000);

  it('signing failure (the domain signing key cannot be opened): PHI and non-PHI mail are deferred, nothing leaves unsigned', async () => {
    const s = await gateway({
      ldapUrl: `ldap://127.0.0.1:${await freePort()}`,
      sources: 'local',
      before: (x) => {
        const db = join(x.dir, 'data', 'sealgate.db');
        const r = spawnSync('sqlite3', [db, "UPDATE pki_keys SET sealed_key = 'corrupt' WHERE id LIKE 'domain-signing:%'"], { encoding: 'utf8' });
        expect(r.status, r.stderr).toBe(0);
      },
    });
    await send(s, 'alice@example.test');
    await send(s, 'bob@example.test', `From: ${SENDER}\r\nTo: bob@example.test\r\nSubject: lunch\r\n\r\nLunch at noon?\r\n`);
    for (const rcpt of ['alice@example.test', 'bob@example.test']) {
      const m = await settled(s, rcpt);
      expect(m.state).toBe('deferred');
      expect(m.lastError).toMatch(/domain signing failed/);
      nothingFor(rcpt);
    }
  }, 180_000);
});
