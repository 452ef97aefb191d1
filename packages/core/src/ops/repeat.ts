// repeat: copies of a tensor along each axis (PyTorch's Tensor.repeat).
import { ArgumentError } from '../base/errors.ts';
import { fmt, stridesOf } from '../base/shape.ts';
import { Tensor } from '../graph/tensor.ts';
import { alloc, asTensor, defineOp, record } from './define.ts';
import { reshape } from './reshape.ts';
import { sum } from './sum.ts';

interface RepeatAttrs {
  readonly sizes: readonly number[];
}

const op = defineOp<RepeatAttrs>({
  name: 'repeat',
  rule: 'y = x tiled sᵢ times along each axis, each y element is one x element ⇒ dx = Σ over the copies: dy as [s₀, d₀, s₁, d₁, …] summed over the s axes',
  backward: ({ inputs: [x], dy, attrs: { sizes } }) => {
    const lead = sizes.length - x!.rank;
    const dims = sizes.map((_, i) => (i < lead ? 1 : x!.shape[i - lead]!));
    const pairs = sizes.flatMap((s, i) => [s, dims[i]!]);
    return [reshape(sum(reshape(dy, pairs), sizes.map((_, i) => 2 * i)), x!.shape)];
  },
  replay: ([x], { sizes }) => repeat(x!, sizes),
});

/** Validates the repetition counts of repeat or tile. @internal */
export function checkRepeats(name: string, arg: string, x: Tensor, sizes: readonly number[]): void {
  if (!Array.isArray(sizes) || sizes.some((s) => !Number.isInteger(s) || s < 0)) {
    throw new ArgumentError(`${name}: ${arg} must be a list of non-negative integers, got [${String(sizes)}]`);
  }
}

/**
 * Tiles x, as PyTorch's `Tensor.repeat`: the result is `sizes[i]` copies of x along axis i. With more
 * sizes than x has axes, x is first viewed with leading axes of size 1.
 * @param x The tensor.
 * @param sizes The number of copies per axis, at least as many as x has axes.
 * @returns The tiled tensor, shape `sizes[i]·x.shape[i]` (leading axes of size `sizes[i]`).
 * @throws {@link ArgumentError} for fewer sizes than axes, or a size that is not a non-negative integer.
 * @example
 * ```ts
 * import { repeat, tensor } from '@tapegrad/core';
 * console.log(repeat(tensor([1, 2]), [2, 2]).toArray()); // [[1, 2, 1, 2], [1, 2, 1, 2]]
 * ```
 * @category Shape
 */
export function repeat(x: Tensor, sizes: readonly number[]): Tensor {
  asTensor('repeat', 'x', x);
  checkRepeats('repeat', 'sizes', x, sizes);
  if (sizes.length < x.rank) throw new ArgumentError(`repeat: sizes must have at least one entry per axis of x, got [${sizes.join(', ')}] for x ${fmt(x.shape)}`);
  const lead = sizes.length - x.rank;
  const dims = sizes.map((_, i) => (i < lead ? 1 : x.shape[i - lead]!));
  const shape = sizes.map((s, i) => s * dims[i]!);
  const xs = stridesOf(dims);
  const rank = shape.length;
  const coord = new Array<number>(rank).fill(0);
  const n = shape.reduce((p, d) => p * d, 1);
  const out = alloc(x.dtype, n);
  const xd = x.data;
  for (let i = 0; i < n; i++) {
    let src = 0;
    for (let d = 0; d < rank; d++) src += (coord[d]! % dims[d]!) * xs[d]!;
    out[i] = xd[src]!;
    for (let d = rank - 1; d >= 0; d--) {
      if (++coord[d]! < shape[d]!) break;
      coord[d] = 0;
    }
  }
  return record(op, [x], Tensor.fromData(out, shape, x.dtype), { sizes: sizes.slice() });
}
