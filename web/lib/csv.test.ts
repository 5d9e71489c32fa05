import { describe, expect, it } from 'vitest';
import { exportName, toCsv, toGeoJson } from './csv.ts';

describe('toCsv', () => {
  it('starts with a BOM, quotes what needs it, defuses formulas and ends lines with CRLF', () => {
    const text = toCsv(['编号', '标题'], [['EV1', '邻里"噪音",纠纷'], ['EV2', '=1+1'], ['EV3', null]]);
    expect(text).toBe('\uFEFF编号,标题\r\nEV1,"邻里""噪音"",纠纷"\r\nEV2,\'=1+1\r\nEV3,\r\n');
  });
});

describe('toGeoJson and exportName', () => {
  it('writes a FeatureCollection and names files in Chinese with the Shanghai date', () => {
    const fc = JSON.parse(toGeoJson([{ geometry: { type: 'Point', coordinates: [113.5, 33.3] }, properties: { 编号: 'EV1' } }])) as unknown;
    expect(fc).toEqual({ type: 'FeatureCollection', features: [{ type: 'Feature', geometry: { type: 'Point', coordinates: [113.5, 33.3] }, properties: { 编号: 'EV1' } }] });
    // 23:30 UTC is 07:30 the next day in Shanghai.
    expect(exportName('网格指标', 'geojson', new Date('2026-11-29T23:30:00Z'))).toBe('网格指标-20261130-0730.geojson');
  });
});
