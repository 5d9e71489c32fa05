/**
 * Runs `task` now and then every `everyMs`; after a failure it retries sooner and backs off
 * (min → ×2 → … → everyMs), so a wall screen recovers by itself from a server restart or a
 * network loss. One timer at a time; stop() cancels it, and a run in flight is discarded.
 */
export function poll(task: () => Promise<void>, opts: { everyMs: number; minRetryMs?: number; onFailure?: (failures: number, err: unknown) => void; onSuccess?: () => void }): () => void {
  let timer: ReturnType<typeof setTimeout> | null = null;
  let stopped = false;
  let failures = 0;
  const minRetry = opts.minRetryMs ?? 2_000;
  const run = async () => {
    timer = null;
    try {
      await task();
      if (stopped) return;
      failures = 0;
      opts.onSuccess?.();
    } catch (err) {
      if (stopped) return;
      failures++;
      opts.onFailure?.(failures, err);
    }
    if (!stopped) timer = setTimeout(run, failures ? retryDelay(failures, minRetry, opts.everyMs) : opts.everyMs);
  };
  void run();
  return () => {
    stopped = true;
    if (timer) clearTimeout(timer);
  };
}

/** Delay before retry number n (1-based): min·2^(n−1), capped at max. */
export function retryDelay(n: number, min: number, max: number): number {
  return Math.min(max, min * 2 ** Math.max(0, n - 1));
}

/** The ranking score of the monthly review (api/reports/reports.ts kpiScore): mean of the rates that exist. */
export function kpiScore(r: { registration_rate: number | null; closure_rate: number | null; visit_coverage_rate: number | null; patrol_coverage: number | null }): number | null {
  const parts = [r.registration_rate, r.closure_rate, r.visit_coverage_rate, r.patrol_coverage].filter((x): x is number => x !== null);
  return parts.length ? parts.reduce((a, b) => a + b, 0) / parts.length : null;
}

export const pct = (x: number | null | undefined, digits = 1): string => (x === null || x === undefined ? '—' : `${(x * 100).toFixed(digits)}%`);
