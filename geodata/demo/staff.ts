import { mobile } from './identity.ts';
import type { CommunityPlan, GridPlan, Jurisdiction } from './jurisdiction.ts';
import { SUBDISTRICT_CODE } from './jurisdiction.ts';
import { personName, VOLUNTEER_KINDS } from './names.ts';
import { pushTo } from './order.ts';
import type { JointPointPlan } from './places.ts';
import type { Rng } from './random.ts';
import { DAY, localDate, localMidnight } from './time.ts';
import type { AssignmentRole, DemoAssignment, DemoDevice, DemoStaff } from './types.ts';

/**
 * Who works the grid, and since when: the 警网融合中心 command, a workstation chief per community,
 * "一村（格）一警" (a police officer per community, an auxiliary officer per grid), a grid leader and
 * full-time grid workers per grid, volunteers at the joint-defense points, and two analysts. Some
 * grid workers and auxiliary officers leave during the year and are replaced, so assignments carry
 * history.
 */

interface Duty {
  staff: DemoStaff;
  role: AssignmentRole;
  from: number;
  to: number;
}

export interface Roster {
  staff: DemoStaff[];
  assignments: DemoAssignment[];
  devices: DemoDevice[];
  command: DemoStaff[];
  /** The police station chief: command role, and a police officer. */
  chief: DemoStaff;
  /** Staff whose assignments cover `grid` at time t, in the given roles. */
  on(grid: GridPlan, t: number, roles: readonly AssignmentRole[]): DemoStaff[];
  stationChief(community: CommunityPlan): DemoStaff;
}

export function planRoster(rng: Rng, j: Jurisdiction, jointPoints: JointPointPlan[], nowMs: number): Roster {
  const staff: DemoStaff[] = [];
  const assignments: DemoAssignment[] = [];
  const devices: DemoDevice[] = [];
  const byGrid = new Map<GridPlan, Duty[]>();
  const chiefs = new Map<CommunityPlan, Duty[]>();
  const counters = new Map<string, number>();
  const start = localMidnight(nowMs - rng.int(400, 450) * DAY);

  const person = (prefix: string, width: number, kind: DemoStaff['kind'], org: DemoStaff['org'], title: string, male: number): DemoStaff => {
    const n = (counters.get(prefix) ?? 0) + 1;
    counters.set(prefix, n);
    const gender = rng.chance(male) ? 'M' : 'F';
    const born = kind === 'volunteer' ? rng.int(1950, 2002) : rng.int(1968, 1999);
    const s: DemoStaff = { code: `${prefix}${String(n).padStart(width, '0')}`, name: personName(rng, gender, born), gender, phone: mobile(rng), org, kind, title, active: true };
    staff.push(s);
    return s;
  };
  const assign = (s: DemoStaff, role: AssignmentRole, scope: DemoAssignment['scope'], grids: GridPlan[], from: number, to: number | null) => {
    assignments.push({ staffCode: s.code, role, scope, startsOn: localDate(from), endsOn: to === null ? null : localDate(to - DAY) });
    const duty: Duty = { staff: s, role, from, to: to ?? Infinity };
    for (const g of grids) pushTo(byGrid, g, duty);
    return duty;
  };
  const device = (s: DemoStaff, kind: DemoDevice['kind']) => {
    const d: DemoDevice = { code: `ZD-${String(devices.length + 1).padStart(3, '0')}`, kind, staffCode: s.code, active: true };
    devices.push(d);
    return d;
  };

  const sub = { kind: 'subdistrict' as const, code: SUBDISTRICT_CODE };
  const command = [
    person('ZX', 2, 'cadre', 'subdistrict', '党工委书记（警网融合中心主任）', 0.7),
    person('ZX', 2, 'cadre', 'subdistrict', '政法委员（警网融合中心副主任）', 0.7),
    person('ZX', 2, 'police', 'police_station', '派出所所长（警网融合中心副主任）', 0.9),
  ];
  for (const s of command) assign(s, 'command', sub, j.grids, start, null);
  const chief = command[2]!;
  for (const org of ['police_station', 'subdistrict'] as const) assign(person('YP', 2, 'analyst', org, '研判人员', 0.5), 'analyst', sub, [], start, null);

  for (const c of j.communities) {
    const s = person('ZZ', 2, 'cadre', 'community', `${c.name}党支部书记（警网融合工作站站长）`, 0.75);
    chiefs.set(c, [assign(s, 'station_chief', { kind: 'community', code: c.code }, c.grids, start, null)]);
  }

  // 一村一警: every urban community has its own officer; villages share one between neighbours.
  const urban = j.communities.filter((c) => c.kind === 'community');
  const villages = j.communities.filter((c) => c.kind === 'village');
  const beats: CommunityPlan[][] = [...urban.map((c) => [c])];
  for (let i = 0; i < villages.length; i += 2) beats.push(villages.slice(i, i + 2));
  for (const beat of beats) {
    const s = person('MJ', 2, 'police', 'police_station', `社区民警（${beat.map((c) => c.name).join('、')}工作站副站长）`, 0.85);
    for (const c of beat) assign(s, 'police', { kind: 'community', code: c.code }, c.grids, start, null);
    device(s, 'bodycam');
  }
  device(chief, 'vehicle');

  // 一格一警: auxiliary officers, each answering for a run of up to four grids of one community.
  const auxDuties: { grids: GridPlan[]; staff: DemoStaff }[] = [];
  for (const c of j.communities) {
    for (let i = 0; i < c.grids.length; i += 4) {
      const grids = c.grids.slice(i, i + 4);
      const s = person('FJ', 2, 'aux_police', 'police_station', '辅警', 0.8);
      auxDuties.push({ grids, staff: s });
    }
  }
  const leaving = (p: number) => (rng.chance(p) ? localMidnight(nowMs - rng.float(30, 330) * DAY) : null);
  for (const { grids, staff: s } of auxDuties) {
    const left = leaving(0.08);
    for (const g of grids) assign(s, 'aux_police', { kind: 'grid', code: g.code }, [g], start, left);
    device(s, urban.includes(grids[0]!.community) && rng.chance(0.2) ? 'ebike' : 'handheld');
    if (left !== null) {
      s.active = false;
      devices[devices.length - 1]!.active = false;
      const next = person('FJ', 2, 'aux_police', 'police_station', '辅警', 0.8);
      for (const g of grids) assign(next, 'aux_police', { kind: 'grid', code: g.code }, [g], left, null);
      device(next, 'handheld');
    }
  }

  for (const g of j.grids) {
    const village = g.community.kind === 'village';
    const leader = person('WGZ', 3, village ? 'cadre' : 'grid_worker', 'community', '网格长（警务助理）', village ? 0.7 : 0.45);
    assign(leader, 'grid_leader', { kind: 'grid', code: g.code }, [g], start, null);
    for (let k = village ? rng.int(1, 2) : rng.int(2, 3); k > 0; k--) {
      const w = person('WGY', 3, 'grid_worker', 'community', '专职网格员', 0.4);
      const left = leaving(0.08);
      assign(w, 'grid_worker', { kind: 'grid', code: g.code }, [g], start, left);
      if (left !== null) {
        w.active = false;
        assign(person('WGY', 3, 'grid_worker', 'community', '专职网格员', 0.4), 'grid_worker', { kind: 'grid', code: g.code }, [g], left, null);
      }
    }
  }
  for (const jp of jointPoints) {
    for (let k = rng.int(1, 3); k > 0; k--) {
      const v = person('ZYZ', 4, 'volunteer', 'volunteer', rng.pick(VOLUNTEER_KINDS), 0.5);
      assign(v, 'part_time', { kind: 'joint_point', code: jp.code }, [jp.grid], start + rng.int(0, 200) * DAY, null);
    }
  }

  return {
    staff,
    assignments,
    devices,
    command,
    chief,
    on(grid, t, roles) {
      const out: DemoStaff[] = [];
      for (const d of byGrid.get(grid) ?? []) if (d.from <= t && t < d.to && roles.includes(d.role)) out.push(d.staff);
      return out;
    },
    stationChief(community) {
      return chiefs.get(community)![0]!.staff;
    },
  };
}
