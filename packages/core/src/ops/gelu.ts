// gelu: x·Φ(x), the exact (erf) form.
import { add } from './add.ts';
import { defineUnary, type UnaryFn } from './define.ts';
import { erf, erfNumber } from './erf.ts';
import { exp } from './exp.ts';
import { mul } from './mul.ts';
import { square } from './square.ts';

const SQRT1_2 = Math.SQRT1_2;
const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);

/**
 * Elementwise Gaussian error linear unit (the exact form, PyTorch's default):
 * `y = x·Φ(x) = x/2·(1 + erf(x/√2))`.
 * @param x A tensor, value or number.
 * @returns The result, elementwise, in x's shape.
 * @example
 * ```ts
 * import { gelu, tensor } from '@tapegrad/core';
 * console.log(gelu(tensor([0, 1])).toArray()); // [0, 0.8413447460685429]
 * ```
 * @category Elementwise
 */
export const gelu: UnaryFn = defineUnary({
  name: 'gelu',
  forward: (x) => 0.5 * x * (1 + erfNumber(x * SQRT1_2)),
  rule: 'y = x·Φ(x), dy/dx = Φ(x) + x·φ(x) with φ(x) = e^{−x²/2}/√(2π) ⇒ dx = dy·(Φ(x) + x·φ(x))',
  derivative: (x) => add(mul(0.5, add(1, erf(mul(SQRT1_2, x)))), mul(x, mul(INV_SQRT_2PI, exp(mul(-0.5, square(x)))))),
});
