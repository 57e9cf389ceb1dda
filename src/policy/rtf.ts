// RTF to plain text for the policy engine. Trust level: untrusted input; single linear pass with a
// bounded group stack. Hand-written because RTF's text is simply what remains after control words,
// and a library would pull in rendering the gateway never needs.

import { decodeWindows1252 } from './mime.js';
const SKIP_DESTINATIONS = new Set([
  'fonttbl', 'colortbl', 'stylesheet', 'info', 'pict', 'object', 'header', 'footer', 'headerl', 'headerr',
  'footerl', 'footerr', 'listtable', 'listoverridetable', 'rsidtbl', 'generator', 'themedata',
  'colorschememapping', 'datastore', 'latentstyles', 'xmlnstbl', 'fldinst', 'bkmkstart', 'bkmkend',
]);

const MAX_GROUP_DEPTH = 1000;

export function rtfToText(rtf: string): string {
  const out: string[] = [];
  const n = rtf.length;
  // skipDepth: when > 0 we are inside a destination being ignored, at that group depth
  let depth = 0;
  let skipAt = 0;
  let ucSkip = 1;
  let pendingSkip = 0;
  const cp1252 = { decode: decodeWindows1252 };
  let i = 0;
  while (i < n) {
    const c = rtf[i]!;
    if (c === '{') {
      depth++;
      if (depth > MAX_GROUP_DEPTH) break;
      i++;
      continue;
    }
    if (c === '}') {
      if (skipAt && depth <= skipAt) skipAt = 0;
      depth = Math.max(0, depth - 1);
      i++;
      continue;
    }
    if (c === '\\') {
      const nx = rtf[i + 1];
      if (nx === undefined) break;
      if (nx === '\\' || nx === '{' || nx === '}') {
        if (!skipAt) out.push(nx);
        i += 2;
        continue;
      }
      if (nx === "'") {
        const hex = rtf.slice(i + 2, i + 4);
        if (pendingSkip > 0) pendingSkip--;
        else if (!skipAt && /^[0-9a-fA-F]{2}$/.test(hex)) out.push(cp1252.decode(Uint8Array.of(parseInt(hex, 16))));
        i += 4;
        continue;
      }
      if (nx === '*') {
        // ignorable destination
        if (!skipAt) skipAt = depth;
        i += 2;
        continue;
      }
      if (nx === '~') {
        if (!skipAt) out.push(' ');
        i += 2;
        continue;
      }
      if (nx === '\n' || nx === '\r') {
        if (!skipAt) out.push('\n');
        i += 2;
        continue;
      }
      const m = /^([a-zA-Z]{1,32})(-?\d{1,10})? ?/.exec(rtf.slice(i + 1, i + 50));
      if (!m) {
        i += 2;
        continue;
      }
      const word = m[1]!;
      const arg = m[2] !== undefined ? Number(m[2]) : undefined;
      i += 1 + m[0].length;
      if (skipAt) continue;
      if (SKIP_DESTINATIONS.has(word)) {
        skipAt = depth;
        continue;
      }
      switch (word) {
        case 'par': case 'line': case 'row': case 'sect': case 'page':
          out.push('\n');
          break;
        case 'tab': case 'cell':
          out.push('\t');
          break;
        case 'uc':
          ucSkip = arg ?? 1;
          break;
        case 'u':
          if (arg !== undefined) {
            const cp = arg < 0 ? arg + 65536 : arg;
            if (cp > 0 && cp < 0x110000 && !(cp >= 0xd800 && cp <= 0xdfff)) out.push(String.fromCodePoint(cp));
            pendingSkip = ucSkip;
          }
          break;
        case 'emdash': case 'endash':
          out.push('-');
          break;
        case 'lquote': case 'rquote':
          out.push("'");
          break;
        case 'ldblquote': case 'rdblquote':
          out.push('"');
          break;
        default:
          break;
      }
      continue;
    }
    if (c === '\r' || c === '\n') {
      i++;
      continue;
    }
    if (!skipAt) {
      if (pendingSkip > 0) pendingSkip--;
      else out.push(c);
    }
    i++;
  }
  return out.join('');
}
