import type { Geometry } from 'geojson';
import type { IssueLog } from '../errors.ts';
import type { InputFormat } from '../types.ts';
import type { PointTransform } from '../../crs/projected.ts';

/** One record of the source file, before field mapping. */
export interface SourceRecord {
  /** 1-based record number (feature, data row, track point). */
  row: number;
  /** Physical line in text formats. */
  line?: number;
  props: Record<string, unknown>;
  /** Geometry from a geo format; undefined for tabular formats, where it comes from columns. */
  geometry?: Geometry | null;
}

/** A CRS the file itself declares (.prj, GeoJSON crs member, or the format's definition). */
export interface DeclaredCrs {
  code: string;
  label: string;
  /** null when the coordinates are already WGS84 lon/lat. */
  transform: PointTransform | null;
}

export interface ParsedInput {
  format: InputFormat;
  encoding: string | null;
  declaredCrs: DeclaredCrs | null;
  records: SourceRecord[];
  /** Property names seen, in first-seen order, for field auto-detection. */
  columns: string[];
  /** Shapefile only: the header bbox lies outside lon/lat bounds. */
  projectedLooking?: boolean;
}

export interface ReadContext {
  fileName: string;
  log: IssueLog;
  /** Forced text encoding (option), if any. */
  encoding?: string;
  maxUncompressedBytes: number;
  maxZipEntries: number;
}

/** Collects property names in first-seen order. */
export class ColumnSet {
  private readonly seen = new Set<string>();
  readonly list: string[] = [];
  add(props: Record<string, unknown>): void {
    for (const k of Object.keys(props)) {
      if (!this.seen.has(k)) {
        this.seen.add(k);
        this.list.push(k);
      }
    }
  }
}
