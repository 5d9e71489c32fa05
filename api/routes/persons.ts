import { z } from 'zod';
import type { Deps } from '../deps.ts';
import { REVEAL_ROLES, CASE_ROLES } from '../auth/types.ts';
import { ApiError } from '../http/errors.ts';
import { bboxParam, idParam } from '../http/geo.ts';
import { Resource } from '../http/resource.ts';
import { invalidInputResponse } from './respond.ts';

const MAX_ROWS = 2000;
const listQuery = z.object({ grid_id: z.coerce.number().int().positive().optional(), limit: z.coerce.number().int().positive().optional() }).strict();
export const PERSON_CATEGORIES = ['entitled', 'elderly_alone', 'child_distress', 'disabled', 'low_income', 'idle_youth', 'community_correction', 'six_losses', 'petition'] as const;
const csvOf = <T extends string>(allowed: readonly T[], what: string) => z.string().transform((s, ctx): T[] => {
  const parts = [...new Set(s.split(',').map((p) => p.trim()).filter(Boolean))];
  if (!parts.length || parts.some((p) => !(allowed as readonly string[]).includes(p))) {
    ctx.addIssue({ code: 'custom', message: `${what} must be one or more of ${allowed.join(', ')}, comma-separated` });
    return z.NEVER;
  }
  return parts as T[];
});
const mapQuery = z.object({
  bbox: bboxParam,
  category: csvOf(PERSON_CATEGORIES, 'category').optional(),
  control_level: csvOf(['1', '2', '3'] as const, 'control_level').optional(),
  limit: z.coerce.number().int().positive().optional(),
}).strict();
const revealBody = z.object({ reason: z.string().trim().min(4, '须说明查看原因（至少4个字）/ state a reason of at least 4 characters').max(500) }).strict();

/**
 * Persons of concern are read only through database functions that check the caller's role and
 * jurisdiction, mask ID and phone numbers, and write the audit log in the same transaction.
 */
export function personsResource(deps: Deps): Resource {
  return new Resource('/api/persons', 'persons', deps.guard)
    .route(
      {
        method: 'get', path: '/', summary: '重点人员（脱敏）/ persons of concern, masked; logged',
        access: { kind: 'session', roles: CASE_ROLES }, query: listQuery,
        responses: { 200: { description: 'masked persons' }, 400: invalidInputResponse },
      },
      async (c, { query }, db) => {
        const limit = Math.min(query.limit ?? 500, MAX_ROWS);
        const rows = await db`SELECT * FROM jw_persons(${query.grid_id ?? null}, ${limit})`;
        return c.json({ persons: rows, limit });
      },
    )
    .route(
      {
        method: 'get', path: '/stats', summary: '重点人员分类统计（小数值隐藏）/ counts per grid and category; counts under 3 suppressed for aggregate roles',
        access: { kind: 'session', roles: 'any' },
        responses: { 200: { description: 'counts' } },
      },
      async (c, _input, db) => c.json({ counts: await db`SELECT * FROM jw_person_counts()` }),
    )
    .route(
      {
        method: 'get', path: '/map', summary: '重点人员住址分布（脱敏，按类别/管控等级）/ addresses of active persons of concern in a bbox, names masked, no ID or phone; logged',
        access: { kind: 'session', roles: CASE_ROLES }, query: mapQuery,
        responses: { 200: { description: '`persons`: id, code, masked name, category, control_level, address_id, grid_id, lon, lat; `truncated`, `limit`' }, 400: invalidInputResponse },
      },
      async (c, { query }, db) => {
        const limit = Math.min(query.limit ?? MAX_ROWS, MAX_ROWS);
        const levels = query.control_level?.map(Number) ?? null;
        const rows = await db`SELECT * FROM jw_person_points(${query.bbox[0]}, ${query.bbox[1]}, ${query.bbox[2]}, ${query.bbox[3]},
                                                             ${query.category ?? null}::text[], ${levels}::smallint[], ${limit + 1})`;
        return c.json({ persons: rows.slice(0, limit), truncated: rows.length > limit, limit });
      },
    )
    .route(
      {
        method: 'get', path: '/:id', summary: '重点人员详情（脱敏）/ one person, masked; logged',
        access: { kind: 'session', roles: CASE_ROLES }, params: idParam,
        responses: { 200: { description: 'the person, masked' }, 404: { description: 'not found or outside your jurisdiction' } },
      },
      async (c, { params }, db) => {
        const [row] = await db`SELECT * FROM jw_person_view(${params.id})`;
        if (!row) throw new ApiError(404, 'not_found', `person ${params.id} does not exist or is outside your jurisdiction`);
        return c.json(row);
      },
    )
    .route(
      {
        method: 'post', path: '/:id/reveal', summary: '查看完整身份信息（须填写原因，留痕）/ reveal identity with a reason; logged',
        access: { kind: 'session', roles: REVEAL_ROLES }, params: idParam, body: revealBody,
        responses: { 200: { description: 'the person, unmasked' }, 400: invalidInputResponse, 404: { description: 'not found or outside your jurisdiction' } },
      },
      async (c, { params, body }, db) => {
        const [row] = await db`SELECT * FROM jw_person_reveal(${params.id}, ${body.reason})`;
        if (!row) throw new ApiError(404, 'not_found', `person ${params.id} does not exist or is outside your jurisdiction`);
        return c.json(row);
      },
    );
}
