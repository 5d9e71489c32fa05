import { unzipSync } from 'fflate';
import * as shapefile from 'shapefile';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshDatabase, type TestDatabase } from '../../api/testing/db.ts';
import { expectOk, featureCollection, importBytes, rect, setUpJurisdiction } from '../import/test/helpers.ts';
import { toCsv } from './csv.ts';
import { runExport } from './index.ts';
import { writeShapefile } from './shapefile.ts';

describe('shapefile writer', () => {
  it('writes polygons with holes that the shapefile library reads back as GeoJSON', async () => {
    const withHole = {
      type: 'Polygon' as const,
      coordinates: [
        [[0, 0], [10, 0], [10, 10], [0, 10], [0, 0]],
        [[2, 2], [2, 4], [4, 4], [4, 2], [2, 2]],
      ],
    };
    const parts = writeShapefile(
      'polygon',
      [
        { name: 'code', type: 'C' },
        { name: 'name', type: 'C' },
        { name: 'area_m2', type: 'N', length: 12, decimals: 1 },
        { name: 'ok', type: 'L' },
      ],
      [
        { geometry: withHole, values: ['G1', '院岭街道第一网格', 1234.56, true] },
        { geometry: { type: 'MultiPolygon', coordinates: [rect(20, 20, 21, 21).coordinates, rect(30, 30, 31, 31).coordinates] }, values: ['G2', 'x'.repeat(300), null, false] },
      ],
    );
    // .shx: one 8-byte entry per record after the 100-byte header
    expect(parts.shx.length).toBe(116);
    const fc = await shapefile.read(parts.shp, parts.dbf, { encoding: 'utf-8' });
    expect(fc.bbox).toEqual([0, 0, 31, 31]);
    expect(fc.features).toHaveLength(2);
    const [a, b] = fc.features;
    expect(a!.properties).toEqual({ code: 'G1', name: '院岭街道第一网格', area_m2: 1234.6, ok: true });
    expect(a!.geometry).toEqual({ type: 'Polygon', coordinates: [[[0, 0], [0, 10], [10, 10], [10, 0], [0, 0]], [[2, 2], [4, 2], [4, 4], [2, 4], [2, 2]]] });
    expect(b!.geometry.type).toBe('MultiPolygon');
    // C fields stop at 254 bytes
    expect((b!.properties!.name as string).length).toBe(254);
    expect(b!.properties!.area_m2).toBeNull();
  });

  it('writes points, and cuts UTF-8 at a character boundary', async () => {
    const parts = writeShapefile('point', [{ name: 'title', type: 'C', length: 10 }], [{ geometry: { type: 'Point', coordinates: [113.5, 33.3] }, values: ['院岭街道'] }]);
    const fc = await shapefile.read(parts.shp, parts.dbf, { encoding: 'utf-8' });
    expect(fc.features[0]!.geometry).toEqual({ type: 'Point', coordinates: [113.5, 33.3] });
    // 4 characters × 3 bytes do not fit in 10 bytes: 3 whole characters are kept
    expect(fc.features[0]!.properties!.title).toBe('院岭街');
  });

  it('refuses field names a .dbf cannot hold', () => {
    expect(() => writeShapefile('point', [{ name: 'much_too_long_name', type: 'C' }], [])).toThrow(/1–10/);
  });
});

describe('CSV writer', () => {
  it('starts with a BOM, quotes what needs quoting and defuses formulas', () => {
    const bytes = toCsv(['code', 'title', 'lon'], [['E1', '=HYPERLINK("x")', -73.9], ['E2', 'a,b\n"c"', null]]);
    expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const text = new TextDecoder().decode(bytes.subarray(3));
    expect(text).toBe('code,title,lon\r\nE1,"\'=HYPERLINK(""x"")",-73.9\r\nE2,"a,b\n""c""",\r\n');
  });
});

describe('exporters against the database', () => {
  let db: TestDatabase;
  let other: TestDatabase;
  beforeAll(async () => {
    db = await freshDatabase(2);
    other = await freshDatabase(2);
    await setUpJurisdiction(db.sql);
    expectOk(
      await importBytes(
        db.sql,
        'grids',
        'east.geojson',
        featureCollection([{ properties: { code: 'G-EAST', name: '东网格', community: 'CM-1' }, geometry: rect(113.55, 33.25, 113.6, 33.35) }]),
      ),
    );
    expectOk(
      await importBytes(
        db.sql,
        'events',
        'ev.csv',
        new TextEncoder().encode('code,type,title,reported_at,lon,lat\nE1,治安,"盗窃, 电动车",2024-03-01 08:00,113.52,33.30\nE2,矛盾纠纷,=1+1,2024-03-02 09:00,113.57,33.31\n'),
      ),
    );
    expectOk(
      await importBytes(db.sql, 'addresses', 'ad.csv', new TextEncoder().encode('code,address,category,lon,lat\nA1,建设路1号,重点,113.52,33.30\n')),
    );
  });
  afterAll(async () => {
    await db?.drop();
    await other?.drop();
  });

  it('GeoJSON of grids carries the area in m²', async () => {
    const r = await runExport(db.sql, 'grids', 'geojson');
    expect(r).toMatchObject({ fileName: 'grids.geojson', contentType: 'application/geo+json', count: 2 });
    const fc = JSON.parse(new TextDecoder().decode(r.bytes)) as { features: Array<{ properties: Record<string, unknown>; geometry: { type: string } }> };
    const west = fc.features.find((f) => f.properties.code === 'G-WEST')!;
    expect(west.geometry.type).toBe('MultiPolygon');
    expect(west.properties).toMatchObject({ name: '西网格', community_code: 'CM-1' });
    // 0.05° × 0.1° at 33.3°N ≈ 4.65 km × 11.09 km
    expect(west.properties.area_m2 as number).toBeGreaterThan(5.1e7);
    expect(west.properties.area_m2 as number).toBeLessThan(5.2e7);
  });

  it('CSV of events opens in Excel: BOM, lon/lat, grid code, formula defused', async () => {
    const r = await runExport(db.sql, 'events', 'csv');
    // ignoreBOM keeps the BOM in the text instead of silently consuming it
    const text = new TextDecoder('utf-8', { ignoreBOM: true }).decode(r.bytes);
    expect(text.charCodeAt(0)).toBe(0xfeff);
    const lines = text.slice(1).trim().split('\r\n');
    expect(lines[0]).toBe('code,type,subtype,severity,state,title,reported_at,closed_at,grid_code,lon,lat');
    expect(lines[1]).toBe('E1,public_security,,1,reported,"盗窃, 电动车",2024-03-01T00:00:00.000Z,,G-WEST,113.52,33.3');
    expect(lines[2]).toContain(",'=1+1,");
    expect(lines[2]).toContain(',G-EAST,');
  });

  it('zipped shapefile of grids round-trips through the importer into another database', async () => {
    const r = await runExport(db.sql, 'grids', 'shapefile');
    expect(r.fileName).toBe('grids.zip');
    expect(Object.keys(unzipSync(r.bytes)).sort()).toEqual(['grids.cpg', 'grids.dbf', 'grids.prj', 'grids.shp', 'grids.shx']);

    const sd = await runExport(db.sql, 'grids', 'geojson');
    // The other database needs the same jurisdiction for the grids to have a parent.
    await setUpJurisdiction(other.sql);
    const back = await importBytes(other.sql, 'grids', r.fileName, r.bytes, { map: { community: 'community' } });
    expectOk(back);
    expect(back.format).toBe('shapefile');
    expect(back.crs).toMatch(/EPSG:4326 \(from \.prj/);
    expect(back.encoding).toMatch(/utf-8/);
    expect(back.counts).toMatchObject({ inserted: 1, updated: 1 });
    const areas = async (sql: TestDatabase['sql']) =>
      Object.fromEntries((await sql<{ code: string; a: number }[]>`SELECT code, round(area_m2)::float8 AS a FROM grid ORDER BY code`).map((x) => [x.code, x.a]));
    expect(await areas(other.sql)).toEqual(await areas(db.sql));
    expect(sd.count).toBe(2);
  });

  it('zipped shapefile of addresses and events are point layers', async () => {
    for (const kind of ['addresses', 'events'] as const) {
      const r = await runExport(db.sql, kind, 'shapefile');
      const files = unzipSync(r.bytes);
      const fc = await shapefile.read(files[`${kind}.shp`]!, files[`${kind}.dbf`]!, { encoding: 'utf-8' });
      expect(fc.features.length).toBe(r.count);
      expect(fc.features[0]!.geometry.type).toBe('Point');
    }
    const ev = await runExport(db.sql, 'events', 'shapefile');
    const files = unzipSync(ev.bytes);
    const fc = await shapefile.read(files['events.shp']!, files['events.dbf']!, { encoding: 'utf-8' });
    expect(fc.features[0]!.properties).toMatchObject({ code: 'E1', title: '盗窃, 电动车', grid: 'G-WEST', reported: '2024-03-01T00:00:00.000Z' });
  });
});
