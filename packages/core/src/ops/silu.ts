// silu: x·σ(x).
import { add } from './add.ts';
import { defineUnary, type UnaryFn } from './define.ts';
import { mul } from './mul.ts';
import { sigmoid } from './sigmoid.ts';
import { sub } from './sub.ts';

/**
 * Elementwise sigmoid-weighted linear unit (swish): `y = x·σ(x)`.
 * @param x A tensor, value or number.
 * @returns The result, elementwise, in x's shape.
 * @example
 * ```ts
 * import { silu, tensor } from '@tapegrad/core';
 * console.log(silu(tensor([0, 1])).toArray()); // [0, 0.7310585786300049]
 * ```
 * @category Elementwise
 */
export const silu: UnaryFn = defineUnary({
  name: 'silu',
  forward: (x) => x / (1 + Math.exp(-x)),
  rule: 'y = x·σ(x), dy/dx = σ(x) + x·σ(x)(1 − σ(x)) = σ(x)(1 + x(1 − σ(x))) ⇒ dx = dy·σ(x)(1 + x(1 − σ(x)))',
  derivative: (x) => {
    const s = sigmoid(x);
    return mul(s, add(1, mul(x, sub(1, s))));
  },
});
