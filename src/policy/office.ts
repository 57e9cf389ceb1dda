// Text from office documents for the policy engine: DOCX (word/document.xml), XLSX (shared strings
// + worksheets, one line per row), ODT/ODS (content.xml). Trust level: untrusted documents; reads
// through zip.ts under the message's inflate budget; XML is reduced with linear regex passes.
import { decodeEntities } from './html.js';
import { type InflateBudget, listZip, readZipEntry, type ZipEntry } from './zip.js';

export type OfficeKind = 'docx' | 'xlsx' | 'pptx' | 'odf';

export function officeKind(entries: ZipEntry[]): OfficeKind | undefined {
  const names = new Set(entries.map((e) => e.name));
  if (names.has('word/document.xml')) return 'docx';
  if (names.has('xl/workbook.xml')) return 'xlsx';
  if ([...names].some((n) => n.startsWith('ppt/slides/'))) return 'pptx';
  if (names.has('content.xml') && names.has('mimetype')) return 'odf';
  return undefined;
}

function xmlText(xml: string, paraTags: RegExp, cellTags?: RegExp): string {
  let s = xml.replace(/<w:tab\/>|<text:tab\/>/g, '\t');
  if (cellTags) s = s.replace(cellTags, '\t');
  s = s.replace(paraTags, '\n');
  s = s.replace(/<[^>]{0,4000}>/g, '');
  return decodeEntities(s);
}

/** Extract text from an office zip; returns undefined if it is not a known office document. */
export function officeToText(buf: Buffer, budget: InflateBudget, maxEntries: number): string | undefined {
  const entries = listZip(buf, maxEntries);
  const kind = officeKind(entries);
  if (!kind) return undefined;
  const get = (e: ZipEntry) => {
    const b = readZipEntry(buf, e, budget);
    return b ? b.toString('utf8') : '';
  };
  const byName = new Map(entries.map((e) => [e.name, e]));
  if (kind === 'docx') {
    const parts = entries.filter((e) => /^word\/(document|header\d*|footer\d*|footnotes|endnotes|comments)\.xml$/.test(e.name));
    return parts.map((e) => xmlText(get(e), /<\/w:p>|<w:br\/>|<\/w:tr>/g, /<\/w:tc>/g)).join('\n');
  }
  if (kind === 'pptx') {
    const parts = entries.filter((e) => /^ppt\/(slides\/slide\d+|notesSlides\/notesSlide\d+)\.xml$/.test(e.name));
    return parts.map((e) => xmlText(get(e), /<\/a:p>/g)).join('\n');
  }
  if (kind === 'odf') {
    const e = byName.get('content.xml')!;
    return xmlText(get(e), /<\/text:p>|<\/text:h>|<text:line-break\/>|<\/table:table-row>/g, /<\/table:table-cell>/g);
  }
  // xlsx: shared strings, then each sheet row by row
  const shared: string[] = [];
  const sst = byName.get('xl/sharedStrings.xml');
  if (sst) {
    const xml = get(sst);
    const re = /<si>([\s\S]*?)<\/si>/g;
    let m: RegExpExecArray | null;
    while ((m = re.exec(xml))) shared.push(decodeEntities(m[1]!.replace(/<rPh[\s\S]*?<\/rPh>/g, '').replace(/<[^>]*>/g, '')));
  }
  const lines: string[] = [];
  for (const e of entries) {
    if (!/^xl\/worksheets\/sheet\d+\.xml$/.test(e.name)) continue;
    const xml = get(e);
    const rowRe = /<row\b[^>]*>([\s\S]*?)<\/row>/g;
    let r: RegExpExecArray | null;
    while ((r = rowRe.exec(xml))) {
      const cells: string[] = [];
      const cellRe = /<c\b([^>]*?)(?:\/>|>([\s\S]*?)<\/c>)/g;
      let c: RegExpExecArray | null;
      while ((c = cellRe.exec(r[1]!))) {
        const attrs = c[1] ?? '';
        const inner = c[2] ?? '';
        const t = /\bt="([^"]*)"/.exec(attrs)?.[1];
        const v = /<v>([\s\S]*?)<\/v>/.exec(inner)?.[1];
        if (t === 's' && v !== undefined) cells.push(shared[Number(v)] ?? '');
        else if (t === 'inlineStr') cells.push(decodeEntities(inner.replace(/<[^>]*>/g, '')));
        else if (v !== undefined) cells.push(decodeEntities(v));
      }
      lines.push(cells.join('\t'));
    }
  }
  return lines.join('\n');
}
