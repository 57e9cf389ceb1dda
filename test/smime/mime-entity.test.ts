// MIME primitives the S/MIME layer stands on: exact multipart part boundaries (RFC 2046 §5.1.1),
// strict base64 in 76-column CRLF lines, header parsing with folding, CRLF canonical form.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  Base64LineEncoder,
  decodeBase64Body,
  encodeBase64Lines,
  findMultipartParts,
  lfToCrlf,
  parseContentType,
  parseEntity,
  toWireForm,
} from '../../src/smime/mime-entity.js';
import { SmimeError } from '../../src/smime/errors.js';

const b = (s: string) => Buffer.from(s, 'latin1');

describe('multipart body parts (RFC 2046 §5.1.1)', () => {
  it('the CRLF before a delimiter belongs to the delimiter, not to the part', () => {
    const body = b('preamble\r\n--XYZ\r\nContent-Type: text/plain\r\n\r\nhello\r\n\r\n--XYZ\r\nsig\r\n--XYZ--\r\nepilogue');
    const { parts, closed } = findMultipartParts(body, 'XYZ');
    expect(closed).toBe(true);
    expect(parts.map((p) => body.subarray(p.start, p.end).toString())).toEqual([
      'Content-Type: text/plain\r\n\r\nhello\r\n', // exactly one of the two CRLFs stays with the part
      'sig',
    ]);
  });

  it('accepts a first delimiter at the very start of the body and transport padding after it', () => {
    const body = b('--XYZ \t\r\nA\r\n--XYZ\r\nB\r\n--XYZ--');
    expect(findMultipartParts(body, 'XYZ').parts.map((p) => body.subarray(p.start, p.end).toString())).toEqual(['A', 'B']);
  });

  it('a line that merely starts with the boundary, or a boundary mid-line, is not a delimiter', () => {
    const body = b('--XYZ\r\nline --XYZ inside\r\n--XYZabc not a delimiter\r\n--XYZ\r\nB\r\n--XYZ--\r\n');
    const { parts } = findMultipartParts(body, 'XYZ');
    expect(body.subarray(parts[0]!.start, parts[0]!.end).toString()).toBe('line --XYZ inside\r\n--XYZabc not a delimiter');
    expect(parts).toHaveLength(2);
  });

  it('reports an unclosed multipart', () => {
    expect(findMultipartParts(b('--XYZ\r\nA\r\n--XYZ\r\nB'), 'XYZ').closed).toBe(false);
  });

  it('keeps an empty part empty', () => {
    const body = b('--XYZ\r\n\r\n--XYZ\r\nB\r\n--XYZ--\r\n');
    const { parts } = findMultipartParts(body, 'XYZ');
    expect(parts[0]!.end - parts[0]!.start).toBe(0);
  });
});

describe('base64 bodies', () => {
  it('writes 76-character lines, each ending in CRLF', () => {
    const data = Buffer.alloc(1000, 0xab);
    const text = encodeBase64Lines(data).toString('latin1');
    const lines = text.split('\r\n');
    expect(lines.pop()).toBe('');
    expect(lines.slice(0, -1).every((l) => l.length === 76)).toBe(true);
    expect(lines.at(-1)!.length).toBeLessThanOrEqual(76);
    expect(text.replace(/\r\n/g, '')).toBe(data.toString('base64'));
  });

  it('round-trips arbitrary bytes (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2000 }), (u) => {
        const buf = Buffer.from(u);
        expect(decodeBase64Body(encodeBase64Lines(buf)).equals(buf)).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it('round-trips across the internal 64 KB staging size', () => {
    const big = Buffer.alloc(300_000);
    for (let i = 0; i < big.length; i++) big[i] = (i * 7919) & 0xff;
    expect(decodeBase64Body(encodeBase64Lines(big)).equals(big)).toBe(true);
  });

  it('the chunked encoder writes exactly what the one-shot encoder writes, however the input is split (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 3000 }), fc.array(fc.nat({ max: 400 }), { maxLength: 20 }), (u, cuts) => {
        const buf = Buffer.from(u);
        const enc = new Base64LineEncoder();
        let pos = 0;
        for (const c of cuts) {
          enc.push(buf.subarray(pos, Math.min(buf.length, pos + c)));
          pos = Math.min(buf.length, pos + c);
        }
        enc.push(buf.subarray(pos));
        expect(Buffer.concat(enc.end()).equals(encodeBase64Lines(buf))).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it('decodes any line width, and rejects any one injected stray character (property)', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 1, maxLength: 1500 }),
        fc.integer({ min: 1, max: 19 }),
        fc.constantFrom('*', '-', '_', '=', '\x00', '\xe9', '.'),
        fc.nat(),
        (u, w4, junk, at) => {
          const buf = Buffer.from(u);
          const text = buf.toString('base64').match(new RegExp(`.{1,${w4 * 4}}`, 'g'))!.join('\r\n') + '\r\n';
          expect(decodeBase64Body(Buffer.from(text, 'latin1')).equals(buf)).toBe(true);
          const i = at % text.length;
          if (text[i] === '=' || (junk === '=' && text.slice(i).replace(/[\r\n]/g, '').length === 0)) return;
          const bad = Buffer.from(text.slice(0, i) + junk + text.slice(i), 'latin1');
          expect(() => decodeBase64Body(bad)).toThrow(SmimeError);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('rejects junk instead of skipping it', () => {
    expect(() => decodeBase64Body(b('QUJD\r\nR*EF\r\n'))).toThrow(SmimeError);
    expect(() => decodeBase64Body(b('QUJD=QUJD'))).toThrow(/after padding/);
    expect(() => decodeBase64Body(b('QUJDR'))).toThrow(/truncated/);
  });
});

describe('header section', () => {
  it('unfolds values and keeps each field’s raw bytes', () => {
    const e = parseEntity(b('Subject: a\r\n b\r\nContent-Type: multipart/signed;\r\n\tboundary="x y"\r\n\r\nbody'));
    expect(e.fields.map((f) => f.value)).toEqual(['a b', 'multipart/signed;\tboundary="x y"']);
    expect(e.fields[0]!.raw.toString()).toBe('Subject: a\r\n b\r\n');
    expect(e.body.toString()).toBe('body');
  });

  it('parses Content-Type parameters with quoting and comments', () => {
    const ct = parseContentType('Multipart/Signed (c) ; protocol="application/pkcs7-signature"; micalg=sha-256;\tboundary="a\\"b;c"');
    expect(ct.mediaType).toBe('multipart/signed');
    expect(ct.params.get('protocol')).toBe('application/pkcs7-signature');
    expect(ct.params.get('micalg')).toBe('sha-256');
    expect(ct.params.get('boundary')).toBe('a"b;c');
  });

  it('refuses a header section over the limit and lines without a field name', () => {
    expect(() => parseEntity(Buffer.alloc(200_000, 0x41))).toThrow(/header section exceeds/);
    expect(() => parseEntity(b('From: a\r\nthis is not a header\r\n\r\n'))).toThrow(/malformed header line 2/);
  });

  it('an entity starting with CRLF has no header fields', () => {
    const e = parseEntity(b('\r\nhello'));
    expect(e.fields).toHaveLength(0);
    expect(e.body.toString()).toBe('hello');
  });
});

describe('CRLF canonical form', () => {
  it('leaves a CRLF message byte-for-byte alone (same Buffer)', () => {
    const m = b('From: a\r\n\r\nline\nwith bare LF in body\r\n');
    expect(toWireForm(m)).toBe(m);
  });

  it('converts an LF file to CRLF without doubling existing CRLFs', () => {
    expect(toWireForm(b('From: a\n\nx\r\ny\n')).toString()).toBe('From: a\r\n\r\nx\r\ny\r\n');
    expect(lfToCrlf(b('\n\n')).toString()).toBe('\r\n\r\n');
  });
});
