import { describe, expect, it } from 'vitest';
import { mannKendall } from './mann-kendall.ts';

describe('Mann-Kendall', () => {
  it('a strictly increasing series of 5: S = 10, Var = 5·4·15/18, Z = 9/√Var', () => {
    const r = mannKendall([1, 2, 3, 4, 5]);
    expect(r.s).toBe(10);
    expect(r.variance).toBeCloseTo(300 / 18, 12);
    expect(r.z).toBeCloseTo(2.2045407685048604, 10);
    // math.erfc(2.2045407685048604 / sqrt(2))
    expect(r.p).toBeCloseTo(0.027486336111510353, 7);
  });

  it('is antisymmetric: a decreasing series gives −S and −Z', () => {
    const r = mannKendall([5, 4, 3, 2, 1]);
    expect(r.s).toBe(-10);
    expect(r.z).toBeCloseTo(-2.2045407685048604, 10);
  });

  it('corrects the variance for ties', () => {
    // 1 2 2 3: five concordant pairs, one tie → S = 5; one tie group of 2:
    // Var = (4·3·13 − 2·1·9)/18 = 138/18; Z = (5 − 1)/√Var ≈ 1.44463
    const r = mannKendall([1, 2, 2, 3]);
    expect(r.s).toBe(5);
    expect(r.variance).toBeCloseTo(138 / 18, 12);
    expect(r.z).toBeCloseTo(1.4446302370292303, 10);
    expect(r.p).toBeCloseTo(0.1485617748918687, 7);
  });

  it('matches an independent S on a longer series with two tie groups', () => {
    // S checked against scipy.stats.kendalltau(range(11), x): tau-b = S / √(55·51) = 0.7741362848505949.
    const x = [3.1, 1.2, 4.4, 4.4, 5.0, 2.2, 6.1, 7.3, 7.3, 7.3, 8.0];
    const r = mannKendall(x);
    expect(r.s).toBe(41);
    expect(r.s / Math.sqrt(55 * 51)).toBeCloseTo(0.7741362848505949, 12);
    // Var = (11·10·27 − 2·1·9 − 3·2·11)/18 = 2886/18
    expect(r.variance).toBeCloseTo(2886 / 18, 10);
    expect(r.z).toBeCloseTo(3.1589887589559384, 10);
    expect(r.p).toBeCloseTo(0.0015831759674173578, 7);
  });

  it('finds no trend in a constant series', () => {
    const r = mannKendall([2, 2, 2, 2]);
    expect([r.s, r.variance, r.z]).toEqual([0, 0, 0]);
    expect(r.p).toBeCloseTo(1, 6);
  });

  it('refuses a series too short or with a non-finite value', () => {
    expect(() => mannKendall([1, 2])).toThrow(/at least 3 values, got 2/);
    expect(() => mannKendall([1, Number.POSITIVE_INFINITY, 3])).toThrow(/value 1 is Infinity/);
  });
});
