/**
 * Small distance helpers for patrol planning. Plans cover a community or a district (a few
 * kilometres), so an equirectangular projection around the area's mean latitude is accurate to well
 * under a metre per kilometre; haversine is used where two points may be far apart.
 */

export type LonLat = readonly [number, number];

const EARTH_RADIUS_M = 6_371_008.8;
const RAD = Math.PI / 180;

export function checkLonLat(p: LonLat, what: string): void {
  if (!Array.isArray(p) || p.length < 2) throw new TypeError(`${what}: expected [lon, lat], got ${JSON.stringify(p)}`);
  const [lon, lat] = p;
  if (!Number.isFinite(lon) || lon < -180 || lon > 180) throw new RangeError(`${what}: longitude ${lon} is not within -180..180`);
  if (!Number.isFinite(lat) || lat < -90 || lat > 90) throw new RangeError(`${what}: latitude ${lat} is not within -90..90`);
}

/** Great-circle distance in metres. */
export function haversineM(a: LonLat, b: LonLat): number {
  const dLat = (b[1] - a[1]) * RAD;
  const dLon = (b[0] - a[0]) * RAD;
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(a[1] * RAD) * Math.cos(b[1] * RAD) * Math.sin(dLon / 2) ** 2;
  return 2 * EARTH_RADIUS_M * Math.asin(Math.min(1, Math.sqrt(h)));
}

/** A local metric frame: x east, y north, in metres from an origin. */
export interface LocalFrame {
  toXY(p: LonLat): [number, number];
}

export function localFrame(origin: LonLat): LocalFrame {
  const kx = Math.cos(origin[1] * RAD) * EARTH_RADIUS_M * RAD;
  const ky = EARTH_RADIUS_M * RAD;
  return { toXY: (p) => [(p[0] - origin[0]) * kx, (p[1] - origin[1]) * ky] };
}

/**
 * Distance in metres from point p to segment ab, and where along the segment (0..1) the closest
 * point lies, in the frame given.
 */
export function pointSegment(frame: LocalFrame, p: LonLat, a: LonLat, b: LonLat): { distance: number; t: number } {
  const [px, py] = frame.toXY(p);
  const [ax, ay] = frame.toXY(a);
  const [bx, by] = frame.toXY(b);
  const dx = bx - ax;
  const dy = by - ay;
  const len2 = dx * dx + dy * dy;
  const t = len2 === 0 ? 0 : Math.max(0, Math.min(1, ((px - ax) * dx + (py - ay) * dy) / len2));
  return { distance: Math.hypot(px - (ax + t * dx), py - (ay + t * dy)), t };
}
