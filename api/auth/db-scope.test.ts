import type { Sql } from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshDatabase, type TestDatabase } from '../testing/db.ts';
import { CELL, ORIGIN, insertTinyWorld, type TinyWorld } from '../testing/fixtures.ts';
import { createUser } from '../testing/app.ts';

/** The database alone, without the API: a scoped session cannot read or write outside its grids. */
let db: TestDatabase;
let world: TinyWorld;
const [ox, oy] = ORIGIN;
const users: Record<string, number> = {};

beforeAll(async () => {
  db = await freshDatabase();
  world = await insertTinyWorld(db.sql);
  for (const [i, gridId] of world.gridIds.entries()) {
    const [a] = await db.sql<{ id: number }[]>`
      INSERT INTO address (code, address_text, geom) VALUES (${`A${i}`}, ${`路${i}号`}, ST_SetSRID(ST_MakePoint(${ox + (i + 0.5) * CELL}, ${oy + CELL}), 4326)) RETURNING id`;
    await db.sql`INSERT INTO resident (address_id, name, id_number) VALUES (${a!.id}, ${`居民${i}`}, '410481199001011234')`;
    await db.sql`INSERT INTO person_of_concern (code, address_id, name, category, control_level, since) VALUES (${`P${i}`}, ${a!.id}, '某人', 'petition', 1, '2025-01-01')`;
    await db.sql`INSERT INTO event (code, type, severity, title, geom, reported_at) VALUES (${`E${i}`}, 'service_request', 1, '求助', ST_SetSRID(ST_MakePoint(${ox + (i + 0.5) * CELL}, ${oy + 0.5 * CELL}), 4326), now())`;
    void gridId;
  }
  users.leader = (await createUser(db.sql, 'leader', 'grid_leader', { grid_id: world.gridIds[1] })).userId;
  users.analyst = (await createUser(db.sql, 'analyst', 'analyst', { subdistrict_id: world.subdistrictId })).userId;
});
afterAll(async () => db?.drop());

/** Runs `fn` exactly as the API does for a logged-in user: user id in the context, scoped role. */
function as<T>(userId: number, role: 'jw_staff' | 'jw_analyst', fn: (tx: Sql) => Promise<T>): Promise<T> {
  return db.sql.begin(async (tx) => {
    await tx`SELECT set_config('jw.user_id', ${String(userId)}, true)`;
    await tx.unsafe(`SET LOCAL ROLE ${role}`);
    return fn(tx as unknown as Sql);
  }) as Promise<T>;
}

describe('row-level security as a grid leader', () => {
  it('sees only its grid in every grid-keyed table', async () => {
    const r = await as(users.leader!, 'jw_staff', async (tx) => ({
      grids: (await tx<{ id: number }[]>`SELECT id FROM grid`).map((x) => x.id),
      addresses: (await tx<{ grid_id: number }[]>`SELECT grid_id FROM address`).map((x) => x.grid_id),
      residents: (await tx<{ n: number }[]>`SELECT count(*)::int AS n FROM resident`)[0]!.n,
      events: (await tx<{ grid_id: number }[]>`SELECT grid_id FROM event`).map((x) => x.grid_id),
      communities: (await tx<{ id: number }[]>`SELECT id FROM community`).map((x) => x.id),
    }));
    expect(r).toEqual({
      grids: [world.gridIds[1]], addresses: [world.gridIds[1]], residents: 1, events: [world.gridIds[1]], communities: [world.communityIds[0]],
    });
  });

  it('cannot select persons of concern directly, only through the audited functions', async () => {
    await expect(as(users.leader!, 'jw_staff', (tx) => tx`SELECT * FROM person_of_concern`)).rejects.toMatchObject({ code: '42501' });
  });

  it('cannot write an event into a grid it does not cover', async () => {
    const insert = (lon: number) => as(users.leader!, 'jw_staff', (tx) => tx`
      INSERT INTO event (code, type, severity, title, geom, reported_at)
      VALUES (${`X${lon}`}, 'service_request', 1, '越界', ST_SetSRID(ST_MakePoint(${lon}, ${oy + 0.5 * CELL}), 4326), now())`);
    await expect(insert(ox + 3.5 * CELL)).rejects.toMatchObject({ code: '42501' });
    await insert(ox + 1.5 * CELL);
    const [n] = await db.sql<{ n: number }[]>`SELECT count(*)::int AS n FROM event WHERE title = '越界'`;
    expect(n!.n).toBe(1);
  });

  it('sees nothing at all without a user in the context', async () => {
    const rows = await db.sql.begin(async (tx) => {
      await tx.unsafe('SET LOCAL ROLE jw_staff');
      return tx`SELECT id FROM grid UNION ALL SELECT id FROM address`;
    });
    expect(rows).toHaveLength(0);
  });
});

describe('the analyst role', () => {
  it('reads every grid and counts events, but no personal column or table', async () => {
    const counts = await as(users.analyst!, 'jw_analyst', async (tx) => ({
      grids: (await tx<{ n: number }[]>`SELECT count(*)::int AS n FROM grid`)[0]!.n,
      events: (await tx<{ n: number }[]>`SELECT count(*)::int AS n FROM event`)[0]!.n,
    }));
    const [owner] = await db.sql<{ n: number }[]>`SELECT count(*)::int AS n FROM event`;
    expect(counts).toEqual({ grids: 4, events: owner!.n });
    for (const q of ['SELECT address_text FROM address', 'SELECT name FROM resident', 'SELECT title FROM event', 'SELECT reporter_name FROM event', 'SELECT * FROM staff', 'SELECT * FROM audit_log']) {
      await expect(as(users.analyst!, 'jw_analyst', (tx) => tx.unsafe(q)), q).rejects.toMatchObject({ code: '42501' });
    }
  });
});
