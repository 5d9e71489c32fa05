import { z } from 'zod';
import type { Deps } from '../deps.ts';
import { ApiError } from '../http/errors.ts';
import { arealGeometry } from '../http/geo.ts';
import { Resource } from '../http/resource.ts';
import { refreshKpi } from '../patrol/derived.ts';
import { kpiRows, resolveWindow } from '../patrol/kpi.ts';
import { invalidInputResponse } from './respond.ts';

/** A hand-drawn polygon has tens of vertices; thousands would be an upload, not a drawing. */
export const MAX_AREA_VERTICES = 500;
/** Larger than a city district: beyond it the query stops being an interactive question. */
export const MAX_AREA_KM2 = 500;

const day = z.iso.date();

function vertexCount(g: z.infer<typeof arealGeometry>): number {
  const polys = g.type === 'Polygon' ? [g.coordinates] : g.coordinates;
  return polys.reduce((n, rings) => n + rings.reduce((m, r) => m + r.length - 1, 0), 0);
}

const areaBody = z
  .object({
    polygon: arealGeometry.refine((g) => vertexCount(g) <= MAX_AREA_VERTICES, `a polygon may have at most ${MAX_AREA_VERTICES} vertices`),
    from: day.optional().describe('first day (default: the first day of the current month)'),
    to: day.optional().describe('last day, inclusive (default and maximum: today)'),
  })
  .strict();

interface AreaRow {
  area_m2: number;
  addresses: { total: number; registered: number; by_category: { category: string; total: number; registered: number }[] };
  events: { reported: number; by_type: { type: string; reported: number }[]; by_state: { state: string; events: number }[]; due: number; closed: number; on_time: number };
  visits: { total: number; standard: number };
  key_locations: { total: number; by_type: { type: string; count: number }[] };
  joint_defense_points: number;
  grids: { grid_id: number; code: string; name: string; area_m2: number; inside_m2: number; share: number }[];
}

const rate = (n: number, d: number) => (d > 0 ? n / d : null);

export function areaStatsResource(deps: Pick<Deps, 'sql' | 'queries' | 'guard'>): Resource {
  const { sql, queries } = deps;
  return new Resource('/api/stats/area', 'stats', deps.guard).route(
    {
      method: 'post',
      path: '/',
      summary: '框选统计 / counts and KPIs inside a drawn polygon for a window (your grids only)',
      access: { kind: 'session', roles: 'any' },
      prepare: () => refreshKpi(sql),
      body: areaBody,
      responses: {
        200: { description: 'counts inside the polygon, the grids it overlaps (share of each grid inside) and area-weighted patrol coverage' },
        400: invalidInputResponse,
        422: { description: 'the polygon is not valid (invalid_geometry) or too large (area_too_large); or the window ends before the kept visit history' },
      },
    },
    async (c, { body }, db) => {
      const text = JSON.stringify(body.polygon);
      const [validity] = await queries.run<{ valid: boolean; reason: string; location: string | null }>(db, 'geometry_validity', [text]);
      if (validity && !validity.valid) {
        throw new ApiError(422, 'invalid_geometry', `polygon is not valid: ${validity.reason}`, { field: 'polygon', reason: validity.reason, location: validity.location });
      }
      // Before any count: a huge polygon would scan everything.
      const [{ area_m2: area }] = await db<[{ area_m2: number }]>`SELECT ST_Area(ST_SetSRID(ST_GeomFromGeoJSON(${text}::text), 4326)::geography) AS area_m2`;
      if (area > MAX_AREA_KM2 * 1e6) {
        throw new ApiError(422, 'area_too_large', `the polygon covers ${(area / 1e6).toFixed(1)} km²; at most ${MAX_AREA_KM2} km²`, { area_m2: area, max_m2: MAX_AREA_KM2 * 1e6 });
      }
      const owner = c.get('owner');
      const window = await owner((tx) => resolveWindow(tx, queries, body));
      const [row] = await queries.run<AreaRow>(db, 'stats_area', [text, window.from, window.to]);
      const r = row!;
      const ids = r.grids.map((g) => g.grid_id);
      const kpis = ids.length ? await owner((tx) => kpiRows(tx, queries, 'grid', window, null, ids)) : [];
      const coverage = new Map(kpis.map((k) => [k.unit_id, k.patrol_coverage]));
      const grids = r.grids.map((g) => ({ ...g, patrol_coverage: coverage.get(g.grid_id) ?? null }));
      // Weighted by the area of each grid inside the polygon; grids without patrol cells are left out.
      const weighted = grids.filter((g) => g.patrol_coverage !== null);
      const weight = weighted.reduce((n, g) => n + g.inside_m2, 0);
      return c.json({
        window,
        area_m2: r.area_m2,
        addresses: { ...r.addresses, registration_rate: rate(r.addresses.registered, r.addresses.total) },
        events: { ...r.events, closure_rate: rate(r.events.closed, r.events.due), on_time_rate: rate(r.events.on_time, r.events.due) },
        visits: { ...r.visits, standard_rate: rate(r.visits.standard, r.visits.total) },
        key_locations: r.key_locations,
        joint_defense_points: r.joint_defense_points,
        grids,
        patrol_coverage: weight > 0 ? weighted.reduce((n, g) => n + g.inside_m2 * g.patrol_coverage!, 0) / weight : null,
      });
    },
  );
}
