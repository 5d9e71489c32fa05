import type { IssueLog } from './errors.ts';
import type { FieldSpec } from './fields.ts';
import type { GeometryExpectation } from './geometry.ts';
import type { ImportKind } from './types.ts';

/**
 * What each import kind expects: target fields (with the schema's enums and the Chinese labels
 * found in real spreadsheets), geometry type, and cross-field rules the CHECK constraints enforce.
 * Values here mirror sql/migrations; a schema change must be mirrored here.
 */

export interface KindSpec {
  kind: ImportKind;
  table: string;
  geometry: GeometryExpectation;
  /** Prefix of generated codes (autoCode). */
  codePrefix: string;
  /** Whether records carry a unique `code`. */
  hasCode: boolean;
  fields: FieldSpec[];
  /** Cross-field rules and derived defaults; logs errors for the record. */
  finish?(values: Record<string, unknown>, ctx: { row: number; line?: number; log: IssueLog }): void;
  /** Parent reference field resolved in the database (by code or name), if any. */
  parent?: { field: string; table: 'subdistrict' | 'community' | 'grid'; spatial: boolean };
  /** Records may come without coordinates (persons attached by address code, visits without a fix). */
  geometryOptional?: boolean;
  /** Points outside the sub-district: refused (default) or only warned about (visit fixes can be off-site). */
  outsideSubdistrict?: 'refuse' | 'warn';
  /** References to addresses, staff and persons, resolved in the database (see refs.ts). */
  references?: 'persons' | 'visits';
  /** Records carry identities: messages are masked and database error details are not echoed. */
  sensitive?: boolean;
}

const code = (...specific: string[]): FieldSpec => ({
  name: 'code',
  type: 'text',
  required: true,
  max: 100,
  aliases: [...specific, 'code', '编码', '编号', '代码', 'id'],
});
const name = (...specific: string[]): FieldSpec => ({
  name: 'name',
  type: 'text',
  required: true,
  max: 200,
  aliases: [...specific, 'name', '名称', 'label'],
});

export const LON_ALIASES = ['lon', 'lng', 'long', 'longitude', 'x', '经度', 'point_x', 'gps_lon', 'jd'];
export const LAT_ALIASES = ['lat', 'latitude', 'y', '纬度', 'point_y', 'gps_lat', 'wd'];
export const WKT_ALIASES = ['wkt', 'the_geom', 'geometry', 'geom', 'shape', 'wkt_geom'];

export const EVENT_TYPES = ['public_security', 'dispute', 'hazard', 'service_request', 'support_request'] as const;
export const EVENT_SUBTYPES: Record<(typeof EVENT_TYPES)[number], readonly string[]> = {
  public_security: ['theft', 'fraud', 'fight', 'disorder', 'other'],
  dispute: ['marriage', 'economic', 'land', 'neighbour', 'labour', 'other'],
  hazard: ['fire', 'traffic', 'building', 'gathering', 'security_lead', 'other'],
  service_request: ['other'],
  support_request: ['other'],
};
export const EVENT_STATES = ['reported', 'accepted', 'assigned', 'in_progress', 'resolved', 'closed', 'escalated', 'returned', 'cancelled'] as const;
export const EVENT_TYPE_LABELS_ZH: Record<string, string> = {
  public_security: '治安',
  dispute: '矛盾纠纷',
  hazard: '风险隐患',
  service_request: '群众诉求',
  support_request: '支援请求',
};

const KEY_LOCATION_TYPES = [
  'school', 'kindergarten', 'market', 'bank', 'clinic', 'hospital', 'station', 'government',
  'nightlife', 'factory', 'gas_station', 'religious', 'park', 'other',
] as const;

const subdistrict: KindSpec = {
  kind: 'subdistrict',
  table: 'subdistrict',
  geometry: 'polygon',
  codePrefix: 'SD',
  hasCode: true,
  fields: [code('街道编码', 'subdistrict_code', 'adcode'), name('街道名称', '街道')],
};

const communities: KindSpec = {
  kind: 'communities',
  table: 'community',
  geometry: 'polygon',
  codePrefix: 'CM',
  hasCode: true,
  fields: [
    code('社区编码', '村社区编码', '村编码', 'community_code'),
    name('社区名称', '村社区名称', '村名称', '村名'),
    {
      name: 'kind',
      type: 'enum',
      enum: ['village', 'community'],
      labels: { 行政村: 'village', 村: 'village', 村委会: 'village', 村民委员会: 'village', 社区: 'community', 居委会: 'community', 社区居委会: 'community', 居民委员会: 'community' },
      aliases: ['kind', '村社区类型', '类型', 'type'],
      default: 'community',
    },
    { name: 'subdistrict', type: 'ref', aliases: ['subdistrict', 'subdistrict_code', '街道编码', '所属街道', '街道'] },
  ],
  parent: { field: 'subdistrict', table: 'subdistrict', spatial: true },
};

const grids: KindSpec = {
  kind: 'grids',
  table: 'grid',
  geometry: 'polygon',
  codePrefix: 'GR',
  hasCode: true,
  fields: [
    code('网格编码', '网格编号', 'grid_code', 'beat_num', 'beat'),
    name('网格名称', '网格名', 'grid_name'),
    { name: 'community', type: 'ref', aliases: ['community', 'community_code', '社区编码', '所属社区', '村社区', '社区', '村'] },
  ],
  parent: { field: 'community', table: 'community', spatial: true },
};

const gridRef: FieldSpec = { name: 'grid', type: 'ref', aliases: ['grid', 'grid_code', '网格编码', '所属网格', '网格'] };

const jointDefensePoints: KindSpec = {
  kind: 'joint-defense-points',
  table: 'joint_defense_point',
  geometry: 'point',
  codePrefix: 'JD',
  hasCode: true,
  fields: [
    code('点位编码', '联防点编码', '联防联控点编号'),
    name('点位名称', '联防点名称', '联防联控点'),
    { name: 'service_radius_m', type: 'float', min: 0.001, max: 5000, default: 200, aliases: ['service_radius_m', 'service_radius', 'radius', '服务半径', '半径'] },
    gridRef,
  ],
  parent: { field: 'grid', table: 'grid', spatial: false },
};

const keyLocations: KindSpec = {
  kind: 'key-locations',
  table: 'key_location',
  geometry: 'point-or-polygon',
  codePrefix: 'KL',
  hasCode: true,
  fields: [
    code('部位编码', '重点部位编码', '单位编码'),
    name('部位名称', '重点部位名称', '单位名称', '场所名称'),
    {
      name: 'type',
      type: 'enum',
      required: true,
      enum: KEY_LOCATION_TYPES,
      labels: {
        学校: 'school', 中学: 'school', 小学: 'school', 大学: 'school', 中小学: 'school', 幼儿园: 'kindergarten',
        市场: 'market', 集贸市场: 'market', 农贸市场: 'market', 商场: 'market', 超市: 'market',
        银行: 'bank', 金融网点: 'bank', 信用社: 'bank', 诊所: 'clinic', 卫生室: 'clinic', 卫生院: 'clinic', 医院: 'hospital',
        车站: 'station', 汽车站: 'station', 火车站: 'station', 客运站: 'station', 政府: 'government', 机关: 'government', 党政机关: 'government',
        娱乐场所: 'nightlife', 网吧: 'nightlife', KTV: 'nightlife', 酒吧: 'nightlife', 工厂: 'factory', 企业: 'factory',
        加油站: 'gas_station', 加气站: 'gas_station', 宗教场所: 'religious', 寺庙: 'religious', 教堂: 'religious',
        公园: 'park', 广场: 'park', 其他: 'other', 其它: 'other',
      },
      aliases: ['type', '部位类型', '场所类型', '类型', '类别', 'category'],
    },
    { name: 'required_passes_week', type: 'int', min: 0, max: 1000, default: 3, aliases: ['required_passes_week', 'passes_per_week', '每周巡逻次数', '巡逻频次'] },
    gridRef,
  ],
  parent: { field: 'grid', table: 'grid', spatial: false },
};

const addresses: KindSpec = {
  kind: 'addresses',
  table: 'address',
  geometry: 'point',
  codePrefix: 'AD',
  hasCode: true,
  fields: [
    code('地址编码', '标准地址编码', '地址编号', 'address_code'),
    {
      name: 'address_text',
      type: 'text',
      required: true,
      max: 500,
      aliases: ['address_text', 'address', 'addr', '标准地址', '地址', '详细地址', '地址名称', 'hundred_block', 'name', '名称'],
    },
    {
      name: 'category',
      type: 'enum',
      enum: ['general', 'key', 'attention'],
      labels: { 一般: 'general', 一般类: 'general', 重点: 'key', 重点类: 'key', 关注: 'attention', 关注类: 'attention' },
      aliases: ['category', '地址类别', '类别', 'type', '类型'],
      default: 'general',
    },
    { name: 'vacant', type: 'bool', default: false, aliases: ['vacant', '是否空置', '空置'] },
  ],
};

/** Codes of standard addresses as they appear in files of persons and visits (never free address text). */
const addressRef = (required: boolean): FieldSpec => ({
  name: 'address',
  type: 'ref',
  required,
  max: 100,
  aliases: ['address_code', 'addr_code', '地址编码', '标准地址编码', '地址编号', '住址编码', '住址地址编码', 'address_id'],
});

export const PERSON_CATEGORIES = [
  'entitled', 'elderly_alone', 'child_distress', 'disabled', 'low_income', 'idle_youth', 'community_correction', 'six_losses', 'petition',
] as const;

/** Masks an ID number as the database's jw_mask_id_number does: first 4 and last 4 characters kept. */
export function maskIdNumber(v: string): string {
  return v.length <= 8 ? '*'.repeat(v.length) : `${v.slice(0, 4)}${'*'.repeat(v.length - 8)}${v.slice(-4)}`;
}
/** Masks a phone number as jw_mask_phone does: first 3 and last 4 kept. */
export function maskPhone(v: string): string {
  return v.length <= 7 ? '*'.repeat(v.length) : `${v.slice(0, 3)}${'*'.repeat(v.length - 7)}${v.slice(-4)}`;
}

const ID_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
/** GB 11643-1999 check character of an 18-character resident ID number. */
export function idCheckCharacter(first17: string): string {
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += Number(first17[i]) * ID_WEIGHTS[i]!;
  return '10X98765432'[sum % 11]!;
}

const persons: KindSpec = {
  kind: 'persons',
  table: 'person_of_concern',
  geometry: 'point',
  geometryOptional: true,
  references: 'persons',
  sensitive: true,
  codePrefix: 'PC',
  hasCode: true,
  fields: [
    code('人员编号', '人员编码', '重点人员编号', '关注人员编号', 'person_code', 'person_id'),
    { name: 'name', type: 'text', required: true, max: 200, aliases: ['name', '姓名', '人员姓名', 'xm', 'full_name'] },
    { name: 'id_number', type: 'text', max: 40, aliases: ['id_number', 'id_card', 'idcard', '身份证号', '身份证号码', '公民身份号码', '证件号码', 'sfzh'] },
    { name: 'phone', type: 'text', max: 40, aliases: ['phone', 'mobile', 'tel', '联系电话', '手机号', '手机号码', '电话', '联系方式', 'lxdh'] },
    {
      name: 'category',
      type: 'enum',
      required: true,
      enum: PERSON_CATEGORIES,
      labels: {
        优抚对象: 'entitled', 优抚: 'entitled', 独居老人: 'elderly_alone', 空巢老人: 'elderly_alone', 困境儿童: 'child_distress', 留守儿童: 'child_distress',
        残障人士: 'disabled', 残疾人: 'disabled', 残障: 'disabled', 低收入家庭: 'low_income', 低保户: 'low_income', 低收入: 'low_income', 低保: 'low_income',
        闲散青少年: 'idle_youth', 社区矫正人员: 'community_correction', 社区矫正: 'community_correction', 社矫人员: 'community_correction',
        '"六失"人员': 'six_losses', '“六失”人员': 'six_losses', 六失人员: 'six_losses', 六失: 'six_losses',
        涉法涉诉: 'petition', 涉法涉诉人员: 'petition', 信访人员: 'petition', 信访: 'petition',
      },
      aliases: ['category', '人员类别', '人群类别', '人员类型', '类别', '类型', 'type'],
    },
    {
      name: 'control_level',
      type: 'int',
      required: true,
      min: 1,
      max: 3,
      labels: { 一级: 1, 二级: 2, 三级: 3, '1级': 1, '2级': 2, '3级': 3, 高: 1, 中: 2, 低: 3, 重点管控: 1, 一般管控: 2, 关注: 3 },
      aliases: ['control_level', 'level', '管控等级', '管控级别', '分级管控', '风险等级', '等级', '级别'],
    },
    addressRef(false),
    { name: 'since', type: 'date', aliases: ['since', 'start_date', '列管时间', '列管日期', '纳入时间', '纳入日期', '登记日期', '登记时间'] },
    { name: 'until', type: 'date', aliases: ['until', 'end_date', '撤管时间', '撤管日期', '解除时间', '解除日期'] },
    { name: 'notes', type: 'text', max: 10000, aliases: ['notes', 'remark', '备注', '说明'] },
  ],
  finish(v, ctx) {
    const bad = (field: string, message: string, code: 'BAD_ID_NUMBER' | 'BAD_VALUE' = 'BAD_VALUE') =>
      ctx.log.error({ row: ctx.row, line: ctx.line, field, code, message: `record ${ctx.row}, ${field}: ${message}` });
    // Identities are never echoed: every message below shows masked values only.
    if (typeof v.id_number === 'string') {
      const id = v.id_number.replace(/[\s-]/g, '').toUpperCase();
      v.id_number = id;
      if (/^\d{15}$/.test(id)) bad('id_number', `${maskIdNumber(id)} is an old 15-digit ID number; give the 18-character one`, 'BAD_ID_NUMBER');
      else if (!/^\d{17}[\dX]$/.test(id)) bad('id_number', `${maskIdNumber(id)} (${id.length} characters) is not an 18-character resident ID number`, 'BAD_ID_NUMBER');
      else if (idCheckCharacter(id) !== id[17]) {
        ctx.log.warn({ row: ctx.row, line: ctx.line, field: 'id_number', code: 'ID_CHECK_DIGIT', message: `record ${ctx.row}, id_number: ${maskIdNumber(id)} has a wrong check character (typo?); imported as given` });
      }
    }
    if (typeof v.phone === 'string') {
      const phone = v.phone.replace(/[\s()（）]/g, '');
      v.phone = phone;
      if (!/^[0-9+-]{5,20}$/.test(phone)) bad('phone', `${maskPhone(phone)} is not a phone number (5–20 digits, + or -)`);
    }
    if (!v.since) {
      ctx.log.warnOnce('persons-since', { row: null, field: 'since', code: 'DEFAULT_USED', message: 'records without since (列管时间) are taken as under management from the day of the import' });
    }
    if (typeof v.since === 'string' && typeof v.until === 'string' && v.until < v.since) bad('until', `until ${v.until} is before since ${v.since}`);
  },
};

const STAFF_SEPARATORS = /[,;，；、|/\s]+/;

const visits: KindSpec = {
  kind: 'visits',
  table: 'visit',
  geometry: 'point',
  geometryOptional: true,
  outsideSubdistrict: 'warn',
  references: 'visits',
  codePrefix: 'VS',
  hasCode: true,
  fields: [
    code('走访编号', '走访记录编号', '走访编码', '记录编号', 'visit_code', 'visit_id', 'client_id'),
    addressRef(false),
    { name: 'person', type: 'ref', max: 100, aliases: ['person', 'person_code', '人员编号', '重点人员编号', '关注人员编号', '走访对象编号'] },
    {
      name: 'staff',
      type: 'text',
      required: true,
      max: 1000,
      aliases: ['staff', 'staff_code', 'staff_codes', 'visitor', 'visitors', 'account', '走访人员', '走访人', '走访人编号', '走访民警', '人员工号', '工号', '警号', '账号'],
    },
    {
      name: 'visited_at',
      type: 'time',
      required: true,
      aliases: ['visited_at', 'visit_time', '走访时间', '走访日期', 'datetime', 'timestamp', 'time', 'date', '时间', '日期'],
    },
    { name: 'notes', type: 'text', max: 10000, aliases: ['notes', 'remark', '走访情况', '走访内容', '备注', '情况', 'description'] },
  ],
  finish(v) {
    // One or more participants: staff codes (or login accounts) separated by , ; 、 | / or spaces.
    v.staff_codes = typeof v.staff === 'string' ? [...new Set(v.staff.split(STAFF_SEPARATORS).filter((s) => s !== ''))] : [];
  },
};

const events: KindSpec = {
  kind: 'events',
  table: 'event',
  geometry: 'point',
  codePrefix: 'EV',
  hasCode: true,
  fields: [
    code('事件编号', '事件编码', '警情编号', '案件编号', 'event_code', 'incident_id', 'case_no'),
    {
      name: 'type',
      type: 'enum',
      required: true,
      enum: EVENT_TYPES,
      labels: {
        治安: 'public_security', 治安事件: 'public_security', 治安类: 'public_security', 治安案件: 'public_security',
        矛盾纠纷: 'dispute', 纠纷: 'dispute', 风险隐患: 'hazard', 隐患: 'hazard', 安全隐患: 'hazard',
        群众诉求: 'service_request', 诉求: 'service_request', 支援请求: 'support_request', 支援: 'support_request',
      },
      aliases: ['type', 'event_type', '事件类型', '类型', '事件类别', '类别'],
    },
    {
      name: 'subtype',
      type: 'enum',
      enum: [...new Set(Object.values(EVENT_SUBTYPES).flat())],
      labels: {
        婚恋: 'marriage', 婚姻家庭: 'marriage', 婚恋纠纷: 'marriage', 经济: 'economic', 经济纠纷: 'economic', 土地: 'land', 土地纠纷: 'land',
        邻里: 'neighbour', 邻里纠纷: 'neighbour', 劳资: 'labour', 劳资纠纷: 'labour', 其他: 'other', 其它: 'other',
        火灾: 'fire', 消防: 'fire', 交通: 'traffic', 建筑: 'building', 房屋: 'building', 聚集: 'gathering', 群体聚集: 'gathering',
        安全线索: 'security_lead', 线索: 'security_lead', 盗窃: 'theft', 诈骗: 'fraud', 打架: 'fight', 斗殴: 'fight', 打架斗殴: 'fight',
        扰乱秩序: 'disorder', 扰序: 'disorder',
      },
      aliases: ['subtype', 'sub_type', '事件子类', '子类', '细类', '小类'],
    },
    {
      name: 'severity',
      type: 'int',
      min: 1,
      max: 4,
      default: 1,
      labels: { 轻微: 1, 一般: 2, 较大: 3, 重大: 4, 特大: 4, 特别重大: 4 },
      aliases: ['severity', '严重程度', '等级', '级别', 'level'],
    },
    {
      name: 'complexity',
      type: 'enum',
      enum: ['general', 'complex'],
      labels: { 一般: 'general', 简单: 'general', 复杂: 'complex', 疑难: 'complex', 疑难复杂: 'complex' },
      aliases: ['complexity', '复杂程度', '纠纷类别'],
    },
    {
      name: 'state',
      type: 'enum',
      enum: EVENT_STATES,
      default: 'reported',
      labels: {
        上报: 'reported', 已上报: 'reported', 受理: 'accepted', 已受理: 'accepted', 分派: 'assigned', 已分派: 'assigned',
        处置中: 'in_progress', 处理中: 'in_progress', 办结待核: 'resolved', 待核: 'resolved', 已办结: 'closed', 办结: 'closed',
        升级: 'escalated', 退回: 'returned', 作废: 'cancelled',
      },
      aliases: ['state', 'status', '状态', '办理状态'],
    },
    { name: 'title', type: 'text', max: 500, aliases: ['title', '标题', '事件标题', '事件名称', '摘要', 'name', '名称'] },
    { name: 'description', type: 'text', max: 10000, aliases: ['description', 'desc', '描述', '事件描述', '内容', '详情', '备注', 'notes'] },
    { name: 'reporter_name', type: 'text', max: 200, aliases: ['reporter_name', 'reporter', '上报人', '报告人'] },
    {
      name: 'reported_at',
      type: 'time',
      required: true,
      aliases: ['reported_at', 'report_time', '上报时间', '发生时间', '报警时间', '时间', 'occurred_at', 'occur_date', 'offense_date', 'datetime', 'date', 'time', 'timestamp'],
    },
    { name: 'due_at', type: 'time', aliases: ['due_at', 'deadline', '办结期限', '期限'] },
    { name: 'closed_at', type: 'time', aliases: ['closed_at', '办结时间', '结案时间'] },
  ],
  finish(v, ctx) {
    const bad = (field: string, message: string, code: 'BAD_ENUM' | 'BAD_VALUE' | 'MISSING_VALUE' = 'BAD_VALUE') =>
      ctx.log.error({ row: ctx.row, line: ctx.line, field, code, message: `record ${ctx.row}, ${field}: ${message}` });
    const type = v.type as (typeof EVENT_TYPES)[number] | undefined;
    if (!type) return;
    const allowed = EVENT_SUBTYPES[type];
    if (v.subtype === null || v.subtype === undefined) {
      // Disputes and hazards are always classified; "other" is the honest default.
      if (type === 'dispute' || type === 'hazard') v.subtype = 'other';
    } else if (!allowed.includes(v.subtype as string)) {
      bad('subtype', `"${String(v.subtype)}" is not a subtype of ${type} (allowed: ${allowed.join(', ')})`, 'BAD_ENUM');
    }
    if (type === 'dispute') v.complexity ??= 'general';
    else v.complexity = null;
    const reported = v.reported_at as Date | undefined;
    const closed = v.closed_at as Date | null | undefined;
    const due = v.due_at as Date | null | undefined;
    if (v.state === 'closed' && !closed) bad('closed_at', 'a closed event needs closed_at (办结时间)', 'MISSING_VALUE');
    if (v.state !== 'closed' && closed) bad('closed_at', `closed_at is set but the state is ${String(v.state)}, not closed`);
    if (reported && closed && closed < reported) bad('closed_at', 'closed_at is before reported_at');
    if (reported && due && due < reported) bad('due_at', 'due_at is before reported_at');
    if (!v.title && type) v.title = `${EVENT_TYPE_LABELS_ZH[type]}事件`;
  },
};

const gpsFixes: KindSpec = {
  kind: 'gps-fixes',
  table: 'gps_fix',
  geometry: 'point',
  codePrefix: '',
  hasCode: false,
  fields: [
    { name: 'device', type: 'text', max: 100, aliases: ['device', 'device_id', 'device_code', '设备编号', '终端编号', '设备', 'imei'] },
    {
      name: 'fixed_at',
      type: 'time',
      required: true,
      aliases: ['fixed_at', 'gps_time', '定位时间', 'time', 'timestamp', 'datetime', 'date_time', '时间'],
    },
    { name: 'speed_kmh', type: 'float', min: 0, max: 499.99, aliases: ['speed_kmh', 'speed', '速度'] },
    { name: 'accuracy_m', type: 'float', min: 0, max: 100000, aliases: ['accuracy_m', 'accuracy', '精度'] },
  ],
};

export const KIND_SPECS: Record<ImportKind, KindSpec> = {
  subdistrict,
  communities,
  grids,
  'joint-defense-points': jointDefensePoints,
  'key-locations': keyLocations,
  addresses,
  persons,
  events,
  visits,
  'gps-fixes': gpsFixes,
};
