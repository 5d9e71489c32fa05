import { booleanIntersects, lineString, pointToLineDistance, point, bboxPolygon, polygonToLine } from '@turf/turf';
import { cellToParent, getResolution, latLngToCell } from 'h3-js';
import { describe, expect, it } from 'vitest';
import { segmentBoxDistanceM, cellFromDb, cellToDb, coverageCell, segmentCells, sphereDistanceM } from './h3.ts';

describe('H3 helpers', () => {
  it('stores cells as bigint decimal strings and back', () => {
    const c = latLngToCell(33.28, 113.5, 10);
    expect(cellToDb(c)).toBe(BigInt(`0x${c}`).toString());
    expect(cellFromDb(cellToDb(c))).toBe(c);
    expect(coverageCell(c, 33.28, 113.5, 9)).toBe(cellToParent(c, 9));
    expect(getResolution(coverageCell(c, 33.28, 113.5, 11))).toBe(11);
  });

  it('a segment covers the grid path between its end cells, a point-like one its own cell', () => {
    const a = latLngToCell(33.28, 113.5, 10);
    const b = latLngToCell(33.28, 113.505, 10);
    const path = segmentCells(a, b, 33.28, 113.5, 33.28, 113.505, 10);
    expect(path[0]).toBe(a);
    expect(path[path.length - 1]).toBe(b);
    expect(path.length).toBeGreaterThan(2);
    expect(segmentCells(a, a, 33.28, 113.5, 33.28, 113.5, 10)).toEqual([a]);
    expect(sphereDistanceM(33.28, 113.5, 33.28, 113.505)).toBeCloseTo(465.1, 0);
  });

  it('segment-to-box distance agrees with turf (a sphere) within 1 m up to 100 m', () => {
    let seed = 3;
    const rnd = () => ((seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648) / 2_147_483_648);
    for (let i = 0; i < 300; i++) {
      const lat0 = 33.28 + rnd() * 0.002;
      const lon0 = 113.5 + rnd() * 0.002;
      const lat1 = lat0 + (rnd() - 0.5) * 0.002;
      const lon1 = lon0 + (rnd() - 0.5) * 0.002;
      const minLon = 113.5 + rnd() * 0.002;
      const minLat = 33.28 + rnd() * 0.002;
      const box = i % 3 === 0
        ? { minLon, minLat, maxLon: minLon, maxLat: minLat }
        : { minLon, minLat, maxLon: minLon + rnd() * 0.0005, maxLat: minLat + rnd() * 0.0005 };
      const line = lineString([[lon0, lat0], [lon1, lat1]]);
      const poly = bboxPolygon([box.minLon, box.minLat, box.maxLon, box.maxLat]);
      const corners = poly.geometry.coordinates[0]!;
      const ring = polygonToLine(poly);
      const reference = box.minLon === box.maxLon
        ? pointToLineDistance(point([box.minLon, box.minLat]), line, { units: 'meters' })
        : booleanIntersects(line, poly) ? 0
          : Math.min(...corners.map((c) => pointToLineDistance(point(c), line, { units: 'meters' })),
            pointToLineDistance(point([lon0, lat0]), ring as never, { units: 'meters' }), pointToLineDistance(point([lon1, lat1]), ring as never, { units: 'meters' }));
      const d = segmentBoxDistanceM(lat0, lon0, lat1, lon1, box);
      if (reference < 100) expect(Math.abs(d - reference)).toBeLessThan(1);
    }
  });
});
