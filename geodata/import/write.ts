import type { TransactionSql } from 'postgres';
import type { ImportKind } from './types.ts';
import { STAGE } from './stage.ts';

/**
 * Upserts from the stage table. One statement per kind, rows in file order so identity ids (and
 * with them the "lowest id wins" rule of grid_of on shared edges) follow the file. `code` is the
 * external key: a re-import updates instead of duplicating. Grid ids of points come from the
 * database triggers, never from the file.
 */

export interface WriteCounts {
  inserted: number;
  updated: number;
  /** Rows that exist and were deliberately left alone (closed or cancelled events). */
  unchanged?: number;
}

export interface WriteContext {
  actor: string;
  fileName: string;
}

/** In the persons upsert's DO UPDATE: whether the file gave since for the row (EXCLUDED holds today's date otherwise). */
const STAGE_SINCE_GIVEN = `(SELECT s.attrs->>'since' IS NOT NULL FROM ${STAGE} s WHERE s.code = EXCLUDED.code AND NOT s.skip)`;

const UPSERTS: Record<Exclude<ImportKind, 'gps-fixes' | 'events' | 'visits'>, string> = {
  subdistrict: `
    INSERT INTO subdistrict (code, name, geom)
    SELECT code, attrs->>'name', ST_Multi(geom) FROM ${STAGE} WHERE NOT skip ORDER BY idx
    ON CONFLICT (code) DO UPDATE SET name = EXCLUDED.name, geom = EXCLUDED.geom`,
  communities: `
    INSERT INTO community (code, subdistrict_id, name, kind, geom)
    SELECT code, parent_id, attrs->>'name', attrs->>'kind', ST_Multi(geom) FROM ${STAGE} WHERE NOT skip ORDER BY idx
    ON CONFLICT (code) DO UPDATE SET subdistrict_id = EXCLUDED.subdistrict_id, name = EXCLUDED.name,
      kind = EXCLUDED.kind, geom = EXCLUDED.geom`,
  grids: `
    INSERT INTO grid (code, community_id, name, geom)
    SELECT code, parent_id, attrs->>'name', ST_Multi(geom) FROM ${STAGE} WHERE NOT skip ORDER BY idx
    ON CONFLICT (code) DO UPDATE SET community_id = EXCLUDED.community_id, name = EXCLUDED.name, geom = EXCLUDED.geom`,
  // grid_id NULL lets the trigger place the point; setting geom in the update makes it fire.
  'joint-defense-points': `
    INSERT INTO joint_defense_point (code, grid_id, name, geom, service_radius_m)
    SELECT code, parent_id, attrs->>'name', geom, (attrs->>'service_radius_m')::double precision FROM ${STAGE} WHERE NOT skip ORDER BY idx
    ON CONFLICT (code) DO UPDATE SET grid_id = EXCLUDED.grid_id, name = EXCLUDED.name, geom = EXCLUDED.geom,
      service_radius_m = EXCLUDED.service_radius_m`,
  'key-locations': `
    INSERT INTO key_location (code, grid_id, name, type, geom, required_passes_week)
    SELECT code, parent_id, attrs->>'name', attrs->>'type', geom, (attrs->>'required_passes_week')::integer FROM ${STAGE} WHERE NOT skip ORDER BY idx
    ON CONFLICT (code) DO UPDATE SET grid_id = EXCLUDED.grid_id, name = EXCLUDED.name, type = EXCLUDED.type,
      geom = EXCLUDED.geom, required_passes_week = EXCLUDED.required_passes_week`,
  // grid_source is left alone on update: a grid set by hand stays set by hand.
  addresses: `
    INSERT INTO address (code, address_text, geom, category, vacant)
    SELECT code, attrs->>'address_text', geom, attrs->>'category', (attrs->>'vacant')::boolean FROM ${STAGE} WHERE NOT skip ORDER BY idx
    ON CONFLICT (code) DO UPDATE SET address_text = EXCLUDED.address_text, geom = EXCLUDED.geom,
      category = EXCLUDED.category, vacant = EXCLUDED.vacant`,
  // The person's grid is their address's. A record without since is under management from today
  // (Beijing day); a re-import without since keeps the stored one. resident_id is the console's.
  persons: `
    INSERT INTO person_of_concern (code, address_id, name, id_number, phone, category, control_level, since, until, notes)
    SELECT code, parent_id, attrs->>'name', attrs->>'id_number', attrs->>'phone', attrs->>'category',
           (attrs->>'control_level')::smallint, coalesce((attrs->>'since')::date, jw_today()), (attrs->>'until')::date, attrs->>'notes'
    FROM ${STAGE} WHERE NOT skip ORDER BY idx
    ON CONFLICT (code) DO UPDATE SET address_id = EXCLUDED.address_id, name = EXCLUDED.name, id_number = EXCLUDED.id_number,
      phone = EXCLUDED.phone, category = EXCLUDED.category, control_level = EXCLUDED.control_level,
      since = CASE WHEN ${STAGE_SINCE_GIVEN} THEN EXCLUDED.since ELSE person_of_concern.since END,
      until = EXCLUDED.until, notes = EXCLUDED.notes`,
};

/**
 * Events: a re-import refreshes what the source knows (type, place, time, text) but never the
 * workflow (state, deadlines, escalation), which the console owns once the event exists. New
 * events get a deadline from config event.deadline_hours and an "import" entry in the event log.
 */
const EVENT_UPSERT = `
  WITH up AS (
    INSERT INTO event (code, type, subtype, severity, complexity, state, title, description, geom, source,
                       reporter_name, reported_at, due_at, closed_at)
    SELECT s.code, a->>'type', a->>'subtype', (a->>'severity')::smallint, a->>'complexity', a->>'state',
           a->>'title', a->>'description', s.geom, 'import', a->>'reporter_name',
           (a->>'reported_at')::timestamptz,
           COALESCE((a->>'due_at')::timestamptz,
                    (a->>'reported_at')::timestamptz + make_interval(hours =>
                      ((SELECT value FROM config WHERE key = 'event.deadline_hours') -> (a->>'type') ->> (a->>'severity'))::integer)),
           (a->>'closed_at')::timestamptz
    FROM ${STAGE} s, LATERAL (SELECT s.attrs AS a) x
    WHERE NOT s.skip ORDER BY s.idx
    ON CONFLICT (code) DO UPDATE SET type = EXCLUDED.type, subtype = EXCLUDED.subtype, severity = EXCLUDED.severity,
      complexity = EXCLUDED.complexity, title = EXCLUDED.title, description = EXCLUDED.description, geom = EXCLUDED.geom,
      reporter_name = EXCLUDED.reporter_name, reported_at = EXCLUDED.reported_at
    -- closed and cancelled events are final (and the workflow trigger refuses any change to them)
    WHERE event.state NOT IN ('closed', 'cancelled')
    RETURNING id, code, state, (xmax = 0) AS inserted
  ), logged AS (
    INSERT INTO event_log (event_id, from_state, to_state, action, actor_name, note, details)
    SELECT up.id, NULL, up.state, 'import', $1, $2, jsonb_build_object('file', $3::text, 'record', s.idx)
    FROM up JOIN ${STAGE} s ON s.code = up.code
    WHERE up.inserted
    RETURNING 1
  )
  SELECT count(*) FILTER (WHERE inserted)::integer AS inserted, count(*) FILTER (WHERE NOT inserted)::integer AS updated FROM up`;

/**
 * Visits: upsert by client_id (the file's visit code), then the participants: each named staff
 * member takes part with the visit's fix and time (a file row is one visit, not one device), and
 * on a re-import the participant list becomes the file's. The grid comes from the address (trigger).
 */
const VISIT_UPSERT = `
  WITH up AS (
    INSERT INTO visit (client_id, address_id, person_id, visited_at, geom, notes)
    SELECT code, parent_id, person_id, (attrs->>'visited_at')::timestamptz, geom, attrs->>'notes'
    FROM ${STAGE} WHERE NOT skip ORDER BY idx
    ON CONFLICT (client_id) DO UPDATE SET address_id = EXCLUDED.address_id, person_id = EXCLUDED.person_id,
      visited_at = EXCLUDED.visited_at, geom = EXCLUDED.geom, notes = EXCLUDED.notes
    RETURNING (xmax = 0) AS inserted
  )
  SELECT count(*) FILTER (WHERE inserted)::integer AS inserted, count(*) FILTER (WHERE NOT inserted)::integer AS updated FROM up`;

const VISIT_PARTICIPANTS = [
  `DELETE FROM visit_participant vp USING visit v, ${STAGE} s
   WHERE NOT s.skip AND v.client_id = s.code AND vp.visit_id = v.id AND NOT (vp.staff_id = ANY (s.staff_ids))`,
  `INSERT INTO visit_participant (visit_id, staff_id, geom, fixed_at)
   SELECT v.id, p.staff_id, s.geom, v.visited_at
   FROM ${STAGE} s JOIN visit v ON v.client_id = s.code CROSS JOIN LATERAL unnest(s.staff_ids) AS p(staff_id)
   WHERE NOT s.skip ORDER BY s.idx, p.staff_id
   ON CONFLICT (visit_id, staff_id) DO UPDATE SET geom = EXCLUDED.geom, fixed_at = EXCLUDED.fixed_at`,
];

export async function writeStage(tx: TransactionSql, kind: Exclude<ImportKind, 'gps-fixes'>, ctx: WriteContext): Promise<WriteCounts> {
  if (kind === 'events') {
    const [r] = await tx.unsafe<WriteCounts[]>(EVENT_UPSERT, [ctx.actor, `导入 / imported from ${ctx.fileName}`, ctx.fileName]);
    const [{ n } = { n: 0 }] = await tx.unsafe<{ n: number }[]>(`SELECT count(*)::integer AS n FROM ${STAGE} WHERE NOT skip`);
    const counts = r ?? { inserted: 0, updated: 0 };
    return { ...counts, unchanged: n - counts.inserted - counts.updated };
  }
  if (kind === 'visits') {
    const [r] = await tx.unsafe<WriteCounts[]>(VISIT_UPSERT);
    for (const q of VISIT_PARTICIPANTS) await tx.unsafe(q);
    return r ?? { inserted: 0, updated: 0 };
  }
  // xmax = 0 only for freshly inserted rows: the standard way to tell inserts from updates in an upsert.
  const [r] = await tx.unsafe<WriteCounts[]>(
    `WITH up AS (${UPSERTS[kind]} RETURNING (xmax = 0) AS inserted)
     SELECT count(*) FILTER (WHERE inserted)::integer AS inserted, count(*) FILTER (WHERE NOT inserted)::integer AS updated FROM up`,
  );
  return r ?? { inserted: 0, updated: 0 };
}
