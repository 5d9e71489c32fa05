// Client of the routes behind the grid choropleth, the search box and the grid panel.
import { getJson, type EventRow } from './api.ts';
import type { KpiKey } from './map/choropleth.ts';
import { rowsOfColumns, type KpiColumns } from '../../api/patrol/kpi-columns.ts';

export interface StatsWindow { from: string; to: string; days: number; today: string; timezone: string; as_of: string }

/** One row of /api/stats/grids (counts and rates; see sql/queries/stats_kpi.sql). */
export type KpiRow = {
  unit_id: number; code: string; name: string; area_m2: number;
  addresses: number; registered: number;
  visit_need_address: number; visit_covered_address: number; visit_need_person: number; visit_covered_person: number;
  events_reported: number; events_due: number; events_closed: number; events_on_time: number; events_overdue_open: number;
  median_close_hours: number | null; patrol_cells: number; patrol_cells_covered: number;
  key_locations: number; key_locations_covered: number; key_location_coverage: number | null;
} & Record<KpiKey, number | null>;

export interface GridDetail {
  window: StatsWindow;
  kpi: KpiRow;
  events_by_type: { type: string; due: number; closed: number }[];
  registration_missing: { total: number; items: { address_id: number; code: string; category: string; lon: number; lat: number; missing: string[] }[] };
  visit_status: {
    counts: Record<string, Record<string, number>>;
    total: number;
    items: { subject: string; subject_id: number; code: string; address_id: number; class: string; due_day: string | null; status: string; last_standard_day: string | null }[];
  };
  overdue_events: { total: number; items: { event_id: number; code: string; type: string; severity: number; state: string; due_at: string; closed_at: string | null; overdue_hours: number }[] };
}

export interface TrendPoint extends Record<KpiKey, number | null> { from: string; to: string; available: boolean }

export interface StaffMember { role: string; staff_id: number; name: string; kind: string; phone: string | null; scope: 'grid' | 'community' | 'joint_point' }

export type SearchKind = 'grid' | 'community' | 'address' | 'key_location';
export interface SearchItem {
  kind: SearchKind; id: number; code: string; name: string; context: string | null; category: string | null;
  grid_id: number | null; lon: number; lat: number; bbox: [number, number, number, number] | null;
}
export interface SearchGroup { kind: SearchKind; truncated: boolean; items: SearchItem[] }

/** `from`/`to` query string of a window; none means the server's default (this month up to today). */
export type WindowQuery = { from: string; to: string } | null;
const windowParams = (w: WindowQuery) => (w ? `from=${w.from}&to=${w.to}` : '');

/** `timebar` follows the time bar's range (GridStats.range); the others are fixed windows ending today. */
export const PERIODS = ['timebar', 'month', '7d', '30d', '90d'] as const;
export type PeriodId = (typeof PERIODS)[number];
const PERIOD_DAYS: Record<Exclude<PeriodId, 'month' | 'timebar'>, number> = { '7d': 7, '30d': 30, '90d': 90 };

const localDay = new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai', year: 'numeric', month: '2-digit', day: '2-digit' });

/** The window of a period ending today (Asia/Shanghai); `month` is the server's default, the review cycle (月讲评). */
export function periodWindow(period: Exclude<PeriodId, 'timebar'>, now = new Date()): WindowQuery {
  if (period === 'month') return null;
  const to = localDay.format(now);
  const from = new Date(Date.parse(`${to}T00:00:00Z`) - (PERIOD_DAYS[period] - 1) * 86_400_000).toISOString().slice(0, 10);
  return { from, to };
}

export const OPEN_EVENT_STATES = ['reported', 'accepted', 'assigned', 'in_progress', 'resolved', 'escalated', 'returned'];

export const gridApi = {
  /** The columnar answer (a quarter of the rows' bytes for a city's 5,000 grids), turned into rows here. */
  kpis: async (w: WindowQuery, s?: AbortSignal): Promise<{ window: StatsWindow; rows: KpiRow[] }> => {
    const { window, columns } = await getJson<{ window: StatsWindow; columns: KpiColumns }>(`/api/stats/grids?format=columns&${windowParams(w)}`, s);
    return { window, rows: rowsOfColumns(columns) as KpiRow[] };
  },
  detail: (id: number, w: WindowQuery, s?: AbortSignal) => getJson<GridDetail>(`/api/stats/grids/${id}?limit=50&${windowParams(w)}`, s),
  trend: (id: number, s?: AbortSignal) => getJson<{ grid_id: number; points: TrendPoint[] }>(`/api/stats/grids/${id}/trend?months=6`, s),
  staff: (id: number, s?: AbortSignal) => getJson<{ grid_id: number; staff: StaffMember[] }>(`/api/grids/${id}/staff`, s),
  openEvents: (id: number, s?: AbortSignal) =>
    getJson<{ events: EventRow[] }>(`/api/events?grid_id=${id}&state=${OPEN_EVENT_STATES.join(',')}&limit=50`, s),
  search: (q: string, s?: AbortSignal) => getJson<{ q: string; limit: number; groups: SearchGroup[] }>(`/api/search?q=${encodeURIComponent(q)}`, s),
};
