import type { MultiPolygon } from 'geojson';
import { z } from 'zod';
import { cellsInBbox, cellsInGeometry, estimateCellCount, fillPendingCells, padForCells, type Bbox } from '../analytics/cells.ts';
import { emergingHotspots, EMERGING_PATTERNS, TREND_ALPHA } from '../analytics/emerging.ts';
import { giStar, h3Neighbours } from '../analytics/gistar.ts';
import { AGGREGATE_ACCESS, dateParam, eventFilter, eventFilterShape, loadSettings, positiveId, resParam, windowOrThrow, type EventFilter, type HeatSettings } from '../analytics/params.ts';
import { addDays, windowDays, type DayWindow } from '../analytics/window.ts';
import type { Db } from '../db/types.ts';
import type { Deps } from '../deps.ts';
import { ApiError } from '../http/errors.ts';
import { bboxParam } from '../http/geo.ts';
import { Resource } from '../http/resource.ts';
import { MAX_WINDOW_DAYS } from './heat.ts';
import { invalidInputResponse, notFoundResponse } from './respond.ts';

/**
 * Server-side caps. Gi* is O(n·|k-ring|) and the answer lists every cell of the study area, so n
 * is bounded; a city-wide analysis at res 9 (~36k cells) must use res 8 or a smaller area.
 */
export const MAX_STUDY_CELLS = 20_000;
export const MAX_K = 5;

const areaShape = { community_id: positiveId.optional(), bbox: bboxParam.optional() };
const oneArea = (q: { community_id?: number | undefined; bbox?: Bbox | undefined }) => (q.community_id === undefined) !== (q.bbox === undefined);
const oneAreaIssue = { message: 'give exactly one study area: community_id or bbox', path: ['community_id'] };

const kParam = z.coerce.number().int().min(1).max(MAX_K).describe(`neighbourhood: cells within k rings (self included)`);

const gistarQuery = z
  .object({ ...areaShape, res: resParam.optional(), k: kParam.optional(), from: dateParam.optional(), to: dateParam.optional(), ...eventFilterShape })
  .strict()
  .refine(oneArea, oneAreaIssue);

const emergingQuery = z
  .object({
    ...areaShape,
    res: resParam.optional(),
    k: kParam.optional(),
    to: dateParam.optional(),
    period_days: z.coerce.number().int().min(1).max(92).optional(),
    periods: z.coerce.number().int().min(3).max(52).optional(),
    ...eventFilterShape,
  })
  .strict()
  .refine(oneArea, oneAreaIssue);

const areaBody = z.object({ community_id: z.number().nullable(), name: z.string().nullable(), bbox: z.array(z.number()) });
const countsByClass = z.record(z.string(), z.number());

const gistarBody = z.object({
  res: z.number(),
  k: z.number(),
  window: z.object({ from: z.string(), to: z.string(), days: z.number(), timezone: z.string() }),
  area: areaBody,
  n: z.number().describe('cells in the study area'),
  events: z.number(),
  classes: countsByClass.describe('cells per class: "3" = hot 99 %, … "-3" = cold 99 %, "0" = not significant'),
  cells: z.array(
    z.object({
      cell: z.string(),
      n: z.number(),
      z: z.number().describe('Gi* z-score'),
      p: z.number().describe('two-sided p-value'),
      q: z.number().describe('Benjamini–Hochberg adjusted p-value'),
      class: z.number().describe('-3..3: cold/hot at 99/95/90 % after FDR'),
    }),
  ),
});

const emergingBody = z.object({
  res: z.number(),
  k: z.number(),
  area: areaBody,
  timezone: z.string(),
  periods: z.array(z.object({ from: z.string(), to: z.string() })),
  trend_alpha: z.number(),
  n: z.number(),
  patterns: countsByClass.describe('cells per pattern, e.g. "intensifying_hot"'),
  cells: z.array(
    z.object({
      cell: z.string(),
      counts: z.array(z.number()),
      z: z.array(z.number()),
      classes: z.array(z.number()),
      trend: z.object({ s: z.number(), variance: z.number(), z: z.number(), p: z.number() }),
      pattern: z.enum([...EMERGING_PATTERNS, 'none']),
      spot: z.enum(['hot', 'cold']).nullable(),
    }),
  ),
});

const round = (x: number, digits = 4) => Number(x.toFixed(digits));
const sig = (x: number) => Number(x.toPrecision(6));

interface StudyArea {
  cells: string[];
  /** Where events are fetched: the area's bbox grown so every cell is counted whole. */
  countBbox: Bbox;
  json: z.infer<typeof areaBody>;
}

export type GistarQuery = z.output<typeof gistarQuery>;
export type EmergingQuery = z.output<typeof emergingQuery>;

/** Gi* and emerging hot-spot analyses, for the routes below and for reports (周研判). */
export function hotspotAnalysis(deps: Pick<Deps, 'queries'>) {
  const { queries } = deps;

  function checkSize(n: number, res: number, what: string): void {
    if (n > MAX_STUDY_CELLS) {
      throw new ApiError(400, 'area_too_large', `${what} has about ${Math.round(n)} cells at res ${res}; at most ${MAX_STUDY_CELLS} are analysed at once: use a coarser res or a smaller area`, { cells: Math.round(n), max: MAX_STUDY_CELLS });
    }
  }

  /**
   * Polyfilling a city-sized area at res 11 would itself take seconds: refuse on the estimate when
   * it is far over the cap (the estimate is within ~25 % around here, and a community fills only
   * part of its bbox), and on the exact count otherwise.
   */
  function refuseHugePolyfill(bbox: Bbox, res: number, what: string): void {
    const estimate = estimateCellCount(bbox, res);
    if (estimate > 4 * MAX_STUDY_CELLS) checkSize(estimate, res, what);
  }

  async function studyArea(db: Db, q: { community_id?: number | undefined; bbox?: Bbox | undefined }, res: number): Promise<StudyArea> {
    let cells: string[];
    let bbox: Bbox;
    let json: StudyArea['json'];
    if (q.community_id !== undefined) {
      const [row] = await queries.run<{ id: number; name: string; geometry: string; min_lon: number; min_lat: number; max_lon: number; max_lat: number }>(db, 'hotspot_area', [q.community_id]);
      if (!row) throw new ApiError(404, 'not_found', `community ${q.community_id} does not exist`);
      bbox = [row.min_lon, row.min_lat, row.max_lon, row.max_lat];
      refuseHugePolyfill(bbox, res, `community ${row.id}`);
      cells = cellsInGeometry(JSON.parse(row.geometry) as MultiPolygon, res);
      checkSize(cells.length, res, `community ${row.id}`);
      json = { community_id: row.id, name: row.name, bbox };
    } else {
      bbox = q.bbox!;
      refuseHugePolyfill(bbox, res, 'the bbox');
      cells = cellsInBbox(bbox, res);
      checkSize(cells.length, res, 'the bbox');
      json = { community_id: null, name: null, bbox };
    }
    if (cells.length < 2) {
      throw new ApiError(422, 'area_too_small', `the study area holds ${cells.length} cell(s) at res ${res}; Gi* needs at least 2: use a finer res`, { cells: cells.length });
    }
    return { cells: cells.sort(), countBbox: padForCells(bbox, res), json };
  }

  /** counts[t][i]: events of cell i in period t. */
  async function periodCounts(db: Db, area: StudyArea, res: number, start: string, periodDays: number, periods: number, settings: HeatSettings, f: EventFilter): Promise<number[][]> {
    const rows = await queries.run<{ cell: string; period: number; n: number }>(db, 'hotspot_period_counts', [
      ...area.countBbox, res, start, periodDays, periods, settings.timezone, f.types, f.subtypes, f.hours, f.weekdays,
    ] as never[]);
    const index = new Map(area.cells.map((c, i) => [c, i]));
    const counts = Array.from({ length: periods }, () => new Array<number>(area.cells.length).fill(0));
    for (const r of rows) {
      const i = index.get(r.cell);
      if (i !== undefined) counts[r.period]![i] = r.n;
    }
    return counts;
  }

  async function gistar(db: Db, query: z.output<typeof gistarQuery>) {
    const settings = await loadSettings(db, queries);
    const window: DayWindow = windowOrThrow(query.from, query.to, settings, MAX_WINDOW_DAYS);
    const res = query.res ?? settings.res;
    const k = query.k ?? settings.k;
    const area = await studyArea(db, query, res);
    const days = windowDays(window);
    const [values] = await periodCounts(db, area, res, window.from, days, 1, settings, eventFilter(query));
    const results = giStar(values!, h3Neighbours(area.cells, k));
    const classes: Record<string, number> = Object.fromEntries([3, 2, 1, 0, -1, -2, -3].map((level) => [String(level), 0]));
    for (const r of results) classes[String(r.class)]! += 1;
    const cells = area.cells
      .map((cell, i) => ({ cell, n: values![i]!, z: round(results[i]!.z), p: sig(results[i]!.p), q: sig(results[i]!.q), class: results[i]!.class }))
      .sort((a, b) => b.z - a.z || (a.cell < b.cell ? -1 : 1));
    return {
      res,
      k,
      window: { from: window.from, to: window.to, days, timezone: settings.timezone },
      area: area.json,
      n: cells.length,
      events: values!.reduce((s, v) => s + v, 0),
      classes,
      cells,
    };
  }

  async function emerging(db: Db, query: z.output<typeof emergingQuery>) {
    const settings = await loadSettings(db, queries);
    const periodDays = query.period_days ?? settings.periodDays;
    const periods = query.periods ?? settings.periods;
    const to = query.to ?? settings.today;
    const start = addDays(to, 1 - periodDays * periods);
    windowOrThrow(start, to, settings, MAX_WINDOW_DAYS, ['period_days', 'periods']);
    const res = query.res ?? settings.res;
    const k = query.k ?? settings.k;
    const area = await studyArea(db, query, res);
    const counts = await periodCounts(db, area, res, start, periodDays, periods, settings, eventFilter(query));
    const results = emergingHotspots(counts, h3Neighbours(area.cells, k));
    const patterns: Record<string, number> = {};
    const cells = results.map((r, i) => {
      const key = r.spot ? `${r.pattern}_${r.spot}` : 'none';
      patterns[key] = (patterns[key] ?? 0) + 1;
      return {
        cell: area.cells[i]!,
        counts: r.counts,
        z: r.z.map((v) => round(v)),
        classes: r.classes,
        trend: { s: r.trend.s, variance: round(r.trend.variance), z: round(r.trend.z), p: sig(r.trend.p) },
        pattern: r.pattern,
        spot: r.spot,
      };
    });
    return {
      res,
      k,
      area: area.json,
      timezone: settings.timezone,
      periods: Array.from({ length: periods }, (_, t) => ({ from: addDays(start, t * periodDays), to: addDays(start, (t + 1) * periodDays - 1) })),
      trend_alpha: TREND_ALPHA,
      n: cells.length,
      patterns,
      cells,
    };
  }

  return { gistar, emerging };
}

export function hotspotsResource(deps: Pick<Deps, 'sql' | 'queries' | 'guard'>): Resource {
  const { gistar, emerging } = hotspotAnalysis(deps);
  /** Events reported since the last cell assignment must count. */
  const prepare = () => fillPendingCells(deps.sql, deps.queries).then(() => undefined);
  return new Resource('/api/hotspots', 'hotspots', deps.guard)
    .route(
      {
        method: 'get',
        access: AGGREGATE_ACCESS,
        prepare,
        path: '/gistar',
        summary: '热点分析（Getis-Ord Gi*，FDR 校正）/ hot and cold spots on H3 cells of a community or bbox',
        query: gistarQuery,
        responses: {
          200: { description: 'every cell of the study area, hottest first', schema: gistarBody },
          400: invalidInputResponse,
          404: notFoundResponse,
          422: { description: 'study area too small for the resolution' },
        },
      },
      async (c, { query }, db) => c.json(await gistar(db, query)),
    )
    .route(
      {
        method: 'get',
        access: AGGREGATE_ACCESS,
        prepare,
        path: '/emerging',
        summary: '新兴热点（逐期 Gi* + Mann-Kendall 趋势）/ emerging hot-spot pattern per cell over consecutive periods',
        query: emergingQuery,
        responses: {
          200: { description: 'every cell of the study area with its per-period series, trend and pattern', schema: emergingBody },
          400: invalidInputResponse,
          404: notFoundResponse,
          422: { description: 'study area too small for the resolution' },
        },
      },
      async (c, { query }, db) => c.json(await emerging(db, query)),
    );
}
