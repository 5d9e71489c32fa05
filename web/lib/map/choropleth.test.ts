import { describe, expect, it } from 'vitest';
import { createExpression } from '@maplibre/maplibre-gl-style-spec';
import { CLASS_IDS, KPI_CLASSES, classCounts, classOf, fillColorExpression, fillOpacityExpression, formatRate } from './choropleth.ts';

describe('classOf', () => {
  it.each([
    [0, 'lt60'], [0.5999, 'lt60'], [0.6, '60-80'], [0.7999, '60-80'], [0.8, '80-95'], [0.9499, '80-95'],
    [0.95, '95-100'], [0.9999, '95-100'], [1, '100'], [1.2, '100'], [-0.1, 'lt60'],
    [null, 'none'], [undefined, 'none'], [Number.NaN, 'none'],
  ] as const)('%s → %s', (value, id) => {
    expect(classOf(value)).toBe(id);
  });

  it('counts grids per class, every class present', () => {
    expect(classCounts([0.1, 0.65, 0.9, 0.97, 1, 1, null])).toEqual({ lt60: 1, '60-80': 1, '80-95': 1, '95-100': 1, '100': 2, none: 1 });
    expect(Object.keys(classCounts([])).sort()).toEqual([...CLASS_IDS].sort());
  });
});

describe('fillColorExpression', () => {
  const colorOf = (id: string) => KPI_CLASSES.find((c) => c.id === id)!.color;
  // The map must colour a grid exactly as the legend classifies it.
  it('evaluates in MapLibre to the colour of classOf for the same feature-state', () => {
    const parsed = createExpression(fillColorExpression(), { type: 'color', 'property-type': 'data-driven', expression: { interpolated: false, parameters: ['feature-state'] } } as never);
    expect(parsed.result, JSON.stringify(parsed.value)).toBe('success');
    const expr = parsed.value as { evaluate: (g: object, f: object, s: object) => { toString(): string } };
    const hex = (c: string) => {
      const n = Number.parseInt(c.slice(1), 16);
      return `rgba(${(n >> 16) & 255},${(n >> 8) & 255},${n & 255},1)`;
    };
    for (const v of [0, 0.3, 0.59999, 0.6, 0.75, 0.8, 0.9, 0.95, 0.99, 1, null]) {
      const state = v === null ? {} : { kpi: v };
      expect(expr.evaluate({ zoom: 12 }, { type: 'Polygon', properties: {} }, state).toString(), String(v)).toBe(hex(colorOf(classOf(v))));
    }
    expect(expr.evaluate({ zoom: 12 }, { type: 'Polygon', properties: {} }, { kpi: null }).toString()).toBe(hex(colorOf('none')));
  });

  it('clamps the opacity and brightens the hovered grid', () => {
    expect(fillOpacityExpression(0.5)).toEqual(['case', ['boolean', ['feature-state', 'hover'], false], 0.7, 0.5]);
    expect(fillOpacityExpression(2)).toEqual(['case', ['boolean', ['feature-state', 'hover'], false], 1, 1]);
  });
});

describe('formatRate', () => {
  it('formats a share as a percentage with one decimal', () => {
    expect([formatRate(1 / 3), formatRate(1), formatRate(0), formatRate(null)]).toEqual(['33.3%', '100.0%', '0.0%', '—']);
  });
});
