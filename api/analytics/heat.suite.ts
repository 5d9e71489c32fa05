import { bboxPolygon, booleanPointInPolygon, point } from '@turf/turf';
import { cellToParent, latLngToCell } from 'h3-js';
import { Hono } from 'hono';
import type { Sql } from 'postgres';
import { beforeAll, describe, expect, it } from 'vitest';
import { QueryCatalog } from '../db/queries.ts';
import type { Deps } from '../deps.ts';
import type { AppEnv } from '../http/env.ts';
import { errorResponse } from '../http/errors.ts';
import { unguarded } from '../auth/guard.ts';
import { heatResource } from '../routes/heat.ts';
import { hotspotsResource } from '../routes/hotspots.ts';
import { CELL, ORIGIN, insertTinyWorld, type TinyWorld } from '../testing/fixtures.ts';
import { Rng } from '../../geodata/demo/random.ts';
import { assignEventCells, cellsInBbox, hexToBigint, type Bbox } from './cells.ts';
import { giStar, h3Neighbours } from './gistar.ts';
import { cycleStart, localToday } from './window.ts';

/**
 * The correctness suite of heat and hotspots, written once and run on two databases: the local
 * PostgreSQL 15 + PostGIS 3.3 (heat.pg.test.ts) and embedded PGlite (heat.pglite.test.ts). Every
 * expected number is computed here in JavaScript from the generated events (h3-js for cells, turf
 * for the bbox, plain Date arithmetic for local hours), never read back from the database.
 */

const HOUR = 3_600_000;
const TZ_OFFSET = 8 * HOUR; // Asia/Shanghai, no daylight saving

interface GenEvent {
  code: string;
  type: 'public_security' | 'hazard' | 'service_request';
  subtype: string | null;
  lon: number;
  lat: number;
  at: number;
  cancelled: boolean;
}

const [ox, oy] = ORIGIN;
const WORLD: Bbox = [ox, oy, ox + 4 * CELL, oy + 2 * CELL];
const HOTSPOT: [number, number] = [ox + 1.2 * CELL, oy + 0.8 * CELL];
const T0 = Date.parse('2025-03-01T00:00:00+08:00');
const T1 = Date.parse('2025-05-01T00:00:00+08:00');

function generateEvents(n: number): GenEvent[] {
  const rng = new Rng(2025, 'heat-suite');
  const out: GenEvent[] = [];
  for (let i = 0; i < n; i++) {
    let lon: number;
    let lat: number;
    if (rng.chance(0.35)) {
      // ~150 m around the hotspot (1° lat ≈ 111 km, 1° lon ≈ 93 km here)
      lon = HOTSPOT[0] + (rng.normal() * 150) / 93_000;
      lat = HOTSPOT[1] + (rng.normal() * 150) / 111_000;
    } else {
      lon = rng.float(WORLD[0], WORLD[2]);
      lat = rng.float(WORLD[1], WORLD[3]);
    }
    const type = rng.pick(['public_security', 'hazard', 'service_request'] as const);
    const subtype = type === 'hazard' ? rng.pick(['fire', 'traffic']) : type === 'public_security' ? rng.pick([null, 'theft', 'fight']) : null;
    out.push({ code: `H-${i}`, type, subtype, lon, lat, at: Math.floor(rng.float(T0, T1) / 1000) * 1000, cancelled: rng.chance(0.03) });
  }
  return out;
}

async function insertEvents(sql: Sql, events: GenEvent[]): Promise<void> {
  for (let i = 0; i < events.length; i += 1000) {
    const chunk = events.slice(i, i + 1000);
    await sql`
      INSERT INTO event (code, type, subtype, severity, title, geom, reported_at, state)
      SELECT code, type, subtype, 1, '测试事件', ST_SetSRID(ST_MakePoint(lon, lat), 4326), at, state
      FROM unnest(${chunk.map((e) => e.code)}::text[], ${chunk.map((e) => e.type)}::text[], ${chunk.map((e) => e.subtype) as string[]}::text[],
                  ${chunk.map((e) => e.lon)}::float8[], ${chunk.map((e) => e.lat)}::float8[],
                  ${chunk.map((e) => new Date(e.at).toISOString())}::timestamptz[],
                  ${chunk.map((e) => (e.cancelled ? 'cancelled' : 'reported'))}::text[])
        AS u(code, type, subtype, lon, lat, at, state)`;
  }
}

const localHour = (ms: number) => new Date(ms + TZ_OFFSET).getUTCHours();
const localIsoWeekday = (ms: number) => new Date(ms + TZ_OFFSET).getUTCDay() || 7;
const localDate = (ms: number) => new Date(ms + TZ_OFFSET).toISOString().slice(0, 10);

interface Filter {
  bbox?: Bbox;
  from: string;
  to: string;
  types?: string[];
  hours?: number[];
  weekdays?: number[];
}

function selected(events: GenEvent[], f: Filter): GenEvent[] {
  const box = f.bbox ? bboxPolygon(f.bbox) : null;
  return events.filter(
    (e) =>
      !e.cancelled &&
      localDate(e.at) >= f.from &&
      localDate(e.at) <= f.to &&
      (!box || booleanPointInPolygon(point([e.lon, e.lat]), box)) &&
      (!f.types || f.types.includes(e.type)) &&
      (!f.hours || f.hours.includes(localHour(e.at))) &&
      (!f.weekdays || f.weekdays.includes(localIsoWeekday(e.at))),
  );
}

function countByCell(events: GenEvent[], res: number): Map<string, number> {
  const m = new Map<string, number>();
  for (const e of events) {
    const c = cellToParent(latLngToCell(e.lat, e.lon, 11), res);
    m.set(c, (m.get(c) ?? 0) + 1);
  }
  return m;
}

/** My routes behind a guard that lets everything through: auth is tested with the auth routes. */
function analyticsApp(sql: Sql) {
  const passThrough = unguarded(sql);
  const deps: Pick<Deps, 'sql' | 'queries' | 'guard'> = { sql, queries: new QueryCatalog(), guard: passThrough };
  const app = new Hono<AppEnv>();
  for (const r of [heatResource(deps), hotspotsResource(deps)]) app.route(r.base, r.router);
  app.onError((err, c) => errorResponse(c, err, (e) => console.error('[heat suite] unexpected error', e)));
  return app;
}

export function heatSuite(getSql: () => Sql): void {
  let sql: Sql;
  let app: ReturnType<typeof analyticsApp>;
  let world: TinyWorld;
  const events = generateEvents(1500);

  const get = async <T>(path: string, status = 200): Promise<T> => {
    const res = await app.request(path);
    const body = (await res.json()) as T;
    expect(res.status, `${path}: ${JSON.stringify(body).slice(0, 300)}`).toBe(status);
    return body;
  };

  beforeAll(async () => {
    sql = getSql();
    app = analyticsApp(sql);
    world = await insertTinyWorld(sql);
    await insertEvents(sql, events);
  });

  describe('H3 bit arithmetic in SQL', () => {
    it('h3_cell_to_parent equals h3-js cellToParent at every resolution 0..11', async () => {
      const rng = new Rng(5, 'parents');
      const cells = Array.from({ length: 300 }, () => latLngToCell(rng.float(-80, 80), rng.float(-180, 180), 11));
      const rows = await sql<{ cell: string; res: number; parent: string; r: number }[]>`
        SELECT c.cell::text AS cell, r.res, h3_to_hex(h3_cell_to_parent(c.cell, r.res)) AS parent, h3_resolution(c.cell) AS r
        FROM unnest(${cells.map((c) => hexToBigint(c).toString())}::bigint[]) AS c(cell)
        CROSS JOIN generate_series(0, 11) AS r(res)`;
      expect(rows).toHaveLength(300 * 12);
      for (const row of rows) {
        const hex = BigInt(row.cell).toString(16);
        expect(row.r).toBe(11);
        expect(row.parent, `${hex} → res ${row.res}`).toBe(cellToParent(hex, row.res));
      }
    });

    it('a finer resolution than the cell has gives NULL', async () => {
      const cell = hexToBigint(latLngToCell(33.7, 113.2, 9)).toString();
      const [row] = await sql<{ p: string | null; same: string }[]>`
        SELECT h3_cell_to_parent(${cell}::bigint, 10) AS p, h3_cell_to_parent(${cell}::bigint, 9)::text AS same`;
      expect(row).toEqual({ p: null, same: cell });
    });
  });

  describe('event cells', () => {
    it('new events wait as pending; assignEventCells gives each the h3-js cell of its point', async () => {
      const [pending] = await sql<{ n: number }[]>`SELECT count(*)::int AS n FROM event_cell WHERE cell IS NULL`;
      expect(pending!.n).toBe(events.length);
      expect(await assignEventCells(sql)).toBe(events.length);
      expect(await assignEventCells(sql)).toBe(0);
      const rows = await sql<{ code: string; cell: string }[]>`
        SELECT e.code, c.cell::text AS cell FROM event e JOIN event_cell c ON c.event_id = e.id WHERE e.code LIKE 'H-%'`;
      const byCode = new Map(events.map((e) => [e.code, e]));
      for (const r of rows) {
        const e = byCode.get(r.code)!;
        expect(BigInt(r.cell).toString(16)).toBe(latLngToCell(e.lat, e.lon, 11));
      }
    });

    it('a moved event goes back to pending, and a cell computed from the old point is not stored', async () => {
      const [e] = await sql<{ id: number; lon: number; lat: number }[]>`
        INSERT INTO event (code, type, subtype, severity, title, geom, reported_at)
        VALUES ('MOVE-1', 'hazard', 'fire', 2, '移动', ST_SetSRID(ST_MakePoint(${ox + 0.001}, ${oy + 0.001}), 4326), '2025-01-05T10:00:00+08')
        RETURNING id, ST_X(geom) AS lon, ST_Y(geom) AS lat`;
      await assignEventCells(sql);
      const oldCell = hexToBigint(latLngToCell(e!.lat, e!.lon, 11)).toString();
      await sql`UPDATE event SET geom = ST_SetSRID(ST_MakePoint(${ox + 0.03}, ${oy + 0.015}), 4326) WHERE id = ${e!.id}`;
      const [after] = await sql<{ cell: string | null }[]>`SELECT cell::text FROM event_cell WHERE event_id = ${e!.id}`;
      expect(after!.cell).toBeNull();
      const queries = new QueryCatalog();
      const [stale] = await queries.run<{ n: number }>(sql, 'heat_event_cells_store', [[e!.id], [oldCell], [e!.lon], [e!.lat]] as never[]);
      expect(stale!.n).toBe(0);
      expect(await assignEventCells(sql)).toBe(1);
      const [fixed] = await sql<{ cell: string }[]>`SELECT cell::text FROM event_cell WHERE event_id = ${e!.id}`;
      expect(BigInt(fixed!.cell).toString(16)).toBe(latLngToCell(oy + 0.015, ox + 0.03, 11));
    });

    it('the fact table follows changes of type, time and cancellation', async () => {
      const at = [ox + 0.025, oy + 0.012] as const;
      const cell = latLngToCell(at[1], at[0], 11);
      await sql`
        INSERT INTO event (code, type, subtype, severity, title, geom, reported_at)
        VALUES ('SYNC-1', 'hazard', 'fire', 2, '同步', ST_SetSRID(ST_MakePoint(${at[0]}, ${at[1]}), 4326), '2024-07-01T12:00:00+08')`;
      const heat = async (qs: string) =>
        (await get<{ cells: { cell: string; n: number }[] }>(`/api/heat/h3?bbox=${WORLD.join(',')}&res=11&${qs}`)).cells.find((c) => c.cell === cell)?.n ?? 0;
      expect(await heat('from=2024-07-01&to=2024-07-01&type=hazard')).toBe(1);
      await sql`UPDATE event SET type = 'service_request', subtype = NULL WHERE code = 'SYNC-1'`;
      expect(await heat('from=2024-07-01&to=2024-07-01&type=hazard')).toBe(0);
      expect(await heat('from=2024-07-01&to=2024-07-01&type=service_request')).toBe(1);
      await sql`UPDATE event SET reported_at = '2024-07-02T09:00:00+08' WHERE code = 'SYNC-1'`;
      expect(await heat('from=2024-07-02&to=2024-07-02&hours=9')).toBe(1);
      await sql`UPDATE event SET state = 'cancelled' WHERE code = 'SYNC-1'`;
      expect(await heat('from=2024-07-02&to=2024-07-02')).toBe(0);
    });

    it('the routes fill pending cells themselves before answering', async () => {
      await sql`
        INSERT INTO event (code, type, subtype, severity, title, geom, reported_at)
        VALUES ('LATE-1', 'hazard', 'fire', 2, '迟到', ST_SetSRID(ST_MakePoint(${ox + 0.035}, ${oy + 0.005}), 4326), '2024-06-01T12:00:00+08')`;
      const body = await get<{ cells: { cell: string; n: number }[] }>(`/api/heat/h3?bbox=${WORLD.join(',')}&res=11&from=2024-06-01&to=2024-06-01`);
      expect(body.cells).toEqual([{ cell: latLngToCell(oy + 0.005, ox + 0.035, 11), n: 1 }]);
    });
  });

  describe('GET /api/heat/h3', () => {
    const cases: [string, Filter, string][] = [
      ['the whole world, March', { bbox: WORLD, from: '2025-03-01', to: '2025-03-31' }, ''],
      ['half the world, both months', { bbox: [ox, oy, ox + 2 * CELL, oy + 2 * CELL], from: '2025-03-01', to: '2025-04-30' }, ''],
      ['one type', { bbox: WORLD, from: '2025-03-01', to: '2025-04-30', types: ['hazard'] }, '&type=hazard'],
      ['two types, night hours', { bbox: WORLD, from: '2025-03-01', to: '2025-04-30', types: ['hazard', 'public_security'], hours: [0, 1, 2, 3, 4, 5, 6, 22, 23] }, '&type=hazard,public_security&hours=0-6,22,23'],
      ['weekends in April', { bbox: WORLD, from: '2025-04-01', to: '2025-04-30', weekdays: [6, 7] }, '&weekdays=6-7'],
      ['one local day', { bbox: WORLD, from: '2025-03-15', to: '2025-03-15' }, ''],
    ];
    for (const res of [7, 8, 9, 10, 11]) {
      it.each(cases)(`res ${res}: %s matches h3-js counts of the generated events`, async (_label, f, extra) => {
        const body = await get<{ res: number; cells: { cell: string; n: number }[]; events: number; truncated: boolean; window: { from: string; to: string; timezone: string } }>(
          `/api/heat/h3?bbox=${f.bbox!.join(',')}&res=${res}&from=${f.from}&to=${f.to}${extra}`,
        );
        const expected = countByCell(selected(events, f), res);
        expect(body.res).toBe(res);
        expect(body.window).toMatchObject({ from: f.from, to: f.to, timezone: 'Asia/Shanghai' });
        expect(body.truncated).toBe(false);
        expect(new Map(body.cells.map((c) => [c.cell, c.n]))).toEqual(expected);
        expect(body.events).toBe([...expected.values()].reduce((a, b) => a + b, 0));
        // most events first
        expect(body.cells.map((c) => c.n)).toEqual(body.cells.map((c) => c.n).sort((a, b) => b - a));
      });
    }

    it('local day boundaries are Asia/Shanghai midnights', async () => {
      // 2024-12-31T16:30Z is 1 January 00:30 in Shanghai; 2024-12-31T15:59Z is still 31 December there.
      await sql`
        INSERT INTO event (code, type, severity, title, geom, reported_at, subtype) VALUES
          ('EDGE-IN', 'hazard', 1, '边界内', ST_SetSRID(ST_MakePoint(${ox + 0.0381}, ${oy + 0.0191}), 4326), '2024-12-31T16:30:00Z', 'fire'),
          ('EDGE-OUT', 'hazard', 1, '边界外', ST_SetSRID(ST_MakePoint(${ox + 0.0381}, ${oy + 0.0191}), 4326), '2024-12-31T15:59:00Z', 'fire')`;
      const cell = latLngToCell(oy + 0.0191, ox + 0.0381, 11);
      const january = await get<{ cells: { cell: string; n: number }[] }>(`/api/heat/h3?bbox=${WORLD.join(',')}&res=11&from=2025-01-01&to=2025-01-01`);
      const december = await get<{ cells: { cell: string; n: number }[] }>(`/api/heat/h3?bbox=${WORLD.join(',')}&res=11&from=2024-12-31&to=2024-12-31`);
      expect(january.cells.find((c) => c.cell === cell)?.n).toBe(1);
      expect(december.cells.find((c) => c.cell === cell)?.n).toBe(1);
      const hours = await get<{ cells: { cell: string; n: number }[] }>(`/api/heat/h3?bbox=${WORLD.join(',')}&res=11&from=2025-01-01&to=2025-01-01&hours=0`);
      expect(hours.cells.find((c) => c.cell === cell)?.n).toBe(1);
    });

    it('caps the cells and says so', async () => {
      const body = await get<{ cells: unknown[]; truncated: boolean; limit: number }>(`/api/heat/h3?bbox=${WORLD.join(',')}&res=11&from=2025-03-01&to=2025-04-30&limit=5`);
      expect(body.cells).toHaveLength(5);
      expect(body).toMatchObject({ truncated: true, limit: 5 });
    });

    it('defaults to the current month so far in Asia/Shanghai, and to the configured resolution', async () => {
      const body = await get<{ res: number; window: { from: string; to: string; days: number } }>(`/api/heat/h3?bbox=${WORLD.join(',')}`);
      const today = localToday('Asia/Shanghai');
      expect(body.window).toMatchObject({ from: cycleStart(today, 'month'), to: today });
      expect(body.res).toBe(9);
    });

    it.each([
      ['res=6', /res/],
      ['res=12', /res/],
      ['hours=25', /"25" is not an hour of day/],
      ['hours=5-2', /ascending range/],
      ['weekdays=0', /ISO weekday/],
      ['type=riot', /"riot" is not an event type/],
      ['from=2025-02-30', /calendar date/],
      ['from=2025-04-02&to=2025-04-01', /must not be after/],
      ['from=2020-01-01&to=2025-04-01', /at most 1096/],
      ['colour=red', /colour/],
    ])('refuses %s with 400', async (qs, message) => {
      const res = await app.request(`/api/heat/h3?bbox=${WORLD.join(',')}&${qs}`);
      expect(res.status).toBe(400);
      const body = (await res.json()) as { error: { code: string; message: string; details: unknown } };
      expect(body.error.code).toBe('invalid_input');
      expect(body.error.message).toMatch(message);
    });

    it('requires a bbox', async () => {
      expect((await app.request('/api/heat/h3?res=9')).status).toBe(400);
    });
  });

  describe('GET /api/heat/matrix', () => {
    function expectedMatrix(list: GenEvent[]): number[][] {
      const m = Array.from({ length: 7 }, () => new Array<number>(24).fill(0));
      for (const e of list) m[localIsoWeekday(e.at) - 1]![localHour(e.at)]! += 1;
      return m;
    }

    it('counts by local weekday and hour for a bbox', async () => {
      const f: Filter = { bbox: [ox, oy, ox + 2 * CELL, oy + CELL], from: '2025-03-01', to: '2025-04-30', types: ['public_security'] };
      const body = await get<{ matrix: number[][]; total: number; weekdays: number[] }>(`/api/heat/matrix?bbox=${f.bbox!.join(',')}&from=${f.from}&to=${f.to}&type=public_security`);
      const expected = expectedMatrix(selected(events, f));
      expect(body.weekdays).toEqual([1, 2, 3, 4, 5, 6, 7]);
      expect(body.matrix).toEqual(expected);
      expect(body.total).toBe(expected.flat().reduce((a, b) => a + b, 0));
    });

    it('for a community and a grid, by the events\' grids', async () => {
      const inBox = (b: Bbox) => selected(events, { bbox: b, from: '2025-03-01', to: '2025-04-30' });
      const community = await get<{ matrix: number[][] }>(`/api/heat/matrix?community_id=${world.communityIds[1]}&from=2025-03-01&to=2025-04-30`);
      expect(community.matrix).toEqual(expectedMatrix(inBox([ox + 2 * CELL, oy, ox + 4 * CELL, oy + 2 * CELL])));
      const grid = await get<{ matrix: number[][] }>(`/api/heat/matrix?grid_id=${world.gridIds[0]}&from=2025-03-01&to=2025-04-30`);
      expect(grid.matrix).toEqual(expectedMatrix(inBox([ox, oy, ox + CELL, oy + 2 * CELL])));
      const all = await get<{ total: number }>(`/api/heat/matrix?subdistrict_id=${world.subdistrictId}&from=2025-03-01&to=2025-04-30`);
      expect(all.total).toBe(selected(events, { from: '2025-03-01', to: '2025-04-30' }).length);
    });

    it('refuses two areas at once', async () => {
      const res = await app.request(`/api/heat/matrix?grid_id=1&community_id=1`);
      expect(res.status).toBe(400);
      expect(await res.text()).toMatch(/at most one area/);
    });
  });

  describe('GET /api/heat/compare', () => {
    it('per cell: counts in both windows, difference and ratio of daily rates', async () => {
      const a: Filter = { bbox: WORLD, from: '2025-04-01', to: '2025-04-30' };
      const b: Filter = { bbox: WORLD, from: '2025-03-01', to: '2025-03-31' };
      const body = await get<{ a: { days: number }; b: { days: number }; rows: { cell: string; a: number; b: number; diff: number; ratio: number | null }[] }>(
        `/api/heat/compare?bbox=${WORLD.join(',')}&res=8&from=${a.from}&to=${a.to}&from2=${b.from}&to2=${b.to}`,
      );
      const ea = countByCell(selected(events, a), 8);
      const eb = countByCell(selected(events, b), 8);
      expect([body.a.days, body.b.days]).toEqual([30, 31]);
      const cells = new Set([...ea.keys(), ...eb.keys()]);
      expect(body.rows).toHaveLength(cells.size);
      for (const r of body.rows) {
        const [na, nb] = [ea.get(r.cell) ?? 0, eb.get(r.cell) ?? 0];
        expect([r.a, r.b, r.diff]).toEqual([na, nb, na - nb]);
        expect(r.ratio).toBe(nb > 0 ? na / 30 / (nb / 31) : null);
      }
    });

    it('per grid, every grid of the bbox, zeros included; the default baseline is the preceding window', async () => {
      const body = await get<{ a: { from: string; to: string }; b: { from: string; to: string }; rows: { grid_id: number; a: number; b: number }[] }>(
        `/api/heat/compare?bbox=${WORLD.join(',')}&by=grid&from=2025-04-01&to=2025-04-30&type=hazard`,
      );
      expect(body.b).toMatchObject({ from: '2025-03-02', to: '2025-03-31' });
      expect(body.rows.map((r) => r.grid_id).sort()).toEqual([...world.gridIds].sort());
      const g1 = body.rows.find((r) => r.grid_id === world.gridIds[0])!;
      const box: Bbox = [ox, oy, ox + CELL, oy + 2 * CELL];
      expect(g1.a).toBe(selected(events, { bbox: box, from: '2025-04-01', to: '2025-04-30', types: ['hazard'] }).length);
      expect(g1.b).toBe(selected(events, { bbox: box, from: '2025-03-02', to: '2025-03-31', types: ['hazard'] }).length);
    });

    it('refuses half a baseline and res with by=grid', async () => {
      expect((await app.request(`/api/heat/compare?bbox=${WORLD.join(',')}&from2=2025-03-01`)).status).toBe(400);
      expect((await app.request(`/api/heat/compare?bbox=${WORLD.join(',')}&by=grid&res=9`)).status).toBe(400);
    });
  });

  describe('GET /api/hotspots/gistar', () => {
    interface Body {
      n: number;
      events: number;
      classes: Record<string, number>;
      cells: { cell: string; n: number; z: number; p: number; q: number; class: number }[];
      area: { community_id: number | null };
    }

    it('on a bbox: every cell of the area, with Gi* of the independently counted events', async () => {
      const f: Filter = { bbox: WORLD, from: '2025-03-01', to: '2025-04-30' };
      const body = await get<Body>(`/api/hotspots/gistar?bbox=${WORLD.join(',')}&res=9&k=1&from=${f.from}&to=${f.to}`);
      const cells = cellsInBbox(WORLD, 9).sort();
      // Counts of whole cells: events anywhere, then keep the study area's cells.
      const counts = countByCell(selected(events, { from: f.from, to: f.to }), 9);
      const values = cells.map((c) => counts.get(c) ?? 0);
      const expected = giStar(values, h3Neighbours(cells, 1));
      expect(body.n).toBe(cells.length);
      expect(body.events).toBe(values.reduce((a, b) => a + b, 0));
      const got = new Map(body.cells.map((c) => [c.cell, c]));
      cells.forEach((c, i) => {
        const g = got.get(c)!;
        expect(g.n).toBe(values[i]);
        expect(g.z).toBeCloseTo(expected[i]!.z, 3);
        expect(g.class).toBe(expected[i]!.class);
      });
      // The planted hotspot is hot at 99 %, and sorted first.
      const hotspotCell = latLngToCell(HOTSPOT[1], HOTSPOT[0], 9);
      expect(got.get(hotspotCell)!.class).toBe(3);
      expect(body.cells[0]!.class).toBe(3);
      expect(Object.values(body.classes).reduce((a, b) => a + b, 0)).toBe(cells.length);
    });

    it('on a community, with k = 2 and a type filter', async () => {
      const body = await get<Body>(`/api/hotspots/gistar?community_id=${world.communityIds[0]}&res=10&k=2&from=2025-03-01&to=2025-04-30&type=public_security,hazard`);
      expect(body.area.community_id).toBe(world.communityIds[0]);
      const box: Bbox = [ox, oy, ox + 2 * CELL, oy + 2 * CELL];
      const cells = cellsInBbox(box, 10).sort();
      expect(body.n).toBe(cells.length);
      const counts = countByCell(selected(events, { from: '2025-03-01', to: '2025-04-30', types: ['public_security', 'hazard'] }), 10);
      const values = cells.map((c) => counts.get(c) ?? 0);
      const expected = giStar(values, h3Neighbours(cells, 2));
      const got = new Map(body.cells.map((c) => [c.cell, c]));
      cells.forEach((c, i) => expect(got.get(c)!.z).toBeCloseTo(expected[i]!.z, 3));
    });

    it('refuses a missing community (404), a tiny area (422), a huge one (400) and two areas (400)', async () => {
      expect((await app.request('/api/hotspots/gistar?community_id=999999')).status).toBe(404);
      const tiny = await app.request(`/api/hotspots/gistar?bbox=${ox},${oy},${ox + 0.001},${oy + 0.001}&res=7`);
      expect(tiny.status).toBe(422);
      const huge = await app.request('/api/hotspots/gistar?bbox=100,20,120,40&res=11');
      expect(huge.status).toBe(400);
      expect(await huge.text()).toMatch(/area_too_large/);
      const both = await app.request(`/api/hotspots/gistar?bbox=${WORLD.join(',')}&community_id=1`);
      expect(both.status).toBe(400);
      expect((await app.request('/api/hotspots/gistar?bbox=1,2,3,4&k=6')).status).toBe(400);
    });
  });

  describe('GET /api/hotspots/emerging', () => {
    it('splits the window into periods and runs Gi* and Mann-Kendall per cell', async () => {
      const body = await get<{
        periods: { from: string; to: string }[];
        n: number;
        patterns: Record<string, number>;
        cells: { cell: string; counts: number[]; pattern: string; spot: string | null; classes: number[] }[];
      }>(`/api/hotspots/emerging?bbox=${WORLD.join(',')}&res=9&k=1&to=2025-04-27&period_days=14&periods=4`);
      expect(body.periods).toEqual([
        { from: '2025-03-03', to: '2025-03-16' },
        { from: '2025-03-17', to: '2025-03-30' },
        { from: '2025-03-31', to: '2025-04-13' },
        { from: '2025-04-14', to: '2025-04-27' },
      ]);
      const cells = cellsInBbox(WORLD, 9).sort();
      expect(body.n).toBe(cells.length);
      const perPeriod = body.periods.map((p) => countByCell(selected(events, { from: p.from, to: p.to }), 9));
      for (const c of body.cells) expect(c.counts).toEqual(perPeriod.map((m) => m.get(c.cell) ?? 0));
      // The hotspot is there in every period: persistent (or with a trend) at its centre.
      const centre = body.cells.find((c) => c.cell === latLngToCell(HOTSPOT[1], HOTSPOT[0], 9))!;
      expect(centre.classes.every((k) => k >= 1)).toBe(true);
      expect(['persistent', 'intensifying', 'diminishing']).toContain(centre.pattern);
      expect(Object.values(body.patterns).reduce((a, b) => a + b, 0)).toBe(cells.length);
    });

    it('refuses fewer than 3 periods', async () => {
      expect((await app.request(`/api/hotspots/emerging?bbox=${WORLD.join(',')}&periods=2`)).status).toBe(400);
    });
  });
}
