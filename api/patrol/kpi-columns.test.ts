import { describe, expect, it } from 'vitest';
import { rowsOfColumns } from './kpi-columns.ts';

describe('rowsOfColumns', () => {
  it('turns one array per key into one object per index', () => {
    expect(rowsOfColumns({ unit_id: [3, 7], rate: [0.5, null] })).toEqual([{ unit_id: 3, rate: 0.5 }, { unit_id: 7, rate: null }]);
    expect(rowsOfColumns({})).toEqual([]);
    expect(rowsOfColumns({ unit_id: [] })).toEqual([]);
  });

  it('refuses columns of different lengths, naming the column', () => {
    expect(() => rowsOfColumns({ unit_id: [1, 2], rate: [0.1] })).toThrow('KPI column rate has 1 values; unit_id has 2');
    expect(() => rowsOfColumns({ unit_id: 5 as unknown as unknown[] })).toThrow('KPI column unit_id is not an array');
  });
});
