import { ApiRequestError } from '../api.ts';
import { gridApi, periodWindow, type KpiRow, type PeriodId, type StatsWindow, type WindowQuery } from '../grid-api.ts';
import { classCounts, type ClassId, type KpiKey } from './choropleth.ts';

/**
 * Per-grid KPI statistics for the choropleth, the legend and the grid panel: one request per
 * window, joined to the grid polygons on the map by id (feature-state), never merged into GeoJSON.
 */
export class GridStats {
  /** The KPI the grid layer is coloured by; null = plain grid outlines. */
  kpi = $state<KpiKey | null>(null);
  period = $state<PeriodId>('month');
  opacity = $state(0.7);
  rows = $state.raw<KpiRow[]>([]);
  window = $state.raw<StatsWindow | null>(null);
  loading = $state(false);
  error = $state<string | null>(null);
  /** Which period `rows` belong to. */
  private loadedPeriod = $state<PeriodId | null>(null);
  private controller: AbortController | null = null;

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
    return periodWindow(this.period);
  }

  /** Loads the rows of the current period unless they are loaded or loading. */
  async ensure(): Promise<void> {
    if (this.loadedPeriod === this.period || this.loading) return;
    await this.load();
  }

  async load(): Promise<void> {
    this.controller?.abort();
    const controller = new AbortController();
    this.controller = controller;
    const period = this.period;
    this.loading = true;
    this.error = null;
    try {
      const { window, rows } = await gridApi.kpis(periodWindow(period), controller.signal);
      if (controller.signal.aborted) return;
      this.rows = rows;
      this.window = window;
      this.loadedPeriod = period;
    } catch (err) {
      if (controller.signal.aborted) return;
      this.error = err instanceof ApiRequestError ? err.message : String(err);
    } finally {
      if (this.controller === controller) this.loading = false;
    }
  }
}
