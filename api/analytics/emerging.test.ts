import { describe, expect, it } from 'vitest';
import { classifyEmerging, emergingHotspots, TREND_ALPHA } from './emerging.ts';
import { h3Neighbours } from './gistar.ts';
import { goldenOutput, readGoldenInput, rounded } from './golden.ts';

const noTrend = { z: 0.3, p: 0.7 };
const up = { z: 2.5, p: 0.012 };
const down = { z: -2.5, p: 0.012 };

describe('emerging pattern rules', () => {
  it.each([
    ['new: hot only in the final period', [0, 0, 0, 0, 0, 0, 0, 2], noTrend, 'new', 'hot'],
    ['consecutive: one final run of ≥ 2, under 90 %', [0, 0, 0, 0, 0, 1, 3, 2], up, 'consecutive', 'hot'],
    ['intensifying: hot throughout with an upward trend', [1, 1, 2, 2, 3, 3, 3, 3], up, 'intensifying', 'hot'],
    ['diminishing: hot throughout with a downward trend', [3, 3, 3, 3, 2, 2, 1, 1], down, 'diminishing', 'hot'],
    ['persistent: hot throughout, no significant trend', [2, 3, 2, 3, 2, 3, 2, 3], noTrend, 'persistent', 'hot'],
    ['persistent: a trend that is not significant does not count', [1, 1, 2, 2, 3, 3, 3, 3], { z: 1.5, p: 0.13 }, 'persistent', 'hot'],
    ['historical: hot ≥ 90 % but not in the final period', [3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 0], noTrend, 'historical', 'hot'],
    ['sporadic: on and off, final hot, never cold', [0, 2, 0, 0, 1, 0, 0, 3], noTrend, 'sporadic', 'hot'],
    ['oscillating: on and off, final hot, once cold', [0, 2, -1, 0, 1, 0, 0, 3], noTrend, 'oscillating', 'hot'],
    ['cold patterns mirror hot ones', [0, 0, 0, 0, 0, 0, 0, -3], noTrend, 'new', 'cold'],
    ['a cold spot getting colder is intensifying', [-1, -1, -2, -2, -3, -3, -3, -3], down, 'intensifying', 'cold'],
    ['nothing significant', [0, 0, 1, 0, 0, 0, 0, 0], noTrend, 'none', null],
  ] as const)('%s', (_label, classes, trend, pattern, spot) => {
    expect(classifyEmerging(classes, trend)).toEqual({ pattern, spot });
  });

  it('90 % of 10 periods is 9: nine hot periods ending hot are persistent', () => {
    expect(classifyEmerging([0, 1, 1, 1, 1, 1, 1, 1, 1, 1], noTrend).pattern).toBe('persistent');
    expect(classifyEmerging([0, 0, 1, 1, 1, 1, 1, 1, 1, 1], noTrend).pattern).toBe('consecutive');
  });

  it('uses the documented trend significance level', () => {
    expect(TREND_ALPHA).toBe(0.05);
    expect(classifyEmerging([1, 1, 1, 1, 1, 1, 1, 1], { z: 2, p: 0.049 }).pattern).toBe('intensifying');
    expect(classifyEmerging([1, 1, 1, 1, 1, 1, 1, 1], { z: 2, p: 0.051 }).pattern).toBe('persistent');
  });

  it('refuses fewer than 3 periods', () => {
    expect(() => classifyEmerging([1, 1], noTrend)).toThrow(/at least 3 periods/);
    expect(() => emergingHotspots([[1, 2], [1, 2]], [[0, 1], [0, 1]])).toThrow(/at least 3 periods/);
    expect(() => emergingHotspots([[1, 2], [1, 2], [1]], [[0, 1], [0, 1]])).toThrow(/period 2 has 1 cells, expected 2/);
  });
});

describe('emerging hot spots on generated data', () => {
  interface Input {
    k: number;
    cells: string[];
    counts: number[][];
  }
  const input = readGoldenInput<Input>('emerging_generated_res9');
  const result = emergingHotspots(input.counts, h3Neighbours(input.cells, input.k));

  it('finds every planted behaviour: intensifying, diminishing, new, plus persistent cores', () => {
    const found = new Set(result.map((r) => r.pattern));
    for (const p of ['new', 'consecutive', 'intensifying', 'persistent', 'diminishing', 'sporadic']) expect(found).toContain(p);
    // The planted new cluster is centred near 33.752 N, 113.212 E; its cells are in the "new" set.
    expect(result.filter((r) => r.pattern === 'new').every((r) => r.classes.slice(0, -1).every((c) => c <= 0))).toBe(true);
    expect(result.filter((r) => r.pattern === 'intensifying').every((r) => r.trend.z > 0)).toBe(true);
    expect(result.filter((r) => r.pattern === 'diminishing').every((r) => r.trend.z < 0)).toBe(true);
  });

  it('matches the golden output', () => {
    const actual = rounded(result.map((r, i) => ({ cell: input.cells[i], ...r })));
    expect(actual).toEqual(goldenOutput('emerging_generated_res9', actual));
  });
});
