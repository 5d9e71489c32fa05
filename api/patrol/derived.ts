import { latLngToCell } from 'h3-js';
import type { Sql, TransactionSql } from 'postgres';
import { cellMaps, syncCells } from './cells.ts';
import { FIX_RESOLUTION, loadPatrolConfig, type PatrolConfig } from './config.ts';
import { ALL_DAYS, applyDerived, deriveStored, insertDerived, trackContext } from './derive.ts';
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
export interface DerivedOptions {
  /** Progress of the stages that can take minutes on a bulk-loaded city. */
  log?: (msg: string) => void;
}

function stages(log?: (msg: string) => void) {
  return async <T>(name: string, fn: () => Promise<T>): Promise<T> => {
    const t = performance.now();
    const out = await fn();
    log?.(`${name}: ${((performance.now() - t) / 1000).toFixed(1)} s`);
    return out;
  };
}

export async function refreshDerived(sql: Sql, opts: DerivedOptions = {}): Promise<RefreshResult> {
  const stage = stages(opts.log);
  const cfg = await loadPatrolConfig(sql);
  const sync = await stage('H3 cells of grids and key locations', () => syncCells(sql, cfg));
  const [{ same }] = await sql<[{ same: boolean }]>`SELECT config_hash IS NOT DISTINCT FROM patrol_config_hash() AS same FROM patrol_state`;
  let devices = 0;
  if (!same) {
    await stage('patrol tables rebuilt', () => rebuildPatrol(sql, cfg));
  } else {
    devices = await stage('patrol fixes written directly', () => deriveUnprocessed(sql, cfg));
  }
  const [{ r }] = await stage('KPI tables', () => sql<[{ r: Record<string, unknown> }]>`SELECT kpi_refresh() AS r`);
  if (!same || devices > 0 || r.rebuilt === true || Number(r.dirty ?? 0) > BULK) await stage('vacuum analyze', () => vacuumDerived(sql));
  return { kpi: r, devices, patrolRebuilt: !same, cells: { grids: sync.grids, keyLocations: sync.keyLocations } };
}

/** Recomputes every derived table from the raw rows. */
export async function rebuildDerived(sql: Sql, opts: DerivedOptions = {}): Promise<void> {
  const stage = stages(opts.log);
  await stage('KPI tables rebuilt', () => sql`SELECT kpi_rebuild()`);
  await stage('patrol tables rebuilt', async () => rebuildPatrol(sql, await loadPatrolConfig(sql)));
  await stage('vacuum analyze', () => vacuumDerived(sql));
}

async function rebuildPatrol(sql: Sql, cfg: PatrolConfig): Promise<void> {
  await syncCells(sql, cfg);
  const ctx = await trackContext(sql, cfg);
  const { gridOf } = await cellMaps(sql, cfg);
  await sql.begin(async (tx) => {
    await tx`SELECT pg_advisory_xact_lock(${INGEST_LOCK})`;
    await tx`TRUNCATE patrol_device_cell_day, patrol_cell_day, patrol_grid_first, patrol_key_pass, patrol_key_day, patrol_device_state`;
    await tx`
      CREATE TEMP TABLE _patrol_candidate (key_location_id integer, device_id integer, day date, t0 timestamptz,
        t1 timestamptz, lon0 float8, lat0 float8, lon1 float8, lat1 float8) ON COMMIT DROP`;
    const devices = await tx<{ id: number }[]>`
      SELECT d.id FROM patrol_device d WHERE EXISTS (SELECT 1 FROM gps_fix f WHERE f.device_id = d.id) ORDER BY d.id`;
    for (const { id } of devices) {
      await fillCells(tx, id, null, cfg, gridOf);
      const out = new Derived();
      const { lastMs } = await deriveStored(tx, id, null, ctx, out);
      await insertDerived(tx, out);
      if (lastMs !== null) await markProcessed(tx, [{ device: id, through: lastMs }]);
    }
    await tx`SELECT patrol_finish_rebuild()`;
    await tx`UPDATE patrol_state SET config_hash = patrol_config_hash()`;
  });
}

async function deriveUnprocessed(sql: Sql, cfg: PatrolConfig): Promise<number> {
  // One backward index probe per device; the cell maps are loaded only when there is work.
  const probe = (db: Sql | TransactionSql) => db<{ id: number; processed: Date | null; last: Date }[]>`
    SELECT d.id, s.processed_through AS processed, l.last
    FROM patrol_device d
    LEFT JOIN patrol_device_state s ON s.device_id = d.id
    CROSS JOIN LATERAL (SELECT max(f.fixed_at) AS last FROM gps_fix f WHERE f.device_id = d.id) l
    WHERE l.last IS NOT NULL AND (s.processed_through IS NULL OR l.last > s.processed_through)`;
  if (!(await probe(sql)).length) return 0;
  const ctx = await trackContext(sql, cfg);
  const { gridOf } = await cellMaps(sql, cfg);
  return sql.begin(async (tx) => {
    await tx`SELECT pg_advisory_xact_lock(${INGEST_LOCK})`;
    const stale = await probe(tx);
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

const lastProbe = new WeakMap<Sql, number>();
/** How often a KPI read also looks for fixes stored without ingestFixes (one index probe per device). */
const PROBE_EVERY_MS = 30_000;

/**
 * What a KPI read needs first, cheaply: cell tables for grids drawn since the last ingest, fixes
 * that other writers stored directly (checked at most every 30 s), and the KPI dirty queue drained
 * (kpi_refresh returns at once when there is nothing to do), then the kept KPI windows.
 */
export async function refreshKpi(sql: Sql): Promise<void> {
  const cfg = await loadPatrolConfig(sql);
  await syncCells(sql, cfg);
  const now = Date.now();
  if (now - (lastProbe.get(sql) ?? 0) > PROBE_EVERY_MS) {
    lastProbe.set(sql, now);
    await deriveUnprocessed(sql, cfg);
  }
  // Then the kept KPI windows (00014) of grids whose aggregates just changed, before the request
  // reads them. One simple-protocol message (one round trip; the two run in order, in one implicit
  // transaction): this runs before every statistics request.
  await sql.unsafe('SELECT kpi_refresh(); SELECT kpi_window_refresh(false)');
}
