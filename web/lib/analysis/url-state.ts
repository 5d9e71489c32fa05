import { isDay, type DayRange } from './dates.ts';

/**
 * The analysis view in the query string, so it can be shared and reopened:
 *
 *   ?mode=analysis&c=113.5201,33.2904&z=13.25&from=2026-03-01&to=2026-03-31
 *   &type=dispute&sub=neighbour&hours=22&wd=6&layers=hex:0.8,gistar:0.7&cmp=2026-02-01..2026-02-28
 *   &off=communities,jointPoints&ov=addresses:0.6,persons:0.9&acat=key,attention
 *
 * Anything missing or malformed decodes to its default; encode(decode(q)) is canonical.
 */
export const INCIDENT_LAYERS = ['heat', 'hex', 'gistar', 'points', 'compare', 'emerging'] as const;
export type IncidentLayerId = (typeof INCIDENT_LAYERS)[number];
/** The layer panel's base layers; all on by default, so the URL lists those switched off. */
export const BASE_LAYERS = ['subdistrict', 'communities', 'grids', 'gridLabels', 'jointPoints', 'keyLocations'] as const;
export type BaseLayerId = (typeof BASE_LAYERS)[number];
/** The operational layers (patrol tracks, visits, addresses, persons of concern). */
export const OVERLAYS = ['tracks', 'visits', 'addresses', 'persons'] as const;
export type OverlayId = (typeof OVERLAYS)[number];
export const ADDRESS_CATEGORIES = ['key', 'attention', 'general'] as const;
export type AddressCategory = (typeof ADDRESS_CATEGORIES)[number];

/** What the layer panel shows outside the analysis state: kept by the console, not by `Analysis`. */
export interface LayerView {
  /** Base layers switched off. */
  off: BaseLayerId[];
  /** Operational layers that are on, with their opacity. */
  overlays: Partial<Record<OverlayId, number>>;
  /** Address categories drawn; null = all of them. */
  addressCategories: AddressCategory[] | null;
}

export const emptyLayerView = (): LayerView => ({ off: [], overlays: {}, addressCategories: null });

export interface AnalysisView {
  mode: 'map' | 'analysis';
  center: [number, number] | null;
  zoom: number | null;
  /** null = the default window (this cycle). */
  range: DayRange | null;
  types: string[];
  subtypes: string[];
  /** Local hours / ISO weekdays picked on the hour × weekday matrix; null = all. */
  hours: number[] | null;
  weekdays: number[] | null;
  /** Layers that are on, with their opacity. */
  layers: Partial<Record<IncidentLayerId, number>>;
  /** Baseline period of the compare layer; null = the window of equal length before `range`. */
  compare: DayRange | null;
}

export type ViewState = AnalysisView & LayerView;

export const emptyView = (): ViewState => ({
  mode: 'map', center: null, zoom: null, range: null, types: [], subtypes: [], hours: null, weekdays: null, layers: {}, compare: null,
  ...emptyLayerView(),
});

const WORD = /^[a-z_]{1,32}$/;

function ints(s: string | null, lo: number, hi: number): number[] | null {
  if (!s) return null;
  const out = s.split(',').map(Number).filter((n) => Number.isInteger(n) && n >= lo && n <= hi);
  return out.length ? [...new Set(out)].sort((a, b) => a - b) : null;
}

function words(s: string | null): string[] {
  return s ? [...new Set(s.split(',').filter((w) => WORD.test(w)))] : [];
}

function range(from: string | null, to: string | null): DayRange | null {
  return from && to && isDay(from) && isDay(to) && from <= to ? { from, to } : null;
}

const round = (x: number, d: number) => Number(x.toFixed(d));

/** Known ids only, each once, in the list's own order (so the encoding is canonical). */
function pick<T extends string>(s: string | null, known: readonly T[]): T[] {
  const parts = new Set((s ?? '').split(','));
  return known.filter((id) => parts.has(id));
}

/** `id:opacity,id` → on layers with their opacity (clamped; no opacity = 1). */
function opacities<T extends string>(s: string | null, known: readonly T[]): Partial<Record<T, number>> {
  const out: Partial<Record<T, number>> = {};
  for (const part of (s ?? '').split(',')) {
    const [id, op] = part.split(':');
    if (!(known as readonly string[]).includes(id ?? '')) continue;
    const o = op === undefined ? 1 : Number(op);
    out[id as T] = Number.isFinite(o) ? Math.min(1, Math.max(0.05, o)) : 1;
  }
  return out;
}

const encodeOpacities = <T extends string>(v: Partial<Record<T, number>>, known: readonly T[]) =>
  known.filter((id) => v[id] !== undefined).map((id) => `${id}:${round(v[id]!, 2)}`).join(',');

export function decodeView(search: string): ViewState {
  const q = new URLSearchParams(search);
  const v = emptyView();
  if (q.get('mode') === 'analysis') v.mode = 'analysis';
  const c = q.get('c')?.split(',').map(Number);
  if (c?.length === 2 && c.every(Number.isFinite) && Math.abs(c[0]!) <= 180 && Math.abs(c[1]!) <= 90) v.center = [c[0]!, c[1]!];
  const z = Number(q.get('z'));
  if (q.has('z') && Number.isFinite(z) && z >= 0 && z <= 24) v.zoom = z;
  v.range = range(q.get('from'), q.get('to'));
  v.types = words(q.get('type'));
  v.subtypes = words(q.get('sub'));
  v.hours = ints(q.get('hours'), 0, 23);
  v.weekdays = ints(q.get('wd'), 1, 7);
  v.layers = opacities(q.get('layers'), INCIDENT_LAYERS);
  const [a, b] = (q.get('cmp') ?? '').split('..');
  v.compare = range(a ?? null, b ?? null);
  v.off = pick(q.get('off'), BASE_LAYERS);
  v.overlays = opacities(q.get('ov'), OVERLAYS);
  // All categories is the default; an empty list is kept (every category unticked).
  if (q.has('acat')) {
    const cats = pick(q.get('acat'), ADDRESS_CATEGORIES);
    v.addressCategories = cats.length === ADDRESS_CATEGORIES.length ? null : cats;
  }
  return v;
}

/** The query string (without `?`), keys in a fixed order, defaults left out. */
export function encodeView(v: ViewState): string {
  const q = new URLSearchParams();
  if (v.mode === 'analysis') q.set('mode', 'analysis');
  if (v.center) q.set('c', `${round(v.center[0], 5)},${round(v.center[1], 5)}`);
  if (v.zoom !== null) q.set('z', String(round(v.zoom, 2)));
  if (v.range) {
    q.set('from', v.range.from);
    q.set('to', v.range.to);
  }
  if (v.types.length) q.set('type', v.types.join(','));
  if (v.subtypes.length) q.set('sub', v.subtypes.join(','));
  if (v.hours?.length) q.set('hours', v.hours.join(','));
  if (v.weekdays?.length) q.set('wd', v.weekdays.join(','));
  const layers = encodeOpacities(v.layers, INCIDENT_LAYERS);
  if (layers) q.set('layers', layers);
  if (v.compare) q.set('cmp', `${v.compare.from}..${v.compare.to}`);
  const off = BASE_LAYERS.filter((id) => v.off.includes(id));
  if (off.length) q.set('off', off.join(','));
  const ov = encodeOpacities(v.overlays, OVERLAYS);
  if (ov) q.set('ov', ov);
  const cats = v.addressCategories && ADDRESS_CATEGORIES.filter((c) => v.addressCategories!.includes(c));
  if (cats && cats.length < ADDRESS_CATEGORIES.length) q.set('acat', cats.join(','));
  return q.toString().replace(/%2C/g, ',').replace(/%3A/g, ':');
}
