// erf: the error function (gelu's Φ is built on it).
import { defineUnary, type UnaryFn } from './define.ts';
import { exp } from './exp.ts';
import { mul } from './mul.ts';
import { square } from './square.ts';

const TWO_OVER_SQRT_PI = 2 / Math.sqrt(Math.PI);

/**
 * erf(x) to about 1e-15 relative: the Maclaurin series 2/√π Σ (−1)ⁿ x^{2n+1}/(n!(2n+1)) below |x| = 2.5
 * (terms stay below 10⁴, so at most 4 digits cancel), and above it 1 − erfc(x) with erfc's continued
 * fraction e^{−x²}/√π · 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + …)))), evaluated from the tail.
 */
export function erfNumber(x: number): number {
  if (x !== x) return x;
  const ax = Math.abs(x);
  if (ax < 2.5) {
    const x2 = x * x;
    let term = x;
    let s = x;
    for (let n = 1; n < 60; n++) {
      term *= -x2 / n;
      const add = term / (2 * n + 1);
      s += add;
      if (Math.abs(add) < 1e-17 * Math.abs(s)) break;
    }
    return TWO_OVER_SQRT_PI * s;
  }
  if (ax > 6) return Math.sign(x);
  let f = ax;
  for (let k = 60; k >= 1; k--) f = ax + k / 2 / f;
  const erfc = Math.exp(-x * x) / Math.sqrt(Math.PI) / f;
  return x > 0 ? 1 - erfc : erfc - 1;
}

/**
 * Elementwise error function: `y = erf(x) = 2/√π ∫₀ˣ e^{−t²} dt`.
 * @param x A tensor, value or number.
 * @returns The result, elementwise, in x's shape.
 * @example
 * ```ts
 * import { erf, tensor } from '@tapegrad/core';
 * console.log(erf(tensor([0])).toArray()); // [0]
 * ```
 * @category Elementwise
 */
export const erf: UnaryFn = defineUnary({
  name: 'erf',
  forward: erfNumber,
  rule: 'y = erf(x), dy/dx = 2/√π·e^{−x²} ⇒ dx = dy·2/√π·e^{−x²}',
  derivative: (x) => mul(TWO_OVER_SQRT_PI, exp(mul(-1, square(x)))),
});
