import type { MultiPolygon, Polygon, Position } from 'geojson';

/**
 * A local metric plane around the sub-district. The map is affine (east/north metres from an
 * origin, scaled by the WGS84 radii of curvature at the origin), so straight edges stay straight and
 * a tiling built here stays a tiling in lon/lat; over ~10 km its scale error is below 0.1%.
 */
export type XY = [number, number];
export type Ring = XY[];
/** Rings of one polygon, outer first, closed (first = last) as in GeoJSON. */
export type Poly = Ring[];
export type MultiPoly = Poly[];

const WGS84_A = 6378137;
const WGS84_E2 = 0.00669437999014;

export class Frame {
  readonly kx: number;
  readonly ky: number;

  constructor(
    readonly lon0: number,
    readonly lat0: number,
  ) {
    const phi = (lat0 * Math.PI) / 180;
    const s = 1 - WGS84_E2 * Math.sin(phi) ** 2;
    const meridian = (WGS84_A * (1 - WGS84_E2)) / s ** 1.5;
    const normal = WGS84_A / Math.sqrt(s);
    this.ky = (meridian * Math.PI) / 180;
    this.kx = (normal * Math.cos(phi) * Math.PI) / 180;
  }

  toXY(lon: number, lat: number): XY {
    return [(lon - this.lon0) * this.kx, (lat - this.lat0) * this.ky];
  }

  toLonLat(p: XY): [number, number] {
    return [this.lon0 + p[0] / this.kx, this.lat0 + p[1] / this.ky];
  }

  multiPolygonToXY(geom: MultiPolygon | Polygon): MultiPoly {
    const polys = geom.type === 'Polygon' ? [geom.coordinates] : geom.coordinates;
    return polys.map((pg) => pg.map((ring) => ring.map((p) => this.toXY(p[0]!, p[1]!))));
  }

  /** Full precision: rounding could open slivers between neighbouring tiles. */
  multiPolygonToLonLat(mp: MultiPoly): MultiPolygon {
    return { type: 'MultiPolygon', coordinates: mp.map((pg) => pg.map((ring) => ring.map((p) => this.toLonLat(p) as Position))) };
  }
}

/** 7 decimals of a degree is ~1 cm: enough for points and lines, and much shorter JSON. */
export function round7(v: number): number {
  return Math.round(v * 1e7) / 1e7;
}

export function ringArea(ring: Ring): number {
  let s = 0;
  for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) s += (ring[j]![0] - ring[i]![0]) * (ring[j]![1] + ring[i]![1]);
  return Math.abs(s) / 2;
}

export function multiPolyArea(mp: MultiPoly): number {
  let a = 0;
  for (const pg of mp) pg.forEach((ring, i) => (a += i === 0 ? ringArea(ring) : -ringArea(ring)));
  return a;
}

export function pointInMultiPoly(p: XY, mp: MultiPoly): boolean {
  let inside = false;
  for (const pg of mp) {
    for (const ring of pg) {
      for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
        const [xi, yi] = ring[i]!;
        const [xj, yj] = ring[j]!;
        if (yi > p[1] !== yj > p[1] && p[0] < ((xj - xi) * (p[1] - yi)) / (yj - yi) + xi) inside = !inside;
      }
    }
  }
  return inside;
}

export function segmentDistance(p: XY, a: XY, b: XY): number {
  const dx = b[0] - a[0];
  const dy = b[1] - a[1];
  const len2 = dx * dx + dy * dy;
  const t = len2 === 0 ? 0 : Math.max(0, Math.min(1, ((p[0] - a[0]) * dx + (p[1] - a[1]) * dy) / len2));
  return Math.hypot(p[0] - a[0] - t * dx, p[1] - a[1] - t * dy);
}

export function boundaryDistance(p: XY, mp: MultiPoly): number {
  let d = Infinity;
  for (const pg of mp) for (const ring of pg) for (let i = 1; i < ring.length; i++) d = Math.min(d, segmentDistance(p, ring[i - 1]!, ring[i]!));
  return d;
}

export function bbox(mp: MultiPoly): [number, number, number, number] {
  let [x0, y0, x1, y1] = [Infinity, Infinity, -Infinity, -Infinity];
  for (const pg of mp) for (const [x, y] of pg[0]!) [x0, y0, x1, y1] = [Math.min(x0, x), Math.min(y0, y), Math.max(x1, x), Math.max(y1, y)];
  return [x0, y0, x1, y1];
}

export function dist(a: XY, b: XY): number {
  return Math.hypot(a[0] - b[0], a[1] - b[1]);
}

export function lerp(a: XY, b: XY, t: number): XY {
  return [a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t];
}

export function add(a: XY, dx: number, dy: number): XY {
  return [a[0] + dx, a[1] + dy];
}

/** Point at `d` metres from `p` in direction `angle` (radians, counter-clockwise from east). */
export function polar(p: XY, d: number, angle: number): XY {
  return [p[0] + d * Math.cos(angle), p[1] + d * Math.sin(angle)];
}
