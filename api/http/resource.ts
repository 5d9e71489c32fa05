import { Hono, type Context } from 'hono';
import type { Db } from '../db/types.ts';
import { z } from 'zod';
import type { Access } from '../auth/types.ts';
import type { AppEnv } from './env.ts';
import { ApiError } from './errors.ts';
import type { InFlightLimit } from './backpressure.ts';
import type { CachePolicy, Invalidation } from './answer-cache.ts';

export type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';

export interface ResponseSpec {
  description: string;
  contentType?: string;
  schema?: z.ZodType;
}

export interface RouteSpec {
  method: Method;
  /** Full path as mounted, in Hono syntax (`/api/grids/:id`). */
  path: string;
  summary: string;
  tags: string[];
  access: Access;
  params?: z.ZodType;
  query?: z.ZodType;
  body?: z.ZodType;
  responses: Record<number, ResponseSpec>;
  /** How long one SQL statement of this route may run (see STATEMENT_TIMEOUT_MS). */
  timeout: TimeoutClass;
  /** Answers kept per caller for a few seconds (see AnswerCache). */
  cache?: CachePolicy;
}

/**
 * Route classes and their `statement_timeout`, set with SET LOCAL in the request's scoped
 * transaction: a runaway query is cancelled (57014, answered 503) instead of holding a pooled
 * connection. Analytics (heat, hot spots, statistics, patrol planning, exports) get longer.
 */
export const STATEMENT_TIMEOUT_MS = { read: 10_000, write: 10_000, analytics: 30_000, import: 300_000 } as const;
export type TimeoutClass = keyof typeof STATEMENT_TIMEOUT_MS;
const ANALYTICS_TAGS: ReadonlySet<string> = new Set(['heat', 'hotspots', 'stats', 'patrol-plans']);

type Infer<T> = T extends z.ZodType ? z.output<T> : undefined;

export interface Input<P, Q, B> {
  params: Infer<P>;
  query: Infer<Q>;
  body: Infer<B>;
}

/** `db` is the handle the caller may use: for a logged-in user, a transaction scoped to their jurisdiction. */
type Handler<P, Q, B> = (c: Context<AppEnv>, input: Input<P, Q, B>, db: Db) => Response | Promise<Response>;

export interface GuardOptions {
  statementTimeoutMs?: number;
  /** Owner-side upkeep run after the access check and before the request's transaction opens. */
  prepare?: () => Promise<void>;
  /** Bounded in-flight count for this route (429 with Retry-After beyond it), taken after the access check. */
  limit?: InFlightLimit;
  /** A GET whose answers may be kept for a few seconds per caller (see AnswerCache). */
  cache?: CachePolicy;
  /** What a write makes stale in the answer cache once it has run (default: everything). */
  invalidates?: Invalidation;
}

/** Checks a route's access rule and runs the request with the right database handle. */
export interface Guard {
  run(c: Context<AppEnv>, access: Access, method: Method, fn: (db: Db) => Promise<Response>, opts?: GuardOptions): Promise<Response>;
}

/**
 * Largest JSON body any route reads (a grid's MultiPolygon is the biggest legitimate one); uploads
 * get their own limit (MAX_UPLOAD_BYTES). app.ts also caps the byte stream itself with bodyLimit.
 */
export const MAX_JSON_BODY_BYTES = 2 * 1024 * 1024;
/** Deepest nesting of arrays/objects a JSON body may have (a MultiPolygon needs 6 under its body). */
export const MAX_JSON_DEPTH = 32;

/** Whether the JSON text nests arrays/objects deeper than `max` (strings are skipped). O(n), no recursion. */
export function jsonTooDeep(text: string, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    if (inString) {
      if (ch === 0x5c) i++; // backslash: skip the escaped character
      else if (ch === 0x22) inString = false;
    } else if (ch === 0x22) inString = true;
    else if (ch === 0x7b || ch === 0x5b) {
      if (++depth > max) return true;
    } else if (ch === 0x7d || ch === 0x5d) depth--;
  }
  return false;
}

function zodDetails(error: z.ZodError, location: string) {
  return error.issues.map((issue) => ({
    location,
    path: issue.path.join('.'),
    message: issue.message,
    code: issue.code,
  }));
}

function parseOrThrow<T extends z.ZodType>(schema: T, value: unknown, location: string): z.output<T> {
  const result = schema.safeParse(value);
  if (!result.success) {
    const details = zodDetails(result.error, location);
    const first = details[0];
    throw new ApiError(400, 'invalid_input',
      `invalid ${location}${first ? `: ${first.path || '(root)'}: ${first.message}` : ''}`, details);
  }
  return result.data;
}

async function readJson(c: Context<AppEnv>): Promise<unknown> {
  // The media type itself, not a prefix: `application/jsonx` or `application/json-seq` are not JSON bodies.
  const type = (c.req.header('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
  if (type !== 'application/json') {
    throw new ApiError(415, 'unsupported_media_type', 'request body must be application/json');
  }
  const length = Number(c.req.header('content-length') ?? '0');
  if (length > MAX_JSON_BODY_BYTES) {
    throw new ApiError(413, 'body_too_large', `request body exceeds ${MAX_JSON_BODY_BYTES} bytes`);
  }
  const bytes = new Uint8Array(await c.req.arrayBuffer());
  if (bytes.byteLength > MAX_JSON_BODY_BYTES) {
    throw new ApiError(413, 'body_too_large', `request body exceeds ${MAX_JSON_BODY_BYTES} bytes`);
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new ApiError(400, 'invalid_encoding', 'request body is not valid UTF-8');
  }
  // Checked before parsing, so a deeply nested body never reaches JSON.parse, zod or the database.
  if (jsonTooDeep(text, MAX_JSON_DEPTH)) {
    throw new ApiError(400, 'json_too_deep', `request body nests deeper than ${MAX_JSON_DEPTH} levels`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new ApiError(400, 'invalid_json', `request body is not valid JSON: ${(err as Error).message}`);
  }
  const bad = unstorableString(value, '');
  if (bad !== null) {
    throw new ApiError(400, 'invalid_encoding', `${bad || '(root)'}: text must not contain NUL characters or unpaired UTF-16 surrogates`, { path: bad });
  }
  return value;
}

/**
 * The path of the first string (value or key) PostgreSQL could not store faithfully: a NUL
 * character, or an unpaired surrogate (`"\ud800"`), which would otherwise be replaced silently.
 * Depth is already bounded by MAX_JSON_DEPTH, so the recursion is too.
 */
function unstorableString(v: unknown, path: string): string | null {
  if (typeof v === 'string') return v.includes('\u0000') || /\p{Cs}/u.test(v) ? path : null;
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) {
      const bad = unstorableString(v[i], `${path}${path ? '.' : ''}${i}`);
      if (bad !== null) return bad;
    }
  } else if (v && typeof v === 'object') {
    for (const [k, x] of Object.entries(v)) {
      const p = `${path}${path ? '.' : ''}${k}`;
      if (unstorableString(k, p) !== null) return p;
      const bad = unstorableString(x, p);
      if (bad !== null) return bad;
    }
  }
  return null;
}

/**
 * One Hono router per resource, plus the table of its routes: the OpenAPI document (and any test
 * that must cover every route) is generated from that table, so a route cannot exist undocumented.
 */
export class Resource {
  readonly router = new Hono<AppEnv>();
  readonly routes: RouteSpec[] = [];

  constructor(readonly base: string, readonly tag: string, private readonly guard: Guard) {}

  route<P extends z.ZodType | undefined = undefined, Q extends z.ZodType | undefined = undefined, B extends z.ZodType | undefined = undefined>(
    spec: { method: Method; path: string; summary: string; access: Access; params?: P; query?: Q; body?: B; responses: Record<number, ResponseSpec>; timeout?: TimeoutClass;
      /** Brings derived tables up to date as the owner before the request's transaction (e.g. heat cells, KPIs). */
      prepare?: () => Promise<void>;
      /** Back-pressure: at most this many requests of the route at once (see InFlightLimit). */
      limit?: InFlightLimit;
      /** Answers kept for a few seconds per caller (aggregates read by every console; see AnswerCache). */
      cache?: CachePolicy;
      /** A write that makes only some kept answers stale (default: all of them). */
      invalidates?: Invalidation },
    handler: Handler<P, Q, B>,
  ): this {
    const fullPath = (this.base + (spec.path === '/' ? '' : spec.path)) || '/';
    const timeout: TimeoutClass = spec.timeout ?? (ANALYTICS_TAGS.has(this.tag) ? 'analytics' : spec.method === 'get' ? 'read' : 'write');
    const entry: RouteSpec = { method: spec.method, path: fullPath, summary: spec.summary, tags: [this.tag], access: spec.access, responses: spec.responses, timeout };
    if (spec.params) entry.params = spec.params;
    if (spec.query) entry.query = spec.query;
    if (spec.body) entry.body = spec.body;
    if (spec.cache) entry.cache = spec.cache;
    this.routes.push(entry);
    // Access is decided before any input is read, so an anonymous caller learns nothing from validation.
    this.router.on(spec.method.toUpperCase(), spec.path, (c) =>
      this.guard.run(c, spec.access, spec.method, async (db) => {
        const input = {
          params: spec.params ? parseOrThrow(spec.params, c.req.param(), 'path parameters') : undefined,
          query: spec.query ? parseOrThrow(spec.query, c.req.query(), 'query parameters') : undefined,
          body: spec.body ? parseOrThrow(spec.body, await readJson(c), 'body') : undefined,
        } as Input<P, Q, B>;
        return handler(c, input, db);
      }, { statementTimeoutMs: STATEMENT_TIMEOUT_MS[timeout], ...(spec.prepare ? { prepare: spec.prepare } : {}), ...(spec.limit ? { limit: spec.limit } : {}),
        ...(spec.cache ? { cache: spec.cache } : {}), ...(spec.invalidates ? { invalidates: spec.invalidates } : {}) }),
    );
    return this;
  }
}
