import type { Context } from 'hono';
import { getCookie } from 'hono/cookie';
import type { Sql } from 'postgres';
import type { QueryCatalog } from '../db/queries.ts';
import type { AppEnv } from '../http/env.ts';
import { ApiError } from '../http/errors.ts';
import type { Guard, Method } from '../http/resource.ts';
import { SESSION_COOKIE, lookupSession, lookupToken } from './sessions.ts';
import { isAggregateOnly, type Access, type AuthConfig, type Clock, type SessionUser } from './types.ts';
import type { Db } from '../db/types.ts';

export interface GuardDeps {
  sql: Sql;
  queries: QueryCatalog;
  clock: Clock;
  authConfig: AuthConfig;
}

/** Reads the session cookie or bearer token once per request; routes then decide with `access`. */
export function authenticate(deps: GuardDeps) {
  return async (c: Context<AppEnv>, next: () => Promise<void>) => {
    let auth = null;
    const bearer = /^Bearer\s+(\S+)$/i.exec(c.req.header('authorization') ?? '')?.[1];
    if (bearer) {
      auth = await lookupToken(deps.sql, bearer, deps.clock);
      if (!auth) throw new ApiError(401, 'invalid_token', 'the API token is unknown or revoked');
    } else {
      const cookie = getCookie(c, SESSION_COOKIE);
      if (cookie) auth = await lookupSession(deps.sql, deps.queries, cookie, deps.clock, deps.authConfig);
    }
    c.set('auth', auth);
    await next();
  };
}

function sameOrigin(c: Context<AppEnv>): boolean {
  const origin = c.req.header('origin');
  if (!origin) return true;
  try {
    return new URL(origin).host === (c.req.header('host') ?? new URL(c.req.url).host);
  } catch {
    return false;
  }
}

/** Runs `fn` in one transaction as the user's scoped database role (row-level security applies). */
export function runScoped<T>(sql: Sql, user: SessionUser, clientIp: string, fn: (db: Db) => Promise<T>, statementTimeoutMs = 10_000): Promise<T> {
  const role = isAggregateOnly(user.roles) ? 'jw_analyst' : 'jw_staff';
  return sql.begin(async (tx) => {
    // statement_timeout is transaction-local (like SET LOCAL): the pooled connection keeps its default.
    await tx`SELECT set_config('jw.user_id', ${String(user.id)}, true), set_config('jw.client_ip', ${clientIp}, true),
                    set_config('statement_timeout', ${String(Math.round(statementTimeoutMs))}, true)`;
    await tx.unsafe(`SET LOCAL ROLE ${role}`);
    return fn(tx);
  }) as Promise<T>;
}

export function createGuard(deps: GuardDeps): Guard {
  return {
    async run(c, access: Access, method: Method, fn, opts) {
      if (access.kind === 'public') return fn(deps.sql);
      const auth = c.get('auth');
      if (access.kind === 'token') {
        if (!auth || auth.kind !== 'token') throw new ApiError(401, 'unauthenticated', 'this route needs an API token (Authorization: Bearer …)');
        if (!auth.token.scopes.includes(access.scope)) {
          throw new ApiError(403, 'forbidden', `the token lacks the scope ${access.scope}`, { required: access.scope });
        }
        // Machine clients (device ingest, sync) get one transaction with the route's statement timeout too.
        return deps.sql.begin(async (tx) => {
          await tx`SELECT set_config('statement_timeout', ${String(Math.round(opts?.statementTimeoutMs ?? 10_000))}, true)`;
          return fn(tx);
        }) as Promise<Response>;
      }
      if (!auth || auth.kind !== 'user') throw new ApiError(401, 'unauthenticated', '请先登录 / log in first');
      const { user } = auth;
      if (method !== 'get') {
        if (!sameOrigin(c)) throw new ApiError(403, 'csrf', 'cross-origin request refused');
        if (c.req.header('x-csrf-token') !== auth.csrfToken) {
          throw new ApiError(403, 'csrf', 'missing or wrong X-CSRF-Token header (GET /api/auth/me returns it)');
        }
      }
      if (access.kind === 'self') return fn(deps.sql);
      if (user.mustChangePassword) {
        throw new ApiError(403, 'password_change_required', '首次登录须修改密码 / change your password before continuing');
      }
      if (access.roles !== 'any' && !user.roles.some((r) => access.roles.includes(r))) {
        throw new ApiError(403, 'forbidden', '当前角色无权访问 / your role may not use this', { required: access.roles, roles: user.roles });
      }
      if (user.roles.length === 0) throw new ApiError(403, 'no_assignment', '当前没有有效的岗位分配 / you have no assignment in force today');
      // Everything the handler reads or writes happens as a scoped database role inside one
      // transaction: row-level security limits it to the user's grids, and an error rolls it all back.
      if (access.stream) return fn(deps.sql);
      const afterCommit: (() => void)[] = [];
      c.set('afterCommit', afterCommit);
      const response = await runScoped(deps.sql, user, c.get('clientIp'), fn, opts?.statementTimeoutMs);
      for (const f of afterCommit) f();
      return response;
    },
  };
}
