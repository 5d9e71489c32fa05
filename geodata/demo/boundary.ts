import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { FeatureCollection, MultiPolygon } from 'geojson';
import { convertGeometry, gcj02ToWgs84 } from '../crs/chinese.ts';

// A copy of shared/data/wugang_boundary/410481_wugang_county.geojson (see assets/SOURCES.md), read
// from beside this module so the generator works wherever the repository is checked out.
const COUNTY_ASSET = fileURLToPath(new URL('./assets/wugang_county_gcj02.geojson', import.meta.url));
export const COUNTY_SOURCE = 'DataV GeoAtlas 410481 舞钢市 (GCJ-02), geodata/demo/assets/wugang_county_gcj02.geojson';

export interface County {
  /** WGS84 outline. */
  geom: MultiPolygon;
  /** WGS84 seat of government (the DataV `center`), the urban core. */
  seat: [number, number];
}

export function readCounty(): County {
  const fc = JSON.parse(readFileSync(COUNTY_ASSET, 'utf8')) as FeatureCollection<MultiPolygon, { adcode: number; center: [number, number] }>;
  const feature = fc.features.find((f) => f.properties.adcode === 410481);
  if (!feature) throw new Error(`${COUNTY_ASSET} has no feature with adcode 410481`);
  const [lon, lat] = feature.properties.center;
  return { geom: convertGeometry(feature.geometry, gcj02ToWgs84), seat: gcj02ToWgs84(lon, lat) };
}
