/** One patrol device at its latest fix (GET /api/patrol/positions). */
export interface PatrolPosition {
  device_id: number;
  code: string;
  kind: string;
  lon: number;
  lat: number;
  fixed_at: string;
  age_s: number;
  grid_id: number | null;
}

type Rgba = [number, number, number, number];

/** Colour by the fix's age: ≤ 2 min green, ≤ 5 min amber, older fading grey-blue. */
export function patrolColor(ageS: number): Rgba {
  if (ageS <= 120) return [0, 230, 118, 255];
  if (ageS <= 300) return [255, 209, 102, 240];
  return [142, 160, 189, Math.max(90, Math.round(220 - (ageS - 300) / 6))];
}

