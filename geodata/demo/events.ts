import type { CommunityPlan, GridPlan, Jurisdiction } from './jurisdiction.ts';
import { citizenName } from './names.ts';
import { pushTo } from './order.ts';
import type { AddressPlan, KeyLocationPlan, Places } from './places.ts';
import type { Frame, XY } from './plane.ts';
import { polar, round7 } from './plane.ts';
import type { Population } from './population.ts';
import type { Rng } from './random.ts';
import type { Roster } from './staff.ts';
import type { Network } from './streets.ts';
import { DAY, HOUR, iso, localDate, localHour, localMidnight, localMonth, localWeekday } from './time.ts';
import type { DemoEvent, DemoEventLog, DemoStaff, DemoSupportRequest, EventState, EventType, KeyLocationType } from './types.ts';

/**
 * A year of 动态事件 and their closed loop. Each kind of event has its own hours, weekdays,
 * seasons and places: thefts by the markets in the morning, fights outside the KTV on Friday and
 * Saturday nights, land disputes in a few villages at planting and harvest, wage disputes before
 * the Spring Festival, straw burning in June and October. Every transition is logged, from the
 * report to closure; recent events are still open, a few old ones are stuck and overdue.
 */

// The default deadlines of config `event.deadline_hours` (migration 00001), hours by severity 1-4.
const DEADLINE_HOURS: Record<EventType, [number, number, number, number]> = {
  public_security: [72, 48, 24, 4],
  dispute: [24, 24, 12, 4],
  hazard: [168, 72, 24, 4],
  service_request: [168, 72, 48, 24],
  support_request: [1, 1, 1, 1],
};
const GENERAL_DISPUTE_HOURS = 24;

// Spring Festival (lunar new year) dates: wage disputes peak before it, family disputes around it.
const SPRING_FESTIVAL: Record<number, string> = {
  2020: '01-25', 2021: '02-12', 2022: '02-01', 2023: '01-22', 2024: '02-10', 2025: '01-29', 2026: '02-17', 2027: '02-06',
  2028: '01-26', 2029: '02-13', 2030: '02-03', 2031: '01-23', 2032: '02-11', 2033: '01-31', 2034: '02-19', 2035: '02-08',
};

function daysToSpringFestival(dayMs: number): number {
  const year = Number(localDate(dayMs).slice(0, 4));
  let best = Infinity;
  for (const y of [year, year + 1]) {
    const sf = Date.parse(`${y}-${SPRING_FESTIVAL[y] ?? '02-05'}T00:00:00+08:00`);
    const d = (sf - dayMs) / DAY;
    if (Math.abs(d) < Math.abs(best)) best = d;
  }
  return best;
}

type HourProfile = number[];
const hours = (peaks: [number, number, number][], floor = 0.05): HourProfile =>
  Array.from({ length: 24 }, (_, h) => floor + peaks.reduce((s, [at, width, w]) => {
    const d = ((h - at + 36) % 24) - 12; // circular distance in hours
    return s + w * Math.exp(-(d * d) / (2 * width * width));
  }, 0));
const OFFICE = hours([[10, 1.5, 1], [15.5, 1.8, 0.9]], 0.02);
const DAYTIME = hours([[10, 2.5, 1], [16, 2.5, 0.9], [20, 1.5, 0.4]], 0.03);
const NIGHT = hours([[22.5, 2, 1], [1, 1.5, 0.6]], 0.02);
const EVENING = hours([[20.5, 2, 1], [15, 2, 0.3]], 0.03);
const MARKET = hours([[8.5, 1.5, 1], [18, 1.5, 0.6]], 0.05);
const RUSH = hours([[8, 1, 1], [17.8, 1.2, 1], [12.5, 2, 0.4]], 0.04);
const AFTERNOON = hours([[14, 2.5, 1], [19, 1.5, 0.5]], 0.03);

const WEEKDAYS = [0.8, 1.1, 1.1, 1.1, 1.1, 1.05, 0.8];
const WEEKEND_NIGHTS = [1.2, 0.8, 0.8, 0.85, 0.95, 1.6, 1.7];
const FLAT = [1, 1, 1, 1, 1, 1, 1];

type Place =
  | { kind: 'hotspot'; types: KeyLocationType[]; sigma: number; else: Place }
  | { kind: 'address'; filter: (a: AddressPlan) => boolean; weight?: (a: AddressPlan) => number }
  | { kind: 'crossing' };

interface Kind {
  type: EventType;
  subtype: string | null;
  share: number;
  hours: HourProfile;
  weekdays: number[];
  season?: (dayMs: number) => number;
  place: Place;
  severity: [number, number, number, number];
  titles: string[];
}

const month = (dayMs: number) => localMonth(dayMs);

function kinds(isTown: (a: AddressPlan) => boolean, landVillages: Set<CommunityPlan>, elderly: Set<AddressPlan>): Kind[] {
  const home = (a: AddressPlan) => a.use === 'home';
  const townHome = (a: AddressPlan) => home(a) && isTown(a);
  const villageHome = (a: AddressPlan) => home(a) && !isTown(a);
  const anyTown: Place = { kind: 'address', filter: isTown };
  return [
    { type: 'public_security', subtype: 'theft', share: 0.09, hours: MARKET, weekdays: [1.2, 1, 1, 1, 1, 1.05, 1.25],
      place: { kind: 'hotspot', types: ['market', 'station', 'bank', 'nightlife', 'hospital'], sigma: 70, else: { kind: 'address', filter: townHome } },
      severity: [0.55, 0.3, 0.12, 0.03], titles: ['{p}电动车被盗', '{p}手机被盗', '{p}电瓶被盗', '{p}店铺夜间被撬'] },
    { type: 'public_security', subtype: 'fraud', share: 0.045, hours: OFFICE, weekdays: WEEKDAYS,
      place: { kind: 'address', filter: (a) => elderly.has(a) },
      severity: [0.4, 0.35, 0.2, 0.05], titles: ['{p}居民疑遭冒充客服电信诈骗', '{p}老人疑遭保健品诈骗', '{p}居民遭遇刷单返利诈骗'] },
    { type: 'public_security', subtype: 'fight', share: 0.045, hours: NIGHT, weekdays: WEEKEND_NIGHTS,
      season: (d) => ([6, 7, 8].includes(month(d)) ? 1.4 : 1),
      place: { kind: 'hotspot', types: ['nightlife'], sigma: 45, else: anyTown },
      severity: [0.25, 0.4, 0.25, 0.1], titles: ['{p}酒后斗殴', '{p}顾客发生肢体冲突', '{p}门前打架'] },
    { type: 'public_security', subtype: 'disorder', share: 0.03, hours: EVENING, weekdays: WEEKEND_NIGHTS,
      place: { kind: 'hotspot', types: ['nightlife', 'nightlife', 'market', 'park'], sigma: 60, else: anyTown },
      severity: [0.5, 0.35, 0.12, 0.03], titles: ['{p}噪音扰民', '{p}醉酒滋事', '{p}聚众喧哗'] },
    { type: 'public_security', subtype: 'other', share: 0.01, hours: EVENING, weekdays: FLAT,
      place: anyTown, severity: [0.6, 0.3, 0.1, 0], titles: ['{p}可疑人员徘徊', '{p}发现走失老人'] },

    { type: 'dispute', subtype: 'neighbour', share: 0.085, hours: DAYTIME, weekdays: [1.2, 1, 1, 1, 1, 1, 1.2],
      season: (d) => (Math.abs(daysToSpringFestival(d)) < 15 ? 1.6 : 1),
      place: { kind: 'address', filter: townHome },
      severity: [0.55, 0.32, 0.1, 0.03], titles: ['{p}楼上漏水引发邻里纠纷', '{p}楼道堆物引发邻里矛盾', '{p}宠物扰民纠纷', '{p}停车位占用纠纷'] },
    { type: 'dispute', subtype: 'marriage', share: 0.055, hours: EVENING, weekdays: FLAT,
      season: (d) => (Math.abs(daysToSpringFestival(d)) < 20 ? 1.8 : 1),
      place: { kind: 'address', filter: home },
      severity: [0.4, 0.35, 0.18, 0.07], titles: ['{p}夫妻感情不和引发家庭纠纷', '{p}离婚财产分割纠纷', '{p}婚约彩礼返还纠纷'] },
    { type: 'dispute', subtype: 'economic', share: 0.055, hours: DAYTIME, weekdays: WEEKDAYS,
      place: { kind: 'address', filter: (a) => a.use === 'shop' || home(a) },
      severity: [0.45, 0.35, 0.15, 0.05], titles: ['{p}民间借贷纠纷', '{p}房屋租赁押金纠纷', '{p}装修款结算纠纷', '{p}买卖合同纠纷'] },
    { type: 'dispute', subtype: 'land', share: 0.04, hours: DAYTIME, weekdays: FLAT,
      season: (d) => ([3, 4, 9, 10].includes(month(d)) ? 2.5 : 1),
      place: { kind: 'address', filter: villageHome, weight: (a) => (landVillages.has(a.grid.community) ? 8 : 1) },
      severity: [0.3, 0.4, 0.22, 0.08], titles: ['{p}宅基地边界纠纷', '{p}承包地界址纠纷', '{p}土地流转租金纠纷'] },
    { type: 'dispute', subtype: 'labour', share: 0.03, hours: OFFICE, weekdays: WEEKDAYS,
      season: (d) => { const s = daysToSpringFestival(d); return s > 0 && s < 60 ? 3 : 1; },
      place: { kind: 'hotspot', types: ['factory', 'other'], sigma: 120, else: { kind: 'address', filter: (a) => a.use === 'office' || a.use === 'shop' } },
      severity: [0.3, 0.4, 0.2, 0.1], titles: ['{p}拖欠农民工工资', '{p}务工人员工伤赔偿纠纷', '{p}解除劳动合同纠纷'] },
    { type: 'dispute', subtype: 'other', share: 0.015, hours: DAYTIME, weekdays: FLAT,
      place: { kind: 'address', filter: home }, severity: [0.5, 0.35, 0.12, 0.03], titles: ['{p}遗产继承纠纷', '{p}赡养老人纠纷'] },

    { type: 'hazard', subtype: 'fire', share: 0.065, hours: AFTERNOON, weekdays: FLAT,
      season: (d) => ([6, 10].includes(month(d)) ? 2.5 : [12, 1, 2].includes(month(d)) ? 1.5 : 1),
      place: { kind: 'address', filter: home, weight: (a) => (isTown(a) ? 1 : 3) },
      severity: [0.35, 0.35, 0.2, 0.1], titles: ['{p}电动车楼道充电隐患', '{p}飞线充电隐患', '{p}消防通道堵塞', '{p}秸秆焚烧', '{p}柴草堆放隐患'] },
    { type: 'hazard', subtype: 'traffic', share: 0.065, hours: RUSH, weekdays: WEEKDAYS, place: { kind: 'crossing' },
      severity: [0.4, 0.35, 0.18, 0.07], titles: ['{p}路口信号灯故障', '{p}路面坑洼', '{p}占道经营影响通行', '{p}发生交通事故'] },
    { type: 'hazard', subtype: 'building', share: 0.035, hours: DAYTIME, weekdays: WEEKDAYS,
      season: (d) => ([7, 8].includes(month(d)) ? 2 : 1),
      place: { kind: 'address', filter: (a) => a.building.kind === 'bungalow' || (a.building.kind === 'apartment' && a.building.floors <= 7) || a.building.kind === 'village_house' },
      severity: [0.35, 0.4, 0.18, 0.07], titles: ['{p}外墙瓷砖脱落', '{p}危房隐患', '{p}广告牌松动'] },
    { type: 'hazard', subtype: 'gathering', share: 0.022, hours: OFFICE, weekdays: WEEKDAYS,
      place: { kind: 'hotspot', types: ['government', 'market', 'station'], sigma: 40, else: anyTown },
      severity: [0.2, 0.4, 0.3, 0.1], titles: ['{p}人员聚集', '{p}群体讨薪聚集'] },
    { type: 'hazard', subtype: 'security_lead', share: 0.022, hours: DAYTIME, weekdays: FLAT, place: anyTown,
      severity: [0.4, 0.4, 0.15, 0.05], titles: ['{p}发现可疑人员租住', '{p}群众反映可疑车辆', '{p}涉赌线索'] },
    { type: 'hazard', subtype: 'other', share: 0.011, hours: DAYTIME, weekdays: FLAT, place: anyTown,
      severity: [0.6, 0.3, 0.1, 0], titles: ['{p}井盖缺失', '{p}树木倒伏隐患'] },

    { type: 'service_request', subtype: null, share: 0.24, hours: OFFICE, weekdays: WEEKDAYS, place: { kind: 'address', filter: home },
      severity: [0.7, 0.25, 0.05, 0], titles: ['{p}路灯不亮', '{p}下水道堵塞', '{p}垃圾清运不及时', '{p}咨询居住证办理', '{p}低保政策咨询', '{p}楼道照明损坏', '{p}停水报修'] },
    { type: 'support_request', subtype: null, share: 0.04, hours: EVENING, weekdays: WEEKEND_NIGHTS,
      place: { kind: 'hotspot', types: ['nightlife', 'market'], sigma: 80, else: { kind: 'address', filter: home } },
      severity: [0.2, 0.45, 0.25, 0.1], titles: ['{p}纠纷现场情绪激动，请求民警到场', '{p}可疑人员拒不配合登记，请求民警协助', '{p}醉酒人员滋事，请求民警支援'] },
  ];
}

export interface EventHistory {
  events: DemoEvent[];
  eventLog: DemoEventLog[];
  supportRequests: DemoSupportRequest[];
}

interface Step {
  to: EventState;
  action: string;
  actor: DemoStaff | string;
  at: number;
  note: string;
  details?: Record<string, unknown>;
}

export function planEvents(
  rng: Rng, frame: Frame, j: Jurisdiction, net: Network, places: Places, population: Population, roster: Roster,
  performance: Map<GridPlan, number>, nowMs: number,
): EventHistory {
  const start = nowMs - 365 * DAY;
  const isTown = (a: AddressPlan) => a.grid.community.kind === 'community';
  const villages = j.communities.filter((c) => c.kind === 'village');
  const landVillages = new Set(rng.sample(villages, rng.int(2, 3)));
  const elderly = new Set(population.residents.filter((r) => r.age >= 60).map((r) => r.address));
  const crossings = mainCrossings(net);
  const keyByType = new Map<KeyLocationType, KeyLocationPlan[]>();
  for (const k of places.keyLocations) pushTo(keyByType, k.type, k);

  const total = rng.int(2600, 3400);
  const drafts: { kind: Kind; at: number; p: XY; grid: GridPlan; address: AddressPlan | null; place: string }[] = [];
  const pools = new Map<Place, AddressPool>();
  for (const kind of kinds(isTown, landVillages, elderly)) {
    const count = Math.round(total * kind.share);
    const cdf = timeCdf(kind, start);
    for (let i = 0; i < count; i++) {
      const at = sampleTime(rng, cdf, start);
      for (let attempt = 0; attempt < 30; attempt++) {
        const where = samplePlace(rng, kind.place, keyByType, places, pools, crossings);
        if (!where) continue;
        const grid = j.locate(where.p, 1);
        if (!grid) continue;
        drafts.push({ kind, at, p: where.p, grid, address: where.address, place: where.label });
        break;
      }
    }
  }
  drafts.sort((a, b) => a.at - b.at);

  const events: DemoEvent[] = [];
  const eventLog: DemoEventLog[] = [];
  const supportRequests: DemoSupportRequest[] = [];
  const perDay = new Map<string, number>();
  for (const d of drafts) {
    const { kind, grid } = d;
    const day = localDate(d.at).replaceAll('-', '');
    const seq = (perDay.get(day) ?? 0) + 1;
    perDay.set(day, seq);
    const code = `SJ${day}${String(seq).padStart(3, '0')}`;
    const severity = (rng.weightedIndex(kind.severity) + 1) as 1 | 2 | 3 | 4;
    const complexity = kind.type !== 'dispute' ? null
      : rng.chance(0.1 + 0.08 * (severity - 1) + (kind.subtype === 'land' || kind.subtype === 'labour' ? 0.12 : 0)) ? 'complex' : 'general';
    const source = kind.type === 'support_request' ? 'grid_app' : rng.weighted<DemoEvent['source']>(SOURCES[kind.type]);
    const reporter = pickReporter(rng, roster, grid, d.at, source);
    const title = rng.pick(kind.titles).replace('{p}', d.place);
    const dueHours = complexity === 'general' ? GENERAL_DISPUTE_HOURS : DEADLINE_HOURS[kind.type][severity - 1]!;
    const steps = lifecycle(rng, roster, kind.type, complexity, severity, grid, d.at, dueHours, performance.get(grid) ?? 1, reporter, source);
    const kept = steps.filter((s) => s.at < nowMs);
    const last = kept[kept.length - 1]!;
    const [lon, lat] = frame.toLonLat(d.p);
    events.push({
      code,
      type: kind.type,
      subtype: kind.subtype,
      severity,
      complexity,
      state: last.to,
      title,
      description: describe(title, d.address, kind.type, complexity),
      lon: round7(lon),
      lat: round7(lat),
      gridCode: grid.code,
      addressCode: d.address?.code ?? null,
      source,
      reportedBy: typeof reporter === 'string' ? null : reporter.code,
      reporterName: typeof reporter === 'string' ? reporter : reporter.name,
      reportedAt: iso(d.at),
      dueAt: iso(d.at + dueHours * HOUR),
      closedAt: last.to === 'closed' ? iso(last.at) : null,
      escalationLevel: Math.min(3, kept.filter((s) => s.action === 'escalate').length),
      version: kept.length,
    });
    let from: EventState | null = null;
    for (const s of kept) {
      eventLog.push({
        eventCode: code,
        fromState: from,
        toState: s.to,
        action: s.action,
        actorCode: typeof s.actor === 'string' ? null : s.actor.code,
        actorName: typeof s.actor === 'string' ? s.actor : s.actor.name,
        at: iso(s.at),
        note: s.note,
        details: s.details ?? null,
      });
      from = s.to;
    }
    const wantsPolice = kind.type === 'support_request'
      || (source === 'grid_app' && (kind.subtype === 'fight' || kind.subtype === 'disorder') && rng.chance(0.3))
      || (complexity === 'complex' && rng.chance(0.12));
    if (wantsPolice && typeof reporter !== 'string') {
      supportRequests.push(supportRequest(rng, roster, grid, code, d.at, d.p, frame, reporter, title, last.to, nowMs));
    }
  }
  return { events, eventLog, supportRequests };
}

const SOURCES: Record<EventType, [DemoEvent['source'], number][]> = {
  public_security: [['patrol', 0.3], ['hotline', 0.35], ['grid_app', 0.2], ['console', 0.1], ['api', 0.05]],
  dispute: [['grid_app', 0.55], ['hotline', 0.2], ['console', 0.15], ['api', 0.1]],
  hazard: [['grid_app', 0.6], ['patrol', 0.15], ['hotline', 0.1], ['console', 0.1], ['api', 0.05]],
  service_request: [['grid_app', 0.45], ['hotline', 0.3], ['api', 0.2], ['console', 0.05]],
  support_request: [['grid_app', 1]],
};

function pickReporter(rng: Rng, roster: Roster, grid: GridPlan, at: number, source: DemoEvent['source']): DemoStaff | string {
  const first = (list: DemoStaff[]) => (list.length > 0 ? rng.pick(list) : null);
  switch (source) {
    case 'grid_app':
      return first(roster.on(grid, at, rng.chance(0.12) ? ['part_time'] : ['grid_worker', 'grid_leader']))
        ?? first(roster.on(grid, at, ['grid_leader']))!;
    case 'patrol':
      return first(roster.on(grid, at, ['police', 'aux_police'])) ?? roster.chief;
    case 'console':
      return roster.stationChief(grid.community);
    case 'hotline':
      return `${citizenName(rng)}（12345热线）`;
    default:
      return `${citizenName(rng)}（市社会治理一体化平台）`;
  }
}

/** The whole closed loop an event would go through; the caller cuts it at `now`. */
function lifecycle(
  rng: Rng, roster: Roster, type: EventType, complexity: 'general' | 'complex' | null, severity: number, grid: GridPlan,
  reported: number, dueHours: number, performance: number, reporter: DemoStaff | string, source: DemoEvent['source'],
): Step[] {
  const chief = roster.stationChief(grid.community);
  const steps: Step[] = [];
  let t = reported;
  const step = (to: EventState, action: string, actor: DemoStaff | string, minutes: number, note: string, details?: Record<string, unknown>) => {
    t += Math.max(1, minutes) * 60_000;
    steps.push({ to, action, actor, at: t, note, details });
  };
  steps.push({ to: 'reported', action: 'report', actor: reporter, at: t, note: source === 'patrol' ? '巡逻发现上报' : source === 'grid_app' ? '网格员上报' : '群众反映，平台转办', details: { source } });
  const on = (roles: Parameters<Roster['on']>[2]) => roster.on(grid, t, roles);
  if (rng.chance(0.03)) {
    step('cancelled', 'cancel', chief, rng.logNormal(40, 0.8), rng.pick(['重复上报，作废', '经核实不属实，作废']));
    return steps;
  }
  const night = localHour(t) < 7 || localHour(t) >= 22;
  const urgent = type === 'public_security' || type === 'support_request' || severity >= 3;
  const acceptor = severity >= 3 ? rng.pick(roster.command) : chief;
  if (!urgent && rng.chance(0.03)) {
    // Sent back to the reporter for details, then taken in.
    step('returned', 'return', chief, rng.logNormal(30, 0.8), rng.pick(['信息不全，退回上报人补充', '地址有误，退回核实']));
    step('accepted', 'accept', chief, rng.logNormal(120, 0.8), '补充完整，重新受理');
  } else {
    step('accepted', 'accept', acceptor, type === 'support_request' ? rng.logNormal(2, 0.5) : rng.logNormal(night && !urgent ? 60 : 12, 0.8), severity >= 3 ? '警网融合中心受理' : '工作站受理');
  }
  const police = on(['police', 'aux_police']);
  const leaders = on(['grid_leader']);
  const workers = on(['grid_worker', 'grid_leader']);
  const assignee = (type === 'public_security' || type === 'support_request' || complexity === 'complex'
    ? police[0] ?? leaders[0] : type === 'service_request' ? workers[0] ?? leaders[0] : leaders[0] ?? police[0]) ?? chief;
  const role = assignee.kind === 'police' ? '民警' : assignee.kind === 'aux_police' ? '辅警' : '网格长';
  step('assigned', 'assign', acceptor, rng.logNormal(8, 0.7), `分派至${role}${assignee.name}处置`, { assignee_code: assignee.code, assignee_name: assignee.name });
  // The police go out at once; a grid leader handles a night-time report in the morning.
  const morning = localMidnight(t + 2 * HOUR) + rng.float(7.5, 9) * HOUR;
  const startIn = urgent ? rng.logNormal(type === 'support_request' ? 9 : 15, 0.5) : night ? (morning - t) / 60_000 : rng.logNormal(35, 0.9);
  step('in_progress', 'start', assignee, startIn, '已到场处置');
  if (rng.chance(0.025 + (1 - performance) * 0.08)) return steps; // stuck: never resolved, overdue

  const due = reported + dueHours * HOUR;
  let escalations = 0;
  if (complexity === 'complex') {
    const others = rng.sample(['司法所调解员', '法律顾问', '村（社区）干部', '当事人亲属', '人民调解委员会'], rng.int(1, 3));
    const success = rng.chance(0.72);
    const leader = leaders[0] ?? chief;
    step('in_progress', 'mediate', assignee, rng.logNormal(180, 0.6), `启动“1+1+N”联调：民警、网格长${leader.name}、${others.join('、')}`,
      { mode: '1+1+N', participants: [assignee.code, leader.code], others, outcome: success ? 'success' : 'escalate' });
    if (!success) {
      escalations += 1;
      step('escalated', 'escalate', assignee, rng.logNormal(60, 0.5), '调解未果，升级至街道警网融合中心');
      const cmd = rng.pick(roster.command);
      step('assigned', 'assign', cmd, rng.logNormal(120, 0.6), `中心指定民警${assignee.name}牵头，联合司法所再次调处`, { assignee_code: assignee.code, assignee_name: assignee.name });
      step('in_progress', 'start', assignee, rng.logNormal(240, 0.7), '再次组织调处');
      if (rng.chance(0.1)) return steps; // still escalated work in progress
    }
  }
  // When the loop should close: inside the deadline, or (late) some way past it.
  const late = rng.chance(0.05 + (1 - performance) * 0.25 + (severity === 4 ? 0.05 : 0));
  const closeBy = late ? due + dueHours * HOUR * rng.float(0.1, 1.5) : reported + dueHours * HOUR * rng.float(0.45, 0.97);
  if (late && escalations < 3 && rng.chance(0.6)) {
    t = Math.max(t, due);
    step('escalated', 'escalate', '系统（超期自动升级）', rng.float(5, 90), '超期未办结，自动升级一级');
    step('assigned', 'assign', rng.pick(roster.command), rng.logNormal(45, 0.6), `督办：责成${assignee.name}限期办结`, { assignee_code: assignee.code, assignee_name: assignee.name });
    step('in_progress', 'start', assignee, rng.logNormal(60, 0.6), '接督办，继续处置');
  }
  // Resolution, then the workstation's review, both before closeBy when there is time for it.
  const spare = Math.max(4, (closeBy - t) / 60_000);
  step('resolved', 'resolve', assignee, spare * rng.float(0.5, 0.85), resolveNote(rng, type, complexity));
  if (rng.chance(0.06)) {
    step('in_progress', 'reopen', chief, rng.logNormal(240, 0.6), '审核不通过：处置材料不全，退回重办');
    step('resolved', 'resolve', assignee, rng.logNormal(300, 0.6), '已补充材料，申请办结');
  }
  step('closed', 'close', chief, Math.max(1, Math.min(48 * 60, (closeBy - t) / 60_000)), '审核通过，予以办结');
  return steps;
}

function resolveNote(rng: Rng, type: EventType, complexity: 'general' | 'complex' | null): string {
  switch (type) {
    case 'dispute': return complexity === 'complex' ? '联调成功，双方签订调解协议' : rng.pick(['网格长现场调解，双方达成一致', '已调解，双方握手言和']);
    case 'hazard': return rng.pick(['已移交主管部门并发出预警，隐患已消除', '现场整改完毕，隐患消除', '已协调相关部门处理完毕']);
    case 'public_security': return rng.pick(['已依法处置，情况已向当事人反馈', '已移交派出所立案处理', '现场处置完毕，加强周边巡防']);
    case 'support_request': return '民警到场，现场秩序恢复';
    default: return rng.pick(['已协调解决，群众满意', '已答复群众并办理完毕']);
  }
}

function describe(title: string, address: AddressPlan | null, type: EventType, complexity: 'general' | 'complex' | null): string {
  const where = address ? `地点：${address.text}。` : '';
  const how = type === 'dispute'
    ? complexity === 'complex' ? '情况较复杂，需启动“1+1+N”联调。' : '一般纠纷，网格长即时调解。'
    : type === 'hazard' ? '请工作站分类研判，向主管部门发出预警。' : '请核实处置并及时反馈。';
  return `${title}。${where}${how}`;
}

function supportRequest(
  rng: Rng, roster: Roster, grid: GridPlan, eventCode: string, at: number, p: XY, frame: Frame,
  requester: DemoStaff, reason: string, eventState: EventState, nowMs: number,
): DemoSupportRequest {
  const police = roster.on(grid, at, ['police', 'aux_police'])[0] ?? roster.chief;
  const requested = at + rng.float(0, 3) * 60_000;
  const ack = requested + Math.max(0.5, rng.logNormal(3, 0.6)) * 60_000;
  const arrive = Math.max(ack + 60_000, requested + rng.logNormal(14, 0.4) * 60_000);
  const cancelled = eventState === 'cancelled' || rng.chance(0.02);
  const [lon, lat] = frame.toLonLat(p);
  const known = (t: number) => t < nowMs;
  const state: DemoSupportRequest['state'] = cancelled ? 'cancelled'
    : known(arrive) ? (eventState === 'closed' || eventState === 'resolved' ? 'done' : 'arrived')
    : known(ack) ? 'acknowledged' : 'open';
  const arrived = !cancelled && known(arrive);
  return {
    eventCode,
    gridCode: grid.code,
    requestedBy: requester.code,
    policeCode: police.code,
    lon: round7(lon),
    lat: round7(lat),
    reason,
    requestedAt: iso(requested),
    acknowledgedAt: !cancelled && known(ack) ? iso(ack) : null,
    arrivedAt: arrived ? iso(arrive) : null,
    arrivalSource: arrived ? (rng.chance(0.7) ? 'gps' : 'manual') : null,
    state,
  };
}

/** Crossings of main roads with anything: where traffic hazards happen. */
function mainCrossings(net: Network): { p: XY; label: string }[] {
  const names = new Map<number, Set<string>>();
  const mains = new Set<number>();
  for (const s of net.streets) {
    for (const n of s.nodes) {
      names.set(n, (names.get(n) ?? new Set()).add(s.name));
      if (s.kind === 'main') mains.add(n);
    }
  }
  return [...mains].filter((n) => names.get(n)!.size >= 2).map((n) => ({ p: net.nodes[n]!, label: [...names.get(n)!].slice(0, 2).join('与') }));
}

function timeCdf(kind: Kind, start: number): Float64Array {
  const cdf = new Float64Array(365 * 24);
  let acc = 0;
  for (let d = 0; d < 365; d++) {
    const dayMs = localMidnight(start) + (d + 1) * DAY;
    const w = kind.weekdays[localWeekday(dayMs)]! * (kind.season?.(dayMs) ?? 1);
    for (let h = 0; h < 24; h++) {
      acc += w * kind.hours[h]!;
      cdf[d * 24 + h] = acc;
    }
  }
  return cdf.map((v) => v / acc);
}

/** First index whose cumulative value exceeds r. */
function bisect(cumulative: ArrayLike<number>, r: number): number {
  let lo = 0;
  let hi = cumulative.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (cumulative[mid]! <= r) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

interface AddressPool {
  items: AddressPlan[];
  cumulative: number[];
}

function sampleTime(rng: Rng, cdf: Float64Array, start: number): number {
  const lo = bisect(cdf, rng.next());
  const day = Math.floor(lo / 24);
  const t = localMidnight(start) + (day + 1) * DAY + (lo % 24) * HOUR + rng.float(0, HOUR);
  // The last day of the window may run past now; those draws land on the same hour a day earlier.
  return t >= start + 365 * DAY ? t - DAY : t;
}

function samplePlace(
  rng: Rng, place: Place, keyByType: Map<KeyLocationType, KeyLocationPlan[]>, places: Places,
  pools: Map<Place, AddressPool>, crossings: { p: XY; label: string }[],
): { p: XY; address: AddressPlan | null; label: string } | null {
  switch (place.kind) {
    case 'hotspot': {
      const candidates = place.types.flatMap((t) => keyByType.get(t) ?? []);
      if (candidates.length === 0 || rng.chance(0.3)) return samplePlace(rng, place.else, keyByType, places, pools, crossings);
      const k = rng.pick(candidates);
      const p = polar(k.p, Math.abs(rng.normal()) * place.sigma, rng.float(0, 2 * Math.PI));
      return { p, address: null, label: k.name };
    }
    case 'crossing': {
      const c = rng.pick(crossings);
      return { p: polar(c.p, rng.float(0, 15), rng.float(0, 2 * Math.PI)), address: null, label: c.label };
    }
    case 'address': {
      let pool = pools.get(place);
      if (!pool) {
        const items = places.addresses.filter(place.filter);
        let acc = 0;
        pool = { items, cumulative: items.map((a) => (acc += place.weight?.(a) ?? 1)) };
        pools.set(place, pool);
      }
      if (pool.items.length === 0) return null;
      const a = pool.items[bisect(pool.cumulative, rng.next() * pool.cumulative[pool.cumulative.length - 1]!)]!;
      return { p: polar(a.p, rng.float(0, 12), rng.float(0, 2 * Math.PI)), address: a, label: shortAddress(a) };
    }
  }
}

/** "东风社区建设路12号" without the sub-district prefix and the flat number. */
function shortAddress(a: AddressPlan): string {
  return a.text.replace(/^院岭街道/, '').replace(/(号).*$/, '$1');
}
