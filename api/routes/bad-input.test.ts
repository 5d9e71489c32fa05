import type { z } from 'zod';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../app.ts';
import type { RouteSpec } from '../http/resource.ts';
import { MAX_JSON_BODY_BYTES } from '../http/resource.ts';
import { freshDatabase, type TestDatabase } from '../testing/db.ts';
import { CELL, ORIGIN, insertTinyWorld, square, type TinyWorld } from '../testing/fixtures.ts';
import { Client, createUser, testApp } from '../testing/app.ts';
import { IMPORT_KINDS } from '../../geodata/import/index.ts';
import { MAX_UPLOAD_BYTES } from './imports.ts';

/**
 * A generated suite of malformed requests against every write endpoint in the route table and
 * every importer: wrong types, huge numbers, NaN/Infinity, deep JSON, oversized bodies, invalid
 * geometries, SQL-like strings, broken encodings, wrong content types. Each must be answered 4xx
 * with the error shape and a message, and no table may change. The caller is a command-centre
 * user, so authorization never masks validation.
 */

let db: TestDatabase;
let app: App['app'];
let routes: RouteSpec[];
let world: TinyWorld;
let client: Client;
let ingestToken = '';
const [ox, oy] = ORIGIN;
const centre: [number, number] = [ox + 0.5 * CELL, oy + CELL];

beforeAll(async () => {
  db = await freshDatabase();
  ({ app, routes } = testApp(db.sql));
  world = await insertTinyWorld(db.sql);
  await createUser(db.sql, 'cmd', 'command', { subdistrict_id: world.subdistrictId });
  client = await Client.login(app, 'cmd');
  // Derived-table upkeep (a route's `prepare`) is not a write of the request: bring it up to date first.
  await client.get('/api/stats/grids');
  await db.sql`INSERT INTO patrol_device (code, kind) VALUES ('DEV1', 'handheld')`;
  const res = await client.post('/api/tokens', { name: 'ingest', scopes: ['gps:ingest'] });
  ingestToken = ((await res.json()) as { token: string }).token;
});
afterAll(async () => db?.drop());

/** A valid request for each write route: the generator breaks it one way at a time. Ids need not exist. */
const BASE: Record<string, { path: string; body?: unknown }> = {
  'post /api/auth/login': { path: '/api/auth/login', body: { username: 'cmd', password: 'not-the-password' } },
  'post /api/auth/password': { path: '/api/auth/password', body: { current_password: 'not-the-password', new_password: 'Another-Passw0rd!' } },
  'post /api/tokens': { path: '/api/tokens', body: { name: 'generated', scopes: ['sync:read'] } },
  'delete /api/tokens/:id': { path: '/api/tokens/{id}' },
  'post /api/persons/:id/reveal': { path: '/api/persons/{id}/reveal', body: { reason: '核查矫正人员报到情况' } },
  'post /api/machine/fixes': { path: '/api/machine/fixes', body: { device_code: 'DEV1', fixes: [{ t: '2026-01-01T08:00:00+08:00', lon: centre[0], lat: centre[1], speed_kmh: 5 }] } },
  'post /api/events': { path: '/api/events', body: { type: 'service_request', severity: 1, title: '生成的上报', lon: centre[0], lat: centre[1], allow_duplicate: true } },
  'post /api/events/:id/transitions': { path: '/api/events/{id}/transitions', body: { action: 'accept', expected_version: 1, note: '受理' } },
  'post /api/events/:id/mediation': { path: '/api/events/{id}/mediation', body: { kind: 'grid_leader', participants: [{ role: 'grid_leader', name: '网格长' }] } },
  'post /api/events/:id/mediation/sessions': { path: '/api/events/{id}/mediation/sessions', body: { notes: '调解会商记录' } },
  'post /api/events/:id/mediation/outcome': { path: '/api/events/{id}/mediation/outcome', body: { outcome: 'success', expected_version: 1 } },
  'post /api/events/:id/hazard': { path: '/api/events/{id}/hazard', body: { classification: '消防', department: '消防救援大队', warning: '及时整改', expected_version: 1 } },
  'post /api/events/:id/hazard/followups': { path: '/api/events/{id}/hazard/followups', body: { note: '已回访', removed: false, expected_version: 1 } },
  'post /api/support-requests': { path: '/api/support-requests', body: { lon: centre[0], lat: centre[1], reason: '请求支援' } },
  'post /api/support-requests/:id/steps': { path: '/api/support-requests/{id}/steps', body: { step: 'acknowledge' } },
  'post /api/evaluation/ratings': { path: '/api/evaluation/ratings', body: { ratee_id: 1, month: '2025-03', score: 4, comment: '工作认真' } },
  'post /api/info-verifications': { path: '/api/info-verifications', body: { record_kind: 'address', record_id: 1, result: 'incorrect', note: '门牌号有误' } },
  'post /api/training-records': { path: '/api/training-records', body: { staff_id: 1, session_on: '2025-03-20', title: '矛盾调解培训', attended: true, test_score: 88.5 } },
  'post /api/grids': { path: '/api/grids', body: { code: 'NEW-1', name: '新网格', community_id: 1, geometry: square(ox, oy + 3 * CELL, CELL, CELL) } },
  'post /api/joint-defense-points': { path: '/api/joint-defense-points', body: { code: 'JN-1', name: '新联防点', lon: centre[0], lat: centre[1] } },
  'post /api/key-locations': { path: '/api/key-locations', body: { code: 'KN-1', name: '新市场', type: 'market', geometry: { type: 'Point', coordinates: centre } } },
  'post /api/stats/area': { path: '/api/stats/area', body: { polygon: square(ox, oy, CELL, CELL), from: '2025-03-01', to: '2025-03-31' } },
  'post /api/patrol-plans/generate': { path: '/api/patrol-plans/generate', body: { community_id: 1, date: '2026-12-01', start_hour: 19, end_hour: 22 } },
  'put /api/patrol-plans/:id/stops': { path: '/api/patrol-plans/{id}/stops', body: { expected_version: 1, stops: [{ team: 1, target_kind: 'manual', lon: centre[0], lat: centre[1], dwell_min: 5 }] } },
  'put /api/patrol-plans/:id/devices': { path: '/api/patrol-plans/{id}/devices', body: { expected_version: 1, teams: [{ team: 1, device_ids: [1] }] } },
  'post /api/patrol-plans/:id/transitions': { path: '/api/patrol-plans/{id}/transitions', body: { action: 'approve', expected_version: 1 } },
};

/** Write routes the generic generator leaves to others, with the reason. */
const SKIP: Record<string, string> = {
  'post /api/auth/logout': 'reads no input at all (no body, no parameters): nothing to malform',
  'post /api/imports/:kind': 'multipart uploads: the importer cases below',
};

const SQL_LIKE = ["' OR '1'='1", "1; DROP TABLE event; --", "service_request'); DELETE FROM grid; --", '$1::text', "\\'; SELECT pg_sleep(5); --"];
const HUGE = [1e308, -1e308, 2 ** 63, Number.MAX_SAFE_INTEGER + 2, 1e-320];

/** Replacement values for a leaf, by the type of the valid value. */
function leafValues(v: unknown, key: string): unknown[] {
  const common = [null, [], {}, { $ne: null }];
  if (typeof v === 'number') {
    const geo = key === 'lon' ? [180.000001, -181] : key === 'lat' ? [90.5, -91] : [];
    return [...common, String(v), 'NaN', 'Infinity', '-Infinity', ...HUGE, -1, 0.5, true, SQL_LIKE[1], ...geo];
  }
  if (typeof v === 'string') return [...common, 42, true, ...SQL_LIKE, 'x'.repeat(70_000), '', '   '];
  if (typeof v === 'boolean') return [...common, 'true', 1, 'NaN'];
  return [...common, 'text', 0];
}

/** Every leaf of a JSON value, as a path of keys/indices. */
function leaves(v: unknown, path: (string | number)[] = []): (string | number)[][] {
  if (Array.isArray(v)) return v.flatMap((x, i) => leaves(x, [...path, i]));
  if (v && typeof v === 'object') return Object.entries(v).flatMap(([k, x]) => leaves(x, [...path, k]));
  return [path];
}

function setAt(v: unknown, path: (string | number)[], value: unknown): unknown {
  const copy = structuredClone(v) as Record<string | number, unknown>;
  let o = copy;
  for (const k of path.slice(0, -1)) o = o[k] as Record<string | number, unknown>;
  const last = path.at(-1)!;
  if (value === DELETE) delete o[last];
  else o[last] = value;
  return copy;
}
const DELETE = Symbol('delete');

function getAt(v: unknown, path: (string | number)[]): unknown {
  return path.reduce<unknown>((o, k) => (o as Record<string | number, unknown>)[k], v);
}

// Areal geometries that must be refused (by zod, the API, or the database), near the test world.
const [gx, gy] = [ox + 0.001, oy + 3 * CELL];
const ring = (pts: number[][]) => pts.map(([x, y]) => [gx + x! * CELL, gy + y! * CELL]);
const BAD_AREAS: [string, unknown][] = [
  ['self-intersecting bowtie', { type: 'Polygon', coordinates: [ring([[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]])] }],
  ['unclosed ring', { type: 'Polygon', coordinates: [ring([[0, 0], [1, 0], [1, 1], [0, 1]])] }],
  ['ring of three points', { type: 'Polygon', coordinates: [ring([[0, 0], [1, 0], [0, 0]])] }],
  ['zero-area ring', { type: 'Polygon', coordinates: [ring([[0, 0], [0, 0], [0, 0], [0, 0]])] }],
  ['collinear ring', { type: 'Polygon', coordinates: [ring([[0, 0], [1, 0], [2, 0], [0, 0]])] }],
  ['hole outside the shell', { type: 'Polygon', coordinates: [ring([[0, 0], [1, 0], [1, 1], [0, 1], [0, 0]]), ring([[2, 2], [3, 2], [3, 3], [2, 3], [2, 2]])] }],
  ['longitude out of range', { type: 'Polygon', coordinates: [[[200, 33], [201, 33], [201, 34], [200, 34], [200, 33]]] }],
  ['latitude out of range', { type: 'Polygon', coordinates: [[[113, 95], [114, 95], [114, 96], [113, 96], [113, 95]]] }],
  ['coordinates as strings', { type: 'Polygon', coordinates: [[['113.5', '33.3'], ['113.6', '33.3'], ['113.6', '33.4'], ['113.5', '33.3']]] }],
  ['NaN coordinates', { type: 'Polygon', coordinates: [[['NaN', 'NaN'], [113.6, 33.3], [113.6, 33.4], ['NaN', 'NaN']]] }],
  ['null coordinates', { type: 'Polygon', coordinates: [[null, [113.6, 33.3], [113.6, 33.4], null]] }],
  ['empty coordinates', { type: 'Polygon', coordinates: [] }],
  ['empty multipolygon', { type: 'MultiPolygon', coordinates: [[]] }],
  ['multipolygon at polygon depth', { type: 'MultiPolygon', coordinates: [ring([[0, 0], [1, 0], [1, 1], [0, 0]])] }],
  ['line string', { type: 'LineString', coordinates: ring([[0, 0], [1, 1]]) }],
  ['geometry collection', { type: 'GeometryCollection', geometries: [] }],
  ['feature instead of geometry', { type: 'Feature', geometry: null, properties: {} }],
  ['unknown type', { type: 'Circle', coordinates: [113.5, 33.3], radius: 100 }],
  ['coordinates not an array', { type: 'Polygon', coordinates: 'POLYGON((0 0, 1 0, 1 1, 0 0))' }],
  ['SQL in the type', { type: "Polygon'); DROP TABLE grid; --", coordinates: [] }],
];
const BAD_POINTS: [string, unknown][] = [
  ['point out of range', { type: 'Point', coordinates: [200, 95] }],
  ['point with one coordinate', { type: 'Point', coordinates: [113.5] }],
  ['point with string coordinates', { type: 'Point', coordinates: ['113.5', '33.3'] }],
  ['point with NaN', { type: 'Point', coordinates: ['NaN', 33.3] }],
  ['point with a huge longitude', { type: 'Point', coordinates: [1e308, 33.3] }],
];

interface Case {
  route: string;
  what: string;
  method: string;
  path: string;
  body?: string | Uint8Array;
  headers?: Record<string, string>;
}

/** Bytes: the JSON text with `raw` spliced in place of the marker string. */
function withRawBytes(body: unknown, raw: number[]): Uint8Array {
  const [before, after] = JSON.stringify(body).split('__RAW__') as [string, string];
  const enc = new TextEncoder();
  return new Uint8Array([...enc.encode(before), ...raw, ...enc.encode(after)]);
}

const BAD_IDS = ['abc', '-1', '0', '1.5', '99999999999999999999', 'NaN', 'Infinity', '1%20OR%201%3D1', '1%27%3B%20DROP%20TABLE%20event%3B--', '%00', '0x10', '1e400'];

function generate(): { cases: Case[]; uncovered: string[] } {
  const cases: Case[] = [];
  const uncovered: string[] = [];
  for (const route of routes) {
    if (route.method === 'get') continue;
    const key = `${route.method} ${route.path}`;
    if (SKIP[key]) continue;
    const base = BASE[key];
    if (!base) {
      uncovered.push(key);
      continue;
    }
    const method = route.method.toUpperCase();
    const path = base.path.replace('{id}', '1000');
    const json = (what: string, body: unknown) => cases.push({ route: key, what, method, path, body: JSON.stringify(body) });
    const raw = (what: string, body: string | Uint8Array, headers?: Record<string, string>) =>
      cases.push({ route: key, what, method, path, body, ...(headers ? { headers } : {}) });

    // Path parameters that are not ids (the body is valid, so only the parameter can be refused).
    if (base.path.includes('{id}')) {
      for (const id of BAD_IDS) {
        cases.push({ route: key, what: `id ${id}`, method, path: base.path.replace('{id}', id), ...(base.body !== undefined ? { body: JSON.stringify(base.body) } : {}) });
      }
    }
    if (base.body === undefined || !route.body) continue;
    const schema = route.body as z.ZodType;
    const refused = (v: unknown) => !schema.safeParse(v).success;

    // Each leaf replaced by a value of the wrong type or out of range; each field removed; one added.
    for (const leaf of leaves(base.body)) {
      const valid = getAt(base.body, leaf);
      for (const v of leafValues(valid, String(leaf.at(-1)))) {
        const body = setAt(base.body, leaf, v);
        if (refused(body)) json(`${leaf.join('.')} = ${JSON.stringify(v)?.slice(0, 40)}`, body);
      }
      const without = setAt(base.body, leaf, DELETE);
      if (refused(without)) json(`without ${leaf.join('.')}`, without);
    }
    json('unknown field', { ...(base.body as object), is_admin: true });
    json('SQL as a field name', { ...(base.body as object), "1=1; DROP TABLE grid; --": 1 });
    raw('__proto__ field', JSON.stringify(base.body).replace(/^\{/, '{"__proto__":{"polluted":true},'));

    // Whole bodies that are not the object the route reads.
    for (const [what, text] of [
      ['truncated JSON', JSON.stringify(base.body).slice(0, -3)], ['empty body', ''], ['null', 'null'], ['array', '[]'],
      ['string', '"text"'], ['number', '42'], ['bare NaN', 'NaN'], ['bare Infinity', 'Infinity'], ['trailing garbage', `${JSON.stringify(base.body)} x`],
      ['single quotes', JSON.stringify(base.body).replaceAll('"', "'")], ['comment', `/* */${JSON.stringify(base.body)}`],
      ['deep object', `${'{"a":'.repeat(5_000)}1${'}'.repeat(5_000)}`], ['deep array', `{"x":${'['.repeat(100_000)}${']'.repeat(100_000)}}`],
      ['oversized body', JSON.stringify({ ...(base.body as object), padding: 'x'.repeat(MAX_JSON_BODY_BYTES + 1) })],
    ] as const) raw(what, text);

    // Broken encodings in the first string field (or the whole body when there is none).
    const firstString = leaves(base.body).find((l) => typeof getAt(base.body, l) === 'string');
    const marked = firstString ? setAt(base.body, firstString, '__RAW__') : null;
    for (const [what, bytes] of [
      ['invalid UTF-8 byte 0xFF', [0xff, 0xfe]], ['truncated UTF-8 sequence', [0xe5, 0x8f]], ['overlong UTF-8 encoding', [0xc0, 0xaf]],
      ['GBK bytes sent as UTF-8', [0xce, 0xd2, 0xb5, 0xc4]], ['UTF-8 encoded surrogate', [0xed, 0xa0, 0x80]],
    ] as const) {
      if (marked) raw(what, withRawBytes(marked, [...bytes]));
    }
    if (marked) {
      raw('NUL character', JSON.stringify(setAt(base.body, firstString!, 'a\u0000b')));
      raw('unpaired surrogate', JSON.stringify(setAt(base.body, firstString!, 'a\ud800b')));
    }
    raw('UTF-16 body', new Uint8Array([0xfe, 0xff, ...[...JSON.stringify(base.body)].flatMap((ch) => [0, ch.charCodeAt(0) & 0xff])]));

    // Wrong content types, with the valid body.
    for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/xml', 'application/jsonx']) {
      raw(`content-type ${type}`, JSON.stringify(base.body), { 'content-type': type });
    }

    // Invalid geometries wherever the route takes one.
    const b = base.body as Record<string, unknown>;
    if ('geometry' in b) {
      const bad = key === 'post /api/key-locations' ? [...BAD_AREAS, ...BAD_POINTS] : BAD_AREAS;
      for (const [what, g] of bad) json(`geometry: ${what}`, { ...b, geometry: g });
    }
    if (key === 'post /api/patrol-plans/generate') {
      for (const [what, g] of BAD_AREAS) json(`polygon: ${what}`, { date: b.date, start_hour: b.start_hour, end_hour: b.end_hour, polygon: g });
    }
  }
  return { cases, uncovered };
}

/** Malformed uploads for every importer. */
function importCases(): Case[] {
  const cases: Case[] = [];
  const enc = new TextEncoder();
  const multipart = (parts: { name: string; filename?: string; type?: string; content: Uint8Array | string }[]) => {
    const boundary = 'badinputboundary';
    const chunks: Uint8Array[] = [];
    for (const p of parts) {
      const disp = `form-data; name="${p.name}"${p.filename !== undefined ? `; filename="${p.filename}"` : ''}`;
      chunks.push(enc.encode(`--${boundary}\r\ncontent-disposition: ${disp}\r\n${p.type ? `content-type: ${p.type}\r\n` : ''}\r\n`));
      chunks.push(typeof p.content === 'string' ? enc.encode(p.content) : p.content);
      chunks.push(enc.encode('\r\n'));
    }
    chunks.push(enc.encode(`--${boundary}--\r\n`));
    const body = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
    let at = 0;
    for (const c of chunks) {
      body.set(c, at);
      at += c.length;
    }
    return { body, headers: { 'content-type': `multipart/form-data; boundary=${boundary}` } };
  };
  const bowtie = { type: 'FeatureCollection', features: [{ type: 'Feature', properties: { code: 'X1', name: '坏网格', 社区编码: 'T-C1' }, geometry: BAD_AREAS[0]![1] }] };
  const unclosed = { type: 'FeatureCollection', features: [{ type: 'Feature', properties: { code: 'X2', name: '坏' }, geometry: BAD_AREAS[1]![1] }] };
  const nanPoints = { type: 'FeatureCollection', features: [{ type: 'Feature', properties: { code: "X3'; DROP TABLE address; --", name: '坏点' }, geometry: { type: 'Point', coordinates: ['NaN', 'Infinity'] } }] };
  const key = 'post /api/imports/:kind';
  for (const kind of IMPORT_KINDS) {
    const path = `/api/imports/${kind}`;
    const add = (what: string, m: { body: Uint8Array; headers: Record<string, string> }) => cases.push({ route: key, what: `${kind}: ${what}`, method: 'POST', path, ...m });
    cases.push({ route: key, what: `${kind}: JSON instead of multipart`, method: 'POST', path, body: '{"file":"x"}', headers: { 'content-type': 'application/json' } });
    add('no file field', multipart([{ name: 'options', content: '{}' }]));
    add('file as a plain field', multipart([{ name: 'file', content: 'code,name\n1,2' }]));
    add('options not JSON', multipart([{ name: 'file', filename: 'a.csv', content: 'code,name\n' }, { name: 'options', content: '{dry_run: yes' }]));
    add('options raising a server limit', multipart([{ name: 'file', filename: 'a.csv', content: 'code,name\n' }, { name: 'options', content: JSON.stringify({ maxBytes: 1e12, maxRecords: 1e9 }) }]));
    add('options of the wrong type', multipart([{ name: 'file', filename: 'a.csv', content: 'code,name\n' }, { name: 'options', content: '[1,2,3]' }]));
    add('options nested deep', multipart([{ name: 'file', filename: 'a.csv', content: 'code,name\n' }, { name: 'options', content: `${'{"a":'.repeat(3000)}1${'}'.repeat(3000)}` }]));
    add('empty file', multipart([{ name: 'file', filename: 'empty.geojson', content: '' }]));
    add('random bytes', multipart([{ name: 'file', filename: 'noise.geojson', type: 'application/geo+json', content: new Uint8Array(Array.from({ length: 4096 }, (_, i) => (i * 7919 + 13) % 256)) }]));
    add('truncated GeoJSON', multipart([{ name: 'file', filename: 'cut.geojson', content: JSON.stringify(bowtie).slice(0, 60) }]));
    add('broken zip', multipart([{ name: 'file', filename: 'shape.zip', content: new Uint8Array([0x50, 0x4b, 0x03, 0x04, 0xff, 0xff, 0, 0, 1, 2, 3]) }]));
    add('self-intersecting polygon', multipart([{ name: 'file', filename: 'bowtie.geojson', content: JSON.stringify(bowtie) }]));
    add('unclosed ring', multipart([{ name: 'file', filename: 'unclosed.geojson', content: JSON.stringify(unclosed) }]));
    add('NaN coordinates and SQL-like code', multipart([{ name: 'file', filename: 'nan.geojson', content: JSON.stringify(nanPoints) }]));
    add('CSV with bad numbers', multipart([{ name: 'file', filename: 'bad.csv', content: "编码,名称,经度,纬度,时间\nX4,坏,NaN,1e400,not-a-time\n'; DROP TABLE event; --,x,200,95,2026-13-45\n" }]));
    // Bytes that are not UTF-8 are read as GB18030 (as Excel writes CSV), so they must break a number to be refused.
    add('CSV with undecodable bytes in a coordinate', multipart([{ name: 'file', filename: 'bad.csv', content: new Uint8Array([...enc.encode('code,name,lon,lat\nX5,坏,113.5'), 0xff, 0xc0, 0xaf, ...enc.encode(',33.3\n')]) }]));
    add('KML that is not XML', multipart([{ name: 'file', filename: 'a.kml', content: '<kml><Document><Placemark><Point><coordinates>abc</coordinates>' }]));
    add('unknown file extension', multipart([{ name: 'file', filename: 'a.exe', content: 'MZ\u0090\u0000' }]));
    cases.push({ route: key, what: `${kind}: Content-Length over the upload cap`, method: 'POST', path, body: 'x', headers: { 'content-type': 'multipart/form-data; boundary=x', 'content-length': String(MAX_UPLOAD_BYTES + 1) } });
  }
  for (const kind of ['unknown', 'GRIDS', "grids'; DROP TABLE grid; --", '..%2F..%2Fetc%2Fpasswd']) {
    cases.push({ route: key, what: `kind ${kind}`, method: 'POST', path: `/api/imports/${kind}`, ...multipart([{ name: 'file', filename: 'a.geojson', content: JSON.stringify(bowtie) }]) });
  }
  return cases;
}

async function rowCounts(): Promise<Record<string, number>> {
  const tables = await db.sql<{ t: string }[]>`
    SELECT tablename AS t FROM pg_tables WHERE schemaname = 'public' AND tablename NOT IN ('app_session', 'login_attempt') ORDER BY 1`;
  const rows = await db.sql.unsafe<{ t: string; n: number }[]>(tables.map(({ t }) => `SELECT '${t}' AS t, count(*)::int AS n FROM "${t}"`).join(' UNION ALL '));
  return Object.fromEntries(rows.map((r) => [r.t, r.n]));
}

function send(c: Case): Promise<Response> {
  const headers: Record<string, string> = { 'x-test-ip': '10.9.9.9', cookie: client.cookie!, 'x-csrf-token': client.csrf!, ...c.headers };
  if (c.route === 'post /api/machine/fixes') headers.authorization = `Bearer ${ingestToken}`;
  if (c.body !== undefined) headers['content-type'] ??= 'application/json';
  return Promise.resolve(app.request(c.path, { method: c.method, headers, ...(c.body !== undefined ? { body: c.body as BodyInit } : {}) }));
}

describe('generated bad input against every write endpoint and importer', () => {
  it('covers every write route of the route table', () => {
    const { uncovered } = generate();
    expect(uncovered, 'write routes with neither a BASE request nor a SKIP reason').toEqual([]);
    const keys = new Set(routes.map((r) => `${r.method} ${r.path}`));
    for (const k of [...Object.keys(BASE), ...Object.keys(SKIP)]) expect(keys.has(k), k).toBe(true);
  });

  it('answers each malformed request 4xx with the error shape, and writes nothing', { timeout: 180_000 }, async () => {
    const cases = [...generate().cases, ...importCases()];
    expect(cases.length).toBeGreaterThanOrEqual(200);
    const perRoute = new Map<string, number>();
    for (const c of cases) perRoute.set(c.route, (perRoute.get(c.route) ?? 0) + 1);
    const before = await rowCounts();
    const failures: string[] = [];
    const statuses = new Map<number, number>();
    for (const c of cases) {
      const res = await send(c);
      statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
      const text = await res.text();
      const label = `${c.route} [${c.what}] → ${res.status}`;
      if (res.status < 400 || res.status >= 500) {
        failures.push(`${label}: ${text.slice(0, 200)}`);
        continue;
      }
      let body: { error?: { code?: unknown; message?: unknown } } | null;
      try {
        body = JSON.parse(text) as { error?: { code?: unknown; message?: unknown } } | null;
      } catch {
        failures.push(`${label}: not JSON: ${text.slice(0, 100)}`);
        continue;
      }
      if (typeof body?.error?.code !== 'string' || typeof body.error.message !== 'string' || body.error.message.length < 5) {
        failures.push(`${label}: no error shape with a message: ${text.slice(0, 200)}`);
      }
    }
    const after = await rowCounts();
    const changed = Object.keys(before).filter((t) => before[t] !== after[t]).map((t) => `${t}: ${before[t]} → ${after[t]}`);
    console.info(`bad-input: ${cases.length} requests over ${perRoute.size} routes; statuses ${JSON.stringify(Object.fromEntries([...statuses].sort()))}`);
    expect(failures).toEqual([]);
    expect(changed, 'tables whose row count changed').toEqual([]);
    // Every covered route got a real share of the cases.
    for (const [route, n] of perRoute) expect(n, route).toBeGreaterThanOrEqual(route.startsWith('delete') ? BAD_IDS.length : 20);
  });

  it('still accepts a valid request afterwards (the suite did not just break the server)', async () => {
    const res = await client.post('/api/tokens', { name: 'after the suite', scopes: ['sync:read'] });
    expect(res.status).toBe(201);
    const ready = await app.request('/api/ready');
    expect(ready.status).toBe(200);
  });
});
