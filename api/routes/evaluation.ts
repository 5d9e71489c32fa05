import type { Context } from 'hono';
import { z } from 'zod';
import type { Deps } from '../deps.ts';
import { scoreRole, type MeasureRow } from '../evaluation/score.ts';
import type { AppEnv } from '../http/env.ts';
import { ApiError } from '../http/errors.ts';
import { Resource } from '../http/resource.ts';
import { resolveScope, todayLocal } from '../reports/reports.ts';
import { invalidInputResponse, notFoundResponse } from './respond.ts';

/** A month `YYYY-MM` (01–12). */
export const monthParam = z.string().regex(/^\d{4}-(0[1-9]|1[0-2])$/, 'must be a month YYYY-MM');

const evaluationQuery = z
  .object({
    month: monthParam.optional().describe('the month (default: the current local month)'),
    community_id: z.coerce.number().int().positive().max(2_147_483_647).optional().describe('one community (default: every grid the caller sees)'),
  })
  .strict();

const ratingBody = z
  .object({
    ratee_id: z.number().int().positive().max(2_147_483_647).describe('staff id of the person rated'),
    month: monthParam.describe('the month rated, not after the current one'),
    score: z.number().int().min(1).max(5),
    comment: z.string().trim().min(1).max(1000).optional(),
  })
  .strict();

/** The staff id of the logged-in caller (routes here are for staff logins only). */
export function callerStaffId(c: Context<AppEnv>): number {
  const auth = c.get('auth');
  const id = auth?.kind === 'user' ? auth.user.staffId : null;
  if (id === null) throw new ApiError(403, 'forbidden', 'this account is not a staff member');
  return id;
}

// Why a rating is refused (evaluation_rating_refusal in migration 00013) and how that is answered.
const REFUSALS: Record<string, [403 | 422, string, string]> = {
  rater_not_evaluating: [403, 'forbidden', 'only grid leaders and police officers on duty rate each other'],
  ratee_not_evaluated: [422, 'not_rateable', 'the person rated is not a grid leader or police officer on duty'],
  not_counterparts: [403, 'forbidden', 'a police officer rates grid leaders of a community they share, and a grid leader rates its police officers'],
};

export function evaluationResource(deps: Pick<Deps, 'queries' | 'guard'>): Resource {
  const { queries } = deps;
  return new Resource('/api/evaluation', 'evaluation', deps.guard)
    .route(
      {
        method: 'get',
        path: '/',
        summary: '双向评价 / mutual evaluation of a month: computed measures, mean manual rating, combined score and rank per role (grid leaders see their own row)',
        access: { kind: 'session', roles: ['command', 'station_chief', 'police', 'aux_police', 'grid_leader'] },
        query: evaluationQuery,
        timeout: 'analytics',
        responses: {
          200: { description: 'month, scope, grid_leaders and police rows with measures, computed_score, manual_score, score, rank' },
          400: invalidInputResponse,
          404: notFoundResponse,
        },
      },
      async (c, { query }, db) => {
        const scope = await resolveScope(db, query.community_id);
        const month = query.month ?? (await todayLocal(db)).slice(0, 7);
        const rows = (await queries.run(db, 'evaluation_measures', [`${month}-01`, scope.gridIds])) as unknown as MeasureRow[];
        let gridLeaders = scoreRole(rows, 'grid_leader');
        let police = scoreRole(rows, 'police');
        const auth = c.get('auth');
        const roles = auth?.kind === 'user' ? auth.user.roles : [];
        if (!roles.some((r) => r === 'command' || r === 'station_chief' || r === 'police' || r === 'aux_police')) {
          const me = callerStaffId(c);
          gridLeaders = gridLeaders.filter((r) => r.staff_id === me);
          police = [];
        }
        const { gridIds: _g, ...scopeJson } = scope;
        return c.json({ month, scope: scopeJson, grid_leaders: gridLeaders, police });
      },
    )
    .route(
      {
        method: 'post',
        path: '/ratings',
        summary: '评价打分 / rate a counterpart (1–5) for a month: a police officer rates grid leaders of a shared community, and the other way round; one rating per month, never changed',
        access: { kind: 'session', roles: ['police', 'aux_police', 'grid_leader'] },
        body: ratingBody,
        responses: {
          201: { description: 'recorded', schema: z.object({ id: z.number() }) },
          400: invalidInputResponse,
          403: { description: 'not counterparts (no shared community, or the same side)' },
          409: { description: 'already rated for that month' },
          422: { description: 'the person rated is not a grid leader or police officer, or the month is in the future' },
        },
      },
      async (c, { body }, db) => {
        const me = callerStaffId(c);
        const today = await todayLocal(db);
        if (body.month > today.slice(0, 7)) throw new ApiError(422, 'future_period', `month ${body.month} has not begun`, { field: 'month' });
        if (body.ratee_id === me) throw new ApiError(422, 'not_rateable', 'nobody rates themself', { field: 'ratee_id' });
        const [check] = await db<{ refusal: string | null }[]>`SELECT evaluation_rating_refusal(${me}, ${body.ratee_id}) AS refusal`;
        const refusal = check?.refusal ? REFUSALS[check.refusal] : undefined;
        if (refusal) throw new ApiError(refusal[0], refusal[1], refusal[2], { field: 'ratee_id' });
        const [row] = await db<{ id: number }[]>`
          INSERT INTO evaluation_rating (rater_id, ratee_id, period, score, comment)
          VALUES (${me}, ${body.ratee_id}, ${`${body.month}-01`}::date, ${body.score}, ${body.comment ?? null}) RETURNING id`;
        return c.json(row, 201);
      },
    );
}
