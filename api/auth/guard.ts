import type { Context } from 'hono';
import { getCookie } from 'hono/cookie';
import type { Sql } from 'postgres';
import type { QueryCatalog } from '../db/queries.ts';
import type { AppEnv } from '../http/env.ts';
import { ApiError } from '../http/errors.ts';
import type { Guard, Method } from '../http/resource.ts';
import { SESSION_COOKIE, cachedSession, lookupSession, lookupToken, sha256, type SessionCache } from './sessions.ts';
import { isAggregateOnly, type Access, type AuthConfig, type Clock, type SessionUser } from './types.ts';
import type { Db } from '../db/types.ts';
import type { ConnectionGate } from '../http/backpressure.ts';
import { storedAnswer, type AnswerCache } from '../http/answer-cache.ts';
import { inRequestTransaction, ownerInScope, ownerOf, ownerWithin, type Owner } from '../db/owner.ts';

export interface GuardDeps {
  sql: Sql;
  queries: QueryCatalog;
  clock: Clock;
  authConfig: AuthConfig;
  /** Bounded admission to the pool (see ConnectionGate); none in tests that build a guard alone. */
  gate?: ConnectionGate;
  /** Validated sessions kept for a few seconds (none: every request reads its session). */
  sessions?: SessionCache;
  /** Answers of cacheable GET routes kept per caller (none: every request runs its query). */
  answers?: AnswerCache;
}

const ungated = <T>(fn: () => Promise<T>) => fn();

/** A handler that records whether it was called (the guard refuses many requests before it is). */
function tracked(fn: (db: Db) => Promise<Response>): { fn: (db: Db) => Promise<Response>; readonly ran: boolean } {
  const t = {
    ran: false,
    fn: (db: Db) => {
      t.ran = true;
      return fn(db);
    },
  };
  return t;
}

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
      if (cookie) {
        // A kept session needs no pool slot: a request answered from memory must not queue behind
        // database work for its login check. A read is shared by the session's concurrent requests.
        const sessions = deps.sessions;
        auth = cachedSession(cookie, deps.clock, deps.authConfig, sessions)
          ?? await (sessions
            ? sessions.shared(sha256(cookie), () => gated(() => lookupSession(deps.sql, deps.queries, cookie, deps.clock, deps.authConfig, sessions)))
            : gated(() => lookupSession(deps.sql, deps.queries, cookie, deps.clock, deps.authConfig)));
      }
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

/** An address goes into the set-up text only when it is plainly an address; anything else is bound. */
const PLAIN_ADDRESS = /^[0-9A-Za-z.:%_-]{1,100}$/;

/**
 * Runs `fn` in one transaction as the user's scoped database role (row-level security applies).
 * `fn` also gets an Owner for the owner work of the request, in the same transaction.
 *
 * The scope settings and SET LOCAL ROLE go as one simple-protocol message that is not awaited: it is
 * pipelined ahead of the handler's first statement on the same connection, so the set-up costs no
 * round trip of its own (BEGIN and COMMIT remain). Nothing can run unscoped: the server executes the
 * messages in order, and a failure in the set-up aborts the transaction, so every later statement
 * fails (25P02) and postgres.js rethrows the set-up's own error for the request.
 */
export function runScoped<T>(sql: Sql, user: SessionUser, clientIp: string, fn: (db: Db, owner: Owner) => Promise<T>, statementTimeoutMs = 10_000,
  opts: { checkRoles?: boolean } = {}): Promise<T> {
  const role = scopedRole(user);
  if (!Number.isSafeInteger(user.id)) throw new Error(`not a user id: ${user.id}`);
  const timeout = Math.max(0, Math.round(statementTimeoutMs));
  const plainIp = PLAIN_ADDRESS.test(clientIp);
  return sql.begin(async (tx) => {
    // statement_timeout is transaction-local (like SET LOCAL): the pooled connection keeps its default.
    // The role comes last, so the settings are made by the session user, as before. With
    // `checkRoles` (a session answered from the cache) the roles in force now ride along, read by
    // the same function row-level security uses, so a reassignment still takes effect at once.
    const setup = tx.unsafe(`SELECT set_config('jw.user_id', '${user.id}', true), set_config('statement_timeout', '${timeout}', true)${plainIp ? `, set_config('jw.client_ip', '${clientIp}', true)` : ''};${opts.checkRoles ? ' SELECT jw_user_roles() AS roles;' : ''} SET LOCAL ROLE ${role}`).execute();
    const setups: Promise<unknown>[] = [setup];
    if (!plainIp) setups.push(tx`SELECT set_config('jw.client_ip', ${clientIp}, true)`.execute());
    const settled = Promise.all(setups);
    // Should the handler fail first, the set-up's own failure must not surface as an unhandled rejection.
    settled.catch(() => undefined);
    const rolesChanged = async () => {
      if (!opts.checkRoles) return false;
      const results = (await setup) as unknown as { roles: string[] | null }[][];
      const now = results[1]?.[0]?.roles ?? null;
      return now === null || now.join(',') !== user.roles.join(',');
    };
    let result: T;
    try {
      result = await fn(tx, ownerInScope(tx, role));
    } catch (err) {
      if (await rolesChanged().catch(() => false)) throw new StaleSession();
      throw err;
    }
    await settled;
    // Thrown inside the transaction, so whatever the handler wrote is rolled back before the retry.
    if (await rolesChanged()) throw new StaleSession();
    return result;
  }) as Promise<T>;
}

/** The cached session's roles are no longer those in force: the guard reads the session again and retries. */
export class StaleSession extends Error {
  constructor() {
    super('the session changed since it was cached');
  }
}

/** Refusals a cached session must not give without reading the session again. */
const ROLE_REFUSALS = new Set(['forbidden', 'no_assignment', 'password_change_required']);

export function createGuard(deps: GuardDeps): Guard {
  const gated = deps.gate ? deps.gate.run.bind(deps.gate) : ungated;
  const guard = {
    /**
     * A session answered from the cache is checked against the database inside the request's own
     * transaction (its roles) or before a refusal (403): when it changed, it is read again and the
     * request runs once more, rolled back the first time, so the cache never grants or refuses
     * what the database would not.
     */
    async run(c: Context<AppEnv>, access: Access, method: Method, fn: (db: Db) => Promise<Response>, opts?: Parameters<Guard['run']>[4]): Promise<Response> {
      if (method === 'get' || !deps.answers) return guard.runChecked(c, access, method, fn, opts);
      // A write that reached its handler makes kept answers stale once it is over, committed or
      // not (a failure at COMMIT leaves its outcome unknown): the next reader computes afresh.
      const handler = tracked(fn);
      try {
        return await guard.runChecked(c, access, method, handler.fn, opts);
      } finally {
        if (handler.ran) {
          const auth = c.get('auth');
          deps.answers.invalidate(opts?.invalidates ?? 'all', auth?.kind === 'user' ? auth.tokenHash : undefined);
        }
      }
    },

    async runChecked(c: Context<AppEnv>, access: Access, method: Method, fn: (db: Db) => Promise<Response>, opts?: Parameters<Guard['run']>[4]): Promise<Response> {
      const auth = c.get('auth');
      if (auth?.kind !== 'user' || !auth.cached) return guard.runOnce(c, access, method, fn, opts);
      const handler = tracked(fn);
      try {
        return await guard.runOnce(c, access, method, handler.fn, opts);
      } catch (err) {
        // A refusal by the guard itself (the handler never ran), or roles found changed in the
        // transaction (rolled back): nothing was done, so running the request again is safe.
        const stale = err instanceof StaleSession || (!handler.ran && err instanceof ApiError && err.status === 403 && ROLE_REFUSALS.has(err.code));
        if (!stale) throw err;
        deps.sessions?.forget(auth.tokenHash);
        const cookie = getCookie(c, SESSION_COOKIE);
        const fresh = cookie ? await gated(() => lookupSession(deps.sql, deps.queries, cookie, deps.clock, deps.authConfig, deps.sessions)) : null;
        c.set('auth', fresh);
        return guard.runOnce(c, access, method, fn, opts);
      }
    },

    async runOnce(c: Context<AppEnv>, access: Access, method: Method, fn: (db: Db) => Promise<Response>, opts?: Parameters<Guard['run']>[4]): Promise<Response> {
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
      // Everything the handler reads or writes happens as a scoped database role inside one
      // transaction: row-level security limits it to the user's grids, and an error rolls it all back.
      // Owner-side upkeep (bringing derived tables up to date) runs before the scoped transaction
      // opens: on the embedded database nothing else can run while it is open.
      // A stream's handler returns at once and gates its own queries; an import holds its
      // connection for the whole import, so it holds a slot as long.
      if (access.stream || access.ownTransaction) {
        const release = opts?.limit?.enter();
        try {
          if (opts?.prepare) await gated(opts.prepare);
          return access.stream ? await unscoped() : await gated(unscoped);
        } finally {
          release?.();
        }
      }
      if (opts?.cache && method === 'get' && deps.answers) {
        // Keyed by the caller and the roles in force, so an answer never crosses jurisdictions.
        const url = new URL(c.req.url);
        const key = `${user.id}|${user.roles.join(',')}|${url.pathname}${url.search}`;
        const { answer, outcome, ageMs } = await deps.answers.answer(key, opts.cache, async () =>
          storedAnswer(await guard.runScopedRequest(c, user, auth.cached === true, fn, opts)), auth.tokenHash);
        return c.body(answer.body, answer.status as 200, {
          ...Object.fromEntries(answer.headers), 'x-cache': outcome, age: String(Math.floor(ageMs / 1000)),
        });
      }
      return guard.runScopedRequest(c, user, auth.cached === true, fn, opts);
    },

    /** The request's upkeep and its scoped transaction, under the route's in-flight limit. */
    async runScopedRequest(c: Context<AppEnv>, user: SessionUser, recheckRoles: boolean, fn: (db: Db) => Promise<Response>, opts?: Parameters<Guard['run']>[4]): Promise<Response> {
      const route = `${c.req.method} ${c.req.routePath}`;
      const release = opts?.limit?.enter();
      try {
        const afterCommit: (() => void)[] = [];
        c.set('afterCommit', afterCommit);
        // The upkeep and then the transaction under one pool slot: each uses one connection and
        // returns it before the next starts, and waiting in the gate's queue once, not twice, keeps
        // a statistics or heat request from queueing behind the whole queue a second time.
        const response = await gated(async () => {
          if (opts?.prepare) await opts.prepare();
          return inRequestTransaction(route, () => runScoped(deps.sql, user, c.get('clientIp'), (tx, owner) => {
            c.set('owner', owner);
            return fn(tx);
          }, opts?.statementTimeoutMs, { checkRoles: recheckRoles }));
        });
        for (const f of afterCommit) f();
        return response;
      } finally {
        release?.();
      }
    },
  };
  return guard;
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
