import { EVENT_LIST, EVENT_WRITE } from '../http/answer-cache.ts';
import { streamSSE } from 'hono/streaming';
import { z } from 'zod';
import { runScoped } from '../auth/guard.ts';
import { isAggregateOnly, type Role } from '../auth/types.ts';
import type { Deps } from '../deps.ts';
import { groupsOfRoles } from '../events/routing.ts';
import { createEvent, transitionEvent, type Actor } from '../events/service.ts';
import { addMediationSession, dispatchHazard, endMediation, followUpHazard, readSupportConfig, requestSupport, startMediation, updateSupport } from '../events/cases.ts';
import { redact, type FeedMessage } from '../events/feed.ts';
import { EVENT_ACTIONS, EVENT_STATES, availableActions, type EventState } from '../events/state-machine.ts';
import { ApiError } from '../http/errors.ts';
import { idParam } from '../http/geo.ts';
import { Resource } from '../http/resource.ts';
import type { Context } from 'hono';
import type { AppEnv } from '../http/env.ts';
import { invalidInputResponse } from './respond.ts';

const TYPES = ['public_security', 'dispute', 'hazard', 'service_request', 'support_request'] as const;
const MAX_LIST = 2000;
const DEFAULT_LIST = 500;
const REPORTERS: Role[] = ['command', 'station_chief', 'police', 'aux_police', 'grid_leader', 'grid_worker', 'part_time'];
const MEDIATORS: Role[] = ['command', 'station_chief', 'police', 'aux_police', 'grid_leader'];

const mediationBody = z.object({
  kind: z.enum(['grid_leader', 'joint_1_1_n']),
  participants: z.array(z.object({
    role: z.enum(['police', 'grid_leader', 'judicial', 'lawyer', 'cadre', 'family', 'other']),
    name: z.string().trim().min(1).max(50),
    staff_id: z.number().int().positive().optional(),
  }).strict()).min(1).max(30),
}).strict();
const sessionBody = z.object({ held_at: z.iso.datetime({ offset: true }).optional(), notes: z.string().trim().min(2).max(4000) }).strict();
const outcomeBody = z.object({ outcome: z.enum(['success', 'failed']), escalated_to: z.enum(['judicial', 'police']).optional(), expected_version: z.number().int().positive() }).strict();
const dispatchBody = z.object({
  classification: z.string().trim().min(1).max(50), department: z.string().trim().min(1).max(100),
  warning: z.string().trim().min(2).max(1000), expected_version: z.number().int().positive(),
}).strict();
const followupBody = z.object({ note: z.string().trim().min(2).max(2000), removed: z.boolean(), expected_version: z.number().int().positive() }).strict();
const supportBody = z.object({
  lon: z.number().finite().min(-180).max(180), lat: z.number().finite().min(-90).max(90),
  reason: z.string().trim().min(2).max(500), event_id: z.number().int().positive().optional(),
}).strict();

const csv = <T extends string>(values: readonly [T, ...T[]]) =>
  z.string().transform((s) => s.split(',').map((x) => x.trim()).filter(Boolean)).pipe(z.array(z.enum(values)).min(1));

const SUBTYPES = ['theft', 'fraud', 'fight', 'disorder', 'marriage', 'economic', 'land', 'neighbour', 'labour',
  'fire', 'traffic', 'building', 'gathering', 'security_lead', 'other'] as const;
const SEVERITIES = ['1', '2', '3', '4'] as const;

/** A page cursor names the last row of the previous page: its reported_at (UTC, microseconds) and id. */
const CURSOR = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z)_(\d{1,10})$/;
const cursorParam = z.string().regex(CURSOR, 'cursor must be the next_cursor of a previous page')
  .transform((s) => {
    const [, at, id] = CURSOR.exec(s)!;
    return { at: at!, id: Number(id) };
  });

const listQuery = z.object({
  from: z.iso.datetime({ offset: true }).optional(),
  to: z.iso.datetime({ offset: true }).optional(),
  type: csv(TYPES).optional(),
  subtype: csv(SUBTYPES).optional(),
  state: csv(EVENT_STATES).optional(),
  severity: csv(SEVERITIES).transform((xs) => xs.map(Number)).optional(),
  min_severity: z.coerce.number().int().min(1).max(4).optional(),
  grid_id: z.coerce.number().int().positive().optional(),
  community_id: z.coerce.number().int().positive().optional(),
  overdue: z.enum(['1', 'true']).optional(),
  cursor: cursorParam.optional(),
  limit: z.coerce.number().int().positive().optional(),
}).strict().refine((q) => !q.from || !q.to || Date.parse(q.from) < Date.parse(q.to), { path: ['to'], message: 'to must be later than from' });

interface ListRow { events: string; total: number | null; next_cursor: string | null; [column: string]: unknown }

const createBody = z.object({
  type: z.enum(TYPES),
  subtype: z.string().max(32).optional(),
  severity: z.number().int().min(1).max(4),
  complexity: z.enum(['general', 'complex']).optional(),
  title: z.string().trim().min(2).max(200),
  description: z.string().max(4000).optional(),
  lon: z.number().finite().min(-180).max(180),
  lat: z.number().finite().min(-90).max(90),
  address_id: z.number().int().positive().optional(),
  source: z.enum(['console', 'api', 'grid_app', 'hotline', 'patrol']).default('console'),
  reporter_name: z.string().max(50).optional(),
  reported_at: z.iso.datetime({ offset: true }).optional(),
  client_id: z.string().min(8).max(64).optional(),
  allow_duplicate: z.boolean().optional(),
}).strict();

const transitionBody = z.object({
  action: z.enum(EVENT_ACTIONS),
  expected_version: z.number().int().positive(),
  note: z.string().max(2000).optional(),
  assignee_id: z.number().int().positive().optional(),
  department: z.string().trim().min(1).max(100).optional(),
}).strict();

/** The logged-in user as the actor of a write (401 for a token or no session). */
export function actorOf(c: Context<AppEnv>): Actor {
  const auth = c.get('auth');
  if (auth?.kind !== 'user') throw new ApiError(401, 'unauthenticated', 'log in first');
  const u = auth.user;
  return { userId: u.id, username: u.username, displayName: u.displayName, staffId: u.staffId, roles: u.roles };
}

export function eventsResource(deps: Deps): Resource {
  const { queries } = deps;
  return new Resource('/api/events', 'events', deps.guard)
    .route(
      {
        // Aggregate-only roles see events as heat, statistics and the redacted feed, never as rows.
        method: 'get', path: '/', cache: EVENT_LIST, summary: '事件列表 / events filtered by time, type, subtype, severity, state, grid or community; newest first, paged by cursor', access: { kind: 'session', roles: REPORTERS }, query: listQuery,
        responses: { 200: { description: 'events' }, 400: invalidInputResponse },
      },
      async (c, { query: q }, db) => {
        // Capped on the server whatever the client asks; the answer says which limit applied.
        const limit = Math.min(q.limit ?? DEFAULT_LIST, MAX_LIST);
        const [row] = await queries.run<ListRow>(db, 'event_list', [q.from ?? null, q.to ?? null, q.type ?? null, q.subtype ?? null,
          q.state ?? null, q.severity ?? null, q.min_severity ?? null, q.grid_id ?? null, q.community_id ?? null, q.overdue !== undefined,
          deps.clock.now(), q.cursor?.at ?? null, q.cursor?.id ?? null, limit]);
        // The total counts every matching event, before the cursor; a page past the end has no row to carry it.
        const total = row?.total ?? (q.cursor ? null : 0);
        // The events are already JSON text from the database: passed through, not parsed and re-serialised.
        const body = `{"events":${row?.events ?? '[]'},"total":${JSON.stringify(total)},"limit":${limit},"next_cursor":${JSON.stringify(row?.next_cursor ?? null)}}`;
        return c.body(body, 200, { 'content-type': 'application/json' });
      },
    )
    .route(
      {
        method: 'get', path: '/:id', summary: '事件详情与流转记录 / one event with its timeline and the actions you may take',
        access: { kind: 'session', roles: REPORTERS }, params: idParam,
        responses: { 200: { description: 'the event' }, 404: { description: 'not found or outside your jurisdiction' } },
      },
      async (c, { params }, db) => {
        const [row] = await queries.run<{ event: { state: EventState }; log: unknown[] }>(db, 'event_detail', [params.id]);
        if (!row) throw new ApiError(404, 'not_found', `event ${params.id} does not exist or is outside your jurisdiction`);
        return c.json({ ...row, actions: availableActions(row.event.state, actorOf(c).roles) });
      },
    )
    .route(
      {
        method: 'post', path: '/', invalidates: EVENT_WRITE, summary: '事件上报 / report an event; the grid, grid leader and police come from the location',
        access: { kind: 'session', roles: REPORTERS }, body: createBody, limit: deps.limits.events,
        responses: {
          201: { description: 'recorded; also the answer to a retry with the same client_id and payload (header Idempotent-Replayed: true)' },
          400: invalidInputResponse, 403: { description: 'outside your jurisdiction' },
          409: { description: 'possible duplicate, or the client_id was used for a different event' }, 422: { description: 'outside every grid' },
          429: { description: 'too many reports in progress; see Retry-After' },
        },
      },
      async (c, { body }, db) => {
        const result = await createEvent(db, queries, body, actorOf(c), deps.clock.now());
        if (result.message) {
          const message = result.message;
          c.get('afterCommit').push(() => void deps.feed.committed(message));
        } else c.header('idempotent-replayed', 'true');
        return c.json({ event: result.event, responsible: result.responsible }, 201);
      },
    )
    .route(
      {
        method: 'post', path: '/:id/transitions', invalidates: EVENT_WRITE, summary: '事件流转 / move an event through the closed loop (optimistic concurrency)',
        access: { kind: 'session', roles: REPORTERS }, params: idParam, body: transitionBody,
        responses: { 200: { description: 'new state and version' }, 400: invalidInputResponse, 404: { description: 'not found' }, 409: { description: 'version conflict or illegal transition' } },
      },
      async (c, { params, body }, db) => {
        const result = await transitionEvent(db, queries, params.id, body, actorOf(c), deps.clock.now());
        c.get('afterCommit').push(() => void deps.feed.committed(result.message));
        return c.json({ state: result.state, version: result.version });
      },
    )
    .route(
      {
        method: 'post', path: '/:id/mediation', invalidates: EVENT_WRITE, summary: '启动调解（网格长即时调解或“1+1+N”联调）/ start mediation of a dispute',
        access: { kind: 'session', roles: MEDIATORS }, params: idParam, body: mediationBody,
        responses: { 201: { description: 'started' }, 400: invalidInputResponse, 422: { description: 'not a dispute, or an incomplete 1+1+N panel' } },
      },
      async (c, { params, body }, db) => c.json({ mediation_id: await startMediation(db, params.id, body.kind, body.participants, deps.clock.now()) }, 201),
    )
    .route(
      {
        method: 'post', path: '/:id/mediation/sessions', invalidates: EVENT_WRITE, summary: '记录调解会商 / record a mediation session',
        access: { kind: 'session', roles: MEDIATORS }, params: idParam, body: sessionBody,
        responses: { 201: { description: 'recorded' }, 400: invalidInputResponse, 404: { description: 'no mediation' } },
      },
      async (c, { params, body }, db) => c.json({ session_id: await addMediationSession(db, params.id, body.held_at ? new Date(body.held_at) : deps.clock.now(), body.notes) }, 201),
    )
    .route(
      {
        method: 'post', path: '/:id/mediation/outcome', invalidates: EVENT_WRITE, summary: '调解结果：成功则办结待核，失败则升级 / end mediation: success resolves, failure escalates',
        access: { kind: 'session', roles: MEDIATORS }, params: idParam, body: outcomeBody,
        responses: { 200: { description: 'new state and version' }, 400: invalidInputResponse, 409: { description: 'conflict' } },
      },
      async (c, { params, body }, db) => {
        const r = await endMediation(db, queries, params.id, body.outcome, body.escalated_to, body.expected_version, actorOf(c), deps.clock.now());
        c.get('afterCommit').push(() => void deps.feed.poke());
        return c.json({ state: r.state, version: r.version });
      },
    )
    .route(
      {
        method: 'post', path: '/:id/hazard', invalidates: EVENT_WRITE, summary: '风险隐患分类并分派主管部门（预警）/ classify a hazard and dispatch it with a warning',
        access: { kind: 'session', roles: ['command', 'station_chief', 'police'] }, params: idParam, body: dispatchBody,
        responses: { 201: { description: 'dispatched' }, 400: invalidInputResponse, 409: { description: 'conflict' }, 422: { description: 'not a hazard' } },
      },
      async (c, { params, body }, db) => {
        const r = await dispatchHazard(db, queries, params.id, body, actorOf(c), deps.clock.now());
        c.get('afterCommit').push(() => void deps.feed.poke());
        return c.json({ dispatch_id: r.dispatchId, state: r.state, version: r.version }, 201);
      },
    )
    .route(
      {
        method: 'post', path: '/:id/hazard/followups', invalidates: EVENT_WRITE, summary: '隐患跟踪回访；消除后办结待核 / follow up a hazard until removed',
        access: { kind: 'session', roles: REPORTERS }, params: idParam, body: followupBody,
        responses: { 200: { description: 'recorded' }, 400: invalidInputResponse, 409: { description: 'conflict' } },
      },
      async (c, { params, body }, db) => {
        const r = await followUpHazard(db, queries, params.id, body, actorOf(c), deps.clock.now());
        if (r) c.get('afterCommit').push(() => void deps.feed.poke());
        return c.json(r ? { state: r.state, version: r.version } : { state: null, version: body.expected_version });
      },
    );
}

/** 支援请求: grid staff ask the police for help; acknowledgement and arrival times are measured. */
export function supportResource(deps: Deps): Resource {
  const { queries } = deps;
  return new Resource('/api/support-requests', 'events', deps.guard)
    .route(
      {
        method: 'post', path: '/', invalidates: EVENT_WRITE, summary: '网格长向民辅警发起支援请求 / ask the police for support',
        access: { kind: 'session', roles: ['grid_leader', 'grid_worker', 'station_chief', 'command'] }, body: supportBody,
        responses: { 201: { description: 'requested' }, 400: invalidInputResponse },
      },
      async (c, { body }, db) => {
        const r = await requestSupport(db, queries, body, actorOf(c), deps.clock.now());
        c.get('afterCommit').push(() => void deps.feed.poke());
        return c.json(r.request, 201);
      },
    )
    .route(
      {
        method: 'post', path: '/:id/steps', invalidates: EVENT_WRITE, summary: '支援响应：确认、到场、完成 / acknowledge, arrive, done',
        access: { kind: 'session', roles: ['police', 'aux_police', 'command', 'station_chief'] }, params: idParam,
        body: z.object({ step: z.enum(['acknowledge', 'arrive', 'done']) }).strict(),
        responses: { 200: { description: 'updated' }, 400: invalidInputResponse, 409: { description: 'illegal step' } },
      },
      async (c, { params, body }, db) => {
        const r = await updateSupport(db, queries, params.id, body.step, deps.clock.now());
        c.get('afterCommit').push(() => void deps.feed.poke());
        return c.json(r.request);
      },
    )
    .route(
      {
        method: 'get', path: '/', summary: '支援请求及响应时长 / support requests with response times',
        access: { kind: 'session', roles: REPORTERS },
        query: z.object({ from: z.iso.datetime({ offset: true }).optional(), to: z.iso.datetime({ offset: true }).optional() }).strict(),
        responses: { 200: { description: 'requests' }, 400: invalidInputResponse },
      },
      async (c, { query }, db) => {
        const cfg = await readSupportConfig(db);
        const rows = await queries.run(db, 'support_list', [query.from ?? null, query.to ?? null, cfg.ackMinutes, cfg.arriveMinutes]);
        return c.json({ requests: rows, limits: cfg });
      },
    );
}

const REPLAY_PAGE = 500;

/** Server-sent events: the three-level group feed, resumable with Last-Event-ID. */
export function feedResource(deps: Deps): Resource {
  return new Resource('/api/feed', 'events', deps.guard).route(
    {
      method: 'get', path: '/', summary: '三级工作群消息流（SSE，可用 Last-Event-ID 续传）/ the group feed as server-sent events',
      access: { kind: 'session', roles: 'any', stream: true },
      query: z.object({ last_event_id: z.string().regex(/^\d{1,18}$/).optional() }).strict(),
      responses: { 200: { description: 'text/event-stream' } },
    },
    async (c, { query }) => {
      const auth = c.get('auth');
      if (auth?.kind !== 'user') throw new ApiError(401, 'unauthenticated', 'log in first');
      const user = auth.user;
      const groups = groupsOfRoles(user.roles);
      const aggregate = isAggregateOnly(user.roles);
      const [scope] = await deps.gate.run(() => runScoped(deps.sql, user, c.get('clientIp'), (db) =>
        db<{ grids: number[]; all: boolean }[]>`SELECT jw_grid_ids() AS grids, jw_sees_all() AS all`));
      const grids = scope?.all ? null : new Set(scope?.grids ?? []);
      const lastHeader = c.req.header('last-event-id') ?? query.last_event_id;
      let cursor = lastHeader && /^\d+$/.test(lastHeader) ? BigInt(lastHeader) : null;

      return streamSSE(c, async (stream) => {
        // Subscribe before replaying so nothing published in between is missed; the hub delivers
        // in id order, so skipping ids at or below the cursor drops only repeats.
        const pending: [FeedMessage, string][] = [];
        let live = false;
        // Messages that arrive together go out as one write: the frames are those writeSSE makes
        // (the JSON text has no line breaks; kinds and ids are plain).
        const write = async (batch: [FeedMessage, string][]) => {
          let frames = '';
          for (const [m, data] of batch) {
            if (cursor !== null && BigInt(m.id) <= cursor) continue;
            cursor = BigInt(m.id);
            frames += `event: ${m.kind}\ndata: ${data}\nid: ${m.id}\n\n`;
          }
          if (frames) await stream.write(frames);
        };
        const unsubscribe = deps.feed.subscribe({
          grids,
          groups: new Set(groups),
          redacted: aggregate,
          send: (batch) => {
            if (live) void write(batch);
            else pending.push(...batch);
          },
          close: () => stream.abort(),
        });
        stream.onAbort(unsubscribe);
        if (cursor === null) {
          cursor = await deps.feed.cursor(async () => {
            const [last] = await deps.gate.run(() => deps.sql<{ id: string | null }[]>`SELECT max(id)::text AS id FROM feed_message`);
            return BigInt(last?.id ?? '0');
          });
        } else {
          for (;;) {
            const page = await deps.gate.run(() => runScoped(deps.sql, user, c.get('clientIp'), (db) => queries(db, cursor!, groups)));
            await write(page.map((m) => [m, JSON.stringify(aggregate ? redact(m) : m)]));
            if (page.length < REPLAY_PAGE) break;
          }
        }
        live = true;
        await write(pending.splice(0));
        await stream.writeSSE({ event: 'ready', data: JSON.stringify({ groups, cursor: String(cursor) }) });
        while (!stream.aborted && !stream.closed) {
          await stream.sleep(15_000);
          if (!stream.aborted) await stream.write(': keep-alive\n\n');
        }
        unsubscribe();
      });
    },
  );

  function queries(db: Parameters<Parameters<typeof runScoped>[3]>[0], after: bigint, groups: string[]): Promise<FeedMessage[]> {
    return deps.queries.run<FeedMessage>(db, 'feed_since', [after.toString(), groups, REPLAY_PAGE]).then((rows) =>
      rows.map((r) => ({ ...r, at: new Date(r.at as unknown as string).toISOString() })));
  }
}
