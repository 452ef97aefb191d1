// logSigmoid: ln σ(x), computed stably.
import { defineUnary, type UnaryFn } from './define.ts';
import { neg } from './neg.ts';
import { sigmoid } from './sigmoid.ts';

/**
 * Elementwise log of the sigmoid: `y = ln σ(x) = −ln(1 + e^{−x})`, computed as `min(x, 0) − ln(1 + e^{−|x|})`
 * so it is finite and exact for large |x|.
 * @param x A tensor, value or number.
 * @returns The result, elementwise, in x's shape.
 * @example
 * ```ts
 * import { logSigmoid, tensor } from '@tapegrad/core';
 * console.log(logSigmoid(tensor([0, -1000])).toArray()); // [-0.6931471805599453, -1000]
 * ```
 * @category Elementwise
 */
export const logSigmoid: UnaryFn = defineUnary({
  name: 'logSigmoid',
  forward: (x) => (x < 0 ? x : 0) - Math.log1p(Math.exp(-Math.abs(x))),
  rule: 'y = ln σ(x), dy/dx = σ′(x)/σ(x) = 1 − σ(x) = σ(−x) ⇒ dx = dy·σ(−x)',
  derivative: (x) => sigmoid(neg(x)),
});
