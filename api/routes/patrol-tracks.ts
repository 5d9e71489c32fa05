import { z } from 'zod';
import { loadSettings } from '../analytics/params.ts';
import { isCalendarDate } from '../analytics/window.ts';
import { CASE_ROLES } from '../auth/types.ts';
import type { Deps } from '../deps.ts';
import { ApiError } from '../http/errors.ts';
import { bboxParam } from '../http/geo.ts';
import { Resource } from '../http/resource.ts';
import { invalidInputResponse } from './respond.ts';

/** Longest window a map asks for (a week of shifts); longer replays are reports, not a layer. */
export const MAX_TRACK_WINDOW_H = 7 * 24;
/** Fixes read per request; a device reporting every 10 s sends ~8,600 a day. */
export const MAX_TRACK_FIXES = 200_000;
const DEFAULT_WINDOW_H = 24;
const HOUR_MS = 3_600_000;

const instantParam = z
  .string()
  .refine((s) => isCalendarDate(s) || z.iso.datetime({ offset: true }).safeParse(s).success, 'must be a local day YYYY-MM-DD or an ISO date-time with offset (2026-11-29T08:00:00+08:00)')
  .describe('a local day YYYY-MM-DD (Asia/Shanghai; `from` = its start, `to` = its end) or an ISO date-time with offset');

const tracksQuery = z
  .object({
    bbox: bboxParam,
    from: instantParam.optional(),
    to: instantParam.optional(),
    limit: z.coerce.number().int().positive().optional(),
  })
  .strict();

/** Milliseconds the zone is ahead of UTC at an instant. */
function zoneOffsetMs(timeZone: string, ms: number): number {
  const p = Object.fromEntries(new Intl.DateTimeFormat('en-US', {
    timeZone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric',
  }).formatToParts(ms).map((x) => [x.type, x.value]));
  return Date.UTC(Number(p.year), Number(p.month) - 1, Number(p.day), Number(p.hour), Number(p.minute), Number(p.second)) - Math.floor(ms / 1000) * 1000;
}

/** Local midnight starting `day` in the zone, as an instant. */
function localMidnight(day: string, timeZone: string): number {
  const guess = Date.parse(`${day}T00:00:00Z`);
  return guess - zoneOffsetMs(timeZone, guess - zoneOffsetMs(timeZone, guess));
}

function instant(s: string, end: boolean, timeZone: string): number {
  if (!isCalendarDate(s)) return Date.parse(s);
  const start = localMidnight(s, timeZone);
  return end ? localMidnight(new Date(start + 36 * HOUR_MS).toISOString().slice(0, 10), timeZone) : start;
}

const bad = (path: string, message: string) => new ApiError(400, 'invalid_input', message, [{ location: 'query parameters', path, message, code: 'custom' }]);

interface TripRow {
  device_id: number;
  device_code: string;
  device_kind: string;
  trip: number;
  t: number[];
  lon: number[];
  lat: number[];
  fixes_read: number;
  capped: boolean;
}

/**
 * Patrol tracks for the map's playback, as columns: the vertices of every trip end to end
 * (lon, lat, seconds since the window's start) and, per trip, its device and first vertex, which
 * is what deck.gl's PathLayer/TripsLayer take as binary attributes (startIndices).
 */
export function patrolTracksResource(deps: Deps): Resource {
  const { queries } = deps;
  return new Resource('/api/patrol', 'patrol', deps.guard).route(
    {
      method: 'get',
      path: '/tracks',
      summary: '巡逻轨迹（按范围、时段，分段回放）/ patrol tracks of the devices seen in a bbox during a window (default the last 24 h, at most 7 days), split into trips at gaps ≥ 5 min or ≥ 2 km; only fixes in your grids',
      access: { kind: 'session', roles: CASE_ROLES },
      query: tracksQuery,
      responses: {
        200: {
          description: 'columns: `lon`, `lat`, `t` (s since `t0`) of every vertex; `trips.device_id`, `trips.start` (first vertex), `trips.n`; `devices`; `fixes`, `truncated`, `limit`',
          schema: z.object({
            window: z.object({ from: z.string(), to: z.string(), timezone: z.string() }),
            t0: z.number(),
            devices: z.object({ id: z.array(z.number()), code: z.array(z.string()), kind: z.array(z.string()) }),
            trips: z.object({ device_id: z.array(z.number()), start: z.array(z.number()), n: z.array(z.number()) }),
            lon: z.array(z.number()), lat: z.array(z.number()), t: z.array(z.number()),
            fixes: z.number(), truncated: z.boolean(), limit: z.number(),
          }),
        },
        400: invalidInputResponse,
      },
    },
    async (c, { query }, db) => {
      const { timezone } = await loadSettings(db, queries);
      const to = query.to !== undefined ? instant(query.to, true, timezone) : Date.now();
      const from = query.from !== undefined ? instant(query.from, false, timezone) : to - DEFAULT_WINDOW_H * HOUR_MS;
      if (from >= to) throw bad('from,to', `from (${new Date(from).toISOString()}) must be before to (${new Date(to).toISOString()})`);
      if (to - from > MAX_TRACK_WINDOW_H * HOUR_MS) throw bad('from,to', `the window spans ${((to - from) / HOUR_MS).toFixed(1)} hours; at most ${MAX_TRACK_WINDOW_H} are allowed`);
      const limit = Math.min(query.limit ?? MAX_TRACK_FIXES, MAX_TRACK_FIXES);
      const rows = await queries.run<TripRow>(db, 'patrol_tracks', [...query.bbox, new Date(from), new Date(to), limit]);
      const t0 = from;
      const devices = { id: [] as number[], code: [] as string[], kind: [] as string[] };
      const trips = { device_id: [] as number[], start: [] as number[], n: [] as number[] };
      const lon: number[] = [];
      const lat: number[] = [];
      const t: number[] = [];
      for (const r of rows) {
        if (devices.id.at(-1) !== r.device_id) {
          devices.id.push(r.device_id);
          devices.code.push(r.device_code);
          devices.kind.push(r.device_kind);
        }
        trips.device_id.push(r.device_id);
        trips.start.push(lon.length);
        trips.n.push(r.t.length);
        for (let i = 0; i < r.t.length; i++) {
          lon.push(r.lon[i]!);
          lat.push(r.lat[i]!);
          t.push(Math.round(r.t[i]! * 1000 - t0) / 1000);
        }
      }
      return c.json({
        window: { from: new Date(from).toISOString(), to: new Date(to).toISOString(), timezone },
        t0, devices, trips, lon, lat, t,
        fixes: rows[0]?.fixes_read ?? 0, truncated: rows[0]?.capped ?? false, limit,
      });
    },
  );
}
