/**
 * The few distribution functions hotspot analysis needs, written out so there is no statistics
 * dependency and the accuracy is known.
 */

/**
 * Complementary error function, Chebyshev fit from Numerical Recipes (Press et al., 2nd ed.,
 * §6.2, `erfcc`): fractional error below 1.2e-7 everywhere, which is far finer than any
 * significance level we classify at.
 */
export function erfc(x: number): number {
  if (Number.isNaN(x)) throw new Error('erfc: x is NaN');
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const r =
    t *
    Math.exp(
      -z * z -
        1.26551223 +
        t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))),
    );
  return x >= 0 ? r : 2 - r;
}

/** Standard normal cumulative distribution Φ(z). */
export function normalCdf(z: number): number {
  return 0.5 * erfc(-z / Math.SQRT2);
}

/** Two-sided p-value of a standard normal z-score: P(|Z| ≥ |z|). */
export function twoSidedP(z: number): number {
  return Math.min(1, erfc(Math.abs(z) / Math.SQRT2));
}

/**
 * Benjamini–Hochberg adjusted p-values (Benjamini & Hochberg 1995, "Controlling the false discovery
 * rate", JRSS B 57:289-300), the same as R's p.adjust(method = "BH"):
 * q_(i) = min_{j ≥ i} min(1, m·p_(j)/j) over the p-values sorted ascending. A test is significant
 * at FDR level α exactly when q ≤ α, which is BH's step-up rule (largest k with p_(k) ≤ kα/m).
 */
export function benjaminiHochberg(pValues: readonly number[]): number[] {
  const m = pValues.length;
  pValues.forEach((p, i) => {
    if (!(p >= 0 && p <= 1)) throw new Error(`benjaminiHochberg: p-value ${i} is ${p}, not in [0, 1]`);
  });
  const order = pValues.map((_, i) => i).sort((a, b) => pValues[a]! - pValues[b]!);
  const q = new Array<number>(m);
  let running = 1;
  for (let rank = m; rank >= 1; rank--) {
    const i = order[rank - 1]!;
    running = Math.min(running, (m * pValues[i]!) / rank);
    q[i] = running;
  }
  return q;
}

/** Confidence levels of the hot/cold classes, strongest first: ±3 = 99 %, ±2 = 95 %, ±1 = 90 %. */
export const CONFIDENCE_LEVELS = [
  { level: 3, alpha: 0.01 },
  { level: 2, alpha: 0.05 },
  { level: 1, alpha: 0.1 },
] as const;

/** -3..3: the sign of z times the strongest level whose α the (adjusted) p-value meets. */
export function confidenceClass(z: number, p: number): number {
  if (z === 0) return 0;
  for (const { level, alpha } of CONFIDENCE_LEVELS) if (p <= alpha) return Math.sign(z) * level;
  return 0;
}
