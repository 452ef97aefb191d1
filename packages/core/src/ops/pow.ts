// pow: y = aᵇ with broadcasting.
import { add } from './add.ts';
import { defineBinary, type BinaryFn } from './define.ts';
import { eq } from './eq.ts';
import { ge } from './ge.ts';
import { log } from './log.ts';
import { mul } from './mul.ts';
import { sub } from './sub.ts';

/**
 * Elementwise power with broadcasting: `y = aᵇ`.
 * The gradient to the exponent, `y·ln a`, is only taken when `b` requires grad (it is NaN for a < 0).
 * At a = 0 with b ≥ 0 it is 0, its limit as a → 0⁺ (as PyTorch), not 0·(−∞) = NaN.
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
  rule: 'y = aᵇ, ∂y/∂a = b·aᵇ⁻¹, ∂y/∂b = y·ln a (0 at a = 0, b ≥ 0: the limit) ⇒ da = dy·b·aᵇ⁻¹, db = dy·y·ln a',
  da: (a, b) => mul(b, pow(a, sub(b, 1))),
  // At a = 0, b ≥ 0 the log's argument becomes 1, so y·ln 1 = 0 (the limit of aᵇ·ln a) instead of 0·(−∞).
  db: (a, b, y) => mul(y, log(add(a, mul(eq(a, 0), ge(b, 0))))),
});
