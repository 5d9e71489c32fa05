import { decodeText, looksBinary } from './encoding.ts';
import { ImportError } from './errors.ts';
import { readCsv } from './readers/csv.ts';
import { readGeoJson } from './readers/geojson.ts';
import { readGpx } from './readers/gpx.ts';
import { readKml } from './readers/kml.ts';
import { readNmea } from './readers/nmea.ts';
import { readPlt } from './readers/plt.ts';
import { findShapefile, readShapefile } from './readers/shapefile.ts';
import type { ParsedInput, ReadContext } from './readers/types.ts';
import type { InputFormat } from './types.ts';
import { isZip, ZipArchive } from './zip.ts';

export interface ReadResult extends ParsedInput {
  /** GeoJSON `crs` member, when present. */
  crsMember?: string | null;
}

const BY_EXTENSION: Record<string, InputFormat> = {
  geojson: 'geojson',
  json: 'geojson',
  csv: 'csv',
  tsv: 'csv',
  kml: 'kml',
  gpx: 'gpx',
  nmea: 'nmea',
  nma: 'nmea',
  plt: 'plt',
};

function extension(name: string): string {
  const m = /\.([^./\\]+)$/.exec(name);
  return m ? m[1]!.toLowerCase() : '';
}

/** Content sniffing for files whose extension says nothing (.txt, .log, none). */
function sniffText(text: string): InputFormat {
  const head = text.slice(0, 4096).trimStart();
  if (head.startsWith('{') || head.startsWith('[')) return 'geojson';
  if (head.startsWith('<')) {
    if (/<(\w+:)?kml[\s>]/.test(head)) return 'kml';
    if (/<(\w+:)?gpx[\s>]/.test(head)) return 'gpx';
    throw new ImportError('UNKNOWN_FORMAT', 'XML file that is neither KML nor GPX');
  }
  const firstLine = head.split(/\r?\n/, 1)[0] ?? '';
  if (/geolife/i.test(firstLine)) return 'plt';
  if (/^(.*\s)?\$[A-Z]{2}[A-Z]{3},/.test(firstLine)) return 'nmea';
  return 'csv';
}

function readText(fileName: string, bytes: Uint8Array, ctx: ReadContext): ReadResult {
  if (looksBinary(bytes)) {
    throw new ImportError('UNKNOWN_FORMAT', `"${fileName}" is binary data, not GeoJSON, CSV, KML, GPX, NMEA, .plt or a zipped shapefile`);
  }
  const decoded = decodeText(bytes, ctx.encoding);
  if (decoded.text.trim() === '') throw new ImportError('FILE_EMPTY', `"${fileName}" contains only whitespace`);
  if (decoded.label.startsWith('gb18030')) {
    ctx.log.warn({ row: null, field: null, code: 'ENCODING_DETECTED', message: 'file is not valid UTF-8: decoded as GB18030/GBK (as Excel in China writes CSV)' });
  }
  const format = BY_EXTENSION[extension(fileName)] ?? sniffText(decoded.text);
  switch (format) {
    case 'geojson':
      return readGeoJson(decoded.text, decoded.label, ctx);
    case 'csv':
      return readCsv(decoded.text, decoded.label, ctx);
    case 'kml':
      return readKml(decoded.text, decoded.label, ctx);
    case 'gpx':
      return readGpx(decoded.text, decoded.label, ctx);
    case 'nmea':
      return readNmea(decoded.text, decoded.label, ctx);
    case 'plt':
      return readPlt(decoded.text, decoded.label, ctx);
    case 'shapefile':
      throw new ImportError('SHAPEFILE_INCOMPLETE', 'a shapefile must be uploaded as a zip');
  }
}

/** Reads any supported upload into records. Throws ImportError for file-level problems. */
export async function readInput(fileName: string, bytes: Uint8Array, ctx: ReadContext): Promise<ReadResult> {
  if (bytes.length === 0) throw new ImportError('FILE_EMPTY', `"${fileName}" is empty (0 bytes)`);
  const ext = extension(fileName);
  if (isZip(bytes) || ext === 'zip' || ext === 'kmz') {
    const zip = new ZipArchive(bytes, { maxEntries: ctx.maxZipEntries, maxUncompressedBytes: ctx.maxUncompressedBytes });
    const shp = findShapefile(zip);
    if (shp) return readShapefile(zip, shp, ctx);
    // A zip (or KMZ) may also carry one plain data file.
    const docs = zip.entries.filter((e) => !e.name.startsWith('__MACOSX/') && BY_EXTENSION[extension(e.name)] !== undefined);
    if (docs.length === 1) return readText(docs[0]!.name, zip.read(docs[0]!), ctx);
    if (docs.length === 0) throw new ImportError('UNKNOWN_FORMAT', 'zip holds no shapefile (.shp + .dbf) and no GeoJSON, CSV, KML or GPX file');
    throw new ImportError('UNKNOWN_FORMAT', `zip holds several data files (${docs.map((d) => d.name).join(', ')}); upload one per import`);
  }
  if (ext === 'shp' || ext === 'dbf' || ext === 'shx') {
    throw new ImportError('SHAPEFILE_INCOMPLETE', `a bare .${ext} cannot be imported: zip the .shp, .dbf, .prj and .cpg together`);
  }
  return readText(fileName, bytes, ctx);
}
