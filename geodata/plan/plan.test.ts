import { describe, expect, it } from 'vitest';
import { haversineM, localFrame, type LonLat } from './geo.ts';
import { checkCompliance, completion, insideInterval, type Fix } from './compliance.ts';
import { nearestNeighbour, planRoutes, tourLength, twoOpt, type RouteTarget } from './route.ts';
import { patrolFactor, rankTargets, recencyWeight, type CellCandidate } from './score.ts';

/** Deterministic pseudo-random numbers (mulberry32) so failures reproduce. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const ORIGIN: LonLat = [113.52, 33.31];
/** A point dx, dy metres from ORIGIN (on the same sphere as geo.ts, so distances come out exact). */
const M_PER_DEG = (6_371_008.8 * Math.PI) / 180;
function at(dx: number, dy: number): LonLat {
  return [ORIGIN[0] + dx / (M_PER_DEG * Math.cos((ORIGIN[1] * Math.PI) / 180)), ORIGIN[1] + dy / M_PER_DEG];
}

function distanceMatrix(points: LonLat[]): number[][] {
  return points.map((a) => points.map((b) => haversineM(a, b)));
}

function permutations(xs: number[]): number[][] {
  if (xs.length <= 1) return [xs];
  return xs.flatMap((x, i) => permutations([...xs.slice(0, i), ...xs.slice(i + 1)]).map((p) => [x, ...p]));
}

describe('scoring', () => {
  const base: CellCandidate = { id: 'a', position: at(0, 0), incidents: [], daysSincePass: null, gi: null };

  it('weights incidents by recency: half weight after one half-life', () => {
    expect(recencyWeight(0, 14)).toBe(1);
    expect(recencyWeight(14, 14)).toBeCloseTo(0.5, 12);
    expect(() => recencyWeight(-1, 14)).toThrow('incident age must be ≥ 0 days, got -1');
  });

  it('a cell with more recent incidents ranks higher than one with older incidents', () => {
    const recent = { ...base, id: 'recent', incidents: [{ ageDays: 1, label: '盗窃' }, { ageDays: 2, label: '盗窃' }] };
    const old = { ...base, id: 'old', incidents: [{ ageDays: 25, label: '盗窃' }, { ageDays: 28, label: '盗窃' }] };
    const ranked = rankTargets([old, recent], []);
    expect(ranked.map((t) => t.id)).toEqual(['recent', 'old']);
  });

  it('a cell with more incidents ranks higher at equal recency', () => {
    const more = { ...base, id: 'more', incidents: [1, 2, 3].map((d) => ({ ageDays: d, label: '盗窃' })) };
    const fewer = { ...base, id: 'fewer', incidents: [1, 2].map((d) => ({ ageDays: d, label: '盗窃' })) };
    expect(rankTargets([fewer, more], []).map((t) => t.id)).toEqual(['more', 'fewer']);
  });

  it('a recently patrolled cell ranks lower than the same cell unpatrolled', () => {
    const incidents = [{ ageDays: 3, label: '盗窃' }];
    const patrolled = { ...base, id: 'patrolled', incidents, daysSincePass: 0.5 };
    const neglected = { ...base, id: 'neglected', incidents, daysSincePass: 9 };
    const never = { ...base, id: 'never', incidents, daysSincePass: null };
    const ranked = rankTargets([patrolled, neglected, never], [], { minShareOfBest: 0 });
    expect(ranked.map((t) => t.id)).toEqual(['never', 'neglected', 'patrolled']);
    expect(patrolFactor(0, 3, 0.25)).toBe(0.25);
    expect(patrolFactor(null, 3, 0.25)).toBe(1);
  });

  it('a Gi* hot class raises the score by its factor', () => {
    const incidents = [{ ageDays: 0, label: '盗窃' }];
    const [hot, plain] = rankTargets([{ ...base, id: 'plain', incidents }, { ...base, id: 'hot', incidents, gi: 'hot99' }], []);
    expect(hot!.id).toBe('hot');
    expect(hot!.score / plain!.score).toBeCloseTo(1.5, 12);
  });

  it('writes the reason a patrol leader reads', () => {
    const cell = { ...base, incidents: [...Array(7)].map((_, i) => ({ ageDays: i, label: '盗窃' })).concat([{ ageDays: 2, label: '打架斗殴' }]), daysSincePass: 5.4, gi: 'hot95' as const };
    const [t] = rankTargets([cell], [], { hoursLabel: '19-22时', windowDays: 30 });
    expect(t!.reason).toBe('近30天19-22时盗窃7起、打架斗殴1起，已5天未巡，Gi*热点(95%)');
  });

  it('key locations below their weekly frequency are mandatory and listed first', () => {
    const cell = { ...base, incidents: [{ ageDays: 0, label: '盗窃' }] };
    const ranked = rankTargets([cell], [
      { id: 'k1', name: '院岭小学', kind: '学校', position: at(100, 0), requiredPassesWeek: 3, passesLast7Days: 1, daysSincePass: 2 },
      { id: 'k2', name: '农商银行', kind: '银行', position: at(0, 100), requiredPassesWeek: 2, passesLast7Days: 2, daysSincePass: 1 },
    ]);
    expect(ranked.map((t) => [t.id, t.mandatory])).toEqual([['k1', true], ['a', false]]);
    expect(ranked[0]!.reason).toBe('重点部位·学校「院岭小学」：每周应巡3次，近7天1次，已2天未巡');
  });

  it('refuses bad arguments with the offending item named', () => {
    expect(() => rankTargets([{ ...base, id: 'x', position: [200, 0] }], [])).toThrow('cells[0] (x) position: longitude 200 is not within -180..180');
    expect(() => rankTargets([], [], { halfLifeDays: 0 })).toThrow('halfLifeDays must be > 0, got 0');
  });
});

describe('routing', () => {
  it('2-opt never lengthens a route (200 random instances)', () => {
    const r = rng(7);
    for (let k = 0; k < 200; k++) {
      const n = 3 + Math.floor(r() * 25);
      const pts = Array.from({ length: n }, () => at(r() * 3000, r() * 3000));
      const d = distanceMatrix(pts);
      // A random starting order, the harder case, as well as nearest neighbour.
      const random = Array.from({ length: n - 1 }, (_, i) => i + 1).sort(() => r() - 0.5);
      for (const start of [random, nearestNeighbour(d)]) {
        expect(tourLength(twoOpt(start, d), d)).toBeLessThanOrEqual(tourLength(start, d) + 1e-6);
      }
    }
  });

  it('nearest neighbour + 2-opt stays within 10% of the optimum on small instances solved exactly', () => {
    const r = rng(11);
    let worst = 1;
    for (let k = 0; k < 60; k++) {
      const n = 4 + Math.floor(r() * 5); // 4..8 nodes including the start: ≤ 5,040 tours
      const pts = Array.from({ length: n }, () => at(r() * 2000, r() * 2000));
      const d = distanceMatrix(pts);
      const optimum = Math.min(...permutations(Array.from({ length: n - 1 }, (_, i) => i + 1)).map((p) => tourLength(p, d)));
      const ours = tourLength(twoOpt(nearestNeighbour(d), d), d);
      expect(ours).toBeGreaterThanOrEqual(optimum - 1e-6);
      worst = Math.max(worst, ours / optimum);
    }
    expect(worst).toBeLessThanOrEqual(1.1);
  });

  it('visits a square in perimeter order and times the stops', () => {
    const targets: RouteTarget[] = [at(1000, 1000), at(0, 1000), at(1000, 0)].map((p, i) => ({ id: `t${i}`, position: p, dwellMin: 10, score: 1, mandatory: false }));
    const plan = planRoutes(targets, { start: ORIGIN, teams: 1, shiftMin: 240, speedKmh: 6, detourFactor: 1 });
    const route = plan.teams[0]!;
    expect(route.stops.map((s) => s.id)).toSatisfy((ids: string[]) => ids.join() === 't2,t0,t1' || ids.join() === 't1,t0,t2');
    expect(route.lengthM).toBeCloseTo(4000, -1); // within 5 m: the square's perimeter
    // 1 km at 6 km/h = 10 min to the first stop; then 10 min dwell + 10 min to the second.
    expect(route.stops[0]!.arriveMin).toBeCloseTo(10, 1);
    expect(route.stops[1]!.arriveMin).toBeCloseTo(30, 1);
    expect(route.durationMin).toBeCloseTo(40 + 30, 1);
    expect(plan.distanceModel).toBe('straight_line');
  });

  it('drops the lowest-scored optional stops to fit the shift, never a mandatory one', () => {
    const targets: RouteTarget[] = [
      { id: 'far-mandatory', position: at(2000, 0), dwellMin: 5, score: 0.1, mandatory: true },
      { id: 'near-high', position: at(0, 200), dwellMin: 5, score: 9, mandatory: false },
      { id: 'far-low', position: at(-2000, 0), dwellMin: 5, score: 0.5, mandatory: false },
    ];
    // 4.5 km/h, 60 min: the mandatory return trip alone is 4 km ≈ 53 min + 5 min dwell.
    const plan = planRoutes(targets, { start: ORIGIN, teams: 1, shiftMin: 60, speedKmh: 4.5, detourFactor: 1 });
    expect(plan.teams[0]!.stops.map((s) => s.id)).toEqual(['far-mandatory']);
    expect(plan.dropped).toEqual(['near-high', 'far-low']);
  });

  it('splits targets among teams without losing or repeating any', () => {
    const r = rng(3);
    const targets: RouteTarget[] = Array.from({ length: 30 }, (_, i) => ({ id: `c${i}`, position: at(r() * 4000 - 2000, r() * 4000 - 2000), dwellMin: 5, score: r(), mandatory: false }));
    const plan = planRoutes(targets, { start: ORIGIN, teams: 3, shiftMin: 600, speedKmh: 15 });
    expect(plan.teams).toHaveLength(3);
    const ids = plan.teams.flatMap((t) => t.stops.map((s) => s.id));
    expect(new Set(ids).size).toBe(30);
    expect(plan.teams.every((t) => t.stops.length > 0)).toBe(true);
  });

  it('refuses bad arguments precisely', () => {
    expect(() => planRoutes([], { start: ORIGIN, teams: 0, shiftMin: 60, speedKmh: 5 })).toThrow('teams must be an integer 1..50, got 0');
    const t = { id: 'x', position: at(0, 0), dwellMin: 5, score: 1, mandatory: false };
    expect(() => planRoutes([t, t], { start: ORIGIN, teams: 1, shiftMin: 60, speedKmh: 5 })).toThrow('targets[1]: duplicate id x');
  });
});

describe('compliance', () => {
  const T0 = Date.parse('2026-11-20T11:00:00Z');
  const stop = { id: 's1', position: at(0, 0), dwellMin: 5 };
  const opts = { radiusM: 50, maxGapS: 300, from: T0, to: T0 + 4 * 3600_000 };
  /** A device walking along y = offset from x0 to x1 at 1 m/s, one fix every 20 s. */
  function walk(deviceId: number, x0: number, x1: number, offset: number, start = T0): Fix[] {
    const fixes: Fix[] = [];
    const step = x1 > x0 ? 20 : -20;
    for (let x = x0, t = start; step > 0 ? x <= x1 : x >= x1; x += step, t += 20_000) fixes.push({ deviceId, t, position: at(x, offset) });
    return fixes;
  }
  function stay(deviceId: number, minutes: number, start: number): Fix[] {
    return Array.from({ length: minutes * 2 + 1 }, (_, i) => ({ deviceId, t: start + i * 30_000, position: at(5, 5) }));
  }

  it('the segment-circle interval is exact on a straight pass', () => {
    const f = localFrame(ORIGIN);
    const iv = insideInterval(f, ORIGIN, at(-100, 0), at(100, 0), 50)!;
    expect(iv[0]).toBeCloseTo(0.25, 4);
    expect(iv[1]).toBeCloseTo(0.75, 4);
    expect(insideInterval(f, ORIGIN, at(-100, 60), at(100, 60), 50)).toBeNull();
  });

  it('a track that passes 30 m away visits the stop; one 80 m away does not', () => {
    const [near] = checkCompliance([stop], walk(1, -300, 300, 30), opts);
    expect(near!.visited).toBe(true);
    // 2·√(50² − 30²) = 80 m inside the radius at 1 m/s: 80 s, short of the 5 minutes planned.
    expect(near!.dwellMin * 60).toBeCloseTo(80, 0);
    expect(near!.complied).toBe(false);
    const [far] = checkCompliance([stop], walk(1, -300, 300, 80), opts);
    expect(far!.visited).toBe(false);
    expect(far!.closestM).toBeCloseTo(80, 0);
  });

  it('passing between two fixes counts (no fix inside the radius)', () => {
    const fixes: Fix[] = [{ deviceId: 1, t: T0, position: at(-200, 0) }, { deviceId: 1, t: T0 + 120_000, position: at(200, 0) }];
    const [r] = checkCompliance([stop], fixes, opts);
    expect(r!.visited).toBe(true);
    expect(r!.arrivedAt).toBe(T0 + 45_000); // enters at x = −50 m, 150/400 of 120 s
  });

  it('a stay of 6 minutes complies with a 5-minute dwell; 4 minutes does not', () => {
    expect(checkCompliance([stop], stay(2, 6, T0 + 600_000), opts)[0]!.complied).toBe(true);
    const four = checkCompliance([stop], stay(2, 4, T0 + 600_000), opts)[0]!;
    expect(four.complied).toBe(false);
    expect(four.dwellMin).toBeCloseTo(4, 6);
    expect(four.arrivedAt).toBe(T0 + 600_000);
  });

  it('fixes outside the shift and gaps over 5 min do not count', () => {
    expect(checkCompliance([stop], stay(2, 10, T0 - 3600_000), opts)[0]!.visited).toBe(false);
    const gap: Fix[] = [{ deviceId: 1, t: T0, position: at(-200, 0) }, { deviceId: 1, t: T0 + 600_000, position: at(200, 0) }];
    expect(checkCompliance([stop], gap, opts)[0]!.visited).toBe(false);
  });

  it('completion is the share of complied stops', () => {
    const stops = [stop, { id: 's2', position: at(1000, 1000), dwellMin: 0 }];
    const res = checkCompliance(stops, stay(2, 6, T0), opts);
    expect(res.map((r) => r.complied)).toEqual([true, false]);
    expect(completion(res)).toBe(0.5);
    expect(completion([])).toBeNull();
  });
});
