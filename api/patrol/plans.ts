import { cellToChildren, cellToLatLng } from 'h3-js';
import type { MultiPolygon, Polygon } from 'geojson';
import { cellsInGeometry } from '../analytics/cells.ts';
import { giStar, h3Neighbours } from '../analytics/gistar.ts';
import type { QueryCatalog } from '../db/queries.ts';
import type { Db } from '../db/types.ts';
import type { Owner } from '../db/owner.ts';
import type { Actor } from '../events/service.ts';
import { ApiError } from '../http/errors.ts';
import { checkCompliance, completion, type Fix, type StopCompliance } from '../../geodata/plan/compliance.ts';
import { haversineM, type LonLat } from '../../geodata/plan/geo.ts';
import { planRoutes, type RouteTarget } from '../../geodata/plan/route.ts';
import { rankTargets, type CellCandidate, type GiClass, type KeyLocationCandidate } from '../../geodata/plan/score.ts';

/**
 * Precise patrol plans (精准巡防): generated from incidents at the shift's hours minus recent patrol
 * coverage plus key locations due, routed per team, edited and approved as drafts, published, and
 * verified afterwards from the linked devices' GPS. The ranking, routing and compliance rules are
 * the map-free modules in geodata/plan/; this module reads their inputs and stores their outputs.
 */

const LABEL: Record<string, string> = {
  public_security: '治安', dispute: '纠纷', hazard: '隐患', service_request: '诉求', support_request: '支援',
  theft: '盗窃', fraud: '诈骗', fight: '打架斗殴', disorder: '扰乱秩序', marriage: '婚恋纠纷', economic: '经济纠纷', land: '土地纠纷',
  neighbour: '邻里纠纷', labour: '劳资纠纷', fire: '消防隐患', traffic: '交通隐患', building: '房屋隐患', gathering: '聚集', security_lead: '治安线索', other: '其他',
};
const KEY_TYPE: Record<string, string> = {
  school: '学校', kindergarten: '幼儿园', market: '市场', bank: '银行', clinic: '诊所', hospital: '医院', station: '车站', government: '机关',
  nightlife: '娱乐场所', factory: '工厂', gas_station: '加油站', religious: '宗教场所', park: '公园', other: '其他',
};

export const PLAN_RES = 9;
const MAX_GI_CELLS = 6000;
const COMPLIANCE_RADIUS_M = 50;

export interface GenerateInput {
  community_id?: number | undefined;
  grid_ids?: number[] | undefined;
  polygon?: Polygon | MultiPolygon | undefined;
  date: string;
  start_hour: number;
  end_hour: number;
  teams: number;
  speed_kmh?: number | undefined;
  window_days?: number | undefined;
  types?: string[] | undefined;
  start?: [number, number] | undefined;
  name?: string | undefined;
  max_targets?: number | undefined;
}

export interface StopInput {
  team: number;
  target_kind: 'h3_cell' | 'key_location' | 'manual';
  target_ref?: string | null | undefined;
  lon: number;
  lat: number;
  dwell_min: number;
  reason?: string | undefined;
}

interface PlanRow {
  id: number;
  name: string;
  community_id: number | null;
  grid_ids: number[] | null;
  state: 'draft' | 'approved' | 'published' | 'archived';
  shift_start: Date;
  shift_end: Date;
  team_size: number;
  speed_kmh: number;
  detour_factor: number;
  distance_model: string;
  start_lon: number;
  start_lat: number;
  params: Record<string, unknown>;
  version: number;
  area: string | null;
  approved_at: Date | null;
  published_at: Date | null;
  created_at: Date;
}

function shiftHours(start: number, end: number): number[] {
  const hours: number[] = [];
  for (let h = start; h !== end % 24 || hours.length === 0; h = (h + 1) % 24) {
    hours.push(h);
    if (hours.length > 24) break;
  }
  return hours;
}

function hoursLabel(start: number, end: number): string {
  return `${start}-${end}时`;
}

async function timezone(db: Db): Promise<string> {
  const [row] = await db<{ tz: string }[]>`SELECT value #>> '{}' AS tz FROM config WHERE key = 'timezone'`;
  return row?.tz ?? 'Asia/Shanghai';
}

async function patrolResolution(db: Db): Promise<number> {
  const [row] = await db<{ res: number }[]>`SELECT (value ->> 'h3_resolution')::int AS res FROM config WHERE key = 'patrol.coverage'`;
  return row?.res ?? 10;
}

/** Grids the caller may see; null when the handle is unscoped (system jobs, tests as owner). */
async function visibleGrids(db: Db, owner: Owner): Promise<number[] | null> {
  if (!owner.scoped) return null;
  return (await db<{ id: number }[]>`SELECT id FROM grid ORDER BY id`).map((r) => r.id);
}

function giClassOf(c: number): GiClass {
  return c === 3 ? 'hot99' : c === 2 ? 'hot95' : c === 1 ? 'hot90' : null;
}

export interface GenerateResult {
  planId: number;
  dropped: string[];
  candidates: number;
}

/**
 * Ranks the area's targets for the shift and routes them. Reads derived tables through the
 * unscoped handle, restricted to the grids the caller can see; writes the plan through the
 * caller's handle, so row-level security judges it.
 */
export async function generatePlan(db: Db, owner: Owner, queries: QueryCatalog, input: GenerateInput, actor: Actor): Promise<GenerateResult> {
  const tz = await timezone(db);
  const visible = await visibleGrids(db, owner);
  const polygonText = input.polygon ? JSON.stringify(input.polygon) : null;
  const [area] = await owner((tx) => queries.run<{ grid_ids: number[]; community_id: number | null; geometry: string | null; start_lon: number | null; start_lat: number | null }>(
    tx, 'plan_area', [input.community_id ?? null, input.grid_ids ?? null, polygonText, visible] as never[]));
  if (!area || area.grid_ids.length === 0 || !area.geometry) {
    throw new ApiError(422, 'empty_area', 'the chosen area contains no grid you may plan for', { community_id: input.community_id ?? null, grid_ids: input.grid_ids ?? null });
  }
  const [shift] = await db<{ start: Date; end: Date }[]>`
    SELECT (${input.date}::date + make_interval(hours => ${input.start_hour}::int))::timestamp AT TIME ZONE ${tz} AS start,
           (${input.date}::date + make_interval(hours => ${input.end_hour <= input.start_hour ? input.end_hour + 24 : input.end_hour}::int))::timestamp AT TIME ZONE ${tz} AS end`;
  const shiftStart = shift!.start;
  const shiftEnd = shift!.end;
  const windowDays = input.window_days ?? 30;
  const from = new Date(shiftStart.getTime() - windowDays * 86_400_000);
  const hours = shiftHours(input.start_hour, input.end_hour);

  // Events reported since the last cell assignment count only once cells are assigned: callers
  // run fillPendingCells first (the route does it in `prepare`, like the heat routes).
  const incidents = await owner((tx) => queries.run<{ cell: string; ages: number[]; labels: string[] }>(tx, 'plan_cell_incidents', [
    area.grid_ids, polygonText, from, shiftStart, hours, input.types ?? null, tz, PLAN_RES,
  ] as never[]));

  // Gi* over every cell of the area at the plan's resolution, with the same counts.
  const geometry = JSON.parse(area.geometry) as Polygon | MultiPolygon | { type: string };
  const areaCells = geometry.type === 'Polygon' || geometry.type === 'MultiPolygon' ? cellsInGeometry(geometry as Polygon | MultiPolygon, PLAN_RES).sort() : [];
  const giByCell = new Map<string, GiClass>();
  if (areaCells.length >= 2 && areaCells.length <= MAX_GI_CELLS) {
    const counts = new Map(incidents.map((r) => [r.cell, r.ages.length]));
    const results = giStar(areaCells.map((c) => counts.get(c) ?? 0), h3Neighbours(areaCells, 1));
    areaCells.forEach((c, i) => giByCell.set(c, giClassOf(results[i]!.class)));
  }

  // Time since the last pass: the freshest pass through any child cell at the coverage resolution.
  const patrolRes = await owner(patrolResolution);
  const childOf = new Map<string, string>();
  for (const r of incidents) for (const ch of cellToChildren(r.cell, patrolRes)) childOf.set(BigInt(`0x${ch}`).toString(), r.cell);
  const sinceDay = new Date(shiftStart.getTime() - 60 * 86_400_000).toISOString().slice(0, 10);
  const passes = childOf.size === 0 ? [] : await owner((tx) => queries.run<{ cell: string; last_at: Date }>(tx, 'plan_cell_last_pass', [[...childOf.keys()], sinceDay, shiftStart] as never[]));
  const lastPass = new Map<string, number>();
  for (const p of passes) {
    const parent = childOf.get(BigInt(`0x${p.cell}`).toString());
    if (parent) lastPass.set(parent, Math.max(lastPass.get(parent) ?? 0, p.last_at.getTime()));
  }

  const cells: CellCandidate[] = incidents.map((r) => {
    const [lat, lon] = cellToLatLng(r.cell);
    const last = lastPass.get(r.cell);
    return {
      id: r.cell,
      position: [lon, lat],
      incidents: r.ages.map((a, i) => ({ ageDays: Math.max(0, a), label: LABEL[r.labels[i]!] ?? r.labels[i]! })),
      daysSincePass: last === undefined ? null : (shiftStart.getTime() - last) / 86_400_000,
      gi: giByCell.get(r.cell) ?? null,
    };
  });
  const keyRows = await owner((tx) => queries.run<{ id: number; code: string; name: string; type: string; lon: number; lat: number; required_passes_week: number; passes_7d: number; last_at: Date | null }>(
    tx, 'plan_key_locations', [area.grid_ids, polygonText, shiftStart, tz] as never[]));
  const keys: KeyLocationCandidate[] = keyRows.map((k) => ({
    id: String(k.id), name: k.name, kind: KEY_TYPE[k.type] ?? k.type, position: [k.lon, k.lat],
    requiredPassesWeek: k.required_passes_week, passesLast7Days: k.passes_7d,
    daysSincePass: k.last_at ? (shiftStart.getTime() - k.last_at.getTime()) / 86_400_000 : null,
  }));
  const targets = rankTargets(cells, keys, { windowDays, hoursLabel: hoursLabel(input.start_hour, input.end_hour), maxTargets: input.max_targets ?? 30 });
  const start: LonLat = input.start ?? [area.start_lon!, area.start_lat!];
  const speed = input.speed_kmh ?? 4.5;
  const shiftMin = (shiftEnd.getTime() - shiftStart.getTime()) / 60_000;
  const byId = new Map(targets.map((t) => [`${t.kind}:${t.id}`, t]));
  const routed = planRoutes(
    targets.map((t): RouteTarget => ({ id: `${t.kind}:${t.id}`, position: t.position, dwellMin: t.dwellMin, score: t.score, mandatory: t.mandatory })),
    { start, teams: input.teams, shiftMin, speedKmh: speed },
  );

  const name = input.name ?? `${input.date} ${hoursLabel(input.start_hour, input.end_hour)} 精准巡防`;
  const params = { window_days: windowDays, hours, types: input.types ?? null, res: PLAN_RES, patrol_res: patrolRes, candidates: cells.length, key_locations_due: keys.filter((k) => k.passesLast7Days < k.requiredPassesWeek).length };
  const [plan] = await db<{ id: number }[]>`
    INSERT INTO patrol_plan (name, community_id, area, grid_ids, shift_start, shift_end, team_size, created_by, start_point, speed_kmh, params)
    VALUES (${name}, ${area.community_id}, ST_Multi(ST_CollectionExtract(ST_MakeValid(ST_SetSRID(ST_GeomFromGeoJSON(${area.geometry}), 4326)), 3)), ${area.grid_ids}, ${shiftStart}, ${shiftEnd}, ${input.teams},
            ${actor.staffId}, ST_Point(${start[0]}, ${start[1]}, 4326), ${speed}, ${db.json(params)})
    RETURNING id`;
  const stops = routed.teams.flatMap((team) => team.stops.map((s) => {
    const t = byId.get(s.id)!;
    return { team: team.team, seq: s.seq, target: t, eta: new Date(shiftStart.getTime() + s.arriveMin * 60_000) };
  }));
  await insertStops(db, plan!.id, stops.map((s) => ({ team: s.team, seq: s.seq, kind: s.target.kind, ref: s.target.id, lon: s.target.position[0], lat: s.target.position[1], dwell: s.target.dwellMin, eta: s.eta, reason: s.target.reason, score: s.target.score, mandatory: s.target.mandatory })));
  const devices = await owner((tx) => queries.run<{ device_id: number }>(tx, 'plan_default_devices', [area.grid_ids, input.date] as never[]));
  if (devices.length > 0) {
    // Without a roster per team, every device linked serves every team's verification.
    const rows = routed.teams.flatMap((t) => devices.map((d) => ({ plan_id: plan!.id, team: t.team, device_id: d.device_id })));
    await db`INSERT INTO patrol_plan_device ${db(rows)}`;
  }
  await log(db, plan!.id, actor, 'generate', null, 'draft', `${stops.length} stops, ${routed.dropped.length} dropped for time`);
  return { planId: plan!.id, dropped: routed.dropped, candidates: cells.length + keys.length };
}

interface StopRow { team: number; seq: number; kind: string; ref: string | null; lon: number; lat: number; dwell: number; eta: Date; reason: string; score: number | null; mandatory: boolean }

async function insertStops(db: Db, planId: number, stops: StopRow[]): Promise<void> {
  if (stops.length === 0) return;
  const rows = stops.map((s) => ({ ...s, eta: s.eta.toISOString() }));
  await db`
    INSERT INTO patrol_plan_stop (plan_id, team, seq, target_kind, target_ref, geom, dwell_min, eta, reason, score, mandatory)
    SELECT ${planId}, u.team, u.seq, u.kind, u.ref, ST_Point(u.lon, u.lat, 4326), u.dwell, u.eta, u.reason, u.score, u.mandatory
    FROM jsonb_to_recordset(${db.json(rows)}::jsonb)
      AS u(team int, seq int, kind text, ref text, lon float8, lat float8, dwell int, eta timestamptz, reason text, score real, mandatory boolean)`;
}

async function log(db: Db, planId: number, actor: Actor, action: string, from: string | null, to: string, note: string | null): Promise<void> {
  await db`INSERT INTO patrol_plan_log (plan_id, actor, action, from_state, to_state, note) VALUES (${planId}, ${actor.staffId}, ${action}, ${from}, ${to}, ${note})`;
}

async function planRow(db: Db, id: number): Promise<PlanRow> {
  const [row] = await db<PlanRow[]>`
    SELECT p.id, p.name, p.community_id, p.grid_ids, p.state, p.shift_start, p.shift_end, p.team_size, p.speed_kmh, p.detour_factor,
           p.distance_model, ST_X(p.start_point) AS start_lon, ST_Y(p.start_point) AS start_lat, p.params, p.version,
           ST_AsGeoJSON(p.area, 7) AS area, p.approved_at, p.published_at, p.created_at
    FROM patrol_plan p WHERE p.id = ${id}`;
  if (!row) throw new ApiError(404, 'not_found', `patrol plan ${id} does not exist or is outside your jurisdiction`);
  return row;
}

export async function loadPlan(db: Db, id: number) {
  const plan = await planRow(db, id);
  const stops = await db<{ team: number; seq: number; target_kind: string; target_ref: string | null; lon: number; lat: number; dwell_min: number; eta: Date | null; reason: string; score: number | null; mandatory: boolean }[]>`
    SELECT team, seq, target_kind, target_ref, ST_X(geom) AS lon, ST_Y(geom) AS lat, dwell_min, eta, reason, score, mandatory
    FROM patrol_plan_stop WHERE plan_id = ${id} ORDER BY team, seq`;
  const devices = await db<{ team: number; device_id: number; code: string }[]>`
    SELECT pd.team, pd.device_id, d.code FROM patrol_plan_device pd JOIN patrol_device d ON d.id = pd.device_id
    WHERE pd.plan_id = ${id} ORDER BY pd.team, pd.device_id`;
  const history = await db<{ at: Date; action: string; from_state: string | null; to_state: string; note: string | null; actor: number | null }[]>`
    SELECT at, action, from_state, to_state, note, actor FROM patrol_plan_log WHERE plan_id = ${id} ORDER BY id`;
  const teams = Array.from({ length: plan.team_size }, (_, i) => {
    const own = stops.filter((s) => s.team === i + 1);
    const lengthM = own.reduce((sum, s, k) => sum + legM(k === 0 ? [plan.start_lon, plan.start_lat] : [own[k - 1]!.lon, own[k - 1]!.lat], [s.lon, s.lat], plan.detour_factor), 0)
      + (own.length ? legM([own.at(-1)!.lon, own.at(-1)!.lat], [plan.start_lon, plan.start_lat], plan.detour_factor) : 0);
    return { team: i + 1, stops: own.length, length_m: Math.round(lengthM), devices: devices.filter((d) => d.team === i + 1).map((d) => ({ id: d.device_id, code: d.code })) };
  });
  return {
    plan: { ...plan, area: plan.area ? JSON.parse(plan.area) as unknown : null, start: [plan.start_lon, plan.start_lat] },
    teams,
    stops,
    history,
  };
}

function legM(a: LonLat, b: LonLat, detour: number): number {
  return haversineM(a, b) * detour;
}

async function bumpVersion(db: Db, id: number, expected: number, set: { state?: string; approved?: Actor; published?: Actor }): Promise<PlanRow> {
  const current = await planRow(db, id);
  if (current.version !== expected) {
    throw new ApiError(409, 'version_conflict', `patrol plan ${id} is at version ${current.version}, not ${expected}: reload it`, { version: current.version, state: current.state });
  }
  const [row] = await db<{ version: number }[]>`
    UPDATE patrol_plan SET version = version + 1,
      state = coalesce(${set.state ?? null}, state),
      approved_by = CASE WHEN ${!!set.approved} THEN ${set.approved?.staffId ?? null}::int ELSE approved_by END,
      approved_at = CASE WHEN ${!!set.approved} THEN now() ELSE approved_at END,
      published_by = CASE WHEN ${!!set.published} THEN ${set.published?.staffId ?? null}::int ELSE published_by END,
      published_at = CASE WHEN ${!!set.published} THEN now() ELSE published_at END
    WHERE id = ${id} AND version = ${expected} RETURNING version`;
  if (!row) throw new ApiError(409, 'version_conflict', `patrol plan ${id} changed meanwhile: reload it`, {});
  return current;
}

/** Replaces the stops of a draft in the order given, recomputing the ETAs (no re-optimisation). */
export async function replaceStops(db: Db, id: number, expected: number, stops: StopInput[], actor: Actor) {
  const plan = await planRow(db, id);
  if (plan.state !== 'draft') throw new ApiError(409, 'not_draft', `patrol plan ${id} is ${plan.state}: only a draft can be edited (reopen it first)`, { state: plan.state });
  stops.forEach((s, i) => {
    if (s.team > plan.team_size) throw new ApiError(400, 'invalid_input', `stops[${i}]: team ${s.team} does not exist (the plan has ${plan.team_size})`, { index: i });
  });
  await bumpVersion(db, id, expected, {});
  await db`DELETE FROM patrol_plan_stop WHERE plan_id = ${id}`;
  const rows: StopRow[] = [];
  for (let team = 1; team <= plan.team_size; team++) {
    let clock = plan.shift_start.getTime();
    let prev: LonLat = [plan.start_lon, plan.start_lat];
    stops.filter((s) => s.team === team).forEach((s, k) => {
      clock += (legM(prev, [s.lon, s.lat], plan.detour_factor) / 1000 / plan.speed_kmh) * 3_600_000;
      rows.push({ team, seq: k + 1, kind: s.target_kind, ref: s.target_ref ?? null, lon: s.lon, lat: s.lat, dwell: s.dwell_min, eta: new Date(clock), reason: s.reason ?? '人工添加', score: null, mandatory: false });
      clock += s.dwell_min * 60_000;
      prev = [s.lon, s.lat];
    });
  }
  await insertStops(db, id, rows);
  await log(db, id, actor, 'edit', 'draft', 'draft', `${rows.length} stops`);
}

export const PLAN_ACTIONS = { approve: ['draft', 'approved'], publish: ['approved', 'published'], archive: ['published', 'archived'], reopen: ['approved', 'draft'] } as const;
export type PlanAction = keyof typeof PLAN_ACTIONS;

export async function transitionPlan(db: Db, id: number, action: PlanAction, expected: number, actor: Actor): Promise<void> {
  const plan = await planRow(db, id);
  const [from, to] = PLAN_ACTIONS[action];
  if (plan.state !== from) {
    throw new ApiError(409, 'illegal_transition', `patrol plan ${id} is ${plan.state}: "${action}" needs a plan that is ${from}`, { state: plan.state, action });
  }
  if (action === 'approve') {
    const [n] = await db<{ n: number }[]>`SELECT count(*)::int AS n FROM patrol_plan_stop WHERE plan_id = ${id}`;
    if (n!.n === 0) throw new ApiError(422, 'no_stops', `patrol plan ${id} has no stops to approve`, {});
  }
  await bumpVersion(db, id, expected, { state: to, ...(action === 'approve' ? { approved: actor } : {}), ...(action === 'publish' ? { published: actor } : {}) });
  await log(db, id, actor, action, from, to, null);
}

export async function setDevices(db: Db, id: number, expected: number, teams: { team: number; device_ids: number[] }[], actor: Actor): Promise<void> {
  const plan = await planRow(db, id);
  if (plan.state !== 'draft') throw new ApiError(409, 'not_draft', `patrol plan ${id} is ${plan.state}: devices change only in a draft`, { state: plan.state });
  await bumpVersion(db, id, expected, {});
  await db`DELETE FROM patrol_plan_device WHERE plan_id = ${id}`;
  const rows = teams.flatMap((t) => t.device_ids.map((d) => ({ plan_id: id, team: t.team, device_id: d })));
  if (rows.length) await db`INSERT INTO patrol_plan_device ${db(rows)}`;
  await log(db, id, actor, 'devices', 'draft', 'draft', `${rows.length} device links`);
}

export interface PlanCompliance {
  plan_id: number;
  completion: number | null;
  stops: (StopCompliance & { team: number; seq: number; reason: string; planned_dwell_min: number; eta: Date | null })[];
  missed: { team: number; seq: number; reason: string; closest_m: number | null }[];
  tracks: { device_id: number; coordinates: [number, number][]; times: number[] }[];
  fixes: number;
  target_cells: number;
  target_cells_passed: number;
}

/**
 * Compliance of every stop from the linked devices' fixes during the shift. The plan is read
 * through the caller's handle (row-level security decides whether they may see it); the fixes of
 * its own linked devices in its shift are then read as the owner, because a team's track leaves
 * the planner's grids (and fixes not yet given a grid are invisible to scoped roles).
 */
export async function planCompliance(db: Db, owner: Owner, id: number): Promise<PlanCompliance> {
  const { plan, stops } = await loadPlan(db, id);
  const links = await db<{ team: number; device_id: number }[]>`SELECT team, device_id FROM patrol_plan_device WHERE plan_id = ${id}`;
  const deviceIds = [...new Set(links.map((l) => l.device_id))];
  const fixRows = deviceIds.length === 0 ? [] : await owner((tx) => tx<{ device_id: number; t: number; lon: number; lat: number }[]>`
    SELECT device_id, (extract(epoch FROM fixed_at) * 1000)::float8 AS t, lon, lat FROM gps_fix
    WHERE device_id = ANY (${deviceIds}::int[]) AND fixed_at BETWEEN ${plan.shift_start} AND ${plan.shift_end}
    ORDER BY device_id, fixed_at`);
  const fixes: Fix[] = fixRows.map((f) => ({ deviceId: f.device_id, t: f.t, position: [f.lon, f.lat] }));
  const window = { radiusM: COMPLIANCE_RADIUS_M, maxGapS: 300, from: plan.shift_start.getTime(), to: plan.shift_end.getTime() };
  const out: PlanCompliance['stops'] = [];
  for (let team = 1; team <= plan.team_size; team++) {
    const own = stops.filter((s) => s.team === team);
    const devs = new Set(links.filter((l) => l.team === team).map((l) => l.device_id));
    const results = checkCompliance(own.map((s) => ({ id: `${s.team}-${s.seq}`, position: [s.lon, s.lat], dwellMin: s.dwell_min })), fixes.filter((f) => devs.has(f.deviceId)), window);
    results.forEach((r, k) => out.push({ ...r, closestM: Number.isFinite(r.closestM) ? Math.round(r.closestM * 10) / 10 : -1, team, seq: own[k]!.seq, reason: own[k]!.reason, planned_dwell_min: own[k]!.dwell_min, eta: own[k]!.eta }));
  }
  const tracks = deviceIds.map((d) => {
    const own = fixes.filter((f) => f.deviceId === d);
    return { device_id: d, coordinates: own.map((f) => [f.position[0], f.position[1]] as [number, number]), times: own.map((f) => f.t) };
  }).filter((t) => t.coordinates.length > 0);
  const cellStops = out.filter((s, k) => stops[k]!.target_kind === 'h3_cell');
  return {
    plan_id: id,
    completion: completion(out),
    stops: out,
    missed: out.filter((s) => !s.complied).map((s) => ({ team: s.team, seq: s.seq, reason: s.reason, closest_m: s.closestM < 0 ? null : s.closestM })),
    tracks,
    fixes: fixes.length,
    target_cells: cellStops.length,
    target_cells_passed: cellStops.filter((s) => s.visited).length,
  };
}

/** Two-sided exact binomial test of k successes in n trials at p = 0.5. */
export function binomialTwoSided(k: number, n: number): number {
  if (n === 0) return 1;
  const logC = (a: number, b: number) => lgammaInt(a + 1) - lgammaInt(b + 1) - lgammaInt(a - b + 1);
  const pk = (i: number) => Math.exp(logC(n, i) - n * Math.LN2);
  const observed = pk(k);
  let p = 0;
  for (let i = 0; i <= n; i++) {
    const pi = pk(i);
    if (pi <= observed * (1 + 1e-9)) p += pi;
  }
  return Math.min(1, p);
}

function lgammaInt(m: number): number {
  let s = 0;
  for (let i = 2; i < m; i++) s += Math.log(i);
  return s;
}
