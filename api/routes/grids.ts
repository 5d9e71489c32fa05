import { AGGREGATE } from '../http/answer-cache.ts';
import { z } from 'zod';
import { CASE_ROLES } from '../auth/types.ts';
import type { Deps } from '../deps.ts';
import { ApiError } from '../http/errors.ts';
import { arealGeometry, codeString, idParam, nameString } from '../http/geo.ts';
import { Resource } from '../http/resource.ts';
import { featureCollectionResponse, featureResponse, geojson, invalidInputResponse, notFoundResponse } from './respond.ts';

const listQuery = z.object({ community_id: z.coerce.number().int().positive().optional() }).strict();

const createBody = z
  .object({
    code: codeString,
    name: nameString,
    community_id: z.number().int().positive().optional(),
    community_code: codeString.optional(),
    geometry: arealGeometry,
  })
  .strict()
  .refine((b) => (b.community_id === undefined) !== (b.community_code === undefined), {
    message: 'give exactly one of community_id or community_code',
    path: ['community_id'],
  });

export function gridsResource(deps: Deps): Resource {
  const { queries } = deps;
  return new Resource('/api/grids', 'jurisdiction', deps.guard)
    .route(
      {
        method: 'get',
        path: '/',
        cache: AGGREGATE,
        summary: '网格 / grids as GeoJSON',
        access: { kind: 'session', roles: 'any' },
        query: listQuery,
        responses: { 200: featureCollectionResponse, 400: invalidInputResponse },
      },
      async (c, { query }, db) => geojson(c, await queries.run(db, 'grids_geojson', [query.community_id ?? null]), 'fc'),
    )
    .route(
      {
        method: 'get',
        path: '/:id',
        summary: '单个网格 / one grid',
        access: { kind: 'session', roles: 'any' },
        params: idParam,
        responses: { 200: featureResponse, 404: notFoundResponse },
      },
      async (c, { params }, db) => {
        const rows = await queries.run(db, 'grid_feature', [params.id]);
        if (!rows.length) throw new ApiError(404, 'not_found', `grid ${params.id} does not exist`);
        return geojson(c, rows, 'feature');
      },
    )
    .route(
      {
        method: 'get',
        path: '/:id/staff',
        summary: '网格力量 / who works a grid today: grid leader, police, aux police, grid workers (from assignments)',
        access: { kind: 'session', roles: CASE_ROLES },
        params: idParam,
        responses: {
          200: {
            description: 'staff with their role on the grid, grid leader first',
            schema: z.object({
              grid_id: z.number(),
              staff: z.array(z.object({
                role: z.string(), staff_id: z.number(), name: z.string(), kind: z.string(), phone: z.string().nullable(),
                scope: z.enum(['grid', 'community', 'joint_point']), starts_on: z.string(),
              })),
            }),
          },
          404: notFoundResponse,
        },
      },
      async (c, { params }, db) => {
        if (!(await db`SELECT 1 FROM grid WHERE id = ${params.id}`).length) throw new ApiError(404, 'not_found', `grid ${params.id} does not exist`);
        return c.json({ grid_id: params.id, staff: await queries.run(db, 'grid_staff', [params.id]) });
      },
    )
    .route(
      {
        method: 'post',
        path: '/',
        summary: '新建网格 / create a grid',
        access: { kind: 'session', roles: ['command'] },
        body: createBody,
        responses: {
          201: { description: 'created', schema: z.object({ id: z.number(), area_m2: z.number() }) },
          400: invalidInputResponse,
          409: { description: 'a grid with this code exists' },
          422: { description: 'invalid geometry or unknown community' },
        },
      },
      async (c, { body }, db) => {
        const [community] = await queries.run<{ id: number }>(db, 'community_by_ref', [body.community_id ?? null, body.community_code ?? null]);
        if (!community) {
          throw new ApiError(422, 'reference_not_found', `community ${body.community_id ?? body.community_code} does not exist`, { field: 'community_id' });
        }
        const geometry = JSON.stringify(body.geometry);
        const [validity] = await queries.run<{ valid: boolean; reason: string; location: string | null }>(db, 'geometry_validity', [geometry]);
        if (validity && !validity.valid) {
          throw new ApiError(422, 'invalid_geometry', `geometry is not valid: ${validity.reason}`, { field: 'geometry', reason: validity.reason, location: validity.location });
        }
        const [row] = await queries.run<{ id: number; area_m2: number }>(db, 'grid_insert', [body.code, body.name, community.id, geometry]);
        return c.json(row, 201);
      },
    );
}
