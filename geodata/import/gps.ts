import type { Point } from 'geojson';
import type { TransactionSql } from 'postgres';
import type { IssueLog } from './errors.ts';
import type { Candidate } from './map.ts';

/**
 * GPS fixes take a lean path: no staging table and no geometry, because the gps_fix table is
 * built for bulk ingest (plain columns, btree key only). Devices are created by code on first
 * sight. A fix already stored for the same device and instant is left alone, which makes a
 * re-import a no-op. grid_id and h3_cell stay NULL: patrol analytics fills them in bulk.
 */

const CHUNK = 10_000;

export interface GpsWriteResult {
  inserted: number;
  unchanged: number;
  devicesCreated: string[];
}

export function flagDuplicateFixes(candidates: Candidate[], log: IssueLog): void {
  const seen = new Map<string, number>();
  let dups = 0;
  for (const c of candidates) {
    const key = `${String(c.values.device)}\u0000${(c.values.fixed_at as Date).getTime()}`;
    const first = seen.get(key);
    if (first === undefined) seen.set(key, c.row);
    else {
      dups++;
      if (dups <= 20) {
        log.warn({ row: c.row, field: 'fixed_at', code: 'DUPLICATE_FIX', message: `record ${c.row}: same device and time as record ${first}; only the first is stored` });
      }
    }
  }
  if (dups > 20) log.warn({ row: null, field: 'fixed_at', code: 'DUPLICATE_FIX', message: `${dups} records repeat an earlier device and time in total; only the first of each is stored` });
}

export async function writeGpsFixes(
  tx: TransactionSql,
  candidates: Candidate[],
  deviceKind: string,
  progress: (n: number) => void,
): Promise<GpsWriteResult> {
  const codes = [...new Set(candidates.map((c) => String(c.values.device)))];
  const created = await tx<{ code: string }[]>`
    INSERT INTO patrol_device (code, kind) SELECT unnest(${codes}::text[]), ${deviceKind}
    ON CONFLICT (code) DO NOTHING RETURNING code`;
  const devices = await tx<{ id: number; code: string }[]>`SELECT id, code FROM patrol_device WHERE code = ANY(${codes}::text[])`;
  const idOf = new Map(devices.map((d) => [d.code, d.id]));
  let inserted = 0;
  for (let i = 0; i < candidates.length; i += CHUNK) {
    const chunk = candidates.slice(i, i + CHUNK);
    const ids: number[] = [];
    const times: string[] = [];
    const lons: number[] = [];
    const lats: number[] = [];
    const speeds: Array<number | null> = [];
    const accuracies: Array<number | null> = [];
    for (const c of chunk) {
      const [lon, lat] = (c.geometry as Point).coordinates as [number, number];
      ids.push(idOf.get(String(c.values.device))!);
      times.push((c.values.fixed_at as Date).toISOString());
      lons.push(lon);
      lats.push(lat);
      speeds.push((c.values.speed_kmh as number | null) ?? null);
      accuracies.push((c.values.accuracy_m as number | null) ?? null);
    }
    const [r] = await tx<{ n: number }[]>`
      WITH ins AS (
        INSERT INTO gps_fix (device_id, fixed_at, lon, lat, speed_kmh, accuracy_m)
        SELECT * FROM unnest(${ids}::integer[], ${times}::timestamptz[], ${lons}::float8[], ${lats}::float8[],
                             ${speeds}::real[], ${accuracies}::real[])
        ON CONFLICT (device_id, fixed_at) DO NOTHING
        RETURNING 1
      )
      SELECT count(*)::integer AS n FROM ins`;
    inserted += r?.n ?? 0;
    progress(Math.min(i + CHUNK, candidates.length));
  }
  return { inserted, unchanged: candidates.length - inserted, devicesCreated: created.map((c) => c.code) };
}
