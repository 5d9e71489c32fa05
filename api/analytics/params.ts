import { z } from 'zod';
import type { Access } from '../auth/types.ts';
import type { QueryCatalog } from '../db/queries.ts';
import type { Db } from '../db/types.ts';
import { ApiError } from '../http/errors.ts';
import { MAX_RES, MIN_RES } from './cells.ts';
import { isCalendarDate, localToday, resolveWindow, type Cycle, type DayWindow } from './window.ts';

/** Query-string pieces shared by /api/heat/* and /api/hotspots/*. */

/**
 * Heat and hotspots are aggregates without identities: every logged-in role may see them, analysts
 * and display screens included. Row-level security still limits the events a user's role counts.
 */
export const AGGREGATE_ACCESS: Access = { kind: 'session', roles: 'any' };

export const EVENT_TYPES = ['public_security', 'dispute', 'hazard', 'service_request', 'support_request'] as const;

export const resParam = z.coerce.number().int().min(MIN_RES).max(MAX_RES).describe(`H3 resolution ${MIN_RES}..${MAX_RES}`);

export const dateParam = z
  .string()
  .refine(isCalendarDate, 'must be a calendar date YYYY-MM-DD (local day in the configured time zone)')
  .describe('local calendar day YYYY-MM-DD (Asia/Shanghai), both ends included; by default from = start of the current cycle (month), to = today');

export const positiveId = z.coerce.number().int().positive().max(2_147_483_647);

function csv<T>(item: (part: string) => T | undefined, what: string) {
  return z.string().transform((s, ctx): T[] => {
    const out = new Set<T>();
    for (const raw of s.split(',')) {
      const part = raw.trim();
      const value = item(part);
      if (value === undefined) {
        ctx.addIssue({ code: 'custom', message: `"${part}" is not ${what}` });
        return z.NEVER;
      }
      out.add(value);
    }
    return [...out];
  });
}

export const typesParam = csv((p) => (EVENT_TYPES as readonly string[]).includes(p) ? p : undefined, `an event type (${EVENT_TYPES.join(', ')})`)
  .describe('comma-separated event types');

export const subtypesParam = csv((p) => (/^[a-z_]{1,32}$/.test(p) ? p : undefined), 'an event subtype (lowercase letters and _)')
  .describe('comma-separated event subtypes');

/** "a-b" ranges and single values, e.g. hours=0-6,22,23. */
function rangeList(lo: number, hi: number, what: string) {
  return z.string().transform((s, ctx): number[] => {
    const out = new Set<number>();
    for (const raw of s.split(',')) {
      const m = /^\s*(\d{1,2})\s*(?:-\s*(\d{1,2})\s*)?$/.exec(raw);
      const a = m ? Number(m[1]) : NaN;
      const b = m?.[2] !== undefined ? Number(m[2]) : a;
      if (!(a >= lo && b <= hi && a <= b)) {
        ctx.addIssue({ code: 'custom', message: `"${raw.trim()}" is not ${what} in ${lo}..${hi} or an ascending range of them` });
        return z.NEVER;
      }
      for (let v = a; v <= b; v++) out.add(v);
    }
    return [...out].sort((x, y) => x - y);
  });
}

export const hoursParam = rangeList(0, 23, 'an hour of day').describe('local hours of day 0..23, e.g. 0-6,22,23');
export const weekdaysParam = rangeList(1, 7, 'an ISO weekday (1 = Monday)').describe('local ISO weekdays 1 (Monday)..7 (Sunday), e.g. 1-5');

export const eventFilterShape = {
  type: typesParam.optional(),
  subtype: subtypesParam.optional(),
  hours: hoursParam.optional(),
  weekdays: weekdaysParam.optional(),
};

export interface EventFilter {
  types: string[] | null;
  subtypes: string[] | null;
  hours: number[] | null;
  weekdays: number[] | null;
}

export function eventFilter(q: { type?: string[] | undefined; subtype?: string[] | undefined; hours?: number[] | undefined; weekdays?: number[] | undefined }): EventFilter {
  return { types: q.type ?? null, subtypes: q.subtype ?? null, hours: q.hours ?? null, weekdays: q.weekdays ?? null };
}

const defaultsSchema = z.object({
  cycle: z.enum(['month', 'week']),
  res: z.number().int().min(MIN_RES).max(MAX_RES),
  k: z.number().int().min(1).max(5),
  period_days: z.number().int().min(1).max(92),
  periods: z.number().int().min(3).max(52),
});

export interface HeatSettings {
  timezone: string;
  cycle: Cycle;
  res: number;
  k: number;
  periodDays: number;
  periods: number;
  today: string;
}

/** Reads config (time zone, heat.defaults) per request, so an edit applies without a restart. */
export async function loadSettings(sql: Db, queries: QueryCatalog, now: Date = new Date()): Promise<HeatSettings> {
  const [row] = await queries.run<{ timezone: string | null; defaults: unknown }>(sql, 'heat_settings');
  if (!row?.timezone) throw new Error('config key "timezone" is missing');
  const parsed = defaultsSchema.safeParse(row.defaults);
  if (!parsed.success) throw new Error(`config key "heat.defaults" is missing or invalid: ${parsed.error.message}`);
  const d = parsed.data;
  return { timezone: row.timezone, cycle: d.cycle, res: d.res, k: d.k, periodDays: d.period_days, periods: d.periods, today: localToday(row.timezone, now) };
}

/** resolveWindow with its complaints turned into 400s that name the parameter. */
export function windowOrThrow(from: string | undefined, to: string | undefined, settings: HeatSettings, maxDays: number, names = ['from', 'to']): DayWindow {
  try {
    return resolveWindow(from, to, { cycle: settings.cycle, today: settings.today, maxDays });
  } catch (err) {
    if (err instanceof RangeError) throw new ApiError(400, 'invalid_input', err.message, [{ location: 'query parameters', path: names.join(','), message: err.message, code: 'custom' }]);
    throw err;
  }
}
