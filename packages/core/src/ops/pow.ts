// pow: y = aᵇ with broadcasting.
import { defineBinary, type BinaryFn } from './define.ts';
import { log } from './log.ts';
import { mul } from './mul.ts';
import { sub } from './sub.ts';

/**
 * Elementwise power with broadcasting: `y = aᵇ`.
 * The gradient to the exponent, `y·ln a`, is only taken when `b` requires grad (it is NaN for a < 0).
 * @param a The base.
 * @param b The exponent.
 * @returns The power, in the broadcast shape.
 * @throws {@link ShapeError} when the shapes do not broadcast.
 * @example
 * ```ts
 * import { pow, tensor } from '@tapegrad/core';
 * console.log(pow(tensor([2, 3]), 2).toArray()); // [4, 9]
 * ```
 * @category Elementwise
 */
export const pow: BinaryFn = defineBinary({
  name: 'pow',
  forward: Math.pow,
  rule: 'y = aᵇ, ∂y/∂a = b·aᵇ⁻¹, ∂y/∂b = y·ln a ⇒ da = dy·b·aᵇ⁻¹, db = dy·y·ln a',
  da: (a, b) => mul(b, pow(a, sub(b, 1))),
  db: (a, _b, y) => mul(y, log(a)),
});
