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
import type { ConnectionGate } from '../http/backpressure.ts';
import { inRequestTransaction, ownerInScope, ownerOf, ownerWithin, type Owner } from '../db/owner.ts';

export interface GuardDeps {
  sql: Sql;
  queries: QueryCatalog;
  clock: Clock;
  authConfig: AuthConfig;
  /** Bounded admission to the pool (see ConnectionGate); none in tests that build a guard alone. */
  gate?: ConnectionGate;
}

const ungated = <T>(fn: () => Promise<T>) => fn();

/** Reads the session cookie or bearer token once per request; routes then decide with `access`. */
export function authenticate(deps: GuardDeps) {
  const gated = deps.gate ? deps.gate.run.bind(deps.gate) : ungated;
  return async (c: Context<AppEnv>, next: () => Promise<void>) => {
    let auth = null;
    const bearer = /^Bearer\s+(\S+)$/i.exec(c.req.header('authorization') ?? '')?.[1];
    if (bearer) {
      auth = await gated(() => lookupToken(deps.sql, bearer, deps.clock));
      if (!auth) throw new ApiError(401, 'invalid_token', 'the API token is unknown or revoked');
    } else {
      const cookie = getCookie(c, SESSION_COOKIE);
      if (cookie) auth = await gated(() => lookupSession(deps.sql, deps.queries, cookie, deps.clock, deps.authConfig));
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

/** The database role a user's requests run as. */
export function scopedRole(user: SessionUser): 'jw_analyst' | 'jw_staff' {
  return isAggregateOnly(user.roles) ? 'jw_analyst' : 'jw_staff';
}

/**
 * Runs `fn` in one transaction as the user's scoped database role (row-level security applies).
 * `fn` also gets an Owner for the owner work of the request, in the same transaction.
 */
export function runScoped<T>(sql: Sql, user: SessionUser, clientIp: string, fn: (db: Db, owner: Owner) => Promise<T>, statementTimeoutMs = 10_000): Promise<T> {
  const role = scopedRole(user);
  return sql.begin(async (tx) => {
    // statement_timeout is transaction-local (like SET LOCAL): the pooled connection keeps its default.
    await tx`SELECT set_config('jw.user_id', ${String(user.id)}, true), set_config('jw.client_ip', ${clientIp}, true),
                    set_config('statement_timeout', ${String(Math.round(statementTimeoutMs))}, true)`;
    await tx.unsafe(`SET LOCAL ROLE ${role}`);
    return fn(tx, ownerInScope(tx, role));
  }) as Promise<T>;
}

export function createGuard(deps: GuardDeps): Guard {
  const gated = deps.gate ? deps.gate.run.bind(deps.gate) : ungated;
  return {
    async run(c, access: Access, method: Method, fn, opts) {
      const route = `${c.req.method} ${c.req.routePath}`;
      const unscoped = () => {
        c.set('owner', ownerOf(deps.sql));
        return fn(deps.sql);
      };
      if (access.kind === 'public') {
        if (opts?.prepare) await gated(opts.prepare);
        return gated(unscoped);
      }
      const auth = c.get('auth');
      if (access.kind === 'token') {
        if (!auth || auth.kind !== 'token') throw new ApiError(401, 'unauthenticated', 'this route needs an API token (Authorization: Bearer …)');
        if (!auth.token.scopes.includes(access.scope)) {
          throw new ApiError(403, 'forbidden', `the token lacks the scope ${access.scope}`, { required: access.scope });
        }
        // Back-pressure after the access check, so a caller without rights learns nothing from a 429.
        const release = opts?.limit?.enter();
        try {
          if (opts?.prepare) await gated(opts.prepare);
          // Machine clients (device ingest, sync) get one transaction with the route's statement timeout too.
          return await inRequestTransaction(route, () => gated(() => deps.sql.begin(async (tx) => {
            await tx`SELECT set_config('statement_timeout', ${String(Math.round(opts?.statementTimeoutMs ?? 10_000))}, true)`;
            c.set('owner', ownerWithin(tx));
            return fn(tx);
          }) as Promise<Response>));
        } finally {
          release?.();
        }
      }
      if (!auth || auth.kind !== 'user') throw new ApiError(401, 'unauthenticated', '请先登录 / log in first');
      const { user } = auth;
      if (method !== 'get') {
        if (!sameOrigin(c)) throw new ApiError(403, 'csrf', 'cross-origin request refused');
        if (c.req.header('x-csrf-token') !== auth.csrfToken) {
          throw new ApiError(403, 'csrf', 'missing or wrong X-CSRF-Token header (GET /api/auth/me returns it)');
        }
      }
      if (access.kind === 'self') return gated(unscoped);
      if (user.mustChangePassword) {
        throw new ApiError(403, 'password_change_required', '首次登录须修改密码 / change your password before continuing');
      }
      if (access.roles !== 'any' && !user.roles.some((r) => access.roles.includes(r))) {
        throw new ApiError(403, 'forbidden', '当前角色无权访问 / your role may not use this', { required: access.roles, roles: user.roles });
      }
      if (user.roles.length === 0) throw new ApiError(403, 'no_assignment', '当前没有有效的岗位分配 / you have no assignment in force today');
      const release = opts?.limit?.enter();
      try {
        // Everything the handler reads or writes happens as a scoped database role inside one
        // transaction: row-level security limits it to the user's grids, and an error rolls it all back.
        // Owner-side upkeep (bringing derived tables up to date) runs before the scoped transaction
        // opens: on the embedded database nothing else can run while it is open.
        if (opts?.prepare) await gated(opts.prepare);
        // A stream's handler returns at once and gates its own queries; an import holds its
        // connection for the whole import, so it holds a slot as long.
        if (access.stream) return await unscoped();
        if (access.ownTransaction) return await gated(unscoped);
        const afterCommit: (() => void)[] = [];
        c.set('afterCommit', afterCommit);
        const response = await inRequestTransaction(route, () => gated(() => runScoped(deps.sql, user, c.get('clientIp'), (tx, owner) => {
          c.set('owner', owner);
          return fn(tx);
        }, opts?.statementTimeoutMs)));
        for (const f of afterCommit) f();
        return response;
      } finally {
        release?.();
      }
    },
  };
}

/** No access checks, owner rights throughout: for tests of a resource's numbers and for benchmarks. */
export function unguarded(sql: Sql): Guard {
  return {
    async run(c, _access, _method, fn, opts) {
      await opts?.prepare?.();
      c.set('owner', ownerOf(sql));
      return fn(sql);
    },
  };
}
