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
    // A database that does not complete a connection within 5 s is unavailable (503, retry): a
    // connection half-made while PostgreSQL restarts otherwise holds its pool slot for 30 s.
    connect_timeout: 5,
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

/**
 * postgres.js 3.4.9 can throw from a write it scheduled with setImmediate after the connection
 * closed (socket already null): an uncaught TypeError that would end the whole server whenever
 * PostgreSQL restarts under load (porsager/postgres#1154, #1208; fixes not released). The query
 * of that connection has already failed with CONNECTION_CLOSED, so the server answers it 503 and
 * carries on; only this exact error is absorbed, anything else still ends the process.
 */
export function isClosedSocketWrite(err: unknown): boolean {
  return err instanceof TypeError && /reading 'write'/.test(err.message) && /nextWrite[\s\S]*postgres[\\/]src[\\/]connection\.js|postgres[\\/]src[\\/]connection\.js[\s\S]*nextWrite/.test(err.stack ?? '');
}

export function absorbClosedSocketWrites(log: (msg: string) => void): void {
  process.on('uncaughtException', (err) => {
    if (isClosedSocketWrite(err)) {
      log('postgres.js wrote to a connection that had just closed (porsager/postgres#1154); the query already failed and was answered');
      return;
    }
    console.error('uncaught exception:', err);
    process.exit(1);
  });
}
