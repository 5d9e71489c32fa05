import { checkLonLat, localFrame, pointSegment, type LocalFrame, type LonLat } from './geo.ts';

/**
 * Whether planned stops were really visited, from GPS: a stop is visited when a linked device's
 * track comes within `radiusM` of it, and complied when the time spent within the radius in one
 * stay reaches the planned dwell. A track passes a stop between two fixes too (the segment, not only
 * the fixes, is tested), provided the fixes form a travelled segment (gap ≤ maxGapS).
 */

export interface Fix {
  deviceId: number;
  /** Epoch milliseconds. */
  t: number;
  position: LonLat;
}

export interface StopToCheck {
  id: string;
  position: LonLat;
  dwellMin: number;
}

export interface StopCompliance {
  id: string;
  visited: boolean;
  complied: boolean;
  /** First moment within the radius (epoch ms), null when never. */
  arrivedAt: number | null;
  /** Longest single stay within the radius, minutes. */
  dwellMin: number;
  deviceId: number | null;
  /** Closest approach in metres (Infinity when no track). */
  closestM: number;
}

export interface ComplianceOptions {
  radiusM: number;
  maxGapS: number;
  /** Only fixes within [from, to] (the shift) count. */
  from: number;
  to: number;
}

interface Stay {
  start: number;
  end: number;
  deviceId: number;
}

/** The part (0..1 along ab) of segment ab inside the circle of radius r around c, or null. */
export function insideInterval(frame: LocalFrame, c: LonLat, a: LonLat, b: LonLat, r: number): [number, number] | null {
  const [cx, cy] = frame.toXY(c);
  const [ax, ay] = frame.toXY(a);
  const [bx, by] = frame.toXY(b);
  const dx = bx - ax, dy = by - ay;
  const fx = ax - cx, fy = ay - cy;
  const qa = dx * dx + dy * dy;
  const qc = fx * fx + fy * fy - r * r;
  if (qa === 0) return qc <= 0 ? [0, 1] : null;
  const qb = 2 * (fx * dx + fy * dy);
  const disc = qb * qb - 4 * qa * qc;
  if (disc < 0) return null;
  const sq = Math.sqrt(disc);
  const t0 = Math.max(0, (-qb - sq) / (2 * qa));
  const t1 = Math.min(1, (-qb + sq) / (2 * qa));
  return t0 <= t1 ? [t0, t1] : null;
}

function staysNear(stop: StopToCheck, track: readonly Fix[], o: ComplianceOptions, frame: LocalFrame): { stays: Stay[]; closest: number } {
  const stays: Stay[] = [];
  let closest = Infinity;
  const cur: { open: Stay | null } = { open: null };
  const add = (start: number, end: number, deviceId: number, continues: boolean) => {
    const open = cur.open;
    if (open && continues && open.deviceId === deviceId && start <= open.end + 1) open.end = Math.max(open.end, end);
    else {
      if (open) stays.push(open);
      cur.open = { start, end, deviceId };
    }
  };
  for (let i = 0; i < track.length; i++) {
    const f = track[i]!;
    const prev = i > 0 ? track[i - 1]! : null;
    const linked = prev !== null && prev.deviceId === f.deviceId && f.t - prev.t <= o.maxGapS * 1000;
    if (linked) {
      closest = Math.min(closest, pointSegment(frame, stop.position, prev.position, f.position).distance);
      const inside = insideInterval(frame, stop.position, prev.position, f.position, o.radiusM);
      if (inside) add(prev.t + inside[0] * (f.t - prev.t), prev.t + inside[1] * (f.t - prev.t), f.deviceId, true);
    } else {
      // A lone fix (first of a device, or after a gap) counts as a moment at that place.
      const d = pointSegment(frame, stop.position, f.position, f.position).distance;
      closest = Math.min(closest, d);
      if (d <= o.radiusM) add(f.t, f.t, f.deviceId, false);
    }
  }
  if (cur.open) stays.push(cur.open);
  return { stays, closest };
}

export function checkCompliance(stops: readonly StopToCheck[], fixes: readonly Fix[], o: ComplianceOptions): StopCompliance[] {
  if (!(o.radiusM > 0)) throw new RangeError(`radiusM must be > 0, got ${o.radiusM}`);
  if (!(o.maxGapS > 0)) throw new RangeError(`maxGapS must be > 0, got ${o.maxGapS}`);
  if (!(o.to > o.from)) throw new RangeError('the window must end after it starts');
  stops.forEach((s, i) => checkLonLat(s.position, `stops[${i}] (${s.id}) position`));
  fixes.forEach((f, i) => {
    checkLonLat(f.position, `fixes[${i}] position`);
    if (!Number.isFinite(f.t)) throw new RangeError(`fixes[${i}]: time ${f.t} is not a number`);
  });
  const track = fixes.filter((f) => f.t >= o.from && f.t <= o.to).sort((a, b) => a.deviceId - b.deviceId || a.t - b.t);
  return stops.map((stop) => {
    const frame = localFrame(stop.position);
    const { stays, closest } = staysNear(stop, track, o, frame);
    const longest = stays.reduce<Stay | null>((b, s) => (!b || s.end - s.start > b.end - b.start ? s : b), null);
    const first = stays.reduce<Stay | null>((b, s) => (!b || s.start < b.start ? s : b), null);
    const dwellMin = longest ? (longest.end - longest.start) / 60_000 : 0;
    return {
      id: stop.id,
      visited: stays.length > 0,
      complied: stays.length > 0 && dwellMin + 1e-9 >= stop.dwellMin,
      arrivedAt: first ? Math.round(first.start) : null,
      dwellMin,
      deviceId: longest?.deviceId ?? null,
      closestM: closest,
    };
  });
}

/** Share of stops complied, 0..1 (null for a plan without stops). */
export function completion(results: readonly StopCompliance[]): number | null {
  return results.length === 0 ? null : results.filter((r) => r.complied).length / results.length;
}
