/** CSV for Excel in China: UTF-8 with a BOM so Chinese text opens correctly, CRLF line ends. */
export function toCsv(columns: string[], rows: Record<string, unknown>[]): string {
  const cell = (v: unknown): string => {
    if (v === null || v === undefined) return '';
    const s = v instanceof Date ? v.toISOString() : typeof v === 'object' ? JSON.stringify(v) : String(v);
    // Leading = + - @ would be run as formulas by spreadsheet programs.
    const safe = typeof v !== 'number' && /^[=+\-@]/.test(s) ? `'${s}` : s;
    return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
  };
  const lines = [columns.map(cell).join(','), ...rows.map((r) => columns.map((c) => cell(r[c])).join(','))];
  return '\uFEFF' + lines.join('\r\n') + '\r\n';
}
