import type { Geometry, Polygon } from 'geojson';
import type { FC, GridProps } from './api.ts';
import { t } from './i18n/zh-CN.ts';

// Pure (no runes, no fetch): the e2e tests import it to compute what the exports must hold.

/** The answer of POST /api/stats/area (api/routes/area-stats.ts). */
export interface AreaStats {
  window: { from: string; to: string };
  area_m2: number;
  addresses: { total: number; registered: number; registration_rate: number | null; by_category: { category: string; total: number; registered: number }[] };
  events: {
    reported: number; by_type: { type: string; reported: number }[]; by_state: { state: string; events: number }[];
    due: number; closed: number; on_time: number; closure_rate: number | null; on_time_rate: number | null;
  };
  visits: { total: number; standard: number; standard_rate: number | null };
  key_locations: { total: number; by_type: { type: string; count: number }[] };
  joint_defense_points: number;
  grids: { grid_id: number; code: string; name: string; area_m2: number; inside_m2: number; share: number; patrol_coverage: number | null }[];
  patrol_coverage: number | null;
}

type Cell = string | number | null;

/** The result as a long table (分类, 项目, 数值): every number the panel shows, one per row. */
export function areaTable(r: AreaStats): { header: string[]; body: Cell[][] } {
  const a = t.area;
  const body: Cell[][] = [
    [a.window, '起', r.window.from], [a.window, '止', r.window.to],
    [a.areaLabel, '平方米', Math.round(r.area_m2)],
    [a.addresses, '总数', r.addresses.total], [a.addresses, a.registered, r.addresses.registered], [a.addresses, '登记率', r.addresses.registration_rate],
    ...r.addresses.by_category.map((c): Cell[] => [a.addresses, t.addressCategory[c.category] ?? c.category, c.total]),
    [a.events, '总数', r.events.reported],
    ...r.events.by_type.map((x): Cell[] => [a.byType, t.eventType[x.type] ?? x.type, x.reported]),
    ...r.events.by_state.map((x): Cell[] => [a.byState, t.eventState[x.state] ?? x.state, x.events]),
    [a.closure, '到期', r.events.due], [a.closure, '已办结', r.events.closed], [a.closure, a.onTime, r.events.on_time],
    [a.closure, '办结率', r.events.closure_rate], [a.closure, '按期办结率', r.events.on_time_rate],
    [a.visits, '总数', r.visits.total], [a.visits, '规范化', r.visits.standard],
    [a.keyLocations, '总数', r.key_locations.total],
    ...r.key_locations.by_type.map((x): Cell[] => [a.keyLocations, t.keyLocationType[x.type as keyof typeof t.keyLocationType] ?? x.type, x.count]),
    [a.jointPoints, '总数', r.joint_defense_points],
    [a.patrol, '', r.patrol_coverage],
    ...r.grids.map((g): Cell[] => [a.grids, `${g.name}（${g.code}）${a.share}`, g.share]),
  ];
  return { header: ['分类', '项目', '数值'], body };
}

/** The drawn polygon with the totals, then each grid it touches with its share inside (grids missing from the map are left out). */
export function areaFeatures(r: AreaStats, polygon: Polygon, grids: FC<GridProps> | null): { geometry: Geometry; properties: Record<string, unknown> }[] {
  const geometry = new Map(grids?.features.map((f) => [f.properties.id, f.geometry]) ?? []);
  return [
    {
      geometry: polygon,
      properties: {
        kind: 'selection', 统计起: r.window.from, 统计止: r.window.to, 面积平方米: r.area_m2,
        地址数: r.addresses.total, 已登记地址: r.addresses.registered, 上报事件: r.events.reported, 到期事件: r.events.due,
        已办结: r.events.closed, 按期办结: r.events.on_time, 走访: r.visits.total, 规范化走访: r.visits.standard,
        重点部位: r.key_locations.total, 联防联控点: r.joint_defense_points, 巡防覆盖率: r.patrol_coverage,
      },
    },
    ...r.grids.flatMap((g) => {
      const geom = geometry.get(g.grid_id);
      return geom ? [{ geometry: geom, properties: { kind: 'grid', 网格ID: g.grid_id, 网格编码: g.code, 网格名称: g.name, 面积占比: g.share, 框内面积平方米: g.inside_m2, 巡防覆盖率: g.patrol_coverage } }] : [];
    }),
  ];
}
