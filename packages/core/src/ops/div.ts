// div: y = a / b with broadcasting, and its raw backward.
import { divLoop, gradPlan } from '../kernels/elementwise.ts';
import { defineBinary, type BinaryFn } from './define.ts';
import { neg } from './neg.ts';
import { scratchLike } from '../graph/grad-pool.ts';

/**
 * Elementwise quotient with broadcasting: `y = a / b`.
 * @param a A tensor, value or number.
 * @param b A tensor, value or number.
 * @returns The quotient, in the broadcast shape.
 * @throws {@link ShapeError} when the shapes do not broadcast.
 * @example
 * ```ts
 * import { div, tensor } from '@tapegrad/core';
 * console.log(div(tensor([2, 9]), tensor([4, 3])).toArray()); // [0.5, 3]
 * ```
 * @category Elementwise
 */
export const div: BinaryFn = defineBinary({
  name: 'div',
  forward: (a, b) => a / b,
  instruction: 'div',
  rule: 'y = a / b, ∂y/∂a = 1/b, ∂y/∂b = −a/b² = −y/b ⇒ da = dy/b, db = −dy·y/b',
  da: (_a, b) => div(1, b),
  db: (_a, b, y) => neg(div(y, b)),
  kernel: divLoop,
  // Raw loops kept: backward 0.38 ms vs 4.6 differentiable at 256×256 (4.7–26×), 0.22 vs 0.59 at 512×64 (2.64×); medians of 3 runs of scripts/raw-backward-bench.ts, float64, load 7–18 on 2 cores.
  rawGrads: [
    (dy, _a, b, _y, p) => {
      const da = scratchLike(dy, dy.length);
      divLoop(dy, b, da, gradPlan(p, 'b'), true);
      return da;
    },
    (dy, _a, b, y, p) => {
      const db = scratchLike(dy, dy.length);
      const { outer, inner, bOuter, bInner } = p;
      for (let o = 0, k = 0; o < outer; o++) {
        for (let e = k + inner, j = o * bOuter; k < e; k++, j += bInner) {
          const g = dy[k]!;
          db[k] = g === 0 ? 0 : (-g * y[k]!) / b[j]!;
        }
      }
      return db;
    },
  ],
});
