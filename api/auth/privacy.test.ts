import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../app.ts';
import { freshDatabase, type TestDatabase } from '../testing/db.ts';
import { CELL, ORIGIN, insertTinyWorld, type TinyWorld } from '../testing/fixtures.ts';
import { Client, createUser, testApp } from '../testing/app.ts';

let db: TestDatabase;
let app: App['app'];
let world: TinyWorld;
const [ox, oy] = ORIGIN;
const ID = '410481198001011234';
const persons: number[] = [];

beforeAll(async () => {
  db = await freshDatabase();
  ({ app } = testApp(db.sql));
  world = await insertTinyWorld(db.sql);
  const [a1] = await db.sql<{ id: number }[]>`INSERT INTO address (code, address_text, geom) VALUES ('A1', '建设路1号', ST_SetSRID(ST_MakePoint(${ox + 0.5 * CELL}, ${oy + CELL}), 4326)) RETURNING id`;
  const [a3] = await db.sql<{ id: number }[]>`INSERT INTO address (code, address_text, geom) VALUES ('A3', '西岭村3组', ST_SetSRID(ST_MakePoint(${ox + 2.5 * CELL}, ${oy + CELL}), 4326)) RETURNING id`;
  // Grid 1: three community-corrections persons and one elderly person living alone; grid 3: one petitioner.
  const rows: [number, string][] = [[a1!.id, 'community_correction'], [a1!.id, 'community_correction'], [a1!.id, 'community_correction'], [a1!.id, 'elderly_alone'], [a3!.id, 'petition']];
  for (const [i, [addressId, category]] of rows.entries()) {
    const [p] = await db.sql<{ id: number }[]>`
      INSERT INTO person_of_concern (code, address_id, name, id_number, phone, category, control_level, since)
      VALUES (${`P${i}`}, ${addressId}, ${`王${i}`}, ${ID.slice(0, 14) + String(1230 + i)}, ${`1380013${String(8000 + i)}`}, ${category}, 2, '2025-01-01') RETURNING id`;
    persons.push(p!.id);
  }
  await createUser(db.sql, 'cmd', 'command', { subdistrict_id: world.subdistrictId });
  await createUser(db.sql, 'police1', 'police', { community_id: world.communityIds[0] });
  await createUser(db.sql, 'worker1', 'grid_worker', { grid_id: world.gridIds[0] });
  await createUser(db.sql, 'analyst', 'analyst', { subdistrict_id: world.subdistrictId });
});
afterAll(async () => db?.drop());

describe('masking and reveal', () => {
  it('masks ID and phone numbers in lists and records', async () => {
    const worker = await Client.login(app, 'worker1');
    const list = (await (await worker.get('/api/persons')).json()) as { persons: { id: number; name: string; id_number: string; phone: string }[] };
    expect(list.persons.map((p) => p.id)).toEqual(persons.slice(0, 4));
    expect(list.persons[0]).toMatchObject({ name: '王0', id_number: '4104**********1230', phone: '138****8000' });
    const one = (await (await worker.get(`/api/persons/${persons[1]}`)).json()) as { id_number: string };
    expect(one.id_number).toBe('4104**********1231');
  });

  it('reveals to police with a reason, refuses grid workers and reasonless requests', async () => {
    const police = await Client.login(app, 'police1', undefined, '192.168.5.7');
    const noReason = await police.post(`/api/persons/${persons[0]}/reveal`, { reason: '  ' });
    expect(noReason.status).toBe(400);
    const res = await police.post(`/api/persons/${persons[0]}/reveal`, { reason: '矫正人员未按时报到，核实身份' });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { id_number: string }).id_number).toBe(ID.slice(0, 14) + '1230');
    const worker = await Client.login(app, 'worker1');
    expect((await worker.post(`/api/persons/${persons[0]}/reveal`, { reason: '我想看看' })).status).toBe(403);
    const outside = await police.post(`/api/persons/${persons[4]}/reveal`, { reason: '越权查看测试' });
    expect(outside.status).toBe(404);
  });

  it('writes an audit entry for every list, view and reveal, with who, why and from where', async () => {
    const before = await db.sql<{ n: number }[]>`SELECT count(*)::int AS n FROM audit_log WHERE action LIKE 'person.%'`;
    const police = await Client.login(app, 'police1', undefined, '192.168.5.8');
    await police.get('/api/persons');
    await police.get(`/api/persons/${persons[2]}`);
    await police.post(`/api/persons/${persons[2]}/reveal`, { reason: '入户走访前核对' });
    const rows = await db.sql<{ actor: string; action: string; target_id: string | null; reason: string | null; client_ip: string }[]>`
      SELECT actor, action, target_id, reason, client_ip FROM audit_log WHERE action LIKE 'person.%' ORDER BY id DESC LIMIT 3`;
    expect(rows.reverse()).toEqual([
      { actor: 'police1', action: 'person.list', target_id: null, reason: null, client_ip: '192.168.5.8' },
      { actor: 'police1', action: 'person.view', target_id: String(persons[2]), reason: null, client_ip: '192.168.5.8' },
      { actor: 'police1', action: 'person.reveal', target_id: String(persons[2]), reason: '入户走访前核对', client_ip: '192.168.5.8' },
    ]);
    const after = await db.sql<{ n: number }[]>`SELECT count(*)::int AS n FROM audit_log WHERE action LIKE 'person.%'`;
    expect(after[0]!.n - before[0]!.n).toBe(3);
  });
});

describe('aggregate-only roles', () => {
  it('analysts see person counts with counts under 3 suppressed; command sees them all', async () => {
    const analyst = await Client.login(app, 'analyst');
    const counts = ((await (await analyst.get('/api/persons/stats')).json()) as { counts: { grid_id: number; category: string; persons: number | null; suppressed: boolean }[] }).counts;
    expect(counts).toEqual([
      { grid_id: world.gridIds[0], category: 'community_correction', persons: 3, suppressed: false },
      { grid_id: world.gridIds[0], category: 'elderly_alone', persons: null, suppressed: true },
      { grid_id: world.gridIds[2], category: 'petition', persons: null, suppressed: true },
    ]);
    const cmd = await Client.login(app, 'cmd');
    const exact = ((await (await cmd.get('/api/persons/stats')).json()) as { counts: { persons: number }[] }).counts;
    expect(exact.map((c) => c.persons)).toEqual([3, 1, 1]);
    expect((await analyst.get('/api/persons')).status).toBe(403);
    expect((await analyst.get('/api/addresses?bbox=113,33,114,34')).status).toBe(403);
  });
});

describe('the audit log', () => {
  it('is readable by command only, filterable, and exportable as CSV with a BOM', async () => {
    const cmd = await Client.login(app, 'cmd');
    const res = await cmd.get('/api/audit?action=person.reveal');
    expect(res.status).toBe(200);
    const { entries } = (await res.json()) as { entries: { action: string }[] };
    expect(entries.length).toBeGreaterThanOrEqual(2);
    expect(new Set(entries.map((e) => e.action))).toEqual(new Set(['person.reveal']));
    const csv = await cmd.get('/api/audit?format=csv&actor=police1');
    expect(csv.headers.get('content-type')).toMatch(/text\/csv/);
    const bytes = new Uint8Array(await csv.arrayBuffer());
    expect([...bytes.slice(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const text = new TextDecoder().decode(bytes);
    expect(text.split('\r\n')[0]).toBe('id,at,actor,action,target_type,target_id,reason,client_ip,details');
    expect(text).toContain('入户走访前核对');
    const police = await Client.login(app, 'police1');
    expect((await police.get('/api/audit')).status).toBe(403);
  });

  it('cannot be changed or deleted, not even by the table owner', async () => {
    await expect(db.sql`UPDATE audit_log SET reason = 'edited'`).rejects.toMatchObject({ code: '42501' });
    await expect(db.sql`DELETE FROM audit_log`).rejects.toMatchObject({ code: '42501' });
    await expect(db.sql`TRUNCATE audit_log`).rejects.toMatchObject({ code: '42501' });
  });
});
