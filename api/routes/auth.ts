import { SESSION_ONLY } from '../http/answer-cache.ts';
import { deleteCookie, setCookie } from 'hono/cookie';
import { z } from 'zod';
import type { Deps } from '../deps.ts';
import { UNUSABLE_HASH, hashPassword, passwordProblem, verifyPassword } from '../auth/passwords.ts';
import { SESSION_COOKIE, audit, createSession } from '../auth/sessions.ts';
import { ApiError } from '../http/errors.ts';
import { Resource } from '../http/resource.ts';
import { invalidInputResponse } from './respond.ts';

const loginBody = z.object({ username: z.string().trim().min(1).max(64), password: z.string().min(1).max(256) }).strict();
const passwordBody = z.object({ current_password: z.string().min(1).max(256), new_password: z.string().min(1).max(256) }).strict();

const meSchema = z.object({
  user: z.object({ id: z.number(), username: z.string(), displayName: z.string(), kind: z.string(), roles: z.array(z.string()), mustChangePassword: z.boolean() }),
  csrfToken: z.string(),
});

interface UserRow {
  id: number;
  username: string;
  password_hash: string;
  disabled: boolean;
}

export function authResource(deps: Deps): Resource {
  const { sql, clock, authConfig: cfg } = deps;

  async function failuresBlocking(username: string, ip: string): Promise<number | null> {
    const since = new Date(clock.now().getTime() - cfg.failureWindowMinutes * 60_000);
    const [row] = await deps.queries.run<{ user_failures: number; ip_failures: number; oldest_user: Date | null; oldest_ip: Date | null }>(
      sql, 'auth_login_failures', [username, ip, since]);
    if (!row) return null;
    const blockedSince = row.user_failures >= cfg.maxFailuresPerUser ? row.oldest_user : row.ip_failures >= cfg.maxFailuresPerIp ? row.oldest_ip : null;
    if (!blockedSince) return null;
    return Math.max(1, Math.ceil((blockedSince.getTime() + cfg.failureWindowMinutes * 60_000 - clock.now().getTime()) / 1000));
  }

  return new Resource('/api/auth', 'auth', deps.guard)
    .route(
      {
        method: 'post',
        path: '/login',
        invalidates: SESSION_ONLY,
        summary: '登录 / log in; sets an httpOnly session cookie',
        access: { kind: 'public' },
        body: loginBody,
        responses: { 200: { description: 'logged in', schema: meSchema }, 400: invalidInputResponse, 401: { description: 'wrong user name or password' }, 429: { description: 'too many failures; see Retry-After' } },
      },
      async (c, { body }) => {
        const ip = c.get('clientIp');
        const retryAfter = await failuresBlocking(body.username, ip);
        if (retryAfter !== null) {
          throw new ApiError(429, 'too_many_attempts', `登录失败次数过多，请${Math.ceil(retryAfter / 60)}分钟后再试 / too many failed logins, retry in ${retryAfter} s`, { retryAfterSeconds: retryAfter })
            .withRetryAfter(retryAfter);
        }
        const [user] = await sql<UserRow[]>`SELECT id, username, password_hash, disabled FROM app_user WHERE username = ${body.username}`;
        // Unknown names cost the same scrypt as known ones.
        const ok = (await verifyPassword(body.password, user?.password_hash ?? UNUSABLE_HASH)) && !!user && !user.disabled;
        await sql`INSERT INTO login_attempt (username, client_ip, at, success) VALUES (${body.username}, ${ip}, ${clock.now()}, ${ok})`;
        if (!ok || !user) {
          await audit(sql, { actor: body.username, action: 'auth.login_failed', targetType: 'user', ip });
          throw new ApiError(401, 'invalid_credentials', '用户名或密码错误 / wrong user name or password');
        }
        const session = await createSession(sql, user.id, { ip, userAgent: c.req.header('user-agent') ?? '' }, clock, cfg);
        setCookie(c, SESSION_COOKIE, session.token, {
          httpOnly: true, sameSite: 'Strict', secure: cfg.secureCookies, path: '/', expires: session.expiresAt,
        });
        await audit(sql, { actor: user.username, action: 'auth.login', targetType: 'user', targetId: String(user.id), ip });
        const [me] = await sql<{ display_name: string; kind: string; must_change_password: boolean }[]>`
          SELECT display_name, kind, must_change_password FROM app_user WHERE id = ${user.id}`;
        return c.json({
          user: { id: user.id, username: user.username, displayName: me!.display_name, kind: me!.kind, mustChangePassword: me!.must_change_password },
          csrfToken: session.csrfToken,
        });
      },
    )
    .route(
      {
        method: 'get',
        path: '/me',
        summary: '当前用户、角色与CSRF令牌 / the current user, roles and CSRF token',
        access: { kind: 'self' },
        responses: { 200: { description: 'the user', schema: meSchema }, 401: { description: 'not logged in' } },
      },
      (c) => {
        const auth = c.get('auth');
        if (auth?.kind !== 'user') throw new ApiError(401, 'unauthenticated', '请先登录 / log in first');
        return c.json({ user: auth.user, csrfToken: auth.csrfToken });
      },
    )
    .route(
      {
        method: 'post',
        path: '/logout',
        invalidates: SESSION_ONLY,
        summary: '退出登录 / log out',
        access: { kind: 'self' },
        responses: { 204: { description: 'logged out' } },
      },
      async (c) => {
        const auth = c.get('auth');
        if (auth?.kind !== 'user') throw new ApiError(401, 'unauthenticated', '请先登录 / log in first');
        await sql`UPDATE app_session SET revoked_at = ${clock.now()} WHERE token_hash = ${auth.tokenHash}`;
        deps.sessions.forget(auth.tokenHash);
        await audit(sql, { actor: auth.user.username, action: 'auth.logout', targetType: 'user', targetId: String(auth.user.id), ip: c.get('clientIp') });
        deleteCookie(c, SESSION_COOKIE, { path: '/' });
        return c.body(null, 204);
      },
    )
    .route(
      {
        method: 'post',
        path: '/password',
        invalidates: SESSION_ONLY,
        summary: '修改密码 / change password; ends the user’s other sessions',
        access: { kind: 'self' },
        body: passwordBody,
        responses: { 204: { description: 'changed' }, 400: invalidInputResponse, 403: { description: 'current password wrong' }, 422: { description: 'new password refused by the policy' } },
      },
      async (c, { body }) => {
        const auth = c.get('auth');
        if (auth?.kind !== 'user') throw new ApiError(401, 'unauthenticated', '请先登录 / log in first');
        const [row] = await sql<{ password_hash: string }[]>`SELECT password_hash FROM app_user WHERE id = ${auth.user.id}`;
        if (!row || !(await verifyPassword(body.current_password, row.password_hash))) {
          throw new ApiError(403, 'wrong_password', '当前密码错误 / the current password is wrong');
        }
        const problem = passwordProblem(body.new_password, auth.user.username);
        if (problem) throw new ApiError(422, 'weak_password', problem, { field: 'new_password' });
        if (body.new_password === body.current_password) {
          throw new ApiError(422, 'weak_password', '新密码不能与当前密码相同 / the new password must differ from the current one', { field: 'new_password' });
        }
        const hash = await hashPassword(body.new_password);
        await sql.begin(async (tx) => {
          await tx`UPDATE app_user SET password_hash = ${hash}, must_change_password = false, password_changed_at = ${clock.now()} WHERE id = ${auth.user.id}`;
          await tx`UPDATE app_session SET revoked_at = ${clock.now()} WHERE user_id = ${auth.user.id} AND token_hash <> ${auth.tokenHash} AND revoked_at IS NULL`;
          await audit(tx, { actor: auth.user.username, action: 'auth.password_changed', targetType: 'user', targetId: String(auth.user.id), ip: c.get('clientIp') });
        });
        // The other sessions are revoked, and this one no longer must change its password.
        deps.sessions.forgetUser(auth.user.id);
        return c.body(null, 204);
      },
    );
}
