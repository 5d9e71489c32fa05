/** Public types of the importer. Kept free of HTTP and CLI concerns so a route and a CLI share them. */

export const IMPORT_KINDS = [
  'subdistrict',
  'communities',
  'grids',
  'joint-defense-points',
  'key-locations',
  'addresses',
  'persons',
  'events',
  'visits',
  'gps-fixes',
] as const;
export type ImportKind = (typeof IMPORT_KINDS)[number];

export type InputFormat = 'geojson' | 'csv' | 'shapefile' | 'kml' | 'gpx' | 'nmea' | 'plt';

/** A scalar a value lookup or a default may produce. */
export type Scalar = string | number | boolean;

export interface ImportProgress {
  phase: 'read' | 'validate' | 'write' | 'done';
  done: number;
  total: number;
}

export interface ImportOptions {
  /** target field → source column, or a template like "NYPD-{Precinct}" ({@row} = record number, {@file} = file stem). */
  map?: Record<string, string>;
  /** Per target field, source value → stored value; "*" matches anything not listed. */
  values?: Record<string, Record<string, Scalar>>;
  /** Constant values for target fields the file does not carry (e.g. { type: 'public_security' }). */
  defaults?: Record<string, Scalar>;
  /** Input CRS: EPSG:4326 (default), EPSG:4490, GCJ-02, BD-09, EPSG:4491–4554 (CGCS2000 GK), EPSG:326xx/327xx (UTM), EPSG:3857. */
  crs?: string;
  /** Time format: tokens YYYY MM M DD D HH H mm m ss s SSS Z, or "iso", "unix", "unix_ms", "excel". Default: ISO-like auto. */
  timeFormat?: string;
  /** IANA zone for times without an offset. Default Asia/Shanghai. */
  timeZone?: string;
  /** Skip invalid records (listed in the report) instead of refusing the whole file. */
  skipInvalid?: boolean;
  /** Repair invalid polygons with ST_MakeValid and close unclosed rings; every repair is reported. */
  fix?: boolean;
  /** Validate and report, write nothing. */
  dryRun?: boolean;
  /** When no code column exists, derive stable codes from each record's content. */
  autoCode?: boolean;
  /** Force the text encoding (e.g. "gbk", "utf-8") instead of detecting it. */
  encoding?: string;
  /** Refuse files larger than this (bytes). Default 200 MiB. */
  maxBytes?: number;
  /**
   * Refuse files with more records than this. Default 1,000,000: records are validated in memory
   * (about 1.5 KB each at peak), so bigger GPS logs must be split.
   */
  maxRecords?: number;
  /** Refuse zips whose entries inflate to more than this in total (bytes). Default 512 MiB. */
  maxUncompressedBytes?: number;
  /** Refuse zips with more entries than this. Default 1000. */
  maxZipEntries?: number;
  /** Overlaps, gaps and parts outside a parent smaller than this (m²) are ignored as digitising noise. Default 1. */
  areaToleranceM2?: number;
  /** Treat gaps between a community's grids as errors instead of warnings. */
  strictTiling?: boolean;
  /**
   * persons: a record with coordinates but no address code is attached to the nearest standard
   * address within this many metres (on the ellipsoid). Default 30. 0 turns the spatial match off.
   */
  nearestAddressM?: number;
  /** gps-fixes: device code when the file has no device column (default: the file name stem). */
  device?: string;
  /** gps-fixes: kind of devices created on the fly. Default handheld. */
  deviceKind?: 'handheld' | 'vehicle' | 'bodycam' | 'ebike';
  /** Who runs the import, for the audit log and event log. */
  actor?: string;
  /** Most issues listed per category in the report (totals are always exact). Default 1000. */
  maxIssues?: number;
  onProgress?: (p: ImportProgress) => void;
}

export type IssueCode =
  // file level
  | 'FILE_EMPTY'
  | 'FILE_TOO_LARGE'
  | 'ZIP_INVALID'
  | 'ZIP_TOO_LARGE'
  | 'ZIP_TOO_MANY_ENTRIES'
  | 'ZIP_UNSUPPORTED'
  | 'UNKNOWN_FORMAT'
  | 'FORMAT_NOT_FOR_KIND'
  | 'PARSE_ERROR'
  | 'SHAPEFILE_INCOMPLETE'
  | 'CRS_MISSING'
  | 'CRS_UNSUPPORTED'
  | 'BAD_OPTION'
  | 'MISSING_COLUMN'
  | 'NO_RECORDS'
  | 'NO_VALID_RECORDS'
  | 'DB_REJECTED'
  // record level
  | 'ROW_SHAPE'
  | 'MISSING_VALUE'
  | 'BAD_NUMBER'
  | 'BAD_BOOLEAN'
  | 'BAD_ENUM'
  | 'BAD_TIME'
  | 'BAD_VALUE'
  | 'OUT_OF_RANGE'
  | 'BAD_COORDINATE'
  | 'COORD_OUT_OF_RANGE'
  | 'NULL_ISLAND'
  | 'BAD_GEOMETRY'
  | 'WRONG_GEOMETRY_TYPE'
  | 'EMPTY_GEOMETRY'
  | 'RING_NOT_CLOSED'
  | 'RING_TOO_SHORT'
  | 'INVALID_GEOMETRY'
  | 'BAD_WKT'
  | 'BAD_CHECKSUM'
  | 'OUTSIDE_SUBDISTRICT'
  | 'DUPLICATE_CODE'
  | 'NO_PARENT'
  | 'UNKNOWN_PARENT'
  | 'UNKNOWN_REFERENCE'
  | 'BAD_ID_NUMBER'
  | 'GRID_OVERLAP'
  | 'GRID_GAP'
  // warnings only
  | 'ENCODING_DETECTED'
  | 'CRS_OVERRIDDEN'
  | 'CODE_GENERATED'
  | 'DEFAULT_USED'
  | 'GEOMETRY_FIXED'
  | 'RING_CLOSED'
  | 'PARTLY_OUTSIDE'
  | 'PARENT_FOUND_SPATIALLY'
  | 'DUPLICATE_FIX'
  | 'DEVICE_CREATED'
  | 'LEFT_UNCHANGED'
  | 'COLUMN_RENAMED'
  | 'IGNORED_RECORD'
  | 'ID_CHECK_DIGIT'
  | 'FIX_OUTSIDE_SUBDISTRICT'
  | 'PERSON_ADDRESS_DIFFERS';

export interface ImportIssue {
  /** 1-based record number (feature, data row, track point); null for the file as a whole. */
  row: number | null;
  /** Target field (or source column) concerned, null when not about one field. */
  field: string | null;
  code: IssueCode;
  message: string;
  /** Physical line in text formats, when it differs from the record number. */
  line?: number;
  /** Area concerned, m², for overlaps, gaps and repairs. */
  areaM2?: number;
}

export interface ImportCounts {
  /** Records read from the file. */
  read: number;
  /** Records that passed validation. */
  valid: number;
  inserted: number;
  updated: number;
  /** Already present and left alone (gps fixes: same device and time). */
  unchanged: number;
  /** Invalid records skipped because skipInvalid was set. */
  skipped: number;
}

export interface ImportReport {
  /** false = refused: nothing was written. */
  ok: boolean;
  kind: ImportKind;
  fileName: string;
  format: InputFormat | null;
  /** e.g. "utf-8", "utf-8 (BOM)", "gb18030 (detected: not valid UTF-8)". */
  encoding: string | null;
  /** e.g. "EPSG:4547 (from .prj)", "GCJ-02 (option)". */
  crs: string | null;
  dryRun: boolean;
  /** target field → where its values came from. */
  fields: Record<string, string>;
  counts: ImportCounts;
  errors: ImportIssue[];
  warnings: ImportIssue[];
  /** Exact totals; the lists above are capped at maxIssues. */
  errorCount: number;
  warningCount: number;
  elapsedMs: number;
}

export interface ImportInput {
  fileName: string;
  bytes: Uint8Array;
}

export interface ImportRequest {
  kind: ImportKind;
  input: ImportInput;
  options?: ImportOptions;
  /** statement_timeout of the import's transaction (the server's upload sets one; the CLI does not). */
  statementTimeoutMs?: number;
}
