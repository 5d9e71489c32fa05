import type { Point, Polygon, Position } from 'geojson';
import { COUNTY_SOURCE, readCounty } from './boundary.ts';
import { planEvents } from './events.ts';
import { planJurisdiction, SUBDISTRICT_CODE, SUBDISTRICT_NAME, type GridPlan, type Jurisdiction } from './jurisdiction.ts';
import { planPatrols } from './patrols.ts';
import { planPlaces } from './places.ts';
import { Frame, round7, type XY } from './plane.ts';
import { planPopulation } from './population.ts';
import { Rng } from './random.ts';
import { planRoster } from './staff.ts';
import { planStreets } from './streets.ts';
import { DAY, iso } from './time.ts';
import type { DemoWorld } from './types.ts';
import { planVisits } from './visits.ts';

export type { DemoWorld } from './types.ts';

export interface GenerateOptions {
  seed: number;
  /** The world's present: history runs for a year before it. */
  now: Date;
}

const VERSION = 1;

/**
 * The deterministic demo world of 院岭街道: the same seed and `now` give the same world, to the
 * byte of its JSON. Only the seed drives randomness (never Math.random or the clock), and every
 * part draws from its own stream, so the parts stay independent of each other's details.
 */
export function generateDemoWorld(opts: GenerateOptions): DemoWorld {
  if (!Number.isSafeInteger(opts.seed)) throw new RangeError(`seed must be a safe integer, got ${String(opts.seed)}`);
  if (!(opts.now instanceof Date) || Number.isNaN(opts.now.getTime())) throw new RangeError(`now must be a valid Date, got ${String(opts.now)}`);
  const { seed } = opts;
  const nowMs = opts.now.getTime();
  const rng = (label: string) => new Rng(seed, label);

  const county = readCounty();
  // The local plane is centred on the seat of government (converted to WGS84).
  const frame = new Frame(county.seat[0], county.seat[1]);
  const j = planJurisdiction(rng('jurisdiction'), frame, county.geom);
  const net = planStreets(rng('streets'), j);
  const places = planPlaces(rng('places'), j, net, [0, 0]);
  const population = planPopulation(rng('population'), places, nowMs);
  const roster = planRoster(rng('staff'), j, places.jointPoints, nowMs);
  const performance = gridPerformance(rng('performance'), j);
  const history = planEvents(rng('events'), frame, j, net, places, population, roster, performance, nowMs);
  const visits = planVisits(rng('visits'), frame, places, population, roster, performance, nowMs);
  const gpsFixes = planPatrols(rng('patrols'), frame, j, net, places, roster, nowMs);

  const lonLat = (p: XY): Position => frame.toLonLat(p).map(round7);
  return {
    meta: {
      generator: 'jingwang-demo',
      version: VERSION,
      seed,
      now: iso(nowMs),
      historyStart: iso(nowMs - 365 * DAY),
      timezone: 'Asia/Shanghai',
      crs: 'EPSG:4326',
      countySource: COUNTY_SOURCE,
    },
    county: county.geom,
    subdistrict: { code: SUBDISTRICT_CODE, name: SUBDISTRICT_NAME, geom: frame.multiPolygonToLonLat(j.subdistrict) },
    communities: j.communities.map((c) => ({ code: c.code, name: c.name, kind: c.kind, geom: frame.multiPolygonToLonLat(c.geom) })),
    grids: j.grids.map((g) => ({ code: g.code, communityCode: g.community.code, name: g.name, geom: frame.multiPolygonToLonLat(g.geom) })),
    streets: net.streets.map((s) => ({ code: s.code, name: s.name, kind: s.kind, geom: { type: 'LineString', coordinates: s.nodes.map((n) => lonLat(net.nodes[n]!)) } })),
    jointDefensePoints: places.jointPoints.map((p) => {
      const [lon, lat] = lonLat(p.p);
      return { code: p.code, gridCode: p.grid.code, name: p.name, lon: lon!, lat: lat!, serviceRadiusM: p.radius };
    }),
    keyLocations: places.keyLocations.map((k) => ({
      code: k.code,
      gridCode: k.grid.code,
      name: k.name,
      type: k.type,
      geom: k.outline
        ? ({ type: 'Polygon', coordinates: [[...k.outline, k.outline[0]!].map(lonLat)] } satisfies Polygon)
        : ({ type: 'Point', coordinates: lonLat(k.p) } satisfies Point),
      requiredPassesWeek: k.passes,
      addressCode: k.building.addresses[0]!.code,
    })),
    addresses: places.addresses.map((a) => {
      const st = population.state.get(a)!;
      const [lon, lat] = lonLat(a.p);
      return { code: a.code, gridCode: a.grid.code, text: a.text, lon: lon!, lat: lat!, category: st.category, vacant: st.vacant, createdAt: iso(st.createdAt) };
    }),
    housing: population.housing,
    residents: population.residents.map((r) => r.row),
    orgUnits: population.orgUnits,
    personsOfConcern: population.persons.map((p) => p.row),
    staff: roster.staff,
    assignments: roster.assignments,
    devices: roster.devices,
    events: history.events,
    eventLog: history.eventLog,
    supportRequests: history.supportRequests,
    visits: visits.visits,
    visitParticipants: visits.participants,
    gpsFixes,
  };
}

/** How well each grid keeps up (1 = on time): most do, some lag, a few lag badly. */
function gridPerformance(rng: Rng, j: Jurisdiction): Map<GridPlan, number> {
  const out = new Map<GridPlan, number>();
  for (const g of j.grids) {
    const [lo, hi] = rng.weighted<[number, number]>([[[0.85, 1], 0.75], [[0.55, 0.8], 0.15], [[0.3, 0.55], 0.1]]);
    out.set(g, rng.float(lo, hi));
  }
  return out;
}
