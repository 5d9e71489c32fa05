import { afterEach, describe, expect, it, vi } from 'vitest';
import { kpiScore, pct, poll, retryDelay } from './poll.ts';

describe('poll', () => {
  afterEach(() => vi.useRealTimers());

  it('backs off after failures, returns to the normal period after a success, and stops', async () => {
    vi.useFakeTimers();
    const outcomes = [false, false, true, true];
    const calls: number[] = [];
    const failures: number[] = [];
    const stop = poll(async () => {
      calls.push(Date.now());
      if (!outcomes.shift()) throw new Error('down');
    }, { everyMs: 60_000, minRetryMs: 2_000, onFailure: (n) => failures.push(n) });
    const t0 = Date.now();
    await vi.advanceTimersByTimeAsync(2_000 + 4_000 + 60_000);
    expect(calls.map((t) => t - t0)).toEqual([0, 2_000, 6_000, 66_000]);
    expect(failures).toEqual([1, 2]);
    stop();
    await vi.advanceTimersByTimeAsync(600_000);
    expect(calls).toHaveLength(4);
  });

  it('caps the retry delay', () => {
    expect([1, 2, 3, 10].map((n) => retryDelay(n, 2_000, 60_000))).toEqual([2_000, 4_000, 8_000, 60_000]);
  });
});

describe('kpiScore and pct', () => {
  it('averages the rates that exist', () => {
    expect(kpiScore({ registration_rate: 1, closure_rate: 0.5, visit_coverage_rate: null, patrol_coverage: 0 })).toBe(0.5);
    expect(kpiScore({ registration_rate: null, closure_rate: null, visit_coverage_rate: null, patrol_coverage: null })).toBeNull();
    expect([pct(0.9364), pct(null)]).toEqual(['93.6%', '—']);
  });
});
