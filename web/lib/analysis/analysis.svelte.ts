import { presetRange, today, type DayRange } from './dates.ts';
import type { Bbox, EventFilters } from './heat-api.ts';
import { decodeView, encodeView, INCIDENT_LAYERS, type AnalysisView, type IncidentLayerId, type LayerView } from './url-state.ts';

export interface LayerState { on: boolean; opacity: number }

/** What a layer last loaded: for its legend, and for tests that compare it with the API. */
export interface LayerMeta { loading: boolean; error: string | null; count: number; seq: number; [k: string]: unknown }

/**
 * What the analyst is looking at: time window, filters, incident layers and workspace mode. The
 * time bar, the layer panel, the analysis panel and the map layers all read and write this one
 * object, so a brush on any of them filters the others; it is mirrored in the URL.
 */
export class Analysis {
  mode = $state<'map' | 'analysis'>('map');
  range = $state<DayRange>(presetRange('cycle', today()));
  types = $state<string[]>([]);
  subtypes = $state<string[]>([]);
  hours = $state<number[] | null>(null);
  weekdays = $state<number[] | null>(null);
  compare = $state<DayRange | null>(null);
  layers = $state<Record<IncidentLayerId, LayerState>>(
    Object.fromEntries(INCIDENT_LAYERS.map((id) => [id, { on: false, opacity: id === 'points' ? 1 : 0.75 }])) as Record<IncidentLayerId, LayerState>,
  );
  /** The map's viewport (debounced), for the charts of the analysis workspace. */
  bbox = $state<Bbox | null>(null);
  meta = $state<Partial<Record<IncidentLayerId, LayerMeta>>>({});
  /** Map view: kept here only to be written to the URL. */
  center = $state<[number, number] | null>(null);
  zoom = $state<number | null>(null);

  readonly filters: EventFilters = $derived({ types: this.types, subtypes: this.subtypes, hours: this.hours, weekdays: this.weekdays });

  apply(v: AnalysisView): void {
    this.mode = v.mode;
    if (v.range) this.range = v.range;
    this.types = v.types;
    this.subtypes = v.subtypes;
    this.hours = v.hours;
    this.weekdays = v.weekdays;
    this.compare = v.compare;
    for (const id of INCIDENT_LAYERS) {
      const o = v.layers[id];
      this.layers[id] = o === undefined ? { on: false, opacity: this.layers[id].opacity } : { on: true, opacity: o };
    }
    this.center = v.center;
    this.zoom = v.zoom;
  }

  view(): AnalysisView {
    return {
      mode: this.mode, center: this.center, zoom: this.zoom, range: this.range, types: this.types, subtypes: this.subtypes,
      hours: this.hours, weekdays: this.weekdays, compare: this.compare,
      layers: Object.fromEntries(INCIDENT_LAYERS.filter((id) => this.layers[id].on).map((id) => [id, this.layers[id].opacity])),
    };
  }

  static fromUrl(search = location.search): Analysis {
    const a = new Analysis();
    a.apply(decodeView(search));
    return a;
  }

  /**
   * Keeps the URL in step (replaceState: the back button is not flooded by every pan or toggle),
   * together with the layer panel's own layers from `layers`.
   */
  syncUrl(layers: () => LayerView): () => void {
    let timer: ReturnType<typeof setTimeout> | undefined;
    return $effect.root(() => {
      $effect(() => {
        const q = encodeView({ ...this.view(), ...layers() });
        clearTimeout(timer);
        timer = setTimeout(() => {
          const url = `${location.pathname}${q ? `?${q}` : ''}${location.hash}`;
          if (url !== `${location.pathname}${location.search}${location.hash}`) history.replaceState(history.state, '', url);
        }, 250);
      });
      return () => clearTimeout(timer);
    });
  }

  clearCell(): void {
    this.hours = null;
    this.weekdays = null;
  }
}
