/**
 * Writes the importer's test fixtures (malformed corpus and small good files). The outputs are
 * committed; this script documents how each was made and regenerates them:
 *
 *   npx tsx geodata/import/test/generate-fixtures.ts
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { zipSync } from 'fflate';
import iconv from 'iconv-lite';
import type { Polygon } from 'geojson';
import { cgcs2000GaussKruger, forwardTransform } from '../../crs/projected.ts';
import { writeShapefile, zipShapefile, type ShapeRecord } from '../../export/shapefile.ts';
import { idCheckCharacter } from '../kinds.ts';
import { rect } from './geo.ts';

const HERE = dirname(fileURLToPath(import.meta.url));
const MAL = join(HERE, 'malformed');
const GOOD = join(HERE, 'fixtures');


function fc(features: Array<{ properties: Record<string, unknown>; geometry: unknown }>): string {
  return JSON.stringify({ type: 'FeatureCollection', features: features.map((f) => ({ type: 'Feature', ...f })) });
}

/** Deterministic pseudo-random bytes, so "garbage" fixtures are reproducible. */
function garbage(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  let x = seed;
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
}

function setU32(b: Uint8Array, o: number, v: number): void {
  new DataView(b.buffer, b.byteOffset).setUint32(o, v, true);
}

function centralDirectoryOffset(zip: Uint8Array): number {
  const v = new DataView(zip.buffer, zip.byteOffset);
  return v.getUint32(zip.length - 22 + 16, true);
}

const gk = forwardTransform(cgcs2000GaussKruger(4547)!);

/** An NMEA sentence completed with its checksum (XOR of the characters between $ and *). */
function nmea(body: string): string {
  let x = 0;
  for (let i = 1; i < body.length; i++) x ^= body.charCodeAt(i);
  return `${body}*${x.toString(16).toUpperCase().padStart(2, '0')}`;
}

function main(): void {
  mkdirSync(MAL, { recursive: true });
  mkdirSync(GOOD, { recursive: true });
  const w = (name: string, data: string | Uint8Array) => writeFileSync(join(MAL, name), data);
  const g = (name: string, data: string | Uint8Array) => writeFileSync(join(GOOD, name), data);

  // --- files and formats
  w('empty.geojson', '');
  w('whitespace-only.csv', '   \r\n\r\n  ');
  const good = fc([
    { properties: { code: 'A1', address: '院岭街道1号' }, geometry: { type: 'Point', coordinates: [113.56, 33.3] } },
    { properties: { code: 'A2', address: '院岭街道2号' }, geometry: { type: 'Point', coordinates: [113.57, 33.31] } },
  ]);
  w('truncated.geojson', good.slice(0, Math.floor(good.length * 0.6)));
  w('not-geojson.json', JSON.stringify({ hello: 'world', list: [1, 2, 3] }));
  w('binary-garbage.bin', garbage(4096, 7));
  w('binary-garbage.csv', garbage(2048, 11));
  w('corrupt.zip', zipSync({ 'a.geojson': new TextEncoder().encode(good) }).slice(0, 60));
  w('broken.kml', '<?xml version="1.0"?><kml xmlns="http://www.opengis.net/kml/2.2"><Document><Placemark><name>x</name>');
  w(
    'track-for-grids.gpx',
    '<?xml version="1.0"?><gpx version="1.1" creator="t"><trk><trkseg><trkpt lat="33.3" lon="113.56"><time>2024-03-01T00:00:00Z</time></trkpt></trkseg></trk></gpx>',
  );
  w('log-for-events.nmea', `${nmea('$GPRMC,083559.00,A,3318.0000,N,11333.6000,E,0.004,77.52,010324,,,A')}\r\n`);
  w('bare.shp', garbage(200, 3));

  // --- geometry
  w(
    'wrong-types.geojson',
    fc([
      { properties: { code: 'A1', address: 'ok' }, geometry: { type: 'Point', coordinates: [113.56, 33.3] } },
      { properties: { code: 'A2', address: 'strings' }, geometry: { type: 'Point', coordinates: ['113.57', '33.31'] } },
    ]),
  );
  w('huge-coordinates.geojson', fc([{ properties: { code: 'A1', address: 'far' }, geometry: { type: 'Point', coordinates: [1e300, 33.3] } }]));
  w('nan-coordinates.csv', 'code,address,lon,lat\r\nA1,一号,113.56,33.30\r\nA2,二号,NaN,33.31\r\n');
  w('infinity.csv', 'code,address,wkt\nA1,一号,POINT(Infinity 33.3)\n');
  w('bad-wkt.csv', 'code,address,wkt\nA1,一号,POINT(113.56 33.3\n');
  w('null-island.csv', 'code,address,lon,lat\nA1,一号,113.56,33.30\nA2,二号,0,0\n');
  w('swapped-latlon.csv', 'code,address,lon,lat\nA1,一号,33.30,113.56\n');
  w('projected-no-crs.csv', 'code,address,x,y\nA1,一号,453431.93,3686131.74\nA2,二号,453500.12,3686200.55\n');
  w('linestring-address.geojson', fc([{ properties: { code: 'A1', address: '路' }, geometry: { type: 'LineString', coordinates: [[113.56, 33.3], [113.57, 33.3]] } }]));
  w(
    'unclosed-ring.geojson',
    fc([
      { properties: { code: 'G1', name: '一网格' }, geometry: rect(113.55, 33.25, 113.56, 33.26) },
      { properties: { code: 'G2', name: '二网格' }, geometry: { type: 'Polygon', coordinates: [[[113.56, 33.25], [113.57, 33.25], [113.57, 33.26], [113.56, 33.26]]] } },
    ]),
  );
  w(
    'bowtie.geojson',
    fc([{ properties: { code: 'G1', name: '蝴蝶' }, geometry: { type: 'Polygon', coordinates: [[[113.55, 33.25], [113.56, 33.26], [113.56, 33.25], [113.55, 33.26], [113.55, 33.25]]] } }]),
  );
  w('empty-polygon.geojson', fc([{ properties: { code: 'G1', name: '空' }, geometry: { type: 'Polygon', coordinates: [] } }]));
  w(
    'ring-too-short.geojson',
    fc([{ properties: { code: 'G1', name: '线' }, geometry: { type: 'Polygon', coordinates: [[[113.55, 33.25], [113.56, 33.26], [113.55, 33.25]]] } }]),
  );
  w(
    'overlapping-grids.geojson',
    fc([
      { properties: { code: 'G1', name: '东一' }, geometry: rect(113.55, 33.25, 113.58, 33.3) },
      { properties: { code: 'G2', name: '东二' }, geometry: rect(113.57, 33.25, 113.6, 33.3) },
    ]),
  );
  w('unknown-parent.geojson', fc([{ properties: { code: 'G1', name: '孤儿', community: 'NOPE' }, geometry: rect(113.55, 33.25, 113.56, 33.26) }]));

  // --- fields and values
  w('duplicate-codes.csv', 'code,address,lon,lat\nA1,一号,113.56,33.30\nA2,二号,113.57,33.30\nA1,三号,113.58,33.30\n');
  w('unknown-enum.csv', 'code,type,reported_at,lon,lat\nE1,治安,2024-03-01 08:00,113.56,33.30\nE2,alien,2024-03-01 09:00,113.57,33.30\n');
  w('missing-column.csv', 'code,lon,lat\nA1,113.56,33.30\n');
  w('missing-value.csv', 'code,type,reported_at,lon,lat\nE1,治安,2024-03-01 08:00,113.56,33.30\nE2,治安,,113.57,33.30\n');
  w('bad-time.csv', 'code,type,reported_at,lon,lat\nE1,治安,2024-13-45 08:00,113.56,33.30\n');
  w('severity-out-of-range.csv', 'code,type,severity,reported_at,lon,lat\nE1,治安,9,2024-03-01 08:00,113.56,33.30\n');
  w('subtype-mismatch.csv', 'code,type,subtype,reported_at,lon,lat\nE1,矛盾纠纷,盗窃,2024-03-01 08:00,113.56,33.30\n');
  w('closed-without-time.csv', 'code,type,state,reported_at,lon,lat\nE1,治安,已办结,2024-03-01 08:00,113.56,33.30\n');
  w('ragged-row.csv', 'code,address,lon,lat\nA1,一号,113.56,33.30\nA2,二号,113.57\n');
  w('unterminated-quote.csv', 'code,address,lon,lat\nA1,"一号,113.56,33.30\nA2,二号,113.57,33.31\n');
  w('outside-subdistrict.csv', 'code,address,lon,lat\nA1,一号,113.56,33.30\nA2,北京,116.40,39.90\n');
  w('oversized.csv', `code,address,lon,lat\n${Array.from({ length: 60 }, (_, i) => `A${i},地址${i},113.56,33.30`).join('\n')}\n`);
  // Excel-style GBK CSV with no BOM and no encoding option: must decode, and the bad row's message
  // must quote the Chinese value correctly.
  w('gbk-excel.csv', iconv.encode('事件编号,事件类型,上报时间,经度,纬度\r\nE1,治安,2024-03-01 08:00,113.56,33.30\r\nE2,盗窃案件,2024-03-01 09:00,113.57,33.30\r\n', 'gbk'));

  // --- persons of concern and visits (the malformed test loads address MA-1, staff MS-1 and person MP-1)
  const goodId = (first17: string) => first17 + idCheckCharacter(first17);
  const P = '人员编号,姓名,身份证号,联系电话,人员类别,管控等级,地址编码,列管日期,撤管日期';
  w('persons-bad-id.csv', iconv.encode(`${P}\r\nMP-10,甲某,${goodId('41048119800101001')},,独居老人,1,MA-1,,\r\nMP-11,乙某,4104811980010100AB,,独居老人,1,MA-1,,\r\n`, 'gbk'));
  w('persons-old-id.csv', `${P}\nMP-12,丙某,410481800101001,,残疾人,2,MA-1,,\n`);
  w('persons-bad-phone.csv', `${P}\nMP-13,丁某,,1381234567890123456789,残疾人,2,MA-1,,\n`);
  w('persons-unknown-address.csv', `${P}\nMP-14,戊某,,,低保户,3,NO-SUCH-ADDRESS,,\n`);
  w('persons-no-address.csv', 'code,name,category,control_level\nMP-15,己某,petition,1\n');
  w('persons-level-out-of-range.csv', `${P}\nMP-16,庚某,,,信访,1,MA-1,,\nMP-17,辛某,,,信访,5,MA-1,,\n`);
  w('persons-until-before-since.csv', `${P}\nMP-18,壬某,,,闲散青少年,2,MA-1,2024-05-01,2024-04-30\n`);
  w('persons-missing-category.csv', 'code,name,control_level,address_code\nMP-19,癸某,1,MA-1\n');
  const V = '走访编号,地址编码,人员编号,走访人员,走访时间,经度,纬度';
  w('visits-unknown-staff.csv', `${V}\nMV-1,MA-1,,MS-1,2025-06-03 09:30,113.52,33.30\nMV-2,MA-1,,MS-1、NOBODY,2025-06-03 10:30,113.52,33.30\n`);
  w('visits-unknown-person.csv', `${V}\nMV-3,MA-1,NO-SUCH-PERSON,MS-1,2025-06-03 09:30,113.52,33.30\n`);
  w('visits-unknown-address.csv', `${V}\nMV-4,NO-SUCH-ADDRESS,,MS-1,2025-06-03 09:30,113.52,33.30\n`);
  w('visits-bad-time.csv', `${V}\nMV-5,MA-1,,MS-1,03/06/2025 09:30,113.52,33.30\n`);
  w('visits-half-position.csv', `${V}\nMV-6,MA-1,,MS-1,2025-06-03 09:30,113.52,\n`);
  w('visits-no-staff.csv', `${V}\nMV-7,MA-1,,,2025-06-03 09:30,113.52,33.30\n`);
  w('visits-coordinates-out-of-range.csv', `${V}\nMV-8,MA-1,,MS-1,2025-06-03 09:30,113.52,333.0\n`);
  w('visits-duplicate-code.csv', `${V}\nMV-9,MA-1,,MS-1,2025-06-03 09:30,113.52,33.30\nMV-9,MA-1,,MS-1,2025-06-04 09:30,113.52,33.30\n`);

  const wrong = nmea('$GPRMC,083600.00,A,3318.0100,N,11333.6000,E,0.004,77.52,010324,,,A').replace(/\*(..)$/, (_, h: string) => `*${h === '00' ? '01' : '00'}`);
  w('bad-checksum.nmea', `${nmea('$GPRMC,083559.00,A,3318.0000,N,11333.6000,E,0.004,77.52,010324,,,A')}\r\n${wrong}\r\n`);
  w('bad-row.plt', 'Geolife trajectory\nWGS 84\nAltitude is in Feet\nReserved 3\n0,2,255,My Track,0,0,2,8421376\n0\n33.3,113.56,0,492,45352.0,2024-03-01,00:00:00\n33.3,113.56,0,492\n');

  // --- zips
  const bombData = new Uint8Array(20 * 1024 * 1024); // zeros deflate ~1000:1
  const lying = zipSync({ 'points.csv': bombData }, { level: 9 });
  // Both headers claim 1,000 bytes; the data inflates to 20 MiB.
  setU32(lying, 22, 1000);
  setU32(lying, centralDirectoryOffset(lying) + 24, 1000);
  w('zip-bomb-lying.zip', lying);
  const declared = zipSync({ 'points.csv': new TextEncoder().encode('code,address,lon,lat\n') });
  setU32(declared, centralDirectoryOffset(declared) + 24, 4_000_000_000);
  w('zip-bomb-declared.zip', declared);
  w('zip-bomb-honest.zip', zipSync({ 'points.csv': bombData }, { level: 9 }));
  const many: Record<string, Uint8Array> = {};
  for (let i = 0; i < 60; i++) many[`f${i}.txt`] = new Uint8Array(0);
  w('zip-many-entries.zip', zipSync(many));

  // --- shapefiles
  const gkPolygon = (x0: number, y0: number, x1: number, y1: number): Polygon => {
    const r = rect(x0, y0, x1, y1);
    return { type: 'Polygon', coordinates: r.coordinates.map((ring) => ring.map(([x, y]) => gk(x!, y!))) };
  };
  const gridFields = [
    { name: 'code', type: 'C' as const },
    { name: 'name', type: 'C' as const },
  ];
  const gkRecords: ShapeRecord[] = [
    { geometry: gkPolygon(113.55, 33.25, 113.56, 33.26), values: ['GK1', '投影一'] },
    { geometry: gkPolygon(113.56, 33.25, 113.57, 33.26), values: ['GK2', '投影二'] },
  ];
  const gkParts = writeShapefile('polygon', gridFields, gkRecords);
  w('projected-no-prj.zip', zipShapefile('grids', gkParts, ['prj']));
  w('no-dbf.zip', zipShapefile('grids', gkParts, ['dbf']));
  const xian80 =
    'PROJCS["Xian_1980_3_Degree_GK_CM_114E",GEOGCS["GCS_Xian_1980",DATUM["D_Xian_1980",SPHEROID["Xian_1980",6378140.0,298.257]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]],PROJECTION["Gauss_Kruger"],PARAMETER["False_Easting",500000.0],PARAMETER["False_Northing",0.0],PARAMETER["Central_Meridian",114.0],PARAMETER["Scale_Factor",1.0],PARAMETER["Latitude_Of_Origin",0.0],UNIT["Meter",1.0]]';
  w('xian80.zip', zipShapefile('grids', { ...gkParts, prj: xian80 }));

  // --- good fixtures
  const cgcsPrj =
    'PROJCS["CGCS2000_3_Degree_GK_CM_114E",GEOGCS["GCS_China_Geodetic_Coordinate_System_2000",DATUM["D_China_2000",SPHEROID["CGCS2000",6378137.0,298.257222101]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]],PROJECTION["Gauss_Kruger"],PARAMETER["False_Easting",500000.0],PARAMETER["False_Northing",0.0],PARAMETER["Central_Meridian",114.0],PARAMETER["Scale_Factor",1.0],PARAMETER["Latitude_Of_Origin",0.0],UNIT["Meter",1.0]]';
  g('cgcs2000-gk-grids.zip', zipShapefile('grids', { ...gkParts, prj: cgcsPrj }));
  // GBK attributes with no .cpg: the importer must notice the .dbf is not UTF-8.
  const gbkParts = writeShapefile(
    'point',
    [
      { name: 'DZBM', type: 'C' },
      { name: 'DZMC', type: 'C' },
      { name: 'DZLB', type: 'C' },
    ],
    [
      { geometry: { type: 'Point', coordinates: [113.561, 33.301] }, values: ['AD-001', '河南省舞钢市院岭街道建设路12号', '一般类'] },
      { geometry: { type: 'Point', coordinates: [113.562, 33.302] }, values: ['AD-002', '院岭街道朝阳路8号（幼儿园）', '重点类'] },
    ],
    'gbk',
  );
  const gbkNoLdid = { ...gbkParts, dbf: gbkParts.dbf.slice() };
  gbkNoLdid.dbf[29] = 0;
  g('gbk-addresses-no-cpg.zip', zipShapefile('addresses', gbkNoLdid, ['cpg']));

  // GCJ-02 and BD-09 reference points from the eviltransform test suite (WGS84 known).
  g(
    'gcj02-addresses.csv',
    [
      'code,address,lon,lat,wgs_lon,wgs_lat',
      'SH,上海,121.531541859215,31.17530398364597,121.5272106,31.1774276',
      'SZ,深圳,113.9171764808363,22.540796131694766,113.912316,22.543847',
      'BJ,北京,116.38404722455657,39.91334545536069,116.377817,39.911954',
    ].join('\n') + '\n',
  );
  // BD-09 = the published GCJ-02 → BD-09 formula (coordtransform's gcj02tobd09, which maps
  // 116.404,39.915 to 116.41036949371029,39.92133699351021) applied to the GCJ-02 values above,
  // so the expected WGS84 values are again eviltransform's.
  g(
    'bd09-addresses.csv',
    [
      'code,address,lon,lat,wgs_lon,wgs_lat',
      'BD-SH,上海,121.53801568643858,31.18132860687446,121.5272106,31.1774276',
      'BD-SZ,深圳,113.92368472926734,22.546667437751108,113.912316,22.543847',
      'BD-BJ,北京,116.39045471310828,39.91957555096588,116.377817,39.911954',
    ].join('\n') + '\n',
  );
  g(
    'points.kml',
    `<?xml version="1.0" encoding="UTF-8"?>
<kml xmlns="http://www.opengis.net/kml/2.2"><Document>
<Placemark><name>院岭中学</name><ExtendedData><Data name="code"><value>KL-1</value></Data><Data name="类型"><value>学校</value></Data></ExtendedData><Point><coordinates>113.561,33.301,0</coordinates></Point></Placemark>
<Placemark><name>农贸市场</name><ExtendedData><Data name="code"><value>KL-2</value></Data><Data name="类型"><value>农贸市场</value></Data></ExtendedData><Polygon><outerBoundaryIs><LinearRing><coordinates>113.562,33.302 113.563,33.302 113.563,33.303 113.562,33.303 113.562,33.302</coordinates></LinearRing></outerBoundaryIs></Polygon></Placemark>
</Document></kml>
`,
  );
  g(
    'track.gpx',
    `<?xml version="1.0" encoding="UTF-8"?>
<gpx version="1.0" creator="test" xmlns="http://www.topografix.com/GPX/1/0"><trk><name>巡逻车1</name><trkseg>
<trkpt lat="33.3000" lon="113.5600"><time>2024-03-01T00:00:00Z</time><speed>5</speed></trkpt>
<trkpt lat="33.3005" lon="113.5605"><time>2024-03-01T00:00:10Z</time><speed>5.5</speed></trkpt>
<trkpt lat="33.3010" lon="113.5610"><time>2024-03-01T00:00:20Z</time></trkpt>
</trkseg></trk></gpx>
`,
  );
  g(
    'patrol.nmea',
    [
      '$GPGGA,083559.00,3318.0000,N,11333.6000,E,1,08,0.9,120.0,M,0.0,M,,*5B',
      '$GPRMC,083559.00,A,3318.0000,N,11333.6000,E,10.0,77.52,010324,,,A*',
      '$GPGSV,3,1,11,03,03,111,00,04,15,270,00,06,01,010,00,13,06,292,00*74',
      '$GNRMC,083609.00,A,3318.0100,N,11333.6100,E,12.0,77.52,010324,,,A*',
      '$GPRMC,083619.00,V,,,,,,,010324,,,N*',
      '$GNGGA,083629.00,3318.0200,N,11333.6200,E,1,08,0.9,120.0,M,0.0,M,,*',
    ]
      .map((s) => nmea(s.replace(/\*.*$/, '')))
      .join('\r\n') + '\r\n',
  );
}

main();
