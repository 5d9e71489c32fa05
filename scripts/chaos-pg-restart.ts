// Fault test (issue 10): PostgreSQL restarted during a 100k-fix ingest and during event creation
// at 20/s. Loopback only, bounded in time, and never touching the shared PostgreSQL:
//   npm run chaos:pg-restart [-- --fixes 100000 --batch 1000 --workers 4 --event-rate 20 --event-seconds 15
//                                --pg-port 55432 --port 8099]
// A private throwaway cluster (initdb as the postgres OS user into a temp dir, trust auth on
// 127.0.0.1) gets the server (its own process); devices push fixes in batches and a console reports
// events with client ids, each retrying the same request until it is acknowledged. The cluster is
// restarted (pg_ctl restart -m fast) half-way through each phase. Afterwards every acknowledged
// fix and event must be present exactly once, and the same server process must answer /api/ready.
// The cluster is stopped and deleted at the end, also on failure. Exit 0 when all checks pass.
import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import { chownSync, copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import postgres from 'postgres';
import { createSession, sha256, SESSION_COOKIE } from '../api/auth/sessions.ts';
import { DEFAULT_AUTH_CONFIG, systemClock } from '../api/auth/types.ts';
import { createUser } from '../api/testing/app.ts';
import { CELL, ORIGIN, insertTinyWorld } from '../api/testing/fixtures.ts';
import { arg, log, startServerProcess, withDatabase, type ServerProcess } from '../bench/harness.ts';

const say = log('chaos');
const PG_BIN = '/usr/lib/postgresql/15/bin';
const fixesTotal = arg('fixes', 100_000);
const batchSize = arg('batch', 1000);
const workers = arg('workers', 4);
const eventRate = arg('event-rate', 20);
const eventSeconds = arg('event-seconds', 15);
const pgPort = arg('pg-port', 55432);
const port = arg('port', 8099);
if (pgPort === 5432) throw new Error('refusing port 5432: that is the shared PostgreSQL');

const dir = mkdtempSync(join(tmpdir(), 'jw-chaos-'));
const data = join(dir, 'data');
const pgUid = Number(execFileSync('id', ['-u', 'postgres']).toString().trim());
const pgGid = Number(execFileSync('id', ['-g', 'postgres']).toString().trim());
chownSync(dir, pgUid, pgGid);
const asPostgres = (cmd: string, args: string[]) => execFileSync('runuser', ['-u', 'postgres', '--', join(PG_BIN, cmd), ...args], { stdio: ['ignore', 'pipe', 'pipe'] }).toString();

let server: ServerProcess | null = null;
let clusterUp = false;
async function cleanup(): Promise<void> {
  if (server) await server.stop().catch(() => undefined);
  server = null;
  if (clusterUp) {
    try {
      asPostgres('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']);
    } catch {
      // already down
    }
    clusterUp = false;
  }
  try {
    copyFileSync(join(dir, 'postgres.log'), join(tmpdir(), 'jw-chaos-postgres.log'));
  } catch {
    // no log yet
  }
  rmSync(dir, { recursive: true, force: true });
}
process.once('SIGINT', () => void cleanup().then(() => process.exit(130)));

const restarts: { phase: string; ms: number }[] = [];
async function restartCluster(phase: string): Promise<void> {
  const t = performance.now();
  // Asynchronously: the clients keep sending while the database goes down and comes back.
  await promisify(execFile)('runuser', ['-u', 'postgres', '--', join(PG_BIN, 'pg_ctl'), '-D', data, '-m', 'fast', '-w', '-t', '60', 'restart', '-l', join(dir, 'postgres.log')]);
  const ms = performance.now() - t;
  restarts.push({ phase, ms });
  say(`PostgreSQL restarted during ${phase} (${ms.toFixed(0)} ms)`);
}

const statusCounts = new Map<string, number>();
const bump = (k: string) => statusCounts.set(k, (statusCounts.get(k) ?? 0) + 1);
const lastError = new Map<string, string>();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Sends the same request until it is acknowledged (`ok`). 429/503/5xx and lost connections are
 * retried after Retry-After (capped at 2 s); any other answer is a failure of the run.
 */
async function untilAcknowledged(send: () => Promise<Response>, ok: number): Promise<{ body: unknown; attempts: number }> {
  for (let attempts = 1; attempts <= 500; attempts++) {
    let res: Response;
    try {
      res = await send();
    } catch (err) {
      bump(`no answer (${(err as { cause?: { code?: string } }).cause?.code ?? (err as Error).name})`);
      await sleep(250);
      continue;
    }
    bump(String(res.status));
    if (res.status === ok) return { body: await res.json(), attempts };
    const text = await res.text();
    if (res.status !== 429 && res.status < 500) throw new Error(`refused with ${res.status}: ${text}`);
    lastError.set(String(res.status), text.slice(0, 300));
    await sleep(Math.min(2000, 1000 * Number(res.headers.get('retry-after') ?? '0.25')));
  }
  throw new Error('no acknowledgement after 500 attempts');
}

let exitCode = 1;
try {
  say(`initdb into ${data} (port ${pgPort}, trust auth on 127.0.0.1)`);
  asPostgres('initdb', ['-D', data, '-A', 'trust', '-U', 'postgres', '-E', 'UTF8', '--no-instructions']);
  asPostgres('pg_ctl', ['-D', data, '-l', join(dir, 'postgres.log'), '-w', '-o', `-p ${pgPort} -k ${dir} -c listen_addresses=127.0.0.1 -c max_connections=50`, 'start']);
  clusterUp = true;
  const adminUrl = `postgres://postgres@127.0.0.1:${pgPort}/postgres`;
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
  await admin`CREATE DATABASE jw_chaos`;
  await admin.end();
  const dbUrl = withDatabase(adminUrl, 'jw_chaos');

  server = await startServerProcess({ port, dbName: 'jw_chaos', databaseUrl: dbUrl, say });
  const serverPid = server.child.pid;
  const url = server.url;
  // The run's own reads and set-up; postgres.js reconnects by itself after each restart.
  const sql = postgres(dbUrl, { max: 2, onnotice: () => {}, connection: { application_name: 'chaos-check' } });
  const world = await insertTinyWorld(sql);
  const { userId } = await createUser(sql, 'cmd', 'command', { subdistrict_id: world.subdistrictId });
  const devices = Array.from({ length: workers }, (_, w) => `CH-${w + 1}`);
  for (const code of devices) await sql`INSERT INTO patrol_device (code, kind) VALUES (${code}, 'vehicle')`;
  const TOKEN = `jwt_chaos-${process.pid}-0123456789abcdef`;
  await sql`INSERT INTO api_token (name, token_hash, scopes) VALUES ('chaos', ${sha256(TOKEN)}, ${['gps:ingest']})`;
  const session = await createSession(sql, userId, { ip: '127.0.0.1', userAgent: 'chaos' }, systemClock, DEFAULT_AUTH_CONFIG);
  const [ox, oy] = ORIGIN;

  // --- Phase 1: fixes ---
  const batches = Math.ceil(fixesTotal / batchSize);
  const t0 = Date.UTC(2026, 10, 1);
  let next = 0;
  let ackedBatches = 0;
  let ackedFixes = 0;
  let retriedBatches = 0;
  let storedSum = 0;
  let duplicateSum = 0;
  let restarting: Promise<void> | null = null;
  const ingestStarted = performance.now();
  say(`phase 1: ${fixesTotal} fixes in ${batches} batches of ${batchSize}, ${workers} devices in parallel`);
  await Promise.all(devices.map(async (device) => {
    for (;;) {
      const b = next++;
      if (b >= batches) return;
      const n = Math.min(batchSize, fixesTotal - b * batchSize);
      const fixes = Array.from({ length: n }, (_, i) => ({
        t: new Date(t0 + (b * batchSize + i) * 1000).toISOString(), lon: ox + ((b * batchSize + i) % 400) * 0.01 * CELL, lat: oy + 0.5 * CELL, speed_kmh: 20,
      }));
      const body = JSON.stringify({ device_code: device, fixes });
      const { body: answer, attempts } = await untilAcknowledged(() => fetch(`${url}/api/machine/fixes`, {
        method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` }, body, signal: AbortSignal.timeout(30_000),
      }), 200);
      const a = answer as { received: number; stored: number; duplicates: number };
      if (a.received !== n) throw new Error(`batch ${b}: received ${a.received} of ${n}`);
      ackedBatches++;
      ackedFixes += n;
      storedSum += a.stored;
      duplicateSum += a.duplicates;
      if (attempts > 1) retriedBatches++;
      if (!restarting && ackedBatches >= batches / 2) restarting = restartCluster('the fix ingest');
    }
  }));
  await restarting;
  const ingestS = (performance.now() - ingestStarted) / 1000;
  say(`phase 1 done in ${ingestS.toFixed(1)} s: ${ackedBatches} batches acknowledged (${retriedBatches} needed retries)`);

  // --- Phase 2: events at a steady rate ---
  const total = Math.round(eventRate * eventSeconds);
  const acked = new Map<string, number>();
  let retriedEvents = 0;
  let replayed = 0;
  const eventsStarted = performance.now();
  say(`phase 2: ${total} events at ${eventRate}/s with client ids, restart after ${(eventSeconds / 2).toFixed(1)} s`);
  const restart2 = sleep((eventSeconds / 2) * 1000).then(() => restartCluster('event creation'));
  const sends: Promise<void>[] = [];
  for (let i = 0; i < total; i++) {
    const wait = eventsStarted + (i * 1000) / eventRate - performance.now();
    if (wait > 1) await sleep(wait);
    const clientId = `chaos-${process.pid}-${i}`;
    const body = JSON.stringify({
      type: 'service_request', severity: 1, title: `故障演练${i}`, lon: ox + (0.1 + (i % 30) * 0.02) * CELL, lat: oy + (0.1 + Math.floor(i / 30) % 30 * 0.05) * CELL,
      reported_at: new Date(Date.now() - 1000).toISOString(), allow_duplicate: true, client_id: clientId,
    });
    sends.push(untilAcknowledged(async () => {
      const res = await fetch(`${url}/api/events`, {
        method: 'POST', headers: { 'content-type': 'application/json', cookie: `${SESSION_COOKIE}=${session.token}`, 'x-csrf-token': session.csrfToken }, body, signal: AbortSignal.timeout(30_000),
      });
      if (res.headers.get('idempotent-replayed') === 'true') replayed++;
      return res;
    }, 201).then(({ body: answer, attempts }) => {
      acked.set(clientId, (answer as { event: { id: number } }).event.id);
      if (attempts > 1) retriedEvents++;
    }));
  }
  await Promise.all(sends);
  await restart2;
  say(`phase 2 done in ${((performance.now() - eventsStarted) / 1000).toFixed(1)} s: ${acked.size} events acknowledged (${retriedEvents} needed retries, ${replayed} answered as replays)`);

  // --- Checks ---
  const failures: string[] = [];
  const [fx] = await sql<{ n: number; distinct_n: number }[]>`
    SELECT count(*)::int AS n, count(DISTINCT (device_id, fixed_at))::int AS distinct_n FROM gps_fix`;
  if (fx!.n !== ackedFixes) failures.push(`gps_fix has ${fx!.n} rows, ${ackedFixes} acknowledged`);
  if (fx!.distinct_n !== fx!.n) failures.push(`gps_fix has ${fx!.n - fx!.distinct_n} repeated fixes`);
  if (storedSum + duplicateSum !== ackedFixes) failures.push(`answers add up to ${storedSum + duplicateSum}, not ${ackedFixes}`);
  const rows = await sql<{ client_id: string; id: number; logs: number; feed: number }[]>`
    SELECT e.client_id, e.id,
           (SELECT count(*)::int FROM event_log l WHERE l.event_id = e.id) AS logs,
           (SELECT count(*)::int FROM feed_message f WHERE f.event_id = e.id) AS feed
    FROM event e WHERE e.client_id LIKE ${`chaos-${process.pid}-%`}`;
  const inDb = new Map(rows.map((r) => [r.client_id, r]));
  let missing = 0;
  let wrongId = 0;
  for (const [clientId, id] of acked) {
    const r = inDb.get(clientId);
    if (!r) missing++;
    else if (r.id !== id) wrongId++;
  }
  const twiceLogged = rows.filter((r) => r.logs !== 1 || r.feed !== 1).length;
  if (missing) failures.push(`${missing} acknowledged events missing`);
  if (wrongId) failures.push(`${wrongId} events acknowledged with another id than stored`);
  if (rows.length !== acked.size) failures.push(`${rows.length} chaos events stored, ${acked.size} acknowledged`);
  if (twiceLogged) failures.push(`${twiceLogged} events with a log or feed entry written more or less than once`);
  const ready = await fetch(`${url}/api/ready`);
  const sameProcess = server.child.exitCode === null && server.child.pid === serverPid;
  if (ready.status !== 200) failures.push(`/api/ready answered ${ready.status}`);
  if (!sameProcess) failures.push('the server process did not survive');
  await sql.end();

  console.log('');
  console.log(`restarts: ${restarts.map((r) => `${r.phase} ${r.ms.toFixed(0)} ms`).join('; ')}`);
  console.log(`fixes: ${ackedFixes} acknowledged in ${ackedBatches} batches over ${ingestS.toFixed(1)} s; in the database ${fx!.n} (${fx!.distinct_n} distinct); stored on first write ${storedSum}, reported as duplicates on a retry ${duplicateSum}; ${retriedBatches} batches retried`);
  console.log(`events: ${acked.size} acknowledged; in the database ${rows.length}, ${missing} missing, ${wrongId} with another id, ${twiceLogged} with a log/feed entry not exactly once; ${retriedEvents} retried, ${replayed} answers were replays of an earlier commit`);
  console.log(`answers seen: ${[...statusCounts].sort().map(([k, v]) => `${k}: ${v}`).join(', ')}`);
  const notes = server.notes();
  if (notes.length) console.log(`server notes (slow requests, messages):\n  ${notes.slice(0, 30).join('\n  ')}`);
  console.log(`server: same process (pid ${serverPid}) ${sameProcess ? 'still running' : 'GONE'}, /api/ready ${ready.status}`);
  console.log(failures.length ? `\nFAILED:\n  ${failures.join('\n  ')}` : '\nPASS: every acknowledged fix and event is present exactly once; the server recovered without a restart');
  exitCode = failures.length ? 1 : 0;
} catch (err) {
  console.error('chaos run failed:', err);
  for (const [k, v] of lastError) console.error(`last ${k}: ${v}`);
  if (server) console.error(`server ${server.child.exitCode === null ? 'running' : `exited with ${server.child.exitCode}`}; its stderr ends:\n${server.stderr().slice(-3000)}`);
  console.error(`answers seen: ${[...statusCounts].sort().map(([k, v]) => `${k}: ${v}`).join(', ')}`);
} finally {
  await cleanup();
}
process.exit(exitCode);
