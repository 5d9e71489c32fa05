import { checkLonLat, haversineM, type LonLat } from './geo.ts';

/**
 * Patrol routes: targets split among teams, each team's stops ordered by nearest neighbour and
 * improved by 2-opt, then trimmed to the shift. Distances are straight lines (haversine) times a
 * detour factor unless the caller passes its own distance function (e.g. over a street network).
 */

export interface RouteTarget {
  id: string;
  position: LonLat;
  /** Minutes to stay at the stop. */
  dwellMin: number;
  /** Higher is more important; the lowest-scored optional stops are dropped first. */
  score: number;
  /** Mandatory stops (key locations below their required frequency) are never dropped. */
  mandatory: boolean;
}

export interface RouteOptions {
  /** Where every team starts and ends (the police station or workstation). */
  start: LonLat;
  teams: number;
  /** Shift length in minutes: travel + dwell must fit. */
  shiftMin: number;
  /** Travel speed in km/h (foot patrol ≈ 4.5, e-bike ≈ 15, car ≈ 25). */
  speedKmh: number;
  /** Straight-line distance × this factor approximates street distance (1.3 is typical of towns). */
  detourFactor?: number;
  /** Defaults to haversine × detourFactor. */
  distance?: (a: LonLat, b: LonLat) => number;
}

export interface PlannedStop {
  id: string;
  seq: number;
  position: LonLat;
  dwellMin: number;
  /** Minutes after the shift start when the team arrives. */
  arriveMin: number;
  /** Metres travelled from the previous stop (or the start). */
  legM: number;
}

export interface TeamRoute {
  team: number;
  stops: PlannedStop[];
  /** Metres, including the way back to the start. */
  lengthM: number;
  /** Minutes of travel plus dwell, back at the start. */
  durationMin: number;
}

export interface RoutePlan {
  teams: TeamRoute[];
  /** Targets that did not fit the shift, best first. */
  dropped: string[];
  /** How distances were measured, for the sheet: "直线距离×1.3" or the caller's label. */
  distanceModel: 'straight_line' | 'custom';
}

/** Length of a closed tour start → order… → start under a distance matrix (index 0 is the start). */
export function tourLength(order: readonly number[], d: readonly (readonly number[])[]): number {
  let total = 0;
  let prev = 0;
  for (const i of order) {
    total += d[prev]![i]!;
    prev = i;
  }
  return total + d[prev]![0]!;
}

/** Nearest-neighbour order of nodes 1..n-1 from node 0. */
export function nearestNeighbour(d: readonly (readonly number[])[]): number[] {
  const n = d.length;
  const seen = new Uint8Array(n);
  seen[0] = 1;
  const order: number[] = [];
  let cur = 0;
  for (let k = 1; k < n; k++) {
    let best = -1;
    for (let j = 1; j < n; j++) if (!seen[j] && (best < 0 || d[cur]![j]! < d[cur]![best]!)) best = j;
    seen[best] = 1;
    order.push(best);
    cur = best;
  }
  return order;
}

/**
 * 2-opt on a closed tour through node 0: reverses a stretch whenever that shortens the tour, until
 * no reversal does. Only strictly shorter moves are taken, so the result is never longer than the
 * input (the property the tests check).
 */
export function twoOpt(order: readonly number[], d: readonly (readonly number[])[]): number[] {
  const tour = [0, ...order, 0];
  const m = tour.length;
  let improved = true;
  let guard = 0;
  while (improved && guard++ < 1000) {
    improved = false;
    for (let i = 0; i < m - 3; i++) {
      for (let k = i + 2; k < m - 1; k++) {
        const a = tour[i]!, b = tour[i + 1]!, c = tour[k]!, e = tour[k + 1]!;
        const delta = d[a]![c]! + d[b]![e]! - d[a]![b]! - d[c]![e]!;
        if (delta < -1e-9) {
          for (let lo = i + 1, hi = k; lo < hi; lo++, hi--) [tour[lo], tour[hi]] = [tour[hi]!, tour[lo]!];
          improved = true;
        }
      }
    }
  }
  return tour.slice(1, -1);
}

function matrix(points: readonly LonLat[], dist: (a: LonLat, b: LonLat) => number): number[][] {
  return points.map((a, i) => points.map((b, j) => (i === j ? 0 : dist(a, b))));
}

/**
 * Splits targets among teams by angle around the start (a sweep), so each team gets a compact
 * sector with about the same total score.
 */
export function sweepTeams<T extends { position: LonLat; score: number }>(targets: readonly T[], start: LonLat, teams: number): T[][] {
  const groups: T[][] = Array.from({ length: teams }, () => []);
  if (teams === 1) {
    groups[0]!.push(...targets);
    return groups;
  }
  const sorted = [...targets].sort((a, b) => angle(a.position, start) - angle(b.position, start));
  const total = sorted.reduce((s, t) => s + Math.max(t.score, 1e-6), 0);
  let acc = 0;
  for (const t of sorted) {
    const g = Math.min(teams - 1, Math.floor((acc / total) * teams));
    groups[g]!.push(t);
    acc += Math.max(t.score, 1e-6);
  }
  return groups;
}

function angle(p: LonLat, o: LonLat): number {
  return Math.atan2(p[1] - o[1], (p[0] - o[0]) * Math.cos((o[1] * Math.PI) / 180));
}

function orderTeam(start: LonLat, targets: readonly RouteTarget[], dist: (a: LonLat, b: LonLat) => number) {
  const d = matrix([start, ...targets.map((t) => t.position)], dist);
  const order = twoOpt(nearestNeighbour(d), d);
  return { order: order.map((i) => targets[i - 1]!), length: tourLength(order, d) };
}

function durationMin(lengthM: number, targets: readonly RouteTarget[], speedKmh: number): number {
  return (lengthM / 1000 / speedKmh) * 60 + targets.reduce((s, t) => s + t.dwellMin, 0);
}

export function planRoutes(targets: readonly RouteTarget[], opts: RouteOptions): RoutePlan {
  checkLonLat(opts.start, 'start');
  if (!Number.isInteger(opts.teams) || opts.teams < 1 || opts.teams > 50) throw new RangeError(`teams must be an integer 1..50, got ${opts.teams}`);
  if (!(opts.shiftMin > 0) || opts.shiftMin > 24 * 60) throw new RangeError(`shiftMin must be within (0, 1440], got ${opts.shiftMin}`);
  if (!(opts.speedKmh > 0) || opts.speedKmh > 120) throw new RangeError(`speedKmh must be within (0, 120], got ${opts.speedKmh}`);
  const ids = new Set<string>();
  targets.forEach((t, i) => {
    checkLonLat(t.position, `targets[${i}] (${t.id}) position`);
    if (ids.has(t.id)) throw new Error(`targets[${i}]: duplicate id ${t.id}`);
    ids.add(t.id);
    if (!(t.dwellMin >= 0)) throw new RangeError(`targets[${i}] (${t.id}): dwellMin must be ≥ 0, got ${t.dwellMin}`);
  });
  const factor = opts.detourFactor ?? 1.3;
  const dist = opts.distance ?? ((a: LonLat, b: LonLat) => haversineM(a, b) * factor);

  const dropped: RouteTarget[] = [];
  const teams: TeamRoute[] = sweepTeams(targets, opts.start, opts.teams).map((group, ti) => {
    let kept = [...group];
    let routed = orderTeam(opts.start, kept, dist);
    // Drop the least valuable optional stop until the tour fits the shift; mandatory stops stay
    // even if they alone overrun (the sheet then shows the overrun rather than hiding a duty).
    while (durationMin(routed.length, kept, opts.speedKmh) > opts.shiftMin) {
      const optional = kept.filter((t) => !t.mandatory);
      if (optional.length === 0) break;
      const worst = optional.reduce((w, t) => (t.score < w.score ? t : w));
      dropped.push(worst);
      kept = kept.filter((t) => t !== worst);
      routed = orderTeam(opts.start, kept, dist);
    }
    let clock = 0;
    let prev: LonLat = opts.start;
    const stops = routed.order.map((t, i): PlannedStop => {
      const legM = dist(prev, t.position);
      clock += (legM / 1000 / opts.speedKmh) * 60;
      const stop = { id: t.id, seq: i + 1, position: t.position, dwellMin: t.dwellMin, arriveMin: clock, legM };
      clock += t.dwellMin;
      prev = t.position;
      return stop;
    });
    return { team: ti + 1, stops, lengthM: routed.length, durationMin: durationMin(routed.length, kept, opts.speedKmh) };
  });
  dropped.sort((a, b) => b.score - a.score);
  return { teams, dropped: dropped.map((t) => t.id), distanceModel: opts.distance ? 'custom' : 'straight_line' };
}
