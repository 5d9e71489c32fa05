import type { FeatureCollection, Feature, Geometry } from 'geojson';
import { session, type SessionUser } from './session.svelte.ts';

export class ApiRequestError extends Error {
  constructor(readonly status: number, readonly code: string, message: string, readonly details?: unknown) {
    super(message);
  }
}

async function request<T>(method: string, path: string, body?: unknown, signal?: AbortSignal): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (method !== 'GET' && session.csrfToken) headers['x-csrf-token'] = session.csrfToken;
  const res = await fetch(path, { method, headers, signal: signal ?? null, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
  if (res.status === 401 && !path.startsWith('/api/auth/')) session.set(null, null);
  if (!res.ok) {
    let code = 'http_error';
    let message = `${res.status} ${res.statusText}`;
    let details: unknown;
    try {
      const body = (await res.json()) as { error?: { code: string; message: string; details?: unknown } };
      if (body.error) ({ code, message, details } = body.error);
    } catch {
      // not a JSON error body; keep the status line
    }
    throw new ApiRequestError(res.status, code, message, details);
  }
  if (res.status === 204) return undefined as T;
  return (await res.json()) as T;
}

export function getJson<T>(path: string, signal?: AbortSignal): Promise<T> {
  return request<T>('GET', path, undefined, signal);
}

export function postJson<T>(path: string, body: unknown, signal?: AbortSignal): Promise<T> {
  return request<T>('POST', path, body, signal);
}

interface MeResponse { user: SessionUser; csrfToken: string }

export const auth = {
  /** Who is logged in, or null. */
  async me(): Promise<MeResponse | null> {
    try {
      return await getJson<MeResponse>('/api/auth/me');
    } catch (err) {
      if (err instanceof ApiRequestError && err.status === 401) return null;
      throw err;
    }
  },
  login: (username: string, password: string) => request<MeResponse>('POST', '/api/auth/login', { username, password }),
  logout: () => request<void>('POST', '/api/auth/logout', {}),
  changePassword: (current_password: string, new_password: string) => request<void>('POST', '/api/auth/password', { current_password, new_password }),
};

export interface SubdistrictProps { id: number; code: string; name: string; area_m2: number; bbox: [number, number, number, number] }
export interface CommunityProps { id: number; code: string; name: string; kind: 'village' | 'community'; subdistrict_id: number; area_m2: number; grid_count: number }
export interface GridProps { id: number; code: string; name: string; community_id: number; community_name: string; area_m2: number; label_point: [number, number] }
export interface JointPointProps { id: number; code: string; name: string; grid_id: number | null; service_radius_m: number }
export interface KeyLocationProps { id: number; code: string; name: string; type: string; grid_id: number | null; required_passes_week: number }

export type FC<P> = FeatureCollection<Geometry, P>;
export type F<P> = Feature<Geometry, P>;

export interface EventRow {
  id: number; code: string; type: string; subtype: string | null; severity: number; complexity: string | null; state: string;
  title: string; grid_id: number | null; grid_name: string | null; community_id: number | null; community_name: string | null;
  address_id: number | null; address_text: string | null; reported_at: string; due_at: string | null; closed_at: string | null;
  escalation_level: number; version: number; lon: number; lat: number; overdue: boolean;
}

export interface EventPage {
  events: EventRow[];
  /** Every matching event, all pages; null on a page past the last row. */
  total: number | null;
  limit: number;
  next_cursor: string | null;
}

/** The list filters GET /api/events understands; empty arrays and nulls mean "any". */
export interface EventFilter {
  types: string[]; subtypes: string[]; severities: number[]; states: string[];
  communityId: number | null; gridId: number | null; from: string | null; to: string | null; overdue: boolean;
}

export function eventQuery(f: EventFilter, page: { limit: number; cursor?: string | null }): string {
  const q = new URLSearchParams();
  if (f.types.length) q.set('type', f.types.join(','));
  if (f.subtypes.length) q.set('subtype', f.subtypes.join(','));
  if (f.severities.length) q.set('severity', f.severities.join(','));
  if (f.states.length) q.set('state', f.states.join(','));
  if (f.communityId !== null) q.set('community_id', String(f.communityId));
  if (f.gridId !== null) q.set('grid_id', String(f.gridId));
  if (f.from) q.set('from', f.from);
  if (f.to) q.set('to', f.to);
  if (f.overdue) q.set('overdue', '1');
  q.set('limit', String(page.limit));
  if (page.cursor) q.set('cursor', page.cursor);
  return q.toString();
}

export interface AddressMatch {
  id: number; code: string; address_text: string; category: string; grid_id: number | null; grid_name: string | null;
  community_name: string | null; lon: number; lat: number;
}

export interface EventDetail {
  event: EventRow & { description: string | null; grid_name: string | null; community_name: string | null };
  log: { at: string; action: string; from_state: string | null; to_state: string; actor_name: string; note: string | null }[];
  actions: string[];
}

export interface NewEventBody {
  type: string; subtype?: string; severity: number; complexity?: string; title: string; description?: string;
  lon: number; lat: number; address_id?: number; allow_duplicate?: boolean;
}

export const events = {
  list: (query: string, s?: AbortSignal) => getJson<EventPage>(`/api/events?${query}`, s),
  detail: (id: number) => getJson<EventDetail>(`/api/events/${id}`),
  create: (body: NewEventBody) => request<{ event: { id: number; code: string; grid_id: number }; responsible: { name: string; role: string; phone: string | null }[] }>('POST', '/api/events', body),
  transition: (id: number, action: string, expected_version: number, note?: string) =>
    request<{ state: string; version: number }>('POST', `/api/events/${id}/transitions`, { action, expected_version, ...(note ? { note } : {}) }),
};

export const addresses = {
  search: (q: string, s?: AbortSignal) =>
    getJson<{ addresses: AddressMatch[]; truncated: boolean; limit: number }>(`/api/addresses/search?q=${encodeURIComponent(q)}`, s),
};

export const api = {
  subdistricts: (s?: AbortSignal) => getJson<FC<SubdistrictProps>>('/api/subdistricts', s),
  communities: (s?: AbortSignal) => getJson<FC<CommunityProps>>('/api/communities', s),
  grids: (s?: AbortSignal) => getJson<FC<GridProps>>('/api/grids', s),
  jointPoints: (s?: AbortSignal) => getJson<FC<JointPointProps>>('/api/joint-defense-points', s),
  keyLocations: (s?: AbortSignal) => getJson<FC<KeyLocationProps>>('/api/key-locations', s),
};
