import type { MultiPolygon } from 'geojson';
import { cellToBoundary, cellToLatLng } from 'h3-js';
import { Hono } from 'hono';
import type { Sql } from 'postgres';
import { cellsInBbox, cellsInGeometry, type Bbox } from '../api/analytics/cells.ts';
import { giStar } from '../api/analytics/gistar.ts';
import { addDays } from '../api/analytics/window.ts';
import { QueryCatalog } from '../api/db/queries.ts';
import type { AppEnv } from '../api/http/env.ts';
import { unguarded } from '../api/auth/guard.ts';
import { heatResource } from '../api/routes/heat.ts';
import { hotspotsResource } from '../api/routes/hotspots.ts';
import { timeCalls } from './measure.ts';
import type { BenchContext, BenchResult } from './types.ts';

/**
 * Heat and hotspot endpoints, called in-process through their Hono routes (validation, the pending
 * cell probe, SQL, Gi* and JSON included; authentication left out), against a naive baseline in the
 * same process: the same answer computed the way a system without stored H3 cells would, by a
 * request-time ST_Intersects of the raw event points with the H3 cell polygons (and, for Gi*,
 * neighbours found by comparing every pair of cell centres).
 */

const VIEWPORT_KM: [number, number] = [10, 8];
const WINDOW_DAYS = 30;

function benchApp(sql: Sql) {
  const passThrough = unguarded(sql);
  const deps = { sql, queries: new QueryCatalog(), guard: passThrough };
  const app = new Hono<AppEnv>();
  for (const r of [heatResource(deps), hotspotsResource(deps)]) app.route(r.base, r.router);
  return app;
}

async function getJson(app: Hono<AppEnv>, path: string): Promise<unknown> {
  const res = await app.request(path);
  if (res.status !== 200) throw new Error(`${path}: HTTP ${res.status} ${await res.text()}`);
  return res.json();
}

/** Viewports of 10 × 8 km centred on the busiest communities: the maps analysts actually look at. */
function viewport([lon, lat]: [number, number]): Bbox {
  const dLon = VIEWPORT_KM[0] / 2 / (111.32 * Math.cos((lat * Math.PI) / 180));
  const dLat = VIEWPORT_KM[1] / 2 / 110.57;
  return [lon - dLon, lat - dLat, lon + dLon, lat + dLat];
}

function cellPolygonsWkt(cells: string[]): string[] {
  return cells.map((c) => {
    const ring = cellToBoundary(c, true);
    return `POLYGON((${[...ring, ring[0]!].map(([x, y]) => `${x} ${y}`).join(',')}))`;
  });
}

/** The naive count: every cell polygon intersected with the raw event points at request time. */
async function naiveCounts(sql: Sql, cells: string[], from: string, toExclusive: string): Promise<Map<string, number>> {
  const rows = await sql<{ cell: string; n: number }[]>`
    SELECT c.cell, count(*)::int AS n
    FROM unnest(${cells}::text[], ${cellPolygonsWkt(cells)}::text[]) AS c(cell, wkt)
    JOIN event e ON ST_Intersects(ST_GeomFromText(c.wkt, 4326), e.geom)
    WHERE e.reported_at >= (${from}::date::timestamp AT TIME ZONE 'Asia/Shanghai')
      AND e.reported_at < (${toExclusive}::date::timestamp AT TIME ZONE 'Asia/Shanghai')
      AND e.state <> 'cancelled'
    GROUP BY c.cell`;
  return new Map(rows.map((r) => [r.cell, r.n]));
}

/** Neighbours by comparing every pair of centres: O(n²), what one writes without H3's grid topology. */
function naiveNeighbours(cells: string[], k: number): number[][] {
  const centres = cells.map((c) => cellToLatLng(c));
  const dist = (a: [number, number], b: [number, number]) => Math.hypot((a[0] - b[0]) * 110.57, (a[1] - b[1]) * 111.32 * Math.cos((a[0] * Math.PI) / 180));
  let spacing = Infinity;
  for (let j = 1; j < centres.length; j++) spacing = Math.min(spacing, dist(centres[0]!, centres[j]!));
  const limit = (k + 0.45) * spacing;
  return centres.map((a) => centres.flatMap((b, j) => (dist(a, b) <= limit ? [j] : [])));
}

export async function benchHeat(ctx: BenchContext): Promise<BenchResult[]> {
  const { sql, log, runs } = ctx;
  const app = benchApp(sql);
  const baselineRuns = Math.max(3, Math.min(10, runs));

  const [last] = await sql<{ day: string }[]>`SELECT to_char(max(reported_at) AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD') AS day FROM event`;
  const to = last!.day;
  const from = addDays(to, 1 - WINDOW_DAYS);
  const toExclusive = addDays(to, 1);
  const busiest = await sql<{ id: number; name: string; n: number; lon: number; lat: number; geometry: string }[]>`
    SELECT m.id, m.name, x.n, ST_X(ST_Centroid(m.geom)) AS lon, ST_Y(ST_Centroid(m.geom)) AS lat, ST_AsGeoJSON(m.geom) AS geometry
    FROM (SELECT g.community_id, count(*)::int AS n FROM event e JOIN grid g ON g.id = e.grid_id
          WHERE e.reported_at >= (${from}::date::timestamp AT TIME ZONE 'Asia/Shanghai') GROUP BY 1 ORDER BY 2 DESC LIMIT 10) x
    JOIN community m ON m.id = x.community_id ORDER BY x.n DESC`;
  if (!busiest.length) throw new Error(`no events in the ${WINDOW_DAYS} days up to ${to}: is the city loaded?`);
  log(`heat: window ${from}..${to} (${WINDOW_DAYS} days); ${busiest.length} busiest communities: ${busiest[0]!.n}..${busiest[busiest.length - 1]!.n} events each`);
  const boxes = busiest.map((b) => viewport([b.lon, b.lat]));
  const pick = <T>(list: T[], i: number) => list[i % list.length]!;
  const results: BenchResult[] = [];
  const window = `from=${from}&to=${to}`;
  const done = (r: BenchResult) => {
    results.push(r);
    log(`  ${r.name}: p50 ${r.ours.p50.toFixed(1)} ms${r.baseline ? `, naive p50 ${r.baseline.p50.toFixed(1)} ms` : ''}`);
  };

  // 1. H3 heat for a viewport, res 9 (~0.1 km² cells) and res 11.
  for (const res of [9, 11]) {
    const ours = await timeCalls((i) => getJson(app, `/api/heat/h3?bbox=${pick(boxes, i).join(',')}&res=${res}&${window}`), runs);
    const viewportCells = boxes.map((b) => cellsInBbox(b, res));
    // At res 11 one naive call takes minutes: a single call, no warm-up.
    const baseline = res === 11
      ? await timeCalls(() => naiveCounts(sql, viewportCells[0]!, from, toExclusive), 1, 0)
      : await timeCalls((i) => naiveCounts(sql, pick(viewportCells, i), from, toExclusive), baselineRuns, 1);
    done({
      name: `heat/h3 viewport ${VIEWPORT_KM.join('×')} km res ${res}`,
      ours,
      baseline: { ...baseline, label: `ST_Intersects of events with ${viewportCells[0]!.length} cell polygons` },
      ...(res === 9 ? { targetP50: 150 } : {}),
    });
  }

  // 2. The whole city at res 7, all types, one window.
  const [extent] = await sql<{ b: number[] }[]>`SELECT ARRAY[ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e)] AS b FROM (SELECT ST_Extent(geom)::geometry AS e FROM grid) x`;
  const city = extent!.b as Bbox;
  done({ name: 'heat/h3 whole city res 7', ours: await timeCalls(() => getJson(app, `/api/heat/h3?bbox=${city.join(',')}&res=7&${window}`), runs) });

  // 3. Weekday × hour matrix of a community, and the per-cell comparison with the preceding window.
  done({ name: 'heat/matrix community', ours: await timeCalls((i) => getJson(app, `/api/heat/matrix?community_id=${pick(busiest, i).id}&${window}`), runs) });
  done({ name: 'heat/compare viewport res 9', ours: await timeCalls((i) => getJson(app, `/api/heat/compare?bbox=${pick(boxes, i).join(',')}&res=9&${window}`), runs) });

  // 4. Gi* for a community (res 9 and 10, k = 1) against counts by ST_Intersects and O(n²) neighbours.
  for (const res of [9, 10]) {
    const ours = await timeCalls((i) => getJson(app, `/api/hotspots/gistar?community_id=${pick(busiest, i).id}&res=${res}&k=1&${window}`), runs);
    const areas = busiest.map((b) => cellsInGeometry(JSON.parse(b.geometry) as MultiPolygon, res).sort());
    const baseline = await timeCalls(async (i) => {
      const cells = pick(areas, i);
      const counts = await naiveCounts(sql, cells, from, toExclusive);
      return giStar(cells.map((c) => counts.get(c) ?? 0), naiveNeighbours(cells, 1));
    }, baselineRuns, 1);
    done({
      name: `hotspots/gistar community res ${res} k 1`,
      ours,
      baseline: { ...baseline, label: `ST_Intersects counts + O(n²) neighbours, ${areas[0]!.length} cells` },
      ...(res === 9 ? { targetP50: 300 } : {}),
    });
  }

  // 5. Emerging hot spots for a community: 8 weekly periods.
  done({
    name: 'hotspots/emerging community res 9, 8 × 7 d',
    ours: await timeCalls((i) => getJson(app, `/api/hotspots/emerging?community_id=${pick(busiest, i).id}&res=9&k=1&to=${to}&period_days=7&periods=8`), runs),
  });
  return results;
}
