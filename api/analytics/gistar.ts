import { gridDisk } from 'h3-js';
import { benjaminiHochberg, confidenceClass, twoSidedP } from './stats.ts';

/**
 * Getis-Ord Gi* with binary weights, as in Getis & Ord (1992) "The analysis of spatial association
 * by use of distance statistics", Geographical Analysis 24(3), and Ord & Getis (1995) "Local spatial
 * autocorrelation statistics: distributional issues and an application", Geographical Analysis
 * 27(4), eq. (14); the form below is the one ESRI documents in "How Hot Spot Analysis (Getis-Ord
 * Gi*) works" (ArcGIS Pro help), which is already a z-score:
 *
 *            Σ_j w_ij x_j − X̄ Σ_j w_ij
 *   G*_i = ─────────────────────────────────────────      X̄ = Σ_j x_j / n
 *           S · √[ (n Σ_j w_ij² − (Σ_j w_ij)²) / (n−1) ]   S = √( Σ_j x_j² / n − X̄² )
 *
 * j runs over the whole study area (n features) and the neighbourhood of i includes i itself (the
 * "star"). With binary weights Σ w_ij = Σ w_ij² = W_i, the number of neighbours of i inside the
 * study area, so cells on the edge of the area simply have a smaller W_i.
 */
export interface GiStarResult {
  z: number;
  /** Two-sided p-value of z under the normal approximation. */
  p: number;
  /** Benjamini–Hochberg adjusted p-value over the whole study area (false discovery rate). */
  q: number;
  /** -3..3: cold/hot at 99/95/90 % confidence after FDR correction, 0 = not significant. */
  class: number;
  /** W_i, neighbours counted (self included). */
  neighbours: number;
}

/**
 * Gi* for features 0..n-1 with values x and binary neighbour lists (each list must contain the
 * feature itself). A study area with no variance, or a neighbourhood covering all of it, carries no
 * information: z = 0, p = 1.
 */
export function giStar(values: readonly number[], neighbours: readonly (readonly number[])[]): GiStarResult[] {
  const n = values.length;
  if (neighbours.length !== n) throw new Error(`giStar: ${n} values but ${neighbours.length} neighbour lists`);
  if (n < 2) throw new Error(`giStar: a study area needs at least 2 features, got ${n}`);
  let sum = 0;
  values.forEach((x, i) => {
    if (!Number.isFinite(x)) throw new Error(`giStar: value ${i} is ${x}`);
    sum += x;
  });
  const mean = sum / n;
  // Two passes (Σ(x − X̄)² rather than Σx² − nX̄²): the same S, without cancellation, so a study
  // area of equal values has S exactly 0.
  let squares = 0;
  for (const x of values) squares += (x - mean) ** 2;
  const s = Math.sqrt(squares / n);
  const z = neighbours.map((list, i) => {
    if (!list.includes(i)) throw new Error(`giStar: feature ${i} is not in its own neighbourhood (Gi* includes self)`);
    let local = 0;
    for (const j of list) {
      const x = values[j];
      if (x === undefined) throw new Error(`giStar: feature ${i} has neighbour ${j}, outside 0..${n - 1}`);
      local += x;
    }
    const w = list.length;
    const denominator = s * Math.sqrt((n * w - w * w) / (n - 1));
    return denominator > 0 ? (local - mean * w) / denominator : 0;
  });
  const p = z.map(twoSidedP);
  const q = benjaminiHochberg(p);
  return z.map((zi, i) => ({ z: zi, p: p[i]!, q: q[i]!, class: confidenceClass(zi, q[i]!), neighbours: neighbours[i]!.length }));
}

/** For each cell (hex H3 index), the indexes of the study-area cells within k rings of it, itself included. */
export function h3Neighbours(cells: readonly string[], k: number): number[][] {
  if (!Number.isInteger(k) || k < 1) throw new Error(`h3Neighbours: k must be a positive integer, got ${k}`);
  const index = new Map(cells.map((c, i) => [c, i]));
  if (index.size !== cells.length) throw new Error('h3Neighbours: the study area lists a cell twice');
  return cells.map((c) => {
    const out: number[] = [];
    for (const d of gridDisk(c, k)) {
      const j = index.get(d);
      if (j !== undefined) out.push(j);
    }
    return out;
  });
}
