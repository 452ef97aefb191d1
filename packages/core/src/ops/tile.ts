// tile: repeat with counts aligned from the last axis.
import type { Tensor } from '../graph/tensor.ts';
import { asTensor } from './define.ts';
import { checkRepeats, repeat } from './repeat.ts';

/**
 * Tiles x, as PyTorch's `torch.tile`: like {@link repeat}, except that fewer counts than axes are
 * allowed and then apply to the trailing axes (the others get 1). Recorded as a `repeat`.
 * @param x The tensor.
 * @param reps The number of copies per axis, aligned from the last axis.
 * @returns The tiled tensor.
 * @throws {@link ArgumentError} for a count that is not a non-negative integer.
 * @example
 * ```ts
 * import { tensor, tile } from '@tapegrad/core';
 * console.log(tile(tensor([[1, 2]]), [2]).toArray()); // [[1, 2, 1, 2]]
 * ```
 * @category Shape
 */
export function tile(x: Tensor, reps: readonly number[]): Tensor {
  asTensor('tile', 'x', x);
  checkRepeats('tile', 'reps', x, reps);
  const full = reps.length < x.rank ? [...new Array<number>(x.rank - reps.length).fill(1), ...reps] : reps;
  return repeat(x, full);
}
