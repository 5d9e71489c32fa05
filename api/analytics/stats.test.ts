import { describe, expect, it } from 'vitest';
import { benjaminiHochberg, confidenceClass, erfc, normalCdf, twoSidedP } from './stats.ts';

// Reference values: the standard normal quantiles (e.g. Abramowitz & Stegun table 26.5) and
// Python's math.erfc, which is accurate to the last bit.
describe('normal distribution', () => {
  it('matches known quantiles to the documented accuracy', () => {
    expect(normalCdf(0)).toBeCloseTo(0.5, 7);
    expect(normalCdf(1)).toBeCloseTo(0.8413447460685429, 7);
    expect(normalCdf(-1)).toBeCloseTo(0.15865525393145707, 7);
    expect(normalCdf(1.959963984540054)).toBeCloseTo(0.975, 7);
    expect(twoSidedP(1.6448536269514722)).toBeCloseTo(0.1, 7);
    expect(twoSidedP(-1.959963984540054)).toBeCloseTo(0.05, 7);
    expect(twoSidedP(2.5758293035489004)).toBeCloseTo(0.01, 8);
    expect(twoSidedP(3.2905267314918945)).toBeCloseTo(0.001, 9);
  });

  it('keeps relative accuracy in the far tail', () => {
    // math.erfc(5/sqrt(2)) = 5.733031437583892e-07
    expect(Math.abs(twoSidedP(5) / 5.733031437583892e-7 - 1)).toBeLessThan(2e-7);
    expect(erfc(-3)).toBeCloseTo(2 - 2.209049699858544e-5, 9);
    expect(twoSidedP(40)).toBe(0);
    expect(twoSidedP(0)).toBeCloseTo(1, 7);
  });

  it('refuses NaN rather than returning a p-value', () => {
    expect(() => twoSidedP(Number.NaN)).toThrow(/NaN/);
  });
});

describe('Benjamini–Hochberg', () => {
  // The worked example of Benjamini & Hochberg (1995), §4: 15 p-values; at q = 0.05 the procedure
  // rejects the four smallest (Bonferroni only three). Adjusted values worked out by hand as
  // min_{j≥i} 15·p_(j)/j, and equal to R's p.adjust(p, "BH").
  const p = [0.0001, 0.0004, 0.0019, 0.0095, 0.0201, 0.0278, 0.0298, 0.0344, 0.0459, 0.324, 0.4262, 0.5719, 0.6528, 0.759, 1];
  const adjusted = [0.0015, 0.003, 0.0095, 0.035625, 0.0603, 0.0638571, 0.0638571, 0.0645, 0.0765, 0.486, 0.5811818, 0.714875, 0.7532308, 0.8132143, 1];

  it('reproduces the published example', () => {
    const q = benjaminiHochberg(p);
    q.forEach((v, i) => expect(v).toBeCloseTo(adjusted[i]!, 6));
    expect(q.filter((v) => v <= 0.05)).toHaveLength(4);
  });

  it('does not depend on the input order', () => {
    const order = [14, 3, 7, 0, 11, 5, 9, 1, 13, 2, 8, 6, 12, 4, 10];
    const q = benjaminiHochberg(order.map((i) => p[i]!));
    order.forEach((i, k) => expect(q[k]).toBeCloseTo(adjusted[i]!, 6));
  });

  it('refuses a value outside [0, 1] and names it', () => {
    expect(() => benjaminiHochberg([0.1, 1.5])).toThrow(/p-value 1 is 1.5/);
    expect(benjaminiHochberg([])).toEqual([]);
  });
});

describe('confidence classes', () => {
  it('maps sign and adjusted p to ±3/±2/±1/0', () => {
    expect(confidenceClass(3, 0.005)).toBe(3);
    expect(confidenceClass(-2.2, 0.03)).toBe(-2);
    expect(confidenceClass(1.7, 0.09)).toBe(1);
    expect(confidenceClass(1.7, 0.1)).toBe(1);
    expect(confidenceClass(1.2, 0.2)).toBe(0);
    expect(confidenceClass(0, 0)).toBe(0);
  });
});
