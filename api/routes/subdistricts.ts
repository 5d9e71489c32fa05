import type { Deps } from '../deps.ts';
import { Resource } from '../http/resource.ts';
import { featureCollectionResponse, geojson } from './respond.ts';

export function subdistrictsResource(deps: Deps): Resource {
  return new Resource('/api/subdistricts', 'jurisdiction').route(
    { method: 'get', path: '/', summary: '街道边界 / sub-district boundaries', responses: { 200: featureCollectionResponse } },
    async (c) => geojson(c, await deps.queries.run(deps.sql, 'subdistricts_geojson'), 'fc'),
  );
}
