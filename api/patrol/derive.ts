import { latLngToCell } from 'h3-js';
import type { Sql, TransactionSql } from 'postgres';
import { cellMaps } from './cells.ts';
import { loadPatrolConfig, type PatrolConfig } from './config.ts';
import { cellToDb, coverageCell } from './h3.ts';
import { dayOfZone } from './time.ts';
import { Derived, deriveTrack, type TrackContext, type TrackFix } from './track.ts';

type Tx = Sql | TransactionSql;

/**
 * A day before any data, for "recompute all of the device's days". Not '-infinity': postgres.js
 * turns date parameters into Date objects and cannot represent it.
 */
export const ALL_DAYS = '1900-01-01';

/** Device-days whose derived rows are recomputed: everything of `device` from `fromDay` on. */
export interface Replace {
  device: number;
  fromDay: string;
}

export async function trackContext(sql: Sql, config?: PatrolConfig): Promise<TrackContext> {
  const cfg = config ?? (await loadPatrolConfig(sql));
  const maps = await cellMaps(sql, cfg);
  return { config: cfg, dayOf: dayOfZone(cfg.timezone), keyCells: maps.keyCells, keyBoxes: maps.keyBoxes };
}

const iso = (ms: number) => new Date(ms).toISOString();

/** Writes one derivation's rows (see patrol_apply in migration 00007). */
export async function applyDerived(tx: Tx, derived: Derived, replace: readonly Replace[], gridFirst = true): Promise<void> {
  const cells = [...derived.cells.values()];
  const k = derived.contacts;
  if (!cells.length && !k.length && !replace.length) return;
  await tx`
    SELECT patrol_apply(
      ${replace.map((r) => r.device)}::int[], ${replace.map((r) => r.fromDay)}::date[],
      ${cells.map((c) => c.device)}::int[], ${cells.map((c) => c.day)}::date[], ${cells.map((c) => cellToDb(c.cell))}::bigint[],
      ${cells.map((c) => iso(c.first))}::timestamptz[], ${cells.map((c) => iso(c.last))}::timestamptz[], ${cells.map((c) => c.segments)}::int[],
      ${k.map((c) => c.keyLocation)}::int[], ${k.map((c) => c.device)}::int[], ${k.map((c) => c.day)}::date[],
      ${k.map((c) => iso(c.t0))}::timestamptz[], ${k.map((c) => iso(c.t1))}::timestamptz[],
      ${k.map((c) => c.lon0)}::float8[], ${k.map((c) => c.lat0)}::float8[], ${k.map((c) => c.lon1)}::float8[], ${k.map((c) => c.lat1)}::float8[],
      ${gridFirst})`;
}

/**
 * Full-rebuild variant of applyDerived: plain INSERTs into the truncated cell table and the
 * _patrol_candidate temp table; patrol_finish_rebuild() derives the rest in bulk at the end.
 */
export async function insertDerived(tx: Tx, derived: Derived): Promise<void> {
  const cells = [...derived.cells.values()];
  const k = derived.contacts;
  await tx`
    INSERT INTO patrol_device_cell_day (device_id, day, cell, first_at, last_at, segments)
    SELECT * FROM unnest(${cells.map((c) => c.device)}::int[], ${cells.map((c) => c.day)}::date[], ${cells.map((c) => cellToDb(c.cell))}::bigint[],
      ${cells.map((c) => iso(c.first))}::timestamptz[], ${cells.map((c) => iso(c.last))}::timestamptz[], ${cells.map((c) => c.segments)}::int[])`;
  await tx`
    INSERT INTO _patrol_candidate
    SELECT * FROM unnest(${k.map((c) => c.keyLocation)}::int[], ${k.map((c) => c.device)}::int[], ${k.map((c) => c.day)}::date[],
      ${k.map((c) => iso(c.t0))}::timestamptz[], ${k.map((c) => iso(c.t1))}::timestamptz[],
      ${k.map((c) => c.lon0)}::float8[], ${k.map((c) => c.lat0)}::float8[], ${k.map((c) => c.lon1)}::float8[], ${k.map((c) => c.lat1)}::float8[])`;
}

interface FixRow {
  t: number;
  lon: number;
  lat: number;
  cell: string | null;
}

const PAGE = 50_000;

/**
 * Derives the segments of one device from stored fixes: all of them (fromDay null) or those ending
 * on fromDay or later (the fix just before that day is read as context). Pages by the primary key;
 * times come as epoch milliseconds and cells as hex so no Date or BigInt is built per row.
 */
export async function deriveStored(tx: Tx, device: number, fromDay: string | null, ctx: TrackContext, out: Derived): Promise<{ fixes: number; lastMs: number | null }> {
  const { timezone, maxGapMs, resolution } = ctx.config;
  let fromMs = -Infinity;
  let after = -Infinity;
  if (fromDay !== null) {
    const [row] = await tx<[{ start: number }]>`SELECT extract(epoch FROM (${fromDay}::date::timestamp AT TIME ZONE ${timezone})) * 1000 AS start`;
    fromMs = Number(row.start);
    after = fromMs - maxGapMs - 1;
  }
  let prev: TrackFix | null = null;
  let count = 0;
  for (;;) {
    // Two statements rather than one with an OR, so both keep a plain index range scan.
    const rows: FixRow[] = Number.isFinite(after)
      ? await tx<FixRow[]>`
          SELECT (extract(epoch FROM fixed_at) * 1000)::float8 AS t, lon, lat, lpad(to_hex(h3_cell), 15, '0') AS cell
          FROM gps_fix WHERE device_id = ${device} AND fixed_at > to_timestamp(${after / 1000}::float8)
          ORDER BY fixed_at LIMIT ${PAGE}`
      : await tx<FixRow[]>`
          SELECT (extract(epoch FROM fixed_at) * 1000)::float8 AS t, lon, lat, lpad(to_hex(h3_cell), 15, '0') AS cell
          FROM gps_fix WHERE device_id = ${device}
          ORDER BY fixed_at LIMIT ${PAGE}`;
    if (!rows.length) break;
    const track: TrackFix[] = prev ? [prev] : [];
    for (const r of rows) {
      const cell = r.cell !== null ? coverageCell(r.cell, r.lat, r.lon, resolution) : latLngToCell(r.lat, r.lon, resolution);
      track.push({ t: r.t, lon: r.lon, lat: r.lat, cell });
    }
    deriveTrack(device, track, ctx, out, fromMs);
    prev = track[track.length - 1]!;
    count += rows.length;
    after = rows[rows.length - 1]!.t;
    if (rows.length < PAGE) break;
  }
  return { fixes: count, lastMs: prev ? prev.t : null };
}
