import type { Geometry, MultiPolygon, Polygon, Position } from 'geojson';
import { cellToParent, getHexagonEdgeLengthAvg, gridDisk, gridPathCells, latLngToCell, polygonToCells, UNITS } from 'h3-js';

/** H3 indexes are stored as bigint; postgres.js sends and returns them as decimal strings. */
export function cellToDb(hex: string): string {
  return BigInt('0x' + hex).toString();
}

export function cellFromDb(value: string | bigint): string {
  return BigInt(value).toString(16).padStart(15, '0');
}

/** The coverage-resolution cell of a point whose resolution-10 cell is already known. */
export function coverageCell(cell10: string, lat: number, lon: number, resolution: number): string {
  if (resolution === 10) return cell10;
  return resolution < 10 ? cellToParent(cell10, resolution) : latLngToCell(lat, lon, resolution);
}

const EARTH_RADIUS_M = 6_371_008.8;
const RAD = Math.PI / 180;

/** Great-circle distance on the mean sphere, the same model as PostGIS ST_DistanceSphere. */
export function sphereDistanceM(lat0: number, lon0: number, lat1: number, lon1: number): number {
  const dLat = (lat1 - lat0) * RAD;
  const dLon = (lon1 - lon0) * RAD;
  const a = Math.sin(dLat / 2) ** 2 + Math.cos(lat0 * RAD) * Math.cos(lat1 * RAD) * Math.sin(dLon / 2) ** 2;
  return 2 * EARTH_RADIUS_M * Math.asin(Math.min(1, Math.sqrt(a)));
}

/**
 * Cells along a travelled segment: the H3 grid path between the end cells. gridPathCells refuses
 * some pairs (across a pentagon's deleted subsequence); those fall back to sampling the line at a
 * quarter of the edge length, which finds the same cells except at clipped corners.
 */
export function segmentCells(c0: string, c1: string, lat0: number, lon0: number, lat1: number, lon1: number, resolution: number): string[] {
  if (c0 === c1) return [c0];
  try {
    return gridPathCells(c0, c1);
  } catch {
    const steps = Math.max(1, Math.ceil(sphereDistanceM(lat0, lon0, lat1, lon1) / (getHexagonEdgeLengthAvg(resolution, UNITS.m) / 4)));
    const cells = new Set<string>();
    for (let i = 0; i <= steps; i++) {
      const f = i / steps;
      cells.add(latLngToCell(lat0 + (lat1 - lat0) * f, lon0 + (lon1 - lon0) * f, resolution));
    }
    return [...cells];
  }
}

function polygons(geometry: Polygon | MultiPolygon): Position[][][] {
  return geometry.type === 'Polygon' ? [geometry.coordinates] : geometry.coordinates;
}

/** Cells whose centre lies in the polygon (H3's own containment rule), and a ring of `halo` cells around them. */
export function areaCells(geometry: Polygon | MultiPolygon, resolution: number, halo: number): { inside: Set<string>; near: Set<string> } {
  const inside = new Set<string>();
  for (const rings of polygons(geometry)) for (const c of polygonToCells(rings, resolution, true)) inside.add(c);
  const near = new Set<string>();
  for (const c of inside) for (const n of gridDisk(c, halo)) if (!inside.has(n)) near.add(n);
  return { inside, near };
}

/**
 * Rings of cells around a place so that any segment passing within bufferM of it has a grid-path
 * cell in the set: the buffer plus one cell of path deviation and one of cell radius.
 */
export function nearRings(resolution: number, bufferM: number): number {
  const edge = getHexagonEdgeLengthAvg(resolution, UNITS.m);
  return Math.ceil((bufferM + 2 * edge) / (Math.sqrt(3) * edge)) + 1;
}

/** Candidate cells for contacts with a key location (point, polygon or multipolygon). */
export function placeCells(geometry: Geometry, resolution: number, bufferM: number): Set<string> {
  const k = nearRings(resolution, bufferM);
  const seeds = new Set<string>();
  if (geometry.type === 'Point') {
    seeds.add(latLngToCell(geometry.coordinates[1]!, geometry.coordinates[0]!, resolution));
  } else if (geometry.type === 'Polygon' || geometry.type === 'MultiPolygon') {
    for (const rings of polygons(geometry)) {
      for (const c of polygonToCells(rings, resolution, true)) seeds.add(c);
      for (const ring of rings) for (const [lon, lat] of ring) seeds.add(latLngToCell(lat!, lon!, resolution));
    }
  } else {
    throw new Error(`unsupported key location geometry ${geometry.type}`);
  }
  const out = new Set<string>();
  for (const s of seeds) for (const n of gridDisk(s, k)) out.add(n);
  return out;
}

/** A key location's bounding box (a point's is the point itself), degrees. */
export interface Box {
  minLon: number;
  minLat: number;
  maxLon: number;
  maxLat: number;
}

/**
 * Planar distance in metres, in a local frame around the segment (WGS84 metres per degree at its
 * latitude), between a segment and a box: a cheap first filter for key-location contacts (the
 * exact test is on the ellipsoid in SQL), good to a few decimetres at the distances that matter.
 */
export function segmentBoxDistanceM(lat0: number, lon0: number, lat1: number, lon1: number, box: Box): number {
  const phi = ((lat0 + lat1) / 2) * RAD;
  const kx = 111_412.84 * Math.cos(phi) - 93.5 * Math.cos(3 * phi);
  const ky = 111_132.954 - 559.822 * Math.cos(2 * phi) + 1.175 * Math.cos(4 * phi);
  const x = (lon: number) => (lon - lon0) * kx;
  const y = (lat: number) => (lat - lat0) * ky;
  const ax = 0;
  const ay = 0;
  const bx = x(lon1);
  const by = y(lat1);
  const rx0 = x(box.minLon);
  const rx1 = x(box.maxLon);
  const ry0 = y(box.minLat);
  const ry1 = y(box.maxLat);
  const pointBox = (px: number, py: number) => Math.hypot(Math.max(rx0 - px, 0, px - rx1), Math.max(ry0 - py, 0, py - ry1));
  const pointSeg = (px: number, py: number) => {
    const dx = bx - ax;
    const dy = by - ay;
    const len2 = dx * dx + dy * dy;
    const t = len2 === 0 ? 0 : Math.min(1, Math.max(0, ((px - ax) * dx + (py - ay) * dy) / len2));
    return Math.hypot(px - (ax + t * dx), py - (ay + t * dy));
  };
  if (segmentHitsBox(ax, ay, bx, by, rx0, ry0, rx1, ry1)) return 0;
  return Math.min(pointBox(ax, ay), pointBox(bx, by), pointSeg(rx0, ry0), pointSeg(rx0, ry1), pointSeg(rx1, ry0), pointSeg(rx1, ry1));
}

/** Liang-Barsky clipping: does the segment meet the rectangle? */
function segmentHitsBox(ax: number, ay: number, bx: number, by: number, x0: number, y0: number, x1: number, y1: number): boolean {
  let t0 = 0;
  let t1 = 1;
  const dx = bx - ax;
  const dy = by - ay;
  for (const [p, q] of [[-dx, ax - x0], [dx, x1 - ax], [-dy, ay - y0], [dy, y1 - ay]] as const) {
    if (p === 0) {
      if (q < 0) return false;
    } else {
      const r = q / p;
      if (p < 0) t0 = Math.max(t0, r);
      else t1 = Math.min(t1, r);
      if (t0 > t1) return false;
    }
  }
  return true;
}
