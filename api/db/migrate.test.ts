import { mkdtempSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshDatabase, type TestDatabase } from '../testing/db.ts';
import { listMigrations, migrate, schemaVersion } from './migrate.ts';

function dirWith(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'mig-'));
  mkdirSync(dir, { recursive: true });
  for (const [name, body] of Object.entries(files)) writeFileSync(join(dir, name), body);
  return dir;
}

describe('listMigrations', () => {
  it('lists the shipped migrations in order without gaps', () => {
    const ms = listMigrations();
    expect(ms.length).toBeGreaterThanOrEqual(6);
    expect(ms.map((m) => m.version)).toEqual(ms.map((_, i) => i + 1));
  });
  it('refuses a numbering gap', () => {
    const dir = dirWith({ '00001_a.sql': 'SELECT 1;', '00003_c.sql': 'SELECT 1;' });
    expect(() => listMigrations(dir)).toThrow(/gap or duplicate: expected 00002, found 3 \(c\)/);
  });
  it('refuses a misnamed file', () => {
    const dir = dirWith({ '00001_a.sql': 'SELECT 1;', '2_b.sql': 'SELECT 1;' });
    expect(() => listMigrations(dir)).toThrow(/"2_b.sql" does not match/);
  });
});

describe('migrate against a real PostGIS', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await freshDatabase();
  });
  afterAll(async () => db?.drop());

  it('the template is fully migrated and a second run applies nothing', async () => {
    expect(await schemaVersion(db.sql)).toBe(listMigrations().length);
    const again = await migrate(db.sql);
    expect(again.applied).toEqual([]);
  });

  it('applies new steps in their own transaction and rolls back a failing one', async () => {
    const shipped = listMigrations();
    const files: Record<string, string> = {};
    for (const m of shipped) files[m.file.split('/').pop()!] = 'SELECT 1;';
    const next = String(shipped.length + 1).padStart(5, '0');
    const after = String(shipped.length + 2).padStart(5, '0');
    files[`${next}_add_probe.sql`] = 'CREATE TABLE probe_ok (id int);';
    files[`${after}_broken.sql`] = 'CREATE TABLE probe_half (id int); SELECT no_such_function();';
    await expect(migrate(db.sql, { dir: dirWith(files) })).rejects.toThrow(new RegExp(`migration ${after}_broken failed`));
    expect(await schemaVersion(db.sql)).toBe(shipped.length + 1);
    const [tables] = await db.sql`SELECT to_regclass('probe_ok')::text AS ok, to_regclass('probe_half')::text AS half`;
    expect(tables).toEqual({ ok: 'probe_ok', half: null });
  });

  it('refuses to run when the database knows a migration the files do not', async () => {
    const dir = dirWith({ '00001_postgis_and_config.sql': 'SELECT 1;' });
    await expect(migrate(db.sql, { dir })).rejects.toThrow(/that this build does not know/);
  });
});
