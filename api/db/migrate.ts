import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Sql } from 'postgres';
import { repoPath } from '../paths.ts';

export interface Migration {
  version: number;
  name: string;
  file: string;
}

const FILE_PATTERN = /^(\d{5})_([a-z0-9_]+)\.sql$/;

/**
 * Lists migrations in order and refuses a directory with a gap, a duplicate number or a
 * misnamed file: a missing step must never be skipped silently.
 */
export function listMigrations(dir = process.env.JW_MIGRATIONS_DIR ?? repoPath('sql/migrations')): Migration[] {
  const files = readdirSync(dir).filter((f) => f.endsWith('.sql')).sort();
  const migrations: Migration[] = [];
  for (const file of files) {
    const m = FILE_PATTERN.exec(file);
    if (!m) throw new Error(`migration file "${file}" does not match NNNNN_name.sql`);
    migrations.push({ version: Number(m[1]), name: m[2]!, file: join(dir, file) });
  }
  migrations.forEach((m, i) => {
    if (m.version !== i + 1) {
      throw new Error(`migration numbering has a gap or duplicate: expected ${String(i + 1).padStart(5, '0')}, found ${m.version} (${m.name})`);
    }
  });
  return migrations;
}

export interface MigrateResult {
  applied: Migration[];
  current: number;
}

// Any constant works; it only has to be the same for every process migrating this database.
const MIGRATION_LOCK_KEY = 7_420_250_930;

export async function migrate(sql: Sql, opts: { dir?: string; log?: (msg: string) => void } = {}): Promise<MigrateResult> {
  const migrations = listMigrations(opts.dir);
  await sql`
    CREATE TABLE IF NOT EXISTS schema_migrations (
      version    integer PRIMARY KEY,
      name       text NOT NULL,
      applied_at timestamptz NOT NULL DEFAULT now()
    )`;
  const applied: Migration[] = [];
  for (const migration of migrations) {
    const done = await sql.begin(async (tx) => {
      // Serialises concurrent starters; the loser re-reads and finds the step already applied.
      await tx`SELECT pg_advisory_xact_lock(${MIGRATION_LOCK_KEY})`;
      const rows = await tx<{ version: number; name: string }[]>`SELECT version, name FROM schema_migrations ORDER BY version`;
      checkRecorded(rows, migrations);
      if (rows.some((r) => r.version === migration.version)) return false;
      try {
        await tx.unsafe(readFileSync(migration.file, 'utf8'));
      } catch (err) {
        throw new Error(`migration ${String(migration.version).padStart(5, '0')}_${migration.name} failed: ${(err as Error).message}`, { cause: err });
      }
      await tx`INSERT INTO schema_migrations (version, name) VALUES (${migration.version}, ${migration.name})`;
      return true;
    });
    if (done) {
      applied.push(migration);
      opts.log?.(`applied migration ${String(migration.version).padStart(5, '0')}_${migration.name}`);
    }
  }
  return { applied, current: migrations.length };
}

/** The database must not be ahead of, or disagree with, the files this build ships. */
function checkRecorded(rows: { version: number; name: string }[], migrations: Migration[]): void {
  for (const row of rows) {
    const known = migrations[row.version - 1];
    if (!known) {
      throw new Error(`database has migration ${row.version} (${row.name}) that this build does not know: refusing to run an older build against a newer schema`);
    }
    if (known.name !== row.name) {
      throw new Error(`migration ${row.version} is recorded as "${row.name}" but the file is "${known.name}"`);
    }
  }
}

export async function schemaVersion(sql: Sql): Promise<number> {
  const [exists] = await sql<{ t: string | null }[]>`SELECT to_regclass('schema_migrations')::text AS t`;
  if (!exists?.t) return 0;
  const [row] = await sql<{ v: number }[]>`SELECT coalesce(max(version), 0)::int AS v FROM schema_migrations`;
  return row?.v ?? 0;
}
