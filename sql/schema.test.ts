import { area as turfArea } from '@turf/turf';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshDatabase, type TestDatabase } from '../api/testing/db.ts';
import { CELL, ORIGIN, insertTinyWorld, square, type TinyWorld } from '../api/testing/fixtures.ts';

let db: TestDatabase;
let world: TinyWorld;
const [ox, oy] = ORIGIN;

beforeAll(async () => {
  db = await freshDatabase();
  world = await insertTinyWorld(db.sql);
});
afterAll(async () => db?.drop());

/** Runs a statement expected to fail and returns the SQLSTATE and constraint. */
async function refusal(run: () => Promise<unknown>): Promise<{ code: string; constraint?: string; message: string }> {
  try {
    await run();
  } catch (err) {
    const e = err as { code: string; constraint_name?: string; message: string };
    return { code: e.code, message: e.message, ...(e.constraint_name ? { constraint: e.constraint_name } : {}) };
  }
  throw new Error('statement was expected to fail but succeeded');
}

const gj = (g: object) => JSON.stringify(g);
const pointSql = (lon: number, lat: number) => `SRID=4326;POINT(${lon} ${lat})`;

describe('geometry rules enforced by the database', () => {
  it('refuses a self-intersecting grid polygon', async () => {
    const bowtie = { type: 'MultiPolygon', coordinates: [[[[ox, oy], [ox + CELL, oy + CELL], [ox + CELL, oy], [ox, oy + CELL], [ox, oy]]]] };
    const r = await refusal(() => db.sql`
      INSERT INTO grid (code, community_id, name, geom)
      VALUES ('BOW', ${world.communityIds[0]}, '坏网格', ST_SetSRID(ST_GeomFromGeoJSON(${gj(bowtie)}), 4326))`);
    expect(r.code).toBe('23514');
    expect(r.constraint).toBe('grid_geom_check');
  });

  it('refuses an empty polygon and a geometry in another SRID', async () => {
    const empty = await refusal(() => db.sql`
      INSERT INTO grid (code, community_id, name, geom) VALUES ('EMPTY', ${world.communityIds[0]}, '空', 'SRID=4326;MULTIPOLYGON EMPTY'::geometry)`);
    expect(empty.code).toBe('23514');
    const srid = await refusal(() => db.sql`
      INSERT INTO grid (code, community_id, name, geom)
      VALUES ('SRID', ${world.communityIds[0]}, '错', ST_SetSRID(ST_GeomFromGeoJSON(${gj(square(0, 0, 1, 1))}), 3857))`);
    expect(srid.code).toBe('22023');
  });

  it('computes ellipsoidal areas on insert (within 0.5% of turf) and keeps them on redraw', async () => {
    const rows = await db.sql<{ code: string; area_m2: number; gj: string }[]>`
      SELECT code, area_m2, ST_AsGeoJSON(geom) AS gj FROM grid ORDER BY id`;
    for (const r of rows) {
      const reference = turfArea(JSON.parse(r.gj) as Parameters<typeof turfArea>[0]);
      expect(Math.abs(r.area_m2 - reference) / reference).toBeLessThan(0.005);
    }
    const [sd] = await db.sql<{ area_m2: number }[]>`SELECT area_m2 FROM subdistrict`;
    const total = rows.reduce((s, r) => s + r.area_m2, 0);
    // The four grids tile the sub-district exactly; only float rounding separates the sums.
    expect(Math.abs(sd!.area_m2 - total) / total).toBeLessThan(1e-6);
  });
});

describe('points take their grid from their location', () => {
  it('assigns addresses and events to the grid they fall in; a shared edge goes to the lower id', async () => {
    const [inside] = await db.sql<{ grid_id: number }[]>`
      INSERT INTO address (code, address_text, geom) VALUES ('P1', '测试路1号', ${pointSql(ox + 2.5 * CELL, oy + CELL)}) RETURNING grid_id`;
    expect(inside!.grid_id).toBe(world.gridIds[2]);
    const [edge] = await db.sql<{ grid_id: number }[]>`
      INSERT INTO address (code, address_text, geom) VALUES ('P2', '测试路2号', ${pointSql(ox + CELL, oy + CELL)}) RETURNING grid_id`;
    expect(edge!.grid_id).toBe(Math.min(world.gridIds[0], world.gridIds[1]));
    const [outside] = await db.sql<{ grid_id: number | null }[]>`
      INSERT INTO address (code, address_text, geom) VALUES ('P3', '外地路', ${pointSql(ox - CELL, oy)}) RETURNING grid_id`;
    expect(outside!.grid_id).toBeNull();
    const [ev] = await db.sql<{ grid_id: number }[]>`
      INSERT INTO event (code, type, subtype, severity, title, geom, reported_at)
      VALUES ('E1', 'public_security', 'theft', 2, '电动车被盗', ${pointSql(ox + 3.5 * CELL, oy + 0.5 * CELL)}, now()) RETURNING grid_id`;
    expect(ev!.grid_id).toBe(world.gridIds[3]);
  });

  it('keeps a manually assigned address grid, which registration checks can then flag', async () => {
    const [row] = await db.sql<{ grid_id: number }[]>`
      INSERT INTO address (code, address_text, geom, grid_id, grid_source)
      VALUES ('P4', '手工路', ${pointSql(ox + 0.5 * CELL, oy + CELL)}, ${world.gridIds[3]}, 'manual') RETURNING grid_id`;
    expect(row!.grid_id).toBe(world.gridIds[3]);
  });

  it('moves points to their new grid when grids are redrawn', async () => {
    // Grid 3 takes over the western half of grid 4; the event at 3.5 cells sits in that half only if
    // the boundary moves to 3.6 cells.
    await db.sql.begin(async (tx) => {
      await tx`UPDATE grid SET geom = ST_SetSRID(ST_GeomFromGeoJSON(${gj(square(ox + 3.6 * CELL, oy, 0.4 * CELL, 2 * CELL))}), 4326) WHERE id = ${world.gridIds[3]}`;
      await tx`UPDATE grid SET geom = ST_SetSRID(ST_GeomFromGeoJSON(${gj(square(ox + 2 * CELL, oy, 1.6 * CELL, 2 * CELL))}), 4326) WHERE id = ${world.gridIds[2]}`;
    });
    const [ev] = await db.sql<{ grid_id: number }[]>`SELECT grid_id FROM event WHERE code = 'E1'`;
    expect(ev!.grid_id).toBe(world.gridIds[2]);
    const [manual] = await db.sql<{ grid_id: number }[]>`SELECT grid_id FROM address WHERE code = 'P4'`;
    expect(manual!.grid_id).toBe(world.gridIds[3]);
  });
});

describe('event rules', () => {
  const insertEvent = (fields: Record<string, unknown>) => {
    const row = { code: `E-${Math.random().toString(36).slice(2)}`, type: 'dispute', subtype: 'land', complexity: 'general', severity: 2, title: '土地纠纷', geom: pointSql(ox + 0.5 * CELL, oy + 0.5 * CELL), reported_at: new Date('2026-11-01T08:00:00+08:00'), ...fields };
    return db.sql`INSERT INTO event ${db.sql(row)}`;
  };

  it('accepts a well-formed dispute', async () => {
    await insertEvent({});
  });

  it.each([
    ['a dispute without complexity', { complexity: null }, 'event_check1'],
    ['a dispute with a hazard subtype', { subtype: 'fire' }, 'event_check'],
    ['severity 5', { severity: 5 }, 'event_severity_check'],
    ['an unknown state', { state: 'lost' }, 'event_state_check'],
    ['closed without a closing time', { state: 'closed' }, 'event_check2'],
    ['closed before it was reported', { state: 'closed', closed_at: new Date('2026-10-01T00:00:00Z') }, 'event_check3'],
  ])('refuses %s', async (_label, fields, constraint) => {
    const r = await refusal(() => insertEvent(fields));
    expect(r.code).toBe('23514');
    expect(r.constraint).toBe(constraint);
  });

  it('never deletes an event and never rewrites its log', async () => {
    const [ev] = await db.sql<{ id: number }[]>`SELECT id FROM event WHERE code = 'E1'`;
    await db.sql`INSERT INTO event_log (event_id, from_state, to_state, action, actor_name) VALUES (${ev!.id}, NULL, 'reported', 'report', '测试员')`;
    expect((await refusal(() => db.sql`DELETE FROM event WHERE id = ${ev!.id}`)).message).toMatch(/append-only: DELETE refused/);
    expect((await refusal(() => db.sql`UPDATE event_log SET note = 'x' WHERE event_id = ${ev!.id}`)).message).toMatch(/event_log is append-only: UPDATE refused/);
    expect((await refusal(() => db.sql`DELETE FROM event_log`)).code).toBe('42501');
    expect((await refusal(() => db.sql`TRUNCATE event_log CASCADE`)).code).toBe('42501');
    const [n] = await db.sql<{ n: number }[]>`SELECT count(*)::int AS n FROM event_log`;
    expect(n!.n).toBe(1);
  });

  it('keeps the audit log append-only', async () => {
    await db.sql`INSERT INTO audit_log (actor, action, target_type, target_id, reason) VALUES ('tester', 'reveal', 'person', '1', '核查')`;
    expect((await refusal(() => db.sql`UPDATE audit_log SET reason = 'nothing'`)).code).toBe('42501');
    expect((await refusal(() => db.sql`DELETE FROM audit_log`)).code).toBe('42501');
  });
});

describe('people and assignments', () => {
  it('refuses an assignment whose scope does not fit the role, and one that ends before it starts', async () => {
    const [s] = await db.sql<{ id: number }[]>`INSERT INTO staff (code, name, org, kind) VALUES ('S1', '张伟', 'community', 'grid_worker') RETURNING id`;
    const wrongScope = await refusal(() => db.sql`
      INSERT INTO assignment (staff_id, role, community_id, starts_on) VALUES (${s!.id}, 'grid_leader', ${world.communityIds[0]}, '2026-01-01')`);
    expect(wrongScope.code).toBe('23514');
    const twoScopes = await refusal(() => db.sql`
      INSERT INTO assignment (staff_id, role, grid_id, community_id, starts_on) VALUES (${s!.id}, 'police', ${world.gridIds[0]}, ${world.communityIds[0]}, '2026-01-01')`);
    expect(twoScopes.code).toBe('23514');
    const backwards = await refusal(() => db.sql`
      INSERT INTO assignment (staff_id, role, grid_id, starts_on, ends_on) VALUES (${s!.id}, 'grid_leader', ${world.gridIds[0]}, '2026-02-01', '2026-01-01')`);
    expect(backwards.code).toBe('23514');
  });

  it('expands a community-scoped police assignment to every grid of the community on the days it runs', async () => {
    const [p] = await db.sql<{ id: number }[]>`INSERT INTO staff (code, name, org, kind) VALUES ('S2', '李强', 'police_station', 'police') RETURNING id`;
    await db.sql`INSERT INTO assignment (staff_id, role, community_id, starts_on, ends_on) VALUES (${p!.id}, 'police', ${world.communityIds[1]}, '2026-01-01', '2026-06-30')`;
    const during = await db.sql<{ grid_id: number }[]>`SELECT grid_id FROM assignment_grids('2026-03-01') WHERE staff_id = ${p!.id} ORDER BY grid_id`;
    expect(during.map((r) => r.grid_id)).toEqual([world.gridIds[2], world.gridIds[3]]);
    const after = await db.sql`SELECT grid_id FROM assignment_grids('2026-07-01') WHERE staff_id = ${p!.id}`;
    expect(after).toHaveLength(0);
  });

  it('refuses a malformed ID number', async () => {
    const [a] = await db.sql<{ id: number }[]>`SELECT id FROM address WHERE code = 'P1'`;
    const r = await refusal(() => db.sql`INSERT INTO resident (address_id, name, id_number) VALUES (${a!.id}, '王芳', '41048119900101123')`);
    expect(r.constraint).toBe('resident_id_number_check');
  });
});

describe('finished events and redrawn grids', () => {
  it('lets a closed event follow a redrawn grid, but nothing else about it may change', async () => {
    const [e] = await db.sql<{ id: number }[]>`
      INSERT INTO event (code, type, subtype, severity, title, geom, reported_at)
      VALUES ('FROZEN', 'public_security', 'theft', 1, '已结案', ${pointSql(ox + 0.5 * CELL, oy + 1.5 * CELL)}, now() - interval '2 days') RETURNING id`;
    for (const s of ['accepted', 'assigned', 'in_progress', 'resolved']) await db.sql`UPDATE event SET state = ${s} WHERE id = ${e!.id}`;
    await db.sql`UPDATE event SET state = 'closed', closed_at = now() WHERE id = ${e!.id}`;
    // Grid 1 gives its northern half to a new grid: the closed event moves with it.
    await db.sql`UPDATE grid SET geom = ST_SetSRID(ST_GeomFromGeoJSON(${gj(square(ox, oy, CELL, CELL))}), 4326) WHERE id = ${world.gridIds[0]}`;
    await db.sql`INSERT INTO grid (code, community_id, name, geom) VALUES ('T-G1N', ${world.communityIds[0]}, '北片', ST_SetSRID(ST_GeomFromGeoJSON(${gj(square(ox, oy + CELL, CELL, CELL))}), 4326))`;
    const [row] = await db.sql<{ grid: string }[]>`SELECT g.code AS grid FROM event e JOIN grid g ON g.id = e.grid_id WHERE e.id = ${e!.id}`;
    expect(row!.grid).toBe('T-G1N');
    expect((await refusal(() => db.sql`UPDATE event SET title = '改写' WHERE id = ${e!.id}`)).message).toMatch(/can no longer change/);
  });
});
