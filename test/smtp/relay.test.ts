// No open relay. Inbound (MX) role: RCPT only for our domains (case-insensitive) and bare
// "postmaster"; anything else gets 550 5.7.1. Outbound role: only clients in the allow list (or
// authenticated ones) may send; others are refused at MAIL FROM with 550 5.7.1.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientAllowList } from '../../src/smtp/server.js';
import { sendMessage, startHarness, type Harness } from './harness.js';

describe('inbound role: no open relay', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(async () => h.close());

  it('refuses a foreign domain with 550 5.7.1 and accepts ours in any case', async () => {
    const c = await h.session();
    expect((await c.cmd('MAIL FROM:<spammer@elsewhere.example>')).code).toBe(250);
    const foreign = await c.cmd('RCPT TO:<victim@gmail.example>');
    expect(foreign.raw).toBe('550 5.7.1 Relaying denied\r\n');
    // Tricks: our domain as a prefix/suffix, address literals, source routes, percent hack.
    for (const a of ['x@hospital.example.evil.example', 'x@evilhospital.example', 'x@[127.0.0.1]', 'x%victim.example@evil.example', '@hospital.example:x@evil.example']) {
      expect((await c.cmd(`RCPT TO:<${a}>`)).code, a).toBe(550);
    }
    expect((await c.cmd('RCPT TO:<Doc@HOSPITAL.EXAMPLE>')).code).toBe(250);
    expect((await c.cmd('RCPT TO:<nurse@clinic.example>')).code).toBe(250);
    expect((await c.cmd('RCPT TO:<PostMaster>')).code).toBe(250);
    expect((await c.cmd('DATA')).code).toBe(354);
    expect((await c.cmd('Subject: x\r\n\r\nhi\r\n.')).code).toBe(250);
    const m = h.store.messages.at(-1)!;
    expect(m.envelope.recipients).toEqual(['Doc@HOSPITAL.EXAMPLE', 'nurse@clinic.example', 'postmaster']);
    c.destroy();
  });

  it('a message whose every recipient was refused gets no DATA', async () => {
    const c = await h.session();
    await c.cmd('MAIL FROM:<a@elsewhere.example>');
    expect((await c.cmd('RCPT TO:<b@other.example>')).code).toBe(550);
    expect((await c.cmd('DATA')).raw).toBe('554 5.5.1 No valid recipients\r\n');
    c.destroy();
  });
});

describe('outbound role: only allowed clients relay', () => {
  it('refuses a client outside the allow list at MAIL FROM with 550 5.7.1', async () => {
    const h = await startHarness({ role: 'outbound', isAllowedClient: clientAllowList(['10.0.0.0/8', '2001:db8::/32']) });
    try {
      const c = await h.session();
      expect((await c.cmd('MAIL FROM:<doc@hospital.example>')).raw).toBe('550 5.7.1 Client host not permitted to relay\r\n');
      expect((await c.cmd('RCPT TO:<someone@partner.example>')).code).toBe(503);
      expect(h.store.messages.length).toBe(0);
      c.destroy();
    } finally {
      await h.close();
    }
  });

  it('lets an allowed client relay to any domain', async () => {
    const h = await startHarness({ role: 'outbound', isAllowedClient: clientAllowList(['127.0.0.0/8']) });
    try {
      const c = await h.session();
      const r = await sendMessage(c, 'doc@hospital.example', ['someone@partner.example', 'x@[192.0.2.1]'], 'Subject: out\r\n\r\nbody\r\n.\r\n');
      expect(r.code).toBe(250);
      expect(h.store.messages[0]!.envelope).toMatchObject({ direction: 'outbound', recipients: ['someone@partner.example', 'x@[192.0.2.1]'] });
      c.destroy();
    } finally {
      await h.close();
    }
  });

  it('clientAllowList matches CIDRs, IPv4-mapped IPv6 and rejects bad entries', () => {
    const allow = clientAllowList(['10.1.0.0/16', '192.0.2.7', '2001:db8::/32']);
    expect(allow('10.1.200.3')).toBe(true);
    expect(allow('::ffff:10.1.0.1')).toBe(true);
    expect(allow('10.2.0.1')).toBe(false);
    expect(allow('192.0.2.7')).toBe(true);
    expect(allow('192.0.2.8')).toBe(false);
    expect(allow('2001:db8:1::5')).toBe(true);
    expect(allow('2001:db9::1')).toBe(false);
    expect(allow('garbage')).toBe(false);
    expect(() => clientAllowList(['10.0.0.0/33'])).toThrow();
    expect(() => clientAllowList(['nonsense/8'])).toThrow();
  });
});
