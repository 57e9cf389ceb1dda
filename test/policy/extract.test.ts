// Text extraction as the scorer sees it: transfer encodings, charsets, RFC 2047 headers, HTML
// (hidden text kept, scripts dropped), PDF text layers, DOCX/XLSX, RTF, forwarded messages, and the
// limits that keep hostile input bounded (MIME depth, archive depth, inflate budget).
import { describe, expect, it } from 'vitest';
import { deflateRawSync } from 'node:zlib';
import { extractText, scoreMessage } from '../../src/policy/index.js';
import { makeDocx, makeMessage, makePdf, makeXlsx, makeZip, plain } from './helpers.js';

const allText = (raw: Buffer, limits?: Parameters<typeof extractText>[1]) => extractText(raw, limits).units.map((u) => u.text).join('\n');

describe('transfer encodings and charsets', () => {
  it('decodes base64 and quoted-printable (soft line breaks, =XX escapes)', () => {
    const b64 = makeMessage({ parts: [plain('Patient reports chest pain since Monday.', 'base64')] });
    expect(allText(b64)).toContain('chest pain since Monday');
    const qp = makeMessage({ parts: [{ type: 'text/plain', body: 'Café au lait spots noted; '.repeat(5) + 'naïve résumé', encoding: 'quoted-printable' }] });
    const t = allText(qp);
    expect(t).toContain('naïve résumé');
    expect(t).not.toMatch(/=\r?\n|=C3/);
  });

  it('decodes iso-8859-1 and windows-1252 bodies', () => {
    const latin = makeMessage({ parts: [{ type: 'text/plain', charset: 'iso-8859-1', body: Buffer.from([0x4d, 0xfc, 0x6c, 0x6c, 0x65, 0x72, 0x20, 0x96, 0x20, 0x6f, 0x6b]), encoding: '8bit' }] });
    expect(allText(latin)).toContain('Müller – ok');
  });

  it('decodes RFC 2047 encoded words in any charset (B and Q), joining adjacent words', () => {
    const subjects: Array<[string, string]> = [
      ['=?utf-8?B?RnJhbsOnb2lzIE1vcnJpcw==?=', 'François Morris'],
      ['=?iso-8859-1?Q?Jos=E9_M=FCller?=', 'José Müller'],
      ['=?windows-1252?Q?=93quoted=94?=', '“quoted”'],
      ['=?koi8-r?B?8NLJ18XU?=', 'Привет'],
      ['=?utf-8?Q?a?= =?utf-8?Q?b?=', 'ab'],
      // decoded words are text: they are not read a second time as raw bytes
      ['=?utf-8?q?=C3=83=C2=A9?=', 'Ã©'],
      ['=?iso-8859-1?q?=C3=A9?=', 'Ã©'],
    ];
    for (const [raw, want] of subjects) {
      const ex = extractText(makeMessage({ subject: raw, parts: [plain('x')] }));
      expect(ex.units.find((u) => u.kind === 'subject')?.text, raw).toBe(want);
    }
  });
});

describe('HTML', () => {
  it('removes tags, scripts and styles, decodes entities, and KEEPS hidden text', () => {
    const html = '<html><head><style>.x{color:red}</style><script>var mrn="nope";</script></head><body>' +
      '<p>Dear Dr.&nbsp;Lee,</p><div style="display:none">hidden: MRN 44120077</div>' +
      '<span style="color:#fff;font-size:1px">white text</span><p>A1c &lt; 7&#37; &amp; stable &#x2014; ok</p></body></html>';
    const t = allText(makeMessage({ parts: [{ type: 'text/html', body: html, encoding: 'quoted-printable' }] }));
    expect(t).toContain('Dear Dr. Lee');
    expect(t).toContain('hidden: MRN 44120077');
    expect(t).toContain('white text');
    expect(t).toContain('A1c < 7% & stable — ok');
    expect(t).not.toContain('color:red');
    expect(t).not.toContain('nope');
    expect(t).not.toMatch(/<\/?\w/);
  });

  it('unknown entity names stay as written, including names of object members', () => {
    const t = allText(makeMessage({ parts: [{ type: 'text/html', body: '<p>a &constructor; b &toString; c &bogus; d &amp; e</p>' }] }));
    expect(t).toContain('a &constructor; b &toString; c &bogus; d & e');
  });

  it('table rows become lines, cells become tabs (a name and a diagnosis stay linked)', () => {
    const html = '<table><tr><th>Patient</th><th>Diagnosis</th></tr><tr><td>Jane Roe</td><td>Asthma</td></tr></table>';
    const t = allText(makeMessage({ parts: [{ type: 'text/html', body: html }] }));
    expect(t).toMatch(/Jane Roe\s*\tAsthma/);
  });
});

describe('attachments', () => {
  const lines = ['REFERRAL FORM', 'Patient: Jane Roe', 'MRN: 77310045', 'Diagnosis: congestive heart failure'];

  it('reads PDF text layers, uncompressed and FlateDecode', () => {
    for (const compress of [false, true]) {
      const t = allText(makeMessage({ parts: [plain('See attached.'), { type: 'application/pdf', body: makePdf(lines, compress), encoding: 'base64', filename: 'ref.pdf' }] }));
      expect(t, `compress=${compress}`).toContain('Patient: Jane Roe');
      expect(t).toContain('congestive heart failure');
    }
  });

  it('reads DOCX paragraphs and XLSX rows', () => {
    const docx = makeDocx(lines);
    const xlsx = makeXlsx([['Patient', 'Diagnosis'], ['Jane Roe', 'Asthma']]);
    const msg = makeMessage({
      parts: [
        plain('Files attached.'),
        { type: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document', body: docx, encoding: 'base64', filename: 'letter.docx' },
        { type: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet', body: xlsx, encoding: 'base64', filename: 'list.xlsx' },
      ],
    });
    const ex = extractText(msg);
    const doc = ex.units.find((u) => u.where === 'attachment letter.docx');
    expect(doc?.text).toContain('Diagnosis: congestive heart failure');
    const sheet = ex.units.find((u) => u.where === 'attachment list.xlsx');
    expect(sheet?.tabular).toBe(true);
    expect(sheet?.text).toContain('Jane Roe\tAsthma');
  });

  it('reads RTF without control words', () => {
    const rtf = '{\\rtf1\\ansi{\\fonttbl{\\f0 Arial;}}\\f0\\fs22 Patient: Jane Roe\\par Diagnosis: gout \\u8212? caf\\\'e9\\par}';
    const t = allText(makeMessage({ parts: [plain('x'), { type: 'application/rtf', body: rtf, encoding: 'base64', filename: 'n.rtf' }] }));
    expect(t).toContain('Patient: Jane Roe');
    expect(t).toContain('Diagnosis: gout — café');
    expect(t).not.toContain('fonttbl');
    expect(t).not.toContain('Arial');
  });

  it('reads CSV and forwarded messages (message/rfc822), labelled by where they came from', () => {
    const inner = makeMessage({ subject: 'Lab results for Jane Roe', parts: [plain('Potassium 6.1 mmol/L, critical value.')] });
    const msg = makeMessage({
      parts: [plain('FYI'), { type: 'text/csv', body: 'patient,dx\r\nJane Roe,asthma\r\n', filename: 'list.csv' }, { type: 'message/rfc822', body: inner }],
    });
    const ex = extractText(msg);
    expect(ex.units.find((u) => u.where === 'attachment list.csv')?.tabular).toBe(true);
    expect(ex.units.find((u) => u.where === 'forwarded message subject')?.text).toBe('Lab results for Jane Roe');
    expect(ex.units.find((u) => u.where === 'forwarded message' && u.text.includes('Potassium'))).toBeDefined();
  });
});

describe('limits', () => {
  it('zip archives are opened to the archive depth limit, deeper content is reported as not inspected', () => {
    let z = makeZip([{ name: 'deep.txt', data: 'Patient: Jane Roe MRN 99120044 asthma' }]);
    for (let i = 0; i < 4; i++) z = makeZip([{ name: `level${i}.zip`, data: z }]);
    const ex = extractText(makeMessage({ parts: [plain('x'), { type: 'application/zip', body: z, encoding: 'base64', filename: 'a.zip' }] }));
    expect(ex.units.some((u) => u.text.includes('Jane Roe'))).toBe(false);
    expect(ex.uninspected.join('\n')).toMatch(/archive nesting deeper than 3/);
    // within the limit, the text is found and named by its path
    const shallow = makeZip([{ name: 'inner.zip', data: makeZip([{ name: 'notes.txt', data: 'asthma follow-up' }]) }]);
    const ex2 = extractText(makeMessage({ parts: [plain('x'), { type: 'application/zip', body: shallow, encoding: 'base64', filename: 'b.zip' }] }));
    expect(ex2.units.find((u) => u.where === 'attachment b.zip/inner.zip/notes.txt')?.text).toBe('asthma follow-up');
  });

  it('a zip bomb stops at the inflate budget, quickly, and is reported', () => {
    const zeros = Buffer.alloc(32 * 1024 * 1024);
    const bomb = makeZip([
      { name: 'a.txt', data: zeros, claimedSize: 10 },
      { name: 'b.txt', data: zeros, claimedSize: 10 },
    ]);
    expect(bomb.length).toBeLessThan(200 * 1024);
    const t0 = Date.now();
    const ex = extractText(makeMessage({ parts: [plain('x'), { type: 'application/zip', body: bomb, encoding: 'base64', filename: 'bomb.zip' }] }), { maxInflatedBytes: 4 * 1024 * 1024 });
    expect(Date.now() - t0).toBeLessThan(5000);
    expect(ex.uninspected.join('\n')).toMatch(/bomb\.zip: entry not read/);
    const total = ex.units.reduce((n, u) => n + u.text.length, 0);
    expect(total).toBeLessThan(5 * 1024 * 1024);
  });

  it('MIME nesting beyond the depth limit is not followed and is reported; nothing throws', () => {
    let body = 'Content-Type: text/plain\r\n\r\ninnermost asthma\r\n';
    for (let i = 0; i < 60; i++) body = `Content-Type: multipart/mixed; boundary="n${i}"\r\n\r\n--n${i}\r\n${body}--n${i}--\r\n`;
    const raw = Buffer.from(`From: a@b.example\r\nSubject: deep\r\nMIME-Version: 1.0\r\n${body}`, 'latin1');
    const ex = extractText(raw);
    expect(ex.uninspected.join('\n')).toMatch(/MIME nesting deeper than 32/);
    expect(extractText(raw, { maxMimeDepth: 100 }).units.some((u) => u.text.includes('innermost asthma'))).toBe(true);
    expect(() => scoreMessage(raw)).not.toThrow();
  });

  it('rejects a zero or out-of-range limit with the key named', () => {
    expect(() => extractText(Buffer.from('x'), { maxMimeDepth: 0 })).toThrow(/policy\.limits\.maxMimeDepth/);
    expect(() => extractText(Buffer.from('x'), { maxInflatedBytes: -1 })).toThrow(/maxInflatedBytes/);
  });

  it('deflate data is inflated once even when the headers lie about sizes', () => {
    const data = deflateRawSync(Buffer.from('x'.repeat(1000)));
    expect(data.length).toBeLessThan(1000);
  });
});
