import type { Geometry, Position } from 'geojson';

/**
 * China's obfuscated web-map coordinate systems and WGS84.
 *
 * GCJ-02 ("Mars coordinates") is the state-mandated datum of AMap/Tencent/DataV data; BD-09 is
 * Baidu's further shift of GCJ-02. The forward GCJ-02 formula is the widely published one
 * (Krasovsky-1940 constants, as in eviltransform/coordtransform); it has no closed-form inverse,
 * so GCJ-02 → WGS84 iterates the forward transform until the residual is below 1e-10° (~10 µm).
 * BD-09 → GCJ-02 likewise refines the published approximate inverse against the forward formula,
 * so that every pair of functions here is an exact round trip to well below a millimetre.
 *
 * Outside China (the usual rough bounding box, see outOfChina) no shift is applied in either
 * direction, for GCJ-02 and for BD-09 alike.
 */

export type LonLat = [number, number];
export type PointTransform = (lon: number, lat: number) => LonLat;

// Krasovsky 1940 ellipsoid, as the GCJ-02 algorithm uses it.
const A = 6378245.0;
const EE = 0.006693421622965943;
const X_PI = (Math.PI * 3000.0) / 180.0;
const INVERSE_TOLERANCE_DEG = 1e-10;
const INVERSE_MAX_ITERATIONS = 30;

function checkLonLat(lon: number, lat: number): void {
  if (typeof lon !== 'number' || !Number.isFinite(lon) || lon < -180 || lon > 180) {
    throw new RangeError(`longitude must be a finite number in [-180, 180], got ${String(lon)}`);
  }
  if (typeof lat !== 'number' || !Number.isFinite(lat) || lat < -90 || lat > 90) {
    throw new RangeError(`latitude must be a finite number in [-90, 90], got ${String(lat)}`);
  }
}

/**
 * True outside the rectangle the published algorithm treats as China (lon 72.004–137.8347,
 * lat 0.8293–55.8271). The rectangle also covers neighbouring countries; that is the convention
 * every GCJ-02 implementation follows, so data shifted by others round-trips here.
 */
export function outOfChina(lon: number, lat: number): boolean {
  checkLonLat(lon, lat);
  return lon < 72.004 || lon > 137.8347 || lat < 0.8293 || lat > 55.8271;
}

function shiftLat(x: number, y: number): number {
  let r = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * Math.sqrt(Math.abs(x));
  r += ((20.0 * Math.sin(6.0 * x * Math.PI) + 20.0 * Math.sin(2.0 * x * Math.PI)) * 2.0) / 3.0;
  r += ((20.0 * Math.sin(y * Math.PI) + 40.0 * Math.sin((y / 3.0) * Math.PI)) * 2.0) / 3.0;
  r += ((160.0 * Math.sin((y / 12.0) * Math.PI) + 320 * Math.sin((y * Math.PI) / 30.0)) * 2.0) / 3.0;
  return r;
}

function shiftLon(x: number, y: number): number {
  let r = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * Math.sqrt(Math.abs(x));
  r += ((20.0 * Math.sin(6.0 * x * Math.PI) + 20.0 * Math.sin(2.0 * x * Math.PI)) * 2.0) / 3.0;
  r += ((20.0 * Math.sin(x * Math.PI) + 40.0 * Math.sin((x / 3.0) * Math.PI)) * 2.0) / 3.0;
  r += ((150.0 * Math.sin((x / 12.0) * Math.PI) + 300.0 * Math.sin((x / 30.0) * Math.PI)) * 2.0) / 3.0;
  return r;
}

function gcjForward(lon: number, lat: number): LonLat {
  if (outOfChina(lon, lat)) return [lon, lat];
  let dLat = shiftLat(lon - 105.0, lat - 35.0);
  let dLon = shiftLon(lon - 105.0, lat - 35.0);
  const radLat = (lat / 180.0) * Math.PI;
  let magic = Math.sin(radLat);
  magic = 1 - EE * magic * magic;
  const sqrtMagic = Math.sqrt(magic);
  dLat = (dLat * 180.0) / (((A * (1 - EE)) / (magic * sqrtMagic)) * Math.PI);
  dLon = (dLon * 180.0) / ((A / sqrtMagic) * Math.cos(radLat) * Math.PI);
  return [lon + dLon, lat + dLat];
}

/** Inverts `forward` by fixed-point iteration starting from `first` (the shift is ~smooth and small). */
function invert(forward: PointTransform, lon: number, lat: number, first: LonLat): LonLat {
  let [x, y] = first;
  for (let i = 0; i < INVERSE_MAX_ITERATIONS; i++) {
    const [fx, fy] = forward(x, y);
    const ex = fx - lon;
    const ey = fy - lat;
    if (Math.abs(ex) < INVERSE_TOLERANCE_DEG && Math.abs(ey) < INVERSE_TOLERANCE_DEG) break;
    x -= ex;
    y -= ey;
  }
  return [x, y];
}

export function wgs84ToGcj02(lon: number, lat: number): LonLat {
  checkLonLat(lon, lat);
  return gcjForward(lon, lat);
}

export function gcj02ToWgs84(lon: number, lat: number): LonLat {
  checkLonLat(lon, lat);
  if (outOfChina(lon, lat)) return [lon, lat];
  return invert(gcjForward, lon, lat, [lon, lat]);
}

function bdForward(lon: number, lat: number): LonLat {
  if (outOfChina(lon, lat)) return [lon, lat];
  const z = Math.sqrt(lon * lon + lat * lat) + 0.00002 * Math.sin(lat * X_PI);
  const theta = Math.atan2(lat, lon) + 0.000003 * Math.cos(lon * X_PI);
  return [z * Math.cos(theta) + 0.0065, z * Math.sin(theta) + 0.006];
}

export function gcj02ToBd09(lon: number, lat: number): LonLat {
  checkLonLat(lon, lat);
  return bdForward(lon, lat);
}

export function bd09ToGcj02(lon: number, lat: number): LonLat {
  checkLonLat(lon, lat);
  if (outOfChina(lon, lat)) return [lon, lat];
  // The published closed-form inverse is off by up to ~1e-6°; it is only the starting guess.
  const x = lon - 0.0065;
  const y = lat - 0.006;
  const z = Math.sqrt(x * x + y * y) - 0.00002 * Math.sin(y * X_PI);
  const theta = Math.atan2(y, x) - 0.000003 * Math.cos(x * X_PI);
  return invert(bdForward, lon, lat, [z * Math.cos(theta), z * Math.sin(theta)]);
}

export function bd09ToWgs84(lon: number, lat: number): LonLat {
  const [gLon, gLat] = bd09ToGcj02(lon, lat);
  return gcj02ToWgs84(gLon, gLat);
}

export function wgs84ToBd09(lon: number, lat: number): LonLat {
  const [gLon, gLat] = wgs84ToGcj02(lon, lat);
  return gcj02ToBd09(gLon, gLat);
}

function convertPosition(p: Position, fn: PointTransform): Position {
  if (p.length < 2) throw new RangeError(`a position needs at least two numbers, got [${p.join(', ')}]`);
  const [lon, lat] = fn(p[0]!, p[1]!);
  // Altitude (and any further ordinate) is not part of the datum shift and is kept as is.
  return p.length > 2 ? [lon, lat, ...p.slice(2)] : [lon, lat];
}

/**
 * Applies a point transform to every position of a GeoJSON geometry and returns a new geometry
 * (the input is not modified). A `bbox` member is dropped because it would no longer be true.
 */
export function convertGeometry<G extends Geometry>(geom: G, fn: PointTransform): G {
  const pos = (p: Position) => convertPosition(p, fn);
  switch (geom.type) {
    case 'Point':
      return { type: 'Point', coordinates: pos(geom.coordinates) } as G;
    case 'MultiPoint':
      return { type: 'MultiPoint', coordinates: geom.coordinates.map(pos) } as G;
    case 'LineString':
      return { type: 'LineString', coordinates: geom.coordinates.map(pos) } as G;
    case 'MultiLineString':
      return { type: 'MultiLineString', coordinates: geom.coordinates.map((l) => l.map(pos)) } as G;
    case 'Polygon':
      return { type: 'Polygon', coordinates: geom.coordinates.map((r) => r.map(pos)) } as G;
    case 'MultiPolygon':
      return { type: 'MultiPolygon', coordinates: geom.coordinates.map((pg) => pg.map((r) => r.map(pos))) } as G;
    case 'GeometryCollection':
      return { type: 'GeometryCollection', geometries: geom.geometries.map((g) => convertGeometry(g, fn)) } as G;
    default:
      throw new TypeError(`unsupported GeoJSON geometry type: ${String((geom as { type?: unknown }).type)}`);
  }
}
