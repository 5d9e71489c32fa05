import { distance } from '@turf/turf';
import { cellToLatLng, gridDistance } from 'h3-js';
import { describe, expect, it } from 'vitest';
import { giStar, h3Neighbours } from './gistar.ts';
import { goldenOutput, readGoldenInput, rounded } from './golden.ts';

interface Input {
  k: number;
  cells: string[];
  counts: number[];
}

describe('Gi* on a hand-computed example', () => {
  it('a line of five features, values 0 0 10 0 0, neighbours i-1..i+1', () => {
    // n = 5, X̄ = 2, S = √(100/5 − 2²) = 4.
    // Middle three: Σwx = 10, W = 3 → (10 − 2·3) / (4·√((5·3 − 9)/4)) = 4 / (4·√1.5) = √(2/3).
    // Ends: Σwx = 0, W = 2 → (0 − 2·2) / (4·√((5·2 − 4)/4)) = −√(2/3).
    const line = [[0, 1], [0, 1, 2], [1, 2, 3], [2, 3, 4], [3, 4]];
    const r = giStar([0, 0, 10, 0, 0], line);
    const s = Math.sqrt(2 / 3);
    expect(r.map((x) => x.z)).toEqual([-s, s, s, s, -s].map((v) => expect.closeTo(v, 12)));
    expect(r.map((x) => x.neighbours)).toEqual([2, 3, 3, 3, 2]);
    expect(r.every((x) => x.class === 0)).toBe(true);
  });

  it('19 H3 cells: 10 in the centre, 5 in ring 1, 0 in ring 2, k = 1', () => {
    const input = readGoldenInput<Input>('gistar_hand_19');
    const centre = input.cells[input.counts.indexOf(10)]!;
    // n = 19, Σx = 10 + 6·5 = 40, X̄ = 40/19, Σx² = 100 + 6·25 = 250,
    // S = √(250/19 − (40/19)²) = √3150 / 19 ≈ 2.953940.
    const n = 19;
    const mean = 40 / 19;
    const S = Math.sqrt(3150) / 19;
    const z = (sum: number, w: number) => (sum - mean * w) / (S * Math.sqrt((n * w - w * w) / (n - 1)));
    // centre: its ring holds itself and the six ring-1 cells: Σ = 40, W = 7 → z ≈ 3.958973
    // ring 1: itself, the centre, two ring-1 and three ring-2 cells: Σ = 25, W = 7 → z ≈ 1.608333
    // ring 2, at a corner of the hexagon: one ring-1 and two ring-2 neighbours (three fall outside the
    // study area): Σ = 5, W = 4 → z ≈ −0.634359; on an edge: two ring-1, two ring-2: Σ = 10, W = 5 → z ≈ −0.090353
    expect(z(40, 7)).toBeCloseTo(3.958973, 5);
    expect(z(25, 7)).toBeCloseTo(1.608333, 5);
    expect(z(5, 4)).toBeCloseTo(-0.634335, 5);
    expect(z(10, 5)).toBeCloseTo(-0.090351, 5);
    const r = giStar(input.counts, h3Neighbours(input.cells, input.k));
    input.cells.forEach((cell, i) => {
      const ring = gridDistance(centre, cell);
      const got = r[i]!;
      if (ring === 0) expect(got.z).toBeCloseTo(3.958973, 5);
      else if (ring === 1) expect(got.z).toBeCloseTo(1.608333, 5);
      else expect(got.z).toBeCloseTo(got.neighbours === 4 ? -0.634335 : -0.090351, 5);
    });
    // FDR over 19 tests: the centre's p ≈ 7.53e-5 becomes q = 19·p ≈ 1.43e-3: hot at 99 %. The six
    // ring-1 cells (p ≈ 0.1078) adjust to ≈ 0.29: not significant.
    expect(r.map((x) => x.class).sort()).toEqual([...Array(18).fill(0), 3]);
    const c = r[input.cells.indexOf(centre)]!;
    expect(c.p).toBeCloseTo(7.527e-5, 7);
    expect(c.q).toBeCloseTo(19 * c.p, 10);
    expect(r.filter((x) => x.neighbours === 4)).toHaveLength(6);
  });
});

describe('Gi* against an independent computation', () => {
  /**
   * Neighbours from turf distances between cell centres instead of H3's grid topology, and the
   * statistic in Getis & Ord's original (1992) moment form: G*_i = Σ_j w_ij x_j / Σ_j x_j,
   * E[G*_i] = W_i / n, Var[G*_i] = W_i (n − W_i) Y₂ / (n² (n − 1) Y₁²), Y₁ = Σx/n, Y₂ = Σx²/n − Y₁².
   */
  function reference(input: Input): number[] {
    const centres = input.cells.map((c) => {
      const [lat, lon] = cellToLatLng(c);
      return [lon, lat] as [number, number];
    });
    // With d the spacing of adjacent centres, ring 1 lies at d, ring 2 at √3·d..2d, ring 3 from
    // √7·d ≈ 2.65d: cut in between. d is measured on the data, so H3's topology is not used.
    let d = Infinity;
    centres.forEach((a, i) => centres.forEach((b, j) => {
      if (i < j) d = Math.min(d, distance(a, b, { units: 'kilometers' }));
    }));
    const limit = input.k === 1 ? 1.45 * d : input.k === 2 ? 2.3 * d : Number.NaN;
    const x = input.counts;
    const n = x.length;
    const y1 = x.reduce((a, b) => a + b, 0) / n;
    const y2 = x.reduce((a, b) => a + b * b, 0) / n - y1 * y1;
    return centres.map((ci) => {
      let w = 0;
      let local = 0;
      centres.forEach((cj, j) => {
        if (distance(ci, cj, { units: 'kilometers' }) <= limit) {
          w += 1;
          local += x[j]!;
        }
      });
      const g = local / (y1 * n);
      const variance = (w * (n - w) * y2) / (n * n * (n - 1) * y1 * y1);
      return (g - w / n) / Math.sqrt(variance);
    });
  }

  it('agrees to 1e-9 on generated counts with two planted clusters (k = 2)', () => {
    const input = readGoldenInput<Input>('gistar_generated_res9');
    const ours = giStar(input.counts, h3Neighbours(input.cells, input.k)).map((r) => r.z);
    const ref = reference(input);
    ours.forEach((z, i) => expect(z).toBeCloseTo(ref[i]!, 9));
    // The planted clusters come out hot; nothing comes out cold at 99 %.
    const classes = giStar(input.counts, h3Neighbours(input.cells, input.k)).map((r) => r.class);
    expect(classes.filter((c) => c === 3).length).toBeGreaterThan(5);
    expect(classes.filter((c) => c === -3)).toHaveLength(0);
  });

  it('agrees with k = 1 on the hand example', () => {
    const input = readGoldenInput<Input>('gistar_hand_19');
    const ours = giStar(input.counts, h3Neighbours(input.cells, 1)).map((r) => r.z);
    reference(input).forEach((z, i) => expect(ours[i]).toBeCloseTo(z, 9));
  });
});

describe('Gi* golden output', () => {
  it.each(['gistar_hand_19', 'gistar_generated_res9'])('%s', (name) => {
    const input = readGoldenInput<Input>(name);
    const actual = rounded(giStar(input.counts, h3Neighbours(input.cells, input.k)).map((r, i) => ({ cell: input.cells[i], n: input.counts[i], ...r })));
    expect(actual).toEqual(goldenOutput(name, actual));
  });
});

describe('Gi* argument checks', () => {
  it('refuses inputs it cannot analyse, with the reason', () => {
    expect(() => giStar([1], [[0]])).toThrow(/at least 2 features/);
    expect(() => giStar([1, 2], [[0]])).toThrow(/2 values but 1 neighbour lists/);
    expect(() => giStar([1, 2], [[1], [1]])).toThrow(/feature 0 is not in its own neighbourhood/);
    expect(() => giStar([1, Number.NaN], [[0], [1]])).toThrow(/value 1 is NaN/);
    expect(() => h3Neighbours(['89283082803ffff'], 0)).toThrow(/k must be a positive integer/);
  });

  it('a study area without variance, or one neighbourhood covering it all, gives z = 0', () => {
    expect(giStar([3, 3, 3], [[0, 1], [0, 1, 2], [1, 2]]).map((r) => r.z)).toEqual([0, 0, 0]);
    expect(giStar([1, 5], [[0, 1], [0, 1]]).map((r) => [r.z, r.p])).toEqual([[0, expect.closeTo(1, 6)], [0, expect.closeTo(1, 6)]]);
  });
});
