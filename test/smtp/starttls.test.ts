// STARTTLS with a self-signed certificate: the upgrade works with a real TLS client (node and the
// openssl CLI), plaintext pipelined after STARTTLS is discarded (CVE-2011-0411 class), the session
// starts over after the handshake, modern TLS only, and AUTH exists only inside TLS.
import { spawn } from 'node:child_process';
import tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientAllowList } from '../../src/smtp/server.js';
import { sendMessage, startHarness, type Harness } from './harness.js';
import { selfSigned } from './tls.js';

const cred = selfSigned();
const b64 = (s: string) => Buffer.from(s).toString('base64');

describe('STARTTLS', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({
      role: 'outbound',
      isAllowedClient: clientAllowList(['192.0.2.0/24']), // not us: we must authenticate
      tls: { ...cred },
      authenticate: async (u, p) => u === 'clinic' && p === 'correct horse',
    });
  });
  afterAll(async () => h.close());

  it('advertises STARTTLS, not AUTH, in plaintext; refuses AUTH before TLS with 530 5.7.0', async () => {
    const c = await h.connect();
    await c.reply();
    const e = await c.cmd('EHLO c.example');
    expect(e.lines).toContain('STARTTLS');
    expect(e.lines.some((l) => l.startsWith('AUTH'))).toBe(false);
    expect((await c.cmd(`AUTH PLAIN ${b64('\0clinic\0correct horse')}`)).raw).toBe('530 5.7.0 Must issue a STARTTLS command first\r\n');
    expect((await c.cmd('MAIL FROM:<doc@hospital.example>')).raw).toBe('550 5.7.1 Client host not permitted to relay\r\n');
    c.destroy();
  });

  it('upgrades, resets the session, then AUTH lets a non-listed client relay', async () => {
    const c = await h.session();
    expect((await c.cmd('STARTTLS')).raw).toBe('220 2.0.0 Ready to start TLS\r\n');
    const s = await c.startTls();
    expect(['TLSv1.2', 'TLSv1.3']).toContain(s.getProtocol());
    // State before TLS is forgotten: EHLO is needed again.
    expect((await c.cmd('MAIL FROM:<doc@hospital.example>')).code).toBe(503);
    const e = await c.cmd('EHLO c.example');
    expect(e.lines).not.toContain('STARTTLS');
    expect(e.lines).toContain('AUTH PLAIN LOGIN');
    expect((await c.cmd('STARTTLS')).code).toBe(503);
    expect((await c.cmd(`AUTH PLAIN ${b64('\0clinic\0wrong')}`)).raw).toBe('535 5.7.8 Authentication credentials invalid\r\n');
    expect((await c.cmd('AUTH LOGIN')).raw).toBe('334 VXNlcm5hbWU6\r\n');
    expect((await c.cmd(b64('clinic'))).raw).toBe('334 UGFzc3dvcmQ6\r\n');
    expect((await c.cmd(b64('correct horse'))).raw).toBe('235 2.7.0 Authentication successful\r\n');
    const r = await sendMessage(c, 'doc@hospital.example', ['someone@partner.example'], 'Subject: tls\r\n\r\nsecret\r\n.\r\n');
    expect(r.code).toBe(250);
    const m = h.store.messages.at(-1)!;
    expect(m.envelope).toMatchObject({ tls: true, authUser: 'clinic', clientHelo: 'c.example' });
    c.destroy();
  });

  it('AUTH PLAIN with a separate response, and "*" cancels', async () => {
    const c = await h.session();
    await c.cmd('STARTTLS');
    await c.startTls();
    await c.cmd('EHLO c.example');
    expect((await c.cmd('AUTH PLAIN')).code).toBe(334);
    expect((await c.cmd('*')).raw).toBe('501 5.0.0 Authentication cancelled\r\n');
    expect((await c.cmd('AUTH CRAM-MD5')).code).toBe(504);
    expect((await c.cmd('AUTH PLAIN')).code).toBe(334);
    expect((await c.cmd(b64('\0clinic\0correct horse'))).code).toBe(235);
    c.destroy();
  });

  it('discards plaintext commands pipelined after STARTTLS', async () => {
    const c = await h.session();
    // Injected in the same packet as STARTTLS, as a man-in-the-middle would.
    c.send('STARTTLS\r\nMAIL FROM:<evil@attacker.example>\r\nRCPT TO:<x@partner.example>\r\n');
    expect((await c.reply()).code).toBe(220);
    await new Promise((r) => setTimeout(r, 50));
    expect(c.pending).toBe(''); // no plaintext answer to the injected commands
    await c.startTls();
    await c.cmd('EHLO c.example');
    // Had the injected MAIL been executed after the handshake, this RCPT would not get 503.
    expect((await c.cmd('RCPT TO:<x@partner.example>')).raw).toBe('503 5.5.1 Need MAIL command first\r\n');
    c.destroy();
  });

  it('works with the openssl s_client STARTTLS implementation', async () => {
    const before = h.store.messages.length;
    const out = await new Promise<string>((resolve, reject) => {
      const p = spawn('openssl', ['s_client', '-connect', `127.0.0.1:${h.port}`, '-starttls', 'smtp', '-quiet', '-crlf', '-ign_eof'], { stdio: ['pipe', 'pipe', 'pipe'] });
      let o = '';
      p.stdout.on('data', (d: Buffer) => (o += d.toString()));
      p.stderr.on('data', () => {});
      const t = setTimeout(() => p.kill('SIGKILL'), 10_000);
      p.on('error', reject);
      p.on('close', () => {
        clearTimeout(t);
        resolve(o);
      });
      const auth = b64('\0clinic\0correct horse');
      p.stdin.write(`EHLO s.example\nAUTH PLAIN ${auth}\nMAIL FROM:<doc@hospital.example>\nRCPT TO:<p@partner.example>\nDATA\nSubject: s_client\n\nhi\n.\nQUIT\n`);
    });
    expect(out).toMatch(/235 2\.7\.0/);
    expect(out).toMatch(/250 2\.0\.0 OK queued as/);
    expect(h.store.messages.length).toBe(before + 1);
    expect(h.store.messages.at(-1)!.data.toString()).toBe('Subject: s_client\r\n\r\nhi\r\n');
  });
});

it('a TLSv1.3-only listener refuses a TLSv1.2 client', async () => {
  const h = await startHarness({ tls: { ...cred, minVersion: 'TLSv1.3' } });
  try {
    const c = await h.session();
    expect((await c.cmd('STARTTLS')).code).toBe(220);
    const err = await new Promise<Error | null>((resolve) => {
      const s = tls.connect({ socket: (c as unknown as { socket: import('node:net').Socket }).socket, rejectUnauthorized: false, maxVersion: 'TLSv1.2' });
      s.once('secureConnect', () => resolve(null));
      s.once('error', (e) => resolve(e));
    });
    expect(err).not.toBe(null);
  } finally {
    await h.close();
  }
});

it('a client that never starts the TLS handshake is closed by the idle timeout', async () => {
  const h = await startHarness({ tls: { ...cred }, limits: { idleTimeout: 1 } });
  try {
    const c = await h.session();
    expect((await c.cmd('STARTTLS')).code).toBe(220);
    await c.closed(5000);
    const t0 = Date.now();
    while (h.listener.connections() > 0 && Date.now() - t0 < 3000) await new Promise((r) => setTimeout(r, 50));
    expect(h.listener.connections()).toBe(0);
  } finally {
    await h.close();
  }
});

it('connections over TLS are counted until they close', async () => {
  const h = await startHarness({ tls: { ...cred } });
  try {
    const c = await h.session();
    await c.cmd('STARTTLS');
    await c.startTls();
    expect((await c.cmd('EHLO again.example')).code).toBe(250);
    expect(h.listener.connections()).toBe(1);
    expect((await c.cmd('QUIT')).code).toBe(221);
    await c.closed();
    const t0 = Date.now();
    while (h.listener.connections() > 0 && Date.now() - t0 < 3000) await new Promise((r) => setTimeout(r, 20));
    expect(h.listener.connections()).toBe(0);
  } finally {
    await h.close();
  }
});
