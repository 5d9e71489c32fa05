import type { Sql } from 'postgres';

/** The configuration the patrol-derived tables are computed with (rows of the `config` table). */
export interface PatrolConfig {
  timezone: string;
  /** Consecutive fixes closer than both limits form a travelled segment. */
  maxGapMs: number;
  maxGapM: number;
  bufferM: number;
  /** Resolution of the coverage cells; gps_fix.h3_cell is always resolution 10. */
  resolution: number;
  mergeGapMs: number;
}

export const FIX_RESOLUTION = 10;

interface Raw {
  timezone: string;
  segment: { max_gap_s: number; max_gap_m: number };
  coverage: { buffer_m: number; h3_resolution: number };
  key: { merge_gap_s: number } | null;
}

export async function loadPatrolConfig(sql: Sql): Promise<PatrolConfig> {
  const [row] = await sql<[Raw]>`
    SELECT kpi_tz() AS timezone, kpi_cfg('patrol.segment') AS segment, kpi_cfg('patrol.coverage') AS coverage,
           kpi_cfg('patrol.key_location') AS key`;
  return {
    timezone: row.timezone,
    maxGapMs: row.segment.max_gap_s * 1000,
    maxGapM: row.segment.max_gap_m,
    bufferM: row.coverage.buffer_m,
    resolution: row.coverage.h3_resolution,
    mergeGapMs: (row.key?.merge_gap_s ?? 600) * 1000,
  };
}
