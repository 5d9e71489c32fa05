import { cellToLatLng } from 'h3-js';
import { addDays } from '../analytics/window.ts';
import type { QueryCatalog } from '../db/queries.ts';
import type { Db } from '../db/types.ts';
import { ApiError } from '../http/errors.ts';
import type { Owner } from '../db/owner.ts';
import { kpiRows, resolveWindow, type KpiRow, type StatsWindow } from '../patrol/kpi.ts';
import { hotspotAnalysis } from '../routes/hotspots.ts';

/**
 * 日见面、周研判、月讲评: the three working-mechanism reports of the plan, for one local day and for
 * the sub-district or one community. Every number comes from raw rows (or the KPI engine's
 * aggregates of them) for the grids the caller may see; tables are plain row lists so each can be
 * exported as CSV with the columns below.
 */

export type ReportKind = 'daily' | 'weekly' | 'monthly';

export const REPORT_TABLES: Record<ReportKind, Record<string, string[]>> = {
  daily: {
    events_by_grid_type: ['community_name', 'grid_code', 'grid_name', 'type', 'events', 'grid_id', 'community_id'],
    overdue_events: ['code', 'type', 'subtype', 'severity', 'state', 'title', 'community_name', 'grid_name', 'reported_at', 'due_at', 'overdue_hours', 'escalation_level', 'event_id', 'grid_id'],
    support_requests: ['id', 'community_name', 'grid_name', 'state', 'reason', 'police_name', 'requested_at', 'acknowledged_at', 'arrived_at', 'ack_minutes', 'arrive_minutes', 'ack_on_time', 'arrive_on_time', 'grid_id'],
    patrol_plans: ['id', 'name', 'community_name', 'shift_start', 'shift_end', 'team_size', 'stops', 'published_at', 'community_id'],
  },
  weekly: {
    hotspots: ['cell', 'lon', 'lat', 'n', 'z', 'q', 'class'],
    emerging_hotspots: ['cell', 'lon', 'lat', 'pattern', 'spot', 'counts', 'trend_z', 'trend_p'],
    disputes_by_subtype: ['subtype', 'this_week', 'last_week', 'change', 'four_weeks'],
    disputes_by_community: ['community_name', 'subtype', 'this_week', 'last_week', 'change', 'community_id'],
    open_hazards: ['code', 'subtype', 'severity', 'state', 'community_name', 'grid_name', 'reported_at', 'due_at', 'overdue', 'days_open', 'event_id', 'grid_id'],
    persons_due: ['community_name', 'grid_name', 'never', 'overdue', 'due_soon', 'grid_id', 'community_id'],
  },
  monthly: {
    communities: ['rank', 'name', 'code', 'score', 'score_change', 'registration_rate', 'registration_change', 'closure_rate', 'closure_change',
      'visit_coverage_rate', 'visit_coverage_change', 'patrol_coverage', 'patrol_change', 'addresses', 'registered', 'events_due', 'events_closed', 'unit_id'],
    grids: ['rank', 'community_name', 'name', 'code', 'score', 'score_change', 'registration_rate', 'registration_change', 'closure_rate', 'closure_change',
      'visit_coverage_rate', 'visit_coverage_change', 'patrol_coverage', 'patrol_change', 'addresses', 'registered', 'events_due', 'events_closed', 'unit_id', 'community_id'],
  },
};

/** The plan's targets (考核目标): 100 % for registration, closure and visit coverage. */
export const TARGETS = { registration_rate: 1, closure_rate: 1, visit_coverage_rate: 1, patrol_coverage: null } as const;

/**
 * The ranking score (综合得分) of a unit: the plain mean of its registration rate, event closure
 * rate, visit coverage rate and patrol coverage, each in [0, 1], over those that exist (a rate
 * with a zero denominator is left out, not counted as 0). Null when none exists.
 */
export function kpiScore(r: { registration_rate: number | null; closure_rate: number | null; visit_coverage_rate: number | null; patrol_coverage: number | null }): number | null {
  const parts = [r.registration_rate, r.closure_rate, r.visit_coverage_rate, r.patrol_coverage].filter((x): x is number => x !== null);
  return parts.length ? parts.reduce((a, b) => a + b, 0) / parts.length : null;
}

/** Competition ranking (1, 2, 2, 4) by score, highest first; units without a score come last, unranked. */
export function rankByScore<T extends { score: number | null }>(rows: T[]): (T & { rank: number | null })[] {
  const sorted = [...rows].sort((a, b) => (b.score ?? -1) - (a.score ?? -1));
  return sorted.map((r) => ({ ...r, rank: r.score === null ? null : 1 + sorted.filter((x) => x.score !== null && x.score > r.score!).length }));
}

export interface Scope {
  subdistrict: { id: number; name: string } | null;
  community: { id: number; name: string } | null;
  /** The report's grids: the community's (or all) that the caller may see. */
  gridIds: number[];
}

/** Resolves the report's scope with the caller's handle, so row-level security decides what exists. */
export async function resolveScope(db: Db, communityId: number | undefined): Promise<Scope> {
  let community: Scope['community'] = null;
  if (communityId !== undefined) {
    const [c] = await db<{ id: number; name: string }[]>`SELECT id, name FROM community WHERE id = ${communityId}`;
    if (!c) throw new ApiError(404, 'not_found', `community ${communityId} does not exist`);
    community = c;
  }
  const grids = await db<{ id: number }[]>`
    SELECT id FROM grid WHERE ${communityId ?? null}::int IS NULL OR community_id = ${communityId ?? null} ORDER BY id`;
  if (community && !grids.length) throw new ApiError(404, 'not_found', `community ${communityId} does not exist`);
  const [sd] = await db<{ id: number; name: string }[]>`SELECT id, name FROM subdistrict ORDER BY id LIMIT 1`;
  return { subdistrict: sd ?? null, community, gridIds: grids.map((g) => g.id) };
}

interface Bounds { today: string; start: Date; end: Date; as_of: Date }

/** Local-day boundaries (config.timezone) of `day`, and the instant a report on it is judged at. */
async function dayBounds(tx: Db, day: string): Promise<Bounds> {
  const [b] = await tx<Bounds[]>`
    SELECT kpi_today()::text AS today, ${day}::date::timestamp AT TIME ZONE kpi_tz() AS start,
           (${day}::date + 1)::timestamp AT TIME ZONE kpi_tz() AS "end",
           least(now(), (${day}::date + 1)::timestamp AT TIME ZONE kpi_tz()) AS as_of`;
  return b!;
}

export async function todayLocal(db: Db): Promise<string> {
  const [r] = await db<{ today: string }[]>`SELECT kpi_today()::text AS today`;
  return r!.today;
}

const median = (xs: number[]): number | null => {
  if (!xs.length) return null;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

// ---------------------------------------------------------------------------------------------
// 日见面

/** The derived tables must be current (refreshKpi) before a report: the reports routes do it in `prepare`. */
export async function dailyReport(owner: Owner, queries: QueryCatalog, scope: Scope, date: string) {
  return owner(async (tx) => {
    const yesterday = addDays(date, -1);
    const y = await dayBounds(tx, yesterday);
    const d = await dayBounds(tx, date);
    const [limits] = await tx<{ ack: number; arrive: number }[]>`
      SELECT (SELECT (value #>> '{}')::float8 FROM config WHERE key = 'support.ack_minutes') AS ack,
             (SELECT (value #>> '{}')::float8 FROM config WHERE key = 'support.arrive_minutes') AS arrive`;
    const ack = limits?.ack ?? 5;
    const arrive = limits?.arrive ?? 20;
    const byGridType = await queries.run<{ type: string; events: number }>(tx, 'report_events_by_grid_type', [y.start, y.end, scope.gridIds] as never[]);
    const overdue = await queries.run(tx, 'report_overdue_events', [d.as_of, scope.gridIds] as never[]);
    const support = await queries.run<{ ack_minutes: number | null; arrive_minutes: number | null; ack_on_time: boolean; arrive_on_time: boolean }>(
      tx, 'report_support_requests', [y.start, y.end, scope.gridIds, ack, arrive] as never[]);
    const plans = await queries.run(tx, 'report_patrol_plans', [d.start, d.end, scope.gridIds] as never[]);
    const byType: Record<string, number> = {};
    for (const r of byGridType) byType[r.type] = (byType[r.type] ?? 0) + r.events;
    const acks = support.map((s) => s.ack_minutes).filter((x): x is number => x !== null);
    const arrivals = support.map((s) => s.arrive_minutes).filter((x): x is number => x !== null);
    return {
      kind: 'daily' as const,
      date,
      period: { yesterday, from: y.start.toISOString(), to: y.end.toISOString(), as_of: d.as_of.toISOString() },
      summary: {
        events_yesterday: byGridType.reduce((n, r) => n + r.events, 0),
        events_by_type: byType,
        overdue_open: overdue.length,
        support_requests: support.length,
        support_ack_median_minutes: median(acks),
        support_arrive_median_minutes: median(arrivals),
        support_ack_on_time: support.filter((s) => s.ack_on_time).length,
        support_arrive_on_time: support.filter((s) => s.arrive_on_time).length,
        support_limits_minutes: { ack, arrive },
        patrol_plans_today: plans.length,
      },
      tables: { events_by_grid_type: byGridType, overdue_events: overdue, support_requests: support, patrol_plans: plans },
    };
  });
}

// ---------------------------------------------------------------------------------------------
// 周研判

export const TREND_WEEKS = 4;

export async function weeklyReport(owner: Owner, queries: QueryCatalog, db: Db, scope: Scope, date: string, personsAsCounts: { suppressUnder: number } | null) {
  const weekFrom = addDays(date, -6);
  const trendFrom = addDays(date, 1 - 7 * TREND_WEEKS);
  // Hotspots: the caller's handle, so row-level security limits the counted events.
  const analysis = hotspotAnalysis({ queries });
  let area: { community_id?: number; bbox?: [number, number, number, number] };
  if (scope.community) area = { community_id: scope.community.id };
  else {
    const [b] = await db<{ b: [number, number, number, number] | null }[]>`
      SELECT CASE WHEN e IS NULL THEN NULL ELSE ARRAY[ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e)] END AS b
      FROM (SELECT ST_Extent(geom) AS e FROM grid) x`;
    area = b?.b ? { bbox: b.b.map(Number) as [number, number, number, number] } : {};
  }
  const centre = (cell: string) => {
    const [lat, lon] = cellToLatLng(cell);
    return { lon: Number(lon.toFixed(6)), lat: Number(lat.toFixed(6)) };
  };
  let hotspots: Record<string, unknown>[] = [];
  let emerging: Record<string, unknown>[] = [];
  const analysisNotes: string[] = [];
  if (area.community_id !== undefined || area.bbox) {
    try {
      const g = await analysis.gistar(db, { ...area, from: trendFrom, to: date });
      hotspots = g.cells.filter((c) => c.class > 0).map((c) => ({ cell: c.cell, ...centre(c.cell), n: c.n, z: c.z, q: c.q, class: c.class }));
    } catch (err) {
      if (!(err instanceof ApiError)) throw err;
      analysisNotes.push(`hotspots: ${err.message}`);
    }
    try {
      const e = await analysis.emerging(db, { ...area, to: date });
      emerging = e.cells.filter((c) => c.pattern !== 'none' && c.spot === 'hot').map((c) => ({
        cell: c.cell, ...centre(c.cell), pattern: c.pattern, spot: c.spot, counts: c.counts.join(' '), trend_z: c.trend.z, trend_p: c.trend.p,
      }));
    } catch (err) {
      if (!(err instanceof ApiError)) throw err;
      analysisNotes.push(`emerging: ${err.message}`);
    }
  }
  return owner(async (tx) => {
    const d = await dayBounds(tx, date);
    const trend = await queries.run<{ period: number; community_id: number; community_name: string; subtype: string; events: number }>(
      tx, 'report_dispute_trend', [trendFrom, TREND_WEEKS, scope.gridIds] as never[]);
    const thisWeek = TREND_WEEKS - 1;
    const bySubtype = new Map<string, number[]>();
    const byCommunity = new Map<string, { community_id: number; community_name: string; subtype: string; this_week: number; last_week: number }>();
    for (const r of trend) {
      const series = bySubtype.get(r.subtype) ?? new Array<number>(TREND_WEEKS).fill(0);
      series[r.period]! += r.events;
      bySubtype.set(r.subtype, series);
      if (r.period >= thisWeek - 1) {
        const key = `${r.community_id}/${r.subtype}`;
        const row = byCommunity.get(key) ?? { community_id: r.community_id, community_name: r.community_name, subtype: r.subtype, this_week: 0, last_week: 0 };
        if (r.period === thisWeek) row.this_week += r.events;
        else row.last_week += r.events;
        byCommunity.set(key, row);
      }
    }
    const disputesBySubtype = [...bySubtype.entries()]
      .map(([subtype, s]) => ({ subtype, this_week: s[thisWeek]!, last_week: s[thisWeek - 1]!, change: s[thisWeek]! - s[thisWeek - 1]!, four_weeks: s.join(' ') }))
      .sort((a, b) => b.this_week - a.this_week || a.subtype.localeCompare(b.subtype));
    const disputesByCommunity = [...byCommunity.values()]
      .map((r) => ({ ...r, change: r.this_week - r.last_week }))
      .sort((a, b) => a.community_name.localeCompare(b.community_name, 'zh-CN') || a.subtype.localeCompare(b.subtype));
    const hazards = await queries.run<{ overdue: boolean }>(tx, 'report_open_hazards', [d.as_of, scope.gridIds] as never[]);
    const due = await queries.run<{ grid_id: number; grid_name: string; community_id: number; community_name: string; status: string; persons: number }>(
      tx, 'report_persons_due', [date, scope.gridIds] as never[]);
    const perGrid = new Map<number, { grid_id: number; grid_name: string; community_id: number; community_name: string; never: number | null; overdue: number | null; due_soon: number | null }>();
    for (const r of due) {
      const row = perGrid.get(r.grid_id) ?? { grid_id: r.grid_id, grid_name: r.grid_name, community_id: r.community_id, community_name: r.community_name, never: 0, overdue: 0, due_soon: 0 };
      row[r.status as 'never' | 'overdue' | 'due_soon'] = r.persons;
      perGrid.set(r.grid_id, row);
    }
    const totals = { never: 0, overdue: 0, due_soon: 0 };
    for (const r of due) totals[r.status as keyof typeof totals] += r.persons;
    // Aggregate-only roles get person counts under the threshold suppressed (null), like /api/persons/stats.
    const suppress = (n: number | null) => (personsAsCounts && n !== null && n > 0 && n < personsAsCounts.suppressUnder ? null : n);
    const personsDue = [...perGrid.values()].map((r) => ({ ...r, never: suppress(r.never), overdue: suppress(r.overdue), due_soon: suppress(r.due_soon) }));
    return {
      kind: 'weekly' as const,
      date,
      period: { from: weekFrom, to: date, trend_from: trendFrom, weeks: TREND_WEEKS, as_of: d.as_of.toISOString() },
      summary: {
        disputes_this_week: disputesBySubtype.reduce((n, r) => n + r.this_week, 0),
        disputes_last_week: disputesBySubtype.reduce((n, r) => n + r.last_week, 0),
        hot_cells: hotspots.length,
        emerging_hot_cells: emerging.length,
        open_hazards: hazards.length,
        open_hazards_overdue: hazards.filter((h) => h.overdue).length,
        persons_due: { never: suppress(totals.never), overdue: suppress(totals.overdue), due_soon: suppress(totals.due_soon) },
        notes: analysisNotes,
      },
      tables: {
        hotspots, emerging_hotspots: emerging, disputes_by_subtype: disputesBySubtype, disputes_by_community: disputesByCommunity,
        open_hazards: hazards, persons_due: personsDue,
      },
    };
  });
}

// ---------------------------------------------------------------------------------------------
// 月讲评

const monthStart = (d: string) => `${d.slice(0, 8)}01`;
function monthEnd(d: string): string {
  const [y, m] = d.split('-').map(Number) as [number, number];
  return new Date(Date.UTC(y, m, 0)).toISOString().slice(0, 10);
}

type RateKey = 'registration_rate' | 'closure_rate' | 'visit_coverage_rate' | 'patrol_coverage';
const CHANGES: [RateKey, string][] = [['registration_rate', 'registration_change'], ['closure_rate', 'closure_change'], ['visit_coverage_rate', 'visit_coverage_change'], ['patrol_coverage', 'patrol_change']];

function compare(now: KpiRow[], before: KpiRow[] | null, extra: (r: KpiRow) => Record<string, unknown>) {
  const prev = new Map((before ?? []).map((r) => [r.unit_id, r]));
  const rows = now.map((r) => {
    const p = prev.get(r.unit_id);
    const score = kpiScore(r);
    const prevScore = p ? kpiScore(p) : null;
    const changes = Object.fromEntries(CHANGES.map(([k, name]) => [name, p && r[k] !== null && p[k] !== null ? r[k]! - p[k]! : null]));
    return {
      unit_id: r.unit_id, code: r.code, name: r.name, ...extra(r),
      registration_rate: r.registration_rate, closure_rate: r.closure_rate, visit_coverage_rate: r.visit_coverage_rate, patrol_coverage: r.patrol_coverage,
      on_time_rate: r.on_time_rate, addresses: r.addresses, registered: r.registered, events_due: r.events_due, events_closed: r.events_closed,
      score, score_change: score !== null && prevScore !== null ? score - prevScore : null, ...changes,
    };
  });
  return rankByScore(rows);
}

export async function monthlyReport(owner: Owner, queries: QueryCatalog, scope: Scope, date: string) {
  return owner(async (tx) => {
    const today = await todayLocal(tx);
    if (monthStart(date) > today) throw new ApiError(400, 'invalid_input', `${date} is in a month that has not started`, [{ location: 'query parameters', path: 'date', message: 'future month' }]);
    const window = await resolveWindow(tx, queries, { from: monthStart(date), to: monthEnd(date) });
    const prevTo = addDays(monthStart(date), -1);
    let previous: StatsWindow | null = null;
    try {
      previous = await resolveWindow(tx, queries, { from: monthStart(prevTo), to: prevTo });
    } catch (err) {
      // Before the kept visit history: no month-on-month comparison.
      if (!(err instanceof ApiError && err.status === 422)) throw err;
    }
    const grids = scope.gridIds;
    const communityNames = new Map((await tx<{ id: number; name: string }[]>`SELECT id, name FROM community`).map((c) => [c.id, c.name]));
    const level = async (l: 'community' | 'grid', w: StatsWindow) => {
      const rows = await kpiRows(tx, queries, l, w, null, grids);
      return l === 'community' && scope.community ? rows.filter((r) => r.unit_id === scope.community!.id) : rows;
    };
    const communities = compare(await level('community', window), previous && (await level('community', previous)), () => ({}));
    const gridRows = compare(await level('grid', window), previous && (await level('grid', previous)), (r) => ({
      community_id: r.parent_id, community_name: communityNames.get(r.parent_id ?? -1) ?? null,
    }));
    const total = (await kpiRows(tx, queries, 'subdistrict', window, null, grids))[0] ?? null;
    const totalPrev = previous ? ((await kpiRows(tx, queries, 'subdistrict', previous, null, grids))[0] ?? null) : null;
    return {
      kind: 'monthly' as const,
      date,
      period: { from: window.from, to: window.to, previous: previous && { from: previous.from, to: previous.to } },
      targets: TARGETS,
      score: 'mean of registration_rate, closure_rate, visit_coverage_rate and patrol_coverage over those that exist',
      summary: total && {
        registration_rate: total.registration_rate, closure_rate: total.closure_rate, visit_coverage_rate: total.visit_coverage_rate,
        patrol_coverage: total.patrol_coverage, score: kpiScore(total), score_change: totalPrev && kpiScore(total) !== null && kpiScore(totalPrev) !== null ? kpiScore(total)! - kpiScore(totalPrev)! : null,
      },
      tables: { communities, grids: gridRows },
    };
  });
}
