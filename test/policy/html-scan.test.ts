// htmlToText runs its tag passes as one indexOf scan (comments and CDATA sections detected in the
// scan itself); it must agree exactly with the regex chain that specifies it, on tag soup with
// comments, CDATA, scripts, table cells, block tags, line breaks and dangling '<'.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { decodeEntities, htmlToText } from '../../src/policy/html.js';

const BLOCK = /<\/?(?:p|div|br|hr|li|ul|ol|h[1-6]|tr|table|tbody|thead|tfoot|section|article|header|footer|blockquote|pre|title|dt|dd|dl|address|center|form|fieldset|caption|nav|aside|main)\b[^>]*>/gi;
const CELL = /<\/?(?:td|th)\b[^>]*>/gi;

function reference(html: string): string {
  let s = html.replace(/<!--[\s\S]*?(?:-->|$)/g, ' ');
  s = s.replace(/<(script|style|template)\b[^>]*>[\s\S]*?(?:<\/\1\s*>|$)/gi, ' ');
  s = s.replace(/<!\[CDATA\[([\s\S]*?)\]\]>/g, '$1');
  s = s.replace(/\r?\n/g, ' ');
  s = s.replace(CELL, '\t');
  s = s.replace(BLOCK, '\n');
  s = s.replace(/<[^>]{0,4000}>/g, '');
  s = s.replace(/<(?=[a-zA-Z/!?])/g, ' ');
  s = decodeEntities(s);
  s = s.replace(/[ \u00a0]{2,}/g, ' ');
  s = s.replace(/ *\t[ \t]*/g, '\t');
  return s.replace(/\n[ \t]*\n[\s]*/g, '\n\n').trim();
}

const PIECES = [
  'a', 'Bo', ' ', '  ', '\t', '\n', '\r\n', '\r', '\u00a0', '<', '>', '!', '-', '--', '/', '[', ']', ']]>', '&amp;', '&lt;',
  '<p>', '</p>', '<td>', '</td>', '<tr>', '<TD class=x>', '<br/>', '<span>', '<table>', '<!--', '-->', '<!-->', '<![CDATA[',
  '<!DOCTYPE html>', '<script>', '</script>', '<style a="1">', '</STYLE >', '<template>', '</template>', '<stylex>', 'x<', '<a',
];

describe('htmlToText', () => {
  it('agrees with the regex chain', () => {
    expect(htmlToText('<p>a<!-- b -->c</p>')).toBe(reference('<p>a<!-- b -->c</p>'));
    expect(htmlToText('<script><!-- </script> -->x')).toBe(reference('<script><!-- </script> -->x'));
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...PIECES), { maxLength: 30 }), (parts) => {
        const html = parts.join('');
        expect(htmlToText(html)).toBe(reference(html));
      }),
      { numRuns: 30000 },
    );
  });
});
