// indexSelect: slices picked along an axis by a list of indices.
import { ShapeError } from '../base/errors.ts';
import { fmt, normalizeAxis, type Shape } from '../base/shape.ts';
import { Tensor } from '../graph/tensor.ts';
import { zeros } from '../graph/creation.ts';
import { alloc, asTensor, defineOp, record } from './define.ts';
import { readIndex } from './gather.ts';
import { scatterAdd } from './scatter-add.ts';

interface IndexSelectAttrs {
  readonly axis: number;
  /** The index spread over the output's shape, for scatterAdd. */
  readonly spread: Tensor;
  /** The index as given: a replay reads a tensor's current values. */
  readonly index: Tensor | readonly number[];
}

const op = defineOp<IndexSelectAttrs>({
  name: 'indexSelect',
  rule: 'y = x[…, index[j], …] along the axis, each yⱼ is one xₖ ⇒ dx = scatterAdd(0, axis, index spread over dy’s shape, dy) (repeats add up)',
  backward: ({ inputs: [x], dy, attrs: { axis, spread } }) => [scatterAdd(zeros(x!.shape, { dtype: dy.dtype }), axis, spread, dy)],
  replay: ([x], { axis, index }) => {
    const { y, spread } = selectAlong(x!, axis, readIndex('indexSelect', 'index', index, x!.shape[axis]!).values);
    return { output: y, attrs: { axis, spread, index } };
  },
});

/** Copies the slices `index[j]` of x along `axis` (outer × n × inner layout); also returns the index spread over the result. @internal */
export function selectAlong(x: Tensor, axis: number, values: Int32Array): { readonly y: Tensor; readonly spread: Tensor } {
  const n = x.shape[axis]!;
  let inner = 1;
  for (let d = axis + 1; d < x.rank; d++) inner *= x.shape[d]!;
  const outer = n * inner === 0 ? x.shape.slice(0, axis).reduce((p, d) => p * d, 1) : x.size / (n * inner);
  const m = values.length;
  const out = alloc(x.dtype, outer * m * inner);
  const spread = new Float64Array(out.length);
  for (let o = 0; o < outer; o++) {
    for (let j = 0; j < m; j++) {
      const at = (o * m + j) * inner;
      const from = (o * n + values[j]!) * inner;
      out.set(x.data.subarray(from, from + inner), at);
      spread.fill(values[j]!, at, at + inner);
    }
  }
  const shape: Shape = x.shape.map((d, i) => (i === axis ? m : d));
  return { y: Tensor.fromData(out, shape, x.dtype), spread: Tensor.fromData(spread, shape, 'float64') };
}

/**
 * Selects slices of x along an axis by index, as PyTorch's `torch.index_select`: the result's slice j
 * along the axis is x's slice `index[j]`. Indices may repeat (their gradients add up).
 * @param x The tensor (at least 1-D).
 * @param axis The axis to select along (negative counts from the end).
 * @param index A 1-D tensor or array of integers in `[0, x.shape[axis])`.
 * @returns x with the axis replaced by the selected slices (length `index.length`).
 * @throws {@link ShapeError} for an axis out of range or an index that is not 1-D.
 * @throws {@link ArgumentError} for an index value that is not an integer in range.
 * @example
 * ```ts
 * import { indexSelect, tensor } from '@tapegrad/core';
 * console.log(indexSelect(tensor([[1, 2], [3, 4]]), 0, [1, 1, 0]).toArray()); // [[3, 4], [3, 4], [1, 2]]
 * ```
 * @category Shape
 */
export function indexSelect(x: Tensor, axis: number, index: Tensor | readonly number[]): Tensor {
  asTensor('indexSelect', 'x', x);
  if (x.rank === 0) throw new ShapeError(`indexSelect: x must have at least 1 dimension, got shape ${fmt(x.shape)}`);
  const ax = normalizeAxis('indexSelect', axis, x.rank, x.shape);
  if (index instanceof Tensor && index.rank !== 1) throw new ShapeError(`indexSelect: index must be 1-D, got index ${fmt(index.shape)}`);
  const { values } = readIndex('indexSelect', 'index', index, x.shape[ax]!);
  const { y, spread } = selectAlong(x, ax, values);
  return record(op, [x], y, { axis: ax, spread, index });
}
