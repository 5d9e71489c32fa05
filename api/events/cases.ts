import type { QueryCatalog } from '../db/queries.ts';
import type { Db } from '../db/types.ts';
import { ApiError } from '../http/errors.ts';
import type { FeedMessage } from './feed.ts';
import { routeMessage } from './routing.ts';
import { lockFeed, transitionEvent, type Actor } from './service.ts';

export interface Participant {
  role: 'police' | 'grid_leader' | 'judicial' | 'lawyer' | 'cadre' | 'family' | 'other';
  name: string;
  staff_id?: number | undefined;
}

interface EventFacts {
  id: number;
  type: string;
  state: string;
  version: number;
  complexity: string | null;
}

async function eventFacts(db: Db, id: number): Promise<EventFacts> {
  const [e] = await db<EventFacts[]>`SELECT id, type, state, version, complexity FROM event WHERE id = ${id} FOR UPDATE`;
  if (!e) throw new ApiError(404, 'not_found', `event ${id} does not exist or is outside your jurisdiction`);
  return e;
}

/**
 * Starts mediation of a dispute. General disputes are mediated by the grid leader at once; complex
 * ones need "1+1+N": a police officer, the grid leader, and at least one other party.
 */
export async function startMediation(db: Db, eventId: number, kind: 'grid_leader' | 'joint_1_1_n', participants: Participant[], now: Date): Promise<number> {
  const e = await eventFacts(db, eventId);
  if (e.type !== 'dispute') throw new ApiError(422, 'not_a_dispute', 'only disputes are mediated', { field: 'event' });
  if (kind === 'joint_1_1_n') {
    const roles = participants.map((p) => p.role);
    const others = roles.filter((r) => r !== 'police' && r !== 'grid_leader').length;
    if (!roles.includes('police') || !roles.includes('grid_leader') || others < 1) {
      throw new ApiError(422, 'incomplete_panel', '"1+1+N"联调须有民警、网格长及至少一名其他人员 / needs a police officer, the grid leader and at least one other', { field: 'participants' });
    }
    if (e.complexity !== 'complex') await db`UPDATE event SET complexity = 'complex', version = version + 1 WHERE id = ${eventId}`;
  }
  const [m] = await db<{ id: number }[]>`
    INSERT INTO mediation (event_id, kind, started_at) VALUES (${eventId}, ${kind}, ${now}) RETURNING id`;
  for (const [i, p] of participants.entries()) {
    await db`INSERT INTO mediation_participant (mediation_id, seq, role, staff_id, name) VALUES (${m!.id}, ${i + 1}, ${p.role}, ${p.staff_id ?? null}, ${p.name})`;
  }
  return m!.id;
}

export async function addMediationSession(db: Db, eventId: number, heldAt: Date, notes: string): Promise<number> {
  const [m] = await db<{ id: number; outcome: string | null }[]>`SELECT id, outcome FROM mediation WHERE event_id = ${eventId}`;
  if (!m) throw new ApiError(404, 'not_found', `event ${eventId} has no mediation`);
  if (m.outcome) throw new ApiError(409, 'mediation_ended', 'the mediation has ended');
  const [s] = await db<{ id: number }[]>`INSERT INTO mediation_session (mediation_id, held_at, notes) VALUES (${m.id}, ${heldAt}, ${notes}) RETURNING id`;
  return s!.id;
}

/** Success resolves the dispute; failure escalates it to the judicial office or the police. */
export async function endMediation(db: Db, queries: QueryCatalog, eventId: number, outcome: 'success' | 'failed', escalatedTo: 'judicial' | 'police' | undefined, expectedVersion: number, actor: Actor, now: Date) {
  const [m] = await db<{ id: number; outcome: string | null }[]>`SELECT id, outcome FROM mediation WHERE event_id = ${eventId} FOR UPDATE`;
  if (!m) throw new ApiError(404, 'not_found', `event ${eventId} has no mediation`);
  if (m.outcome) throw new ApiError(409, 'mediation_ended', 'the mediation has already ended');
  if (outcome === 'failed' && !escalatedTo) throw new ApiError(422, 'missing_value', 'a failed mediation must name where it escalates (judicial or police)', { field: 'escalated_to' });
  await db`UPDATE mediation SET outcome = ${outcome}, escalated_to = ${outcome === 'failed' ? escalatedTo! : null}, ended_at = ${now} WHERE id = ${m.id}`;
  const action = outcome === 'success' ? 'resolve' : 'escalate';
  const note = outcome === 'success' ? '调解成功' : `调解未成功，升级至${escalatedTo === 'judicial' ? '司法所' : '公安'}`;
  return transitionEvent(db, queries, eventId, { action, expected_version: expectedVersion, note }, actor, now);
}

/** A risk hazard is classified and dispatched to the competent department with a warning. */
export async function dispatchHazard(db: Db, queries: QueryCatalog, eventId: number, input: { classification: string; department: string; warning: string; expected_version: number }, actor: Actor, now: Date) {
  const e = await eventFacts(db, eventId);
  if (e.type !== 'hazard') throw new ApiError(422, 'not_a_hazard', 'only risk hazards are dispatched to departments', { field: 'event' });
  const [d] = await db<{ id: number }[]>`
    INSERT INTO hazard_dispatch (event_id, classification, department, warning, dispatched_at)
    VALUES (${eventId}, ${input.classification}, ${input.department}, ${input.warning}, ${now}) RETURNING id`;
  const result = await transitionEvent(db, queries, eventId, { action: 'assign', expected_version: input.expected_version, department: input.department, note: `分派至${input.department}：${input.warning}` }, actor, now);
  return { dispatchId: d!.id, ...result };
}

/** Follow-up until the hazard is removed; removal resolves the event. */
export async function followUpHazard(db: Db, queries: QueryCatalog, eventId: number, input: { note: string; removed: boolean; expected_version: number }, actor: Actor, now: Date) {
  const [d] = await db<{ id: number; removed_at: Date | null }[]>`SELECT id, removed_at FROM hazard_dispatch WHERE event_id = ${eventId} ORDER BY id DESC LIMIT 1 FOR UPDATE`;
  if (!d) throw new ApiError(404, 'not_found', `event ${eventId} has not been dispatched`);
  if (d.removed_at) throw new ApiError(409, 'hazard_removed', 'the hazard was already removed');
  await db`INSERT INTO hazard_followup (dispatch_id, at, note) VALUES (${d.id}, ${now}, ${input.note})`;
  if (!input.removed) return null;
  await db`UPDATE hazard_dispatch SET removed_at = ${now} WHERE id = ${d.id}`;
  const e = await eventFacts(db, eventId);
  let version = input.expected_version;
  if (e.state === 'assigned') version = (await transitionEvent(db, queries, eventId, { action: 'start', expected_version: version, note: '隐患整改中' }, actor, now)).version;
  return transitionEvent(db, queries, eventId, { action: 'resolve', expected_version: version, note: `隐患已消除：${input.note}` }, actor, now);
}

export interface SupportConfig {
  ackMinutes: number;
  arriveMinutes: number;
}

export async function readSupportConfig(db: Db): Promise<SupportConfig> {
  const rows = await db<{ key: string; value: number }[]>`SELECT key, value FROM config WHERE key IN ('support.ack_minutes', 'support.arrive_minutes')`;
  const get = (k: string, d: number) => Number(rows.find((r) => r.key === k)?.value ?? d);
  return { ackMinutes: get('support.ack_minutes', 5), arriveMinutes: get('support.arrive_minutes', 20) };
}

async function supportFeed(db: Db, queries: QueryCatalog, kind: 'support.requested' | 'support.updated', r: { id: number; grid_id: number | null; state: string; lon: number; lat: number; reason: string }, now: Date): Promise<FeedMessage> {
  const groups = routeMessage({ kind, severity: 2, complexity: null, state: r.state });
  await lockFeed(db);
  const payload = { support_request_id: r.id, state: r.state, lon: r.lon, lat: r.lat, title: r.reason };
  const [row] = await queries.run<{ id: string; at: Date }>(db, 'feed_insert', [kind, null, r.grid_id, groups, payload as never, now]);
  return { id: row!.id, at: row!.at.toISOString(), kind, event_id: null, grid_id: r.grid_id, groups, payload };
}

/** A grid leader asks the police for help; the police officer covering the grid is named. */
export async function requestSupport(db: Db, queries: QueryCatalog, input: { lon: number; lat: number; reason: string; event_id?: number | undefined }, actor: Actor, now: Date) {
  if (!actor.staffId) throw new ApiError(403, 'forbidden', 'only staff can ask for support');
  const [r] = await db<{ id: number; grid_id: number | null; state: string; lon: number; lat: number; reason: string }[]>`
    INSERT INTO support_request (event_id, requested_by, geom, reason, requested_at, police_id)
    VALUES (${input.event_id ?? null}, ${actor.staffId}, ST_SetSRID(ST_MakePoint(${input.lon}, ${input.lat}), 4326), ${input.reason}, ${now},
            (SELECT ag.staff_id FROM assignment_grids(${now.toISOString().slice(0, 10)}::date) ag
             WHERE ag.grid_id = grid_of(ST_SetSRID(ST_MakePoint(${input.lon}, ${input.lat}), 4326)) AND ag.role = 'police' ORDER BY ag.assignment_id LIMIT 1))
    RETURNING id, grid_id, state, ST_X(geom) AS lon, ST_Y(geom) AS lat, reason`;
  return { request: r!, message: await supportFeed(db, queries, 'support.requested', r!, now) };
}

export async function updateSupport(db: Db, queries: QueryCatalog, id: number, step: 'acknowledge' | 'arrive' | 'done', now: Date) {
  const [cur] = await db<{ state: string }[]>`SELECT state FROM support_request WHERE id = ${id} FOR UPDATE`;
  if (!cur) throw new ApiError(404, 'not_found', `support request ${id} does not exist or is outside your jurisdiction`);
  const next = { acknowledge: ['open', 'acknowledged'], arrive: ['acknowledged', 'arrived'], done: ['arrived', 'done'] }[step];
  if (cur.state !== next[0] && !(step === 'arrive' && cur.state === 'open')) {
    throw new ApiError(409, 'illegal_transition', `support request is ${cur.state}; cannot ${step}`);
  }
  const [r] = await db<{ id: number; grid_id: number | null; state: string; lon: number; lat: number; reason: string }[]>`
    UPDATE support_request SET state = ${next[1]!},
      acknowledged_at = CASE WHEN ${step} IN ('acknowledge', 'arrive') THEN coalesce(acknowledged_at, ${now}) ELSE acknowledged_at END,
      arrived_at = CASE WHEN ${step} = 'arrive' THEN ${now}::timestamptz ELSE arrived_at END,
      arrival_source = CASE WHEN ${step} = 'arrive' THEN 'manual' ELSE arrival_source END
    WHERE id = ${id}
    RETURNING id, grid_id, state, ST_X(geom) AS lon, ST_Y(geom) AS lat, reason`;
  return { request: r!, message: await supportFeed(db, queries, 'support.updated', r!, now) };
}
