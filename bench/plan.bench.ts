import { latLngToCell } from 'h3-js';
import type { Sql } from 'postgres';
import { QueryCatalog } from '../api/db/queries.ts';
import { ownerWithin } from '../api/db/owner.ts';
import { SYSTEM_ACTOR } from '../api/events/service.ts';
import { generatePlan, PLAN_RES } from '../api/patrol/plans.ts';
import { timeCalls } from './measure.ts';
import type { BenchContext, BenchResult } from './types.ts';

/**
 * Precise-patrol plan generation (issue #8): a whole plan (area, incidents per cell at the shift's
 * hours, Gi*, last passes, key locations, ranking, routes, writes) for one community and for a
 * district of ~500 grids, each inside a rolled-back transaction. Baseline, in the same run: only
 * gathering the incidents the naive way (a request-time spatial join of raw event rows with the
 * area, then h3-js per event), without any of the rest.
 */

class Rollback extends Error {}

async function inRollback(sql: Sql, fn: (tx: Sql) => Promise<unknown>): Promise<void> {
  try {
    await sql.begin(async (tx) => {
      await fn(tx as unknown as Sql);
      throw new Rollback();
    });
  } catch (err) {
    if (!(err instanceof Rollback)) throw err;
  }
}

async function naiveIncidents(sql: Sql, gridIds: number[], from: Date, to: Date, hours: number[]): Promise<number> {
  const rows = await sql<{ lon: number; lat: number }[]>`
    SELECT ST_X(e.geom) AS lon, ST_Y(e.geom) AS lat
    FROM event e JOIN (SELECT ST_Union(geom) AS geom FROM grid WHERE id = ANY (${gridIds}::int[])) a ON ST_Intersects(e.geom, a.geom)
    WHERE e.reported_at >= ${from} AND e.reported_at < ${to} AND e.state <> 'cancelled'
      AND extract(hour FROM e.reported_at AT TIME ZONE 'Asia/Shanghai')::int = ANY (${hours}::int[])`;
  const cells = new Map<string, number>();
  for (const r of rows) {
    const c = latLngToCell(r.lat, r.lon, PLAN_RES);
    cells.set(c, (cells.get(c) ?? 0) + 1);
  }
  return cells.size;
}

export async function benchPlan(ctx: BenchContext): Promise<BenchResult[]> {
  const { sql, log } = ctx;
  const runs = Math.max(3, Math.min(ctx.runs, 10));
  const queries = new QueryCatalog();
  const [latest] = await sql<{ day: string }[]>`SELECT (max(reported_at) AT TIME ZONE 'Asia/Shanghai')::date::text AS day FROM event`;
  const date = latest!.day;
  // The community with the most grids, and ~500 grids of neighbouring sub-districts for a district.
  const [community] = await sql<{ id: number; grids: number }[]>`
    SELECT community_id AS id, count(*)::int AS grids FROM grid GROUP BY community_id ORDER BY count(*) DESC, community_id LIMIT 1`;
  const district = (await sql<{ id: number }[]>`
    SELECT g.id FROM grid g JOIN community c ON c.id = g.community_id ORDER BY c.subdistrict_id, g.id LIMIT 500`).map((r) => r.id);
  const hours = [19, 20, 21, 22];
  const from = new Date(Date.parse(`${date}T11:00:00Z`) - 30 * 86_400_000);
  const to = new Date(Date.parse(`${date}T11:00:00Z`));
  const results: BenchResult[] = [];
  for (const [name, area, gridIds, target] of [
    [`plan: community (${community!.grids} grids)`, { community_id: community!.id }, null, 2000],
    [`plan: district (${district.length} grids)`, { grid_ids: district }, district, 10_000],
  ] as const) {
    let stops = 0;
    const ours = await timeCalls(() => inRollback(sql, async (tx) => {
      const r = await generatePlan(tx, ownerWithin(tx), queries, { ...area, date, start_hour: 19, end_hour: 23, teams: gridIds ? 6 : 2 }, SYSTEM_ACTOR);
      [{ n: stops }] = await tx<[{ n: number }]>`SELECT count(*)::int AS n FROM patrol_plan_stop WHERE plan_id = ${r.planId}`;
    }), runs, 1);
    const ids = gridIds ?? (await sql<{ id: number }[]>`SELECT id FROM grid WHERE community_id = ${community!.id}`).map((r) => r.id);
    let cells = 0;
    const baseline = await timeCalls(async () => (cells = await naiveIncidents(sql, ids, from, to, hours)), runs, 1);
    log(`${name}: ${stops} stops planned; naive gathering found ${cells} cells with incidents`);
    results.push({ name, ours, baseline: { ...baseline, label: 'incidents only: request-time ST_Intersects of raw events + h3-js per event' }, targetP50: target });
  }
  return results;
}
