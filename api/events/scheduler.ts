import type { Sql } from 'postgres';
import type { Clock } from '../auth/types.ts';
import type { QueryCatalog } from '../db/queries.ts';
import type { FeedHub } from './feed.ts';
import { escalateOverdue } from './service.ts';

/**
 * Escalates overdue events on a timer. One pass at a time; each pass is one transaction, and its
 * messages are published only after it commits.
 */
export function startOverdueScheduler(deps: { sql: Sql; queries: QueryCatalog; clock: Clock; feed: FeedHub; log: (m: string) => void;
  /** Told when a pass changed events (arrivals, escalations), e.g. to make kept event lists stale. */
  onEventsChanged?: () => void }, everyMs = 60_000) {
  let running: Promise<void> | null = null;
  const pass = async () => {
    // Support requests whose police officer's device came within 100 m count as arrived (by GPS).
    const arrivals = await deps.queries.run(deps.sql, 'support_gps_arrivals', [100]);
    const messages = await deps.sql.begin((tx) => escalateOverdue(tx, deps.queries, deps.clock.now()));
    if (arrivals.length || messages.length) deps.onEventsChanged?.();
    if (messages.length) await deps.feed.poke();
    if (messages.length) deps.log(`escalated ${messages.length} overdue event(s)`);
  };
  const tick = () => {
    if (running) return;
    running = pass().catch((err: unknown) => deps.log(`overdue pass failed: ${err instanceof Error ? err.message : String(err)}`)).finally(() => {
      running = null;
    });
  };
  const timer = setInterval(tick, everyMs);
  timer.unref();
  return {
    runOnce: pass,
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}
