import { z } from 'zod';
import type { Deps } from '../deps.ts';
import { bboxParam, codeString, nameString } from '../http/geo.ts';
import { Resource } from '../http/resource.ts';
import { featureCollectionResponse, geojson, invalidInputResponse } from './respond.ts';

const listQuery = z
  .object({ grid_id: z.coerce.number().int().positive().optional(), bbox: bboxParam.optional() })
  .strict();

const createBody = z
  .object({
    code: codeString,
    name: nameString,
    lon: z.number().finite().min(-180).max(180),
    lat: z.number().finite().min(-90).max(90),
    service_radius_m: z.number().finite().positive().max(5000).default(200),
    grid_id: z.number().int().positive().optional(),
  })
  .strict();

export function jointDefensePointsResource(deps: Deps): Resource {
  const { queries } = deps;
  return new Resource('/api/joint-defense-points', 'jurisdiction', deps.guard)
    .route(
      {
        method: 'get',
        path: '/',
        summary: '联防联控点 / joint-defense points',
        access: { kind: 'session', roles: 'any' },
        query: listQuery,
        responses: { 200: featureCollectionResponse, 400: invalidInputResponse },
      },
      async (c, { query }, db) => {
        const b = query.bbox ?? [null, null, null, null];
        return geojson(c, await queries.run(db, 'joint_defense_points_geojson', [query.grid_id ?? null, ...b]), 'fc');
      },
    )
    .route(
      {
        method: 'post',
        path: '/',
        summary: '新建联防联控点 / create a joint-defense point',
        access: { kind: 'session', roles: ['command', 'station_chief'] },
        body: createBody,
        responses: {
          201: { description: 'created', schema: z.object({ id: z.number(), grid_id: z.number().nullable() }) },
          400: invalidInputResponse,
          409: { description: 'code exists' },
          422: { description: 'unknown grid' },
        },
      },
      async (c, { body }, db) => {
        const [row] = await queries.run(db, 'joint_defense_point_insert', [body.code, body.name, body.lon, body.lat, body.service_radius_m, body.grid_id ?? null]);
        return c.json(row, 201);
      },
    );
}
