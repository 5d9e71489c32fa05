import { z } from 'zod';
import { dateParam, loadSettings, windowOrThrow } from '../analytics/params.ts';
import { CASE_ROLES } from '../auth/types.ts';
import type { Deps } from '../deps.ts';
import { bboxParam } from '../http/geo.ts';
import { Resource } from '../http/resource.ts';
import { refreshKpi } from '../patrol/derived.ts';
import { invalidInputResponse } from './respond.ts';

/** Visits per request: a sub-district makes ~100 a day, so a year of one fits; a city's must be zoomed in. */
export const MAX_VISITS = 20_000;
/** A year of visits: the longest cycle (general addresses, 180 days) twice over. */
export const MAX_VISIT_WINDOW_DAYS = 366;

const visitsQuery = z
  .object({ bbox: bboxParam, from: dateParam.optional(), to: dateParam.optional(), limit: z.coerce.number().int().positive().optional() })
  .strict();

interface VisitRow {
  id: number;
  visited_at: number;
  address_id: number;
  address_text: string;
  category: string;
  grid_id: number | null;
  person: boolean;
  has_fix: boolean;
  lon: number;
  lat: number;
  standard: boolean | null;
  on_site: boolean | null;
  joint: boolean | null;
  reasons: string[] | null;
  distance_m: number | null;
  participants: number;
}
const COLUMNS = ['id', 'visited_at', 'address_id', 'address_text', 'category', 'grid_id', 'person', 'has_fix', 'lon', 'lat', 'standard', 'on_site', 'joint', 'reasons', 'distance_m', 'participants'] as const;

/**
 * Visits on the map with the KPI engine's verdicts (kpi_visit, brought up to date before the
 * request), as one array per column so the console hands them to deck.gl without building objects.
 */
export function visitsResource(deps: Deps): Resource {
  const { sql, queries } = deps;
  return new Resource('/api/visits', 'visits', deps.guard).route(
    {
      method: 'get',
      path: '/',
      summary: '走访（按范围、日期）：位置、是否在场、是否联合走访及不达标原因 / visits in a bbox and window of local days (default this month), at their GPS fix or else their address, with the KPI verdict (on-site, joint, reasons)',
      access: { kind: 'session', roles: CASE_ROLES },
      prepare: () => refreshKpi(sql),
      query: visitsQuery,
      responses: {
        200: {
          description: '`columns`: one array per field (id, visited_at epoch ms, address_id, address_text, category, grid_id, person, has_fix, lon, lat, standard, on_site, joint, reasons, distance_m, participants); `count`, `truncated`, `limit`, `window`',
          schema: z.object({ window: z.object({ from: z.string(), to: z.string() }), count: z.number(), truncated: z.boolean(), limit: z.number(), columns: z.record(z.string(), z.array(z.unknown())) }),
        },
        400: invalidInputResponse,
      },
    },
    async (c, { query }, db) => {
      const settings = await loadSettings(db, queries);
      const window = windowOrThrow(query.from, query.to, settings, MAX_VISIT_WINDOW_DAYS);
      const limit = Math.min(query.limit ?? MAX_VISITS, MAX_VISITS);
      const rows = await queries.run<VisitRow>(db, 'visits_in_bbox', [...query.bbox, window.from, window.to, limit + 1]);
      const kept = rows.slice(0, limit);
      const columns = Object.fromEntries(COLUMNS.map((k) => [k, kept.map((r) => r[k])]));
      return c.json({ window, count: kept.length, truncated: rows.length > limit, limit, columns });
    },
  );
}
