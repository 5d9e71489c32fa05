import { randomUUID } from 'node:crypto';
import { Hono, type Context } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { getConnInfo } from '@hono/node-server/conninfo';
import type { Sql } from 'postgres';
import { authenticate, createGuard } from './auth/guard.ts';
import { SessionCache } from './auth/sessions.ts';
import { poolOutsideTransactions } from './db/owner.ts';
import { DEFAULT_AUTH_CONFIG, systemClock, type AuthConfig, type Clock } from './auth/types.ts';
import type { QueryCatalog } from './db/queries.ts';
import type { Deps } from './deps.ts';
import { FeedHub, type FeedMessage } from './events/feed.ts';
import type { AppEnv } from './http/env.ts';
import { ApiError, errorResponse } from './http/errors.ts';
import { openApiDocument } from './http/openapi.ts';
import type { Resource, RouteSpec } from './http/resource.ts';
import { addressesResource } from './routes/addresses.ts';
import { auditResource } from './routes/audit.ts';
import { exportsResource, importsResource } from './routes/imports.ts';
import { eventsResource, feedResource, supportResource } from './routes/events.ts';
import { authResource } from './routes/auth.ts';
import { ingestResource } from './routes/ingest.ts';
import { personsResource } from './routes/persons.ts';
import { patrolTracksResource } from './routes/patrol-tracks.ts';
import { visitsResource } from './routes/visits.ts';
import { tokensResource } from './routes/tokens.ts';
import { communitiesResource } from './routes/communities.ts';
import { gridsResource } from './routes/grids.ts';
import { healthResource, readyResource } from './routes/health.ts';
import type { RequestLog } from './http/log.ts';
import { AnswerCache, type AnswerCacheOptions } from './http/answer-cache.ts';
import { ConnectionGate, DEFAULT_LOAD_LIMITS, InFlightLimit, type LoadLimits } from './http/backpressure.ts';
import { MAX_UPLOAD_BYTES } from './routes/imports.ts';
import { MAX_JSON_BODY_BYTES } from './http/resource.ts';
import { heatResource } from './routes/heat.ts';
import { hotspotsResource } from './routes/hotspots.ts';
import { eventHistogramResource, incidentPointsResource } from './routes/incidents.ts';
import { searchResource } from './routes/search.ts';
import { statsResource } from './routes/stats.ts';
import { areaStatsResource } from './routes/area-stats.ts';
import { patrolPlansResource } from './routes/patrol-plans.ts';
import { reportsResource } from './routes/reports.ts';
import { evaluationResource } from './routes/evaluation.ts';
import { trainingRecordsResource } from './routes/training-records.ts';
import { patrolPositionsResource } from './routes/patrol-positions.ts';
import { infoVerificationsResource } from './routes/info-verifications.ts';
import { jointDefensePointsResource } from './routes/joint-defense-points.ts';
import { keyLocationsResource } from './routes/key-locations.ts';
import { subdistrictsResource } from './routes/subdistricts.ts';

export interface App {
  app: Hono<AppEnv>;
  feed: FeedHub;
  deps: Deps;
  /** Every API route, as documented; tests iterate over it so no route escapes them. */
  routes: RouteSpec[];
  answers?: AnswerCache;
}

export interface AppOptions {
  sql: Sql;
  queries: QueryCatalog;
  database: Deps['database'];
  clock?: Clock;
  authConfig?: Partial<AuthConfig>;
  /** How to find the caller's address; the default is the TCP peer (set TRUST_PROXY=1 behind a proxy). */
  clientIp?: (c: Context<AppEnv>) => string;
  log?: (err: unknown) => void;
  /** One structured line per API request (method, path, status, ms, request id); none when unset. */
  requestLog?: RequestLog;
  feed?: FeedHub;
  /** In-flight and pool-queue bounds; defaults in DEFAULT_LOAD_LIMITS. */
  limits?: Partial<LoadLimits>;
  /**
   * Keep answers of cacheable aggregate routes for a few seconds per caller (the server turns this
   * on; without it every request runs its query, which tests that write with SQL rely on).
   */
  answerCache?: AnswerCacheOptions;
}

function tooLarge(limit: number) {
  return () => {
    throw new ApiError(413, 'body_too_large', `request body exceeds ${limit} bytes`, { limit });
  };
}

function peerAddress(c: Context<AppEnv>): string {
  if (process.env.TRUST_PROXY === '1') {
    const forwarded = c.req.header('x-forwarded-for')?.split(',')[0]?.trim();
    if (forwarded) return forwarded;
  }
  try {
    return getConnInfo(c).remote.address ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

export function createApp(opts: AppOptions): App {
  const clock = opts.clock ?? systemClock;
  const authConfig = { ...DEFAULT_AUTH_CONFIG, ...opts.authConfig };
  const limits = { ...DEFAULT_LOAD_LIMITS, ...opts.limits };
  const gate = new ConnectionGate(limits.dbActive, limits.dbQueue, limits.dbQueueTimeoutMs);
  const sessions = new SessionCache(authConfig.sessionCacheMs);
  const answers = opts.answerCache ? new AnswerCache(opts.answerCache) : undefined;
  const guard = createGuard({ sql: opts.sql, queries: opts.queries, clock, authConfig, gate, ...(answers ? { answers } : {}) });
  const feed = opts.feed ?? new FeedHub((after) =>
    opts.queries.run<FeedMessage>(opts.sql, 'feed_publish', [after.toString()]).then((rows) =>
      rows.map((r) => ({ ...r, at: new Date(r.at as unknown as string).toISOString() }))));
  // Routes get a pool that refuses use inside their own transaction (see api/db/owner.ts).
  const deps: Deps = { sql: poolOutsideTransactions(opts.sql), queries: opts.queries, database: opts.database, clock, authConfig, sessions, guard, clientIp: opts.clientIp ?? peerAddress, feed,
    gate, limits: { ingest: new InFlightLimit('ingest', limits.ingestInFlight), events: new InFlightLimit('event report', limits.eventsInFlight) } };
  const resources: Resource[] = [
    healthResource(deps),
    readyResource(deps),
    authResource(deps),
    tokensResource(deps),
    auditResource(deps),
    personsResource(deps),
    ingestResource(deps),
    eventsResource(deps),
    feedResource(deps),
    supportResource(deps),
    importsResource(deps),
    exportsResource(deps),
    subdistrictsResource(deps),
    communitiesResource(deps),
    gridsResource(deps),
    jointDefensePointsResource(deps),
    keyLocationsResource(deps),
    addressesResource(deps),
    heatResource(deps),
    hotspotsResource(deps),
    incidentPointsResource(deps),
    statsResource(deps),
    areaStatsResource(deps),
    eventHistogramResource(deps),
    patrolPlansResource(deps),
    patrolTracksResource(deps),
    visitsResource(deps),
    searchResource(deps),
    reportsResource(deps),
    evaluationResource(deps),
    patrolPositionsResource(deps),
    infoVerificationsResource(deps),
    trainingRecordsResource(deps),
  ];
  const routes = resources.flatMap((r) => r.routes);
  const document = openApiDocument(routes, { title: '警网一张图 API', version: '0.1.0' });

  const app = new Hono<AppEnv>();
  const requestLog = opts.requestLog;
  app.use('/api/*', async (c, next) => {
    const started = performance.now();
    // A caller's id is kept only when it is short and plain, so it cannot forge log lines.
    const given = c.req.header('x-request-id');
    const requestId = given && /^[\w.:-]{1,128}$/.test(given) ? given : randomUUID();
    c.header('x-request-id', requestId);
    c.header('cache-control', 'no-store');
    c.set('clientIp', deps.clientIp(c));
    try {
      await next();
    } finally {
      if (requestLog) {
        const auth = c.get('auth');
        requestLog({
          msg: 'request', request_id: requestId, method: c.req.method, path: c.req.path, status: c.res.status,
          ms: Math.round((performance.now() - started) * 10) / 10,
          ...(auth?.kind === 'user' ? { user: auth.user.username } : auth?.kind === 'token' ? { token: auth.token.id } : {}),
          ip: c.get('clientIp'),
        });
      }
    }
  });
  // The byte stream itself is capped (also for chunked bodies without Content-Length): uploads to
  // the importer up to MAX_UPLOAD_BYTES, every other body up to MAX_JSON_BODY_BYTES.
  const uploadLimit = bodyLimit({ maxSize: MAX_UPLOAD_BYTES, onError: tooLarge(MAX_UPLOAD_BYTES) });
  const jsonLimit = bodyLimit({ maxSize: MAX_JSON_BODY_BYTES, onError: tooLarge(MAX_JSON_BODY_BYTES) });
  app.use('/api/*', (c, next) => (c.req.path.startsWith('/api/imports/') ? uploadLimit : jsonLimit)(c, next));
  app.use('/api/*', authenticate({ sql: deps.sql, queries: deps.queries, clock, authConfig, gate, sessions }));
  for (const r of resources) app.route(r.base, r.router);
  app.get('/api/openapi.json', (c) => c.json(document));
  app.all('/api/*', () => {
    throw new ApiError(404, 'not_found', 'no such API route');
  });
  app.onError((err, c) => errorResponse(c, err, opts.log));

  return { app, routes, feed, deps, ...(answers ? { answers } : {}) };
}
