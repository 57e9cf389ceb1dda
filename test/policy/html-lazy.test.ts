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
