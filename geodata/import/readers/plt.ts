import { ImportError } from '../errors.ts';
import type { ParsedInput, ReadContext, SourceRecord } from './types.ts';

/**
 * GeoLife .plt trajectories: six header lines, then "lat,lon,0,altitude_ft,days,date,time" with
 * time in GMT. Records are numbered from the first data line.
 */
export function readPlt(text: string, encoding: string, ctx: ReadContext): ParsedInput {
  const lines = text.split(/\r?\n/);
  if (lines.length < 6 || !/geolife/i.test(lines[0] ?? '')) {
    throw new ImportError('PARSE_ERROR', 'not a GeoLife .plt file: it must start with six header lines ("Geolife trajectory", "WGS 84", ...)');
  }
  const records: SourceRecord[] = [];
  let row = 0;
  for (let i = 6; i < lines.length; i++) {
    const raw = lines[i]!.trim();
    if (!raw) continue;
    row++;
    const line = i + 1;
    const f = raw.split(',');
    if (f.length !== 7) {
      ctx.log.error({ row, line, field: null, code: 'ROW_SHAPE', message: `point ${row} (line ${line}) has ${f.length} fields, a .plt point has 7` });
      records.push({ row, line, props: {} });
      continue;
    }
    records.push({ row, line, props: { lat: f[0], lon: f[1], alt_ft: f[3], time: `${f[5]}T${f[6]}Z` } });
  }
  return {
    format: 'plt',
    encoding,
    declaredCrs: { code: 'EPSG:4326', label: 'EPSG:4326 (GeoLife .plt)', transform: null },
    records,
    columns: ['lat', 'lon', 'alt_ft', 'time'],
  };
}
