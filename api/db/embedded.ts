import { mkdirSync } from 'node:fs';
import { PGlite } from '@electric-sql/pglite';
import { postgis } from '@electric-sql/pglite-postgis';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';

export interface EmbeddedDatabase {
  url: string;
  dataDir: string;
  stop(): Promise<void>;
}

/**
 * Runs PGlite (PostgreSQL 18 + PostGIS 3.6 compiled to WASM) in this process and exposes it on a
 * loopback TCP port, so the rest of the server talks to it with postgres.js exactly as it talks to
 * a real PostGIS server: one code path, one set of SQL.
 */
export async function startEmbeddedDatabase(opts: {
  dataDir: string;
  maxConnections: number;
  port?: number;
}): Promise<EmbeddedDatabase> {
  mkdirSync(opts.dataDir, { recursive: true });
  const db = await PGlite.create({ dataDir: opts.dataDir, extensions: { postgis } });
  // The socket server defaults to a single connection; a postgres.js pool larger than that gets
  // ECONNRESET, so the server must accept at least the pool size (statements are queued inside).
  const server = new PGLiteSocketServer({
    db,
    host: '127.0.0.1',
    port: opts.port ?? 0,
    maxConnections: opts.maxConnections,
  });
  await server.start();
  const conn = server.getServerConn();
  return {
    url: `postgres://postgres@${conn}/postgres`,
    dataDir: opts.dataDir,
    async stop() {
      await server.stop();
      // close() flushes PGlite's in-memory filesystem to dataDir; skipping it loses recent writes.
      await db.close();
    },
  };
}
