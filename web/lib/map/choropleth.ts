import type { ExpressionSpecification } from 'maplibre-gl';

/** The grid KPIs a choropleth can show: rates in [0, 1] against the plan's 100% target. */
export const KPI_KEYS = ['registration_rate', 'visit_coverage_rate', 'closure_rate', 'on_time_rate', 'patrol_coverage'] as const;
export type KpiKey = (typeof KPI_KEYS)[number];

export const CLASS_IDS = ['lt60', '60-80', '80-95', '95-100', '100', 'none'] as const;
export type ClassId = (typeof CLASS_IDS)[number];

export interface KpiClass {
  id: ClassId;
  /** Inclusive lower bound (a rate, not a percentage); null for "no data". */
  min: number | null;
  color: string;
}

/**
 * Fixed breaks against the 100% target, the same for every KPI so a colour means the same thing
 * whichever is shown: <60%, 60–80%, 80–95%, 95–100%, 100% (met), and no data (nothing to measure:
 * no addresses, no events due, no patrol cells, or outside the window's history).
 */
export const KPI_CLASSES: readonly KpiClass[] = [
  { id: 'lt60', min: 0, color: '#d73027' },
  { id: '60-80', min: 0.6, color: '#fc8d59' },
  { id: '80-95', min: 0.8, color: '#fee08b' },
  { id: '95-100', min: 0.95, color: '#91cf60' },
  { id: '100', min: 1, color: '#1a9850' },
  { id: 'none', min: null, color: '#6b7689' },
];

const MEASURED = KPI_CLASSES.filter((c) => c.min !== null);
export const NO_DATA = KPI_CLASSES.find((c) => c.id === 'none')!;

/** The class of a rate; null, undefined and NaN have no data. Rates are ≤ 1, so anything ≥ 1 met the target. */
export function classOf(value: number | null | undefined): ClassId {
  if (value === null || value === undefined || Number.isNaN(value)) return 'none';
  let id: ClassId = 'lt60';
  for (const c of MEASURED) if (value >= c.min!) id = c.id;
  return id;
}

/** How many grids fall in each class, for the legend. */
export function classCounts(values: Iterable<number | null | undefined>): Record<ClassId, number> {
  const counts = Object.fromEntries(CLASS_IDS.map((id) => [id, 0])) as Record<ClassId, number>;
  for (const v of values) counts[classOf(v)]++;
  return counts;
}

/** Feature-state key the choropleth reads its value from. */
export const KPI_STATE_KEY = 'kpi';

/**
 * MapLibre fill colour for the same breaks, read from feature-state: statistics are joined to the
 * stable grid source by id, so changing the KPI or the window never re-sends the geometry.
 */
export function fillColorExpression(key = KPI_STATE_KEY): ExpressionSpecification {
  const value: ExpressionSpecification = ['feature-state', key];
  const steps: (string | number)[] = [MEASURED[0]!.color];
  for (const c of MEASURED.slice(1)) steps.push(c.min!, c.color);
  return ['case', ['==', ['typeof', value], 'number'], ['step', value, ...steps] as unknown as ExpressionSpecification, NO_DATA.color];
}

/** Fill opacity: the chosen opacity, a little stronger under the mouse. */
export function fillOpacityExpression(opacity: number): ExpressionSpecification {
  const o = Math.min(Math.max(opacity, 0), 1);
  return ['case', ['boolean', ['feature-state', 'hover'], false], Math.min(1, o + 0.2), o];
}

/** 0.8333 → "83.3%"; no value → "—". */
export function formatRate(value: number | null | undefined): string {
  if (value === null || value === undefined || Number.isNaN(value)) return '—';
  return `${(value * 100).toFixed(1)}%`;
}
