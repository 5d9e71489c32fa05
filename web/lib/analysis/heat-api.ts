// Client of the heat, hotspot and histogram routes (api/analytics/README.md).
import { getJson } from '../api.ts';
import type { DayRange } from './dates.ts';

export type Bbox = [number, number, number, number];
export interface Window { from: string; to: string; days: number; timezone: string }

/** The event filters every heat route takes. */
export interface EventFilters { types: string[]; subtypes: string[]; hours: number[] | null; weekdays: number[] | null }

export interface H3Answer { res: number; window: Window; events: number; max: number; truncated: boolean; limit: number; cells: { cell: string; n: number }[] }
export interface GistarCell { cell: string; n: number; z: number; p: number; q: number; class: number }
export interface GistarAnswer { res: number; k: number; window: Window; n: number; events: number; classes: Record<string, number>; cells: GistarCell[] }
export interface EmergingCell { cell: string; counts: number[]; pattern: string; spot: 'hot' | 'cold' | null }
export interface EmergingAnswer { res: number; k: number; periods: DayRange[]; n: number; patterns: Record<string, number>; cells: EmergingCell[] }
export interface CompareRow { cell: string; a: number; b: number; diff: number; ratio: number | null }
export interface CompareAnswer { res: number; a: Window; b: Window; truncated: boolean; rows: CompareRow[] }
export interface MatrixAnswer { window: Window; matrix: number[][]; total: number; max: number }
export interface HistogramAnswer {
  window: Window; total: number; max: number; days: { day: string; n: number }[];
  types: { type: string; n: number; subtypes: { subtype: string | null; n: number }[] }[];
}
export interface PointsAnswer { window: Window; count: number; truncated: boolean; limit: number; types: string[]; coords: number[]; type_index: number[] }

const fmtBbox = (b: Bbox) => b.map((x) => x.toFixed(5)).join(',');

/** Query string pieces, empty ones left out. */
export function params(p: Record<string, string | number | null | undefined | readonly (string | number)[]>): string {
  const out: string[] = [];
  for (const [k, v] of Object.entries(p)) {
    if (v === null || v === undefined) continue;
    const s = Array.isArray(v) ? v.join(',') : String(v);
    if (s !== '') out.push(`${k}=${encodeURIComponent(s).replace(/%2C/g, ',')}`);
  }
  return out.join('&');
}

const filterParams = (f: EventFilters) => ({ type: f.types, subtype: f.subtypes, hours: f.hours ?? null, weekdays: f.weekdays ?? null });
const win = (r: DayRange | null) => ({ from: r?.from ?? null, to: r?.to ?? null });

export const heatApi = {
  h3: (bbox: Bbox, res: number, r: DayRange | null, f: EventFilters, s?: AbortSignal) =>
    getJson<H3Answer>(`/api/heat/h3?${params({ bbox: fmtBbox(bbox), res, ...win(r), ...filterParams(f) })}`, s),
  gistar: (bbox: Bbox, res: number, r: DayRange | null, f: EventFilters, s?: AbortSignal) =>
    getJson<GistarAnswer>(`/api/hotspots/gistar?${params({ bbox: fmtBbox(bbox), res, ...win(r), ...filterParams(f) })}`, s),
  emerging: (bbox: Bbox, res: number, to: string | null, f: EventFilters, s?: AbortSignal) =>
    getJson<EmergingAnswer>(`/api/hotspots/emerging?${params({ bbox: fmtBbox(bbox), res, to, ...filterParams(f) })}`, s),
  compare: (bbox: Bbox, res: number, a: DayRange | null, b: DayRange | null, f: EventFilters, s?: AbortSignal) =>
    getJson<CompareAnswer>(`/api/heat/compare?${params({ bbox: fmtBbox(bbox), res, ...win(a), from2: b?.from, to2: b?.to, ...filterParams(f) })}`, s),
  matrix: (bbox: Bbox | null, r: DayRange | null, f: EventFilters, s?: AbortSignal) =>
    getJson<MatrixAnswer>(`/api/heat/matrix?${params({ bbox: bbox ? fmtBbox(bbox) : null, ...win(r), type: f.types, subtype: f.subtypes })}`, s),
  histogram: (bbox: Bbox | null, r: DayRange, f: EventFilters, s?: AbortSignal) =>
    getJson<HistogramAnswer>(`/api/stats/event-histogram?${params({ bbox: bbox ? fmtBbox(bbox) : null, ...win(r), ...filterParams(f) })}`, s),
  points: (bbox: Bbox, r: DayRange | null, f: EventFilters, s?: AbortSignal) =>
    getJson<PointsAnswer>(`/api/heat/points?${params({ bbox: fmtBbox(bbox), ...win(r), ...filterParams(f) })}`, s),
};

/** Hex resolution for a zoom: ~10–30 px per cell. */
export const hexRes = (zoom: number): number => Math.min(11, Math.max(7, Math.floor(zoom - 4)));
/** Gi*, emerging and compare study areas are coarser (and capped at 20,000 cells by the server). */
export const studyRes = (zoom: number): number => Math.min(10, Math.max(7, Math.floor(zoom - 4.5)));

/** The viewport clipped to the data extent; null when they do not meet. */
export function clipBbox(view: Bbox, extent: Bbox | null): Bbox | null {
  if (!extent) return view;
  const b: Bbox = [Math.max(view[0], extent[0]), Math.max(view[1], extent[1]), Math.min(view[2], extent[2]), Math.min(view[3], extent[3])];
  return b[0] < b[2] && b[1] < b[3] ? b : null;
}
