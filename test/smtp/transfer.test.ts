// A message sent over a real SMTP connection reaches the acceptor byte-intact, dot-stuffing
// removed, with the envelope the client gave; pipelined commands are answered in order.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dotStuff } from './client.js';
import { sendMessage, startHarness, type Harness } from './harness.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => h.close());

const body = Buffer.from(
  'From: a@partner.example\r\nTo: doc@hospital.example\r\nSubject: t\r\n\r\n' +
    '.leading dot\r\n..two dots\r\n.\r\n \r\n.. \r\nlast line without dot\r\n' +
    'bytes \xe9\xff\x01\t end\r\n',
  'latin1',
);

describe('message transfer', () => {
  it('delivers the exact bytes after removing dot-stuffing', async () => {
    const c = await h.session();
    const before = h.store.messages.length;
    const r = await sendMessage(c, 'a@partner.example', ['doc@hospital.example'], Buffer.concat([dotStuff(body), Buffer.from('.\r\n')]));
    expect(r.code).toBe(250);
    expect(r.enhanced).toBe('2.0.0');
    const m = h.store.messages[before]!;
    expect(m.data.equals(body)).toBe(true);
    expect(m.envelope).toMatchObject({
      direction: 'inbound',
      sender: 'a@partner.example',
      recipients: ['doc@hospital.example'],
      clientIp: '127.0.0.1',
      clientHelo: 'client.example',
      tls: false,
    });
    expect(m.envelope.receivedAt).toBeInstanceOf(Date);
    expect((await c.cmd('QUIT')).code).toBe(221);
    await c.closed();
  });

  it('accepts an empty message and the null sender, keeps MAIL parameters', async () => {
    const c = await h.session();
    const before = h.store.messages.length;
    expect((await c.cmd('MAIL FROM:<> SIZE=100 BODY=8BITMIME RET=HDRS ENVID=abc+2B1')).code).toBe(250);
    expect((await c.cmd('RCPT TO:<Doc@HOSPITAL.Example> NOTIFY=FAILURE,DELAY ORCPT=rfc822;doc@hospital.example')).code).toBe(250);
    expect((await c.cmd('DATA')).code).toBe(354);
    const r = await c.cmd('.');
    expect(r.code).toBe(250);
    const m = h.store.messages[before]!;
    expect(m.data.length).toBe(0);
    expect(m.envelope.sender).toBe('');
    expect(m.envelope.recipients).toEqual(['Doc@HOSPITAL.Example']);
    expect(m.envelope.params).toEqual({ SIZE: '100', BODY: '8BITMIME', RET: 'HDRS', ENVID: 'abc+2B1' });
    c.destroy();
  });

  it('answers a whole pipelined transaction in order, in one go', async () => {
    const c = await h.connect();
    const before = h.store.messages.length;
    await c.reply();
    c.send(
      'EHLO p.example\r\nMAIL FROM:<a@p.example>\r\nRCPT TO:<x@hospital.example>\r\nRCPT TO:<y@foreign.example>\r\n' +
        'RCPT TO:<z@clinic.example>\r\nDATA\r\nSubject: p\r\n\r\nhello\r\n.\r\nMAIL FROM:<b@p.example>\r\n' +
        'RCPT TO:<x@hospital.example>\r\nDATA\r\nSubject: q\r\n\r\nsecond\r\n.\r\nNOOP\r\nQUIT\r\n',
    );
    const rs = await c.replies(13);
    expect(rs.map((r) => r.code)).toEqual([250, 250, 250, 550, 250, 354, 250, 250, 250, 354, 250, 250, 221]);
    await c.closed();
    expect(h.store.messages.length).toBe(before + 2);
    expect(h.store.messages[before]!.envelope.recipients).toEqual(['x@hospital.example', 'z@clinic.example']);
    expect(h.store.messages[before]!.data.toString()).toBe('Subject: p\r\n\r\nhello\r\n');
    expect(h.store.messages[before + 1]!.data.toString()).toBe('Subject: q\r\n\r\nsecond\r\n');
  });

  it('streams a large message split into many small writes', async () => {
    const c = await h.session();
    const before = h.store.messages.length;
    const line = 'x'.repeat(70) + '\r\n';
    const big = Buffer.from('Subject: big\r\n\r\n' + line.repeat(30000), 'latin1'); // ~2 MB
    await c.cmd('MAIL FROM:<a@p.example>');
    await c.cmd('RCPT TO:<x@hospital.example>');
    expect((await c.cmd('DATA')).code).toBe(354);
    for (let i = 0; i < big.length; i += 7777) c.send(big.subarray(i, i + 7777));
    c.send('.\r\n');
    expect((await c.reply()).code).toBe(250);
    expect(h.store.messages[before]!.data.equals(big)).toBe(true);
    c.destroy();
  });

  it('refuses DATA without recipients and MAIL without EHLO, in RFC order', async () => {
    const c = await h.connect();
    await c.reply();
    expect((await c.cmd('MAIL FROM:<a@p.example>')).raw).toBe('503 5.5.1 Send HELO/EHLO first\r\n');
    expect((await c.cmd('HELO p.example')).raw).toBe('250 mx.sealgate.test\r\n');
    expect((await c.cmd('DATA')).raw).toBe('503 5.5.1 Need MAIL command first\r\n');
    await c.cmd('MAIL FROM:<a@p.example>');
    expect((await c.cmd('DATA')).raw).toBe('503 5.5.1 Need RCPT command first\r\n');
    expect((await c.cmd('MAIL FROM:<a@p.example>')).raw).toBe('503 5.5.1 Bad sequence of commands\r\n');
    expect((await c.cmd('RSET')).code).toBe(250);
    expect((await c.cmd('RCPT TO:<x@hospital.example>')).raw).toBe('503 5.5.1 Need MAIL command first\r\n');
    c.destroy();
  });
});

describe('client half-close', () => {
  it('a client that sends everything and FIN at once still gets every reply', async () => {
    const c = await h.connect();
    const before = h.store.messages.length;
    await c.reply();
    c.send('EHLO p.example\r\nMAIL FROM:<a@p.example>\r\nRCPT TO:<x@hospital.example>\r\nDATA\r\nSubject: fin\r\n\r\nbye\r\n.\r\nQUIT\r\n');
    c.end();
    const rs = await c.replies(6);
    expect(rs.map((r) => r.code)).toEqual([250, 250, 250, 354, 250, 221]);
    await c.closed();
    expect(h.store.messages.length).toBe(before + 1);
  });

  it('a client that hangs up inside DATA leaves nothing stored', async () => {
    const c = await h.session();
    const before = h.store.messages.length;
    await c.cmd('MAIL FROM:<a@p.example>');
    await c.cmd('RCPT TO:<x@hospital.example>');
    await c.cmd('DATA');
    c.send('Subject: cut\r\n\r\nhalf');
    c.end();
    await c.closed();
    await new Promise((r) => setTimeout(r, 50));
    expect(h.store.messages.length).toBe(before);
  });
});
