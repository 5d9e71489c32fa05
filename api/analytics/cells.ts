import type { MultiPolygon, Polygon } from 'geojson';
import { UNITS, getHexagonAreaAvg, getHexagonEdgeLengthAvg, latLngToCell, polygonToCells } from 'h3-js';
import type { Sql } from 'postgres';
import { QueryCatalog } from '../db/queries.ts';

/** Events store their H3 cell at this resolution; coarser ones are derived in SQL (h3_cell_to_parent). */
export const EVENT_CELL_RES = 11;
/** Resolutions the heat and hotspot routes offer: ~5 km² (7) down to ~2,000 m² (11) per cell. */
export const MIN_RES = 7;
export const MAX_RES = 11;

export type Bbox = [number, number, number, number];

/** h3-js speaks 15-digit hex strings, the database bigint (bit 63 of an H3 index is always 0). */
export function hexToBigint(cell: string): bigint {
  if (!/^[0-9a-f]{15}$/.test(cell)) throw new Error(`not a 15-digit lowercase hex H3 index: "${cell}"`);
  return BigInt(`0x${cell}`);
}

let catalog: QueryCatalog | undefined;
function defaultQueries(): QueryCatalog {
  return (catalog ??= new QueryCatalog());
}

const BATCH = 20_000;

/**
 * Computes the res-11 cell of every pending event (a trigger enqueues each new event in the heat
 * fact table event_cell, and re-queues one whose point moved), in batches. Incremental and
 * idempotent: importers, the demo seed and the event API call it after writing, and the heat routes
 * call it (through fillPendingCells) before reading, so a forgotten call never hides events from
 * the map. Returns the number of events given a cell. After a bulk load, VACUUM ANALYZE event_cell
 * so the planner knows the cells are there and index-only scans can skip the heap.
 */
export async function assignEventCells(sql: Sql, queries: QueryCatalog = defaultQueries()): Promise<number> {
  let after = 0;
  let done = 0;
  for (;;) {
    const rows = await queries.run<{ id: number; lon: number; lat: number }>(sql, 'heat_event_cells_todo', [after, BATCH]);
    if (!rows.length) return done;
    const ids: number[] = [];
    const cells: string[] = [];
    const lons: number[] = [];
    const lats: number[] = [];
    for (const r of rows) {
      ids.push(r.id);
      cells.push(hexToBigint(latLngToCell(r.lat, r.lon, EVENT_CELL_RES)).toString());
      lons.push(r.lon);
      lats.push(r.lat);
    }
    const stored = await queries.run<{ n: number }>(sql, 'heat_event_cells_store', [ids, cells, lons, lats] as never[]);
    done += stored[0]?.n ?? 0;
    after = rows[rows.length - 1]!.id;
  }
}

/** The cheap check the routes run: an index-only probe, then assignEventCells only if needed. */
export async function fillPendingCells(sql: Sql, queries: QueryCatalog = defaultQueries()): Promise<number> {
  const [row] = await queries.run<{ pending: boolean }>(sql, 'heat_event_cells_pending');
  return row?.pending ? assignEventCells(sql, queries) : 0;
}

/** Cells whose centre lies in the bbox (H3's own polyfill rule). */
export function cellsInBbox(bbox: Bbox, res: number): string[] {
  const [x0, y0, x1, y1] = bbox;
  return polygonToCells([[[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]], res, true);
}

/** Cells whose centre lies in the (multi)polygon, holes respected. */
export function cellsInGeometry(geometry: Polygon | MultiPolygon, res: number): string[] {
  const polygons = geometry.type === 'Polygon' ? [geometry.coordinates] : geometry.coordinates;
  const cells = new Set<string>();
  for (const rings of polygons) for (const c of polygonToCells(rings, res, true)) cells.add(c);
  return [...cells];
}

const EARTH_RADIUS_M = 6_371_008.8;

/** About how many cells of this resolution cover the bbox: lets a route refuse before polyfilling. */
export function estimateCellCount(bbox: Bbox, res: number): number {
  const [x0, y0, x1, y1] = bbox;
  const rad = Math.PI / 180;
  const area = EARTH_RADIUS_M ** 2 * (x1 - x0) * rad * Math.abs(Math.sin(y1 * rad) - Math.sin(y0 * rad));
  return area / getHexagonAreaAvg(res, UNITS.m2);
}

/**
 * The bbox grown by two average cell edges: a cell whose centre is inside the area can reach about
 * one edge beyond it, and its count must include every event in the cell.
 */
export function padForCells(bbox: Bbox, res: number): Bbox {
  const [x0, y0, x1, y1] = bbox;
  const pad = 2 * getHexagonEdgeLengthAvg(res, UNITS.m);
  const dLat = pad / 111_320;
  const dLon = pad / (111_320 * Math.cos((Math.max(Math.abs(y0), Math.abs(y1)) * Math.PI) / 180));
  return [Math.max(-180, x0 - dLon), Math.max(-90, y0 - dLat), Math.min(180, x1 + dLon), Math.min(90, y1 + dLat)];
}
