import type { Sql } from 'postgres';

/**
 * Holds `LOCK TABLE … IN SHARE MODE` in a transaction of its own until released, so that writers
 * of that table stay in flight for as long as a test needs; `waiting()` counts the writers blocked.
 */
export async function holdTableLock(sql: Sql, table: string): Promise<{ waiting(): Promise<number>; release(): Promise<void> }> {
  if (!/^[a-z_]+$/.test(table)) throw new Error(`not a table name: ${table}`);
  let release!: () => void;
  const released = new Promise<void>((r) => (release = r));
  let locked!: () => void;
  const isLocked = new Promise<void>((r) => (locked = r));
  const done = sql.begin(async (tx) => {
    await tx.unsafe(`LOCK TABLE ${table} IN SHARE MODE`);
    locked();
    await released;
  });
  await Promise.race([isLocked, done]);
  return {
    async waiting() {
      const [r] = await sql<{ n: number }[]>`
        SELECT count(*)::int AS n FROM pg_locks WHERE NOT granted AND relation = ${table}::regclass`;
      return r!.n;
    },
    async release() {
      release();
      await done;
    },
  };
}

/** Polls `cond` every 20 ms until it holds, failing after `ms`. */
export async function until(cond: () => boolean | Promise<boolean>, ms = 10_000, what = 'condition'): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
