// HTML from outside mail, made safe to show in the portal: an allowlist of formatting tags, no
// attributes except http(s)/mailto links, no scripts, styles, forms, frames or remote content
// (images are replaced by a notice). The page CSP is the second wall. Pure.
// Trust level: processes untrusted HTML; output contains only tags and attributes it wrote itself.
import { esc } from './http.js';

const ALLOWED = new Set(['p', 'br', 'b', 'i', 'u', 's', 'strong', 'em', 'small', 'sub', 'sup', 'ul', 'ol', 'li', 'dl', 'dt', 'dd', 'table', 'thead', 'tbody', 'tfoot', 'tr', 'td', 'th', 'caption', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'blockquote', 'pre', 'code', 'span', 'div', 'a', 'hr']);
const VOID = new Set(['br', 'hr']);
/** Elements dropped together with their content. */
const DROP_CONTENT = new Set(['script', 'style', 'head', 'title', 'iframe', 'object', 'embed', 'noscript', 'template', 'svg', 'math', 'textarea', 'select', 'frameset', 'applet']);

const TOKEN = /<!--[\s\S]*?(?:-->|$)|<!\[CDATA\[[\s\S]*?(?:\]\]>|$)|<[!?][^>]*>?|<(\/?)([a-zA-Z][a-zA-Z0-9-]*)((?:[^>"']|"[^"]*"|'[^']*')*)>/g;

function safeHref(attrs: string): string | null {
  const m = /\bhref\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))/i.exec(attrs);
  const raw = (m?.[1] ?? m?.[2] ?? m?.[3] ?? '').replace(/&amp;/g, '&').replace(/[\u0000-\u0020]/g, '');
  return /^(https?:|mailto:)/i.test(raw) ? raw : null;
}

export interface Sanitized {
  html: string;
  blockedImages: number;
}

export function sanitizeHtml(input: string): Sanitized {
  let out = '';
  let last = 0;
  let dropping: string | null = null;
  let blockedImages = 0;
  const open: string[] = [];
  const text = (s: string) => (dropping ? '' : s.replace(/</g, '&lt;').replace(/>/g, '&gt;'));
  for (const m of input.matchAll(TOKEN)) {
    out += text(input.slice(last, m.index));
    last = m.index! + m[0].length;
    const name = m[2]?.toLowerCase();
    if (!name) continue; // comments, doctype, CDATA, processing instructions
    const closing = m[1] === '/';
    if (dropping) {
      if (closing && name === dropping) dropping = null;
      continue;
    }
    if (DROP_CONTENT.has(name)) {
      if (!closing) dropping = name;
      continue;
    }
    if (name === 'img' && !closing) {
      blockedImages++;
      out += '<span class="muted">[image blocked]</span>';
      continue;
    }
    if (!ALLOWED.has(name)) continue;
    if (closing) {
      const i = open.lastIndexOf(name);
      if (i >= 0) {
        out += open.splice(i).reverse().map((t) => `</${t}>`).join('');
      }
      continue;
    }
    if (name === 'a') {
      const href = safeHref(m[3] ?? '');
      out += href ? `<a href="${esc(href)}" rel="noopener noreferrer nofollow" target="_blank">` : '<a>';
    } else out += `<${name}>`;
    if (!VOID.has(name)) open.push(name);
  }
  out += text(input.slice(last));
  out += open.reverse().map((t) => `</${t}>`).join('');
  return { html: out, blockedImages };
}
