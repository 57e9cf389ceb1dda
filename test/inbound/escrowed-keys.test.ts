// Internal users' own certificates with escrowed keys: `sealgate cert import-p12` reads a PKCS#12
// made by OpenSSL (its default PBES2/AES-256 and the legacy 3DES/SHA-1 profile), seals the key
// under the KEK (the database holds no plaintext key; the audit trail records the import and
// stays intact), and refuses a wrong password, a certificate outside our domains, a repeated
// import and missing options with a named reason. Then a real `sealgate start` decrypts mail that
// OpenSSL and Bouncy Castle encrypted to those personal certificates, byte for byte.
// Needs the built CLI (npm run build).
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { startSmtpSink, type SmtpSink, type SinkMessage } from '../helpers/smtp-sink.js';
import { cleanup, sealgate, setupGateway, startGatewayProcess, withLimits, type GatewayProcess, type GatewaySetup } from '../helpers/gateway.js';
import { sendMail, withoutTrace } from '../helpers/send-mail.js';
import { opensslEncrypt } from '../peers/openssl.js';
import { BcHarness } from '../peers/bc.js';
import { runOk } from '../peers/run.js';
import { wrapP7m } from '../peers/mime-extract.js';
import { makePartnerPki, type PartnerPki } from './crl-pki.js';
import { sinkMessageContaining } from '../helpers/wait-for.js';

const NURSE = 'nurse.kim@hospital.test';
const DOCTOR = 'dr.lee@hospital.test';
const OUTSIDER = 'someone@example.test';
let internal: SmtpSink;
let setup: GatewaySetup;
let gw: GatewayProcess | undefined;
let pki: PartnerPki;
let bc: BcHarness;
const p12 = (n: string) => join(pki.dir, `${n}.p12`);

beforeAll(async () => {
  [internal, pki, bc] = await Promise.all([startSmtpSink(), makePartnerPki({ [NURSE]: undefined, [DOCTOR]: undefined, [OUTSIDER]: undefined }), BcHarness.compile()]);
  setup = await setupGateway({ internalPort: internal.port, edit: withLimits({ retryBase: 1, retryMax: 2 }) });
  writeFileSync(join(pki.dir, 'pw'), 'Correct horse 7\n');
  writeFileSync(join(pki.dir, 'wrong'), 'not the password\n');
  const id = (a: string) => pki.ids[a]!;
  await runOk('openssl', ['pkcs12', '-export', '-inkey', id(NURSE).keyPath, '-in', id(NURSE).certPath, '-certfile', pki.caPath, '-out', p12('nurse'), '-passout', 'pass:Correct horse 7']);
  await runOk('openssl', ['pkcs12', '-export', '-inkey', id(DOCTOR).keyPath, '-in', id(DOCTOR).certPath, '-out', p12('doctor'), '-passout', 'pass:Correct horse 7',
    '-keypbe', 'PBE-SHA1-3DES', '-certpbe', 'PBE-SHA1-3DES', '-macalg', 'sha1']);
  await runOk('openssl', ['pkcs12', '-export', '-inkey', id(OUTSIDER).keyPath, '-in', id(OUTSIDER).certPath, '-out', p12('outsider'), '-passout', 'pass:Correct horse 7']);
}, 180_000);

afterAll(async () => {
  await gw?.stop();
  await internal?.close();
  if (setup) cleanup(setup.dir);
  if (pki) cleanup(pki.dir);
  if (bc) cleanup(bc.classDir);
});

const importP12 = (file: string, pw = join(pki.dir, 'pw')) => sealgate(['cert', 'import-p12', file, '--password-file', pw, '--config', setup.config]);

describe('cert import-p12', () => {
  test('OpenSSL default (PBES2, AES-256) and legacy (3DES, SHA-1 MAC) files are imported; the key is stored sealed', () => {
    for (const [file, addr] of [[p12('nurse'), NURSE], [p12('doctor'), DOCTOR]] as const) {
      const r = importP12(file);
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout).toMatch(new RegExp(`^imported ${addr.replace(/\./g, '\\.')}: .*SHA-256 [0-9A-F:]{95}; key escrowed as user-escrow:${addr.replace(/\./g, '\\.')}:[0-9a-f]{16}\n$`));
    }
    const db = new Database(join(setup.dir, 'data', 'sealgate.db'), { readonly: true });
    try {
      const rows = db.prepare("SELECT id, sealed_key, kek_id FROM pki_keys WHERE purpose = 'user-escrow' ORDER BY id").all() as Array<{ id: string; sealed_key: string; kek_id: string }>;
      expect(rows.map((r) => r.id.split(':')[1])).toEqual([DOCTOR, NURSE]);
      const plainKey = readFileSync(pki.ids[NURSE]!.keyPath, 'utf8').split('\n')[1]!;
      for (const r of rows) {
        expect(r.kek_id).toBeTruthy();
        expect(r.sealed_key).not.toMatch(/BEGIN (RSA )?PRIVATE KEY/);
        expect(r.sealed_key).not.toContain(plainKey);
      }
      const audit = db.prepare("SELECT data FROM audit WHERE type = 'user-key-escrowed'").all() as Array<{ data: string }>;
      expect(audit.map((a) => JSON.parse(a.data).address).sort()).toEqual([DOCTOR, NURSE]);
    } finally {
      db.close();
    }
    expect(sealgate(['audit', 'verify', '--config', setup.config]).status).toBe(0);
  });

  test('refusals name the reason: wrong password, not our domain, already imported (exit 1); missing options (exit 2)', () => {
    const wrong = importP12(p12('nurse'), join(pki.dir, 'wrong'));
    expect([wrong.status, wrong.stderr]).toEqual([1, `sealgate cert import-p12: ${p12('nurse')}: PKCS#12: wrong password (MAC does not verify)\n`]);
    const outsider = importP12(p12('outsider'));
    expect(outsider.status).toBe(1);
    expect(outsider.stderr).toMatch(/names no address in our domains \(hospital\.test\): someone@example\.test/);
    const again = importP12(p12('nurse'));
    expect(again.status).toBe(1);
    expect(again.stderr).toMatch(/already imported for nurse\.kim@hospital\.test/);
    const noPw = sealgate(['cert', 'import-p12', p12('nurse'), '--config', setup.config]);
    expect([noPw.status, noPw.stderr]).toEqual([2, 'sealgate cert import-p12: --password-file FILE is required\n']);
    const missing = importP12(join(pki.dir, 'nope.p12'));
    expect(missing.status).toBe(2);
    expect(missing.stderr).toMatch(/nope\.p12: cannot read the PKCS#12 file \(ENOENT\)/);
    expect(wrong.stderr + outsider.stderr).not.toMatch(/\n\s+at /); // no stack trace
  });
});

function innerMessage(tag: string, to: string): Buffer {
  return Buffer.from(
    [`From: Partner <partner@example.test>`, `To: ${to}`, `Subject: personal ${tag}`, `Message-ID: <${tag}@example.test>`, 'MIME-Version: 1.0',
      'Content-Type: text/plain; charset=us-ascii', '', `Results for ${tag}.`, ''].join('\r\n'),
    'latin1',
  );
}

const deliveredWith = (marker: string, ms = 30_000): Promise<SinkMessage> => sinkMessageContaining(internal, marker, ms);

describe('mail encrypted to a personal certificate', () => {
  test('OpenSSL (PKCS#1 v1.5 and OAEP) and Bouncy Castle to the escrowed certificates: decrypted byte-identical', async () => {
    gw = await startGatewayProcess(setup);
    const wrap = (inner: Buffer) => Buffer.concat([Buffer.from('Content-Type: message/rfc822\r\n\r\n'), inner]);
    const jobs = new Map<string, string[]>();
    const sends: Array<{ tag: string; to: string; inner: Buffer; data?: Buffer }> = [];
    for (const [to, kt] of [[NURSE, 'rsa-pkcs1'], [DOCTOR, 'rsa-oaep']] as const) {
      const inner = innerMessage(`openssl-${kt}`, to);
      const smime = await opensslEncrypt(wrap(inner), [pki.ids[to]!.certPath], 'aes-256-cbc', kt);
      sends.push({ tag: `openssl-${kt}`, to, inner, data: Buffer.from(smime.toString('latin1').replace(/\r?\n/g, '\r\n'), 'latin1') });
    }
    const bcInner = innerMessage('bc-gcm', NURSE);
    writeFileSync(join(pki.dir, 'bc.in'), wrap(bcInner));
    jobs.set('bc', ['encrypt', 'aes256gcm', 'oaep', join(pki.dir, 'bc.in'), join(pki.dir, 'bc.der'), pki.ids[NURSE]!.certPath]);
    const r = (await bc.batch(jobs)).get('bc')!;
    expect(r.ok, r.details).toBe(true);
    sends.push({ tag: 'bc-gcm', to: NURSE, inner: bcInner, data: wrapP7m(readFileSync(join(pki.dir, 'bc.der')), 'authEnveloped-data', `From: partner@example.test\r\nTo: ${NURSE}\r\nSubject: ...\r\n`) });
    for (const s of sends) {
      const res = await sendMail(setup.inboundPort, { from: 'partner@example.test', to: [s.to], data: s.data! });
      expect(res.code, res.final).toBe(250);
    }
    for (const s of sends) {
      const m = await deliveredWith(`personal ${s.tag}`);
      expect(m.recipients).toEqual([s.to]);
      expect(withoutTrace(m.data).equals(s.inner)).toBe(true);
    }
  }, 120_000);
});

describe('cert user-keys list | remove, seen by the running gateway', () => {
  /** Messages to `to` held because they could not be decrypted. */
  const heldFor = (to: string): number => {
    const db = new Database(join(setup.dir, 'data', 'sealgate.db'), { readonly: true });
    try {
      const rows = db.prepare("SELECT m.hold_reason FROM messages m JOIN recipients r ON r.message_id = m.id WHERE m.state = 'hold' AND r.address = ?").all(to) as Array<{ hold_reason: string | null }>;
      return rows.filter((r) => /cannot decrypt/.test(r.hold_reason ?? '')).length;
    } finally {
      db.close();
    }
  };
  /** State, hold reason and attempts of every message to `to` (metadata only), for a failure message. */
  const statesFor = (to: string): unknown[] => {
    const db = new Database(join(setup.dir, 'data', 'sealgate.db'), { readonly: true });
    try {
      return db.prepare('SELECT m.state, m.hold_reason, m.attempts, m.last_error, r.status, r.last_reply FROM messages m JOIN recipients r ON r.message_id = m.id WHERE r.address = ? ORDER BY m.received_at').all(to);
    } finally {
      db.close();
    }
  };
  const encryptedTo = async (tag: string, to: string): Promise<Buffer> => {
    const smime = await opensslEncrypt(Buffer.concat([Buffer.from('Content-Type: message/rfc822\r\n\r\n'), innerMessage(tag, to)]), [pki.ids[to]!.certPath], 'aes-256-cbc', 'rsa-pkcs1');
    return Buffer.from(smime.toString('latin1').replace(/\r?\n/g, '\r\n'), 'latin1');
  };

  test('lists the keys; a removed key is destroyed at once and the running gateway stops decrypting with it; a new import brings it back', async () => {
    gw ??= await startGatewayProcess(setup);
    const list = sealgate(['cert', 'user-keys', 'list', '--config', setup.config]);
    expect(list.status, list.stderr).toBe(0);
    expect(list.stdout).toMatch(new RegExp(`^${NURSE.replace(/\./g, '\\.')}  in use  imported \\d{4}-\\d\\d-\\d\\d  valid until .*SHA-256 [0-9A-F:]{95}  \\(user-escrow:`, 'm'));
    expect(list.stdout).toContain(`${DOCTOR}  in use`);

    const rm = sealgate(['cert', 'user-keys', 'remove', NURSE, '--config', setup.config]);
    expect(rm.status, rm.stderr).toBe(0);
    expect(rm.stdout).toMatch(/^removed user-escrow:nurse\.kim@hospital\.test:[0-9a-f]{16}: /);
    const db = new Database(join(setup.dir, 'data', 'sealgate.db'), { readonly: true });
    try {
      const row = db.prepare("SELECT sealed_key, destroyed_at FROM pki_keys WHERE id LIKE 'user-escrow:nurse%'").get() as { sealed_key: string | null; destroyed_at: number | null };
      expect(row.sealed_key).toBeNull();
      expect(row.destroyed_at).toBeGreaterThan(0);
      const audit = db.prepare("SELECT data FROM audit WHERE type = 'user-key-removed'").all() as Array<{ data: string }>;
      expect(audit.map((a) => JSON.parse(a.data).address)).toEqual([NURSE]);
    } finally {
      db.close();
    }
    expect(sealgate(['cert', 'user-keys', 'list', '--config', setup.config]).stdout).toMatch(new RegExp(`^${NURSE.replace(/\./g, '\\.')}  removed \\d{4}`, 'm'));
    const again = sealgate(['cert', 'user-keys', 'remove', NURSE, '--config', setup.config]);
    expect([again.status, again.stderr]).toEqual([1, `sealgate cert user-keys remove: no escrowed key in use for ${NURSE}\n`]);

    // the running gateway re-reads the keys within its recheck interval (10 s)
    await new Promise((r) => setTimeout(r, 11_000));
    const toNurse = await sendMail(setup.inboundPort, { from: 'partner@example.test', to: [NURSE], data: await encryptedTo('after-removal', NURSE) });
    expect(toNurse.code, toNurse.final).toBe(250);
    const toDoctor = await sendMail(setup.inboundPort, { from: 'partner@example.test', to: [DOCTOR], data: await encryptedTo('doctor-still', DOCTOR) });
    expect(toDoctor.code, toDoctor.final).toBe(250);
    expect(withoutTrace((await deliveredWith('personal doctor-still')).data).equals(innerMessage('doctor-still', DOCTOR))).toBe(true);
    await expect.poll(() => heldFor(NURSE), { timeout: 20_000 }).toBe(1);
    expect(internal.messages.some((m) => m.data.toString('latin1').includes('Results for after-removal'))).toBe(false);

    // escrowed again: decrypted again
    const re = importP12(p12('nurse'));
    expect(re.status, re.stderr).toBe(0);
    await new Promise((r) => setTimeout(r, 11_000));
    const back = await sendMail(setup.inboundPort, { from: 'partner@example.test', to: [NURSE], data: await encryptedTo('re-imported', NURSE) });
    expect(back.code, back.final).toBe(250);
    const reimported = await deliveredWith('personal re-imported').catch((e: Error) => {
      throw new Error(`${e.message}; messages to ${NURSE}: ${JSON.stringify(statesFor(NURSE))}; gateway log (last lines): ${gw?.stdout().split('\n').slice(-15).join('\n')}; stderr: ${gw?.stderr().slice(-1500)}`);
    });
    expect(withoutTrace(reimported.data).equals(innerMessage('re-imported', NURSE))).toBe(true);
  }, 120_000);
});
