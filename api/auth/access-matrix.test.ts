import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../app.ts';
import type { RouteSpec } from '../http/resource.ts';
import { freshDatabase, type TestDatabase } from '../testing/db.ts';
import { CELL, ORIGIN, insertTinyWorld, square, type TinyWorld } from '../testing/fixtures.ts';
import { Client, createUser, testApp } from '../testing/app.ts';
import { SseReader } from '../testing/sse.ts';
import type { Role } from './types.ts';

/**
 * Every route × every kind of caller, generated from the route table: a route added later is
 * covered automatically, and fails here if its access rule or scoping is wrong.
 */

let db: TestDatabase;
let app: App['app'];
let routes: RouteSpec[];
let world: TinyWorld;
const [ox, oy] = ORIGIN;

interface Principal {
  name: string;
  role: Role | 'anonymous' | 'token' | 'expired_assignment';
  /** Grids whose rows this caller may see. */
  grids: number[];
  client: Client;
  token?: string;
}
const principals: Principal[] = [];
const personByGrid = new Map<number, number>();
const addressByGrid = new Map<number, number>();
let fullToken = '';
let syncOnlyToken = '';

const gridIndex = (i: 0 | 1 | 2 | 3) => world.gridIds[i];
const centre = (i: number): [number, number] => [ox + (i + 0.5) * CELL, oy + CELL];

beforeAll(async () => {
  db = await freshDatabase();
  ({ app, routes } = testApp(db.sql));
  world = await insertTinyWorld(db.sql);
  const { sql } = db;
  for (const [i, gridId] of world.gridIds.entries()) {
    const [lon, lat] = centre(i);
    const [a] = await sql<{ id: number }[]>`
      INSERT INTO address (code, address_text, geom, category) VALUES (${`A${i}`}, ${`测试路${i}号`}, ST_SetSRID(ST_MakePoint(${lon}, ${lat}), 4326), 'key') RETURNING id`;
    const [p] = await sql<{ id: number }[]>`
      INSERT INTO person_of_concern (code, address_id, name, id_number, phone, category, control_level, since)
      VALUES (${`P${i}`}, ${a!.id}, ${`人员${i}`}, ${`41048119800101${String(1000 + i)}`}, ${`1380000${String(1000 + i)}`}, 'community_correction', 1, '2025-01-01') RETURNING id`;
    personByGrid.set(gridId, p!.id);
    addressByGrid.set(gridId, a!.id);
    await sql`INSERT INTO event (code, type, subtype, severity, title, geom, reported_at)
              VALUES (${`E${i}`}, 'public_security', 'theft', 2, '盗窃', ST_SetSRID(ST_MakePoint(${lon}, ${lat + 0.001}), 4326), now())`;
    await sql`INSERT INTO joint_defense_point (code, name, geom) VALUES (${`J${i}`}, ${`联防点${i}`}, ST_SetSRID(ST_MakePoint(${lon + 0.001}, ${lat}), 4326))`;
    await sql`INSERT INTO key_location (code, name, type, geom) VALUES (${`K${i}`}, ${`学校${i}`}, 'school', ST_SetSRID(ST_MakePoint(${lon - 0.001}, ${lat}), 4326))`;
  }
  await sql`INSERT INTO patrol_device (code, kind) VALUES ('DEV1', 'handheld')`;
  const [c1, c2] = world.communityIds;
  const all = [...world.gridIds];
  const users: [string, Role, Parameters<typeof createUser>[3], number[]][] = [
    ['cmd', 'command', { subdistrict_id: world.subdistrictId }, all],
    ['chief', 'station_chief', { community_id: c1 }, [gridIndex(0), gridIndex(1)]],
    ['police', 'police', { community_id: c1 }, [gridIndex(0), gridIndex(1)]],
    ['aux', 'aux_police', { grid_id: gridIndex(1) }, [gridIndex(1)]],
    ['leader', 'grid_leader', { grid_id: gridIndex(0) }, [gridIndex(0)]],
    ['worker', 'grid_worker', { grid_id: gridIndex(0) }, [gridIndex(0)]],
    ['volunteer', 'part_time', { grid_id: gridIndex(2) }, [gridIndex(2)]],
    ['analyst', 'analyst', { subdistrict_id: world.subdistrictId }, all],
    ['screen', 'display', {}, all],
  ];
  for (const [name, role, scope, grids] of users) {
    await createUser(sql, name, role, scope);
    principals.push({ name, role, grids, client: await Client.login(app, name) });
  }
  void c2;
  // Reassigned away yesterday: still a valid login, but no jurisdiction today.
  await createUser(sql, 'moved', 'grid_leader', { grid_id: gridIndex(3) }, { startsOn: '2020-01-01', endsOn: '2021-01-01' });
  principals.push({ name: 'moved', role: 'expired_assignment', grids: [], client: await Client.login(app, 'moved') });
  principals.push({ name: 'anonymous', role: 'anonymous', grids: [], client: Client.anonymous(app) });
  const issue = async (scopes: string[]) => {
    const res = await principals[0]!.client.post('/api/tokens', { name: `t-${scopes.join('+')}`, scopes });
    return ((await res.json()) as { token: string }).token;
  };
  fullToken = await issue(['gps:ingest', 'sync:read']);
  syncOnlyToken = await issue(['sync:read']);
  principals.push({ name: 'token', role: 'token', grids: all, client: Client.anonymous(app), token: fullToken });
  principals.push({ name: 'token-sync-only', role: 'token', grids: all, client: Client.anonymous(app), token: syncOnlyToken });
});
afterAll(async () => db?.drop());

interface Case {
  path: string;
  body?: unknown;
  /** Whether the target lies inside the caller's jurisdiction (decides 2xx vs 404/403). */
  inside: boolean;
  /** Overrides the generic expectation where the route's own rules decide (e.g. per-action roles). */
  expected?: number[];
}

/** An event created directly (as the owner) in grid i, walked to the given state. */
async function ownerEvent(i: number, type: 'dispute' | 'hazard' | 'service_request', path: string[] = []): Promise<{ id: number; version: number }> {
  const [lon, lat] = centre(i);
  const subtype = type === 'dispute' ? 'neighbour' : type === 'hazard' ? 'fire' : null;
  const [e] = await db.sql<{ id: number }[]>`
    INSERT INTO event (code, type, subtype, complexity, severity, title, geom, reported_at, due_at)
    VALUES (${`M-${Math.random().toString(36).slice(2)}`}, ${type}, ${subtype}, ${type === 'dispute' ? 'general' : null}, 1, '矩阵',
            ST_SetSRID(ST_MakePoint(${lon}, ${lat - 0.003}), 4326), now(), now() + interval '1 day') RETURNING id`;
  for (const state of path) await db.sql`UPDATE event SET state = ${state}, version = version + 1 WHERE id = ${e!.id}`;
  return { id: e!.id, version: 1 + path.length };
}

/** One case per grid: inside the caller's jurisdiction or not. */
async function perGrid(p: Principal, make: (i: number, grid: number) => Promise<Omit<Case, 'inside'>>, outside: number[] = [404]): Promise<Case[]> {
  const cases: Case[] = [];
  for (const [i, g] of world.gridIds.entries()) {
    const c = await make(i, g);
    const inside = p.grids.includes(g);
    cases.push({ ...c, inside, ...(inside ? {} : { expected: outside }) });
  }
  return cases;
}

const LEADER_ROLES = ['command', 'station_chief', 'police', 'aux_police', 'grid_leader'];

const bbox = () => `${ox},${oy},${ox + 4 * CELL},${oy + 2 * CELL}`;

/**
 * How to call routes that need parameters. A route missing here is called bare; if it needs
 * input it then answers 400 for an allowed caller and the matrix fails, asking for an entry.
 */
/** A patrol plan of community k (0 or 1) written as the owner, with one stop, in the given state. */
async function ownerPlan(k: number, state: 'draft' | 'approved' = 'draft'): Promise<number> {
  const [lon, lat] = centre(2 * k);
  const [plan] = await db.sql<{ id: number }[]>`
    INSERT INTO patrol_plan (name, community_id, shift_start, shift_end, start_point)
    VALUES ('矩阵方案', ${world.communityIds[k]!}, now() + interval '1 day', now() + interval '1 day 4 hours', ST_Point(${lon}, ${lat}, 4326)) RETURNING id`;
  await db.sql`INSERT INTO patrol_plan_stop (plan_id, team, seq, target_kind, geom, reason) VALUES (${plan!.id}, 1, 1, 'manual', ST_Point(${lon}, ${lat}, 4326), '矩阵')`;
  if (state === 'approved') await db.sql`UPDATE patrol_plan SET state = 'approved', approved_at = now(), version = 2 WHERE id = ${plan!.id}`;
  return plan!.id;
}

/** One case per community: inside when the caller sees a grid of it. */
async function perCommunity(p: Principal, make: (k: number) => Promise<Omit<Case, 'inside'>>, outside: number[] = [404]): Promise<Case[]> {
  const cases: Case[] = [];
  for (const k of [0, 1]) {
    const c = await make(k);
    const inside = p.grids.includes(world.gridIds[2 * k]!) || p.grids.includes(world.gridIds[2 * k + 1]!);
    cases.push({ ...c, inside, ...(inside ? {} : { expected: outside }) });
  }
  return cases;
}

const SAMPLES: Record<string, (p: Principal, n: number) => Case[] | Promise<Case[]>> = {
  'post /api/patrol-plans/generate': (p) => perCommunity(p, async (k) => ({
    path: '/api/patrol-plans/generate', body: { community_id: world.communityIds[k], date: '2026-12-01', start_hour: 19, end_hour: 22 },
  }), [422]),
  'get /api/patrol-plans/:id': (p) => perCommunity(p, async (k) => ({ path: `/api/patrol-plans/${await ownerPlan(k)}` })),
  'get /api/patrol-plans/:id/compliance': (p) => perCommunity(p, async (k) => ({ path: `/api/patrol-plans/${await ownerPlan(k)}/compliance` })),
  'get /api/patrol-plans/:id/gpx': (p) => perCommunity(p, async (k) => ({ path: `/api/patrol-plans/${await ownerPlan(k)}/gpx` })),
  'get /api/patrol-plans/:id/geojson': (p) => perCommunity(p, async (k) => ({ path: `/api/patrol-plans/${await ownerPlan(k)}/geojson` })),
  'put /api/patrol-plans/:id/stops': (p) => perCommunity(p, async (k) => ({
    path: `/api/patrol-plans/${await ownerPlan(k)}/stops`, body: { expected_version: 1, stops: [{ team: 1, target_kind: 'manual', lon: centre(2 * k)[0], lat: centre(2 * k)[1], dwell_min: 5 }] },
  })),
  'put /api/patrol-plans/:id/devices': (p) => perCommunity(p, async (k) => ({ path: `/api/patrol-plans/${await ownerPlan(k)}/devices`, body: { expected_version: 1, teams: [] } })),
  'post /api/patrol-plans/:id/transitions': (p) => perCommunity(p, async (k) => ({
    path: `/api/patrol-plans/${await ownerPlan(k, 'approved')}/transitions`, body: { action: 'publish', expected_version: 2 },
  })),
  'get /api/events/:id': (p) => perGrid(p, async (i) => ({ path: `/api/events/${(await ownerEvent(i, 'service_request')).id}` })),
  'post /api/events': (p, n) => perGrid(p, async (i) => ({
    path: '/api/events', body: { type: 'service_request', severity: 1, title: `矩阵上报${n}`, lon: centre(i)[0], lat: centre(i)[1] - 0.004, allow_duplicate: true },
  }), [403]),
  'post /api/events/:id/transitions': (p) => perGrid(p, async (i) => {
    const e = await ownerEvent(i, 'service_request');
    // Route open to every reporter; escalation itself is for those who lead the work.
    return { path: `/api/events/${e.id}/transitions`, body: { action: 'escalate', expected_version: e.version }, ...(LEADER_ROLES.includes(p.role) ? {} : { expected: [409] }) };
  }),
  'post /api/events/:id/mediation': (p) => perGrid(p, async (i) => ({
    path: `/api/events/${(await ownerEvent(i, 'dispute')).id}/mediation`, body: { kind: 'grid_leader', participants: [{ role: 'grid_leader', name: '网格长' }] },
  })),
  'post /api/events/:id/mediation/sessions': (p) => perGrid(p, async (i) => {
    const e = await ownerEvent(i, 'dispute');
    await db.sql`INSERT INTO mediation (event_id, kind, started_at) VALUES (${e.id}, 'grid_leader', now())`;
    return { path: `/api/events/${e.id}/mediation/sessions`, body: { notes: '调解会商记录' } };
  }),
  'post /api/events/:id/mediation/outcome': (p) => perGrid(p, async (i) => {
    const e = await ownerEvent(i, 'dispute', ['accepted', 'assigned', 'in_progress']);
    await db.sql`INSERT INTO mediation (event_id, kind, started_at) VALUES (${e.id}, 'grid_leader', now())`;
    return { path: `/api/events/${e.id}/mediation/outcome`, body: { outcome: 'success', expected_version: e.version } };
  }),
  'post /api/events/:id/hazard': (p) => perGrid(p, async (i) => {
    const e = await ownerEvent(i, 'hazard', ['accepted']);
    return { path: `/api/events/${e.id}/hazard`, body: { classification: '消防', department: '消防救援大队', warning: '及时整改', expected_version: e.version } };
  }),
  'post /api/events/:id/hazard/followups': (p) => perGrid(p, async (i) => {
    const e = await ownerEvent(i, 'hazard', ['accepted', 'assigned']);
    await db.sql`INSERT INTO hazard_dispatch (event_id, classification, department, warning, dispatched_at) VALUES (${e.id}, '消防', '消防救援大队', '整改', now())`;
    return { path: `/api/events/${e.id}/hazard/followups`, body: { note: '已回访', removed: false, expected_version: e.version } };
  }),
  'post /api/support-requests': (p) => perGrid(p, async (i) => ({
    path: '/api/support-requests', body: { lon: centre(i)[0], lat: centre(i)[1] - 0.005, reason: '请求支援' },
  }), [403]),
  'post /api/support-requests/:id/steps': (p) => perGrid(p, async (i) => {
    const [lon, lat] = centre(i);
    const [s0] = await db.sql<{ id: number }[]>`SELECT id FROM staff ORDER BY id LIMIT 1`;
    const [r] = await db.sql<{ id: number }[]>`
      INSERT INTO support_request (requested_by, geom, reason, requested_at) VALUES (${s0!.id}, ST_SetSRID(ST_MakePoint(${lon}, ${lat}), 4326), '支援', now()) RETURNING id`;
    return { path: `/api/support-requests/${r!.id}/steps`, body: { step: 'acknowledge' } };
  }),
  'get /api/reports/daily': (p) => perCommunity(p, async (k) => ({ path: `/api/reports/daily?community_id=${world.communityIds[k]}` })),
  'get /api/reports/weekly': (p) => perCommunity(p, async (k) => ({ path: `/api/reports/weekly?community_id=${world.communityIds[k]}` })),
  'get /api/reports/monthly': (p) => perCommunity(p, async (k) => ({ path: `/api/reports/monthly?community_id=${world.communityIds[k]}` })),
  'get /api/evaluation': (p) => perCommunity(p, async (k) => ({ path: `/api/evaluation?community_id=${world.communityIds[k]}` })),
  // Police and auxiliary police rate the grid leader of their community, the grid leader rates the
  // police officer; a different past month each time (one rating per rater, ratee and month).
  'post /api/evaluation/ratings': async (p, n) => {
    const ratee = p.role === 'grid_leader' ? 'police' : 'leader';
    const [s] = await db.sql<{ staff_id: number }[]>`SELECT staff_id FROM app_user WHERE username = ${ratee}`;
    const month = `${1000 + Math.floor(n / 12)}-${String((n % 12) + 1).padStart(2, '0')}`;
    return [{ path: '/api/evaluation/ratings', body: { ratee_id: s!.staff_id, month, score: 4, comment: '矩阵评价' }, inside: true }];
  },
  // Police and command check addresses of the grids they see (outside: the record is not found).
  'post /api/info-verifications': (p) => perGrid(p, async (_i, g) => ({ path: '/api/info-verifications', body: { record_kind: 'address', record_id: addressByGrid.get(g), result: 'correct' } })),
  'post /api/training-records': async (_p, n) => {
    const [s] = await db.sql<{ staff_id: number }[]>`SELECT staff_id FROM app_user WHERE username = 'leader'`;
    return [{ path: '/api/training-records', body: { staff_id: s!.staff_id, session_on: '2025-03-20', title: `矩阵培训${n}`, attended: true, test_score: 80 }, inside: true }];
  },
  'get /api/addresses': () => [{ path: `/api/addresses?bbox=${bbox()}`, inside: true }],
  'get /api/patrol/tracks': () => [{ path: `/api/patrol/tracks?bbox=${bbox()}`, inside: true }],
  'get /api/visits': () => [{ path: `/api/visits?bbox=${bbox()}`, inside: true }],
  'get /api/persons/map': () => [{ path: `/api/persons/map?bbox=${bbox()}`, inside: true }],
  'get /api/addresses/search': () => [{ path: `/api/addresses/search?q=${encodeURIComponent('测试路')}`, inside: true }],
  'get /api/stats/grids/:id': (p) => perGrid(p, async (_i, g) => ({ path: `/api/stats/grids/${g}` })),
  'get /api/stats/addresses/:id/visit-status': (p) => perGrid(p, async (_i, g) => ({ path: `/api/stats/addresses/${addressByGrid.get(g)}/visit-status` })),
  'get /api/addresses/:id': (p) => perGrid(p, async (_i, g) => ({ path: `/api/addresses/${addressByGrid.get(g)}` })),
  'get /api/stats/grids/:id/trend': (p) => perGrid(p, async (_i, g) => ({ path: `/api/stats/grids/${g}/trend?months=2` })),
  'get /api/grids/:id/staff': (p) => perGrid(p, async (_i, g) => ({ path: `/api/grids/${g}/staff` })),
  // Names that hit every grid's grid row, address and key location (not the grids other routes add
  // while the matrix runs, 新网格 NEW-n): whatever comes back must be the caller's.
  'get /api/search': () => ['第', '测试路', '学校', 'A'].map((q) => ({ path: `/api/search?q=${encodeURIComponent(q)}&limit=50`, inside: true })),
  'get /api/stats/patrol-coverage': (p) => perGrid(p, async (_i, g) => ({ path: `/api/stats/patrol-coverage?grid_id=${g}` })),
  // The matrix speaks JSON; uploads are multipart (routes/imports.test.ts), so allowed callers get 415.
  'post /api/imports/:kind': () => [{ path: '/api/imports/grids', body: {}, inside: true, expected: [415] }],
  'get /api/exports/:kind': () => [{ path: '/api/exports/events?format=csv', inside: true }],
  'get /api/heat/h3': () => [{ path: `/api/heat/h3?bbox=${bbox()}`, inside: true }],
  'get /api/heat/points': () => [{ path: `/api/heat/points?bbox=${bbox()}`, inside: true }],
  'get /api/heat/compare': () => [{ path: `/api/heat/compare?bbox=${bbox()}`, inside: true }],
  'get /api/hotspots/gistar': () => [{ path: `/api/hotspots/gistar?bbox=${bbox()}`, inside: true }],
  'get /api/hotspots/emerging': () => [{ path: `/api/hotspots/emerging?bbox=${bbox()}`, inside: true }],
  'get /api/grids/:id': (p) => world.gridIds.map((g) => ({ path: `/api/grids/${g}`, inside: p.grids.includes(g) })),
  'get /api/persons/:id': (p) => world.gridIds.map((g) => ({ path: `/api/persons/${personByGrid.get(g)}`, inside: p.grids.includes(g) })),
  'post /api/persons/:id/reveal': (p) => world.gridIds.map((g) => ({ path: `/api/persons/${personByGrid.get(g)}/reveal`, body: { reason: '核查矫正人员报到情况' }, inside: p.grids.includes(g) })),
  // Statistics of a polygon over the whole world: every caller gets their own grids' counts only.
  'post /api/stats/area': () => [{ path: '/api/stats/area', body: { polygon: square(ox - 0.001, oy - 0.001, 4 * CELL + 0.002, 2 * CELL + 0.002) }, inside: true }],
  'post /api/grids': (_p, n) => [{ path: '/api/grids', body: { code: `NEW-${n}`, name: '新网格', community_id: world.communityIds[0], geometry: square(ox, oy + 2 * CELL + n * CELL, CELL, CELL) }, inside: true }],
  'post /api/joint-defense-points': (p, n) => world.gridIds.map((g, i) => ({
    path: '/api/joint-defense-points', body: { code: `JN-${n}-${i}`, name: '新联防点', lon: centre(i)[0], lat: centre(i)[1] - 0.002 }, inside: p.grids.includes(g),
  })),
  'post /api/key-locations': (_p, n) => [{ path: '/api/key-locations', body: { code: `KN-${n}`, name: '新市场', type: 'market', geometry: { type: 'Point', coordinates: centre(0) } }, inside: true }],
  'post /api/tokens': (_p, n) => [{ path: '/api/tokens', body: { name: `matrix-${n}`, scopes: ['sync:read'] }, inside: true }],
  'delete /api/tokens/:id': () => [{ path: '/api/tokens/{fresh-token}', inside: true }],
  'post /api/machine/fixes': (_p, n) => [{ path: '/api/machine/fixes', body: { device_code: 'DEV1', fixes: [{ t: new Date(Date.UTC(2026, 0, 1, 0, n)).toISOString(), lon: centre(0)[0], lat: centre(0)[1] }] }, inside: true }],
};

/** Routes the matrix must not fire for everyone, each with the test that covers it instead. */
const NOT_IN_MATRIX: Record<string, string> = {
  'post /api/auth/login': 'public, rate-limited per user and address: sessions.test.ts',
  'post /api/auth/logout': 'ends the caller’s session: sessions.test.ts',
  'post /api/auth/password': 'changes the caller’s password: sessions.test.ts',
};

/** Whether the caller passes the route's access rule at all (before any jurisdiction question). */
function allowed(route: RouteSpec, p: Principal): boolean {
  const a = route.access;
  if (a.kind !== 'session') return false;
  if (['anonymous', 'token', 'expired_assignment'].includes(p.role)) return false;
  return a.roles === 'any' || a.roles.includes(p.role as Role);
}

function expectedStatus(route: RouteSpec, p: Principal, c: Case): number[] {
  const a = route.access;
  if (a.kind === 'public') return [200];
  if (a.kind === 'token') {
    if (p.role !== 'token') return [401];
    return p.token === syncOnlyToken && a.scope !== 'sync:read' ? [403] : [200];
  }
  if (p.role === 'anonymous' || p.role === 'token') return [401];
  if (a.kind === 'self') return [200];
  if (p.role === 'expired_assignment') return [403];
  if (a.roles !== 'any' && !a.roles.includes(p.role)) return [403];
  const ok = route.method === 'post' && !route.path.endsWith('/reveal') ? [201, 200] : route.method === 'delete' ? [204] : [200];
  if (c.inside) return ok;
  // Outside the jurisdiction: a read of one thing is "not found" (its existence is not confirmed);
  // a write is refused by row-level security.
  return route.method === 'get' || route.path.endsWith('/reveal') ? [404] : [403];
}

/** Every grid id a response mentions, wherever it sits. */
function gridRefs(route: RouteSpec, body: unknown): number[] {
  const refs: number[] = [];
  const gridFeatures = route.path === '/api/grids' || route.path === '/api/grids/:id' || route.path === '/api/machine/grids';
  const walk = (v: unknown, inGridFeature: boolean) => {
    if (Array.isArray(v)) return v.forEach((x) => walk(x, inGridFeature));
    if (!v || typeof v !== 'object') return;
    const o = v as Record<string, unknown>;
    if (typeof o.grid_id === 'number') refs.push(o.grid_id);
    if (inGridFeature && o.type === 'Feature' && typeof (o.properties as { id?: unknown })?.id === 'number') refs.push((o.properties as { id: number }).id);
    for (const x of Object.values(o)) walk(x, inGridFeature);
  };
  walk(body, gridFeatures);
  return refs;
}

const ID_NUMBER = /\b\d{17}[\dX]\b/;

describe('role × endpoint matrix', () => {
  it('covers every route, and the exclusion list names only real routes', () => {
    const keys = new Set(routes.map((r) => `${r.method} ${r.path}`));
    for (const k of [...Object.keys(NOT_IN_MATRIX), ...Object.keys(SAMPLES)]) expect(keys.has(k), k).toBe(true);
    expect(routes.length).toBeGreaterThan(15);
  });

  it('every caller gets the right status on every route, and nothing from outside its jurisdiction', { timeout: 120_000 }, async () => {
    const failures: string[] = [];
    let n = 0;
    for (const route of routes) {
      const key = `${route.method} ${route.path}`;
      if (NOT_IN_MATRIX[key]) continue;
      for (const p of principals) {
        const cases = (await SAMPLES[key]?.(p, n)) ?? [{ path: route.path, inside: true }];
        for (const c of cases) {
          n++;
          let path = c.path;
          if (path.includes('{fresh-token}')) {
            const res = await principals[0]!.client.post('/api/tokens', { name: `to-revoke-${n}`, scopes: ['sync:read'] });
            path = path.replace('{fresh-token}', String(((await res.json()) as { id: number }).id));
          }
          const headers: Record<string, string> = p.token ? { authorization: `Bearer ${p.token}` } : {};
          const res = await p.client.request(path, { method: route.method.toUpperCase(), headers, ...(c.body !== undefined ? { body: c.body } : {}) });
          const expected = allowed(route, p) && c.expected ? c.expected : expectedStatus(route, p, c);
          if (route.access.kind === 'session' && route.access.stream && res.status === 200) {
            // A live stream never ends: its first event is enough.
            const first = await new SseReader(res).next();
            await res.body?.cancel().catch(() => undefined);
            if (!expected.includes(200) || first.event === 'error') failures.push(`${key} as ${p.name}: stream opened, expected ${expected.join('|')}`);
            continue;
          }
          const text = await res.text();
          if (!expected.includes(res.status)) {
            failures.push(`${key} as ${p.name} (${path}${c.inside ? '' : ', outside'}): ${res.status}, expected ${expected.join('|')}: ${text.slice(0, 160)}`);
            continue;
          }
          if (res.status >= 400) {
            const body = JSON.parse(text) as { error?: { code?: string } };
            if (!body.error?.code) failures.push(`${key} as ${p.name}: ${res.status} without the error shape`);
            continue;
          }
          if (!text || !(res.headers.get('content-type') ?? '').match(/json/)) continue;
          const body = JSON.parse(text) as unknown;
          const outside = gridRefs(route, body).filter((g) => !p.grids.includes(g));
          if (outside.length) failures.push(`${key} as ${p.name}: rows from grids ${[...new Set(outside)].join(',')} outside its jurisdiction`);
          if (['analyst', 'display'].includes(p.role) && ID_NUMBER.test(text)) failures.push(`${key} as ${p.name}: an ID number reached an aggregate-only role`);
          if (!key.endsWith('/reveal') && p.role !== 'token' && /\b41048119800101\d{4}\b/.test(text)) failures.push(`${key} as ${p.name}: an unmasked ID number without a reveal`);
        }
      }
    }
    expect(failures).toEqual([]);
    expect(n).toBeGreaterThan(200);
  });
});
