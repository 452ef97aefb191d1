// chunk: a tensor cut into a number of near-equal pieces, as slices.
import { ArgumentError, ShapeError } from '../base/errors.ts';
import { fmt, normalizeAxis } from '../base/shape.ts';
import type { Tensor } from '../graph/tensor.ts';
import { asTensor } from './define.ts';
import { split } from './split.ts';

/**
 * Splits x into `chunks` pieces of ⌈n/chunks⌉ along an axis (the last may be smaller, and there may be
 * fewer pieces when the axis is short), as PyTorch's `torch.chunk`. The pieces are {@link split}'s slices.
 * @param x The tensor (at least 1-D).
 * @param chunks The number of pieces wanted (a positive integer).
 * @param axis The axis to split (default 0; negative counts from the end).
 * @returns The pieces, in order.
 * @throws {@link ShapeError} for an axis out of range.
 * @throws {@link ArgumentError} when chunks is not a positive integer.
 * @example
 * ```ts
 * import { chunk, tensor } from '@tapegrad/core';
 * console.log(chunk(tensor([1, 2, 3, 4, 5]), 3).map((t) => t.toArray())); // [[1, 2], [3, 4], [5]]
 * ```
 * @category Shape
 */
export function chunk(x: Tensor, chunks: number, axis = 0): Tensor[] {
  asTensor('chunk', 'x', x);
  if (!Number.isInteger(chunks) || chunks < 1) throw new ArgumentError(`chunk: chunks must be a positive integer, got ${chunks}`);
  if (x.rank === 0) throw new ShapeError(`chunk: x must have at least 1 dimension, got shape ${fmt(x.shape)}`);
  const ax = normalizeAxis('chunk', axis, x.rank, x.shape);
  const n = x.shape[ax]!;
  return split(x, Math.max(1, Math.ceil(n / chunks)), ax);
}
