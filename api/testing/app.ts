import type { Sql } from 'postgres';
import { createApp, type App, type AppOptions } from '../app.ts';
import { hashPassword } from '../auth/passwords.ts';
import type { Clock, Role } from '../auth/types.ts';
import { QueryCatalog } from '../db/queries.ts';

export const TEST_PASSWORD = 'Test-Passw0rd!';

/** A clock tests can move. */
export class FakeClock implements Clock {
  constructor(private t = new Date()) {}
  now(): Date {
    return new Date(this.t);
  }
  advance(ms: number): void {
    this.t = new Date(this.t.getTime() + ms);
  }
}

export function testApp(sql: Sql, opts: Partial<AppOptions> = {}): App {
  return createApp({
    sql,
    queries: new QueryCatalog(),
    database: { kind: 'external', describe: 'test' },
    // Tests name the caller's address in a header so rate limits per address can be exercised.
    clientIp: (c) => c.req.header('x-test-ip') ?? '127.0.0.1',
    // 500s are failures in these tests; keep their causes visible.
    log: (err) => console.error('[test app] unexpected error', err),
    ...opts,
  });
}

export interface Scope {
  subdistrict_id?: number;
  community_id?: number;
  grid_id?: number;
  joint_point_id?: number;
}

const STAFF_KIND: Record<Role, string> = {
  command: 'cadre', station_chief: 'cadre', police: 'police', aux_police: 'aux_police', grid_leader: 'grid_worker',
  grid_worker: 'grid_worker', part_time: 'volunteer', analyst: 'analyst', display: 'analyst',
};

let hashCache: Promise<string> | null = null;

/** A login with one assignment (or a display account), password TEST_PASSWORD, no forced change unless asked. */
export async function createUser(sql: Sql, username: string, role: Role, scope: Scope, opts: { mustChange?: boolean; startsOn?: string; endsOn?: string | null } = {}): Promise<{ userId: number; staffId: number | null }> {
  hashCache ??= hashPassword(TEST_PASSWORD);
  const hash = await hashCache;
  if (role === 'display') {
    const [u] = await sql<{ id: number }[]>`
      INSERT INTO app_user (username, display_name, kind, password_hash, must_change_password)
      VALUES (${username}, ${username}, 'display', ${hash}, ${opts.mustChange ?? false}) RETURNING id`;
    return { userId: u!.id, staffId: null };
  }
  const [s] = await sql<{ id: number }[]>`
    INSERT INTO staff (code, name, org, kind) VALUES (${`S-${username}`}, ${username}, 'subdistrict', ${STAFF_KIND[role]}) RETURNING id`;
  await sql`
    INSERT INTO assignment (staff_id, role, subdistrict_id, community_id, grid_id, joint_point_id, starts_on, ends_on)
    VALUES (${s!.id}, ${role}, ${scope.subdistrict_id ?? null}, ${scope.community_id ?? null}, ${scope.grid_id ?? null},
            ${scope.joint_point_id ?? null}, ${opts.startsOn ?? '2020-01-01'}, ${opts.endsOn ?? null})`;
  const [u] = await sql<{ id: number }[]>`
    INSERT INTO app_user (username, display_name, staff_id, password_hash, must_change_password)
    VALUES (${username}, ${username}, ${s!.id}, ${hash}, ${opts.mustChange ?? false}) RETURNING id`;
  return { userId: u!.id, staffId: s!.id };
}

/** A logged-in client: carries the session cookie and the CSRF header like the console does. */
export class Client {
  constructor(readonly app: App['app'], readonly cookie: string | null, readonly csrf: string | null, readonly ip = '127.0.0.1') {}

  static anonymous(app: App['app']): Client {
    return new Client(app, null, null);
  }

  static async login(app: App['app'], username: string, password = TEST_PASSWORD, ip = '127.0.0.1'): Promise<Client> {
    const res = await app.request('/api/auth/login', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-test-ip': ip },
      body: JSON.stringify({ username, password }),
    });
    if (res.status !== 200) throw new Error(`login as ${username} failed: ${res.status} ${await res.text()}`);
    const cookie = (res.headers.get('set-cookie') ?? '').split(';')[0]!;
    const body = (await res.json()) as { csrfToken: string };
    return new Client(app, cookie, body.csrfToken, ip);
  }

  request(path: string, init: { method?: string; body?: unknown; headers?: Record<string, string>; csrf?: boolean } = {}): Promise<Response> {
    const headers: Record<string, string> = { 'x-test-ip': this.ip, ...init.headers };
    if (this.cookie) headers.cookie = this.cookie;
    const method = init.method ?? 'GET';
    if (method !== 'GET' && this.csrf && init.csrf !== false) headers['x-csrf-token'] = this.csrf;
    if (init.body !== undefined) headers['content-type'] ??= 'application/json';
    return Promise.resolve(this.app.request(path, { method, headers, ...(init.body !== undefined ? { body: typeof init.body === 'string' ? init.body : JSON.stringify(init.body) } : {}) }));
  }

  get(path: string): Promise<Response> {
    return this.request(path);
  }

  post(path: string, body: unknown): Promise<Response> {
    return this.request(path, { method: 'POST', body });
  }
}
