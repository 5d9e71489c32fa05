import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { booleanPointInPolygon } from '@turf/turf';
import type { Feature, FeatureCollection, MultiPolygon, Polygon } from 'geojson';
import proj4 from 'proj4';
import type { Sql } from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshDatabase, type TestDatabase } from '../../api/testing/db.ts';
import { expectOk, featureCollection, HAVE_SHARED_DATA, importBytes, SHARED_DATA } from './test/helpers.ts';

/**
 * Real public data sets (shared/data, see each SOURCES.md): polygons imported as grids, incidents
 * as events, and the grid the database gives each event compared with an independent turf
 * point-in-polygon count over the same files. On a shared edge the database picks the grid with
 * the lowest id, i.e. the first in the file, so the turf count does the same.
 */

if (!HAVE_SHARED_DATA) {
  console.warn(`real-data import tests skipped: ${SHARED_DATA} is missing (CI copies shared/ beside the clone)`);
}

type Area = Feature<Polygon | MultiPolygon, Record<string, unknown>>;

/** Events per polygon code by first containing polygon in file order. */
function turfCounts(areas: Area[], codeOf: (f: Area) => string, points: Array<[number, number]>): Map<string, number> {
  const counts = new Map<string, number>(areas.map((a) => [codeOf(a), 0]));
  for (const p of points) {
    const hit = areas.find((a) => booleanPointInPolygon(p, a));
    if (hit) counts.set(codeOf(hit), counts.get(codeOf(hit))! + 1);
  }
  return counts;
}

async function dbCounts(sql: Sql): Promise<Map<string, number>> {
  const rows = await sql<{ code: string; n: number }[]>`
    SELECT g.code, count(e.id)::int AS n FROM grid g LEFT JOIN event e ON e.grid_id = g.id GROUP BY g.code`;
  return new Map(rows.map((r) => [r.code, r.n]));
}

/** A sub-district and a community drawn as the union of the areas, so every area fits inside. */
async function jurisdictionFromUnion(sql: Sql, areas: Area[], code: string): Promise<void> {
  const [row] = await sql<{ g: string }[]>`
    SELECT ST_AsGeoJSON(ST_Multi(ST_Union(ST_SetSRID(ST_GeomFromGeoJSON(f->>'geometry'), 4326))), 15) AS g
    FROM jsonb_array_elements(${JSON.stringify(areas)}::text::jsonb) f`;
  const geometry = JSON.parse(row!.g) as MultiPolygon;
  expectOk(await importBytes(sql, 'subdistrict', `${code}.geojson`, featureCollection([{ properties: { code, name: code }, geometry }])));
  expectOk(
    await importBytes(sql, 'communities', `${code}-c.geojson`, featureCollection([{ properties: { code: `${code}-C`, name: code, subdistrict: code }, geometry }])),
  );
}

function parseCsv(text: string): Array<Record<string, string>> {
  const [head, ...lines] = text.trim().split(/\r?\n/);
  const cols = head!.split(',');
  return lines.map((l) => {
    const v = l.split(',');
    return Object.fromEntries(cols.map((c, i) => [c, v[i] ?? '']));
  });
}

describe.skipIf(!HAVE_SHARED_DATA)('NYC precincts and shootings', () => {
  const dir = join(SHARED_DATA, 'nyc_precincts_shootings');
  let db: TestDatabase;
  beforeAll(async () => {
    db = await freshDatabase(2);
  });
  afterAll(async () => {
    await db?.drop();
  });

  it('imports 77 precincts as grids and 967 shootings as events, and places each event like turf does', { timeout: 180_000 }, async () => {
    const precinctsBytes = readFileSync(join(dir, 'nyc_precincts.geojson'));
    const precincts = (JSON.parse(precinctsBytes.toString('utf8')) as FeatureCollection<Polygon | MultiPolygon, Record<string, unknown>>).features;
    await jurisdictionFromUnion(db.sql, precincts, 'NYC');

    const grids = await importBytes(db.sql, 'grids', 'nyc_precincts.geojson', precinctsBytes, {
      map: { code: 'NYPD-{Precinct}', name: 'Precinct {Precinct}' },
    });
    expectOk(grids);
    expect(grids.counts).toMatchObject({ read: 77, valid: 77, inserted: 77, updated: 0 });
    expect(grids.warnings.some((w) => w.code === 'PARENT_FOUND_SPATIALLY')).toBe(true);

    const csv = readFileSync(join(dir, 'nyc_shootings_2019.csv'));
    const events = await importBytes(db.sql, 'events', 'nyc_shootings_2019.csv', csv, {
      // incident_key repeats for shootings with several victims: one event per row.
      map: { code: 'NYC-{incident_key}-{@row}', title: 'Shooting {boro}' },
      defaults: { type: 'public_security' },
      timeZone: 'America/New_York',
    });
    expectOk(events);
    expect(events.counts).toMatchObject({ read: 967, valid: 967, inserted: 967 });
    expect(events.fields).toMatchObject({ reported_at: 'occur_date', lon: 'longitude', lat: 'latitude' });

    const rows = parseCsv(csv.toString('utf8'));
    const points = rows.map((r) => [Number(r.longitude), Number(r.latitude)] as [number, number]);
    const expected = turfCounts(precincts, (f) => `NYPD-${String(f.properties.Precinct)}`, points);
    const actual = await dbCounts(db.sql);
    expect(Object.fromEntries(actual)).toEqual(Object.fromEntries(expected));
    expect([...actual.values()].reduce((a, b) => a + b, 0)).toBe(967);

    const [t] = await db.sql<{ first: Date; n: number }[]>`
      SELECT min(reported_at) AS first, count(*) FILTER (WHERE source = 'import' AND type = 'public_security')::int AS n FROM event`;
    // occur_date 2019-01-01 is midnight in New York.
    expect(t!.first.toISOString()).toBe('2019-01-01T05:00:00.000Z');
    expect(t!.n).toBe(967);
    const [log] = await db.sql<{ n: number }[]>`SELECT count(*)::int AS n FROM event_log WHERE action = 'import'`;
    expect(log!.n).toBe(967);
  });
});

describe.skipIf(!HAVE_SHARED_DATA)('Vancouver neighbourhoods and thefts (UTM 10N)', () => {
  const dir = join(SHARED_DATA, 'vancouver_neighbourhoods_thefts');
  let db: TestDatabase;
  beforeAll(async () => {
    db = await freshDatabase(2);
  });
  afterAll(async () => {
    await db?.drop();
  });

  it('converts EPSG:32610 X/Y and places every theft like turf does', { timeout: 300_000 }, async () => {
    const hoodsBytes = readFileSync(join(dir, 'vancouver_neighbourhoods.geojson'));
    const hoods = (JSON.parse(hoodsBytes.toString('utf8')) as FeatureCollection<Polygon | MultiPolygon, Record<string, unknown>>).features;
    await jurisdictionFromUnion(db.sql, hoods, 'VAN');

    // These simplified polygons overlap their neighbours by up to ~5,600 m²: refused by default…
    const strict = await importBytes(db.sql, 'grids', 'vancouver_neighbourhoods.geojson', hoodsBytes, { map: { code: 'mapid' } });
    expect(strict.ok).toBe(false);
    expect(strict.errors.every((e) => e.code === 'GRID_OVERLAP' && (e.areaM2 ?? 0) > 1)).toBe(true);
    // …and accepted with a tolerance that says how much overlap is digitising noise.
    const grids = await importBytes(db.sql, 'grids', 'vancouver_neighbourhoods.geojson', hoodsBytes, { map: { code: 'mapid' }, areaToleranceM2: 10_000 });
    expectOk(grids);
    expect(grids.counts.inserted).toBe(22);

    const csv = readFileSync(join(dir, 'vancouver_thefts_2020.csv'));
    const options = {
      crs: 'EPSG:32610',
      autoCode: true,
      skipInvalid: true,
      map: { type: 'TYPE', reported_at: '{YEAR}-{MONTH}-{DAY} {HOUR}:{MINUTE}', title: '{TYPE} {HUNDRED_BLOCK}', lon: 'X', lat: 'Y' },
      values: { type: { '*': 'public_security' } },
      defaults: { subtype: 'theft' },
      timeFormat: 'YYYY-M-D H:m',
      timeZone: 'America/Vancouver',
    };
    const events = await importBytes(db.sql, 'events', 'vancouver_thefts_2020.csv', csv, options);
    expectOk(events);
    expect(events.crs).toMatch(/^EPSG:32610/);
    expect(events.counts.read).toBe(21918);
    // Thefts outside every neighbourhood (Stanley Park, Musqueam…) are outside the sub-district.
    expect(events.errors.every((e) => e.code === 'OUTSIDE_SUBDISTRICT')).toBe(true);

    const utm = proj4('+proj=utm +zone=10 +datum=WGS84 +units=m +no_defs', 'EPSG:4326');
    const points = parseCsv(csv.toString('utf8')).map((r) => utm.forward([Number(r.X), Number(r.Y)]) as [number, number]);
    const expected = turfCounts(hoods, (f) => String(f.properties.mapid), points);
    const inside = [...expected.values()].reduce((a, b) => a + b, 0);
    expect(events.counts.inserted).toBe(inside);
    expect(events.counts.skipped).toBe(21918 - inside);
    expect(Object.fromEntries(await dbCounts(db.sql))).toEqual(Object.fromEntries(expected));

    // Same file again: content-derived codes make it an update of the same rows.
    const again = await importBytes(db.sql, 'events', 'vancouver_thefts_2020.csv', csv, options);
    expectOk(again);
    expect(again.counts).toMatchObject({ inserted: 0, updated: inside });
    const [n] = await db.sql<{ n: number }[]>`SELECT count(*)::int AS n FROM event`;
    expect(n!.n).toBe(inside);
  });
});

describe.skipIf(!HAVE_SHARED_DATA)('GeoLife tracks as GPS fixes', () => {
  const root = join(SHARED_DATA, 'geolife_tracks');
  let db: TestDatabase;
  beforeAll(async () => {
    db = await freshDatabase(2);
  });
  afterAll(async () => {
    await db?.drop();
  });

  /** Every .plt with the GeoLife user folder it belongs to. */
  function pltFiles(): Array<{ user: string; path: string }> {
    const out: Array<{ user: string; path: string }> = [];
    for (const group of readdirSync(root, { withFileTypes: true }).filter((d) => d.isDirectory())) {
      for (const user of readdirSync(join(root, group.name))) {
        const dir = join(root, group.name, user, 'Trajectory');
        for (const f of readdirSync(dir).filter((x) => x.endsWith('.plt'))) out.push({ user: `${group.name}/${user}`, path: join(dir, f) });
      }
    }
    return out.sort((a, b) => a.path.localeCompare(b.path));
  }

  it('imports all 13 .plt files, one device per GeoLife user, and re-importing adds nothing', { timeout: 180_000 }, async () => {
    const files = pltFiles();
    expect(files).toHaveLength(13);
    const expected = new Map<string, Set<string>>();
    for (const f of files) {
      const lines = readFileSync(f.path, 'utf8').split(/\r?\n/).slice(6).filter((l) => l.trim());
      const set = expected.get(f.user) ?? new Set<string>();
      for (const l of lines) {
        const p = l.split(',');
        set.add(`${p[5]}T${p[6]}Z`);
      }
      expected.set(f.user, set);
      const r = await importBytes(db.sql, 'gps-fixes', f.path.split('/').pop()!, readFileSync(f.path), { device: `geolife-${f.user}` });
      expectOk(r);
      expect(r.format).toBe('plt');
      expect(r.counts.read).toBe(lines.length);
    }
    const rows = await db.sql<{ code: string; n: number; lon_min: number; lon_max: number }[]>`
      SELECT d.code, count(*)::int AS n, min(f.lon) AS lon_min, max(f.lon) AS lon_max
      FROM gps_fix f JOIN patrol_device d ON d.id = f.device_id GROUP BY d.code ORDER BY d.code`;
    expect(Object.fromEntries(rows.map((r) => [r.code, r.n]))).toEqual(
      Object.fromEntries([...expected].map(([user, set]) => [`geolife-${user}`, set.size])),
    );
    const total = [...expected.values()].reduce((n, s) => n + s.size, 0);
    // The train trip of user 010 crosses Gansu and Xinjiang (SOURCES.md: lon 75.98–103.86).
    const train = rows.find((r) => r.code === 'geolife-geolife_modes/010')!;
    expect(train.lon_min).toBeCloseTo(75.98, 1);
    expect(train.lon_max).toBeCloseTo(103.86, 1);

    const again = await importBytes(db.sql, 'gps-fixes', 'again.plt', readFileSync(files[0]!.path), { device: `geolife-${files[0]!.user}` });
    expectOk(again);
    expect(again.counts.inserted).toBe(0);
    expect(again.counts.unchanged).toBe(again.counts.valid);
    const [n] = await db.sql<{ n: number }[]>`SELECT count(*)::int AS n FROM gps_fix`;
    expect(n!.n).toBe(total);
  });
});
