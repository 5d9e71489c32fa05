import type { Feature, FeatureCollection, Geometry, MultiPolygon, Point } from 'geojson';
import type { Db } from '../../api/db/types.ts';
import { toCsv, type CsvValue } from './csv.ts';
import { writeShapefile, zipShapefile, type DbfField } from './shapefile.ts';

/**
 * Exporters for grids (with area and, given a lookup, their KPIs), addresses and events, in GeoJSON, CSV (Excel-ready) and
 * zipped shapefile. Coordinates are WGS84 as stored.
 *
 * Rows are whatever the handle can read: the API passes a transaction scoped to the caller's
 * jurisdiction (row-level security), the CLI the owner's pool. `personal: false` leaves out the
 * columns that can name or describe people (address text, event titles), for aggregate-only roles
 * whose database role has no privilege on them anyway.
 */

export const EXPORT_KINDS = ['grids', 'addresses', 'events'] as const;
export type ExportKind = (typeof EXPORT_KINDS)[number];
export const EXPORT_FORMATS = ['geojson', 'csv', 'shapefile'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

export interface ExportResult {
  fileName: string;
  contentType: string;
  bytes: Uint8Array;
  count: number;
}

interface Column {
  /** Property / CSV header name. */
  name: string;
  /** dBASE field (≤10 characters). */
  dbf: DbfField;
}

interface Table {
  geometry: 'point' | 'polygon';
  columns: Column[];
  rows: Array<{ values: CsvValue[]; geometry: Geometry }>;
}

const c = (name: string, dbf: DbfField): Column => ({ name, dbf });

/** The KPIs a grid export carries (rates 0..1, null when there is nothing to measure). */
export interface GridKpis {
  window: string;
  registration_rate: number | null;
  visit_coverage_rate: number | null;
  closure_rate: number | null;
  on_time_rate: number | null;
  patrol_coverage: number | null;
}

const KPI_COLUMNS = ['registration_rate', 'visit_coverage_rate', 'closure_rate', 'on_time_rate', 'patrol_coverage'] as const;
const KPI_DBF: Record<(typeof KPI_COLUMNS)[number], string> = {
  registration_rate: 'reg_rate', visit_coverage_rate: 'visit_rate', closure_rate: 'close_rate', on_time_rate: 'ontime_rt', patrol_coverage: 'patrol_cov',
};
const round4 = (v: number | null) => (v === null ? null : Math.round(v * 10_000) / 10_000);

async function loadGrids(sql: Db, kpis?: GridKpiLookup): Promise<Table> {
  const rows = await sql<{ id: number; code: string; name: string; community_code: string; community_name: string; area_m2: number; geom: string }[]>`
    SELECT g.id, g.code, g.name, c.code AS community_code, c.name AS community_name, g.area_m2, ST_AsGeoJSON(g.geom, 15) AS geom
    FROM grid g JOIN community c ON c.id = g.community_id ORDER BY g.code`;
  const byGrid = kpis ? await kpis(rows.map((r) => r.id)) : null;
  return {
    geometry: 'polygon',
    columns: [
      c('code', { name: 'code', type: 'C' }),
      c('name', { name: 'name', type: 'C' }),
      c('community_code', { name: 'community', type: 'C' }),
      c('community_name', { name: 'comm_name', type: 'C' }),
      c('area_m2', { name: 'area_m2', type: 'N', length: 18, decimals: 1 }),
      ...(byGrid ? [c('kpi_window', { name: 'kpi_window', type: 'C' }), ...KPI_COLUMNS.map((k) => c(k, { name: KPI_DBF[k], type: 'N', length: 8, decimals: 4 }))] : []),
    ],
    rows: rows.map((r) => {
      const k = byGrid?.get(r.id);
      return {
        values: [r.code, r.name, r.community_code, r.community_name, Math.round(r.area_m2 * 10) / 10,
          ...(byGrid ? [k?.window ?? null, ...KPI_COLUMNS.map((col) => round4(k?.[col] ?? null))] : [])],
        geometry: JSON.parse(r.geom) as MultiPolygon,
      };
    }),
  };
}

async function loadAddresses(sql: Db, personal: boolean): Promise<Table> {
  const rows = personal
    ? await sql<{ code: string; address_text: string; category: string; vacant: boolean; grid_code: string | null; geom: string }[]>`
    SELECT a.code, a.address_text, a.category, a.vacant, g.code AS grid_code, ST_AsGeoJSON(a.geom, 15) AS geom
    FROM address a LEFT JOIN grid g ON g.id = a.grid_id ORDER BY a.code`
    : await sql<{ code: string; category: string; vacant: boolean; grid_code: string | null; geom: string }[]>`
    SELECT a.code, a.category, a.vacant, g.code AS grid_code, ST_AsGeoJSON(a.geom, 15) AS geom
    FROM address a LEFT JOIN grid g ON g.id = a.grid_id ORDER BY a.code`;
  const columns = [
    c('code', { name: 'code', type: 'C' }),
    ...(personal ? [c('address_text', { name: 'address', type: 'C' })] : []),
    c('category', { name: 'category', type: 'C' }),
    c('vacant', { name: 'vacant', type: 'L' }),
    c('grid_code', { name: 'grid', type: 'C' }),
  ];
  return {
    geometry: 'point',
    columns,
    rows: rows.map((r) => ({
      values: [r.code, ...(personal ? [(r as { address_text: string }).address_text] : []), r.category, r.vacant, r.grid_code],
      geometry: JSON.parse(r.geom) as Point,
    })),
  };
}

async function loadEvents(sql: Db, personal: boolean): Promise<Table> {
  const rows = await sql<{
    code: string;
    type: string;
    subtype: string | null;
    severity: number;
    state: string;
    title: string;
    reported_at: Date;
    closed_at: Date | null;
    grid_code: string | null;
    geom: string;
  }[]>`
    SELECT e.code, e.type, e.subtype, e.severity, e.state, ${personal ? sql`e.title` : sql`NULL::text AS title`}, e.reported_at, e.closed_at,
           g.code AS grid_code, ST_AsGeoJSON(e.geom, 15) AS geom
    FROM event e LEFT JOIN grid g ON g.id = e.grid_id ORDER BY e.reported_at, e.code`;
  return {
    geometry: 'point',
    columns: [
      c('code', { name: 'code', type: 'C' }),
      c('type', { name: 'type', type: 'C' }),
      c('subtype', { name: 'subtype', type: 'C' }),
      c('severity', { name: 'severity', type: 'N', length: 1 }),
      c('state', { name: 'state', type: 'C' }),
      ...(personal ? [c('title', { name: 'title', type: 'C' })] : []),
      // dBASE dates have no time of day, so instants are written as ISO text.
      c('reported_at', { name: 'reported', type: 'C' }),
      c('closed_at', { name: 'closed', type: 'C' }),
      c('grid_code', { name: 'grid', type: 'C' }),
    ],
    rows: rows.map((r) => ({
      values: [r.code, r.type, r.subtype, r.severity, r.state, ...(personal ? [r.title] : []), r.reported_at, r.closed_at, r.grid_code],
      geometry: JSON.parse(r.geom) as Point,
    })),
  };
}

/**
 * KPIs of some grids, supplied by the caller (the KPI engine lives in api/patrol and reads tables
 * that scoped roles cannot): the export stays a map-free module.
 */
export type GridKpiLookup = (gridIds: number[]) => Promise<Map<number, GridKpis>>;

const LOADERS: Record<ExportKind, (sql: Db, options: ExportOptions) => Promise<Table>> = {
  grids: (sql, o) => loadGrids(sql, o.gridKpis),
  addresses: (sql, o) => loadAddresses(sql, o.personal ?? true),
  events: (sql, o) => loadEvents(sql, o.personal ?? true),
};

export interface ExportOptions {
  /** Include columns that can name or describe people (address text, event titles). Default true. */
  personal?: boolean;
  /** When given, grid exports carry these KPIs (the current cycle). */
  gridKpis?: GridKpiLookup;
}

function toWkt(g: Geometry): string {
  const pos = (p: number[]) => `${p[0]} ${p[1]}`;
  const ring = (r: number[][]) => `(${r.map(pos).join(', ')})`;
  switch (g.type) {
    case 'Point':
      return `POINT (${pos(g.coordinates)})`;
    case 'Polygon':
      return `POLYGON (${g.coordinates.map(ring).join(', ')})`;
    case 'MultiPolygon':
      return `MULTIPOLYGON (${g.coordinates.map((p) => `(${p.map(ring).join(', ')})`).join(', ')})`;
    default:
      throw new TypeError(`cannot write ${g.type} as WKT`);
  }
}

export function renderTable(kind: ExportKind, format: ExportFormat, table: Table): ExportResult {
  const count = table.rows.length;
  if (format === 'geojson') {
    const fc: FeatureCollection = {
      type: 'FeatureCollection',
      features: table.rows.map(
        (r): Feature => ({
          type: 'Feature',
          properties: Object.fromEntries(table.columns.map((col, i) => [col.name, r.values[i] instanceof Date ? (r.values[i] as Date).toISOString() : (r.values[i] ?? null)])),
          geometry: r.geometry,
        }),
      ),
    };
    return { fileName: `${kind}.geojson`, contentType: 'application/geo+json', bytes: new TextEncoder().encode(JSON.stringify(fc)), count };
  }
  if (format === 'csv') {
    const names = table.columns.map((col) => col.name);
    const header = table.geometry === 'point' ? [...names, 'lon', 'lat'] : [...names, 'wkt'];
    const rows = table.rows.map((r) =>
      table.geometry === 'point'
        ? [...r.values, (r.geometry as Point).coordinates[0], (r.geometry as Point).coordinates[1]]
        : [...r.values, toWkt(r.geometry)],
    );
    return { fileName: `${kind}.csv`, contentType: 'text/csv; charset=utf-8', bytes: toCsv(header, rows), count };
  }
  const parts = writeShapefile(
    table.geometry,
    table.columns.map((col) => col.dbf),
    table.rows.map((r) => ({ geometry: r.geometry as Point | MultiPolygon, values: r.values })),
  );
  return { fileName: `${kind}.zip`, contentType: 'application/zip', bytes: zipShapefile(kind, parts), count };
}

export async function runExport(sql: Db, kind: ExportKind, format: ExportFormat, options: ExportOptions = {}): Promise<ExportResult> {
  if (!(EXPORT_KINDS as readonly string[]).includes(kind)) throw new TypeError(`unknown export kind "${kind}" (${EXPORT_KINDS.join(', ')})`);
  if (!(EXPORT_FORMATS as readonly string[]).includes(format)) throw new TypeError(`unknown export format "${format}" (${EXPORT_FORMATS.join(', ')})`);
  return renderTable(kind, format, await LOADERS[kind](sql, options));
}
