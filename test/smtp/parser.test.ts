// The pure protocol core: command parsing, address syntax (RFC 5321), the command-phase line
// splitter and the DATA reader. Property tests: random input never throws, and the DATA reader's
// result never depends on how the bytes were split into TCP chunks.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DataReader } from '../../src/smtp/data.js';
import { LineSplitter, parseCommand, parsePath, type Command } from '../../src/smtp/parser.js';
import { SmtpReply } from '../../src/smtp/reply.js';

const cmd = (s: string, utf8 = false) => parseCommand(Buffer.from(s, 'utf8'), utf8);

describe('command parser', () => {
  it('parses the command set', () => {
    expect(cmd('ehlo client.example')).toEqual({ verb: 'EHLO', domain: 'client.example' });
    expect(cmd('HELO [192.0.2.1]')).toEqual({ verb: 'HELO', domain: '[192.0.2.1]' });
    expect(cmd('MAIL FROM:<a@b.example> SIZE=10 BODY=8BITMIME SMTPUTF8 RET=FULL ENVID=x')).toEqual({
      verb: 'MAIL',
      address: 'a@b.example',
      params: { size: 10, body: '8BITMIME', smtputf8: true, ret: 'FULL', envid: 'x' },
    });
    expect(cmd('mail from: <>')).toEqual({ verb: 'MAIL', address: '', params: { smtputf8: false } });
    expect(cmd('RCPT TO:<@relay.example,@r2.example:u@d.example> NOTIFY=NEVER')).toEqual({ verb: 'RCPT', address: 'u@d.example', params: { notify: 'NEVER' } });
    expect(cmd('RCPT TO:<postmaster>')).toMatchObject({ verb: 'RCPT', address: 'postmaster' });
    expect(cmd('DATA')).toEqual({ verb: 'DATA' });
    expect(cmd('AUTH PLAIN AGEAYg==')).toEqual({ verb: 'AUTH', mechanism: 'PLAIN', initial: 'AGEAYg==' });
    expect(cmd('VRFY someone')).toEqual({ verb: 'VRFY', arg: 'someone' });
  });

  it('refuses what it must, with the right reply', () => {
    const code = (s: string) => (cmd(s) as SmtpReply).toString();
    expect(code('BDAT 100 LAST')).toBe('502 5.5.1 Command not implemented');
    expect(code('FROB')).toBe('500 5.5.2 Syntax error, command unrecognized');
    expect(code('MAIL FROM:<a@b.example> FOO=1')).toBe('555 5.5.4 MAIL/RCPT parameter not recognized');
    expect(code('MAIL FROM:<a@b.example> BODY=BINARYMIME')).toBe('504 5.5.4 Command parameter not implemented');
    expect(code('MAIL FROM:<a@b.example> SIZE=x')).toMatch(/^501 /);
    expect(code('MAIL FROM:<a@b.example> SIZE=1 SIZE=2')).toMatch(/^501 /);
    expect(code('RCPT TO:<a@b.example> NOTIFY=NEVER,SUCCESS')).toMatch(/^501 /);
    expect(code('MAIL FROM:a@b.example')).toBe('501 5.1.3 Bad address syntax');
    expect(code('RCPT TO:<>')).toBe('501 5.1.3 Bad address syntax');
    expect(code('EHLO')).toMatch(/^501 5\.5\.4/);
    expect(code('EHLO bad..name')).toMatch(/^501 /);
    expect(code('DATA now')).toMatch(/^501 /);
    expect(code('NOOP \x01')).toMatch(/^500 /);
    expect(code('MAIL FROM:<\xe4@b.example>')).toBe('553 5.6.7 Non-ASCII address requires SMTPUTF8');
  });

  it('RFC 5321 address syntax and length limits', () => {
    const ok = (p: string, u = false) => expect(parsePath(p, u), p).not.toBeInstanceOf(SmtpReply);
    const bad = (p: string, u = false) => expect(parsePath(p, u), p).toBeInstanceOf(SmtpReply);
    ok('<a@b.example>');
    ok('<"john doe"@b.example>');
    ok('<"a\\"b"@b.example>');
    ok("<o'brien+tag@b.example>");
    ok('<u@[192.0.2.1]>');
    ok('<u@[IPv6:2001:db8::1]>');
    ok('<u@[IPv6:::ffff:192.0.2.1]>');
    ok('<ü@bücher.example>', true);
    ok(`<${'l'.repeat(64)}@b.example>`);
    bad(`<${'l'.repeat(65)}@b.example>`);
    bad(`<u@${('d'.repeat(60) + '.').repeat(5)}example>`); // domain > 255
    bad(`<u@${'d'.repeat(64)}.example>`); // label > 63
    bad(`<${'l'.repeat(60)}@${('d'.repeat(50) + '.').repeat(4)}example>`); // path > 256
    bad('<a..b@b.example>');
    bad('<.a@b.example>');
    bad('<a@-b.example>');
    bad('<a@b_c.example>');
    bad('<a b@b.example>');
    bad('<"unterminated@b.example>');
    bad('<"ctl\x01"@b.example>');
    bad('<u@[300.1.1.1]>');
    bad('<u@[IPv6:2001:db8::1::2]>');
    bad('<a@b.example');
    bad('<@a.example>');
    bad('<ü@bücher.example>', false);
  });

  it('never throws on random bytes: always a command or an SmtpReply', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.boolean(), (bytes, utf8) => {
        const r = parseCommand(Buffer.from(bytes), utf8);
        expect(r instanceof SmtpReply || typeof (r as Command).verb === 'string').toBe(true);
      }),
      { numRuns: 3000 },
    );
    const verbs = fc.constantFrom('MAIL FROM:', 'RCPT TO:', 'EHLO ', 'AUTH ', 'mail from: ', 'HELO ');
    const tail = fc.string({ unit: fc.constantFrom('<', '>', '@', '"', '\\', ' ', '=', '[', ']', ':', '.', 'a', '1', 'ü', '\x7f', ',', 'IPv6:', 'SIZE=', 'NOTIFY=') });
    fc.assert(
      fc.property(verbs, tail, fc.boolean(), (v, t, utf8) => {
        const r = cmd(v + t, utf8);
        expect(r instanceof SmtpReply || typeof (r as Command).verb === 'string').toBe(true);
      }),
      { numRuns: 3000 },
    );
  });
});

describe('command line splitter', () => {
  it('yields CRLF lines and reports bare CR/LF and over-long lines, never buffering past the limit', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 700 }), { maxLength: 20 }), fc.constantFrom(512, 600), (chunks, max) => {
        const s = new LineSplitter(max);
        for (const c of chunks) {
          s.feed(Buffer.from(c));
          for (let ev = s.next(); ev !== null; ev = s.next()) {
            if (ev.kind === 'line') {
              expect(ev.line.length + 2).toBeLessThanOrEqual(max);
              expect(ev.line.includes(0x0a) || ev.line.includes(0x0d)).toBe(false);
            }
          }
          expect(s.buffered).toBeLessThan(max);
        }
      }),
      { numRuns: 500 },
    );
    const s = new LineSplitter(512);
    s.feed(Buffer.from('NOOP\r\nA\nB\r\nC\rD\r\nE\r'));
    expect(s.next()).toEqual({ kind: 'line', line: Buffer.from('NOOP') });
    expect(s.next()).toEqual({ kind: 'bare' });
    expect(s.next()).toEqual({ kind: 'bare' });
    expect(s.next()).toBe(null);
    s.feed(Buffer.from('\n'));
    expect(s.next()).toEqual({ kind: 'line', line: Buffer.from('E') });
  });
});

function readAll(chunks: Buffer[], limits = { textLineLength: 1 << 20, headerSize: 1 << 20, messageSize: 1 << 24, mimeDepth: 100 }) {
  const r = new DataReader(limits);
  const out: Buffer[] = [];
  let rest = Buffer.alloc(0);
  let done = false;
  for (const c of chunks) {
    if (done) {
      rest = Buffer.concat([rest, c]);
      continue;
    }
    const res = r.feed(c);
    out.push(...res.chunks);
    if (res.done) {
      done = true;
      rest = res.rest;
    }
  }
  return { body: Buffer.concat(out), done, rest, error: r.error };
}

function splitAt(buf: Buffer, cuts: number[]): Buffer[] {
  const points = [...new Set(cuts.map((c) => c % (buf.length + 1)))].sort((a, b) => a - b);
  const out: Buffer[] = [];
  let prev = 0;
  for (const p of points) {
    out.push(buf.subarray(prev, p));
    prev = p;
  }
  out.push(buf.subarray(prev));
  return out;
}

describe('DATA reader', () => {
  it('dot-stuffed clean messages round-trip under any chunking', () => {
    const line = fc.string({ unit: fc.constantFrom('a', '.', ' ', '-', 'é', 'Z'), maxLength: 40 });
    fc.assert(
      fc.property(fc.array(line, { maxLength: 30 }), fc.array(fc.nat(), { maxLength: 12 }), (lines, cuts) => {
        const body = Buffer.from(lines.map((l) => l + '\r\n').join(''), 'utf8');
        const stuffed = Buffer.from(lines.map((l) => (l.startsWith('.') ? '.' : '') + l + '\r\n').join('') + '.\r\nNEXT', 'utf8');
        const res = readAll(splitAt(stuffed, cuts));
        expect(res.error).toBe(null);
        expect(res.done).toBe(true);
        expect(res.body.equals(body)).toBe(true);
        expect(res.rest.toString()).toBe('NEXT');
      }),
      { numRuns: 1500 },
    );
  });

  it('the verdict never depends on chunk boundaries (bare CR/LF, NUL, end marker)', () => {
    const bytes = fc.array(fc.constantFrom('\r', '\n', '.', 'a', '\x00', '\r\n', '\r\n.\r\n'), { maxLength: 40 }).map((a) => Buffer.from(a.join(''), 'latin1'));
    fc.assert(
      fc.property(bytes, fc.array(fc.nat(), { maxLength: 10 }), (buf, cuts) => {
        const whole = readAll([buf]);
        const split = readAll(splitAt(buf, cuts));
        expect(split.done).toBe(whole.done);
        expect(split.rest.equals(whole.rest)).toBe(true);
        expect(split.error === null).toBe(whole.error === null);
        if (whole.error === null) expect(split.body.equals(whole.body)).toBe(true);
        // A bare CR or LF before the end marker always means refusal.
        const end = whole.done ? buf.length - whole.rest.length : buf.length;
        const s = buf.subarray(0, end).toString('latin1');
        if (whole.done && /\r(?!\n)|(?<!\r)\n/.test(s)) expect(whole.error).not.toBe(null);
      }),
      { numRuns: 3000 },
    );
  });

  it('ends only at <CRLF>.<CRLF> (or "." CRLF first)', () => {
    expect(readAll([Buffer.from('.\r\n')]).done).toBe(true);
    expect(readAll([Buffer.from('a\r\n.\r\nX')]).rest.toString()).toBe('X');
    for (const v of ['a\n.\n', 'a\n.\r\n', 'a\r.\r\n', 'a\r\n.\r', 'a\r\n.\n', 'a\r.\r', 'a\r\n .\r\n']) {
      expect(readAll([Buffer.from(v)]).done, JSON.stringify(v)).toBe(false);
    }
  });
});
