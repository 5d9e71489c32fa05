/**
 * CSV for Excel: UTF-8 with a BOM (without it Excel in China opens UTF-8 as GBK and garbles every
 * Chinese character), CRLF line ends, and text cells that would start a formula neutralised.
 */

export type CsvValue = string | number | boolean | Date | null | undefined;

function cell(v: CsvValue): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : '';
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  let s = v instanceof Date ? v.toISOString() : v;
  // A title like "=HYPERLINK(...)" typed into the console must not run as a formula in Excel.
  if (/^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function toCsv(header: string[], rows: CsvValue[][]): Uint8Array {
  const lines = [header.map(cell).join(','), ...rows.map((r) => r.map(cell).join(','))];
  const body = new TextEncoder().encode(lines.join('\r\n') + '\r\n');
  const out = new Uint8Array(body.length + 3);
  out.set([0xef, 0xbb, 0xbf], 0);
  out.set(body, 3);
  return out;
}
