import { describe, expect, it } from 'vitest';
import { addDays, brushToRange, presetOf, presetRange, rangeToPixels, stepRange } from './dates.ts';
import { diffClass, gistarColor, GISTAR_CLASSES, hexBreaks, hexClass } from './palette.ts';
import { decodeView, emptyView, encodeView, type ViewState } from './url-state.ts';

describe('url state', () => {
  const full: ViewState = {
    mode: 'analysis', center: [113.52013, 33.29041], zoom: 13.25, range: { from: '2026-03-01', to: '2026-03-31' },
    types: ['dispute', 'hazard'], subtypes: ['neighbour'], hours: [0, 22, 23], weekdays: [6, 7],
    layers: { hex: 0.8, gistar: 0.65, compare: 1 }, compare: { from: '2026-02-01', to: '2026-02-28' },
    off: ['communities', 'jointPoints'], overlays: { visits: 0.9, addresses: 0.5 }, addressCategories: ['key', 'attention'],
  };

  it('round-trips every field, canonically', () => {
    const q = encodeView(full);
    expect(q).toBe('mode=analysis&c=113.52013,33.29041&z=13.25&from=2026-03-01&to=2026-03-31&type=dispute,hazard&sub=neighbour&hours=0,22,23&wd=6,7&layers=hex:0.8,gistar:0.65,compare:1&cmp=2026-02-01..2026-02-28&off=communities,jointPoints&ov=visits:0.9,addresses:0.5&acat=key,attention');
    expect(decodeView(`?${q}`)).toEqual(full);
    expect(encodeView(decodeView(q))).toBe(q);
  });

  it('decodes nothing to the defaults and encodes the defaults to nothing', () => {
    expect(decodeView('')).toEqual(emptyView());
    expect(encodeView(emptyView())).toBe('');
  });

  it('drops malformed parts instead of failing', () => {
    const v = decodeView('?c=500,1&z=x&from=2026-02-30&to=2026-03-01&type=DROP%20TABLE,dispute&hours=25,3&wd=0&layers=hex:9,bogus:1,heat&cmp=2026-03-05..2026-03-01');
    expect(v).toEqual({ ...emptyView(), types: ['dispute'], hours: [3], layers: { hex: 1, heat: 1 } });
    const w = decodeView('?off=grids,bogus,grids,subdistrict&ov=persons:0,roads:1,tracks&acat=general,nope');
    expect(w).toEqual({ ...emptyView(), off: ['subdistrict', 'grids'], overlays: { persons: 0.05, tracks: 1 }, addressCategories: ['general'] });
    expect(encodeView(w)).toBe('off=subdistrict,grids&ov=tracks:1,persons:0.05&acat=general');
  });

  it('keeps every address category unticked apart from all of them ticked (the default)', () => {
    expect(decodeView('?acat=').addressCategories).toEqual([]);
    expect(encodeView({ ...emptyView(), addressCategories: [] })).toBe('acat=');
    expect(decodeView('?acat=general,key,attention').addressCategories).toBeNull();
    expect(encodeView({ ...emptyView(), addressCategories: ['general', 'attention', 'key'] })).toBe('');
  });
});

describe('time bar', () => {
  const domain = { from: '2026-03-01', to: '2026-03-10' }; // 10 bars of 30 px on 300 px

  it('maps a brush to every day it touches, whichever way it was dragged', () => {
    expect(brushToRange(31, 89, 300, domain)).toEqual({ from: '2026-03-02', to: '2026-03-03' });
    expect(brushToRange(89, 31, 300, domain)).toEqual({ from: '2026-03-02', to: '2026-03-03' });
    expect(brushToRange(45, 45, 300, domain)).toEqual({ from: '2026-03-02', to: '2026-03-02' });
    expect(brushToRange(-20, 900, 300, domain)).toEqual(domain);
  });

  it('maps a range back to pixels, and back again', () => {
    const r = { from: '2026-03-04', to: '2026-03-06' };
    const [a, b] = rangeToPixels(r, 300, domain);
    expect([a, b]).toEqual([90, 180]);
    expect(brushToRange(a, b, 300, domain)).toEqual(r);
  });

  it('has the presets and recognises them', () => {
    expect(presetRange('today', '2026-03-15')).toEqual({ from: '2026-03-15', to: '2026-03-15' });
    expect(presetRange('7d', '2026-03-15')).toEqual({ from: '2026-03-09', to: '2026-03-15' });
    expect(presetRange('30d', '2026-03-15')).toEqual({ from: '2026-02-14', to: '2026-03-15' });
    expect(presetRange('cycle', '2026-03-15')).toEqual({ from: '2026-03-01', to: '2026-03-15' });
    expect(presetOf({ from: '2026-03-09', to: '2026-03-15' }, '2026-03-15')).toBe('7d');
    expect(presetOf({ from: '2026-03-08', to: '2026-03-15' }, '2026-03-15')).toBe(null);
  });

  it('plays the window forward a day at a time and wraps at the end', () => {
    expect(stepRange({ from: '2026-03-01', to: '2026-03-03' }, '2026-03-01', '2026-03-10')).toEqual({ from: '2026-03-02', to: '2026-03-04' });
    expect(stepRange({ from: '2026-03-08', to: '2026-03-10' }, '2026-03-01', '2026-03-10')).toEqual({ from: '2026-03-01', to: '2026-03-03' });
    expect(addDays('2026-02-28', 1)).toBe('2026-03-01');
  });
});

describe('palettes', () => {
  it('colours Gi* classes on a diverging scale, not significant transparent', () => {
    expect(GISTAR_CLASSES.map((c) => c.cls)).toEqual([3, 2, 1, 0, -1, -2, -3]);
    expect(gistarColor(0)[3]).toBe(0);
    const [hot, cold] = [gistarColor(3), gistarColor(-3)];
    expect(hot[0]).toBeGreaterThan(hot[2]);
    expect(cold[2]).toBeGreaterThan(cold[0]);
  });

  it('breaks hex counts into increasing classes', () => {
    expect(hexBreaks(100)).toEqual([3, 12, 25, 45, 70, 100]);
    expect(hexBreaks(2)).toEqual([1, 2, 3, 4, 5, 6]);
    const b = hexBreaks(100);
    expect([hexClass(1, b), hexClass(3, b), hexClass(4, b), hexClass(100, b), hexClass(500, b)]).toEqual([0, 0, 1, 5, 5]);
  });

  it('classes differences symmetrically', () => {
    expect([diffClass(10, 10), diffClass(3, 10), diffClass(0, 10), diffClass(-3, 10), diffClass(-6, 10), diffClass(0, 0)]).toEqual(['up2', 'up1', 'same', 'down1', 'down2', 'same']);
  });
});
