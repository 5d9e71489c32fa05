import { area as turfArea, booleanIntersects, booleanPointInPolygon, buffer as turfBuffer, distance as turfDistance, featureCollection, intersect, lineString, point, pointToLineDistance, union } from '@turf/turf';
import type { Feature, MultiPolygon, Polygon } from 'geojson';
import { gridPathCells, latLngToCell, polygonToCells } from 'h3-js';
import type { Sql } from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { QueryCatalog } from '../db/queries.ts';
import { CELL, ORIGIN, insertTinyWorld, square, type TinyWorld } from '../testing/fixtures.ts';
import { rebuildDerived, refreshDerived } from './derived.ts';
import { ingestFixes, type GpsFix } from './ingest.ts';
import { columnsOfRows, eventsByType, gridKpiColumns, gridKpiJson, gridKpis, kpiRows, resolveWindow, rowsOfColumns, type KpiRow, type Level } from './kpi.ts';

/**
 * The KPI engine's correctness suite, written once and run against both databases the project
 * supports (kpi.test.ts: PostgreSQL + PostGIS; kpi.pglite.test.ts: embedded PGlite). It needs a
 * migrated, empty database. Days are relative to the database's today (Asia/Shanghai).
 */
export function kpiSuite(connect: () => Promise<{ sql: Sql; close(): Promise<void> }>): void {
  const queries = new QueryCatalog();
  const [ox, oy] = ORIGIN;
  let sql: Sql;
  let close: () => Promise<void>;
  let world: TinyWorld;
  let today: string;

  const day = (offset: number) => new Date(Date.parse(`${today}T00:00:00Z`) + offset * 86_400_000).toISOString().slice(0, 10);
  const at = (offset: number, hhmm = '10:00') => `${day(offset)}T${hhmm}:00+08:00`;
  /** A point in grid i (0..3) at fractions of its width and height. */
  const inGrid = (i: number, fx: number, fy: number): [number, number] => [ox + (i + fx) * CELL, oy + fy * 2 * CELL];
  const pt = ([lon, lat]: [number, number]) => sql`ST_SetSRID(ST_MakePoint(${lon}, ${lat}), 4326)`;

  async function kpi(level: Level, from: string, to: string): Promise<KpiRow[]> {
    const w = await resolveWindow(sql, queries, { from, to });
    return kpiRows(sql, queries, level, w, null, null);
  }
  const byCode = (rows: KpiRow[]) => Object.fromEntries(rows.map((r) => [r.code, r]));

  beforeAll(async () => {
    ({ sql, close } = await connect());
    world = await insertTinyWorld(sql);
    [{ today }] = await sql<[{ today: string }]>`SELECT kpi_today()::text AS today`;
  });
  afterAll(async () => close?.());

  // ---------------------------------------------------------------------------------------------
  describe('fixture with known answers', () => {
    const staff: Record<string, number> = {};
    const addr: Record<string, number> = {};
    const person: Record<string, number> = {};

    async function address(code: string, category: string, p: [number, number], o: { housing?: boolean; residents?: number; units?: number; vacant?: boolean; manualGrid?: number } = {}) {
      const [a] = await sql<[{ id: number }]>`
        INSERT INTO address (code, address_text, geom, category, vacant, grid_source, grid_id, created_at)
        VALUES (${code}, ${`测试路${code}号`}, ${pt(p)}, ${category}, ${o.vacant ?? false},
                ${o.manualGrid ? 'manual' : 'spatial'}, ${o.manualGrid ?? null}, ${at(-100)})
        RETURNING id`;
      if (o.housing) await sql`INSERT INTO housing (address_id, building_type, usage) VALUES (${a.id}, 'residential', 'self_occupied')`;
      for (let i = 0; i < (o.residents ?? 0); i++) await sql`INSERT INTO resident (address_id, name) VALUES (${a.id}, ${`居民${i}`})`;
      for (let i = 0; i < (o.units ?? 0); i++) await sql`INSERT INTO org_unit (address_id, name, kind) VALUES (${a.id}, ${`单位${i}`}, 'shop')`;
      addr[code] = a.id;
      return { id: a.id, p };
    }

    async function member(code: string, kind: string, role: string, scope: { community_id?: number; grid_id?: number }) {
      const [s] = await sql<[{ id: number }]>`INSERT INTO staff (code, name, org, kind) VALUES (${code}, ${code}, 'community', ${kind}) RETURNING id`;
      await sql`INSERT INTO assignment (staff_id, role, community_id, grid_id, starts_on)
                VALUES (${s.id}, ${role}, ${scope.community_id ?? null}, ${scope.grid_id ?? null}, '2020-01-01')`;
      staff[code] = s.id;
    }

    /** A visit: the visit fix `dy` degrees north of the address; participants with their own fixes. */
    async function visit(code: string, address: string, offset: number, dy: number | null, who: [string, number][], personCode?: string) {
      const [a] = await sql<[{ lon: number; lat: number }]>`SELECT ST_X(geom) AS lon, ST_Y(geom) AS lat FROM address WHERE id = ${addr[address]!}`;
      const [v] = await sql<[{ id: number }]>`
        INSERT INTO visit (client_id, address_id, person_id, visited_at, geom)
        VALUES (${code}, ${addr[address]!}, ${personCode ? person[personCode]! : null}, ${at(offset)},
                ${dy === null ? null : pt([a.lon, a.lat + dy])})
        RETURNING id`;
      for (const [s, pdy] of who) {
        await sql`INSERT INTO visit_participant (visit_id, staff_id, geom, fixed_at)
                  VALUES (${v.id}, ${staff[s]!}, ${pt([a.lon, a.lat + pdy])}, ${at(offset, '10:05')})`;
      }
    }

    beforeAll(async () => {
      const [g1, g2, g3] = world.gridIds;
      // Registration: G1 has 5 addresses, 3 registered; G2 2, 1 (B1 is placed by hand in G2 but
      // stands in G1); G3 1, 1; G4 none; one address outside every grid.
      await address('A1', 'general', inGrid(0, 0.2, 0.2), { housing: true, residents: 2 });
      await address('A2', 'general', inGrid(0, 0.4, 0.2), { housing: true });
      await address('A3', 'general', inGrid(0, 0.6, 0.2), { housing: true, vacant: true });
      await address('A4', 'key', inGrid(0, 0.2, 0.6));
      await address('A5', 'attention', inGrid(0, 0.6, 0.6), { housing: true, units: 1 });
      await address('B1', 'general', inGrid(0, 0.8, 0.9), { housing: true, residents: 1, manualGrid: g2 });
      await address('B2', 'general', inGrid(1, 0.5, 0.5), { housing: true, residents: 1 });
      await address('C1', 'key', inGrid(2, 0.5, 0.5), { housing: true, residents: 1 });
      await address('X1', 'general', [ox - CELL, oy - CELL], { housing: true, residents: 1 });

      await member('P1', 'police', 'police', { community_id: world.communityIds[0] });
      await member('W1', 'grid_worker', 'grid_worker', { grid_id: g1 });
      await member('W2', 'grid_worker', 'grid_worker', { grid_id: g2 });
      await member('P3', 'police', 'police', { grid_id: g3 });
      await member('W3', 'grid_worker', 'grid_worker', { grid_id: g3 });

      for (const [code, at_, level, since, until] of [
        ['PC1', 'A5', 1, day(-60), null], ['PC2', 'B2', 2, day(-10), null], ['PC3', 'C1', 3, day(-400), day(-50)],
      ] as const) {
        const [p] = await sql<[{ id: number }]>`
          INSERT INTO person_of_concern (code, address_id, name, category, control_level, since, until)
          VALUES (${code}, ${addr[at_]!}, ${`人员${code}`}, 'elderly_alone', ${level}, ${since}, ${until})
          RETURNING id`;
        person[code] = p.id;
      }

      const near = 0.0001; // ≈ 11 m
      await visit('v1', 'A4', -40, near, [['P1', near], ['W1', 0]]);
      await visit('v2', 'A4', -5, near, [['W1', near]]);
      await visit('v3', 'A4', -3, near, [['P1', 0], ['W1', 0.005]]);
      await visit('v4', 'A5', -20, near, [['P1', near], ['W1', 0]]);
      await visit('v5', 'A1', -175, near, [['W1', near]]);
      await visit('v6', 'A2', -2, near, [['W2', near]]);
      await visit('v7', 'A3', -1, 0.003, [['W1', 0]]);
      await visit('v8', 'A3', -1, null, [['W1', 0]]);
      await visit('v9', 'B2', -30, near, [['W2', near]]);
      await visit('v10', 'C1', -15, near, [['P3', near], ['W3', 0]]);
      await visit('v11', 'A5', -3, near, [['P1', near], ['W1', 0]], 'PC1');

      const ev = (code: string, grid: number, type: string, severity: number, state: string, reported: string, closed: string | null, extra: { subtype?: string; complexity?: string; due?: string } = {}) =>
        sql`INSERT INTO event (code, type, subtype, complexity, severity, state, title, geom, reported_at, closed_at, due_at)
            VALUES (${code}, ${type}, ${extra.subtype ?? null}, ${extra.complexity ?? null}, ${severity}, ${state}, ${code},
                    ${pt(inGrid(grid, 0.5, 0.3))}, ${reported}, ${closed}, ${extra.due ?? null})`;
      await ev('E1', 0, 'public_security', 2, 'closed', at(-10), at(-10, '20:00'));
      await ev('E2', 0, 'dispute', 1, 'closed', at(-6), at(-5, '16:00'), { subtype: 'neighbour', complexity: 'general' });
      await ev('E3', 0, 'hazard', 3, 'assigned', at(-4), null, { subtype: 'fire' });
      await ev('E4', 0, 'service_request', 1, 'cancelled', at(-4), null);
      await ev('E5', 0, 'public_security', 1, 'reported', at(0, '00:30'), null);
      await ev('E6', 2, 'support_request', 4, 'closed', at(-2), at(-2, '10:30'));
      await ev('E7', 0, 'public_security', 1, 'closed', at(-40), at(-36), { due: at(-35) });
      await refreshDerived(sql);
    });

    it('registration: registered / standard addresses per grid, rolled up by summing', async () => {
      const grids = byCode(await kpi('grid', day(-29), day(0)));
      expect([1, 2, 3, 4].map((i) => [grids[`T-G${i}`]!.addresses, grids[`T-G${i}`]!.registered])).toEqual([[5, 3], [2, 1], [1, 1], [0, 0]]);
      expect(grids['T-G1']!.registration_rate).toBeCloseTo(0.6, 12);
      expect(grids['T-G4']!.registration_rate).toBeNull();
      const communities = await kpi('community', day(-29), day(0));
      expect(communities.map((c) => [c.code, c.addresses, c.registered])).toEqual([['T-C1', 7, 4], ['T-C2', 1, 1]]);
      const [sd] = await kpi('subdistrict', day(-29), day(0));
      expect([sd!.addresses, sd!.registered]).toEqual([8, 5]);
    });

    it('registration drill-down names each missing address and why', async () => {
      const rows = await queries.run<{ address_id: number; missing: string[]; total: number }>(sql, 'stats_registration_missing', [world.gridIds[0], 10]);
      expect(rows.map((r) => [r.address_id, r.missing])).toEqual([[addr.A2, ['no_occupants']], [addr.A4, ['no_housing', 'no_occupants']]]);
      const g2 = await queries.run<{ address_id: number; missing: string[] }>(sql, 'stats_registration_missing', [world.gridIds[1], 10]);
      expect(g2.map((r) => [r.address_id, r.missing])).toEqual([[addr.B1, ['outside_grid']]]);
      const capped = await queries.run<{ total: number }>(sql, 'stats_registration_missing', [world.gridIds[0], 1]);
      expect(capped).toHaveLength(1);
      expect(capped[0]!.total).toBe(2);
    });

    it('visit standardisation: on-site, assigned staff, joint co-presence for key/attention', async () => {
      const rows = await sql<{ client_id: string; standard: boolean; reasons: string[] }[]>`
        SELECT v.client_id, k.standard, k.reasons FROM kpi_visit k JOIN visit v ON v.id = k.visit_id ORDER BY v.id`;
      expect(Object.fromEntries(rows.map((r) => [r.client_id, r.reasons]))).toEqual({
        v1: [], v2: ['not_joint'], v3: ['not_copresent'], v4: [], v5: [], v6: ['wrong_grid'], v7: ['off_site'],
        v8: ['no_fix'], v9: [], v10: [], v11: [],
      });
    });

    it('visit status per address and person: up to date / due soon / overdue / never, with the reason', async () => {
      const rows = await queries.run<{ subject: string; code: string; status: string; due_day: string | null; last_visit_reasons: string[] | null }>(
        sql, 'stats_visit_status', [world.gridIds[0], null, day(0)]);
      const status = Object.fromEntries(rows.map((r) => [r.code, r.status]));
      expect(status).toEqual({ A1: 'due_soon', A2: 'never', A3: 'never', A4: 'overdue', A5: 'up_to_date', PC1: 'due_soon' });
      const a4 = rows.find((r) => r.code === 'A4')!;
      expect(a4.due_day).toBe(day(-10));
      expect(a4.last_visit_reasons).toEqual(['not_copresent']);
      const one = await queries.run<{ code: string; status: string }>(sql, 'stats_visit_status', [null, addr.B2!, day(0)]);
      expect(one.map((r) => [r.code, r.status])).toEqual([['PC2', 'never'], ['B2', 'up_to_date']]);
    });

    it('visit coverage per grid today and on a past day (daily snapshot), persons by control level', async () => {
      const now = byCode(await kpi('grid', day(-29), day(0)));
      const counts = (r: KpiRow) => [r.visit_need_address, r.visit_covered_address, r.visit_need_person, r.visit_covered_person];
      expect(counts(now['T-G1']!)).toEqual([5, 2, 1, 1]);
      expect(counts(now['T-G2']!)).toEqual([2, 1, 1, 0]);
      expect(counts(now['T-G3']!)).toEqual([1, 1, 0, 0]);
      const past = byCode(await kpi('grid', day(-40), day(-12)));
      expect(counts(past['T-G1']!)).toEqual([5, 3, 1, 0]);
      expect(counts(past['T-G2']!)).toEqual([2, 1, 0, 0]);
      const [c1] = await kpi('community', day(-29), day(0));
      expect(c1!.visit_coverage_rate).toBeCloseTo(4 / 9, 12);
      // The live status list and the maintained snapshot agree.
      const live = await queries.run<{ subject: string; status: string }>(sql, 'stats_visit_status', [world.gridIds[0], null, day(-12)]);
      expect(live.filter((r) => r.subject === 'address' && (r.status === 'up_to_date' || r.status === 'due_soon'))).toHaveLength(3);
    });

    it('events: closure and on-time rates over the events due in the window, median time to close, overdue', async () => {
      const grids = byCode(await kpi('grid', day(-29), day(0)));
      const g1 = grids['T-G1']!;
      expect([g1.events_reported, g1.events_due, g1.events_closed, g1.events_on_time, g1.events_overdue_open]).toEqual([4, 3, 2, 1, 1]);
      expect(g1.median_close_hours).toBeCloseTo(20, 9);
      expect(g1.closure_rate).toBeCloseTo(2 / 3, 12);
      const [sd] = await kpi('subdistrict', day(-29), day(0));
      expect([sd!.events_reported, sd!.events_due, sd!.events_closed, sd!.events_on_time]).toEqual([5, 4, 3, 2]);
      // The median of a rollup is the median of its events, not a median of medians.
      expect(sd!.median_close_hours).toBeCloseTo(10, 9);
      const w = await resolveWindow(sql, queries, { from: day(-29), to: day(0) });
      const byType = await eventsByType(sql, queries, 'grid', [world.gridIds[0], world.gridIds[1]], w, null);
      expect(byType.get(world.gridIds[0])!.map((t) => [t.type, t.reported, t.due, t.closed, t.on_time, t.overdue_open])).toEqual([
        ['dispute', 1, 1, 1, 0, 0], ['hazard', 1, 1, 0, 0, 1], ['public_security', 2, 1, 1, 1, 0]]);
      // Asked together, each unit gets only its own events; the community holding both gets their sum.
      const alone = await eventsByType(sql, queries, 'grid', [world.gridIds[1]], w, null);
      expect(byType.get(world.gridIds[1]) ?? []).toEqual(alone.get(world.gridIds[1]) ?? []);
      const community = (await eventsByType(sql, queries, 'community', [world.communityIds[0]], w, null)).get(world.communityIds[0]) ?? [];
      const sum = (t: string) => [world.gridIds[0], world.gridIds[1]].reduce((a, g) => a + (byType.get(g)?.find((r) => r.type === t)?.reported ?? 0), 0);
      expect(community.map((t) => [t.type, t.reported])).toEqual(community.map((t) => [t.type, sum(t.type)]));
      expect(community.reduce((a, t) => a + t.reported, 0)).toBeGreaterThanOrEqual(4);
      const overdue = await queries.run<{ code: string }>(sql, 'stats_overdue_events', [world.gridIds[0], w.from, w.to, w.as_of, 10]);
      expect(overdue.map((e) => e.code).sort()).toEqual(['E2', 'E3']);
    });

    it('closing an event, a late visit and a new resident update the aggregates incrementally', async () => {
      for (const state of ['in_progress', 'resolved', 'closed']) {
        await sql`UPDATE event SET state = ${state}, closed_at = ${state === 'closed' ? at(-1) : null} WHERE code = 'E3'`;
      }
      await sql`INSERT INTO resident (address_id, name) VALUES (${addr.A2!}, '新居民')`;
      await visit('v12', 'A2', -1, 0.0001, [['W1', 0]]);
      const r = await refreshDerived(sql);
      expect(r.kpi.dirty).toBeGreaterThan(0);
      const g1 = byCode(await kpi('grid', day(-29), day(0)))['T-G1']!;
      expect([g1.registered, g1.visit_covered_address, g1.events_closed, g1.events_on_time, g1.events_overdue_open]).toEqual([4, 3, 3, 1, 0]);
    });
  });

  // ---------------------------------------------------------------------------------------------
  describe('patrol with known answers', () => {
    let device: number;
    let klPoint: number;
    const res = 10;

    beforeAll(async () => {
      const [d] = await sql<[{ id: number }]>`INSERT INTO patrol_device (code, kind) VALUES ('KNOWN', 'handheld') RETURNING id`;
      device = d.id;
      const [k] = await sql<[{ id: number }]>`
        INSERT INTO key_location (code, name, type, geom, required_passes_week)
        VALUES ('K-KNOWN', '测试学校', 'school', ${pt(inGrid(3, 0.5, 0.5))}, 7) RETURNING id`;
      klPoint = k.id;
    });

    it('a lone fix covers nothing; a segment covers the cells along it; gaps of 5 min or 2 km break it', async () => {
      const [x0, y0] = inGrid(3, 0.1, 0.5);
      const t0 = Date.parse(at(-3, '09:00'));
      const fixes: GpsFix[] = [
        { deviceId: device, fixedAt: t0, lon: x0, lat: y0 },
        // 60 s later, 0.004° east (≈ 370 m): one segment across several cells
        { deviceId: device, fixedAt: t0 + 60_000, lon: x0 + 0.004, lat: y0 },
        // 6 minutes later: too late to join the previous fix
        { deviceId: device, fixedAt: t0 + 420_000, lon: x0 + 0.008, lat: y0 },
        // 10 s later but 2.2 km away: too far
        { deviceId: device, fixedAt: t0 + 430_000, lon: x0 + 0.008, lat: y0 - 0.02 },
      ];
      const r = await ingestFixes(sql, fixes);
      expect(r).toMatchObject({ inserted: 4, segments: 1, appended: 1 });
      const expected = new Set(gridPathCells(latLngToCell(y0, x0, res), latLngToCell(y0, x0 + 0.004, res)));
      const stored = await sql<{ cell: string }[]>`SELECT cell::text FROM patrol_device_cell_day WHERE device_id = ${device}`;
      expect(new Set(stored.map((s) => BigInt(s.cell).toString(16)))).toEqual(expected);
      const g4Cells = polygonToCells(square(ox + 3 * CELL, oy, CELL, 2 * CELL).coordinates[0]!, res, true);
      const inG4 = [...expected].filter((c) => g4Cells.includes(c)).length;
      const g4 = byCode(await kpi('grid', day(-3), day(-3)))['T-G4']!;
      expect([g4.patrol_cells, g4.patrol_cells_covered]).toEqual([g4Cells.length, inG4]);
      expect(g4.patrol_coverage).toBeCloseTo(inG4 / g4Cells.length, 12);
      // Nothing was patrolled the day before.
      expect(byCode(await kpi('grid', day(-4), day(-4)))['T-G4']!.patrol_cells_covered).toBe(0);
    });

    it('key-location passes: contacts within 50 m, merged, counted against the weekly requirement', async () => {
      const [kx, ky] = inGrid(3, 0.5, 0.5);
      // Two passes on day -2 (an hour apart) and one on day -1, each walking past 20 m south of the
      // school: all three segments come within 42 m, the end fixes are 110 m away.
      const walk = (startIso: string): GpsFix[] => {
        const t = Date.parse(startIso);
        return [0, 1, 2, 3].map((i) => ({ deviceId: device, fixedAt: t + i * 30_000, lon: kx - 0.0012 + i * 0.0008, lat: ky - 0.00018 }));
      };
      await ingestFixes(sql, [...walk(at(-2, '08:00')), ...walk(at(-2, '09:00')), ...walk(at(-1, '08:00'))]);
      const w = await resolveWindow(sql, queries, { from: day(-2), to: day(-1) });
      const kls = await queries.run<{ key_location_id: number; passes: number; required: number; covered: boolean; last_pass_at: Date }>(
        sql, 'stats_key_locations', [[world.gridIds[3]], w.from, w.to, w.as_of]);
      const k = kls.find((r) => r.key_location_id === klPoint)!;
      expect([k.passes, k.required, k.covered]).toEqual([3, 2, true]);
      expect(k.last_pass_at.toISOString()).toBe(new Date(Date.parse(at(-1, '08:00')) + 90_000).toISOString());
      const month = await resolveWindow(sql, queries, { from: day(-29), to: day(0) });
      const [km] = await queries.run<{ required: number; covered: boolean }>(sql, 'stats_key_locations', [[world.gridIds[3]], month.from, month.to, month.as_of]);
      expect([km!.required, km!.covered]).toEqual([30, false]);
      const g4 = byCode(await kpi('grid', day(-2), day(-1)))['T-G4']!;
      expect([g4.key_locations, g4.key_locations_covered]).toEqual([1, 1]);
    });

    it('re-sent and out-of-order fixes give the same derived rows as a full rebuild', async () => {
      const [x0, y0] = inGrid(3, 0.2, 0.8);
      const t0 = Date.parse(at(-3, '07:00'));
      const late: GpsFix[] = [0, 1, 2].map((i) => ({ deviceId: device, fixedAt: t0 + i * 20_000, lon: x0 + i * 0.0005, lat: y0 }));
      const r = await ingestFixes(sql, [...late, ...late]);
      expect(r).toMatchObject({ inserted: 3, duplicates: 3, recomputed: 1 });
      const again = await ingestFixes(sql, late);
      expect(again).toMatchObject({ inserted: 0, duplicates: 3 });
      await expectRebuildIdentical(sql);
    });

    it('fixes written straight into gps_fix (a bulk load) get their cell and grid and are derived by refreshDerived', async () => {
      const [d] = await sql<[{ id: number }]>`INSERT INTO patrol_device (code, kind) VALUES ('RAW', 'vehicle') RETURNING id`;
      const [x0, y0] = inGrid(2, 0.2, 0.3);
      const t0 = Date.parse(at(-2, '14:00'));
      const raw = [0, 1, 2, 3, 4].map((i) => [new Date(t0 + i * 10_000).toISOString(), x0 + i * 0.0008, y0] as const);
      for (const [t, lon, lat] of raw) await sql`INSERT INTO gps_fix (device_id, fixed_at, lon, lat) VALUES (${d.id}, ${t}, ${lon}, ${lat})`;
      const r = await refreshDerived(sql);
      expect(r.devices).toBe(1);
      const rows = await sql<{ cell: string; grid_id: number }[]>`SELECT h3_cell::text AS cell, grid_id FROM gps_fix WHERE device_id = ${d.id} ORDER BY fixed_at`;
      expect(rows.map((x) => BigInt(x.cell).toString(16))).toEqual(raw.map(([, lon, lat]) => latLngToCell(lat, lon, res)));
      expect(new Set(rows.map((x) => x.grid_id))).toEqual(new Set([world.gridIds[2]]));
      const [n] = await sql<[{ n: number }]>`SELECT count(*)::int AS n FROM patrol_device_cell_day WHERE device_id = ${d.id}`;
      expect(n.n).toBeGreaterThan(1);
      await expectRebuildIdentical(sql);
    });
  });

  // ---------------------------------------------------------------------------------------------
  describe('generated data against turf / h3-js', () => {
    const rnd = mulberry32(20251129);
    const res = 10;
    const devices: number[] = [];
    const tracks: { device: number; t: number; lon: number; lat: number }[][] = [];
    const gridPolys = () => [0, 1, 2, 3].map((i) => square(ox + i * CELL, oy, CELL, 2 * CELL));

    beforeAll(async () => {
      for (let d = 0; d < 3; d++) {
        const [row] = await sql<[{ id: number }]>`INSERT INTO patrol_device (code, kind) VALUES (${`GEN${d}`}, 'handheld') RETURNING id`;
        devices.push(row.id);
        const track: { device: number; t: number; lon: number; lat: number }[] = [];
        for (const offset of [-6, -5]) {
          let t = Date.parse(at(offset, '08:00')) + Math.floor(rnd() * 3_600_000);
          let lon = ox + rnd() * 4 * CELL;
          let lat = oy + rnd() * 2 * CELL;
          let heading = rnd() * 2 * Math.PI;
          for (let i = 0; i < 400; i++) {
            const r = rnd();
            // mostly walking (15 s, ≈ 20 m), sometimes driving, sometimes a gap or a jump
            t += r < 0.02 ? 400_000 : 15_000;
            const step = r > 0.97 ? 0.03 : r > 0.9 ? 0.0025 : 0.0002;
            heading += (rnd() - 0.5) * 0.8;
            lon += Math.cos(heading) * step;
            lat += Math.sin(heading) * step;
            if (lon < ox || lon > ox + 4 * CELL) { heading = Math.PI - heading; lon = Math.min(Math.max(lon, ox), ox + 4 * CELL); }
            if (lat < oy || lat > oy + 2 * CELL) { heading = -heading; lat = Math.min(Math.max(lat, oy), oy + 2 * CELL); }
            track.push({ device: row.id, t, lon, lat });
          }
        }
        tracks.push(track);
      }
      // Key locations on the tracks' way, a point and a polygon.
      const mid = tracks[0]![200]!;
      await sql`INSERT INTO key_location (code, name, type, geom, required_passes_week) VALUES
        ('K-GEN1', '市场', 'market', ${pt([mid.lon + 0.0002, mid.lat])}, 1),
        ('K-GEN2', '银行', 'bank', ST_SetSRID(ST_GeomFromGeoJSON(${JSON.stringify(square(tracks[1]![100]!.lon, tracks[1]![100]!.lat, 0.0005, 0.0004))}), 4326), 1)`;
      // Ingest in uneven batches, interleaving devices, with one batch re-sent and one arriving late.
      const all = tracks.flat().sort((a, b) => a.t - b.t).map((f) => ({ deviceId: f.device, fixedAt: f.t, lon: f.lon, lat: f.lat }));
      const lateStart = Math.floor(all.length * 0.3);
      const late = all.splice(lateStart, 40);
      for (let i = 0; i < all.length;) {
        const n = 50 + Math.floor(rnd() * 400);
        await ingestFixes(sql, all.slice(i, i + n));
        if (i === 0) await ingestFixes(sql, all.slice(0, n));
        i += n;
      }
      await ingestFixes(sql, late);
      // Raw rows for the other KPIs: addresses with random registration state, events with random fates.
      for (let i = 0; i < 120; i++) {
        const [a] = await sql<[{ id: number }]>`
          INSERT INTO address (code, address_text, geom, category, vacant, created_at)
          VALUES (${`GA${i}`}, ${`生成路${i}号`}, ${pt([ox - 0.2 * CELL + rnd() * 4.4 * CELL, oy + rnd() * 2 * CELL])},
                  ${['general', 'key', 'attention'][Math.floor(rnd() * 3)]!}, ${rnd() < 0.1}, ${at(-50)})
          RETURNING id`;
        if (rnd() < 0.8) await sql`INSERT INTO housing (address_id, building_type, usage) VALUES (${a.id}, 'residential', 'rented')`;
        if (rnd() < 0.6) await sql`INSERT INTO resident (address_id, name) VALUES (${a.id}, '某某')`;
        if (rnd() < 0.2) await sql`INSERT INTO org_unit (address_id, name, kind) VALUES (${a.id}, '某店', 'shop')`;
      }
      const types = ['public_security', 'dispute', 'hazard', 'service_request', 'support_request'];
      for (let i = 0; i < 150; i++) {
        const type = types[Math.floor(rnd() * types.length)]!;
        const reported = Date.parse(at(-45)) + rnd() * 45 * 86_400_000;
        const fate = rnd();
        const closed = fate < 0.6 ? reported + rnd() * 200 * 3_600_000 : null;
        const state = closed !== null && closed < Date.now() ? 'closed' : fate < 0.7 ? 'cancelled' : 'in_progress';
        await sql`INSERT INTO event (code, type, subtype, complexity, severity, state, title, geom, reported_at, closed_at)
          VALUES (${`GE${i}`}, ${type}, ${type === 'dispute' ? 'land' : type === 'hazard' ? 'traffic' : null},
                  ${type === 'dispute' ? (rnd() < 0.5 ? 'general' : 'complex') : null}, ${1 + Math.floor(rnd() * 4)}, ${state}, ${`生成事件${i}`},
                  ${pt([ox - 0.2 * CELL + rnd() * 4.4 * CELL, oy + rnd() * 2 * CELL])},
                  ${new Date(reported).toISOString()}, ${state === 'closed' ? new Date(closed!).toISOString() : null})`;
      }
      await refreshDerived(sql);
      const rows = await sql<{ device_id: number; t: Date; lon: number; lat: number }[]>`
        SELECT device_id, fixed_at AS t, lon, lat FROM gps_fix ORDER BY device_id, fixed_at`;
      const byDevice = new Map<number, Fix[]>();
      for (const r of rows) {
        const list = byDevice.get(r.device_id) ?? byDevice.set(r.device_id, []).get(r.device_id)!;
        list.push({ device: r.device_id, t: r.t.getTime(), lon: r.lon, lat: r.lat });
      }
      stored = [...byDevice.values()];
      expect(rows.filter((r) => devices.includes(r.device_id))).toHaveLength(tracks.flat().length);
    });

    interface Fix { device: number; t: number; lon: number; lat: number }
    const localDay = (ms: number) => new Date(ms + 8 * 3_600_000).toISOString().slice(0, 10);
    let stored: Fix[][] = [];
    /**
     * Segments by the DOMAIN.md rule, computed here from every stored fix (the generated tracks and
     * the known-answer ones above); a segment's day is its later fix's.
     */
    const segments = (fromDay: string, toDay: string) => {
      const out: [Fix, Fix][] = [];
      for (const track of stored) {
        for (let i = 1; i < track.length; i++) {
          const p = track[i - 1]!;
          const f = track[i]!;
          if (localDay(f.t) < fromDay || localDay(f.t) > toDay) continue;
          if (f.t - p.t < 300_000 && turfDistance(point([p.lon, p.lat]), point([f.lon, f.lat]), { units: 'meters' }) < 2000) out.push([p, f]);
        }
      }
      return out;
    };

    it('fast coverage equals the share of each grid\'s H3 cells on the segments\' grid paths (h3-js)', async () => {
      for (const [from, to] of [[day(-6), day(0)], [day(-5), day(-5)]] as const) {
        const covered = new Set<string>();
        for (const [p, f] of segments(from, to)) {
          for (const c of gridPathCells(latLngToCell(p.lat, p.lon, res), latLngToCell(f.lat, f.lon, res))) covered.add(c);
        }
        const rows = byCode(await kpi('grid', from, to));
        for (const [i, poly] of gridPolys().entries()) {
          const cells = polygonToCells(poly.coordinates[0]!, res, true);
          const reference = cells.filter((c) => covered.has(c)).length / cells.length;
          const row = rows[`T-G${i + 1}`]!;
          expect(row.patrol_cells).toBe(cells.length);
          expect(Math.abs(row.patrol_coverage! - reference)).toBeLessThan(0.01);
        }
      }
    });

    it('fast coverage is within a few cells of the cells the segments really cross (dense sampling)', async () => {
      const sampled = new Set<string>();
      for (const [p, f] of segments(day(-6), day(0))) {
        const n = Math.max(1, Math.ceil(Math.hypot((f.lon - p.lon) * 93_000, (f.lat - p.lat) * 111_000) / 2));
        for (let i = 0; i <= n; i++) sampled.add(latLngToCell(p.lat + ((f.lat - p.lat) * i) / n, p.lon + ((f.lon - p.lon) * i) / n, res));
      }
      const rows = byCode(await kpi('grid', day(-6), day(0)));
      for (const [i, poly] of gridPolys().entries()) {
        const cells = polygonToCells(poly.coordinates[0]!, res, true);
        const reference = cells.filter((c) => sampled.has(c)).length / cells.length;
        expect(Math.abs(rows[`T-G${i + 1}`]!.patrol_coverage! - reference)).toBeLessThan(0.05);
      }
    });

    it('exact coverage is within 1% of turf: buffered segments ∩ grid / grid area', async () => {
      const segs = segments(day(-6), day(0));
      // Consecutive segments are joined into lines so turf buffers a few polylines, not thousands of pieces.
      const lines: number[][][] = [];
      let current: number[][] = [];
      for (const [p, f] of segs) {
        const last = current[current.length - 1];
        if (last && last[0] === p.lon && last[1] === p.lat) current.push([f.lon, f.lat]);
        else {
          if (current.length) lines.push(current);
          current = [[p.lon, p.lat], [f.lon, f.lat]];
        }
      }
      if (current.length) lines.push(current);
      const buffers = lines.map((l) => turfBuffer(lineString(l), 50, { units: 'meters' })!) as Feature<Polygon | MultiPolygon>[];
      const covered = union(featureCollection(buffers))!;
      for (const g of [0, 1, 3]) {
        const poly = { type: 'Feature', properties: {}, geometry: gridPolys()[g]! } as Feature<MultiPolygon>;
        const inside = intersect(featureCollection([poly, covered]));
        const reference = inside ? turfArea(inside) / turfArea(poly) : 0;
        const [row] = await queries.run<{ coverage: number; segments: number }>(sql, 'patrol_coverage_exact', [world.gridIds[g]!, day(-6), day(0)]);
        expect(Math.abs(row!.coverage - reference)).toBeLessThan(0.01);
        expect(row!.segments).toBeGreaterThan(0);
      }
    });

    it('key-location passes match contacts within 50 m (turf), merged by device and day', async () => {
      const kls = await sql<{ id: number; geojson: string }[]>`SELECT id, ST_AsGeoJSON(geom) AS geojson FROM key_location WHERE code LIKE 'K-GEN%'`;
      const segs = segments(day(-6), day(0));
      for (const k of kls) {
        const geom = JSON.parse(k.geojson) as MultiPolygon | { type: 'Point'; coordinates: [number, number] };
        const distance = (p: Fix, f: Fix) => {
          const line = lineString([[p.lon, p.lat], [f.lon === p.lon && f.lat === p.lat ? f.lon + 1e-9 : f.lon, f.lat]]);
          if (geom.type === 'Point') return pointToLineDistance(point(geom.coordinates), line, { units: 'meters' });
          if (booleanIntersects(line, geom)) return 0;
          const ring = geom.coordinates[0]![0]!;
          const boundary = lineString(ring);
          return Math.min(...ring.map((v) => pointToLineDistance(point(v), line, { units: 'meters' })),
            pointToLineDistance(point([p.lon, p.lat]), boundary, { units: 'meters' }), pointToLineDistance(point([f.lon, f.lat]), boundary, { units: 'meters' }));
        };
        const contacts = new Map<string, [number, number][]>();
        let ambiguous = false;
        for (const [p, f] of segs) {
          const d = distance(p, f);
          if (Math.abs(d - 50) < 1) ambiguous = true;
          if (d > 50) continue;
          const key = `${p.device}|${localDay(f.t)}`;
          (contacts.get(key) ?? contacts.set(key, []).get(key)!).push([p.t, f.t]);
        }
        let passes = 0;
        for (const list of contacts.values()) {
          list.sort((a, b) => a[0] - b[0]);
          let end = -Infinity;
          for (const [t0, t1] of list) {
            if (t0 - end > 600_000) passes++;
            end = Math.max(end, t1);
          }
        }
        const [row] = await sql<[{ n: number }]>`SELECT count(*)::int AS n FROM patrol_key_pass WHERE key_location_id = ${k.id}`;
        if (!ambiguous) expect(row.n).toBe(passes);
        expect(passes).toBeGreaterThan(0);
      }
    });

    it('registration and event KPIs equal a recomputation from the raw rows, at every level', async () => {
      const polys = gridPolys();
      const gridOf = (lon: number, lat: number) => polys.findIndex((p) => booleanPointInPolygon(point([lon, lat]), p));
      const cfg = Object.fromEntries((await sql<{ key: string; value: unknown }[]>`SELECT key, value FROM config`).map((r) => [r.key, r.value])) as Record<string, unknown>;
      const deadlines = cfg['event.deadline_hours'] as Record<string, Record<string, number>>;
      const general = cfg['event.dispute_general_deadline_hours'] as number;
      const from = day(-29);
      const to = day(0);
      const w = await resolveWindow(sql, queries, { from, to });
      const asOf = Date.parse(w.as_of);
      type Acc = { addresses: number; registered: number; reported: number; due: number; closed: number; onTime: number; overdue: number; hours: number[] };
      const acc = (): Acc => ({ addresses: 0, registered: 0, reported: 0, due: 0, closed: 0, onTime: 0, overdue: 0, hours: [] });
      const perGrid = [acc(), acc(), acc(), acc()];
      const addresses = await sql<{ lon: number; lat: number; grid_source: string; grid_id: number | null; vacant: boolean; housing: boolean; occupied: boolean }[]>`
        SELECT ST_X(a.geom) AS lon, ST_Y(a.geom) AS lat, a.grid_source, a.grid_id, a.vacant,
               EXISTS (SELECT 1 FROM housing h WHERE h.address_id = a.id) AS housing,
               EXISTS (SELECT 1 FROM resident r WHERE r.address_id = a.id) OR EXISTS (SELECT 1 FROM org_unit u WHERE u.address_id = a.id) AS occupied
        FROM address a`;
      for (const a of addresses) {
        const here = gridOf(a.lon, a.lat);
        const g = a.grid_source === 'manual' ? world.gridIds.indexOf(a.grid_id!) : here;
        if (g < 0) continue;
        perGrid[g]!.addresses++;
        if (here === g && a.housing && (a.occupied || a.vacant)) perGrid[g]!.registered++;
      }
      const events = await sql<{ lon: number; lat: number; type: string; severity: number; complexity: string | null; state: string; reported_at: Date; due_at: Date | null; closed_at: Date | null }[]>`
        SELECT ST_X(geom) AS lon, ST_Y(geom) AS lat, type, severity, complexity, state, reported_at, due_at, closed_at FROM event`;
      for (const e of events) {
        const g = gridOf(e.lon, e.lat);
        if (g < 0 || e.state === 'cancelled') continue;
        const r = e.reported_at.getTime();
        const hours = e.type === 'dispute' && e.complexity === 'general' ? general : deadlines[e.type]![String(e.severity)]!;
        const due = e.due_at?.getTime() ?? r + hours * 3_600_000;
        const a = perGrid[g]!;
        if (localDay(r) >= from && localDay(r) <= to) a.reported++;
        if (localDay(due) < from || localDay(due) > to) continue;
        a.due++;
        if (e.closed_at) {
          a.closed++;
          if (e.closed_at.getTime() <= due) a.onTime++;
          a.hours.push((e.closed_at.getTime() - r) / 3_600_000);
        } else if (due < asOf) a.overdue++;
      }
      const median = (xs: number[]) => {
        if (!xs.length) return null;
        const s = [...xs].sort((a, b) => a - b);
        const m = Math.floor(s.length / 2);
        return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
      };
      const merge = (parts: Acc[]) => parts.reduce((x, y) => ({
        addresses: x.addresses + y.addresses, registered: x.registered + y.registered, reported: x.reported + y.reported, due: x.due + y.due,
        closed: x.closed + y.closed, onTime: x.onTime + y.onTime, overdue: x.overdue + y.overdue, hours: [...x.hours, ...y.hours],
      }), acc());
      const check = (row: KpiRow, ref: Acc) => {
        expect([row.addresses, row.registered, row.events_reported, row.events_due, row.events_closed, row.events_on_time, row.events_overdue_open])
          .toEqual([ref.addresses, ref.registered, ref.reported, ref.due, ref.closed, ref.onTime, ref.overdue]);
        const m = median(ref.hours);
        if (m === null) expect(row.median_close_hours).toBeNull();
        else expect(row.median_close_hours).toBeCloseTo(m, 6);
      };
      const grids = byCode(await kpi('grid', from, to));
      perGrid.forEach((ref, i) => check(grids[`T-G${i + 1}`]!, ref));
      const communities = await kpi('community', from, to);
      check(communities[0]!, merge(perGrid.slice(0, 2)));
      check(communities[1]!, merge(perGrid.slice(2)));
      check((await kpi('subdistrict', from, to))[0]!, merge(perGrid));
    });

    it('rollups add counts and weight patrol coverage by grid area', async () => {
      const grids = await kpi('grid', day(-6), day(0));
      for (const level of ['community', 'subdistrict'] as const) {
        for (const u of await kpi(level, day(-6), day(0))) {
          const parts = grids.filter((g) => (level === 'community' ? g.parent_id === u.unit_id : true));
          for (const k of ['addresses', 'registered', 'visit_need_address', 'visit_covered_address', 'visit_need_person', 'visit_covered_person',
            'events_reported', 'events_due', 'events_closed', 'events_on_time', 'events_overdue_open', 'patrol_cells', 'patrol_cells_covered',
            'key_locations', 'key_locations_covered'] as const) {
            expect(u[k], `${level} ${u.code} ${k}`).toBe(parts.reduce((s, g) => s + g[k], 0));
          }
          const area = parts.reduce((s, g) => s + g.area_m2, 0);
          expect(u.patrol_coverage).toBeCloseTo(parts.reduce((s, g) => s + g.area_m2 * g.patrol_coverage!, 0) / area, 12);
        }
      }
    });

    it('a kept KPI window is recomputed only for the grids that changed, and equals the direct computation', async () => {
      const w = await resolveWindow(sql, queries, { from: day(-6), to: day(0) });
      const direct = () => queries.run(sql, 'stats_kpi', [w.from, w.to, w.as_of, null, false]);
      expect(await gridKpis(sql, queries, w, null)).toEqual(await direct());
      // The JSON the database writes for a whole jurisdiction is the grid rows kpiRows gives.
      expect(JSON.parse(await gridKpiJson(sql, queries, w, null))).toEqual(await kpiRows(sql, queries, 'grid', w, null, null));
      expect(JSON.parse(await gridKpiJson(sql, queries, w, [world.gridIds[2]]))).toEqual(await kpiRows(sql, queries, 'grid', w, null, [world.gridIds[2]]));
      // The columns are the same values, one array per key, in the rows' order; the direct rows give the same columns.
      const columns = JSON.parse(await gridKpiColumns(sql, queries, w, null));
      expect(columns.unit_id).toEqual([...world.gridIds].sort((a, b) => a - b));
      expect(rowsOfColumns(columns)).toEqual(await kpiRows(sql, queries, 'grid', w, null, null));
      expect(columnsOfRows(await kpiRows(sql, queries, 'grid', w, null, null))).toEqual(columns);
      const some = [world.gridIds[3], world.gridIds[1]];
      expect(rowsOfColumns(JSON.parse(await gridKpiColumns(sql, queries, w, some)))).toEqual(await kpiRows(sql, queries, 'grid', w, null, some));
      expect(JSON.parse(await gridKpiColumns(sql, queries, w, []))).toEqual(columnsOfRows([]));
      const [{ kept }] = await sql<[{ kept: number }]>`SELECT count(*)::int AS kept FROM kpi_window_grid WHERE from_day = ${w.from} AND to_day = ${w.to}`;
      expect(kept).toBe(4);
      // A closed event in grid 2 only: one grid is marked, one recomputed.
      const [lon, lat] = inGrid(1, 0.5, 0.5);
      await sql`INSERT INTO event (code, type, subtype, severity, state, title, geom, reported_at, closed_at, due_at)
                VALUES ('KW-1', 'public_security', 'theft', 2, 'closed', '窗口测试', ${pt([lon, lat])}, ${at(-1, '09:00')}, ${at(-1, '11:00')}, ${at(-1, '21:00')})`;
      await refreshDerived(sql);
      expect(await sql`SELECT grid_id FROM kpi_window_dirty`).toEqual([{ grid_id: world.gridIds[1] }]);
      const [{ n }] = await sql<[{ n: number }]>`SELECT kpi_window_refresh(true) AS n`;
      expect(n).toBe(1);
      expect(await gridKpis(sql, queries, w, null)).toEqual(await direct());
      // Reads apply pending marks themselves, so a read right after a change is never stale; an
      // open event already past due counts as overdue at the moment of the read.
      await sql`INSERT INTO event (code, type, subtype, severity, title, geom, reported_at, due_at)
                VALUES ('KW-2', 'public_security', 'theft', 2, '窗口测试', ${pt(inGrid(3, 0.5, 0.5))}, ${at(-2, '09:00')}, ${at(-2, '21:00')})`;
      await refreshDerived(sql);
      const after = await gridKpis(sql, queries, w, null);
      expect(after).toEqual(await direct());
      expect(after.find((r) => r.grid_id === world.gridIds[3])!.events_overdue_open).toBeGreaterThan(0);
      // Registration (00018): a new registered address marks its grid only.
      const [lon4, lat4] = inGrid(3, 0.3, 0.3);
      const [addr] = await sql<[{ id: number }]>`
        INSERT INTO address (code, address_text, geom, category, vacant, created_at)
        VALUES ('KW-A1', '窗口测试路1号', ${pt([lon4, lat4])}, 'general', false, ${at(-3)}) RETURNING id`;
      await sql`INSERT INTO housing (address_id, building_type, usage) VALUES (${addr.id}, 'residential', 'self_occupied')`;
      await sql`INSERT INTO resident (address_id, name) VALUES (${addr.id}, '窗口居民')`;
      const before4 = after.find((r) => r.grid_id === world.gridIds[3])!;
      await sql`SELECT kpi_window_refresh(true)`;
      await refreshDerived(sql);
      expect(await sql`SELECT grid_id FROM kpi_window_dirty`).toEqual([{ grid_id: world.gridIds[3] }]);
      const withAddress = await gridKpis(sql, queries, w, null);
      expect(withAddress).toEqual(await direct());
      const after4 = withAddress.find((r) => r.grid_id === world.gridIds[3])!;
      expect([after4.addresses, after4.registered]).toEqual([before4.addresses + 1, before4.registered + 1]);
      // The visit snapshot marks a grid only for the last day of a kept window.
      expect((await sql`UPDATE kpi_grid_visit_day SET need_address = need_address + 1 WHERE day = ${day(-1)}::date AND grid_id = ${world.gridIds[0]}`).count).toBe(1);
      expect(await sql`SELECT grid_id FROM kpi_window_dirty`).toEqual([]);
      await sql`UPDATE kpi_grid_visit_day SET need_address = need_address - 1 WHERE day = ${day(-1)}::date AND grid_id = ${world.gridIds[0]}`;
      await sql`UPDATE kpi_grid_visit_day SET need_address = need_address + 1 WHERE day = ${w.to}::date AND grid_id = ${world.gridIds[0]}`;
      expect(await sql`SELECT grid_id FROM kpi_window_dirty`).toEqual([{ grid_id: world.gridIds[0] }]);
      expect(await gridKpis(sql, queries, w, null)).toEqual(await direct());
      await sql`UPDATE kpi_grid_visit_day SET need_address = need_address - 1 WHERE day = ${w.to}::date AND grid_id = ${world.gridIds[0]}`;
      expect(await gridKpis(sql, queries, w, null)).toEqual(await direct());
      // Windows beyond the limit are dropped, least recently used first.
      const [{ limit }] = await sql<[{ limit: number }]>`SELECT kpi_window_limit() AS limit`;
      for (let k = 1; k <= limit + 1; k++) await gridKpis(sql, queries, await resolveWindow(sql, queries, { from: day(-6 - k), to: day(0) }), null);
      const windows = await sql<{ from_day: string }[]>`SELECT from_day::text FROM kpi_window ORDER BY from_day`;
      expect(windows).toHaveLength(limit);
      expect(windows.map((r) => r.from_day)).not.toContain(w.from);
    });

    it('incremental refresh and a full rebuild give the same derived tables', async () => {
      await expectRebuildIdentical(sql);
    });

    it('a redrawn grid gets new cells, its coverage follows, and a rebuild agrees', async () => {
      const before = byCode(await kpi('grid', day(-6), day(0)))['T-G4']!;
      const half = square(ox + 3 * CELL, oy, CELL, CELL);
      await sql`UPDATE grid SET geom = ST_SetSRID(ST_GeomFromGeoJSON(${JSON.stringify(half)}), 4326) WHERE id = ${world.gridIds[3]}`;
      await expectKeptWindowsCurrent(sql);
      const r = await refreshDerived(sql);
      expect(r.cells.grids).toBe(1);
      const after = byCode(await kpi('grid', day(-6), day(0)))['T-G4']!;
      expect(after.patrol_cells).toBe(polygonToCells(half.coordinates[0]!, res, true).length);
      expect(after.patrol_cells).toBeLessThan(before.patrol_cells);
      expect(after.addresses).toBeLessThanOrEqual(before.addresses);
      await expectRebuildIdentical(sql);
    });
  });
}

const DERIVED_TABLES = ['kpi_address', 'kpi_grid_address', 'kpi_visit', 'kpi_visit_interval', 'kpi_grid_visit_day', 'kpi_event',
  'kpi_grid_event_day', 'patrol_device_cell_day', 'patrol_cell_day', 'patrol_grid_first', 'patrol_key_pass', 'patrol_key_day',
  'patrol_device_state'];

async function snapshot(sql: Sql): Promise<Record<string, string[]>> {
  const out: Record<string, string[]> = {};
  for (const t of DERIVED_TABLES) {
    out[t] = (await sql.unsafe<{ r: string }[]>(`SELECT t::text AS r FROM ${t} t`)).map((x) => x.r).sort();
  }
  return out;
}

export async function expectRebuildIdentical(sql: Sql): Promise<void> {
  await refreshDerived(sql);
  const incremental = await snapshot(sql);
  await rebuildDerived(sql);
  const rebuilt = await snapshot(sql);
  for (const t of DERIVED_TABLES) expect(incremental[t], t).toEqual(rebuilt[t]);
  await expectKeptWindowsCurrent(sql);
}

/** Every kept KPI window (00014, 00018), once its marks are applied, equals a fresh computation of it. */
export async function expectKeptWindowsCurrent(sql: Sql): Promise<void> {
  await sql`SELECT kpi_window_refresh(true)`;
  for (const w of await sql<{ from_day: string; to_day: string }[]>`SELECT from_day::text, to_day::text FROM kpi_window`) {
    const kept = await sql<{ r: string }[]>`
      SELECT (grid_id, events_reported, events_due, events_closed, events_on_time, median_close_hours, patrol_cells_covered, key_locations, key_locations_covered,
              addresses, registered, visit_need_address, visit_covered_address, visit_need_person, visit_covered_person, patrol_cells)::text AS r
      FROM kpi_window_grid WHERE from_day = ${w.from_day} AND to_day = ${w.to_day} ORDER BY grid_id`;
    const fresh = await sql<{ r: string }[]>`SELECT f::text AS r FROM kpi_window_facts(${w.from_day}::date, ${w.to_day}::date, NULL) f ORDER BY f.grid_id`;
    expect(kept, `kept window ${w.from_day}..${w.to_day}`).toEqual(fresh);
  }
}

/** Small seeded PRNG so generated data is the same on every run and database. */
function mulberry32(seed: number): () => number {
  let a = seed;
  return () => {
    a |= 0;
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
