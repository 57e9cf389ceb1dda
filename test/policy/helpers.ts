// Builders for policy tests: MIME messages, ZIP archives (stored/deflated, with CRC-32), DOCX/XLSX
// containers, and small PDFs (plain or FlateDecode content streams). Test-only; synthetic data.
import { deflateRawSync, deflateSync } from 'node:zlib';

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

export function crc32(buf: Buffer): number {
  let c = 0xffffffff;
  for (let i = 0; i < buf.length; i++) c = CRC_TABLE[(c ^ buf[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

export interface ZipInput {
  name: string;
  data: Buffer | string;
  /** Store uncompressed instead of deflating. */
  store?: boolean;
  /** Lie about the uncompressed size in the headers (bomb tests). */
  claimedSize?: number;
}

/** A standard ZIP archive (local headers, central directory, end record). */
export function makeZip(entries: ZipInput[]): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const e of entries) {
    const data = Buffer.isBuffer(e.data) ? e.data : Buffer.from(e.data, 'utf8');
    const comp = e.store ? data : deflateRawSync(data);
    const name = Buffer.from(e.name, 'utf8');
    const crc = crc32(data);
    const size = e.claimedSize ?? data.length;
    const lh = Buffer.alloc(30);
    lh.writeUInt32LE(0x04034b50, 0);
    lh.writeUInt16LE(20, 4);
    lh.writeUInt16LE(0x800, 6);
    lh.writeUInt16LE(e.store ? 0 : 8, 8);
    lh.writeUInt32LE(crc, 14);
    lh.writeUInt32LE(comp.length, 18);
    lh.writeUInt32LE(size, 22);
    lh.writeUInt16LE(name.length, 26);
    const ch = Buffer.alloc(46);
    ch.writeUInt32LE(0x02014b50, 0);
    ch.writeUInt16LE(20, 4);
    ch.writeUInt16LE(20, 6);
    ch.writeUInt16LE(0x800, 8);
    ch.writeUInt16LE(e.store ? 0 : 8, 10);
    ch.writeUInt32LE(crc, 16);
    ch.writeUInt32LE(comp.length, 20);
    ch.writeUInt32LE(size, 24);
    ch.writeUInt16LE(name.length, 28);
    ch.writeUInt32LE(offset, 42);
    locals.push(lh, name, comp);
    centrals.push(ch, name);
    offset += 30 + name.length + comp.length;
  }
  const cd = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(cd.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, cd, end]);
}

const xmlEsc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

export function makeDocx(paragraphs: string[]): Buffer {
  const body = paragraphs.map((p) => `<w:p><w:r><w:t xml:space="preserve">${xmlEsc(p)}</w:t></w:r></w:p>`).join('');
  return makeZip([
    { name: '[Content_Types].xml', data: '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>' },
    { name: 'word/document.xml', data: `<?xml version="1.0"?><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>${body}</w:body></w:document>` },
  ]);
}

export function makeXlsx(rows: string[][]): Buffer {
  const shared: string[] = [];
  const idx = (s: string) => {
    let i = shared.indexOf(s);
    if (i < 0) i = shared.push(s) - 1;
    return i;
  };
  const sheetRows = rows
    .map((r, ri) => `<row r="${ri + 1}">${r.map((c) => `<c t="s"><v>${idx(c)}</v></c>`).join('')}</row>`)
    .join('');
  return makeZip([
    { name: '[Content_Types].xml', data: '<?xml version="1.0"?><Types/>' },
    { name: 'xl/workbook.xml', data: '<?xml version="1.0"?><workbook/>' },
    { name: 'xl/sharedStrings.xml', data: `<?xml version="1.0"?><sst>${shared.map((s) => `<si><t>${xmlEsc(s)}</t></si>`).join('')}</sst>` },
    { name: 'xl/worksheets/sheet1.xml', data: `<?xml version="1.0"?><worksheet><sheetData>${sheetRows}</sheetData></worksheet>` },
  ]);
}

/** A one-page PDF whose content stream shows each line with Tj (optionally FlateDecode). */
export function makePdf(lines: string[], compress = false): Buffer {
  const esc = (s: string) => s.replace(/\\/g, '\\\\').replace(/\(/g, '\\(').replace(/\)/g, '\\)');
  const content = `BT /F1 11 Tf 72 720 Td 14 TL\n${lines.map((l, i) => (i === 0 ? `(${esc(l)}) Tj` : `T* (${esc(l)}) Tj`)).join('\n')}\nET`;
  const data = compress ? deflateSync(Buffer.from(content, 'latin1')) : Buffer.from(content, 'latin1');
  const objs = [
    '<< /Type /Catalog /Pages 2 0 R >>',
    '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
    '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>',
    null,
    '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>',
  ];
  const parts: Buffer[] = [Buffer.from('%PDF-1.4\n', 'latin1')];
  objs.forEach((o, i) => {
    if (o === null) {
      parts.push(Buffer.from(`${i + 1} 0 obj\n<< /Length ${data.length}${compress ? ' /Filter /FlateDecode' : ''} >>\nstream\n`, 'latin1'), data, Buffer.from('\nendstream\nendobj\n', 'latin1'));
    } else parts.push(Buffer.from(`${i + 1} 0 obj\n${o}\nendobj\n`, 'latin1'));
  });
  parts.push(Buffer.from('trailer\n<< /Root 1 0 R >>\n%%EOF\n', 'latin1'));
  return Buffer.concat(parts);
}

export interface PartSpec {
  type: string;
  body: Buffer | string;
  encoding?: 'base64' | 'quoted-printable' | '7bit' | '8bit';
  filename?: string;
  charset?: string;
}

function encodeBody(p: PartSpec): string {
  const buf = Buffer.isBuffer(p.body) ? p.body : Buffer.from(p.body, (p.charset ?? 'utf-8') === 'utf-8' ? 'utf8' : 'latin1');
  if (p.encoding === 'base64') return buf.toString('base64').replace(/.{76}/g, '$&\r\n');
  if (p.encoding === 'quoted-printable') {
    let out = '';
    let line = '';
    for (const b of buf) {
      const ch = b === 10 ? '\n' : b === 13 ? '' : b < 33 && b !== 32 ? `=${b.toString(16).toUpperCase().padStart(2, '0')}` : b > 126 || b === 61 ? `=${b.toString(16).toUpperCase().padStart(2, '0')}` : String.fromCharCode(b);
      if (ch === '\n') {
        out += line + '\r\n';
        line = '';
        continue;
      }
      if (line.length + ch.length > 72) {
        out += line + '=\r\n';
        line = '';
      }
      line += ch;
    }
    return out + line;
  }
  return buf.toString('latin1').replace(/\r?\n/g, '\r\n');
}

function partHeaders(p: PartSpec): string {
  const cs = p.type.startsWith('text/') ? `; charset=${p.charset ?? 'utf-8'}` : '';
  const h = [`Content-Type: ${p.type}${cs}${p.filename ? `; name="${p.filename}"` : ''}`];
  if (p.encoding) h.push(`Content-Transfer-Encoding: ${p.encoding}`);
  if (p.filename) h.push(`Content-Disposition: attachment; filename="${p.filename}"`);
  return h.join('\r\n');
}

/** A message: headers (From/To/Subject given raw), then one part or multipart/mixed of parts. */
export function makeMessage(opts: { from?: string; to?: string; subject?: string; parts: PartSpec[]; extraHeaders?: string[] }): Buffer {
  const head = [
    `From: ${opts.from ?? 'Clinic Staff <staff@clinic.example>'}`,
    `To: ${opts.to ?? 'Partner Office <office@partner.example>'}`,
    `Subject: ${opts.subject ?? 'Update'}`,
    'Date: Mon, 01 Jul 2024 10:00:00 +0000',
    'Message-ID: <t1@clinic.example>',
    'MIME-Version: 1.0',
    ...(opts.extraHeaders ?? []),
  ];
  if (opts.parts.length === 1) {
    const p = opts.parts[0]!;
    return Buffer.from(`${head.join('\r\n')}\r\n${partHeaders(p)}\r\n\r\n${encodeBody(p)}\r\n`, 'latin1');
  }
  const b = 'b-' + Math.random().toString(36).slice(2);
  const body = opts.parts.map((p) => `--${b}\r\n${partHeaders(p)}\r\n\r\n${encodeBody(p)}\r\n`).join('');
  return Buffer.from(`${head.join('\r\n')}\r\nContent-Type: multipart/mixed; boundary="${b}"\r\n\r\n${body}--${b}--\r\n`, 'latin1');
}

export const plain = (body: string, encoding: PartSpec['encoding'] = '7bit'): PartSpec => ({ type: 'text/plain', body, encoding });
