import { z } from 'zod';
import type { Deps } from '../deps.ts';
import { ApiError } from '../http/errors.ts';
import { Resource } from '../http/resource.ts';
import { invalidInputResponse } from './respond.ts';
import { callerStaffId } from './evaluation.ts';

function isCalendarDate(s: string): boolean {
  const d = new Date(`${s}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === s;
}
const day = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a date YYYY-MM-DD').refine(isCalendarDate, 'must be a calendar date YYYY-MM-DD');

const listQuery = z
  .object({
    staff_id: z.coerce.number().int().positive().max(2_147_483_647).optional(),
    from: day.optional().describe('first session day (inclusive)'),
    to: day.optional().describe('last session day (inclusive)'),
  })
  .strict();

const createBody = z
  .object({
    staff_id: z.number().int().positive().max(2_147_483_647),
    session_on: day,
    title: z.string().trim().min(1).max(200),
    attended: z.boolean(),
    test_score: z.number().finite().min(0).max(100).nullable().optional().describe('competency test score 0–100 (only when attended)'),
  })
  .strict();

const ACCESS = { kind: 'session', roles: ['command', 'station_chief'] } as const;

export function trainingRecordsResource(deps: Pick<Deps, 'guard'>): Resource {
  return new Resource('/api/training-records', 'evaluation', deps.guard)
    .route(
      {
        method: 'get',
        path: '/',
        summary: '培训考核记录 / training sessions and competency tests of the staff the caller sees',
        access: ACCESS,
        query: listQuery,
        responses: { 200: { description: '{records: [{id, staff_id, staff_name, session_on, title, attended, test_score}]}' }, 400: invalidInputResponse },
      },
      async (c, { query }, db) => {
        const records = await db`
          SELECT t.id, t.staff_id, s.name AS staff_name, t.session_on::text AS session_on, t.title, t.attended,
                 t.test_score::float8 AS test_score
          FROM training_record t JOIN staff s ON s.id = t.staff_id
          WHERE (${query.staff_id ?? null}::int IS NULL OR t.staff_id = ${query.staff_id ?? null})
            AND (${query.from ?? null}::date IS NULL OR t.session_on >= ${query.from ?? null}::date)
            AND (${query.to ?? null}::date IS NULL OR t.session_on <= ${query.to ?? null}::date)
          ORDER BY t.session_on DESC, t.id DESC LIMIT 5000`;
        return c.json({ records });
      },
    )
    .route(
      {
        method: 'post',
        path: '/',
        summary: '登记培训考核 / record a training session and test result for a staff member',
        access: ACCESS,
        body: createBody,
        responses: {
          201: { description: 'recorded', schema: z.object({ id: z.number() }) },
          400: invalidInputResponse,
          409: { description: 'that session is already recorded for the person' },
          422: { description: 'unknown staff member (or outside the caller’s jurisdiction), or a test score without attendance' },
        },
      },
      async (c, { body }, db) => {
        const me = callerStaffId(c);
        const [s] = await db`SELECT 1 FROM staff WHERE id = ${body.staff_id}`;
        if (!s) throw new ApiError(422, 'reference_not_found', `staff member ${body.staff_id} does not exist in your jurisdiction`, { field: 'staff_id' });
        const [row] = await db<{ id: number }[]>`
          INSERT INTO training_record (staff_id, session_on, title, attended, test_score, created_by)
          VALUES (${body.staff_id}, ${body.session_on}::date, ${body.title}, ${body.attended}, ${body.test_score ?? null}, ${me}) RETURNING id`;
        return c.json(row, 201);
      },
    );
}
