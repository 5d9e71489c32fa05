import type { Polygon } from 'geojson';

/** A rectangle as a closed RFC 7946 polygon (counter-clockwise). */
export function rect(x0: number, y0: number, x1: number, y1: number): Polygon {
  return { type: 'Polygon', coordinates: [[[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]] };
}
