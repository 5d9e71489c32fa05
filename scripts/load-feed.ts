// Load test of the live feed (issue 7), loopback only and bounded in time:
// 200 SSE clients of different roles and grids stay connected while events are created at 20/s
// for DURATION_S seconds. Every client must receive exactly the messages routed to it (none lost,
// none twice); delivery latency (receive time − the message's commit timestamp) is reported.
//   npm run bench:feed            (uses TEST_DATABASE_URL's server, creates and drops its own database)
import { spawn } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import postgres from 'postgres';
import { createSession } from '../api/auth/sessions.ts';
import { DEFAULT_AUTH_CONFIG, systemClock } from '../api/auth/types.ts';
import { repoPath } from '../api/paths.ts';
import { groupsOfRoles } from '../api/events/routing.ts';
import { createUser } from '../api/testing/app.ts';
import { CELL, ORIGIN, insertTinyWorld } from '../api/testing/fixtures.ts';

const CLIENTS = Number(process.env.CLIENTS ?? 200);
const RATE = Number(process.env.RATE ?? 20);
const DURATION_S = Number(process.env.DURATION_S ?? 30);
const admin = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const dbName = `jw_load_${process.pid}`;

const a = postgres(admin, { max: 1, onnotice: () => {} });
await a.unsafe(`CREATE DATABASE ${dbName}`);
await a.end();
const url = new URL(admin);
url.pathname = `/${dbName}`;

// The server runs in its own process, as in production; this process only plays the clients.
const PORT = Number(process.env.LOAD_PORT ?? 8097);
const child = spawn(process.execPath, ['--import', 'tsx', repoPath('api', 'main.ts')], {
  env: { ...process.env, DATABASE_URL: url.toString(), PORT: String(PORT), HOST: '127.0.0.1', SEED_DEMO: '0', BUILD_WEB: '0' },
  stdio: ['ignore', 'pipe', 'inherit'],
});
await new Promise<void>((resolve, reject) => {
  child.stdout!.on('data', (b: Buffer) => { if (b.toString().includes('console ready')) resolve(); });
  child.once('exit', (code) => reject(new Error(`server exited with ${code}`)));
});
const server = { url: `http://127.0.0.1:${PORT}` };
const sql = postgres(url.toString(), { max: 4, onnotice: () => {} });
const world = await insertTinyWorld(sql);

interface Listener { name: string; roles: string[]; grids: number[] | null; cookie: string; received: Map<string, number>; dups: number }
const kinds: [string, Parameters<typeof createUser>[2], Parameters<typeof createUser>[3], number[] | null][] = [
  ['cmd', 'command', { subdistrict_id: world.subdistrictId }, null],
  ['chief1', 'station_chief', { community_id: world.communityIds[0] }, [world.gridIds[0], world.gridIds[1]]],
  ['leader1', 'grid_leader', { grid_id: world.gridIds[0] }, [world.gridIds[0]]],
  ['leader4', 'grid_leader', { grid_id: world.gridIds[3] }, [world.gridIds[3]]],
  ['police2', 'police', { community_id: world.communityIds[1] }, [world.gridIds[2], world.gridIds[3]]],
];
const users: { name: string; userId: number; roles: string[]; grids: number[] | null }[] = [];
for (const [name, role, scope, grids] of kinds) {
  const { userId } = await createUser(sql, name, role, scope);
  users.push({ name, userId, roles: [role], grids });
}
const listeners: Listener[] = [];
for (let i = 0; i < CLIENTS; i++) {
  const u = users[i % users.length]!;
  const s = await createSession(sql, u.userId, { ip: '127.0.0.1', userAgent: 'load' }, systemClock, DEFAULT_AUTH_CONFIG);
  listeners.push({ name: u.name, roles: u.roles, grids: u.grids, cookie: `jw_session=${s.token}`, received: new Map(), dups: 0 });
}
const creator = await createSession(sql, users[0]!.userId, { ip: '127.0.0.1', userAgent: 'load' }, systemClock, DEFAULT_AUTH_CONFIG);

const latencies: number[] = [];
const controllers: AbortController[] = [];
async function listen(l: Listener, ready: () => void) {
  const ctrl = new AbortController();
  controllers.push(ctrl);
  const res = await fetch(`${server.url}/api/feed`, { headers: { cookie: l.cookie }, signal: ctrl.signal });
  const reader = res.body!.getReader();
  const dec = new TextDecoder();
  let buf = '';
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      buf += dec.decode(value, { stream: true });
      let end;
      while ((end = buf.indexOf('\n\n')) >= 0) {
        const frame = buf.slice(0, end);
        buf = buf.slice(end + 2);
        const id = /^id: (.*)$/m.exec(frame)?.[1];
        const event = /^event: (.*)$/m.exec(frame)?.[1];
        const data = /^data: (.*)$/m.exec(frame)?.[1];
        if (event === 'ready') ready();
        if (!id || !data) continue;
        if (l.received.has(id)) l.dups++;
        const at = Date.parse((JSON.parse(data) as { at: string }).at);
        l.received.set(id, at);
        latencies.push(Date.now() - at);
      }
    }
  } catch {
    // aborted at the end of the run
  }
}

let readyCount = 0;
await new Promise<void>((resolve) => {
  for (const l of listeners) void listen(l, () => { if (++readyCount === listeners.length) resolve(); });
});
console.log(`${listeners.length} feed clients connected`);

const [ox, oy] = ORIGIN;
const total = RATE * DURATION_S;
const started = performance.now();
let failed = 0;
const pending: Promise<void>[] = [];
for (let i = 0; i < total; i++) {
  const due = started + (i * 1000) / RATE;
  const wait = due - performance.now();
  if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  const g = i % 4;
  pending.push(fetch(`${server.url}/api/events`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', cookie: `jw_session=${creator.token}`, 'x-csrf-token': creator.csrfToken },
    body: JSON.stringify({ type: 'public_security', subtype: 'theft', severity: 1 + (i % 3), title: `压测事件${i}`, lon: ox + (g + 0.1 + (i % 97) * 0.008) * CELL, lat: oy + (0.1 + (i % 89) * 0.02) * CELL, allow_duplicate: true }),
  }).then((r) => { if (r.status !== 201) failed++; return r.arrayBuffer(); }).then(() => undefined));
}
await Promise.all(pending);
const createdS = (performance.now() - started) / 1000;
await new Promise((r) => setTimeout(r, 3000));
for (const c of controllers) c.abort();

// What each client should have had, computed from the database independently of the server's routing.
const messages = await sql<{ id: string; grid_id: number | null; groups: string[] }[]>`SELECT id::text, grid_id, groups FROM feed_message`;
let missing = 0;
let unexpected = 0;
let dups = 0;
for (const l of listeners) {
  const groups = new Set(groupsOfRoles(l.roles));
  const expected = messages.filter((m) => m.groups.some((g) => groups.has(g as never)) && (l.grids === null || (m.grid_id !== null && l.grids.includes(m.grid_id))));
  const exp = new Set(expected.map((m) => m.id));
  for (const id of exp) {
    if (l.received.has(id)) continue;
    missing++;
    if (process.env.DEBUG_MISSING) console.log(`missing ${id} for ${l.name}`);
  }
  for (const id of l.received.keys()) if (!exp.has(id)) unexpected++;
  dups += l.dups;
}
latencies.sort((x, y) => x - y);
const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))] ?? NaN;
console.log(`events created: ${total - failed}/${total} in ${createdS.toFixed(1)} s (${((total - failed) / createdS).toFixed(1)}/s), failures ${failed}`);
console.log(`deliveries: ${latencies.length}; missing ${missing}, unexpected ${unexpected}, duplicated ${dups}`);
console.log(`delivery latency ms: p50 ${pct(50)}, p95 ${pct(95)}, p99 ${pct(99)}, max ${latencies.at(-1)}`);

await sql.end();
child.kill('SIGTERM');
await new Promise((r) => child.once('exit', r));
const b = postgres(admin, { max: 1, onnotice: () => {} });
await b.unsafe(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
await b.end();
process.exit(missing || unexpected || dups || failed ? 1 : 0);
