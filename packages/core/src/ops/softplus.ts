// softplus: y = ln(1 + eˣ), computed without overflow.
import { defineUnary, type UnaryFn } from './define.ts';
import { sigmoid } from './sigmoid.ts';

/** ln(1 + eˣ) as max(x, 0) + ln(1 + e^{−|x|}): never overflows, and exact for large |x|. */
function stableSoftplus(x: number): number {
  return (x > 0 ? x : 0) + Math.log1p(Math.exp(-Math.abs(x)));
}

/**
 * Elementwise softplus: `y = ln(1 + eˣ)`, a smooth relu, computed as `max(x, 0) + ln(1 + e^{−|x|})` so it never overflows.
 * @param x A tensor, value or number.
 * @returns The result, elementwise, in x's shape.
 * @example
 * ```ts
 * import { softplus, tensor } from '@tapegrad/core';
 * console.log(softplus(tensor([0])).toArray()); // [0.6931471805599453]
 * ```
 * @category Elementwise
 */
export const softplus: UnaryFn = defineUnary({
  name: 'softplus',
  forward: stableSoftplus,
  rule: 'y = ln(1 + eˣ), dy/dx = eˣ/(1 + eˣ) = σ(x) ⇒ dx = dy·σ(x)',
  derivative: (x) => sigmoid(x),
});
