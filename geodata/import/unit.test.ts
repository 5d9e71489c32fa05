import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { zipSync } from 'fflate';
import iconv from 'iconv-lite';
import { describe, expect, it } from 'vitest';
import { decodeText, looksBinary } from './encoding.ts';
import { ImportError, IssueLog } from './errors.ts';
import { convertValue, lookupValue, parseDegrees } from './fields.ts';
import { idCheckCharacter, maskIdNumber, maskPhone } from './kinds.ts';
import { readCsv } from './readers/csv.ts';
import { readNmea } from './readers/nmea.ts';
import type { ReadContext } from './readers/types.ts';
import { parseWkt, WktError } from './readers/wkt.ts';
import { parseTime, TimeError } from './time.ts';
import { ZipArchive } from './zip.ts';
import { FIXTURES_DIR, MALFORMED_DIR } from './test/helpers.ts';

function ctx(): ReadContext {
  return { fileName: 't', log: new IssueLog(100), maxUncompressedBytes: 1 << 20, maxZipEntries: 10 };
}

describe('text decoding', () => {
  it('tells UTF-8, UTF-8 with BOM, GBK and UTF-16 apart', () => {
    expect(decodeText(new TextEncoder().encode('网格,编码'))).toMatchObject({ text: '网格,编码', label: 'utf-8' });
    expect(decodeText(new Uint8Array([0xef, 0xbb, 0xbf, ...new TextEncoder().encode('网格')]))).toMatchObject({ text: '网格', label: 'utf-8 (BOM)' });
    expect(decodeText(iconv.encode('院岭街道,治安', 'gbk'))).toMatchObject({ text: '院岭街道,治安', label: expect.stringMatching(/^gb18030/) });
    expect(decodeText(iconv.encode('\uFEFF网格', 'utf-16le'))).toMatchObject({ text: '网格', label: 'utf-16le (BOM)' });
    expect(decodeText(iconv.encode('网格', 'gbk'), 'gbk')).toMatchObject({ text: '网格', label: 'gbk (option)' });
  });

  it('flags binary content but not Chinese text', () => {
    expect(looksBinary(readFileSync(join(MALFORMED_DIR, 'binary-garbage.bin')))).toBe(true);
    expect(looksBinary(iconv.encode('院岭街道'.repeat(100), 'gbk'))).toBe(false);
  });
});

describe('CSV reader', () => {
  it('handles quotes, embedded newlines, CRLF, semicolons and a trailing blank line', () => {
    const c = ctx();
    const r = readCsv('code;name;note\r\n1;"a;b";"line1\nline2"\r\n2;"say ""hi""";\r\n\r\n', 'utf-8', c);
    expect(r.columns).toEqual(['code', 'name', 'note']);
    expect(r.records.map((x) => x.props)).toEqual([
      { code: '1', name: 'a;b', note: 'line1\nline2' },
      { code: '2', name: 'say "hi"', note: '' },
    ]);
    expect(r.records[1]!.line).toBe(4);
    expect(c.log.errorCount).toBe(0);
  });

  it('renames repeated headers and reports ragged rows by record and line', () => {
    const c = ctx();
    const r = readCsv('a,a,b\n1,2,3\n4,5\n', 'utf-8', c);
    expect(r.columns).toEqual(['a', 'a_2', 'b']);
    expect(c.log.errors).toEqual([expect.objectContaining({ code: 'ROW_SHAPE', row: 2, line: 3 })]);
  });

  it('refuses an unterminated quote naming the line it opened on', () => {
    expect(() => readCsv('a,b\n1,2\n3,"x\n', 'utf-8', ctx())).toThrow(/line 3/);
  });
});

describe('WKT', () => {
  it('parses the types importers need, with Z dropped and EWKT SRID kept', () => {
    expect(parseWkt('POINT (113.5 33.3)').geometry).toEqual({ type: 'Point', coordinates: [113.5, 33.3] });
    expect(parseWkt('SRID=4490;POINT Z (113.5 33.3 120)')).toEqual({ geometry: { type: 'Point', coordinates: [113.5, 33.3] }, srid: 4490 });
    expect(parseWkt('MULTIPOINT ((1 2), (3 4))').geometry).toEqual({ type: 'MultiPoint', coordinates: [[1, 2], [3, 4]] });
    expect(parseWkt('polygon((0 0,1 0,1 1,0 0))').geometry).toEqual({ type: 'Polygon', coordinates: [[[0, 0], [1, 0], [1, 1], [0, 0]]] });
    expect(parseWkt('MULTIPOLYGON (((0 0, 1 0, 1 1, 0 0)), ((2 2, 3 2, 3 3, 2 2)))').geometry.type).toBe('MultiPolygon');
    expect(parseWkt('POLYGON EMPTY').geometry).toEqual({ type: 'Polygon', coordinates: [] });
  });

  it('rejects malformed WKT with a position', () => {
    expect(() => parseWkt('POINT (1 2')).toThrow(WktError);
    expect(() => parseWkt('CIRCLE (1 2 3)')).toThrow(/unsupported/);
    expect(() => parseWkt('POINT (1 2) trailing')).toThrow(/trailing/);
    expect(() => parseWkt('POINT (a b)')).toThrow(/number/);
  });
});

describe('times', () => {
  const tz = 'Asia/Shanghai';
  it('reads local wall times in the configured zone', () => {
    expect(parseTime('2024-03-05 14:30', undefined, tz).toISOString()).toBe('2024-03-05T06:30:00.000Z');
    expect(parseTime('2024/3/5', undefined, tz).toISOString()).toBe('2024-03-04T16:00:00.000Z');
    expect(parseTime('2024年3月5日 14时30分', undefined, tz).toISOString()).toBe('2024-03-05T06:30:00.000Z');
    expect(parseTime('20240305143000', undefined, tz).toISOString()).toBe('2024-03-05T06:30:00.000Z');
    expect(parseTime('2024-03-05T14:30:00Z', undefined, tz).toISOString()).toBe('2024-03-05T14:30:00.000Z');
    expect(parseTime('2024-03-05T14:30:00.250+0100', undefined, tz).toISOString()).toBe('2024-03-05T13:30:00.250Z');
  });

  it('handles daylight saving in zones that have it', () => {
    expect(parseTime('2020-07-01 00:00', undefined, 'America/Vancouver').toISOString()).toBe('2020-07-01T07:00:00.000Z');
    expect(parseTime('2020-01-01 00:00', undefined, 'America/Vancouver').toISOString()).toBe('2020-01-01T08:00:00.000Z');
  });

  it('follows an explicit format', () => {
    expect(parseTime('05/03/2024 14:30', 'DD/MM/YYYY HH:mm', tz).toISOString()).toBe('2024-03-05T06:30:00.000Z');
    expect(parseTime('2024-3-5 7:5', 'YYYY-M-D H:m', tz).toISOString()).toBe('2024-03-04T23:05:00.000Z');
    expect(parseTime('1709251200000', 'unix_ms', tz).toISOString()).toBe('2024-03-01T00:00:00.000Z');
  });

  it('refuses impossible dates, wrong formats and absurd years', () => {
    expect(() => parseTime('2024-02-30', undefined, tz)).toThrow(TimeError);
    expect(() => parseTime('2024-13-01', undefined, tz)).toThrow(TimeError);
    expect(() => parseTime('yesterday', undefined, tz)).toThrow(TimeError);
    expect(() => parseTime('05/03/2024', 'YYYY-MM-DD', tz)).toThrow(/does not match/);
    expect(() => parseTime('1900-01-01', undefined, tz)).toThrow(/1970/);
  });
});

describe('coordinates and values', () => {
  it('reads decimal degrees and degrees-minutes-seconds', () => {
    expect(parseDegrees('113.5')).toBe(113.5);
    expect(parseDegrees('113°30′00″E')).toBeCloseTo(113.5, 10);
    expect(parseDegrees('33度18分0秒')).toBeCloseTo(33.3, 10);
    expect(parseDegrees("74°0'21.5\"W")).toBeCloseTo(-74.005972, 5);
    expect(parseDegrees('NaN')).toBeNaN();
    expect(parseDegrees('33°75′')).toBeNaN();
  });

  it('looks values up exactly, then loosely, then by wildcard', () => {
    const t = { THEFT: 'public_security', 'Other Theft': 'public_security', '*': 'hazard' };
    expect(lookupValue(t, 'THEFT')).toBe('public_security');
    expect(lookupValue(t, 'other theft')).toBe('public_security');
    expect(lookupValue(t, 'fire')).toBe('hazard');
    expect(lookupValue({ A: 'x' }, 'B')).toBeUndefined();
  });
});

describe('zip reader', () => {
  const limits = { maxEntries: 10, maxUncompressedBytes: 1 << 20 };
  it('reads stored and deflated entries with GBK names', () => {
    const zip = zipSync({ 'a.txt': [new TextEncoder().encode('hello'), { level: 0 }], 'b.txt': new TextEncoder().encode('world'.repeat(100)) });
    const z = new ZipArchive(zip, limits);
    expect(z.entries.map((e) => e.name)).toEqual(['a.txt', 'b.txt']);
    expect(new TextDecoder().decode(z.read(z.entries[0]!))).toBe('hello');
    expect(z.read(z.entries[1]!).length).toBe(500);
  });

  it('stops a bomb that lies about its size, before it fills memory', () => {
    const z = new ZipArchive(readFileSync(join(MALFORMED_DIR, 'zip-bomb-lying.zip')), { maxEntries: 10, maxUncompressedBytes: 1 << 30 });
    expect(() => z.read(z.entries[0]!)).toThrow(/beyond its declared size/);
  });

  it('counts the total across entries', () => {
    const z = new ZipArchive(readFileSync(join(MALFORMED_DIR, 'zip-bomb-honest.zip')), { maxEntries: 10, maxUncompressedBytes: 1 << 30 });
    expect(z.read(z.entries[0]!).length).toBe(20 * 1024 * 1024);
    expect(() => new ZipArchive(readFileSync(join(MALFORMED_DIR, 'zip-bomb-honest.zip')), limits)).toThrow(ImportError);
  });
});

describe('NMEA reader', () => {
  it('merges GGA and RMC of one second, skips void fixes and other sentences', () => {
    const c = ctx();
    const r = readNmea(readFileSync(join(FIXTURES_DIR, 'patrol.nmea'), 'utf8'), 'utf-8', c);
    expect(c.log.errorCount).toBe(0);
    expect(r.records.map((x) => x.props.time)).toEqual(['2024-03-01T08:35:59.00Z', '2024-03-01T08:36:09.00Z', '2024-03-01T08:36:29.00Z']);
    expect(Number(r.records[0]!.props.speed_kmh)).toBeCloseTo(18.52, 6);
    expect(Number(r.records[1]!.props.lat)).toBeCloseTo(33 + 18.01 / 60, 9);
  });
});

describe('identities and calendar days', () => {
  it('computes the GB 11643 check character and masks as the database does', () => {
    // The standard's own example: 11010519491231002X.
    expect(idCheckCharacter('11010519491231002')).toBe('X');
    expect(maskIdNumber('11010519491231002X')).toBe('1101**********002X');
    expect(maskPhone('13812345678')).toBe('138****5678');
    expect(maskPhone('12345')).toBe('*****');
  });

  it('converts date cells to the calendar day of the import zone, whatever the timeFormat of time columns', () => {
    const log = new IssueLog(10);
    const spec = { name: 'since', type: 'date' as const, aliases: [] };
    const conv = (raw: unknown, timeFormat?: string) => convertValue(spec, raw, { row: 1, log, timeZone: 'Asia/Shanghai', timeFormat });
    expect(conv('2024/3/1')).toBe('2024-03-01');
    expect(conv('2024年3月1日', 'YYYY/M/D H:mm')).toBe('2024-03-01');
    expect(conv('2024/3/1 7:30', 'YYYY/M/D H:mm')).toBe('2024-03-01');
    expect(conv(new Date('2024-02-29T18:00:00Z'))).toBe('2024-03-01');
    expect(log.errorCount).toBe(0);
    expect(conv('31/02/2024')).toBeUndefined();
    expect(log.errors[0]).toMatchObject({ row: 1, field: 'since', code: 'BAD_TIME' });
  });
});
