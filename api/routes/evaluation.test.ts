import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../app.ts';
import { scoreRole, type MeasureRow } from '../evaluation/score.ts';
import { Client, createUser, testApp } from '../testing/app.ts';
import { freshDatabase, type TestDatabase } from '../testing/db.ts';
import { CELL, ORIGIN, insertTinyWorld, type TinyWorld } from '../testing/fixtures.ts';

// 双向评价: every measure below is worked out by hand from the rows inserted here (March 2025, local time).
let db: TestDatabase;
let app: App['app'];
let world: TinyWorld;
const staff: Record<string, number> = {};
const client: Record<string, Client> = {};
const [ox, oy] = ORIGIN;
const inGrid = (i: number, k = 0): [number, number] => [ox + (i + 0.3) * CELL + k * 0.0002, oy + 0.7 * CELL + k * 0.0001];
const MONTH = '2025-03';
const at = (local: string) => `2025-${local}+08`; // e.g. '03-05 10:00'

let seq = 0;
async function event(grid: number, opts: { type?: string; reportedAt: string; reportedBy?: number; state?: string; closedAfterHours?: number; assignee?: number }) {
  const type = opts.type ?? 'service_request';
  const [lon, lat] = inGrid(grid, seq++ % 30);
  const [e] = await db.sql<{ id: number }[]>`
    INSERT INTO event (code, type, subtype, complexity, severity, state, title, geom, reported_at, closed_at, reported_by, assignee_id)
    VALUES (${`EV-${seq}`}, ${type}, ${type === 'dispute' ? 'neighbour' : type === 'hazard' ? 'fire' : null}, ${type === 'dispute' ? 'general' : null},
            2, ${opts.state ?? (opts.closedAfterHours !== undefined ? 'closed' : 'reported')}, ${`评价测试${seq}`},
            ST_SetSRID(ST_MakePoint(${lon}, ${lat}), 4326), ${opts.reportedAt}::timestamptz,
            ${opts.closedAfterHours ?? null}::float8 * interval '1 hour' + ${opts.reportedAt}::timestamptz,
            ${opts.reportedBy ?? null}, ${opts.assignee ?? null})
    RETURNING id`;
  return e!.id;
}
const accept = (eventId: number, when: string) =>
  db.sql`INSERT INTO event_log (event_id, from_state, to_state, action, actor_name, at) VALUES (${eventId}, 'reported', 'accepted', 'accept', '测试', ${when}::timestamptz)`;
async function mediation(grid: number, outcome: 'success' | 'failed', endedAt: string, leaderStaff: number | null) {
  const e = await event(grid, { type: 'dispute', reportedAt: at('03-01 09:00') });
  const [m] = await db.sql<{ id: number }[]>`
    INSERT INTO mediation (event_id, kind, started_at, outcome, ended_at) VALUES (${e}, 'grid_leader', ${at('03-01 10:00')}::timestamptz, ${outcome}, ${endedAt}::timestamptz) RETURNING id`;
  await db.sql`INSERT INTO mediation_participant (mediation_id, seq, role, staff_id, name) VALUES (${m!.id}, 1, 'grid_leader', ${leaderStaff}, '网格长')`;
}
async function support(grid: number, police: number, requestedAt: string, ackMin: number | null, arriveMin: number | null) {
  const [lon, lat] = inGrid(grid, 29);
  await db.sql`
    INSERT INTO support_request (requested_by, police_id, geom, reason, requested_at, acknowledged_at, arrived_at, arrival_source, state)
    SELECT ${staff.leaderA!}, ${police}, ST_SetSRID(ST_MakePoint(${lon}, ${lat}), 4326), '请求支援', t,
           t + ${ackMin}::float8 * interval '1 minute', t + ${arriveMin}::float8 * interval '1 minute',
           ${arriveMin === null ? null : 'manual'}, ${arriveMin === null ? 'acknowledged' : 'arrived'}
    FROM (SELECT ${requestedAt}::timestamptz AS t) x`;
}

async function json<T>(res: Response, status = 200): Promise<T> {
  expect(res.status, await res.clone().text()).toBe(status);
  return (await res.json()) as T;
}
async function refused(res: Response, status: number, code?: string) {
  const body = await json<{ error: { code: string; message: string } }>(res, status);
  expect(body.error.message.length).toBeGreaterThan(5);
  if (code) expect(body.error.code).toBe(code);
}

beforeAll(async () => {
  db = await freshDatabase();
  ({ app } = testApp(db.sql));
  world = await insertTinyWorld(db.sql);
  const { sql } = db;
  const [c1, c2] = world.communityIds;
  const [g1, g2, g3] = world.gridIds;
  const users: [string, Parameters<typeof createUser>[2], Parameters<typeof createUser>[3]][] = [
    ['cmd', 'command', { subdistrict_id: world.subdistrictId }],
    ['chief', 'station_chief', { community_id: c1 }],
    ['leaderA', 'grid_leader', { grid_id: g1 }],
    ['leaderB', 'grid_leader', { grid_id: g2 }],
    ['leaderC', 'grid_leader', { grid_id: g3 }],
    ['policeP', 'police', { community_id: c1 }],
    ['policeQ', 'police', { community_id: c2 }],
  ];
  for (const [name, role, scope] of users) {
    staff[name] = (await createUser(sql, name.toLowerCase(), role, scope)).staffId!;
    client[name] = await Client.login(app, name.toLowerCase());
  }
  const { leaderA: A, policeP: P, policeQ: Q } = staff as Record<string, number>;

  // Hazard discovery: A reported 2 hazards in March (one in grid 2: counted by reporter, not grid);
  // a cancelled one and one in February are not counted.
  await event(0, { type: 'hazard', reportedAt: at('03-03 09:00'), reportedBy: A });
  await event(1, { type: 'hazard', reportedAt: at('03-04 09:00'), reportedBy: A });
  await event(0, { type: 'hazard', reportedAt: at('03-04 10:00'), reportedBy: A, state: 'cancelled' });
  await event(0, { type: 'hazard', reportedAt: at('02-27 10:00'), reportedBy: A });

  // Mediation: grid 1 unnamed leader success + failure, grid 2 naming A success (A's, not B's);
  // grid 1 success ended in April (not March). A: 2 of 3; B: none.
  await mediation(0, 'success', at('03-10 10:00'), null);
  await mediation(0, 'failed', at('03-11 10:00'), null);
  await mediation(1, 'success', at('03-12 10:00'), A!);
  await mediation(0, 'success', '2025-04-02 10:00+08', null);

  // Response speed, grid 1: accepted after 2 h (first accept counts), 6 h and 1 h; one never accepted.
  // Median 2 h over 3 events. Grid 2: one event accepted after 4 h.
  const a1 = await event(0, { reportedAt: at('03-05 10:00') });
  await accept(a1, at('03-05 12:00'));
  await accept(a1, at('03-05 20:00'));
  await accept(await event(0, { reportedAt: at('03-06 08:00') }), at('03-06 14:00'));
  await accept(await event(0, { reportedAt: at('03-07 08:00') }), at('03-07 09:00'));
  await event(0, { reportedAt: at('03-08 08:00') });
  await accept(await event(1, { reportedAt: at('03-10 08:00') }), at('03-10 12:00'));

  // Handling efficiency: P closed four assigned events in March after 10, 20, 30, 40 h (median 25);
  // one closed in April is not counted. Q: one after 5 h.
  for (const h of [10, 20, 30, 40]) await event(1, { reportedAt: at('03-14 08:00'), closedAfterHours: h, assignee: P });
  await event(1, { reportedAt: '2025-04-03 08:00+08', closedAfterHours: 2, assignee: P });
  await event(2, { reportedAt: at('03-15 08:00'), closedAfterHours: 5, assignee: Q });

  // Support: P acknowledged after 5 and 15 min (median 10), arrived once after 30 min; February not counted.
  await support(0, P!, at('03-16 14:00'), 5, 30);
  await support(1, P!, at('03-17 14:00'), 15, null);
  await support(0, P!, at('02-16 14:00'), 1, 2);
  await support(2, Q!, at('03-18 14:00'), 20, 40);
});
afterAll(async () => db?.drop());

interface Row extends MeasureRow { name: string; mediations_ended: number; events_accepted: number; events_closed: number; support_requests: number; ratings: number; computed_score: number | null; manual_score: number | null; score: number | null; rank: number | null }
interface Evaluation { month: string; grid_leaders: Row[]; police: Row[] }

describe('POST /api/evaluation/ratings (双向评价)', () => {
  it('lets police rate grid leaders of a shared community and the other way round', async () => {
    const rate = (who: string, ratee: string, score: number) => client[who]!.post('/api/evaluation/ratings', { ratee_id: staff[ratee], month: MONTH, score, comment: '工作认真' });
    await json(await rate('policeP', 'leaderA', 5), 201);
    await json(await rate('policeP', 'leaderB', 3), 201);
    await json(await rate('leaderA', 'policeP', 4), 201);
    await json(await rate('leaderB', 'policeP', 2), 201);
    await json(await rate('leaderC', 'policeQ', 4), 201);
  });

  it('refuses raters and ratees outside the rules with the error shape', async () => {
    const body = (ratee: number, extra: object = {}) => ({ ratee_id: ratee, month: MONTH, score: 3, ...extra });
    await refused(await client.policeP!.post('/api/evaluation/ratings', body(staff.leaderC!)), 403, 'forbidden'); // other community
    await refused(await client.leaderA!.post('/api/evaluation/ratings', body(staff.leaderB!)), 403, 'forbidden'); // same side
    await refused(await client.cmd!.post('/api/evaluation/ratings', body(staff.leaderA!)), 403); // role may not rate
    await refused(await client.policeP!.post('/api/evaluation/ratings', body(staff.chief!)), 422, 'not_rateable');
    await refused(await client.policeP!.post('/api/evaluation/ratings', body(999_999)), 422, 'not_rateable');
    await refused(await client.policeP!.post('/api/evaluation/ratings', body(staff.policeP!)), 422, 'not_rateable');
    await refused(await client.policeP!.post('/api/evaluation/ratings', body(staff.leaderA!, { month: '2999-01' })), 422, 'future_period');
    await refused(await client.policeP!.post('/api/evaluation/ratings', body(staff.leaderA!, { score: 6 })), 400, 'invalid_input');
    await refused(await client.policeP!.post('/api/evaluation/ratings', body(staff.leaderA!, { month: '2025-13' })), 400, 'invalid_input');
    // One rating per rater, ratee and month.
    await refused(await client.policeP!.post('/api/evaluation/ratings', body(staff.leaderA!)), 409, 'conflict');
    // Append-only, whoever writes.
    await expect(db.sql`UPDATE evaluation_rating SET score = 1`).rejects.toThrow(/append-only/);
    const [n] = await db.sql<[{ n: number }]>`SELECT count(*)::int AS n FROM evaluation_rating`;
    expect(n.n).toBe(5);
  });
});

describe('GET /api/evaluation', () => {
  it('recomputes every measure and the combined score for the whole sub-district', async () => {
    const r = await json<Evaluation>(await client.cmd!.get(`/api/evaluation?month=${MONTH}`));
    const by = (rows: Row[], name: string) => rows.find((x) => x.staff_id === staff[name])!;
    expect(r.grid_leaders.map((x) => x.staff_id)).toEqual([staff.leaderA, staff.leaderB, staff.leaderC]);
    expect(r.police.map((x) => x.staff_id)).toEqual([staff.policeP, staff.policeQ]);
    const A = by(r.grid_leaders, 'leaderA');
    expect(A).toMatchObject({ hazards_reported: 2, mediations_ended: 3, mediations_success: 2, events_accepted: 3, median_accept_hours: 2, ratings: 1, rating_mean: 5 });
    expect(A.mediation_success_rate).toBeCloseTo(2 / 3, 10);
    const B = by(r.grid_leaders, 'leaderB');
    expect(B).toMatchObject({ hazards_reported: 0, mediations_ended: 0, mediation_success_rate: null, events_accepted: 1, median_accept_hours: 4, ratings: 1, rating_mean: 3 });
    const C = by(r.grid_leaders, 'leaderC');
    expect(C).toMatchObject({ hazards_reported: 0, mediation_success_rate: null, median_accept_hours: null, ratings: 0, rating_mean: null });
    const P = by(r.police, 'policeP');
    expect(P).toMatchObject({ events_closed: 4, median_close_hours: 25, support_requests: 2, median_ack_minutes: 10, median_arrive_minutes: 30, ratings: 2, rating_mean: 3 });
    const Q = by(r.police, 'policeQ');
    expect(Q).toMatchObject({ events_closed: 1, median_close_hours: 5, support_requests: 1, median_ack_minutes: 20, median_arrive_minutes: 40, rating_mean: 4 });
    // Grid leaders: hazards 2/0/0 → 1/0/0; success rate 2/3 (A only); accept hours 2/4 → 1/0.
    // A: computed 100·(1 + 2/3 + 1)/3 = 88.9, manual 100, score 0.7·88.89 + 0.3·100 = 92.2.
    expect(A).toMatchObject({ computed_score: 88.9, manual_score: 100, score: 92.2, rank: 1 });
    expect(B).toMatchObject({ computed_score: 0, manual_score: 60, score: 18, rank: 2 });
    expect(C).toMatchObject({ computed_score: 0, manual_score: null, score: 0, rank: 3 });
    // Police: close 25/5 → 0/1; ack 10/20 → 1/0; arrive 30/40 → 1/0.
    // P: computed 66.7, manual 60, score 46.67 + 18 = 64.7; Q: 33.3, 80, 23.33 + 24 = 47.3.
    expect(P).toMatchObject({ computed_score: 66.7, manual_score: 60, score: 64.7, rank: 1 });
    expect(Q).toMatchObject({ computed_score: 33.3, manual_score: 80, score: 47.3, rank: 2 });
  });

  it('normalises within what the caller sees: a station chief sees their community', async () => {
    const r = await json<Evaluation>(await client.chief!.get(`/api/evaluation?month=${MONTH}`));
    expect(r.grid_leaders.map((x) => [x.staff_id, x.score])).toEqual([[staff.leaderA, 92.2], [staff.leaderB, 18]]);
    // P alone: no measure tells anyone apart (each left out), so the score is the rating alone: 60.
    expect(r.police.map((x) => [x.staff_id, x.computed_score, x.score, x.rank])).toEqual([[staff.policeP, null, 60, 1]]);
    await json(await client.chief!.get(`/api/evaluation?month=${MONTH}&community_id=${world.communityIds[1]}`), 404);
  });

  it('shows a grid leader their own row only, and refuses other roles', async () => {
    const r = await json<Evaluation>(await client.leaderA!.get(`/api/evaluation?month=${MONTH}`));
    expect(r.grid_leaders.map((x) => x.staff_id)).toEqual([staff.leaderA]);
    expect(r.police).toEqual([]);
    const other = await json<Evaluation>(await client.cmd!.get('/api/evaluation?month=2024-01'));
    // A month with nothing recorded: no measure and no rating, so no score and no rank.
    expect(other.grid_leaders.map((x) => [x.score, x.rank])).toEqual([[null, null], [null, null], [null, null]]);
    await refused(await client.cmd!.get('/api/evaluation?month=2025-3'), 400);
  });
});

describe('combined score formula', () => {
  const row = (id: number, m: Partial<MeasureRow>): MeasureRow => ({
    staff_id: id, role: 'police', hazards_reported: 0, info_accuracy_rate: null, mediation_success_rate: null, median_accept_hours: null,
    median_close_hours: null, median_ack_minutes: null, median_arrive_minutes: null, rating_mean: null, ...m,
  });
  it('weights 70 % computed and 30 % ratings, leaves out missing parts, and ranks competitively', () => {
    const s = scoreRole([
      row(1, { median_close_hours: 10, rating_mean: 5 }),
      row(2, { median_close_hours: 30, rating_mean: 5 }),
      row(3, { median_close_hours: 30, rating_mean: 5 }),
      row(4, { median_close_hours: 20 }),
      row(5, {}),
    ], 'police');
    // Close hours 10/30/30/20 → 1, 0, 0, 0.5; P5 has no measure and no rating.
    expect(s.map((r) => [r.staff_id, r.computed_score, r.manual_score, r.score, r.rank])).toEqual([
      [1, 100, 100, 100, 1], [4, 50, null, 50, 2], [2, 0, 100, 30, 3], [3, 0, 100, 30, 3], [5, null, null, null, null],
    ]);
  });
});

describe('training records (培训考核)', () => {
  it('are written by command and station chiefs for the staff they see, and listed', async () => {
    const rec = (who: string, staffName: string, extra: object = {}) => client[who]!.post('/api/training-records', { staff_id: staff[staffName], session_on: '2025-03-20', title: '矛盾调解培训', attended: true, test_score: 88.5, ...extra });
    await json(await rec('cmd', 'leaderA'), 201);
    await json(await rec('chief', 'leaderB', { attended: false, test_score: null }), 201);
    await json(await rec('cmd', 'leaderC', { title: '消防安全培训' }), 201);
    await refused(await rec('cmd', 'leaderA'), 409, 'conflict');
    await refused(await rec('cmd', 'leaderB', { title: '缺席考试', attended: false, test_score: 60 }), 422, 'constraint_violation');
    await refused(await rec('chief', 'leaderC', { title: '越权' }), 422, 'reference_not_found');
    await refused(await rec('leaderA', 'leaderA', { title: '自填' }), 403);
    await refused(await rec('cmd', 'leaderA', { test_score: 101 }), 400, 'invalid_input');
    const mine = await json<{ records: { staff_id: number; title: string; attended: boolean; test_score: number | null }[] }>(await client.chief!.get('/api/training-records'));
    expect(mine.records.map((r) => [r.staff_id, r.attended, r.test_score]).sort()).toEqual([[staff.leaderA, true, 88.5], [staff.leaderB, false, null]].sort());
    const all = await json<{ records: unknown[] }>(await client.cmd!.get(`/api/training-records?staff_id=${staff.leaderC}&from=2025-03-01&to=2025-03-31`));
    expect(all.records).toHaveLength(1);
    await refused(await client.leaderA!.get('/api/training-records'), 403);
  });
});
