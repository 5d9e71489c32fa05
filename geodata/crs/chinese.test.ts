import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { distance } from '@turf/turf';
import type { Geometry } from 'geojson';
import { describe, expect, it } from 'vitest';
import {
  bd09ToGcj02,
  bd09ToWgs84,
  convertGeometry,
  gcj02ToBd09,
  gcj02ToWgs84,
  outOfChina,
  wgs84ToBd09,
  wgs84ToGcj02,
  type PointTransform,
} from './chinese.ts';

const metres = (a: [number, number], b: [number, number]) => distance(a, b, { units: 'meters' });

describe('published fixture values', () => {
  it('WGS84 → GCJ-02 matches the published algorithm', () => {
    // Tiananmen; the brief's reference value is (116.403370, 39.917924), within a metre.
    const [lon, lat] = wgs84ToGcj02(116.397128, 39.916527);
    expect(lon).toBeCloseTo(116.4033725, 6);
    expect(lat).toBeCloseTo(39.9179307, 6);
    expect(metres([lon, lat], [116.40337, 39.917924])).toBeLessThan(1);
    // wandergis/coordtransform test/app.js: wgs84togcj02(116.404, 39.915)
    const [lon2, lat2] = wgs84ToGcj02(116.404, 39.915);
    expect(lon2).toBeCloseTo(116.41024449916938, 10);
    expect(lat2).toBeCloseTo(39.91640428150164, 10);
  });

  it('GCJ-02 ↔ BD-09 match the published formulas', () => {
    // coordtransform: gcj02tobd09(116.404, 39.915) and bd09togcj02(116.404, 39.915)
    const [bLon, bLat] = gcj02ToBd09(116.404, 39.915);
    expect(bLon).toBeCloseTo(116.41036949371029, 10);
    expect(bLat).toBeCloseTo(39.92133699351021, 10);
    // The published inverse is only approximate; ours is exact, and agrees to well under a metre.
    const back = bd09ToGcj02(116.404, 39.915);
    expect(metres(back, [116.39762729119315, 39.90865673957631])).toBeLessThan(0.5);
  });

  it('the shift near Wugang is a few hundred metres, as expected for GCJ-02', () => {
    const seat = gcj02ToWgs84(113.52625, 33.302082);
    const shift = metres(seat, [113.52625, 33.302082]);
    expect(shift).toBeGreaterThan(400);
    expect(shift).toBeLessThan(800);
  });
});

describe('inverses', () => {
  const samples: [number, number][] = [
    [116.397128, 39.916527],
    [113.52625, 33.302082],
    [121.4737, 31.2304],
    [87.6168, 43.8256],
    [126.535, 45.8038],
    [110.3312, 20.0311],
    [91.1172, 29.6469],
  ];

  it('gcj02ToWgs84 inverts wgs84ToGcj02 to < 0.01 m', () => {
    for (const p of samples) {
      const g = wgs84ToGcj02(p[0], p[1]);
      const w = gcj02ToWgs84(g[0], g[1]);
      expect(metres(w, p)).toBeLessThan(0.01);
      // and the forward image of the inverse lands back on the GCJ-02 input
      expect(metres(wgs84ToGcj02(w[0], w[1]), g)).toBeLessThan(0.01);
    }
  });

  it('BD-09 round trips stay well under 1 m', () => {
    for (const p of samples) {
      expect(metres(bd09ToGcj02(...gcj02ToBd09(p[0], p[1])), p)).toBeLessThan(0.01);
      expect(metres(bd09ToWgs84(...wgs84ToBd09(p[0], p[1])), p)).toBeLessThan(0.01);
    }
  });

  it('a grid of points across China round-trips GCJ-02 under 1 m', () => {
    let worst = 0;
    for (let lon = 74; lon <= 134; lon += 3.7) {
      for (let lat = 18; lat <= 53; lat += 2.9) {
        const g = wgs84ToGcj02(lon, lat);
        worst = Math.max(worst, metres(gcj02ToWgs84(g[0], g[1]), [lon, lat]));
      }
    }
    expect(worst).toBeLessThan(0.01);
  });
});

describe('outside China', () => {
  it('applies no shift', () => {
    for (const p of [[-0.1276, 51.5072], [139.6917, 35.6895], [151.2093, -33.8688]] as [number, number][]) {
      expect(outOfChina(p[0], p[1])).toBe(true);
      expect(wgs84ToGcj02(p[0], p[1])).toEqual(p);
      expect(gcj02ToWgs84(p[0], p[1])).toEqual(p);
      expect(gcj02ToBd09(p[0], p[1])).toEqual(p);
      expect(bd09ToWgs84(p[0], p[1])).toEqual(p);
    }
    expect(outOfChina(113.5, 33.3)).toBe(false);
  });
});

describe('argument checks', () => {
  const fns: [string, PointTransform][] = [
    ['wgs84ToGcj02', wgs84ToGcj02],
    ['gcj02ToWgs84', gcj02ToWgs84],
    ['gcj02ToBd09', gcj02ToBd09],
    ['bd09ToGcj02', bd09ToGcj02],
    ['bd09ToWgs84', bd09ToWgs84],
  ];
  it.each(fns)('%s refuses non-finite and out-of-range values, naming them', (_name, fn) => {
    expect(() => fn(Number.NaN, 30)).toThrow(new RangeError('longitude must be a finite number in [-180, 180], got NaN'));
    expect(() => fn(Infinity, 30)).toThrow(/longitude .* got Infinity/);
    expect(() => fn(181, 30)).toThrow(/longitude .* got 181$/);
    expect(() => fn(113, -90.5)).toThrow(new RangeError('latitude must be a finite number in [-90, 90], got -90.5'));
    expect(() => fn(113, Number.NEGATIVE_INFINITY)).toThrow(RangeError);
  });
  it('outOfChina checks too', () => {
    expect(() => outOfChina(200, 0)).toThrow(/got 200/);
  });
});

describe('convertGeometry', () => {
  it('converts every position, keeps altitude, drops a stale bbox and leaves the input alone', () => {
    const input = {
      type: 'Polygon',
      bbox: [113.5, 33.3, 113.6, 33.4],
      coordinates: [[[113.5, 33.3, 10], [113.6, 33.3, 11], [113.6, 33.4, 12], [113.5, 33.3, 10]]],
    } as const satisfies Geometry;
    const copy = JSON.parse(JSON.stringify(input)) as Geometry;
    const out = convertGeometry(input as Geometry, gcj02ToWgs84);
    expect(input).toEqual(copy);
    expect(out).not.toHaveProperty('bbox');
    if (out.type !== 'Polygon') throw new Error('type changed');
    const ring = out.coordinates[0]!;
    expect(ring.map((p) => p[2])).toEqual([10, 11, 12, 10]);
    expect(ring[0]).toEqual([...gcj02ToWgs84(113.5, 33.3), 10]);
  });
  it('refuses unknown geometry types and short positions', () => {
    expect(() => convertGeometry({ type: 'Circle' } as unknown as Geometry, gcj02ToWgs84)).toThrow(
      new TypeError('unsupported GeoJSON geometry type: Circle'),
    );
    expect(() => convertGeometry({ type: 'Point', coordinates: [113] }, gcj02ToWgs84)).toThrow(RangeError);
  });
});

// Golden files: test/in/*.json name a conversion and a geometry; test/out/*.json hold the result.
// UPDATE_GOLDEN=1 rewrites the outputs (review the diff before committing it).
const HERE = fileURLToPath(new URL('.', import.meta.url));
const IN_DIR = join(HERE, 'test', 'in');
const OUT_DIR = join(HERE, 'test', 'out');
const CONVERSIONS: Record<string, PointTransform> = { wgs84ToGcj02, gcj02ToWgs84, gcj02ToBd09, bd09ToGcj02, bd09ToWgs84, wgs84ToBd09 };

interface GoldenCase {
  description: string;
  conversion: string;
  geometry: Geometry;
}

/** Numbers equal to 1e-9° (0.1 mm): the goldens guard the algorithm, not the last floating-point bit. */
function expectClose(actual: unknown, expected: unknown, path: string): void {
  if (typeof expected === 'number') {
    expect(typeof actual, path).toBe('number');
    expect(Math.abs((actual as number) - expected), path).toBeLessThan(1e-9);
  } else if (Array.isArray(expected)) {
    expect(Array.isArray(actual), path).toBe(true);
    expect((actual as unknown[]).length, path).toBe(expected.length);
    expected.forEach((e, i) => expectClose((actual as unknown[])[i], e, `${path}[${i}]`));
  } else if (expected && typeof expected === 'object') {
    expect(Object.keys(actual as object).sort(), path).toEqual(Object.keys(expected).sort());
    for (const [k, v] of Object.entries(expected)) expectClose((actual as Record<string, unknown>)[k], v, `${path}.${k}`);
  } else {
    expect(actual, path).toEqual(expected);
  }
}

describe('golden files', () => {
  const files = readdirSync(IN_DIR).filter((f) => f.endsWith('.json')).sort();
  it('has inputs', () => expect(files.length).toBeGreaterThanOrEqual(4));
  it.each(files)('%s', (file) => {
    const input = JSON.parse(readFileSync(join(IN_DIR, file), 'utf8')) as GoldenCase;
    const fn = CONVERSIONS[input.conversion];
    if (!fn) throw new Error(`${file}: unknown conversion "${input.conversion}"`);
    const result: GoldenCase = { ...input, geometry: convertGeometry(input.geometry, fn) };
    const outFile = join(OUT_DIR, file);
    if (process.env.UPDATE_GOLDEN === '1') writeFileSync(outFile, `${JSON.stringify(result, null, 1)}\n`);
    const expected = JSON.parse(readFileSync(outFile, 'utf8')) as GoldenCase;
    expectClose(result, expected, file);
  });
});
