import postgres, { type Sql } from 'postgres';
import { startEmbeddedDatabase, type EmbeddedDatabase } from './embedded.ts';

export interface Database {
  sql: Sql;
  kind: 'embedded' | 'external';
  /** Where the data lives, without credentials, for logs. */
  describe: string;
  close(): Promise<void>;
}

export interface OpenOptions {
  databaseUrl?: string;
  dataDir: string;
  poolSize?: number;
}

export function createSql(url: string, poolSize = 10): Sql {
  return postgres(url, {
    max: poolSize,
    onnotice: () => {},
    connection: { application_name: 'jingwang-console' },
  });
}

export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(unparseable DATABASE_URL)';
  }
}

/** A real PostGIS when a URL is given, otherwise the embedded PGlite under dataDir. */
export async function openDatabase(opts: OpenOptions): Promise<Database> {
  const poolSize = opts.poolSize ?? 10;
  if (opts.databaseUrl) {
    const sql = createSql(opts.databaseUrl, poolSize);
    return { sql, kind: 'external', describe: redactUrl(opts.databaseUrl), close: () => sql.end({ timeout: 5 }) };
  }
  const embedded: EmbeddedDatabase = await startEmbeddedDatabase({ dataDir: opts.dataDir, maxConnections: poolSize + 2 });
  const sql = createSql(embedded.url, poolSize);
  return {
    sql,
    kind: 'embedded',
    describe: `embedded PGlite+PostGIS at ${embedded.dataDir}`,
    async close() {
      await sql.end({ timeout: 5 });
      await embedded.stop();
    },
  };
}
