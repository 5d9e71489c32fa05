import { AGGREGATE } from '../http/answer-cache.ts';
import { z } from 'zod';
import { fillPendingCells } from '../analytics/cells.ts';
import { AGGREGATE_ACCESS, dateParam, eventFilter, eventFilterShape, loadSettings, windowOrThrow } from '../analytics/params.ts';
import { addDays, windowDays } from '../analytics/window.ts';
import type { Deps } from '../deps.ts';
import { bboxParam } from '../http/geo.ts';
import { Resource } from '../http/resource.ts';
import { MAX_WINDOW_DAYS } from './heat.ts';
import { invalidInputResponse } from './respond.ts';

/**
 * What the analysts' time bar and point layer read: events per day (the histogram under the
 * brush), by type and subtype (the type breakdown chart), and event locations for the clustered
 * point layer. Both read the heat fact table with the heat filters, so they count exactly what
 * the heat, hex and Gi* layers count, and are aggregates every logged-in role may see.
 */
export const DEFAULT_POINTS = 20_000;
export const MAX_POINTS = 50_000;

const windowShape = { from: dateParam.optional(), to: dateParam.optional() };
const histogramQuery = z.object({ bbox: bboxParam.optional(), ...windowShape, ...eventFilterShape }).strict();
const pointsQuery = z
  .object({ bbox: bboxParam, ...windowShape, ...eventFilterShape, limit: z.coerce.number().int().positive().optional().describe(`points (default ${DEFAULT_POINTS}, max ${MAX_POINTS})`) })
  .strict();

const windowBody = z.object({ from: z.string(), to: z.string(), days: z.number(), timezone: z.string() });
const histogramBody = z.object({
  window: windowBody,
  total: z.number(),
  max: z.number().describe('largest daily count'),
  days: z.array(z.object({ day: z.string(), n: z.number() })).describe('every day of the window, zeros included'),
  types: z.array(z.object({ type: z.string(), n: z.number(), subtypes: z.array(z.object({ subtype: z.string().nullable(), n: z.number() })) })).describe('most events first'),
});
const pointsBody = z.object({
  window: windowBody,
  count: z.number(),
  truncated: z.boolean(),
  limit: z.number(),
  types: z.array(z.string()).describe('the type of point i is types[type_index[i]]'),
  coords: z.array(z.number()).describe('flat lon, lat pairs (WGS84, 5 decimals ≈ 1 m)'),
  type_index: z.array(z.number()),
});

export function eventHistogramResource(deps: Pick<Deps, 'sql' | 'queries' | 'guard'>): Resource {
  const { sql, queries } = deps;
  return new Resource('/api/stats', 'stats', deps.guard).route(
    {
      method: 'get',
      access: AGGREGATE_ACCESS,
      prepare: () => fillPendingCells(sql, queries).then(() => undefined),
      path: '/event-histogram',
      cache: AGGREGATE,
      summary: '事件日分布与类型构成 / events per local day and per type/subtype in a window, optionally in a bbox',
      query: histogramQuery,
      responses: { 200: { description: 'daily counts and type breakdown', schema: histogramBody }, 400: invalidInputResponse },
    },
    async (c, { query }, db) => {
      const settings = await loadSettings(db, queries);
      const window = windowOrThrow(query.from, query.to, settings, MAX_WINDOW_DAYS);
      const f = eventFilter(query);
      const [x0, y0, x1, y1] = query.bbox ?? [null, null, null, null];
      const rows = await queries.run<{ day: string; type: string; subtype: string | null; n: number }>(db, 'event_histogram', [
        x0, y0, x1, y1, window.from, addDays(window.to, 1), settings.timezone, f.types, f.subtypes, f.hours, f.weekdays,
      ] as never[]);
      const perDay = new Map<string, number>();
      const perType = new Map<string, { n: number; subtypes: Map<string | null, number> }>();
      for (const r of rows) {
        perDay.set(r.day, (perDay.get(r.day) ?? 0) + r.n);
        const t = perType.get(r.type) ?? { n: 0, subtypes: new Map<string | null, number>() };
        t.n += r.n;
        t.subtypes.set(r.subtype, (t.subtypes.get(r.subtype) ?? 0) + r.n);
        perType.set(r.type, t);
      }
      const days = Array.from({ length: windowDays(window) }, (_, i) => {
        const day = addDays(window.from, i);
        return { day, n: perDay.get(day) ?? 0 };
      });
      const byCount = <K>(a: [K, number], b: [K, number]) => b[1] - a[1] || String(a[0]).localeCompare(String(b[0]));
      return c.json({
        window: { from: window.from, to: window.to, days: windowDays(window), timezone: settings.timezone },
        total: days.reduce((s, d) => s + d.n, 0),
        max: days.reduce((m, d) => Math.max(m, d.n), 0),
        days,
        types: [...perType.entries()]
          .map(([type, t]) => [type, t.n, t.subtypes] as const)
          .sort((a, b) => byCount([a[0], a[1]], [b[0], b[1]]))
          .map(([type, n, subs]) => ({ type, n, subtypes: [...subs.entries()].sort(byCount).map(([subtype, m]) => ({ subtype, n: m })) })),
      });
    },
  );
}

export function incidentPointsResource(deps: Pick<Deps, 'sql' | 'queries' | 'guard'>): Resource {
  const { sql, queries } = deps;
  return new Resource('/api/heat', 'heat', deps.guard).route(
    {
      method: 'get',
      access: AGGREGATE_ACCESS,
      prepare: () => fillPendingCells(sql, queries).then(() => undefined),
      path: '/points',
      cache: AGGREGATE,
      summary: '事件点位（列式）/ event locations in a bbox, window and filters, columnar, newest first, without identities',
      query: pointsQuery,
      responses: { 200: { description: 'columnar points', schema: pointsBody }, 400: invalidInputResponse },
    },
    async (c, { query }, db) => {
      const settings = await loadSettings(db, queries);
      const window = windowOrThrow(query.from, query.to, settings, MAX_WINDOW_DAYS);
      const limit = Math.min(query.limit ?? DEFAULT_POINTS, MAX_POINTS);
      const f = eventFilter(query);
      const rows = await queries.run<{ lon: number; lat: number; type: string }>(db, 'incident_points', [
        ...query.bbox, window.from, addDays(window.to, 1), settings.timezone, f.types, f.subtypes, f.hours, f.weekdays, limit + 1,
      ] as never[]);
      const kept = rows.slice(0, limit);
      const types: string[] = [];
      const coords: number[] = [];
      const typeIndex: number[] = [];
      const round = (x: number) => Math.round(x * 1e5) / 1e5;
      for (const r of kept) {
        let i = types.indexOf(r.type);
        if (i < 0) i = types.push(r.type) - 1;
        coords.push(round(r.lon), round(r.lat));
        typeIndex.push(i);
      }
      return c.json({
        window: { from: window.from, to: window.to, days: windowDays(window), timezone: settings.timezone },
        count: kept.length,
        truncated: rows.length > limit,
        limit,
        types,
        coords,
        type_index: typeIndex,
      });
    },
  );
}
