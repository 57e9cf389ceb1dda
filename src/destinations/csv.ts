// Destination registry, pure core: RFC 4180 CSV parsing and validation of an import file into
// rows ready to insert, or the list of every bad row (line number and field). No I/O.
// Hand-written on purpose: the format needed is tiny (quotes, doubled quotes, CRLF/LF, quoted
// newlines) and a 60-line parser is easier to audit than a new dependency. Trust level: parses
// operator-supplied files; bounded by named limits.
import {
  DestinationError,
  type DestinationKind,
  effectiveWindow,
  normalizePattern,
  parseFlag,
  parseKind,
  parseNotes,
} from './pattern.js';

/** Largest import file accepted. */
export const CSV_MAX_BYTES = 5 * 1024 * 1024;
/** Most data rows in one import. */
export const CSV_MAX_ROWS = 50_000;
/** Most fields in one record. */
export const CSV_MAX_FIELDS = 32;

export const CSV_COLUMNS = ['pattern', 'kind', 'notes', 'effective_from', 'effective_until', 'tls_required'] as const;

export interface CsvRecord {
  /** 1-based physical line where the record starts. */
  line: number;
  fields: string[];
}

export class CsvSyntaxError extends Error {
  constructor(readonly line: number, message: string) {
    super(`line ${line}: ${message}`);
    this.name = 'CsvSyntaxError';
  }
}

/** Parse RFC 4180 text (LF or CRLF line ends, optional BOM). Blank lines are skipped. */
export function parseCsv(text: string): CsvRecord[] {
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  const records: CsvRecord[] = [];
  let line = 1;
  let i = 0;
  const n = text.length;
  while (i < n) {
    const start = line;
    const fields: string[] = [];
    for (;;) {
      let field = '';
      if (text[i] === '"') {
        i++;
        for (;;) {
          if (i >= n) throw new CsvSyntaxError(start, 'unterminated quoted field');
          const c = text[i]!;
          if (c === '"') {
            if (text[i + 1] === '"') {
              field += '"';
              i += 2;
              continue;
            }
            i++;
            break;
          }
          if (c === '\n') line++;
          field += c;
          i++;
        }
        if (i < n && text[i] !== ',' && text[i] !== '\n' && text[i] !== '\r') {
          throw new CsvSyntaxError(line, 'text after a closing quote (use "" for a quote inside a quoted field)');
        }
      } else {
        while (i < n && text[i] !== ',' && text[i] !== '\n' && text[i] !== '\r') {
          if (text[i] === '"') throw new CsvSyntaxError(line, 'quote inside an unquoted field (quote the whole field)');
          field += text[i];
          i++;
        }
      }
      fields.push(field);
      if (fields.length > CSV_MAX_FIELDS) throw new CsvSyntaxError(start, `more than ${CSV_MAX_FIELDS} fields`);
      if (i < n && text[i] === ',') {
        i++;
        continue;
      }
      break;
    }
    if (text[i] === '\r') i++;
    if (i < n) {
      if (text[i] !== '\n') throw new CsvSyntaxError(line, 'carriage return without line feed');
      i++;
    }
    line++;
    if (!(fields.length === 1 && fields[0]!.trim() === '')) records.push({ line: start, fields });
  }
  return records;
}

export interface ImportRow {
  line: number;
  pattern: string;
  kind: DestinationKind;
  notes: string;
  effectiveFrom: number | null;
  effectiveUntil: number | null;
  tlsRequired: boolean;
}

export interface RowProblem {
  line: number;
  field: string;
  message: string;
}

/**
 * Validate a whole import file. Returns every valid row, or every problem found (the caller
 * imports nothing if there is any). Header names are matched case-insensitively; `pattern` and
 * `kind` are required, the other columns optional, in any order.
 */
export function parseImport(text: string): { rows: ImportRow[]; problems: RowProblem[] } {
  if (Buffer.byteLength(text, 'utf8') > CSV_MAX_BYTES) return { rows: [], problems: [{ line: 0, field: 'file', message: `larger than ${CSV_MAX_BYTES} bytes` }] };
  let records: CsvRecord[];
  try {
    records = parseCsv(text);
  } catch (e) {
    if (e instanceof CsvSyntaxError) return { rows: [], problems: [{ line: e.line, field: 'csv', message: e.message.replace(/^line \d+: /, '') }] };
    throw e;
  }
  const header = records.shift();
  if (!header) return { rows: [], problems: [{ line: 1, field: 'header', message: `empty file; expected header ${CSV_COLUMNS.join(',')}` }] };
  const cols = header.fields.map((f) => f.trim().toLowerCase());
  const problems: RowProblem[] = [];
  for (const c of cols) {
    if (!(CSV_COLUMNS as readonly string[]).includes(c)) problems.push({ line: header.line, field: 'header', message: `unknown column "${c}" (expected ${CSV_COLUMNS.join(',')})` });
  }
  for (const c of ['pattern', 'kind']) if (!cols.includes(c)) problems.push({ line: header.line, field: 'header', message: `missing column "${c}"` });
  if (new Set(cols).size !== cols.length) problems.push({ line: header.line, field: 'header', message: 'a column is named twice' });
  if (problems.length) return { rows: [], problems };
  if (records.length > CSV_MAX_ROWS) return { rows: [], problems: [{ line: 0, field: 'file', message: `more than ${CSV_MAX_ROWS} rows` }] };

  const rows: ImportRow[] = [];
  const seen = new Map<string, number>();
  for (const r of records) {
    if (r.fields.length !== cols.length) {
      problems.push({ line: r.line, field: 'row', message: `has ${r.fields.length} fields, header has ${cols.length}` });
      continue;
    }
    const get = (c: string) => {
      const idx = cols.indexOf(c);
      return idx < 0 ? '' : r.fields[idx]!;
    };
    const before = problems.length;
    const attempt = <T>(fn: () => T): T | undefined => {
      try {
        return fn();
      } catch (e) {
        if (e instanceof DestinationError) {
          problems.push({ line: r.line, field: e.field, message: e.message.slice(e.field.length + 2) });
          return undefined;
        }
        throw e;
      }
    };
    const p = attempt(() => normalizePattern(get('pattern')));
    const kind = attempt(() => parseKind(get('kind')));
    const notes = attempt(() => parseNotes(get('notes')));
    const win = attempt(() => effectiveWindow(get('effective_from'), get('effective_until')));
    const tls = attempt(() => parseFlag(get('tls_required'), 'tls_required'));
    if (p) {
      const dup = seen.get(p.pattern);
      if (dup !== undefined) problems.push({ line: r.line, field: 'pattern', message: `"${p.pattern}" already appears on line ${dup}` });
      else seen.set(p.pattern, r.line);
    }
    if (problems.length === before) {
      rows.push({ line: r.line, pattern: p!.pattern, kind: kind!, notes: notes!, effectiveFrom: win!.from, effectiveUntil: win!.until, tlsRequired: tls! });
    }
  }
  return { rows: problems.length ? [] : rows, problems };
}

export function formatProblem(p: RowProblem): string {
  return p.line > 0 ? `line ${p.line}: ${p.field}: ${p.message}` : `${p.field}: ${p.message}`;
}
