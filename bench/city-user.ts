// The console account the load bench logs in as (zhihui, 指挥中心), for a database loaded with the
// city preset, which has no users: command staff of the first sub-district, with the demo password.
//   npx tsx bench/city-user.ts postgres://…/jw_bench
// Then: npm run bench:load -- --database-url postgres://…/jw_bench
import postgres from 'postgres';
import { hashPassword } from '../api/auth/passwords.ts';
import { DEMO_PASSWORD } from '../api/auth/demo-users.ts';

const url = process.argv[2];
if (!url) throw new Error('usage: npx tsx bench/city-user.ts DATABASE_URL');
const sql = postgres(url, { max: 1, onnotice: () => {} });
try {
  const [sd] = await sql<{ id: number }[]>`
    SELECT c.subdistrict_id AS id FROM grid g JOIN community c ON c.id = g.community_id GROUP BY 1 ORDER BY 1 LIMIT 1`;
  if (!sd) throw new Error(`${url} has no grids: load the city preset first`);
  const hash = await hashPassword(DEMO_PASSWORD);
  const [staff] = await sql<{ id: number }[]>`
    INSERT INTO staff (code, name, org, kind) VALUES ('S-zhihui', '指挥中心', 'subdistrict', 'police')
    ON CONFLICT (code) DO UPDATE SET name = excluded.name RETURNING id`;
  await sql`
    INSERT INTO assignment (staff_id, role, subdistrict_id, starts_on)
    SELECT ${staff!.id}, 'command', ${sd.id}, '2020-01-01' WHERE NOT EXISTS (SELECT 1 FROM assignment WHERE staff_id = ${staff!.id})`;
  await sql`
    INSERT INTO app_user (username, display_name, staff_id, password_hash, must_change_password)
    VALUES ('zhihui', '指挥中心', ${staff!.id}, ${hash}, false) ON CONFLICT (username) DO NOTHING`;
  console.log(`zhihui: command staff of sub-district ${sd.id}`);
} finally {
  await sql.end();
}
