import type { Geometry, Position } from 'geojson';

/**
 * Parses the WKT (and EWKT "SRID=4326;...") a spreadsheet column may carry into GeoJSON. Rings are
 * returned exactly as written, unclosed or not: validation reports problems, the parser does not
 * hide them. Returns the SRID when EWKT names one.
 */
export class WktError extends Error {}

export function parseWkt(input: string): { geometry: Geometry; srid: number | null } {
  let text = input.trim();
  let srid: number | null = null;
  const sridMatch = /^SRID=(\d+);/i.exec(text);
  if (sridMatch) {
    srid = Number(sridMatch[1]);
    text = text.slice(sridMatch[0].length);
  }
  let pos = 0;
  const fail = (what: string): never => {
    throw new WktError(`${what} at character ${pos + 1} of "${text.length > 60 ? `${text.slice(0, 60)}…` : text}"`);
  };
  const ws = () => {
    while (pos < text.length && /\s/.test(text[pos]!)) pos++;
  };
  const word = (): string => {
    ws();
    const start = pos;
    while (pos < text.length && /[A-Za-z]/.test(text[pos]!)) pos++;
    return text.slice(start, pos).toUpperCase();
  };
  const expect = (c: string) => {
    ws();
    if (text[pos] !== c) fail(`expected "${c}"`);
    pos++;
  };
  const peek = (): string | undefined => {
    ws();
    return text[pos];
  };
  const number = (): number => {
    ws();
    const m = /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?|^[-+]?(Infinity|NaN|inf|nan)/i.exec(text.slice(pos));
    if (!m) fail('expected a number');
    pos += m![0].length;
    return Number(m![0].replace(/^([-+]?)inf$/i, '$1Infinity'));
  };
  const position = (): Position => {
    const p: Position = [number(), number()];
    // Z and M ordinates are read and dropped: storage is 2D.
    while (/^[-+\d.]/.test(peek() ?? '') || /^(nan|inf)/i.test(text.slice(pos))) number();
    return p;
  };
  const list = <T>(item: () => T): T[] => {
    expect('(');
    const out = [item()];
    while (peek() === ',') {
      pos++;
      out.push(item());
    }
    expect(')');
    return out;
  };
  // MULTIPOINT accepts both "(1 2, 3 4)" and "((1 2), (3 4))".
  const multiPointItem = (): Position => {
    if (peek() === '(') {
      pos++;
      const p = position();
      expect(')');
      return p;
    }
    return position();
  };
  const ring = () => list(position);
  const polygon = () => list(ring);

  const type = word();
  let next = word();
  if (['Z', 'M', 'ZM'].includes(next)) next = word();
  if (next === 'EMPTY') {
    const empty: Record<string, Geometry> = {
      POINT: { type: 'Point', coordinates: [] },
      MULTIPOINT: { type: 'MultiPoint', coordinates: [] },
      LINESTRING: { type: 'LineString', coordinates: [] },
      POLYGON: { type: 'Polygon', coordinates: [] },
      MULTIPOLYGON: { type: 'MultiPolygon', coordinates: [] },
    };
    if (!empty[type]) fail(`unsupported WKT type "${type}"`);
    return { geometry: empty[type]!, srid };
  }
  if (next) fail(`unexpected "${next}"`);
  let geometry: Geometry;
  switch (type) {
    case 'POINT':
      expect('(');
      geometry = { type: 'Point', coordinates: position() };
      expect(')');
      break;
    case 'MULTIPOINT':
      geometry = { type: 'MultiPoint', coordinates: list(multiPointItem) };
      break;
    case 'LINESTRING':
      geometry = { type: 'LineString', coordinates: list(position) };
      break;
    case 'POLYGON':
      geometry = { type: 'Polygon', coordinates: polygon() };
      break;
    case 'MULTIPOLYGON':
      geometry = { type: 'MultiPolygon', coordinates: list(polygon) };
      break;
    default:
      return fail(type ? `unsupported WKT type "${type}"` : 'not WKT');
  }
  ws();
  if (pos < text.length) fail('unexpected trailing text');
  return { geometry, srid };
}
