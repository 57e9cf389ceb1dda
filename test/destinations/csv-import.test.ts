// CSV import files: RFC 4180 parsing, and every bad row reported by line number and field.
import { describe, expect, test } from 'vitest';
import { parseCsv, parseImport, formatProblem } from '../../src/destinations/index.js';

const HEADER = 'pattern,kind,notes,effective_from,effective_until,tls_required';

describe('parseCsv', () => {
  test('quotes, doubled quotes, commas and newlines inside quotes, CRLF, BOM, blank lines', () => {
    const text = '\ufeffa,b\r\n"x, y","say ""hi"""\r\n\r\n"multi\nline",z\n';
    expect(parseCsv(text)).toEqual([
      { line: 1, fields: ['a', 'b'] },
      { line: 2, fields: ['x, y', 'say "hi"'] },
      { line: 4, fields: ['multi\nline', 'z'] },
    ]);
  });
  test('malformed quoting names the line', () => {
    expect(() => parseCsv('a,b\n"open,b\n')).toThrow(/^line 2: unterminated/);
    expect(() => parseCsv('a,b\n"x"y,b\n')).toThrow(/^line 2: text after a closing quote/);
    expect(() => parseCsv('a,b\nx"y,b\n')).toThrow(/^line 2: quote inside/);
  });
});

describe('parseImport', () => {
  test('a good file gives rows ready to insert', () => {
    const { rows, problems } = parseImport(`${HEADER}\nPartner.Example,healthcare,"Lab, Inc.",2026-01-01,2026-12-31,1\n.ba.example,business-associate,,,,\npat@mail.example,patient,,,,no\n`);
    expect(problems).toEqual([]);
    expect(rows).toEqual([
      { line: 2, pattern: 'partner.example', kind: 'healthcare', notes: 'Lab, Inc.', effectiveFrom: Date.UTC(2026, 0, 1), effectiveUntil: Date.UTC(2027, 0, 1), tlsRequired: true },
      { line: 3, pattern: '.ba.example', kind: 'business-associate', notes: '', effectiveFrom: null, effectiveUntil: null, tlsRequired: false },
      { line: 4, pattern: 'pat@mail.example', kind: 'patient', notes: '', effectiveFrom: null, effectiveUntil: null, tlsRequired: false },
    ]);
  });

  test('every bad row is reported with its line and field, and no row is returned', () => {
    const text = [
      HEADER,
      'ok.example,healthcare,,,,',
      'com,healthcare,,,,',
      'b.example,insurer,,,,',
      'c.example,patient,,2026-13-01,,',
      'd.example,patient,,,,maybe',
      '"e.example",patient,"quoted, fine",,,',
      'OK.example,healthcare,,,,',
      'f.example,patient',
      'g.example,patient,,2026-02-01,2026-01-01,',
    ].join('\n');
    const { rows, problems } = parseImport(text);
    expect(rows).toEqual([]);
    expect(problems.map(formatProblem)).toEqual([
      'line 3: pattern: "com" needs at least two labels (e.g. partner.example)',
      'line 4: kind: "insurer" is not one of healthcare, business-associate, patient',
      'line 5: effective_from: "2026-13-01" is not a calendar date',
      'line 6: tls_required: "maybe" is not 0/1 (or true/false, yes/no)',
      'line 8: pattern: "ok.example" already appears on line 2',
      'line 9: row: has 2 fields, header has 6',
      'line 10: effective_until: is before effective_from',
    ]);
  });

  test('header problems and syntax errors are reported, not thrown', () => {
    expect(parseImport('').problems.map(formatProblem)).toEqual(['line 1: header: empty file; expected header pattern,kind,notes,effective_from,effective_until,tls_required']);
    expect(parseImport('pattern,colour\n').problems.map(formatProblem)).toEqual(['line 1: header: unknown column "colour" (expected pattern,kind,notes,effective_from,effective_until,tls_required)', 'line 1: header: missing column "kind"']);
    expect(parseImport(`${HEADER}\na.example,patient,"unterminated\n`).problems.map(formatProblem)).toEqual(['line 2: csv: unterminated quoted field']);
  });

  test('optional columns may be left out and reordered', () => {
    const { rows, problems } = parseImport('Kind,Pattern\nhealthcare,x.example\n');
    expect(problems).toEqual([]);
    expect(rows[0]).toMatchObject({ pattern: 'x.example', kind: 'healthcare', tlsRequired: false });
  });
});

describe('parseCsv round trip', () => {
  test('any fields written per RFC 4180 read back unchanged, with start lines counted', async () => {
    const fc = (await import('fast-check')).default;
    const field = fc.string({ unit: fc.constantFrom('a', 'b', ' ', ',', '"', '\n', 'é', '1'), maxLength: 8 });
    const quote = (f: string) => (/[",\r\n]/.test(f) || f === '' ? `"${f.replace(/"/g, '""')}"` : f);
    fc.assert(
      fc.property(fc.array(fc.array(field, { minLength: 2, maxLength: 4 }), { minLength: 1, maxLength: 6 }), fc.boolean(), (recs, crlf) => {
        const eol = crlf ? '\r\n' : '\n';
        const text = recs.map((r) => r.map(quote).join(',')).join(eol) + eol;
        const parsed = parseCsv(text);
        expect(parsed.map((p) => p.fields)).toEqual(recs);
        let line = 1;
        recs.forEach((r, i) => {
          expect(parsed[i]!.line).toBe(line);
          line += 1 + r.join('').split('\n').length - 1;
        });
      }),
      { numRuns: 300 },
    );
  });
});
