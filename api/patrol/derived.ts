import { latLngToCell } from 'h3-js';
import type { Sql, TransactionSql } from 'postgres';
import { cellMaps, syncCells } from './cells.ts';
import { FIX_RESOLUTION, loadPatrolConfig, type PatrolConfig } from './config.ts';
import { ALL_DAYS, applyDerived, deriveStored, trackContext } from './derive.ts';
import { cellToDb, coverageCell } from './h3.ts';
import { markProcessed } from './ingest.ts';
import { Derived } from './track.ts';

const INGEST_LOCK = 7420250909;

const DERIVED_TABLES = ['kpi_address', 'kpi_grid_address', 'kpi_visit', 'kpi_visit_interval', 'kpi_grid_visit_day', 'kpi_event',
  'kpi_grid_event_day', 'patrol_device_cell_day', 'patrol_cell_day', 'patrol_grid_first', 'patrol_key_pass', 'patrol_key_day'];
/** Changes above this many rows are followed by VACUUM ANALYZE of the derived tables. */
const BULK = 10_000;

/**
 * Fresh statistics for the planner, and visibility-map bits so KPI reads stay index-only scans;
 * autovacuum would get there too, but only minutes after a bulk load.
 */
async function vacuumDerived(sql: Sql): Promise<void> {
  await sql.unsafe(`VACUUM (ANALYZE) ${DERIVED_TABLES.join(', ')}`);
}

export interface RefreshResult {
  kpi: Record<string, unknown>;
  /** Devices whose stored-but-unprocessed fixes (written without ingestFixes) were derived. */
  devices: number;
  patrolRebuilt: boolean;
  cells: { grids: number; keyLocations: number };
}

/**
 * Brings every derived table up to date without a full rebuild: cell tables for redrawn grids and
 * key locations, patrol rows for fixes that were written directly (e.g. a bulk COPY) after the
 * last processed fix of their device, and the KPI tables (kpi_refresh drains the dirty queue and
 * adds the days since the last run). A changed patrol configuration rebuilds the patrol tables.
 */
export async function refreshDerived(sql: Sql): Promise<RefreshResult> {
  const cfg = await loadPatrolConfig(sql);
  const sync = await syncCells(sql, cfg);
  const [{ same }] = await sql<[{ same: boolean }]>`SELECT config_hash IS NOT DISTINCT FROM patrol_config_hash() AS same FROM patrol_state`;
  let devices = 0;
  if (!same) {
    await rebuildPatrol(sql, cfg);
  } else {
    devices = await deriveUnprocessed(sql, cfg);
  }
  const [{ r }] = await sql<[{ r: Record<string, unknown> }]>`SELECT kpi_refresh() AS r`;
  if (!same || devices > 0 || r.rebuilt === true || Number(r.dirty ?? 0) > BULK) await vacuumDerived(sql);
  return { kpi: r, devices, patrolRebuilt: !same, cells: { grids: sync.grids, keyLocations: sync.keyLocations } };
}

/** Recomputes every derived table from the raw rows. */
export async function rebuildDerived(sql: Sql): Promise<void> {
  await sql`SELECT kpi_rebuild()`;
  await rebuildPatrol(sql, await loadPatrolConfig(sql));
  await vacuumDerived(sql);
}

async function rebuildPatrol(sql: Sql, cfg: PatrolConfig): Promise<void> {
  await syncCells(sql, cfg);
  const ctx = await trackContext(sql, cfg);
  const { gridOf } = await cellMaps(sql, cfg);
  await sql.begin(async (tx) => {
    await tx`SELECT pg_advisory_xact_lock(${INGEST_LOCK})`;
    await tx`TRUNCATE patrol_device_cell_day, patrol_cell_day, patrol_grid_first, patrol_key_pass, patrol_key_day, patrol_device_state`;
    const devices = await tx<{ id: number }[]>`
      SELECT d.id FROM patrol_device d WHERE EXISTS (SELECT 1 FROM gps_fix f WHERE f.device_id = d.id) ORDER BY d.id`;
    for (const { id } of devices) {
      await fillCells(tx, id, null, cfg, gridOf);
      const out = new Derived();
      const { lastMs } = await deriveStored(tx, id, null, ctx, out);
      await applyDerived(tx, out, [], false);
      if (lastMs !== null) await markProcessed(tx, [{ device: id, through: lastMs }]);
    }
    await tx`SELECT patrol_rebuild_grid_first(NULL)`;
    await tx`UPDATE patrol_state SET config_hash = patrol_config_hash()`;
  });
}

async function deriveUnprocessed(sql: Sql, cfg: PatrolConfig): Promise<number> {
  const ctx = await trackContext(sql, cfg);
  const { gridOf } = await cellMaps(sql, cfg);
  return sql.begin(async (tx) => {
    await tx`SELECT pg_advisory_xact_lock(${INGEST_LOCK})`;
    // One backward index probe per device.
    const stale = await tx<{ id: number; processed: Date | null; last: Date }[]>`
      SELECT d.id, s.processed_through AS processed, l.last
      FROM patrol_device d
      LEFT JOIN patrol_device_state s ON s.device_id = d.id
      CROSS JOIN LATERAL (SELECT max(f.fixed_at) AS last FROM gps_fix f WHERE f.device_id = d.id) l
      WHERE l.last IS NOT NULL AND (s.processed_through IS NULL OR l.last > s.processed_through)`;
    for (const d of stale) {
      await fillCells(tx, d.id, d.processed, cfg, gridOf);
      const fromDay = d.processed ? ctx.dayOf(d.processed.getTime()) : null;
      const out = new Derived();
      await deriveStored(tx, d.id, fromDay, ctx, out);
      await applyDerived(tx, out, [{ device: d.id, fromDay: fromDay ?? ALL_DAYS }]);
      await markProcessed(tx, [{ device: d.id, through: d.last.getTime() }]);
    }
    return stale.length;
  });
}

/** Fixes stored without their cell and grid (bulk loads that bypassed ingestFixes) get them here. */
async function fillCells(tx: TransactionSql, device: number, after: Date | null, cfg: PatrolConfig, gridOf: Map<string, number>): Promise<void> {
  const rows = await tx<{ t: Date; lon: number; lat: number }[]>`
    SELECT fixed_at AS t, lon, lat FROM gps_fix
    WHERE device_id = ${device} AND h3_cell IS NULL AND (${after}::timestamptz IS NULL OR fixed_at > ${after}::timestamptz)`;
  if (!rows.length) return;
  const cells = rows.map((r) => latLngToCell(r.lat, r.lon, FIX_RESOLUTION));
  await tx`
    UPDATE gps_fix f SET h3_cell = u.cell, grid_id = u.grid_id
    FROM unnest(${rows.map((r) => r.t.toISOString())}::timestamptz[], ${cells.map(cellToDb)}::bigint[],
                ${rows.map((r, i) => gridOf.get(coverageCell(cells[i]!, r.lat, r.lon, cfg.resolution)) ?? null)}::int[])
      AS u(fixed_at, cell, grid_id)
    WHERE f.device_id = ${device} AND f.fixed_at = u.fixed_at`;
}

/**
 * What a KPI read needs first, cheaply: cell tables for grids drawn since the last ingest and the
 * KPI dirty queue drained (kpi_refresh returns at once when there is nothing to do).
 */
export async function refreshKpi(sql: Sql): Promise<void> {
  await syncCells(sql);
  await sql`SELECT kpi_refresh()`;
}
