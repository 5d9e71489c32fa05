import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../app.ts';
import { runScoped } from '../auth/guard.ts';
import { createSql } from '../db/connect.ts';
import { listMigrations } from '../db/migrate.ts';
import { freshDatabase, type TestDatabase } from '../testing/db.ts';
import { insertTinyWorld, type TinyWorld } from '../testing/fixtures.ts';
import { Client, createUser, testApp } from '../testing/app.ts';
import type { LogFields } from './log.ts';
import { MAX_JSON_BODY_BYTES, MAX_JSON_DEPTH, STATEMENT_TIMEOUT_MS, jsonTooDeep } from './resource.ts';

let db: TestDatabase;
let app: App['app'];
let routes: App['routes'];
let world: TinyWorld;
let client: Client;
const logged: LogFields[] = [];

beforeAll(async () => {
  db = await freshDatabase();
  ({ app, routes } = testApp(db.sql, { requestLog: (f) => logged.push(f) }));
  world = await insertTinyWorld(db.sql);
  await createUser(db.sql, 'cmd', 'command', { subdistrict_id: world.subdistrictId });
  client = await Client.login(app, 'cmd');
});
afterAll(async () => db?.drop());

async function errorOf(res: Response) {
  const body = (await res.json()) as { error: { code: string; message: string; details?: unknown } };
  expect(typeof body.error.message).toBe('string');
  return body.error;
}

describe('request limits', () => {
  it('refuses a body over the JSON cap with 413, also when it is streamed without Content-Length', async () => {
    const big = JSON.stringify({ name: 'x'.repeat(MAX_JSON_BODY_BYTES) });
    const res = await client.request('/api/tokens', { method: 'POST', body: big });
    expect(res.status).toBe(413);
    expect((await errorOf(res)).code).toBe('body_too_large');
    const chunks = [new TextEncoder().encode(big)];
    const stream = new ReadableStream<Uint8Array>({ pull(ctl) { const c = chunks.shift(); if (c) ctl.enqueue(c); else ctl.close(); } });
    const streamed = await app.request('/api/tokens', {
      method: 'POST', body: stream, duplex: 'half',
      headers: { 'content-type': 'application/json', 'transfer-encoding': 'chunked', cookie: client.cookie!, 'x-csrf-token': client.csrf! },
    } as RequestInit);
    expect(streamed.status).toBe(413);
  });

  it('refuses deeply nested JSON with 400 before parsing', async () => {
    expect(jsonTooDeep('{"a":"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["}', 3)).toBe(false);
    expect(jsonTooDeep('[[[[1]]]]', 3)).toBe(true);
    const deep = `{"name":${'['.repeat(100_000)}${']'.repeat(100_000)}}`;
    const res = await client.request('/api/tokens', { method: 'POST', body: deep });
    expect(res.status).toBe(400);
    expect((await errorOf(res)).code).toBe('json_too_deep');
    const ok = `{"name":${'['.repeat(MAX_JSON_DEPTH - 1)}${']'.repeat(MAX_JSON_DEPTH - 1)}}`;
    expect((await client.request('/api/tokens', { method: 'POST', body: ok })).status).toBe(400); // reaches zod: name must be a string
  });

  it('refuses a body that is not UTF-8', async () => {
    const bytes = new Uint8Array([...new TextEncoder().encode('{"name":"'), 0xff, 0xfe, 0xc3, ...new TextEncoder().encode('","scopes":["sync:read"]}')]);
    const res = await app.request('/api/tokens', { method: 'POST', body: bytes, headers: { 'content-type': 'application/json', cookie: client.cookie!, 'x-csrf-token': client.csrf! } });
    expect(res.status).toBe(400);
    expect((await errorOf(res)).code).toBe('invalid_encoding');
    const [n] = await db.sql<{ n: number }[]>`SELECT count(*)::int AS n FROM api_token`;
    expect(n!.n).toBe(0);
  });

  it('refuses text PostgreSQL cannot store faithfully: NUL characters and unpaired surrogates', async () => {
    for (const name of ['a\\u0000b', '\\ud800x']) {
      const res = await client.request('/api/tokens', { method: 'POST', body: `{"name":"${name}","scopes":["sync:read"]}` });
      expect(res.status, name).toBe(400);
      expect((await errorOf(res)).code).toBe('invalid_encoding');
    }
    // A paired surrogate (an emoji) is ordinary text.
    const ok = await client.request('/api/tokens', { method: 'POST', body: '{"name":"\\ud83d\\ude93 巡逻","scopes":["sync:read"]}' });
    expect(ok.status).toBe(201);
    await db.sql`DELETE FROM api_token`;
  });

  it('gives every route a statement-timeout class, analytics longer than reads', () => {
    const byPath = (m: string, p: string) => routes.find((r) => r.method === m && r.path === p)!;
    expect(byPath('get', '/api/events').timeout).toBe('read');
    expect(byPath('post', '/api/events').timeout).toBe('write');
    expect(byPath('get', '/api/heat/h3').timeout).toBe('analytics');
    expect(byPath('get', '/api/exports/:kind').timeout).toBe('analytics');
    expect(STATEMENT_TIMEOUT_MS.analytics).toBeGreaterThan(STATEMENT_TIMEOUT_MS.read);
    for (const r of routes) expect(STATEMENT_TIMEOUT_MS[r.timeout], `${r.method} ${r.path}`).toBeGreaterThan(0);
  });

  it('cancels a statement over the scoped transaction’s timeout (57014), answered 503 with the error shape', async () => {
    const [u] = await db.sql<{ id: number }[]>`SELECT id FROM app_user WHERE username = 'cmd'`;
    const user = { id: u!.id, username: 'cmd', roles: ['command' as const], mustChangePassword: false } as unknown as Parameters<typeof runScoped>[1];
    const err = await runScoped(db.sql, user, '127.0.0.1', (tx) => tx`SELECT pg_sleep(2)`, 200).then(() => null, (e: unknown) => e);
    expect((err as { code?: string }).code).toBe('57014');
    // The timeout was transaction-local: the pooled connection is back to no limit.
    const [shown] = await db.sql<{ statement_timeout: string }[]>`SHOW statement_timeout`;
    expect(shown!.statement_timeout).toBe('0');
    const { errorResponse } = await import('./errors.ts');
    const { Hono } = await import('hono');
    const probe = new Hono();
    probe.get('/', (c) => errorResponse(c, err));
    const res = await probe.request('/');
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('5');
    expect((await errorOf(res)).code).toBe('timeout');
  });

  it('token routes run in a transaction with the statement timeout of their class', async () => {
    const { createGuard } = await import('../auth/guard.ts');
    const { DEFAULT_AUTH_CONFIG, systemClock } = await import('../auth/types.ts');
    const { QueryCatalog } = await import('../db/queries.ts');
    const { Hono } = await import('hono');
    const guard = createGuard({ sql: db.sql, queries: new QueryCatalog(), clock: systemClock, authConfig: DEFAULT_AUTH_CONFIG });
    const probe = new Hono<import('./env.ts').AppEnv>();
    probe.get('/', (c) => {
      c.set('auth', { kind: 'token', token: { id: 1, name: 't', scopes: ['gps:ingest'] } });
      return guard.run(c, { kind: 'token', scope: 'gps:ingest' }, 'post', async (tx) => {
        const [row] = await tx<{ statement_timeout: string }[]>`SHOW statement_timeout`;
        return c.text(row!.statement_timeout);
      }, { statementTimeoutMs: 1234 });
    });
    expect(await (await probe.request('/')).text()).toBe('1234ms');
  });

  it('an upload’s import transaction has a statement timeout too: a wait past it is cancelled (57014)', async () => {
    const { runImport } = await import('../../geodata/import/index.ts');
    const holder = await db.sql.reserve();
    try {
      await holder`SELECT pg_advisory_lock(74202503)`; // the importer's lock, held by "another import"
      const bytes = new TextEncoder().encode('code,address,lon,lat\nA1,一号,113.51,33.29\n');
      const err = await runImport(db.sql, { kind: 'addresses', input: { fileName: 'a.csv', bytes }, statementTimeoutMs: 300 })
        .then(() => null, (e: unknown) => e);
      expect((err as { code?: string } | null)?.code).toBe('57014');
    } finally {
      await holder`SELECT pg_advisory_unlock(74202503)`;
      holder.release();
    }
  });

  it('the pool is bounded', () => {
    expect((db.sql as unknown as { options: { max: number } }).options.max).toBe(4);
  });
});

describe('GET /api/ready', () => {
  it('is 200 when the database is reachable and its migrations are current', async () => {
    const res = await app.request('/api/ready');
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ status: 'ready', schema_version: listMigrations().length });
  });

  it('is 503 naming the missing migration when the schema is behind', async () => {
    const last = listMigrations().at(-1)!;
    await db.sql`DELETE FROM schema_migrations WHERE version = ${last.version}`;
    try {
      const res = await app.request('/api/ready');
      expect(res.status).toBe(503);
      const error = await errorOf(res);
      expect(error.code).toBe('migrations_pending');
      expect(error.details).toMatchObject({ database: 'reachable', missing: [last.version] });
    } finally {
      await db.sql`INSERT INTO schema_migrations (version, name) VALUES (${last.version}, ${last.name})`;
    }
  });

  it('is 503 with the error shape when the database is unreachable', async () => {
    const dead = createSql('postgres://postgres@127.0.0.1:1/none', 1);
    try {
      const res = await testApp(dead).app.request('/api/ready');
      expect(res.status).toBe(503);
      const error = await errorOf(res);
      expect(error.code).toBe('database_unreachable');
      expect(error.details).toMatchObject({ database: 'unreachable' });
    } finally {
      await dead.end({ timeout: 1 });
    }
  });
});

describe('request log', () => {
  it('writes one structured line per request with method, path, status, ms and the request id', async () => {
    logged.length = 0;
    const res = await client.request('/api/events?limit=abc', { headers: { 'x-request-id': 'req-123' } });
    expect(res.status).toBe(400);
    expect(res.headers.get('x-request-id')).toBe('req-123');
    expect(logged).toHaveLength(1);
    expect(logged[0]).toMatchObject({ msg: 'request', request_id: 'req-123', method: 'GET', path: '/api/events', status: 400, user: 'cmd' });
    expect(typeof logged[0]!.ms).toBe('number');
    await client.request('/api/ready', { headers: { 'x-request-id': `forged"}${'x'.repeat(200)}` } });
    expect(logged[1]!.request_id).toMatch(/^[0-9a-f-]{36}$/);
  });
});
