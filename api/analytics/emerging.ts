import { giStar, type GiStarResult } from './gistar.ts';
import { mannKendall, type MannKendall } from './mann-kendall.ts';

/**
 * Emerging hot spots: Gi* in every period, then a Mann-Kendall trend on each cell's series of Gi*
 * z-scores, then a pattern. This follows ESRI's "How Emerging Hot Spot Analysis works" (ArcGIS Pro
 * help), simplified in two ways, both written down for the analysts:
 * - the neighbourhood is spatial only (k rings in the same period); ArcGIS also counts the same
 *   cells in earlier periods ("neighbourhood time step");
 * - a period is "hot" when its Gi* class is ≥ +1 (90 % after FDR within that period), "cold" when ≤ −1.
 *
 * Rules, with n periods, h of them hot, and the final period last (cold patterns mirror these with
 * hot and cold swapped and the trend sign reversed):
 *   new            final hot, and no earlier period hot (h = 1)
 *   consecutive    final hot, the final run of hot periods has length ≥ 2 and is the only hot run, h/n < 0.9
 *   intensifying   h/n ≥ 0.9, final hot, z-score trend upward with p < TREND_ALPHA
 *   diminishing    h/n ≥ 0.9, final hot, z-score trend downward with p < TREND_ALPHA
 *   persistent     h/n ≥ 0.9, final hot, no significant trend
 *   historical     h/n ≥ 0.9, final not hot
 *   sporadic       final hot, h/n < 0.9, an earlier hot period outside the final run, never cold
 *   oscillating    as sporadic, but cold in some period
 *   none           anything else
 */
export const TREND_ALPHA = 0.05;
const MOST_PERIODS = 0.9;

export const EMERGING_PATTERNS = ['new', 'consecutive', 'intensifying', 'persistent', 'diminishing', 'historical', 'sporadic', 'oscillating'] as const;
export type EmergingPattern = (typeof EMERGING_PATTERNS)[number] | 'none';

export interface EmergingClass {
  pattern: EmergingPattern;
  /** Which kind of spot the pattern describes; null for 'none'. */
  spot: 'hot' | 'cold' | null;
}

/** Pattern of one cell from its per-period Gi* classes (-3..3) and the trend of its z-scores. */
export function classifyEmerging(classes: readonly number[], trend: Pick<MannKendall, 'z' | 'p'>): EmergingClass {
  if (classes.length < 3) throw new Error(`classifyEmerging: need at least 3 periods, got ${classes.length}`);
  for (const spot of ['hot', 'cold'] as const) {
    const sign = spot === 'hot' ? 1 : -1;
    const pattern = patternFor(
      classes.map((c) => c * sign >= 1),
      classes.map((c) => c * sign <= -1),
      trend.p < TREND_ALPHA ? Math.sign(trend.z) * sign : 0,
    );
    if (pattern !== 'none') return { pattern, spot };
  }
  return { pattern: 'none', spot: null };
}

/** `on` marks the periods that are spots of the kind asked about, `opposite` the other kind. */
function patternFor(on: boolean[], opposite: boolean[], trend: number): EmergingPattern {
  const n = on.length;
  const h = on.filter(Boolean).length;
  const final = on[n - 1]!;
  if (h / n >= MOST_PERIODS) {
    if (!final) return 'historical';
    return trend > 0 ? 'intensifying' : trend < 0 ? 'diminishing' : 'persistent';
  }
  if (!final) return 'none';
  if (h === 1) return 'new';
  let run = 0;
  while (run < n && on[n - 1 - run]) run++;
  if (run === h) return 'consecutive';
  return opposite.some(Boolean) ? 'oscillating' : 'sporadic';
}

export interface EmergingCell {
  counts: number[];
  z: number[];
  classes: number[];
  trend: MannKendall;
  pattern: EmergingPattern;
  spot: 'hot' | 'cold' | null;
}

/**
 * Per-period Gi* over the same study area and neighbourhoods, then the trend and the pattern of
 * each cell. counts[t][i] is the count of cell i in period t (oldest period first).
 */
export function emergingHotspots(counts: readonly (readonly number[])[], neighbours: readonly (readonly number[])[]): EmergingCell[] {
  if (counts.length < 3) throw new Error(`emergingHotspots: need at least 3 periods, got ${counts.length}`);
  const perPeriod: GiStarResult[][] = counts.map((values, t) => {
    if (values.length !== neighbours.length) throw new Error(`emergingHotspots: period ${t} has ${values.length} cells, expected ${neighbours.length}`);
    return giStar(values, neighbours);
  });
  return neighbours.map((_, i) => {
    const z = perPeriod.map((r) => r[i]!.z);
    const classes = perPeriod.map((r) => r[i]!.class);
    const trend = mannKendall(z);
    return { counts: counts.map((v) => v[i]!), z, classes, trend, ...classifyEmerging(classes, trend) };
  });
}
