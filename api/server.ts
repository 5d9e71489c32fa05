import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serve, type ServerType } from '@hono/node-server';
import { serveStatic } from '@hono/node-server/serve-static';
import { Hono } from 'hono';
import { answerCacheFromEnv } from './http/answer-cache.ts';
import { createApp } from './app.ts';
import { openDatabase, type Database } from './db/connect.ts';
import { migrate } from './db/migrate.ts';
import { QueryCatalog } from './db/queries.ts';
import { seedDemoIfEmpty } from './seed-demo.ts';
import { startOverdueScheduler } from './events/scheduler.ts';
import { systemClock } from './auth/types.ts';
import { WEB_DIST, buildWeb, webBuildIsCurrent } from './web-build.ts';
import { relative } from 'node:path';
import { jsonLogger, type RequestLog } from './http/log.ts';
import { loadLimitsFromEnv, type LoadLimits } from './http/backpressure.ts';
import type { Server } from 'node:http';

export interface ServerOptions {
  port: number;
  host: string;
  databaseUrl?: string;
  dataDir: string;
  /** undefined: seed only an empty embedded database; true/false forces it on/off. */
  seedDemo?: boolean;
  buildWeb: boolean;
  log: (msg: string) => void;
  /** Per-request structured log; default: JSON lines on stdout. */
  requestLog?: RequestLog;
  /** In-flight and pool-queue bounds (default: from the environment, see loadLimitsFromEnv). */
  limits?: LoadLimits;
  /** How long close() lets in-flight requests finish before cutting their connections (default 10 s). */
  shutdownTimeoutMs?: number;
}

export interface RunningServer {
  url: string;
  database: Database;
  /** Resolves true when every in-flight request finished, false when the wait ran out and connections were cut. */
  close(): Promise<boolean>;
}

function listen(app: Hono, port: number, host: string): Promise<ServerType> {
  return new Promise((resolve, reject) => {
    const server = serve({ fetch: app.fetch, port, hostname: host, createServer }, () => resolve(server));
    server.once('error', reject);
  });
}

export async function startServer(opts: ServerOptions): Promise<RunningServer> {
  const { log } = opts;
  // The web build and the database start-up are independent and both take seconds: overlap them.
  const web = opts.buildWeb && !webBuildIsCurrent() ? buildWeb(log) : Promise.resolve();
  const limits = opts.limits ?? loadLimitsFromEnv();
  const database = await openDatabase(opts.databaseUrl ? { databaseUrl: opts.databaseUrl, dataDir: opts.dataDir, poolSize: limits.dbActive } : { dataDir: opts.dataDir, poolSize: limits.dbActive });
  log(`database: ${database.describe}`);
  try {
    const { applied, current } = await migrate(database.sql, { log });
    log(`schema at version ${current}${applied.length ? ` (${applied.length} applied now)` : ''}`);
    const seed = opts.seedDemo ?? database.kind === 'embedded';
    if (seed) await seedDemoIfEmpty(database.sql, log);
    await web;
  } catch (err) {
    await database.close();
    throw err;
  }

  const queries = new QueryCatalog();
  const { app: api, feed, answers } = createApp({ sql: database.sql, queries, database, requestLog: opts.requestLog ?? jsonLogger(), limits, answerCache: answerCacheFromEnv() });
  const scheduler = startOverdueScheduler({ sql: database.sql, queries, clock: systemClock, feed, log, onEventsChanged: () => answers?.invalidate(['events']) });
  const app = new Hono();
  let draining = false;
  // While shutting down, a request arriving on a kept-alive connection is refused (the client
  // retries elsewhere or later), and every answer closes its connection so none lingers.
  app.use('*', async (c, next) => {
    if (draining) {
      c.header('connection', 'close');
      c.header('retry-after', '5');
      return c.json({ error: { code: 'shutting_down', message: '服务正在停止，请稍后重试 / the server is shutting down; retry shortly' } }, 503);
    }
    await next();
    if (draining) c.header('connection', 'close');
  });
  app.route('/', api);
  const root = relative(process.cwd(), WEB_DIST) || '.';
  app.use('/*', serveStatic({ root }));
  // Client-side routes (/screen, /analysis…) all load the single page.
  app.get('*', serveStatic({ root, path: 'index.html' }));

  const server = await listen(app, opts.port, opts.host);
  const { port } = server.address() as AddressInfo;
  const url = `http://${opts.host === '0.0.0.0' ? 'localhost' : opts.host}:${port}`;
  const shutdownTimeoutMs = opts.shutdownTimeoutMs ?? 10_000;
  return {
    url,
    database,
    async close() {
      // Stop accepting, let in-flight requests finish (for a bounded time), then close the pool
      // (and flush PGlite).
      draining = true;
      await scheduler.stop();
      const http = server as Server;
      const closing = new Promise<void>((resolve) => http.close(() => resolve()));
      // Feed clients hold their connections open; end those streams (clients reconnect with
      // Last-Event-ID) while ordinary in-flight requests finish.
      feed.closeAll();
      http.closeIdleConnections();
      let timer: NodeJS.Timeout | undefined;
      const finished = await Promise.race([
        closing.then(() => true),
        new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), shutdownTimeoutMs))),
      ]);
      clearTimeout(timer);
      if (!finished) {
        log(`requests still running after ${shutdownTimeoutMs} ms: closing their connections (their transactions roll back)`);
        http.closeAllConnections();
        await closing;
      }
      await database.close();
      return finished;
    },
  };
}
