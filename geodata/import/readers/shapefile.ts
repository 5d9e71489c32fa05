import type { Geometry } from 'geojson';
import * as shapefile from 'shapefile';
import { crsFromPrj, CrsError, inverseTransform } from '../../crs/projected.ts';
import { checkEncoding, isValidUtf8 } from '../encoding.ts';
import { ImportError } from '../errors.ts';
import type { ZipArchive, ZipEntry } from '../zip.ts';
import { ColumnSet, type DeclaredCrs, type ParsedInput, type ReadContext, type SourceRecord } from './types.ts';

/** Entries of a zip that belong to one shapefile, by lower-case extension. */
export interface ShapefileParts {
  base: string;
  shp: ZipEntry;
  dbf?: ZipEntry;
  prj?: ZipEntry;
  cpg?: ZipEntry;
}

function ext(name: string): string {
  const m = /\.([^./\\]+)$/.exec(name);
  return m ? m[1]!.toLowerCase() : '';
}

function stem(name: string): string {
  return name.replace(/\.[^./\\]+$/, '');
}

/** Finds the shapefile in a zip, ignoring macOS resource forks. Refuses zips holding several. */
export function findShapefile(zip: ZipArchive): ShapefileParts | null {
  const usable = zip.entries.filter((e) => !e.name.startsWith('__MACOSX/') && !/(^|\/)\._/.test(e.name) && !e.name.endsWith('/'));
  const shps = usable.filter((e) => ext(e.name) === 'shp');
  if (shps.length === 0) return null;
  if (shps.length > 1) {
    throw new ImportError('UNKNOWN_FORMAT', `zip holds ${shps.length} shapefiles (${shps.map((e) => e.name).join(', ')}); upload one layer per file`);
  }
  const shp = shps[0]!;
  const base = stem(shp.name).toLowerCase();
  const part = (x: string) => usable.find((e) => stem(e.name).toLowerCase() === base && ext(e.name) === x);
  return { base: stem(shp.name), shp, dbf: part('dbf'), prj: part('prj'), cpg: part('cpg') };
}

/** Code pages a .cpg or the dBASE language driver byte may name. */
function encodingFromCpg(text: string): string {
  const t = text.trim().replace(/^ANSI\s*/i, '');
  if (t === '65001' || /^utf-?8$/i.test(t)) return 'utf-8';
  if (t === '936' || /^(cp)?936$/i.test(t)) return 'gbk';
  return checkEncoding(t);
}

/** dBASE byte 29, the language driver id: 0x4D and 0x7A are Chinese GBK (code page 936). */
function encodingFromLdid(dbf: Uint8Array): string | null {
  const ldid = dbf[29];
  if (ldid === 0x4d || ldid === 0x7a) return 'gbk';
  return null;
}

function dbfRecordBytes(dbf: Uint8Array): Uint8Array {
  const headerLength = dbf[8]! | (dbf[9]! << 8);
  return dbf.subarray(Math.min(headerLength, dbf.length));
}

export async function readShapefile(zip: ZipArchive, parts: ShapefileParts, ctx: ReadContext): Promise<ParsedInput> {
  if (!parts.dbf) {
    throw new ImportError('SHAPEFILE_INCOMPLETE', `shapefile "${parts.base}" has no .dbf attribute table in the zip (need .shp, .dbf and ideally .prj, .cpg)`);
  }
  const shpBytes = zip.read(parts.shp);
  const dbfBytes = zip.read(parts.dbf);

  // Encoding: option, then .cpg, then the language driver byte, then a UTF-8 validity test.
  let encoding: string;
  let label: string;
  if (ctx.encoding) {
    encoding = checkEncoding(ctx.encoding);
    label = `${encoding} (option)`;
  } else if (parts.cpg) {
    const cpg = new TextDecoder().decode(zip.read(parts.cpg));
    encoding = encodingFromCpg(cpg);
    label = `${encoding} (from .cpg "${cpg.trim()}")`;
  } else {
    const fromLdid = encodingFromLdid(dbfBytes);
    if (fromLdid) {
      encoding = fromLdid;
      label = `${encoding} (from the .dbf language driver byte)`;
    } else if (isValidUtf8(dbfRecordBytes(dbfBytes))) {
      encoding = 'utf-8';
      label = 'utf-8 (detected: no .cpg)';
    } else {
      encoding = 'gb18030';
      label = 'gb18030 (detected: no .cpg, attributes not valid UTF-8)';
      ctx.log.warn({ row: null, field: null, code: 'ENCODING_DETECTED', message: 'no .cpg in the zip and the .dbf is not UTF-8: decoded as GB18030/GBK' });
    }
  }

  try {
    // The shapefile library decodes attributes with TextDecoder, whose label set differs from iconv's.
    new TextDecoder(encoding);
  } catch {
    throw new ImportError('BAD_OPTION', `attribute encoding "${encoding}" is not supported for shapefiles`);
  }

  let declaredCrs: DeclaredCrs | null = null;
  if (parts.prj) {
    const wkt = new TextDecoder().decode(zip.read(parts.prj));
    try {
      const prj = crsFromPrj(wkt);
      declaredCrs = {
        code: prj.code,
        label: `${prj.code} (from .prj: ${prj.name})`,
        transform: prj.projected ? inverseTransform(prj.projected) : null,
      };
    } catch (err) {
      if (err instanceof CrsError) throw new ImportError('CRS_UNSUPPORTED', `.prj: ${err.message}`);
      throw err;
    }
  }

  let source: Awaited<ReturnType<typeof shapefile.open>>;
  try {
    source = await shapefile.open(shpBytes, dbfBytes, { encoding });
  } catch (err) {
    throw new ImportError('PARSE_ERROR', `shapefile "${parts.base}" cannot be read: ${(err as Error).message}`);
  }
  const [minX, minY, maxX, maxY] = source.bbox;
  const projectedLooking =
    [minX, minY, maxX, maxY].every((v) => Number.isFinite(v)) &&
    (Math.abs(minX!) > 180 || Math.abs(maxX!) > 180 || Math.abs(minY!) > 90 || Math.abs(maxY!) > 90);

  const columns = new ColumnSet();
  const records: SourceRecord[] = [];
  try {
    for (let row = 1; ; row++) {
      const r = await source.read();
      if (r.done) break;
      const props = { ...(r.value.properties ?? {}) } as Record<string, unknown>;
      columns.add(props);
      records.push({ row, props, geometry: (r.value.geometry ?? null) as Geometry | null });
    }
  } catch (err) {
    throw new ImportError('PARSE_ERROR', `shapefile "${parts.base}" is corrupt after ${records.length} records: ${(err as Error).message}`);
  }
  return { format: 'shapefile', encoding: label, declaredCrs, records, columns: columns.list, projectedLooking };
}
