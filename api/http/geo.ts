import { z } from 'zod';

const lon = z.number().finite().min(-180).max(180);
const lat = z.number().finite().min(-90).max(90);
const position = z.tuple([lon, lat]).rest(z.number().finite());

function closed(ring: number[][]): boolean {
  const a = ring[0];
  const b = ring[ring.length - 1];
  return !!a && !!b && a[0] === b[0] && a[1] === b[1];
}

const linearRing = z
  .array(position)
  .min(4, 'a linear ring needs at least 4 positions')
  .refine(closed, 'a linear ring must be closed (first position equals last)');

export const pointGeometry = z.object({ type: z.literal('Point'), coordinates: position });
export const polygonGeometry = z.object({ type: z.literal('Polygon'), coordinates: z.array(linearRing).min(1) });
export const multiPolygonGeometry = z.object({
  type: z.literal('MultiPolygon'),
  coordinates: z.array(z.array(linearRing).min(1)).min(1),
});
export const arealGeometry = z.discriminatedUnion('type', [polygonGeometry, multiPolygonGeometry]);
export const pointOrArealGeometry = z.discriminatedUnion('type', [pointGeometry, polygonGeometry, multiPolygonGeometry]);

export type Bbox = [number, number, number, number];

/** `minLon,minLat,maxLon,maxLat` in WGS84. */
export const bboxParam = z
  .string()
  .transform((s, ctx): Bbox => {
    const parts = s.split(',').map((p) => Number(p.trim()));
    const [a, b, c, d] = parts;
    if (parts.length !== 4 || a === undefined || b === undefined || c === undefined || d === undefined || parts.some((n) => !Number.isFinite(n))) {
      ctx.addIssue({ code: 'custom', message: 'bbox must be four finite numbers: minLon,minLat,maxLon,maxLat' });
      return z.NEVER;
    }
    if (a < -180 || c > 180 || b < -90 || d > 90 || a >= c || b >= d) {
      ctx.addIssue({ code: 'custom', message: 'bbox must satisfy -180 ≤ minLon < maxLon ≤ 180 and -90 ≤ minLat < maxLat ≤ 90' });
      return z.NEVER;
    }
    return [a, b, c, d];
  });

export const idParam = z.object({ id: z.coerce.number().int().positive().max(2_147_483_647) });

export const codeString = z.string().trim().min(1).max(64).regex(/^[\p{L}\p{N}_\-.]+$/u, 'code may contain letters, digits, _ - . only');
export const nameString = z.string().trim().min(1).max(200);
