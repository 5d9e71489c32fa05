import { z } from 'zod';
import type { Role } from '../auth/types.ts';
import type { Deps } from '../deps.ts';
import { fillPendingCells } from '../analytics/cells.ts';
import { ApiError } from '../http/errors.ts';
import { arealGeometry, idParam } from '../http/geo.ts';
import { Resource } from '../http/resource.ts';
import { binomialTwoSided, generatePlan, loadPlan, PLAN_ACTIONS, planCompliance, replaceStops, setDevices, transitionPlan, type PlanAction } from '../patrol/plans.ts';
import { actorOf } from './events.ts';
import { invalidInputResponse } from './respond.ts';

/** Patrol leaders: police and grid leaders plan; the police approve and publish. */
const PLANNERS: Role[] = ['command', 'station_chief', 'police', 'aux_police', 'grid_leader'];
const APPROVERS: Role[] = ['command', 'station_chief', 'police'];
const READERS: Role[] = ['command', 'station_chief', 'police', 'aux_police', 'grid_leader', 'grid_worker'];
const MAX_LIST = 200;

const lon = z.number().finite().min(-180).max(180);
const lat = z.number().finite().min(-90).max(90);
const id = z.number().int().positive().max(2_147_483_647);

const generateBody = z
  .object({
    community_id: id.optional(),
    grid_ids: z.array(id).min(1).max(1000).optional(),
    polygon: arealGeometry.optional(),
    date: z.iso.date(),
    start_hour: z.number().int().min(0).max(23),
    end_hour: z.number().int().min(1).max(24),
    teams: z.number().int().min(1).max(20).default(1),
    speed_kmh: z.number().finite().positive().max(60).optional().describe('步巡 4.5，电动车 15，车巡 25'),
    window_days: z.number().int().min(7).max(365).optional(),
    types: z.array(z.enum(['public_security', 'dispute', 'hazard', 'service_request'])).min(1).max(4).optional(),
    start: z.tuple([lon, lat]).optional().describe('出发点（派出所/警务室）；缺省为区域内一点'),
    name: z.string().trim().min(1).max(100).optional(),
    max_targets: z.number().int().min(1).max(200).optional(),
  })
  .strict()
  .refine((b) => [b.community_id, b.grid_ids, b.polygon].filter((x) => x !== undefined).length === 1, {
    message: 'give exactly one area: community_id, grid_ids or polygon', path: ['community_id'],
  })
  .refine((b) => b.end_hour % 24 !== b.start_hour, { message: 'the shift must last at least one hour', path: ['end_hour'] });

const stopsBody = z.object({
  expected_version: z.number().int().positive(),
  stops: z.array(z.object({
    team: z.number().int().min(1).max(20),
    target_kind: z.enum(['h3_cell', 'key_location', 'manual']),
    target_ref: z.string().max(40).nullable().optional(),
    lon, lat,
    dwell_min: z.number().int().min(0).max(480),
    reason: z.string().trim().min(1).max(300).optional(),
  }).strict()).max(300),
}).strict();

const transitionBody = z.object({ action: z.enum(Object.keys(PLAN_ACTIONS) as [PlanAction, ...PlanAction[]]), expected_version: z.number().int().positive() }).strict();
const devicesBody = z.object({
  expected_version: z.number().int().positive(),
  teams: z.array(z.object({ team: z.number().int().min(1).max(20), device_ids: z.array(id).max(50) }).strict()).max(20),
}).strict();
const listQuery = z.object({
  community_id: z.coerce.number().int().positive().optional(),
  state: z.enum(['draft', 'approved', 'published', 'archived']).optional(),
  limit: z.coerce.number().int().min(1).max(MAX_LIST).optional(),
}).strict();
const historyQuery = z.object({
  community_id: z.coerce.number().int().positive().optional(),
  days: z.coerce.number().int().min(7).max(90).default(14).describe('比较计划前后各多少天'),
}).strict();
const teamQuery = z.object({ team: z.coerce.number().int().min(1).max(20).optional() }).strict();

function xml(s: string): string {
  return s.replace(/[<>&"']/g, (ch) => `&${({ '<': 'lt', '>': 'gt', '&': 'amp', '"': 'quot', "'": 'apos' } as Record<string, string>)[ch]};`);
}

export function patrolPlansResource(deps: Deps): Resource {
  const { sql, queries } = deps;
  /** Events reported since the last cell assignment must count (as in the heat routes). */
  const fillCells = () => fillPendingCells(sql, queries).then(() => undefined);
  return new Resource('/api/patrol-plans', 'patrol-plans', deps.guard)
    .route(
      {
        method: 'post', path: '/generate', summary: '生成精准巡防方案：热点减去近期巡防覆盖，加上待巡重点部位，分组排线 / generate a draft plan',
        access: { kind: 'session', roles: PLANNERS }, body: generateBody, prepare: fillCells,
        responses: { 201: { description: 'the draft plan' }, 400: invalidInputResponse, 422: { description: 'the area holds no grid you may plan for, or the polygon is not valid' } },
      },
      async (c, { body }, db) => {
        if (body.polygon) {
          // Checked like a grid's boundary: an invalid polygon would make GEOS fail (500) or plan over nothing.
          const [validity] = await queries.run<{ valid: boolean; reason: string; location: string | null }>(db, 'geometry_validity', [JSON.stringify(body.polygon)]);
          if (validity && !validity.valid) {
            throw new ApiError(422, 'invalid_geometry', `polygon is not valid: ${validity.reason}`, { field: 'polygon', reason: validity.reason, location: validity.location });
          }
        }
        const result = await generatePlan(db, c.get('owner'), queries, body, actorOf(c));
        return c.json({ ...(await loadPlan(db, result.planId)), dropped: result.dropped, candidates: result.candidates }, 201);
      },
    )
    .route(
      {
        method: 'get', path: '/', summary: '巡防方案列表 / patrol plans, newest shift first',
        access: { kind: 'session', roles: READERS }, query: listQuery,
        responses: { 200: { description: 'plans' }, 400: invalidInputResponse },
      },
      async (c, { query }, db) => {
        const rows = await db`
          SELECT p.id, p.name, p.community_id, p.state, p.shift_start, p.shift_end, p.team_size, p.version,
                 (SELECT count(*)::int FROM patrol_plan_stop s WHERE s.plan_id = p.id) AS stops
          FROM patrol_plan p
          WHERE (${query.community_id ?? null}::int IS NULL OR p.community_id = ${query.community_id ?? null}::int)
            AND (${query.state ?? null}::text IS NULL OR p.state = ${query.state ?? null}::text)
          ORDER BY p.shift_start DESC, p.id DESC
          LIMIT ${query.limit ?? 50}`;
        return c.json({ plans: rows });
      },
    )
    .route(
      {
        method: 'get', path: '/history', summary: '方案成效：目标网格单元在方案前后同时段的警情数（精确二项检验）/ incidents at targeted cells before and after each published plan',
        access: { kind: 'session', roles: READERS }, query: historyQuery, prepare: fillCells,
        responses: { 200: { description: 'plans with before/after counts' }, 400: invalidInputResponse },
      },
      async (c, { query }, db) => {
        const plans = await db<{ id: number; name: string; shift_start: Date; shift_end: Date; community_id: number | null; hours: number[]; cells: string[] }[]>`
          SELECT p.id, p.name, p.shift_start, p.shift_end, p.community_id,
                 ARRAY(SELECT jsonb_array_elements_text(coalesce(p.params -> 'hours', '[]'::jsonb))::int) AS hours,
                 ARRAY(SELECT s.target_ref FROM patrol_plan_stop s WHERE s.plan_id = p.id AND s.target_kind = 'h3_cell') AS cells
          FROM patrol_plan p
          WHERE p.state IN ('published', 'archived')
            AND (${query.community_id ?? null}::int IS NULL OR p.community_id = ${query.community_id ?? null}::int)
          ORDER BY p.shift_start DESC LIMIT ${MAX_LIST}`;
        const out = [];
        for (const p of plans) {
          const [r] = await db<{ before: number; after: number }[]>`
            SELECT count(*) FILTER (WHERE c.reported_at < ${p.shift_start})::int AS before,
                   count(*) FILTER (WHERE c.reported_at >= ${p.shift_end})::int AS after
            FROM event_cell c
            WHERE c.counted AND c.cell IS NOT NULL
              AND ((c.reported_at >= ${p.shift_start}::timestamptz - make_interval(days => ${query.days}) AND c.reported_at < ${p.shift_start})
                OR (c.reported_at >= ${p.shift_end} AND c.reported_at < ${p.shift_end}::timestamptz + make_interval(days => ${query.days})))
              AND h3_to_hex(h3_cell_to_parent(c.cell, 9)) = ANY (${p.cells}::text[])
              AND extract(hour FROM c.reported_at AT TIME ZONE (SELECT value #>> '{}' FROM config WHERE key = 'timezone'))::int = ANY (${p.hours}::int[])`;
          const n = r!.before + r!.after;
          const pValue = binomialTwoSided(r!.after, n);
          out.push({
            id: p.id, name: p.name, shift_start: p.shift_start, target_cells: p.cells.length, days: query.days,
            before: r!.before, after: r!.after, change: r!.before === 0 ? null : (r!.after - r!.before) / r!.before,
            p_value: pValue,
            // An after-period with fewer incidents is only called a fall when chance is unlikely to explain it.
            verdict: n < 5 ? 'too_few' : pValue < 0.05 ? (r!.after < r!.before ? 'fell' : 'rose') : 'no_clear_change',
          });
        }
        return c.json({ days: query.days, plans: out, method: 'two-sided exact binomial test of after vs before at p = 0.5 (equal windows, same hours)' });
      },
    )
    .route(
      {
        method: 'get', path: '/:id', summary: '巡防方案详情：各组站点、到达时间与理由 / one plan with its teams and stops',
        access: { kind: 'session', roles: READERS }, params: idParam,
        responses: { 200: { description: 'the plan' }, 404: { description: 'not found' } },
      },
      async (c, { params }, db) => c.json(await loadPlan(db, params.id)),
    )
    .route(
      {
        method: 'put', path: '/:id/stops', summary: '编辑草稿站点（拖动、增删、调序），重算到达时间 / replace the stops of a draft',
        access: { kind: 'session', roles: PLANNERS }, params: idParam, body: stopsBody,
        responses: { 200: { description: 'the plan' }, 400: invalidInputResponse, 404: { description: 'not found' }, 409: { description: 'version conflict or not a draft' } },
      },
      async (c, { params, body }, db) => {
        await replaceStops(db, params.id, body.expected_version, body.stops, actorOf(c));
        return c.json(await loadPlan(db, params.id));
      },
    )
    .route(
      {
        method: 'put', path: '/:id/devices', summary: '关联各组巡逻终端（用于轨迹核验）/ link patrol devices to teams',
        access: { kind: 'session', roles: PLANNERS }, params: idParam, body: devicesBody,
        responses: { 200: { description: 'the plan' }, 400: invalidInputResponse, 404: { description: 'not found' }, 409: { description: 'version conflict or not a draft' } },
      },
      async (c, { params, body }, db) => {
        await setDevices(db, params.id, body.expected_version, body.teams, actorOf(c));
        return c.json(await loadPlan(db, params.id));
      },
    )
    .route(
      {
        method: 'post', path: '/:id/transitions', summary: '审批、发布、归档或退回草稿 / approve, publish, archive or reopen',
        access: { kind: 'session', roles: APPROVERS }, params: idParam, body: transitionBody,
        responses: { 200: { description: 'the plan' }, 400: invalidInputResponse, 404: { description: 'not found' }, 409: { description: 'version conflict or illegal transition' }, 422: { description: 'no stops' } },
      },
      async (c, { params, body }, db) => {
        await transitionPlan(db, params.id, body.action, body.expected_version, actorOf(c));
        return c.json(await loadPlan(db, params.id));
      },
    )
    .route(
      {
        method: 'get', path: '/:id/compliance', summary: '轨迹核验：各站点是否到达（50米内）并停留足时，完成率与漏巡清单 / verification from GPS',
        access: { kind: 'session', roles: READERS }, params: idParam,
        responses: { 200: { description: 'per-stop compliance' }, 404: { description: 'not found' } },
      },
      async (c, { params }, db) => c.json(await planCompliance(db, c.get('owner'), params.id)),
    )
    .route(
      {
        method: 'get', path: '/:id/gpx', summary: '导出GPX（每组一条路线）/ the plan as GPX routes for devices',
        access: { kind: 'session', roles: READERS }, params: idParam, query: teamQuery,
        responses: { 200: { description: 'GPX 1.1' }, 404: { description: 'not found' } },
      },
      async (c, { params, query }, db) => {
        const { plan, stops } = await loadPlan(db, params.id);
        const teams = [...new Set(stops.map((s) => s.team))].filter((t) => query.team === undefined || t === query.team);
        const rte = teams.map((t) => `  <rte>\n    <name>${xml(`${plan.name} 第${t}组`)}</name>\n${stops.filter((s) => s.team === t).map((s) =>
          `    <rtept lat="${s.lat.toFixed(7)}" lon="${s.lon.toFixed(7)}"><name>${s.seq}</name><desc>${xml(s.reason)}</desc>${s.eta ? `<time>${s.eta.toISOString()}</time>` : ''}</rtept>`).join('\n')}\n  </rte>`).join('\n');
        const gpx = `<?xml version="1.0" encoding="UTF-8"?>\n<gpx version="1.1" creator="jingwang" xmlns="http://www.topografix.com/GPX/1/1">\n  <metadata><name>${xml(plan.name)}</name></metadata>\n${rte}\n</gpx>\n`;
        return c.body(gpx, 200, { 'content-type': 'application/gpx+xml; charset=utf-8', 'content-disposition': `attachment; filename="patrol-plan-${plan.id}.gpx"` });
      },
    )
    .route(
      {
        method: 'get', path: '/:id/geojson', summary: '导出GeoJSON（站点与路线）/ the plan as GeoJSON',
        access: { kind: 'session', roles: READERS }, params: idParam,
        responses: { 200: { description: 'FeatureCollection' }, 404: { description: 'not found' } },
      },
      async (c, { params }, db) => {
        const { plan, stops } = await loadPlan(db, params.id);
        const features: unknown[] = stops.map((s) => ({
          type: 'Feature', geometry: { type: 'Point', coordinates: [s.lon, s.lat] },
          properties: { team: s.team, seq: s.seq, kind: s.target_kind, ref: s.target_ref, dwell_min: s.dwell_min, eta: s.eta, reason: s.reason, mandatory: s.mandatory },
        }));
        for (let t = 1; t <= plan.team_size; t++) {
          const own = stops.filter((s) => s.team === t);
          if (own.length) features.push({ type: 'Feature', geometry: { type: 'LineString', coordinates: [plan.start, ...own.map((s) => [s.lon, s.lat]), plan.start] }, properties: { team: t, route: true } });
        }
        return c.body(JSON.stringify({ type: 'FeatureCollection', name: plan.name, features }), 200, {
          'content-type': 'application/geo+json; charset=utf-8', 'content-disposition': `attachment; filename="patrol-plan-${plan.id}.geojson"`,
        });
      },
    );
}
