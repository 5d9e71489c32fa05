import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshDatabase, type TestDatabase } from '../testing/db.ts';

// Migration 00020: the device rule of GPS fixes, kept by triggers instead of a per-row foreign key.
let db: TestDatabase;
beforeAll(async () => {
  db = await freshDatabase();
});
afterAll(async () => db?.drop());

describe('gps_fix device rule (00020)', () => {
  it('refuses a fix of an unknown device, stores nothing of the statement, and keeps a device with fixes', async () => {
    const { sql } = db;
    const [dev] = await sql<[{ id: number }]>`INSERT INTO patrol_device (code, kind) VALUES ('DC-1', 'handheld') RETURNING id`;
    await sql`INSERT INTO gps_fix (device_id, fixed_at, lon, lat) VALUES (${dev.id}, '2026-11-01T08:00:00+08:00', 113.5, 33.3)`;
    const bad = sql`INSERT INTO gps_fix (device_id, fixed_at, lon, lat)
                    VALUES (${dev.id}, '2026-11-01T08:00:15+08:00', 113.5, 33.3), (${dev.id + 999}, '2026-11-01T08:00:30+08:00', 113.5, 33.3)`;
    await expect(bad).rejects.toMatchObject({ code: '23503', message: `GPS fix of unknown device ${dev.id + 999}` });
    expect((await sql`SELECT count(*)::int AS n FROM gps_fix`)[0]!.n).toBe(1);
    await expect(sql`UPDATE gps_fix SET device_id = ${dev.id + 999}`).rejects.toMatchObject({ code: '23503' });
    await expect(sql`DELETE FROM patrol_device WHERE id = ${dev.id}`).rejects.toMatchObject({ code: '23503', message: `patrol device ${dev.id} has GPS fixes` });
    // Other columns of a device with fixes still change; a device without fixes can go.
    await sql`UPDATE patrol_device SET active = false WHERE id = ${dev.id}`;
    const [spare] = await sql<[{ id: number }]>`INSERT INTO patrol_device (code, kind) VALUES ('DC-2', 'handheld') RETURNING id`;
    expect((await sql`DELETE FROM patrol_device WHERE id = ${spare.id}`).count).toBe(1);
  });
});
