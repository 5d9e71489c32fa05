import type { StyleSpecification } from 'maplibre-gl';

export interface BasemapOption {
  id: string;
  label: string;
  style: StyleSpecification;
}

/**
 * Built-in base maps need no network: a plain background colour. Police networks are air-gapped,
 * so there are no glyphs or sprites here either; labels are drawn by deck.gl from local fonts.
 */
function plain(color: string): StyleSpecification {
  return { version: 8, sources: {}, layers: [{ id: 'background', type: 'background', paint: { 'background-color': color } }] };
}

export function builtInBasemaps(labels: { none: string; dark: string; light: string }): BasemapOption[] {
  return [
    { id: 'dark', label: labels.dark, style: plain('#0b1220') },
    { id: 'light', label: labels.light, style: plain('#eef1f5') },
    { id: 'none', label: labels.none, style: plain('#000000') },
  ];
}
