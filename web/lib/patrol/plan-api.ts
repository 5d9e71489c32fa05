import type { Geometry } from 'geojson';
import { session } from '../session.svelte.ts';
import { ApiRequestError } from '../api.ts';

/** Client of /api/patrol-plans (精准巡防). Shapes follow api/patrol/plans.ts. */

export interface PlanStop {
  team: number;
  seq: number;
  target_kind: 'h3_cell' | 'key_location' | 'manual';
  target_ref: string | null;
  lon: number;
  lat: number;
  dwell_min: number;
  eta: string | null;
  reason: string;
  score: number | null;
  mandatory: boolean;
}

export interface PlanDetail {
  plan: {
    id: number; name: string; community_id: number | null; state: 'draft' | 'approved' | 'published' | 'archived';
    shift_start: string; shift_end: string; team_size: number; speed_kmh: number; detour_factor: number;
    distance_model: string; start: [number, number]; version: number; area: Geometry | null;
  };
  teams: { team: number; stops: number; length_m: number; devices: { id: number; code: string }[] }[];
  stops: PlanStop[];
  history: { at: string; action: string; from_state: string | null; to_state: string; note: string | null }[];
  dropped?: string[];
}

export interface StopResult {
  team: number; seq: number; visited: boolean; complied: boolean; arrivedAt: number | null; dwellMin: number;
  closestM: number; planned_dwell_min: number; reason: string;
}

export interface Compliance {
  completion: number | null;
  stops: StopResult[];
  missed: { team: number; seq: number; reason: string; closest_m: number | null }[];
  tracks: { device_id: number; coordinates: [number, number][]; times: number[] }[];
  fixes: number;
  target_cells: number;
  target_cells_passed: number;
}

export interface HistoryRow {
  id: number; name: string; shift_start: string; target_cells: number; days: number;
  before: number; after: number; change: number | null; p_value: number; verdict: 'fell' | 'rose' | 'no_clear_change' | 'too_few';
}

export interface GenerateRequest {
  community_id: number;
  date: string;
  start_hour: number;
  end_hour: number;
  teams: number;
  speed_kmh: number;
}

async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (method !== 'GET' && session.csrfToken) headers['x-csrf-token'] = session.csrfToken;
  const res = await fetch(path, { method, headers, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
  if (res.status === 401) session.set(null, null);
  if (!res.ok) {
    const err = (await res.json().catch(() => ({}))) as { error?: { code: string; message: string; details?: unknown } };
    throw new ApiRequestError(res.status, err.error?.code ?? 'http_error', err.error?.message ?? `${res.status}`, err.error?.details);
  }
  return (await res.json()) as T;
}

export const plans = {
  generate: (body: GenerateRequest) => call<PlanDetail>('POST', '/api/patrol-plans/generate', body),
  get: (id: number) => call<PlanDetail>('GET', `/api/patrol-plans/${id}`),
  list: (communityId?: number) => call<{ plans: { id: number; name: string; state: string; shift_start: string; stops: number }[] }>('GET', `/api/patrol-plans${communityId ? `?community_id=${communityId}` : ''}`),
  saveStops: (id: number, version: number, stops: PlanStop[]) =>
    call<PlanDetail>('PUT', `/api/patrol-plans/${id}/stops`, {
      expected_version: version,
      stops: stops.map((s) => ({ team: s.team, target_kind: s.target_kind, target_ref: s.target_ref, lon: s.lon, lat: s.lat, dwell_min: s.dwell_min, reason: s.reason })),
    }),
  transition: (id: number, action: 'approve' | 'publish' | 'archive' | 'reopen', version: number) =>
    call<PlanDetail>('POST', `/api/patrol-plans/${id}/transitions`, { action, expected_version: version }),
  compliance: (id: number) => call<Compliance>('GET', `/api/patrol-plans/${id}/compliance`),
  history: (communityId?: number) => call<{ days: number; plans: HistoryRow[] }>('GET', `/api/patrol-plans/history${communityId ? `?community_id=${communityId}` : ''}`),
};

export const TEAM_COLOURS: [number, number, number][] = [[255, 209, 102], [82, 196, 26], [64, 169, 255], [255, 122, 69], [179, 127, 235], [19, 194, 194]];
