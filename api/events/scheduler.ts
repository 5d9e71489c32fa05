import type { Sql } from 'postgres';
import type { Clock } from '../auth/types.ts';
import type { QueryCatalog } from '../db/queries.ts';
import type { FeedHub } from './feed.ts';
import { escalateOverdue } from './service.ts';

/** Events escalated per transaction, and transactions per pass (at most 500 events a minute, as before). */
const ESCALATION_BATCH = 25;
const ESCALATION_BATCHES = 20;

/**
 * Escalates overdue events on a timer. One pass at a time; a pass is a few short transactions, and
 * each one's messages are published after it commits.
 */
export function startOverdueScheduler(deps: { sql: Sql; queries: QueryCatalog; clock: Clock; feed: FeedHub; log: (m: string) => void;
  /** Told when a pass changed events (arrivals, escalations), e.g. to make kept event lists stale. */
  onEventsChanged?: () => void }, everyMs = 60_000) {
  let running: Promise<void> | null = null;
  const pass = async () => {
    // Support requests whose police officer's device came within 100 m count as arrived (by GPS).
    const arrivals = await deps.queries.run(deps.sql, 'support_gps_arrivals', [100]);
    if (arrivals.length) deps.onEventsChanged?.();
    // A backlog (after downtime, or a city's first pass) is escalated in short transactions: each
    // holds the feed's ordering lock, and one long one would make every event report wait for it.
    let escalated = 0;
    for (let batch = 0; batch < ESCALATION_BATCHES; batch++) {
      const messages = await deps.sql.begin((tx) => escalateOverdue(tx, deps.queries, deps.clock.now(), ESCALATION_BATCH));
      if (!messages.length) break;
      escalated += messages.length;
      deps.onEventsChanged?.();
      await deps.feed.poke();
      if (messages.length < ESCALATION_BATCH) break;
    }
    if (escalated) deps.log(`escalated ${escalated} overdue event(s)`);
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
