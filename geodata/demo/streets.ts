import type { CommunityPlan, Jurisdiction } from './jurisdiction.ts';
import { CHINESE_ORDINALS, HAMLET_NAMES, LANES_EW, LANES_NS, MAIN_ROADS_EW, MAIN_ROADS_NS } from './names.ts';
import { dist, lerp, polar, type XY } from './plane.ts';
import type { Rng } from './random.ts';

/**
 * The street network: a slightly wavy lattice of main roads and lanes over the urban communities,
 * a few rows of lanes in each village cluster (自然村), and village roads tying the clusters to the
 * town. Nodes are shared by every street through them, so the network is a graph that patrols can
 * route on.
 */

export interface StreetPlan {
  code: string;
  name: string;
  kind: 'main' | 'lane' | 'village_road';
  nodes: number[];
  /** Chainage of the first node along the whole named street, so house numbers run on across gaps. */
  chain0: number;
  /** Which buildings line the street: town buildings, a village row of houses, or none. */
  hosts: 'town' | 'village_row' | null;
  community: CommunityPlan | null;
  /** Village rows: the 村民小组 (villager group) number of the row. */
  group?: number;
}

export interface Network {
  nodes: XY[];
  adj: { to: number; len: number }[][];
  streets: StreetPlan[];
}

interface Line {
  pos: number;
  main: boolean;
  wobble: (t: number) => number;
}

function lines(rng: Rng, extent: number, mainGap: [number, number], laneGap: number): Line[] {
  const mains: number[] = [rng.float(-120, 120)];
  while (mains[mains.length - 1]! < extent) mains.push(mains[mains.length - 1]! + rng.float(...mainGap));
  while (mains[0]! > -extent) mains.unshift(mains[0]! - rng.float(...mainGap));
  const wobble = (amp: number) => {
    const a = rng.float(0, amp);
    const w = rng.float(150, 420);
    const ph = rng.float(0, 2 * Math.PI);
    return (t: number) => a * Math.sin(t / w + ph);
  };
  const out: Line[] = [];
  mains.forEach((m, i) => {
    out.push({ pos: m, main: true, wobble: wobble(5) });
    const next = mains[i + 1];
    if (next === undefined) return;
    const lanes = Math.max(0, Math.round((next - m) / laneGap) - 1);
    for (let k = 1; k <= lanes; k++) out.push({ pos: m + ((next - m) * k) / (lanes + 1) + rng.float(-12, 12), main: false, wobble: wobble(9) });
  });
  return out;
}

export function planStreets(rng: Rng, j: Jurisdiction): Network {
  const nodes: XY[] = [];
  const adj: { to: number; len: number }[][] = [];
  const streets: StreetPlan[] = [];
  const addNode = (p: XY) => {
    nodes.push(p);
    adj.push([]);
    return nodes.length - 1;
  };
  const link = (a: number, b: number) => {
    const len = dist(nodes[a]!, nodes[b]!);
    adj[a]!.push({ to: b, len });
    adj[b]!.push({ to: a, len });
  };
  const addStreet = (s: Omit<StreetPlan, 'code'>) => {
    for (let i = 1; i < s.nodes.length; i++) link(s.nodes[i - 1]!, s.nodes[i]!);
    streets.push({ code: `ST-${String(streets.length + 1).padStart(3, '0')}`, ...s });
  };

  // Town lattice, turned to follow the valley.
  const urban = j.communities.filter((c) => c.kind === 'community');
  const angle = rng.float(0.15, 0.45);
  const u: XY = [Math.cos(angle), Math.sin(angle)];
  const v: XY = [-Math.sin(angle), Math.cos(angle)];
  let extent = 0;
  for (const c of urban) for (const pg of c.geom) for (const p of pg[0]!) extent = Math.max(extent, Math.hypot(p[0], p[1]) + 150);
  const us = lines(rng, extent, [430, 580], 150);
  const vs = lines(rng, extent, [430, 580], 150);
  const at = (a: Line, b: Line): XY => {
    const s = a.pos + b.wobble(a.pos);
    const t = b.pos + a.wobble(b.pos);
    return [s * u[0] + t * v[0], s * u[1] + t * v[1]];
  };
  const grid: (number | null)[][] = us.map((a) =>
    vs.map((b) => {
      const p = at(a, b);
      const c = j.communityAt(p, 20);
      return c && c.kind === 'community' ? addNode(p) : null;
    }),
  );
  const mainNames = { ns: rng.shuffle(MAIN_ROADS_NS.slice()), ew: rng.shuffle(MAIN_ROADS_EW.slice()) };
  const laneNames = { ns: rng.shuffle(LANES_NS.slice()), ew: rng.shuffle(LANES_EW.slice()) };
  const extraLanes = new Map<string, number>();
  // A lattice line becomes one named street, split wherever a lane segment is missing.
  const runLine = (ids: (number | null)[], line: Line, dir: 'ns' | 'ew', lastMain: string) => {
    const pool = line.main ? mainNames[dir] : laneNames[dir];
    let name = pool.shift();
    if (name === undefined) {
      // Out of lane names: number the lane after the main road it branches from (建设路二巷).
      const n = (extraLanes.get(lastMain) ?? 0) + 1;
      extraLanes.set(lastMain, n);
      name = `${lastMain}${CHINESE_ORDINALS[n - 1] ?? n}巷`;
    }
    let run: number[] = [];
    let chain = 0;
    let chainStart = 0;
    const flush = () => {
      if (run.length >= 2) {
        const community = j.communityAt(nodes[run[Math.floor(run.length / 2)]!]!, 0);
        addStreet({ name, kind: line.main ? 'main' : 'lane', nodes: run, chain0: chainStart, hosts: 'town', community });
      }
      run = [];
    };
    let prev: number | null = null;
    for (const id of ids) {
      if (id !== null && prev !== null) chain += dist(nodes[prev]!, nodes[id]!);
      const keep = id !== null && prev !== null && (line.main || rng.chance(0.9));
      if (!keep) flush();
      if (id !== null) {
        if (run.length === 0) chainStart = chain;
        run.push(id);
      }
      prev = id;
    }
    flush();
    return line.main ? name : lastMain;
  };
  let lastMain = mainNames.ns[0]!;
  us.forEach((line, i) => (lastMain = runLine(grid[i]!, line, 'ns', lastMain)));
  lastMain = mainNames.ew[0]!;
  vs.forEach((line, k) => (lastMain = runLine(grid.map((row) => row[k]!), line, 'ew', lastMain)));
  const townNodes = nodes.map((_, i) => i);

  // Village clusters: rows of houses along east-west lanes (村民小组), short lanes between them.
  const hamlets = rng.shuffle(HAMLET_NAMES.slice());
  const connected: number[] = townNodes.slice();
  for (const village of j.communities.filter((c) => c.kind === 'village')) {
    // The main settlement at the village centre, and a hamlet (自然村) in each of its other grids.
    const centres: { p: XY; name: string; main: boolean }[] = [];
    const home = j.locate(village.site, 0)?.number ?? 1;
    for (const g of village.grids) {
      const main = g.number === home;
      const anchor = main ? village.site : g.site;
      for (let tries = 0; tries < 200; tries++) {
        const p = polar(anchor, rng.float(0, tries < 100 ? 150 : 350), rng.float(0, 2 * Math.PI));
        if (j.communityAt(p, main ? 200 : 130) !== village || centres.some((c) => dist(c.p, p) < 380)) continue;
        centres.push({ p, name: main ? village.shortName : hamlets.shift() ?? `${village.shortName}${CHINESE_ORDINALS[centres.length]}队`, main });
        break;
      }
    }
    centres.sort((a, b) => Number(b.main) - Number(a.main));
    let group = 0;
    for (const centre of centres) {
      const theta = rng.float(-0.25, 0.25);
      const ax: XY = [Math.cos(theta), Math.sin(theta)];
      const ay: XY = [-Math.sin(theta), Math.cos(theta)];
      const rows = centre.main ? rng.int(5, 7) : rng.int(2, 4);
      const cols = centre.main ? rng.int(5, 7) : rng.int(3, 5);
      const rowGap = rng.float(55, 75);
      const colGap = rng.float(65, 90);
      const ids: (number | null)[][] = [];
      for (let r = 0; r < rows; r++) {
        const row: (number | null)[] = [];
        for (let c = 0; c < cols; c++) {
          const dx = (c - (cols - 1) / 2) * colGap + rng.float(-6, 6);
          const dy = (r - (rows - 1) / 2) * rowGap + rng.float(-5, 5);
          const p: XY = [centre.p[0] + dx * ax[0] + dy * ay[0], centre.p[1] + dx * ax[1] + dy * ay[1]];
          row.push(j.communityAt(p, 25) === village ? addNode(p) : null);
        }
        ids.push(row);
      }
      const clusterNodes = ids.flat().filter((x): x is number => x !== null);
      if (clusterNodes.length < 2) continue;
      // Rows run north (back) to south (front); groups are numbered through the whole village.
      for (let r = rows - 1; r >= 0; r--) {
        const run = ids[r]!.filter((x): x is number => x !== null);
        if (run.length < 2) continue;
        group += 1;
        addStreet({ name: `${centre.name}${CHINESE_ORDINALS[rows - 1 - r]}街`, kind: 'lane', nodes: run, chain0: 0, hosts: 'village_row', community: village, group });
      }
      for (let c = 0; c < cols; c++) {
        const col = ids.map((row) => row[c]!).filter((x): x is number => x !== null);
        if (col.length >= 2 && rng.chance(0.8)) addStreet({ name: `${centre.name}${CHINESE_ORDINALS[c]}巷`, kind: 'lane', nodes: col, chain0: 0, hosts: null, community: village });
      }
      // A road from the cluster to the nearest point already on the network that a road can reach.
      const pairs: [number, number, number][] = [];
      for (const a of clusterNodes) for (const b of connected) pairs.push([dist(nodes[a]!, nodes[b]!), a, b]);
      pairs.sort((x, y) => x[0] - y[0]);
      for (const [, a, b] of pairs.slice(0, 60)) {
        const road = villageRoad(rng, j, nodes[a]!, nodes[b]!);
        if (!road) continue;
        addStreet({ name: `${centre.name}路`, kind: 'village_road', nodes: [a, ...road.map(addNode), b], chain0: 0, hosts: null, community: village });
        break;
      }
      connected.push(...clusterNodes);
    }
  }
  return { nodes, adj, streets };
}

/** Intermediate points of a gently curving road from a to b, or null if it would leave the sub-district. */
function villageRoad(rng: Rng, j: Jurisdiction, a: XY, b: XY): XY[] | null {
  const len = dist(a, b);
  const steps = Math.max(1, Math.round(len / 120));
  for (const amp of [rng.float(10, 45), 0]) {
    const phase = rng.chance(0.5) ? 1 : -1;
    const nx = -(b[1] - a[1]) / len;
    const ny = (b[0] - a[0]) / len;
    const pts: XY[] = [];
    for (let k = 1; k < steps; k++) {
      const t = k / steps;
      const off = phase * amp * Math.sin(Math.PI * t);
      const p = lerp(a, b, t);
      pts.push([p[0] + nx * off, p[1] + ny * off]);
    }
    if (pts.every((p) => j.communityAt(p, 5) !== null)) return pts;
  }
  return null;
}
