import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../app.ts';
import { Client, createUser, testApp } from '../testing/app.ts';
import { freshDatabase, type TestDatabase } from '../testing/db.ts';
import { CELL, ORIGIN, insertTinyWorld, type TinyWorld } from '../testing/fixtures.ts';
import { unzipSync, strFromU8 } from 'fflate';
import { REPORT_TABLES, kpiScore } from '../reports/reports.ts';
import { zhCN } from '../../web/lib/i18n/zh-CN.ts';

// 日见面、周研判、月讲评: every number below is worked out by hand from the rows inserted here.
let db: TestDatabase;
let app: App['app'];
let world: TinyWorld;
let command: Client;
let leader: Client;
let analyst: Client;
let screen: Client;
let today: string;
let yesterday: string;
let staffId: number;
const [ox, oy] = ORIGIN;
/** A point inside grid i (0..3). */
const inGrid = (i: number, k = 0): [number, number] => [ox + (i + 0.3) * CELL + k * 0.0003, oy + 0.7 * CELL + k * 0.0002];

let seq = 0;
/** An event reported `daysAgo` local days before today at local hour `hour`. */
async function event(grid: number, type: string, opts: { subtype?: string; daysAgo: number; hour?: number; state?: string; dueInHours?: number; closedAfterHours?: number }) {
  const subtype = opts.subtype ?? (type === 'dispute' ? 'neighbour' : type === 'hazard' ? 'fire' : null);
  const [lon, lat] = inGrid(grid, seq++ % 20);
  const [e] = await db.sql<{ id: number }[]>`
    INSERT INTO event (code, type, subtype, complexity, severity, state, title, geom, reported_at, due_at, closed_at)
    SELECT ${`R-${seq}`}, ${type}, ${subtype}, ${type === 'dispute' ? 'general' : null}, 2, ${opts.state ?? 'reported'}, ${`报表测试${seq}`},
           ST_SetSRID(ST_MakePoint(${lon}, ${lat}), 4326), t, t + make_interval(hours => ${opts.dueInHours ?? 24 * 60}),
           ${opts.closedAfterHours ?? null}::float8 * interval '1 hour' + t
    FROM (SELECT (kpi_today() - ${opts.daysAgo}::int + make_interval(hours => ${opts.hour ?? 10}))::timestamp AT TIME ZONE kpi_tz() AS t) x
    RETURNING id`;
  return e!.id;
}

async function json<T>(res: Response, status = 200): Promise<T> {
  expect(res.status, await res.clone().text()).toBe(status);
  return (await res.json()) as T;
}

beforeAll(async () => {
  db = await freshDatabase();
  ({ app } = testApp(db.sql));
  world = await insertTinyWorld(db.sql);
  const { sql } = db;
  [{ today, yesterday }] = await sql<[{ today: string; yesterday: string }]>`SELECT kpi_today()::text AS today, (kpi_today() - 1)::text AS yesterday`;
  await createUser(sql, 'chief', 'command', { subdistrict_id: world.subdistrictId });
  ({ staffId } = (await createUser(sql, 'leader1', 'grid_leader', { grid_id: world.gridIds[0] })) as { staffId: number });
  await createUser(sql, 'analyst', 'analyst', { subdistrict_id: world.subdistrictId });
  await createUser(sql, 'screen', 'display', {});
  const [s] = await sql<[{ id: number }]>`INSERT INTO staff (code, name, org, kind) VALUES ('P-1', '王民警', 'police_station', 'police') RETURNING id`;

  // 日见面 (report day = today, so "yesterday" is the day before).
  await event(0, 'public_security', { daysAgo: 1, hour: 9 });
  await event(0, 'public_security', { daysAgo: 1, hour: 23 });
  await event(0, 'dispute', { daysAgo: 1 });
  await event(2, 'hazard', { daysAgo: 1 });
  await event(0, 'public_security', { daysAgo: 1, state: 'cancelled' }); // cancelled: not counted
  await event(1, 'service_request', { daysAgo: 0, hour: 0 }); // today: not yesterday
  await event(1, 'service_request', { daysAgo: 2, hour: 23 }); // two days ago
  // Overdue: open past its deadline (2), closed after its deadline (not open), open and not yet due.
  await event(1, 'service_request', { daysAgo: 5, dueInHours: 24 });
  await event(3, 'hazard', { daysAgo: 10, dueInHours: 48 });
  await event(1, 'service_request', { daysAgo: 5, dueInHours: 24, state: 'closed', closedAfterHours: 30 });
  // Support requests yesterday: acknowledged in 3 min and arrived in 25 min; acknowledged in 10 min; one today.
  const support = async (grid: number, daysAgo: number, ackMin: number | null, arriveMin: number | null) => {
    const [lon, lat] = inGrid(grid, 7);
    await sql`
      INSERT INTO support_request (requested_by, police_id, geom, reason, requested_at, acknowledged_at, arrived_at, arrival_source, state)
      SELECT ${staffId}, ${s.id}, ST_SetSRID(ST_MakePoint(${lon}, ${lat}), 4326), '群众聚集，请求支援', t,
             t + ${ackMin}::float8 * interval '1 minute', t + ${arriveMin}::float8 * interval '1 minute',
             ${arriveMin === null ? null : 'manual'}, ${arriveMin === null ? (ackMin === null ? 'open' : 'acknowledged') : 'arrived'}
      FROM (SELECT (kpi_today() - ${daysAgo}::int + time '14:00')::timestamp AT TIME ZONE kpi_tz() AS t) x`;
  };
  await support(0, 1, 3, 25);
  await support(2, 1, 10, null);
  await support(0, 0, 1, 2);
  // Patrol plans: published for today (community 1), a draft for today, published for tomorrow.
  const plan = async (name: string, community: number, dayOffset: number, publish: boolean) => {
    const [p] = await sql<[{ id: number }]>`
      INSERT INTO patrol_plan (name, community_id, shift_start, shift_end)
      SELECT ${name}, ${community}, t, t + interval '4 hours'
      FROM (SELECT (kpi_today() + ${dayOffset}::int + time '19:00')::timestamp AT TIME ZONE kpi_tz() AS t) x RETURNING id`;
    const [lon, lat] = inGrid(0, 9);
    for (const n of [1, 2]) await sql`INSERT INTO patrol_plan_stop (plan_id, team, seq, target_kind, geom, reason) VALUES (${p.id}, 1, ${n}, 'manual', ST_Point(${lon}, ${lat}, 4326), '测试')`;
    if (publish) {
      await sql`UPDATE patrol_plan SET state = 'approved', approved_at = now() WHERE id = ${p.id}`;
      await sql`UPDATE patrol_plan SET state = 'published', published_at = now() WHERE id = ${p.id}`;
    }
  };
  await plan('今晚巡防', world.communityIds[0], 0, true);
  await plan('草稿', world.communityIds[0], 0, false);
  await plan('明晚巡防', world.communityIds[0], 1, true);

  // 周研判: disputes this week (3 incl. yesterday's), last week (1), three weeks back (1).
  await event(0, 'dispute', { daysAgo: 3, subtype: 'neighbour' });
  await event(2, 'dispute', { daysAgo: 2, subtype: 'land' });
  await event(0, 'dispute', { daysAgo: 9, subtype: 'neighbour' });
  await event(1, 'dispute', { daysAgo: 20, subtype: 'economic' });
  await event(3, 'hazard', { daysAgo: 4, state: 'closed', closedAfterHours: 2 }); // closed: not on the risk list
  // A person of concern in G1 never visited, one in G3 never visited.
  for (const [i, g] of [[0, 0], [1, 2]] as const) {
    const [lon, lat] = inGrid(g, 11);
    const [a] = await sql<[{ id: number }]>`
      INSERT INTO address (code, address_text, geom, category) VALUES (${`RA${i}`}, ${`报表路${i}号`}, ST_SetSRID(ST_MakePoint(${lon}, ${lat}), 4326), 'general') RETURNING id`;
    if (i === 0) {
      await sql`INSERT INTO housing (address_id, building_type, usage, rented) VALUES (${a.id}, 'residential', 'self_occupied', false)`;
      await sql`INSERT INTO resident (address_id, name) VALUES (${a.id}, '李四')`;
    }
    await sql`INSERT INTO person_of_concern (code, address_id, name, id_number, phone, category, control_level, since)
              VALUES (${`RP${i}`}, ${a.id}, '某人', ${`41048119800101${1000 + i}`}, '13800001111', 'elderly_alone', 1, '2025-01-01')`;
  }
  command = await Client.login(app, 'chief');
  leader = await Client.login(app, 'leader1');
  analyst = await Client.login(app, 'analyst');
  screen = await Client.login(app, 'screen');
});
afterAll(async () => db?.drop());

interface Daily {
  date: string;
  scope: { subdistrict: { name: string }; community: { name: string } | null };
  period: { yesterday: string };
  summary: Record<string, unknown> & { events_by_type: Record<string, number> };
  tables: {
    events_by_grid_type: { grid_id: number; type: string; events: number }[];
    overdue_events: { grid_id: number; type: string; title: string }[];
    support_requests: { grid_id: number; ack_minutes: number | null; arrive_minutes: number | null; ack_on_time: boolean; arrive_on_time: boolean }[];
    patrol_plans: { name: string; stops: number }[];
  };
}

describe('GET /api/reports/daily (日见面)', () => {
  it('counts yesterday’s events by grid and type, overdue items, support requests and today’s published plans', async () => {
    const r = await json<Daily>(await command.get(`/api/reports/daily?date=${today}`));
    const [g1, , g3] = world.gridIds;
    expect(r.period.yesterday).toBe(yesterday);
    expect(r.scope.subdistrict.name).toBe('测试街道');
    expect(r.tables.events_by_grid_type.map((x) => [x.grid_id, x.type, x.events])).toEqual([
      [g1, 'dispute', 1], [g1, 'public_security', 2], [g3, 'hazard', 1],
    ]);
    expect(r.summary.events_yesterday).toBe(4);
    expect(r.summary.events_by_type).toEqual({ dispute: 1, public_security: 2, hazard: 1 });
    expect(r.tables.overdue_events.map((x) => [x.grid_id, x.type]).sort()).toEqual([[world.gridIds[1], 'service_request'], [world.gridIds[3], 'hazard']].sort());
    expect(r.summary.overdue_open).toBe(2);
    expect(r.tables.support_requests.map((x) => [x.ack_minutes, x.arrive_minutes, x.ack_on_time, x.arrive_on_time])).toEqual([
      [3, 25, true, false], [10, null, false, false],
    ]);
    expect(r.summary).toMatchObject({ support_requests: 2, support_ack_median_minutes: 6.5, support_arrive_median_minutes: 25, support_ack_on_time: 1, support_arrive_on_time: 0 });
    expect(r.tables.patrol_plans.map((p) => [p.name, p.stops])).toEqual([['今晚巡防', 2]]);
  });

  it('a past day is its own report; one community limits every table', async () => {
    const past = await json<Daily>(await command.get(`/api/reports/daily?date=${yesterday}`));
    // The day before yesterday: the service request reported at 23:00 and the land dispute.
    expect(past.tables.events_by_grid_type.map((x) => [x.grid_id, x.type, x.events])).toEqual([[world.gridIds[1], 'service_request', 1], [world.gridIds[2], 'dispute', 1]]);
    expect(past.tables.patrol_plans).toEqual([]);
    const c2 = await json<Daily>(await command.get(`/api/reports/daily?date=${today}&community_id=${world.communityIds[1]}`));
    expect(c2.scope.community?.name).toBe('西岭村');
    expect(c2.tables.events_by_grid_type.map((x) => [x.grid_id, x.type, x.events])).toEqual([[world.gridIds[2], 'hazard', 1]]);
    expect(c2.tables.overdue_events.map((x) => x.grid_id)).toEqual([world.gridIds[3]]);
    expect(c2.tables.support_requests).toHaveLength(1);
    expect(c2.tables.patrol_plans).toEqual([]);
  });

  it('a grid leader gets their grid only; a community outside their jurisdiction is not found', async () => {
    const r = await json<Daily>(await leader.get(`/api/reports/daily?date=${today}`));
    expect(new Set(r.tables.events_by_grid_type.map((x) => x.grid_id))).toEqual(new Set([world.gridIds[0]]));
    expect(r.tables.overdue_events).toEqual([]);
    expect(r.tables.support_requests).toHaveLength(1);
    await json(await leader.get(`/api/reports/daily?community_id=${world.communityIds[1]}`), 404);
  });

  it('exports each table as CSV with a BOM', async () => {
    const res = await command.get(`/api/reports/daily?date=${today}&format=csv&table=events_by_grid_type`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/text\/csv/);
    const bytes = new Uint8Array(await res.arrayBuffer());
    expect([...bytes.slice(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const lines = new TextDecoder().decode(bytes).trim().split('\r\n');
    expect(lines[0]).toBe('community_name,grid_code,grid_name,type,events,grid_id,community_id');
    expect(lines.slice(1).map((l) => l.split(',').slice(3, 5).join(','))).toEqual(['dispute,1', 'public_security,2', 'hazard,1']);
  });
});

describe('GET /api/reports/weekly (周研判)', () => {
  interface Weekly {
    summary: { disputes_this_week: number; disputes_last_week: number; open_hazards: number; open_hazards_overdue: number; persons_due: Record<string, number | null> };
    tables: {
      disputes_by_subtype: { subtype: string; this_week: number; last_week: number; change: number; four_weeks: string }[];
      disputes_by_community: { community_name: string; subtype: string; this_week: number; last_week: number }[];
      open_hazards: { grid_id: number; overdue: boolean }[];
      persons_due: { grid_id: number; never: number | null }[];
      hotspots: { cell: string; class: number }[];
    };
  }

  it('dispute trends by subtype and community, open hazards and persons due', async () => {
    const r = await json<Weekly>(await command.get(`/api/reports/weekly?date=${today}`));
    expect(r.tables.disputes_by_subtype).toEqual([
      { subtype: 'neighbour', this_week: 2, last_week: 1, change: 1, four_weeks: '0 0 1 2' },
      { subtype: 'land', this_week: 1, last_week: 0, change: 1, four_weeks: '0 0 0 1' },
      { subtype: 'economic', this_week: 0, last_week: 0, change: 0, four_weeks: '0 1 0 0' },
    ]);
    expect(r.summary).toMatchObject({ disputes_this_week: 3, disputes_last_week: 1 });
    expect(r.tables.disputes_by_community.map((x) => [x.community_name, x.subtype, x.this_week, x.last_week])).toEqual([
      ['东风社区', 'neighbour', 2, 1], ['西岭村', 'land', 1, 0],
    ]);
    // Open hazards: yesterday's (not yet due) and the ten-day-old overdue one; the closed one is not listed.
    expect(r.tables.open_hazards.map((h) => [h.grid_id, h.overdue])).toEqual([[world.gridIds[3], true], [world.gridIds[2], false]]);
    expect(r.summary).toMatchObject({ open_hazards: 2, open_hazards_overdue: 1 });
    expect(r.tables.persons_due.map((p) => [p.grid_id, p.never])).toEqual([[world.gridIds[0], 1], [world.gridIds[2], 1]]);
    expect(r.summary.persons_due).toEqual({ never: 2, overdue: 0, due_soon: 0 });
    expect(Array.isArray(r.tables.hotspots)).toBe(true);
  });

  it('analysts get person counts under 3 suppressed, and no names or titles', async () => {
    const res = await analyst.get(`/api/reports/weekly?date=${today}`);
    const text = await res.clone().text();
    const r = await json<Weekly>(res);
    expect(r.tables.persons_due.map((p) => p.never)).toEqual([null, null]);
    expect(r.summary.persons_due.never).toBeNull();
    expect(text).not.toMatch(/报表测试|某人|41048119800101/);
  });
});

describe('GET /api/reports/monthly (月讲评)', () => {
  interface Row { unit_id: number; rank: number | null; score: number | null; registration_rate: number | null; closure_rate: number | null; visit_coverage_rate: number | null; patrol_coverage: number | null; addresses: number; registered: number; events_due: number; events_closed: number }
  it('KPIs per community and grid with the documented score and a ranking consistent with it', async () => {
    const r = await json<{ targets: Record<string, number | null>; tables: { communities: Row[]; grids: Row[] } }>(await command.get(`/api/reports/monthly?date=${today}`));
    expect(r.targets).toMatchObject({ registration_rate: 1, closure_rate: 1, visit_coverage_rate: 1 });
    const g1 = r.tables.grids.find((g) => g.unit_id === world.gridIds[0])!;
    const g3 = r.tables.grids.find((g) => g.unit_id === world.gridIds[2])!;
    expect([g1.addresses, g1.registered, g1.registration_rate]).toEqual([1, 1, 1]);
    expect([g3.addresses, g3.registered, g3.registration_rate]).toEqual([1, 0, 0]);
    const c1 = r.tables.communities.find((c) => c.unit_id === world.communityIds[0])!;
    expect([c1.addresses, c1.registered]).toEqual([1, 1]);
    for (const row of [...r.tables.grids, ...r.tables.communities]) {
      expect(row.closure_rate).toBe(row.events_due > 0 ? row.events_closed / row.events_due : null);
      expect(row.score).toBe(kpiScore(row));
    }
    const ranked = r.tables.grids.filter((g) => g.rank !== null);
    for (const a of ranked) for (const b of ranked) if (a.score! > b.score!) expect(a.rank!).toBeLessThan(b.rank!);
    expect(r.tables.grids[0]!.rank).toBe(1);
  });

  it('is open to the wall screen; CSV has the ranking columns', async () => {
    await json(await screen.get('/api/reports/monthly'));
    const res = await command.get(`/api/reports/monthly?format=csv&table=communities`);
    expect((await res.text()).split('\r\n')[0]).toMatch(/^rank,name,code,score,score_change,registration_rate/);
  });
});

/** A workbook read back: sheet names in order, and each sheet's rows as [type, text] cells (numbers typed 'n'). */
function readWorkbook(bytes: Uint8Array): { names: string[]; sheets: [string, string][][][] } {
  const files = unzipSync(bytes);
  const workbook = strFromU8(files['xl/workbook.xml']!);
  const names = [...workbook.matchAll(/<sheet name="([^"]*)" sheetId="(\d+)"/g)].map((m) => m[1]!.replace(/&amp;/g, '&'));
  const sheets = names.map((_, i) => {
    const xml = strFromU8(files[`xl/worksheets/sheet${i + 1}.xml`]!);
    // Empty cells are not written: each cell goes to the column its reference names (A…Z suffice here).
    return [...xml.matchAll(/<row r="\d+">(.*?)<\/row>/g)].map((row) => {
      const cells: [string, string][] = [];
      for (const c of row[1]!.matchAll(/<c r="([A-Z])\d+"( t="inlineStr")?[^>]*>(?:<v>([^<]*)<\/v>|<is><t[^>]*>([^<]*)<\/t><\/is>)<\/c>/g)) {
        cells[c[1]!.charCodeAt(0) - 65] = c[2] ? ['s', c[4]!] : ['n', c[3]!];
      }
      return cells;
    });
  });
  return { names, sheets };
}

describe('format=xlsx: every table of a report as one workbook', () => {
  it('has one sheet per table with the Chinese headers, the JSON report’s rows, numbers as numbers and times as local text', async () => {
    for (const kind of ['daily', 'weekly', 'monthly'] as const) {
      const report = await json<{ tables: Record<string, Record<string, unknown>[]> }>(await command.get(`/api/reports/${kind}?date=${today}`));
      const res = await command.get(`/api/reports/${kind}?date=${today}&format=xlsx`);
      expect(res.status, await res.clone().text()).toBe(200);
      expect(res.headers.get('content-type')).toBe('application/vnd.openxmlformats-officedocument.spreadsheetml.sheet');
      expect(res.headers.get('content-disposition')).toContain(`report-${kind}-${today}.xlsx`);
      const book = readWorkbook(new Uint8Array(await res.arrayBuffer()));
      const tables = Object.keys(REPORT_TABLES[kind]);
      expect(book.names).toEqual(tables.map((t) => zhCN.reports.tables[t]!.replace('*', ' ')));
      tables.forEach((table, i) => {
        const [header, ...rows] = book.sheets[i]!;
        expect(header!.map((c) => c[1])).toEqual(REPORT_TABLES[kind][table]!.map((c) => zhCN.reports.columns[c] ?? c));
        expect(rows.length, `${kind} ${table}`).toBe(report.tables[table]!.length);
      });
    }
  });

  it('writes counts as numeric cells and instants in Asia/Shanghai', async () => {
    const report = await json<{ tables: { events_by_grid_type: { events: number }[]; overdue_events: { reported_at: string }[] } }>(await command.get(`/api/reports/daily?date=${today}`));
    const book = readWorkbook(new Uint8Array(await (await command.get(`/api/reports/daily?date=${today}&format=xlsx`)).arrayBuffer()));
    const events = REPORT_TABLES.daily.events_by_grid_type!.indexOf('events');
    expect(book.sheets[0]!.slice(1).map((r) => r[events])).toEqual(report.tables.events_by_grid_type.map((r) => ['n', String(r.events)]));
    // Type codes read as their Chinese names, as on the page.
    expect(book.sheets[0]!.slice(1).map((r) => r[3]![1])).toEqual(['矛盾纠纷', '治安', '风险隐患']);
    const local = (iso: string) => new Date(Date.parse(iso) + 8 * 3600_000).toISOString().slice(0, 19).replace('T', ' ');
    const reportedAt = REPORT_TABLES.daily.overdue_events!.indexOf('reported_at');
    expect(book.sheets[1]!.slice(1).map((r) => r[reportedAt])).toEqual(report.tables.overdue_events.map((r) => ['s', local(r.reported_at)]));
  });
});

describe('errors and access', () => {
  it('refuses bad dates with 400 and the error shape', async () => {
    for (const kind of ['daily', 'weekly', 'monthly']) {
      for (const bad of ['2025-02-30', 'yesterday', '2025-1-1']) {
        const body = await json<{ error: { code: string; message: string; details: { path: string }[] } }>(await command.get(`/api/reports/${kind}?date=${bad}`), 400);
        expect(body.error.code).toBe('invalid_input');
        expect(body.error.details[0]!.path).toBe('date');
      }
    }
    await json(await command.get('/api/reports/daily?table=nope&format=csv'), 400);
  });

  it('401 without a session, 403 for roles a report is not for', async () => {
    for (const kind of ['daily', 'weekly', 'monthly']) await json(await Client.anonymous(app).get(`/api/reports/${kind}`), 401);
    await json(await analyst.get('/api/reports/daily'), 403);
    await json(await screen.get('/api/reports/daily'), 403);
    await json(await screen.get('/api/reports/weekly'), 403);
  });
});

describe('GET /api/stats/trend', () => {
  it('gives one row per day with events reported, and events by type and hour', async () => {
    const r = await json<{ from: string; to: string; days: { day: string; events_reported: number }[]; by_type: { type: string; events: number }[]; by_hour: number[] }>(await screen.get('/api/stats/trend?days=30'));
    expect(r.days).toHaveLength(30);
    expect(r.to).toBe(today);
    expect(r.days.at(-1)!.day).toBe(today);
    // Yesterday: 4 events + the cancelled one are reported; the KPI engine counts reports at the report day.
    expect(r.days.find((d) => d.day === yesterday)!.events_reported).toBeGreaterThanOrEqual(4);
    const total = r.by_type.reduce((n, x) => n + x.events, 0);
    expect(r.by_hour.reduce((n, x) => n + x, 0)).toBe(total);
    // Not cancelled, within the 30 days: 5 on G1..G4 yesterday minus the cancelled one, plus the others.
    const [{ n }] = await db.sql<[{ n: number }]>`
      SELECT count(*)::int AS n FROM event WHERE state <> 'cancelled' AND reported_at >= (kpi_today() - 29)::timestamp AT TIME ZONE kpi_tz()`;
    expect(total).toBe(n);
    await json(await screen.get('/api/stats/trend?days=1000'), 400);
  });
});
