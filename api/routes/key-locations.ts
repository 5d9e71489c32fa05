import { z } from 'zod';
import type { Deps } from '../deps.ts';
import { ApiError } from '../http/errors.ts';
import { bboxParam, codeString, nameString, pointOrArealGeometry } from '../http/geo.ts';
import { Resource } from '../http/resource.ts';
import { featureCollectionResponse, geojson, invalidInputResponse } from './respond.ts';

export const KEY_LOCATION_TYPES = ['school', 'kindergarten', 'market', 'bank', 'clinic', 'hospital', 'station',
  'government', 'nightlife', 'factory', 'gas_station', 'religious', 'park', 'other'] as const;

const listQuery = z.object({ type: z.enum(KEY_LOCATION_TYPES).optional(), bbox: bboxParam.optional() }).strict();

const createBody = z
  .object({
    code: codeString,
    name: nameString,
    type: z.enum(KEY_LOCATION_TYPES),
    geometry: pointOrArealGeometry,
    required_passes_week: z.number().int().min(0).max(1000).default(3),
  })
  .strict();

export function keyLocationsResource(deps: Deps): Resource {
  const { queries } = deps;
  return new Resource('/api/key-locations', 'jurisdiction', deps.guard)
    .route(
      {
        method: 'get',
        path: '/',
        summary: '重点部位 / key locations',
        access: { kind: 'session', roles: 'any' },
        query: listQuery,
        responses: { 200: featureCollectionResponse, 400: invalidInputResponse },
      },
      async (c, { query }, db) => {
        const b = query.bbox ?? [null, null, null, null];
        return geojson(c, await queries.run(db, 'key_locations_geojson', [query.type ?? null, ...b]), 'fc');
      },
    )
    .route(
      {
        method: 'post',
        path: '/',
        summary: '新建重点部位 / create a key location',
        access: { kind: 'session', roles: ['command'] },
        body: createBody,
        responses: {
          201: { description: 'created', schema: z.object({ id: z.number(), grid_id: z.number().nullable() }) },
          400: invalidInputResponse,
          409: { description: 'code exists' },
          422: { description: 'invalid geometry' },
        },
      },
      async (c, { body }, db) => {
        const geometry = JSON.stringify(body.geometry);
        const [validity] = await queries.run<{ valid: boolean; reason: string; location: string | null }>(db, 'geometry_validity', [geometry]);
        if (validity && !validity.valid) {
          throw new ApiError(422, 'invalid_geometry', `geometry is not valid: ${validity.reason}`, { field: 'geometry', reason: validity.reason, location: validity.location });
        }
        const [row] = await queries.run(db, 'key_location_insert', [body.code, body.name, body.type, geometry, body.required_passes_week]);
        return c.json(row, 201);
      },
    );
}
