import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { area, booleanPointInPolygon, difference, distance, featureCollection, intersect, multiPolygon, union } from '@turf/turf';
import type { MultiPolygon, Polygon } from 'geojson';
import { beforeAll, describe, expect, it } from 'vitest';
import { generateDemoWorld, type DemoWorld } from './generate.ts';
import { isValidCreditCode, isValidIdNumber } from './identity.ts';

const NOW = new Date('2026-11-29T00:00:00+08:00');
const LEGAL = new Set([
  'accept:reported->accepted', 'accept:returned->accepted', 'assign:accepted->assigned', 'assign:escalated->assigned',
  'start:assigned->in_progress', 'resolve:in_progress->resolved', 'close:resolved->closed', 'reopen:resolved->in_progress',
  'return:reported->returned', 'return:accepted->returned', 'return:assigned->returned',
  'escalate:reported->escalated', 'escalate:accepted->escalated', 'escalate:assigned->escalated', 'escalate:in_progress->escalated',
  'escalate:escalated->escalated', 'cancel:reported->cancelled', 'cancel:accepted->cancelled', 'cancel:returned->cancelled',
]);
const SLOW = 180_000;
const sha256 = (w: DemoWorld) => createHash('sha256').update(JSON.stringify(w)).digest('hex');

let world: DemoWorld;
beforeAll(() => {
  world = generateDemoWorld({ seed: 42, now: NOW });
}, SLOW);

describe('determinism', () => {
  it('the same seed and now give byte-identical JSON; another seed gives another world', () => {
    const again = generateDemoWorld({ seed: 42, now: NOW });
    expect(sha256(again)).toBe(sha256(world));
    const other = generateDemoWorld({ seed: 7, now: NOW });
    expect(sha256(other)).not.toBe(sha256(world));
    expect(other.grids.map((g) => g.name)).not.toEqual(world.grids.map((g) => g.name));
  }, SLOW);

  it('refuses a bad seed or date', () => {
    expect(() => generateDemoWorld({ seed: 1.5, now: NOW })).toThrow(/seed must be a safe integer, got 1.5/);
    expect(() => generateDemoWorld({ seed: 1, now: new Date('nope') })).toThrow(/now must be a valid Date/);
  });
});

describe('boundary asset', () => {
  it('is the shared 舞钢市 file, byte for byte, when shared/ is checked out beside the repo', () => {
    const shared = process.env.JW_SHARED_DATA ?? fileURLToPath(new URL('../../../shared/data', import.meta.url));
    const original = `${shared}/wugang_boundary/410481_wugang_county.geojson`;
    if (!existsSync(original)) return;
    const copy = fileURLToPath(new URL('./assets/wugang_county_gcj02.geojson', import.meta.url));
    expect(readFileSync(copy)).toEqual(readFileSync(original));
  });
});

const km2 = (g: MultiPolygon) => area(g) / 1e6;

/**
 * Area in m² with the edges read as straight lines in lon/lat, as PostGIS `geometry` (and turf's
 * overlay operations) read them. turf.area bends long edges over the sphere, so a tile split
 * along a 1 km edge would "gain" a few m² there and hide the exactness we want to check.
 */
function planarArea(g: Polygon | MultiPolygon): number {
  const kx = 111_320 * Math.cos((33.3 * Math.PI) / 180);
  const ky = 110_950;
  let total = 0;
  for (const pg of g.type === 'Polygon' ? [g.coordinates] : g.coordinates) {
    pg.forEach((ring, i) => {
      let a = 0;
      for (let k = 0, j = ring.length - 1; k < ring.length; j = k++) a += (ring[j]![0]! - ring[k]![0]!) * kx * (ring[j]![1]! + ring[k]![1]!) * ky;
      total += (i === 0 ? 1 : -1) * Math.abs(a / 2);
    });
  }
  return total;
}

/** Area (m²) of what lies in a but not in b, plus what lies in b but not in a. */
function symmetricDifference(a: MultiPolygon, b: MultiPolygon): number {
  const d1 = difference(featureCollection([multiPolygon(a.coordinates), multiPolygon(b.coordinates)]));
  const d2 = difference(featureCollection([multiPolygon(b.coordinates), multiPolygon(a.coordinates)]));
  return (d1 ? planarArea(d1.geometry) : 0) + (d2 ? planarArea(d2.geometry) : 0);
}

function expectTiling(parent: MultiPolygon, parts: MultiPolygon[]): void {
  const total = parts.reduce((s, p) => s + planarArea(p), 0);
  expect(Math.abs(total - planarArea(parent)) / planarArea(parent)).toBeLessThan(1e-4);
  for (let i = 0; i < parts.length; i++) {
    for (let k = i + 1; k < parts.length; k++) {
      const overlap = intersect(featureCollection([multiPolygon(parts[i]!.coordinates), multiPolygon(parts[k]!.coordinates)]));
      expect(overlap ? planarArea(overlap.geometry) : 0).toBeLessThan(0.01);
    }
  }
  const merged = union(featureCollection(parts.map((p) => multiPolygon(p.coordinates))));
  expect(merged).not.toBeNull();
  const mergedGeom: MultiPolygon = merged!.geometry.type === 'Polygon'
    ? { type: 'MultiPolygon', coordinates: [merged!.geometry.coordinates] }
    : (merged!.geometry as MultiPolygon);
  expect(symmetricDifference(parent, mergedGeom)).toBeLessThan(1);
}

describe('jurisdiction', () => {
  it('院岭街道 is a 20-40 km² part of the real county, near the seat of government', () => {
    expect(world.subdistrict).toMatchObject({ code: '410481003', name: '院岭街道' });
    expect(km2(world.subdistrict.geom)).toBeGreaterThan(20);
    expect(km2(world.subdistrict.geom)).toBeLessThan(40);
    const outside = difference(featureCollection([multiPolygon(world.subdistrict.geom.coordinates), multiPolygon(world.county.coordinates)]));
    expect(outside ? planarArea(outside.geometry) : 0).toBeLessThan(1);
    // The DataV seat [113.52625, 33.302082] is GCJ-02; in WGS84 it lies about (113.5202, 33.3038).
    expect(booleanPointInPolygon([113.5202, 33.3038], world.subdistrict.geom)).toBe(true);
  });

  it('~12 communities, urban 社区 and 村, tile the sub-district', () => {
    expect(world.communities.length).toBe(12);
    expect(world.communities.filter((c) => c.kind === 'community').every((c) => c.name.endsWith('社区'))).toBe(true);
    expect(world.communities.filter((c) => c.kind === 'village').every((c) => c.name.endsWith('村'))).toBe(true);
    expect(world.communities.filter((c) => c.kind === 'village').length).toBeGreaterThanOrEqual(5);
    expectTiling(world.subdistrict.geom, world.communities.map((c) => c.geom));
  }, SLOW);

  it('60-100 grids; the grids of each community tile it without gaps or overlaps', () => {
    expect(world.grids.length).toBeGreaterThanOrEqual(60);
    expect(world.grids.length).toBeLessThanOrEqual(100);
    for (const c of world.communities) {
      const grids = world.grids.filter((g) => g.communityCode === c.code);
      expect(grids.length).toBeGreaterThanOrEqual(3);
      for (const g of grids) {
        expect(g.code).toMatch(/^YL-\d{2}-\d{2}$/);
        expect(g.name).toMatch(new RegExp(`^${c.name}第\\d+网格$`));
      }
      expectTiling(c.geom, grids.map((g) => g.geom));
    }
  }, SLOW);
});

describe('places', () => {
  it('2-5 joint-defense points per grid and ~40 key locations of the schema types', () => {
    for (const g of world.grids) {
      const n = world.jointDefensePoints.filter((p) => p.gridCode === g.code).length;
      expect(n, g.code).toBeGreaterThanOrEqual(2);
      expect(n, g.code).toBeLessThanOrEqual(5);
    }
    expect(world.jointDefensePoints[0]!.name).toMatch(/社区|村/);
    expect(world.jointDefensePoints.every((p) => /\d+号联防点$/.test(p.name))).toBe(true);
    expect(world.keyLocations.length).toBeGreaterThanOrEqual(35);
    expect(world.keyLocations.length).toBeLessThanOrEqual(45);
    expect(new Set(world.keyLocations.map((k) => k.type)).size).toBeGreaterThanOrEqual(12);
  });

  it('15-25k addresses with unique codes and texts, each inside the grid it names', () => {
    const n = world.addresses.length;
    expect(n).toBeGreaterThanOrEqual(15_000);
    expect(n).toBeLessThanOrEqual(25_000);
    expect(new Set(world.addresses.map((a) => a.code)).size).toBe(n);
    expect(new Set(world.addresses.map((a) => a.text)).size).toBe(n);
    const grids = new Map(world.grids.map((g) => [g.code, g]));
    const communities = new Map(world.communities.map((c) => [c.code, c]));
    for (const a of world.addresses) {
      const g = grids.get(a.gridCode)!;
      expect(booleanPointInPolygon([a.lon, a.lat], g.geom), a.code).toBe(true);
      expect(a.text.startsWith(`院岭街道${communities.get(g.communityCode)!.name}`), a.text).toBe(true);
    }
    expect(world.addresses.some((a) => /^院岭街道.+社区.+(路|街|巷|大道)\d+号\d单元\d{3,4}$/.test(a.text))).toBe(true);
    expect(world.addresses.some((a) => /^院岭街道.+村\d+组\d+号$/.test(a.text))).toBe(true);
  });

  it('categories are ~85% general, 10% key, 5% attention (±2%)', () => {
    const share = (c: string) => world.addresses.filter((a) => a.category === c).length / world.addresses.length;
    expect(Math.abs(share('general') - 0.85)).toBeLessThan(0.02);
    expect(Math.abs(share('key') - 0.1)).toBeLessThan(0.02);
    expect(Math.abs(share('attention') - 0.05)).toBeLessThan(0.02);
  });

  it('5-8% of addresses are unregistered (no housing, or nobody and not vacant)', () => {
    const housed = new Set(world.housing.map((h) => h.addressCode));
    const occupied = new Set([...world.residents.map((r) => r.addressCode), ...world.orgUnits.map((u) => u.addressCode)]);
    const registered = world.addresses.filter((a) => housed.has(a.code) && (occupied.has(a.code) || a.vacant)).length;
    const unregistered = 1 - registered / world.addresses.length;
    expect(unregistered).toBeGreaterThanOrEqual(0.05);
    expect(unregistered).toBeLessThanOrEqual(0.08);
    expect(world.addresses.some((a) => a.vacant)).toBe(true);
  });
});

describe('people', () => {
  it('residents have valid, unique ID numbers that match their birth date and gender', () => {
    const ids = world.residents.flatMap((r) => (r.idNumber ? [r.idNumber] : []));
    expect(new Set(ids).size).toBe(ids.length);
    for (const r of world.residents) {
      if (!r.idNumber) {
        expect(r.residence).toBe('overseas');
        continue;
      }
      expect(isValidIdNumber(r.idNumber), r.idNumber).toBe(true);
      expect(r.idNumber.slice(6, 14)).toBe(r.birthDate.replaceAll('-', ''));
      expect(Number(r.idNumber[16]) % 2 === 1 ? 'M' : 'F').toBe(r.gender);
      if (r.phone) expect(r.phone).toMatch(/^1[3-9]\d{9}$/);
    }
    expect(world.orgUnits.filter((u) => u.creditCode).every((u) => isValidCreditCode(u.creditCode!))).toBe(true);
  });

  it('1-2% of residents are persons of concern, across all 9 categories and 3 control levels', () => {
    const share = world.personsOfConcern.length / world.residents.length;
    expect(share).toBeGreaterThanOrEqual(0.01);
    expect(share).toBeLessThanOrEqual(0.02);
    expect(new Set(world.personsOfConcern.map((p) => p.category)).size).toBe(9);
    expect(new Set(world.personsOfConcern.map((p) => p.controlLevel))).toEqual(new Set([1, 2, 3]));
    const residents = new Map(world.residents.map((r) => [r.idNumber, r]));
    for (const p of world.personsOfConcern) {
      const r = residents.get(p.residentIdNumber)!;
      expect(r.addressCode).toBe(p.addressCode);
      expect(r.name).toBe(p.name);
    }
  });

  it('一村（格）一警: every grid has a grid leader, grid workers and an auxiliary officer; every community a chief and an officer', () => {
    const now = '2026-11-28';
    const current = world.assignments.filter((a) => a.startsOn <= now && (a.endsOn === null || a.endsOn >= now));
    for (const g of world.grids) {
      const roles = current.filter((a) => a.scope.kind === 'grid' && a.scope.code === g.code).map((a) => a.role);
      expect(roles.filter((r) => r === 'grid_leader').length, g.code).toBe(1);
      expect(roles.filter((r) => r === 'grid_worker').length, g.code).toBeGreaterThanOrEqual(1);
      expect(roles.filter((r) => r === 'grid_worker').length, g.code).toBeLessThanOrEqual(3);
      expect(roles, g.code).toContain('aux_police');
    }
    for (const c of world.communities) {
      const roles = current.filter((a) => a.scope.kind === 'community' && a.scope.code === c.code).map((a) => a.role);
      expect(roles, c.code).toContain('station_chief');
      expect(roles, c.code).toContain('police');
    }
    expect(current.filter((a) => a.role === 'command').length).toBe(3);
    expect(current.filter((a) => a.role === 'analyst').length).toBe(2);
    expect(world.assignments.some((a) => a.endsOn !== null)).toBe(true);
    const staff = new Set(world.staff.map((s) => s.code));
    expect(world.devices.every((d) => d.staffCode === null || staff.has(d.staffCode))).toBe(true);
  });
});

describe('history', () => {
  const nowIso = NOW.toISOString();

  it('a few thousand events whose logs run from the report to their current state', () => {
    expect(world.events.length).toBeGreaterThanOrEqual(2000);
    expect(world.events.length).toBeLessThanOrEqual(5000);
    const logs = new Map<string, DemoWorld['eventLog']>();
    for (const l of world.eventLog) logs.set(l.eventCode, [...(logs.get(l.eventCode) ?? []), l]);
    for (const e of world.events) {
      const log = logs.get(e.code)!;
      expect(log[0]).toMatchObject({ fromState: null, toState: 'reported', action: 'report', at: e.reportedAt });
      for (let i = 1; i < log.length; i++) {
        expect(log[i]!.fromState).toBe(log[i - 1]!.toState);
        expect(log[i]!.at >= log[i - 1]!.at).toBe(true);
      }
      expect(log[log.length - 1]!.toState).toBe(e.state);
      expect(log[log.length - 1]!.at < nowIso).toBe(true);
      expect(e.version).toBe(log.length);
      expect(e.state === 'closed').toBe(e.closedAt !== null);
      expect(e.dueAt >= e.reportedAt).toBe(true);
      expect(e.type === 'dispute').toBe(e.complexity !== null);
    }
    const states = new Set(world.events.map((e) => e.state));
    for (const s of ['closed', 'cancelled', 'in_progress']) expect(states).toContain(s);
    for (const action of ['escalate', 'return', 'reopen', 'cancel', 'mediate']) expect(world.eventLog.some((l) => l.action === action), action).toBe(true);
    // Every state change is one the event workflow allows (event_transition_rule); 'mediate' only
    // records the 1+1+N joint mediation and leaves the state as it is.
    for (const l of world.eventLog) {
      if (l.action === 'report') continue;
      if (l.action === 'mediate') expect(l.fromState).toBe(l.toState);
      else expect(LEGAL.has(`${l.action}:${l.fromState}->${l.toState}`), `${l.action}:${l.fromState}->${l.toState}`).toBe(true);
    }
    // Some open events are past their deadline.
    expect(world.events.some((e) => !['closed', 'cancelled'].includes(e.state) && e.dueAt < nowIso)).toBe(true);
  });

  it('events cluster in time and place: night fights at weekends, land disputes in a few villages', () => {
    const hour = (iso: string) => (new Date(iso).getUTCHours() + 8) % 24;
    const fights = world.events.filter((e) => e.subtype === 'fight');
    const night = fights.filter((e) => hour(e.reportedAt) >= 20 || hour(e.reportedAt) < 3).length;
    expect(night / fights.length).toBeGreaterThan(0.6);
    const land = world.events.filter((e) => e.subtype === 'land');
    const byCommunity = new Map<string, number>();
    for (const e of land) byCommunity.set(e.gridCode.slice(0, 5), (byCommunity.get(e.gridCode.slice(0, 5)) ?? 0) + 1);
    const top3 = [...byCommunity.values()].sort((a, b) => b - a).slice(0, 3).reduce((s, n) => s + n, 0);
    expect(top3 / land.length).toBeGreaterThan(0.6);
  });

  it('visits: every visit has participants; some are off-site, some key visits lack the police', () => {
    const participants = new Map<string, DemoWorld['visitParticipants']>();
    for (const p of world.visitParticipants) participants.set(p.visitClientId, [...(participants.get(p.visitClientId) ?? []), p]);
    const addresses = new Map(world.addresses.map((a) => [a.code, a]));
    const kinds = new Map(world.staff.map((s) => [s.code, s.kind]));
    let offsite = 0;
    let keyWithoutPolice = 0;
    for (const v of world.visits) {
      const ps = participants.get(v.clientId)!;
      expect(ps.length).toBeGreaterThanOrEqual(1);
      const a = addresses.get(v.addressCode)!;
      if (v.lon !== null && distance([v.lon, v.lat!], [a.lon, a.lat], { units: 'meters' }) > 100) offsite += 1;
      if (a.category !== 'general' && !ps.some((p) => ['police', 'aux_police'].includes(kinds.get(p.staffCode)!))) keyWithoutPolice += 1;
      expect(v.visitedAt < nowIso).toBe(true);
    }
    expect(offsite / world.visits.length).toBeGreaterThan(0.005);
    expect(offsite / world.visits.length).toBeLessThan(0.1);
    expect(keyWithoutPolice).toBeGreaterThan(0);
  });

  it('GPS fixes: 10-15 devices over the last ~60 days, every 10-30 s, strictly increasing per device', () => {
    const devices = new Set(world.gpsFixes.map((f) => f.deviceCode));
    expect(devices.size).toBeGreaterThanOrEqual(10);
    expect(devices.size).toBeLessThanOrEqual(15);
    const earliest = new Date(NOW.getTime() - 61 * 86_400_000).toISOString();
    const gaps: number[] = [];
    const last = new Map<string, string>();
    for (const f of world.gpsFixes) {
      expect(f.fixedAt >= earliest && f.fixedAt < nowIso).toBe(true);
      const prev = last.get(f.deviceCode);
      if (prev) {
        expect(f.fixedAt > prev).toBe(true);
        gaps.push((Date.parse(f.fixedAt) - Date.parse(prev)) / 1000);
      }
      last.set(f.deviceCode, f.fixedAt);
    }
    gaps.sort((a, b) => a - b);
    const median = gaps[Math.floor(gaps.length / 2)]!;
    expect(median).toBeGreaterThanOrEqual(10);
    expect(median).toBeLessThanOrEqual(30);
  });
});
