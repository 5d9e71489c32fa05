import type { GridPlan, Jurisdiction } from './jurisdiction.ts';
import { byText } from './order.ts';
import type { Places } from './places.ts';
import type { Frame, XY } from './plane.ts';
import { dist, lerp, round7 } from './plane.ts';
import type { Rng } from './random.ts';
import type { Roster } from './staff.ts';
import type { Network } from './streets.ts';
import { DAY, iso, localMidnight } from './time.ts';
import type { DemoDevice, DemoGpsFix } from './types.ts';

/**
 * GPS tracks of the patrol devices for the last ~60 days. A patrol walks (or rides) the street
 * network from one target to the next (key locations, joint-defense points, street corners of its
 * beat), pausing at key locations, with a fix every 10-30 s. Devices are used unevenly: some most
 * days, some rarely, and some beats get no patrols at all.
 */

const PATROL_DAYS = 60;
const SPEED_KMH: Record<DemoDevice['kind'], [number, number]> = { handheld: [3.8, 5.2], bodycam: [3.8, 5.2], ebike: [12, 18], vehicle: [18, 32] };
const ACCURACY_M: [number, number] = [3, 12];

interface Target {
  node: number;
  weight: number;
  nightlife: boolean;
  dwell: boolean;
}

export function planPatrols(rng: Rng, frame: Frame, j: Jurisdiction, net: Network, places: Places, roster: Roster, nowMs: number): DemoGpsFix[] {
  const component = largestComponent(net);
  const nodeIds = [...component];
  const nearestNode = (p: XY) => {
    let best = nodeIds[0]!;
    let bestD = Infinity;
    for (const n of nodeIds) {
      const d = dist(net.nodes[n]!, p);
      if (d < bestD) [best, bestD] = [n, d];
    }
    return best;
  };
  const nodeGrid = new Map<number, GridPlan | null>(nodeIds.map((n) => [n, j.locate(net.nodes[n]!, 0)]));
  const trees = new Map<number, Int32Array>();
  const treeTo = (target: number) => {
    let t = trees.get(target);
    if (!t) trees.set(target, (t = shortestPathTree(net, target)));
    return t;
  };

  const today = localMidnight(nowMs);
  const beatOf = (staffCode: string): Set<GridPlan> => {
    const grids = new Set<GridPlan>();
    for (const a of roster.assignments) {
      if (a.staffCode !== staffCode || (a.endsOn !== null && Date.parse(`${a.endsOn}T00:00:00+08:00`) < today)) continue;
      if (a.scope.kind === 'grid') grids.add(j.grids.find((g) => g.code === a.scope.code)!);
      if (a.scope.kind === 'community') for (const g of j.communities.find((c) => c.code === a.scope.code)!.grids) grids.add(g);
      if (a.scope.kind === 'subdistrict') for (const g of j.grids) grids.add(g);
    }
    return grids;
  };

  const candidates = roster.devices.filter((d) => d.active && d.staffCode);
  const chosen = rng.sample(candidates, rng.int(10, Math.min(13, candidates.length)));
  chosen.sort((a, b) => byText(a.code, b.code));
  const stationNode = nearestNode(places.policeStation);
  const fixes: DemoGpsFix[] = [];

  for (const device of chosen) {
    const beat = beatOf(device.staffCode!);
    const targets: Target[] = [];
    for (const k of places.keyLocations) {
      if (beat.has(k.grid)) targets.push({ node: nearestNode(k.p), weight: 3, nightlife: k.type === 'nightlife', dwell: true });
    }
    for (const p of places.jointPoints) if (beat.has(p.grid)) targets.push({ node: nearestNode(p.p), weight: 1, nightlife: false, dwell: false });
    const beatNodes = nodeIds.filter((n) => beat.has(nodeGrid.get(n)!));
    for (let k = 0; k < 12 && beatNodes.length > 0; k++) targets.push({ node: rng.pick(beatNodes), weight: 1, nightlife: false, dwell: false });
    if (targets.length < 2) continue;

    const usage = rng.float(0.15, 0.8);
    const interval = rng.pick([10, 15, 20, 20, 30, 30]);
    const speed = SPEED_KMH[device.kind];
    const leaveStart = rng.chance(0.4) ? rng.int(0, PATROL_DAYS - 10) : -1;
    const leaveDays = rng.int(5, 10);
    const hasNightlife = targets.some((t) => t.nightlife);
    // The vehicle leaves from the station; officers on foot start somewhere on their beat.
    const home = device.kind === 'vehicle' ? stationNode : rng.pick(targets).node;

    for (let d = PATROL_DAYS; d >= 1; d--) {
      const dayIndex = PATROL_DAYS - d;
      if (dayIndex >= leaveStart && dayIndex < leaveStart + leaveDays) continue;
      if (!rng.chance(usage)) continue;
      const day = today - d * DAY;
      const shifts = rng.sample(
        hasNightlife ? ['morning', 'afternoon', 'evening', 'evening'] : ['morning', 'afternoon', 'evening'],
        rng.chance(0.2) ? 2 : 1,
      ).sort();
      let lastEnd = day;
      for (const shift of [...new Set(shifts)]) {
        const startHour = shift === 'morning' ? rng.float(8.5, 9.5) : shift === 'afternoon' ? rng.float(14.5, 15.5) : rng.float(19, 20.5);
        const t0 = Math.max(lastEnd + 60_000, day + startHour * 3_600_000);
        const t1 = t0 + rng.float(1, 2.5) * 3_600_000;
        lastEnd = walk(rng, frame, net, treeTo, device, targets, home, t0, Math.min(t1, nowMs), interval, speed, shift === 'evening', fixes);
      }
    }
  }
  return fixes;
}

/** One shift: target to target along shortest paths, emitting a fix every `interval` seconds. */
function walk(
  rng: Rng, frame: Frame, net: Network, treeTo: (n: number) => Int32Array, device: DemoDevice, targets: Target[],
  home: number, t0: number, t1: number, interval: number, speed: [number, number], evening: boolean, out: DemoGpsFix[],
): number {
  let t = t0;
  let node = home;
  let nextFix = t0;
  /** The fix due at `nextFix`, taken at p. */
  const emit = (p: XY, kmh: number) => {
    const accuracy = rng.chance(0.05) ? rng.float(20, 45) : rng.float(...ACCURACY_M);
    const q: XY = [p[0] + rng.normal() * accuracy * 0.5, p[1] + rng.normal() * accuracy * 0.5];
    const [lon, lat] = frame.toLonLat(q);
    out.push({
      deviceCode: device.code,
      fixedAt: iso(nextFix),
      lon: round7(lon),
      lat: round7(lat),
      speedKmh: Math.round(Math.max(0, kmh + rng.normal() * 0.8) * 10) / 10,
      accuracyM: Math.round(accuracy * 10) / 10,
    });
    // Dropped signal now and then: a gap of a few minutes.
    nextFix = Math.ceil((nextFix + (rng.chance(0.012) ? rng.float(60, 240) : interval + rng.float(-1, 1)) * 1000) / 1000) * 1000;
  };
  const weights = targets.map((tg) => tg.weight * (evening && tg.nightlife ? 6 : 1));
  while (t < t1) {
    const target = targets[rng.weightedIndex(weights)]!;
    if (target.node === node) {
      t += 30_000;
      continue;
    }
    const tree = treeTo(target.node);
    const kmh = rng.float(...speed);
    while (node !== target.node && t < t1) {
      const next = tree[node]!;
      if (next < 0) return t1;
      const a = net.nodes[node]!;
      const b = net.nodes[next]!;
      const t2 = t + (dist(a, b) / (kmh / 3.6)) * rng.float(0.9, 1.15) * 1000;
      while (nextFix < Math.min(t2, t1)) emit(lerp(a, b, Math.max(0, (nextFix - t) / (t2 - t))), kmh);
      t = t2;
      node = next;
    }
    if (target.dwell && t < t1) {
      const until = Math.min(t1, t + rng.float(2, 8) * 60_000);
      while (nextFix < until) emit(net.nodes[node]!, 0.3);
      t = until;
    }
  }
  return Math.max(t, t1);
}

function largestComponent(net: Network): Set<number> {
  const seen = new Int32Array(net.nodes.length).fill(-1);
  let best: number[] = [];
  for (let i = 0; i < net.nodes.length; i++) {
    if (seen[i]! >= 0) continue;
    const comp = [i];
    seen[i] = i;
    for (let k = 0; k < comp.length; k++) {
      for (const e of net.adj[comp[k]!]!) {
        if (seen[e.to]! < 0) {
          seen[e.to] = i;
          comp.push(e.to);
        }
      }
    }
    if (comp.length > best.length) best = comp;
  }
  return new Set(best);
}

/** For every node, the next node on a shortest path to `target` (-1 when unreachable). */
function shortestPathTree(net: Network, target: number): Int32Array {
  const n = net.nodes.length;
  const distTo = new Float64Array(n).fill(Infinity);
  const next = new Int32Array(n).fill(-1);
  distTo[target] = 0;
  next[target] = target;
  const heap: [number, number][] = [[0, target]];
  while (heap.length > 0) {
    const [d, u] = heapPop(heap);
    if (d > distTo[u]!) continue;
    for (const e of net.adj[u]!) {
      const nd = d + e.len;
      if (nd < distTo[e.to]!) {
        distTo[e.to] = nd;
        next[e.to] = u;
        heapPush(heap, [nd, e.to]);
      }
    }
  }
  return next;
}

function heapPush(h: [number, number][], item: [number, number]): void {
  h.push(item);
  let i = h.length - 1;
  while (i > 0) {
    const p = (i - 1) >> 1;
    if (h[p]![0] <= h[i]![0]) break;
    [h[p], h[i]] = [h[i]!, h[p]!];
    i = p;
  }
}

function heapPop(h: [number, number][]): [number, number] {
  const top = h[0]!;
  const last = h.pop()!;
  if (h.length > 0) {
    h[0] = last;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < h.length && h[l]![0] < h[m]![0]) m = l;
      if (r < h.length && h[r]![0] < h[m]![0]) m = r;
      if (m === i) break;
      [h[m], h[i]] = [h[i]!, h[m]!];
      i = m;
    }
  }
  return top;
}
