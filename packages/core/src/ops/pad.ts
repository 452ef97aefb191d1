// pad: a constant border around a tensor.
import { ArgumentError } from '../base/errors.ts';
import { fmt, stridesOf } from '../base/shape.ts';
import { Tensor } from '../graph/tensor.ts';
import { alloc, asTensor, defineOp, record } from './define.ts';
import { slice } from './slice.ts';

/** Options of {@link pad}. @category Shape */
export interface PadOptions {
  /** The fill value (default 0). */
  readonly value?: number;
}

interface PadAttrs {
  /** Per axis: elements added before and after. */
  readonly before: readonly number[];
  readonly after: readonly number[];
  /** The fill value. */
  readonly value: number;
}

const op = defineOp<PadAttrs>({
  name: 'pad',
  rule: 'y = x surrounded by constants, each x element is one y element ⇒ dx = dy with the padding sliced off',
  backward: ({ inputs: [x], dy, attrs: { before } }) => {
    let g = dy;
    before.forEach((b, d) => {
      if (g.shape[d] !== x!.shape[d]) g = slice(g, d, b, b + x!.shape[d]!);
    });
    return [g];
  },
  // pads again from the per-axis counts: (before, after) pairs from the last axis back.
  replay: ([x], { before, after, value }) => pad(x!, before.flatMap((_, k) => [before[before.length - 1 - k]!, after[after.length - 1 - k]!]), { value }),
});

/**
 * Pads x with a constant, as PyTorch's `F.pad` in constant mode: `pads` lists (before, after) pairs
 * starting from the last axis, `[left, right, top, bottom, …]`.
 * @param x The tensor.
 * @param pads An even number (at most 2·rank) of non-negative integers: before/after counts for the last axis, then the one before it, ….
 * @param opts `value`: the fill (default 0).
 * @returns The padded tensor.
 * @throws {@link ArgumentError} for an odd or too long list, or a count that is not a non-negative integer.
 * @example
 * ```ts
 * import { pad, tensor } from '@tapegrad/core';
 * console.log(pad(tensor([[1, 2]]), [1, 0, 0, 1]).toArray()); // [[0, 1, 2], [0, 0, 0]]
 * ```
 * @category Shape
 */
export function pad(x: Tensor, pads: readonly number[], opts: PadOptions = {}): Tensor {
  asTensor('pad', 'x', x);
  if (!Array.isArray(pads) || pads.length % 2 !== 0 || pads.length > 2 * x.rank) {
    throw new ArgumentError(`pad: pads must be an even-length list of at most 2·rank = ${2 * x.rank} counts, got [${String(pads)}] for x ${fmt(x.shape)}`);
  }
  if (pads.some((p) => !Number.isInteger(p) || p < 0)) throw new ArgumentError(`pad: pads must be non-negative integers, got [${pads.join(', ')}]`);
  const value = opts.value ?? 0;
  if (typeof value !== 'number') throw new ArgumentError(`pad: value must be a number, got ${typeof value}`);
  const rank = x.rank;
  const before = new Array<number>(rank).fill(0);
  const after = new Array<number>(rank).fill(0);
  for (let k = 0; k < pads.length / 2; k++) {
    before[rank - 1 - k] = pads[2 * k]!;
    after[rank - 1 - k] = pads[2 * k + 1]!;
  }
  const shape = x.shape.map((d, i) => d + before[i]! + after[i]!);
  const out = alloc(x.dtype, shape.reduce((p, d) => p * d, 1)).fill(value);
  const os = stridesOf(shape);
  const coord = new Array<number>(rank).fill(0);
  const xd = x.data;
  for (let i = 0; i < xd.length; i++) {
    let at = 0;
    for (let d = 0; d < rank; d++) at += (coord[d]! + before[d]!) * os[d]!;
    out[at] = xd[i]!;
    for (let d = rank - 1; d >= 0; d--) {
      if (++coord[d]! < x.shape[d]!) break;
      coord[d] = 0;
    }
  }
  return record(op, [x], Tensor.fromData(out, shape, x.dtype), { before, after, value });
}
