import { AsyncLocalStorage } from 'node:async_hooks';
import type { Sql } from 'postgres';
import type { Db } from './types.ts';

/**
 * Work a request does with the table owner's rights (derived tables, fixes outside the caller's
 * grids, the audit log), inside the request's own transaction.
 *
 * It must not take another pooled connection while the request's transaction is open: the embedded
 * database (PGlite) has one session, so a second connection waits for the first transaction, which
 * waits for it, for ever. One transaction also gives the owner reads the same snapshot rules and
 * statement timeout as the rest of the request, on both databases.
 */
export interface Owner {
  <T>(fn: (tx: Db) => Promise<T>): Promise<T>;
  /** Whether the request's own handle is row-level scoped (false for system jobs, tokens, tests as owner). */
  readonly scoped: boolean;
}

// JIT off: on large tables the planner's cost estimates cross jit_above_cost, and LLVM compilation
// costs more than the KPI query. Custom plans: a generic plan of stats_kpi cannot see the level or
// the window and picks bad joins.
const KPI_SETTINGS = "SELECT set_config('jit', 'off', true), set_config('plan_cache_mode', 'force_custom_plan', true)";

async function kpiSettings(tx: Db): Promise<void> {
  await tx.unsafe(KPI_SETTINGS);
}

/** Owner work on an unscoped pool: each call is its own transaction. */
export function ownerOf(sql: Sql): Owner {
  const run = <T>(fn: (tx: Db) => Promise<T>) => sql.begin(async (tx) => {
    await kpiSettings(tx);
    return fn(tx);
  }) as Promise<T>;
  return Object.assign(run, { scoped: false });
}

/** Owner work on an unscoped transaction that is already open (token routes). */
export function ownerWithin(tx: Db): Owner {
  let chain: Promise<unknown> = Promise.resolve();
  const run = <T>(fn: (tx: Db) => Promise<T>): Promise<T> => {
    const next = chain.then(async () => {
      await kpiSettings(tx);
      return fn(tx);
    });
    chain = next.catch(() => undefined);
    return next;
  };
  return Object.assign(run, { scoped: false });
}

/**
 * Owner work inside a scoped transaction: the role is reset to the session user for the duration
 * of `fn` and set back to `scopedRole` afterwards. Calls are serialised; the caller must not run
 * scoped queries concurrently with an owner call (they would run with the owner's rights).
 */
export function ownerInScope(tx: Db, scopedRole: string): Owner {
  if (!/^[a-z_]+$/.test(scopedRole)) throw new Error(`not a role name: ${scopedRole}`);
  let chain: Promise<unknown> = Promise.resolve();
  const run = <T>(fn: (tx: Db) => Promise<T>): Promise<T> => {
    const next = chain.then(async () => {
      try {
        // One round trip: back to the session user, with the owner work's planner settings.
        await tx.unsafe(`RESET ROLE; ${KPI_SETTINGS}`);
        return await fn(tx);
      } finally {
        // After an SQL error the transaction is aborted and this fails too; nothing can run in it
        // any more, so the scoped role cannot be skipped by catching the error.
        await tx.unsafe(`SET LOCAL ROLE ${scopedRole}`).catch(() => undefined);
      }
    });
    chain = next.catch(() => undefined);
    return next;
  };
  return Object.assign(run, { scoped: true });
}

interface RequestTransaction {
  open: boolean;
  route: string;
}

/** Set while a request's transaction is open, so a stray use of the pool is caught, not hung. */
export const requestTransaction = new AsyncLocalStorage<RequestTransaction>();

/** Runs `fn` marked as holding a request transaction; code after it (after-commit hooks) is not. */
export async function inRequestTransaction<T>(route: string, fn: () => Promise<T>): Promise<T> {
  const mark: RequestTransaction = { open: true, route };
  try {
    return await requestTransaction.run(mark, fn);
  } finally {
    mark.open = false;
  }
}

const QUERYING = new Set(['begin', 'unsafe', 'file', 'reserve', 'listen', 'notify', 'subscribe']);

/**
 * The pool as routes see it: using it while the request's transaction is open throws at once
 * (a programming error: use the transaction, or `Owner` for owner work) instead of waiting for a
 * connection that the embedded database can never give.
 */
export function poolOutsideTransactions(sql: Sql): Sql {
  const refuse = () => {
    const mark = requestTransaction.getStore();
    if (mark?.open) {
      throw new Error(`the connection pool was used while the request transaction of ${mark.route} is open: run it on the transaction or through Owner`);
    }
  };
  return new Proxy(sql, {
    apply(target, thisArg, args) {
      refuse();
      return Reflect.apply(target, thisArg, args);
    },
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver) as unknown;
      if (typeof prop === 'string' && QUERYING.has(prop) && typeof value === 'function') {
        return (...args: unknown[]) => {
          refuse();
          return (value as (...a: unknown[]) => unknown).apply(target, args);
        };
      }
      return value;
    },
  });
}
