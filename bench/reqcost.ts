// Cost of each request class of the console mix, one request at a time (no queueing), so per-request
// cost can be compared before and after a change on a busy machine:
//   npx tsx bench/reqcost.ts --database-url URL [--port 8622] [--n 50]
// Prints per class: wall p50/p90, and CPU time per request of the server process (user+system,
// from /proc) and of the PostgreSQL backends serving its database. CPU time barely depends on
// what else the machine runs; wall time does. Linux and a local PostgreSQL only; loopback only.
import postgres from 'postgres';
import { arg, consoleMix, cpuMs, fmt, log, login, percentile, startServerProcess, textArg } from './harness.ts';

const say = log('reqcost');
const n = arg('n', 50);
const port = arg('port', 8622);
const databaseUrl = textArg('database-url');
if (!databaseUrl) throw new Error('--database-url of a seeded database is required');
const server = await startServerProcess({ port, dbName: 'jw_unused', databaseUrl, say });
const admin = postgres(databaseUrl, { max: 1, onnotice: () => {} });
const dbName = new URL(databaseUrl).pathname.slice(1);
try {
  const session = await login(server.url, 'zhihui');
  const mix = await consoleMix(server.url, session);
  const backends = async () => (await admin<{ pid: number }[]>`
    SELECT pid FROM pg_stat_activity WHERE datname = ${dbName} AND application_name = 'jingwang-console'`).map((r) => r.pid);
  const pgCpu = (pids: number[]) => pids.reduce((a, p) => a + cpuMs(p), 0);
  console.log('| request | n | wall p50 ms | wall p90 ms | server CPU ms/req | PG CPU ms/req | bytes |');
  console.log('|---|---|---|---|---|---|---|');
  let tNode = 0;
  let tPg = 0;
  let tW = 0;
  const weights = mix.reduce((a, m) => a + m.weight, 0);
  for (const m of mix) {
    const ms: number[] = [];
    let bytes = 0;
    const send = async (i: number) => {
      const { path, init } = m.request(i);
      const res = await fetch(server.url + path, { ...init, headers: { cookie: session.cookie, ...(init?.headers as Record<string, string> | undefined) } });
      const b = await res.arrayBuffer();
      if (res.status >= 300) say(`${m.name}: HTTP ${res.status}`);
      bytes = b.byteLength;
    };
    for (let i = 0; i < 3; i++) await send(i); // warm caches and connections
    const pids = await backends();
    const node0 = cpuMs(server.child.pid!);
    const pg0 = pgCpu(pids);
    for (let i = 3; i < n + 3; i++) {
      const t = performance.now();
      await send(i);
      ms.push(performance.now() - t);
    }
    const nodeMs = (cpuMs(server.child.pid!) - node0) / n;
    const pgMs = (pgCpu(pids) - pg0) / n;
    tNode += nodeMs * m.weight;
    tPg += pgMs * m.weight;
    tW += percentile([...ms].sort((a, b) => a - b), 50) * m.weight;
    ms.sort((a, b) => a - b);
    console.log(`| ${m.name} | ${n} | ${fmt(percentile(ms, 50))} | ${fmt(percentile(ms, 90))} | ${nodeMs.toFixed(2)} | ${pgMs.toFixed(2)} | ${bytes} |`);
  }
  console.log(`| mix (weighted mean) | | ${fmt(tW / weights)} | | ${(tNode / weights).toFixed(2)} | ${(tPg / weights).toFixed(2)} | |`);
} finally {
  await admin.end();
  await server.stop();
}
process.exit(0);
