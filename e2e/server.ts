// The server the browser tests talk to: a fresh database on the test PostgreSQL, seeded with the
// demo world, and the built console. Playwright starts and stops it.
import postgres from 'postgres';
import { startServer } from '../api/server.ts';
import { repoPath } from '../api/paths.ts';

const admin = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
// E2E_DB lets two checkouts run browser tests on one PostgreSQL at once.
const name = process.env.E2E_DB ?? 'jw_e2e';
const sql = postgres(admin, { max: 1, onnotice: () => {} });
await sql.unsafe(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
await sql.unsafe(`CREATE DATABASE ${name}`);
await sql.end();

const url = new URL(admin);
url.pathname = `/${name}`;
const server = await startServer({
  port: Number(process.env.E2E_PORT ?? 8091),
  host: '127.0.0.1',
  databaseUrl: url.toString(),
  dataDir: repoPath('data', 'e2e-unused'),
  seedDemo: true,
  buildWeb: true,
  log: (m) => console.log(`[e2e server] ${m}`),
});
console.log(`[e2e server] ready at ${server.url}`);
const stop = () => void server.close().then(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
