// split: pieces of a tensor along an axis, as slices.
import { ArgumentError, ShapeError } from '../base/errors.ts';
import { fmt, normalizeAxis } from '../base/shape.ts';
import type { Tensor } from '../graph/tensor.ts';
import { asTensor } from './define.ts';
import { slice } from './slice.ts';

/**
 * Splits x along an axis into pieces, as PyTorch's `torch.split`: a number gives pieces of that size
 * (the last may be smaller), a list gives the sizes of the pieces, which must add up to the axis length.
 * Each piece is a {@link slice}, so its gradient is dy placed back where the piece came from.
 * @param x The tensor (at least 1-D).
 * @param splitSizeOrSections A piece size (a positive integer) or the list of sizes.
 * @param axis The axis to split (default 0; negative counts from the end).
 * @returns The pieces, in order.
 * @throws {@link ShapeError} for an axis out of range, or sizes that do not add up to the axis length.
 * @throws {@link ArgumentError} for a size that is not a non-negative integer (a piece size must be positive).
 * @example
 * ```ts
 * import { split, tensor } from '@tapegrad/core';
 * console.log(split(tensor([1, 2, 3, 4, 5]), 2).map((t) => t.toArray())); // [[1, 2], [3, 4], [5]]
 * ```
 * @category Shape
 */
export function split(x: Tensor, splitSizeOrSections: number | readonly number[], axis = 0): Tensor[] {
  asTensor('split', 'x', x);
  if (x.rank === 0) throw new ShapeError(`split: x must have at least 1 dimension, got shape ${fmt(x.shape)}`);
  const ax = normalizeAxis('split', axis, x.rank, x.shape);
  const n = x.shape[ax]!;
  let sizes: number[];
  if (typeof splitSizeOrSections === 'number') {
    const s = splitSizeOrSections;
    if (!Number.isInteger(s) || s < 1) throw new ArgumentError(`split: splitSize must be a positive integer, got ${s}`);
    sizes = Array.from({ length: Math.max(1, Math.ceil(n / s)) }, (_, i) => Math.min(s, n - i * s));
  } else {
    if (!Array.isArray(splitSizeOrSections) || splitSizeOrSections.some((s) => !Number.isInteger(s) || s < 0)) {
      throw new ArgumentError(`split: sections must be non-negative integers, got [${String(splitSizeOrSections)}]`);
    }
    sizes = splitSizeOrSections.slice();
    const total = sizes.reduce((a, b) => a + b, 0);
    if (total !== n) throw new ShapeError(`split: sections must add up to the length ${n} of axis ${ax}, got [${sizes.join(', ')}] (sum ${total}) for shape ${fmt(x.shape)}`);
  }
  let start = 0;
  return sizes.map((s) => {
    const piece = slice(x, ax, start, start + s);
    start += s;
    return piece;
  });
}
