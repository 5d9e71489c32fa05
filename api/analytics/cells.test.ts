import { cellToBoundary, latLngToCell } from 'h3-js';
import { describe, expect, it } from 'vitest';
import { cellsInBbox, cellsInGeometry, estimateCellCount, hexToBigint, padForCells, type Bbox } from './cells.ts';

describe('H3 index conversions', () => {
  it('round-trips hex and bigint, and refuses anything else', () => {
    const cell = latLngToCell(33.75, 113.2, 11);
    expect(hexToBigint(cell).toString(16)).toBe(cell);
    // Bit 63 is reserved 0, so every cell fits a signed bigint column.
    expect(hexToBigint(cell) < 2n ** 63n).toBe(true);
    expect(() => hexToBigint('8b40864110')).toThrow(/15-digit/);
    expect(() => hexToBigint(cell.toUpperCase())).toThrow(/lowercase/);
  });
});

describe('study areas', () => {
  const bbox: Bbox = [113.18, 33.73, 113.26, 33.79];

  it('estimates the number of cells in a bbox within 25 % here (H3 cell areas vary with location; enough to refuse a huge area before polyfilling it)', () => {
    const large: Bbox = [112.9, 33.5, 113.5, 34.0];
    for (const [box, res] of [[large, 7], [large, 8], [bbox, 9], [bbox, 10]] as const) {
      const actual = cellsInBbox(box, res).length;
      expect(Math.abs(estimateCellCount(box, res) / actual - 1), `res ${res}`).toBeLessThan(0.25);
    }
  });

  it('a polygon with a hole loses the hole\'s cells', () => {
    const outer = [[113.18, 33.73], [113.26, 33.73], [113.26, 33.79], [113.18, 33.79], [113.18, 33.73]];
    const hole = [[113.2, 33.75], [113.2, 33.77], [113.24, 33.77], [113.24, 33.75], [113.2, 33.75]];
    const full = cellsInGeometry({ type: 'Polygon', coordinates: [outer] }, 9);
    const holed = cellsInGeometry({ type: 'MultiPolygon', coordinates: [[outer, hole]] }, 9);
    expect(full.length).toBe(cellsInBbox(bbox, 9).length);
    expect(holed.length).toBeLessThan(full.length * 0.85);
    expect(new Set(full)).toEqual(new Set([...holed, ...cellsInBbox([113.2, 33.75, 113.24, 33.77], 9)]));
  });

  it('the padded bbox contains every vertex of every cell centred in the area', () => {
    for (const res of [7, 9, 11]) {
      const small: Bbox = [113.2, 33.75, 113.21, 33.755];
      const [x0, y0, x1, y1] = padForCells(small, res);
      for (const c of cellsInBbox(small, res)) {
        for (const [lon, lat] of cellToBoundary(c, true)) {
          expect(lon >= x0 && lon <= x1 && lat >= y0 && lat <= y1, `${c} at res ${res}`).toBe(true);
        }
      }
    }
  });
});
