// gather: elements picked along an axis by an index tensor (its derivative is scatterAdd).
import { ArgumentError, ShapeError } from '../base/errors.ts';
import { fmt, normalizeAxis, stridesOf, type Shape } from '../base/shape.ts';
import { Tensor } from '../graph/tensor.ts';
import { zeros } from '../graph/creation.ts';
import { alloc, asTensor, defineOp, describe, record } from './define.ts';
import { scatterAdd } from './scatter-add.ts';

interface GatherAttrs {
  readonly axis: number;
  readonly index: Tensor;
}

/**
 * Reads integer indices from a tensor or an array, each in `[0, n)`. The op and the argument name go into
 * the messages.
 * @internal
 */
export function readIndex(op: string, name: string, index: unknown, n: number): { readonly values: Int32Array; readonly shape: Shape } {
  let data: ArrayLike<number>;
  let shape: Shape;
  if (index instanceof Tensor) {
    data = index.data;
    shape = index.shape;
  } else if (Array.isArray(index) && index.every((v) => typeof v === 'number')) {
    data = index as number[];
    shape = [index.length];
  } else throw new ArgumentError(`${op}: ${name} must be a Tensor or an array of integers, got ${describe(index)}`);
  const values = new Int32Array(data.length);
  for (let i = 0; i < data.length; i++) {
    const k = data[i]!;
    if (!Number.isInteger(k) || k < 0 || k >= n) throw new ArgumentError(`${op}: ${name} must hold integers in [0, ${n}), got ${k} at flat position ${i}`);
    values[i] = k;
  }
  return { values, shape };
}

/**
 * For each position of `index` (same rank as x, each non-axis dimension at most x's), the flat offset in x
 * of the element it selects: its own coordinates, with the axis coordinate replaced by the index value.
 * @internal
 */
export function gatherOffsets(op: string, xShape: Shape, axis: number, index: Tensor): Int32Array {
  if (index.rank !== xShape.length || index.shape.some((d, i) => i !== axis && d > xShape[i]!)) {
    throw new ShapeError(`${op}: index must have x's rank and no dimension larger than x's except along axis ${axis}, got x ${fmt(xShape)} and index ${fmt(index.shape)}`);
  }
  const { values } = readIndex(op, 'index', index, xShape[axis]!);
  const xs = stridesOf(xShape);
  const rank = xShape.length;
  const coord = new Array<number>(rank).fill(0);
  const out = new Int32Array(values.length);
  for (let i = 0; i < values.length; i++) {
    let off = 0;
    for (let d = 0; d < rank; d++) off += (d === axis ? values[i]! : coord[d]!) * xs[d]!;
    out[i] = off;
    for (let d = rank - 1; d >= 0; d--) {
      if (++coord[d]! < index.shape[d]!) break;
      coord[d] = 0;
    }
  }
  return out;
}

const op = defineOp<GatherAttrs>({
  name: 'gather',
  rule: 'y[…i…] = x[…index[…i…]…] along the axis, each yⱼ is one xₖ ⇒ dx = scatterAdd(0, axis, index, dy) (repeated indices add up)',
  backward: ({ inputs: [x], dy, attrs: { axis, index } }) => [scatterAdd(zeros(x!.shape, { dtype: dy.dtype }), axis, index, dy)],
  replay: ([x], { axis, index }) => gather(x!, axis, index),
});

/**
 * Picks elements along an axis by index, as PyTorch's `torch.gather`: for a 3-D x and axis 1,
 * `y[i][j][k] = x[i][index[i][j][k]][k]`. The result has the index's shape.
 * @param x The tensor.
 * @param axis The axis the index values point along (negative counts from the end).
 * @param index A tensor of integers in `[0, x.shape[axis])`, of x's rank, no dimension larger than x's except along the axis. No gradient flows to it.
 * @returns The picked elements, in the index's shape.
 * @throws {@link ShapeError} for an axis out of range or an index of the wrong rank or size.
 * @throws {@link ArgumentError} for an index value that is not an integer in range.
 * @example
 * ```ts
 * import { gather, tensor } from '@tapegrad/core';
 * console.log(gather(tensor([[1, 2], [3, 4]]), 1, tensor([[1], [0]])).toArray()); // [[2], [3]]
 * ```
 * @category Shape
 */
export function gather(x: Tensor, axis: number, index: Tensor): Tensor {
  asTensor('gather', 'x', x);
  asTensor('gather', 'index', index);
  if (x.rank === 0) throw new ShapeError(`gather: x must have at least 1 dimension, got shape ${fmt(x.shape)}`);
  const ax = normalizeAxis('gather', axis, x.rank, x.shape);
  const offsets = gatherOffsets('gather', x.shape, ax, index);
  const out = alloc(x.dtype, offsets.length);
  const xd = x.data;
  for (let i = 0; i < offsets.length; i++) out[i] = xd[offsets[i]!]!;
  return record(op, [x], Tensor.fromData(out, index.shape, x.dtype), { axis: ax, index: index.detach() });
}
