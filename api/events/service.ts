import { randomBytes } from 'node:crypto';
import type { Role } from '../auth/types.ts';
import type { QueryCatalog } from '../db/queries.ts';
import type { Db } from '../db/types.ts';
import { ApiError } from '../http/errors.ts';
import { dueAt, type DeadlineConfig } from './deadlines.ts';
import type { FeedMessage } from './feed.ts';
import { routeMessage, type RoutedFacts } from './routing.ts';
import { checkTransition, type EventAction, type EventState } from './state-machine.ts';

export interface Actor {
  userId: number | null;
  username: string;
  displayName: string;
  staffId: number | null;
  roles: readonly Role[];
}

export const SYSTEM_ACTOR: Actor = { userId: null, username: 'system', displayName: '系统', staffId: null, roles: ['command'] };

export interface NewEvent {
  type: 'public_security' | 'dispute' | 'hazard' | 'service_request' | 'support_request';
  subtype?: string | undefined;
  severity: number;
  complexity?: 'general' | 'complex' | undefined;
  title: string;
  description?: string | undefined;
  lon: number;
  lat: number;
  address_id?: number | undefined;
  source: 'console' | 'api' | 'grid_app' | 'hotline' | 'patrol';
  reporter_name?: string | undefined;
  reported_at?: string | undefined;
  client_id?: string | undefined;
  allow_duplicate?: boolean | undefined;
}

interface EventRow {
  id: number;
  code: string;
  type: string;
  severity: number;
  complexity: 'general' | 'complex' | null;
  state: EventState;
  title: string;
  grid_id: number | null;
  version: number;
  lon: number;
  lat: number;
  escalation_level: number;
  due_at: Date | null;
}

export async function readDeadlines(db: Db): Promise<DeadlineConfig> {
  const rows = await db<{ key: string; value: unknown }[]>`
    SELECT key, value FROM config WHERE key IN ('event.deadline_hours', 'event.dispute_general_deadline_hours')`;
  const get = (k: string) => rows.find((r) => r.key === k)?.value;
  return { hours: get('event.deadline_hours') as DeadlineConfig['hours'], generalDisputeHours: Number(get('event.dispute_general_deadline_hours') ?? 24) };
}

function newCode(at: Date): string {
  const day = new Date(at.getTime() + 8 * 3600_000).toISOString().slice(0, 10).replace(/-/g, '');
  return `EV${day}-${randomBytes(3).toString('hex').toUpperCase()}`;
}

/**
 * Feed ids must follow commit order (clients resume from their last id), so writers take this
 * lock before inserting a feed row and hold it to commit; it is the last thing a request does.
 */
export async function lockFeed(db: Db): Promise<void> {
  await db`SELECT pg_advisory_xact_lock(74202511)`;
}

async function appendFeed(db: Db, queries: QueryCatalog, kind: RoutedFacts['kind'], e: Pick<EventRow, 'id' | 'code' | 'type' | 'severity' | 'complexity' | 'state' | 'title' | 'grid_id' | 'lon' | 'lat' | 'version'>, extra: Record<string, unknown>, at: Date): Promise<FeedMessage> {
  const groups = routeMessage({ kind, severity: e.severity, complexity: e.complexity, state: e.state });
  await lockFeed(db);
  const payload = { code: e.code, type: e.type, severity: e.severity, complexity: e.complexity, state: e.state, title: e.title, lon: e.lon, lat: e.lat, version: e.version, ...extra };
  const [row] = await queries.run<{ id: string; at: Date }>(db, 'feed_insert', [kind, e.id, e.grid_id, groups, payload as never, at]);
  return { id: row!.id, at: row!.at.toISOString(), kind, event_id: e.id, grid_id: e.grid_id, groups, payload };
}

export interface CreateResult {
  event: { id: number; code: string; grid_id: number | null; state: string; version: number; due_at: Date };
  responsible: { staff_id: number; name: string; role: string; phone: string | null }[];
  /** The feed message to publish; null when the call was a retry of one already recorded. */
  message: FeedMessage | null;
}

interface StoredReport {
  type: string; subtype: string | null; severity: number; title: string; description: string | null; lon: number; lat: number;
  address_id: number | null; source: string; reported_by: number | null; reporter_name: string | null; reported_at: Date;
}

/**
 * A report whose client_id is already recorded: a device or console retrying after a lost answer
 * gets the original event back (nothing written twice). The same client_id with other content is
 * a client bug, answered 409 naming the fields that differ. Complexity is not compared: mediation
 * may have raised it since.
 */
async function replayOf(db: Db, queries: QueryCatalog, input: NewEvent, actor: Actor, now: Date): Promise<CreateResult | null> {
  const [row] = await db<(CreateResult['event'] & StoredReport)[]>`
    SELECT id, code, grid_id, state, version, due_at, type, subtype, severity, title, description, ST_X(geom) AS lon, ST_Y(geom) AS lat,
           address_id, source, reported_by, reporter_name, reported_at
    FROM event WHERE client_id = ${input.client_id!}`;
  if (!row) return null;
  const given: Partial<Record<keyof StoredReport, unknown>> = {
    type: input.type, subtype: input.subtype ?? null, severity: input.severity, title: input.title, description: input.description ?? null,
    lon: input.lon, lat: input.lat, address_id: input.address_id ?? null, source: input.source, reported_by: actor.staffId,
    reporter_name: input.reporter_name ?? null,
  };
  const differs = (Object.keys(given) as (keyof StoredReport)[]).filter((k) => given[k] !== row[k]);
  // Without reported_at the first try was stamped with its own arrival time; a retry cannot match it.
  if (input.reported_at && new Date(input.reported_at).getTime() !== row.reported_at.getTime()) differs.push('reported_at');
  if (differs.length) {
    throw new ApiError(409, 'client_id_reused',
      `client_id ${input.client_id} 已用于事件 ${row.code}，但内容不同（${differs.join(', ')}）/ client_id already names event ${row.code} with different ${differs.join(', ')}; use a new client_id for a new report`,
      { event_id: row.id, fields: differs });
  }
  const responsible = await queries.run<CreateResult['responsible'][number]>(db, 'event_responsible', [row.grid_id, now.toISOString().slice(0, 10)]);
  return { event: { id: row.id, code: row.code, grid_id: row.grid_id, state: row.state, version: row.version, due_at: row.due_at }, responsible, message: null };
}

/**
 * Intake: the grid (and with it the grid leader and police) comes from the location; a similar
 * event nearby in the last day is reported back unless the caller confirms it is a new one.
 */
export async function createEvent(db: Db, queries: QueryCatalog, input: NewEvent, actor: Actor, now: Date): Promise<CreateResult> {
  const reportedAt = input.reported_at ? new Date(input.reported_at) : now;
  if (reportedAt.getTime() > now.getTime() + 5 * 60_000) {
    throw new ApiError(422, 'invalid_time', 'reported_at lies in the future', { field: 'reported_at' });
  }
  if (input.client_id) {
    // Two tries of one report racing each other: the second waits here until the first commits,
    // then finds its row instead of failing on the UNIQUE constraint.
    await db`SELECT pg_advisory_xact_lock(74202512, hashtext(${input.client_id}))`;
    const replay = await replayOf(db, queries, input, actor, now);
    if (replay) return replay;
  }
  const [where] = await db<{ grid_id: number | null }[]>`SELECT grid_of(ST_SetSRID(ST_MakePoint(${input.lon}, ${input.lat}), 4326)) AS grid_id`;
  if (!where?.grid_id) {
    throw new ApiError(422, 'outside_grids', '该位置不在任何网格内 / the location is outside every grid', { field: 'lon,lat' });
  }
  const [visible] = await db<{ ok: boolean }[]>`SELECT EXISTS (SELECT 1 FROM grid WHERE id = ${where.grid_id}) AS ok`;
  if (!visible?.ok) throw new ApiError(403, 'outside_jurisdiction', '该位置不在您的辖区内 / the location is outside your jurisdiction');
  if (input.address_id !== undefined) {
    // The foreign key is checked with the owner's rights; row-level security decides here whether
    // the caller may name this address at all, without confirming that a hidden one exists.
    const [address] = await db<{ id: number }[]>`SELECT id FROM address WHERE id = ${input.address_id}`;
    if (!address) throw new ApiError(422, 'unknown_address', '地址不存在或不在您的辖区内 / no such address in your jurisdiction', { field: 'address_id' });
  }
  if (!input.allow_duplicate) {
    const duplicates = await queries.run(db, 'event_duplicates', [input.type, input.lon, input.lat, reportedAt, 100, 24]);
    if (duplicates.length) {
      throw new ApiError(409, 'possible_duplicate', `附近100米内24小时内已有${duplicates.length}起同类事件 / ${duplicates.length} similar event(s) within 100 m and 24 h; resend with allow_duplicate to record anyway`, { duplicates });
    }
  }
  const complexity = input.type === 'dispute' ? (input.complexity ?? 'general') : null;
  const due = dueAt(reportedAt, input.type, input.severity, complexity, await readDeadlines(db));
  const [row] = await queries.run<CreateResult['event']>(db, 'event_insert', [
    newCode(reportedAt), input.type, input.subtype ?? null, input.severity, complexity, input.title, input.description ?? null,
    input.lon, input.lat, input.address_id ?? null, input.source, actor.staffId, input.reporter_name ?? null, reportedAt, due, input.client_id ?? null,
  ]);
  const event = row!;
  await db`INSERT INTO event_log (event_id, from_state, to_state, action, actor_id, actor_name, at, note)
           VALUES (${event.id}, NULL, 'reported', 'report', ${actor.staffId}, ${actor.displayName}, ${now}, ${input.description ?? null})`;
  const responsible = await queries.run<CreateResult['responsible'][number]>(db, 'event_responsible', [event.grid_id, now.toISOString().slice(0, 10)]);
  const message = await appendFeed(db, queries, 'event.created', {
    id: event.id, code: event.code, type: input.type, severity: input.severity, complexity, state: 'reported', title: input.title,
    grid_id: event.grid_id, lon: input.lon, lat: input.lat, version: event.version,
  }, { reported_at: reportedAt.toISOString(), due_at: due.toISOString() }, now);
  return { event, responsible, message };
}

export interface TransitionInput {
  action: EventAction;
  expected_version: number;
  note?: string | undefined;
  assignee_id?: number | undefined;
  department?: string | undefined;
}

async function lockEvent(db: Db, id: number): Promise<EventRow> {
  const [e] = await db<EventRow[]>`
    SELECT id, code, type, severity, complexity, state, title, grid_id, version, escalation_level, due_at,
           ST_X(geom) AS lon, ST_Y(geom) AS lat
    FROM event WHERE id = ${id} FOR UPDATE`;
  if (!e) throw new ApiError(404, 'not_found', `event ${id} does not exist or is outside your jurisdiction`);
  return e;
}

/**
 * One step of the closed loop. The caller names the version it saw: if someone else acted first,
 * the version moved on and this call gets 409 instead of silently overwriting their step.
 */
export async function transitionEvent(db: Db, queries: QueryCatalog, id: number, input: TransitionInput, actor: Actor, now: Date,
  feed: { kind: 'event.transition' | 'event.overdue'; extra?: Record<string, unknown> } = { kind: 'event.transition' }): Promise<{ state: EventState; version: number; message: FeedMessage }> {
  const e = await lockEvent(db, id);
  if (e.version !== input.expected_version) {
    throw new ApiError(409, 'version_conflict', `事件已被他人更新（当前版本 ${e.version}，状态「${e.state}」）/ someone else changed this event first`, { current_version: e.version, state: e.state });
  }
  const check = checkTransition(e.state, input.action, actor.roles);
  if (!check.ok) throw new ApiError(409, 'illegal_transition', check.reason, { state: e.state, action: input.action });
  const escalate = input.action === 'escalate';
  let due = e.due_at;
  if (escalate) {
    // A higher level takes over with a fresh deadline of the same length.
    const cfg = await readDeadlines(db);
    due = dueAt(now, e.type, e.severity, e.complexity, cfg);
  }
  const version = e.version + 1;
  await db`
    UPDATE event SET state = ${check.to}, version = ${version},
      closed_at = ${check.to === 'closed' ? now : null},
      assignee_id = coalesce(${input.assignee_id ?? null}::int, assignee_id),
      department = coalesce(${input.department ?? null}::text, department),
      escalation_level = least(escalation_level + ${escalate ? 1 : 0}, 3),
      last_escalated_at = CASE WHEN ${escalate} THEN ${now}::timestamptz ELSE last_escalated_at END,
      due_at = ${due}
    WHERE id = ${id} AND version = ${e.version}`;
  await db`INSERT INTO event_log (event_id, from_state, to_state, action, actor_id, actor_name, at, note, details)
           VALUES (${id}, ${e.state}, ${check.to}, ${input.action}, ${actor.staffId}, ${actor.displayName}, ${now}, ${input.note ?? null},
                   ${input.assignee_id || input.department ? db.json({ assignee_id: input.assignee_id ?? null, department: input.department ?? null }) : null})`;
  const message = await appendFeed(db, queries, feed.kind, { ...e, state: check.to, version },
    { from: e.state, action: input.action, actor: actor.displayName, note: input.note ?? null, escalation_level: Math.min(e.escalation_level + (escalate ? 1 : 0), 3), ...feed.extra }, now);
  return { state: check.to, version, message };
}

/**
 * Escalates every overdue event one level (the scheduler calls this). Runs as the table owner:
 * deadlines bind whoever is or is not logged in.
 */
export async function escalateOverdue(db: Db, queries: QueryCatalog, now: Date, limit = 500): Promise<FeedMessage[]> {
  const overdue = await queries.run<{ id: number; version: number }>(db, 'events_overdue', [now, limit]);
  const messages: FeedMessage[] = [];
  for (const o of overdue) {
    const e = await lockEvent(db, o.id);
    if (e.state === 'closed' || e.state === 'cancelled' || e.state === 'resolved' || !e.due_at || e.due_at >= now) continue;
    const { message } = await transitionEvent(db, queries, o.id, { action: 'escalate', expected_version: e.version, note: '超期自动升级' }, SYSTEM_ACTOR, now,
      { kind: 'event.overdue', extra: { was_due: e.due_at.toISOString() } });
    messages.push(message);
  }
  return messages;
}
