import { cellToParent, getResolution, latLngToCell } from 'h3-js';
import { describe, expect, it } from 'vitest';
import { cellFromDb, cellToDb, coverageCell, segmentCells, sphereDistanceM } from './h3.ts';

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
});
