import type { Timing } from './types.ts';

/** Nearest-rank percentile of sorted values. */
export function percentile(sorted: readonly number[], p: number): number {
  if (!sorted.length) throw new Error('percentile of no values');
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

/**
 * Calls fn `runs` times one after another (after `warmup` untimed calls that fill caches and
 * prepare statements) and returns p50/p95 in milliseconds. `fn(i)` may rotate through inputs.
 */
export async function timeCalls(fn: (i: number) => Promise<unknown>, runs: number, warmup = 3): Promise<Timing> {
  if (!(runs >= 1)) throw new Error(`runs must be ≥ 1, got ${runs}`);
  if (!(warmup >= 0)) throw new Error(`warmup must be ≥ 0, got ${warmup}`);
  for (let i = 0; i < warmup; i++) await fn(i);
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    await fn(i);
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  return { runs, p50: percentile(times, 50), p95: percentile(times, 95) };
}
