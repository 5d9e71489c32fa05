/** Colours and classes of the incident layers, shared by the map and the legends. */
export type Rgba = [number, number, number, number];

/** Gi* class −3..3 (cold/hot at 99/95/90 % after FDR): a diverging blue–red palette, 0 transparent. */
export const GISTAR_CLASSES: { cls: number; color: Rgba }[] = [
  { cls: 3, color: [178, 24, 43, 230] },
  { cls: 2, color: [239, 138, 98, 220] },
  { cls: 1, color: [253, 219, 199, 200] },
  { cls: 0, color: [0, 0, 0, 0] },
  { cls: -1, color: [209, 229, 240, 200] },
  { cls: -2, color: [103, 169, 207, 220] },
  { cls: -3, color: [33, 102, 172, 230] },
];

export function gistarColor(cls: number): Rgba {
  return GISTAR_CLASSES.find((c) => c.cls === cls)?.color ?? [0, 0, 0, 0];
}

/** Sequential yellow–red ramp of the hex counts, six classes. */
export const HEX_RAMP: Rgba[] = [
  [255, 255, 178, 200], [254, 217, 118, 210], [254, 178, 76, 215], [253, 141, 60, 220], [240, 59, 32, 225], [189, 0, 38, 230],
];

/**
 * Upper bounds of the hex classes for a maximum count: equal steps on a square-root scale (counts
 * are skewed), rounded up to integers and strictly increasing. A count n falls in the first class
 * whose bound is ≥ n.
 */
export function hexBreaks(max: number, classes = HEX_RAMP.length): number[] {
  const out: number[] = [];
  for (let i = 1; i <= classes; i++) {
    const b = Math.max(Math.ceil(max * (i / classes) ** 2), (out[out.length - 1] ?? 0) + 1);
    out.push(b);
  }
  return out;
}

export function hexClass(n: number, breaks: number[]): number {
  const i = breaks.findIndex((b) => n <= b);
  return i < 0 ? breaks.length - 1 : i;
}

/** Period-compare difference: red = more in A than in B, blue = fewer, in five symmetric classes. */
export const DIFF_CLASSES: { id: string; color: Rgba }[] = [
  { id: 'up2', color: [202, 0, 32, 230] },
  { id: 'up1', color: [244, 165, 130, 210] },
  { id: 'same', color: [200, 200, 200, 90] },
  { id: 'down1', color: [146, 197, 222, 210] },
  { id: 'down2', color: [5, 113, 176, 230] },
];

/** Class of a difference against the largest absolute difference in view: beyond half of it is strong. */
export function diffClass(diff: number, maxAbs: number): string {
  if (diff === 0 || maxAbs === 0) return 'same';
  const strong = Math.abs(diff) > maxAbs / 2;
  return diff > 0 ? (strong ? 'up2' : 'up1') : strong ? 'down2' : 'down1';
}

export function diffColor(diff: number, maxAbs: number): Rgba {
  const id = diffClass(diff, maxAbs);
  return DIFF_CLASSES.find((c) => c.id === id)!.color;
}

/** Emerging-hotspot patterns (api/analytics/emerging.ts), hot ones reds, cold ones blues. */
export const EMERGING_PATTERNS = ['new', 'consecutive', 'intensifying', 'persistent', 'diminishing', 'sporadic', 'oscillating', 'historical'] as const;
const HOT: Rgba[] = [[128, 0, 38, 235], [189, 0, 38, 230], [227, 26, 28, 230], [252, 78, 42, 225], [253, 141, 60, 220], [254, 178, 76, 215], [254, 217, 118, 210], [255, 237, 160, 200]];
const COLD: Rgba[] = [[8, 48, 107, 235], [8, 81, 156, 230], [33, 113, 181, 230], [66, 146, 198, 225], [107, 174, 214, 220], [158, 202, 225, 215], [198, 219, 239, 210], [222, 235, 247, 200]];

export function emergingColor(pattern: string, spot: 'hot' | 'cold' | null): Rgba {
  const i = (EMERGING_PATTERNS as readonly string[]).indexOf(pattern);
  if (i < 0 || !spot) return [0, 0, 0, 0];
  return (spot === 'hot' ? HOT : COLD)[i]!;
}

/** Event types on the point layer. */
export const TYPE_COLORS: Record<string, string> = {
  public_security: '#ff5d5d', dispute: '#faad14', hazard: '#ff7a45', service_request: '#3ea6ff', support_request: '#b37feb',
};

export const rgbaCss = (c: Rgba): string => `rgba(${c[0]}, ${c[1]}, ${c[2]}, ${(c[3] / 255).toFixed(2)})`;
