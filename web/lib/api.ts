import type { FeatureCollection, Feature, Geometry } from 'geojson';

export class ApiRequestError extends Error {
  constructor(readonly status: number, readonly code: string, message: string) {
    super(message);
  }
}

async function getJson<T>(path: string, signal?: AbortSignal): Promise<T> {
  const res = await fetch(path, { signal: signal ?? null, headers: { accept: 'application/json' } });
  if (!res.ok) {
    let code = 'http_error';
    let message = `${res.status} ${res.statusText}`;
    try {
      const body = (await res.json()) as { error?: { code: string; message: string } };
      if (body.error) ({ code, message } = body.error);
    } catch {
      // not a JSON error body; keep the status line
    }
    throw new ApiRequestError(res.status, code, message);
  }
  return (await res.json()) as T;
}

export interface SubdistrictProps { id: number; code: string; name: string; area_m2: number; bbox: [number, number, number, number] }
export interface CommunityProps { id: number; code: string; name: string; kind: 'village' | 'community'; subdistrict_id: number; area_m2: number; grid_count: number }
export interface GridProps { id: number; code: string; name: string; community_id: number; community_name: string; area_m2: number; label_point: [number, number] }
export interface JointPointProps { id: number; code: string; name: string; grid_id: number | null; service_radius_m: number }
export interface KeyLocationProps { id: number; code: string; name: string; type: string; grid_id: number | null; required_passes_week: number }

export type FC<P> = FeatureCollection<Geometry, P>;
export type F<P> = Feature<Geometry, P>;

export const api = {
  subdistricts: (s?: AbortSignal) => getJson<FC<SubdistrictProps>>('/api/subdistricts', s),
  communities: (s?: AbortSignal) => getJson<FC<CommunityProps>>('/api/communities', s),
  grids: (s?: AbortSignal) => getJson<FC<GridProps>>('/api/grids', s),
  jointPoints: (s?: AbortSignal) => getJson<FC<JointPointProps>>('/api/joint-defense-points', s),
  keyLocations: (s?: AbortSignal) => getJson<FC<KeyLocationProps>>('/api/key-locations', s),
};
