// A read-only view of a message for the pickup portal: From, To, Date, Subject, the best text and
// HTML bodies, and attachments (decoded). Built on the policy engine's tolerant MIME primitives;
// multipart/signed (a domain signature) is read through its first part. Bounded depth and parts.
// Trust level: parses untrusted bytes; never throws on malformed input.
import { decodeHeaderText, decodeLatin1Bytes, decodeTransfer, headerValue, parseHead, parseStructured, splitMultipart } from '../policy/mime.js';

export const VIEW_MAX_DEPTH = 10;
export const VIEW_MAX_PARTS = 200;
const HEADER_MAX = 256 * 1024;

export interface ViewAttachment {
  filename: string;
  contentType: string;
  data: Buffer;
}

export interface MessageView {
  from: string;
  to: string;
  date: string;
  subject: string;
  messageId: string;
  text?: string;
  html?: string;
  attachments: ViewAttachment[];
}

export function viewMessage(raw: Buffer): MessageView {
  const s = raw.toString('latin1');
  const head = parseHead(s, 0, s.length, HEADER_MAX);
  const h = (n: string) => decodeHeaderText(headerValue(head.fields, n) ?? '');
  const v: MessageView = { from: h('from'), to: h('to'), date: h('date'), subject: h('subject'), messageId: (headerValue(head.fields, 'message-id') ?? '').trim(), attachments: [] };
  let parts = 0;
  const walk = (start: number, end: number, fields: typeof head.fields, bodyStart: number, depth: number) => {
    if (depth > VIEW_MAX_DEPTH || ++parts > VIEW_MAX_PARTS) return;
    const ct = parseStructured(headerValue(fields, 'content-type'), 'text/plain');
    const disp = parseStructured(headerValue(fields, 'content-disposition'), 'inline');
    const filename = disp.params.filename ?? ct.params.name;
    if (ct.type.startsWith('multipart/') && ct.params.boundary) {
      const ranges = splitMultipart(s, bodyStart, end, ct.params.boundary, VIEW_MAX_PARTS);
      const list = ct.type === 'multipart/signed' ? ranges.slice(0, 1) : ranges;
      for (const [a, b] of list) {
        const ph = parseHead(s, a, b, HEADER_MAX);
        walk(a, b, ph.fields, ph.bodyStart, depth + 1);
      }
      return;
    }
    const data = decodeTransfer(s.slice(bodyStart, end), (headerValue(fields, 'content-transfer-encoding') ?? '7bit').trim().toLowerCase());
    const isAttachment = disp.type === 'attachment' || (filename !== undefined && !ct.type.startsWith('text/')) || (!ct.type.startsWith('text/') && ct.type !== 'message/rfc822');
    if (!isAttachment && ct.type === 'text/plain' && v.text === undefined) v.text = decodeLatin1Bytes(data.toString('latin1'), ct.params.charset);
    else if (!isAttachment && ct.type === 'text/html' && v.html === undefined) v.html = decodeLatin1Bytes(data.toString('latin1'), ct.params.charset);
    else v.attachments.push({ filename: decodeHeaderText(filename ?? `part-${v.attachments.length + 1}`), contentType: ct.type, data });
    void start;
  };
  walk(0, s.length, head.fields, head.bodyStart, 0);
  return v;
}
