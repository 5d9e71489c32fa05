// Makes a fresh machine able to run `npm test`: PostGIS on the test server and Debian's Chromium.
// Installs with apt when running as root; otherwise stops with the exact command to run.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import postgres from 'postgres';

const adminUrl = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
const missing = [];

function say(msg) {
  console.log(`[pretest] ${msg}`);
}

async function serverFacts() {
  const sql = postgres(adminUrl, { max: 1, onnotice: () => {}, connect_timeout: 10 });
  try {
    const [row] = await sql`
      SELECT current_setting('server_version_num')::int / 10000 AS major,
             EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'postgis') AS has_postgis`;
    return row;
  } finally {
    await sql.end();
  }
}

let facts;
try {
  facts = await serverFacts();
} catch (err) {
  console.error(`[pretest] cannot reach PostgreSQL at ${adminUrl.replace(/:[^:@/]*@/, ':***@')}: ${err.message}`);
  console.error('[pretest] start it (e.g. `pg_ctlcluster 15 main start`) or set TEST_DATABASE_URL to a PostgreSQL with PostGIS.');
  process.exit(1);
}

if (!facts.has_postgis) missing.push(`postgresql-${facts.major}-postgis-3`);
if (!existsSync('/usr/bin/chromium')) missing.push('chromium');
// Chinese labels in screenshots need a CJK font; the console itself uses whatever the OS has.
if (!existsSync('/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc')) missing.push('fonts-noto-cjk');
// e2e/report-pdf.e2e.ts reads the printed report's text with poppler's pdftotext.
if (!existsSync('/usr/bin/pdftotext')) missing.push('poppler-utils');

if (missing.length) {
  const command = `apt-get update && apt-get install -y --no-install-recommends ${missing.join(' ')}`;
  if (!isRoot) {
    console.error(`[pretest] missing system packages: ${missing.join(', ')}. Run as root:\n  ${command}`);
    process.exit(1);
  }
  say(`installing ${missing.join(', ')} …`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  execFileSync('sh', ['-c', command], { stdio: 'inherit', env });
  if (!facts.has_postgis && !(await serverFacts()).has_postgis) {
    console.error('[pretest] PostGIS installed but the server still does not offer it: is TEST_DATABASE_URL a local server?');
    process.exit(1);
  }
}
say(`PostgreSQL ${facts.major} with PostGIS at ${adminUrl.replace(/:[^:@/]*@/, ':***@')}, Chromium at /usr/bin/chromium: ready`);
