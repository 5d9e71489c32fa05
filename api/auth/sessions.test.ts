import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../app.ts';
import { freshDatabase, type TestDatabase } from '../testing/db.ts';
import { insertTinyWorld, type TinyWorld } from '../testing/fixtures.ts';
import { Client, FakeClock, TEST_PASSWORD, createUser, testApp } from '../testing/app.ts';
import { DEFAULT_AUTH_CONFIG } from './types.ts';
import { SessionCache } from './sessions.ts';

let db: TestDatabase;
let app: App['app'];
let world: TinyWorld;
const clock = new FakeClock(new Date('2026-11-29T02:00:00Z'));
const MIN = 60_000;
/**
 * A day before both the test clock's day and the database's own today: the session lookup reads
 * roles for the clock's day, the in-transaction check for the database's (jw_today()), and an
 * assignment ended or begun on this day is ended, or in force, for both.
 */
const yesterday = () => {
  const clockDay = new Date(clock.now().getTime() + 8 * 3600_000 - 86_400_000);
  const realDay = new Date(Date.now() + 8 * 3600_000 - 86_400_000);
  return (clockDay < realDay ? clockDay : realDay).toISOString().slice(0, 10);
};

beforeAll(async () => {
  db = await freshDatabase();
  ({ app } = testApp(db.sql, { clock }));
  world = await insertTinyWorld(db.sql);
  await createUser(db.sql, 'cmd', 'command', { subdistrict_id: world.subdistrictId });
  await createUser(db.sql, 'leader', 'grid_leader', { grid_id: world.gridIds[0] });
});
afterAll(async () => db?.drop());

function login(username: string, password: string, ip = '10.0.0.1') {
  return app.request('/api/auth/login', { method: 'POST', headers: { 'content-type': 'application/json', 'x-test-ip': ip }, body: JSON.stringify({ username, password }) });
}

async function errorCode(res: Response): Promise<string> {
  return ((await res.json()) as { error: { code: string } }).error.code;
}

describe('login and the session cookie', () => {
  it('sets an httpOnly SameSite=Strict cookie and /me names the user and roles', async () => {
    const res = await login('cmd', TEST_PASSWORD);
    expect(res.status).toBe(200);
    const cookie = res.headers.get('set-cookie')!;
    expect(cookie).toMatch(/^jw_session=[\w-]{40,};/);
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Strict/);
    const client = await Client.login(app, 'cmd');
    const me = (await (await client.get('/api/auth/me')).json()) as { user: { username: string; roles: string[] }; csrfToken: string };
    expect(me.user).toMatchObject({ username: 'cmd', roles: ['command'] });
    expect(me.csrfToken).toBe(client.csrf);
  });

  it('answers a wrong password and an unknown user alike', async () => {
    const wrong = await login('cmd', 'nope', '10.0.0.2');
    const unknown = await login('nobody', 'nope', '10.0.0.2');
    expect([wrong.status, unknown.status]).toEqual([401, 401]);
    expect(await wrong.json()).toEqual(await unknown.json());
  });

  it('stores only a hash of the session token', async () => {
    const client = await Client.login(app, 'cmd');
    const token = client.cookie!.split('=')[1]!;
    const rows = await db.sql`SELECT 1 FROM app_session WHERE token_hash = ${token}`;
    expect(rows).toHaveLength(0);
  });
});

describe('rate limiting', () => {
  it('blocks a user name after 5 failures in 15 minutes, even with the right password, then lets it in', async () => {
    await createUser(db.sql, 'target', 'grid_worker', { grid_id: world.gridIds[0] });
    for (let i = 0; i < DEFAULT_AUTH_CONFIG.maxFailuresPerUser; i++) expect((await login('target', 'bad', `10.1.0.${i}`)).status).toBe(401);
    const blocked = await login('target', TEST_PASSWORD, '10.1.0.99');
    expect(blocked.status).toBe(429);
    expect(await errorCode(blocked)).toBe('too_many_attempts');
    const retryAfter = Number(blocked.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThan(14 * 60);
    expect(retryAfter).toBeLessThanOrEqual(15 * 60);
    clock.advance(15 * MIN + 1000);
    expect((await login('target', TEST_PASSWORD, '10.1.0.99')).status).toBe(200);
  });

  it('blocks an address after 20 failures across user names, and only that address', async () => {
    for (let i = 0; i < DEFAULT_AUTH_CONFIG.maxFailuresPerIp; i++) await login(`guess${i}`, 'bad', '10.2.0.1');
    expect((await login('leader', TEST_PASSWORD, '10.2.0.1')).status).toBe(429);
    expect((await login('leader', TEST_PASSWORD, '10.2.0.2')).status).toBe(200);
    clock.advance(15 * MIN + 1000);
  });
});

describe('session expiry', () => {
  it('ends a session idle for more than 30 minutes', async () => {
    const client = await Client.login(app, 'leader');
    clock.advance(29 * MIN);
    expect((await client.get('/api/grids')).status).toBe(200);
    clock.advance(29 * MIN);
    expect((await client.get('/api/grids')).status).toBe(200);
    clock.advance(31 * MIN);
    const res = await client.get('/api/grids');
    expect(res.status).toBe(401);
    expect(await errorCode(res)).toBe('unauthenticated');
    // Revoked for good: moving the clock back does not revive it.
    clock.advance(-31 * MIN);
    expect((await client.get('/api/grids')).status).toBe(401);
    clock.advance(31 * MIN);
  });

  it('ends an active session after 12 hours', async () => {
    const client = await Client.login(app, 'leader');
    for (let h = 0; h < 12 * 3; h++) {
      clock.advance(20 * MIN);
      const status = (await client.get('/api/grids')).status;
      expect(status, `after ${(h + 1) * 20} min`).toBe((h + 1) * 20 < 12 * 60 ? 200 : 401);
    }
  });
});

describe('CSRF', () => {
  it('refuses a state-changing request without the token, with a wrong one, or from another origin', async () => {
    const client = await Client.login(app, 'cmd');
    const body = { code: 'CSRF-1', name: '点', lon: 113.505, lat: 33.29 };
    const none = await client.request('/api/joint-defense-points', { method: 'POST', body, csrf: false });
    expect(none.status).toBe(403);
    expect(await errorCode(none)).toBe('csrf');
    const wrong = await client.request('/api/joint-defense-points', { method: 'POST', body, csrf: false, headers: { 'x-csrf-token': 'forged' } });
    expect(wrong.status).toBe(403);
    const cross = await client.request('/api/joint-defense-points', { method: 'POST', body, headers: { origin: 'http://evil.example', host: 'localhost' } });
    expect(cross.status).toBe(403);
    const [n] = await db.sql<{ n: number }[]>`SELECT count(*)::int AS n FROM joint_defense_point WHERE code = 'CSRF-1'`;
    expect(n!.n).toBe(0);
    expect((await client.post('/api/joint-defense-points', body)).status).toBe(201);
  });
});

describe('password change', () => {
  it('forces a change for a seeded account, enforces the policy, and ends other sessions', async () => {
    await createUser(db.sql, 'newbie', 'grid_leader', { grid_id: world.gridIds[1] }, { mustChange: true });
    const first = await Client.login(app, 'newbie');
    const other = await Client.login(app, 'newbie');
    const blocked = await first.get('/api/grids');
    expect(blocked.status).toBe(403);
    expect(await errorCode(blocked)).toBe('password_change_required');
    expect((await first.get('/api/auth/me')).status).toBe(200);

    const weak = await first.post('/api/auth/password', { current_password: TEST_PASSWORD, new_password: 'short1' });
    expect(weak.status).toBe(422);
    expect(await errorCode(weak)).toBe('weak_password');
    const withName = await first.post('/api/auth/password', { current_password: TEST_PASSWORD, new_password: 'Newbie-2026-xyz' });
    expect(withName.status).toBe(422);
    const badCurrent = await first.post('/api/auth/password', { current_password: 'wrong', new_password: 'Grid-Leader-2026' });
    expect(badCurrent.status).toBe(403);
    const ok = await first.post('/api/auth/password', { current_password: TEST_PASSWORD, new_password: 'Grid-Leader-2026' });
    expect(ok.status).toBe(204);

    expect((await first.get('/api/grids')).status).toBe(200);
    expect((await other.get('/api/auth/me')).status).toBe(401);
    expect((await login('newbie', TEST_PASSWORD, '10.3.0.1')).status).toBe(401);
    expect((await login('newbie', 'Grid-Leader-2026', '10.3.0.1')).status).toBe(200);
  });
});

describe('logout', () => {
  it('revokes the session and clears the cookie', async () => {
    const client = await Client.login(app, 'leader');
    const res = await client.post('/api/auth/logout', {});
    expect(res.status).toBe(204);
    expect(res.headers.get('set-cookie')).toMatch(/jw_session=;/);
    expect((await client.get('/api/auth/me')).status).toBe(401);
  });
});

describe('reassignment changes access at once', () => {
  it('moves a grid leader from grid 1 to grid 3 between two requests of the same session', async () => {
    const { staffId } = await createUser(db.sql, 'mover', 'grid_leader', { grid_id: world.gridIds[0] });
    const client = await Client.login(app, 'mover');
    const ids = async () => ((await (await client.get('/api/grids')).json()) as { features: { properties: { id: number } }[] }).features.map((f) => f.properties.id);
    expect(await ids()).toEqual([world.gridIds[0]]);
    await db.sql`UPDATE assignment SET ends_on = ${yesterday()}::date WHERE staff_id = ${staffId!}`;
    const none = await client.get('/api/grids');
    expect(none.status).toBe(403);
    expect(await errorCode(none)).toBe('no_assignment');
    await db.sql`INSERT INTO assignment (staff_id, role, grid_id, starts_on) VALUES (${staffId!}, 'grid_leader', ${world.gridIds[2]}, ${yesterday()}::date)`;
    expect(await ids()).toEqual([world.gridIds[2]]);
  });
});

describe('the session cache (validated sessions kept a few seconds)', () => {
  it('ends the other sessions at once on a password change, even while they are cached', async () => {
    await createUser(db.sql, 'twice', 'grid_leader', { grid_id: world.gridIds[0] });
    const a = await Client.login(app, 'twice');
    const b = await Client.login(app, 'twice');
    expect((await b.get('/api/grids')).status).toBe(200);
    expect((await b.get('/api/grids')).status).toBe(200); // now answered from the cache
    const changed = await a.post('/api/auth/password', { current_password: TEST_PASSWORD, new_password: 'Another-Pass-2026!' });
    expect(changed.status).toBe(204);
    expect((await b.get('/api/grids')).status).toBe(401);
    expect((await b.get('/api/auth/me')).status).toBe(401);
    expect((await a.get('/api/grids')).status).toBe(200);
  });

  it('refuses a user disabled in the database on the next scoped request, cached or not', async () => {
    await createUser(db.sql, 'gone', 'grid_leader', { grid_id: world.gridIds[0] });
    const client = await Client.login(app, 'gone');
    expect((await client.get('/api/grids')).status).toBe(200);
    await db.sql`UPDATE app_user SET disabled = true WHERE username = 'gone'`;
    expect((await client.get('/api/grids')).status).toBe(401);
  });

  it('gives a role granted in the database at once, though the cached session had none', async () => {
    const { staffId } = await createUser(db.sql, 'granted', 'grid_leader', { grid_id: world.gridIds[0] });
    await db.sql`UPDATE assignment SET ends_on = ${yesterday()}::date WHERE staff_id = ${staffId!}`;
    const client = await Client.login(app, 'granted');
    expect((await client.get('/api/grids')).status).toBe(403);
    await db.sql`INSERT INTO assignment (staff_id, role, grid_id, starts_on) VALUES (${staffId!}, 'grid_leader', ${world.gridIds[1]}, ${yesterday()}::date)`;
    const res = await client.get('/api/grids');
    expect(res.status).toBe(200);
  });

  it('lets a session revoked elsewhere (not through this server) live at most the cache time', async () => {
    const client = await Client.login(app, 'leader');
    expect((await client.get('/api/auth/me')).status).toBe(200);
    const token = client.cookie!.split('=')[1]!;
    await db.sql`UPDATE app_session SET revoked_at = now() WHERE token_hash = encode(sha256(convert_to(${token}, 'UTF8')), 'hex')`;
    clock.advance(DEFAULT_AUTH_CONFIG.sessionCacheMs);
    expect((await client.get('/api/auth/me')).status).toBe(401);
  });
});

describe('API tokens', () => {
  it('are issued by command, work for their scope only, and stop working when revoked', async () => {
    await db.sql`INSERT INTO patrol_device (code, kind) VALUES ('DEV-T', 'vehicle')`;
    const cmd = await Client.login(app, 'cmd');
    const issued = await cmd.post('/api/tokens', { name: '巡逻终端', scopes: ['gps:ingest'] });
    expect(issued.status).toBe(201);
    const { id, token } = (await issued.json()) as { id: number; token: string };
    expect(token).toMatch(/^jwt_/);
    const push = (t: string) => app.request('/api/machine/fixes', {
      method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${t}` },
      body: JSON.stringify({ device_code: 'DEV-T', fixes: [{ t: '2026-11-29T08:00:00+08:00', lon: 113.505, lat: 33.29 }] }),
    });
    expect((await push(token)).status).toBe(200);
    const again = (await (await push(token)).json()) as { received: number; stored: number; duplicates: number };
    expect(again).toEqual({ received: 1, stored: 0, duplicates: 1 });
    const sync = await app.request('/api/machine/grids', { headers: { authorization: `Bearer ${token}` } });
    expect(sync.status).toBe(403);
    const list = (await (await cmd.get('/api/tokens')).json()) as { tokens: Record<string, unknown>[] };
    expect(JSON.stringify(list)).not.toContain(token);
    expect((await cmd.request(`/api/tokens/${id}`, { method: 'DELETE' })).status).toBe(204);
    const revoked = await push(token);
    expect(revoked.status).toBe(401);
    expect(await errorCode(revoked)).toBe('invalid_token');
    const leader = await Client.login(app, 'leader');
    expect((await leader.post('/api/tokens', { name: 'x', scopes: ['sync:read'] })).status).toBe(403);
    const actions = await db.sql<{ action: string }[]>`SELECT action FROM audit_log WHERE target_type = 'api_token' AND target_id = ${String(id)} ORDER BY id`;
    expect(actions.map((a) => a.action)).toEqual(['token.issue', 'token.revoke']);
  });
});

describe('SessionCache.shared', () => {
  it('lets concurrent readers of one session share one read, and reads again once it is over', async () => {
    const cache = new SessionCache(5_000);
    let reads = 0;
    let finish!: (v: null) => void;
    const read = () => {
      reads++;
      return new Promise<null>((r) => (finish = r));
    };
    const a = cache.shared('h1', read);
    const b = cache.shared('h1', read);
    const other = cache.shared('h2', async () => (reads++, null));
    finish(null);
    expect(await Promise.all([a, b, other])).toEqual([null, null, null]);
    expect(reads).toBe(2);
    await cache.shared('h1', async () => (reads++, null));
    expect(reads).toBe(3);
  });
});
