import type { FC, GridProps } from '../api.ts';
import type { KpiRow, StatsWindow } from '../grid-api.ts';

/** The grid KPI table as exported: one column per count and rate (rates as shares 0..1, blank when there is no denominator). */
export const GRID_EXPORT_COLUMNS: [keyof KpiRow, string][] = [
  ['unit_id', '网格ID'], ['code', '网格编码'], ['name', '网格名称'], ['area_m2', '面积(平方米)'],
  ['addresses', '地址数'], ['registered', '已登记地址'], ['registration_rate', '一标三实登记率'],
  ['visit_coverage_rate', '走访覆盖率'],
  ['events_reported', '上报事件'], ['events_due', '到期事件'], ['events_closed', '已办结'], ['events_on_time', '按期办结'],
  ['closure_rate', '事件办结率'], ['on_time_rate', '按期办结率'], ['events_overdue_open', '超期未办结'], ['median_close_hours', '办结时长中位数(小时)'],
  ['patrol_coverage', '巡防覆盖率'], ['key_locations', '重点部位'], ['key_locations_covered', '重点部位已巡'], ['key_location_coverage', '重点部位巡防率'],
];

const WINDOW_COLUMNS = ['统计起', '统计止'];

export function gridTable(rows: KpiRow[], window: StatsWindow | null): { header: string[]; body: (string | number | null)[][] } {
  return {
    header: [...GRID_EXPORT_COLUMNS.map(([, h]) => h), ...WINDOW_COLUMNS],
    body: rows.map((r) => [...GRID_EXPORT_COLUMNS.map(([k]) => (r[k] ?? null) as string | number | null), window?.from ?? null, window?.to ?? null]),
  };
}

/** The same table as GeoJSON: each row on its grid's polygon (grids missing from the map are left out). */
export function gridFeatures(rows: KpiRow[], window: StatsWindow | null, grids: FC<GridProps>) {
  const { header, body } = gridTable(rows, window);
  const geometry = new Map(grids.features.map((f) => [f.properties.id, f.geometry]));
  return rows.flatMap((r, i) => {
    const g = geometry.get(r.unit_id);
    return g ? [{ geometry: g, properties: Object.fromEntries(header.map((h, k) => [h, body[i]![k] ?? null])) }] : [];
  });
}
