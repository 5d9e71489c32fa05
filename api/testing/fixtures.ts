import type { Sql } from 'postgres';

/**
 * A tiny world whose answers can be worked out by hand: one sub-district made of two square
 * communities side by side, each split into two square grids. Squares are 0.01° (≈ 930 m × 1,110 m
 * at 33°N), placed near 院岭 so geography areas are realistic.
 */
export const ORIGIN: [number, number] = [113.5, 33.28];
export const CELL = 0.01;

export function square(x0: number, y0: number, w: number, h: number) {
  return {
    type: 'MultiPolygon' as const,
    coordinates: [[[[x0, y0], [x0 + w, y0], [x0 + w, y0 + h], [x0, y0 + h], [x0, y0]]]],
  };
}

export interface TinyWorld {
  subdistrictId: number;
  communityIds: [number, number];
  gridIds: [number, number, number, number];
}

export async function insertTinyWorld(sql: Sql): Promise<TinyWorld> {
  const [ox, oy] = ORIGIN;
  const gj = (g: object) => JSON.stringify(g);
  const [sd] = await sql<{ id: number }[]>`
    INSERT INTO subdistrict (code, name, geom)
    VALUES ('T-SD', '测试街道', ST_SetSRID(ST_GeomFromGeoJSON(${gj(square(ox, oy, 4 * CELL, 2 * CELL))}), 4326))
    RETURNING id`;
  const communityIds: number[] = [];
  for (const [i, name] of ['东风社区', '西岭村'].entries()) {
    const [c] = await sql<{ id: number }[]>`
      INSERT INTO community (code, subdistrict_id, name, kind, geom)
      VALUES (${`T-C${i + 1}`}, ${sd!.id}, ${name}, ${i === 0 ? 'community' : 'village'},
              ST_SetSRID(ST_GeomFromGeoJSON(${gj(square(ox + i * 2 * CELL, oy, 2 * CELL, 2 * CELL))}), 4326))
      RETURNING id`;
    communityIds.push(c!.id);
  }
  const gridIds: number[] = [];
  for (let i = 0; i < 4; i++) {
    const community = communityIds[Math.floor(i / 2)]!;
    const [g] = await sql<{ id: number }[]>`
      INSERT INTO grid (code, community_id, name, geom)
      VALUES (${`T-G${i + 1}`}, ${community}, ${`第${i + 1}网格`},
              ST_SetSRID(ST_GeomFromGeoJSON(${gj(square(ox + i * CELL, oy, CELL, 2 * CELL))}), 4326))
      RETURNING id`;
    gridIds.push(g!.id);
  }
  return {
    subdistrictId: sd!.id,
    communityIds: communityIds as [number, number],
    gridIds: gridIds as [number, number, number, number],
  };
}
