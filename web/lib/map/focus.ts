import * as maplibregl from 'maplibre-gl';
import type { Map as MlMap, PaddingOptions } from 'maplibre-gl';

/** Room left for the panels around the map (layer panel left, cards right, header top). */
export const PANEL_PADDING: PaddingOptions = { top: 90, bottom: 60, left: 260, right: 420 };

export interface FocusTarget {
  lon: number;
  lat: number;
  /** [minLon, minLat, maxLon, maxLat] of an area; points have none. */
  bbox: [number, number, number, number] | null;
}

let marker: maplibregl.Marker | null = null;

/** Flies to an area (fitted between the panels) or a point (zoomed in, marked). */
export function focusOn(map: MlMap, target: FocusTarget, duration = 800): void {
  marker?.remove();
  marker = null;
  const fits = map.getContainer().clientWidth > PANEL_PADDING.left! + PANEL_PADDING.right! + 100;
  const padding = fits ? PANEL_PADDING : 20;
  if (target.bbox) {
    const [a, b, c, d] = target.bbox;
    map.fitBounds([[a, b], [c, d]], { padding, maxZoom: 17, duration });
    return;
  }
  // A point: its own marker, drawn by MapLibre as inline SVG (no image or glyph requests).
  marker = new maplibregl.Marker({ color: '#ffd166' }).setLngLat([target.lon, target.lat]).addTo(map);
  map.flyTo({ center: [target.lon, target.lat], zoom: Math.max(map.getZoom(), 17), padding, duration });
}

export function clearFocusMarker(): void {
  marker?.remove();
  marker = null;
}
