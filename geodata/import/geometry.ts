import type { Geometry, MultiPolygon, Point, Polygon, Position } from 'geojson';
import { convertGeometry } from '../crs/chinese.ts';
import type { ResolvedCrs } from './crs.ts';
import type { IssueLog } from './errors.ts';

export type GeometryExpectation = 'point' | 'polygon' | 'point-or-polygon';
export type CheckedGeometry = Point | Polygon | MultiPolygon;

interface Ctx {
  row: number;
  line?: number;
  fix: boolean;
  log: IssueLog;
  crs: ResolvedCrs;
}

/** Thrown inside the checker to stop at the first structural problem of a geometry. */
class Bad extends Error {
  constructor(
    readonly code: 'BAD_GEOMETRY' | 'BAD_COORDINATE' | 'COORD_OUT_OF_RANGE' | 'EMPTY_GEOMETRY' | 'RING_TOO_SHORT' | 'RING_NOT_CLOSED' | 'WRONG_GEOMETRY_TYPE' | 'NULL_ISLAND',
    message: string,
  ) {
    super(message);
  }
}

function fmt(p: unknown[]): string {
  return `[${p.map((v) => (typeof v === 'number' ? String(v) : JSON.stringify(v))).join(', ')}]`;
}

/** Magnitudes of metres in the projections used in China and for UTM (eastings with zone prefixes included). */
function looksProjected(x: number, y: number): boolean {
  const ax = Math.abs(x);
  const ay = Math.abs(y);
  return ax >= 1000 && ax < 1e8 && ay >= 1000 && ay < 1e8;
}

/** A 2D position with finite numbers (Z and M are dropped: storage is 2D). */
function position(p: unknown, crs: ResolvedCrs, where: string, log?: IssueLog): Position {
  if (!Array.isArray(p) || p.length < 2) throw new Bad('BAD_GEOMETRY', `${where}: a position needs [x, y], got ${JSON.stringify(p)}`);
  const [x, y] = p as unknown[];
  if (typeof x !== 'number' || typeof y !== 'number') throw new Bad('BAD_COORDINATE', `${where}: coordinates must be numbers, got ${fmt(p)}`);
  if (!Number.isFinite(x) || !Number.isFinite(y)) throw new Bad('BAD_COORDINATE', `${where}: non-finite coordinate ${fmt(p)}`);
  if (crs.geographic && (x < -180 || x > 180 || y < -90 || y > 90)) {
    const projected = looksProjected(x, y);
    if (projected) log?.tally('looks-projected');
    const hint = projected
        ? ' (looks like projected metres: pass the crs option, e.g. EPSG:4547)'
        : x >= -90 && x <= 90 && y >= -180 && y <= 180
          ? ' (longitude and latitude swapped?)'
          : '';
    throw new Bad('COORD_OUT_OF_RANGE', `${where}: ${fmt(p)} is outside longitude −180…180 / latitude −90…90${hint}`);
  }
  return [x, y];
}

function ring(r: unknown, crs: ResolvedCrs, where: string, ctx: Ctx): Position[] {
  if (!Array.isArray(r)) throw new Bad('BAD_GEOMETRY', `${where} is not an array of positions`);
  const pts = r.map((p, i) => position(p, crs, `${where} position ${i + 1}`, ctx.log));
  if (pts.length === 0) throw new Bad('EMPTY_GEOMETRY', `${where} is empty`);
  const first = pts[0]!;
  const last = pts[pts.length - 1]!;
  const closed = first[0] === last[0] && first[1] === last[1];
  if (!closed) {
    if (!ctx.fix) {
      throw new Bad('RING_NOT_CLOSED', `${where} is not closed: it starts at ${fmt(first)} and ends at ${fmt(last)} (fix: true closes it)`);
    }
    pts.push([first[0]!, first[1]!]);
    ctx.log.warn({ row: ctx.row, line: ctx.line, field: 'geometry', code: 'RING_CLOSED', message: `${where} was not closed; closed by repeating its first position` });
  }
  if (pts.length < 4) throw new Bad('RING_TOO_SHORT', `${where} has ${pts.length} positions; a ring needs at least 4 (3 corners and the closing one)`);
  return pts;
}

function polygonRings(rings: unknown, crs: ResolvedCrs, where: string, ctx: Ctx): Position[][] {
  if (!Array.isArray(rings)) throw new Bad('BAD_GEOMETRY', `${where} coordinates are not an array of rings`);
  if (rings.length === 0) throw new Bad('EMPTY_GEOMETRY', `${where} has no rings`);
  return rings.map((r, i) => ring(r, crs, `${where} ${i === 0 ? 'outer ring' : `hole ${i}`}`, ctx));
}

function structure(raw: unknown, expect: GeometryExpectation, ctx: Ctx): CheckedGeometry {
  if (!raw || typeof raw !== 'object') throw new Bad('BAD_GEOMETRY', `geometry is not an object`);
  const g = raw as { type?: unknown; coordinates?: unknown };
  const wantPoint = expect !== 'polygon';
  const wantPolygon = expect !== 'point';
  const expected = expect === 'point' ? 'a Point' : expect === 'polygon' ? 'a Polygon or MultiPolygon' : 'a Point, Polygon or MultiPolygon';
  const { crs } = ctx;
  switch (g.type) {
    case 'Point': {
      if (!wantPoint) throw new Bad('WRONG_GEOMETRY_TYPE', `geometry is a Point, expected ${expected}`);
      if (Array.isArray(g.coordinates) && g.coordinates.length === 0) throw new Bad('EMPTY_GEOMETRY', 'Point is empty');
      const p = position(g.coordinates, crs, 'Point', ctx.log);
      if (p[0] === 0 && p[1] === 0) throw new Bad('NULL_ISLAND', 'Point is at 0,0, which almost always means a missing location');
      return { type: 'Point', coordinates: p };
    }
    case 'MultiPoint': {
      if (!wantPoint) throw new Bad('WRONG_GEOMETRY_TYPE', `geometry is a MultiPoint, expected ${expected}`);
      if (!Array.isArray(g.coordinates) || g.coordinates.length === 0) throw new Bad('EMPTY_GEOMETRY', 'MultiPoint is empty');
      if (g.coordinates.length > 1) throw new Bad('WRONG_GEOMETRY_TYPE', `MultiPoint has ${g.coordinates.length} points; one location per record is expected`);
      const p = position(g.coordinates[0], crs, 'MultiPoint', ctx.log);
      if (p[0] === 0 && p[1] === 0) throw new Bad('NULL_ISLAND', 'Point is at 0,0, which almost always means a missing location');
      return { type: 'Point', coordinates: p };
    }
    case 'Polygon': {
      if (!wantPolygon) throw new Bad('WRONG_GEOMETRY_TYPE', `geometry is a Polygon, expected ${expected}`);
      return { type: 'Polygon', coordinates: polygonRings(g.coordinates, crs, 'Polygon', ctx) };
    }
    case 'MultiPolygon': {
      if (!wantPolygon) throw new Bad('WRONG_GEOMETRY_TYPE', `geometry is a MultiPolygon, expected ${expected}`);
      if (!Array.isArray(g.coordinates)) throw new Bad('BAD_GEOMETRY', 'MultiPolygon coordinates are not an array');
      if (g.coordinates.length === 0) throw new Bad('EMPTY_GEOMETRY', 'MultiPolygon has no polygons');
      return {
        type: 'MultiPolygon',
        coordinates: g.coordinates.map((pg, i) => polygonRings(pg, crs, `MultiPolygon part ${i + 1}`, ctx)),
      };
    }
    case 'LineString':
    case 'MultiLineString':
    case 'GeometryCollection':
      throw new Bad('WRONG_GEOMETRY_TYPE', `geometry is a ${g.type}, expected ${expected}`);
    default:
      throw new Bad('BAD_GEOMETRY', `unknown geometry type ${JSON.stringify(g.type ?? null)}`);
  }
}

function checkConverted(g: CheckedGeometry, crs: ResolvedCrs): void {
  const visit = (p: Position) => {
    const [x, y] = p as [number, number];
    if (!Number.isFinite(x) || !Number.isFinite(y) || x < -180 || x > 180 || y < -90 || y > 90) {
      throw new Bad('COORD_OUT_OF_RANGE', `coordinates convert from ${crs.code} to ${fmt([x, y])}, which is not a valid longitude/latitude (wrong zone or CRS?)`);
    }
  };
  if (g.type === 'Point') visit(g.coordinates);
  else if (g.type === 'Polygon') g.coordinates.forEach((r) => r.forEach(visit));
  else g.coordinates.forEach((pg) => pg.forEach((r) => r.forEach(visit)));
}

/**
 * Checks a geometry's structure, coordinate values and rings, converts it to WGS84 and returns it
 * (2D), or logs one error and returns null. Validity in the OGC sense (self-intersections) is left
 * to PostGIS, which the database checks anyway.
 */
export function checkGeometry(raw: Geometry | null | undefined, expect: GeometryExpectation, ctx: Ctx): CheckedGeometry | null {
  if (raw === null || raw === undefined) {
    ctx.log.error({ row: ctx.row, line: ctx.line, field: 'geometry', code: 'MISSING_VALUE', message: `record ${ctx.row} has no geometry` });
    return null;
  }
  try {
    let g = structure(raw, expect, ctx);
    if (ctx.crs.transform) {
      const t = ctx.crs.transform;
      g = convertGeometry(g, (x, y) => t(x, y));
      checkConverted(g, ctx.crs);
    }
    return g;
  } catch (err) {
    if (!(err instanceof Bad)) throw err;
    ctx.log.error({ row: ctx.row, line: ctx.line, field: 'geometry', code: err.code, message: `record ${ctx.row}: ${err.message}` });
    return null;
  }
}
