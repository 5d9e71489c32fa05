import type { Sql } from 'postgres';
import { hashPassword } from './passwords.ts';
import type { Role } from './types.ts';

/** Demo logins, one per role, all with this password and a forced change at first login. */
export const DEMO_PASSWORD = 'Yuanling@2025';

export const DEMO_USERS: { username: string; role: Role; label: string }[] = [
  { username: 'zhihui', role: 'command', label: '指挥中心（全街道）' },
  { username: 'zhanzhang', role: 'station_chief', label: '工作站站长（本社区）' },
  { username: 'minjing', role: 'police', label: '社区民警（包片社区/网格）' },
  { username: 'fujing', role: 'aux_police', label: '辅警（包片网格）' },
  { username: 'wanggezhang', role: 'grid_leader', label: '网格长（本网格）' },
  { username: 'wanggeyuan', role: 'grid_worker', label: '专职网格员（本网格）' },
  { username: 'zhiyuanzhe', role: 'part_time', label: '兼职网格员/志愿者（联防点）' },
  { username: 'yanpan', role: 'analyst', label: '研判人员（只看统计）' },
  { username: 'dapin', role: 'display', label: '指挥大屏（只看统计）' },
];

/**
 * Gives each demo role a login bound to the first staff member who holds that role today, so the
 * demo shows real jurisdictions. Returns the user names created.
 */
export async function createDemoUsers(sql: Sql): Promise<string[]> {
  const hash = await hashPassword(DEMO_PASSWORD);
  const created: string[] = [];
  for (const u of DEMO_USERS) {
    if (u.role === 'display') {
      await sql`INSERT INTO app_user (username, display_name, kind, password_hash) VALUES (${u.username}, '指挥中心大屏', 'display', ${hash})`;
      created.push(u.username);
      continue;
    }
    const [staff] = await sql<{ id: number; name: string }[]>`
      SELECT s.id, s.name FROM staff s JOIN assignment a ON a.staff_id = s.id
      WHERE a.role = ${u.role} AND a.starts_on <= current_date AND (a.ends_on IS NULL OR a.ends_on >= current_date)
        AND NOT EXISTS (SELECT 1 FROM app_user x WHERE x.staff_id = s.id)
      ORDER BY a.id LIMIT 1`;
    if (!staff) continue;
    await sql`INSERT INTO app_user (username, display_name, staff_id, password_hash) VALUES (${u.username}, ${staff.name}, ${staff.id}, ${hash})`;
    created.push(u.username);
  }
  return created;
}
