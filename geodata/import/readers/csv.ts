import { ImportError } from '../errors.ts';
import type { ParsedInput, ReadContext, SourceRecord } from './types.ts';

/**
 * RFC 4180 CSV with the variations spreadsheets produce: comma, semicolon or tab separators,
 * CRLF or LF, quoted fields with doubled quotes and embedded newlines. Values stay strings;
 * typing happens in field mapping, where the target field says what a value must be.
 */

function detectDelimiter(text: string): string {
  const firstLine = text.slice(0, text.search(/\r?\n|$/));
  let best = ',';
  let bestCount = 0;
  for (const d of [',', ';', '\t', '|']) {
    let count = 0;
    let quoted = false;
    for (const c of firstLine) {
      if (c === '"') quoted = !quoted;
      else if (c === d && !quoted) count++;
    }
    if (count > bestCount) {
      best = d;
      bestCount = count;
    }
  }
  return best;
}

interface RawRow {
  fields: string[];
  line: number;
}

function* tokenize(text: string, delimiter: string): Generator<RawRow> {
  const n = text.length;
  const d = delimiter.charCodeAt(0);
  let i = 0;
  let line = 1;
  while (i < n) {
    const startLine = line;
    const fields: string[] = [];
    for (;;) {
      let field: string;
      if (text.charCodeAt(i) === 0x22) {
        // Quoted field: runs to the next lone quote, across newlines.
        let value = '';
        let from = ++i;
        for (;;) {
          const q = text.indexOf('"', from);
          if (q < 0) {
            throw new ImportError('PARSE_ERROR', `CSV: quoted field opened on line ${startLine} is never closed (truncated file?)`, {
              line: startLine,
            });
          }
          value += text.slice(from, q);
          if (text.charCodeAt(q + 1) === 0x22) {
            value += '"';
            from = q + 2;
            continue;
          }
          i = q + 1;
          break;
        }
        for (const c of value) if (c === '\n') line++;
        // Anything between the closing quote and the delimiter is kept, as spreadsheets do.
        const rest = i;
        while (i < n && text.charCodeAt(i) !== d && text.charCodeAt(i) !== 0x0a && text.charCodeAt(i) !== 0x0d) i++;
        field = value + text.slice(rest, i);
      } else {
        // Unquoted: a slice up to the next delimiter or line end, not character-by-character.
        const start = i;
        while (i < n) {
          const c = text.charCodeAt(i);
          if (c === d || c === 0x0a || c === 0x0d) break;
          i++;
        }
        field = text.slice(start, i);
      }
      fields.push(field);
      if (i < n && text.charCodeAt(i) === d) {
        i++;
        continue;
      }
      if (text.charCodeAt(i) === 0x0d) i++;
      if (text.charCodeAt(i) === 0x0a) i++;
      line++;
      break;
    }
    // Blank lines (often a trailing one) are not records.
    if (!(fields.length === 1 && fields[0]!.trim() === '')) yield { fields, line: startLine };
  }
}

export function readCsv(text: string, encoding: string, ctx: ReadContext): ParsedInput {
  const delimiter = detectDelimiter(text);
  const rows = tokenize(text, delimiter);
  const header = rows.next();
  if (header.done) throw new ImportError('NO_RECORDS', 'CSV has no header row');
  const seen = new Map<string, number>();
  const columns = header.value.fields.map((raw, idx) => {
    let name = raw.trim() || `column_${idx + 1}`;
    const count = seen.get(name) ?? 0;
    seen.set(name, count + 1);
    if (count > 0) {
      ctx.log.warn({ row: null, field: name, code: 'COLUMN_RENAMED', message: `CSV header repeats column "${name}"; the repeat is named "${name}_${count + 1}"` });
      name = `${name}_${count + 1}`;
    }
    return name;
  });
  const records: SourceRecord[] = [];
  let row = 0;
  for (const { fields, line } of rows) {
    row++;
    if (fields.length !== columns.length) {
      const extraEmpty = fields.length > columns.length && fields.slice(columns.length).every((f) => f.trim() === '');
      if (!extraEmpty) {
        ctx.log.error({
          row,
          line,
          field: null,
          code: 'ROW_SHAPE',
          message: `row ${row} (line ${line}) has ${fields.length} columns, the header has ${columns.length}`,
        });
        records.push({ row, line, props: {} });
        continue;
      }
    }
    const props: Record<string, unknown> = {};
    columns.forEach((c, k) => {
      props[c] = fields[k] ?? '';
    });
    records.push({ row, line, props });
  }
  return { format: 'csv', encoding, declaredCrs: null, records, columns };
}
