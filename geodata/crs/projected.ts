import proj4 from 'proj4';

/**
 * Projected coordinate systems the importers accept, as proj4 definitions, and recognition of
 * shapefile .prj WKT. Chinese survey data arrives in CGCS2000 Gauss-Krüger zones; foreign test
 * data in UTM. Everything is converted to WGS84 lon/lat on the way in.
 *
 * CGCS2000 and WGS84 differ by centimetres, so the datum shift is zero on purpose: adding the
 * realisation difference would suggest an accuracy the source data never has.
 */

export interface ProjectedCrs {
  /** Canonical name, e.g. "EPSG:4547". */
  code: string;
  /** Human-readable name for reports. */
  name: string;
  proj4: string;
}

export type PointTransform = (x: number, y: number) => [number, number];

const GRS80 = '+ellps=GRS80 +towgs84=0,0,0,0,0,0,0';

function tmerc(lon0: number, falseEasting: number, k: number, ellps: string): string {
  return `+proj=tmerc +lat_0=0 +lon_0=${lon0} +k=${k} +x_0=${falseEasting} +y_0=0 ${ellps} +units=m +no_defs`;
}

/**
 * The EPSG CGCS2000 Gauss-Krüger families:
 *   4491–4501  6° zones 13–23, easting prefixed with the zone number (e.g. 20500000)
 *   4502–4512  6° zones by central meridian 75E–135E, false easting 500 km
 *   4513–4533  3° zones 25–45, easting prefixed with the zone number (e.g. 38500000)
 *   4534–4554  3° zones by central meridian 75E–135E, false easting 500 km (4547 = CM 114E)
 */
export function cgcs2000GaussKruger(epsg: number): ProjectedCrs | null {
  if (epsg >= 4491 && epsg <= 4501) {
    const zone = 13 + (epsg - 4491);
    const cm = zone * 6 - 3;
    return { code: `EPSG:${epsg}`, name: `CGCS2000 / Gauss-Kruger zone ${zone} (CM ${cm}E)`, proj4: tmerc(cm, zone * 1e6 + 500000, 1, GRS80) };
  }
  if (epsg >= 4502 && epsg <= 4512) {
    const cm = 75 + (epsg - 4502) * 6;
    return { code: `EPSG:${epsg}`, name: `CGCS2000 / Gauss-Kruger CM ${cm}E`, proj4: tmerc(cm, 500000, 1, GRS80) };
  }
  if (epsg >= 4513 && epsg <= 4533) {
    const zone = 25 + (epsg - 4513);
    const cm = zone * 3;
    return { code: `EPSG:${epsg}`, name: `CGCS2000 / 3-degree Gauss-Kruger zone ${zone} (CM ${cm}E)`, proj4: tmerc(cm, zone * 1e6 + 500000, 1, GRS80) };
  }
  if (epsg >= 4534 && epsg <= 4554) {
    const cm = 75 + (epsg - 4534) * 3;
    return { code: `EPSG:${epsg}`, name: `CGCS2000 / 3-degree Gauss-Kruger CM ${cm}E`, proj4: tmerc(cm, 500000, 1, GRS80) };
  }
  return null;
}

/** WGS84 / UTM (326xx north, 327xx south) and NAD83 / UTM (269xx, zones 1–23). */
export function utm(epsg: number): ProjectedCrs | null {
  if (epsg >= 32601 && epsg <= 32660) {
    const zone = epsg - 32600;
    return { code: `EPSG:${epsg}`, name: `WGS 84 / UTM zone ${zone}N`, proj4: `+proj=utm +zone=${zone} +datum=WGS84 +units=m +no_defs` };
  }
  if (epsg >= 32701 && epsg <= 32760) {
    const zone = epsg - 32700;
    return { code: `EPSG:${epsg}`, name: `WGS 84 / UTM zone ${zone}S`, proj4: `+proj=utm +zone=${zone} +south +datum=WGS84 +units=m +no_defs` };
  }
  if (epsg >= 26901 && epsg <= 26923) {
    const zone = epsg - 26900;
    // NAD83 differs from WGS84 by about a metre; treated as equal like CGCS2000.
    return { code: `EPSG:${epsg}`, name: `NAD83 / UTM zone ${zone}N`, proj4: `+proj=utm +zone=${zone} ${GRS80} +units=m +no_defs` };
  }
  return null;
}

const WEB_MERCATOR: ProjectedCrs = {
  code: 'EPSG:3857',
  name: 'WGS 84 / Pseudo-Mercator',
  proj4: '+proj=merc +a=6378137 +b=6378137 +lat_ts=0 +lon_0=0 +x_0=0 +y_0=0 +k=1 +units=m +nadgrids=@null +no_defs',
};

/** Datums whose shift to WGS84 is hundreds of metres and needs local parameters we do not have. */
const UNSUPPORTED_EPSG: Array<[number, number, string]> = [
  [2327, 2442, 'Xian 1980 / Beijing 1954 Gauss-Krüger'],
  [21413, 21483, 'Beijing 1954 Gauss-Krüger'],
];

export class CrsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CrsError';
  }
}

/** A projected CRS by code ("EPSG:4547", "4547", "epsg:32610"), or null when not projected/known. */
export function projectedCrs(code: string): ProjectedCrs | null {
  const m = /^(?:EPSG:)?(\d{4,5})$/i.exec(code.trim());
  if (!m) return null;
  const epsg = Number(m[1]);
  if (epsg === 3857 || epsg === 900913) return WEB_MERCATOR;
  const found = cgcs2000GaussKruger(epsg) ?? utm(epsg);
  if (found) return found;
  for (const [lo, hi, label] of UNSUPPORTED_EPSG) {
    if (epsg >= lo && epsg <= hi) {
      throw new CrsError(`EPSG:${epsg} (${label}) needs a local datum transformation that is not configured; reproject the data to CGCS2000 or WGS84 first`);
    }
  }
  return null;
}

/** Inverse projection: projected metres → WGS84 [lon, lat]. */
export function inverseTransform(def: ProjectedCrs | string): PointTransform {
  const converter = proj4(typeof def === 'string' ? def : def.proj4, 'EPSG:4326');
  return (x, y) => {
    const out = converter.forward([x, y]);
    return [out[0]!, out[1]!];
  };
}

/** Forward projection: WGS84 [lon, lat] → projected metres (used by tests and exporters). */
export function forwardTransform(def: ProjectedCrs | string): PointTransform {
  const converter = proj4('EPSG:4326', typeof def === 'string' ? def : def.proj4);
  return (lon, lat) => {
    const out = converter.forward([lon, lat]);
    return [out[0]!, out[1]!];
  };
}

// ---------------------------------------------------------------------------------------------
// .prj (ESRI / OGC WKT1) recognition

interface WktNode {
  keyword: string;
  args: Array<WktNode | string | number>;
}

function parseWkt(text: string): WktNode {
  let pos = 0;
  const skip = () => {
    while (pos < text.length && /\s/.test(text[pos]!)) pos++;
  };
  const node = (): WktNode => {
    skip();
    const start = pos;
    while (pos < text.length && /[A-Za-z0-9_]/.test(text[pos]!)) pos++;
    const keyword = text.slice(start, pos).toUpperCase();
    if (!keyword) throw new CrsError(`unreadable .prj WKT near character ${pos}`);
    skip();
    const open = text[pos];
    if (open !== '[' && open !== '(') return { keyword, args: [] };
    const close = open === '[' ? ']' : ')';
    pos++;
    const args: WktNode['args'] = [];
    for (;;) {
      skip();
      const c = text[pos];
      if (c === undefined) throw new CrsError('unterminated .prj WKT');
      if (c === close) {
        pos++;
        break;
      }
      if (c === ',') {
        pos++;
        continue;
      }
      if (c === '"') {
        const end = text.indexOf('"', pos + 1);
        if (end < 0) throw new CrsError('unterminated string in .prj WKT');
        args.push(text.slice(pos + 1, end));
        pos = end + 1;
      } else if (/[-+0-9.]/.test(c)) {
        const start2 = pos;
        while (pos < text.length && /[-+0-9.eE]/.test(text[pos]!)) pos++;
        args.push(Number(text.slice(start2, pos)));
      } else {
        args.push(node());
      }
    }
    return { keyword, args };
  };
  return node();
}

function child(n: WktNode, keyword: string): WktNode | undefined {
  return n.args.find((a): a is WktNode => typeof a === 'object' && a.keyword === keyword);
}

function nameOf(n: WktNode | undefined): string {
  const first = n?.args[0];
  return typeof first === 'string' ? first : '';
}

function norm(s: string): string {
  return s.toLowerCase().replace(/[^a-z0-9]/g, '');
}

type DatumKind = 'wgs84' | 'cgcs2000' | 'nad83' | 'unsupported';

function datumKind(geogcs: WktNode): { kind: DatumKind; label: string } {
  const datum = child(geogcs, 'DATUM');
  const label = `${nameOf(geogcs)} ${nameOf(datum)}`;
  const n = norm(label);
  if (n.includes('wgs1984') || n.includes('wgs84')) return { kind: 'wgs84', label };
  if (n.includes('china2000') || n.includes('cgcs2000') || n.includes('chinageodeticcoordinatesystem2000')) return { kind: 'cgcs2000', label };
  if (n.includes('northamerican1983') || n.includes('nad83')) return { kind: 'nad83', label };
  return { kind: 'unsupported', label };
}

export interface PrjCrs {
  /** EPSG code when recognised, otherwise a description. */
  code: string;
  name: string;
  /** null for geographic WGS84/CGCS2000 (no transformation needed). */
  projected: ProjectedCrs | null;
}

/**
 * Reads a .prj file. Recognises geographic WGS84/CGCS2000, Gauss-Krüger and UTM on those datums
 * (and NAD83 UTM), and web mercator. Anything else is refused rather than guessed: a wrong guess
 * moves every feature by hundreds of metres without any error.
 */
export function crsFromPrj(wkt: string): PrjCrs {
  const root = parseWkt(wkt.trim());
  if (root.keyword === 'GEOGCS' || root.keyword === 'GEOGCRS') {
    const d = datumKind(root);
    if (d.kind === 'wgs84') return { code: 'EPSG:4326', name: 'WGS 84', projected: null };
    if (d.kind === 'cgcs2000') return { code: 'EPSG:4490', name: 'China Geodetic Coordinate System 2000', projected: null };
    if (d.kind === 'nad83') return { code: 'EPSG:4269', name: 'NAD83', projected: null };
    throw new CrsError(`unsupported geographic datum in .prj: ${d.label.trim()} (only WGS84 and CGCS2000 are accepted; Beijing 1954 / Xian 1980 need a local transformation)`);
  }
  if (root.keyword !== 'PROJCS' && root.keyword !== 'PROJCRS') {
    throw new CrsError(`unrecognised .prj content (starts with ${root.keyword})`);
  }
  const geogcs = child(root, 'GEOGCS');
  if (!geogcs) throw new CrsError('.prj PROJCS has no GEOGCS');
  const datum = datumKind(geogcs);
  if (datum.kind === 'unsupported') {
    throw new CrsError(`unsupported datum in .prj: ${datum.label.trim()} (only WGS84 and CGCS2000 are accepted; Beijing 1954 / Xian 1980 need a local transformation)`);
  }
  const projection = norm(nameOf(child(root, 'PROJECTION')));
  const params = new Map<string, number>();
  for (const a of root.args) {
    if (typeof a === 'object' && a.keyword === 'PARAMETER' && typeof a.args[1] === 'number') {
      params.set(norm(String(a.args[0])), a.args[1]);
    }
  }
  const unit = child(root, 'UNIT');
  const unitFactor = typeof unit?.args[1] === 'number' ? unit.args[1] : 1;
  if (Math.abs(unitFactor - 1) > 1e-9) throw new CrsError(`.prj linear unit ${nameOf(unit)} is not metres`);
  const projName = nameOf(root);

  if (projection.includes('mercatorauxiliarysphere') || norm(projName).includes('pseudomercator') || norm(projName).includes('webmercator')) {
    return { code: WEB_MERCATOR.code, name: WEB_MERCATOR.name, projected: WEB_MERCATOR };
  }
  if (!(projection.includes('transversemercator') || projection.includes('gausskruger') || projection.includes('gauss'))) {
    throw new CrsError(`unsupported projection in .prj: ${nameOf(child(root, 'PROJECTION'))} (${projName})`);
  }
  const cm = params.get('centralmeridian') ?? params.get('longitudeofcenter') ?? params.get('longitudeoforigin');
  if (cm === undefined) throw new CrsError('.prj Transverse Mercator has no central meridian');
  const fe = params.get('falseeasting') ?? 0;
  const fn = params.get('falsenorthing') ?? 0;
  const k = params.get('scalefactor') ?? 1;
  const lat0 = params.get('latitudeoforigin') ?? 0;
  const ellps = datum.kind === 'wgs84' ? '+datum=WGS84' : GRS80;
  const proj4def = `+proj=tmerc +lat_0=${lat0} +lon_0=${cm} +k=${k} +x_0=${fe} +y_0=${fn} ${ellps} +units=m +no_defs`;

  // Name the EPSG code when the parameters match a known one; the transformation is built from the
  // parameters either way, so an unusual but well-formed .prj still works.
  let code = `custom TM CM ${cm}E`;
  if (lat0 === 0 && fn === 0) {
    if (datum.kind === 'cgcs2000' && k === 1) {
      for (let epsg = 4491; epsg <= 4554; epsg++) {
        const c = cgcs2000GaussKruger(epsg)!;
        if (c.proj4 === tmerc(cm, fe, 1, GRS80)) {
          code = c.code;
          break;
        }
      }
    } else if (k === 0.9996 && fe === 500000) {
      const zone = Math.round((cm + 183) / 6);
      if (zone * 6 - 183 === cm) code = datum.kind === 'nad83' ? `EPSG:${26900 + zone}` : `EPSG:${32600 + zone}`;
    }
  }
  return { code, name: projName || code, projected: { code, name: projName || code, proj4: proj4def } };
}
