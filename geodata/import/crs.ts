import { bd09ToWgs84, gcj02ToWgs84 } from '../crs/chinese.ts';
import { CrsError, inverseTransform, projectedCrs, type PointTransform } from '../crs/projected.ts';
import { ImportError, type IssueLog } from './errors.ts';
import type { ReadResult } from './read.ts';

export interface ResolvedCrs {
  code: string;
  /** For the report: code and where it came from. */
  label: string;
  /** null: already WGS84 lon/lat. */
  transform: PointTransform | null;
  /** Whether source coordinates are lon/lat degrees (so their range can be checked before converting). */
  geographic: boolean;
}

/** Interprets a CRS name from an option, a profile or a GeoJSON crs member. */
export function parseCrs(name: string, origin: string): ResolvedCrs {
  const n = name.trim().toUpperCase().replace(/\s+/g, '');
  if (['EPSG:4326', '4326', 'WGS84', 'WGS-84', 'CRS84', 'OGC:CRS84'].includes(n)) {
    return { code: 'EPSG:4326', label: `EPSG:4326 (${origin})`, transform: null, geographic: true };
  }
  if (['EPSG:4490', '4490', 'CGCS2000'].includes(n)) {
    return { code: 'EPSG:4490', label: `EPSG:4490 CGCS2000, stored as WGS84 (${origin})`, transform: null, geographic: true };
  }
  if (['GCJ-02', 'GCJ02', 'GCJ', 'AMAP', 'MARS'].includes(n)) {
    return { code: 'GCJ-02', label: `GCJ-02 (${origin})`, transform: gcj02ToWgs84, geographic: true };
  }
  if (['BD-09', 'BD09', 'BD09LL', 'BAIDU'].includes(n)) {
    return { code: 'BD-09', label: `BD-09 (${origin})`, transform: bd09ToWgs84, geographic: true };
  }
  let projected;
  try {
    projected = projectedCrs(n);
  } catch (err) {
    if (err instanceof CrsError) throw new ImportError('CRS_UNSUPPORTED', err.message, { field: 'crs' });
    throw err;
  }
  if (projected) {
    return { code: projected.code, label: `${projected.code} ${projected.name} (${origin})`, transform: inverseTransform(projected), geographic: false };
  }
  throw new ImportError(
    'CRS_UNSUPPORTED',
    `unsupported CRS "${name}" (${origin}); use EPSG:4326, EPSG:4490, GCJ-02, BD-09, EPSG:4491–4554 (CGCS2000 Gauss-Krüger), EPSG:326xx/327xx (UTM) or EPSG:3857`,
    { field: 'crs' },
  );
}

/**
 * Which CRS the coordinates are in: the option wins (with a warning when the file says otherwise),
 * then what the file declares, then WGS84. A shapefile whose extent is plainly in metres and that
 * declares nothing is refused: guessing a zone would silently misplace every feature.
 */
export function resolveCrs(option: string | undefined, input: ReadResult, log: IssueLog): ResolvedCrs {
  const declared = input.crsMember
    ? parseCrs(input.crsMember, 'GeoJSON crs member')
    : input.declaredCrs
      ? {
          code: input.declaredCrs.code,
          label: input.declaredCrs.label,
          transform: input.declaredCrs.transform,
          geographic: input.declaredCrs.transform === null,
        }
      : null;
  if (option) {
    const chosen = parseCrs(option, 'option');
    if (declared && declared.code !== chosen.code && !(isWgs84Like(declared.code) && isWgs84Like(chosen.code))) {
      log.warn({
        row: null,
        field: 'crs',
        code: 'CRS_OVERRIDDEN',
        message: `the file declares ${declared.code} but the crs option ${chosen.code} is used`,
      });
    }
    return chosen;
  }
  if (declared) return declared;
  if (input.format === 'shapefile' && input.projectedLooking) {
    throw new ImportError(
      'CRS_MISSING',
      'the shapefile has no .prj and its coordinates are not longitude/latitude (they look projected, in metres); add the .prj to the zip or pass the crs option (e.g. EPSG:4547)',
      { field: 'crs' },
    );
  }
  return { code: 'EPSG:4326', label: 'EPSG:4326 (default)', transform: null, geographic: true };
}

function isWgs84Like(code: string): boolean {
  return code === 'EPSG:4326' || code === 'EPSG:4490';
}
