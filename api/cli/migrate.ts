import { createSql, redactUrl } from '../db/connect.ts';
import { migrate } from '../db/migrate.ts';

const url = process.env.DATABASE_URL;
if (!url) {
  console.error('DATABASE_URL is not set. Example: DATABASE_URL=postgres://postgres@127.0.0.1:5432/jingwang npm run db:migrate');
  process.exit(2);
}
const sql = createSql(url, 1);
try {
  const { applied, current } = await migrate(sql, { log: (m) => console.log(m) });
  console.log(`${redactUrl(url)}: schema at version ${current} (${applied.length} applied)`);
} catch (err) {
  console.error(err instanceof Error ? err.message : err);
  process.exitCode = 1;
} finally {
  await sql.end();
}
