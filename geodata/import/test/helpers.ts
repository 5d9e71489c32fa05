import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Sql } from 'postgres';
import { expect } from 'vitest';
import { runImport } from '../run.ts';
import type { ImportKind, ImportOptions, ImportReport } from '../types.ts';
import { rect } from './geo.ts';

const HERE = dirname(fileURLToPath(import.meta.url));
export const REPO_ROOT = resolve(HERE, '../../..');
export const MALFORMED_DIR = join(HERE, 'malformed');
export const FIXTURES_DIR = join(HERE, 'fixtures');

/** CI copies shared/ beside the clone; locally it sits beside the work tree as well. */
export const SHARED_DATA = resolve(REPO_ROOT, '../shared/data');
export const HAVE_SHARED_DATA = existsSync(SHARED_DATA);

export { rect };

export const TABLES = [
  'subdistrict',
  'community',
  'grid',
  'joint_defense_point',
  'key_location',
  'address',
  'person_of_concern',
  'event',
  'visit',
  'visit_participant',
  'event_log',
  'patrol_device',
  'gps_fix',
  'audit_log',
] as const;

export async function tableCounts(sql: Sql): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const t of TABLES) {
    const [r] = await sql<{ n: number }[]>`SELECT count(*)::int AS n FROM ${sql(t)}`;
    out[t] = r!.n;
  }
  return out;
}

export function featureCollection(features: Array<{ properties: Record<string, unknown>; geometry: unknown }>): Uint8Array {
  return new TextEncoder().encode(JSON.stringify({ type: 'FeatureCollection', features: features.map((f) => ({ type: 'Feature', ...f })) }));
}

export async function importBytes(sql: Sql, kind: ImportKind, fileName: string, bytes: Uint8Array, options: ImportOptions = {}): Promise<ImportReport> {
  return runImport(sql, { kind, input: { fileName, bytes }, options });
}

export async function importFile(sql: Sql, kind: ImportKind, path: string, options: ImportOptions = {}): Promise<ImportReport> {
  return importBytes(sql, kind, path.split('/').pop()!, readFileSync(path), options);
}

/** Fails with the report's errors in the message, which is what one needs to see when it breaks. */
export function expectOk(r: ImportReport): void {
  expect(r.ok, JSON.stringify(r.errors.slice(0, 5), null, 1)).toBe(true);
}

/**
 * A small jurisdiction near Wugang: sub-district and community (113.50–113.60 E, 33.25–33.35 N)
 * and one grid on the western half, so the eastern half is free for test grids.
 */
export async function setUpJurisdiction(sql: Sql): Promise<void> {
  expectOk(
    await importBytes(sql, 'subdistrict', 'sd.geojson', featureCollection([{ properties: { code: 'SD-YL', name: '院岭街道' }, geometry: rect(113.5, 33.25, 113.6, 33.35) }])),
  );
  expectOk(
    await importBytes(
      sql,
      'communities',
      'cm.geojson',
      featureCollection([{ properties: { code: 'CM-1', name: '建设路社区', kind: '社区' }, geometry: rect(113.5, 33.25, 113.6, 33.35) }]),
    ),
  );
  expectOk(
    await importBytes(
      sql,
      'grids',
      'gr.geojson',
      featureCollection([{ properties: { code: 'G-WEST', name: '西网格', community: 'CM-1' }, geometry: rect(113.5, 33.25, 113.55, 33.35) }]),
    ),
  );
}

/** Great-circle distance in metres, for "within 1 m" assertions. */
export function haversineM(a: [number, number], b: [number, number]): number {
  const R = 6_371_008.8;
  const rad = Math.PI / 180;
  const dLat = (b[1] - a[1]) * rad;
  const dLon = (b[0] - a[0]) * rad;
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(a[1] * rad) * Math.cos(b[1] * rad) * Math.sin(dLon / 2) ** 2;
  return 2 * R * Math.asin(Math.sqrt(h));
}
