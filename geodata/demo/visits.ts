import type { GridPlan } from './jurisdiction.ts';
import { byText, pushTo } from './order.ts';
import type { AddressPlan, Building, Places } from './places.ts';
import type { Frame, XY } from './plane.ts';
import { polar, round7 } from './plane.ts';
import { SECURITY_CATEGORIES, type PersonPlan, type Population } from './population.ts';
import type { Rng } from './random.ts';
import type { Roster } from './staff.ts';
import { DAY, iso, localMidnight, localWeekday } from './time.ts';
import type { DemoStaff, DemoVisit, DemoVisitParticipant } from './types.ts';

/**
 * A year of 走访 (visits) with the gaps real data has. Grid workers go door to door through a
 * building about every six months for general addresses; key and attention addresses get joint
 * visits by a police or auxiliary officer with a grid worker every 30/60 days; persons of concern
 * every 7/30/90 days by control level. Lagging grids visit late and skip doors, some fixes are taken
 * away from the address (> 100 m), and some joint visits happen without the police.
 */

const CYCLE_DAYS = { general: 180, key: 30, attention: 60 } as const;
const LEVEL_CYCLE_DAYS = { 1: 7, 2: 30, 3: 90 } as const;

const NOTES = {
  general: ['入户走访，核实人员信息', '采集更新一标三实信息', '宣传反诈知识', '发放安全用电宣传单', '了解居民诉求'],
  key: ['民辅警与网格员联合走访，核查出租屋登记', '检查消防安全，提醒规范充电', '核实流动人口居住登记', '联合走访，排查治安隐患'],
  attention: ['关注类地址联合走访，了解生活状况', '上门了解家庭情况，登记诉求'],
  care: ['上门探望，了解生活与就医情况', '送去慰问品，检查用火用电安全', '帮助联系救助政策'],
  security: ['见面谈话，掌握近期思想动态', '了解诉求，做好稳控工作', '督促按时报到，开展教育谈话'],
};

interface Draft {
  at: number;
  address: AddressPlan;
  person: PersonPlan | null;
  notes: string;
  /** The grid worker first: the visit's own fix is theirs. */
  visitors: DemoStaff[];
  offsite: boolean;
  apart: boolean;
}

export interface VisitHistory {
  visits: DemoVisit[];
  participants: DemoVisitParticipant[];
}

/** Office hours on a working day near t (weekends now and then). */
function workingTime(rng: Rng, t: number): number {
  let day = localMidnight(t);
  const dow = localWeekday(day);
  if ((dow === 0 || dow === 6) && rng.chance(0.8)) day += (dow === 6 ? -1 : 1) * DAY;
  const minutes = rng.chance(0.55) ? rng.float(8.5 * 60, 11.5 * 60) : rng.float(14.5 * 60, 17.5 * 60);
  return day + minutes * 60_000;
}

export function planVisits(
  rng: Rng, frame: Frame, places: Places, population: Population, roster: Roster,
  performance: Map<GridPlan, number>, nowMs: number,
): VisitHistory {
  const start = nowMs - 365 * DAY;
  const drafts: Draft[] = [];
  const perf = (g: GridPlan) => performance.get(g) ?? 1;
  const gridWorker = (g: GridPlan, t: number) => {
    const list = roster.on(g, t, ['grid_worker', 'grid_leader']);
    return list.length > 0 ? rng.pick(list) : null;
  };
  const officer = (g: GridPlan, t: number) => {
    const list = roster.on(g, t, ['aux_police', 'police']);
    return list.length > 0 ? rng.pick(list) : null;
  };
  /** Visit times through the window: on cycle in good grids, late and patchy in lagging ones. */
  const schedule = (cycleDays: number, p: number, from: number, to: number): number[] => {
    const times: number[] = [];
    const cycle = cycleDays * DAY;
    for (let t = from - rng.float(0, cycle); t < to; t += cycle * (p > 0.8 ? rng.float(0.7, 1.0) : rng.float(0.85, 1.7))) {
      if (t >= from) times.push(workingTime(rng, t));
    }
    return times.filter((t) => t >= from && t < to);
  };
  const quirks = (g: GridPlan) => ({ offsite: rng.chance(0.015 + (1 - perf(g)) * 0.12), apart: rng.chance(0.03 + (1 - perf(g)) * 0.1) });

  // General addresses: one door-to-door round per building per cycle.
  const general = new Map<Building, AddressPlan[]>();
  for (const a of places.addresses) {
    if (population.state.get(a)!.category === 'general') pushTo(general, a.building, a);
  }
  for (const [b, addresses] of general) {
    const p = perf(b.grid);
    for (const round of schedule(CYCLE_DAYS.general, p, start, nowMs)) {
      let worker = gridWorker(b.grid, round);
      // Now and then someone from the next grid fills in, without an assignment covering this one.
      if (rng.chance(0.01)) {
        const other = b.grid.community.grids.find((g) => g !== b.grid);
        if (other) worker = gridWorker(other, round) ?? worker;
      }
      if (!worker) continue;
      let t = round;
      for (const a of addresses) {
        if (!rng.chance(0.72 + 0.26 * p)) continue;
        t += rng.float(4, 12) * 60_000;
        if (t >= nowMs) break;
        drafts.push({ at: t, address: a, person: null, notes: rng.pick(NOTES.general), visitors: [worker], offsite: rng.chance(0.01 + (1 - p) * 0.08), apart: false });
      }
    }
  }

  // Key and attention addresses: joint visits.
  for (const a of places.addresses) {
    const category = population.state.get(a)!.category;
    if (category === 'general') continue;
    for (const t of schedule(CYCLE_DAYS[category], perf(a.grid), start, nowMs)) {
      const worker = gridWorker(a.grid, t);
      const police = officer(a.grid, t);
      if (!worker) continue;
      const withPolice = police && !rng.chance(0.04 + (1 - perf(a.grid)) * 0.3);
      drafts.push({ at: t, address: a, person: null, notes: rng.pick(NOTES[category]), visitors: withPolice ? [worker, police] : [worker], ...quirks(a.grid) });
    }
  }

  // Persons of concern, by control level, while they are on the list.
  for (const person of population.persons) {
    const g = person.address.grid;
    const from = Math.max(start, Date.parse(`${person.row.since}T00:00:00+08:00`));
    const to = person.row.until ? Math.min(nowMs, Date.parse(`${person.row.until}T00:00:00+08:00`) + DAY) : nowMs;
    const security = SECURITY_CATEGORIES.has(person.row.category);
    for (const t of schedule(LEVEL_CYCLE_DAYS[person.row.controlLevel], perf(g), from, to)) {
      const worker = gridWorker(g, t);
      if (!worker) continue;
      const police = security || (person.row.controlLevel === 1 && rng.chance(0.3)) ? officer(g, t) : null;
      drafts.push({
        at: t, address: person.address, person, notes: rng.pick(security ? NOTES.security : NOTES.care),
        visitors: police && !rng.chance(0.05) ? [worker, police] : [worker], ...quirks(g),
      });
    }
  }

  drafts.sort((a, b) => a.at - b.at || byText(a.address.code, b.address.code));
  const visits: DemoVisit[] = [];
  const participants: DemoVisitParticipant[] = [];
  const fix = (p: XY): [number, number] => {
    const [lon, lat] = frame.toLonLat(p);
    return [round7(lon), round7(lat)];
  };
  drafts.forEach((d, i) => {
    const clientId = `YL-V${String(i + 1).padStart(7, '0')}`;
    // Off-site visits are logged from somewhere else (the workstation, the road), 150-700 m away.
    const at: XY = d.offsite ? polar(d.address.p, rng.float(150, 700), rng.float(0, 2 * Math.PI)) : polar(d.address.p, Math.abs(rng.normal()) * 12, rng.float(0, 2 * Math.PI));
    const visitFix = rng.chance(0.005) ? null : fix(at);
    visits.push({ clientId, addressCode: d.address.code, personCode: d.person?.row.code ?? null, visitedAt: iso(d.at), lon: visitFix?.[0] ?? null, lat: visitFix?.[1] ?? null, notes: d.notes });
    d.visitors.forEach((s, k) => {
      if (rng.chance(0.01)) {
        participants.push({ visitClientId: clientId, staffCode: s.code, lon: null, lat: null, fixedAt: null });
        return;
      }
      // The second visitor's fix: normally beside the first; "apart" ones are far off or much later.
      const far = k > 0 && d.apart && rng.chance(0.5);
      const late = k > 0 && d.apart && !far;
      const p = k === 0 && visitFix ? at : polar(far ? d.address.p : at, far ? rng.float(200, 600) : Math.abs(rng.normal()) * 10, rng.float(0, 2 * Math.PI));
      const [lon, lat] = k === 0 && visitFix ? visitFix : fix(p);
      const dt = late ? rng.float(40, 120) * 60_000 : rng.float(-3, 6) * 60_000;
      participants.push({ visitClientId: clientId, staffCode: s.code, lon, lat, fixedAt: iso(Math.min(nowMs - 1000, d.at + dt)) });
    });
  });
  return { visits, participants };
}
