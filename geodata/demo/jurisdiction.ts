import { featureCollection, intersect, multiPolygon, point, polygon, voronoi } from '@turf/turf';
import type { MultiPolygon, Polygon } from 'geojson';
import { URBAN_COMMUNITY_NAMES, VILLAGE_NAMES } from './names.ts';
import {
  bbox, boundaryDistance, dist, multiPolyArea, pointInMultiPoly, polar,
  type Frame, type MultiPoly, type Ring, type XY,
} from './plane.ts';
import type { Rng } from './random.ts';
import type { CommunityKind } from './types.ts';

/**
 * 院岭街道 and its tiling. The sub-district is a synthetic outline around the real seat of
 * government, cut to the real county. Communities are the Voronoi cells of seeded centres cut to
 * the sub-district, and grids the Voronoi cells of seeded centres cut to their community, so each
 * level tiles its parent without gaps or overlaps, and "which tile holds this point" is simply
 * "which centre is nearest", with a margin to keep generated points off the shared edges.
 */

export const SUBDISTRICT_CODE = '410481003';
export const SUBDISTRICT_NAME = '院岭街道';

export interface GridPlan {
  code: string;
  name: string;
  community: CommunityPlan;
  /** 1-based number within the community. */
  number: number;
  site: XY;
  geom: MultiPoly;
}

export interface CommunityPlan {
  index: number;
  code: string;
  name: string;
  shortName: string;
  kind: CommunityKind;
  site: XY;
  geom: MultiPoly;
  area: number;
  grids: GridPlan[];
}

export interface Jurisdiction {
  subdistrict: MultiPoly;
  communities: CommunityPlan[];
  grids: GridPlan[];
  /** The community holding p, or null when p is outside or within `margin` metres of a community edge. */
  communityAt(p: XY, margin: number): CommunityPlan | null;
  /** The grid holding p, or null when p is outside or within `margin` metres of a tile edge. */
  locate(p: XY, margin: number): GridPlan | null;
}

function toMultiPoly(geom: Polygon | MultiPolygon): MultiPoly {
  const polys = geom.type === 'Polygon' ? [geom.coordinates] : geom.coordinates;
  return polys.map((pg) => pg.map((ring) => ring.map((p) => [p[0]!, p[1]!] as XY)));
}

function clip(cell: Ring, within: MultiPoly): MultiPoly {
  const result = intersect(featureCollection<Polygon | MultiPolygon>([polygon([cell]), multiPolygon(within)]));
  if (!result) throw new Error('a Voronoi cell does not meet its parent polygon');
  return toMultiPoly(result.geometry);
}

/** Voronoi cells of `sites` cut to `parent`, in the order of `sites`. */
function voronoiTiles(sites: XY[], parent: MultiPoly): MultiPoly[] {
  const [x0, y0, x1, y1] = bbox(parent);
  const cells = voronoi(featureCollection(sites.map((s) => point(s))), { bbox: [x0 - 100, y0 - 100, x1 + 100, y1 + 100] });
  return cells.features.map((f, i) => {
    if (!f) throw new Error(`Voronoi site ${i} produced no cell`);
    return clip(f.geometry.coordinates[0] as Ring, parent);
  });
}

/** How far p is from the Voronoi edges of its nearest site: the index and the clearance. */
function nearest(p: XY, sites: XY[]): { index: number; clearance: number } {
  let best = 0;
  let bestD = Infinity;
  sites.forEach((s, i) => {
    const d = (p[0] - s[0]) ** 2 + (p[1] - s[1]) ** 2;
    if (d < bestD) [best, bestD] = [i, d];
  });
  const c = sites[best]!;
  let clearance = Infinity;
  sites.forEach((s, j) => {
    if (j === best) return;
    const d = (p[0] - s[0]) ** 2 + (p[1] - s[1]) ** 2;
    clearance = Math.min(clearance, (d - bestD) / (2 * dist(s, c)));
  });
  return { index: best, clearance };
}

function outline(rng: Rng, centre: XY, targetArea: number): Ring {
  const harmonics = [1, 2, 3, 4, 5].map((k) => ({ k, amp: rng.float(0.03, 0.11) / Math.sqrt(k), phase: rng.float(0, 2 * Math.PI) }));
  const n = 120;
  const radii = Array.from({ length: n }, (_, i) => {
    const t = (2 * Math.PI * i) / n;
    return 1 + harmonics.reduce((s, h) => s + h.amp * Math.cos(h.k * t + h.phase), 0);
  });
  // Area of the unit-radius shape, then scale the radii to reach the target area.
  let unitArea = 0;
  for (let i = 0; i < n; i++) unitArea += 0.5 * radii[i]! * radii[(i + 1) % n]! * Math.sin((2 * Math.PI) / n);
  const scale = Math.sqrt(targetArea / unitArea);
  const ring = radii.map((r, i) => polar(centre, r * scale, (2 * Math.PI * i) / n));
  ring.push(ring[0]!);
  return ring;
}

/** Seeded points inside `area`, kept apart, and at least `edge` metres from its boundary. */
function spreadSites(rng: Rng, area: MultiPoly, count: number, edge: number): XY[] {
  const [x0, y0, x1, y1] = bbox(area);
  let spacing = 0.75 * Math.sqrt(multiPolyArea(area) / count);
  const sites: XY[] = [];
  for (let attempt = 0; sites.length < count; attempt++) {
    if (attempt > 0 && attempt % 2000 === 0) spacing *= 0.85;
    const p: XY = [rng.float(x0, x1), rng.float(y0, y1)];
    if (!pointInMultiPoly(p, area) || boundaryDistance(p, area) < Math.min(edge, spacing / 3)) continue;
    if (sites.some((s) => dist(s, p) < spacing)) continue;
    sites.push(p);
  }
  return sites;
}

/** Distance from the origin to the sub-district boundary along a ray. */
function reach(area: MultiPoly, from: XY, angle: number): number {
  let r = 0;
  while (r < 20_000 && pointInMultiPoly(polar(from, r + 25, angle), area)) r += 25;
  return r;
}

export function planJurisdiction(rng: Rng, frame: Frame, county: MultiPolygon): Jurisdiction {
  const countyXY = frame.multiPolygonToXY(county);
  // The frame's origin is the seat of government, the heart of the urban core.
  const seat: XY = [0, 0];
  const centre = polar(seat, rng.float(150, 550), rng.float(0, 2 * Math.PI));
  const subdistrict = clip(outline(rng, centre, rng.float(25e6, 34e6)), countyXY);

  const urbanCount = rng.int(5, 6);
  const villageCount = 12 - urbanCount;
  const urbanRadius = rng.float(1350, 1600);
  const urbanSites: XY[] = [polar(seat, rng.float(0, 200), rng.float(0, 2 * Math.PI))];
  while (urbanSites.length < urbanCount) {
    const p = polar(seat, urbanRadius * 0.72 * Math.sqrt(rng.next()), rng.float(0, 2 * Math.PI));
    if (urbanSites.every((s) => dist(s, p) > 620)) urbanSites.push(p);
  }
  const villageSites: XY[] = [];
  const turn = rng.float(0, 2 * Math.PI);
  for (let i = 0; i < villageCount; i++) {
    const angle = turn + (2 * Math.PI * i) / villageCount + rng.float(-0.2, 0.2);
    const edge = reach(subdistrict, seat, angle);
    const inner = urbanRadius + 650;
    const outer = Math.max(inner, edge - 450);
    villageSites.push(polar(seat, Math.min(inner + (outer - inner) * rng.float(0.35, 0.7), edge - 250), angle));
  }

  const urbanNames = rng.sample(URBAN_COMMUNITY_NAMES, urbanCount);
  const villageNames = rng.sample(VILLAGE_NAMES, villageCount);
  const sites = [...urbanSites, ...villageSites];
  const tiles = voronoiTiles(sites, subdistrict);
  const communities: CommunityPlan[] = sites.map((site, i) => {
    const urban = i < urbanCount;
    const shortName = urban ? urbanNames[i]! : villageNames[i - urbanCount]!;
    const geom = tiles[i]!;
    return {
      index: i,
      // National statistical codes: residents' committees are 0xx, village committees 2xx.
      code: `${SUBDISTRICT_CODE}${urban ? String(i + 1).padStart(3, '0') : String(200 + i - urbanCount + 1)}`,
      name: `${shortName}${urban ? '社区' : '村'}`,
      shortName,
      kind: urban ? 'community' : 'village',
      site,
      geom,
      area: multiPolyArea(geom),
      grids: [],
    };
  });

  const grids: GridPlan[] = [];
  for (const c of communities) {
    const count = c.kind === 'community'
      ? rng.int(8, 11)
      : Math.max(3, Math.min(7, Math.round(c.area / 650_000) + rng.int(-1, 1)));
    const gridSites = spreadSites(rng, c.geom, count, 80);
    voronoiTiles(gridSites, c.geom).forEach((geom, k) => {
      const g: GridPlan = {
        code: `YL-${String(c.index + 1).padStart(2, '0')}-${String(k + 1).padStart(2, '0')}`,
        name: `${c.name}第${k + 1}网格`,
        community: c,
        number: k + 1,
        site: gridSites[k]!,
        geom,
      };
      c.grids.push(g);
      grids.push(g);
    });
  }

  function communityAt(p: XY, margin: number): CommunityPlan | null {
    if (!pointInMultiPoly(p, subdistrict) || boundaryDistance(p, subdistrict) < margin) return null;
    const c = nearest(p, sites);
    return c.clearance < margin ? null : communities[c.index]!;
  }
  const gridSites = communities.map((c) => c.grids.map((g) => g.site));
  function locate(p: XY, margin: number): GridPlan | null {
    const community = communityAt(p, margin);
    if (!community) return null;
    const g = nearest(p, gridSites[community.index]!);
    return g.clearance < margin ? null : community.grids[g.index]!;
  }

  return { subdistrict, communities, grids, communityAt, locate };
}
