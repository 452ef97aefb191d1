// mul: y = a · b with broadcasting, and its raw backward.
import { mulLoop, gradPlan } from '../kernels/elementwise.ts';
import { defineBinary, type BinaryFn } from './define.ts';
import { scratchLike } from '../graph/grad-pool.ts';

/**
 * Elementwise product with broadcasting: `y = a · b`.
 * @param a A tensor, value or number.
 * @param b A tensor, value or number.
 * @returns The product, in the broadcast shape.
 * @throws {@link ShapeError} when the shapes do not broadcast.
 * @example
 * ```ts
 * import { mul, tensor } from '@tapegrad/core';
 * console.log(mul(tensor([1, 2, 3]), 2).toArray()); // [2, 4, 6]
 * ```
 * @category Elementwise
 */
export const mul: BinaryFn = defineBinary({
  name: 'mul',
  forward: (a, b) => a * b,
  rule: 'y = a·b, ∂y/∂a = b, ∂y/∂b = a ⇒ da = dy·b, db = dy·a',
  da: (_a, b) => b,
  db: (a) => a,
  kernel: mulLoop,
  rawGrads: [
    (dy, _a, b, _y, p) => {
      const da = scratchLike(dy, dy.length);
      mulLoop(dy, b, da, gradPlan(p, 'b'), true);
      return da;
    },
    (dy, a, _b, _y, p) => {
      const db = scratchLike(dy, dy.length);
      mulLoop(dy, a, db, gradPlan(p, 'a'), true);
      return db;
    },
  ],
});
