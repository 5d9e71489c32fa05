import { z } from 'zod';
import type { Deps } from '../deps.ts';
import { Resource } from '../http/resource.ts';
import { featureCollectionResponse, geojson, invalidInputResponse } from './respond.ts';

const listQuery = z.object({ subdistrict_id: z.coerce.number().int().positive().optional() }).strict();

export function communitiesResource(deps: Deps): Resource {
  return new Resource('/api/communities', 'jurisdiction', deps.guard).route(
    {
      method: 'get',
      path: '/',
      summary: '社区/行政村 / communities and villages',
      access: { kind: 'session', roles: 'any' },
      query: listQuery,
      responses: { 200: featureCollectionResponse, 400: invalidInputResponse },
    },
    async (c, { query }, db) => geojson(c, await deps.queries.run(db, 'communities_geojson', [query.subdistrict_id ?? null]), 'fc'),
  );
}
