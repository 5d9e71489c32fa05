import { AGGREGATE } from '../http/answer-cache.ts';
import { z } from 'zod';
import { CASE_ROLES, type Access } from '../auth/types.ts';
import type { Db } from '../db/types.ts';
import type { Owner } from '../db/owner.ts';
import type { Deps } from '../deps.ts';
import { ApiError } from '../http/errors.ts';
import { idParam } from '../http/geo.ts';
import { Resource } from '../http/resource.ts';
import { refreshKpi } from '../patrol/derived.ts';
import { DIRECT_KPI_GRIDS, columnsOfRows, eventsByType, gridKpiColumns, gridKpiJson, kpiRows, resolveWindow, todayOf, type Level } from '../patrol/kpi.ts';
import { invalidInputResponse, notFoundResponse } from './respond.ts';

/** Drill-down lists are capped; the totals say how many there were. */
export const DEFAULT_LIST_LIMIT = 100;
export const MAX_LIST_LIMIT = 1000;
export const DEFAULT_TREND_MONTHS = 6;
export const MAX_TREND_MONTHS = 24;
/** The rates a trend carries, one value per month. */
export const TREND_RATES = ['registration_rate', 'visit_coverage_rate', 'closure_rate', 'on_time_rate', 'patrol_coverage'] as const;

/** First day of the month `offset` months from the month of `day` (YYYY-MM-DD), and that month's last day. */
export function monthOf(day: string, offset: number): { first: string; last: string } {
  const y = Number(day.slice(0, 4));
  const m = Number(day.slice(5, 7)) - 1 + offset;
  const first = new Date(Date.UTC(y, m, 1));
  const last = new Date(Date.UTC(y, m + 1, 0));
  return { first: first.toISOString().slice(0, 10), last: last.toISOString().slice(0, 10) };
}

const AGGREGATES: Access = { kind: 'session', roles: 'any' };
// Lists name addresses and persons of concern (by code): people who work cases only.
const DRILL_DOWN: Access = { kind: 'session', roles: CASE_ROLES };

function isCalendarDate(s: string): boolean {
  const d = new Date(`${s}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === s;
}

const day = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a date YYYY-MM-DD')
  .refine(isCalendarDate, 'must be a calendar date YYYY-MM-DD (a local day in the configured time zone)');

const windowShape = {
  from: day.optional().describe('first day (default: the first day of the current month)'),
  to: day.optional().describe('last day, inclusive (default and maximum: today)'),
};
const limitParam = z.coerce.number().int().positive().optional().describe(`rows per list (default ${DEFAULT_LIST_LIMIT}, max ${MAX_LIST_LIMIT})`);
const windowQuery = z.object(windowShape).strict();
const gridTableQuery = z
  .object({
    ...windowShape,
    format: z.enum(['rows', 'columns']).optional()
      .describe('rows (default): one object per grid; columns: one array per key, grids in id order (the choropleth reads this)'),
  })
  .strict();
export const MAX_TREND_DAYS = 90;
const dailyTrendQuery = z.object({ days: z.coerce.number().int().min(2).max(MAX_TREND_DAYS).optional().describe('days ending today (default 30)') }).strict();
/** Closure in the trend is over a trailing window of this many days (single days are too noisy). */
export const TREND_CLOSURE_DAYS = 7;
const gridQuery = z.object({ ...windowShape, limit: limitParam }).strict();
const trendQuery = z
  .object({ months: z.coerce.number().int().min(2).max(MAX_TREND_MONTHS).optional().describe(`calendar months, the current one last (default ${DEFAULT_TREND_MONTHS})`) })
  .strict();
const visitStatusQuery = z.object({ at: day.optional().describe('day the status is judged on (default today)'), limit: limitParam }).strict();
const coverageQuery = z
  .object({
    grid_id: z.coerce.number().int().positive().max(2_147_483_647),
    ...windowShape,
    exact: z.enum(['0', '1']).optional().describe('1 = also the exact buffered-area coverage (slower)'),
  })
  .strict();

/** Grids the caller may see (row-level security on `grid` decides); null when the handle is unscoped. */
async function visibleGrids(db: Db, owner: Owner): Promise<number[] | null> {
  if (!owner.scoped) return null;
  return (await db<{ id: number }[]>`SELECT id FROM grid ORDER BY id`).map((r) => r.id);
}

async function gridVisible(db: Db, id: number): Promise<boolean> {
  return (await db`SELECT 1 FROM grid WHERE id = ${id}`).length > 0;
}

const listLimit = (n: number | undefined) => Math.min(n ?? DEFAULT_LIST_LIMIT, MAX_LIST_LIMIT);

const windowSchema = z.object({ from: z.string(), to: z.string(), days: z.number(), today: z.string(), timezone: z.string(), as_of: z.string() });
const kpiSchema = z
  .object({
    unit_id: z.number(), code: z.string(), name: z.string(), grids: z.number(), area_m2: z.number(),
    addresses: z.number(), registered: z.number(), registration_rate: z.number().nullable(),
    visit_coverage_rate: z.number().nullable(), closure_rate: z.number().nullable(), on_time_rate: z.number().nullable(),
    median_close_hours: z.number().nullable(), patrol_coverage: z.number().nullable(), key_location_coverage: z.number().nullable(),
  })
  .loose()
  .describe('counts and rates; see sql/queries/stats_kpi.sql for every column');
const tableResponse = { description: 'KPI rows', schema: z.object({ window: windowSchema, rows: z.array(kpiSchema) }) };
const gridTableResponse = {
  description: 'KPI rows, or with format=columns the same values as one array per key (index i of every array is one grid)',
  schema: z.union([
    z.object({ window: windowSchema, rows: z.array(kpiSchema) }),
    z.object({ window: windowSchema, columns: z.record(z.string(), z.array(z.union([z.number(), z.string(), z.null()]))) }),
  ]),
};
const errors = {
  400: invalidInputResponse,
  422: { description: 'the window ends before the kept visit history (window_before_history)' },
};

export function statsResource(deps: Pick<Deps, 'sql' | 'queries' | 'guard'>): Resource {
  const { sql, queries } = deps;
  /** The derived tables brought up to date as the owner, before the request's transaction. */
  const prepare = () => refreshKpi(sql);

  async function table(level: Level, q: { from?: string | undefined; to?: string | undefined }, db: Db, owner: Owner) {
    const grids = await visibleGrids(db, owner);
    return owner(async (tx) => {
      const window = await resolveWindow(tx, queries, q);
      const rows = await kpiRows(tx, queries, level, window, null, grids);
      return { window, rows, grids };
    });
  }

  async function exactCoverage(tx: Db, gridId: number, w: { from: string; to: string }) {
    const [row] = await queries.run<{ area_m2: number; covered_m2: number; coverage: number; segments: number }>(tx, 'patrol_coverage_exact', [gridId, w.from, w.to]);
    // The grid exists, so no row means a geometry operation failed silently (seen with PGlite's GEOS).
    if (!row) throw new Error(`exact patrol coverage of grid ${gridId} returned no row`);
    return row;
  }

  return new Resource('/api/stats', 'stats', deps.guard)
    .route(
      {
        method: 'get',
        path: '/grids',
        cache: AGGREGATE,
        summary: '网格考核指标 / KPI table of every grid for a window',
        access: AGGREGATES,
        prepare,
        query: gridTableQuery,
        responses: { 200: gridTableResponse, ...errors },
      },
      async (c, { query: { format, ...query } }, db) => {
        const owner = c.get('owner');
        const grids = await visibleGrids(db, owner);
        if (grids !== null && grids.length <= DIRECT_KPI_GRIDS) {
          const { window, rows } = await table('grid', query, db, owner);
          return format === 'columns' ? c.json({ window, columns: columnsOfRows(rows) }) : c.json({ window, rows });
        }
        // A whole jurisdiction: the answer arrives as JSON text from the database (see gridKpiJson).
        const body = await owner(async (tx) => {
          const window = await resolveWindow(tx, queries, query);
          return format === 'columns'
            ? `{"window":${JSON.stringify(window)},"columns":${await gridKpiColumns(tx, queries, window, grids)}}`
            : `{"window":${JSON.stringify(window)},"rows":${await gridKpiJson(tx, queries, window, grids)}}`;
        });
        return c.body(body, 200, { 'content-type': 'application/json; charset=utf-8' });
      },
    )
    .route(
      {
        method: 'get',
        path: '/communities',
        cache: AGGREGATE,
        summary: '社区（村）考核指标 / KPIs rolled up per community',
        access: AGGREGATES,
        prepare,
        query: windowQuery,
        responses: { 200: tableResponse, ...errors },
      },
      async (c, { query }, db) => {
        const { window, rows } = await table('community', query, db, c.get('owner'));
        return c.json({ window, rows });
      },
    )
    .route(
      {
        method: 'get',
        path: '/subdistrict',
        cache: AGGREGATE,
        summary: '街道考核指标 / KPIs rolled up to the sub-district, with events by type',
        access: AGGREGATES,
        prepare,
        query: windowQuery,
        responses: { 200: tableResponse, ...errors },
      },
      async (c, { query }, db) => {
        const { window, rows, grids } = await table('subdistrict', query, db, c.get('owner'));
        const byType = await c.get('owner')((tx) => eventsByType(tx, queries, 'subdistrict', rows.map((r) => r.unit_id), window, grids));
        return c.json({ window, rows: rows.map((r) => ({ ...r, events_by_type: byType.get(r.unit_id) ?? [] })) });
      },
    )
    .route(
      {
        method: 'get',
        path: '/trend',
        cache: AGGREGATE,
        summary: '指标趋势（大屏）/ daily sub-district series: events, trailing 7-day closure rate, visit coverage, patrol coverage; events by type and by hour',
        access: AGGREGATES,
        prepare,
        query: dailyTrendQuery,
        responses: {
          200: {
            description: 'one row per day (oldest first), plus events of the window by type and by local hour',
            schema: z.object({
              from: z.string(), to: z.string(), timezone: z.string(), registration_rate: z.number().nullable(),
              days: z.array(z.object({ day: z.string(), events_reported: z.number(), closure_rate: z.number().nullable(), visit_coverage_rate: z.number().nullable(), patrol_coverage: z.number().nullable() }).loose()),
              by_type: z.array(z.object({ type: z.string(), events: z.number() })),
              by_hour: z.array(z.number()).describe('24 counts, local hours 0..23'),
            }),
          },
          400: invalidInputResponse,
        },
      },
      async (c, { query }, db) => {
        const n = query.days ?? 30;
        const owner = c.get('owner');
        const grids = (await visibleGrids(db, owner)) ?? (await owner((tx) => tx<{ id: number }[]>`SELECT id FROM grid`)).map((g) => g.id);
        const { today, timezone, series, registration } = await c.get('owner')(async (tx) => {
          const w = await resolveWindow(tx, queries, {});
          const from = new Date(Date.parse(`${w.today}T00:00:00Z`) - (n - 1 + TREND_CLOSURE_DAYS - 1) * 86_400_000).toISOString().slice(0, 10);
          const rows = await queries.run<{ day: string; events_reported: number; events_due: number; events_closed: number; visit_need: number; visit_covered: number; patrol_coverage: number | null }>(
            tx, 'stats_trend', [from, w.today, grids] as never[]);
          const sd = await kpiRows(tx, queries, 'subdistrict', w, null, grids);
          const regs = sd.reduce((a, r) => [a[0]! + r.registered, a[1]! + r.addresses], [0, 0]);
          return { today: w.today, timezone: w.timezone, series: rows, registration: regs[1]! > 0 ? regs[0]! / regs[1]! : null };
        });
        const days = series.slice(TREND_CLOSURE_DAYS - 1).map((r, i) => {
          const trailing = series.slice(i, i + TREND_CLOSURE_DAYS);
          const due = trailing.reduce((s, x) => s + x.events_due, 0);
          const closed = trailing.reduce((s, x) => s + x.events_closed, 0);
          return {
            day: r.day, events_reported: r.events_reported, events_due: r.events_due, events_closed: r.events_closed,
            closure_rate: due > 0 ? closed / due : null,
            visit_coverage_rate: r.visit_need > 0 ? r.visit_covered / r.visit_need : null,
            patrol_coverage: r.patrol_coverage,
          };
        });
        const from = days[0]?.day ?? today;
        const counts = await queries.run<{ type: string; hour: number; events: number }>(db, 'stats_events_by_hour', [from, today]);
        const byType = new Map<string, number>();
        const byHour = new Array<number>(24).fill(0);
        for (const r of counts) {
          byType.set(r.type, (byType.get(r.type) ?? 0) + r.events);
          byHour[r.hour]! += r.events;
        }
        return c.json({
          from, to: today, timezone, registration_rate: registration, days,
          by_type: [...byType.entries()].map(([type, events]) => ({ type, events })).sort((a, b) => b.events - a.events),
          by_hour: byHour,
        });
      },
    )
    .route(
      {
        method: 'get',
        path: '/grids/:id',
        cache: AGGREGATE,
        summary: '单个网格考核指标与明细 / one grid: KPIs, events by type and the lists behind each number',
        access: DRILL_DOWN,
        prepare,
        params: idParam,
        query: gridQuery,
        responses: {
          200: {
            description: 'KPIs and capped drill-down lists (each with its total)',
            schema: z.object({
              window: windowSchema,
              kpi: kpiSchema,
              events_by_type: z.array(z.object({ type: z.string() }).loose()),
              registration_missing: z.object({ total: z.number(), items: z.array(z.object({ address_id: z.number(), missing: z.array(z.string()) }).loose()) }),
              visit_status: z.object({
                counts: z.record(z.string(), z.record(z.string(), z.number())).describe('class -> status -> subjects'),
                total: z.number(),
                items: z.array(z.object({ subject: z.string(), status: z.string() }).loose()),
              }),
              overdue_events: z.object({ total: z.number(), items: z.array(z.object({ event_id: z.number() }).loose()) }),
              key_locations: z.array(z.object({ key_location_id: z.number(), covered: z.boolean() }).loose()),
            }),
          },
          404: notFoundResponse,
          ...errors,
        },
      },
      async (c, { params, query }, db) => {
        if (!(await gridVisible(db, params.id))) throw new ApiError(404, 'not_found', `grid ${params.id} does not exist`);
        const limit = listLimit(query.limit);
        const { window, kpi, byType, missing, subjects, overdue, keyLocations } = await c.get('owner')(async (tx) => {
          const w = await resolveWindow(tx, queries, query);
          return {
            window: w,
            kpi: (await kpiRows(tx, queries, 'grid', w, params.id, null))[0],
            byType: (await eventsByType(tx, queries, 'grid', [params.id], w, null)).get(params.id) ?? [],
            missing: await queries.run<{ total: number }>(tx, 'stats_registration_missing', [params.id, limit]),
            subjects: await queries.run<{ class: string; status: string }>(tx, 'stats_visit_status', [params.id, null, w.to]),
            overdue: await queries.run<{ total: number }>(tx, 'stats_overdue_events', [params.id, w.from, w.to, w.as_of, limit]),
            keyLocations: await queries.run(tx, 'stats_key_locations', [[params.id], w.from, w.to, w.as_of]),
          };
        });
        const counts: Record<string, Record<string, number>> = {};
        for (const s of subjects) {
          const byStatus = (counts[s.class] ??= {});
          byStatus[s.status] = (byStatus[s.status] ?? 0) + 1;
        }
        const behind = subjects.filter((s) => s.status !== 'up_to_date');
        return c.json({
          window,
          kpi,
          events_by_type: byType,
          registration_missing: { total: missing[0]?.total ?? 0, items: missing.map(({ total: _t, ...r }) => r) },
          visit_status: { counts, total: behind.length, items: behind.slice(0, limit) },
          overdue_events: { total: overdue[0]?.total ?? 0, items: overdue.map(({ total: _t, ...r }) => r) },
          key_locations: keyLocations,
        });
      },
    )
    .route(
      {
        method: 'get',
        path: '/grids/:id/trend',
        cache: AGGREGATE,
        summary: '网格指标趋势 / one grid\'s rates month by month (the current month up to today)',
        access: AGGREGATES,
        prepare,
        params: idParam,
        query: trendQuery,
        responses: {
          200: {
            description: 'one point per month, oldest first; rates are null where the denominator is 0 or the month is before the kept visit history',
            schema: z.object({
              grid_id: z.number(),
              points: z.array(z.object({
                from: z.string(), to: z.string(), available: z.boolean(),
                ...Object.fromEntries(TREND_RATES.map((k) => [k, z.number().nullable()])),
              })),
            }),
          },
          404: notFoundResponse,
          400: invalidInputResponse,
        },
      },
      async (c, { params, query }, db) => {
        if (!(await gridVisible(db, params.id))) throw new ApiError(404, 'not_found', `grid ${params.id} does not exist`);
        const months = query.months ?? DEFAULT_TREND_MONTHS;
        const points = await c.get('owner')(async (tx) => {
          const today = await todayOf(tx, queries);
          const out = [];
          for (let i = months - 1; i >= 0; i--) {
            const { first, last } = monthOf(today, -i);
            const to = last > today ? today : last;
            const nulls = Object.fromEntries(TREND_RATES.map((k) => [k, null]));
            let w;
            try {
              w = await resolveWindow(tx, queries, { from: first, to });
            } catch (err) {
              // Months before the kept visit history have no snapshot: a gap, not an error.
              if (err instanceof ApiError && err.code === 'window_before_history') {
                out.push({ from: first, to, available: false, ...nulls });
                continue;
              }
              throw err;
            }
            const [row] = await kpiRows(tx, queries, 'grid', w, params.id, null);
            out.push({ from: w.from, to: w.to, available: true, ...Object.fromEntries(TREND_RATES.map((k) => [k, row?.[k] ?? null])) });
          }
          return out;
        });
        return c.json({ grid_id: params.id, points });
      },
    )
    .route(
      {
        method: 'get',
        path: '/addresses/:id/visit-status',
        summary: '地址走访状态 / visit status of an address and its persons of concern, with recent visits and why they did (not) count',
        access: DRILL_DOWN,
        prepare,
        params: idParam,
        query: visitStatusQuery,
        responses: {
          200: {
            description: 'status per subject on the day, latest visits with their verdicts',
            schema: z.object({
              address_id: z.number(),
              day: z.string(),
              subjects: z.array(z.object({ subject: z.string(), status: z.string() }).loose()),
              visits: z.array(z.object({ visit_id: z.number(), standard: z.boolean(), reasons: z.array(z.string()) }).loose()),
            }),
          },
          404: notFoundResponse,
          400: invalidInputResponse,
        },
      },
      async (c, { params, query }, db) => {
        if (!(await db`SELECT 1 FROM address WHERE id = ${params.id}`).length) {
          throw new ApiError(404, 'not_found', `address ${params.id} does not exist`);
        }
        const { at, subjects, visits } = await c.get('owner')(async (tx) => {
          const today = await todayOf(tx, queries);
          const day = query.at === undefined || query.at > today ? today : query.at;
          return {
            at: day,
            subjects: await queries.run(tx, 'stats_visit_status', [null, params.id, day]),
            visits: await queries.run(tx, 'stats_address_visits', [params.id, listLimit(query.limit)]),
          };
        });
        return c.json({ address_id: params.id, day: at, subjects, visits });
      },
    )
    .route(
      {
        method: 'get',
        path: '/patrol-coverage',
        cache: AGGREGATE,
        summary: '巡逻覆盖率 / patrol coverage of a grid: H3 cells (fast), buffered area (exact=1), key locations',
        access: AGGREGATES,
        prepare,
        query: coverageQuery,
        responses: {
          200: {
            description: 'coverage shares in [0, 1]',
            schema: z.object({
              window: windowSchema,
              grid_id: z.number(),
              fast: z.object({ cells: z.number(), covered: z.number(), coverage: z.number().nullable() }),
              exact: z.object({ area_m2: z.number(), covered_m2: z.number(), coverage: z.number(), segments: z.number() }).nullable(),
              key_locations: z.array(z.object({ key_location_id: z.number(), passes: z.number(), required: z.number(), covered: z.boolean() }).loose()),
            }),
          },
          404: notFoundResponse,
          ...errors,
        },
      },
      async (c, { query }, db) => {
        if (!(await gridVisible(db, query.grid_id))) throw new ApiError(404, 'not_found', `grid ${query.grid_id} does not exist`);
        const { window, kpi, exact, keyLocations } = await c.get('owner')(async (tx) => {
          const w = await resolveWindow(tx, queries, query);
          return {
            window: w,
            kpi: (await kpiRows(tx, queries, 'grid', w, query.grid_id, null))[0],
            exact: query.exact === '1' ? await exactCoverage(tx, query.grid_id, w) : null,
            keyLocations: await queries.run(tx, 'stats_key_locations', [[query.grid_id], w.from, w.to, w.as_of]),
          };
        });
        return c.json({
          window,
          grid_id: query.grid_id,
          fast: { cells: kpi?.patrol_cells ?? 0, covered: kpi?.patrol_cells_covered ?? 0, coverage: kpi?.patrol_coverage ?? null },
          exact: exact && { area_m2: exact.area_m2, covered_m2: exact.covered_m2, coverage: exact.coverage, segments: exact.segments },
          key_locations: keyLocations,
        });
      },
    );
}
