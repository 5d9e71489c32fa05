import type { ReservedSql, Sql } from 'postgres';
import type { XY } from '../demo/plane.ts';
import { Rng } from '../demo/random.ts';
import { personName } from '../demo/names.ts';
import { copyRows, type Cell, type Progress } from './copy.ts';
import {
  CityGeometry, GRID_SIZE_M, HOUR_WEIGHTS, PopulationSurface, SUBTYPES, YEAR_DAYS, hotspotIntensity, makeHotspots,
  type CityPlan, type EventType, type Hotspot,
} from './world.ts';

/**
 * Loads the city preset into an empty, migrated database, table by table, each streamed through
 * COPY with the database's own triggers left on (grids get their areas, points their grids, events
 * their pending H3 cell, the KPI engine its dirty keys), so the data is what the application itself
 * would have written. Rows refer to each other by generated id: every table is empty before its COPY
 * and identity columns count up from their start in COPY order, which loadCity checks.
 */

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const TZ_OFFSET = 8 * HOUR;

export interface StageTime {
  stage: string;
  rows: number;
  seconds: number;
}

interface Ctx {
  sql: Sql;
  plan: CityPlan;
  geometry: CityGeometry;
  progress: Progress;
  times: StageTime[];
  /** Local midnight after the end day, epoch ms: the history is the year before it. */
  endMs: number;
}

async function stage<T extends number>(ctx: Ctx, name: string, run: () => Promise<T>): Promise<T> {
  const started = performance.now();
  const rows = await run();
  ctx.times.push({ stage: name, rows, seconds: (performance.now() - started) / 1000 });
  return rows;
}

/** Ids of the rows just COPYed into an empty table, in COPY order; refuses if they are not one contiguous run. */
async function idsInOrder(sql: Sql, table: string, expected: number): Promise<(i: number) => number> {
  const [r] = await sql<{ lo: number; hi: number; n: number }[]>`
    SELECT min(id)::int AS lo, max(id)::int AS hi, count(*)::int AS n FROM ${sql(table)}`;
  if (!r || r.n !== expected || r.hi - r.lo + 1 !== r.n) {
    throw new Error(`${table}: expected ${expected} rows with contiguous ids, found ${r?.n} rows in ${r?.lo}..${r?.hi}`);
  }
  const lo = r.lo;
  return (i) => lo + i;
}

const pad = (n: number, width: number) => String(n).padStart(width, '0');
const iso = (ms: number) => new Date(ms).toISOString();
const localDay = (ms: number) => new Date(ms + TZ_OFFSET).toISOString().slice(0, 10);

export interface City {
  times: StageTime[];
  grids: number;
  communities: number;
  subdistricts: number;
  devices: number;
}

/** `jurisdictionOnly`: sub-districts, communities and grids, nothing else (the console's map benchmark). */
export async function loadCity(sql: Sql, plan: CityPlan, progress: Progress, opts: { jurisdictionOnly?: boolean } = {}): Promise<City> {
  const geometry = new CityGeometry(plan.side);
  const endMs = Date.parse(`${plan.end}T00:00:00+08:00`) + DAY;
  const ctx: Ctx = { sql, plan, geometry, progress, times: [], endMs };
  const surface = new PopulationSurface(geometry, plan.seed);
  const hotspots = makeHotspots(surface, plan.scale, plan.seed);

  const ids = await loadJurisdiction(ctx, surface);
  if (opts.jurisdictionOnly) return { times: ctx.times, grids: geometry.side ** 2, communities: geometry.communities, subdistricts: geometry.subdistricts, devices: 0 };
  const staff = await loadStaff(ctx, ids);
  await loadPlaces(ctx, surface);
  const addresses = await loadAddresses(ctx, surface);
  await loadEvents(ctx, hotspots, addresses);
  await loadVisits(ctx, addresses, staff);
  await loadFixes(ctx, hotspots, staff);
  return { times: ctx.times, grids: geometry.side ** 2, communities: geometry.communities, subdistricts: geometry.subdistricts, devices: staff.devices.length };
}

// ---------------------------------------------------------------------------------------------

interface JurisdictionIds {
  subdistrict: (s: number) => number;
  community: (c: number) => number;
  grid: (g: number) => number;
}

async function loadJurisdiction(ctx: Ctx, surface: PopulationSurface): Promise<JurisdictionIds> {
  const { sql, geometry: geo, progress } = ctx;
  await stage(ctx, 'subdistrict', () =>
    copyRows(sql, 'subdistrict', ['code', 'name', 'geom'], (function* () {
      for (let s = 0; s < geo.subdistricts; s++) yield [`CITY-SD${pad(s, 3)}`, `城区第${s + 1}街道`, geo.rectangleWkt(...geo.subdistrictSpan(s))];
    })(), progress, 'subdistricts', geo.subdistricts));
  const sdId = await idsInOrder(sql, 'subdistrict', geo.subdistricts);
  await stage(ctx, 'community', () =>
    copyRows(sql, 'community', ['code', 'subdistrict_id', 'name', 'kind', 'geom'], (function* () {
      for (let c = 0; c < geo.communities; c++) {
        const span = geo.communitySpan(c);
        const kind = surface.isUrban(geo.spanCentre(span)) ? 'community' : 'village';
        yield [`CITY-C${pad(c, 4)}`, sdId(geo.subdistrictOfCommunity(c)), `第${c + 1}${kind === 'village' ? '村' : '社区'}`, kind, geo.rectangleWkt(...span)];
      }
    })(), progress, 'communities', geo.communities));
  const community = await idsInOrder(sql, 'community', geo.communities);
  const n = geo.side ** 2;
  await stage(ctx, 'grid', () =>
    copyRows(sql, 'grid', ['code', 'community_id', 'name', 'geom'], (function* () {
      for (let g = 0; g < n; g++) {
        const gx = g % geo.side;
        const gy = Math.floor(g / geo.side);
        yield [`CITY-G${pad(g, 5)}`, community(geo.communityOfGrid(g)), `第${g + 1}网格`, geo.rectangleWkt(gx, gy, gx + 1, gy + 1)];
      }
    })(), progress, 'grids', n));
  return { subdistrict: sdId, community, grid: await idsInOrder(sql, 'grid', n) };
}

// ---------------------------------------------------------------------------------------------

interface StaffIds {
  /** staff id of the full-time grid worker of each grid (by grid index) */
  gridWorker: Int32Array;
  /** staff ids of the police officers of each community (two per community) */
  police: Int32Array;
  devices: { id: number; community: number; kind: 'vehicle' | 'ebike' | 'handheld' }[];
}

async function loadStaff(ctx: Ctx, ids: JurisdictionIds): Promise<StaffIds> {
  const { sql, geometry: geo, progress, plan } = ctx;
  const rng = new Rng(plan.seed, 'staff');
  type Person = { kind: string; org: string; role: string; scope: 'grid' | 'community' | 'subdistrict'; ref: number };
  const people: Person[] = [];
  for (let s = 0; s < geo.subdistricts; s++) {
    people.push({ kind: 'cadre', org: 'subdistrict', role: 'command', scope: 'subdistrict', ref: s });
    people.push({ kind: 'analyst', org: 'subdistrict', role: 'analyst', scope: 'subdistrict', ref: s });
  }
  for (let c = 0; c < geo.communities; c++) {
    people.push({ kind: 'cadre', org: 'community', role: 'station_chief', scope: 'community', ref: c });
    for (let k = 0; k < 2; k++) people.push({ kind: 'police', org: 'police_station', role: 'police', scope: 'community', ref: c });
    for (let k = 0; k < 2; k++) people.push({ kind: 'aux_police', org: 'police_station', role: 'aux_police', scope: 'community', ref: c });
  }
  const gridCount = geo.side ** 2;
  for (let g = 0; g < gridCount; g++) {
    people.push({ kind: 'grid_worker', org: 'community', role: 'grid_leader', scope: 'grid', ref: g });
    people.push({ kind: 'grid_worker', org: 'community', role: 'grid_worker', scope: 'grid', ref: g });
  }
  await stage(ctx, 'staff', () =>
    copyRows(sql, 'staff', ['code', 'name', 'gender', 'org', 'kind'], (function* () {
      for (const [i, p] of people.entries()) {
        const gender = rng.chance(p.kind === 'police' ? 0.85 : 0.55) ? 'M' : 'F';
        yield [`CITY-S${pad(i, 6)}`, personName(rng, gender, rng.int(1965, 2000)), gender, p.org, p.kind];
      }
    })(), progress, 'staff', people.length));
  const staffId = await idsInOrder(sql, 'staff', people.length);
  const starts = localDay(ctx.endMs - 400 * DAY);
  await stage(ctx, 'assignment', () =>
    copyRows(sql, 'assignment', ['staff_id', 'role', 'subdistrict_id', 'community_id', 'grid_id', 'starts_on'], (function* () {
      for (const [i, p] of people.entries()) {
        yield [staffId(i), p.role, p.scope === 'subdistrict' ? ids.subdistrict(p.ref) : null, p.scope === 'community' ? ids.community(p.ref) : null, p.scope === 'grid' ? ids.grid(p.ref) : null, starts];
      }
    })(), progress, 'assignments', people.length));

  const gridWorker = new Int32Array(gridCount);
  const police = new Int32Array(geo.communities * 2);
  const policeSeen = new Int32Array(geo.communities);
  const devices: { staff: number; community: number; kind: 'vehicle' | 'ebike' | 'handheld' }[] = [];
  people.forEach((p, i) => {
    if (p.role === 'grid_worker') gridWorker[p.ref] = staffId(i);
    if (p.role === 'police') police[p.ref * 2 + policeSeen[p.ref]!++] = staffId(i);
    if (p.role === 'police' || p.role === 'aux_police') {
      devices.push({ staff: staffId(i), community: p.ref, kind: p.role === 'police' ? 'vehicle' : rng.chance(0.5) ? 'ebike' : 'handheld' });
    }
  });
  await stage(ctx, 'patrol_device', () =>
    copyRows(sql, 'patrol_device', ['code', 'kind', 'staff_id'], devices.map((d, i) => [`CITY-D${pad(i, 5)}`, d.kind, d.staff]), progress, 'devices', devices.length));
  const deviceId = await idsInOrder(sql, 'patrol_device', devices.length);
  return { gridWorker, police, devices: devices.map((d, i) => ({ id: deviceId(i), community: d.community, kind: d.kind })) };
}


// ---------------------------------------------------------------------------------------------

const KEY_LOCATION_TYPES = ['school', 'kindergarten', 'market', 'bank', 'clinic', 'hospital', 'station', 'government', 'nightlife', 'factory', 'gas_station', 'park'] as const;

async function loadPlaces(ctx: Ctx, surface: PopulationSurface): Promise<void> {
  const { sql, geometry: geo, progress, plan } = ctx;
  const rng = new Rng(plan.seed, 'places');
  const grids = geo.side ** 2;
  const point = (p: XY) => {
    const [lon, lat] = geo.frame.toLonLat(p);
    return `SRID=4326;POINT(${lon.toFixed(7)} ${lat.toFixed(7)})`;
  };
  // Key locations follow people; joint-defense points stand one per grid, inside it.
  await stage(ctx, 'key_location', () =>
    copyRows(sql, 'key_location', ['code', 'name', 'type', 'geom'], (function* () {
      for (let i = 0; i < 2 * grids; i++) {
        const type = rng.pick(KEY_LOCATION_TYPES);
        yield [`CITY-K${pad(i, 5)}`, `重点部位${i + 1}`, type, point(surface.sample(rng))];
      }
    })(), progress, 'key locations', 2 * grids));
  await stage(ctx, 'joint_defense_point', () =>
    copyRows(sql, 'joint_defense_point', ['code', 'name', 'geom'], (function* () {
      for (let g = 0; g < grids; g++) {
        const x = (g % geo.side) * GRID_SIZE_M - geo.half;
        const y = Math.floor(g / geo.side) * GRID_SIZE_M - geo.half;
        yield [`CITY-J${pad(g, 5)}`, `联防点${g + 1}`, point([x + rng.float(0.2, 0.8) * GRID_SIZE_M, y + rng.float(0.2, 0.8) * GRID_SIZE_M])];
      }
    })(), progress, 'joint-defense pts', grids));
}

// ---------------------------------------------------------------------------------------------

interface Addresses {
  id: (i: number) => number;
  lon: Float64Array;
  lat: Float64Array;
  grid: Int32Array;
  /** 0 general, 1 key, 2 attention */
  category: Uint8Array;
}

const CATEGORY = ['general', 'key', 'attention'] as const;
const CYCLE_DAYS = [180, 30, 60];

async function loadAddresses(ctx: Ctx, surface: PopulationSurface): Promise<Addresses> {
  const { sql, geometry: geo, progress, plan } = ctx;
  const n = plan.addresses;
  const rng = new Rng(plan.seed, 'addresses');
  const a: Omit<Addresses, 'id'> = { lon: new Float64Array(n), lat: new Float64Array(n), grid: new Int32Array(n), category: new Uint8Array(n) };
  const vacant = new Uint8Array(n);
  await stage(ctx, 'address', () =>
    copyRows(sql, 'address', ['code', 'address_text', 'geom', 'category', 'vacant'], (function* () {
      for (let i = 0; i < n; i++) {
        const p = surface.sample(rng);
        const [lon, lat] = geo.frame.toLonLat(p);
        a.lon[i] = lon;
        a.lat[i] = lat;
        a.grid[i] = geo.gridIndexOf(p);
        const c = rng.chance(0.05) ? 1 : rng.chance(0.053) ? 2 : 0;
        a.category[i] = c;
        vacant[i] = rng.chance(0.03) ? 1 : 0;
        yield [`CITY-A${pad(i, 7)}`, `${geo.communityOfGrid(a.grid[i]!) + 1}区${Math.floor(i / 40) % 300 + 1}路${(i % 40) + 1}号`,
          `SRID=4326;POINT(${lon} ${lat})`, CATEGORY[c]!, vacant[i] === 1];
      }
    })(), progress, 'addresses', n));
  const id = await idsInOrder(sql, 'address', n);
  // 一标三实: most addresses have their housing record and, unless vacant, a resident; the gaps
  // are what the registration KPI finds.
  const hRng = new Rng(plan.seed, 'housing');
  const housed = new Uint8Array(n);
  await stage(ctx, 'housing', () =>
    copyRows(sql, 'housing', ['address_id', 'building_type', 'floors', 'usage', 'rented'], (function* () {
      for (let i = 0; i < n; i++) {
        if (!hRng.chance(0.93)) continue;
        housed[i] = 1;
        const rented = hRng.chance(0.18);
        yield [id(i), hRng.pick(['residential', 'residential', 'bungalow', 'shop', 'mixed']), hRng.int(1, 18), rented ? 'rented' : 'self_occupied', rented];
      }
    })(), progress, 'housing', Math.round(n * 0.93)));
  const rRng = new Rng(plan.seed, 'residents');
  await stage(ctx, 'resident', () =>
    copyRows(sql, 'resident', ['address_id', 'name', 'gender', 'birth_date', 'residence'], (function* () {
      for (let i = 0; i < n; i++) {
        if (vacant[i] || !rRng.chance(0.95)) continue;
        const gender = rRng.chance(0.5) ? 'M' : 'F';
        const year = rRng.int(1940, 2015);
        yield [id(i), personName(rRng, gender, year), gender, `${year}-${pad(rRng.int(1, 12), 2)}-${pad(rRng.int(1, 28), 2)}`, rRng.chance(0.12) ? 'floating' : 'registered'];
      }
    })(), progress, 'residents', Math.round(n * 0.92)));
  return { id, ...a };
}

// ---------------------------------------------------------------------------------------------

const TYPE_SHARE: [EventType, number][] = [['public_security', 0.3], ['dispute', 0.25], ['hazard', 0.2], ['service_request', 0.2], ['support_request', 0.05]];
const HOTSPOT_SHARE = 0.4;
const DEADLINE_HOURS: Record<EventType, number[]> = {
  public_security: [72, 48, 24, 4], dispute: [24, 24, 12, 4], hazard: [168, 72, 24, 4], service_request: [168, 72, 48, 24], support_request: [1, 1, 1, 1],
};

async function loadEvents(ctx: Ctx, hotspots: Hotspot[], addr: Addresses): Promise<void> {
  const { sql, geometry: geo, progress, plan, endMs } = ctx;
  const rng = new Rng(plan.seed, 'events');
  const startMs = endMs - YEAR_DAYS * DAY;
  const hotspotWeights = hotspots.map((h) => h.weight);
  const cols = ['code', 'type', 'subtype', 'severity', 'complexity', 'state', 'title', 'geom', 'source', 'reported_at', 'due_at', 'closed_at'];
  await stage(ctx, 'event', () =>
    copyRows(sql, 'event', cols, (function* (): Generator<Cell[]> {
      for (let i = 0; i < plan.events; i++) {
        let lon: number;
        let lat: number;
        let type: EventType;
        let day: number;
        if (rng.chance(HOTSPOT_SHARE)) {
          const h = hotspots[rng.weightedIndex(hotspotWeights)]!;
          // Rejection sampling of the day against the hotspot's temporal profile.
          do day = rng.int(0, YEAR_DAYS - 1);
          while (rng.next() >= hotspotIntensity(h, day));
          type = rng.chance(0.7) ? h.type : rng.weighted(TYPE_SHARE);
          let p: XY;
          do p = [h.at[0] + rng.normal() * h.sigma, h.at[1] + rng.normal() * h.sigma];
          while (!geo.inside(p));
          [lon, lat] = geo.frame.toLonLat(p);
        } else {
          const k = rng.int(0, plan.addresses - 1);
          // ~20 m from the address: reports are placed by hand or by a phone fix.
          lon = addr.lon[k]! + (rng.normal() * 20) / 93_000;
          lat = addr.lat[k]! + (rng.normal() * 20) / 111_000;
          type = rng.weighted(TYPE_SHARE);
          day = rng.int(0, YEAR_DAYS - 1);
        }
        const hour = rng.weightedIndex(HOUR_WEIGHTS[type]);
        const reported = startMs + day * DAY + hour * HOUR + rng.int(0, 3599) * 1000;
        const severity = rng.weighted([[1, 0.5], [2, 0.3], [3, 0.15], [4, 0.05]] as [number, number][]);
        const due = reported + DEADLINE_HOURS[type][severity - 1]! * HOUR;
        const age = endMs - reported;
        let state: string;
        let closed: number | null = null;
        const r = rng.next();
        if (r < 0.03) state = 'cancelled';
        else if (age > 7 * DAY ? r < 0.93 : r < 0.5) {
          state = 'closed';
          closed = Math.min(endMs - 1000, reported + rng.logNormal(20, 1) * HOUR);
        } else state = rng.pick(['reported', 'accepted', 'assigned', 'in_progress', 'resolved']);
        yield [
          `CITY-E${pad(i, 7)}`, type, rng.pick(SUBTYPES[type]), severity, type === 'dispute' ? (rng.chance(0.8) ? 'general' : 'complex') : null,
          state, `${type}事件`, `SRID=4326;POINT(${lon.toFixed(7)} ${lat.toFixed(7)})`, rng.pick(['console', 'grid_app', 'hotline', 'patrol']),
          iso(reported), iso(due), closed === null ? null : iso(Math.max(closed, reported)),
        ];
      }
    })(), progress, 'events', plan.events));
}

// ---------------------------------------------------------------------------------------------

async function loadVisits(ctx: Ctx, addr: Addresses, staff: StaffIds): Promise<void> {
  const { sql, geometry: geo, progress, plan, endMs } = ctx;
  const rng = new Rng(plan.seed, 'visits');
  const n = addr.lon.length;
  // Each address is visited about as often as its cycle asks, scaled so the total meets the plan;
  // the shortfall against the cycles is what the visit-coverage KPI sees.
  let wanted = 0;
  for (let i = 0; i < n; i++) wanted += YEAR_DAYS / CYCLE_DAYS[addr.category[i]!]!;
  const factor = plan.visits / wanted;
  const startMs = endMs - YEAR_DAYS * DAY;
  const vAddr: number[] = [];
  const vAt: number[] = [];
  const vLon: number[] = [];
  const vLat: number[] = [];
  for (let i = 0; i < n; i++) {
    const lambda = (YEAR_DAYS / CYCLE_DAYS[addr.category[i]!]!) * factor;
    const count = Math.floor(lambda) + (rng.next() < lambda % 1 ? 1 : 0);
    for (let k = 0; k < count; k++) {
      vAddr.push(i);
      vAt.push(startMs + rng.int(0, YEAR_DAYS - 1) * DAY + rng.int(9 * 3600, 17 * 3600) * 1000);
      // 85 % on site (within ~60 m), the rest taken somewhere else
      const off = rng.chance(0.85) ? rng.float(0, 60) : rng.float(150, 800);
      const a = rng.float(0, 2 * Math.PI);
      vLon.push(addr.lon[i]! + (off * Math.cos(a)) / 93_000);
      vLat.push(addr.lat[i]! + (off * Math.sin(a)) / 111_000);
    }
  }
  const total = vAddr.length;
  await stage(ctx, 'visit', () =>
    copyRows(sql, 'visit', ['client_id', 'address_id', 'visited_at', 'geom'], (function* () {
      for (let v = 0; v < total; v++) {
        yield [`CITY-V${pad(v, 8)}`, addr.id(vAddr[v]!), iso(vAt[v]!), `SRID=4326;POINT(${vLon[v]!.toFixed(7)} ${vLat[v]!.toFixed(7)})`];
      }
    })(), progress, 'visits', total));
  const visitId = await idsInOrder(sql, 'visit', total);
  const pRng = new Rng(plan.seed, 'participants');
  await stage(ctx, 'visit_participant', () =>
    copyRows(sql, 'visit_participant', ['visit_id', 'staff_id', 'geom', 'fixed_at'], (function* () {
      const near = (v: number, m: number) => `SRID=4326;POINT(${(vLon[v]! + (pRng.normal() * m) / 93_000).toFixed(7)} ${(vLat[v]! + (pRng.normal() * m) / 111_000).toFixed(7)})`;
      for (let v = 0; v < total; v++) {
        const i = vAddr[v]!;
        const g = addr.grid[i]!;
        yield [visitId(v), staff.gridWorker[g]!, near(v, 5), iso(vAt[v]!)];
        // Key and attention addresses are visited jointly; sometimes the officer is missing or far.
        if (addr.category[i]! > 0 && pRng.chance(0.88)) {
          const c = geo.communityOfGrid(g);
          const apart = pRng.chance(0.92) ? 10 : 400;
          yield [visitId(v), staff.police[c * 2 + pRng.int(0, 1)]!, near(v, apart), iso(vAt[v]! + pRng.int(-600, 600) * 1000)];
        }
      }
    })(), progress, 'visit participants', Math.round(total * 1.3)));
}

// ---------------------------------------------------------------------------------------------

const SPEED_KMH = { vehicle: 25, ebike: 15, handheld: 5 };

/**
 * Patrol tracks: each device works one shift a day in its community, moving along the street
 * lattice (east-west then north-south legs) between waypoints drawn from the hotspots near it and
 * random points, with GPS noise, one fix every ~20 s.
 */
async function loadFixes(ctx: Ctx, hotspots: Hotspot[], staff: StaffIds): Promise<void> {
  const { sql, geometry: geo, progress, plan, endMs } = ctx;
  const rng = new Rng(plan.seed, 'fixes');
  const devices = staff.devices;
  const perShift = Math.max(10, Math.round(plan.fixes / (devices.length * plan.fixDays)));
  const total = perShift * devices.length * plan.fixDays;
  const interval = 20_000;
  await stage(ctx, 'gps_fix', () => withoutRowChecks(sql, 'gps_fix', 'device_id', 'patrol_device', (conn) =>
    copyRows(conn, 'gps_fix', ['device_id', 'fixed_at', 'lon', 'lat', 'speed_kmh', 'accuracy_m'], (function* (): Generator<Cell[]> {
      for (const d of devices) {
        const [gx0, gy0, gx1, gy1] = geo.communitySpan(d.community);
        const box = [gx0 * GRID_SIZE_M - geo.half, gy0 * GRID_SIZE_M - geo.half, gx1 * GRID_SIZE_M - geo.half, gy1 * GRID_SIZE_M - geo.half] as const;
        const within = (p: XY) => p[0] > box[0] && p[0] < box[2] && p[1] > box[1] && p[1] < box[3];
        const local = hotspots.filter((h) => within(h.at));
        const speed = (SPEED_KMH[d.kind] * 1000) / 3600;
        for (let day = plan.fixDays; day >= 1; day--) {
          // Shifts start between 08:00 and 20:00 local, evenings favoured.
          const startHour = rng.weighted([[8, 1], [10, 1], [14, 1], [17, 2], [19, 2], [20, 1]] as [number, number][]);
          let t = endMs - day * DAY + startHour * HOUR + rng.int(0, 1800) * 1000;
          let pos: XY = [rng.float(box[0], box[2]), rng.float(box[1], box[3])];
          let target = pos;
          let dwell = 0;
          for (let k = 0; k < perShift; k++, t += interval + rng.int(-2000, 2000)) {
            if (dwell > 0) dwell--;
            else {
              const dx = target[0] - pos[0];
              const dy = target[1] - pos[1];
              let step = speed * (interval / 1000);
              if (Math.abs(dx) + Math.abs(dy) < 1) {
                target = local.length && rng.chance(0.6) ? rng.pick(local).at : [rng.float(box[0], box[2]), rng.float(box[1], box[3])];
                if (!within(target)) target = [rng.float(box[0], box[2]), rng.float(box[1], box[3])];
                dwell = rng.int(3, 30);
              }
              const mx = Math.sign(dx) * Math.min(Math.abs(dx), step);
              step -= Math.abs(mx);
              const my = Math.sign(dy) * Math.min(Math.abs(dy), step);
              pos = [pos[0] + mx, pos[1] + my];
            }
            const [lon, lat] = geo.frame.toLonLat([pos[0] + rng.normal() * 5, pos[1] + rng.normal() * 5]);
            yield [d.id, iso(t), Number(lon.toFixed(7)), Number(lat.toFixed(7)), dwell > 0 ? 0 : Math.round(SPEED_KMH[d.kind] * rng.float(0.7, 1.2) * 10) / 10, rng.int(3, 15)];
          }
        }
      }
    })(), progress, 'gps fixes', total)));
}

/**
 * gps_fix has no triggers of its own, only its foreign key, whose per-row check costs more than the
 * rest of the COPY (measured here: 500k fixes in 8.2 s with it, 2.5 s without). A superuser
 * session skips it (session_replication_role = replica) and checks the whole column in one
 * anti-join afterwards instead; anyone else gets the per-row check.
 */
async function withoutRowChecks(sql: Sql, table: string, column: string, parent: string, run: (conn: ReservedSql) => Promise<number>): Promise<number> {
  const conn = await sql.reserve();
  try {
    const [{ superuser } = { superuser: false }] = await conn<{ superuser: boolean }[]>`SELECT rolsuper AS superuser FROM pg_roles WHERE rolname = current_user`;
    if (superuser) await conn`SET session_replication_role = replica`;
    const rows = await run(conn);
    if (superuser) {
      await conn`SET session_replication_role = DEFAULT`;
      const [orphans] = await conn<{ n: number }[]>`
        SELECT count(*)::int AS n FROM ${conn(table)} t WHERE NOT EXISTS (SELECT 1 FROM ${conn(parent)} p WHERE p.id = t.${conn(column)})`;
      if (orphans!.n > 0) throw new Error(`${table}: ${orphans!.n} rows reference a missing ${parent}`);
    }
    return rows;
  } finally {
    conn.release();
  }
}
