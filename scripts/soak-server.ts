// Soak test of the server (issue 10), loopback only and bounded in time:
//   npm run soak:server [-- --minutes 30 --rate 50 --feed-clients 20 --port 8097 --db jw_soak_server]
// Starts the server in its own process on a fresh database of the local PostgreSQL seeded with the
// demo world, then sends the console's request mix (bench/harness.ts) at --rate requests per second,
// open loop, for --minutes, with --feed-clients feed streams open. Every 5 s it samples the server
// process's RSS (/proc/<pid>/status); each minute's figure is the median of its samples (one
// reading lands anywhere on V8's garbage-collection sawtooth). At the end of every minute it counts
// the server's open PostgreSQL connections (pg_stat_activity). It prints growth from minute 5 to the
// end (from minute 1 when the run is shorter than 6 minutes). Exit 0 when both grow ≤ 10 % and no
// request failed.
import { readFileSync } from 'node:fs';
import postgres from 'postgres';
import { arg, consoleMix, driveOpenLoop, feedClients, fmt, log, login, picker, startServerProcess, summarise, textArg, type Outcome } from '../bench/harness.ts';

const say = log('soak');
const minutes = arg('minutes', 30);
const rate = arg('rate', 50);
const feedN = arg('feed-clients', 20);
const port = arg('port', 8097);
const dbName = textArg('db') ?? 'jw_soak_server';

function rssMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)![1]) / 1024;
}

const server = await startServerProcess({ port, dbName, say });
let code = 1;
try {
  const pid = server.child.pid!;
  const pg = postgres(server.databaseUrl, { max: 1, onnotice: () => {}, connection: { application_name: 'soak-sampler' } });
  const connections = async () => (await pg<{ n: number }[]>`
    SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'jingwang-console'`)[0]!.n;
  const session = await login(server.url, 'zhihui');
  // Reports from a second console of the same account (see consoleMix).
  const mix = await consoleMix(server.url, session, await login(server.url, 'zhihui'));
  const pick = picker(mix);
  const feed = feedClients(server.url, session.cookie, feedN);
  say(`RSS at start ${rssMiB(pid).toFixed(1)} MiB, ${await connections()} connections; ${rate} req/s for ${minutes} min, ${feedN} feed clients`);

  const samples: { minute: number; rss: number; conns: number; s: ReturnType<typeof summarise> }[] = [];
  const all: Outcome[] = [];
  console.log('| minute | RSS MiB (median) | PG connections | requests | errors | p50 ms | p99 ms |');
  console.log('|---|---|---|---|---|---|---|');
  let offset = 0;
  for (let m = 1; m <= minutes; m++) {
    // One minute of open-loop load; the request counter carries on so event client ids stay unique.
    const rss: number[] = [];
    const sampler = setInterval(() => rss.push(rssMiB(pid)), 5000);
    const { outcomes } = await driveOpenLoop({ url: server.url, cookie: session.cookie, rate, seconds: 60, pick: (i) => pick(i + offset) });
    clearInterval(sampler);
    rss.push(rssMiB(pid));
    rss.sort((a, b) => a - b);
    offset += outcomes.length;
    all.push(...outcomes);
    const sample = { minute: m, rss: rss[Math.floor(rss.length / 2)]!, conns: await connections(), s: summarise(outcomes) };
    samples.push(sample);
    console.log(`| ${m} | ${sample.rss.toFixed(1)} | ${sample.conns} | ${sample.s.n} | ${sample.s.errors} | ${fmt(sample.s.p50)} | ${fmt(sample.s.p99)} |`);
  }
  const dropped = feed.dropped();
  feed.close();
  await pg.end();

  const baseMinute = minutes >= 6 ? 5 : 1;
  const base = samples[baseMinute - 1]!;
  const last = samples[samples.length - 1]!;
  const growth = (a: number, b: number) => (a === 0 ? (b === 0 ? 0 : Infinity) : ((b - a) / a) * 100);
  const rssGrowth = growth(base.rss, last.rss);
  const connGrowth = growth(base.conns, last.conns);
  const total = summarise(all);
  console.log('');
  console.log(`RSS minute ${baseMinute} → ${minutes}: ${base.rss.toFixed(1)} → ${last.rss.toFixed(1)} MiB (${rssGrowth >= 0 ? '+' : ''}${rssGrowth.toFixed(1)} %)`);
  console.log(`PostgreSQL connections minute ${baseMinute} → ${minutes}: ${base.conns} → ${last.conns} (${connGrowth >= 0 ? '+' : ''}${connGrowth.toFixed(1)} %)`);
  console.log(`requests ${total.n}, errors ${total.errors}, p50 ${fmt(total.p50)} ms, p99 ${fmt(total.p99)} ms; feed streams dropped ${dropped}`);
  const pass = rssGrowth <= 10 && connGrowth <= 10 && total.errors === 0;
  console.log(`target growth ≤ 10 % and no errors: ${pass ? 'PASS' : 'MISSED'}`);
  code = pass ? 0 : 1;
} finally {
  await server.stop();
}
process.exit(code);
