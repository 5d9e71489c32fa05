import type { Map as MlMap } from 'maplibre-gl';
import type { Bbox } from '../analysis/heat-api.ts';

/** What the viewport-following layers load for: the visible bbox and the zoom. */
export interface View { bbox: Bbox; zoom: number }

/** Panning fires moveend per gesture and per key press: layers reload once it settles. */
export const VIEW_SETTLE_MS = 300;

export function viewOf(map: MlMap): View {
  const b = map.getBounds();
  return { bbox: [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()], zoom: map.getZoom() };
}

/**
 * The map's viewport as reactive state, updated when a move has settled. Layers that load per
 * viewport (the incident and the operational layers) share this rather than each timing moveend.
 */
export class Viewport {
  view = $state.raw<View>() as View;

  constructor(private readonly map: MlMap, private readonly onsettle?: (view: View) => void) {
    this.view = viewOf(map);
  }

  /** Follows the map's moves; returns the clean-up (call from an $effect). */
  listen(): () => void {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const onMove = () => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        this.view = viewOf(this.map);
        this.onsettle?.(this.view);
      }, VIEW_SETTLE_MS);
    };
    this.map.on('moveend', onMove);
    return () => {
      clearTimeout(timer);
      this.map.off('moveend', onMove);
    };
  }
}
