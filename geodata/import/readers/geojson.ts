import type { Geometry } from 'geojson';
import { ImportError } from '../errors.ts';
import { ColumnSet, type ParsedInput, type ReadContext, type SourceRecord } from './types.ts';

const GEOMETRY_TYPES = new Set(['Point', 'MultiPoint', 'LineString', 'MultiLineString', 'Polygon', 'MultiPolygon', 'GeometryCollection']);

function describeJsonError(text: string, err: Error): string {
  // V8 says "... at position N" (or "line L column C" in newer versions); turn a position into a line.
  const m = /position (\d+)/.exec(err.message);
  if (m) {
    const pos = Number(m[1]);
    const line = text.slice(0, pos).split('\n').length;
    return `${err.message} (line ${line})`;
  }
  return err.message;
}

/** The name of a GeoJSON 2008 `crs` member ("urn:ogc:def:crs:EPSG::4547" → "EPSG:4547"). */
export function crsMemberName(doc: unknown): string | null {
  if (!doc || typeof doc !== 'object') return null;
  const crs = (doc as { crs?: { type?: string; properties?: { name?: unknown } } }).crs;
  const name = crs?.properties?.name;
  if (typeof name !== 'string') return null;
  if (/CRS84$/i.test(name)) return 'EPSG:4326';
  const m = /EPSG:{1,2}(?:[\d.]*:)?(\d+)$/i.exec(name);
  return m ? `EPSG:${m[1]}` : name;
}

/**
 * GeoJSON FeatureCollection, a single Feature, a bare array of Features (DataV writes those), or a
 * bare geometry. Feature `id` is exposed as property "id" when the properties have none, so it can
 * serve as a code.
 */
export function readGeoJson(text: string, encoding: string, ctx: ReadContext): ParsedInput & { crsMember: string | null } {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new ImportError('PARSE_ERROR', `GeoJSON is not valid JSON: ${describeJsonError(text, err as Error)}`);
  }
  let features: unknown[];
  if (Array.isArray(doc)) features = doc;
  else if (doc && typeof doc === 'object') {
    const type = (doc as { type?: unknown }).type;
    if (type === 'FeatureCollection') {
      const f = (doc as { features?: unknown }).features;
      if (!Array.isArray(f)) throw new ImportError('PARSE_ERROR', 'GeoJSON FeatureCollection has no "features" array');
      features = f;
    } else if (type === 'Feature') features = [doc];
    else if (typeof type === 'string' && GEOMETRY_TYPES.has(type)) features = [{ type: 'Feature', properties: {}, geometry: doc }];
    else throw new ImportError('PARSE_ERROR', `JSON is not GeoJSON (type ${JSON.stringify(type ?? null)})`);
  } else {
    throw new ImportError('PARSE_ERROR', 'JSON is not GeoJSON (not an object or array)');
  }
  const columns = new ColumnSet();
  const records: SourceRecord[] = [];
  features.forEach((f, i) => {
    const row = i + 1;
    if (!f || typeof f !== 'object' || (f as { type?: unknown }).type !== 'Feature') {
      ctx.log.error({ row, field: null, code: 'BAD_GEOMETRY', message: `feature ${row} is not a GeoJSON Feature object` });
      records.push({ row, props: {}, geometry: null });
      return;
    }
    const feat = f as { properties?: unknown; geometry?: unknown; id?: unknown };
    const props: Record<string, unknown> =
      feat.properties && typeof feat.properties === 'object' && !Array.isArray(feat.properties) ? { ...(feat.properties as object) } : {};
    if (feat.id !== undefined && feat.id !== null && props.id === undefined) props.id = feat.id;
    columns.add(props);
    records.push({ row, props, geometry: (feat.geometry ?? null) as Geometry | null });
  });
  return { format: 'geojson', encoding, declaredCrs: null, records, columns: columns.list, crsMember: crsMemberName(doc) };
}
