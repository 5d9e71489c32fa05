import type { LayerSpecification } from 'maplibre-gl';

type SourcedLayer = Exclude<LayerSpecification, { type: 'background' | 'raster' | 'hillshade' | 'color-relief' }>;

/** A MapLibre style layer without its source; the owning source component supplies it. */
export type SourceLayer = SourcedLayer extends infer L ? (L extends SourcedLayer ? Omit<L, 'source'> : never) : never;

export interface MapLabel {
  position: [number, number];
  text: string;
}

export interface EventPoint {
  id: number;
  lon: number;
  lat: number;
  severity: number;
  state: string;
  /** Arrived on the live feed recently: drawn larger. */
  fresh: boolean;
}

/** An H3 cell with a count (and a Gi* class for hot spots). */
export interface HexCell {
  cell: string;
  n: number;
  class?: number;
}
