import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import postgres, { type Sql } from 'postgres';
import { createSql } from '../db/connect.ts';
import { listMigrations, migrate } from '../db/migrate.ts';

/**
 * Integration tests run against a real PostGIS server (TEST_DATABASE_URL, default the local
 * cluster). Each test file gets its own database cloned from a migrated template, so tests set up
 * their own data and never see each other's rows, even though events and logs cannot be deleted.
 */
export const TEST_ADMIN_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

/** Template name follows the migration files' content, so a changed migration gets a new template. */
export function templateName(): string {
  const hash = createHash('sha256');
  for (const m of listMigrations()) hash.update(m.file).update(readFileSync(m.file));
  return `jw_tpl_${hash.digest('hex').slice(0, 12)}`;
}

function adminSql(): Sql {
  return postgres(TEST_ADMIN_URL, { max: 1, onnotice: () => {} });
}

export async function ensureTemplate(): Promise<string> {
  const name = templateName();
  const admin = adminSql();
  try {
    await admin`SELECT pg_advisory_lock(74202501)`;
    const [exists] = await admin`SELECT 1 FROM pg_database WHERE datname = ${name}`;
    if (!exists) {
      const building = `${name}_build`;
      await admin.unsafe(`DROP DATABASE IF EXISTS ${building}`);
      await admin.unsafe(`CREATE DATABASE ${building}`);
      const sql = createSql(withDatabase(TEST_ADMIN_URL, building), 1);
      try {
        await migrate(sql);
      } finally {
        await sql.end();
      }
      // Renamed only once complete, so a crashed build never leaves a half-migrated template.
      await admin.unsafe(`ALTER DATABASE ${building} RENAME TO ${name}`);
      const stale = await admin<{ datname: string }[]>`
        SELECT datname FROM pg_database WHERE datname LIKE 'jw\\_tpl\\_%' AND datname <> ${name}`;
      for (const { datname } of stale) await admin.unsafe(`DROP DATABASE IF EXISTS ${datname}`);
    }
    return name;
  } finally {
    await admin`SELECT pg_advisory_unlock(74202501)`;
    await admin.end();
  }
}

export interface TestDatabase {
  sql: Sql;
  url: string;
  name: string;
  drop(): Promise<void>;
}

export async function freshDatabase(poolSize = 4): Promise<TestDatabase> {
  const template = await ensureTemplate();
  const name = `jw_t_${randomBytes(5).toString('hex')}`;
  const admin = adminSql();
  try {
    await admin.unsafe(`CREATE DATABASE ${name} TEMPLATE ${template}`);
  } finally {
    await admin.end();
  }
  const url = withDatabase(TEST_ADMIN_URL, name);
  const sql = createSql(url, poolSize);
  return {
    sql,
    url,
    name,
    async drop() {
      await sql.end({ timeout: 5 });
      const a = adminSql();
      try {
        await a.unsafe(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await a.end();
      }
    },
  };
}
