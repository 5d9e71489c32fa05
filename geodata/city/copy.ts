import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import cliProgress from 'cli-progress';
import type { ReservedSql, Sql } from 'postgres';

/**
 * Streams generated rows into `COPY table (columns) FROM STDIN` (text format): rows are never
 * collected in memory and the database parses them at its own pace (the pipeline applies
 * backpressure). A progress bar shows rows against the expected total.
 */

export type Cell = string | number | boolean | null;

/** COPY text format: tab-separated, \N for NULL, and backslash escapes for the few special characters. */
function field(v: Cell): string {
  if (v === null) return '\\N';
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw new Error(`COPY: non-finite number ${v}`);
    return String(v);
  }
  if (typeof v === 'boolean') return v ? 't' : 'f';
  return /[\\\t\n\r]/.test(v) ? v.replace(/\\/g, '\\\\').replace(/\t/g, '\\t').replace(/\n/g, '\\n').replace(/\r/g, '\\r') : v;
}

export function copyLine(row: readonly Cell[]): string {
  let s = field(row[0]!);
  for (let i = 1; i < row.length; i++) s += `\t${field(row[i]!)}`;
  return `${s}\n`;
}

const CHUNK_CHARS = 256 * 1024;

export interface Progress {
  start(label: string, total: number): void;
  update(done: number): void;
  stop(): void;
}

/** A cli-progress bar; without a terminal it prints a line every few seconds instead of redrawing. */
export function progressBar(): Progress {
  const bar = new cliProgress.SingleBar(
    {
      format: '{label} |{bar}| {percentage}% {value}/{total} rows · {duration_formatted} · eta {eta_formatted}',
      barsize: 30,
      hideCursor: true,
      noTTYOutput: !process.stdout.isTTY,
      notTTYSchedule: 5000,
      etaBuffer: 50,
    },
    cliProgress.Presets.shades_classic,
  );
  return {
    start: (label, total) => bar.start(total, 0, { label: label.padEnd(18) }),
    update: (done) => bar.update(done),
    stop: () => bar.stop(),
  };
}

/**
 * COPYs the rows an iterator yields. Returns the number of rows. The iterator may be lazy over tens
 * of millions of rows: lines are joined into ~256 kB chunks, and each chunk waits for the socket.
 */
export async function copyRows(sql: Sql | ReservedSql, table: string, columns: readonly string[], rows: Iterable<readonly Cell[]>, progress: Progress, label: string, expected: number): Promise<number> {
  if (!/^[a-z_]+$/.test(table) || columns.some((c) => !/^[a-z_0-9]+$/.test(c))) throw new Error(`copyRows: bad identifier in ${table}(${columns.join(', ')})`);
  let count = 0;
  function* chunks(): Generator<string> {
    let buffer = '';
    for (const row of rows) {
      if (row.length !== columns.length) throw new Error(`copyRows ${table}: row ${count} has ${row.length} values, expected ${columns.length}`);
      buffer += copyLine(row);
      count++;
      if (buffer.length >= CHUNK_CHARS) {
        yield buffer;
        buffer = '';
        progress.update(count);
      }
    }
    if (buffer) yield buffer;
  }
  progress.start(label, expected);
  const writable = await sql.unsafe(`COPY ${table} (${columns.join(', ')}) FROM STDIN`).writable();
  await pipeline(Readable.from(chunks(), { objectMode: false }), writable);
  progress.update(count);
  progress.stop();
  return count;
}
