import type { GridPlan, Jurisdiction } from './jurisdiction.ts';
import { SUBDISTRICT_NAME } from './jurisdiction.ts';
import { brand } from './names.ts';
import { byText, pushTo } from './order.ts';
import { dist, type XY } from './plane.ts';
import type { Rng } from './random.ts';
import type { Network, StreetPlan } from './streets.ts';
import type { KeyLocationType } from './types.ts';

/**
 * Buildings and their standard addresses (一标), key locations (重点部位) and joint-defense
 * points (联防联控点). Buildings stand along streets, a few metres back from the centreline;
 * every address point is kept a few metres clear of grid edges so the grid the database derives
 * from the point is the one written into the address text.
 */

export type BuildingKind = 'apartment' | 'mixed' | 'shop' | 'office' | 'bungalow' | 'village_house' | 'village_shop' | 'key';

export interface AddressPlan {
  code: string;
  text: string;
  p: XY;
  grid: GridPlan;
  building: Building;
  /** What the address is used for: a dwelling, a shop front, an office, or a key location. */
  use: 'home' | 'shop' | 'office' | 'key';
  floor: number;
}

export interface Building {
  kind: BuildingKind;
  p: XY;
  grid: GridPlan;
  street: StreetPlan;
  floors: number;
  addresses: AddressPlan[];
  key?: KeyLocationPlan;
}

export interface KeyLocationPlan {
  code: string;
  name: string;
  type: KeyLocationType;
  p: XY;
  /** Outline for campuses, markets and parks: [corner, corner, corner, corner]. */
  outline: XY[] | null;
  grid: GridPlan;
  passes: number;
  building: Building;
}

export interface JointPointPlan {
  code: string;
  name: string;
  p: XY;
  grid: GridPlan;
  radius: number;
}

export interface Places {
  buildings: Building[];
  addresses: AddressPlan[];
  keyLocations: KeyLocationPlan[];
  jointPoints: JointPointPlan[];
  /** Where 院岭派出所 stands: patrols start and end there. */
  policeStation: XY;
}

interface Site {
  street: StreetPlan;
  p: XY;
  /** Unit vector along the street and the side the building stands on (+1 left, -1 right). */
  dir: XY;
  side: 1 | -1;
  chain: number;
  number: number;
  /** Distance from the seat of government, which sets how likely the site is built on. */
  weight: number;
}

const TOWN_SPACING = 22;
const ADDRESS_MARGIN = 4;

/** Candidate building plots along a street: both sides, every `spacing` metres, clear of crossings. */
function sitesAlong(net: Network, street: StreetPlan, spacing: number, crossing: number, offset: (side: 1 | -1) => number): Site[] {
  const out: Site[] = [];
  let chain = 0;
  for (let i = 1; i < street.nodes.length; i++) {
    const a = net.nodes[street.nodes[i - 1]!]!;
    const b = net.nodes[street.nodes[i]!]!;
    const len = dist(a, b);
    const dir: XY = [(b[0] - a[0]) / len, (b[1] - a[1]) / len];
    const first = Math.ceil((street.chain0 + chain - spacing / 2) / spacing);
    for (let k = first; (k + 0.5) * spacing <= street.chain0 + chain + len; k++) {
      const along = (k + 0.5) * spacing - street.chain0 - chain;
      if (along < crossing || len - along < crossing) continue;
      for (const side of [1, -1] as const) {
        const off = offset(side);
        const p: XY = [a[0] + dir[0] * along - side * dir[1] * off, a[1] + dir[1] * along + side * dir[0] * off];
        out.push({ street, p, dir, side, chain: street.chain0 + chain + along, number: 2 * k + (side === 1 ? 1 : 2), weight: 1 });
      }
    }
    chain += len;
  }
  return out;
}

/** A w×h rectangle behind a site, facing its street. */
function rectangleBehind(site: Site, w: number, h: number): XY[] {
  const [dx, dy] = site.dir;
  const nx = -site.side * dy;
  const ny = site.side * dx;
  const base: XY = [site.p[0] - nx * 4, site.p[1] - ny * 4];
  return [
    [base[0] - dx * (w / 2), base[1] - dy * (w / 2)],
    [base[0] + dx * (w / 2), base[1] + dy * (w / 2)],
    [base[0] + dx * (w / 2) + nx * h, base[1] + dy * (w / 2) + ny * h],
    [base[0] - dx * (w / 2) + nx * h, base[1] - dy * (w / 2) + ny * h],
  ];
}

interface KeySpec {
  type: KeyLocationType;
  name: (ctx: { street: string; community: string; village: string }) => string;
  where: 'main' | 'town' | 'village' | 'edge' | 'nightlife';
  size: [number, number] | null;
  passes: number;
}

function keySpecs(rng: Rng): KeySpec[] {
  const fixed = (n: string) => () => n;
  const brandName = brand(rng);
  return [
    { type: 'school', name: fixed('舞钢市第三小学'), where: 'town', size: [140, 100], passes: 5 },
    { type: 'school', name: fixed('院岭街道中心小学'), where: 'town', size: [120, 90], passes: 5 },
    { type: 'school', name: fixed('舞钢市第二初级中学'), where: 'main', size: [160, 110], passes: 5 },
    { type: 'school', name: (c) => `${c.village}小学`, where: 'village', size: [70, 50], passes: 3 },
    { type: 'kindergarten', name: fixed('院岭街道中心幼儿园'), where: 'town', size: [50, 40], passes: 5 },
    { type: 'kindergarten', name: fixed('阳光幼儿园'), where: 'town', size: null, passes: 5 },
    { type: 'kindergarten', name: fixed('小天鹅幼儿园'), where: 'town', size: null, passes: 5 },
    { type: 'market', name: (c) => `${c.street}农贸市场`, where: 'main', size: [80, 60], passes: 7 },
    { type: 'market', name: fixed('院岭综合批发市场'), where: 'main', size: [100, 70], passes: 5 },
    { type: 'market', name: (c) => `${c.village}集贸市场`, where: 'village', size: null, passes: 3 },
    { type: 'bank', name: fixed('中国农业银行舞钢院岭支行'), where: 'main', size: null, passes: 5 },
    { type: 'bank', name: fixed('中国工商银行舞钢钢城支行'), where: 'main', size: null, passes: 5 },
    { type: 'bank', name: fixed('舞钢农商银行院岭支行'), where: 'main', size: null, passes: 5 },
    { type: 'bank', name: fixed('中国邮政储蓄银行院岭营业所'), where: 'main', size: null, passes: 4 },
    { type: 'bank', name: fixed('中国建设银行舞钢湖滨支行'), where: 'main', size: null, passes: 4 },
    { type: 'clinic', name: fixed('院岭街道社区卫生服务中心'), where: 'main', size: null, passes: 3 },
    { type: 'clinic', name: (c) => `${c.community}卫生服务站`, where: 'town', size: null, passes: 2 },
    { type: 'clinic', name: (c) => `${c.village}卫生室`, where: 'village', size: null, passes: 2 },
    { type: 'clinic', name: (c) => `${c.village}卫生室`, where: 'village', size: null, passes: 2 },
    { type: 'hospital', name: fixed('舞钢市院岭中心医院'), where: 'main', size: [90, 70], passes: 5 },
    { type: 'station', name: fixed('舞钢市汽车客运站'), where: 'main', size: [90, 60], passes: 5 },
    { type: 'station', name: fixed('院岭公交枢纽站'), where: 'main', size: null, passes: 4 },
    { type: 'government', name: fixed('院岭街道办事处'), where: 'main', size: [60, 45], passes: 3 },
    { type: 'government', name: fixed('舞钢市公安局院岭派出所'), where: 'main', size: null, passes: 2 },
    { type: 'government', name: (c) => `${c.village}村委会`, where: 'village', size: null, passes: 2 },
    { type: 'government', name: (c) => `${c.village}村委会`, where: 'village', size: null, passes: 2 },
    { type: 'nightlife', name: fixed('星光KTV'), where: 'nightlife', size: null, passes: 7 },
    { type: 'nightlife', name: fixed('极速网咖'), where: 'nightlife', size: null, passes: 7 },
    { type: 'nightlife', name: fixed('夜色酒吧'), where: 'nightlife', size: null, passes: 7 },
    { type: 'nightlife', name: fixed('金水湾洗浴中心'), where: 'nightlife', size: null, passes: 5 },
    { type: 'nightlife', name: (c) => `${c.street}夜市`, where: 'nightlife', size: [90, 30], passes: 7 },
    { type: 'factory', name: fixed(`舞钢市${brandName}机械厂`), where: 'edge', size: [120, 80], passes: 2 },
    { type: 'factory', name: fixed(`舞钢${brand(rng)}建材有限公司`), where: 'edge', size: [100, 70], passes: 2 },
    { type: 'factory', name: fixed(`钢城${brand(rng)}铸造厂`), where: 'edge', size: [110, 80], passes: 2 },
    { type: 'gas_station', name: fixed('中国石化院岭加油站'), where: 'edge', size: [45, 35], passes: 3 },
    { type: 'gas_station', name: fixed('中国石油钢城加油站'), where: 'main', size: [45, 35], passes: 3 },
    { type: 'religious', name: fixed('龙泉寺'), where: 'village', size: [50, 40], passes: 2 },
    { type: 'park', name: fixed('湖滨公园'), where: 'town', size: [180, 120], passes: 3 },
    { type: 'park', name: fixed('院岭文化广场'), where: 'main', size: [90, 70], passes: 4 },
    { type: 'other', name: fixed('院岭快递物流园'), where: 'edge', size: [80, 60], passes: 2 },
  ];
}

function apartmentFloors(rng: Rng): number {
  return rng.weighted([[5, 0.15], [6, 0.4], [7, 0.15], [11, 0.1], [18, 0.12], [26, 0.08]]);
}

export function planPlaces(rng: Rng, j: Jurisdiction, net: Network, seat: XY): Places {
  const townSites: Site[] = [];
  const rowSites: Site[] = [];
  const roadSites: Site[] = [];
  for (const street of net.streets) {
    if (street.hosts === 'town') {
      townSites.push(...sitesAlong(net, street, TOWN_SPACING, 15, () => (street.kind === 'main' ? rng.float(16, 26) : rng.float(10, 18))));
    } else if (street.hosts === 'village_row') {
      rowSites.push(...sitesAlong(net, street, rng.float(17, 20), 7, () => rng.float(9, 13)));
    } else if (street.kind === 'village_road') {
      roadSites.push(...sitesAlong(net, street, 40, 15, () => rng.float(15, 25)));
    }
  }
  for (const s of townSites) s.weight = Math.exp(-dist(s.p, seat) / 1300);

  const buildings: Building[] = [];
  const taken = new PointIndex(60);
  const clear = (p: XY, r: number) => taken.clear(p, r);
  const polygons: XY[][] = [];
  const insidePolygon = (p: XY) => polygons.some((poly) => inConvex(p, poly, 12));

  // Key locations first: the campus outlines then keep housing off their ground.
  const keyLocations: KeyLocationPlan[] = [];
  let policeStation: XY = seat;
  let nightlifeCentre: XY | null = null;
  const villages = rng.shuffle(j.communities.filter((c) => c.kind === 'village'));
  let villageTurn = 0;
  for (const spec of keySpecs(rng)) {
    let candidates: Site[];
    switch (spec.where) {
      case 'main': candidates = townSites.filter((s) => s.street.kind === 'main'); break;
      case 'town': candidates = townSites; break;
      case 'edge': candidates = roadSites.filter((s) => dist(s.p, seat) < 3200); break;
      case 'nightlife': candidates = nightlifeCentre
        ? townSites.filter((s) => dist(s.p, nightlifeCentre!) < 260)
        : townSites.filter((s) => s.street.kind === 'main' && dist(s.p, seat) < 900); break;
      case 'village': {
        const village = villages[villageTurn++ % villages.length]!;
        candidates = rowSites.filter((s) => s.street.community === village);
        break;
      }
    }
    for (let attempt = 0; attempt < 400 && candidates.length > 0; attempt++) {
      const site = rng.pick(candidates);
      const outline = spec.size ? rectangleBehind(site, spec.size[0], spec.size[1]) : null;
      const probe = outline ? [...outline, centroid(outline)] : [site.p];
      const grid = j.locate(site.p, ADDRESS_MARGIN);
      if (!grid || !clear(site.p, outline ? 60 : 25) || insidePolygon(site.p)) continue;
      if (probe.some((p) => j.locate(p, 3) !== grid)) continue;
      const street = site.street.name;
      const name = spec.name({ street, community: grid.community.name, village: grid.community.shortName });
      const building: Building = { kind: 'key', p: site.p, grid, street: site.street, floors: rng.int(1, 4), addresses: [] };
      const text = site.street.hosts === 'village_row'
        ? `${SUBDISTRICT_NAME}${grid.community.name}${site.street.group}组（${name}）`
        : `${SUBDISTRICT_NAME}${grid.community.name}${street}${site.number}号`;
      building.addresses.push({ code: '', text, p: site.p, grid, building, use: 'key', floor: 1 });
      const plan: KeyLocationPlan = {
        code: `ZDBW${String(keyLocations.length + 1).padStart(3, '0')}`,
        name, type: spec.type, p: outline ? centroid(outline) : site.p, outline, grid, passes: spec.passes, building,
      };
      building.key = plan;
      keyLocations.push(plan);
      buildings.push(building);
      taken.push(site.p);
      if (outline) polygons.push(outline);
      if (spec.where === 'nightlife' && !nightlifeCentre) nightlifeCentre = site.p;
      if (name.endsWith('派出所')) policeStation = site.p;
      break;
    }
  }

  // Town buildings, densest near the seat of government, until the town holds its share of addresses.
  const townTarget = rng.int(13_000, 16_000);
  let townAddresses = 0;
  const order = townSites.map((s) => ({ s, key: -Math.log(1 - rng.next()) / s.weight })).sort((a, b) => a.key - b.key);
  for (const { s } of order) {
    if (townAddresses >= townTarget) break;
    const grid = j.locate(s.p, ADDRESS_MARGIN);
    if (!grid || insidePolygon(s.p)) continue;
    const main = s.street.kind === 'main';
    const kind = rng.weighted<BuildingKind>(main
      ? [['shop', 0.42], ['mixed', 0.2], ['apartment', 0.28], ['office', 0.1]]
      : [['apartment', 0.62], ['shop', 0.18], ['bungalow', 0.13], ['mixed', 0.04], ['office', 0.03]]);
    if (!clear(s.p, kind === 'apartment' || kind === 'mixed' ? 30 : 9)) continue;
    const b = townBuilding(rng, j, kind, s, grid);
    buildings.push(b);
    taken.push(s.p);
    townAddresses += b.addresses.length;
  }

  // Village houses: rows of courtyards, numbered through each villager group.
  const byGroup = new Map<StreetPlan, Site[]>();
  for (const s of rowSites) pushTo(byGroup, s.street, s);
  for (const [street, sites] of byGroup) {
    let n = 0;
    for (const s of sites.sort((a, b) => a.chain - b.chain || b.side - a.side)) {
      if (!rng.chance(0.86)) continue;
      const grid = j.locate(s.p, ADDRESS_MARGIN);
      if (!grid || !clear(s.p, 9) || insidePolygon(s.p)) continue;
      n += 1;
      const kind: BuildingKind = rng.chance(0.04) ? 'village_shop' : 'village_house';
      const b: Building = { kind, p: s.p, grid, street, floors: rng.weighted([[1, 0.45], [2, 0.45], [3, 0.1]]), addresses: [] };
      b.addresses.push({ code: '', text: `${SUBDISTRICT_NAME}${grid.community.name}${street.group}组${n}号`, p: s.p, grid, building: b, use: kind === 'village_shop' ? 'shop' : 'home', floor: 1 });
      buildings.push(b);
      taken.push(s.p);
    }
  }

  // A stable order (grid, street, house number) gives readable address codes.
  buildings.sort((a, b) => byText(a.grid.code, b.grid.code) || byText(a.street.code, b.street.code) || byText(a.addresses[0]!.text, b.addresses[0]!.text));
  const addresses = buildings.flatMap((b) => b.addresses);
  addresses.forEach((a, i) => (a.code = `DZ${String(i + 1).padStart(6, '0')}`));

  return { buildings, addresses, keyLocations, jointPoints: planJointPoints(rng, j, net), policeStation };
}

function townBuilding(rng: Rng, j: Jurisdiction, kind: BuildingKind, s: Site, grid: GridPlan): Building {
  const prefix = `${SUBDISTRICT_NAME}${grid.community.name}${s.street.name}${s.number}号`;
  const b: Building = { kind, p: s.p, grid, street: s.street, floors: 1, addresses: [] };
  const add = (suffix: string, use: AddressPlan['use'], floor: number, p = s.p) =>
    b.addresses.push({ code: '', text: prefix + suffix, p: j.locate(p, 1) === grid ? p : s.p, grid, building: b, use, floor });
  const flats = (units: number, fromFloor: number) => {
    for (let unit = 1; unit <= units; unit++) {
      for (let floor = fromFloor; floor <= b.floors; floor++) for (let room = 1; room <= 2; room++) add(`${unit}单元${floor}${String(room).padStart(2, '0')}`, 'home', floor);
    }
  };
  switch (kind) {
    case 'apartment':
      b.floors = apartmentFloors(rng);
      flats(rng.weighted([[1, 0.2], [2, 0.35], [3, 0.3], [4, 0.15]]), 1);
      break;
    case 'mixed': {
      b.floors = rng.int(3, 6);
      const fronts = rng.int(2, 4);
      // Shop fronts line the street on either side of the entrance (附1号, 附2号...).
      for (let k = 1; k <= fronts; k++) add(`附${k}号`, 'shop', 1, [s.p[0] + s.dir[0] * (k - (fronts + 1) / 2) * 4, s.p[1] + s.dir[1] * (k - (fronts + 1) / 2) * 4]);
      flats(rng.int(1, 2), 2);
      break;
    }
    case 'shop':
      b.floors = rng.int(1, 3);
      add('', 'shop', 1);
      break;
    case 'office':
      b.floors = rng.int(3, 9);
      add('', 'office', 1);
      break;
    case 'bungalow':
      b.floors = 1;
      add('', 'home', 1);
      break;
    default:
      throw new Error(`not a town building: ${kind}`);
  }
  return b;
}

/** 2-5 points per grid at street crossings spread over the grid; open country gets field points. */
function planJointPoints(rng: Rng, j: Jurisdiction, net: Network): JointPointPlan[] {
  const out: JointPointPlan[] = [];
  const nodeGrids = net.nodes.map((p) => j.locate(p, 12));
  for (const c of j.communities) {
    let k = 0;
    for (const g of c.grids) {
      const town = c.kind === 'community';
      const count = town ? rng.int(3, 5) : rng.int(2, 4);
      const nodes = net.nodes.filter((_, i) => nodeGrids[i] === g);
      const chosen: XY[] = [];
      // Farthest-point picks spread the points over the grid.
      if (nodes.length > 0) chosen.push(rng.pick(nodes));
      while (chosen.length < count && chosen.length < nodes.length) {
        let best = nodes[0]!;
        let bestD = -1;
        for (const p of nodes) {
          const d = Math.min(...chosen.map((q) => dist(p, q)));
          if (d > bestD) [best, bestD] = [p, d];
        }
        if (bestD < 60) break;
        chosen.push(best);
      }
      for (let tries = 0; chosen.length < count && tries < 500; tries++) {
        const p: XY = [g.site[0] + rng.float(-700, 700), g.site[1] + rng.float(-700, 700)];
        if (j.locate(p, 15) === g && chosen.every((q) => dist(p, q) > 150)) chosen.push(p);
      }
      for (const p of chosen) {
        k += 1;
        const corner: XY = [p[0] + rng.float(-6, 6), p[1] + rng.float(-6, 6)];
        out.push({
          code: `${g.code}-J${chosen.indexOf(p) + 1}`,
          name: `${c.name}${k}号联防点`,
          p: corner,
          grid: g,
          radius: town ? 50 * rng.int(3, 6) : 100 * rng.int(3, 8),
        });
      }
    }
  }
  return out;
}

/** Points bucketed in square cells, for "is anything within r metres" with r up to the cell size. */
class PointIndex {
  private readonly cells = new Map<string, XY[]>();
  constructor(private readonly size: number) {}

  push(p: XY): void {
    const key = `${Math.floor(p[0] / this.size)},${Math.floor(p[1] / this.size)}`;
    const cell = this.cells.get(key);
    if (cell) cell.push(p);
    else this.cells.set(key, [p]);
  }

  clear(p: XY, r: number): boolean {
    const cx = Math.floor(p[0] / this.size);
    const cy = Math.floor(p[1] / this.size);
    for (let dx = -1; dx <= 1; dx++) {
      for (let dy = -1; dy <= 1; dy++) {
        for (const q of this.cells.get(`${cx + dx},${cy + dy}`) ?? []) if (dist(p, q) < r) return false;
      }
    }
    return true;
  }
}

function centroid(poly: XY[]): XY {
  return [poly.reduce((s, p) => s + p[0], 0) / poly.length, poly.reduce((s, p) => s + p[1], 0) / poly.length];
}

/** Inside a convex polygon grown by `pad` metres. */
function inConvex(p: XY, poly: XY[], pad: number): boolean {
  let area2 = 0;
  for (let i = 0; i < poly.length; i++) {
    const a = poly[i]!;
    const b = poly[(i + 1) % poly.length]!;
    area2 += a[0] * b[1] - b[0] * a[1];
  }
  const orientation = Math.sign(area2);
  for (let i = 0; i < poly.length; i++) {
    const a = poly[i]!;
    const b = poly[(i + 1) % poly.length]!;
    const cross = (b[0] - a[0]) * (p[1] - a[1]) - (b[1] - a[1]) * (p[0] - a[0]);
    if (cross * orientation < -pad * dist(a, b)) return false;
  }
  return true;
}
