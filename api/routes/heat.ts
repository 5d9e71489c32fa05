import { AGGREGATE } from '../http/answer-cache.ts';
import { z } from 'zod';
import { fillPendingCells } from '../analytics/cells.ts';
import { AGGREGATE_ACCESS, dateParam, eventFilter, eventFilterShape, loadSettings, positiveId, resParam, subtypesParam, typesParam, windowOrThrow } from '../analytics/params.ts';
import { addDays, previousWindow, windowDays, type DayWindow } from '../analytics/window.ts';
import type { Deps } from '../deps.ts';
import { bboxParam } from '../http/geo.ts';
import { Resource } from '../http/resource.ts';
import { invalidInputResponse } from './respond.ts';

/** Server-side caps: a map never needs more cells than this, and windows longer than 3 years are analyses for a batch job. */
export const MAX_HEAT_CELLS = 50_000;
export const MAX_WINDOW_DAYS = 1096;

const windowShape = { from: dateParam.optional(), to: dateParam.optional() };

const h3Query = z
  .object({ bbox: bboxParam, res: resParam.optional(), ...windowShape, ...eventFilterShape, limit: z.coerce.number().int().positive().optional() })
  .strict();

const matrixQuery = z
  .object({
    bbox: bboxParam.optional(),
    subdistrict_id: positiveId.optional(),
    community_id: positiveId.optional(),
    grid_id: positiveId.optional(),
    ...windowShape,
    type: typesParam.optional(),
    subtype: subtypesParam.optional(),
  })
  .strict()
  .refine((q) => [q.bbox, q.subdistrict_id, q.community_id, q.grid_id].filter((v) => v !== undefined).length <= 1, {
    message: 'give at most one area: bbox, subdistrict_id, community_id or grid_id',
    path: ['bbox'],
  });

const compareQuery = z
  .object({
    bbox: bboxParam,
    by: z.enum(['cell', 'grid']).optional(),
    res: resParam.optional(),
    ...windowShape,
    from2: dateParam.optional(),
    to2: dateParam.optional(),
    ...eventFilterShape,
    limit: z.coerce.number().int().positive().optional(),
  })
  .strict()
  .refine((q) => (q.from2 === undefined) === (q.to2 === undefined), { message: 'give both from2 and to2, or neither (baseline = the preceding window of equal length)', path: ['from2'] })
  .refine((q) => q.by !== 'grid' || q.res === undefined, { message: 'res applies to by=cell only', path: ['res'] });

const windowBody = z.object({ from: z.string(), to: z.string(), days: z.number(), timezone: z.string() });

const h3Body = z.object({
  res: z.number(),
  window: windowBody,
  events: z.number().describe('events in the returned cells'),
  max: z.number().describe('largest cell count (0 when empty)'),
  truncated: z.boolean(),
  limit: z.number(),
  cells: z.array(z.object({ cell: z.string().describe('H3 index, 15 hex digits'), n: z.number() })),
});

const matrixBody = z.object({
  window: windowBody,
  weekdays: z.array(z.number()).describe('row order: ISO weekday 1 = Monday .. 7 = Sunday'),
  matrix: z.array(z.array(z.number())).describe('7 rows (weekdays) × 24 columns (local hours)'),
  total: z.number(),
  max: z.number(),
});

const compareBody = z.object({
  by: z.enum(['cell', 'grid']),
  res: z.number().nullable(),
  a: windowBody,
  b: windowBody,
  truncated: z.boolean(),
  limit: z.number(),
  rows: z.array(
    z.object({
      cell: z.string().optional(),
      grid_id: z.number().optional(),
      code: z.string().optional(),
      name: z.string().optional(),
      a: z.number(),
      b: z.number(),
      diff: z.number().describe('a − b (counts)'),
      ratio: z.number().nullable().describe('(a / days of A) / (b / days of B): the ratio of daily rates; null when b = 0'),
    }),
  ),
});

function windowJson(w: DayWindow, timezone: string) {
  return { from: w.from, to: w.to, days: windowDays(w), timezone };
}

export function heatResource(deps: Pick<Deps, 'sql' | 'queries' | 'guard'>): Resource {
  const { sql, queries } = deps;
  return new Resource('/api/heat', 'heat', deps.guard)
    .route(
      {
        method: 'get',
        access: AGGREGATE_ACCESS,
        prepare: () => fillPendingCells(sql, queries).then(() => undefined),
        path: '/h3',
        cache: AGGREGATE,
        summary: '事件热力（H3 六边形）/ event counts per H3 cell in a bbox, window and filters',
        query: h3Query,
        responses: { 200: { description: 'cells with counts, most events first', schema: h3Body }, 400: invalidInputResponse },
      },
      async (c, { query }, db) => {
        const settings = await loadSettings(db, queries);
        const window = windowOrThrow(query.from, query.to, settings, MAX_WINDOW_DAYS);
        const res = query.res ?? settings.res;
        const limit = Math.min(query.limit ?? MAX_HEAT_CELLS, MAX_HEAT_CELLS);
        const f = eventFilter(query);
        const rows = await queries.run<{ cell: string; n: number }>(db, 'heat_h3', [
          ...query.bbox, res, window.from, addDays(window.to, 1), settings.timezone, f.types, f.subtypes, f.hours, f.weekdays, limit + 1,
        ] as never[]);
        const cells = rows.slice(0, limit);
        return c.json({
          res,
          window: windowJson(window, settings.timezone),
          events: cells.reduce((s, r) => s + r.n, 0),
          max: cells[0]?.n ?? 0,
          truncated: rows.length > limit,
          limit,
          cells,
        });
      },
    )
    .route(
      {
        method: 'get',
        access: AGGREGATE_ACCESS,
        path: '/matrix',
        cache: AGGREGATE,
        summary: '时段分布（星期 × 小时）/ 7 × 24 matrix of events by local weekday and hour for an area',
        query: matrixQuery,
        responses: { 200: { description: 'weekday × hour counts', schema: matrixBody }, 400: invalidInputResponse },
      },
      async (c, { query }, db) => {
        const settings = await loadSettings(db, queries);
        const window = windowOrThrow(query.from, query.to, settings, MAX_WINDOW_DAYS);
        const [x0, y0, x1, y1] = query.bbox ?? [null, null, null, null];
        const rows = await queries.run<{ weekday: number; hour: number; n: number }>(db, 'heat_matrix', [
          x0, y0, x1, y1, query.subdistrict_id ?? null, query.community_id ?? null, query.grid_id ?? null,
          window.from, addDays(window.to, 1), settings.timezone, query.type ?? null, query.subtype ?? null,
        ] as never[]);
        const matrix = Array.from({ length: 7 }, () => new Array<number>(24).fill(0));
        for (const r of rows) matrix[r.weekday - 1]![r.hour] = r.n;
        return c.json({
          window: windowJson(window, settings.timezone),
          weekdays: [1, 2, 3, 4, 5, 6, 7],
          matrix,
          total: rows.reduce((s, r) => s + r.n, 0),
          max: rows.reduce((m, r) => Math.max(m, r.n), 0),
        });
      },
    )
    .route(
      {
        method: 'get',
        access: AGGREGATE_ACCESS,
        prepare: () => fillPendingCells(sql, queries).then(() => undefined),
        path: '/compare',
        cache: AGGREGATE,
        summary: '两期对比（差值与比值）/ per cell or grid: counts in window A and baseline B, difference and rate ratio',
        query: compareQuery,
        responses: { 200: { description: 'largest changes first', schema: compareBody }, 400: invalidInputResponse },
      },
      async (c, { query }, db) => {
        const settings = await loadSettings(db, queries);
        const a = windowOrThrow(query.from, query.to, settings, MAX_WINDOW_DAYS);
        const b = query.from2 !== undefined ? windowOrThrow(query.from2, query.to2, settings, MAX_WINDOW_DAYS, ['from2', 'to2']) : previousWindow(a);
        const by = query.by ?? 'cell';
        const limit = Math.min(query.limit ?? MAX_HEAT_CELLS, MAX_HEAT_CELLS);
        const f = eventFilter(query);
        const windows = [a.from, addDays(a.to, 1), b.from, addDays(b.to, 1)];
        const filters = [settings.timezone, f.types, f.subtypes, f.hours, f.weekdays, limit + 1];
        const res = by === 'cell' ? (query.res ?? settings.res) : null;
        const rows =
          by === 'cell'
            ? await queries.run<{ cell: string; a: number; b: number }>(db, 'heat_compare_cells', [...query.bbox, res, ...windows, ...filters] as never[])
            : await queries.run<{ grid_id: number; code: string; name: string; a: number; b: number }>(db, 'heat_compare_grids', [...query.bbox, ...windows, ...filters] as never[]);
        const [daysA, daysB] = [windowDays(a), windowDays(b)];
        return c.json({
          by,
          res,
          a: windowJson(a, settings.timezone),
          b: windowJson(b, settings.timezone),
          truncated: rows.length > limit,
          limit,
          rows: rows.slice(0, limit).map((r) => ({ ...r, diff: r.a - r.b, ratio: r.b > 0 ? r.a / daysA / (r.b / daysB) : null })),
        });
      },
    );
}

