// The listener reveals nothing about itself or its users: no software name or version in the
// banner, EHLO, HELP or error replies; VRFY confirms nothing; EXPN is refused. Every reply carries
// an enhanced status code except the greeting, the EHLO/HELO response (RFC 2034 §3) and 354.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from './harness.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => h.close());

const REVEALING = /sealgate|node|nodemailer|haraka|postfix|exim|sendmail|smtp-server|version|v?\d+\.\d+\.\d+(?!\s)|typescript|javascript/i;

describe('information disclosure', () => {
  it('banner is exactly "220 <hostname> ESMTP ready"', async () => {
    const c = await h.connect();
    const b = await c.reply();
    expect(b.raw).toBe('220 mx.sealgate.test ESMTP ready\r\n');
    c.destroy();
  });

  it('EHLO lists only extensions, no software or version', async () => {
    const c = await h.connect();
    await c.reply();
    const e = await c.cmd('EHLO probe.example');
    expect(e.code).toBe(250);
    expect(e.lines).toEqual([
      'mx.sealgate.test',
      'PIPELINING',
      'SIZE 26214400',
      '8BITMIME',
      'ENHANCEDSTATUSCODES',
      'SMTPUTF8',
      'DSN',
    ]);
    c.destroy();
  });

  it('VRFY answers 252 for existing and non-existing users alike', async () => {
    const c = await h.session();
    const a = await c.cmd('VRFY doc@hospital.example');
    const b = await c.cmd('VRFY nobody-here-xyz@hospital.example');
    const d = await c.cmd('VRFY postmaster');
    for (const r of [a, b, d]) {
      expect(r.code).toBe(252);
      expect(r.enhanced).toBe('2.5.0');
    }
    expect(a.raw).toBe(b.raw);
    expect(a.raw).toBe(d.raw);
    c.destroy();
  });

  it('EXPN is refused with 502 5.5.1', async () => {
    const c = await h.session();
    const r = await c.cmd('EXPN staff');
    expect(r.code).toBe(502);
    expect(r.enhanced).toBe('5.5.1');
    c.destroy();
  });

  it('HELP, errors and odd commands reveal nothing and all carry enhanced codes', async () => {
    const c = await h.session();
    const replies = [];
    for (const cmd of ['HELP', 'HELP MAIL', 'FOO', 'MAIL', 'MAIL FROM:<bad address>', 'RCPT TO:<x@hospital.example>', 'BDAT 10 LAST', 'STARTTLS', 'AUTH PLAIN', 'DATA', 'NOOP']) {
      replies.push(await c.cmd(cmd));
    }
    for (const r of replies) {
      expect(r.raw).not.toMatch(REVEALING);
      expect(r.enhanced).toMatch(/^[245]\.\d+\.\d+$/);
    }
    expect(replies[0]!.code).toBe(214);
    expect(replies[2]!.raw).toBe('500 5.5.2 Syntax error, command unrecognized\r\n');
    expect(replies[6]!.code).toBe(502);
    // STARTTLS is not configured on this listener.
    expect(replies[7]!.raw).toBe('454 4.7.0 TLS not available\r\n');
    c.destroy();
  });
});
