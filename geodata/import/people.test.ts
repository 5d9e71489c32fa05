import iconv from 'iconv-lite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshDatabase, type TestDatabase } from '../../api/testing/db.ts';
import { wgs84ToGcj02 } from '../crs/chinese.ts';
import { idCheckCharacter } from './kinds.ts';
import { expectOk, haversineM, importBytes, setUpJurisdiction, tableCounts } from './test/helpers.ts';

/**
 * Persons of concern and visits: the two kinds that hang off standard addresses and staff rather
 * than off the map alone. The jurisdiction is helpers.setUpJurisdiction's (grid G-WEST covers
 * 113.50–113.55 E); addresses and staff are loaded here.
 */

const enc = (s: string) => new TextEncoder().encode(s);
const gbk = (s: string) => new Uint8Array(iconv.encode(s, 'gbk'));

/** A synthetic 18-character ID number with a correct check character. */
function idNumber(serial: number): string {
  const first17 = `41048119800101${String(serial).padStart(3, '0')}`;
  return first17 + idCheckCharacter(first17);
}

let db: TestDatabase;
const staffId: Record<string, number> = {};

beforeAll(async () => {
  db = await freshDatabase(2);
  await setUpJurisdiction(db.sql);
  expectOk(
    await importBytes(
      db.sql,
      'addresses',
      'addr.csv',
      enc('code,address,category,lon,lat\nPA-1,建设路1号,一般类,113.52,33.30\nPA-2,建设路2号,重点类,113.53,33.30\nPA-3,建设路3号,关注类,113.54,33.31\n'),
    ),
  );
  const [g] = await db.sql<{ id: number }[]>`SELECT id FROM grid WHERE code = 'G-WEST'`;
  for (const [code, kind, role] of [['S-P1', 'police', 'police'], ['S-W1', 'grid_worker', 'grid_worker']] as const) {
    const [s] = await db.sql<{ id: number }[]>`
      INSERT INTO staff (code, name, org, kind) VALUES (${code}, ${`测试${code}`}, ${kind === 'police' ? 'police_station' : 'community'}, ${kind}) RETURNING id`;
    staffId[code] = s!.id;
    await db.sql`INSERT INTO assignment (staff_id, role, grid_id, starts_on) VALUES (${s!.id}, ${role}, ${g!.id}, '2020-01-01')`;
  }
  // A login account that names the grid worker: visits may list accounts instead of staff codes.
  await db.sql`
    INSERT INTO app_user (username, display_name, staff_id, password_hash) VALUES ('wangwei', '王伟', ${staffId['S-W1']!}, 'scrypt$test')`;
});

afterAll(async () => {
  await db?.drop();
});

const personCount = async () => (await db.sql<{ n: number }[]>`SELECT count(*)::int AS n FROM person_of_concern`)[0]!.n;
const visitCounts = async () =>
  (await db.sql<{ v: number; p: number }[]>`SELECT (SELECT count(*) FROM visit)::int AS v, (SELECT count(*) FROM visit_participant)::int AS p`)[0]!;

describe('persons of concern', () => {
  const ids = [idNumber(1), idNumber(2), idNumber(3)];
  const phones = ['13812345678', '0375-2612345', '15900001111'];
  // What Excel in China writes: GBK, Chinese headers, Chinese labels, slashed dates.
  const excel = gbk(
    [
      '人员编号,姓名,身份证号,联系电话,人员类别,管控等级,地址编码,列管日期,备注',
      `P-001,张某某,${ids[0]},${phones[0]},独居老人,三级,PA-1,2024/3/1,`,
      `P-002,李某某,${ids[1]},${phones[1]},社区矫正人员,一级,PA-2,2024/5/20,每周报到`,
      `P-003,王某某,${ids[2]},${phones[2]},涉法涉诉,二级,PA-3,2023/12/31,`,
    ].join('\r\n'),
  );

  it('dry run reports the rows and writes nothing', async () => {
    const before = await tableCounts(db.sql);
    const r = await importBytes(db.sql, 'persons', '重点人员.csv', excel, { dryRun: true });
    expectOk(r);
    expect(r.counts).toMatchObject({ read: 3, valid: 3, inserted: 3, updated: 0 });
    expect(await personCount()).toBe(0);
    expect(await tableCounts(db.sql)).toEqual(before);
  });

  it('imports a GBK CSV with Chinese headers and labels, exactly 3 rows, attached to their addresses', async () => {
    const r = await importBytes(db.sql, 'persons', '重点人员.csv', excel);
    expectOk(r);
    expect(r.encoding).toMatch(/gb18030/);
    expect(r.fields).toMatchObject({ code: '人员编号', name: '姓名', id_number: '身份证号', phone: '联系电话', category: '人员类别', control_level: '管控等级', address: '地址编码', since: '列管日期' });
    expect(r.counts).toMatchObject({ read: 3, valid: 3, inserted: 3, updated: 0, skipped: 0 });
    const rows = await db.sql<{ code: string; name: string; category: string; control_level: number; address: string; since: string; id_number: string; phone: string; notes: string | null }[]>`
      SELECT p.code, p.name, p.category, p.control_level, a.code AS address, p.since::text AS since, p.id_number, p.phone, p.notes
      FROM person_of_concern p JOIN address a ON a.id = p.address_id ORDER BY p.code`;
    expect(rows).toEqual([
      { code: 'P-001', name: '张某某', category: 'elderly_alone', control_level: 3, address: 'PA-1', since: '2024-03-01', id_number: ids[0], phone: phones[0], notes: null },
      { code: 'P-002', name: '李某某', category: 'community_correction', control_level: 1, address: 'PA-2', since: '2024-05-20', id_number: ids[1], phone: phones[1], notes: '每周报到' },
      { code: 'P-003', name: '王某某', category: 'petition', control_level: 2, address: 'PA-3', since: '2023-12-31', id_number: ids[2], phone: phones[2], notes: null },
    ]);
    // The report goes back to the browser and into logs: no identity in it.
    const text = JSON.stringify(r);
    for (const v of [...ids, ...phones]) expect(text).not.toContain(v);
  });

  it('re-importing the same file is idempotent: 3 updates, no new rows', async () => {
    const r = await importBytes(db.sql, 'persons', '重点人员.csv', excel);
    expectOk(r);
    expect(r.counts).toMatchObject({ read: 3, inserted: 0, updated: 3 });
    expect(await personCount()).toBe(3);
  });

  it('refuses a file with one bad row as a whole, naming row and field, with the ID number masked', async () => {
    const before = await tableCounts(db.sql);
    const badId = '41048119800101999'; // 17 digits
    const file = enc(`code,name,id_number,category,control_level,address_code\nP-010,赵某,${idNumber(10)},low_income,2,PA-1\nP-011,钱某,${badId},low_income,2,PA-1\nP-012,孙某,,火星人,2,PA-1\n`);
    const r = await importBytes(db.sql, 'persons', 'bad.csv', file);
    expect(r.ok).toBe(false);
    expect(r.counts.inserted).toBe(0);
    expect(r.errors).toEqual([
      expect.objectContaining({ row: 2, field: 'id_number', code: 'BAD_ID_NUMBER', message: expect.stringMatching(/^record 2, id_number: 4104\*+1999 \(17 characters\)/) }),
      expect.objectContaining({ row: 3, field: 'category', code: 'BAD_ENUM', message: expect.stringMatching(/record 3, category: "火星人"/) }),
    ]);
    expect(JSON.stringify(r)).not.toContain(badId);
    expect(await tableCounts(db.sql)).toEqual(before);
    expect(await personCount()).toBe(3);
  });

  it('--values maps a source system\'s own codes; --skip-invalid imports the rest and lists the bad row', async () => {
    const file = enc('code,name,category,control_level,address_code\nP-020,周某,A类,红,PA-1\nP-021,吴某,B类,黄,PA-404\n');
    const r = await importBytes(db.sql, 'persons', 'codes.csv', file, {
      values: { category: { A类: 'petition', B类: 'idle_youth' }, control_level: { 红: 1, 黄: 2 } },
      skipInvalid: true,
    });
    expectOk(r);
    expect(r.counts).toMatchObject({ read: 2, valid: 1, inserted: 1, skipped: 1 });
    expect(r.errors).toEqual([expect.objectContaining({ row: 2, field: 'address', code: 'UNKNOWN_PARENT', message: expect.stringContaining('"PA-404"') })]);
    const [p] = await db.sql<{ category: string; control_level: number; since: string; today: string }[]>`
      SELECT category, control_level, since::text AS since, jw_today()::text AS today FROM person_of_concern WHERE code = 'P-020'`;
    // No since column: under management from the day of the import, and the report says so.
    expect(p).toEqual({ category: 'petition', control_level: 1, since: p!.today, today: p!.today });
    expect(r.warnings.some((w) => w.code === 'DEFAULT_USED' && w.field === 'since')).toBe(true);
  });

  it('without an address code, coordinates attach a person to the nearest standard address within 30 m, never farther', async () => {
    // 10 m east of PA-1 (113.52, 33.30): ~0.000107° of longitude at 33.3° N.
    const near = enc('code,name,category,control_level,lon,lat\nP-030,郑某,disabled,3,113.520107,33.30\n');
    const r = await importBytes(db.sql, 'persons', 'near.csv', near);
    expectOk(r);
    expect(r.warnings.some((w) => w.code === 'PARENT_FOUND_SPATIALLY' && /30 m/.test(w.message))).toBe(true);
    const [p] = await db.sql<{ address: string }[]>`SELECT a.code AS address FROM person_of_concern p JOIN address a ON a.id = p.address_id WHERE p.code = 'P-030'`;
    expect(p!.address).toBe('PA-1');

    const before = await personCount();
    // ~100 m from PA-1: refused, and with 150 m allowed it is accepted.
    const far = enc('code,name,category,control_level,lon,lat\nP-031,冯某,disabled,3,113.52107,33.30\n');
    const refused = await importBytes(db.sql, 'persons', 'far.csv', far);
    expect(refused.ok).toBe(false);
    expect(refused.errors[0]).toMatchObject({ row: 1, field: 'address', code: 'NO_PARENT' });
    expect(await personCount()).toBe(before);
    expectOk(await importBytes(db.sql, 'persons', 'far.csv', far, { nearestAddressM: 150 }));
    expect(await personCount()).toBe(before + 1);
  });
});

describe('visits', () => {
  // Positions as a phone app records them: GCJ-02.
  const gcj = (lon: number, lat: number) => wgs84ToGcj02(lon, lat).map((v) => v.toFixed(7)).join(',');
  const file = () =>
    gbk(
      [
        '走访编号,地址编码,走访人员,走访时间,经度,纬度,走访情况',
        `V-001,PA-1,S-W1,2025/6/3 9:30,${gcj(113.52, 33.30)},正常`,
        // joint visit of a key address, both listed; the second by login account
        `V-002,PA-2,S-P1、wangwei,2025/6/3 10:05,${gcj(113.53003, 33.30)},共同走访`,
        // taken ~300 m away from the address: off-site
        `V-003,PA-3,S-W1,2025/6/4 15:00,${gcj(113.5432, 33.31)},`,
        // no fix at all
        'V-004,PA-1,S-W1,2025/6/5 8:00,,,补录',
      ].join('\r\n'),
    );
  const options = { crs: 'GCJ-02', timeFormat: 'YYYY/M/D H:mm' };

  it('dry run writes nothing', async () => {
    const before = await visitCounts();
    const r = await importBytes(db.sql, 'visits', '走访记录.csv', file(), { ...options, dryRun: true });
    expectOk(r);
    expect(r.counts).toMatchObject({ read: 4, valid: 4, inserted: 4 });
    expect(await visitCounts()).toEqual(before);
  });

  it('imports visits with participants, GCJ-02 fixes converted, local times, grids from the address', async () => {
    const r = await importBytes(db.sql, 'visits', '走访记录.csv', file(), options);
    expectOk(r);
    expect(r.fields).toMatchObject({ code: '走访编号', address: '地址编码', staff: '走访人员', visited_at: '走访时间', lon: '经度', lat: '纬度', notes: '走访情况' });
    expect(r.counts).toMatchObject({ read: 4, valid: 4, inserted: 4, updated: 0 });
    expect(await visitCounts()).toEqual({ v: 4, p: 5 });
    const rows = await db.sql<{ client_id: string; address: string; grid: string; visited_at: Date; lon: number | null; lat: number | null; staff: string[] }[]>`
      SELECT v.client_id, a.code AS address, g.code AS grid, v.visited_at, ST_X(v.geom) AS lon, ST_Y(v.geom) AS lat,
             (SELECT array_agg(s.code ORDER BY s.code) FROM visit_participant vp JOIN staff s ON s.id = vp.staff_id WHERE vp.visit_id = v.id) AS staff
      FROM visit v JOIN address a ON a.id = v.address_id JOIN grid g ON g.id = v.grid_id ORDER BY v.client_id`;
    expect(rows.map((x) => [x.client_id, x.address, x.grid, x.staff])).toEqual([
      ['V-001', 'PA-1', 'G-WEST', ['S-W1']],
      ['V-002', 'PA-2', 'G-WEST', ['S-P1', 'S-W1']],
      ['V-003', 'PA-3', 'G-WEST', ['S-W1']],
      ['V-004', 'PA-1', 'G-WEST', ['S-W1']],
    ]);
    expect(rows[0]!.visited_at.toISOString()).toBe('2025-06-03T01:30:00.000Z');
    expect(haversineM([rows[0]!.lon!, rows[0]!.lat!], [113.52, 33.3])).toBeLessThan(1);
    expect(rows[3]!.lon).toBeNull();
  });

  it('the fixes feed the on-site rule: on site, off site (~300 m) and no fix', async () => {
    const facts = await db.sql<{ client_id: string; reasons: string[]; distance_m: number | null }[]>`
      SELECT v.client_id, f.reasons, f.distance_m
      FROM kpi_visit_facts((SELECT array_agg(id) FROM visit WHERE client_id LIKE 'V-00%')) f JOIN visit v ON v.id = f.visit_id
      ORDER BY v.client_id`;
    const by = new Map(facts.map((f) => [f.client_id, f]));
    expect(by.get('V-001')!.reasons).toEqual([]);
    expect(by.get('V-001')!.distance_m!).toBeLessThan(1);
    expect(by.get('V-002')!.reasons).toEqual([]);
    expect(by.get('V-003')!.reasons).toContain('off_site');
    expect(by.get('V-003')!.distance_m!).toBeGreaterThan(250);
    expect(by.get('V-004')!.reasons).toContain('no_fix');
  });

  it('re-importing is idempotent; a changed participant list replaces the old one', async () => {
    const again = await importBytes(db.sql, 'visits', '走访记录.csv', file(), options);
    expectOk(again);
    expect(again.counts).toMatchObject({ inserted: 0, updated: 4 });
    expect(await visitCounts()).toEqual({ v: 4, p: 5 });
    const changed = await importBytes(db.sql, 'visits', 'fix.csv', enc('visit_code,address_code,staff,visited_at\nV-002,PA-2,S-P1,2025-06-03 10:05\n'));
    expectOk(changed);
    expect(changed.counts).toMatchObject({ inserted: 0, updated: 1 });
    expect(await visitCounts()).toEqual({ v: 4, p: 4 });
  });

  it('refuses unknown staff, naming row and field, and writes nothing', async () => {
    const before = await tableCounts(db.sql);
    const counts = await visitCounts();
    const r = await importBytes(db.sql, 'visits', 'v.csv', enc('code,address_code,staff,visited_at\nV-100,PA-1,S-W1,2025-06-01 09:00\nV-101,PA-1,S-W1;NOBODY,2025-06-01 10:00\n'));
    expect(r.ok).toBe(false);
    expect(r.errors).toEqual([expect.objectContaining({ row: 2, field: 'staff', code: 'UNKNOWN_REFERENCE', message: expect.stringContaining('"NOBODY"') })]);
    expect(await visitCounts()).toEqual(counts);
    expect(await tableCounts(db.sql)).toEqual(before);
  });

  it('a visit naming only the person of concern takes the person\'s address', async () => {
    const r = await importBytes(db.sql, 'visits', 'pv.csv', enc('code,person_code,staff,visited_at\nV-200,P-002,S-P1 S-W1,2025-06-07 11:00\n'));
    expectOk(r);
    const [v] = await db.sql<{ address: string; person: string }[]>`
      SELECT a.code AS address, p.code AS person FROM visit v JOIN address a ON a.id = v.address_id JOIN person_of_concern p ON p.id = v.person_id
      WHERE v.client_id = 'V-200'`;
    expect(v).toEqual({ address: 'PA-2', person: 'P-002' });
  });
});
