// Client of the map layer routes: patrol tracks, visits, addresses (columns) and persons' points.
import { getJson } from '../api.ts';
import { params, type Bbox } from '../analysis/heat-api.ts';
import type { DayRange } from '../analysis/dates.ts';

export interface TracksAnswer {
  window: { from: string; to: string; timezone: string };
  t0: number;
  devices: { id: number[]; code: string[]; kind: string[] };
  trips: { device_id: number[]; start: number[]; n: number[] };
  lon: number[]; lat: number[]; t: number[];
  fixes: number; truncated: boolean; limit: number;
}

export interface VisitColumns {
  id: number[]; visited_at: number[]; address_id: number[]; address_text: string[]; category: string[]; grid_id: (number | null)[];
  person: boolean[]; has_fix: boolean[]; lon: number[]; lat: number[]; standard: (boolean | null)[]; on_site: (boolean | null)[];
  joint: (boolean | null)[]; reasons: (string[] | null)[]; distance_m: (number | null)[]; participants: number[];
}
export interface VisitsAnswer { window: DayRange; count: number; truncated: boolean; limit: number; columns: VisitColumns }

export interface AddressColumns { id: number[]; code: string[]; address_text: string[]; category: string[]; grid_id: (number | null)[]; vacant: boolean[]; lon: number[]; lat: number[] }
export interface AddressesAnswer { count: number; truncated: boolean; limit: number; columns: AddressColumns }

export interface PersonPoint { id: number; code: string; name: string; category: string; control_level: number; address_id: number; grid_id: number; lon: number; lat: number }
export interface PersonsAnswer { persons: PersonPoint[]; truncated: boolean; limit: number }

/** GET /api/addresses/:id: one address with its 一标三实 registration. */
export interface AddressDetail {
  id: number; code: string; address_text: string; category: string; vacant: boolean; grid_id: number | null; grid_name: string | null;
  community_name: string | null; lon: number; lat: number; registered: boolean; missing: string[]; building_type: string | null;
  usage: string | null; floors: number | null; rented: boolean | null; residents: number; units: number;
}
/** One subject (the address, or a person of concern living there) of GET /api/stats/addresses/:id/visit-status. */
export interface VisitSubject {
  subject: 'address' | 'person'; subject_id: number; code: string; class: string; cycle_days: number; last_standard_day: string | null;
  due_day: string | null; status: string; last_visit_day: string | null; last_visit_reasons: string[] | null;
}
export interface VisitStatusAnswer { address_id: number; day: string; subjects: VisitSubject[]; visits: unknown[] }

const fmtBbox = (b: Bbox) => b.map((x) => x.toFixed(5)).join(',');

export const overlayApi = {
  tracks: (bbox: Bbox, from: number, to: number, s?: AbortSignal) =>
    getJson<TracksAnswer>(`/api/patrol/tracks?${params({ bbox: fmtBbox(bbox), from: new Date(from).toISOString(), to: new Date(to).toISOString() })}`, s),
  visits: (bbox: Bbox, r: DayRange, s?: AbortSignal) =>
    getJson<VisitsAnswer>(`/api/visits?${params({ bbox: fmtBbox(bbox), from: r.from, to: r.to })}`, s),
  addresses: (bbox: Bbox, categories: string[], s?: AbortSignal) =>
    getJson<AddressesAnswer>(`/api/addresses?${params({ bbox: fmtBbox(bbox), category: categories, format: 'columns' })}`, s),
  persons: (bbox: Bbox, categories: string[], s?: AbortSignal) =>
    getJson<PersonsAnswer>(`/api/persons/map?${params({ bbox: fmtBbox(bbox), category: categories })}`, s),
  address: (id: number, s?: AbortSignal) => getJson<AddressDetail>(`/api/addresses/${id}`, s),
  visitStatus: (addressId: number, s?: AbortSignal) => getJson<VisitStatusAnswer>(`/api/stats/addresses/${addressId}/visit-status?limit=1`, s),
};

const HOUR_MS = 3_600_000;

/**
 * The tracks' window: the 24 hours ending where the time bar's window ends (the end of its last
 * local day, or now when that is today), so the default is the API's own "last 24 h".
 */
export function tracksWindow(range: DayRange, now = Date.now()): { from: number; to: number } {
  const end = Math.min(now, Date.parse(`${range.to}T00:00:00+08:00`) + 24 * HOUR_MS);
  return { from: end - 24 * HOUR_MS, to: end };
}

/** deck.gl binary attributes of the trips: vertices end to end, per-vertex time and colour. */
export interface TripBuffers {
  length: number;
  startIndices: Uint32Array;
  positions: Float64Array;
  timestamps: Float32Array;
  colors: Uint8Array;
  vertices: number;
}

export const DEVICE_COLOURS: [number, number, number][] = [
  [255, 196, 0], [0, 214, 255], [255, 92, 168], [120, 255, 120], [255, 130, 40], [170, 140, 255], [60, 255, 210], [255, 255, 120],
];

export function tripBuffers(a: TracksAnswer): TripBuffers {
  const n = a.lon.length;
  const positions = new Float64Array(n * 2);
  const timestamps = new Float32Array(a.t);
  const colors = new Uint8Array(n * 4);
  for (let i = 0; i < n; i++) {
    positions[2 * i] = a.lon[i]!;
    positions[2 * i + 1] = a.lat[i]!;
  }
  a.trips.start.forEach((start, k) => {
    const c = DEVICE_COLOURS[a.devices.id.indexOf(a.trips.device_id[k]!) % DEVICE_COLOURS.length]!;
    for (let i = start; i < start + a.trips.n[k]!; i++) colors.set([c[0], c[1], c[2], 255], 4 * i);
  });
  return { length: a.trips.start.length, startIndices: new Uint32Array([...a.trips.start, n]), positions, timestamps, colors, vertices: n };
}
