import type { Geometry, MultiPolygon } from 'geojson';
import type { Sql, TransactionSql } from 'postgres';
import { loadPatrolConfig, type PatrolConfig } from './config.ts';
import { areaCells, cellFromDb, cellToDb, placeCells, type Box } from './h3.ts';

/** Halo rings kept around each grid: enough for any segment within the buffer of the grid to touch one. */
const GRID_HALO_RINGS = 2;

export interface SyncResult {
  grids: number;
  keyLocations: number;
  /** Grids whose owned cells were recomputed (patrol_grid_first was rebuilt for them). */
  gridIds: number[];
}

/**
 * Brings grid_h3_cell and key_location_h3 in line with the current geometries and coverage
 * resolution. A changed grid is recomputed together with every grid whose bounding box touches
 * it, so a cell centre on a shared edge goes to the lowest id exactly as in a full computation.
 */
export async function syncCells(sql: Sql, config?: PatrolConfig): Promise<SyncResult> {
  const cfg = config ?? (await loadPatrolConfig(sql));
  const [state] = await sql<[{ geometry: number; synced: number; resolution: number | null }]>`
    SELECT geometry_version AS geometry, synced_version AS synced,
           (SELECT resolution FROM patrol_grid_cells LIMIT 1) AS resolution
    FROM patrol_state`;
  if (state.geometry === state.synced && (state.resolution === null || state.resolution === cfg.resolution)) {
    return { grids: 0, keyLocations: 0, gridIds: [] };
  }
  const [stale] = await sql<[{ grids: number[] | null; kls: number[] | null; gone: number[] | null }]>`
    SELECT
      (SELECT array_agg(g.id) FROM grid g LEFT JOIN patrol_grid_cells s ON s.grid_id = g.id
        WHERE s.grid_id IS NULL OR s.grid_updated_at <> g.updated_at OR s.resolution <> ${cfg.resolution}) AS grids,
      (SELECT array_agg(k.id) FROM key_location k LEFT JOIN patrol_key_location_cells s ON s.key_location_id = k.id
        WHERE s.key_location_id IS NULL OR s.geom_md5 <> md5(ST_AsEWKB(k.geom)) OR s.resolution <> ${cfg.resolution}) AS kls,
      (SELECT array_agg(s.key_location_id) FROM patrol_key_location_cells s
        WHERE NOT EXISTS (SELECT 1 FROM key_location k WHERE k.id = s.key_location_id)) AS gone`;
  const staleGrids = stale.grids ?? [];
  const staleKls = [...(stale.kls ?? []), ...(stale.gone ?? [])];
  // Recorded as of the version read above: a change committed meanwhile is checked next time.
  const synced = state.geometry;
  if (!staleGrids.length && !staleKls.length) {
    await sql`UPDATE patrol_state SET synced_version = greatest(synced_version, ${synced})`;
    return { grids: 0, keyLocations: 0, gridIds: [] };
  }
  return sql.begin(async (tx) => {
    await tx`SELECT pg_advisory_xact_lock(7420250908)`;
    const gridIds = staleGrids.length ? await recomputeGrids(tx, staleGrids, cfg) : [];
    if (staleKls.length) await recomputeKeyLocations(tx, staleKls, cfg);
    await tx`UPDATE patrol_state SET cells_version = cells_version + 1, synced_version = greatest(synced_version, ${synced})`;
    return { grids: staleGrids.length, keyLocations: staleKls.length, gridIds };
  });
}

async function recomputeGrids(tx: TransactionSql, staleIds: number[], cfg: PatrolConfig): Promise<number[]> {
  const grids = await tx<{ id: number; geojson: string; updated_at: Date }[]>`
    SELECT g.id, ST_AsGeoJSON(g.geom) AS geojson, g.updated_at
    FROM grid g
    WHERE g.id = ANY (${staleIds}::int[])
       OR EXISTS (SELECT 1 FROM grid s WHERE s.id = ANY (${staleIds}::int[]) AND s.geom && g.geom)
    ORDER BY g.id`;
  const ids = grids.map((g) => g.id);
  const owner = new Map<string, number>();
  const near: { grid: number; cell: string }[] = [];
  for (const g of grids) {
    const { inside, near: halo } = areaCells(JSON.parse(g.geojson) as MultiPolygon, cfg.resolution, GRID_HALO_RINGS);
    // Grids are visited by ascending id, so the first claim of a cell is the lowest id.
    for (const c of inside) {
      if (owner.has(c)) near.push({ grid: g.id, cell: c });
      else owner.set(c, g.id);
    }
    for (const c of halo) near.push({ grid: g.id, cell: c });
  }
  // Cells owned by grids outside the set (possible only if geometries overlap) stay with them.
  const ownedElsewhere = new Set(
    (await tx<{ cell: string }[]>`
      SELECT cell::text FROM grid_h3_cell WHERE inside AND NOT (grid_id = ANY (${ids}::int[]))
        AND cell = ANY (${[...owner.keys()].map(cellToDb)}::bigint[])`).map((r) => cellFromDb(r.cell)),
  );
  const rows = new Map<string, { grid: number; cell: string; inside: boolean }>();
  for (const [cell, grid] of owner) rows.set(`${grid}|${cell}`, { grid, cell, inside: !ownedElsewhere.has(cell) });
  for (const { grid, cell } of near) if (!rows.has(`${grid}|${cell}`)) rows.set(`${grid}|${cell}`, { grid, cell, inside: false });
  const list = [...rows.values()];
  await tx`DELETE FROM grid_h3_cell WHERE grid_id = ANY (${ids}::int[])`;
  await tx`
    INSERT INTO grid_h3_cell (grid_id, cell, inside)
    SELECT g, c, i = 1
    FROM unnest(${list.map((r) => r.grid)}::int[], ${list.map((r) => cellToDb(r.cell))}::bigint[], ${list.map((r) => (r.inside ? 1 : 0))}::int[]) AS u(g, c, i)`;
  await tx`
    INSERT INTO patrol_grid_cells (grid_id, resolution, cells, grid_updated_at, computed_at)
    SELECT g.id, ${cfg.resolution}, (SELECT count(*) FROM grid_h3_cell c WHERE c.grid_id = g.id AND c.inside), g.updated_at, now()
    FROM grid g WHERE g.id = ANY (${ids}::int[])
    ON CONFLICT (grid_id) DO UPDATE SET resolution = excluded.resolution, cells = excluded.cells,
      grid_updated_at = excluded.grid_updated_at, computed_at = excluded.computed_at`;
  await tx`SELECT patrol_rebuild_grid_first(${ids}::int[])`;
  return ids;
}

async function recomputeKeyLocations(tx: TransactionSql, ids: number[], cfg: PatrolConfig): Promise<void> {
  const kls = await tx<{ id: number; geojson: string; md5: string }[]>`
    SELECT id, ST_AsGeoJSON(geom) AS geojson, md5(ST_AsEWKB(geom)) AS md5 FROM key_location WHERE id = ANY (${ids}::int[])`;
  await tx`DELETE FROM key_location_h3 WHERE key_location_id = ANY (${ids}::int[])`;
  await tx`DELETE FROM patrol_key_location_cells WHERE key_location_id = ANY (${ids}::int[])`;
  const klIds: number[] = [];
  const cells: string[] = [];
  for (const k of kls) {
    for (const c of placeCells(JSON.parse(k.geojson) as Geometry, cfg.resolution, cfg.bufferM)) {
      klIds.push(k.id);
      cells.push(cellToDb(c));
    }
  }
  await tx`INSERT INTO key_location_h3 (key_location_id, cell) SELECT * FROM unnest(${klIds}::int[], ${cells}::bigint[])`;
  await tx`
    INSERT INTO patrol_key_location_cells (key_location_id, resolution, geom_md5)
    SELECT * FROM unnest(${kls.map((k) => k.id)}::int[], ${kls.map(() => cfg.resolution)}::smallint[], ${kls.map((k) => k.md5)}::text[])`;
}

/** In-memory lookups the ingester needs, reloaded when patrol_state.cells_version moves. */
export interface CellMaps {
  version: number;
  resolution: number;
  gridOf: Map<string, number>;
  keyCells: Map<string, number[]>;
  keyBoxes: Map<number, Box>;
}

const cache = new WeakMap<Sql, CellMaps>();

export async function cellMaps(sql: Sql, cfg: PatrolConfig): Promise<CellMaps> {
  const [{ version }] = await sql<[{ version: number }]>`SELECT cells_version AS version FROM patrol_state`;
  const cached = cache.get(sql);
  if (cached && cached.version === version && cached.resolution === cfg.resolution) return cached;
  const gridOf = new Map<string, number>();
  for (const r of await sql<{ cell: string; grid_id: number }[]>`SELECT cell::text, grid_id FROM grid_h3_cell WHERE inside`) {
    gridOf.set(cellFromDb(r.cell), r.grid_id);
  }
  const keyCells = new Map<string, number[]>();
  for (const r of await sql<{ cell: string; key_location_id: number }[]>`SELECT cell::text, key_location_id FROM key_location_h3 ORDER BY cell, key_location_id`) {
    const c = cellFromDb(r.cell);
    const list = keyCells.get(c);
    if (list) list.push(r.key_location_id);
    else keyCells.set(c, [r.key_location_id]);
  }
  const keyBoxes = new Map<number, Box>();
  for (const r of await sql<({ id: number } & Box)[]>`
    SELECT id, ST_XMin(geom) AS "minLon", ST_YMin(geom) AS "minLat", ST_XMax(geom) AS "maxLon", ST_YMax(geom) AS "maxLat" FROM key_location`) {
    keyBoxes.set(r.id, { minLon: r.minLon, minLat: r.minLat, maxLon: r.maxLon, maxLat: r.maxLat });
  }
  const maps = { version, resolution: cfg.resolution, gridOf, keyCells, keyBoxes };
  cache.set(sql, maps);
  return maps;
}
