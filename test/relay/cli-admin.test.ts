// The CLI contract: check-config errors and exit status, queue administration, audit verification.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { existsSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { startSmtpSink } from '../helpers/smtp-sink.js';
import { cleanup, sealgate, setupGateway, startGatewayProcess, type GatewaySetup } from '../helpers/gateway.js';
import { message, sendMail } from '../helpers/send-mail.js';

let setup: GatewaySetup;
let sink: Awaited<ReturnType<typeof startSmtpSink>>;

beforeAll(async () => {
  sink = await startSmtpSink();
  sink.setDown(true); // keep messages in the queue
  setup = await setupGateway({ internalPort: sink.port, smarthostPort: sink.port });
});

afterAll(async () => {
  await sink?.close();
  if (setup) cleanup(setup.dir);
});

describe('sealgate CLI', () => {
  test('every command has --help', () => {
    for (const cmd of [[], ['init'], ['start'], ['check-config'], ['queue'], ['queue', 'list'], ['queue', 'release'], ['audit', 'verify'], ['demo']]) {
      const r = sealgate([...cmd, '--help']);
      expect(r.status, cmd.join(' ')).toBe(0);
      expect(r.stdout).toMatch(/Usage: sealgate/);
    }
  });

  test('init created the PKI: the root CA prints as PEM and the KEK file is private', () => {
    const r = sealgate(['ca', 'show', '--pem', '--config', setup.config]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^-----BEGIN CERTIFICATE-----/);
    expect(statSync(join(setup.dir, 'keys', 'kek')).mode & 0o077).toBe(0);
  });

  test('init refuses to overwrite an existing configuration', () => {
    const r = sealgate(['init', '--dir', setup.dir, '--domain', 'hospital.test']);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/already exists; refusing to overwrite/);
    expect(existsSync(join(setup.dir, 'sealgate.yaml'))).toBe(true);
  });

  test('check-config accepts the generated file and names the key path of a bad one, exit 2', () => {
    expect(sealgate(['check-config', '--config', setup.config]).status).toBe(0);
    const bad = join(setup.dir, 'bad.yaml');
    writeFileSync(bad, 'domains: [hospital.test]\nsmtp:\n  inbound:\n    listen: "2525x"\nlimits:\n  recipientsPerMessage: 0\n');
    const r = sealgate(['check-config', '--config', bad]);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('smtp.inbound.listen: expected host:port, got "2525x"');
    expect(r.stderr).toContain('limits.recipientsPerMessage: must be between 1 and 100000 recipients, got 0');
    const missing = sealgate(['check-config', '--config', join(setup.dir, 'nope.yaml')]);
    expect(missing.status).toBe(2);
    expect(missing.stderr).toMatch(/nope\.yaml.*cannot read file/s);
  });

  test('queue list/show/hold/release/retry/delete act on real messages and are audited', async () => {
    const gw = await startGatewayProcess(setup);
    try {
      const r = await sendMail(setup.outboundPort, { from: 'a@hospital.test', to: ['b@partner.test', 'c@partner.test'], data: message({ from: 'a@hospital.test', to: 'b@partner.test', subject: 'held', body: 'x\n' }) });
      expect(r.code).toBe(250);
      const id = /queued as (\S+)/.exec(r.final)![1]!;
      await new Promise((res) => setTimeout(res, 1000));
      const list = sealgate(['queue', 'list', '--json', '--config', setup.config]);
      expect(list.status).toBe(0);
      const row = list.stdout.trim().split('\n').map((l) => JSON.parse(l)).find((m) => m.id === id);
      expect(row).toMatchObject({ id, sender: 'a@hospital.test', recipients: ['b@partner.test', 'c@partner.test'] });
      for (const key of ['state', 'attempts', 'nextAttempt', 'lastError']) expect(row).toHaveProperty(key);

      // a message in a delivery attempt (active, leased) can be neither held, retried nor deleted:
      // the gateway tries it at once (and again after a release) and the sink is down, so each
      // command waits until that attempt has deferred it (a loaded CI machine may still be in the
      // first one after the second above)
      const settled = async () => {
        for (let i = 0; i < 100; i++) {
          if (JSON.parse(sealgate(['queue', 'show', id, '--json', '--config', setup.config]).stdout).state !== 'active') return;
          await new Promise((res) => setTimeout(res, 150));
        }
      };
      await settled();
      expect(sealgate(['queue', 'hold', id, '--reason', 'checking', '--config', setup.config]).status).toBe(0);
      expect(JSON.parse(sealgate(['queue', 'show', id, '--json', '--config', setup.config]).stdout).state).toBe('hold');
      expect(sealgate(['queue', 'release', id, '--config', setup.config]).status).toBe(0);
      expect(JSON.parse(sealgate(['queue', 'show', id, '--json', '--config', setup.config]).stdout).state).not.toBe('hold');
      await settled();
      expect(sealgate(['queue', 'retry', id, '--config', setup.config]).status).toBe(0);
      await settled();
      expect(sealgate(['queue', 'delete', id, '--config', setup.config]).status).toBe(0);
      const gone = sealgate(['queue', 'show', id, '--config', setup.config]);
      expect(gone.status).not.toBe(0);
      expect(gone.stderr).toContain(`no message ${id}`);
    } finally {
      await gw.stop();
    }
    const audit = sealgate(['audit', 'verify', '--config', setup.config]);
    expect(audit.status).toBe(0);
    expect(audit.stdout).toMatch(/audit trail OK: \d+ record/);
  });

  test('audit verify catches an edited row', () => {
    expect(sealgate(['audit', 'verify', '--config', setup.config]).status).toBe(0);
    const db = new Database(join(setup.dir, 'data', 'sealgate.db'));
    const rows = db.prepare('SELECT seq FROM audit ORDER BY seq').all() as Array<{ seq: number }>;
    expect(rows.length).toBeGreaterThan(3);
    const target = rows[Math.floor(rows.length / 2)]!.seq;
    db.prepare("UPDATE audit SET actor = 'cli:mallory' WHERE seq = ?").run(target);
    db.close();
    const r = sealgate(['audit', 'verify', '--config', setup.config]);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain(String(target));
    expect(r.stderr).toMatch(/DAMAGED/);
  });
});
