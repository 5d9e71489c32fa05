import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshDatabase, type TestDatabase } from '../../api/testing/db.ts';
import type { ImportKind, ImportOptions, IssueCode } from './types.ts';
import { expectOk, importBytes, MALFORMED_DIR, setUpJurisdiction, tableCounts } from './test/helpers.ts';

/**
 * The malformed corpus: every file must be refused with an error that names the right record and
 * field, and must leave every table exactly as it was.
 */

interface Case {
  file: string;
  kind: ImportKind;
  options?: ImportOptions;
  /** Bytes instead of a corpus file (option errors on an otherwise good file). */
  bytes?: string;
  code: IssueCode;
  row?: number | null;
  field?: string;
  message?: RegExp;
  /** Text that must not appear anywhere in the report (identities are masked). */
  secret?: string;
}

const GOOD_CSV = 'code,address,lon,lat\nA1,一号,113.56,33.30\n';

const CASES: Case[] = [
  // files and formats
  { file: 'empty.geojson', kind: 'addresses', code: 'FILE_EMPTY', row: null },
  { file: 'whitespace-only.csv', kind: 'addresses', code: 'FILE_EMPTY', row: null },
  { file: 'truncated.geojson', kind: 'addresses', code: 'PARSE_ERROR', row: null, message: /not valid JSON/ },
  { file: 'not-geojson.json', kind: 'addresses', code: 'PARSE_ERROR', row: null, message: /not GeoJSON/ },
  { file: 'binary-garbage.bin', kind: 'addresses', code: 'UNKNOWN_FORMAT', row: null, message: /binary/ },
  { file: 'binary-garbage.csv', kind: 'addresses', code: 'UNKNOWN_FORMAT', row: null },
  { file: 'corrupt.zip', kind: 'grids', code: 'ZIP_INVALID', row: null },
  { file: 'broken.kml', kind: 'key-locations', code: 'PARSE_ERROR', row: null, message: /well-formed/ },
  { file: 'track-for-grids.gpx', kind: 'grids', code: 'FORMAT_NOT_FOR_KIND', row: null },
  { file: 'log-for-events.nmea', kind: 'events', code: 'FORMAT_NOT_FOR_KIND', row: null },
  { file: 'bare.shp', kind: 'grids', code: 'SHAPEFILE_INCOMPLETE', row: null, message: /zip/ },
  { file: 'oversized.csv', kind: 'addresses', options: { maxBytes: 1024 }, code: 'FILE_TOO_LARGE', row: null, message: /bytes/ },
  { file: 'oversized.csv', kind: 'addresses', options: { maxRecords: 50 }, code: 'FILE_TOO_LARGE', row: null, message: /60 records/ },
  // zips
  { file: 'zip-bomb-lying.zip', kind: 'addresses', code: 'ZIP_TOO_LARGE', row: null, message: /beyond its declared size/ },
  { file: 'zip-bomb-declared.zip', kind: 'addresses', code: 'ZIP_TOO_LARGE', row: null, message: /before inflating/ },
  { file: 'zip-bomb-honest.zip', kind: 'addresses', options: { maxUncompressedBytes: 10 * 1024 * 1024 }, code: 'ZIP_TOO_LARGE', row: null },
  { file: 'zip-many-entries.zip', kind: 'addresses', options: { maxZipEntries: 50 }, code: 'ZIP_TOO_MANY_ENTRIES', row: null },
  { file: 'projected-no-prj.zip', kind: 'grids', code: 'CRS_MISSING', row: null, field: 'crs', message: /\.prj/ },
  { file: 'no-dbf.zip', kind: 'grids', code: 'SHAPEFILE_INCOMPLETE', row: null, message: /\.dbf/ },
  { file: 'xian80.zip', kind: 'grids', code: 'CRS_UNSUPPORTED', row: null, message: /Xian/ },
  // coordinates and geometry
  { file: 'wrong-types.geojson', kind: 'addresses', code: 'BAD_COORDINATE', row: 2, field: 'geometry', message: /must be numbers/ },
  { file: 'huge-coordinates.geojson', kind: 'addresses', code: 'COORD_OUT_OF_RANGE', row: 1, field: 'geometry' },
  { file: 'nan-coordinates.csv', kind: 'addresses', code: 'BAD_COORDINATE', row: 2, field: 'lon', message: /NaN/ },
  { file: 'infinity.csv', kind: 'addresses', code: 'BAD_COORDINATE', row: 1, field: 'geometry', message: /non-finite/ },
  { file: 'bad-wkt.csv', kind: 'addresses', code: 'BAD_WKT', row: 1, field: 'wkt' },
  { file: 'null-island.csv', kind: 'addresses', code: 'NULL_ISLAND', row: 2, field: 'geometry' },
  { file: 'swapped-latlon.csv', kind: 'addresses', code: 'COORD_OUT_OF_RANGE', row: 1, field: 'geometry', message: /swapped/ },
  { file: 'projected-no-crs.csv', kind: 'addresses', code: 'CRS_MISSING', row: null, field: 'crs' },
  { file: 'linestring-address.geojson', kind: 'addresses', code: 'WRONG_GEOMETRY_TYPE', row: 1, field: 'geometry' },
  { file: 'unclosed-ring.geojson', kind: 'grids', code: 'RING_NOT_CLOSED', row: 2, field: 'geometry' },
  { file: 'bowtie.geojson', kind: 'grids', code: 'INVALID_GEOMETRY', row: 1, field: 'geometry', message: /Self-intersection/ },
  { file: 'empty-polygon.geojson', kind: 'grids', code: 'EMPTY_GEOMETRY', row: 1, field: 'geometry' },
  { file: 'ring-too-short.geojson', kind: 'grids', code: 'RING_TOO_SHORT', row: 1, field: 'geometry' },
  { file: 'overlapping-grids.geojson', kind: 'grids', code: 'GRID_OVERLAP', row: 2, field: 'geometry', message: /"G2" overlaps grid "G1" \(record 1/ },
  { file: 'unknown-parent.geojson', kind: 'grids', code: 'UNKNOWN_PARENT', row: 1, field: 'community', message: /NOPE/ },
  { file: 'outside-subdistrict.csv', kind: 'addresses', code: 'OUTSIDE_SUBDISTRICT', row: 2, field: 'geometry' },
  // fields and values
  { file: 'duplicate-codes.csv', kind: 'addresses', code: 'DUPLICATE_CODE', row: 3, field: 'code', message: /record 1/ },
  { file: 'unknown-enum.csv', kind: 'events', code: 'BAD_ENUM', row: 2, field: 'type', message: /alien/ },
  { file: 'missing-column.csv', kind: 'addresses', code: 'MISSING_COLUMN', row: null, field: 'address_text' },
  { file: 'missing-value.csv', kind: 'events', code: 'MISSING_VALUE', row: 2, field: 'reported_at' },
  { file: 'bad-time.csv', kind: 'events', code: 'BAD_TIME', row: 1, field: 'reported_at' },
  { file: 'severity-out-of-range.csv', kind: 'events', code: 'OUT_OF_RANGE', row: 1, field: 'severity' },
  { file: 'subtype-mismatch.csv', kind: 'events', code: 'BAD_ENUM', row: 1, field: 'subtype', message: /not a subtype of dispute/ },
  { file: 'closed-without-time.csv', kind: 'events', code: 'MISSING_VALUE', row: 1, field: 'closed_at' },
  { file: 'ragged-row.csv', kind: 'addresses', code: 'ROW_SHAPE', row: 2 },
  { file: 'unterminated-quote.csv', kind: 'addresses', code: 'PARSE_ERROR', row: null, message: /line 2/ },
  // Excel GBK without any flag: decoded, and the bad value is quoted in proper Chinese.
  { file: 'gbk-excel.csv', kind: 'events', code: 'BAD_ENUM', row: 2, field: 'type', message: /盗窃案件/ },
  // persons of concern and visits (address MA-1, staff MS-1 and person MP-1 exist)
  { file: 'persons-bad-id.csv', kind: 'persons', code: 'BAD_ID_NUMBER', row: 2, field: 'id_number', message: /4104\*+00AB/, secret: '4104811980010100AB' },
  { file: 'persons-old-id.csv', kind: 'persons', code: 'BAD_ID_NUMBER', row: 1, field: 'id_number', message: /15-digit/, secret: '410481800101001' },
  { file: 'persons-bad-phone.csv', kind: 'persons', code: 'BAD_VALUE', row: 1, field: 'phone', secret: '1381234567890123456789' },
  { file: 'persons-unknown-address.csv', kind: 'persons', code: 'UNKNOWN_PARENT', row: 1, field: 'address', message: /NO-SUCH-ADDRESS/ },
  { file: 'persons-no-address.csv', kind: 'persons', code: 'MISSING_VALUE', row: 1, field: 'address', message: /no address code and no coordinates/ },
  { file: 'persons-level-out-of-range.csv', kind: 'persons', code: 'OUT_OF_RANGE', row: 2, field: 'control_level' },
  { file: 'persons-until-before-since.csv', kind: 'persons', code: 'BAD_VALUE', row: 1, field: 'until', message: /before since/ },
  { file: 'persons-missing-category.csv', kind: 'persons', code: 'MISSING_COLUMN', row: null, field: 'category' },
  { file: 'visits-unknown-staff.csv', kind: 'visits', code: 'UNKNOWN_REFERENCE', row: 2, field: 'staff', message: /"NOBODY"/ },
  { file: 'visits-unknown-person.csv', kind: 'visits', code: 'UNKNOWN_REFERENCE', row: 1, field: 'person', message: /NO-SUCH-PERSON/ },
  { file: 'visits-unknown-address.csv', kind: 'visits', code: 'UNKNOWN_PARENT', row: 1, field: 'address', message: /NO-SUCH-ADDRESS/ },
  { file: 'visits-bad-time.csv', kind: 'visits', code: 'BAD_TIME', row: 1, field: 'visited_at' },
  { file: 'visits-half-position.csv', kind: 'visits', code: 'MISSING_VALUE', row: 1, field: 'lat' },
  { file: 'visits-no-staff.csv', kind: 'visits', code: 'MISSING_VALUE', row: 1, field: 'staff' },
  { file: 'visits-coordinates-out-of-range.csv', kind: 'visits', code: 'COORD_OUT_OF_RANGE', row: 1, field: 'geometry' },
  { file: 'visits-duplicate-code.csv', kind: 'visits', code: 'DUPLICATE_CODE', row: 2, field: 'code', message: /record 1/ },
  // track formats
  { file: 'bad-checksum.nmea', kind: 'gps-fixes', code: 'BAD_CHECKSUM', row: 2 },
  { file: 'bad-row.plt', kind: 'gps-fixes', code: 'ROW_SHAPE', row: 2 },
  // options
  { file: '(inline)', bytes: GOOD_CSV, kind: 'addresses', options: { crs: 'EPSG:9999' }, code: 'CRS_UNSUPPORTED', row: null, field: 'crs' },
  { file: '(inline)', bytes: GOOD_CSV, kind: 'addresses', options: { crs: 'EPSG:2383' }, code: 'CRS_UNSUPPORTED', row: null, message: /Xian|Beijing/ },
  { file: '(inline)', bytes: GOOD_CSV, kind: 'addresses', options: { timeZone: 'Mars/Olympus' }, code: 'BAD_OPTION', row: null, field: 'timeZone' },
  { file: '(inline)', bytes: GOOD_CSV, kind: 'addresses', options: { map: { code: 'NOPE' } }, code: 'MISSING_COLUMN', row: null, field: 'code' },
  { file: '(inline)', bytes: GOOD_CSV, kind: 'addresses', options: { map: { colour: 'code' } }, code: 'BAD_OPTION', row: null, field: 'colour' },
  { file: '(inline)', bytes: GOOD_CSV, kind: 'addresses', options: { encoding: 'klingon' }, code: 'BAD_OPTION', row: null },
];

let db: TestDatabase;

beforeAll(async () => {
  db = await freshDatabase(2);
  await setUpJurisdiction(db.sql);
  // What persons and visits refer to.
  expectOk(await importBytes(db.sql, 'addresses', 'ma.csv', new TextEncoder().encode('code,address,lon,lat\nMA-1,测试路1号,113.52,33.30\n')));
  await db.sql`INSERT INTO staff (code, name, org, kind) VALUES ('MS-1', '测试网格员', 'community', 'grid_worker')`;
  expectOk(await importBytes(db.sql, 'persons', 'mp.csv', new TextEncoder().encode('code,name,category,control_level,address_code\nMP-1,测试人员,petition,1,MA-1\n')));
});

afterAll(async () => {
  await db?.drop();
});

describe('malformed corpus', () => {
  it('has at least 30 files on disk', () => {
    const files = new Set(CASES.filter((c) => !c.bytes).map((c) => c.file));
    expect(files.size).toBeGreaterThanOrEqual(30);
  });

  it.each(CASES)('$file as $kind → $code', async (c) => {
    const before = await tableCounts(db.sql);
    const bytes = c.bytes !== undefined ? new TextEncoder().encode(c.bytes) : readFileSync(join(MALFORMED_DIR, c.file));
    const fileName = c.bytes !== undefined ? 'inline.csv' : c.file;
    const r = await importBytes(db.sql, c.kind, fileName, bytes, c.options);

    expect(r.ok).toBe(false);
    expect(r.counts.inserted + r.counts.updated).toBe(0);
    const hit = r.errors.find(
      (e) =>
        e.code === c.code &&
        (c.row === undefined || e.row === c.row) &&
        (c.field === undefined || e.field === c.field) &&
        (c.message === undefined || c.message.test(e.message)),
    );
    expect(hit, `expected ${c.code} row=${String(c.row)} field=${String(c.field)} in ${JSON.stringify(r.errors, null, 1)}`).toBeDefined();
    // Record-level errors say which record in the message too, for people reading the report.
    if (typeof c.row === 'number') expect(hit!.message).toMatch(new RegExp(`(record|line|row|point) ${c.row}\\b`));
    if (c.secret) expect(JSON.stringify(r)).not.toContain(c.secret);
    expect(await tableCounts(db.sql)).toEqual(before);
  });

  it('reports the GBK detection for the Excel file', async () => {
    const r = await importBytes(db.sql, 'events', 'gbk-excel.csv', readFileSync(join(MALFORMED_DIR, 'gbk-excel.csv')));
    expect(r.encoding).toMatch(/gb18030/);
    expect(r.warnings.some((w) => w.code === 'ENCODING_DETECTED')).toBe(true);
    expect(r.fields).toMatchObject({ code: '事件编号', type: '事件类型', reported_at: '上报时间', lon: '经度', lat: '纬度' });
  });

  it('skipInvalid imports the good rows of a bad file and lists the bad ones', async () => {
    const before = await tableCounts(db.sql);
    const r = await importBytes(db.sql, 'addresses', 'duplicate-codes.csv', readFileSync(join(MALFORMED_DIR, 'duplicate-codes.csv')), { skipInvalid: true });
    expectOk(r);
    expect(r.counts).toMatchObject({ read: 3, valid: 2, inserted: 2, skipped: 1 });
    expect(r.errors).toEqual([expect.objectContaining({ row: 3, code: 'DUPLICATE_CODE' })]);
    expect((await tableCounts(db.sql)).address).toBe(before.address! + 2);
  });

  it('fix repairs a bowtie and an unclosed ring, and says so', async () => {
    const bow = await importBytes(db.sql, 'grids', 'bowtie.geojson', readFileSync(join(MALFORMED_DIR, 'bowtie.geojson')), { fix: true, dryRun: true });
    expectOk(bow);
    expect(bow.warnings.some((w) => w.code === 'GEOMETRY_FIXED' && w.row === 1 && (w.areaM2 ?? 0) > 0)).toBe(true);
    const ring = await importBytes(db.sql, 'grids', 'unclosed-ring.geojson', readFileSync(join(MALFORMED_DIR, 'unclosed-ring.geojson')), { fix: true, dryRun: true });
    expectOk(ring);
    expect(ring.warnings.some((w) => w.code === 'RING_CLOSED' && w.row === 2)).toBe(true);
  });
});
