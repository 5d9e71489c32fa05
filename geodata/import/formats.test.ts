import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import iconv from 'iconv-lite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshDatabase, type TestDatabase } from '../../api/testing/db.ts';
import { cgcs2000GaussKruger, forwardTransform } from '../crs/projected.ts';
import { mergeOptions, parseProfile } from './profile.ts';
import { expectOk, FIXTURES_DIR, featureCollection, haversineM, importBytes, importFile, rect, setUpJurisdiction, tableCounts } from './test/helpers.ts';
import { zipSync } from 'fflate';

const enc = (s: string) => new TextEncoder().encode(s);

describe('coordinate systems', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    // No sub-district here: the reference points are all over China.
    db = await freshDatabase(2);
  });
  afterAll(async () => {
    await db?.drop();
  });

  async function storedPoints(prefix: string): Promise<Map<string, [number, number]>> {
    const rows = await db.sql<{ code: string; lon: number; lat: number }[]>`
      SELECT code, ST_X(geom) AS lon, ST_Y(geom) AS lat FROM address WHERE code LIKE ${`${prefix}%`}`;
    return new Map(rows.map((r) => [r.code, [r.lon, r.lat]]));
  }

  function expected(file: string): Map<string, [number, number]> {
    const [, ...lines] = readFileSync(join(FIXTURES_DIR, file), 'utf8').trim().split('\n');
    return new Map(
      lines.map((l) => {
        const f = l.split(',');
        return [f[0]!, [Number(f[4]), Number(f[5])]];
      }),
    );
  }

  it('GCJ-02 points land within 1 m of their known WGS84 positions', async () => {
    const r = await importFile(db.sql, 'addresses', join(FIXTURES_DIR, 'gcj02-addresses.csv'), { crs: 'GCJ-02' });
    expectOk(r);
    expect(r.crs).toBe('GCJ-02 (option)');
    const got = await storedPoints('');
    for (const [code, wgs] of expected('gcj02-addresses.csv')) {
      const d = haversineM(got.get(code)!, wgs);
      expect(d, code).toBeLessThan(1);
    }
  });

  it('BD-09 points land within 1 m of their known WGS84 positions', async () => {
    const r = await importFile(db.sql, 'addresses', join(FIXTURES_DIR, 'bd09-addresses.csv'), { crs: 'BD-09' });
    expectOk(r);
    const got = await storedPoints('BD');
    for (const [code, wgs] of expected('bd09-addresses.csv')) expect(haversineM(got.get(code)!, wgs), code).toBeLessThan(1);
  });

  it('CGCS2000 Gauss-Krüger CSV (EPSG:4547) agrees with PostGIS ST_Transform', async () => {
    const r = await importBytes(db.sql, 'addresses', 'gk.csv', enc('编号,地址,X,Y\nGK-1,院岭,453431.9309657493,3686131.7405929496\n'), { crs: 'EPSG:4547' });
    expectOk(r);
    const [row] = await db.sql<{ lon: number; lat: number; plon: number; plat: number }[]>`
      SELECT ST_X(geom) AS lon, ST_Y(geom) AS lat,
             ST_X(ST_Transform(ST_SetSRID(ST_MakePoint(453431.9309657493, 3686131.7405929496), 4547), 4326)) AS plon,
             ST_Y(ST_Transform(ST_SetSRID(ST_MakePoint(453431.9309657493, 3686131.7405929496), 4547), 4326)) AS plat
      FROM address WHERE code = 'GK-1'`;
    expect(haversineM([row!.lon, row!.lat], [row!.plon, row!.plat])).toBeLessThan(0.01);
    expect(haversineM([row!.lon, row!.lat], [113.5, 33.3])).toBeLessThan(0.01);
  });

  it('a zone-prefixed easting (EPSG:4526, zone 38) converts to the same place', async () => {
    const r = await importBytes(db.sql, 'addresses', 'gk38.csv', enc('code,address,x,y\nGK-38,院岭,38453431.9309657493,3686131.7405929496\n'), { crs: 'EPSG:4526' });
    expectOk(r);
    const got = await storedPoints('GK-38');
    expect(haversineM(got.get('GK-38')!, [113.5, 33.3])).toBeLessThan(0.01);
  });

  it('degrees-minutes-seconds cells and a GeoJSON crs member are understood', async () => {
    const dms = await importBytes(db.sql, 'addresses', 'dms.csv', enc('code,address,经度,纬度\nDMS-1,院岭,113°30′00″E,33°18′00″N\n'));
    expectOk(dms);
    expect(haversineM((await storedPoints('DMS-1')).get('DMS-1')!, [113.5, 33.3])).toBeLessThan(0.01);
    const [x, y] = forwardTransform(cgcs2000GaussKruger(4547)!)(113.51, 33.31);
    const doc = {
      type: 'FeatureCollection',
      crs: { type: 'name', properties: { name: 'urn:ogc:def:crs:EPSG::4547' } },
      features: [{ type: 'Feature', properties: { code: 'CRSM-1', address: '院岭' }, geometry: { type: 'Point', coordinates: [x, y] } }],
    };
    const r = await importBytes(db.sql, 'addresses', 'crs-member.geojson', enc(JSON.stringify(doc)));
    expectOk(r);
    expect(r.crs).toMatch(/EPSG:4547.*GeoJSON crs member/);
    expect(haversineM((await storedPoints('CRSM-1')).get('CRSM-1')!, [113.51, 33.31])).toBeLessThan(0.01);
  });
});

describe('formats, mapping and behaviour', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await freshDatabase(2);
    await setUpJurisdiction(db.sql);
  });
  afterAll(async () => {
    await db?.drop();
  });

  it('CGCS2000 GK shapefile: .prj recognised, geometry lands on the original lon/lat', async () => {
    const r = await importFile(db.sql, 'grids', join(FIXTURES_DIR, 'cgcs2000-gk-grids.zip'), { dryRun: true });
    expectOk(r);
    expect(r.format).toBe('shapefile');
    expect(r.crs).toMatch(/^EPSG:4547 \(from \.prj/);
    expect(r.counts).toMatchObject({ read: 2, valid: 2, inserted: 2 });
    const real = await importFile(db.sql, 'grids', join(FIXTURES_DIR, 'cgcs2000-gk-grids.zip'), { map: { community: '{@file}' }, defaults: {} });
    // {@file} is "cgcs2000-gk-grids", not a community: refused, by name and code lookup.
    expect(real.errors[0]).toMatchObject({ code: 'UNKNOWN_PARENT', row: 1, field: 'community' });
    const ok = await importFile(db.sql, 'grids', join(FIXTURES_DIR, 'cgcs2000-gk-grids.zip'), { defaults: { community: '建设路社区' } });
    expectOk(ok);
    const [g] = await db.sql<{ xmin: number; ymin: number; xmax: number; ymax: number; area: number; community: string }[]>`
      SELECT ST_XMin(g.geom) AS xmin, ST_YMin(g.geom) AS ymin, ST_XMax(g.geom) AS xmax, ST_YMax(g.geom) AS ymax, g.area_m2 AS area, c.code AS community
      FROM grid g JOIN community c ON c.id = g.community_id WHERE g.code = 'GK1'`;
    expect(g!.community).toBe('CM-1');
    expect(g!.xmin).toBeCloseTo(113.55, 8);
    expect(g!.ymin).toBeCloseTo(33.25, 8);
    expect(g!.xmax).toBeCloseTo(113.56, 8);
    expect(g!.ymax).toBeCloseTo(33.26, 8);
    // the crs option still wins over a .prj, with a warning
    const override = await importFile(db.sql, 'grids', join(FIXTURES_DIR, 'cgcs2000-gk-grids.zip'), { crs: 'EPSG:4547', dryRun: true, defaults: { community: 'CM-1' } });
    expect(override.warnings.some((w) => w.code === 'CRS_OVERRIDDEN')).toBe(false);
    const wrong = await importFile(db.sql, 'grids', join(FIXTURES_DIR, 'cgcs2000-gk-grids.zip'), { crs: 'EPSG:4546', dryRun: true, defaults: { community: 'CM-1' } });
    expect(wrong.warnings.some((w) => w.code === 'CRS_OVERRIDDEN')).toBe(true);
    expect(wrong.ok).toBe(false);
  });

  it('GBK shapefile without .cpg: Chinese attributes decoded and labels mapped', async () => {
    const r = await importFile(db.sql, 'addresses', join(FIXTURES_DIR, 'gbk-addresses-no-cpg.zip'), {
      map: { code: 'DZBM', address_text: 'DZMC', category: 'DZLB' },
    });
    expectOk(r);
    expect(r.encoding).toMatch(/gb18030/);
    const rows = await db.sql<{ code: string; address_text: string; category: string; grid: string | null }[]>`
      SELECT a.code, a.address_text, a.category, g.code AS grid FROM address a LEFT JOIN grid g ON g.id = a.grid_id
      WHERE a.code LIKE 'AD-%' ORDER BY a.code`;
    expect(rows).toEqual([
      { code: 'AD-001', address_text: '河南省舞钢市院岭街道建设路12号', category: 'general', grid: null },
      { code: 'AD-002', address_text: '院岭街道朝阳路8号（幼儿园）', category: 'key', grid: null },
    ]);
  });

  it('KML placemarks become key locations, points and polygons, with Chinese type labels', async () => {
    const r = await importFile(db.sql, 'key-locations', join(FIXTURES_DIR, 'points.kml'));
    expectOk(r);
    expect(r.fields).toMatchObject({ code: 'code', name: 'name', type: '类型' });
    const rows = await db.sql<{ code: string; name: string; type: string; gt: string }[]>`
      SELECT code, name, type, GeometryType(geom) AS gt FROM key_location ORDER BY code`;
    expect(rows).toEqual([
      { code: 'KL-1', name: '院岭中学', type: 'school', gt: 'POINT' },
      { code: 'KL-2', name: '农贸市场', type: 'market', gt: 'POLYGON' },
    ]);
  });

  it('GPX and NMEA become GPS fixes with speeds in km/h', async () => {
    const gpx = await importFile(db.sql, 'gps-fixes', join(FIXTURES_DIR, 'track.gpx'), { map: { device: 'track' }, deviceKind: 'vehicle' });
    expectOk(gpx);
    expect(gpx.counts.inserted).toBe(3);
    const fixes = await db.sql<{ code: string; kind: string; speed: number | null }[]>`
      SELECT d.code, d.kind, f.speed_kmh AS speed FROM gps_fix f JOIN patrol_device d ON d.id = f.device_id ORDER BY f.fixed_at`;
    expect(fixes.map((f) => f.code)).toEqual(['巡逻车1', '巡逻车1', '巡逻车1']);
    expect(fixes[0]!.kind).toBe('vehicle');
    expect(fixes[0]!.speed).toBeCloseTo(18, 3);
    expect(fixes[2]!.speed).toBeNull();

    const nmea = await importFile(db.sql, 'gps-fixes', join(FIXTURES_DIR, 'patrol.nmea'), { device: 'BODYCAM-7' });
    expectOk(nmea);
    // GGA+RMC of 08:35:59 are one fix; the void RMC and the GSV carry none.
    expect(nmea.counts.inserted).toBe(3);
    const rows = await db.sql<{ t: Date; lon: number; lat: number; speed: number | null }[]>`
      SELECT f.fixed_at AS t, f.lon, f.lat, f.speed_kmh AS speed FROM gps_fix f JOIN patrol_device d ON d.id = f.device_id
      WHERE d.code = 'BODYCAM-7' ORDER BY f.fixed_at`;
    expect(rows[0]!.t.toISOString()).toBe('2024-03-01T08:35:59.000Z');
    expect(rows[0]!.lat).toBeCloseTo(33.3, 9);
    expect(rows[0]!.lon).toBeCloseTo(113.56, 9);
    expect(rows[0]!.speed).toBeCloseTo(18.52, 2);
    expect(rows[2]!.t.toISOString()).toBe('2024-03-01T08:36:29.000Z');
  });

  it('is idempotent: a second import updates the same rows', async () => {
    const csv = enc('\uFEFF地址编码,标准地址,地址类别,是否空置,经度,纬度\r\nI-1,建设路1号,重点类,否,113.58,33.30\r\nI-2,建设路2号,关注,是,113.585,33.305\r\n');
    const first = await importBytes(db.sql, 'addresses', 'bom.csv', csv);
    expectOk(first);
    expect(first.encoding).toBe('utf-8 (BOM)');
    expect(first.counts).toMatchObject({ read: 2, inserted: 2, updated: 0 });
    const counts = await tableCounts(db.sql);
    const second = await importBytes(db.sql, 'addresses', 'bom.csv', csv);
    expectOk(second);
    expect(second.counts).toMatchObject({ read: 2, inserted: 0, updated: 2 });
    expect({ ...(await tableCounts(db.sql)), audit_log: 0 }).toEqual({ ...counts, audit_log: 0 });
    const rows = await db.sql`SELECT code, category, vacant FROM address WHERE code LIKE 'I-%' ORDER BY code`;
    expect(rows).toEqual([
      { code: 'I-1', category: 'key', vacant: false },
      { code: 'I-2', category: 'attention', vacant: true },
    ]);
  });

  it('dry run validates, counts and writes nothing, not even the audit log', async () => {
    const before = await tableCounts(db.sql);
    const r = await importBytes(db.sql, 'addresses', 'dry.csv', enc('code,address,lon,lat\nD-1,一号,113.56,33.30\nD-2,二号,113.57,33.31\n'), { dryRun: true });
    expectOk(r);
    expect(r.dryRun).toBe(true);
    expect(r.counts).toMatchObject({ inserted: 2, valid: 2 });
    expect(await tableCounts(db.sql)).toEqual(before);
  });

  it('events: labels, time formats, deadlines from config, and a re-import leaves the workflow alone', async () => {
    const csv = iconv.encode(
      [
        '事件编号,事件类型,事件子类,严重程度,标题,发生时间,经度,纬度',
        'EV-1,矛盾纠纷,邻里,较大,邻里噪音纠纷,2024年3月5日 14时30分,113.58,33.30',
        'EV-2,风险隐患,消防,重大,楼道堆放杂物,2024年3月6日 09时05分,113.585,33.305',
      ].join('\r\n'),
      'gbk',
    );
    const opts = { timeFormat: 'YYYY年M月D日 H时m分' };
    const r = await importBytes(db.sql, 'events', 'events.csv', csv, opts);
    expectOk(r);
    const rows = await db.sql<{ code: string; type: string; subtype: string; severity: number; complexity: string | null; reported_at: Date; due_at: Date; grid: string | null }[]>`
      SELECT e.code, e.type, e.subtype, e.severity, e.complexity, e.reported_at, e.due_at, g.code AS grid
      FROM event e LEFT JOIN grid g ON g.id = e.grid_id ORDER BY e.code`;
    expect(rows[0]).toMatchObject({ type: 'dispute', subtype: 'neighbour', severity: 3, complexity: 'general' });
    expect(rows[0]!.reported_at.toISOString()).toBe('2024-03-05T06:30:00.000Z');
    // config event.deadline_hours: dispute severity 3 → 12 h; hazard severity 4 → 4 h.
    expect(rows[0]!.due_at.getTime() - rows[0]!.reported_at.getTime()).toBe(12 * 3600_000);
    expect(rows[1]).toMatchObject({ type: 'hazard', subtype: 'fire', severity: 4 });
    expect(rows[1]!.due_at.getTime() - rows[1]!.reported_at.getTime()).toBe(4 * 3600_000);

    await db.sql`UPDATE event SET state = 'accepted' WHERE code = 'EV-1'`;
    const again = await importBytes(db.sql, 'events', 'events.csv', csv, opts);
    expectOk(again);
    expect(again.counts).toMatchObject({ inserted: 0, updated: 2 });
    const [ev] = await db.sql<{ state: string }[]>`SELECT state FROM event WHERE code = 'EV-1'`;
    expect(ev!.state).toBe('accepted');
    const [log] = await db.sql<{ n: number }[]>`SELECT count(*)::int AS n FROM event_log WHERE action = 'import'`;
    expect(log!.n).toBe(2);
  });

  it('closed events are final: a re-import leaves them unchanged and says so', async () => {
    // Kept in the western grid, away from the grids later tests draw: redrawing a grid over a closed
    // event currently fails in the database (grid_reassign_points vs event_final_state).
    const csv = enc('code,type,state,reported_at,closed_at,lon,lat\nC-1,治安,已办结,2024-03-01 08:00,2024-03-02 08:00,113.52,33.33\n');
    const first = await importBytes(db.sql, 'events', 'closed.csv', csv);
    expectOk(first);
    expect(first.counts.inserted).toBe(1);
    const again = await importBytes(db.sql, 'events', 'closed.csv', enc('code,type,state,reported_at,closed_at,title,lon,lat\nC-1,治安,已办结,2024-03-01 08:00,2024-03-02 08:00,改过的标题,113.52,33.33\n'));
    expectOk(again);
    expect(again.counts).toMatchObject({ inserted: 0, updated: 0, unchanged: 1 });
    expect(again.warnings.some((w) => w.code === 'LEFT_UNCHANGED')).toBe(true);
    const [row] = await db.sql<{ state: string; title: string }[]>`SELECT state, title FROM event WHERE code = 'C-1'`;
    expect(row).toEqual({ state: 'closed', title: '治安事件' });
  });

  it('other time formats: ISO with offset, unix seconds and Excel serial days', async () => {
    const csv = enc('code,type,t,lon,lat\nT-1,治安,45352.25,113.58,33.30\n');
    const r = await importBytes(db.sql, 'events', 'excel.csv', csv, { map: { reported_at: 't' }, timeFormat: 'excel' });
    expectOk(r);
    const [row] = await db.sql<{ t: Date }[]>`SELECT reported_at AS t FROM event WHERE code = 'T-1'`;
    // Excel 45352.25 = 2024-03-01 06:00 local (Asia/Shanghai) = 2024-02-29 22:00 UTC.
    expect(row!.t.toISOString()).toBe('2024-02-29T22:00:00.000Z');
    const unix = await importBytes(db.sql, 'events', 'unix.csv', enc('code,type,t,lon,lat\nT-2,治安,1709251200,113.58,33.30\n'), { map: { reported_at: 't' }, timeFormat: 'unix' });
    expectOk(unix);
    const iso = await importBytes(db.sql, 'events', 'iso.csv', enc('code,type,time,lon,lat\nT-3,治安,2024-03-01T08:00:00+08:00,113.58,33.30\n'));
    expectOk(iso);
    const rows = await db.sql<{ code: string; t: Date }[]>`SELECT code, reported_at AS t FROM event WHERE code IN ('T-2', 'T-3') ORDER BY code`;
    expect(rows.map((x) => x.t.toISOString())).toEqual(['2024-03-01T00:00:00.000Z', '2024-03-01T00:00:00.000Z']);
  });

  it('grids: parent by name, gaps warned with their area, strict tiling refuses them', async () => {
    const file = featureCollection([{ properties: { 网格编码: 'G-NE', 网格名称: '东北网格', 所属社区: '建设路社区' }, geometry: rect(113.58, 33.3, 113.6, 33.35) }]);
    const loose = await importBytes(db.sql, 'grids', 'ne.geojson', file, { dryRun: true });
    expectOk(loose);
    const gap = loose.warnings.find((w) => w.code === 'GRID_GAP');
    expect(gap?.message).toMatch(/community "CM-1"/);
    expect(gap!.areaM2).toBeGreaterThan(1e6);
    const strict = await importBytes(db.sql, 'grids', 'ne.geojson', file, { strictTiling: true });
    expect(strict.ok).toBe(false);
    expect(strict.errors.some((e) => e.code === 'GRID_GAP')).toBe(true);
  });

  it('a new grid picks up the events already inside it (database trigger)', async () => {
    const r = await importBytes(
      db.sql,
      'grids',
      'east.geojson',
      featureCollection([{ properties: { code: 'G-EAST2', name: '东二', community: 'CM-1' }, geometry: rect(113.575, 33.295, 113.59, 33.31) }]),
    );
    expectOk(r);
    const [row] = await db.sql<{ n: number }[]>`
      SELECT count(*)::int AS n FROM event e JOIN grid g ON g.id = e.grid_id WHERE g.code = 'G-EAST2'`;
    expect(row!.n).toBeGreaterThan(0);
  });

  it('joint-defense points and key locations take a grid code or get one from the trigger', async () => {
    const jdp = await importBytes(db.sql, 'joint-defense-points', 'jdp.csv', enc('点位编码,点位名称,服务半径,网格,lon,lat\nJ-1,超市门口,150,G-WEST,113.52,33.30\nJ-2,路口,,,113.52,33.31\n'));
    expectOk(jdp);
    const rows = await db.sql<{ code: string; r: number; grid: string }[]>`
      SELECT j.code, j.service_radius_m AS r, g.code AS grid FROM joint_defense_point j JOIN grid g ON g.id = j.grid_id ORDER BY j.code`;
    expect(rows).toEqual([
      { code: 'J-1', r: 150, grid: 'G-WEST' },
      { code: 'J-2', r: 200, grid: 'G-WEST' },
    ]);
  });

  it('a saved profile maps fields and values, and explicit options win', async () => {
    const profile = parseProfile(
      JSON.stringify({ kind: 'events', map: { code: 'NO', type: 'KIND', reported_at: 'WHEN' }, values: { type: { THEFT: 'public_security', FIGHT: 'public_security' } }, defaults: { subtype: 'theft' } }),
    );
    const options = mergeOptions(profile, { values: { type: { FIGHT: 'dispute' } }, defaults: { subtype: 'other' } });
    const r = await importBytes(db.sql, 'events', 'p.csv', enc('NO,KIND,WHEN,lon,lat\nP-1,THEFT,2024-03-01 08:00,113.58,33.3\nP-2,FIGHT,2024-03-01 09:00,113.58,33.3\n'), options);
    expectOk(r);
    const rows = await db.sql`SELECT code, type, subtype FROM event WHERE code LIKE 'P-%' ORDER BY code`;
    expect(rows).toEqual([
      { code: 'P-1', type: 'public_security', subtype: 'other' },
      { code: 'P-2', type: 'dispute', subtype: 'other' },
    ]);
    expect(() => parseProfile('{"map": {"code": 1}}')).toThrow(/not a valid import profile/);
    expect(() => parseProfile('{"colour": "red"}')).toThrow(/not a valid import profile/);
  });

  it('a zip holding one GeoJSON is read like the GeoJSON itself', async () => {
    const zip = zipSync({ 'inner/addresses.geojson': featureCollection([{ properties: { code: 'Z-1', address: '压缩包' }, geometry: { type: 'Point', coordinates: [113.52, 33.3] } }]) });
    const r = await importBytes(db.sql, 'addresses', 'upload.zip', zip);
    expectOk(r);
    expect(r.format).toBe('geojson');
  });

  it('reports progress through the phases', async () => {
    const phases: string[] = [];
    const r = await importBytes(db.sql, 'addresses', 'p.csv', enc('code,address,lon,lat\nPR-1,一号,113.52,33.30\n'), {
      dryRun: true,
      onProgress: (p) => {
        if (phases[phases.length - 1] !== p.phase) phases.push(p.phase);
      },
    });
    expectOk(r);
    expect(phases).toEqual(['read', 'validate', 'write', 'done']);
  });
});
