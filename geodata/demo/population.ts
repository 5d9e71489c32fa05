import { creditCode, idNumber, mobile } from './identity.ts';
import { brand, INDUSTRIES, personName, surname, URBAN_SHOPS, VILLAGE_SHOPS } from './names.ts';
import { byText } from './order.ts';
import type { AddressPlan, Places } from './places.ts';
import type { Rng } from './random.ts';
import { DAY, iso, localDate } from './time.ts';
import type {
  AddressCategory, ConcernCategory, DemoHousing, DemoOrgUnit, DemoPersonOfConcern, DemoResident, KeyLocationType,
} from './types.ts';

/**
 * 一标三实: for each standard address its category, its housing record (实有房屋), residents
 * (实有人口), organisations (实有单位), and among the residents the persons of concern. About 6% of
 * addresses are left unregistered the way real data is: a missing housing record, or a dwelling
 * recorded as lived in with nobody registered in it.
 */

export interface ResidentPlan {
  row: DemoResident;
  age: number;
  address: AddressPlan;
  householdSize: number;
}

export interface PersonPlan {
  row: DemoPersonOfConcern;
  address: AddressPlan;
}

export interface AddressState {
  category: AddressCategory;
  vacant: boolean;
  /** When the standard address was registered: always before the year of history. */
  createdAt: number;
}

export interface Population {
  state: Map<AddressPlan, AddressState>;
  housing: DemoHousing[];
  residents: ResidentPlan[];
  orgUnits: DemoOrgUnit[];
  persons: PersonPlan[];
}

const HOME_REGIONS: [string, number][] = [['410481', 0.8], ['410402', 0.04], ['410403', 0.03], ['410411', 0.02], ['410421', 0.03], ['410422', 0.03], ['411121', 0.03], ['410425', 0.02]];
const FLOATING_REGIONS: [string, number][] = [['411323', 1], ['411524', 1], ['412726', 1], ['411723', 1], ['411122', 2], ['410422', 2], ['341221', 1], ['342225', 1], ['420117', 0.5], ['510722', 0.5], ['500235', 0.5], ['130682', 0.5]];

const CONCERN_SHARES: [ConcernCategory, number][] = [
  ['entitled', 0.1], ['elderly_alone', 0.22], ['child_distress', 0.06], ['disabled', 0.15], ['low_income', 0.16],
  ['idle_youth', 0.08], ['community_correction', 0.05], ['six_losses', 0.1], ['petition', 0.08],
];
const CONTROL_LEVELS: Record<ConcernCategory, [number, number, number]> = {
  community_correction: [0.5, 0.4, 0.1],
  petition: [0.4, 0.4, 0.2],
  six_losses: [0.3, 0.5, 0.2],
  idle_youth: [0.1, 0.4, 0.5],
  entitled: [0.03, 0.22, 0.75],
  elderly_alone: [0.08, 0.3, 0.62],
  child_distress: [0.1, 0.4, 0.5],
  disabled: [0.05, 0.3, 0.65],
  low_income: [0.05, 0.25, 0.7],
};
/** Security-related categories put an address in 重点类; care-related ones in 关注类. */
export const SECURITY_CATEGORIES: ReadonlySet<ConcernCategory> = new Set(['community_correction', 'petition', 'six_losses', 'idle_youth']);

const CONCERN_NOTES: Record<ConcernCategory, string[]> = {
  entitled: ['退役军人，享受定期抚恤补助', '烈属，逢年过节走访慰问', '伤残军人，关注就医需求'],
  elderly_alone: ['独居，子女在外地务工', '独居老人，行动不便，需定期上门', '独居，有慢性病，关注用火用电安全'],
  child_distress: ['父母外出务工，随祖辈生活', '单亲家庭，经济困难', '事实无人抚养儿童，已纳入救助'],
  disabled: ['肢体残疾二级，已办理残疾证', '视力残疾，独自出行不便', '精神残疾，监护人为其配偶'],
  low_income: ['低保户，家庭主要劳动力患病', '低收入家庭，子女上学负担重', '因病致贫，已纳入帮扶'],
  idle_youth: ['初中毕业后无业，常去网吧', '辍学在家，与社会闲散人员交往', '无固定职业，夜间活动频繁'],
  community_correction: ['社区矫正对象，每周报到', '缓刑考验期，按时参加教育学习', '假释人员，定期谈话'],
  six_losses: ['失业后情绪低落，有酗酒现象', '婚姻破裂，与前妻因抚养权有矛盾', '经营失败负债，情绪不稳'],
  petition: ['因征地补偿问题多次上访', '涉法涉诉，对判决结果不满', '因劳资纠纷反复信访'],
};

function birthDate(rng: Rng, nowMs: number, age: number): string {
  // Somewhere in the year that ends `age` years before now.
  return localDate(nowMs - age * 365.25 * DAY - rng.float(0, 364) * DAY);
}

export function planPopulation(rng: Rng, places: Places, nowMs: number): Population {
  const ids = new Set<string>();
  const credits = new Set<string>();
  const state = new Map<AddressPlan, AddressState>();
  const housing: DemoHousing[] = [];
  const residents: ResidentPlan[] = [];
  const orgUnits: DemoOrgUnit[] = [];
  // Records of an address are taken after the address itself was registered.
  let since = nowMs;
  const recorded = () => iso(since + rng.next() * (nowMs - DAY - since));

  const addPerson = (address: AddressPlan, age: number, gender: 'M' | 'F', family: string | undefined, residence: DemoResident['residence'], size: number) => {
    const born = birthDate(rng, nowMs, age);
    const region = residence === 'floating' ? rng.weighted(FLOATING_REGIONS) : rng.weighted(HOME_REGIONS);
    const hasPhone = age >= 16 ? (age >= 80 ? rng.chance(0.5) : rng.chance(0.94)) : age >= 12 && rng.chance(0.4);
    const row: DemoResident = {
      addressCode: address.code,
      name: personName(rng, gender, Number(born.slice(0, 4)), family),
      gender,
      birthDate: born,
      idNumber: residence === 'overseas' ? null : idNumber(rng, region, born, gender, ids),
      phone: hasPhone ? mobile(rng) : null,
      residence,
      recordedAt: recorded(),
    };
    residents.push({ row, age, address, householdSize: size });
    return row;
  };

  const household = (address: AddressPlan, village: boolean, floating: boolean) => {
    const size = rng.weighted<number>(village
      ? [[1, 0.12], [2, 0.26], [3, 0.18], [4, 0.2], [5, 0.16], [6, 0.08]]
      : [[1, 0.16], [2, 0.28], [3, 0.3], [4, 0.16], [5, 0.08], [6, 0.02]]);
    const residence = (): DemoResident['residence'] => (rng.chance(0.003) ? 'overseas' : floating ? 'floating' : 'registered');
    const family = surname(rng);
    if (size === 1) {
      const age = rng.chance(village ? 0.6 : 0.4) ? rng.int(65, 92) : rng.int(20, 64);
      addPerson(address, age, rng.chance(0.5) ? 'M' : 'F', undefined, residence(), 1);
      return;
    }
    // Left-behind households (留守): grandparents with children while the parents work away.
    const leftBehind = village && size >= 3 && rng.chance(0.25);
    const grandparents = leftBehind ? Math.min(2, size - 1) : size >= 5 || (village && size >= 4 && rng.chance(0.4)) ? rng.int(1, 2) : 0;
    const parents = leftBehind ? 0 : size === 2 && rng.chance(0.3) ? 1 : 2;
    const children = size - grandparents - parents;
    const parentAge = children > 0 ? rng.int(27, 52) : rng.int(25, 85);
    if (parents >= 1) addPerson(address, parentAge, 'M', family, residence(), size);
    if (parents >= 2) addPerson(address, Math.max(20, parentAge + rng.int(-4, 2)), 'F', undefined, residence(), size);
    const gpAge = Math.max(parentAge + 24, rng.int(55, 88));
    for (let g = 0; g < grandparents; g++) addPerson(address, gpAge + rng.int(-3, 3), g === 0 ? 'M' : 'F', g === 0 ? family : undefined, residence(), size);
    for (let c = 0; c < children; c++) {
      const age = leftBehind ? rng.int(2, 15) : Math.max(0, Math.min(parentAge - 20, rng.int(0, 24)));
      addPerson(address, age, rng.chance(0.52) ? 'M' : 'F', family, residence(), size);
    }
  };

  const unit = (address: AddressPlan, name: string, kind: DemoOrgUnit['kind'], code: Parameters<typeof creditCode>[1] | null) =>
    orgUnits.push({ addressCode: address.code, name, kind, creditCode: code ? creditCode(rng, code, '410481', credits) : null, recordedAt: recorded() });

  for (const a of places.addresses) {
    const b = a.building;
    const village = b.kind === 'village_house' || b.kind === 'village_shop';
    const st: AddressState = { category: 'general', vacant: false, createdAt: nowMs - rng.float(380, 6 * 365) * DAY };
    state.set(a, st);
    since = st.createdAt;
    // The 6% gaps: no housing record at all, or a "lived in" dwelling with nobody recorded.
    const missingHousing = a.use !== 'key' && rng.chance(0.035);
    const nobody = !missingHousing && a.use === 'home' && rng.chance(0.028);
    let usage: DemoHousing['usage'];
    let buildingType: DemoHousing['buildingType'];
    let rented = false;

    if (a.use === 'home') {
      buildingType = b.kind === 'bungalow' ? 'bungalow' : b.kind === 'mixed' ? 'mixed' : village
        ? b.floors === 1 ? 'bungalow' : b.floors === 3 && rng.chance(0.3) ? 'villa' : 'residential'
        : 'residential';
      const vacant = !nobody && rng.chance(village ? 0.12 : 0.07);
      rented = !vacant && rng.chance(village ? 0.03 : 0.2);
      usage = vacant ? 'idle' : rented ? 'rented' : rng.chance(0.01) ? 'other' : 'self_occupied';
      st.vacant = vacant;
      if (!vacant && !nobody && (!missingHousing || rng.chance(0.55))) household(a, village, rented && rng.chance(0.85));
    } else if (a.use === 'shop') {
      buildingType = b.kind === 'mixed' ? 'mixed' : 'shop';
      const vacant = rng.chance(0.06);
      st.vacant = vacant;
      usage = vacant ? 'idle' : 'commercial';
      rented = !vacant && rng.chance(0.55);
      if (!vacant && (!missingHousing || rng.chance(0.5))) {
        const biz = rng.pick(village ? VILLAGE_SHOPS : URBAN_SHOPS);
        const name = village ? `${a.grid.community.shortName}${brand(rng)}${biz}` : `舞钢市${brand(rng)}${biz}`;
        if (rng.chance(0.96)) unit(a, name, 'shop', rng.chance(0.9) ? '92' : null);
        // Village shopkeepers live over the shop.
        if (village) household(a, true, false);
      }
    } else if (a.use === 'office') {
      buildingType = 'office';
      usage = 'commercial';
      rented = rng.chance(0.6);
      if (!missingHousing || rng.chance(0.5)) {
        for (let k = rng.int(1, 3); k > 0; k--) unit(a, `舞钢市${brand(rng)}${rng.pick(INDUSTRIES)}有限公司`, 'company', '91');
      }
    } else {
      const key = b.key!;
      [buildingType, usage] = keyHousing(key.type);
      const [kind, code] = keyUnit(key.type, key.name);
      unit(a, key.name, kind, code);
    }
    if (!missingHousing) {
      housing.push({ addressCode: a.code, buildingType, floors: b.floors, usage, rented, recordedAt: recorded() });
    }
  }
  const persons = choosePersons(rng, residents, nowMs);
  assignCategories(rng, places, state, persons, residents);
  return { state, housing, residents, orgUnits, persons };
}

function keyHousing(type: KeyLocationType): [DemoHousing['buildingType'], DemoHousing['usage']] {
  switch (type) {
    case 'factory': return ['factory', 'commercial'];
    case 'market': case 'nightlife': return ['shop', 'commercial'];
    case 'bank': case 'government': return ['office', type === 'bank' ? 'commercial' : 'other'];
    case 'gas_station': case 'station': return ['other', 'commercial'];
    default: return ['other', 'other'];
  }
}

function keyUnit(type: KeyLocationType, name: string): [DemoOrgUnit['kind'], '91' | '92' | '11' | '12' | '52' | null] {
  switch (type) {
    case 'school': return ['school', '12'];
    case 'kindergarten': return ['school', name.startsWith('院岭') ? '12' : '52'];
    case 'government': return ['government', '11'];
    case 'hospital': case 'clinic': case 'park': return ['other', '12'];
    case 'religious': return ['ngo', null];
    case 'nightlife': return ['shop', '92'];
    default: return ['company', '91'];
  }
}

function fits(category: ConcernCategory, r: ResidentPlan): boolean {
  const { age, householdSize } = r;
  switch (category) {
    case 'elderly_alone': return age >= 65 && householdSize === 1;
    case 'child_distress': return age < 16;
    case 'idle_youth': return age >= 16 && age <= 25;
    case 'disabled': return age >= 8 && age <= 85;
    case 'entitled': return age >= 50;
    case 'low_income': return age >= 30 && age <= 85;
    case 'community_correction': return age >= 20 && age <= 60;
    case 'six_losses': return age >= 25 && age <= 60;
    case 'petition': return age >= 35 && age <= 75;
  }
}

function choosePersons(rng: Rng, residents: ResidentPlan[], nowMs: number): PersonPlan[] {
  const eligible = residents.filter((r) => r.row.idNumber !== null);
  const total = Math.round(residents.length * rng.float(0.012, 0.016));
  const chosen = new Set<ResidentPlan>();
  const persons: PersonPlan[] = [];
  for (const [category, share] of CONCERN_SHARES) {
    const quota = Math.round(total * share);
    const pool = rng.shuffle(eligible.filter((r) => !chosen.has(r) && fits(category, r))).slice(0, quota);
    for (const r of pool) {
      chosen.add(r);
      const sinceMs = nowMs - rng.float(45, 6 * 365) * DAY;
      const ended = rng.chance(0.07) && nowMs - sinceMs > 120 * DAY;
      persons.push({
        address: r.address,
        row: {
          code: '',
          residentIdNumber: r.row.idNumber!,
          addressCode: r.address.code,
          name: r.row.name,
          idNumber: r.row.idNumber!,
          phone: r.row.phone,
          category,
          controlLevel: (rng.weightedIndex(CONTROL_LEVELS[category]) + 1) as 1 | 2 | 3,
          since: localDate(sinceMs),
          until: ended ? localDate(nowMs - rng.float(1, (nowMs - sinceMs) / DAY - 60) * DAY) : null,
          notes: rng.pick(CONCERN_NOTES[category]),
        },
      });
    }
  }
  persons.sort((a, b) => byText(a.row.addressCode, b.row.addressCode) || byText(a.row.idNumber, b.row.idNumber));
  persons.forEach((p, i) => (p.row.code = `ZDRY${String(i + 1).padStart(5, '0')}`));
  return persons;
}

/** ~10% key (重点类) and ~5% attention (关注类), led by the people and places that make them so. */
function assignCategories(rng: Rng, places: Places, state: Map<AddressPlan, AddressState>, persons: PersonPlan[], residents: ResidentPlan[]): void {
  const n = places.addresses.length;
  const keyTarget = Math.round(n * rng.float(0.096, 0.104));
  const attentionTarget = Math.round(n * rng.float(0.048, 0.052));
  let keys = 0;
  let attention = 0;
  const mark = (a: AddressPlan, c: AddressCategory) => {
    const st = state.get(a)!;
    if (st.category !== 'general') return;
    st.category = c;
    if (c === 'key') keys += 1;
    else attention += 1;
  };
  for (const a of places.addresses) if (a.use === 'key') mark(a, 'key');
  for (const p of persons) if (SECURITY_CATEGORIES.has(p.row.category) && keys < keyTarget) mark(p.address, 'key');
  for (const p of persons) if (!SECURITY_CATEGORIES.has(p.row.category) && attention < attentionTarget) mark(p.address, 'attention');
  // Then rentals with a floating population and shop fronts for 重点类; older households for 关注类.
  const floating = new Set(residents.filter((r) => r.row.residence === 'floating').map((r) => r.address));
  const elderly = new Set(residents.filter((r) => r.age >= 70).map((r) => r.address));
  const keyPool = rng.shuffle(places.addresses.filter((a) => floating.has(a) || (a.use === 'shop' && rng.chance(0.3))));
  const attentionPool = rng.shuffle(places.addresses.filter((a) => elderly.has(a)));
  const rest = rng.shuffle(places.addresses.slice());
  for (const a of [...keyPool, ...rest]) if (keys < keyTarget) mark(a, 'key');
  for (const a of [...attentionPool, ...rest]) if (attention < attentionTarget) mark(a, 'attention');
}
