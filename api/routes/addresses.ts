import { z } from 'zod';
import type { Deps } from '../deps.ts';
import { bboxParam } from '../http/geo.ts';
import { Resource } from '../http/resource.ts';
import { CASE_ROLES } from '../auth/types.ts';
import { invalidInputResponse } from './respond.ts';

/** Server-side cap: a client cannot ask the database for an unbounded number of rows. */
export const MAX_ADDRESSES_PER_REQUEST = 5000;

const listQuery = z
  .object({
    bbox: bboxParam,
    category: z.enum(['general', 'key', 'attention']).optional(),
    limit: z.coerce.number().int().positive().optional(),
  })
  .strict();

interface AddressRow {
  id: number;
  code: string;
  address_text: string;
  category: string;
  grid_id: number | null;
  vacant: boolean;
  lon: number;
  lat: number;
}

export function addressesResource(deps: Deps): Resource {
  const { queries } = deps;
  return new Resource('/api/addresses', 'addresses', deps.guard).route(
    {
      method: 'get',
      path: '/',
      summary: '标准地址（按范围）/ standard addresses in a bbox, capped',
      access: { kind: 'session', roles: CASE_ROLES },
      query: listQuery,
      responses: {
        200: {
          description: 'GeoJSON FeatureCollection with `truncated` and `limit` members',
          contentType: 'application/geo+json',
          schema: z.object({ type: z.literal('FeatureCollection'), truncated: z.boolean(), limit: z.number(), features: z.array(z.unknown()) }),
        },
        400: invalidInputResponse,
      },
    },
    async (c, { query }, db) => {
      const limit = Math.min(query.limit ?? MAX_ADDRESSES_PER_REQUEST, MAX_ADDRESSES_PER_REQUEST);
      const rows = await queries.run<AddressRow>(db, 'addresses_in_bbox', [...query.bbox, query.category ?? null, limit + 1]);
      const truncated = rows.length > limit;
      const features = rows.slice(0, limit).map(({ lon, lat, ...properties }) => ({
        type: 'Feature' as const,
        geometry: { type: 'Point' as const, coordinates: [lon, lat] },
        properties,
      }));
      return c.body(JSON.stringify({ type: 'FeatureCollection', truncated, limit, features }), 200, { 'content-type': 'application/geo+json; charset=utf-8' });
    },
  );
}
