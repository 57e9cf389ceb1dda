// Behaviour of the outgoing SMTP client against a real SMTP server (test/helpers/smtp-sink.ts)
// over loopback: what arrives, byte for byte, and what each recipient's result says.
import net from 'node:net';
import { afterEach, describe, expect, test } from 'vitest';
import { SmtpClient } from '../../src/delivery/smtp-client.js';
import { startSmtpSink, type SmtpSink } from '../helpers/smtp-sink.js';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function sink(opts: Parameters<typeof startSmtpSink>[0] = {}): Promise<SmtpSink> {
  const s = await startSmtpSink(opts);
  cleanups.push(() => s.close());
  return s;
}
function client(pool?: ConstructorParameters<typeof SmtpClient>[0]['pool']): SmtpClient {
  const c = new SmtpClient({ hostname: 'gw.sealgate.test', pool });
  cleanups.push(() => c.close());
  return c;
}
const dest = (s: { host: string; port: number }) => ({ host: s.host, port: s.port, name: 'next.test' });
const msg = (text: string) => Buffer.from(text.replace(/\n/g, '\r\n'));
const BODY = msg('From: a@sender.test\nTo: b@rcpt.test\nSubject: hello\n\nline one\n.line with dot\n..two dots\n.\n\nend\n');

describe('delivery to a real SMTP server', () => {
  test('body arrives byte-exact, with lines that start with "." un-stuffed by the server', async () => {
    const s = await sink();
    const out = await client().send(dest(s), { sender: 'a@sender.test', recipients: ['b@rcpt.test'], body: BODY }, { timeoutMs: 5000 });
    expect(out.results).toEqual([{ address: 'b@rcpt.test', status: 'delivered', reply: '250 2.0.0 Ok: queued', remoteHost: 'next.test', tls: false }]);
    expect(s.messages).toHaveLength(1);
    expect(s.messages[0]!.data.equals(BODY)).toBe(true);
    expect(s.messages[0]!.sender).toBe('a@sender.test');
    expect(s.messages[0]!.recipients).toEqual(['b@rcpt.test']);
  });

  test('a body whose first line starts with "." and a body of 8-bit bytes arrive intact', async () => {
    const s = await sink();
    const c = client();
    const dotFirst = msg('.starts with a dot\n.\n..\n');
    const eightBit = Buffer.concat([msg('Subject: x\n\n'), Buffer.from([0xc3, 0xa9, 0xff, 0x80, 0x00, 0x7f, 0x0d, 0x0a])]);
    await c.send(dest(s), { sender: 'a@s.test', recipients: ['b@r.test'], body: dotFirst }, { timeoutMs: 5000 });
    await c.send(dest(s), { sender: 'a@s.test', recipients: ['b@r.test'], body: eightBit, params: { BODY: '8BITMIME' } }, { timeoutMs: 5000 });
    expect(s.messages[0]!.data.equals(dotFirst)).toBe(true);
    expect(s.messages[1]!.data.equals(eightBit)).toBe(true);
    expect(s.messages[1]!.mailParams).toContain('BODY=8BITMIME');
    expect(s.messages[1]!.mailParams).toContain(`SIZE=${eightBit.length}`);
  });

  test('a 5 MB message with many dot lines arrives intact', async () => {
    const s = await sink();
    const lines: string[] = ['Subject: big', ''];
    for (let i = 0; i < 60000; i++) lines.push(i % 7 === 0 ? `.${'x'.repeat(80)}` : `line ${i} ${'y'.repeat(70)}`);
    const body = Buffer.from(lines.join('\r\n') + '\r\n');
    expect(body.length).toBeGreaterThan(4_900_000);
    const out = await client().send(dest(s), { sender: 'a@s.test', recipients: ['b@r.test'], body }, { timeoutMs: 20000 });
    expect(out.results[0]!.status).toBe('delivered');
    expect(s.messages[0]!.data.equals(body)).toBe(true);
  });

  test('a body without a final CRLF gets one (the only change SMTP requires)', async () => {
    const s = await sink();
    await client().send(dest(s), { sender: 'a@s.test', recipients: ['b@r.test'], body: Buffer.from('Subject: x\r\n\r\nno newline') }, { timeoutMs: 5000 });
    expect(s.messages[0]!.data.toString()).toBe('Subject: x\r\n\r\nno newline\r\n');
  });

  test('the null sender is sent as MAIL FROM:<>', async () => {
    const s = await sink();
    const out = await client().send(dest(s), { sender: '', recipients: ['b@r.test'], body: BODY }, { timeoutMs: 5000 });
    expect(out.results[0]!.status).toBe('delivered');
    expect(s.messages[0]!.sender).toBe('');
  });
});

describe('per-recipient results', () => {
  test('a 5xx at RCPT fails that recipient; the others are delivered', async () => {
    const s = await sink({ replyTo: (phase, arg) => (phase === 'rcpt' && arg === 'nobody@r.test' ? '550 5.1.1 No such user' : undefined) });
    const out = await client().send(dest(s), { sender: 'a@s.test', recipients: ['one@r.test', 'nobody@r.test', 'two@r.test'], body: BODY }, { timeoutMs: 5000 });
    expect(out.results.map((r) => [r.address, r.status, r.reply])).toEqual([
      ['one@r.test', 'delivered', '250 2.0.0 Ok: queued'],
      ['nobody@r.test', 'failed', '550 5.1.1 No such user'],
      ['two@r.test', 'delivered', '250 2.0.0 Ok: queued'],
    ]);
    expect(s.messages[0]!.recipients).toEqual(['one@r.test', 'two@r.test']);
    expect(out.retryElsewhere).toEqual([]);
  });

  test('a 4xx at RCPT defers that recipient', async () => {
    const s = await sink({ replyTo: (phase, arg) => (phase === 'rcpt' && arg === 'busy@r.test' ? '452 4.2.2 Mailbox full' : undefined) });
    const out = await client().send(dest(s), { sender: 'a@s.test', recipients: ['busy@r.test', 'ok@r.test'], body: BODY }, { timeoutMs: 5000 });
    expect(out.results.map((r) => r.status)).toEqual(['deferred', 'delivered']);
    expect(out.results[0]!.reply).toBe('452 4.2.2 Mailbox full');
  });

  test('the final reply after DATA applies to every accepted recipient', async () => {
    const s = await sink({
      replyTo: (phase, arg) =>
        phase === 'rcpt' && arg === 'x@r.test' ? '550 5.1.1 no' : phase === 'data' ? '554 5.7.1 Content rejected' : undefined,
    });
    const out = await client().send(dest(s), { sender: 'a@s.test', recipients: ['a@r.test', 'x@r.test', 'b@r.test'], body: BODY }, { timeoutMs: 5000 });
    expect(out.results.map((r) => [r.status, r.reply])).toEqual([
      ['failed', '554 5.7.1 Content rejected'],
      ['failed', '550 5.1.1 no'],
      ['failed', '554 5.7.1 Content rejected'],
    ]);
    expect(s.messages).toHaveLength(0);
  });

  test('a 4xx final reply defers; a 4xx to MAIL defers everyone and allows another host', async () => {
    const s1 = await sink({ replyTo: (phase) => (phase === 'data' ? '451 4.3.0 try later' : undefined) });
    const s2 = await sink({ replyTo: (phase) => (phase === 'mail' ? '421 4.3.2 shutting down' : undefined) });
    const c = client();
    const a = await c.send(dest(s1), { sender: 'a@s.test', recipients: ['a@r.test'], body: BODY }, { timeoutMs: 5000 });
    expect(a.results[0]).toMatchObject({ status: 'deferred', reply: '451 4.3.0 try later' });
    expect(a.retryElsewhere).toEqual([]);
    const b = await c.send(dest(s2), { sender: 'a@s.test', recipients: ['a@r.test', 'b@r.test'], body: BODY }, { timeoutMs: 5000 });
    expect(b.results.map((r) => r.status)).toEqual(['deferred', 'deferred']);
    expect(b.retryElsewhere).toEqual(['a@r.test', 'b@r.test']);
    expect(b.results[0]!.reply).toBe('421 4.3.2 shutting down');
  });

  test('a 5xx to MAIL fails every recipient', async () => {
    const s = await sink({ replyTo: (phase) => (phase === 'mail' ? '553 5.7.1 Sender rejected' : undefined) });
    const out = await client().send(dest(s), { sender: 'a@s.test', recipients: ['a@r.test', 'b@r.test'], body: BODY }, { timeoutMs: 5000 });
    expect(out.results.map((r) => [r.status, r.reply])).toEqual([
      ['failed', '553 5.7.1 Sender rejected'],
      ['failed', '553 5.7.1 Sender rejected'],
    ]);
  });

  test('addresses that could inject commands are refused locally, never sent', async () => {
    const s = await sink();
    const out = await client().send(dest(s), { sender: 'a@s.test', recipients: ['x@r.test>\r\nRSET', 'ok@r.test'], body: BODY }, { timeoutMs: 5000 });
    expect(out.results.map((r) => r.status)).toEqual(['failed', 'delivered']);
    expect(s.commands.some((c) => c.startsWith('RSET'))).toBe(false);
  });

  test('a message larger than the advertised SIZE fails without being sent', async () => {
    const s = await sink({ extensions: ['PIPELINING', 'SIZE 100'] });
    const out = await client().send(dest(s), { sender: 'a@s.test', recipients: ['a@r.test'], body: Buffer.alloc(200, 'a') }, { timeoutMs: 5000 });
    expect(out.results[0]).toMatchObject({ status: 'failed' });
    expect(out.results[0]!.reply).toMatch(/^552 5\.3\.4/);
    expect(s.commands.some((c) => c.startsWith('MAIL'))).toBe(false);
  });
});

describe('connection problems are temporary', () => {
  test('connection refused → deferred', async () => {
    const s = await sink();
    await s.setDown(true);
    const out = await client().send(dest(s), { sender: 'a@s.test', recipients: ['a@r.test'], body: BODY }, { timeoutMs: 5000 });
    expect(out.results[0]).toMatchObject({ status: 'deferred' });
    expect(out.results[0]!.reply).toMatch(/^451 4\.4\.1 Connection refused/);
    expect(out.retryElsewhere).toEqual(['a@r.test']);
  });

  test('a server that never answers → deferred after the time limit', async () => {
    const s = await sink({ replyTo: (phase) => (phase === 'connect' ? '' : undefined) });
    const t0 = Date.now();
    const out = await client().send(dest(s), { sender: 'a@s.test', recipients: ['a@r.test'], body: BODY }, { timeoutMs: 700 });
    expect(Date.now() - t0).toBeLessThan(3000);
    expect(out.results[0]).toMatchObject({ status: 'deferred' });
    expect(out.results[0]!.reply).toMatch(/^451 4\.4\.2 Timed out/);
  });

  test('a server that stalls after the message → deferred, not delivered', async () => {
    const s = await sink({ replyTo: (phase) => (phase === 'data' ? '' : undefined) });
    const out = await client().send(dest(s), { sender: 'a@s.test', recipients: ['a@r.test'], body: BODY }, { timeoutMs: 700 });
    expect(out.results[0]).toMatchObject({ status: 'deferred' });
    expect(out.retryElsewhere).toEqual([]);
  });

  test('a 554 greeting → deferred and another host may be tried', async () => {
    const s = await sink({ replyTo: (phase) => (phase === 'connect' ? '554 5.7.1 No service for you' : undefined) });
    const out = await client().send(dest(s), { sender: 'a@s.test', recipients: ['a@r.test'], body: BODY }, { timeoutMs: 5000 });
    expect(out.results[0]!.reply).toBe('554 5.7.1 No service for you');
    expect(out.retryElsewhere).toEqual(['a@r.test']);
  });

  test('a malformed reply does not crash the client', async () => {
    const server = net.createServer((sock) => sock.end('hello there, not SMTP\r\n'));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    cleanups.push(() => new Promise<void>((r) => server.close(() => r())));
    const port = (server.address() as net.AddressInfo).port;
    const out = await client().send({ host: '127.0.0.1', port }, { sender: 'a@s.test', recipients: ['a@r.test'], body: BODY }, { timeoutMs: 2000 });
    expect(out.results[0]!.status).toBe('deferred');
    expect(out.results[0]!.reply).toMatch(/^451 4\.5\.0 Protocol error/);
  });

  test('an aborted delivery is deferred at once', async () => {
    const s = await sink({ replyTo: (phase) => (phase === 'connect' ? '' : undefined) });
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 100);
    const t0 = Date.now();
    const out = await client().send(dest(s), { sender: 'a@s.test', recipients: ['a@r.test'], body: BODY }, { timeoutMs: 10000, signal: ac.signal });
    expect(Date.now() - t0).toBeLessThan(2000);
    expect(out.results[0]).toMatchObject({ status: 'deferred', reply: '451 4.3.2 Delivery interrupted' });
  });
});

describe('protocol features', () => {
  test('without ESMTP the client falls back to HELO', async () => {
    const s = await sink({ replyTo: (phase) => (phase === 'ehlo' ? '502 5.5.1 EHLO not supported' : undefined) });
    const out = await client().send(dest(s), { sender: 'a@s.test', recipients: ['a@r.test', 'b@r.test'], body: BODY }, { timeoutMs: 5000 });
    expect(out.results.map((r) => r.status)).toEqual(['delivered', 'delivered']);
    expect(s.commands).toContain('HELO gw.sealgate.test');
    expect(s.messages[0]!.mailParams).toEqual([]);
    expect(s.messages[0]!.data.equals(BODY)).toBe(true);
  });

  test('without PIPELINING commands go one at a time and the result is the same', async () => {
    const s = await sink({ extensions: ['8BITMIME'], replyTo: (p, a) => (p === 'rcpt' && a === 'no@r.test' ? '550 5.1.1 no' : undefined) });
    const out = await client().send(dest(s), { sender: 'a@s.test', recipients: ['a@r.test', 'no@r.test'], body: BODY }, { timeoutMs: 5000 });
    expect(out.results.map((r) => r.status)).toEqual(['delivered', 'failed']);
    expect(s.messages[0]!.data.equals(BODY)).toBe(true);
  });

  test('SMTPUTF8 is requested for non-ASCII addresses, and refused when the server lacks it', async () => {
    const yes = await sink();
    const no = await sink({ extensions: ['PIPELINING', '8BITMIME'] });
    const c = client();
    const a = await c.send(dest(yes), { sender: 'jörg@s.test', recipients: ['zoë@r.test'], body: BODY }, { timeoutMs: 5000 });
    expect(a.results[0]!.status).toBe('delivered');
    expect(yes.messages[0]!.mailParams).toContain('SMTPUTF8');
    expect(yes.messages[0]!.recipients).toEqual(['zoë@r.test']);
    const b = await c.send(dest(no), { sender: 'jörg@s.test', recipients: ['zoë@r.test'], body: BODY }, { timeoutMs: 5000 });
    expect(b.results[0]).toMatchObject({ status: 'failed' });
    expect(b.results[0]!.reply).toMatch(/^550 5\.6\.7/);
    expect(no.messages).toHaveLength(0);
  });

  test('DSN parameters ENVID and RET are passed only to a server that offers DSN', async () => {
    const withDsn = await sink();
    const without = await sink({ extensions: ['PIPELINING'] });
    const c = client();
    const params = { ENVID: 'QQ314159', RET: 'HDRS' };
    await c.send(dest(withDsn), { sender: 'a@s.test', recipients: ['a@r.test'], body: BODY, params }, { timeoutMs: 5000 });
    await c.send(dest(without), { sender: 'a@s.test', recipients: ['a@r.test'], body: BODY, params }, { timeoutMs: 5000 });
    expect(withDsn.messages[0]!.mailParams).toEqual(expect.arrayContaining(['ENVID=QQ314159', 'RET=HDRS']));
    expect(without.messages[0]!.mailParams).toEqual([]);
  });
});

describe('TLS', () => {
  test('STARTTLS is used when offered (opportunistic) and recorded', async () => {
    const s = await sink({ tls: true });
    const out = await client().send(dest(s), { sender: 'a@s.test', recipients: ['a@r.test'], body: BODY }, { timeoutMs: 5000 });
    expect(out.tls).toBe(true);
    expect(out.results[0]).toMatchObject({ status: 'delivered', tls: true });
    expect(s.messages[0]!.tls).toBe(true);
    expect(s.messages[0]!.data.equals(BODY)).toBe(true);
  });

  test('without STARTTLS on offer, opportunistic mode delivers in plaintext and says so', async () => {
    const s = await sink();
    const out = await client().send(dest(s), { sender: 'a@s.test', recipients: ['a@r.test'], body: BODY }, { timeoutMs: 5000 });
    expect(out.results[0]).toMatchObject({ status: 'delivered', tls: false });
  });

  test('requireTls: a server without STARTTLS gets nothing; the message is deferred', async () => {
    const s = await sink();
    const out = await client().send(dest(s), { sender: 'a@s.test', recipients: ['a@r.test'], body: BODY }, {
      timeoutMs: 5000,
      requireTls: { verify: false, servername: 'sink.test' },
    });
    expect(out.results[0]!.status).toBe('deferred');
    expect(out.results[0]!.reply).toMatch(/^451 4\.7\.10 TLS required/);
    expect(s.commands.some((c) => c.startsWith('MAIL'))).toBe(false);
    expect(s.messages).toHaveLength(0);
  });

  test('requireTls with verification: a trusted certificate delivers, a wrong name defers', async () => {
    const s = await sink({ tls: true });
    const c = client();
    const ca = [Buffer.from(s.certPem!)];
    const ok = await c.send(dest(s), { sender: 'a@s.test', recipients: ['a@r.test'], body: BODY }, {
      timeoutMs: 5000,
      requireTls: { verify: true, ca, servername: 'sink.test' },
    });
    expect(ok.results[0]).toMatchObject({ status: 'delivered', tls: true });
    const bad = await c.send(dest(s), { sender: 'a@s.test', recipients: ['a@r.test'], body: BODY }, {
      timeoutMs: 5000,
      requireTls: { verify: true, ca, servername: 'other.test' },
    });
    expect(bad.results[0]!.status).toBe('deferred');
    expect(bad.results[0]!.reply).toMatch(/^451 4\.7\.5 TLS handshake .* failed: ERR_TLS_CERT_ALTNAME_INVALID/);
    const untrusted = await c.send(dest(s), { sender: 'a@s.test', recipients: ['a@r.test'], body: BODY }, {
      timeoutMs: 5000,
      requireTls: { verify: true, servername: 'sink.test' },
    });
    expect(untrusted.results[0]!.status).toBe('deferred');
    expect(s.messages).toHaveLength(1);
    // Nothing went in the clear after the failed handshakes.
    expect(s.messages.every((m) => m.tls)).toBe(true);
  });

  /** A fake server for the first connection; later connections are piped to `s`. */
  async function firstConnectionFake(s: SmtpSink, fake: (sock: net.Socket, line: string) => void): Promise<number> {
    let conns = 0;
    const proxy = net.createServer((sock) => {
      sock.on('error', () => sock.destroy());
      if (++conns === 1) {
        sock.write('220 fake ESMTP\r\n');
        sock.on('data', (d) => fake(sock, d.toString('latin1')));
        return;
      }
      const up = net.connect(s.port, '127.0.0.1');
      sock.pipe(up).pipe(sock);
      up.on('error', () => sock.destroy());
    });
    await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
    cleanups.push(() => new Promise<void>((r) => proxy.close(() => r())));
    return (proxy.address() as net.AddressInfo).port;
  }

  test('opportunistic: a failed TLS handshake falls back to plaintext on a new connection', async () => {
    const s = await sink();
    const port = await firstConnectionFake(s, (sock, line) => {
      if (line.startsWith('EHLO')) sock.write('250-fake\r\n250 STARTTLS\r\n');
      else if (line.startsWith('STARTTLS')) sock.write('220 go ahead\r\n');
      else sock.end('garbage instead of a TLS ServerHello\r\n'); // the ClientHello
    });
    const c = client();
    const out = await c.send({ host: '127.0.0.1', port }, { sender: 'a@s.test', recipients: ['a@r.test'], body: BODY }, { timeoutMs: 5000 });
    expect(out.results[0]).toMatchObject({ status: 'delivered', tls: false });
    expect(s.messages[0]!.data.equals(BODY)).toBe(true);
    expect(c.stats.tlsFallbacks).toBe(1);
  });

  test('requireTls: a failed TLS handshake defers and never falls back to plaintext', async () => {
    const s = await sink();
    const port = await firstConnectionFake(s, (sock, line) => {
      if (line.startsWith('EHLO')) sock.write('250-fake\r\n250 STARTTLS\r\n');
      else if (line.startsWith('STARTTLS')) sock.write('220 go ahead\r\n');
      else sock.end('garbage\r\n');
    });
    const out = await client().send({ host: '127.0.0.1', port }, { sender: 'a@s.test', recipients: ['a@r.test'], body: BODY }, {
      timeoutMs: 5000,
      requireTls: { verify: false, servername: 'sink.test' },
    });
    expect(out.results[0]!.status).toBe('deferred');
    expect(out.results[0]!.reply).toMatch(/^451 4\.7\.5 TLS handshake/);
    expect(s.connections).toBe(0);
  });

  test('bytes injected after the STARTTLS 220 (CVE-2011-0411 style) end the session', async () => {
    const s = await sink();
    const port = await firstConnectionFake(s, (sock, line) => {
      if (line.startsWith('EHLO')) sock.write('250-fake\r\n250 STARTTLS\r\n');
      else if (line.startsWith('STARTTLS')) sock.write('220 go ahead\r\n250 injected\r\n');
    });
    const out = await client().send({ host: '127.0.0.1', port }, { sender: 'a@s.test', recipients: ['a@r.test'], body: BODY }, { timeoutMs: 5000 });
    expect(out.results[0]!.status).toBe('deferred');
    expect(out.results[0]!.reply).toMatch(/data after STARTTLS/);
    expect(s.messages).toHaveLength(0);
  });
});

describe('connection reuse', () => {
  test('two messages to one destination share one TCP connection (RSET between)', async () => {
    const s = await sink();
    const c = client();
    for (let i = 0; i < 3; i++) {
      const out = await c.send(dest(s), { sender: 'a@s.test', recipients: [`r${i}@r.test`], body: BODY }, { timeoutMs: 5000 });
      expect(out.results[0]!.status).toBe('delivered');
    }
    expect(s.messages).toHaveLength(3);
    expect(s.connections).toBe(1);
    expect(s.messages.map((m) => m.connection)).toEqual([1, 1, 1]);
    expect(s.commands.filter((x) => x === 'RSET')).toHaveLength(2);
    expect(c.stats).toMatchObject({ connectionsOpened: 1, connectionsReused: 2 });
  });

  test('a cached connection closed by the server is replaced transparently', async () => {
    const s = await sink();
    const c = client();
    await c.send(dest(s), { sender: 'a@s.test', recipients: ['a@r.test'], body: BODY }, { timeoutMs: 5000 });
    await s.setDown(true); // drops the idle connection
    await s.setDown(false);
    const out = await c.send(dest(s), { sender: 'a@s.test', recipients: ['b@r.test'], body: BODY }, { timeoutMs: 5000 });
    expect(out.results[0]!.status).toBe('delivered');
    expect(s.messages).toHaveLength(2);
    expect(s.connections).toBe(2);
  });

  test('idle connections are closed after the idle time and by close()', async () => {
    const s = await sink();
    const c = client({ idleMs: 150 });
    await c.send(dest(s), { sender: 'a@s.test', recipients: ['a@r.test'], body: BODY }, { timeoutMs: 5000 });
    expect(c.idleConnections).toBe(1);
    await new Promise((r) => setTimeout(r, 400));
    expect(c.idleConnections).toBe(0);
    expect(s.commands.at(-1)).toBe('QUIT');
    await c.send(dest(s), { sender: 'a@s.test', recipients: ['a@r.test'], body: BODY }, { timeoutMs: 5000 });
    expect(c.idleConnections).toBe(1);
    await c.close();
    expect(c.idleConnections).toBe(0);
    const after = await c.send(dest(s), { sender: 'a@s.test', recipients: ['a@r.test'], body: BODY }, { timeoutMs: 5000 });
    expect(after.results[0]!.status).toBe('deferred');
    expect(s.connections).toBe(2);
  });

  test('parallel deliveries use parallel connections, then reuse them', async () => {
    const s = await sink();
    const c = client();
    const send = (i: number) => c.send(dest(s), { sender: 'a@s.test', recipients: [`r${i}@r.test`], body: BODY }, { timeoutMs: 5000 });
    await Promise.all([0, 1, 2, 3].map(send));
    await Promise.all([4, 5, 6, 7].map(send));
    expect(s.messages).toHaveLength(8);
    expect(s.connections).toBe(4);
  });

  test('a cached connection that dies when reused is replaced without losing or doubling the message', async () => {
    const s = await sink();
    // A proxy that kills its first connection as soon as the client sends RSET on it.
    let n = 0;
    const proxy = net.createServer((sock) => {
      const id = ++n;
      const up = net.connect(s.port, '127.0.0.1');
      sock.on('data', (d) => {
        if (id === 1 && d.toString('latin1').startsWith('RSET')) {
          sock.destroy();
          up.destroy();
          return;
        }
        up.write(d);
      });
      up.pipe(sock);
      up.on('error', () => sock.destroy());
      sock.on('error', () => up.destroy());
    });
    await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
    cleanups.push(() => new Promise<void>((r) => proxy.close(() => r())));
    const port = (proxy.address() as net.AddressInfo).port;
    const c = client();
    const first = await c.send({ host: '127.0.0.1', port }, { sender: 'a@s.test', recipients: ['one@r.test'], body: BODY }, { timeoutMs: 5000 });
    const second = await c.send({ host: '127.0.0.1', port }, { sender: 'a@s.test', recipients: ['two@r.test'], body: BODY }, { timeoutMs: 5000 });
    expect([first.results[0]!.status, second.results[0]!.status]).toEqual(['delivered', 'delivered']);
    expect(s.messages.map((m) => m.recipients[0])).toEqual(['one@r.test', 'two@r.test']);
    expect(c.stats.connectionsOpened).toBe(2);
  });
});
