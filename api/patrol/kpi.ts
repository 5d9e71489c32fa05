import type { QueryCatalog } from '../db/queries.ts';
import type { Db } from '../db/types.ts';
import type { Owner } from '../db/owner.ts';
import { ApiError } from '../http/errors.ts';
import type { KpiColumns } from './kpi-columns.ts';

export { rowsOfColumns, type KpiColumns } from './kpi-columns.ts';

export const MAX_WINDOW_DAYS = 1096;

export interface StatsWindow {
  from: string;
  to: string;
  days: number;
  today: string;
  timezone: string;
  as_of: string;
}

interface WindowRow {
  today: string;
  timezone: string;
  horizon: string | null;
  through: string | null;
  as_of: Date;
}

const DAY_MS = 86_400_000;

export async function todayOf(sql: Db, queries: QueryCatalog): Promise<string> {
  const [w] = await queries.run<WindowRow>(sql, 'stats_window', [null]);
  return w!.today;
}

const dayNumber = (d: string) => Date.parse(`${d}T00:00:00Z`) / DAY_MS;

/**
 * Resolves a window: `to` defaults to today and is clamped to it, `from` defaults to the first day
 * of `to`'s month (the monthly review cycle, 月讲评). Visit coverage is a daily snapshot, so `to`
 * must not be older than the kept history.
 */
export async function resolveWindow(sql: Db, queries: QueryCatalog, q: { from?: string | undefined; to?: string | undefined }): Promise<StatsWindow> {
  const [today] = await queries.run<WindowRow>(sql, 'stats_window', [null]);
  const t = today!.today;
  const to = q.to === undefined || q.to > t ? t : q.to;
  const from = q.from ?? `${to.slice(0, 8)}01`;
  if (from > to) throw new ApiError(400, 'invalid_input', `from (${from}) is after to (${to})`, [{ location: 'query parameters', path: 'from', message: 'from must not be after to' }]);
  const days = dayNumber(to) - dayNumber(from) + 1;
  if (days > MAX_WINDOW_DAYS) throw new ApiError(400, 'invalid_input', `the window is ${days} days; at most ${MAX_WINDOW_DAYS}`, [{ location: 'query parameters', path: 'from', message: 'window too long' }]);
  if (today!.horizon !== null && to < today!.horizon) {
    throw new ApiError(422, 'window_before_history', `visit coverage is kept from ${today!.horizon}; the window must end on or after it`, { horizon: today!.horizon });
  }
  const [end] = await queries.run<WindowRow>(sql, 'stats_window', [to]);
  return { from, to, days, today: t, timezone: today!.timezone, as_of: end!.as_of.toISOString() };
}

const rate = (n: number, d: number): number | null => (d > 0 ? n / d : null);

/** Counts (and the grid's own shares) as stats_kpi returns them, shared by every level. */
interface Counts {
  area_m2: number;
  addresses: number;
  registered: number;
  visit_need_address: number;
  visit_covered_address: number;
  visit_need_person: number;
  visit_covered_person: number;
  events_reported: number;
  events_due: number;
  events_closed: number;
  events_on_time: number;
  events_overdue_open: number;
  median_close_hours: number | null;
  patrol_cells: number;
  patrol_cells_covered: number;
  patrol_coverage: number | null;
  key_locations: number;
  key_locations_covered: number;
}

export interface GridDbRow extends Counts {
  grid_id: number;
  code: string;
  name: string;
  community_id: number;
  subdistrict_id: number;
}

interface UnitDbRow {
  unit_id: number;
  code: string;
  name: string;
  parent_id: number | null;
  median_close_hours: number | null;
}

const SUMMED = ['addresses', 'registered', 'visit_need_address', 'visit_covered_address', 'visit_need_person', 'visit_covered_person',
  'events_reported', 'events_due', 'events_closed', 'events_on_time', 'events_overdue_open', 'patrol_cells', 'patrol_cells_covered',
  'key_locations', 'key_locations_covered'] as const;

/** Counts as stored plus the rates derived from them (null when the denominator is 0). */
function withRates<T extends Counts>(r: T) {
  const need = r.visit_need_address + r.visit_need_person;
  const covered = r.visit_covered_address + r.visit_covered_person;
  return {
    ...r,
    registration_rate: rate(r.registered, r.addresses),
    visit_coverage_rate: rate(covered, need),
    visit_coverage_rate_address: rate(r.visit_covered_address, r.visit_need_address),
    visit_coverage_rate_person: rate(r.visit_covered_person, r.visit_need_person),
    closure_rate: rate(r.events_closed, r.events_due),
    on_time_rate: rate(r.events_on_time, r.events_due),
    key_location_coverage: rate(r.key_locations_covered, r.key_locations),
  };
}

export type KpiRow = ReturnType<typeof withRates<Counts & { unit_id: number; code: string; name: string; parent_id: number | null; grids: number }>>;

export type Level = 'grid' | 'community' | 'subdistrict';

/** Up to this many grids are computed directly; more are read from the kept window (migration 00014). */
export const DIRECT_KPI_GRIDS = 50;

/** Applies pending marks and makes sure the window is kept (filled the first time), before reading it. */
async function keepWindow(db: Db, w: StatsWindow): Promise<void> {
  await db`SELECT kpi_window_refresh(true), kpi_window_ensure(${w.from}::date, ${w.to}::date)`;
}

/**
 * The grids' KPI counts for a window. A few grids (a drill-down, a trend) are computed directly
 * from the daily aggregates; a whole jurisdiction reads the window's kept per-grid facts, filled on
 * first use and brought up to date here for grids whose aggregates changed since. `db` must have
 * the owner's rights (it may write the kept window).
 */
export async function gridKpis(db: Db, queries: QueryCatalog, w: StatsWindow, only: number[] | null): Promise<GridDbRow[]> {
  if (only !== null && only.length <= DIRECT_KPI_GRIDS) return queries.run<GridDbRow>(db, 'stats_kpi', [w.from, w.to, w.as_of, only, false]);
  await keepWindow(db, w);
  return queries.run<GridDbRow>(db, 'stats_kpi', [w.from, w.to, w.as_of, only, true]);
}

const rateSql = (n: string, d: string) => `${n}::float8 / nullif(${d}, 0)`;

/**
 * The grid-level KPI row as SQL expressions over stats_kpi's columns (alias k): the same keys and
 * values as kpiRows(…, 'grid', …), rates divided in float8 exactly as in JavaScript. One list for
 * both shapes the database writes (rows and columns).
 */
const GRID_KPI_FIELDS: readonly (readonly [string, string])[] = [
  ['unit_id', 'k.grid_id'], ['code', 'k.code'], ['name', 'k.name'], ['parent_id', 'k.community_id'], ['grids', '1'],
  ['area_m2', 'k.area_m2'], ['addresses', 'k.addresses'], ['registered', 'k.registered'],
  ['visit_need_address', 'k.visit_need_address'], ['visit_covered_address', 'k.visit_covered_address'],
  ['visit_need_person', 'k.visit_need_person'], ['visit_covered_person', 'k.visit_covered_person'],
  ['events_reported', 'k.events_reported'], ['events_due', 'k.events_due'], ['events_closed', 'k.events_closed'],
  ['events_on_time', 'k.events_on_time'], ['events_overdue_open', 'k.events_overdue_open'], ['median_close_hours', 'k.median_close_hours'],
  ['patrol_cells', 'k.patrol_cells'], ['patrol_cells_covered', 'k.patrol_cells_covered'], ['patrol_coverage', 'k.patrol_coverage'],
  ['key_locations', 'k.key_locations'], ['key_locations_covered', 'k.key_locations_covered'],
  ['registration_rate', rateSql('k.registered', 'k.addresses')],
  ['visit_coverage_rate', rateSql('(k.visit_covered_address + k.visit_covered_person)', '(k.visit_need_address + k.visit_need_person)')],
  ['visit_coverage_rate_address', rateSql('k.visit_covered_address', 'k.visit_need_address')],
  ['visit_coverage_rate_person', rateSql('k.visit_covered_person', 'k.visit_need_person')],
  ['closure_rate', rateSql('k.events_closed', 'k.events_due')],
  ['on_time_rate', rateSql('k.events_on_time', 'k.events_due')],
  ['key_location_coverage', rateSql('k.key_locations_covered', 'k.key_locations')],
];

/** The columns of KPI rows (a few grids computed directly, in the same shape as gridKpiColumns). */
export function columnsOfRows(rows: readonly object[]): KpiColumns {
  return Object.fromEntries(GRID_KPI_FIELDS.map(([key]) => [key, rows.map((r) => (r as Record<string, unknown>)[key] ?? null)]));
}

async function keptGridKpiText(db: Db, queries: QueryCatalog, w: StatsWindow, only: number[] | null, select: string): Promise<string> {
  await keepWindow(db, w);
  const text = `SELECT (${select})::text AS body FROM (${queries.get('stats_kpi').text}) k`;
  const [row] = await db.unsafe<{ body: string }[]>(text, [w.from, w.to, w.as_of, only, true] as never[], { prepare: true });
  return row!.body;
}

/**
 * The grid-level KPI rows of a whole jurisdiction as JSON text made by the database: the same
 * objects as kpiRows(…, 'grid', …), without parsing ~5,000 rows into JavaScript and serialising
 * them again.
 */
export function gridKpiJson(db: Db, queries: QueryCatalog, w: StatsWindow, only: number[] | null): Promise<string> {
  const object = GRID_KPI_FIELDS.map(([key, expr]) => `'${key}', ${expr}`).join(', ');
  return keptGridKpiText(db, queries, w, only, `coalesce(json_agg(json_build_object(${object}) ORDER BY k.grid_id), '[]')`);
}

/**
 * The same KPIs as columns (KpiColumns), written by the database: a JSON object of 30 arrays
 * costs a fraction of 5,000 JSON objects with 30 keys each, to build, to send and to parse.
 * stats_kpi orders its rows by grid id and the aggregates read them in that order (a plain
 * aggregate over a sorted subquery keeps the order; tested against the rows).
 */
export function gridKpiColumns(db: Db, queries: QueryCatalog, w: StatsWindow, only: number[] | null): Promise<string> {
  const object = GRID_KPI_FIELDS.map(([key, expr]) => `'${key}', coalesce(array_agg(${expr}), '{}')`).join(', ');
  return keptGridKpiText(db, queries, w, only, `json_build_object(${object})`);
}

/**
 * KPI rows of a level: grids from gridKpis; communities and sub-districts as sums of
 * their grids' counts, patrol coverage weighted by grid area (grids without cells left out), and
 * the median recomputed over their events. `gridIds` limits everything to those grids.
 */
export async function kpiRows(db: Db, queries: QueryCatalog, level: Level, w: StatsWindow, unitId: number | null, gridIds: number[] | null): Promise<KpiRow[]> {
  const only = level === 'grid' && unitId !== null ? (gridIds === null || gridIds.includes(unitId) ? [unitId] : []) : gridIds;
  const grids = await gridKpis(db, queries, w, only);
  if (level === 'grid') {
    return grids.map(({ grid_id, community_id, subdistrict_id: _s, ...r }) => withRates({ ...r, unit_id: grid_id, parent_id: community_id, grids: 1 }));
  }
  const units = await queries.run<UnitDbRow>(db, 'stats_kpi_units', [level, w.from, w.to, gridIds]);
  const out: KpiRow[] = [];
  for (const u of units) {
    if (unitId !== null && u.unit_id !== unitId) continue;
    const parts = grids.filter((g) => (level === 'community' ? g.community_id : g.subdistrict_id) === u.unit_id);
    if (!parts.length) continue;
    const sums = Object.fromEntries(SUMMED.map((k) => [k, parts.reduce((n, g) => n + g[k], 0)])) as Record<(typeof SUMMED)[number], number>;
    const withCells = parts.filter((g) => g.patrol_coverage !== null);
    const cellArea = withCells.reduce((n, g) => n + g.area_m2, 0);
    out.push(withRates({
      ...sums,
      unit_id: u.unit_id,
      code: u.code,
      name: u.name,
      parent_id: u.parent_id,
      grids: parts.length,
      area_m2: parts.reduce((n, g) => n + g.area_m2, 0),
      median_close_hours: u.median_close_hours,
      patrol_coverage: cellArea > 0 ? withCells.reduce((n, g) => n + g.area_m2 * g.patrol_coverage!, 0) / cellArea : null,
    }));
  }
  return out;
}

/**
 * The current cycle's KPIs of some grids, for exports, read as the owner (the caller has already
 * limited the ids to what it may see, and brought the derived tables up to date with refreshKpi).
 */
export function gridKpiLookup(owner: Owner, queries: QueryCatalog) {
  return async (gridIds: number[]) => {
    const rows = await owner(async (tx) => {
      const w = await resolveWindow(tx, queries, {});
      return (await kpiRows(tx, queries, 'grid', w, null, gridIds)).map((r) => ({ ...r, window: `${w.from}..${w.to}` }));
    });
    return new Map(rows.map((r) => [r.unit_id, {
      window: r.window, registration_rate: r.registration_rate, visit_coverage_rate: r.visit_coverage_rate,
      closure_rate: r.closure_rate, on_time_rate: r.on_time_rate, patrol_coverage: r.patrol_coverage,
    }]));
  };
}

/** Event closure KPIs of one event type in one unit (stats_events_by_type). */
export interface EventTypeKpi {
  type: string;
  reported: number;
  due: number;
  closed: number;
  on_time: number;
  overdue_open: number;
  median_close_hours: number | null;
}

/**
 * Closure KPIs by event type for several units of one level, in one query (the sub-district
 * summary of the whole city needs 30 units; one query each cost 30 round trips and scans).
 */
export async function eventsByType(db: Db, queries: QueryCatalog, level: Level, unitIds: number[], w: StatsWindow, gridIds: number[] | null): Promise<Map<number, EventTypeKpi[]>> {
  const rows = await queries.run<EventTypeKpi & { unit_id: number }>(db, 'stats_events_by_type', [level, unitIds, w.from, w.to, w.as_of, gridIds] as never[]);
  const out = new Map<number, EventTypeKpi[]>();
  for (const { unit_id, ...r } of rows) {
    const list = out.get(unit_id) ?? [];
    list.push(r);
    out.set(unit_id, list);
  }
  return out;
}
