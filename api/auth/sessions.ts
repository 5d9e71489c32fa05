import { createHash, randomBytes } from 'node:crypto';
import type { Sql } from 'postgres';
import type { QueryCatalog } from '../db/queries.ts';
import type { Db } from '../db/types.ts';
import type { AuthConfig, AuthContext, Clock, Role, SessionUser, TokenScope } from './types.ts';

export const SESSION_COOKIE = 'jw_session';
export const TOKEN_PREFIX = 'jwt_';

export function sha256(value: string): string {
  return createHash('sha256').update(value).digest('hex');
}

export function newSecret(): string {
  return randomBytes(32).toString('base64url');
}

/** The calendar day in Asia/Shanghai, which is when assignments start and end. */
export function shanghaiDate(at: Date): string {
  return new Date(at.getTime() + 8 * 3600_000).toISOString().slice(0, 10);
}

export async function createSession(sql: Sql, userId: number, meta: { ip: string; userAgent: string }, clock: Clock, cfg: AuthConfig) {
  const token = newSecret();
  const csrfToken = newSecret();
  const now = clock.now();
  const expiresAt = new Date(now.getTime() + cfg.absoluteHours * 3600_000);
  await sql`
    INSERT INTO app_session (token_hash, user_id, csrf_token, created_at, last_seen_at, expires_at, client_ip, user_agent)
    VALUES (${sha256(token)}, ${userId}, ${csrfToken}, ${now}, ${now}, ${expiresAt}, ${meta.ip}, ${meta.userAgent.slice(0, 300)})`;
  return { token, csrfToken, expiresAt };
}

interface SessionRow {
  created_at: Date;
  last_seen_at: Date;
  expires_at: Date;
  revoked_at: Date | null;
  csrf_token: string;
  user_id: number;
  username: string;
  display_name: string;
  kind: 'staff' | 'display';
  staff_id: number | null;
  must_change_password: boolean;
  disabled: boolean;
  roles: Role[];
}

/** How often last_seen_at is written per session; idleness is tracked to this grain. */
const LAST_SEEN_GRAIN_MS = 60_000;

interface CachedSession {
  row: SessionRow;
  /** clock time when the row was read; the entry is good for `ttlMs` from then (not before it). */
  at: number;
  /** The Shanghai day the roles were read for: a new day reads them again. */
  day: string;
}

/**
 * Validated sessions kept in memory for a few seconds, so a burst of a console's requests costs one
 * session read, not one each. Only live sessions are kept, and each use re-checks the absolute and
 * idle limits against the clock; the entry is dropped at once when this server revokes a session
 * (logout, password change), and a change made elsewhere (a user disabled, an assignment changed
 * by an import) takes effect within `ttlMs`. `ttlMs` 0 turns the cache off.
 */
export class SessionCache {
  private readonly entries = new Map<string, CachedSession>();
  /** Bumped by every revocation: a read that began before it must not put its (older) row back. */
  private revocations = 0;
  /** Database reads in flight per session: a console's burst after expiry waits for one read. */
  private readonly reading = new Map<string, Promise<AuthContext | null>>();

  constructor(readonly ttlMs: number, readonly maxEntries = 10_000) {}

  get size(): number {
    return this.entries.size;
  }

  get(tokenHash: string, now: Date): SessionRow | null {
    const e = this.entries.get(tokenHash);
    if (!e) return null;
    const age = now.getTime() - e.at;
    if (age < 0 || age >= this.ttlMs || e.day !== shanghaiDate(now)) {
      this.entries.delete(tokenHash);
      return null;
    }
    return e.row;
  }

  /** Pass to `set` what this was before the database read. */
  get generation(): number {
    return this.revocations;
  }

  set(tokenHash: string, row: SessionRow, now: Date, generation: number): void {
    if (this.ttlMs <= 0 || generation !== this.revocations) return;
    // Bounded: when full, the oldest entry goes (Map keeps insertion order).
    if (this.entries.size >= this.maxEntries && !this.entries.has(tokenHash)) {
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
    this.entries.delete(tokenHash);
    this.entries.set(tokenHash, { row, at: now.getTime(), day: shanghaiDate(now) });
  }

  /** One database read of a session at a time; concurrent callers share its answer. */
  shared(tokenHash: string, read: () => Promise<AuthContext | null>): Promise<AuthContext | null> {
    let p = this.reading.get(tokenHash);
    if (!p) {
      p = read().finally(() => this.reading.delete(tokenHash));
      this.reading.set(tokenHash, p);
    }
    return p;
  }

  /** After a session is revoked (logout). */
  forget(tokenHash: string): void {
    this.revocations++;
    this.entries.delete(tokenHash);
  }

  /** After a user's sessions or account change (password change ends the other sessions). */
  forgetUser(userId: number): void {
    this.revocations++;
    for (const [k, e] of this.entries) if (e.row.user_id === userId) this.entries.delete(k);
  }
}

function toAuth(row: SessionRow, tokenHash: string, cached = false): AuthContext {
  const user: SessionUser = {
    id: row.user_id,
    username: row.username,
    displayName: row.display_name,
    kind: row.kind,
    staffId: row.staff_id,
    roles: row.roles,
    mustChangePassword: row.must_change_password,
  };
  return { kind: 'user', user, tokenHash, csrfToken: row.csrf_token, ...(cached ? { cached } : {}) };
}

/**
 * The session behind a cookie as kept in memory, when the cache may answer for it (no database,
 * so callers need no pool slot); undefined when the database must decide.
 */
export function cachedSession(token: string, clock: Clock, cfg: AuthConfig, cache?: SessionCache): AuthContext | undefined {
  if (!cache) return undefined;
  const tokenHash = sha256(token);
  const now = clock.now();
  const cached = cache.get(tokenHash, now);
  // A cached session answers only while it is inside both limits and its last_seen_at needs no
  // write; otherwise the database decides (and revokes or records the use) as without a cache.
  const sinceSeen = cached ? now.getTime() - cached.last_seen_at.getTime() : Infinity;
  if (cached && now < cached.expires_at && sinceSeen <= LAST_SEEN_GRAIN_MS && sinceSeen <= cfg.idleMinutes * 60_000) {
    return toAuth(cached, tokenHash, true);
  }
  return undefined;
}

/**
 * The session behind a cookie, or null when it is unknown, revoked, past its absolute lifetime or
 * idle too long. An expired session is revoked so it cannot come back if the clock moves.
 */
export async function lookupSession(sql: Sql, queries: QueryCatalog, token: string, clock: Clock, cfg: AuthConfig, cache?: SessionCache): Promise<AuthContext | null> {
  const kept = cachedSession(token, clock, cfg, cache);
  if (kept) return kept;
  const tokenHash = sha256(token);
  const now = clock.now();
  const generation = cache?.generation ?? 0;
  const [row] = await queries.run<SessionRow>(sql, 'auth_session', [tokenHash, shanghaiDate(now)]);
  if (!row || row.revoked_at || row.disabled) return null;
  const idleLimit = row.last_seen_at.getTime() + cfg.idleMinutes * 60_000;
  if (now >= row.expires_at || now.getTime() > idleLimit) {
    await sql`UPDATE app_session SET revoked_at = ${now} WHERE token_hash = ${tokenHash} AND revoked_at IS NULL`;
    return null;
  }
  // One write a minute per session is enough to track idleness.
  if (now.getTime() - row.last_seen_at.getTime() > LAST_SEEN_GRAIN_MS) {
    await sql`UPDATE app_session SET last_seen_at = ${now} WHERE token_hash = ${tokenHash}`;
    row.last_seen_at = now;
  }
  cache?.set(tokenHash, row, now, generation);
  return toAuth(row, tokenHash);
}

export async function lookupToken(sql: Sql, bearer: string, clock: Clock): Promise<AuthContext | null> {
  if (!bearer.startsWith(TOKEN_PREFIX)) return null;
  const [row] = await sql<{ id: number; name: string; scopes: TokenScope[] }[]>`
    UPDATE api_token SET last_used_at = ${clock.now()}
    WHERE token_hash = ${sha256(bearer)} AND revoked_at IS NULL
    RETURNING id, name, scopes`;
  return row ? { kind: 'token', token: { id: row.id, name: row.name, scopes: row.scopes } } : null;
}

export async function audit(sql: Db, entry: { actor: string; action: string; targetType: string; targetId?: string | null; reason?: string | null; ip?: string | null; details?: unknown }) {
  await sql`
    INSERT INTO audit_log (actor, action, target_type, target_id, reason, client_ip, details)
    VALUES (${entry.actor}, ${entry.action}, ${entry.targetType}, ${entry.targetId ?? null}, ${entry.reason ?? null},
            ${entry.ip ?? null}, ${entry.details === undefined ? null : sql.json(entry.details as never)})`;
}
