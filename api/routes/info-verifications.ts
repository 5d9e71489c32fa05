import { z } from 'zod';
import type { Deps } from '../deps.ts';
import { ApiError } from '../http/errors.ts';
import { Resource } from '../http/resource.ts';
import { callerStaffId } from './evaluation.ts';
import { invalidInputResponse, notFoundResponse } from './respond.ts';

function isCalendarDate(s: string): boolean {
  const d = new Date(`${s}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === s;
}
const day = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a date YYYY-MM-DD').refine(isCalendarDate, 'must be a calendar date YYYY-MM-DD');
const id = z.coerce.number().int().positive().max(2_147_483_647);

const listQuery = z
  .object({
    grid_id: id.optional(),
    record_kind: z.enum(['address', 'resident']).optional(),
    from: day.optional().describe('first local day verified (inclusive)'),
    to: day.optional().describe('last local day verified (inclusive)'),
  })
  .strict();

const createBody = z
  .object({
    record_kind: z.enum(['address', 'resident']).describe('address: the address registration (一标三实 address and housing); resident: a person’s information'),
    record_id: z.number().int().positive().max(2_147_483_647),
    result: z.enum(['correct', 'incorrect']),
    note: z.string().trim().min(1).max(1000).optional(),
  })
  .strict();

// Read by those who verify and by grid leaders (their own grids' checks, through row-level security).
const READERS = ['command', 'station_chief', 'police', 'aux_police', 'grid_leader'] as const;
const VERIFIERS = ['command', 'station_chief', 'police', 'aux_police'] as const;

const REFUSALS: Record<string, string> = {
  not_verifier: 'only command, station chiefs and police officers on duty verify collected information',
  own_grid: 'nobody verifies the collection of a grid they work in as grid staff',
};

export function infoVerificationsResource(deps: Pick<Deps, 'guard'>): Resource {
  return new Resource('/api/info-verifications', 'evaluation', deps.guard)
    .route(
      {
        method: 'get',
        path: '/',
        summary: '信息采集核查记录 / verifications of collected information (address registrations, person information) in the caller’s grids',
        access: { kind: 'session', roles: READERS },
        query: listQuery,
        responses: { 200: { description: '{verifications: [{id, record_kind, record_id, address_id, address_code, grid_id, grid_name, verified_by, verifier_name, verified_at, result, note}]}' }, 400: invalidInputResponse },
      },
      async (c, { query }, db) => {
        const verifications = await db`
          SELECT v.id, v.record_kind, v.record_id, v.address_id, a.code AS address_code, v.grid_id, g.name AS grid_name,
                 v.verified_by, s.name AS verifier_name, v.verified_at, v.result, v.note
          FROM info_verification v
          LEFT JOIN address a ON a.id = v.address_id
          LEFT JOIN grid g ON g.id = v.grid_id
          LEFT JOIN staff s ON s.id = v.verified_by
          WHERE (${query.grid_id ?? null}::int IS NULL OR v.grid_id = ${query.grid_id ?? null})
            AND (${query.record_kind ?? null}::text IS NULL OR v.record_kind = ${query.record_kind ?? null})
            AND (${query.from ?? null}::date IS NULL OR v.verified_at >= ${query.from ?? null}::date::timestamp AT TIME ZONE kpi_tz())
            AND (${query.to ?? null}::date IS NULL OR v.verified_at < (${query.to ?? null}::date + 1)::timestamp AT TIME ZONE kpi_tz())
          ORDER BY v.verified_at DESC, v.id DESC LIMIT 5000`;
        return c.json({ verifications });
      },
    )
    .route(
      {
        method: 'post',
        path: '/',
        summary: '核查采集信息 / record that a collected record was checked and found correct or incorrect (police and command; never for a grid one works in as grid staff); append-only',
        access: { kind: 'session', roles: VERIFIERS },
        body: createBody,
        responses: {
          201: { description: 'recorded', schema: z.object({ id: z.number(), grid_id: z.number().nullable(), verified_at: z.string() }) },
          400: invalidInputResponse,
          403: { description: 'the caller works in the record’s grid as grid staff' },
          404: notFoundResponse,
        },
      },
      async (c, { body }, db) => {
        const me = callerStaffId(c);
        // The record must be visible to the caller (row-level security on address, and resident through it).
        const [rec] = body.record_kind === 'address'
          ? await db<{ grid_id: number | null }[]>`SELECT grid_id FROM address WHERE id = ${body.record_id}`
          : await db<{ grid_id: number | null }[]>`SELECT a.grid_id FROM resident r JOIN address a ON a.id = r.address_id WHERE r.id = ${body.record_id}`;
        if (!rec) throw new ApiError(404, 'not_found', `${body.record_kind} ${body.record_id} does not exist`, { field: 'record_id' });
        const [check] = await db<{ refusal: string | null }[]>`SELECT info_verification_refusal(${me}, ${rec.grid_id}) AS refusal`;
        if (check?.refusal) throw new ApiError(403, 'forbidden', REFUSALS[check.refusal] ?? check.refusal, { field: 'record_id' });
        const [row] = await db<{ id: number; grid_id: number | null; verified_at: Date }[]>`
          INSERT INTO info_verification (record_kind, record_id, verified_by, result, note)
          VALUES (${body.record_kind}, ${body.record_id}, ${me}, ${body.result}, ${body.note ?? null})
          RETURNING id, grid_id, verified_at`;
        return c.json({ id: row!.id, grid_id: row!.grid_id, verified_at: row!.verified_at.toISOString() }, 201);
      },
    );
}
