// An HTML body's whitespace passes are deferred until its text is needed (a duplicate
// multipart/alternative copy is dropped without them); the text it would have held must still
// count against the text limit before the next unit is admitted.
import { describe, expect, it } from 'vitest';
import { extractText } from '../../src/policy/index.js';

describe('deferred HTML alternatives', () => {
  it('a dropped HTML alternative still counts against the text limit (its whitespace tidied)', () => {
    // the HTML copy is dropped as a duplicate; the text it would have held (htmlToText, shorter
    // than its draft) is counted before the attachment is admitted
    const html = '<p>Dear   Dr.\r\n Lee</p>\r\n\r\n<table><tr><td>MRN</td>  <td>A55</td></tr></table>';
    const htmlText = 'Dear Dr. Lee\n\nMRN\tA55';
    for (const sub of [950, 980, 985, 990, 995, 1000]) {
      const raw = Buffer.from(
        `From: a@b.example\r\nSubject: ${'s'.repeat(sub)}\r\nContent-Type: multipart/mixed; boundary=m\r\n\r\n` +
          '--m\r\nContent-Type: multipart/alternative; boundary=a\r\n\r\n' +
          '--a\r\nContent-Type: text/plain\r\n\r\nDear Dr. Lee MRN A55\r\n' +
          `--a\r\nContent-Type: text/html\r\n\r\n${html}\r\n--a--\r\n` +
          `--m\r\nContent-Type: text/plain\r\nContent-Disposition: attachment; filename=n.txt\r\n\r\n${'n'.repeat(40)}\r\n--m--\r\n`,
        'latin1',
      );
      const ex = extractText(raw, { maxTextChars: 1024 });
      const room = 1024 - sub - 'Dear Dr. Lee MRN A55'.length;
      const htmlKept = room > 0 && htmlText.length <= room; // (else truncated, then not a duplicate)
      if (!htmlKept) continue;
      expect(ex.units.map((u) => u.where)).toEqual(room - htmlText.length > 0 ? ['subject', 'body', 'attachment n.txt'] : ['subject', 'body']);
      const att = ex.units.find((u) => u.where === 'attachment n.txt');
      expect(att?.text.length ?? 0).toBe(Math.max(0, Math.min(40, room - htmlText.length)));
    }
  });
});

describe('multipart/alternative copies that differ only in marks', () => {
  const alt = (plainText: string, html: string) =>
    Buffer.from(
      'From: a@clinic.example\r\nTo: b@partner.example\r\nSubject: Re: results\r\nContent-Type: multipart/alternative; boundary=a\r\n\r\n' +
        `--a\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n${plainText}\r\n` +
        `--a\r\nContent-Type: text/html; charset=utf-8\r\n\r\n${html}\r\n--a--\r\n`,
      'utf8',
    );
  const plainReply = 'Thanks, noted.\r\n\r\nOn Monday Dr. Lee wrote:\r\n> Test | Result | Units\r\n> HbA1c | 6.8 | %\r\n> Glucose | 142 | mg/dL\r\n';
  const htmlReply =
    '<p>Thanks, noted.</p><p>On Monday Dr. Lee wrote:</p><blockquote><table><tr><td>Test</td><td>Result</td><td>Units</td></tr>' +
    '<tr><td>HbA1c</td><td>6.8</td><td>%</td></tr><tr><td>Glucose</td><td>142</td><td>mg/dL</td></tr></table></blockquote>';

  it('scores one of them: the one whose values keep their units (no quote marks, no pipes)', () => {
    const ex = extractText(alt(plainReply, htmlReply));
    const bodies = ex.units.filter((u) => u.kind === 'body');
    expect(bodies).toHaveLength(1);
    expect(bodies[0]!.text).not.toContain('|');
    expect(bodies[0]!.text).toContain('142\tmg/dL');
  });

  it('keeps both when the HTML has a word the plain text lacks (hidden text is inspected)', () => {
    const hidden = htmlReply.replace('</blockquote>', '<div style="display:none">MRN 5512345</div></blockquote>');
    const ex = extractText(alt(plainReply, hidden));
    expect(ex.units.filter((u) => u.kind === 'body')).toHaveLength(2);
    expect(ex.units.map((u) => u.text).join('\n')).toContain('MRN 5512345');
  });

  it('keeps both when the texts differ in anything but white space, quote marks and pipes', () => {
    const ex = extractText(alt(plainReply.replace('142', '143'), htmlReply));
    expect(ex.units.filter((u) => u.kind === 'body')).toHaveLength(2);
  });
});
