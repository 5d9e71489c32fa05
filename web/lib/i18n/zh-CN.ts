/** Every user-facing string of the console, in one place (zh-CN first; other locales mirror these keys). */
export const zhCN = {
  appTitle: '警网一张图',
  centreName: '警网融合中心',
  loading: '正在加载…',
  loadFailed: '加载失败',
  retry: '重试',
  layers: '图层',
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
