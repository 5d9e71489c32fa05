import type { MultiPolygon, Point, Polygon, Position } from 'geojson';
import { zipSync } from 'fflate';
import iconv from 'iconv-lite';

/**
 * A minimal ESRI shapefile writer (Point and Polygon), enough for the desktop GIS of a district
 * office to open our grids, addresses and events. Attributes are written in UTF-8 and say so in a
 * .cpg, the only way ArcGIS and QGIS agree on Chinese text in a .dbf.
 */

export type DbfFieldType = 'C' | 'N' | 'L' | 'D';

export interface DbfField {
  name: string;
  type: DbfFieldType;
  /** Characters (bytes) for C, digits for N; C fields shrink to their longest value when omitted. */
  length?: number;
  decimals?: number;
}

export type DbfValue = string | number | boolean | Date | null | undefined;

export interface ShapeRecord {
  geometry: Point | Polygon | MultiPolygon | null;
  values: DbfValue[];
}

export interface ShapefileParts {
  shp: Uint8Array;
  shx: Uint8Array;
  dbf: Uint8Array;
  prj: string;
  cpg: string;
}

export const WGS84_PRJ =
  'GEOGCS["GCS_WGS_1984",DATUM["D_WGS_1984",SPHEROID["WGS_1984",6378137.0,298.257223563]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]]';

const SHAPE_NULL = 0;
const SHAPE_POINT = 1;
const SHAPE_POLYGON = 5;

/** Twice the signed area (shoelace); positive = counter-clockwise with y up. */
function signedArea2(ring: Position[]): number {
  let s = 0;
  for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) s += ring[j]![0]! * ring[i]![1]! - ring[i]![0]! * ring[j]![1]!;
  return s;
}

/** Shapefile rings: outer rings clockwise, holes counter-clockwise (the reverse of RFC 7946). */
function shapefileRings(g: Polygon | MultiPolygon): Position[][] {
  const polys = g.type === 'Polygon' ? [g.coordinates] : g.coordinates;
  const rings: Position[][] = [];
  for (const poly of polys) {
    poly.forEach((ring, i) => {
      const ccw = signedArea2(ring) > 0;
      const wantCcw = i > 0;
      rings.push(ccw === wantCcw ? ring : [...ring].reverse());
    });
  }
  return rings;
}

interface Bbox {
  minX: number;
  minY: number;
  maxX: number;
  maxY: number;
}

function extend(b: Bbox, p: Position): void {
  b.minX = Math.min(b.minX, p[0]!);
  b.minY = Math.min(b.minY, p[1]!);
  b.maxX = Math.max(b.maxX, p[0]!);
  b.maxY = Math.max(b.maxY, p[1]!);
}

function encodeShape(g: ShapeRecord['geometry'], shapeType: number, fileBox: Bbox): Uint8Array {
  if (!g) {
    const out = new Uint8Array(4);
    new DataView(out.buffer).setInt32(0, SHAPE_NULL, true);
    return out;
  }
  if (shapeType === SHAPE_POINT) {
    if (g.type !== 'Point') throw new TypeError(`a Point shapefile cannot hold a ${g.type}`);
    const out = new Uint8Array(20);
    const v = new DataView(out.buffer);
    v.setInt32(0, SHAPE_POINT, true);
    v.setFloat64(4, g.coordinates[0]!, true);
    v.setFloat64(12, g.coordinates[1]!, true);
    extend(fileBox, g.coordinates);
    return out;
  }
  if (g.type === 'Point') throw new TypeError('a Polygon shapefile cannot hold a Point');
  const rings = shapefileRings(g);
  const nPoints = rings.reduce((n, r) => n + r.length, 0);
  const out = new Uint8Array(44 + 4 * rings.length + 16 * nPoints);
  const v = new DataView(out.buffer);
  const box: Bbox = { minX: Infinity, minY: Infinity, maxX: -Infinity, maxY: -Infinity };
  for (const r of rings) for (const p of r) extend(box, p);
  v.setInt32(0, SHAPE_POLYGON, true);
  v.setFloat64(4, box.minX, true);
  v.setFloat64(12, box.minY, true);
  v.setFloat64(20, box.maxX, true);
  v.setFloat64(28, box.maxY, true);
  v.setInt32(36, rings.length, true);
  v.setInt32(40, nPoints, true);
  let o = 44;
  let start = 0;
  for (const r of rings) {
    v.setInt32(o, start, true);
    o += 4;
    start += r.length;
  }
  for (const r of rings) {
    for (const p of r) {
      v.setFloat64(o, p[0]!, true);
      v.setFloat64(o + 8, p[1]!, true);
      o += 16;
    }
  }
  extend(fileBox, [box.minX, box.minY]);
  extend(fileBox, [box.maxX, box.maxY]);
  return out;
}

function header(shapeType: number, fileLengthBytes: number, box: Bbox): Uint8Array {
  const h = new Uint8Array(100);
  const v = new DataView(h.buffer);
  v.setInt32(0, 9994, false);
  v.setInt32(24, fileLengthBytes / 2, false);
  v.setInt32(28, 1000, true);
  v.setInt32(32, shapeType, true);
  const empty = !Number.isFinite(box.minX);
  v.setFloat64(36, empty ? 0 : box.minX, true);
  v.setFloat64(44, empty ? 0 : box.minY, true);
  v.setFloat64(52, empty ? 0 : box.maxX, true);
  v.setFloat64(60, empty ? 0 : box.maxY, true);
  return h;
}

const utf8 = new TextEncoder();

/** Cuts UTF-8 at a character boundary so a Chinese character is never split in half. */
function truncateUtf8(bytes: Uint8Array, max: number): Uint8Array {
  if (bytes.length <= max) return bytes;
  let end = max;
  while (end > 0 && (bytes[end]! & 0xc0) === 0x80) end--;
  return bytes.subarray(0, end);
}

function dbfText(field: DbfField, value: DbfValue): string {
  if (value === null || value === undefined) return '';
  switch (field.type) {
    case 'N':
      return typeof value === 'number' && Number.isFinite(value) ? value.toFixed(field.decimals ?? 0) : '';
    case 'L':
      return value === true ? 'T' : value === false ? 'F' : '?';
    case 'D': {
      const d = value instanceof Date ? value : new Date(String(value));
      return Number.isNaN(d.getTime()) ? '' : d.toISOString().slice(0, 10).replace(/-/g, '');
    }
    case 'C':
      return value instanceof Date ? value.toISOString() : String(value);
  }
}

function writeDbf(fields: DbfField[], records: DbfValue[][], encoding: AttributeEncoding): Uint8Array {
  const encode = (s: string): Uint8Array => (encoding === 'utf-8' ? utf8.encode(s) : new Uint8Array(iconv.encode(s, 'gbk')));
  const encoded = records.map((r) => fields.map((f, i) => encode(dbfText(f, r[i]))));
  const lengths = fields.map((f, i) => {
    if (f.type === 'L') return 1;
    if (f.type === 'D') return 8;
    if (f.length) return Math.min(f.length, 254);
    const longest = encoded.reduce((m, r) => Math.max(m, r[i]!.length), 1);
    return Math.min(Math.max(longest, 1), 254);
  });
  const headerLength = 32 + 32 * fields.length + 1;
  const recordLength = 1 + lengths.reduce((a, b) => a + b, 0);
  const out = new Uint8Array(headerLength + recordLength * records.length + 1);
  const v = new DataView(out.buffer);
  const now = new Date();
  out[0] = 0x03;
  out[1] = now.getUTCFullYear() - 1900;
  // Language driver 0x4D says GBK to readers that ignore .cpg (old ArcGIS); 0 means "see .cpg".
  out[29] = encoding === 'gbk' ? 0x4d : 0;
  out[2] = now.getUTCMonth() + 1;
  out[3] = now.getUTCDate();
  v.setUint32(4, records.length, true);
  v.setUint16(8, headerLength, true);
  v.setUint16(10, recordLength, true);
  fields.forEach((f, i) => {
    const o = 32 + 32 * i;
    const name = utf8.encode(f.name.slice(0, 10));
    out.set(name.subarray(0, 10), o);
    out[o + 11] = f.type.charCodeAt(0);
    out[o + 16] = lengths[i]!;
    out[o + 17] = f.type === 'N' ? (f.decimals ?? 0) : 0;
  });
  out[headerLength - 1] = 0x0d;
  let o = headerLength;
  for (const r of encoded) {
    out[o++] = 0x20;
    fields.forEach((f, i) => {
      const len = lengths[i]!;
      const bytes = truncateUtf8(r[i]!, len);
      // Numbers are right-aligned, everything else left-aligned, both padded with spaces.
      out.fill(0x20, o, o + len);
      out.set(bytes, f.type === 'N' ? o + len - bytes.length : o);
      o += len;
    });
  }
  out[o] = 0x1a;
  return out;
}

/** UTF-8 by default; GBK for old desktop GIS that ignore .cpg. */
export type AttributeEncoding = 'utf-8' | 'gbk';

export function writeShapefile(kind: 'point' | 'polygon', fields: DbfField[], records: ShapeRecord[], encoding: AttributeEncoding = 'utf-8'): ShapefileParts {
  for (const f of fields) if (!/^[A-Za-z][A-Za-z0-9_]{0,9}$/.test(f.name)) throw new TypeError(`dbf field name "${f.name}" must be 1–10 ASCII characters`);
  const shapeType = kind === 'point' ? SHAPE_POINT : SHAPE_POLYGON;
  const box: Bbox = { minX: Infinity, minY: Infinity, maxX: -Infinity, maxY: -Infinity };
  const contents = records.map((r) => encodeShape(r.geometry, shapeType, box));
  const shpLength = 100 + contents.reduce((n, c) => n + 8 + c.length, 0);
  const shp = new Uint8Array(shpLength);
  const shx = new Uint8Array(100 + 8 * records.length);
  shp.set(header(shapeType, shpLength, box), 0);
  shx.set(header(shapeType, shx.length, box), 0);
  const sv = new DataView(shp.buffer);
  const xv = new DataView(shx.buffer);
  let o = 100;
  contents.forEach((c, i) => {
    xv.setInt32(100 + 8 * i, o / 2, false);
    xv.setInt32(104 + 8 * i, c.length / 2, false);
    sv.setInt32(o, i + 1, false);
    sv.setInt32(o + 4, c.length / 2, false);
    shp.set(c, o + 8);
    o += 8 + c.length;
  });
  return {
    shp,
    shx,
    dbf: writeDbf(fields, records.map((r) => r.values), encoding),
    prj: WGS84_PRJ,
    cpg: encoding === 'utf-8' ? 'UTF-8' : 'GBK',
  };
}

/** The parts zipped under one base name, as GIS users expect to receive a layer. Omitting parts serves tests. */
export function zipShapefile(base: string, parts: ShapefileParts, omit: Array<'prj' | 'cpg' | 'dbf' | 'shx'> = []): Uint8Array {
  const files: Record<string, Uint8Array> = { [`${base}.shp`]: parts.shp };
  if (!omit.includes('shx')) files[`${base}.shx`] = parts.shx;
  if (!omit.includes('dbf')) files[`${base}.dbf`] = parts.dbf;
  if (!omit.includes('prj')) files[`${base}.prj`] = utf8.encode(parts.prj);
  if (!omit.includes('cpg')) files[`${base}.cpg`] = utf8.encode(parts.cpg);
  return zipSync(files);
}
