import { Frame, type XY } from '../demo/plane.ts';
import { Rng } from '../demo/random.ts';

/**
 * The shape of the synthetic city (the "city" preset): a square of grids around Pingdingshan,
 * grouped into communities and sub-districts, with a population surface (a main city, four towns
 * and villages) that places addresses, and event hotspots with known temporal behaviour. Pure and
 * deterministic: the same seed and scale give the same city.
 */

export const CENTRE: [number, number] = [113.2, 33.75];
/** Side of a grid in metres: 71 × 71 grids of 845 m cover ~60 km × 60 km at scale 1. */
export const GRID_SIZE_M = 845;
/** A community is a block of 4 × 5 grids, a sub-district a block of 3 × 3 communities. */
export const COMMUNITY_GRIDS: [number, number] = [4, 5];
export const SUBDISTRICT_COMMUNITIES: [number, number] = [3, 3];

export interface CityPlan {
  scale: number;
  seed: number;
  /** Last local day (Asia/Shanghai) of the generated history. */
  end: string;
  side: number;
  grids: number;
  addresses: number;
  events: number;
  visits: number;
  fixes: number;
  /** Days of GPS history (the most recent ones). */
  fixDays: number;
}

export const FULL = { grids: 5000, addresses: 2_000_000, events: 500_000, visits: 3_000_000, fixes: 20_000_000 };

export function cityPlan(scale: number, seed: number, end: string): CityPlan {
  if (!(scale > 0 && scale <= 2)) throw new Error(`scale must be in (0, 2], got ${scale}`);
  if (!Number.isInteger(seed)) throw new Error(`seed must be an integer, got ${seed}`);
  if (!/^\d{4}-\d{2}-\d{2}$/.test(end)) throw new Error(`end must be YYYY-MM-DD, got ${end}`);
  const side = Math.max(2, Math.round(Math.sqrt(FULL.grids * scale)));
  return {
    scale,
    seed,
    end,
    side,
    grids: side * side,
    addresses: Math.round(FULL.addresses * scale),
    events: Math.round(FULL.events * scale),
    visits: Math.round(FULL.visits * scale),
    fixes: Math.round(FULL.fixes * scale),
    fixDays: 30,
  };
}

/** Metres ↔ lon/lat around the centre; the square spans [-half, half] in both axes. */
export class CityGeometry {
  readonly frame = new Frame(CENTRE[0], CENTRE[1]);
  readonly half: number;
  readonly communitiesX: number;
  readonly communitiesY: number;

  constructor(readonly side: number) {
    this.half = (side * GRID_SIZE_M) / 2;
    this.communitiesX = Math.max(1, Math.floor(side / COMMUNITY_GRIDS[0]));
    this.communitiesY = Math.max(1, Math.floor(side / COMMUNITY_GRIDS[1]));
  }

  /** Grid column/row of a point in metres, or -1 outside the square. */
  gridIndexOf(p: XY): number {
    const gx = Math.floor((p[0] + this.half) / GRID_SIZE_M);
    const gy = Math.floor((p[1] + this.half) / GRID_SIZE_M);
    if (gx < 0 || gy < 0 || gx >= this.side || gy >= this.side) return -1;
    return gy * this.side + gx;
  }

  inside(p: XY): boolean {
    return Math.abs(p[0]) < this.half && Math.abs(p[1]) < this.half;
  }

  /** Grid index → community index: blocks of 4 × 5, the leftover rows and columns join the last block. */
  communityOfGrid(g: number): number {
    const gx = g % this.side;
    const gy = Math.floor(g / this.side);
    const cx = Math.min(this.communitiesX - 1, Math.floor(gx / COMMUNITY_GRIDS[0]));
    const cy = Math.min(this.communitiesY - 1, Math.floor(gy / COMMUNITY_GRIDS[1]));
    return cy * this.communitiesX + cx;
  }

  get communities(): number {
    return this.communitiesX * this.communitiesY;
  }

  /** Community column/row span in grid units: [gx0, gy0, gx1, gy1) . */
  communitySpan(c: number): [number, number, number, number] {
    const cx = c % this.communitiesX;
    const cy = Math.floor(c / this.communitiesX);
    const gx0 = cx * COMMUNITY_GRIDS[0];
    const gy0 = cy * COMMUNITY_GRIDS[1];
    const gx1 = cx === this.communitiesX - 1 ? this.side : gx0 + COMMUNITY_GRIDS[0];
    const gy1 = cy === this.communitiesY - 1 ? this.side : gy0 + COMMUNITY_GRIDS[1];
    return [gx0, gy0, gx1, gy1];
  }

  get subdistrictsX(): number {
    return Math.ceil(this.communitiesX / SUBDISTRICT_COMMUNITIES[0]);
  }

  get subdistricts(): number {
    return this.subdistrictsX * Math.ceil(this.communitiesY / SUBDISTRICT_COMMUNITIES[1]);
  }

  subdistrictOfCommunity(c: number): number {
    const cx = c % this.communitiesX;
    const cy = Math.floor(c / this.communitiesX);
    return Math.floor(cy / SUBDISTRICT_COMMUNITIES[1]) * this.subdistrictsX + Math.floor(cx / SUBDISTRICT_COMMUNITIES[0]);
  }

  /** Centre (metres) of a grid-lattice span. */
  spanCentre([gx0, gy0, gx1, gy1]: readonly [number, number, number, number]): XY {
    return [((gx0 + gx1) / 2) * GRID_SIZE_M - this.half, ((gy0 + gy1) / 2) * GRID_SIZE_M - this.half];
  }

  /** Corner of the grid lattice (metres) → lon/lat. Shared corners give identical coordinates, so tiles meet exactly. */
  corner(gx: number, gy: number): [number, number] {
    return this.frame.toLonLat([gx * GRID_SIZE_M - this.half, gy * GRID_SIZE_M - this.half]);
  }

  /** Rectangle of grid-lattice cells [gx0, gx1) × [gy0, gy1) as EWKT. */
  rectangleWkt(gx0: number, gy0: number, gx1: number, gy1: number): string {
    const ring = [this.corner(gx0, gy0), this.corner(gx1, gy0), this.corner(gx1, gy1), this.corner(gx0, gy1), this.corner(gx0, gy0)];
    return `SRID=4326;MULTIPOLYGON(((${ring.map(([x, y]) => `${x} ${y}`).join(',')})))`;
  }

  /** Grid-lattice span [gx0, gy0, gx1, gy1) of sub-district s: the union of its communities. */
  subdistrictSpan(s: number): [number, number, number, number] {
    const sx = s % this.subdistrictsX;
    const sy = Math.floor(s / this.subdistrictsX);
    const c0 = sy * SUBDISTRICT_COMMUNITIES[1] * this.communitiesX + sx * SUBDISTRICT_COMMUNITIES[0];
    const cx1 = Math.min(this.communitiesX, (sx + 1) * SUBDISTRICT_COMMUNITIES[0]) - 1;
    const cy1 = Math.min(this.communitiesY, (sy + 1) * SUBDISTRICT_COMMUNITIES[1]) - 1;
    const first = this.communitySpan(c0);
    const last = this.communitySpan(cy1 * this.communitiesX + cx1);
    return [first[0], first[1], last[2], last[3]];
  }
}

/** Settlements as fractions of the square's width: a main city and four towns; villages are random. */
const TOWNS: { at: [number, number]; radius: number; weight: number }[] = [
  { at: [0.62, 0.48], radius: 0.07, weight: 0.45 },
  { at: [0.25, 0.7], radius: 0.035, weight: 0.15 },
  { at: [0.45, 0.86], radius: 0.03, weight: 0.14 },
  { at: [0.62, 0.2], radius: 0.03, weight: 0.13 },
  { at: [0.18, 0.28], radius: 0.03, weight: 0.13 },
];
const URBAN_SHARE = 0.65;

/** Samples points from the population surface: most near towns (exponential fall-off), the rest around villages. */
export class PopulationSurface {
  private readonly villages: XY[];
  private readonly width: number;

  constructor(private readonly geometry: CityGeometry, seed: number) {
    const rng = new Rng(seed, 'villages');
    this.width = 2 * geometry.half;
    const n = Math.max(3, Math.round(geometry.side * geometry.side * 0.12));
    this.villages = Array.from({ length: n }, () => [rng.float(-geometry.half, geometry.half), rng.float(-geometry.half, geometry.half)] as XY);
  }

  /** Within two characteristic radii of a town: urban communities (社区) rather than villages (村). */
  isUrban(p: XY): boolean {
    return TOWNS.some((t) => Math.hypot(p[0] - (t.at[0] - 0.5) * this.width, p[1] - (t.at[1] - 0.5) * this.width) < 2 * t.radius * this.width);
  }

  sample(rng: Rng): XY {
    for (;;) {
      let p: XY;
      if (rng.chance(URBAN_SHARE)) {
        const town = TOWNS[rng.weightedIndex(TOWNS.map((t) => t.weight))]!;
        const r = -Math.log(1 - rng.next()) * town.radius * this.width;
        const a = rng.float(0, 2 * Math.PI);
        p = [(town.at[0] - 0.5) * this.width + r * Math.cos(a), (town.at[1] - 0.5) * this.width + r * Math.sin(a)];
      } else {
        const v = rng.pick(this.villages);
        p = [v[0] + rng.normal() * 250, v[1] + rng.normal() * 250];
      }
      if (this.geometry.inside(p)) return p;
    }
  }
}

export type HotspotKind = 'persistent' | 'intensifying' | 'diminishing' | 'new' | 'sporadic';
export type EventType = 'public_security' | 'dispute' | 'hazard' | 'service_request' | 'support_request';

export interface Hotspot {
  at: XY;
  sigma: number;
  weight: number;
  kind: HotspotKind;
  type: EventType;
  /** For sporadic hotspots: which weeks (counted back from the end) are active. */
  weeks: boolean[];
}

export const YEAR_DAYS = 365;

export function makeHotspots(surface: PopulationSurface, scale: number, seed: number): Hotspot[] {
  const rng = new Rng(seed, 'hotspots');
  const n = Math.max(8, Math.round(400 * scale));
  const kinds: [HotspotKind, number][] = [['persistent', 0.45], ['intensifying', 0.15], ['diminishing', 0.15], ['new', 0.1], ['sporadic', 0.15]];
  const types: [EventType, number][] = [['public_security', 0.45], ['dispute', 0.25], ['hazard', 0.15], ['service_request', 0.1], ['support_request', 0.05]];
  return Array.from({ length: n }, () => ({
    at: surface.sample(rng),
    sigma: rng.float(80, 300),
    weight: rng.logNormal(1, 0.6),
    kind: rng.weighted(kinds),
    type: rng.weighted(types),
    weeks: Array.from({ length: 53 }, () => rng.chance(0.35)),
  }));
}

/** Relative intensity (0..1) of a hotspot on day d of the year (0 = oldest, 364 = the end day). */
export function hotspotIntensity(h: Hotspot, day: number): number {
  const fromEnd = YEAR_DAYS - 1 - day;
  switch (h.kind) {
    case 'persistent':
      return 1;
    case 'intensifying':
      // Flat, then a ramp over the last 12 weeks: visible to an 8-week emerging analysis.
      return fromEnd >= 84 ? 0.25 : 0.25 + 0.75 * (1 - fromEnd / 84);
    case 'diminishing':
      return fromEnd >= 84 ? 1 : 0.25 + 0.75 * (fromEnd / 84);
    case 'new':
      return fromEnd < 42 ? 1 : 0;
    case 'sporadic':
      return h.weeks[Math.floor(fromEnd / 7)] ? 1 : 0;
  }
}

/** Local hour-of-day weights by event type (index = hour). */
export const HOUR_WEIGHTS: Record<EventType, number[]> = {
  public_security: [5, 4, 3, 2, 1, 1, 1, 2, 3, 3, 3, 3, 3, 3, 3, 3, 4, 5, 6, 7, 8, 8, 7, 6],
  dispute: [1, 1, 0.5, 0.5, 0.5, 0.5, 1, 2, 3, 4, 4, 4, 4, 4, 4, 4, 5, 6, 7, 7, 6, 4, 3, 2],
  hazard: [1, 1, 1, 1, 1, 1, 2, 3, 4, 5, 5, 5, 5, 5, 5, 5, 5, 4, 3, 2, 2, 1, 1, 1],
  service_request: [0.3, 0.2, 0.2, 0.2, 0.2, 0.5, 1, 3, 6, 8, 8, 7, 5, 6, 7, 7, 6, 5, 3, 2, 1, 1, 0.5, 0.3],
  support_request: [4, 3, 2, 1, 1, 1, 1, 2, 3, 3, 3, 3, 3, 3, 3, 3, 4, 5, 6, 7, 7, 7, 6, 5],
};

export const SUBTYPES: Record<EventType, readonly (string | null)[]> = {
  public_security: ['theft', 'fraud', 'fight', 'disorder', 'other', null],
  dispute: ['marriage', 'economic', 'land', 'neighbour', 'labour', 'other'],
  hazard: ['fire', 'traffic', 'building', 'gathering', 'security_lead', 'other'],
  service_request: [null, 'other'],
  support_request: [null],
};
