import { getContext, setContext } from 'svelte';
import type { Map as MlMap, StyleSpecification } from 'maplibre-gl';
import type { Layer } from '@deck.gl/core';
import type { MapboxOverlay } from '@deck.gl/mapbox';

const KEY = Symbol('map-controller');

/**
 * Owns the map and the order-independent life of its layers. A basemap switch (setStyle) drops
 * every source and layer; each layer component registers an installer that is re-run after every
 * style load, so layers survive the switch without knowing it happened.
 */
export class MapController {
  private readonly installers = new Map<string, () => void>();
  private readonly stateAppliers = new Map<string, () => void>();
  private readonly deckLayers = new Map<string, Layer>();
  private readonly deckZ = new Map<string, number>();
  private styleReady = false;

  constructor(readonly map: MlMap, private readonly overlay: MapboxOverlay) {
    map.on('style.load', () => {
      this.styleReady = true;
      for (const install of this.installers.values()) install();
      for (const apply of this.stateAppliers.values()) apply();
    });
    if (map.isStyleLoaded()) this.styleReady = true;
  }

  /** Runs `install` now if the style is ready and after every later style load; returns the unregister function. */
  register(id: string, install: () => void, uninstall: () => void): () => void {
    this.installers.set(id, install);
    if (this.styleReady) install();
    return () => {
      this.installers.delete(id);
      if (this.map.style && this.styleReady) uninstall();
    };
  }

  /**
   * Like `register`, for what lives on top of installed sources and layers (feature state, paint
   * overrides): `apply` runs after every installer, now if the style is ready and after every later
   * style load, since a style reload drops sources together with their feature state.
   */
  registerState(id: string, apply: () => void): () => void {
    this.stateAppliers.set(id, apply);
    if (this.styleReady) apply();
    return () => {
      this.stateAppliers.delete(id);
    };
  }

  get ready(): boolean {
    return this.styleReady;
  }

  setBasemap(style: StyleSpecification): void {
    this.styleReady = false;
    this.map.setStyle(style, { diff: false });
  }

  /**
   * deck.gl layers are keyed by stable id; giving a new layer instance with the same id updates in
   * place. Lower `z` draws first (under labels and points, whose z is 0), whatever the order in
   * which layers are switched on.
   */
  setDeckLayer(id: string, layer: Layer | null, z = 0): void {
    if (layer) this.deckLayers.set(id, layer);
    else this.deckLayers.delete(id);
    this.deckZ.set(id, z);
    const order = [...this.deckLayers.entries()].sort((a, b) => (this.deckZ.get(a[0]) ?? 0) - (this.deckZ.get(b[0]) ?? 0));
    this.overlay.setProps({ layers: order.map(([, l]) => l) });
  }

  /** The deck.gl layer and row under a pixel of the map, if any (click handlers, tests). */
  pick(x: number, y: number, layerIds?: string[]): { layer: string; index: number } | null {
    const info = this.overlay.pickObject({ x, y, radius: 2, ...(layerIds ? { layerIds } : {}) });
    return info?.layer ? { layer: info.layer.id, index: info.index } : null;
  }

  /** The deck.gl layer with this id, as last given (for tests and tools). */
  deckLayer(id: string): Layer | undefined {
    return this.deckLayers.get(id);
  }
}

/**
 * Context is set while <MapView> initialises, before the map exists; layer components render only
 * after it does, so they read the controller through this getter.
 */
export function provideMap(current: () => MapController | null): void {
  setContext(KEY, current);
}

export function useMap(): MapController {
  const current = getContext<(() => MapController | null) | undefined>(KEY);
  const c = current?.();
  if (!c) throw new Error('useMap() must be called inside <MapView> once the map exists');
  return c;
}
