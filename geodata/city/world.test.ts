import { describe, expect, it } from 'vitest';
import { Rng } from '../demo/random.ts';
import { copyLine } from './copy.ts';
import { CityGeometry, GRID_SIZE_M, PopulationSurface, cityPlan, hotspotIntensity, makeHotspots, type Hotspot } from './world.ts';

describe('city plan', () => {
  it('scales every table and keeps the grid lattice square', () => {
    const full = cityPlan(1, 42, '2025-06-30');
    expect([full.side, full.grids, full.addresses, full.events, full.visits, full.fixes]).toEqual([71, 5041, 2_000_000, 500_000, 3_000_000, 20_000_000]);
    const small = cityPlan(0.01, 42, '2025-06-30');
    expect([small.side, small.addresses, small.events]).toEqual([7, 20_000, 5_000]);
    expect(() => cityPlan(0, 42, '2025-06-30')).toThrow(/scale must be in/);
    expect(() => cityPlan(1, 1.5, '2025-06-30')).toThrow(/seed must be an integer/);
    expect(() => cityPlan(1, 42, '30/06/2025')).toThrow(/YYYY-MM-DD/);
  });
});

describe('city geometry', () => {
  it.each([[7, 7], [22, 22], [71, 71]])('communities (and sub-districts) partition %i × %i grids into rectangles', (side) => {
    const geo = new CityGeometry(side);
    const seen = new Array<number>(side * side).fill(-1);
    for (let c = 0; c < geo.communities; c++) {
      const [gx0, gy0, gx1, gy1] = geo.communitySpan(c);
      for (let gy = gy0; gy < gy1; gy++) for (let gx = gx0; gx < gx1; gx++) {
        const g = gy * side + gx;
        expect(seen[g]).toBe(-1);
        seen[g] = c;
        expect(geo.communityOfGrid(g)).toBe(c);
      }
    }
    expect(seen.every((c) => c >= 0)).toBe(true);
    let area = 0;
    for (let s = 0; s < geo.subdistricts; s++) {
      const [gx0, gy0, gx1, gy1] = geo.subdistrictSpan(s);
      area += (gx1 - gx0) * (gy1 - gy0);
    }
    expect(area).toBe(side * side);
  });

  it('neighbouring tiles share their corner coordinates exactly, so the tiling has no slivers', () => {
    const geo = new CityGeometry(9);
    const a = geo.rectangleWkt(2, 3, 3, 4);
    const b = geo.rectangleWkt(3, 3, 4, 4);
    const corners = (wkt: string) => wkt.slice(wkt.indexOf('(((') + 3, -3).split(',');
    expect(corners(a)[1]).toBe(corners(b)[0]);
    expect(corners(a)[2]).toBe(corners(b)[3]);
  });

  it('finds the grid of a point and keeps sampled addresses inside the square', () => {
    const geo = new CityGeometry(10);
    expect(geo.gridIndexOf([-geo.half + 0.5 * GRID_SIZE_M, -geo.half + 1.5 * GRID_SIZE_M])).toBe(10);
    expect(geo.gridIndexOf([geo.half + 1, 0])).toBe(-1);
    const surface = new PopulationSurface(geo, 1);
    const rng = new Rng(1, 'test');
    for (let i = 0; i < 2000; i++) expect(geo.gridIndexOf(surface.sample(rng))).toBeGreaterThanOrEqual(0);
  });
});

describe('hotspot profiles', () => {
  const base: Hotspot = { at: [0, 0], sigma: 100, weight: 1, kind: 'persistent', type: 'dispute', weeks: Array(53).fill(false) };

  it('behave as their names say over the last 12 weeks', () => {
    const at = (kind: Hotspot['kind'], day: number) => hotspotIntensity({ ...base, kind }, day);
    expect(at('intensifying', 364)).toBeGreaterThan(at('intensifying', 300));
    expect(at('diminishing', 364)).toBeLessThan(at('diminishing', 300));
    expect([at('new', 300), at('new', 340)]).toEqual([0, 1]);
    expect(at('persistent', 10)).toBe(1);
  });

  it('are deterministic for a seed', () => {
    const geo = new CityGeometry(20);
    const a = makeHotspots(new PopulationSurface(geo, 5), 0.1, 5);
    const b = makeHotspots(new PopulationSurface(geo, 5), 0.1, 5);
    expect(a).toEqual(b);
    expect(a).toHaveLength(40);
  });
});

describe('COPY text format', () => {
  it('escapes the characters COPY treats specially and writes NULL as \\N', () => {
    expect(copyLine(['a\tb', 'c\\d', 'e\nf', null, 1.5, true])).toBe('a\\tb\tc\\\\d\te\\nf\t\\N\t1.5\tt\n');
    expect(() => copyLine([Number.NaN])).toThrow(/non-finite/);
  });
});
