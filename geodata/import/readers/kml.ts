import { kml } from '@tmcw/togeojson';
import type { Geometry } from 'geojson';
import { ImportError } from '../errors.ts';
import { ColumnSet, type ParsedInput, type ReadContext, type SourceRecord } from './types.ts';
import { parseXml } from './xml.ts';

/**
 * A MultiGeometry of polygons is one MultiPolygon for our purposes (a village with an exclave),
 * and a MultiGeometry of one point is that point.
 */
function simplifyCollection(g: Geometry | null): Geometry | null {
  if (!g || g.type !== 'GeometryCollection') return g;
  const parts = g.geometries.map(simplifyCollection).filter((x): x is Geometry => x !== null);
  if (parts.length > 0 && parts.every((p) => p.type === 'Polygon' || p.type === 'MultiPolygon')) {
    return {
      type: 'MultiPolygon',
      coordinates: parts.flatMap((p) => (p.type === 'Polygon' ? [p.coordinates] : p.type === 'MultiPolygon' ? p.coordinates : [])),
    };
  }
  if (parts.length === 1) return parts[0]!;
  return { type: 'GeometryCollection', geometries: parts };
}

/** KML placemarks (always WGS84 by the KML specification). ExtendedData fields become properties. */
export function readKml(text: string, encoding: string, ctx: ReadContext): ParsedInput {
  const doc = parseXml(text, 'KML');
  const root = doc.documentElement;
  if (!root || root.nodeName.replace(/^.*:/, '').toLowerCase() !== 'kml') {
    throw new ImportError('PARSE_ERROR', `XML root element is <${root?.nodeName ?? '?'}>, not <kml>`);
  }
  const fc = kml(doc);
  const columns = new ColumnSet();
  const records: SourceRecord[] = fc.features.map((f, i) => {
    const props = { ...(f.properties ?? {}) } as Record<string, unknown>;
    if (f.id !== undefined && props.id === undefined) props.id = f.id;
    // Style members are rendering hints, not data; keeping them would only clutter auto-detection.
    for (const k of Object.keys(props)) if (/^(styleUrl|styleHash|styleMapHash|stroke|fill|icon)/.test(k)) delete props[k];
    columns.add(props);
    return { row: i + 1, props, geometry: simplifyCollection(f.geometry) };
  });
  void ctx;
  return { format: 'kml', encoding, declaredCrs: { code: 'EPSG:4326', label: 'EPSG:4326 (KML)', transform: null }, records, columns: columns.list };
}
