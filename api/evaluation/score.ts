/**
 * 双向评价 combined score. Per role (grid leaders, police officers) and month:
 *
 *   computed = 100 × mean of the person's available normalised measures (each 0..1)
 *   manual   = 20 × mean manual rating (1–5 → 20–100)
 *   score    = 0.7 × computed + 0.3 × manual   (only one of them present: that one alone; neither: none)
 *
 * Measures — grid leaders: 信息采集准确率 info_accuracy_rate (correct / verified records of their
 * grids, a share), hazards_reported (more is better), mediation_success_rate (a share),
 * median_accept_hours (less is better); police: median_close_hours, median_ack_minutes,
 * median_arrive_minutes (less is better). Each measure present weighs the same in the mean.
 *
 * Normalisation is within the role among the rows given (the caller's scope): counts where more is
 * better as (v − min) / (max − min), durations where less is better as (max − v) / (max − min);
 * a measure on which every row is equal says nothing about the ranking and is left out. Rates that
 * are already shares (mediation success, info-collection accuracy) are used as they are. A measure
 * with nothing to count (null: no mediation ended, no record verified) is left out of that person's
 * mean, not taken as 0. Ranks are competition ranks (1, 2, 2, 4) within the role; no score, no rank.
 */
export const COMPUTED_WEIGHT = 0.7;
export const MANUAL_WEIGHT = 0.3;

export interface MeasureRow {
  staff_id: number;
  role: 'grid_leader' | 'police';
  hazards_reported: number;
  info_accuracy_rate: number | null;
  mediation_success_rate: number | null;
  median_accept_hours: number | null;
  median_close_hours: number | null;
  median_ack_minutes: number | null;
  median_arrive_minutes: number | null;
  rating_mean: number | null;
  [k: string]: unknown;
}

type Direction = 'higher' | 'lower' | 'share';
export const MEASURES: Record<MeasureRow['role'], [keyof MeasureRow & string, Direction][]> = {
  grid_leader: [['info_accuracy_rate', 'share'], ['hazards_reported', 'higher'], ['mediation_success_rate', 'share'], ['median_accept_hours', 'lower']],
  police: [['median_close_hours', 'lower'], ['median_ack_minutes', 'lower'], ['median_arrive_minutes', 'lower']],
};

export type Scored<T extends MeasureRow> = T & { computed_score: number | null; manual_score: number | null; score: number | null; rank: number | null };

const round1 = (v: number) => Math.round(v * 10) / 10;

/** Scores and ranks the rows of one role (rows of other roles are ignored). */
export function scoreRole<T extends MeasureRow>(rows: T[], role: MeasureRow['role']): Scored<T>[] {
  const mine = rows.filter((r) => r.role === role);
  const parts = new Map<T, number[]>(mine.map((r) => [r, []]));
  for (const [key, dir] of MEASURES[role]) {
    const values = mine.map((r) => r[key]).filter((v): v is number => typeof v === 'number');
    if (!values.length) continue;
    const min = Math.min(...values);
    const max = Math.max(...values);
    if (dir !== 'share' && max === min) continue;
    for (const r of mine) {
      const v = r[key];
      if (typeof v !== 'number') continue;
      const n = dir === 'share' ? v : dir === 'higher' ? (v - min) / (max - min) : (max - v) / (max - min);
      parts.get(r)!.push(n);
    }
  }
  const scored = mine.map((r) => {
    const p = parts.get(r)!;
    const computed = p.length ? (100 * p.reduce((a, b) => a + b, 0)) / p.length : null;
    const manual = r.rating_mean === null ? null : 20 * r.rating_mean;
    const score = computed !== null && manual !== null ? COMPUTED_WEIGHT * computed + MANUAL_WEIGHT * manual : (computed ?? manual);
    return {
      ...r,
      computed_score: computed === null ? null : round1(computed),
      manual_score: manual === null ? null : round1(manual),
      score: score === null ? null : round1(score),
      rank: null as number | null,
    };
  });
  for (const r of scored) {
    if (r.score !== null) r.rank = 1 + scored.filter((o) => o.score !== null && o.score > r.score!).length;
  }
  return scored.sort((a, b) => (a.rank ?? Infinity) - (b.rank ?? Infinity) || a.staff_id - b.staff_id);
}
