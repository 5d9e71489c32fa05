import { twoSidedP } from './stats.ts';

/**
 * Mann-Kendall trend test (Mann 1945, "Nonparametric tests against trend", Econometrica 13;
 * Kendall 1975, "Rank Correlation Methods"), in the form given by Gilbert (1987) "Statistical
 * Methods for Environmental Pollution Monitoring", ch. 16:
 *
 *   S      = Σ_{i<j} sign(x_j − x_i)
 *   Var(S) = [ n(n−1)(2n+5) − Σ_p t_p(t_p−1)(2t_p+5) ] / 18     (t_p = size of the p-th group of ties)
 *   Z      = (S − 1)/√Var(S) if S > 0,  0 if S = 0,  (S + 1)/√Var(S) if S < 0   (continuity correction)
 *
 * and a two-sided p-value from the normal approximation (the usual choice for n ≥ 3 in hotspot
 * tools; exact tables matter only for very short series, where nothing is significant anyway).
 */
export interface MannKendall {
  n: number;
  s: number;
  variance: number;
  z: number;
  p: number;
}

export function mannKendall(series: readonly number[]): MannKendall {
  const n = series.length;
  if (n < 3) throw new Error(`mannKendall: a trend needs at least 3 values, got ${n}`);
  series.forEach((x, i) => {
    if (!Number.isFinite(x)) throw new Error(`mannKendall: value ${i} is ${x}`);
  });
  let s = 0;
  for (let i = 0; i < n - 1; i++) for (let j = i + 1; j < n; j++) s += Math.sign(series[j]! - series[i]!);
  const ties = new Map<number, number>();
  for (const x of series) ties.set(x, (ties.get(x) ?? 0) + 1);
  let tieTerm = 0;
  for (const t of ties.values()) tieTerm += t * (t - 1) * (2 * t + 5);
  const variance = (n * (n - 1) * (2 * n + 5) - tieTerm) / 18;
  // A constant series has Var(S) = 0 and S = 0: no evidence of a trend.
  const z = variance > 0 && s !== 0 ? (s - Math.sign(s)) / Math.sqrt(variance) : 0;
  return { n, s, variance, z, p: twoSidedP(z) };
}
