/** Every user-facing string of the console, in one place (zh-CN first; other locales mirror these keys). */
export const zhCN = {
  appTitle: '警网一张图',
  centreName: '警网融合中心',
  loading: '正在加载…',
  loadFailed: '加载失败',
  retry: '重试',
  layers: '图层',
  login: {
    title: '用户登录',
    username: '用户名',
    password: '密码',
    submit: '登录',
    submitting: '正在登录…',
    logout: '退出',
    demoHint: '演示账号见 README（首次登录须修改密码）',
  },
  changePassword: {
    title: '首次登录，请修改密码',
    current: '当前密码',
    next: '新密码',
    repeat: '再次输入新密码',
    rule: '至少10位，包含大写字母、小写字母、数字、符号中的至少三类，且不含用户名',
    mismatch: '两次输入的新密码不一致',
    submit: '修改密码',
  },
  roles: {
    command: '指挥中心', station_chief: '工作站站长', police: '民警', aux_police: '辅警', grid_leader: '网格长',
    grid_worker: '网格员', part_time: '兼职网格员', analyst: '研判人员', display: '大屏',
  } as Record<string, string>,
  basemap: '底图',
  basemapNone: '无底图',
  basemapDark: '深色',
  basemapLight: '浅色',
  layer: {
    subdistrict: '街道边界',
    communities: '社区/行政村',
    grids: '网格',
    gridLabels: '网格名称',
    jointPoints: '联防联控点',
    keyLocations: '重点部位',
  },
  stats: {
    communities: '社区/村',
    grids: '网格',
    jointPoints: '联防点',
    keyLocations: '重点部位',
  },
  grid: {
    code: '网格编码',
    community: '所属社区',
    area: '面积',
  },
  units: { km2: '平方千米', m2: '平方米' },
  keyLocationType: {
    school: '学校', kindergarten: '幼儿园', market: '市场', bank: '银行', clinic: '诊所', hospital: '医院',
    station: '车站', government: '政府机关', nightlife: '娱乐场所', factory: '工厂', gas_station: '加油站',
    religious: '宗教场所', park: '公园', other: '其他',
  },
} as const;

export type Messages = typeof zhCN;
export const t: Messages = zhCN;
