import { checkLonLat, type LonLat } from './geo.ts';

/**
 * Ranking of precise-patrol (精准巡防) targets: H3 cells scored by the incidents of the relevant
 * types at the shift's hours, weighted by recency, raised by a Gi* hot class and lowered when the
 * cell was patrolled recently; key locations below their required frequency are mandatory. Every
 * target carries the reason it was chosen, in the words a patrol leader uses.
 *
 *   incidents  = Σ 0.5^(age_days / halfLifeDays)            over incidents at the shift's hours
 *   patrolled  = floor + (1 − floor)·(1 − e^(−days_since_pass / tauDays)), 1 when never passed
 *   score      = incidents · giFactor[class] · patrolled
 *
 * The floor keeps a hot cell patrolled an hour ago on the list (lower), rather than erasing it.
 */

export type GiClass = 'hot99' | 'hot95' | 'hot90' | null;

export interface CellCandidate {
  /** H3 index (hex). */
  id: string;
  position: LonLat;
  /** Incidents at the shift's hours in the look-back window: age in days at the shift start, type label. */
  incidents: readonly { ageDays: number; label: string }[];
  /** Days since the last patrol pass through the cell, null when never passed in the look-back. */
  daysSincePass: number | null;
  gi: GiClass;
}

export interface KeyLocationCandidate {
  id: string;
  name: string;
  /** Type label (学校, 市场…). */
  kind: string;
  position: LonLat;
  requiredPassesWeek: number;
  passesLast7Days: number;
  daysSincePass: number | null;
}

export interface ScoreOptions {
  halfLifeDays: number;
  tauDays: number;
  floor: number;
  giFactor: Record<Exclude<GiClass, null>, number>;
  /** Look-back window in days (for the reason text). */
  windowDays: number;
  /** Shift hours for the reason text, e.g. "19-22时". */
  hoursLabel: string;
  /** Minutes of dwell at a cell target and at a key location. */
  dwellCellMin: number;
  dwellKeyMin: number;
  /** Cells scoring below this share of the best cell are not targets. */
  minShareOfBest: number;
  maxTargets: number;
}

export const DEFAULT_SCORE_OPTIONS: ScoreOptions = {
  halfLifeDays: 14,
  tauDays: 3,
  floor: 0.25,
  giFactor: { hot99: 1.5, hot95: 1.3, hot90: 1.15 },
  windowDays: 30,
  hoursLabel: '',
  dwellCellMin: 10,
  dwellKeyMin: 5,
  minShareOfBest: 0.1,
  maxTargets: 40,
};

export interface ScoredTarget {
  kind: 'h3_cell' | 'key_location';
  id: string;
  position: LonLat;
  score: number;
  mandatory: boolean;
  dwellMin: number;
  reason: string;
}

export function recencyWeight(ageDays: number, halfLifeDays: number): number {
  if (!(ageDays >= 0)) throw new RangeError(`incident age must be ≥ 0 days, got ${ageDays}`);
  return 0.5 ** (ageDays / halfLifeDays);
}

export function patrolFactor(daysSincePass: number | null, tauDays: number, floor: number): number {
  if (daysSincePass === null) return 1;
  if (!(daysSincePass >= 0)) throw new RangeError(`days since the last pass must be ≥ 0, got ${daysSincePass}`);
  return floor + (1 - floor) * (1 - Math.exp(-daysSincePass / tauDays));
}

const GI_LABEL: Record<Exclude<GiClass, null>, string> = { hot99: 'Gi*热点(99%)', hot95: 'Gi*热点(95%)', hot90: 'Gi*热点(90%)' };

function passText(days: number | null, windowDays: number): string {
  if (days === null) return `近${windowDays}天未巡`;
  if (days < 1) return '今日已巡';
  return `已${Math.floor(days)}天未巡`;
}

export function scoreCell(c: CellCandidate, o: ScoreOptions): { score: number; reason: string } {
  let incidents = 0;
  const byLabel = new Map<string, number>();
  for (const inc of c.incidents) {
    incidents += recencyWeight(inc.ageDays, o.halfLifeDays);
    byLabel.set(inc.label, (byLabel.get(inc.label) ?? 0) + 1);
  }
  const score = incidents * (c.gi ? o.giFactor[c.gi] : 1) * patrolFactor(c.daysSincePass, o.tauDays, o.floor);
  const counts = [...byLabel].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).map(([l, n]) => `${l}${n}起`).join('、');
  const reason = `近${o.windowDays}天${o.hoursLabel}${counts}，${passText(c.daysSincePass, o.windowDays)}${c.gi ? `，${GI_LABEL[c.gi]}` : ''}`;
  return { score, reason };
}

export function rankTargets(
  cells: readonly CellCandidate[],
  keyLocations: readonly KeyLocationCandidate[],
  options: Partial<ScoreOptions> = {},
): ScoredTarget[] {
  const o = { ...DEFAULT_SCORE_OPTIONS, ...options };
  if (!(o.halfLifeDays > 0)) throw new RangeError(`halfLifeDays must be > 0, got ${o.halfLifeDays}`);
  if (!(o.tauDays > 0)) throw new RangeError(`tauDays must be > 0, got ${o.tauDays}`);
  if (!(o.floor >= 0 && o.floor <= 1)) throw new RangeError(`floor must be within 0..1, got ${o.floor}`);
  cells.forEach((c, i) => checkLonLat(c.position, `cells[${i}] (${c.id}) position`));
  keyLocations.forEach((k, i) => checkLonLat(k.position, `keyLocations[${i}] (${k.id}) position`));

  const scored = cells
    .filter((c) => c.incidents.length > 0)
    .map((c) => ({ c, ...scoreCell(c, o) }))
    .sort((a, b) => b.score - a.score || a.c.id.localeCompare(b.c.id));
  const best = scored[0]?.score ?? 0;
  const cellTargets: ScoredTarget[] = scored
    .filter((s) => s.score >= best * o.minShareOfBest)
    .map((s) => ({ kind: 'h3_cell', id: s.c.id, position: s.c.position, score: s.score, mandatory: false, dwellMin: o.dwellCellMin, reason: s.reason }));

  const keyTargets: ScoredTarget[] = keyLocations
    .filter((k) => k.passesLast7Days < k.requiredPassesWeek)
    .map((k) => {
      const missing = k.requiredPassesWeek - k.passesLast7Days;
      return {
        kind: 'key_location' as const,
        id: k.id,
        position: k.position,
        // Above every cell: a duty, not a preference. Larger shortfalls first.
        score: best + missing,
        mandatory: true,
        dwellMin: o.dwellKeyMin,
        reason: `重点部位·${k.kind}「${k.name}」：每周应巡${k.requiredPassesWeek}次，近7天${k.passesLast7Days}次，${passText(k.daysSincePass, 7)}`,
      };
    })
    .sort((a, b) => b.score - a.score || a.id.localeCompare(b.id));

  return [...keyTargets, ...cellTargets].slice(0, Math.max(o.maxTargets, keyTargets.length));
}
