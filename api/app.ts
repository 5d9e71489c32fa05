import { randomUUID } from 'node:crypto';
import { Hono } from 'hono';
import type { Deps } from './deps.ts';
import { ApiError, errorResponse } from './http/errors.ts';
import { openApiDocument } from './http/openapi.ts';
import type { Resource, RouteSpec } from './http/resource.ts';
import { addressesResource } from './routes/addresses.ts';
import { communitiesResource } from './routes/communities.ts';
import { gridsResource } from './routes/grids.ts';
import { healthResource } from './routes/health.ts';
import { jointDefensePointsResource } from './routes/joint-defense-points.ts';
import { keyLocationsResource } from './routes/key-locations.ts';
import { subdistrictsResource } from './routes/subdistricts.ts';

export interface App {
  app: Hono;
  /** Every API route, as documented; tests iterate over it so no route escapes them. */
  routes: RouteSpec[];
}

export function createApp(deps: Deps, opts: { log?: (err: unknown) => void } = {}): App {
  const resources: Resource[] = [
    healthResource(deps),
    subdistrictsResource(deps),
    communitiesResource(deps),
    gridsResource(deps),
    jointDefensePointsResource(deps),
    keyLocationsResource(deps),
    addressesResource(deps),
  ];
  const routes = resources.flatMap((r) => r.routes);
  const document = openApiDocument(routes, { title: '警网一张图 API', version: '0.1.0' });

  const app = new Hono();
  app.use('/api/*', async (c, next) => {
    c.header('x-request-id', c.req.header('x-request-id') ?? randomUUID());
    await next();
  });
  for (const r of resources) app.route(r.base, r.router);
  app.get('/api/openapi.json', (c) => c.json(document));
  app.all('/api/*', () => {
    throw new ApiError(404, 'not_found', 'no such API route');
  });
  app.onError((err, c) => errorResponse(c, err, opts.log));
  return { app, routes };
}
