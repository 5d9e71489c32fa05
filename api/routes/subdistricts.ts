import type { Deps } from '../deps.ts';
import { Resource } from '../http/resource.ts';
import { featureCollectionResponse, geojson } from './respond.ts';

export function subdistrictsResource(deps: Deps): Resource {
  return new Resource('/api/subdistricts', 'jurisdiction', deps.guard).route(
    { method: 'get', path: '/', summary: '街道边界 / sub-district boundaries', access: { kind: 'session', roles: 'any' }, responses: { 200: featureCollectionResponse } },
    async (c, _input, db) => geojson(c, await deps.queries.run(db, 'subdistricts_geojson'), 'fc'),
  );
}
