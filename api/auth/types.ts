export const ROLES = ['command', 'station_chief', 'police', 'aux_police', 'grid_leader', 'grid_worker', 'part_time', 'analyst', 'display'] as const;
export type Role = (typeof ROLES)[number];

export const TOKEN_SCOPES = ['gps:ingest', 'sync:read'] as const;
export type TokenScope = (typeof TOKEN_SCOPES)[number];

/** Roles that see counts and heat only, never identities; they run as the jw_analyst database role. */
export const AGGREGATE_ONLY_ROLES: readonly Role[] = ['analyst', 'display'];

/** Who may call a route. Every route declares one; there is no default. */
export type Access =
  | { kind: 'public' }
  /**
   * `stream`: a long-lived response (SSE) that must not hold a transaction open; the handler scopes its own reads.
   * `ownTransaction`: the handler runs its own owner transaction (imports) and gets the pool, not a request transaction.
   */
  | { kind: 'session'; roles: readonly Role[] | 'any'; stream?: boolean; ownTransaction?: boolean }
  /** A logged-in user acting on their own account only (me, logout, password): allowed while a
   * password change is pending or with no assignment, and run outside the jurisdiction scope. */
  | { kind: 'self' }
  | { kind: 'token'; scope: TokenScope };

export interface SessionUser {
  id: number;
  username: string;
  displayName: string;
  kind: 'staff' | 'display';
  staffId: number | null;
  roles: Role[];
  mustChangePassword: boolean;
}

export type AuthContext =
  /** `cached`: read from the SessionCache, not from the database for this request (see guard.ts). */
  | { kind: 'user'; user: SessionUser; tokenHash: string; csrfToken: string; cached?: boolean }
  | { kind: 'token'; token: { id: number; name: string; scopes: TokenScope[] } };

export interface AuthConfig {
  idleMinutes: number;
  absoluteHours: number;
  /** Failed logins per user name, and per client address, allowed within the window. */
  maxFailuresPerUser: number;
  maxFailuresPerIp: number;
  failureWindowMinutes: number;
  secureCookies: boolean;
  /** How long a validated session is answered from memory (see SessionCache); 0: read it every request. */
  sessionCacheMs: number;
}

export const DEFAULT_AUTH_CONFIG: AuthConfig = {
  idleMinutes: 30,
  absoluteHours: 12,
  maxFailuresPerUser: 5,
  maxFailuresPerIp: 20,
  failureWindowMinutes: 15,
  secureCookies: false,
  sessionCacheMs: 5_000,
};

export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

export function isAggregateOnly(roles: readonly Role[]): boolean {
  return roles.length > 0 && roles.every((r) => AGGREGATE_ONLY_ROLES.includes(r));
}

/** Those who work cases and may see addresses and names: not volunteers, analysts or display screens. */
export const CASE_ROLES: readonly Role[] = ['command', 'station_chief', 'police', 'aux_police', 'grid_leader', 'grid_worker'];
/** Those who may reveal a masked identity, with a reason. */
export const REVEAL_ROLES: readonly Role[] = ['command', 'station_chief', 'police', 'aux_police'];
