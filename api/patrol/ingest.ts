import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { latLngToCell } from 'h3-js';
import type { Sql, TransactionSql } from 'postgres';
import { cellMaps, syncCells } from './cells.ts';
import { FIX_RESOLUTION, loadPatrolConfig } from './config.ts';
import { ALL_DAYS, applyDerived, deriveStored, type Replace } from './derive.ts';
import { cellFromDb, cellToDb, coverageCell } from './h3.ts';
import { dayOfZone } from './time.ts';
import { Derived, deriveTrack, type TrackContext, type TrackFix } from './track.ts';

export interface GpsFix {
  deviceId: number;
  fixedAt: Date | string | number;
  lon: number;
  lat: number;
  speedKmh?: number | null;
  accuracyM?: number | null;
}

export interface IngestResult {
  received: number;
  inserted: number;
  /** Fixes already stored (same device and time), or repeated within the batch: ignored. */
  duplicates: number;
  devices: number;
  /** Devices whose new fixes all came after their processed ones (the cheap path). */
  appended: number;
  /** Devices whose derived rows were recomputed from the earliest day touched. */
  recomputed: number;
  segments: number;
  timings: { storeMs: number; deriveMs: number };
}

export interface IngestOptions {
  /** How rows reach gps_fix; `auto` uses COPY except on PGlite, whose socket has no COPY FROM STDIN. */
  method?: 'auto' | 'copy' | 'insert';
}

export class IngestError extends Error {
  constructor(message: string, readonly index: number) {
    super(message);
    this.name = 'IngestError';
  }
}

const INGEST_LOCK = 7420250909;
const COPY_CHUNK_CHARS = 1 << 20;
const INSERT_PAGE = 20_000;

const embedded = new WeakMap<Sql, boolean>();
async function isEmbedded(sql: Sql): Promise<boolean> {
  let e = embedded.get(sql);
  if (e === undefined) {
    const [row] = await sql<[{ v: string }]>`SELECT version() AS v`;
    e = row.v.includes('PGlite');
    embedded.set(sql, e);
  }
  return e;
}

function toMs(v: Date | string | number): number {
  return typeof v === 'number' ? v : typeof v === 'string' ? Date.parse(v) : v.getTime();
}

/** The batch in columns, ordered by device then time, without in-batch duplicates. */
interface Batch {
  /** Indexes into the caller's array: the rows to store. */
  order: number[];
  ms: Float64Array;
  cell10: string[];
  grid: (number | null)[];
  /** Start and end (exclusive) of each device's run within `order`. */
  runs: Map<number, [number, number]>;
  duplicates: number;
}

function prepare(fixes: readonly GpsFix[]): Batch {
  const n = fixes.length;
  const ms = new Float64Array(n);
  const byDevice = new Map<number, number[]>();
  for (let i = 0; i < n; i++) {
    const f = fixes[i]!;
    const t = toMs(f.fixedAt);
    if (!Number.isInteger(f.deviceId) || f.deviceId <= 0) throw new IngestError(`fix ${i}: deviceId must be a positive integer`, i);
    if (!Number.isFinite(t)) throw new IngestError(`fix ${i}: fixedAt is not a valid time`, i);
    if (!(Math.abs(f.lon) <= 180 && Math.abs(f.lat) <= 90)) throw new IngestError(`fix ${i}: lon/lat out of range`, i);
    if (f.speedKmh !== null && f.speedKmh !== undefined && !(f.speedKmh >= 0 && f.speedKmh < 500)) throw new IngestError(`fix ${i}: speedKmh out of range`, i);
    if (f.accuracyM !== null && f.accuracyM !== undefined && !(f.accuracyM >= 0)) throw new IngestError(`fix ${i}: accuracyM must be >= 0`, i);
    ms[i] = t;
    const list = byDevice.get(f.deviceId);
    if (list) list.push(i);
    else byDevice.set(f.deviceId, [i]);
  }
  const order: number[] = [];
  const runs = new Map<number, [number, number]>();
  let duplicates = 0;
  for (const device of [...byDevice.keys()].sort((a, b) => a - b)) {
    const list = byDevice.get(device)!;
    let sorted = true;
    for (let j = 1; j < list.length && sorted; j++) sorted = ms[list[j]!]! >= ms[list[j - 1]!]!;
    if (!sorted) list.sort((a, b) => ms[a]! - ms[b]! || a - b);
    const start = order.length;
    let last = NaN;
    for (const i of list) {
      if (ms[i] === last) {
        duplicates++;
        continue;
      }
      last = ms[i]!;
      order.push(i);
    }
    runs.set(device, [start, order.length]);
  }
  return { order, ms, cell10: new Array<string>(n), grid: new Array<number | null>(n), runs, duplicates };
}

const nullable = (v: number | null | undefined) => (v === null || v === undefined ? '\\N' : String(v));

/**
 * Stores GPS fixes with their resolution-10 H3 cell and grid (looked up from the grid's cells in
 * memory: no per-row spatial work in the database), then extends the derived patrol tables:
 * travelled segments -> covered cells per device and day, and passes at key locations. Fixes
 * already stored are ignored. One ingest runs at a time (the derived rows depend on order).
 */
export async function ingestFixes(sql: Sql, fixes: readonly GpsFix[], opts: IngestOptions = {}): Promise<IngestResult> {
  const batch = prepare(fixes);
  const cfg = await loadPatrolConfig(sql);
  await syncCells(sql, cfg);
  const maps = await cellMaps(sql, cfg);
  const method = opts.method === 'copy' || opts.method === 'insert' ? opts.method : (await isEmbedded(sql)) ? 'insert' : 'copy';

  const locate = (i: number) => {
    const f = fixes[i]!;
    const c10 = latLngToCell(f.lat, f.lon, FIX_RESOLUTION);
    batch.cell10[i] = c10;
    batch.grid[i] = maps.gridOf.get(coverageCell(c10, f.lat, f.lon, cfg.resolution)) ?? null;
  };

  return sql.begin(async (tx) => {
    const t0 = performance.now();
    await tx`SELECT pg_advisory_xact_lock(${INGEST_LOCK})`;
    let inserted: Set<number> | null = null;
    if (method === 'copy') {
      await dropStored(tx, fixes, batch);
      await copyRows(tx, fixes, batch, locate);
    } else {
      inserted = await insertRows(tx, fixes, batch, locate);
    }
    const t1 = performance.now();
    const ctx: TrackContext = { config: cfg, dayOf: dayOfZone(cfg.timezone), keyCells: maps.keyCells, keyBoxes: maps.keyBoxes };
    const stats = await derive(tx, fixes, batch, inserted, ctx);
    const t2 = performance.now();
    const insertedCount = inserted ? inserted.size : batch.order.length;
    return {
      received: fixes.length,
      inserted: insertedCount,
      duplicates: fixes.length - insertedCount,
      devices: stats.appended + stats.recomputed,
      appended: stats.appended,
      recomputed: stats.recomputed,
      segments: stats.segments,
      timings: { storeMs: t1 - t0, deriveMs: t2 - t1 },
    };
  });
}

/**
 * COPY must not fail: postgres.js (3.4) never settles a COPY FROM STDIN stream whose rows the
 * server refuses, so everything the server would refuse is checked first: values in prepare(),
 * unknown devices and already stored fixes here (under the ingest lock, so no other ingest races).
 */
async function dropStored(tx: TransactionSql, fixes: readonly GpsFix[], batch: Batch): Promise<void> {
  const devices = [...batch.runs.keys()];
  const ranges = devices.map((d) => {
    const [start, end] = batch.runs.get(d)!;
    return [new Date(batch.ms[batch.order[start]!]!).toISOString(), new Date(batch.ms[batch.order[end - 1]!]!).toISOString()];
  });
  const known = await tx<{ id: number }[]>`SELECT id FROM patrol_device WHERE id = ANY (${devices}::int[])`;
  if (known.length !== devices.length) {
    const ids = new Set(known.map((k) => k.id));
    const missing = devices.find((d) => !ids.has(d))!;
    throw new IngestError(`unknown device ${missing}`, batch.order[batch.runs.get(missing)![0]]!);
  }
  const stored = await tx<{ device_id: number; t: Date }[]>`
    SELECT f.device_id, f.fixed_at AS t
    FROM unnest(${devices}::int[], ${ranges.map((r) => r[0]!)}::timestamptz[], ${ranges.map((r) => r[1]!)}::timestamptz[]) AS d(id, lo, hi)
    JOIN gps_fix f ON f.device_id = d.id AND f.fixed_at BETWEEN d.lo AND d.hi`;
  if (!stored.length) return;
  const seen = new Set(stored.map((r) => `${r.device_id}|${r.t.getTime()}`));
  const order: number[] = [];
  for (const d of devices) {
    const [start, end] = batch.runs.get(d)!;
    const from = order.length;
    for (let j = start; j < end; j++) {
      const i = batch.order[j]!;
      if (!seen.has(`${fixes[i]!.deviceId}|${batch.ms[i]}`)) order.push(i);
    }
    batch.runs.set(d, [from, order.length]);
  }
  batch.order = order;
}

// H3 cells are computed while the text is produced, so the database parses one chunk while the
// next is being computed (the two run on different cores).
async function copyRows(tx: TransactionSql, fixes: readonly GpsFix[], batch: Batch, locate: (i: number) => void): Promise<void> {
  function* chunks(): Generator<string> {
    let buf = '';
    for (const i of batch.order) {
      locate(i);
      const f = fixes[i]!;
      buf += `${f.deviceId}\t${new Date(batch.ms[i]!).toISOString()}\t${f.lon}\t${f.lat}\t${nullable(f.speedKmh)}\t${nullable(f.accuracyM)}\t${nullable(batch.grid[i])}\t${cellToDb(batch.cell10[i]!)}\n`;
      if (buf.length > COPY_CHUNK_CHARS) {
        yield buf;
        buf = '';
      }
    }
    if (buf) yield buf;
  }
  const stream = await tx`COPY gps_fix (device_id, fixed_at, lon, lat, speed_kmh, accuracy_m, grid_id, h3_cell) FROM STDIN`.writable();
  await pipeline(Readable.from(chunks()), stream);
}

/** INSERT … ON CONFLICT DO NOTHING in pages; returns the batch indexes actually stored. */
async function insertRows(tx: TransactionSql, fixes: readonly GpsFix[], batch: Batch, locate: (i: number) => void): Promise<Set<number>> {
  const stored = new Set<number>();
  for (let p = 0; p < batch.order.length; p += INSERT_PAGE) {
    const page = batch.order.slice(p, p + INSERT_PAGE);
    for (const i of page) if (batch.cell10[i] === undefined) locate(i);
    const rows = await tx<{ device_id: number; t: Date }[]>`
      INSERT INTO gps_fix (device_id, fixed_at, lon, lat, speed_kmh, accuracy_m, grid_id, h3_cell)
      SELECT * FROM unnest(
        ${page.map((i) => fixes[i]!.deviceId)}::int[], ${page.map((i) => new Date(batch.ms[i]!).toISOString())}::timestamptz[],
        ${page.map((i) => fixes[i]!.lon)}::float8[], ${page.map((i) => fixes[i]!.lat)}::float8[],
        ${page.map((i) => fixes[i]!.speedKmh ?? null)}::real[], ${page.map((i) => fixes[i]!.accuracyM ?? null)}::real[],
        ${page.map((i) => batch.grid[i]!)}::int[], ${page.map((i) => cellToDb(batch.cell10[i]!))}::bigint[])
      ON CONFLICT (device_id, fixed_at) DO NOTHING
      RETURNING device_id, fixed_at AS t`;
    const byKey = new Map(page.map((i) => [`${fixes[i]!.deviceId}|${batch.ms[i]}`, i]));
    for (const r of rows) stored.add(byKey.get(`${r.device_id}|${r.t.getTime()}`)!);
  }
  return stored;
}

interface DeviceState {
  device_id: number;
  processed: Date | null;
  anchor_t: Date | null;
  anchor_lon: number | null;
  anchor_lat: number | null;
  anchor_cell: string | null;
}

/**
 * Appends the new segments of each device, or recomputes its derived rows from the earliest day
 * touched when the batch reaches back before fixes already processed (late or out-of-order data).
 */
async function derive(tx: TransactionSql, fixes: readonly GpsFix[], batch: Batch, inserted: Set<number> | null, ctx: TrackContext) {
  const devices: number[] = [];
  const firsts: string[] = [];
  const mine = new Map<number, number[]>();
  for (const [device, [start, end]] of batch.runs) {
    const rows = batch.order.slice(start, end).filter((i) => inserted === null || inserted.has(i));
    if (!rows.length) continue;
    mine.set(device, rows);
    devices.push(device);
    firsts.push(new Date(batch.ms[rows[0]!]!).toISOString());
  }
  const states = await tx<DeviceState[]>`
    SELECT d.id AS device_id, s.processed_through AS processed,
           a.fixed_at AS anchor_t, a.lon AS anchor_lon, a.lat AS anchor_lat, a.h3_cell::text AS anchor_cell
    FROM unnest(${devices}::int[], ${firsts}::timestamptz[]) AS d(id, first_at)
    LEFT JOIN patrol_device_state s ON s.device_id = d.id
    LEFT JOIN LATERAL (
      SELECT f.fixed_at, f.lon, f.lat, f.h3_cell FROM gps_fix f
      WHERE f.device_id = d.id AND f.fixed_at < d.first_at ORDER BY f.fixed_at DESC LIMIT 1
    ) a ON true`;
  const out = new Derived();
  const replace: Replace[] = [];
  const processed: { device: number; through: number }[] = [];
  const res = ctx.config.resolution;
  let appended = 0;
  for (const s of states) {
    const rows = mine.get(s.device_id)!;
    const firstMs = batch.ms[rows[0]!]!;
    const lastMs = batch.ms[rows[rows.length - 1]!]!;
    const p = s.processed?.getTime() ?? null;
    const a = s.anchor_t?.getTime() ?? null;
    const append = p === null ? a === null : firstMs > p && (a === null || a <= p);
    if (append) {
      const track: TrackFix[] = [];
      if (a !== null) {
        const c10 = s.anchor_cell !== null ? cellFromDb(s.anchor_cell) : latLngToCell(s.anchor_lat!, s.anchor_lon!, FIX_RESOLUTION);
        track.push({ t: a, lon: s.anchor_lon!, lat: s.anchor_lat!, cell: coverageCell(c10, s.anchor_lat!, s.anchor_lon!, res) });
      }
      for (const i of rows) {
        const f = fixes[i]!;
        track.push({ t: batch.ms[i]!, lon: f.lon, lat: f.lat, cell: coverageCell(batch.cell10[i]!, f.lat, f.lon, res) });
      }
      deriveTrack(s.device_id, track, ctx, out);
      processed.push({ device: s.device_id, through: Math.max(lastMs, p ?? -Infinity) });
      appended++;
    } else {
      // Unprocessed stored fixes without any state: derive the device's whole history.
      const fromDay = p === null ? null : ctx.dayOf(Math.min(firstMs, p));
      const { lastMs: through } = await deriveStored(tx, s.device_id, fromDay, ctx, out);
      replace.push({ device: s.device_id, fromDay: fromDay ?? ALL_DAYS });
      processed.push({ device: s.device_id, through: Math.max(through ?? lastMs, p ?? -Infinity) });
    }
  }
  await applyDerived(tx, out, replace);
  await markProcessed(tx, processed);
  return { appended, recomputed: states.length - appended, segments: out.segments };
}

export async function markProcessed(tx: Sql | TransactionSql, rows: readonly { device: number; through: number }[]): Promise<void> {
  if (!rows.length) return;
  await tx`
    INSERT INTO patrol_device_state AS s (device_id, processed_through)
    SELECT * FROM unnest(${rows.map((r) => r.device)}::int[], ${rows.map((r) => new Date(r.through).toISOString())}::timestamptz[])
    ON CONFLICT (device_id) DO UPDATE SET processed_through = greatest(s.processed_through, excluded.processed_through)`;
}
