// Colours of the operational layers, shared by the map layers and their legends.
export type Rgba = [number, number, number, number];

export const VISIT_FILL: Record<'yes' | 'no' | 'none', Rgba> = { yes: [82, 196, 26, 230], no: [255, 77, 79, 230], none: [140, 150, 170, 200] };
/** Ring: joint (white), not joint on a key/attention address (orange), not required (none). */
export const VISIT_RING: Record<'yes' | 'no' | 'none', Rgba> = { yes: [255, 255, 255, 255], no: [250, 140, 22, 255], none: [0, 0, 0, 0] };

export const ADDRESS_COLOURS: Record<string, Rgba> = { key: [255, 77, 79, 240], attention: [250, 173, 20, 240], general: [120, 170, 230, 200] };

/** Persons of concern by control level: 1 (highest) red, 2 orange, 3 yellow. */
export const PERSON_LEVEL_COLOURS: Record<number, Rgba> = { 1: [245, 34, 45, 240], 2: [250, 140, 22, 240], 3: [250, 219, 20, 240] };

export const rgba = (c: Rgba): string => `rgba(${c[0]}, ${c[1]}, ${c[2]}, ${(c[3] / 255).toFixed(2)})`;
