import type { Context } from 'hono';
import type { Sql } from 'postgres';
import type { AuthConfig, Clock } from './auth/types.ts';
import type { SessionCache } from './auth/sessions.ts';
import type { QueryCatalog } from './db/queries.ts';
import type { FeedHub } from './events/feed.ts';
import type { AppEnv } from './http/env.ts';
import type { Guard } from './http/resource.ts';
import type { ConnectionGate, InFlightLimit } from './http/backpressure.ts';

/** What every resource needs; passed in so tests build an app around their own database and clock. */
export interface Deps {
  sql: Sql;
  queries: QueryCatalog;
  database: { kind: 'embedded' | 'external'; describe: string };
  clock: Clock;
  authConfig: AuthConfig;
  /** Validated sessions kept in memory; whoever revokes a session here drops it from this too. */
  sessions: SessionCache;
  guard: Guard;
  clientIp: (c: Context<AppEnv>) => string;
  feed: FeedHub;
  /** Admission to the pool for queries a handler makes outside the guard's transaction (the feed's). */
  gate: ConnectionGate;
  /** Back-pressure on the writes devices and clients retry. */
  limits: { ingest: InFlightLimit; events: InFlightLimit };
}
