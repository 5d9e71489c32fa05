import { Hono, type Context } from 'hono';
import type { Db } from '../db/types.ts';
import { z } from 'zod';
import type { Access } from '../auth/types.ts';
import type { AppEnv } from './env.ts';
import { ApiError } from './errors.ts';

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
}

type Infer<T> = T extends z.ZodType ? z.output<T> : undefined;

export interface Input<P, Q, B> {
  params: Infer<P>;
  query: Infer<Q>;
  body: Infer<B>;
}

/** `db` is the handle the caller may use: for a logged-in user, a transaction scoped to their jurisdiction. */
type Handler<P, Q, B> = (c: Context<AppEnv>, input: Input<P, Q, B>, db: Db) => Response | Promise<Response>;

/** Checks a route's access rule and runs the request with the right database handle. */
export interface Guard {
  run(c: Context<AppEnv>, access: Access, method: Method, fn: (db: Db) => Promise<Response>): Promise<Response>;
}

/** Largest JSON body any route reads; uploads get their own limit. */
const MAX_JSON_BODY_BYTES = 2 * 1024 * 1024;

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
  const type = c.req.header('content-type') ?? '';
  if (!type.toLowerCase().startsWith('application/json')) {
    throw new ApiError(415, 'unsupported_media_type', 'request body must be application/json');
  }
  const length = Number(c.req.header('content-length') ?? '0');
  if (length > MAX_JSON_BODY_BYTES) {
    throw new ApiError(413, 'body_too_large', `request body exceeds ${MAX_JSON_BODY_BYTES} bytes`);
  }
  const text = await c.req.text();
  if (text.length > MAX_JSON_BODY_BYTES) {
    throw new ApiError(413, 'body_too_large', `request body exceeds ${MAX_JSON_BODY_BYTES} bytes`);
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new ApiError(400, 'invalid_json', `request body is not valid JSON: ${(err as Error).message}`);
  }
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
    spec: { method: Method; path: string; summary: string; access: Access; params?: P; query?: Q; body?: B; responses: Record<number, ResponseSpec> },
    handler: Handler<P, Q, B>,
  ): this {
    const fullPath = (this.base + (spec.path === '/' ? '' : spec.path)) || '/';
    const entry: RouteSpec = { method: spec.method, path: fullPath, summary: spec.summary, tags: [this.tag], access: spec.access, responses: spec.responses };
    if (spec.params) entry.params = spec.params;
    if (spec.query) entry.query = spec.query;
    if (spec.body) entry.body = spec.body;
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
      }),
    );
    return this;
  }
}
