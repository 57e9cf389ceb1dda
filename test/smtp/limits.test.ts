// Every named limit, exceeded over a real connection, with the reply checked. Over-limit input is
// drained (the session stays usable where the RFC allows) and refused once.
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sendMessage, startHarness, type Harness } from './harness.js';

describe('per-message and per-command limits', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({
      limits: { commandLineLength: 512, textLineLength: 1000, messageSize: 4096, headerSize: 1024, recipientsPerMessage: 3, mimeDepth: 3, hopCount: 5, errorBudget: 50 },
    });
  });
  afterAll(async () => h.close());

  it('command line too long: 500 5.5.6, rest of the line drained, session goes on', async () => {
    const c = await h.session();
    expect((await c.cmd('NOOP ' + 'a'.repeat(600))).raw).toBe('500 5.5.6 Line too long\r\n');
    // 200 KB without a line end, in pieces: one refusal, nothing buffered, then normal service.
    for (let i = 0; i < 20; i++) c.send('MAIL FROM:<' + 'b'.repeat(10_000));
    c.send('>\r\nNOOP\r\n');
    const rs = await c.replies(2);
    expect(rs.map((r) => r.raw)).toEqual(['500 5.5.6 Line too long\r\n', '250 2.0.0 OK\r\n']);
    // Exactly at the limit (510 bytes + CRLF = 512) is fine.
    expect((await c.cmd('NOOP ' + 'c'.repeat(505))).code).toBe(250);
    expect((await c.cmd('NOOP ' + 'c'.repeat(506))).code).toBe(500);
    c.destroy();
  });

  it('text line too long: drained to the end of data, then 500 5.5.6, nothing stored', async () => {
    const c = await h.session();
    const before = h.store.messages.length;
    const r = await sendMessage(c, 'a@p.example', ['d@hospital.example'], 'Subject: x\r\n\r\n' + 'y'.repeat(999) + '\r\nok\r\n.\r\n');
    expect(r.raw).toBe('500 5.5.6 Text line too long\r\n');
    expect(h.store.messages.length).toBe(before);
    expect((await c.cmd('NOOP')).code).toBe(250);
    const ok = await sendMessage(c, 'a@p.example', ['d@hospital.example'], 'Subject: x\r\n\r\n' + 'y'.repeat(998) + '\r\n.\r\n');
    expect(ok.code).toBe(250);
    c.destroy();
  });

  it('message too large: drained, then 552 5.3.4 once; the session goes on', async () => {
    const c = await h.session();
    const before = h.store.messages.length;
    const attempts = h.store.attempts;
    const body = 'Subject: big\r\n\r\n' + ('z'.repeat(78) + '\r\n').repeat(2000); // 160 KB
    const r = await sendMessage(c, 'a@p.example', ['d@hospital.example'], body + '.\r\n');
    expect(r.raw).toBe('552 5.3.4 Message size exceeds fixed limit\r\n');
    expect(h.store.messages.length).toBe(before);
    expect(h.store.attempts - attempts).toBe(1);
    expect(h.store.aborted).toBeGreaterThan(0);
    expect((await c.cmd('NOOP')).raw).toBe('250 2.0.0 OK\r\n');
    c.destroy();
  });

  it('SIZE= above the limit is refused at MAIL with 552 5.3.4', async () => {
    const c = await h.session();
    expect((await c.cmd('MAIL FROM:<a@p.example> SIZE=4097')).raw).toBe('552 5.3.4 Message size exceeds fixed limit\r\n');
    expect((await c.cmd('MAIL FROM:<a@p.example> SIZE=4096')).code).toBe(250);
    c.destroy();
  });

  it('header section too large: 552 5.3.4', async () => {
    const c = await h.session();
    const header = Array.from({ length: 40 }, (_, i) => `X-H${i}: ${'h'.repeat(30)}\r\n`).join('');
    const r = await sendMessage(c, 'a@p.example', ['d@hospital.example'], header + '\r\nbody\r\n.\r\n');
    expect(r.raw).toBe('552 5.3.4 Message header size exceeds limit\r\n');
    c.destroy();
  });

  it('too many recipients: 452 4.5.3, the first ones are kept', async () => {
    const c = await h.session();
    const before = h.store.messages.length;
    await c.cmd('MAIL FROM:<a@p.example>');
    for (const n of [1, 2, 3]) expect((await c.cmd(`RCPT TO:<u${n}@hospital.example>`)).code).toBe(250);
    expect((await c.cmd('RCPT TO:<u4@hospital.example>')).raw).toBe('452 4.5.3 Too many recipients\r\n');
    await c.cmd('DATA');
    expect((await c.cmd('Subject: r\r\n\r\nx\r\n.')).code).toBe(250);
    expect(h.store.messages[before]!.envelope.recipients).toEqual(['u1@hospital.example', 'u2@hospital.example', 'u3@hospital.example']);
    c.destroy();
  });

  it('more Received: fields than hopCount: 554 5.4.6 (mail loop)', async () => {
    const c = await h.session();
    const hops = (n: number) => Array.from({ length: n }, (_, i) => `Received: from h${i}.example by h${i + 1}.example\r\n`).join('');
    expect((await sendMessage(c, 'a@p.example', ['d@hospital.example'], hops(5) + 'Subject: l\r\n\r\nx\r\n.\r\n')).code).toBe(250);
    const r = await sendMessage(c, 'a@p.example', ['d@hospital.example'], hops(6) + 'Subject: l\r\n\r\nx\r\n.\r\n');
    expect(r.raw).toBe('554 5.4.6 Too many hops: mail loop detected\r\n');
    c.destroy();
  });

  function nested(depth: number): string {
    let inner = 'Content-Type: text/plain\r\n\r\nleaf\r\n';
    for (let d = depth; d >= 1; d--) {
      const b = `b${d}`;
      inner = `Content-Type: multipart/mixed;\r\n boundary="${b}"\r\n\r\npreamble\r\n--${b}\r\n${inner}--${b}--\r\n`;
    }
    return 'Subject: mime\r\nMIME-Version: 1.0\r\n' + inner;
  }

  it('MIME nesting deeper than the limit: 554 5.6.0; at the limit: accepted', async () => {
    const c = await h.session();
    expect((await sendMessage(c, 'a@p.example', ['d@hospital.example'], nested(3) + '.\r\n')).code).toBe(250);
    const r = await sendMessage(c, 'a@p.example', ['d@hospital.example'], nested(4) + '.\r\n');
    expect(r.raw).toBe('554 5.6.0 MIME nesting too deep\r\n');
    // message/rfc822 parts count as a level too.
    const msg =
      'Content-Type: multipart/mixed; boundary=o\r\n\r\n--o\r\nContent-Type: message/rfc822\r\n\r\n' +
      'Content-Type: multipart/alternative; boundary=i\r\n\r\n--i\r\nContent-Type: text/plain\r\n\r\nx\r\n--i--\r\n--o--\r\n';
    expect((await sendMessage(c, 'a@p.example', ['d@hospital.example'], msg + '.\r\n')).code).toBe(250);
    const deeper = msg.replace('Content-Type: text/plain\r\n\r\nx\r\n', 'Content-Type: multipart/mixed; boundary=j\r\n\r\n--j\r\n\r\nx\r\n--j--\r\n');
    expect((await sendMessage(c, 'a@p.example', ['d@hospital.example'], deeper + '.\r\n')).code).toBe(554);
    c.destroy();
  });
});

describe('connection limits', () => {
  it('per-client limit: the extra connection gets 421 4.7.0 and is closed', async () => {
    const h = await startHarness({ limits: { connectionsPerClient: 2 } });
    try {
      const a = await h.session();
      const b = await h.session();
      const c = await h.connect();
      const r = await c.reply();
      expect(r.code).toBe(421);
      expect(r.enhanced).toBe('4.7.0');
      await c.closed();
      a.destroy();
      await new Promise((res) => setTimeout(res, 100));
      const d = await h.connect();
      expect((await d.reply()).code).toBe(220);
      b.destroy();
      d.destroy();
    } finally {
      await h.close();
    }
  });

  it('total limit: the extra connection gets 421 4.7.0 and is closed', async () => {
    const h = await startHarness({ limits: { connectionsTotal: 3, connectionsPerClient: 100 } });
    try {
      const open = [await h.session(), await h.session(), await h.session()];
      expect(h.listener.connections()).toBe(3);
      const c = await h.connect();
      const r = await c.reply();
      expect(r.raw).toBe('421 4.7.0 Too many connections, try again later\r\n');
      await c.closed();
      for (const o of open) o.destroy();
    } finally {
      await h.close();
    }
  });
});

describe('error budget and timeouts', () => {
  it('errors beyond the budget: 421 4.7.0 and close', async () => {
    const h = await startHarness({ limits: { errorBudget: 3 } });
    try {
      const c = await h.session();
      for (const bad of ['XYZZY', 'MAIL', 'RCPT TO:<x@hospital.example>']) expect((await c.cmd(bad)).code).toBeGreaterThanOrEqual(500);
      const last = await c.cmd('WHATEVER');
      expect(last.raw).toBe('421 4.7.0 Too many errors, closing connection\r\n');
      await c.closed();
    } finally {
      await h.close();
    }
  });

  it('pipelined garbage: the budget stops it mid-batch', async () => {
    const h = await startHarness({ limits: { errorBudget: 2 } });
    try {
      const c = await h.session();
      c.send('A\r\nB\r\nC\r\nD\r\nE\r\nNOOP\r\n');
      const rs = await c.replies(3);
      expect(rs.map((r) => r.code)).toEqual([500, 500, 421]);
      await c.closed();
    } finally {
      await h.close();
    }
  });

  it('idle timeout: 421 4.4.2 and close, also in the middle of DATA (nothing stored)', async () => {
    const h = await startHarness({ limits: { idleTimeout: 1 } });
    try {
      const c = await h.session();
      const t0 = Date.now();
      const r = await c.reply(4000);
      expect(r.raw).toBe('421 4.4.2 Idle timeout, closing connection\r\n');
      expect(Date.now() - t0).toBeGreaterThanOrEqual(900);
      await c.closed();
      const d = await h.session();
      await d.cmd('MAIL FROM:<a@p.example>');
      await d.cmd('RCPT TO:<x@hospital.example>');
      await d.cmd('DATA');
      d.send('Subject: half\r\n\r\nhalf a message');
      expect((await d.reply(4000)).code).toBe(421);
      await d.closed();
      expect(h.store.messages.length).toBe(0);
      expect(h.store.aborted).toBe(1);
    } finally {
      await h.close();
    }
  });

  it('session timeout: 421 4.4.2 even for a client that keeps talking', async () => {
    const h = await startHarness({ limits: { sessionTimeout: 1 } });
    try {
      const c = await h.session();
      const t0 = Date.now();
      let last;
      for (let i = 0; i < 20; i++) {
        last = await c.cmd('NOOP', 3000);
        if (last.code !== 250) break;
        await new Promise((r) => setTimeout(r, 150));
      }
      expect(last!.raw).toBe('421 4.4.2 Session time limit exceeded, closing connection\r\n');
      expect(Date.now() - t0).toBeLessThan(2500);
      await c.closed();
    } finally {
      await h.close();
    }
  });
});


describe('a client that pipelines but never reads', () => {
  it('is not buffered for: reading stops, the idle timeout closes it', async () => {
    const h = await startHarness({ limits: { idleTimeout: 1 } });
    try {
      const s = net.connect({ port: h.port, host: '127.0.0.1' });
      await new Promise((r) => s.once('connect', r));
      s.pause(); // never read a reply
      s.on('error', () => {});
      const closed = new Promise((r) => s.once('close', r));
      s.write('EHLO x.example\r\n');
      const noops = Buffer.from('NOOP\r\n'.repeat(100_000));
      for (let i = 0; i < 30; i++) s.write(noops); // 18 MB of commands, 42 MB of replies
      await new Promise((r) => setTimeout(r, 500));
      // The server stopped reading once its replies backed up: most commands are still unsent.
      expect(s.writableLength).toBeGreaterThan(5_000_000);
      const t0 = Date.now();
      while (h.listener.connections() > 0 && Date.now() - t0 < 8000) await new Promise((r) => setTimeout(r, 100));
      expect(h.listener.connections()).toBe(0);
      s.destroy();
      await closed;
    } finally {
      await h.close();
    }
  });
});
