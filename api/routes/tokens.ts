import { z } from 'zod';
import type { Deps } from '../deps.ts';
import { TOKEN_PREFIX, audit, newSecret, sha256 } from '../auth/sessions.ts';
import { TOKEN_SCOPES } from '../auth/types.ts';
import { ApiError } from '../http/errors.ts';
import { idParam } from '../http/geo.ts';
import { Resource } from '../http/resource.ts';
import { invalidInputResponse } from './respond.ts';

const createBody = z.object({
  name: z.string().trim().min(1).max(100),
  scopes: z.array(z.enum(TOKEN_SCOPES)).min(1).max(TOKEN_SCOPES.length),
}).strict();

const COMMAND = { kind: 'session', roles: ['command'] } as const;

/** Machine clients (GPS devices, the city platform's sync) use revocable bearer tokens with scopes. */
export function tokensResource(deps: Deps): Resource {
  // api_token and audit_log belong to the owner: the command user's request does this as the owner.
  const actor = (c: Parameters<Parameters<Resource['route']>[1]>[0]) => {
    const auth = c.get('auth');
    if (auth?.kind !== 'user') throw new ApiError(401, 'unauthenticated', 'log in first');
    return auth.user;
  };
  return new Resource('/api/tokens', 'auth', deps.guard)
    .route(
      {
        method: 'post', path: '/', summary: '签发API令牌（仅显示一次）/ issue an API token (shown once)', access: COMMAND, body: createBody,
        responses: { 201: { description: 'the token; store it now', schema: z.object({ id: z.number(), token: z.string(), scopes: z.array(z.string()) }) }, 400: invalidInputResponse },
      },
      async (c, { body }) => {
        const user = actor(c);
        const token = TOKEN_PREFIX + newSecret();
        const scopes = [...new Set(body.scopes)];
        const row = await c.get('owner')(async (tx) => {
          const [r] = await tx<{ id: number }[]>`
            INSERT INTO api_token (name, token_hash, scopes, created_by) VALUES (${body.name}, ${sha256(token)}, ${scopes}, ${user.id}) RETURNING id`;
          await audit(tx, { actor: user.username, action: 'token.issue', targetType: 'api_token', targetId: String(r!.id), ip: c.get('clientIp'), details: { name: body.name, scopes } });
          return r;
        });
        return c.json({ id: row!.id, token, scopes }, 201);
      },
    )
    .route(
      {
        method: 'get', path: '/', summary: 'API令牌列表 / list API tokens (never their values)', access: COMMAND,
        responses: { 200: { description: 'tokens' } },
      },
      async (c) => {
        const rows = await c.get('owner')((tx) => tx`SELECT id, name, scopes, created_at, last_used_at, revoked_at FROM api_token ORDER BY id`);
        return c.json({ tokens: rows });
      },
    )
    .route(
      {
        method: 'delete', path: '/:id', summary: '吊销API令牌 / revoke an API token', access: COMMAND, params: idParam,
        responses: { 204: { description: 'revoked' }, 404: { description: 'no such active token' } },
      },
      async (c, { params }) => {
        const user = actor(c);
        await c.get('owner')(async (tx) => {
          const [row] = await tx<{ id: number }[]>`
            UPDATE api_token SET revoked_at = ${deps.clock.now()} WHERE id = ${params.id} AND revoked_at IS NULL RETURNING id`;
          if (!row) throw new ApiError(404, 'not_found', `no active token ${params.id}`);
          await audit(tx, { actor: user.username, action: 'token.revoke', targetType: 'api_token', targetId: String(params.id), ip: c.get('clientIp') });
        });
        return c.body(null, 204);
      },
    );
}
