// Columnar KPI answers (GET /api/stats/grids?format=columns), shared by the API and the console:
// no imports, so the browser bundle can take it as it is.

/** Per-grid KPIs as columns: one array per key, grids in id order (index i of every array is one grid). */
export type KpiColumns = Record<string, unknown[]>;

/** The rows of a columnar KPI answer (what the rows format gives). Unequal column lengths are refused. */
export function rowsOfColumns(columns: KpiColumns): Record<string, unknown>[] {
  const keys = Object.keys(columns);
  const n = keys.length ? columns[keys[0]!]!.length : 0;
  for (const k of keys) {
    if (!Array.isArray(columns[k])) throw new Error(`KPI column ${k} is not an array`);
    if (columns[k].length !== n) throw new Error(`KPI column ${k} has ${columns[k].length} values; ${keys[0]} has ${n}`);
  }
  return Array.from({ length: n }, (_, i) => Object.fromEntries(keys.map((k) => [k, columns[k]![i]])));
}
