import { z } from 'zod';
import type { Deps } from '../deps.ts';
import { ApiError } from '../http/errors.ts';
import { Resource } from '../http/resource.ts';
import { featureCollectionResponse, geojson, invalidInputResponse } from './respond.ts';

const MAX_FIXES_PER_BATCH = 5000;

const fixesBody = z.object({
  device_code: z.string().trim().min(1).max(64),
  fixes: z.array(z.object({
    t: z.iso.datetime({ offset: true }),
    lon: z.number().finite().min(-180).max(180),
    lat: z.number().finite().min(-90).max(90),
    speed_kmh: z.number().finite().min(0).max(499).optional(),
    accuracy_m: z.number().finite().min(0).max(100_000).optional(),
  }).strict()).min(1).max(MAX_FIXES_PER_BATCH),
}).strict();

/** Machine clients: patrol devices push GPS fixes; the city platform pulls grids. Bearer tokens only. */
export function ingestResource(deps: Deps): Resource {
  return new Resource('/api/machine', 'machine', deps.guard)
    .route(
      {
        method: 'post', path: '/fixes', summary: 'GPS定位上报（幂等）/ push GPS fixes; a retried batch writes nothing twice',
        access: { kind: 'token', scope: 'gps:ingest' }, body: fixesBody, limit: deps.limits.ingest,
        responses: {
          200: { description: 'accepted: every fix of the batch is stored (stored now + already stored before)', schema: z.object({ received: z.number(), stored: z.number(), duplicates: z.number() }) },
          400: invalidInputResponse, 422: { description: 'unknown device' },
          429: { description: 'too many batches in progress; nothing written, retry the same batch after Retry-After' },
          503: { description: 'database busy or unavailable; nothing written, retry the same batch after Retry-After' },
        },
      },
      async (c, { body }, db) => {
        const [device] = await db<{ id: number }[]>`SELECT id FROM patrol_device WHERE code = ${body.device_code} AND active`;
        if (!device) throw new ApiError(422, 'unknown_device', `no active patrol device with code ${body.device_code}`, { field: 'device_code' });
        const f = body.fixes;
        const stored = await db`
          INSERT INTO gps_fix (device_id, fixed_at, lon, lat, speed_kmh, accuracy_m)
          SELECT ${device.id}, t, lon, lat, speed, acc
          FROM unnest(${f.map((x) => x.t)}::timestamptz[], ${f.map((x) => x.lon)}::float8[], ${f.map((x) => x.lat)}::float8[],
                      ${f.map((x) => x.speed_kmh ?? null)}::real[], ${f.map((x) => x.accuracy_m ?? null)}::real[]) AS u(t, lon, lat, speed, acc)
          ON CONFLICT (device_id, fixed_at) DO NOTHING`;
        // A retried batch stores nothing again; `duplicates` tells the device its earlier try got through.
        return c.json({ received: f.length, stored: stored.count, duplicates: f.length - stored.count });
      },
    )
    .route(
      {
        method: 'get', path: '/grids', summary: '网格同步（市级平台）/ grids for the city platform’s sync',
        access: { kind: 'token', scope: 'sync:read' },
        responses: { 200: featureCollectionResponse },
      },
      async (c, _input, db) => geojson(c, await deps.queries.run(db, 'grids_geojson', [null]), 'fc'),
    );
}
