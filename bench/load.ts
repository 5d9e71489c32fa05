// Load test of the console's real request mix (issue 10), loopback only and bounded in time:
//   npm run bench:load [-- --rate 200 --seconds 60 --feed-clients 200 --port 8098 --db jw_load]
//                      [--database-url URL   (an existing, already seeded database, e.g. the city preset)]
// Starts the server in its own process on a fresh database of the local PostgreSQL seeded with the
// demo world, logs in as the command centre, keeps --feed-clients SSE feed connections open, and
// sends grids, statistics, heat, incident points, the histogram, event lists and a few event reports
// at --rate requests per second with an open-loop scheduler. Prints p50/p95/p99 (from each request's
// scheduled time), errors (anything but 2xx, or no answer) and the achieved rate.
// Exit 0 when p99 ≤ 300 ms and there were no errors.
import { writeFileSync } from 'node:fs';
import { arg, cacheOutcomes, consoleMix, cpuMs, driveOpenLoop, feedClients, fmt, log, login, picker, startServerProcess, summarise, textArg } from './harness.ts';

const say = log('load');
const rate = arg('rate', 200);
const seconds = arg('seconds', 60);
const feedN = arg('feed-clients', 200);
const port = arg('port', 8098);
const dbName = textArg('db') ?? 'jw_load';
const databaseUrl = textArg('database-url');

const server = await startServerProcess({ port, dbName, ...(databaseUrl ? { databaseUrl } : {}), say });
let code = 1;
try {
  const session = await login(server.url, 'zhihui');
  // Reports from a second console of the same account (see consoleMix).
  const mix = await consoleMix(server.url, session, await login(server.url, 'zhihui'));
  const pick = picker(mix);
  // Warm-up, not timed: each distinct question of the mix once (the mix varies viewport, window,
  // resolution and page size with the request number; 30 covers every combination), as consoles
  // that have been open a while have asked them, and one event report.
  const asked = new Set<string>();
  for (const m of mix) {
    for (let i = 0; i < 30; i++) {
      const { path, init } = m.request(1_000_000 + i);
      if (init?.method === 'POST' ? asked.has(m.name) : asked.has(path)) continue;
      asked.add(init?.method === 'POST' ? m.name : path);
      const res = await fetch(server.url + path, { ...init, headers: { cookie: session.cookie, ...(init?.headers as Record<string, string> | undefined) } });
      await res.arrayBuffer();
      if (res.status >= 300) say(`warm-up ${m.name}: HTTP ${res.status}`);
    }
  }
  say(`warm-up: ${asked.size} distinct requests`);
  const feed = feedClients(server.url, session.cookie, feedN);
  const t0 = Date.now();
  while (feed.connected() + feed.refused() < feedN && Date.now() - t0 < 30_000) await new Promise((r) => setTimeout(r, 100));
  say(`${feed.connected()} feed clients connected (${feed.refused()} refused); sending ${rate} req/s for ${seconds} s`);

  const serverCpu0 = cpuMs(server.child.pid!);
  const ownCpu0 = process.cpuUsage();
  const { outcomes, wallS } = await driveOpenLoop({ url: server.url, cookie: session.cookie, rate, seconds, pick });
  // Where the machine's two cores went: the server process and this script (the clients) itself.
  const serverCpuS = (cpuMs(server.child.pid!) - serverCpu0) / 1000;
  const own = process.cpuUsage(ownCpu0);
  const ownCpuS = (own.user + own.system) / 1e6;
  await new Promise((r) => setTimeout(r, 1000)); // let the last feed messages arrive
  const feedConnected = feed.connected();
  const feedMessages = feed.messages();
  const feedDropped = feed.dropped();
  feed.close();

  // BENCH_LOAD_DUMP=file: every request's scheduled time, class, status, latency and X-Cache, as JSON lines.
  if (process.env.BENCH_LOAD_DUMP) writeFileSync(process.env.BENCH_LOAD_DUMP, outcomes.map((o) => JSON.stringify(o)).join('\n') + '\n');
  const all = summarise(outcomes);
  console.log('');
  console.log(`requests ${all.n} in ${wallS.toFixed(1)} s → achieved ${(all.n / wallS).toFixed(1)} req/s (target ${rate})`);
  console.log(`latency ms  p50 ${fmt(all.p50)}  p95 ${fmt(all.p95)}  p99 ${fmt(all.p99)}  max ${fmt(all.max)}`);
  console.log(`errors ${all.errors}`);
  const byStatus = new Map<number, number>();
  for (const o of outcomes) byStatus.set(o.status, (byStatus.get(o.status) ?? 0) + 1);
  console.log(`by status ${[...byStatus].sort((a, b) => a[0] - b[0]).map(([s, n]) => `${s || 'no answer'}: ${n}`).join(', ')}`);
  console.log(`CPU during the run: server process ${(100 * serverCpuS / wallS).toFixed(0)} % of a core, this client script ${(100 * ownCpuS / wallS).toFixed(0)} %`);
  console.log(`answers by X-Cache: ${cacheOutcomes(outcomes)}`);
  console.log(`feed clients ${feedConnected}/${feedN} connected, ${feedDropped} dropped during the run, ${feedMessages} messages received`);
  console.log('');
  console.log('| request | n | p50 ms | p95 ms | p99 ms | errors |');
  console.log('|---|---|---|---|---|---|');
  for (const m of mix) {
    const s = summarise(outcomes.filter((o) => o.name === m.name));
    console.log(`| ${m.name} | ${s.n} | ${fmt(s.p50)} | ${fmt(s.p95)} | ${fmt(s.p99)} | ${s.errors} |`);
  }
  const notes = server.notes();
  if (notes.length) console.log(`\nserver messages during the run (${notes.length}, first 20):\n${notes.slice(0, 20).join('\n')}`);
  const pass = all.p99 <= 300 && all.errors === 0 && feedDropped === 0;
  console.log(`\ntarget p99 ≤ 300 ms and 0 errors: ${pass ? 'PASS' : 'MISSED'}`);
  code = pass ? 0 : 1;
} finally {
  await server.stop();
}
process.exit(code);
