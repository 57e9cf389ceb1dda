// The MIME surgery behind nested decryption (src/inbound/nested.ts), without any crypto: which
// parts of a multipart/mixed are candidates (a forwarded message/rfc822 and an attached .p7m file
// are not), the depth and part limits, and the replacement: every byte outside the replaced part
// as received, and a fresh boundary only when the new entity contains the old one.
import { describe, expect, test } from 'vitest';
import { asBodyPart, findNestedParts, isPgpPart, isSmimePart, partialDecryptionField, partReason, replaceParts, sortParts, type PartView } from '../../src/inbound/nested.js';
import { findMultipartParts, parseContentType, parseEntity } from '../../src/smime/mime-entity.js';

const crlf = (s: string) => Buffer.from(s.replace(/\r?\n/g, '\r\n'), 'latin1');
const P7M = 'Content-Type: application/pkcs7-mime; smime-type=enveloped-data; name="smime.p7m"\nContent-Transfer-Encoding: base64\nContent-Disposition: attachment; filename="smime.p7m"\n\nMIAGCSqGSIb3DQEHA6CAMIACAQAx\n';
const FOOTER = 'Content-Type: text/plain; charset=us-ascii\n\n--\nThis list is run by partner.example. Unsubscribe: lists@partner.example\n';

function mixed(boundary: string, parts: string[], head = 'From: alice@partner.example\nTo: dr.jones@hospital.test\nSubject: lab results\n', preamble = 'This is a multi-part message in MIME format.\n', epilogue = 'epilogue text\n'): string {
  return `${head}MIME-Version: 1.0\nContent-Type: multipart/mixed;\n boundary="${boundary}"\n\n${preamble}${parts.map((p) => `--${boundary}\n${p}`).join('\n')}\n--${boundary}--\n${epilogue}`;
}

const paths = (xs: PartView[]) => xs.map((x) => x.path);

describe('which parts are searched', () => {
  test('an smime.p7m part next to a footer is found; the footer is another part', () => {
    const s = findNestedParts(crlf(mixed('b1', [P7M, FOOTER])), isSmimePart)!;
    expect(paths(s.found)).toEqual(['1']);
    expect(s.others).toEqual(['2']);
    expect(s.unsearched).toEqual([]);
  });

  test('a message that is not multipart/mixed is not searched (the stages handle the top level)', () => {
    expect(findNestedParts(crlf(`Subject: x\nContent-Type: multipart/alternative; boundary="a"\n\n--a\n${FOOTER}\n--a--\n`), isSmimePart)).toBeUndefined();
    expect(findNestedParts(crlf(`Subject: x\n${P7M}`), isSmimePart)).toBeUndefined();
  });

  test('an encrypted message forwarded as message/rfc822 is not entered; an attached report.p7m is not ours', () => {
    const forwarded = `Content-Type: message/rfc822\nContent-Disposition: attachment; filename="fwd.eml"\n\nFrom: x@y.example\nSubject: fwd\nMIME-Version: 1.0\n${P7M}`;
    const file = P7M.replace(/smime\.p7m/g, 'report.pdf.p7m');
    const s = findNestedParts(crlf(mixed('b2', [FOOTER, forwarded, file])), isSmimePart)!;
    expect(s.found).toEqual([]);
    expect(s.others).toEqual(['1', '2', '3']);
  });

  test('without any file name, and as application/octet-stream named smime.p7m: found', () => {
    const bare = 'Content-Type: application/pkcs7-mime; smime-type=enveloped-data\nContent-Transfer-Encoding: base64\n\nMIAG\n';
    const octet = 'Content-Type: application/octet-stream; name="SMIME.P7M"\nContent-Transfer-Encoding: base64\n\nMIAG\n';
    const other = 'Content-Type: application/octet-stream; name="x.p7m"\n\nMIAG\n';
    expect(paths(findNestedParts(crlf(mixed('b3', [bare, octet, other])), isSmimePart)!.found)).toEqual(['1', '2']);
  });

  test('PGP: multipart/encrypted and an inline text part are candidates; an attached .asc file and an attached text file are not', () => {
    const pgpmime = 'Content-Type: multipart/encrypted; protocol="application/pgp-encrypted"; boundary="e"\n\n--e\nContent-Type: application/pgp-encrypted\n\nVersion: 1\n\n--e\nContent-Type: application/octet-stream\n\n-----BEGIN PGP MESSAGE-----\n-----END PGP MESSAGE-----\n--e--\n';
    const asc = 'Content-Type: application/pgp-encrypted; name="doc.asc"\nContent-Disposition: attachment; filename="doc.asc"\n\n-----BEGIN PGP MESSAGE-----\n';
    const txt = 'Content-Type: text/plain\nContent-Disposition: attachment; filename="notes.txt"\n\n-----BEGIN PGP MESSAGE-----\n';
    const s = findNestedParts(crlf(mixed('b4', [pgpmime, FOOTER, asc, txt])), isPgpPart)!;
    expect(paths(s.found)).toEqual(['1', '2']);
    expect(s.others).toEqual(['3', '4']);
  });

  test('nested multipart/mixed is searched with IMAP part numbers; deeper than maxDepth is left alone and said', () => {
    const level3 = `Content-Type: multipart/mixed; boundary="c3"\n\n--c3\n${P7M}\n--c3--\n`;
    const level2 = `Content-Type: multipart/mixed; boundary="c2"\n\n--c2\n${P7M}\n--c2\n${level3}\n--c2--\n`;
    const msg = crlf(mixed('c1', [level2, FOOTER]));
    const deep = findNestedParts(msg, isSmimePart, { maxDepth: 3, maxParts: 100 })!;
    expect(paths(deep.found)).toEqual(['1.1', '1.2.1']);
    const shallow = findNestedParts(msg, isSmimePart, { maxDepth: 2, maxParts: 100 })!;
    expect(paths(shallow.found)).toEqual(['1.1']);
    expect(shallow.unsearched).toEqual(['part 1.2: multipart/mixed deeper than 2 levels']);
    expect(shallow.others).toEqual(['2']);
  });

  test('the part limit stops the search and says where', () => {
    const s = findNestedParts(crlf(mixed('d', [FOOTER, FOOTER, P7M, FOOTER])), isSmimePart, { maxDepth: 3, maxParts: 2 })!;
    expect(s.found).toEqual([]);
    expect(s.others).toEqual(['1', '2']);
    expect(s.unsearched).toEqual(['more than 2 parts: part 3 and after']);
  });

  test('an unclosed multipart/mixed is not searched', () => {
    const s = findNestedParts(crlf(`Subject: x\nContent-Type: multipart/mixed; boundary="u"\n\n--u\n${P7M}`), isSmimePart)!;
    expect(s.found).toEqual([]);
    expect(s.unsearched).toEqual(['the message: multipart/mixed without a usable boundary or closing delimiter']);
  });
});

describe('replacing a part', () => {
  const plain = crlf('Content-Type: text/plain; charset=utf-8\n\nThe decrypted lab results.\n');

  test('only the part changes: header, preamble, delimiters, footer and epilogue byte for byte', () => {
    const msg = crlf(mixed('b1', [P7M, FOOTER]));
    const out = replaceParts(msg, new Map([['1', plain]]));
    const p7m = crlf(P7M);
    const at = msg.indexOf(p7m);
    expect(out.equals(Buffer.concat([msg.subarray(0, at), plain, msg.subarray(at + p7m.length)]))).toBe(true);
  });

  test('a nested part (1.2) is replaced inside its multipart; nothing else moves', () => {
    const inner = `Content-Type: multipart/mixed; boundary="in"\n\n--in\n${FOOTER}\n--in\n${P7M}\n--in--\n`;
    const msg = crlf(mixed('out', [inner, FOOTER]));
    const out = replaceParts(msg, new Map([['1.2', plain]]));
    const p7m = crlf(P7M);
    const at = msg.indexOf(p7m);
    expect(out.equals(Buffer.concat([msg.subarray(0, at), plain, msg.subarray(at + p7m.length)]))).toBe(true);
  });

  test('no replacement: the same Buffer', () => {
    const msg = crlf(mixed('b1', [P7M, FOOTER]));
    expect(replaceParts(msg, new Map())).toBe(msg);
  });

  test('plaintext containing the boundary of every multipart around it: fresh boundaries, still valid MIME, parts intact', () => {
    const inner = `Content-Type: multipart/mixed; boundary="in"\n\n--in\n${P7M}\n--in\n${FOOTER}\n--in--\n`;
    const msg = crlf(mixed('out', [inner, FOOTER]));
    const evil = crlf('Content-Type: text/plain\n\nline\n--in\nContent-Type: text/html\n\n<b>injected</b>\n--out--\nafter\n');
    const out = replaceParts(msg, new Map([['1.1', evil]]));
    const top = parseEntity(out);
    const topCt = parseContentType(top.fields.find((f) => f.key === 'content-type')!.value);
    const outer = topCt.params.get('boundary')!;
    expect(outer).not.toBe('out');
    expect(top.fields.map((f) => f.key)).toEqual(['from', 'to', 'subject', 'mime-version', 'content-type']);
    expect(top.fields.slice(0, 4).map((f) => f.raw.toString('latin1')).join('')).toBe(msg.subarray(0, msg.indexOf('Content-Type:')).toString('latin1'));
    const outerParts = findMultipartParts(top.body, outer);
    expect(outerParts.closed).toBe(true);
    expect(outerParts.parts).toHaveLength(2);
    expect(top.body.subarray(outerParts.parts[1]!.start, outerParts.parts[1]!.end).equals(crlf(FOOTER))).toBe(true);
    expect(top.body.subarray(0, outerParts.parts[0]!.start).toString('latin1')).toMatch(/^This is a multi-part message in MIME format\.\r\n--/);
    expect(top.body.toString('latin1').endsWith('--\r\nepilogue text\r\n')).toBe(true);
    const mid = parseEntity(top.body.subarray(outerParts.parts[0]!.start, outerParts.parts[0]!.end));
    const innerB = parseContentType(mid.fields.find((f) => f.key === 'content-type')!.value).params.get('boundary')!;
    expect(innerB).not.toBe('in');
    const innerParts = findMultipartParts(mid.body, innerB);
    expect(innerParts.parts).toHaveLength(2);
    expect(mid.body.subarray(innerParts.parts[0]!.start, innerParts.parts[0]!.end).equals(evil)).toBe(true);
    expect(mid.body.subarray(innerParts.parts[1]!.start, innerParts.parts[1]!.end).equals(crlf(FOOTER))).toBe(true);
  });
});

describe('helpers', () => {
  test('asBodyPart: an entity loses MIME-Version; a header-protected message becomes message/rfc822', () => {
    expect(asBodyPart(crlf('MIME-Version: 1.0\nContent-Type: text/plain\n\nx\n'), false).toString('latin1')).toBe('Content-Type: text/plain\r\n\r\nx\r\n');
    expect(asBodyPart(crlf('From: a@b.example\nSubject: s\n\nx\n'), true).toString('latin1')).toBe('Content-Type: message/rfc822\r\n\r\nFrom: a@b.example\r\nSubject: s\r\n\r\nx\r\n');
  });

  test('the field names decrypted and unprotected parts; reasons name the part; part numbers sort in message order', () => {
    expect(partialDecryptionField('X-Sealgate-Decryption', 'S/MIME', ['1'], ['2'])).toBe('X-Sealgate-Decryption: partial;\r\n part 1 was encrypted (S/MIME) and is decrypted; part 2 was not encrypted\r\n');
    expect(partialDecryptionField('X-Sealgate-Decryption', 'OpenPGP', ['1.1', '3'], ['1.2', '2', '4'])).toBe(
      'X-Sealgate-Decryption: partial;\r\n parts 1.1 and 3 were encrypted (OpenPGP) and are decrypted; parts 1.2, 2 and 4 were not encrypted\r\n',
    );
    expect(partReason('inbound-smime: cannot decrypt: not encrypted to a key of ours', '1')).toBe('inbound-smime: part 1: cannot decrypt: not encrypted to a key of ours');
    expect(sortParts(['10', '2', '1.2', '1', '1.10', '1.1'])).toEqual(['1', '1.1', '1.2', '1.10', '2', '10']);
  });
});
