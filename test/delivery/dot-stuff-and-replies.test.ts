// The two pure cores of the SMTP client: DATA dot-stuffing and reply parsing. The stuffing is
// checked against an independent un-stuffer (the SMTP sink's rule: strip one leading '.' per line).
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { dotStuff, dotStuffed } from '../../src/delivery/dot-stuff.js';
import { ReplyParser, ReplySyntaxError, formatReply, parseEhlo, MAX_REPLY_LINE } from '../../src/delivery/reply-parser.js';

/** Reference receiver: split at CRLF, end at the lone '.', strip one leading dot. */
function receive(wire: Buffer): Buffer {
  const text = wire.toString('latin1');
  const lines = text.split('\r\n');
  const out: string[] = [];
  for (const line of lines) {
    if (line === '.') return Buffer.from(out.map((l) => l + '\r\n').join(''), 'latin1');
    out.push(line.startsWith('.') ? line.slice(1) : line);
  }
  throw new Error('no end of data');
}

const crlfBody = fc
  .array(fc.oneof(fc.constantFrom('.', '..', '', '.x', 'a.b', '.\u00e9'), fc.string({ maxLength: 20 }).map((s) => s.replace(/[\r\n]/g, ''))), { maxLength: 30 })
  .map((lines) => Buffer.from(lines.map((l) => l + '\r\n').join(''), 'latin1'));

describe('dot-stuffing', () => {
  test('what the receiver reads back equals the body, for any CRLF body', () => {
    fc.assert(
      fc.property(crlfBody, (body) => {
        expect(receive(dotStuffed(body)).equals(body)).toBe(true);
      }),
      { numRuns: 500 },
    );
  });

  test('the body never contains an early end-of-data after stuffing', () => {
    fc.assert(
      fc.property(crlfBody, (body) => {
        const wire = dotStuffed(body);
        const first = Buffer.concat([Buffer.from('\r\n'), wire]).indexOf('\r\n.\r\n');
        expect(first).toBe(wire.length - 3);
      }),
      { numRuns: 500 },
    );
  });

  test('examples', () => {
    expect(dotStuffed(Buffer.from('')).toString()).toBe('.\r\n');
    expect(dotStuffed(Buffer.from('.\r\n')).toString()).toBe('..\r\n.\r\n');
    expect(dotStuffed(Buffer.from('a\r\n.b\r\n')).toString()).toBe('a\r\n..b\r\n.\r\n');
    expect(dotStuffed(Buffer.from('a')).toString()).toBe('a\r\n.\r\n');
  });

  test('a body with nothing to stuff is not copied', () => {
    const body = Buffer.from('Subject: x\r\n\r\nhello\r\n');
    expect(dotStuff(body)[0]).toBe(body);
  });
});

describe('reply parser', () => {
  test('multi-line replies, split across chunks, with enhanced codes', () => {
    const p = new ReplyParser();
    expect(p.push(Buffer.from('250-mx.test hello\r\n250-PIPE'))).toEqual([]);
    const [r] = p.push(Buffer.from('LINING\r\n250 SIZE 1000\r\n'));
    expect(r!.code).toBe(250);
    expect([...parseEhlo(r!).entries()]).toEqual([
      ['PIPELINING', ''],
      ['SIZE', '1000'],
    ]);
    const [n] = p.push(Buffer.from('550-5.1.1 The account\r\n550 5.1.1 does not exist\r\n'));
    expect(n).toEqual({ code: 550, enhanced: '5.1.1', lines: ['The account', 'does not exist'] });
    expect(formatReply(n!)).toBe('550 5.1.1 The account does not exist');
    expect(p.empty).toBe(true);
  });

  test('an enhanced code of the wrong class is just text', () => {
    const [r] = new ReplyParser().push(Buffer.from('250 5.1.1 odd\r\n'));
    expect(r!.enhanced).toBe('');
    expect(formatReply(r!)).toBe('250 5.1.1 odd');
  });

  test('control characters in replies are neutralised', () => {
    const [r] = new ReplyParser().push(Buffer.from('550 bad\x1b[31m\x00text\r\n'));
    expect(formatReply(r!)).toBe('550 bad?[31m?text');
  });

  test('garbage, overlong lines and changing codes are errors, never unbounded buffers', () => {
    expect(() => new ReplyParser().push(Buffer.from('hello\r\n'))).toThrow(ReplySyntaxError);
    expect(() => new ReplyParser().push(Buffer.from('250-a\r\n251 b\r\n'))).toThrow(ReplySyntaxError);
    expect(() => new ReplyParser().push(Buffer.alloc(MAX_REPLY_LINE + 10, 0x41))).toThrow(/too long/);
    const many = Array.from({ length: 200 }, () => '250-x\r\n').join('');
    expect(() => new ReplyParser().push(Buffer.from(many))).toThrow(/too many/);
  });
});
