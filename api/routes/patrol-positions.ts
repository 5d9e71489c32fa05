import { z } from 'zod';
import type { Deps } from '../deps.ts';
import { Resource } from '../http/resource.ts';
import { invalidInputResponse } from './respond.ts';

/** Fixes older than this are not "where the patrol is" any more; a longer look-back is a track, not a position. */
export const MAX_POSITION_MINUTES = 240;
export const DEFAULT_POSITION_MINUTES = 15;
/** Device clocks run a little ahead at times: such a fix is still the latest, aged 0. */
const CLOCK_SKEW = '2 minutes';

const positionsQuery = z
  .object({
    minutes: z.coerce.number().int().min(1).max(MAX_POSITION_MINUTES).optional()
      .describe(`look-back in minutes (default ${DEFAULT_POSITION_MINUTES}, at most ${MAX_POSITION_MINUTES})`),
  })
  .strict();

const positionsBody = z.object({
  as_of: z.string(),
  minutes: z.number(),
  positions: z.array(z.object({
    device_id: z.number(), code: z.string(), kind: z.string(), lon: z.number(), lat: z.number(),
    fixed_at: z.string(), age_s: z.number().describe('seconds since the fix (0 when the device clock is ahead)'), grid_id: z.number().nullable(),
  })),
});

export function patrolPositionsResource(deps: Pick<Deps, 'guard'>): Resource {
  return new Resource('/api/patrol', 'patrol', deps.guard).route(
    {
      method: 'get',
      path: '/positions',
      summary: '巡逻力量位置 / the latest GPS fix of each active patrol device in the last N minutes, where the caller may see it (a device whose latest fix lies outside the caller’s grids is left out, not shown at an older fix)',
      // Devices and points, no names or speeds: aggregate roles (the wall screen) see them too.
      access: { kind: 'session', roles: 'any' },
      query: positionsQuery,
      responses: { 200: { description: 'as_of, minutes and positions', schema: positionsBody }, 400: invalidInputResponse },
    },
    async (c, { query }, db) => {
      const minutes = query.minutes ?? DEFAULT_POSITION_MINUTES;
      // The latest fix per device is found with the owner's rights, so row-level security cannot
      // turn "the device's position" into "its last position inside my grids"; of the latest fixes
      // the caller may see, only those that are the device's latest overall are kept. Instants are
      // compared as text: fixes carry microseconds, a JS Date only milliseconds.
      const window = (tx: typeof db) => tx<{ device_id: number; code: string; kind: string; lon: number; lat: number; fixed_at: Date; at: string; age_s: number; grid_id: number | null }[]>`
        SELECT d.id AS device_id, d.code, d.kind, f.lon, f.lat, f.fixed_at, f.fixed_at::text AS at,
               greatest(0, extract(epoch FROM now() - f.fixed_at))::float8 AS age_s, f.grid_id
        FROM patrol_device d
        CROSS JOIN LATERAL (
          SELECT g.lon, g.lat, g.fixed_at, g.grid_id FROM gps_fix g
          WHERE g.device_id = d.id AND g.fixed_at >= now() - ${minutes}::int * interval '1 minute'
            AND g.fixed_at <= now() + ${CLOCK_SKEW}::interval
          ORDER BY g.fixed_at DESC LIMIT 1) f
        WHERE d.active
        ORDER BY d.code`;
      const owner = c.get('owner');
      const latest = owner.scoped ? new Map((await owner((tx) => window(tx))).map((r) => [r.device_id, r.at])) : null;
      const positions = (await window(db)).filter((r) => latest === null || latest.get(r.device_id) === r.at);
      const [now] = await db<{ now: Date }[]>`SELECT now() AS now`;
      return c.json({
        as_of: now!.now.toISOString(),
        minutes,
        positions: positions.map(({ at: _at, ...p }) => ({ ...p, fixed_at: p.fixed_at.toISOString(), age_s: Math.round(p.age_s) })),
      });
    },
  );
}
