import { ApiRequestError } from '../api.ts';
import { gridApi, periodWindow, type KpiRow, type PeriodId, type StatsWindow, type WindowQuery } from '../grid-api.ts';
import { classCounts, type ClassId, type KpiKey } from './choropleth.ts';

/** Brushing the time bar fires a range per pointer release and per playback step: wait for it to settle. */
export const FOLLOW_DEBOUNCE_MS = 300;

/**
 * Per-grid KPI statistics for the choropleth, the legend and the grid panel: one request per
 * window, joined to the grid polygons on the map by id (feature-state), never merged into GeoJSON.
 * By default the window is the time bar's range (`timebar`); a fixed period can be chosen instead.
 */
export class GridStats {
  /** The KPI the grid layer is coloured by; null = plain grid outlines. */
  kpi = $state<KpiKey | null>(null);
  period = $state<PeriodId>('timebar');
  opacity = $state(0.7);
  rows = $state.raw<KpiRow[]>([]);
  window = $state.raw<StatsWindow | null>(null);
  loading = $state(false);
  error = $state<string | null>(null);
  /** The time bar's range, followed while `period` is `timebar`. */
  range = $state.raw<{ from: string; to: string } | null>(null);
  /** Which window `rows` belong to (its query, as a key). */
  private loadedKey = $state<string | null>(null);
  private controller: AbortController | null = null;
  private timer: ReturnType<typeof setTimeout> | null = null;

  /** grid id → the selected KPI's value (null: nothing to measure). */
  readonly values = $derived.by(() => {
    const key = this.kpi;
    const out: Record<number, number | null> = {};
    if (!key) return out;
    for (const r of this.rows) out[r.unit_id] = r[key];
    return out;
  });

  readonly counts = $derived<Record<ClassId, number>>(classCounts(Object.values(this.values)));

  row(gridId: number): KpiRow | null {
    return this.rows.find((r) => r.unit_id === gridId) ?? null;
  }

  get windowQuery(): WindowQuery {
    return this.period === 'timebar' ? this.range : periodWindow(this.period);
  }

  private get key(): string {
    return JSON.stringify(this.windowQuery);
  }

  /**
   * The time bar moved: remember its range and, when the map follows it and statistics are in
   * use, refetch after the brushing settles.
   */
  follow(range: { from: string; to: string }): void {
    if (this.range?.from === range.from && this.range.to === range.to) return;
    this.range = range;
    if (this.period !== 'timebar' || !this.kpi) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.ensure();
    }, FOLLOW_DEBOUNCE_MS);
  }

  /** Loads the rows of the current window unless they are loaded or loading. */
  async ensure(): Promise<void> {
    if (this.loadedKey === this.key && !this.error) return;
    await this.load();
  }

  async load(): Promise<void> {
    this.controller?.abort();
    const controller = new AbortController();
    this.controller = controller;
    const query = this.windowQuery;
    const key = JSON.stringify(query);
    this.loading = true;
    this.error = null;
    try {
      const { window, rows } = await gridApi.kpis(query, controller.signal);
      if (controller.signal.aborted) return;
      this.rows = rows;
      this.window = window;
      this.loadedKey = key;
    } catch (err) {
      if (controller.signal.aborted) return;
      this.error = err instanceof ApiRequestError ? err.message : String(err);
    } finally {
      if (this.controller === controller) this.loading = false;
    }
  }
}
